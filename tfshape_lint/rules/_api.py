"""Removed-API data tables (TFS501, TFS506) and the call rewriter their fixes share.

The tables are JSON files under ``tfshape_lint/data`` generated from the installed packages by
``tools/gen_api_tables.py``; they are read lazily, once per process, and never import
TensorFlow. The rewriter turns a legacy call into its replacement from a table entry, keeping
the caller's argument formatting; the generator runs the same rewriter on sample calls and
compares the two results numerically before it marks an entry ``verified``.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Iterable, Mapping, Sequence

import libcst as cst

from tfshape_lint.analysis.imports import ImportTable, ast_dotted, cst_dotted
from tfshape_lint.rules._helpers import dotted_expr

__all__ = [
    "ApiRewriter",
    "GuardTracker",
    "Rewrite",
    "Roots",
    "keras_table",
    "load_table",
    "rewrite_call",
    "rewrite_reference",
    "roots_for",
    "tf1_table",
]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ROOT_KEYS = ("keras", "tf")
#: exception names whose ``except`` marks the ``try`` as a compatibility probe
_PROBE_EXCEPTIONS = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError", "NameError"})


@lru_cache(maxsize=None)
def load_table(name: str) -> Mapping[str, Any]:
    """A JSON table shipped as package data (``tfshape_lint/data/<name>``)."""
    text = resources.files("tfshape_lint").joinpath("data", name).read_text(encoding="utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


def keras_table() -> Mapping[str, Any]:
    """``keras_api.json``: Keras namespaces under Keras 3 and tf_keras, replacements."""
    return load_table("keras_api.json")


def tf1_table() -> Mapping[str, Any]:
    """``tf1_api.json``: TF 1.x names missing from TF 2, their TF 2 spelling, removed keywords."""
    return load_table("tf1_api.json")


@dataclass(frozen=True)
class Rewrite:
    """How one legacy name becomes its replacement (one table entry, see the generator).

    ``to`` is a dotted name with a ``{keras}``/``{tf}`` root placeholder. ``params`` maps legacy
    parameter names to the target's (``None``: a drop-in rename, arguments kept as written);
    ``legacy``/``target`` are the positional parameter orders; ``insert`` adds target arguments
    (positional where the order allows), ``fill`` adds keyword arguments the legacy default
    implied; ``template`` is an expression with ``{param}`` holes for rewrites that are not a
    call of ``to``. ``simple`` params appear twice in the template and must be plain names.
    """

    to: str | None = None
    params: Mapping[str, str] | None = None
    legacy: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    insert: Mapping[str, str] = field(default_factory=dict)
    fill: Mapping[str, str] = field(default_factory=dict)
    template: str | None = None
    simple: tuple[str, ...] = ()
    reject_none: tuple[str, ...] = ()
    reject_lambda: tuple[str, ...] = ()
    reject_sequence: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Rewrite | None:
        """The rewrite of a table entry, or None when the entry has no verified fix."""
        if not data or not data.get("verified") or not (data.get("to") or data.get("template")):
            return None
        return cls(
            to=data.get("to"), params=data.get("params"), legacy=tuple(data.get("legacy", ())),
            target=tuple(data.get("target", ())), insert=dict(data.get("insert", {})),
            fill=dict(data.get("fill", {})), template=data.get("template"),
            simple=tuple(data.get("simple", ())), reject_none=tuple(data.get("reject_none", ())),
            reject_lambda=tuple(data.get("reject_lambda", ())),
            reject_sequence=tuple(data.get("reject_sequence", ())),
        )

    @property
    def drop_in(self) -> bool:
        """Whether a bare reference (``fn = K.mean``) can be renamed without seeing a call."""
        return self.to is not None and self.template is None and self.params is None

    def roots(self) -> set[str]:
        """Root placeholders the rewrite needs (``keras``, ``tf``)."""
        text = " ".join([self.to or "", self.template or "", *self.insert.values(), *self.fill.values()])
        return {m for m in _PLACEHOLDER.findall(text) if m in _ROOT_KEYS}


@dataclass(frozen=True)
class Roots:
    """Local names to spell ``keras`` and ``tf`` with, and the imports that binds them need."""

    names: Mapping[str, str]
    imports: Mapping[str, tuple[str, str | None, str | None]] = field(default_factory=dict)

    def covers(self, rewrite: Rewrite) -> bool:
        return rewrite.roots() <= set(self.names)

    def imports_for(self, rewrite: Rewrite) -> list[tuple[str, str | None, str | None]]:
        return [self.imports[r] for r in sorted(rewrite.roots()) if r in self.imports]


def roots_for(imports: ImportTable) -> Roots:
    """How this file can name ``keras`` and ``tensorflow`` in a fix (an import is added if unbound).

    ``from tensorflow import keras`` is usable as the Keras root: ``tf.keras.ops``,
    ``tf.keras.config``, ``tf.keras.random`` and ``tf.keras.Variable`` all exist under Keras 3.
    A name bound to anything else (``import tf_keras as keras``) is never shadowed.
    """
    names: dict[str, str] = {}
    needed: dict[str, tuple[str, str | None, str | None]] = {}
    for key, module, accepted, import_spec in (
        ("keras", "keras", ("keras", "tensorflow.keras"), ("keras", None, None)),
        ("tf", "tensorflow", ("tensorflow",), ("tensorflow", None, "tf")),
    ):
        local = next((name for name, target in sorted(imports.aliases.items()) if target == module), None)
        if local is not None:
            names[key] = local
            continue
        bound = imports.aliases.get(key)
        if bound is None:
            names[key] = key
            needed[key] = import_spec
        elif bound in accepted:
            names[key] = key
    return Roots(names, needed)


# -- building replacement expressions -------------------------------------------------------------
def _fill_roots(text: str, roots: Roots) -> str:
    for key, local in roots.names.items():
        text = text.replace("{" + key + "}", local)
    return text


def rewrite_reference(rewrite: Rewrite, roots: Roots) -> cst.BaseExpression | None:
    """The replacement of a bare reference (``K.mean`` passed as a value), if it is a drop-in."""
    if not rewrite.drop_in or not roots.covers(rewrite) or rewrite.to is None:
        return None
    return dotted_expr(_fill_roots(rewrite.to, roots))


def _bind(call: cst.Call, legacy: Sequence[str]) -> dict[str, cst.Arg] | None:
    """Legacy parameter name -> the argument given for it; None when the call cannot be bound."""
    bound: dict[str, cst.Arg] = {}
    for i, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is None:
            if i >= len(legacy):
                return None
            name = legacy[i]
        else:
            name = arg.keyword.value
            if name not in legacy:
                return None
        if name in bound:
            return None
        bound[name] = arg
    return bound


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_simple(node: cst.BaseExpression) -> bool:
    return cst_dotted(node) is not None


def _rejected(rewrite: Rewrite, bound: Mapping[str, cst.Arg]) -> bool:
    for name, arg in bound.items():
        value = arg.value
        if name in rewrite.reject_none and _is_none(value):
            return True
        if name in rewrite.reject_lambda and isinstance(value, cst.Lambda):
            return True
        if name in rewrite.reject_sequence and isinstance(value, (cst.List, cst.Tuple)):
            return True
        if name in rewrite.simple and not _is_simple(value):
            return True
    return False


def rewrite_call(call: cst.Call, rewrite: Rewrite, roots: Roots,
                 func: cst.BaseExpression | None = None) -> cst.BaseExpression | None:
    """The replacement of ``call`` (with already rewritten arguments), or None if not safe.

    ``func`` is the original callee when ``call`` is an updated copy whose callee was renamed.
    """
    if not roots.covers(rewrite):
        return None
    if rewrite.template is None and rewrite.params is None:
        return call.with_changes(func=rewrite_reference(rewrite, roots)) if rewrite.to else None
    bound = _bind(call, rewrite.legacy)
    if bound is None or _rejected(rewrite, bound):
        return None
    if rewrite.template is not None:
        return _from_template(rewrite.template, bound, roots)
    return _from_params(call, rewrite, bound, roots)


def _keyword(arg: cst.Arg, name: str) -> cst.Arg:
    if arg.keyword is not None:
        return arg.with_changes(keyword=cst.Name(name))
    return arg.with_changes(keyword=cst.Name(name),
                            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                  whitespace_after=cst.SimpleWhitespace("")))


def _new_arg(name: str | None, text: str, roots: Roots) -> cst.Arg:
    value = cst.parse_expression(_fill_roots(text, roots))
    if name is None:
        return cst.Arg(value=value)
    return cst.Arg(value=value, keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def _from_params(call: cst.Call, rewrite: Rewrite, bound: Mapping[str, cst.Arg],
                 roots: Roots) -> cst.Call | None:
    assert rewrite.params is not None and rewrite.to is not None
    by_arg = {id(arg): name for name, arg in bound.items()}
    positional: list[cst.Arg] = []
    keywords: list[cst.Arg] = []
    given: set[str] = set()
    for arg in call.args:
        target_name = rewrite.params.get(by_arg[id(arg)])
        if target_name is None:
            return None  # a legacy argument the replacement does not take
        given.add(target_name)
        if arg.keyword is None and not keywords and _next_is(rewrite.target, positional, target_name):
            positional.append(arg)
        else:
            keywords.append(_keyword(arg, target_name))
    for name, text in rewrite.insert.items():
        if name in given:
            continue
        if not keywords and _next_is(rewrite.target, positional, name):
            positional.append(_new_arg(None, text, roots))
        else:
            keywords.append(_new_arg(name, text, roots))
    keywords += [_new_arg(name, text, roots) for name, text in rewrite.fill.items() if name not in given]
    func = dotted_expr(_fill_roots(rewrite.to, roots))
    return call.with_changes(func=func, args=_commas(call.args, positional + keywords))


def _next_is(order: Sequence[str], positional: Sequence[cst.Arg], name: str) -> bool:
    return len(positional) < len(order) and order[len(positional)] == name


def _commas(original: Sequence[cst.Arg], args: list[cst.Arg]) -> list[cst.Arg]:
    """Give every argument but the last a comma; the last keeps the original trailing comma."""
    last_comma = original[-1].comma if original else cst.MaybeSentinel.DEFAULT
    out: list[cst.Arg] = []
    for i, arg in enumerate(args):
        if i < len(args) - 1:
            if not isinstance(arg.comma, cst.Comma):
                arg = arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        else:
            arg = arg.with_changes(comma=last_comma)
        out.append(arg)
    return out


_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.Imaginary,
           cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple,
           cst.Dict, cst.Set, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, _ATOMIC) or node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class _Holes(cst.CSTTransformer):
    """Fill a template's ``__tfs_<param>__`` holes with the caller's argument expressions."""

    def __init__(self, values: Mapping[str, cst.BaseExpression]) -> None:
        super().__init__()
        self.values = values

    def _value(self, node: cst.CSTNode) -> cst.BaseExpression | None:
        if isinstance(node, cst.Name) and node.value.startswith("__tfs_"):
            return self.values.get(node.value[6:-2])
        return None

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        value = self._value(original_node)
        return _parenthesized(value) if value is not None else updated_node

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        value = self._value(original_node.value)
        return updated_node.with_changes(value=value) if value is not None else updated_node


def _from_template(template: str, bound: Mapping[str, cst.Arg], roots: Roots) -> cst.BaseExpression | None:
    holes = set(_PLACEHOLDER.findall(template)) - set(_ROOT_KEYS)
    if set(bound) != holes:
        return None
    text = _fill_roots(template, roots)
    text = _PLACEHOLDER.sub(lambda m: f"__tfs_{m.group(1)}__", text)
    values = {name: arg.value for name, arg in bound.items()}
    return cst.parse_expression(text).visit(_Holes(values))  # type: ignore[return-value]


# -- the transformer a fix runs over the reported subtree -------------------------------------------
class ApiRewriter(cst.CSTTransformer):
    """Rewrite every fixable removed name inside a subtree (nested calls included).

    ``lookup(dotted)`` gives the rewrite of a dotted expression or None. Calls are rewritten
    as calls (arguments remapped); other references only when the entry is a drop-in rename.
    """

    def __init__(self, lookup: Any, roots: Roots) -> None:
        super().__init__()
        self.lookup = lookup
        self.roots = roots
        self.callees: set[int] = set()
        self.imports: list[tuple[str, str | None, str | None]] = []
        self.changed = 0

    def visit_Call(self, node: cst.Call) -> bool:
        self.callees.add(id(node.func))
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        rewrite = self.lookup(original_node.func)
        if rewrite is None:
            return updated_node
        new = rewrite_call(updated_node, rewrite, self.roots)
        if new is None:
            return updated_node
        self._used(rewrite)
        return new

    def leave_Attribute(self, original_node: cst.Attribute,
                        updated_node: cst.Attribute) -> cst.BaseExpression:
        if id(original_node) in self.callees:
            return updated_node
        rewrite = self.lookup(original_node)
        new = rewrite_reference(rewrite, self.roots) if rewrite is not None else None
        if new is None:
            return updated_node
        self._used(rewrite)
        return new.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)

    def _used(self, rewrite: Rewrite) -> None:
        self.changed += 1
        for spec in self.roots.imports_for(rewrite):
            if spec not in self.imports:
                self.imports.append(spec)


# -- compatibility guards -----------------------------------------------------------------------------
#: a guard that covers every name (a version test, an ``except ImportError`` probe)
_ALL: frozenset[str] = frozenset({"*"})
#: a ``try`` whose body is this short and whose ``except Exception`` has a fallback is a probe
_SHORT_TRY = 3
_VERSION_WORDS = re.compile(r"version|VERSION|\btf2\b|is_tf2|TF2|tf1|TF1|legacy", re.IGNORECASE)


class GuardTracker:
    """The enclosing ``try``/``if`` blocks that probe for an API: old names inside them are
    deliberate. A version test or an ``except ImportError/AttributeError`` covers every name;
    ``hasattr(K, "slice")`` / ``getattr(K, "slice", None)`` covers ``K.slice`` only, so an
    unrelated ``hasattr(model, "loss")`` does not switch the rules off."""

    def __init__(self, imports: ImportTable | None = None) -> None:
        self.imports = imports
        self.stack: list[frozenset[str]] = []
        #: ``else``/``elif`` nodes of backend tests -> the guard entry for that branch
        self.branches: dict[int, frozenset[str]] = {}

    def enter_try(self, node: cst.Try | cst.TryStar) -> None:
        probe = any(_catches_probe(h) for h in node.handlers) or _short_fallback_try(node)
        self.stack.append(_ALL if probe else frozenset())

    def enter_if(self, node: cst.If, module: cst.Module) -> None:
        text = module.code_for_node(node.test)
        if _VERSION_WORDS.search(text):
            self.stack.append(_ALL)
            return
        dead = _dead_backend_branch(node.test)
        if dead is not None and node.orelse is not None:
            self.branches[id(node.orelse)] = frozenset() if dead == "body" else _ALL
        if dead == "body":
            self.stack.append(_ALL)  # ``if K.backend() == 'theano':`` never runs on TensorFlow
            return
        self.stack.append(self._probed_names(node.test))

    def enter_branch(self, node: cst.CSTNode) -> frozenset[str] | None:
        """Entering the ``else``/``elif`` of a backend test: its own liveness replaces the
        enclosing ``if``'s entry. Returns what :meth:`leave_branch` restores (None: nothing)."""
        entry = self.branches.pop(id(node), None)
        if entry is None or not self.stack:
            return None
        saved = self.stack[-1]
        self.stack[-1] = entry
        return saved

    def leave_branch(self, saved: frozenset[str] | None) -> None:
        if saved is not None and self.stack:
            self.stack[-1] = saved

    def _probed_names(self, test: cst.BaseExpression) -> frozenset[str]:
        """Qualified names ``hasattr(obj, "name")``/``getattr(obj, "name", d)`` in ``test`` ask about."""
        finder = _ProbeFinder()
        test.visit(finder)
        out: set[str] = set()
        for obj, attr in finder.probes:
            qualname = self.imports.resolve(obj) if self.imports is not None else None
            out.add(f"{qualname or obj}.{attr}")
        return frozenset(out)

    def leave(self) -> None:
        self.stack.pop()

    def enter_handler(self) -> frozenset[str]:
        """An ``except`` block runs when the probe failed: its own try guards nothing there
        (the fallback must work on its own). Returns what ``leave_handler`` restores."""
        saved = self.stack[-1] if self.stack else frozenset()
        if self.stack:
            self.stack[-1] = frozenset()
        return saved

    def leave_handler(self, saved: frozenset[str]) -> None:
        if self.stack:
            self.stack[-1] = saved

    @property
    def guarded(self) -> bool:
        """Inside a guard that covers every name."""
        return any(entry is _ALL for entry in self.stack)

    def covers(self, qualname: str) -> bool:
        """Whether ``qualname`` (resolved, ``keras.backend.slice``) is inside a guard for it."""
        return any(entry is _ALL or qualname in entry for entry in self.stack)


_OTHER_BACKENDS = frozenset({"theano", "cntk", "mxnet", "plaidml", "jax", "torch", "numpy"})


def _dead_backend_branch(test: cst.BaseExpression) -> str | None:
    """``K.backend() == 'theano'``: "body" (the body never runs under TensorFlow); ``==
    'tensorflow'``: "orelse"; ``!=`` swaps them. None for any other test."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    left, comp = test.left, test.comparisons[0]
    if not (isinstance(left, cst.Call) and (cst_dotted(left.func) or "").endswith("backend")
            and not left.args and isinstance(comp.comparator, cst.SimpleString)):
        return None
    name = comp.comparator.raw_value
    if name == "tensorflow":
        dead = "orelse"
    elif name in _OTHER_BACKENDS:
        dead = "body"
    else:
        return None
    if isinstance(comp.operator, cst.NotEqual):
        return "orelse" if dead == "body" else "body"
    return dead if isinstance(comp.operator, cst.Equal) else None


class _ProbeFinder(cst.CSTVisitor):
    """``hasattr(a.b, "c")`` and ``getattr(a.b, "c", ...)`` calls: (``a.b``, ``c``)."""

    def __init__(self) -> None:
        super().__init__()
        self.probes: list[tuple[str, str]] = []

    def visit_Call(self, node: cst.Call) -> None:
        if cst_dotted(node.func) not in ("hasattr", "getattr") or len(node.args) < 2:
            return
        obj = cst_dotted(node.args[0].value)
        name = node.args[1].value
        if obj is not None and isinstance(name, cst.SimpleString):
            self.probes.append((obj, name.raw_value))


def _catches_probe(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    kind = handler.type
    if kind is None:
        return False  # a bare except is error handling, not an API probe
    names: Iterable[cst.BaseExpression] = (
        [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind])
    return any((cst_dotted(n) or "").split(".")[-1] in _PROBE_EXCEPTIONS for n in names)


def _short_fallback_try(node: cst.Try | cst.TryStar) -> bool:
    """``try: new = K.old(x)`` / ``except Exception: new = fallback``: a short probe whose
    handler does something other than re-raise. Long try bodies are error handling."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
    if not body or len(body) > _SHORT_TRY:
        return False
    for handler in node.handlers:
        names = [] if handler.type is None else (
            [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type])
        broad = handler.type is None or any(
            (cst_dotted(n) or "") in ("Exception", "BaseException") for n in names)
        if broad and _has_fallback(handler):
            return True
    return False


_REPORTING = frozenset({"print", "warn", "warning", "info", "debug", "error", "exception", "log"})


class _FallbackFinder(cst.CSTVisitor):
    """A handler computes a replacement: it imports or calls something that is not a report."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Import(self, node: cst.Import) -> None:
        self.found = True

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.found = True

    def visit_Raise(self, node: cst.Raise) -> bool:
        return False  # building the exception to re-raise is not a fallback

    def visit_Call(self, node: cst.Call) -> None:
        name = (cst_dotted(node.func) or "").rpartition(".")[2]
        if name not in _REPORTING:
            self.found = True


def _has_fallback(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """``except Exception: x = keras.ops.logsumexp(v)`` is a fallback; ``pass``, ``x = None``,
    a log line or a re-raise only swallow or report the error."""
    finder = _FallbackFinder()
    handler.body.visit(finder)
    return finder.found


def assigned_names(nodes: Iterable[ast.AST], imports: ImportTable) -> frozenset[str]:
    """Qualified names the file assigns to (``tf.log = tf.math.log``): they exist after that."""
    out: set[str] = set()
    for node in nodes:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute):
                dotted = ast_dotted(target)
                qualname = imports.resolve(dotted) if dotted else None
                if qualname is not None:
                    out.add(qualname)
    return frozenset(out)


# -- ast-stage helpers for ``wants`` ----------------------------------------------------------------
def import_units(unit_nodes: Sequence[ast.stmt], qualnames: set[str]) -> set[int]:
    """Units holding an import statement that binds one of ``qualnames`` (nested ones too)."""
    out: set[int] = set()
    for i, stmt in enumerate(unit_nodes):
        for node in ast.walk(stmt):
            if _binds_any(node, qualnames):
                out.add(i)
                break
    return out


def _binds_any(node: ast.AST, qualnames: set[str]) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name in qualnames for alias in node.names)
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return any(f"{node.module}.{alias.name}" in qualnames for alias in node.names)
    return False


# -- the visiting both removed-API rules share ------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """A removed name found in a table: what to say and how to fix a use of it."""

    qualname: str
    advice: str
    namespace: str = ""
    rewrite: Rewrite | None = None
    #: a same-namespace alias to rename the last attribute to (``mean_squared_error`` -> ``mse``)
    rename: str | None = None
    #: for ``from M import name``: the module and name to import instead (drop-in only)
    import_from: tuple[str, str] | None = None


class RemovedApiVisitor:
    """Mixin for the MODULE-scope removed-API rules (TFS501, TFS506).

    The rule provides ``lookup(qualname) -> Hit | None`` (exact names) and ``hit_message``;
    this class walks attribute chains, calls and imports, skips code inside compatibility
    guards, reports each removed name once and builds the fixes.
    """

    index: Any
    report: Any

    def lookup(self, qualname: str) -> Hit | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def hit_message(self, hit: Hit, spelled: str, error: str) -> str:  # pragma: no cover
        raise NotImplementedError

    def begin_module(self) -> None:
        self._guards = GuardTracker(self.index.imports)
        self._handler_saved: list[frozenset[str] | None] = []
        self._try_legacy: list[bool] = []
        self._branch_saved: list[frozenset[str] | None] = []
        self._covered: set[int] = set()
        self._roots = roots_for(self.index.imports)
        self._assigned = assigned_names(self.index.nodes, self.index.imports) | self.index.patched

    # guards
    def visit_Try(self, node: cst.Try) -> None:
        self._guards.enter_try(node)
        self._try_legacy.append(self._has_hits(node.body))

    def leave_Try(self, original_node: cst.Try) -> None:
        self._guards.leave()
        self._try_legacy.pop()

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._guards.enter_try(node)
        self._try_legacy.append(self._has_hits(node.body))

    def leave_TryStar(self, original_node: cst.TryStar) -> None:
        self._guards.leave()
        self._try_legacy.pop()

    def _enter_handler(self) -> None:
        # the handler runs only when the try body fails: when the body uses the modern API,
        # the handler is the legacy fallback and stays guarded (dead on the target version)
        legacy_body = bool(self._try_legacy) and self._try_legacy[-1]
        self._handler_saved.append(self._guards.enter_handler() if legacy_body else None)

    def _leave_handler(self) -> None:
        saved = self._handler_saved.pop()
        if saved is not None:
            self._guards.leave_handler(saved)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._enter_handler()

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._leave_handler()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._enter_handler()

    def leave_ExceptStarHandler(self, original_node: cst.ExceptStarHandler) -> None:
        self._leave_handler()

    def _has_hits(self, body: cst.CSTNode) -> bool:
        """Whether a block uses a removed name (attribute chains and imports)."""
        finder = _HitFinder(self)
        body.visit(finder)
        return finder.found

    def visit_If(self, node: cst.If) -> None:
        self._branch_saved.append(self._guards.enter_branch(node))
        self._guards.enter_if(node, _EMPTY)

    def leave_If(self, original_node: cst.If) -> None:
        self._guards.leave()
        self._guards.leave_branch(self._branch_saved.pop())

    def visit_Else(self, node: cst.Else) -> None:
        self._branch_saved.append(self._guards.enter_branch(node))

    def leave_Else(self, original_node: cst.Else) -> None:
        self._guards.leave_branch(self._branch_saved.pop())

    # names
    def hit_for(self, node: cst.CSTNode) -> Hit | None:
        """The table hit of a dotted expression written with an attribute (``K.mean``)."""
        dotted = cst_dotted(node)
        if dotted is None or "." not in dotted:
            return None
        qualname = self.index.imports.resolve(dotted)
        if qualname is None or qualname in self._assigned:
            return None  # a shim such as ``tf.log = tf.math.log`` makes the name exist
        return self.lookup(qualname)

    def visit_Call(self, node: cst.Call) -> None:
        if self._guards.guarded:
            return
        hit = self.hit_for(node.func)
        if hit is None or self._guards.covers(hit.qualname):
            return
        self._cover(node.func)
        fix, imports = self._call_fix(node, hit)
        self.report(node, message=self.hit_message(hit, _code(node.func), "AttributeError"),
                    fix=fix, fix_imports=imports)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self._covered or self._guards.guarded:
            return
        current: cst.BaseExpression = node
        while isinstance(current, cst.Attribute):
            hit = self.hit_for(current)
            if hit is not None and self._guards.covers(hit.qualname):
                self._cover(node)
                return
            if hit is not None:
                self._cover(node)
                fix, imports = self._reference_fix(current, hit)
                self.report(current, message=self.hit_message(hit, _code(current), "AttributeError"),
                            fix=fix, fix_imports=imports)
                return
            current = current.value

    def _cover(self, node: cst.BaseExpression) -> None:
        while isinstance(node, cst.Attribute):
            self._covered.add(id(node))
            node = node.value

    # fixes
    def nested_rewrite(self, qualname: str) -> Rewrite | None:
        """Rewrite for a name inside a fixed call that is not itself a finding (default: none)."""
        return None

    def _lookup_rewrite(self, node: cst.CSTNode) -> Rewrite | None:
        hit = self.hit_for(node)
        if hit is not None:
            return hit.rewrite
        dotted = cst_dotted(node)
        qualname = self.index.imports.resolve(dotted) if dotted and "." in dotted else None
        return self.nested_rewrite(qualname) if qualname else None

    def _call_fix(self, node: cst.Call, hit: Hit) -> tuple[cst.BaseExpression | None, list[Any]]:
        if hit.rename is not None and isinstance(node.func, cst.Attribute):
            return node.with_changes(func=node.func.with_changes(attr=cst.Name(hit.rename))), []
        if hit.rewrite is None or rewrite_call(node, hit.rewrite, self._roots) is None:
            return None, []
        rewriter = ApiRewriter(self._lookup_rewrite, self._roots)
        new = node.visit(rewriter)
        return (new if isinstance(new, cst.BaseExpression) else None), rewriter.imports

    def _reference_fix(self, node: cst.Attribute, hit: Hit) -> tuple[cst.BaseExpression | None, list[Any]]:
        if hit.rename is not None:
            return node.with_changes(attr=cst.Name(hit.rename)), []
        if hit.rewrite is None:
            return None, []
        new = rewrite_reference(hit.rewrite, self._roots)
        if new is None:
            return None, []
        return new.with_changes(lpar=node.lpar, rpar=node.rpar), self._roots.imports_for(hit.rewrite)

    # imports
    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None:
            self._cover(node.module)
        if self._guards.guarded or node.relative or node.module is None:
            return
        module = cst_dotted(node.module)
        if module is None or isinstance(node.names, cst.ImportStar):
            return
        module_hit = self.lookup_prefix(module)
        if module_hit is not None:
            self.report(node, message=self.hit_message(module_hit, module, "ImportError"))
            return
        for alias in node.names:
            name = cst_dotted(alias.name)
            hit = self.lookup(f"{module}.{name}") if name else None
            if hit is None:
                continue
            spelled = f"{module}.{name}"
            if hit.rename is not None and isinstance(alias.name, cst.Name):
                asname = alias.asname or cst.AsName(name=cst.Name(alias.name.value))
                fix = alias.with_changes(name=cst.Name(hit.rename), asname=asname)
                self.report(alias, message=self.hit_message(hit, spelled, "ImportError"), fix=fix)
            elif len(node.names) == 1 and hit.import_from is not None:
                self.report(node, message=self.hit_message(hit, spelled, "ImportError"),
                            fix=_import_from(node, alias, hit.import_from))
            else:
                self.report(alias, message=self.hit_message(hit, spelled, "ImportError"))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._cover(alias.name)
        if self._guards.guarded:
            return
        for alias in node.names:
            dotted = cst_dotted(alias.name)
            hit = self.lookup_prefix(dotted) if dotted else None
            if hit is not None:
                self.report(alias, message=self.hit_message(hit, dotted or "", "ModuleNotFoundError"))

    def lookup_prefix(self, qualname: str) -> Hit | None:
        """A hit on ``qualname`` or on one of its dotted prefixes (a removed module)."""
        parts = qualname.split(".")
        for end in range(len(parts), 1, -1):
            hit = self.lookup(".".join(parts[:end]))
            if hit is not None:
                return hit
        return None


_EMPTY = cst.Module(body=[])


#: ``removed(qualname, source) -> bool`` of every removed-API rule (TFS501, TFS506): a try
#: body that uses a name either rule knows is gone fails, so its handler runs
_REMOVED_PROBES: list[Callable[[str, str], bool]] = []


def register_removed_probe(probe: Callable[[str, str], bool]) -> None:
    """Called once by each removed-API rule module at import."""
    _REMOVED_PROBES.append(probe)


class _HitFinder(cst.CSTVisitor):
    """Does a block name anything a removed-API table calls removed?"""

    def __init__(self, rule: RemovedApiVisitor) -> None:
        super().__init__()
        self.imports: ImportTable = rule.index.imports
        self.source: str = rule.index.source
        self.found = False

    def _removed(self, qualname: str | None) -> bool:
        if qualname is None:
            return False
        parts = qualname.split(".")
        return any(probe(".".join(parts[:end]), self.source)
                   for end in range(len(parts), 1, -1) for probe in _REMOVED_PROBES)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        dotted = cst_dotted(node)
        if dotted is not None and self._removed(self.imports.resolve(dotted)):
            self.found = True
        return not self.found

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = cst_dotted(node.module) if node.module is not None and not node.relative else None
        if module is None or isinstance(node.names, cst.ImportStar):
            return
        if any(self._removed(f"{module}.{cst_dotted(a.name)}") for a in node.names):
            self.found = True

    def visit_Import(self, node: cst.Import) -> None:
        if any(self._removed(cst_dotted(alias.name)) for alias in node.names):
            self.found = True


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def _import_from(node: cst.ImportFrom, alias: cst.ImportAlias, target: tuple[str, str]) -> cst.ImportFrom:
    module, name = target
    local = alias.asname.name if alias.asname else alias.name
    new_alias = cst.ImportAlias(name=cst.Name(name))
    if cst_dotted(local) != name:
        new_alias = new_alias.with_changes(asname=cst.AsName(name=cst.Name(cst_dotted(local) or name)))
    return node.with_changes(module=dotted_expr(module), names=[new_alias])
