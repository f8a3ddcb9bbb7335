"""Build a probe program from a file's text: the loss and what it needs, never the rest.

User scripts call ``fit``, load data or ``sys.exit`` at top level, so the verifier never
imports them. Instead it copies, with the stdlib ``ast``, the file's import statements, the
loss (a function, a lambda, a factory plus the arguments of the call that built it, or a
``keras.losses.Loss`` subclass plus its instantiation), the helpers and classes it refers to and
the module constants it reads, and appends ``def __tfs_build__(): return <loss>``. Module-level
assignments are copied only when their right-hand side is inert (literals, arithmetic, array
and tensor constructors, calls of functions defined in the file); anything else is left out and
a ``NameError`` on it becomes an ``inconclusive`` verdict naming the missing name.
"""

from __future__ import annotations

import ast
import builtins
import contextvars
import copy
import functools
import warnings
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator, Sequence

from tfshape_lint.analysis.imports import ast_callee_name, ast_dotted, single_assignments, target_names
from tfshape_lint.finding import LossRef
from tfshape_lint.verify.realfiles import MIDDLE, implicit_aliases, star_aliases, star_backend
from tfshape_lint.verify.variants import HELPERS, Context, call_name, neutralise

_BUILTINS = frozenset(dir(builtins))

#: top-level packages whose functions may run at module level in a probe program
SAFE_PACKAGES = frozenset({
    "numpy", "tensorflow", "keras", "tf_keras", "math", "functools", "operator", "collections",
    "itertools", "fractions", "typing", "dataclasses", "enum", "cmath", "statistics", "string",
})
#: name fragments that mark a call with side effects (I/O, downloads, training, exiting)
UNSAFE_FRAGMENTS = ("load", "save", "read", "write", "open", "dataset", "get_file", "download",
                    "fit", "predict", "evaluate", "compile", "summary", "plot", "show", "exit",
                    "system", "remove", "mkdir", "popen", "call", "input", "print", "seed",
                    "train", "environ", "listdir", "glob", "walk", "request", "urlopen", "sleep")
SAFE_BUILTIN_CALLS = frozenset({
    "float", "int", "bool", "str", "list", "dict", "tuple", "set", "frozenset", "range", "len",
    "sum", "min", "max", "abs", "round", "sorted", "zip", "enumerate", "map", "filter", "pow",
    "reversed", "any", "all", "isinstance", "complex", "divmod", "slice", "object", "type",
    "property", "staticmethod", "classmethod",
})
#: path arithmetic (no file is read or written), which module-level settings use to name a log
#: folder next to the file (``_ROOT = os.path.abspath(os.path.dirname(__file__))``)
SAFE_PATH_CALLS = frozenset({
    "os.path.join", "os.path.abspath", "os.path.dirname", "os.path.basename", "os.path.splitext",
    "os.path.normpath", "os.path.split",
})
TAP_NAME = "__tfs_tap__"
#: marks that the flagged expression ran (the worker binds it to ``Subject.reach``)
REACH_NAME = "__tfs_reach__"


class ExtractionError(Exception):
    """The loss cannot be turned into a probe program; the message says which name is missing."""


@dataclass(frozen=True)
class ProbeProgram:
    """Python text whose ``__tfs_build__()`` returns the loss; plus how Keras meets it.

    ``kind`` is ``function`` (called as ``fn(y_true, y_pred)``) or ``loss_object`` (an
    instance of a ``Loss`` subclass). ``left_out`` maps names the loss may need to why their
    module-level binding was not copied.
    """

    source: str
    kind: str
    qualname: str
    context: str
    role: str
    uses_tf_keras: bool
    left_out: tuple[tuple[str, str], ...] = ()
    tapped: bool = False
    #: the counterfactual applied to the flagged node, in words ("" when none was applied)
    variant: str = ""
    #: other findings' nodes neutralised in this program too, in words (see ``extract``)
    background: tuple[str, ...] = ()


@dataclass
class _Binding:
    name: str
    stmt: ast.stmt
    kind: str  # def, class, assign, import


@dataclass
class _Module:
    source: str
    tree: ast.Module
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)
    imports: list[ast.stmt] = field(default_factory=list)
    future: list[ast.stmt] = field(default_factory=list)
    top: list[ast.stmt] = field(default_factory=list)


def parse(source: str) -> ast.Module:
    """``ast.parse`` without SyntaxWarnings leaking to the user's terminal."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def extract(source: str, loss: LossRef, tap: tuple[int, int, int, int] | None = None,
            tap_operands: bool | str = False, variant: Context | None = None,
            span: tuple[int, int, int, int] | None = None,
            background: Sequence[tuple[tuple[int, int, int, int], Context]] = ()) -> ProbeProgram:
    """The probe program for ``loss`` in ``source``; raises :class:`ExtractionError`.

    ``tap``: (line, column, end_line, end_column) of an expression (a finding's span, 1-based
    lines and 0-based character columns) to wrap in ``__tfs_tap__(...)`` so a probe can look
    at that intermediate value.
    """
    try:
        tree = parse(source)
    except (SyntaxError, ValueError) as exc:
        raise ExtractionError(f"cannot parse the file: {exc}") from None
    module = _index(source, tree)
    described = ""
    neutralised = _neutralise_background(tree, source, span or tap, background) if background else ()
    if variant is not None:
        described = _apply_variant(tree, source, span or tap, variant)
    tapped = False
    if tap is not None:
        tapped = _Tapper(source, tap, tap_operands).apply(tree)
    roots, expr, kind = _locate(module, loss)
    included, left_out = _closure(module, roots, expr)
    text = _emit(module, included, expr)
    return ProbeProgram(text, kind, loss.qualname, loss.context, loss.role, _uses_tf_keras(module),
                        tuple(sorted(left_out.items())), tapped, described, neutralised)


def _neutralise_background(tree: ast.Module, source: str, flagged: tuple[int, int, int, int] | None,
                           background: Sequence[tuple[tuple[int, int, int, int], Context]]) -> tuple[str, ...]:
    """Neutralise, in place, the sibling findings' nodes (each by its own rule's variant) that
    lie apart from the flagged one or inside it; the descriptions of those done (a sibling
    without a variant stays as written). A sibling inside the flagged node (a division inside
    a flagged ``log``) is guarded in both runs, so its NaN no longer hides what the flagged op
    does; one around it, or one that is the flagged node, is left alone."""
    done: list[str] = []
    for sibling, own in background:
        ctx = replace(own, background=True)
        apart = flagged is None or sibling[2:] <= flagged[:2] or flagged[2:] <= sibling[:2]
        inside = flagged is not None and flagged[:2] <= sibling[:2] and sibling[2:] <= flagged[2:] and sibling != flagged
        if not (apart or inside):
            continue  # around the flagged node, or the node itself: neutralising it would touch this finding
        node, parents = _node_at(tree, source, sibling)
        made = neutralise(node, parents, ctx) if node is not None else None
        if made is not None:
            done.append(f"line {sibling[0]}: {made[0]}")
    return tuple(done)


def _apply_variant(tree: ast.Module, source: str, span: tuple[int, int, int, int] | None, ctx: Context) -> str:
    """Neutralise the node at ``span`` in place; raises when the rule has no variant for it."""
    if span is None:
        raise ExtractionError("no flagged span to neutralise")
    node, parents = _node_at(tree, source, span)
    if node is None:
        raise ExtractionError("cannot find the flagged expression to build the counterfactual")
    done = neutralise(node, parents, ctx)
    if done is None:
        raise ExtractionError(f"no neutral variant of `{_text(node)}` for {ctx.code}")
    return done[0]


# -- module index -----------------------------------------------------------------------------
def _index(source: str, tree: ast.Module) -> _Module:
    # the module whose parameters get bound from here on (extraction, its notes): its dict keys
    _DICT_KEYS.set(_module_dict_keys(tree))
    module = _Module(source, tree)
    for stmt in _top_statements(tree.body):
        module.top.append(stmt)
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            module.future.append(stmt)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            module.imports.append(stmt)
        for name, kind in _bound_names(stmt):
            module.bindings.setdefault(name, []).append(_Binding(name, stmt, kind))
    return module


def _top_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, looking inside top-level if/try/with blocks (not ``__main__``)."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            if _is_main_guard(stmt):
                continue
            yield from _top_statements(stmt.body)
            yield from _top_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            yield from _top_statements(stmt.body)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                yield from _top_statements(handler.body)
            yield from _top_statements(stmt.orelse)  # type: ignore[attr-defined]
            yield from _top_statements(stmt.finalbody)  # type: ignore[attr-defined]
        elif isinstance(stmt, ast.With):
            yield from _top_statements(stmt.body)
        else:
            yield stmt


def _is_main_guard(stmt: ast.If) -> bool:
    test = stmt.test
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__")


def _bound_names(stmt: ast.stmt) -> Iterator[tuple[str, str]]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        yield stmt.name, "def"
    elif isinstance(stmt, ast.ClassDef):
        yield stmt.name, "class"
    elif isinstance(stmt, ast.Import):
        for alias in stmt.names:
            yield (alias.asname or alias.name.split(".")[0]), "import"
    elif isinstance(stmt, ast.ImportFrom):
        for alias in stmt.names:
            if alias.name != "*":
                yield (alias.asname or alias.name), "import"
    elif isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            for name in target_names(target):
                yield name, "assign"
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) and isinstance(stmt.target, ast.Name):
        if not isinstance(stmt, ast.AnnAssign) or stmt.value is not None:
            yield stmt.target.id, "assign"


def _uses_tf_keras(module: _Module) -> bool:
    for stmt in module.imports:
        if isinstance(stmt, ast.Import):
            names = [a.name for a in stmt.names]
        else:
            names = [stmt.module or ""] if isinstance(stmt, ast.ImportFrom) else []
        if any(n == "tf_keras" or n.startswith("tf_keras.") for n in names):
            return True
    return False


# -- locating the loss --------------------------------------------------------------------------
def _locate(module: _Module, loss: LossRef) -> tuple[list[ast.stmt], ast.expr, str]:
    """(statements to copy, expression that builds the loss, kind)."""
    parts = loss.qualname.split(".")
    if parts[-1].startswith("<lambda>"):
        return _locate_lambda(module, loss, parts)
    root = _binding(module, parts[0], ("def", "class"))
    if root is None:
        raise ExtractionError(f"cannot find `{parts[0]}` at module level")
    if isinstance(root, ast.ClassDef):
        return _locate_method(module, loss, parts, root)
    if len(parts) == 1:
        bound = _partial_binding(module, root, parts[0])
        if bound is not None:
            return [root], bound, "function"
        return [root], _with_keyword_only(root, parts[0], loss.line), "function"
    call = _factory_call(module, loss, parts[0], root)
    inner = _inner_class(root, parts)
    if inner is not None:
        # ``def define_custom_objects(tf): class MultiHorizonLoss(Loss): ...; return {...}``: the
        # function run up to the class, which it then returns, and the class built as the file
        # builds a class it never instantiates
        instance = ast.Call(ast.Name("__tfs_instantiate__", ast.Load()), [call], [])
        return [_returning(root, inner.name)], instance, "loss_object" if parts[-1] == "call" else "function"
    return [_returning(root, parts[-1])] if len(parts) == 2 else [root], call, "function"


def _partial_binding(module: _Module, root: ast.stmt, name: str) -> ast.expr | None:
    """``partial(name, weights=w_array)`` that the file binds at module level (``ncce =
    functools.partial(w_categorical_crossentropy, weights=w_array)``) where the function needs
    more than Keras's two arguments: what the file compiles, with the file's own values for the
    parameters it binds. None when the function needs no more, or no such partial binds them all."""
    if not isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    missing = _required(root, set())[2:]
    if not missing:
        return None
    positional = [a.arg for a in root.args.posonlyargs + root.args.args]
    for stmt in module.tree.body:
        call = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        if not (isinstance(call, ast.Call) and (ast_dotted(call.func) or "").rsplit(".", 1)[-1] == "partial"
                and call.args and isinstance(call.args[0], ast.Name) and call.args[0].id == name):
            continue
        given = {kw.arg for kw in call.keywords if kw.arg} | set(positional[:len(call.args) - 1])
        if set(missing) <= given and not set(positional[:2]) & given and _resolvable(module, call):
            return copy.deepcopy(call)
    return None


def _inner_class(root: ast.stmt, parts: list[str]) -> ast.ClassDef | None:
    """The class ``parts[1]`` defined directly in the function ``root`` whose ``call`` or
    ``__call__`` (``parts[2]``) is the loss."""
    if len(parts) != 3 or parts[2] not in ("call", "__call__") \
            or not isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    return next((s for s in root.body if isinstance(s, ast.ClassDef) and s.name == parts[1]), None)


def _returning(factory: ast.stmt, name: str) -> ast.stmt:
    """``factory`` as a function that returns its inner loss ``name``: itself when it does, else
    (``def compile_model(model, config): def heatmap_loss(...) ...; model.compile(loss=[heatmap_loss,
    ...]); return model``) a copy whose body stops after that ``def``, keeping the assignments
    the loss reads that come later, and returns it: the compile needs a model the probe has no
    use for."""
    if not isinstance(factory, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return factory
    if any(isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id == name
           for n in ast.walk(factory)):
        return factory
    at = next((i for i, stmt in enumerate(factory.body)
               if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and stmt.name == name), None)
    if at is None:
        return factory
    read = free_names(factory.body[at])
    later = [stmt for stmt in factory.body[at + 1:] if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign))
             and {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} & read]
    copied = copy.copy(factory)
    copied.body = factory.body[:at + 1] + later + [ast.Return(ast.Name(name, ast.Load()))]
    return ast.fix_missing_locations(copied)


def _binding(module: _Module, name: str, kinds: Sequence[str]) -> ast.stmt | None:
    found = [b.stmt for b in module.bindings.get(name, []) if b.kind in kinds]
    return found[-1] if found else None


def _locate_lambda(module: _Module, loss: LossRef, parts: list[str]) -> tuple[list[ast.stmt], ast.expr, str]:
    line = _lambda_line(parts[-1])
    if len(parts) > 1:
        root = _binding(module, parts[0], ("def",))
        if root is None:
            raise ExtractionError(f"cannot find the factory `{parts[0]}`")
        call = _factory_call(module, loss, parts[0], root)
        return [root], call, "function"
    lam = _lambda_at(module.tree, line)
    if lam is None:
        raise ExtractionError(f"cannot find the lambda on line {line}")
    return [], lam, "function"


def _lambda_line(part: str) -> int:
    try:
        return int(part.split("@", 1)[1])
    except (IndexError, ValueError):
        raise ExtractionError(f"cannot read the lambda's line from `{part}`") from None


def _lambda_at(tree: ast.AST, line: int) -> ast.Lambda | None:
    candidates = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and getattr(n, "lineno", None) == line]
    candidates.sort(key=lambda n: n.col_offset)
    two = [n for n in candidates if len(n.args.posonlyargs + n.args.args) >= 2]
    found = two or candidates
    return found[0] if found else None


def _factory_call(module: _Module, loss: LossRef, name: str, root: ast.stmt) -> ast.expr:
    """The call that built the loss, with arguments the probe program can evaluate.

    The finding's ``factory_call`` or a call found in the file; an argument that is a local
    name is bound to the literal the file gives it (``alpha = 0.25`` in the calling function,
    ``for i in range(1, 5)`` around the call), else dropped for the parameter's default. A
    factory never called runs with its defaults; without one, the error names the parameter.
    """
    assert isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef))
    parsed, site = _call_and_site(module, loss, name, root)
    if parsed is not None and not isinstance(parsed, ast.Call):
        return parsed
    call = parsed or site
    if call is None:
        missing = _required(root, set())
        if not missing:
            return ast.Call(ast.Name(name, ast.Load()), [], [])
        bound = _per_call_binding(root, name, missing, loss.line)
        if bound is not None:
            return bound
        raise ExtractionError(f"`{loss.qualname}` is built by `{name}(...)`, which this file never calls; "
                              f"parameter `{missing[0]}` has no default")
    return _bound_call(module, root, call, site, loss.line)


def _call_and_site(module: _Module, loss: LossRef, name: str,
                   root: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[ast.expr | None, ast.Call | None]:
    """(the finding's factory call, parsed; the file's call of ``name`` that matches it, or its
    first call): either may be None."""
    call: ast.expr | None = None
    if loss.factory_call:
        try:
            call = parse(loss.factory_call).body[0].value  # type: ignore[attr-defined]
        except (SyntaxError, IndexError, AttributeError):
            raise ExtractionError(f"cannot parse the factory call `{loss.factory_call}`") from None
    found = [n for n in ast.walk(module.tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == name and not _inside(root, n)]
    site = next((n for n in found if call is None or ast.dump(n) == ast.dump(call)), found[0] if found else None)
    return call, site


#: what a never-called factory's required parameters are bound to, by how the loss uses them
LABELS_LIKE, NEUTRAL = "__tfs_t", 0.5
MASK_HELPER = "__tfs_mask__"
BATCH_HELPER = "__tfs_batch__"
EYE_HELPER = "__tfs_eye__"
RECORD_HELPER = "__tfs_record__"
ABSENT_HELPER = "__tfs_absent__"
BASE_HELPER = "__tfs_base__"
SENTINEL_HELPER = "__tfs_sentinel__"
SERIES_HELPER = "__tfs_series__"
#: the number a missing module's constant that the file only compares values with runs as: no
#: probe input holds it unless a probe puts it there on purpose (a sample made entirely of it)
SENTINEL_VALUE = -9999.0
#: the list a never-instantiated class's list parameter gets (the probe's default width: 3 columns)
CONSTRUCTOR_LIST = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class ParamBinding:
    """How a parameter the file never passes is bound in the probe: ``kind`` is ``labels``
    (the labels' own tensor), ``number`` (``value``), ``mask`` (a tensor shaped like the labels
    without their last axis, every entry ``value``: a mask that keeps every position), ``size``
    (a dimension), ``matrix`` (the identity as wide as the labels' last axis: an operand of
    ``matmul``/``dot`` that projects the outputs, such as a lead field or an embedding matrix),
    ``count`` (an int used as an index or slice bound: 1, which any axis of the probe's inputs
    holds), ``classes`` (the depth of a ``one_hot``, a ``num_classes=``: the probe's default
    number of classes), ``sequence`` (a list of numbers the loss iterates, counts or sums: ``value``
    repeated once per class, as per-class counts or weights are) or ``series`` (a coordinate the
    code reads as pandas/xarray, ``np.cos(np.deg2rad(lat)).values``: one entry ``value`` in an
    array with a ``values`` attribute, which broadcasts over whichever axis it weights)."""

    kind: str
    value: float = NEUTRAL
    #: ``branch``: the literal the factory compares the parameter with to build the flagged loss
    literal: str | int | float | None = None

    def expr(self) -> ast.expr:
        if self.kind in ("branch", "selector", "key"):
            return ast.Constant(self.literal)
        if self.kind in ("size", "count", "classes"):
            return ast.Constant(int(self.value))
        if self.kind == "sequence":  # [value] * labels.shape[-1]
            width = ast.Call(ast.Name("int", ast.Load()), [ast.Subscript(
                ast.Attribute(ast.Name(LABELS_LIKE, ast.Load()), "shape", ast.Load()),
                ast.UnaryOp(ast.USub(), ast.Constant(1)), ast.Load())], [])
            return ast.BinOp(ast.List([ast.Constant(self.value)], ast.Load()), ast.Mult(), width)
        if self.kind == "labels":
            return ast.Name(LABELS_LIKE, ast.Load())
        if self.kind == "matrix":
            return ast.Call(ast.Name(EYE_HELPER, ast.Load()), [ast.Name(LABELS_LIKE, ast.Load())], [])
        if self.kind == "record":
            return ast.Call(ast.Name(RECORD_HELPER, ast.Load()), [], [])
        if self.kind == "series":
            return ast.Call(ast.Name(SERIES_HELPER, ast.Load()), [ast.Constant(self.value)], [])
        if self.kind == "absent":
            return ast.Call(ast.Name(ABSENT_HELPER, ast.Load()), [], [])
        if self.kind == "none":
            return ast.Constant(None)
        if self.kind == "mask":
            return ast.Call(ast.Name(MASK_HELPER, ast.Load()), [ast.Name(LABELS_LIKE, ast.Load()),
                                                                ast.Constant(self.value)], [])
        return ast.Constant(self.value)

    def constructor_expr(self) -> ast.expr:
        """The value passed to a constructor, before the probe's inputs exist: a list has the
        probe's default width (3 columns)."""
        if self.kind == "sequence":
            return ast.List([ast.Constant(v) for v in CONSTRUCTOR_LIST], ast.Load())
        return self.expr()

    def constructor_shown(self, param: str) -> str:
        """:meth:`shown` for the value :meth:`constructor_expr` passes."""
        if self.kind == "sequence":
            return f"`{param}` = {list(CONSTRUCTOR_LIST)} (a list its methods iterate)"
        return self.shown(param)

    def shown(self, param: str) -> str:
        if self.kind == "branch":
            return f"`{param}` = {self.literal!r} (the branch that defines the flagged loss)"
        if self.kind == "key":
            return f"`{param}` = {self.literal!r} (the first key of the module-level dict the code indexes with it)"
        if self.kind == "selector":
            return f"`{param}` = {self.literal!r} (the first value the code compares it with)"
        if self.kind == "labels":
            return f"`{param}` = y_true"
        if self.kind == "mask":
            return f"`{param}` = a mask of {self.value:g}s shaped like y_true without its last axis"
        if self.kind == "size":
            return f"`{param}` = {int(self.value)} (a size, as wide as the probe's spatial inputs)"
        if self.kind == "count":
            return f"`{param}` = {int(self.value)} (an index or slice bound)"
        if self.kind == "classes":
            return f"`{param}` = {int(self.value)} (a class count, as many as the probe's default classes)"
        if self.kind == "sequence":
            return f"`{param}` = [{self.value:g}] per class (a list the loss iterates or counts)"
        if self.kind == "matrix":
            return f"`{param}` = the identity matrix as wide as y_true's last axis (a matmul operand)"
        if self.kind == "record":
            return f"`{param}` = a record whose every setting is {NEUTRAL:g} (the code only reads named settings of it)"
        if self.kind == "absent":
            return f"`{param}` = a do-nothing stand-in (the code only calls it for its effect, as `{param}.compile(...)`)"
        if self.kind == "none":
            return f"`{param}` = None (an optional object the code only uses under `if {param}:`)"
        if self.kind == "series":
            return (f"`{param}` = [{self.value:g}], one entry that reads as a pandas/xarray value (the code takes "
                    f"`.values` of it), which broadcasts over the axis it is indexed into")
        return f"`{param}` = {self.value:g}"


#: the first key of each module-level dict literal of the file indexed last (``NUM_SAMPLES =
#: {'DRIVE': [...]}``): a parameter only used as a key into one is bound to it
_DICT_KEYS: contextvars.ContextVar[dict[str, object]] = contextvars.ContextVar("dict_keys", default={})


def _module_dict_keys(tree: ast.Module) -> dict[str, object]:
    out: dict[str, object] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Dict) and stmt.value.keys \
                and isinstance(stmt.value.keys[0], ast.Constant):
            out[stmt.targets[0].id] = stmt.value.keys[0].value
    return out


def _dict_key(uses: NameSites, param: str) -> object | None:
    """The key ``param`` stands for when its every use indexes one module-level dict literal
    (``classes_num = NUM_SAMPLES[dataset]``): that dict's first key; None otherwise."""
    keys = _DICT_KEYS.get()
    sites = uses.loads.get(param, [])
    owners = {parent.value.id for _, parent, _ in sites
              if isinstance(parent, ast.Subscript) and isinstance(parent.value, ast.Name)}
    if not sites or len(owners) != 1 or not all(isinstance(parent, ast.Subscript) for _, parent, _ in sites):
        return None
    owner = owners.pop()
    return keys.get(owner)


def param_bindings(root: ast.FunctionDef | ast.AsyncFunctionDef,
                   missing: list[str], target_line: int = 0) -> dict[str, ParamBinding] | None:
    """The binding of each required parameter of a factory the file never calls: a parameter the
    loss uses like a tensor (reduced over axes, indexed) is the labels' own tensor (same shape
    as the samples, e.g. the input image a pixel-wise loss weights by); one named like a mask
    (``mask``, ``seq_mask``) a mask that keeps every position (ones, or the value the loss
    selects with ``equal(mask, 2)``): the neutral number would switch the whole loss off; one
    used as a dimension (an element of a ``reshape`` target, a ``range``/``arange``/``zeros``
    bound) the size of the probe's spatial axes (``realfiles.MIDDLE``), so ``reshape(y, [w, h])``
    fits the rank-3/4 inputs the probe tries; one multiplied as a matrix (``matmul``, ``dot``,
    ``@``) the identity as wide as the labels' last axis, which leaves the projected values as they
    are (a number there raises, and so would any other shape); any other the neutral number 0.5. None when a
    parameter is used in a way none fits (a whole shape, ``len``/``shape`` of it, a callable).
    A parameter that selects which loss the factory builds (``if loss_type == 'cross_entropy':``
    around the flagged loss's ``def`` on ``target_line``) gets the literal of that branch."""
    out: dict[str, ParamBinding] = {}
    uses = name_sites(root)
    for param in missing:
        selected = _branch_literal(root, param, target_line)
        if selected is not None:
            out[param] = ParamBinding("branch", literal=selected)
            continue
        chosen = _selector_literal(uses, param) if not _in_else_of_test(root, param, target_line) else None
        if chosen is not None:
            out[param] = ParamBinding("selector", literal=chosen)
            continue
        key = _dict_key(uses, param)
        if isinstance(key, (str, int, float)):
            out[param] = ParamBinding("key", literal=key)
            continue
        if read_as_record(uses, param):
            out[param] = ParamBinding("record")
            continue
        returned = sum(1 for _, parent, _ in uses.loads.get(param, []) if isinstance(parent, ast.Return))
        if uses.effect.get(param, 0) and uses.effect.get(param, 0) + returned == uses.count.get(param, 0):
            # ``model.compile(loss=[...])`` (then ``return model``) in the factory that defines
            # the losses: only called for its effect, which the probe does not need
            out[param] = ParamBinding("absent")
            continue
        if _optional_object(root, param, uses):
            out[param] = ParamBinding("none")
            continue
        kind = _param_use(root, param)
        if kind == "":
            return None
        if kind == "size":
            out[param] = ParamBinding("size", float(MIDDLE))
        elif kind == "count":
            out[param] = ParamBinding("count", float(_count_floor(root, param)))
        elif kind == "classes":
            out[param] = ParamBinding("classes", float(len(CONSTRUCTOR_LIST)))
        elif kind == "sequence":
            out[param] = ParamBinding("sequence", 1.0)
        elif kind == "matrix":
            out[param] = ParamBinding("matrix")
        elif kind == "series":
            out[param] = ParamBinding("series")
        elif _mask_like(param):
            out[param] = ParamBinding("mask", _selected_value(root, param))
        else:
            out[param] = ParamBinding("labels" if kind == "tensor" else "number")
    return out


def _optional_object(root: ast.AST, param: str, uses: NameSites) -> bool:
    """A parameter the factory only tests (``if scaler:``, ``if scaler is not None:``) and uses
    inside what that test guards (``scaler.inverse_transform(preds)``): an optional object the
    loss works without. It is bound to None, so the probe runs the loss as it is without one; a
    number would pass the test and then fail as the object it is not."""
    guarded: list[ast.If] = []
    tests: set[int] = set()
    for node in ast.walk(root):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot) \
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
            test = test.left
        if isinstance(test, ast.Name) and test.id == param:
            guarded.append(node)
            tests.add(id(test))
    if not guarded:
        return False
    inside = {id(n) for node in guarded for stmt in node.body for n in ast.walk(stmt)}
    loads = uses.loads.get(param, [])
    return bool(loads) and all(id(n) in tests or id(n) in inside for n, _, _ in loads)


def _branch_literal(root: ast.AST, param: str, line: int) -> str | int | float | None:
    """The literal of ``if param == <literal>:`` (or ``param in (<literal>, ...)``) whose body
    holds ``line``; None when no such test guards it."""
    if not line:
        return None
    for node in ast.walk(root):
        if not isinstance(node, ast.If) or not node.body:
            continue
        if not node.body[0].lineno <= line <= (node.body[-1].end_lineno or node.body[-1].lineno):
            continue
        test = node.test
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            continue
        left, right = test.left, test.comparators[0]
        if isinstance(test.ops[0], ast.Eq):
            for name, value in ((left, right), (right, left)):
                if isinstance(name, ast.Name) and name.id == param and isinstance(value, ast.Constant) \
                        and isinstance(value.value, (str, int, float)) and not isinstance(value.value, bool):
                    return value.value
        if isinstance(test.ops[0], ast.In) and isinstance(left, ast.Name) and left.id == param \
                and isinstance(right, (ast.Tuple, ast.List, ast.Set)) and right.elts:
            first = right.elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, (str, int, float)):
                return first.value
    return None


def _in_else_of_test(root: ast.AST, param: str, line: int) -> bool:
    """Whether ``line`` lies in the ``else`` of an ``if`` that tests ``param``: a value that
    fails every test (the neutral number) is what reaches it, not the first literal."""
    if not line:
        return False
    for node in ast.walk(root):
        if isinstance(node, ast.If) and node.orelse and any(
                isinstance(n, ast.Name) and n.id == param for n in ast.walk(node.test)):
            first, last = node.orelse[0], node.orelse[-1]
            if first.lineno <= line <= (last.end_lineno or last.lineno):
                return True
    return False


def _selector_literal(uses: NameSites, param: str) -> str | None:
    """The first string ``param`` is compared with, when the code only ever compares it with
    strings (``if self.kind == 'discrete': ... elif self.kind == 'continuous':``): a selector
    of what to compute, which the neutral number would send down no branch at all."""
    first: str | None = None
    first_at = (0, 0)
    for node, test, _ in uses.loads.get(param, []):
        if isinstance(test, ast.Assign) and (test.value is node or any(t is node for t in test.targets)):
            continue  # ``self.kind = kind``: stored for the methods that compare it
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1
                and isinstance(test.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn))):
            return None
        other = test.comparators[0] if test.left is node else test.left
        options = other.elts if isinstance(other, (ast.Tuple, ast.List, ast.Set)) else [other]
        if not options or not all(isinstance(o, ast.Constant) and isinstance(o.value, str) for o in options):
            return None
        literal = options[0]
        assert isinstance(literal, ast.Constant)
        if first is None or (node.lineno, node.col_offset) < first_at:
            first, first_at = str(literal.value), (node.lineno, node.col_offset)
    return first


def _mask_like(param: str) -> bool:
    """``mask``, ``masks``, ``loss_mask``: a tensor of which positions count (not ``mask_value``)."""
    return param.lower().split("_")[-1] in ("mask", "masks")


def _selected_value(root: ast.AST, param: str) -> float:
    """The number the loss compares ``param`` with to select positions (``equal(mask, 2)``,
    ``mask == 2``), else 1."""
    def number(node: ast.expr) -> float | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        return None

    def is_param(node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id == param

    for node in ast.walk(root):
        if isinstance(node, ast.Call) and _last_attr(node.func) == "equal" and len(node.args) >= 2:
            a, b = node.args[0], node.args[1]
            found = number(b) if is_param(a) else number(a) if is_param(b) else None
            if found is not None:
                return found
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            a, b = node.left, node.comparators[0]
            found = number(b) if is_param(a) else number(a) if is_param(b) else None
            if found is not None:
                return found
    return 1.0


def _keyword_only_missing(root: ast.stmt) -> list[str]:
    """A loss function's keyword-only parameters without default (``def loss(y_true, y_pred, *,
    theta):``, the settings a ``LossFunctionWrapper`` subclass passes): Keras's two arguments
    leave them unbound."""
    if not isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    return [a.arg for a, d in zip(root.args.kwonlyargs, root.args.kw_defaults) if d is None]


def _keyword_only_bindings(root: ast.stmt | None, target_line: int) -> dict[str, ParamBinding]:
    """How a loss function's keyword-only parameters without default are bound (empty when it
    has none, or one cannot be bound)."""
    missing = _keyword_only_missing(root) if root is not None else []
    return (param_bindings(root, missing, target_line) or {}) if missing else {}  # type: ignore[arg-type]


def _with_keyword_only(root: ast.stmt, name: str, target_line: int) -> ast.expr:
    """``name``, or ``functools.partial(name, theta=0.5, ...)`` binding its keyword-only
    parameters without default as :func:`param_bindings` says (the loss's own call passes none)."""
    bindings = _keyword_only_bindings(root, target_line)
    if not bindings:
        return ast.Name(name, ast.Load())
    partial = ast.Attribute(ast.Call(ast.Name("__import__", ast.Load()), [ast.Constant("functools")], []),
                            "partial", ast.Load())
    return ast.Call(partial, [ast.Name(name, ast.Load())],
                    [ast.keyword(param, binding.expr()) for param, binding in bindings.items()])


def _per_call_binding(root: ast.FunctionDef | ast.AsyncFunctionDef, name: str, missing: list[str],
                      target_line: int = 0) -> ast.expr | None:
    """``lambda t, p: factory(t, 0.5)(t, p)`` for a factory the file never calls, each required
    parameter bound as :func:`param_bindings` says; None when one cannot be bound."""
    bindings = param_bindings(root, missing, target_line)
    if bindings is None:
        return None
    keywords = [ast.keyword(param, binding.expr()) for param, binding in bindings.items()]
    inner = ast.Call(ast.Call(ast.Name(name, ast.Load()), [], keywords),
                     [ast.Name(LABELS_LIKE, ast.Load()), ast.Name("__tfs_p", ast.Load())], [])
    return ast.Lambda(_lambda_args(LABELS_LIKE, "__tfs_p"), inner)


def _lambda_args(*names: str) -> ast.arguments:
    return ast.arguments([], [ast.arg(n) for n in names], None, [], [], None, [])


#: calls whose argument is a dimension size: a parameter passed to one is a size
_SIZE_CALLS = ("range", "arange", "zeros", "ones", "int")
#: keywords whose value is a number of classes (``tf.one_hot(y, depth=n)``)
_CLASS_KEYWORDS = frozenset({"depth", "num_classes", "n_classes", "nb_classes"})
#: calls that multiply their first two arguments as matrices
_MATRIX_CALLS = ("matmul", "dot", "tensordot", "batch_dot")


def _param_use(root: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> str:
    """``tensor`` (reduced with an axis, subscripted), ``size`` (a dimension: an element of a
    ``reshape`` target, a ``range``/``arange``/``zeros`` bound), ``matrix`` (an operand of a
    matrix product and nothing else that says more), ``number`` (only in arithmetic) or ""
    (a whole shape, ``len``/``shape`` of it, a callable: nothing to guess)."""
    kind = "number"
    sized = matrix = classes = False
    indexes = _used_as_index(root, param)
    for node in ast.walk(root):
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.iter, ast.Name) and node.iter.id == param:
            kind = "sequence" if kind in ("number", "sequence") else ""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) and any(
                isinstance(side, ast.Name) and side.id == param for side in (node.left, node.right)):
            matrix = True
        if isinstance(node, ast.Call):
            first = node.args[0] if node.args else None
            if isinstance(node.func, ast.Name) and node.func.id == param:
                return ""
            if isinstance(first, ast.Name) and first.id == param and any(k.arg in ("axis", "axes") for k in node.keywords):
                kind = "tensor"
            elif any(_is_param_or_offset(a, param) for a in list(node.args) + [k.value for k in node.keywords]):
                callee = call_name(node)
                named = {k.arg for k in node.keywords if isinstance(k.value, ast.Name) and k.value.id == param}
                if callee == "one_hot" and (len(node.args) > 1 and isinstance(node.args[1], ast.Name)
                                            and node.args[1].id == param) or named & _CLASS_KEYWORDS:
                    classes = True
                elif any(k and (k == "index" or k.endswith("_index")) for k in named):
                    indexes = True  # ``blank_index=param``: one position of an axis
                elif callee in _SEQUENCE_CALLS and kind in ("number", "sequence"):
                    kind = "sequence"
                elif callee in _SIZE_CALLS:
                    sized = True
                elif callee in _MATRIX_CALLS and any(isinstance(a, ast.Name) and a.id == param for a in node.args[:2]):
                    matrix = True
                elif callee in ("reshape", "cartesian") or callee.endswith("shape"):
                    return ""
            elif _last_attr(node.func) in ("zeros", "ones") and isinstance(first, (ast.List, ast.Tuple)) \
                    and any(_is_param_or_offset(e, param) for e in first.elts):
                sized = True  # ``tf.ones((1, num_tasks))``: one dimension of a shape
            elif _last_attr(node.func) == "reshape" or (isinstance(node.func, ast.Name) and node.func.id == "reshape"):
                if any(isinstance(a, (ast.List, ast.Tuple)) and any(isinstance(e, ast.Name) and e.id == param
                                                                    for e in a.elts) for a in node.args[1:]):
                    sized = True
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == param:
            kind = "tensor"
        if isinstance(node, ast.Attribute) and node.attr == "values" and _numpy_of(node.value, param):
            return "series"  # ``np.cos(np.deg2rad(lat)).values``: an xarray/pandas coordinate
    if sized:
        return "size" if kind == "number" and not matrix else ""
    if classes and kind == "number" and not matrix:
        return "classes"
    if indexes and kind == "number" and not matrix:
        return "count"
    return "matrix" if matrix and kind == "number" else kind


def _numpy_of(expr: ast.expr, param: str) -> bool:
    """``param`` itself or numpy functions of it alone (``np.cos(np.deg2rad(param))``)."""
    while isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords \
            and (ast_dotted(expr.func) or "").split(".", 1)[0] in ("np", "numpy"):
        expr = expr.args[0]
    return isinstance(expr, ast.Name) and expr.id == param


def _is_param_or_offset(expr: ast.expr, param: str) -> bool:
    """``param`` itself, or ``param - 1`` / ``param + 1`` (``tf.ones(num_classes - 1)``: the same
    use of the parameter, one off)."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)) \
            and isinstance(expr.right, ast.Constant) and type(expr.right.value) is int:
        expr = expr.left
    return isinstance(expr, ast.Name) and expr.id == param


#: attributes of a tensor or an array: a parameter read through them is no record of settings
_TENSOR_ATTRIBUTES = frozenset({"shape", "dtype", "ndim", "rank", "T", "numpy", "get_shape", "size", "device",
                                "name", "values", "indices"})


@dataclass
class NameSites:
    """Every use of every name under one root, collected in one walk (the questions below are
    asked for each imported name or parameter; a walk per name made them quadratic)."""

    #: each ``Name`` read: the node, its parent and its grandparent
    loads: dict[str, list[tuple[ast.Name, ast.AST | None, ast.AST | None]]] = field(default_factory=dict)
    #: how many ``Name`` nodes of each name there are, in any context
    count: dict[str, int] = field(default_factory=dict)
    #: how many of them head a statement that only calls (``logger.debug(...)``) or a ``with``
    #: item that binds nothing (``with utils.device:``, ``with timer("loss"):``)
    effect: dict[str, int] = field(default_factory=dict)
    #: how many of them head a decorator (``@typechecked``, ``@gin.configurable``, ``@export("x")``)
    decorating: dict[str, int] = field(default_factory=dict)
    #: the variables each name builds an object into (``checker = ShapeChecker()``, one name
    #: assigned the call of another)
    built: dict[str, list[str]] = field(default_factory=dict)
    #: how many of each name's nodes are assignment targets
    stores: dict[str, int] = field(default_factory=dict)
    #: how many of them head a base of a class statement (``class VAE(ModelBase):``)
    bases: dict[str, int] = field(default_factory=dict)


def name_sites(root: ast.AST) -> NameSites:
    uses = NameSites()
    parents = {id(child): node for node in ast.walk(root) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(root):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                head = _head_name(base)
                if head is not None:
                    uses.bases[head.id] = uses.bases.get(head.id, 0) + 1
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                head = _head_name(decorator.func if isinstance(decorator, ast.Call) else decorator)
                if head is not None:
                    uses.decorating[head.id] = uses.decorating.get(head.id, 0) + 1
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            head = _head_name(node.value.func)
            if head is not None:
                uses.effect[head.id] = uses.effect.get(head.id, 0) + 1
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                context = item.context_expr
                head = _head_name(context.func if isinstance(context, ast.Call) else context)
                if item.optional_vars is None and head is not None:
                    uses.effect[head.id] = uses.effect.get(head.id, 0) + 1
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Call):
            head = _head_name(node.value.func)
            if head is not None:
                uses.built.setdefault(head.id, []).append(node.targets[0].id)
        if isinstance(node, ast.Name):
            uses.count[node.id] = uses.count.get(node.id, 0) + 1
            if isinstance(node.ctx, ast.Store):
                uses.stores[node.id] = uses.stores.get(node.id, 0) + 1
            if isinstance(node.ctx, ast.Load):
                parent = parents.get(id(node))
                grand = parents.get(id(parent)) if parent is not None else None
                uses.loads.setdefault(node.id, []).append((node, parent, grand))
    return uses


def _head_name(expr: ast.expr) -> ast.Name | None:
    """The name an attribute chain starts from (``gin`` of ``gin.external.configurable``)."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr if isinstance(expr, ast.Name) else None


def read_as_record(uses: NameSites, name: str) -> bool:
    """Whether every use of ``name`` reads one named setting of it (``hp['alpha']``,
    ``config.margin``; never called, iterated or used whole), and there is one: a dict or a config
    object of settings, which a record answering every setting with the neutral number stands
    in for (a number or a tensor would raise on the first read)."""
    found = uses.loads.get(name, [])
    reads = 0
    for node, parent, user in found:
        if _truth_test(node, parent, user):
            continue  # ``if not weights: weights = {...}``: a record is true, so it is kept
        reads += 1
        if isinstance(parent, ast.Subscript) and parent.value is node:
            if not (isinstance(parent.slice, ast.Constant) and isinstance(parent.slice.value, str)):
                return False
        elif isinstance(parent, ast.Attribute) and parent.value is node and isinstance(parent.ctx, ast.Load):
            if parent.attr in _TENSOR_ATTRIBUTES:
                return False
        else:
            return False
        # the setting is used as a value: not called, nor a namespace (``tfp.distributions.Normal``)
        if isinstance(user, ast.Call) and user.func is parent \
                or isinstance(user, (ast.Attribute, ast.Subscript)) and user.value is parent:
            return False
    return reads > 0


def _truth_test(node: ast.Name, parent: ast.AST | None, user: ast.AST | None) -> bool:
    """``node`` is only tested: ``if x:``, ``if not x:``, ``x is None``, ``x is not None``."""
    if isinstance(parent, (ast.If, ast.IfExp, ast.While)) and parent.test is node:
        return True
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
        return isinstance(user, (ast.If, ast.IfExp, ast.While)) and user.test is parent
    return isinstance(parent, ast.Compare) and parent.left is node and len(parent.ops) == 1 \
        and isinstance(parent.ops[0], (ast.Is, ast.IsNot)) \
        and isinstance(parent.comparators[0], ast.Constant) and parent.comparators[0].value is None


#: calls whose argument is a sequence the loss walks or counts
_SEQUENCE_CALLS = ("len", "sum", "enumerate", "zip", "sorted", "list", "tuple")


def _count_floor(root: ast.AST, param: str) -> int:
    """The smallest count that leaves every ``param - k`` the code computes at least 1
    (``y[:, 1:n]`` with ``y[:, 0:n - 1]``: 2, so neither slice is empty); 1 otherwise."""
    floor = 1
    for node in ast.walk(root):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and isinstance(node.left, ast.Name) \
                and node.left.id == param and isinstance(node.right, ast.Constant) \
                and isinstance(node.right.value, int) and 0 < node.right.value < 8:
            floor = max(floor, node.right.value + 1)
    return floor


#: calls whose list arguments are per-axis bounds or counts (``tf.slice(x, begin, size)``,
#: ``tf.tile(x, multiples)``)
_BOUND_LIST_CALLS = frozenset({"slice", "tile"})


def _used_as_index(root: ast.AST, param: str) -> bool:
    """Whether ``param`` is an index or a slice bound of some subscript (``y[:, 0:n]``, ``y[n]``),
    or an element of the begin/size lists of ``tf.slice`` or the multiples of ``tf.tile``."""
    for node in ast.walk(root):
        if isinstance(node, ast.Call) and _last_attr(node.func) in _BOUND_LIST_CALLS:
            if any(_names_param(e, param) for a in node.args[1:] if isinstance(a, (ast.List, ast.Tuple))
                   for e in a.elts):
                return True
            continue
        if not isinstance(node, ast.Subscript):
            continue
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for part in parts:
            bounds = [part.lower, part.upper, part.step] if isinstance(part, ast.Slice) else [part]
            if any(b is not None and _names_param(b, param) for b in bounds):
                return True  # y[n], y[:, -n:], y[:, 2*n], y[:, -c * b:]
    return False


def _names_param(node: ast.AST, param: str) -> bool:
    """``n``, ``-n``, ``n + 1``, ``2 * n``, ``-c * n``: arithmetic on ``param`` as a bound."""
    if isinstance(node, ast.UnaryOp):
        return _names_param(node.operand, param)
    if isinstance(node, ast.BinOp):
        return _names_param(node.left, param) or _names_param(node.right, param)
    return isinstance(node, ast.Name) and node.id == param


def per_call_bindings(source: str, loss: LossRef) -> dict[str, ParamBinding]:
    """How a never-called factory's required parameters were bound (empty if they were not)."""
    return _per_call(source, loss)[0]


def _per_call(source: str, loss: LossRef) -> tuple[dict[str, ParamBinding], bool]:
    """(the bindings of :func:`per_call_bindings`, whether the finding or the file gives a call
    of the factory: its run-time arguments were bound, not its missing call)."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError):
        return {}, False
    parts = loss.qualname.split(".")
    if len(parts) == 1:
        return _keyword_only_bindings(_binding(_index(source, tree), parts[0], ("def",)), loss.line), False
    if len(parts) < 2:
        return {}, False
    module = _index(source, tree)
    root = _binding(module, parts[0], ("def",))
    if not isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {}, False
    try:
        call, site = _call_and_site(module, loss, parts[0], root)
    except ExtractionError:
        return {}, False
    call = call or site
    if call is not None and not isinstance(call, ast.Call):
        return {}, True
    missing = _required(root, set()) if call is None else _bindable_args(module, root, call, site)[2]
    return ((param_bindings(root, missing, loss.line) or {}) if missing else {}), call is not None


def per_call_note(source: str, loss: LossRef) -> str:
    """How a never-called factory's required parameters were bound, in words ("" if they were not)."""
    bindings, called = _per_call(source, loss)
    if not bindings:
        return ""
    shown = ", ".join(binding.shown(param) for param, binding in bindings.items())
    factory = loss.qualname.split('.')[0]
    if "." not in loss.qualname:
        return f"nothing in the file passes `{factory}`'s keyword-only parameters; they were bound as {shown}"
    if called:
        return f"the file's call of `{factory}` passes values it computes at run time; they were bound as {shown}"
    return f"the file never calls `{factory}`; its parameters without default were bound as {shown}"


def _required(root: ast.FunctionDef | ast.AsyncFunctionDef, given: set[str]) -> list[str]:
    args = root.args
    positional = args.posonlyargs + args.args
    first_default = len(positional) - len(args.defaults)
    needed = [a.arg for i, a in enumerate(positional) if i < first_default]
    needed += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    return [n for n in needed if n not in given]


def _bound_call(module: _Module, root: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call,
                site: ast.Call | None, target_line: int = 0) -> ast.Call:
    """``call`` with the arguments the probe can evaluate; a required parameter passed a value
    the file computes at run time (``make_loss(E_train)``) is bound as for a factory never
    called (see :func:`param_bindings`), or the error names it."""
    args, keywords, missing = _bindable_args(module, root, call, site)
    if missing:
        bound = param_bindings(root, missing, target_line)
        if bound is None:
            raise ExtractionError(f"the factory call `{_text(call)}` passes `{missing[0]}` from a value the "
                                  "file computes at run time, and the parameter has no default")
        keywords += [ast.keyword(param, binding.expr()) for param, binding in bound.items()]
    built = ast.Call(call.func, args, keywords)
    if not any(isinstance(n, ast.Name) and n.id == LABELS_LIKE for n in ast.walk(built)):
        return built
    # an argument made from the probe's labels: built per call, as a never-called factory is
    inner = ast.Call(built, [ast.Name(LABELS_LIKE, ast.Load()), ast.Name("__tfs_p", ast.Load())], [])
    return ast.Lambda(_lambda_args(LABELS_LIKE, "__tfs_p"), inner)  # type: ignore[return-value]


def _bindable_args(module: _Module, root: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call,
                   site: ast.Call | None) -> tuple[list[ast.expr], list[ast.keyword], list[str]]:
    """(positional arguments, keywords, required parameters left without a value): arguments
    after the first one the probe cannot evaluate are dropped for their defaults."""
    positional = [a.arg for a in root.args.posonlyargs + root.args.args]
    args: list[ast.expr] = []
    keywords: list[ast.keyword] = []
    given: set[str] = set()
    dropped = False
    for i, arg in enumerate(call.args):
        pname = positional[i] if i < len(positional) else f"argument {i + 1}"
        value = _bindable(module, arg, site)
        if value is None or dropped:
            dropped = True
            continue
        args.append(value)
        given.add(pname)
    for kw in call.keywords:
        value = _bindable(module, kw.value, site) if kw.arg else None
        if value is not None and kw.arg:
            keywords.append(ast.keyword(kw.arg, value))
            given.add(kw.arg)
    return args, keywords, _required(root, given)


def _bindable(module: _Module, arg: ast.expr, site: ast.Call | None) -> ast.expr | None:
    """``arg`` if the probe program can evaluate it, else the literal the file binds it to."""
    if _resolvable(module, arg):
        return arg
    if isinstance(arg, ast.Name) and site is not None:
        return _local_literal(module.tree, site, arg.id) or _local_input(module.tree, site, arg.id)
    return None


def _local_input(tree: ast.Module, site: ast.Call, name: str) -> ast.expr | None:
    """``advantage = Input(shape=(1,))`` where the file builds its model and calls the factory
    (a PPO loss closing over the model's extra inputs): a batch of that shape made from the
    probe's labels (entries that are not literal numbers take the labels' width)."""
    scopes = [s for s in ast.walk(tree) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and _inside(s, site)]
    if not scopes:
        return None
    innermost = max(scopes, key=lambda s: s.lineno)
    value = single_assignments(innermost, {name}).get(name)
    return _input_batch(value) if value is not None else None


def _local_literal(tree: ast.Module, site: ast.Call, name: str) -> ast.expr | None:
    """The literal ``name`` holds where ``site`` calls the factory (an assignment or a range loop)."""
    scopes = [s for s in ast.walk(tree) if isinstance(s, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef))
              and _inside(s, site)]
    scopes.sort(key=lambda s: (isinstance(s, ast.Module), -getattr(s, "lineno", 0)))  # innermost first
    for scope in scopes:
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets) \
                    and _literal(node.value):
                return node.value
            if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id == name \
                    and _inside(node, site):
                return _first_of(node.iter)
    return None


def _first_of(iterable: ast.expr) -> ast.expr | None:
    """The last value a literal loop gives its variable (the call with the most of the loss in use)."""
    if isinstance(iterable, (ast.List, ast.Tuple)) and iterable.elts and _literal(iterable.elts[-1]):
        return iterable.elts[-1]
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id == "range" \
            and iterable.args and all(_literal(a) for a in iterable.args):
        values = list(range(*[ast.literal_eval(a) for a in iterable.args]))
        return ast.Constant(values[-1]) if values else None
    return None


def _inside(outer: ast.AST, node: ast.AST) -> bool:
    return any(child is node for child in ast.walk(outer))


def _locate_method(module: _Module, loss: LossRef, parts: list[str],
                   root: ast.ClassDef) -> tuple[list[ast.stmt], ast.expr, str]:
    cls_name = parts[-2] if len(parts) >= 2 else parts[0]
    if len(parts) == 4 and parts[-1] in ("call", "__call__"):
        lifted_class = _self_contained_def(root, parts)
        if isinstance(lifted_class, ast.ClassDef):
            # ``class AdversarialLoss(Layer)`` defined in the method that builds the model,
            # reading nothing of it: the same class at module level
            return _locate_method(module, loss, parts[2:], lifted_class)
    if not any(isinstance(node, ast.ClassDef) and node.name == cls_name for node in ast.walk(root)):
        lifted = _self_contained_def(root, parts)
        if isinstance(lifted, ast.FunctionDef):
            # ``def loss(y_true, y_pred)`` inside ``Agent.loadModel`` that reads nothing of the
            # method (no ``self``, no local): the same function at module level
            return [lifted], ast.Name(lifted.name, ast.Load()), "function"
        factory = _self_free_factory(root, parts)
        if factory is not None:
            # ``def focal_loss(self, gamma=2, alpha=0.75): def focal_loss_fixed(y_true, y_pred):
            # ...; return focal_loss_fixed`` reading nothing of ``self``: a factory that happens to
            # be a method, built as the file calls it (``self.focal_loss(alpha=.25, gamma=2)``)
            called = _unbound_call(loss.factory_call)
            call = _factory_call(module, replace(loss, factory_call=called), factory.name, factory)
            return [_returning(factory, parts[-1])], call, "function"
        closure = _input_closure(root, parts)
        if closure is not None:
            # ``def custom_loss`` inside ``Agent.build_policy_network`` that reads the method's
            # ``advantages = Input(shape=[1])``: built per call with a batch of that shape
            return closure
        # ``def custom_loss`` inside the method ``Agent.build_policy_network``, handed to
        # compile there, reading more of it: only running that method (with the agent's whole
        # set-up) builds it
        raise ExtractionError(f"`{parts[-1]}` is defined inside the method `{'.'.join(parts[:-1])}`, "
                              "which builds it only when it runs (with its object's set-up)")
    cls = next((n for n in ast.walk(root) if isinstance(n, ast.ClassDef) and n.name == cls_name), root)
    unbound = _selfless_method(cls, parts)
    if unbound is not None:
        return [root], unbound, "function"
    instance = _instantiation(module, cls_name, root)
    if cls_name != parts[0]:
        instance = _qualify(instance, parts[:-1])
    set_up = set_up_methods(cls, parts[-1])
    if set_up:
        instance = ast.Call(ast.Name("__tfs_set_up__", ast.Load()),
                            [instance] + [ast.Constant(m) for m in set_up], [])
    if parts[-1] not in ("call", "__call__"):
        # a method named as a loss (``def loss(self, ytrue, ypred)``): the bound method of an
        # instance built as the file builds one, called like a function
        return [root], ast.Attribute(instance, parts[-1], ast.Load()), "function"
    if loss.context == "add_loss":
        # a Layer that hands Keras loss terms with add_loss: called on its inputs, what it
        # added is the loss (the worker's ``__tfs_added_losses__`` makes that a function)
        return [root], ast.Call(ast.Name("__tfs_added_losses__", ast.Load()), [instance], []), "function"
    # an object whose own __call__ is the loss (a plain callable class, or a Loss that overrides
    # __call__) is called like a function: what it returns is used as is
    return [root], instance, "loss_object" if parts[-1] == "call" else "function"


def _selfless_method(cls: ast.ClassDef, parts: list[str]) -> ast.expr | None:
    """``functools.partial(Agent.custom_loss, None)`` for a loss method of a top-level class that
    never reads its ``self`` (an agent's ``def ce_loss(self, y_true, y_pred)`` compiled as
    ``self.ce_loss``): the same function without building the object, whose constructor may
    need the project's environment or data (a gym environment's sizes)."""
    if len(parts) != 2 or parts[-1] in ("call", "__call__"):
        return None
    if _selfless(cls, parts[1]) is None:
        return None
    function = ast.Attribute(ast.Name(parts[0], ast.Load()), parts[1], ast.Load())
    partial = ast.Attribute(ast.Call(ast.Name("__import__", ast.Load()), [ast.Constant("functools")], []),
                            "partial", ast.Load())
    return ast.Call(partial, [function, ast.Constant(None)], [])


def _input_closure(cls: ast.ClassDef, parts: list[str]) -> tuple[list[ast.stmt], ast.expr, str] | None:
    """The function ``Class.method.name`` when the only names of the method it reads are the
    method's model inputs (``advantages = Input(shape=[1])``, a REINFORCE loss) and literals:
    a factory of those inputs, called per probe call with batches of their shapes made from the
    probe's labels (as a factory closing over a model input is)."""
    found = _nested_def(cls, parts) if len(parts) == 3 else None
    if found is None:
        return None
    method, inner = found
    params, local = _method_bindings(method, inner)
    needed = free_names(inner) & (params | local)
    if not needed or needed & params or any(isinstance(n, (ast.Nonlocal, ast.Global)) for n in ast.walk(inner)):
        return None
    values = single_assignments(method, needed)
    inputs: list[ast.keyword] = []
    literals: list[ast.stmt] = []
    for name in sorted(needed):
        value = values.get(name)
        batch = _input_batch(value) if value is not None else None
        if batch is not None:
            inputs.append(ast.keyword(name, batch))
        elif value is not None and _literal(value):
            literals.append(ast.Assign([ast.Name(name, ast.Store())], copy.deepcopy(value), lineno=0))
        else:
            return None
    if not inputs:
        return None
    factory = f"__tfs_closure_{inner.name}"
    built = ast.FunctionDef(factory, _lambda_args(*(k.arg or "" for k in inputs)),
                            [*literals, copy.deepcopy(inner), ast.Return(ast.Name(inner.name, ast.Load()))], [],
                            lineno=inner.lineno)
    call = ast.Call(ast.Call(ast.Name(factory, ast.Load()), [], inputs),
                    [ast.Name(LABELS_LIKE, ast.Load()), ast.Name("__tfs_p", ast.Load())], [])
    return [ast.fix_missing_locations(built)], ast.Lambda(_lambda_args(LABELS_LIKE, "__tfs_p"), call), "function"


def _input_batch(value: ast.expr) -> ast.expr | None:
    """For ``Input(shape=(1,))`` (or ``shape=[1]``): a batch of that shape made from the probe's
    labels (entries that are not literal numbers take the labels' width); None otherwise."""
    if not isinstance(value, ast.Call) or call_name(value) != "Input":
        return None
    shape = next((k.value for k in value.keywords if k.arg == "shape"), value.args[0] if value.args else None)
    if not isinstance(shape, (ast.Tuple, ast.List)) or not shape.elts:
        return None
    dims: list[ast.expr] = [e if isinstance(e, ast.Constant) and isinstance(e.value, int) else ast.Constant(None)
                            for e in shape.elts]
    return ast.Call(ast.Name(BATCH_HELPER, ast.Load()), [ast.Name(LABELS_LIKE, ast.Load()), ast.Tuple(dims, ast.Load())], [])


def _self_contained_def(cls: ast.ClassDef, parts: list[str]) -> ast.FunctionDef | ast.ClassDef | None:
    """The function ``Class.method.name`` (or the class ``Class.method.Name`` whose ``call`` is
    the loss) when it reads no name the method binds (its parameters, ``self`` included, and its
    locals): it then means the same at module level. The class may sit under an ``if`` of the
    method (``if self.config.ADVERSARIAL: class AdversarialLoss(Layer): ...``)."""
    found = _nested_def(cls, parts) if len(parts) in (3, 4) else None
    if found is None:
        return None
    method, inner = found
    params, local = _method_bindings(method, inner)
    method_names = params | local | {s.name for s in _walk_blocks(method.body)
                                     if isinstance(s, (ast.FunctionDef, ast.ClassDef)) and s is not inner}
    if free_names(inner) & method_names or any(isinstance(n, (ast.Nonlocal, ast.Global)) for n in ast.walk(inner)):
        return None
    return copy.deepcopy(inner)


def _nested_def(cls: ast.ClassDef, parts: list[str]) -> tuple[ast.FunctionDef, ast.FunctionDef | ast.ClassDef] | None:
    """(the method ``parts[1]`` of ``cls``, the undecorated function ``parts[2]`` it defines, or
    the class of that name when ``parts`` goes one level deeper to its ``call``)."""
    kind = ast.FunctionDef if len(parts) == 3 else ast.ClassDef
    method = _method(cls, parts[1])
    if method is None:
        return None
    inner = next((s for s in _walk_blocks(method.body) if isinstance(s, kind) and s.name == parts[2]), None)
    if inner is None or inner.decorator_list:
        return None
    return method, inner


def _method_bindings(method: ast.FunctionDef, inner: ast.AST) -> tuple[set[str], set[str]]:
    """(the method's parameters, ``self`` included; the names it assigns outside ``inner``)."""
    args = method.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    local = {n.id for n in _walk_outside(method.body, inner) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return params, local


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    """The method ``name`` defined in ``cls``'s own body."""
    return next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == name), None)


def _selfless(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    """The undecorated method ``name`` of ``cls`` when nothing in it reads its first parameter
    (``self``) nor calls ``super()``: the same function would do without an object."""
    method = _method(cls, name)
    if method is None or method.decorator_list or not method.args.args:
        return None
    own = method.args.args[0].arg
    if any(isinstance(n, ast.Name) and n.id in (own, "super", "__class__") for n in ast.walk(method)):
        return None
    return method


def _self_free_factory(cls: ast.ClassDef, parts: list[str]) -> ast.FunctionDef | None:
    """The method ``Class.method`` of ``Class.method.inner`` as a module-level function without
    its ``self`` when nothing in it reads ``self`` (nor calls ``super()``) and it returns
    ``inner``: a loss factory that happens to be a method. None otherwise."""
    if len(parts) != 3:
        return None
    method = _selfless(cls, parts[1])
    if method is None:
        return None
    if not any(isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id == parts[2]
               for n in ast.walk(method)):
        return None  # a method that builds and compiles a model around the loss is no factory of it
    lifted = copy.deepcopy(method)
    lifted.args.args = lifted.args.args[1:]
    return ast.fix_missing_locations(lifted)


def _unbound_call(text: str | None) -> str | None:
    """``self.focal_loss(alpha=.25)`` as ``focal_loss(alpha=.25)``: the call of a method lifted
    to module level (None and any other call stay as they are)."""
    if text is None:
        return None
    head, dot, rest = text.partition(".")
    return rest if dot and head == "self" else text


def _walk_outside(body: list[ast.stmt], skipped: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``body`` except those of ``skipped``."""
    todo: list[ast.AST] = [s for s in body if s is not skipped]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(child for child in ast.iter_child_nodes(node) if child is not skipped)


#: methods never taken for a set-up step: Keras calls them itself, or they are the loss
_NOT_SET_UP = frozenset({"__init__", "__call__", "call", "build", "get_config", "from_config"})


def set_up_methods(cls: ast.ClassDef, method: str) -> list[str]:
    """Methods of ``cls`` that set attributes the loss method reads and ``__init__`` does not
    (``def config(self, num_cells=7, ...)`` storing ``self.__num_cells``, which the project calls
    on the instance before training), callable without arguments: the probe calls them after
    building the instance, as the project must, or the loss fails on the missing attribute."""
    defs = {s.name: s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    loss_fn = defs.get(method)
    if loss_fn is None:
        return []
    read = {n.attr for n in ast.walk(loss_fn) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)
            and isinstance(n.value, ast.Name) and n.value.id == "self"}
    init = defs.get("__init__")
    unset = read - (_self_stores(init) if init is not None else set())
    out = []
    for name, fn in defs.items():
        if name in _NOT_SET_UP or name == method or not (_self_stores(fn) & unset):
            continue
        args = fn.args
        positional = args.posonlyargs + args.args
        if len(positional) - 1 > len(args.defaults) or any(d is None for d in args.kw_defaults):
            continue  # a parameter without default: what the project passes is not known
        out.append(name)
    return out


def _self_stores(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {n.attr for n in ast.walk(fn) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
            and isinstance(n.value, ast.Name) and n.value.id == "self"}


def _instantiation(module: _Module, cls_name: str, root: ast.ClassDef) -> ast.expr:
    """``MyLoss(...)`` as the file writes it (preferring the one passed to ``compile``)."""
    calls = [n for n in ast.walk(module.tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == cls_name
             and not _inside(root, n)]
    compiled = [c for c in calls if _in_compile(module.tree, c)]
    init = _init_of(root)
    for call in compiled + calls:
        if init is None:
            return call
        try:
            return _bound_call(module, _init_with_methods(root, init), call, call)
        except ExtractionError:
            continue
    bindings = constructor_bindings(root)
    if bindings:
        return ast.Call(ast.Name("__tfs_instantiate__", ast.Load()), [ast.Name(cls_name, ast.Load())],
                        [ast.keyword(param, binding.constructor_expr()) for param, binding in bindings.items()])
    return ast.Call(ast.Name("__tfs_instantiate__", ast.Load()), [ast.Name(cls_name, ast.Load())], [])


#: kinds of binding a constructor argument can take without the probe's inputs
_CONSTRUCTOR_KINDS = frozenset({"number", "count", "size", "sequence", "record", "absent", "classes", "branch", "selector",
                                "key", "none"})


def constructor_bindings(cls: ast.ClassDef) -> dict[str, ParamBinding]:
    """Bindings of a never-instantiated class's required ``__init__`` parameters, by how its
    methods use the attribute each is stored in (``self.quantiles = quantiles`` iterated in
    ``call``: a list); empty when one cannot be bound before the inputs exist."""
    init = _init_of(cls)
    if init is None:
        return {}
    missing = _required(_without_self(init), set())
    if not missing:
        return {}
    merged = ast.FunctionDef("__tfs_methods__", _lambda_args(*missing), [], [], None)
    merged.body = _methods_reading_params(cls, _stored_params(init, set(missing)))
    bindings = param_bindings(merged, missing)
    if not bindings or any(b.kind not in _CONSTRUCTOR_KINDS for b in bindings.values()):
        return {}
    return bindings


class _SelfAttributes(ast.NodeTransformer):
    """``self.<attr>`` read as the ``__init__`` parameter stored in it."""

    def __init__(self, stored: dict[str, str]) -> None:
        self.stored = stored

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "self" and node.attr in self.stored:
            return ast.copy_location(ast.Name(self.stored[node.attr], ast.Load()), node)
        return self.generic_visit(node)


def _init_with_methods(cls: ast.ClassDef, init: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.FunctionDef:
    """``__init__`` as a plain function of its parameters whose body also holds the class's
    other methods, each ``self.<attr>`` read as the parameter stored in it: a parameter the
    instantiation passes a run-time value for (``FocalLoss(num_classes=params.num_classes)``) is
    bound by how the methods use it (``one_hot(..., num_classes=self.num_classes)``: a class
    count), not as a bare number."""
    plain = _without_self(init)
    names = {a.arg for a in plain.args.posonlyargs + plain.args.args + plain.args.kwonlyargs}
    plain.body = _methods_reading_params(cls, _stored_params(init, names), skip=init)
    return plain


def _stored_params(init: ast.FunctionDef | ast.AsyncFunctionDef, names: set[str]) -> dict[str, str]:
    """``self.<attr> = <param>`` of ``__init__``, for the parameters in ``names``: attribute -> parameter."""
    return {t.attr: n.value.id for n in ast.walk(init) if isinstance(n, ast.Assign) and len(n.targets) == 1
            for t in n.targets if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
            and t.value.id == "self" and isinstance(n.value, ast.Name) and n.value.id in names}


def _methods_reading_params(cls: ast.ClassDef, stored: dict[str, str],
                            skip: ast.AST | None = None) -> list[ast.stmt]:
    """The bodies of the class's methods (but ``skip``), copied, with each ``self.<attr>`` of
    ``stored`` read as the parameter stored in it."""
    body: list[ast.stmt] = []
    for method in cls.body:
        if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and method is not skip:
            body.extend(_SelfAttributes(stored).visit(copy.deepcopy(method)).body)
    return body


def _init_of(cls: ast.ClassDef) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The class's own ``__init__``, if it defines one."""
    return next((s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and s.name == "__init__"), None)


def _without_self(init: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.FunctionDef:
    """``__init__`` as a plain function of its parameters after ``self``."""
    args = init.args
    plain = ast.arguments(args.posonlyargs[1:], args.args[1:] if not args.posonlyargs else args.args,
                          args.vararg, args.kwonlyargs, args.kw_defaults, args.kwarg, args.defaults)
    return ast.FunctionDef(init.name, plain, [], [], None)


def _loss_class(source: str, loss: LossRef) -> tuple[_Module, ast.ClassDef, str] | None:
    """(module, class, class name) of a loss that is a Loss subclass's ``call``; None otherwise."""
    parts = loss.qualname.split(".")
    if len(parts) < 2 or parts[-1] != "call":
        return None
    try:
        tree = parse(source)
    except (SyntaxError, ValueError):
        return None
    module = _index(source, tree)
    root = _binding(module, parts[0], ("class",))
    return (module, root, parts[-2]) if isinstance(root, ast.ClassDef) else None


def unbound_note(source: str, loss: LossRef) -> str:
    """Why a never-instantiated Loss class runs with ``None`` for some parameters ("" if it does not)."""
    found = _loss_class(source, loss)
    if found is None:
        return ""
    module, root, name = found
    call = _instantiation(module, name, root)
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "__tfs_instantiate__") \
            or call.keywords:
        return ""
    init = _init_of(root)
    missing = _required(_without_self(init), set()) if init is not None else []
    if not missing:
        return ""
    return (f"the file never instantiates `{name}`; parameter `{missing[0]}` has no default "
            "(the probe passed 0.5, a neutral number, for every such parameter)")


def constructor_note(source: str, loss: LossRef) -> str:
    """How a never-instantiated Loss class's required parameters were bound by their use ("" if not)."""
    found = _loss_class(source, loss)
    if found is None:
        return ""
    module, root, name = found
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
           and not _inside(root, n) for n in ast.walk(module.tree)):
        return ""
    bindings = constructor_bindings(root)
    if not bindings:
        return ""
    shown = ", ".join(b.constructor_shown(p) for p, b in bindings.items())
    return f"the file never instantiates `{name}`; its parameters without default were bound as {shown}"


def _in_compile(tree: ast.Module, node: ast.AST) -> bool:
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                and call.func.attr == "compile" and _inside(call, node):
            return True
    return False


def _qualify(call: ast.expr, path: list[str]) -> ast.expr:
    if not isinstance(call, ast.Call):
        return call
    func: ast.expr = ast.Name(path[0], ast.Load())
    for part in path[1:]:
        func = ast.Attribute(func, part, ast.Load())
    if isinstance(call.func, ast.Name) and call.func.id == "__tfs_instantiate__":
        return ast.Call(call.func, [func], [])
    return ast.Call(func, call.args, call.keywords)


# -- dependencies -------------------------------------------------------------------------------
def free_names(node: ast.AST) -> set[str]:
    """Names read in ``node`` that it does not bind itself (an over-approximation per scope)."""
    loads: set[str] = set()
    bound: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loads if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if sub is not node:
                bound.add(sub.name)
        elif isinstance(sub, ast.arg):
            bound.add(sub.arg)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            bound.update(a.asname or a.name.split(".")[0] for a in sub.names)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            bound.add(sub.name)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        loads |= _outer_names(node)
    return (loads - bound) - _BUILTINS


def _outer_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    """Names evaluated in the enclosing scope: decorators, defaults, bases, annotations."""
    exprs: list[ast.AST] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        exprs += node.bases + [k.value for k in node.keywords]
    else:
        exprs += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    return {n.id for e in exprs for n in ast.walk(e) if isinstance(n, ast.Name)}


def _closure(module: _Module, roots: list[ast.stmt], expr: ast.expr) -> tuple[list[ast.stmt], dict[str, str]]:
    included: dict[int, ast.stmt] = {id(s): s for s in roots}
    left_out: dict[str, str] = {}
    pending = set(free_names(expr))
    for stmt in roots:
        pending |= free_names(stmt)
    # a root is the definition of its name (a factory cut to return its loss stands for the file's)
    seen = {stmt.name for stmt in roots if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for stmt in _definitions(module, name, left_out):
            if id(stmt) not in included:
                included[id(stmt)] = stmt
                pending |= free_names(stmt)
    return list(included.values()), left_out


def _definitions(module: _Module, name: str, left_out: dict[str, str]) -> Iterable[ast.stmt]:
    bindings = module.bindings.get(name, [])
    if not bindings and not hasattr(builtins, name) and not _has_star_import(module.tree):
        # read by the loss, bound by nothing in the file: the loss raises NameError as written
        left_out[name] = f"`{name}`, which the file defines nowhere (the loss raises NameError as written)"
    if not bindings or any(b.kind == "import" for b in bindings):
        return []
    last = bindings[-1]
    if last.kind in ("def", "class"):
        return [last.stmt]
    chain = _live_chain(module, name, [b.stmt for b in bindings if b.kind == "assign"])
    for stmt in chain:
        reason = _unsafe_reason(module, stmt)
        if reason is not None:
            left_out[name] = f"module-level `{name}` (line {stmt.lineno}) {reason}"
            return []
    return chain


@functools.lru_cache(maxsize=8)
def _has_star_import(tree: ast.Module) -> bool:
    """Whether the module has ``from x import *`` (which may bind any name)."""
    return any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree))


def _live_chain(module: _Module, name: str, chain: list[ast.stmt]) -> list[ast.stmt]:
    """The assignments of ``name`` whose value the loss can see: from the last top-level plain
    assignment that does not read ``name`` itself on (``total = np.prod(Y.shape)`` followed by
    ``total = 15246392 + 203905992``: only the second counts, and the data it needed is not)."""
    top = {id(stmt) for stmt in module.tree.body}
    for index in range(len(chain) - 1, 0, -1):
        stmt = chain[index]
        if id(stmt) in top and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == name \
                and not any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt.value)):
            return chain[index:]
    return chain


def _unsafe_reason(module: _Module, stmt: ast.stmt) -> str | None:
    value = getattr(stmt, "value", None)
    if value is None:
        return None
    for node in ast.walk(value):
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return "is not a plain expression"
        if isinstance(node, ast.Call):
            reason = _unsafe_call(module, node)
            if reason is not None:
                return reason
    return None


def _unsafe_call(module: _Module, call: ast.Call) -> str | None:
    dotted = ast_dotted(call.func)
    if dotted is None:
        return None if isinstance(call.func, (ast.Attribute, ast.Subscript, ast.Call)) and \
            not _bad_name(_last_attr(call.func)) else f"calls `{ast.unparse(call.func)}`, which is not run"
    head = dotted.split(".")[0]
    bindings = module.bindings.get(head, [])
    if not bindings:
        if head in SAFE_BUILTIN_CALLS and "." not in dotted:
            return None
        return f"calls `{dotted}`, which is not run"
    kind = bindings[-1].kind
    if kind in ("def", "class"):
        return None
    if kind == "import":
        package = _imported_package(bindings[-1].stmt, head)
        if package in SAFE_PACKAGES and not _bad_name(dotted) or package == "os" and dotted in SAFE_PATH_CALLS:
            return None
        return f"calls `{dotted}`, which is not run"
    return None if not _bad_name(dotted) else f"calls `{dotted}`, which is not run"


def _last_attr(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else ""


def _bad_name(dotted: str) -> bool:
    low = dotted.lower()
    return any(frag in low for frag in UNSAFE_FRAGMENTS)


def _imported_package(stmt: ast.stmt, local: str) -> str:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if (alias.asname or alias.name.split(".")[0]) == local:
                return alias.name.split(".")[0]
    elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
        return stmt.module.split(".")[0]
    return ""


# -- emission -------------------------------------------------------------------------------------
#: what a user's ``@tf.function`` becomes in a probe program
AUTOGRAPH_ONLY = "__tfs_autograph__"
PRELUDE = HELPERS + f"""__tfs_import_errors__ = []
__tfs_star_aliases__ = []
def {AUTOGRAPH_ONLY}(fn):
    import tensorflow as __tf
    try:
        return __tf.autograph.to_graph(fn)
    except Exception:
        return fn
class {RECORD_HELPER}:
    \"\"\"Stands in for a record of settings (a dict, a config object, or such a name from a
    missing module) that the code only reads named settings of: each is the neutral {NEUTRAL},
    but a count (``num_classes``, ``n_anchors``: an index or a slice bound) is the int 1.\"\"\"
    def __getitem__(self, key):
        return self.__getattr__(str(key))
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        words = name.lower().split("_")
        return 1 if words[0] in ("num", "n", "nb") or words[-1] in ("num", "count", "classes") else {NEUTRAL}
class __tfs_pass_through__:
    \"\"\"Stands in for a function from a missing module that the loss only calls as
    ``y_true, y_pred = f(y_true, y_pred)``: it gives its arguments back.\"\"\"
    def __call__(self, *args, **kwargs):
        return args[0] if len(args) == 1 else args
class __tfs_decorator__:
    \"\"\"Stands in for a name from a missing module that the file only uses as a decorator
    (``@typechecked``, ``@gin.configurable``, ``@export("name")``): it hands back the function
    or class it decorates.\"\"\"
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self
    def __call__(self, *args, **kwargs):
        if len(args) == 1 and not kwargs and callable(args[0]):
            return args[0]
        return self
class __tfs_base__:
    \"\"\"Stands in for a base class from a missing module (``class VAE(ModelBase):``): a
    subclass of it is built over a base whose constructor takes anything and does nothing.\"\"\"
    def __new__(cls):
        class __tfs_missing_base__:
            def __init__(self, *args, **kwargs):
                pass
        __tfs_missing_base__.__tfs_stands_for__ = cls
        return __tfs_missing_base__
class {SENTINEL_HELPER}(float):
    \"\"\"Stands in for a constant from a missing module that the file only compares values with
    (``ops.equal(y_true, MAGIC_NUMBER)``, ``labels != PAD_ID``): a number no probe input holds,
    which the padding probe puts in a sample's labels as a missing label.\"\"\"
    def __new__(cls):
        return float.__new__(cls, {SENTINEL_VALUE!r})
class __tfs_absent__:
    \"\"\"Stands in for a name from a missing module that the file only calls for its effect
    (``logger.debug(...)``) or enters as a context binding nothing (``with utils.device:``):
    every attribute and call is itself, entering and leaving do nothing, and nothing else works.\"\"\"
    def __getattr__(self, name):
        return self
    def __call__(self, *args, **kwargs):
        return self
    def __enter__(self):
        return None
    def __exit__(self, *exc):
        return False
def {TAP_NAME}(value):
    return value
def __tfs_tap_in__(value):
    return value
def {REACH_NAME}(value):
    return value
def __tfs_weights__(y):
    import tensorflow as __tf
    return __tf.cast(__tf.range(__tf.shape(y)[0]) % 3, __tf.float32) * 0.5 + 0.5
def {SERIES_HELPER}(value):
    # a one-entry pandas/xarray-like coordinate (``lat.values``): numpy functions keep its type
    import numpy as _tfs_np  # no leading double underscore: the class body would mangle it
    class _TfsValues(_tfs_np.ndarray):
        @property
        def values(self):
            return _tfs_np.asarray(self)
    return _tfs_np.full(1, value).view(_TfsValues)
def __tfs_mask__(y, value=1.0):
    import tensorflow as __tf
    y = __tf.convert_to_tensor(y)
    shape = __tf.shape(y)[:-1] if y.shape.rank is None or y.shape.rank > 1 else __tf.shape(y)
    return __tf.fill(shape, __tf.cast(value, y.dtype if y.dtype.is_floating else __tf.float32))
def __tfs_batch__(y, dims):
    # a batch for a model input the loss closes over: the labels' batch size, then ``dims``
    # (None: the labels' last width), entries 0.25 to 1.25 varying from sample to sample
    import tensorflow as __tf
    y = __tf.convert_to_tensor(y)
    shape = [int(y.shape[-1]) if d is None else d for d in dims]
    size = 1
    for d in shape:
        size *= d
    values = __tf.cast(__tf.range(__tf.shape(y)[0] * size) % 5 + 1, __tf.float32) * 0.25
    return __tf.reshape(values, __tf.concat([__tf.shape(y)[:1], shape], 0))
def __tfs_eye__(y):
    import tensorflow as __tf
    y = __tf.convert_to_tensor(y)
    return __tf.eye(__tf.shape(y)[-1], dtype=y.dtype if y.dtype.is_floating else __tf.float32)
def __tfs_set_up__(obj, *methods):
    # ``obj`` after calling each named set-up method with its defaults (see ``set_up_methods``);
    # one that fails (it reads the project's files) is left out: the loss then shows what it lacks
    for name in methods:
        try:
            getattr(obj, name)()
        except Exception as __tfs_exc:
            __tfs_import_errors__.append((type(obj).__name__ + "." + name + "()", repr(__tfs_exc)))
    return obj
__tfs_bare__ = []
def __tfs_instantiate__(cls, **bound):
    import inspect as __inspect
    try:
        try:
            return cls(**bound)
        except TypeError:
            if bound:
                raise
            params = __inspect.signature(cls).parameters.values()
            return cls(*[0.5 for p in params if p.default is p.empty
                         and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])
    except Exception as __tfs_exc:
        if cls.__bases__ != (object,):
            raise
        # a plain class whose constructor wants the project's data (data frames, paths): an
        # instance without it, for a loss method that does not read what it sets
        __tfs_bare__.append((cls.__name__, repr(__tfs_exc)))
        return object.__new__(cls)
"""


#: ``K`` as Keras 2.2's ``from keras.layers import *`` exported it (run under tf_keras)
STAR_BACKEND = """if 'K' not in globals():
    try:
        import keras.backend as K
    except Exception as __tfs_exc:
        __tfs_import_errors__.append(('K from keras.layers import *', repr(__tfs_exc)))"""


def _emit(module: _Module, included: list[ast.stmt], expr: ast.expr | None, body: str = "") -> str:
    out: list[str] = [ast.unparse(s) for s in module.future]
    out.append(PRELUDE)
    uses = name_sites(module.tree) if module.imports else NameSites()
    for stmt in module.imports:
        text = ast.unparse(stmt)
        indented = text.replace("\n", "\n    ")
        from_import = isinstance(stmt, ast.ImportFrom)
        kinds = {name: _stand_in(uses, name, from_import) for name in _imported_names(stmt)}
        stand_ins = "".join(f"\n    {name} = {kind}()" for name, kind in kinds.items() if kind)
        failed = f"__tfs_import_errors__.append(({text!r}, repr(__tfs_exc))){stand_ins}"
        tf1 = _tf1_import(stmt)
        if tf1:
            failed = tf1 + failed.replace("\n    ", "\n        ")
        out.append(f"try:\n    {indented}\nexcept Exception as __tfs_exc:\n    {failed}")
    if star_backend(module.tree):
        out.append(STAR_BACKEND)
    for text in implicit_aliases(module.tree).values():
        out.append(f"try:\n    {text}\nexcept Exception as __tfs_exc:\n"
                   f"    __tfs_import_errors__.append(({text!r}, repr(__tfs_exc)))")
    for name, text in star_aliases(module.tree).items():
        # ``tf`` read unimported next to ``from helpers import *``: bound only when the star
        # import did not give it (it failed: a project module not at hand)
        out.append(f"if {name!r} not in globals():\n    try:\n        {text}\n"
                   f"        __tfs_star_aliases__.append({text!r})\n    except Exception as __tfs_exc:\n"
                   f"        __tfs_import_errors__.append(({text!r}, repr(__tfs_exc)))")
    for stmt in sorted(included, key=lambda s: (s.lineno, s.col_offset)):
        out.append(ast.unparse(_without_tf_function(stmt)))
    if expr is not None:
        body = f"return {ast.unparse(expr)}"
    out.append("def __tfs_build__():\n    " + body.replace("\n", "\n    "))
    return "\n".join(out) + "\n"


def _imported_names(stmt: ast.stmt) -> list[str]:
    """The names an import statement binds (``import a.b`` binds ``a``)."""
    if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return []
    return [alias.asname or alias.name.split(".")[0] for alias in stmt.names if alias.name != "*"]


def _tf1_import(stmt: ast.stmt) -> str:
    """For ``from tensorflow import erf`` (a TF 1 name TensorFlow 2 no longer has: its own
    finding, TFS506, says so), the start of an ``except`` body that takes the names from
    ``tensorflow.compat.v1`` instead and records them, as the probe's ``tf.<name>`` fallback
    does, so that the loss's other findings can still be shown; "" for any other import."""
    if not isinstance(stmt, ast.ImportFrom) or stmt.module != "tensorflow" or stmt.level \
            or any(alias.name == "*" for alias in stmt.names):
        return ""
    names = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in stmt.names)
    shown = [a.name for a in stmt.names]
    return (f"try:\n        from tensorflow.compat.v1 import {names}\n"
            f"        globals().setdefault('__tfs_tf1_used__', []).extend({shown!r})\n"
            "    except Exception:\n        ")


def _stand_in(uses: NameSites, name: str, from_import: bool) -> str:
    """What an imported name runs as when its module is missing: ``__tfs_absent__`` for a name
    only called for its effect, the settings record for a name a ``from`` import binds that is
    only read setting by setting (``DEFAULT["margin"]`` as a default argument; never a module,
    whose attributes are functions), "" (the import error stays) otherwise."""
    if called_for_effect_only(uses, name):
        return "__tfs_absent__"
    if based_on_only(uses, name):
        return BASE_HELPER
    if decorates_only(uses, name):
        return "__tfs_decorator__"
    if from_import and passed_through(uses, name):
        return "__tfs_pass_through__"
    if from_import and compared_only(uses, name):
        return SENTINEL_HELPER
    return RECORD_HELPER if from_import and read_as_record(uses, name) else ""


def passed_through(uses: NameSites, name: str) -> bool:
    """Whether every use of ``name`` calls it with plain names and assigns the results back to
    the same names in the same order (``y_true, y_pred = preprocess(y_true, y_pred)``): the
    shape of a check or a conversion that hands its inputs back, as the static analysis reads
    such a call too; a missing module's function used so is stood in for by the identity."""
    found = uses.loads.get(name, [])
    for node, call, assign in found:
        if not (isinstance(call, ast.Call) and call.func is node and not call.keywords
                and isinstance(assign, ast.Assign) and assign.value is call and len(assign.targets) == 1):
            return False
        target = assign.targets[0]
        sent = [a.id if isinstance(a, ast.Name) else None for a in call.args]
        got = [t.id if isinstance(t, ast.Name) else None for t in target.elts] \
            if isinstance(target, (ast.Tuple, ast.List)) else [target.id if isinstance(target, ast.Name) else None]
        if None in sent or sent != got:
            return False
    return bool(found) and len(found) == uses.count.get(name, 0)


#: calls that compare their two operands for equality (``tf.equal``, ``keras.ops.not_equal``)
_EQUALITY_CALLS = frozenset({"equal", "not_equal"})


def compared_only(uses: NameSites, name: str) -> bool:
    """Whether every use of ``name`` is an operand of an equality test (``x == PAD_ID``,
    ``ops.equal(y_true, MAGIC_NUMBER)``): a marker value (padding, a missing label), which a
    number no data holds stands in for; the padding probe then builds a sample of it."""
    found = uses.loads.get(name, [])
    for node, parent, _ in found:
        if isinstance(parent, ast.Compare):
            if not all(isinstance(op, (ast.Eq, ast.NotEq)) for op in parent.ops):
                return False
        elif isinstance(parent, ast.Call) and node in parent.args:
            if ast_callee_name(parent) not in _EQUALITY_CALLS:
                return False
        else:
            return False
    return bool(found) and len(found) + uses.stores.get(name, 0) == uses.count.get(name, 0)


def marker_values(program: str) -> list[float]:
    """The values of the program's marker constants: module-level names bound to a number
    (``PAD = -1``) or standing in for a missing module's constant (``SENTINEL_HELPER``) that
    the loss only tests values for equality with (``compared_only``). A sample made entirely
    of such a value is a sample whose labels are all missing, as the padding probe builds one."""
    try:
        tree = parse(program)
    except (SyntaxError, ValueError):
        return []
    uses = name_sites(tree)
    found: list[float] = []
    for stmt in _top_statements(tree.body):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            continue
        value = _marker_number(stmt.value)
        if value is not None and value not in found and compared_only(uses, stmt.targets[0].id):
            found.append(value)
    return found


def _marker_number(value: ast.expr) -> float | None:
    """The number ``value`` is: a literal, a negated literal, or the missing-constant stand-in."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == SENTINEL_HELPER:
        return SENTINEL_VALUE
    negated = isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub)
    literal = value.operand if isinstance(value, ast.UnaryOp) and negated else value
    if isinstance(literal, ast.Constant) and isinstance(literal.value, (int, float)) \
            and not isinstance(literal.value, bool):
        return -float(literal.value) if negated else float(literal.value)
    return None


def based_on_only(uses: NameSites, name: str) -> bool:
    """Whether every use of ``name`` is a base of a class statement (``class VAE(ModelBase):``
    with ``ModelBase`` from a project module not at hand): the loss method of such a class runs
    over a bare base whose constructor takes anything and does nothing; what the method needs
    from the real base shows as its own error."""
    count = uses.count.get(name, 0)
    return count > 0 and count == uses.bases.get(name, 0)


def decorates_only(uses: NameSites, name: str) -> bool:
    """Whether every use of ``name`` heads a decorator (``@typechecked``, ``@gin.configurable``,
    ``@export("losses.Focal")``): type checkers, registries and configuration hooks hand back
    what they decorate, so a missing module there can be stood in for by the identity."""
    count = uses.count.get(name, 0)
    return count > 0 and count == uses.decorating.get(name, 0)


def called_for_effect_only(uses: NameSites, name: str) -> bool:
    """Whether every use of ``name`` is a statement that calls it or one of its methods and
    drops the result (``logger.debug(...)``, ``wandb.log(...)``) or a ``with`` that binds
    nothing (``with utils.device:``, a device or timing scope): a missing module there can be
    stood in for without changing what the loss computes. An object built from it into a
    variable that is itself only called for its effect (``checker = ShapeChecker()``, then
    ``checker(y_pred, ('batch', 't'))``) counts as such a use."""
    count = uses.count.get(name, 0)
    built = uses.built.get(name, [])
    if any(uses.count.get(v, 0) != uses.effect.get(v, 0) + uses.stores.get(v, 0) or v == name for v in built):
        return False
    return count > 0 and count == uses.effect.get(name, 0) + len(built)


def _without_tf_function(stmt: ast.stmt) -> ast.stmt:
    """``stmt`` with ``@tf.function`` decorators replaced by autograph alone (a copy).

    The harness itself decides when the loss runs eagerly and when traced (as ``fit`` does);
    a user's ``@tf.function`` on ``call`` or a helper would make the taps on the flagged node
    symbolic, and reading them fails ("Cannot convert a symbolic tf.Tensor to a numpy array").
    ``tf.autograph.to_graph`` keeps what the decorator changes in the code (Python control
    flow and ``len`` on tensors converted) and runs eagerly when called eagerly."""
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.decorator_list for n in ast.walk(stmt)):
        return stmt
    stmt = copy.deepcopy(stmt)
    for node in ast.walk(stmt):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # autograph stays (``len(tf.shape(x))``, an ``if`` on a tensor are converted, as the
            # user's tf.function converts them inside fit); only the graph is dropped
            node.decorator_list = [ast.Name(AUTOGRAPH_ONLY, ast.Load()) if _is_tf_function(d) else d
                                   for d in node.decorator_list]
    return stmt



def _is_tf_function(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return _last_attr(target) == "function"  # tf.function / def_function.function, never a bare name


class _Tapper:
    """Wrap the expression at a finding's span in ``__tfs_tap__(...)`` (in place).

    ``operands``: for a product (``a * m``, ``tf.multiply(a, m)``, ``a *= m``) wrap each
    factor instead, so a probe sees what was multiplied by what.
    """

    def __init__(self, source: str, span: tuple[int, int, int, int], operands: bool | str = False) -> None:
        self.lines = source.splitlines()
        self.span = span
        self.sibling = operands == "sibling"
        self.operands = operands == "operands"
        self.inputs = operands == "inputs"
        #: only mark that the flagged expression ran (``__tfs_reach__``), for probes that read no taps
        self.reach = operands == "reach"

    def _byte_col(self, line: int, col: int) -> int:
        if 1 <= line <= len(self.lines):
            return len(self.lines[line - 1][:col].encode("utf-8"))
        return col

    def apply(self, tree: ast.Module) -> bool:
        line, col, end_line, end_col = self.span
        want = (line, self._byte_col(line, col), end_line, self._byte_col(end_line, end_col))
        for parent in ast.walk(tree):
            for name, value in ast.iter_fields(parent):
                if isinstance(value, ast.expr) and _span(value) == want:
                    if self.sibling and self._wrap_pair(parent):
                        return True
                    setattr(parent, name, self._wrap(value))
                    return True
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        if isinstance(item, ast.expr) and _span(item) == want:
                            if self.sibling and self._wrap_pair(parent):
                                return True
                            value[i] = self._wrap(item)
                            return True
                        if self.operands and isinstance(item, ast.AugAssign) and _span(item) == want \
                                and isinstance(item.op, ast.Mult) and isinstance(item.target, ast.Name):
                            value[i] = _product_assign(item)
                            return True
                        if not (self.operands or self.sibling or self.reach) and isinstance(item, ast.AugAssign) \
                                and _span(item) == want and isinstance(item.target, ast.Name):
                            value[i] = _tapped_assign(item, self.inputs)
                            return True
                        if self.sibling and isinstance(item, ast.AugAssign) and _span(item.value) == want \
                                and isinstance(item.op, ast.Mult) and isinstance(item.target, ast.Name):
                            value[i] = _product_assign(item)
                            return True
        return False

    @staticmethod
    def _wrap_pair(parent: ast.AST) -> bool:
        """Tap both operands of the product/sum the flagged operand sits in."""
        if isinstance(parent, ast.BinOp):
            parent.left, parent.right = _tap_call(parent.left), _tap_call(parent.right)
            return True
        if isinstance(parent, ast.Call) and len(parent.args) >= 2:
            parent.args[0], parent.args[1] = _tap_call(parent.args[0]), _tap_call(parent.args[1])
            return True
        if isinstance(parent, ast.AugAssign):
            return False
        return False

    def _wrap(self, node: ast.expr) -> ast.expr:
        if self.reach:
            return ast.copy_location(ast.Call(ast.Name(REACH_NAME, ast.Load()), [node], []), node)
        if self.inputs:
            _tap_inputs(node)
            return _tap_call(node)
        if not self.operands:
            return _tap_call(node)
        if isinstance(node, ast.BinOp):
            node.left, node.right = _tap_call(node.left), _tap_call(node.right)
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            node.args[0], node.args[1] = _tap_call(node.args[0]), _tap_call(node.args[1])
        else:
            return _tap_call(node)
        return node


def _tapped_assign(node: ast.AugAssign, inputs: bool = False) -> ast.stmt:
    """``v /= d`` as ``v = __tfs_tap__(v / d)``: the flagged update's result can be observed."""
    assert isinstance(node.target, ast.Name)
    load = ast.copy_location(ast.Name(node.target.id, ast.Load()), node.target)
    op = ast.copy_location(ast.BinOp(load, node.op, node.value), node)
    if inputs:
        _tap_inputs(op)
    result = _tap_call(op)
    return ast.copy_location(ast.Assign([ast.Name(node.target.id, ast.Store())], result), node)


def _product_assign(node: ast.AugAssign) -> ast.stmt:
    """``v *= m`` as ``v = __tfs_tap__(v) * __tfs_tap__(m)``."""
    assert isinstance(node.target, ast.Name)
    load = ast.Name(node.target.id, ast.Load())
    product = ast.BinOp(_tap_call(ast.copy_location(load, node.target)), ast.Mult(), _tap_call(node.value))
    return ast.copy_location(ast.Assign([ast.Name(node.target.id, ast.Store())], ast.copy_location(product, node)),
                             node)


def _span(node: ast.expr | ast.stmt) -> tuple[int, int, int, int]:
    if not hasattr(node, "lineno"):  # a node a variant built: never the flagged one
        return (-1, -1, -1, -1)
    if isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):  # an assignment target is no value
        return (-1, -1, -1, -1)
    return (node.lineno, node.col_offset, node.end_lineno or node.lineno,
            node.end_col_offset if node.end_col_offset is not None else -1)


INPUT_TAP_NAME = "__tfs_tap_in__"


def _tap_inputs(node: ast.expr) -> None:
    """Record the direct operands of the flagged op too (was a non-finite value made here?)."""
    def tapped(child: ast.expr) -> ast.expr:
        return ast.copy_location(ast.Call(ast.Name(INPUT_TAP_NAME, ast.Load()), [child], []), child)

    if isinstance(node, ast.BinOp):
        node.left, node.right = tapped(node.left), tapped(node.right)
    elif isinstance(node, ast.Call) and node.args:
        node.args[:2] = [tapped(a) for a in node.args[:2]]


def _tap_call(node: ast.expr) -> ast.expr:
    call = ast.Call(ast.Name(TAP_NAME, ast.Load()), [node], [])
    return ast.copy_location(call, node)


# -- findings outside a discovered loss ---------------------------------------------------------------
def enclosing_loss(source: str, line: int) -> LossRef | None:
    """The innermost discovered loss whose function (or Loss class) contains ``line``."""
    from tfshape_lint.analysis.index import build_index

    try:
        tree = parse(source)
    except (SyntaxError, ValueError):
        return None
    index = build_index(source, tree)
    best: tuple[int, LossRef] | None = None
    for spec in index.losses:
        extent = _loss_extent(tree, spec.path, spec.lambda_ordinal is not None, spec.line)
        if extent is None or not extent[0] <= line <= extent[1]:
            continue
        size = extent[1] - extent[0]
        if best is None or size < best[0]:
            ref = LossRef(spec.qualname, spec.context.value, spec.role.value, spec.line, spec.factory_call,
                          spec.params, spec.added, spec.pred_first, spec.adversarial, spec.model_first)
            best = (size, ref)
    return best[1] if best else None


def _loss_extent(tree: ast.Module, path: tuple[str, ...], is_lambda: bool, line: int) -> tuple[int, int] | None:
    if is_lambda:
        lam = _lambda_at(tree, line)
        return (lam.lineno, lam.end_lineno or lam.lineno) if lam is not None else None
    node: ast.AST | None = tree
    parents: list[ast.AST] = []
    for name in path:
        node = _child_def(node, name) if node is not None else None
        if node is None:
            return None
        parents.append(node)
    if path and path[-1] == "call" and len(parents) >= 2 and isinstance(parents[-2], ast.ClassDef):
        node = parents[-2]  # a finding in __init__ (a reduction default) belongs to the Loss too
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return None
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return start, node.end_lineno or start


def _child_def(node: ast.AST, name: str) -> ast.AST | None:
    body = getattr(node, "body", [])
    for stmt in _top_statements(body) if isinstance(node, ast.Module) else _walk_blocks(body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and stmt.name == name:
            return stmt
    return None


def _walk_blocks(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a body and of the compound statements in it (``if``, ``for``,
    ``while``, ``with``, ``try`` and its ``except`` blocks), not of the defs it holds."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.stmt):
                    yield from _walk_blocks([child])
                elif isinstance(child, ast.ExceptHandler):
                    yield from _walk_blocks(child.body)


def extract_span(source: str, span: tuple[int, int, int, int], *, callee: bool = False,
                 variant: Context | None = None, literal: bool = False) -> ProbeProgram:
    """A probe program for the expression a finding points at, when it is not inside a loss.

    An expression whose names all resolve at module level (``keras.losses.MSE(reduction='sum')``,
    a loss function's name, ``partial(...)``, ``K.mean``) is evaluated and handed to the probe
    (context ``compile``). A call that uses local variables (``mse(y, p, sample_weight=w)``)
    is *replayed* as ``lambda y_true, y_pred: f(y_true, y_pred, <weights>...)`` (context
    ``direct``): literal arguments are kept, the others become per-sample weights.
    ``callee``: for a flagged call, evaluate only the function (does the name exist?).
    """
    try:
        tree = parse(source)
    except (SyntaxError, ValueError) as exc:
        raise ExtractionError(f"cannot parse the file: {exc}") from None
    module = _index(source, tree)
    node, parents = _node_at(tree, source, span)
    if node is None:
        raise ExtractionError("cannot find the flagged expression in the file")
    if isinstance(node, ast.alias) and parents and isinstance(parents[-1], (ast.Import, ast.ImportFrom)):
        stmt = parents[-1]
        single: ast.Import | ast.ImportFrom
        if isinstance(stmt, ast.ImportFrom):
            single = ast.ImportFrom(module=stmt.module, names=[node], level=stmt.level)
        else:
            single = ast.Import(names=[node])
        node = ast.copy_location(single, stmt)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return _import_program(module, node)
    target = node if literal and isinstance(node, ast.Constant) else _span_target(node, parents)
    if callee and isinstance(node, ast.Call):
        target = node.func
    climbed = target is not node
    if target is None:
        raise ExtractionError(f"the flagged `{_text(node)}` is not an expression the verifier can run")
    described = ""
    if variant is not None:
        done = neutralise(node, parents, variant)
        if done is None:
            raise ExtractionError(f"no neutral variant of `{_text(node)}` for {variant.code}")
        described = done[0]
        if target is node and isinstance(done[2], ast.expr):
            target = done[2]
    local_imports = _local_imports(parents, target) if (not climbed or callee) else []
    built = _factory_built(module, target) if not callee else None
    if built is not None:
        # ``compile(loss=custom_loss(pos_weight))``: the factory of the file called with what the
        # probe can evaluate (a local argument bound as for a factory never called)
        target = built
    if (not climbed or callee) and _resolvable(module, target):
        included, left_out = _closure(module, [], target)
        text = _emit(module, included, target)
        kind, context = "function", "compile"
    elif local_imports and not isinstance(target, ast.Call):
        # a name imported inside the enclosing function (``import keras.backend as K`` in the loss)
        body = "\n".join(ast.unparse(stmt) for stmt in local_imports) + f"\nreturn {ast.unparse(target)}"
        text = _emit(module, [], None, body)
        left_out, kind, context = {}, "function", "compile"
    else:
        if not isinstance(target, ast.Call):
            raise ExtractionError(f"`{_text(target)}` uses local variables the verifier cannot rebuild")
        replay = _replay(target)
        included, left_out = _closure(module, [], target.func)
        text = _emit(module, included, None, replay)
        kind, context = "function", "direct"
    return ProbeProgram(text, kind, f"<expression>@{span[0]}", context, "loss", _uses_tf_keras(module),
                        tuple(sorted(left_out.items())), False, described)


def _factory_built(module: _Module, target: ast.expr | None) -> ast.expr | None:
    """``factory(args)`` with arguments the probe program can evaluate, where ``target`` calls a
    module-level loss factory of the file (a def that returns a def it defines) with an argument
    only the enclosing code knows; None for any other expression."""
    if not (isinstance(target, ast.Call) and isinstance(target.func, ast.Name)) or _resolvable(module, target):
        return None
    root = _binding(module, target.func.id, ("def",))
    if not isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)) or not any(
            isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name)
            and any(isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef)) and d.name == stmt.value.id
                    for d in root.body)
            for stmt in root.body):
        return None
    try:
        built = _bound_call(module, root, target, None, getattr(target, "lineno", 0))
    except ExtractionError:
        return None
    return built if _resolvable(module, built) else None


def _local_imports(parents: list[ast.AST], target: ast.expr) -> list[ast.stmt]:
    """Import statements inside the enclosing functions that bind every free name of ``target``."""
    wanted = free_names(target)
    found: list[ast.stmt] = []
    bound: set[str] = set()
    for scope in reversed(parents):
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for stmt in ast.walk(scope):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                names = {a.asname or a.name.split(".")[0] for a in stmt.names}
                if names & (wanted - bound):
                    found.append(stmt)
                    bound |= names
    return found if wanted <= bound else []


def _text(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # an ast node without a source form (a keyword, arguments)
        return type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _node_at(tree: ast.Module, source: str, span: tuple[int, int, int, int]) -> tuple[ast.AST | None, list[ast.AST]]:
    tapper = _Tapper(source, span)
    line, col, end_line, end_col = span
    want = (line, tapper._byte_col(line, col), end_line, tapper._byte_col(end_line, end_col))
    found: list[tuple[ast.AST, list[ast.AST]]] = []

    def visit(node: ast.AST, parents: list[ast.AST]) -> None:
        if hasattr(node, "lineno") and getattr(node, "end_col_offset", None) is not None:
            where = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
            if where == want:
                found.append((node, parents))
        for child in ast.iter_child_nodes(node):
            visit(child, parents + [node])

    visit(tree, [])
    if not found:
        return None, []
    return found[0]


def _span_target(node: ast.AST, parents: list[ast.AST]) -> ast.expr | None:
    """The expression to run: the node itself, or the call a flagged keyword belongs to."""
    chain = [node] + list(reversed(parents))
    if isinstance(node, (ast.keyword, ast.Constant, ast.arg)):
        for anc in chain[1:]:
            if isinstance(anc, ast.Call):
                return anc
            if isinstance(anc, ast.stmt):
                return None
        return None
    return node if isinstance(node, ast.expr) else None


def _resolvable(module: _Module, node: ast.expr) -> bool:
    for name in free_names(node):
        bindings = module.bindings.get(name, [])
        if not bindings:
            return False
        if bindings[-1].kind == "assign" and any(_unsafe_reason(module, b.stmt) for b in bindings):
            return False
    return True


def _replay(call: ast.Call) -> str:
    args: list[str] = []
    for i, arg in enumerate(call.args):
        if i == 0:
            args.append("y_true")
        elif i == 1 and not isinstance(arg, ast.Constant):
            args.append("y_pred")
        elif isinstance(arg, ast.Constant):
            args.append(ast.unparse(arg))
        else:
            args.append("__tfs_weights__(y_true)")
    for kw in call.keywords:
        if kw.arg is None:
            continue
        value = ast.unparse(kw.value) if _literal(kw.value) else "__tfs_weights__(y_true)"
        args.append(f"{kw.arg}={value}")
    func = ast.unparse(call.func)
    return (f"def __tfs_replay__(y_true, y_pred):\n    return {func}({', '.join(args)})\n"
            "return __tfs_replay__")


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _import_program(module: _Module, node: ast.Import | ast.ImportFrom) -> ProbeProgram:
    names = [a.asname or (a.name if isinstance(node, ast.ImportFrom) else a.name.split(".")[0])
             for a in node.names]
    body = f"{ast.unparse(node)}\nreturn {names[0]}"
    text = _emit(module, [], None, body)
    return ProbeProgram(text, "function", f"<import>@{node.lineno}", "compile", "loss",
                        _uses_tf_keras(module), (), False)
