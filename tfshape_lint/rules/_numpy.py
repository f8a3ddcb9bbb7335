"""numpy inside losses (TFS302, TFS301, TFS110, TFS111): py_function targets, numpy-or-tensor code
and the tf / keras.ops equivalents.

The equivalents are 1:1 only under the argument forms listed: the same positional order and
only the ``axis``/``keepdims`` keywords, and a default ``axis`` that means the same thing
(``np.argmax`` flattens by default, ``tf.argmax`` uses axis 0, so it needs an explicit axis).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst

from tfshape_lint.analysis.imports import ImportTable, ast_dotted, canonical, cst_dotted
from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.analysis.losses import Context
from tfshape_lint.analysis.ops import Kind, lookup
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.rules._helpers import dotted_expr
from tfshape_lint.source import descendants, visit_read_only

PY_FUNCTIONS = frozenset({"tf.py_function", "tf.numpy_function", "tf.py_func", "tf.compat.v1.py_func"})
#: numpy names that never convert a tensor to an array
HARMLESS = frozenset({"np.shape", "np.ndim", "np.finfo", "np.iinfo", "np.dtype", "np.issubdtype",
                      "np.result_type", "np.isscalar", "np.float32", "np.float64", "np.int32",
                      "np.int64", "np.newaxis", "np.pi", "np.e", "np.inf", "np.nan"})


@dataclass(frozen=True)
class Equivalent:
    """How one numpy function maps to each namespace, and which call forms are 1:1."""

    tf: str | None
    ops: str | None
    k: str | None
    min_positional: int = 1
    max_positional: int = 2
    keywords: frozenset[str] = frozenset({"axis", "keepdims"})
    needs_axis: bool = False  # numpy's default axis differs from TensorFlow's
    float_only: bool = False  # integer/bool input changes the result dtype or raises in tf


def _reduction(tf: str, ops: str, k: str) -> Equivalent:
    return Equivalent(tf, ops, k, float_only=True)


def _elementwise(tf: str, ops: str, k: str | None, arity: int = 1) -> Equivalent:
    return Equivalent(tf, ops, k, min_positional=arity, max_positional=arity, keywords=frozenset())


EQUIVALENTS: dict[str, Equivalent] = {
    "mean": _reduction("reduce_mean", "mean", "mean"),
    "sum": _reduction("reduce_sum", "sum", "sum"),
    "max": _reduction("reduce_max", "max", "max"),
    "amax": _reduction("reduce_max", "max", "max"),
    "min": _reduction("reduce_min", "min", "min"),
    "amin": _reduction("reduce_min", "min", "min"),
    "prod": _reduction("reduce_prod", "prod", "prod"),
    "std": _reduction("math.reduce_std", "std", "std"),
    "var": _reduction("math.reduce_variance", "var", "var"),
    "abs": _elementwise("abs", "abs", "abs"),
    "absolute": _elementwise("abs", "abs", "abs"),
    "square": _elementwise("square", "square", "square"),
    "sqrt": _elementwise("sqrt", "sqrt", "sqrt"),
    "exp": _elementwise("exp", "exp", "exp"),
    "log": _elementwise("math.log", "log", "log"),
    "log1p": _elementwise("math.log1p", "log1p", None),
    "tanh": _elementwise("tanh", "tanh", "tanh"),
    "negative": _elementwise("negative", "negative", None),
    "maximum": _elementwise("maximum", "maximum", "maximum", 2),
    "minimum": _elementwise("minimum", "minimum", "minimum", 2),
    "power": _elementwise("pow", "power", "pow", 2),
    "clip": _elementwise("clip_by_value", "clip", "clip", 3),
    "where": _elementwise("where", "where", "switch", 3),
    "argmax": Equivalent("argmax", "argmax", "argmax", keywords=frozenset({"axis"}), needs_axis=True),
    "argmin": Equivalent("argmin", "argmin", "argmin", keywords=frozenset({"axis"}), needs_axis=True),
    "expand_dims": Equivalent("expand_dims", "expand_dims", "expand_dims", keywords=frozenset({"axis"})),
    "squeeze": Equivalent("squeeze", "squeeze", "squeeze", keywords=frozenset({"axis"}), needs_axis=True),
}


def py_function_targets(index: ModuleIndex) -> set[str]:
    """Names of module functions wrapped by ``tf.py_function``/``tf.numpy_function``.

    Such a function receives numpy arrays, so numpy inside it is fine even when its signature
    looks like a loss's. Every rule asks once per file: a file that never spells ``py_func``
    (what all of :data:`PY_FUNCTIONS` contain) is answered without walking its nodes.
    """
    out: set[str] = set()
    if "py_func" not in index.source and "numpy_function" not in index.source:
        return out
    for node in index.nodes:
        if not isinstance(node, ast.Call):
            continue
        dotted = ast_dotted(node.func)
        if dotted is None or index.imports.canonical(dotted) not in PY_FUNCTIONS:
            continue
        func = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "func"), None)
        if isinstance(func, ast.Name):
            out.add(func.id)
    return out


def uses_numpy(fn: cst.CSTNode, imports: ImportTable) -> bool:
    """Whether a function body calls numpy or ``.numpy()``."""
    finder = _NumpyFinder(imports)
    visit_read_only(fn, finder)
    return finder.found


class _NumpyFinder(cst.CSTVisitor):
    def __init__(self, imports: ImportTable) -> None:
        super().__init__()
        self.imports = imports
        self.found = False

    def visit_Call(self, node: cst.Call) -> None:
        dotted = cst_dotted(node.func)
        canon = self.imports.canonical(dotted) if dotted else None
        if canon is not None and canon.startswith("np.") and canon not in HARMLESS:
            self.found = True
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "numpy" and not node.args:
            self.found = True


@dataclass(frozen=True)
class Namespace:
    """Where the replacement comes from: a dotted prefix and the import it needs, if any."""

    kind: str  # "tf", "ops" or "K"
    prefix: str
    imports: tuple[tuple[str, str | None, str | None], ...] = ()


def namespace(index: ModuleIndex) -> list[Namespace]:
    """The namespaces the file already uses, most used first; else one to import."""
    found: dict[str, Namespace] = {}
    for local, qualname in sorted(index.imports.aliases.items()):
        canon = canonical(qualname)
        if qualname == "tensorflow" and "tf" not in found:
            found["tf"] = Namespace("tf", local)
        elif canon == "ops" and "ops" not in found:
            found["ops"] = Namespace("ops", local)
        elif qualname == "keras" and "ops" not in found:
            found["ops"] = Namespace("ops", f"{local}.ops")
        elif canon == "K" and "K" not in found and qualname not in ("keras.backend", "keras.src.backend"):
            found["K"] = Namespace("K", local)
    usage = {kind: sum(len(units) for name, units in index.names.items() if name.startswith(kind + "."))
             for kind in ("tf", "ops", "K")}
    order = {"tf": 0, "ops": 1, "K": 2}
    ranked = sorted(found.values(), key=lambda ns: (-usage[ns.kind], order[ns.kind]))
    if ranked:
        return ranked
    roots = {q.split(".")[0] for q in index.imports.aliases.values()}
    bound = set(index.imports.aliases)
    if "tensorflow" in roots and "tf" not in bound:
        return [Namespace("tf", "tf", (("tensorflow", None, "tf"),))]
    if "keras" in roots and "ops" not in bound:
        return [Namespace("ops", "ops", (("keras", "ops", None),))]
    return []


def replacement(call: cst.Call, name: str, spaces: list[Namespace],
                arg_is_float: bool) -> tuple[cst.Call, Namespace, str] | None:
    """``call`` with its numpy function swapped for the equivalent, when the form is 1:1."""
    eq = EQUIVALENTS.get(name)
    if eq is None or any(a.star for a in call.args):
        return None
    positional = [a for a in call.args if a.keyword is None]
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    if not eq.min_positional <= len(positional) <= eq.max_positional or not keywords <= eq.keywords:
        return None
    if eq.needs_axis and len(positional) < 2 and "axis" not in keywords:
        return None
    if eq.float_only and not arg_is_float:
        return None
    for space in spaces:
        target = {"tf": eq.tf, "ops": eq.ops, "K": eq.k}[space.kind]
        if target is None:
            continue
        dotted = f"{space.prefix}.{target}"
        return call.with_changes(func=dotted_expr(dotted)), space, dotted
    return None


def tensor_code(imports: ImportTable, loss: Scope) -> bool:
    """Whether the loss works on tensors: always when Keras calls it; for a function found only
    by its ``(y_true, y_pred)`` signature, when it calls TensorFlow/Keras ops and no numpy
    function on its inputs (a numpy function of the same shape is not a Keras loss, and numpy
    metrics wrapped in ``tf.py_function`` see concrete shapes)."""
    if loss.context is not Context.UNKNOWN:
        return True
    tensor_ops = False
    for scope in loss.all_scopes():
        for node in scope.nodes_of(cst.Call):
            canon = imports.canonical_of(node.func) or ""
            if canon.startswith("np.") and any(
                    (v := scope.value(a.value)) is not None and v.tensor and bool(v.origin) for a in node.args):
                return False
            tensor_ops = tensor_ops or canon.startswith(("tf.", "K.", "ops.", "keras."))
    return tensor_ops


def loss_name(loss: Scope) -> str:
    """The loss function's own name (the last part of its path)."""
    return loss.spec.path[-1] if loss.spec.path else loss.spec.qualname


def numpy_code(loss: Scope, wrapped: set[str], index: ModuleIndex) -> bool:
    """A function that receives arrays, not tensors: a ``tf.py_function`` target (``wrapped``,
    see :func:`py_function_targets`) or numpy code such as Keras' numpy backend."""
    if loss_name(loss) in wrapped:
        return True
    if not any(name.startswith("np.") for name in index.names):
        return False  # the ast index saw no numpy name in the file: no numpy call to find
    return loss.memo("numpy_only", lambda: numpy_only(loss.node, index.imports))


#: backend calls that return a number or a dtype name, not a tensor
_CONSTANTS = frozenset({Kind.EPSILON, Kind.FLOATX})


def numpy_only(fn: cst.CSTNode, imports: ImportTable) -> bool:
    """A function that calls numpy and no TensorFlow/Keras op: numpy code (e.g. Keras' numpy
    backend), whose inputs are arrays even when its signature looks like a loss's."""
    numpy = tensor_ops = False
    for node in descendants(fn, cst.Call):
        canon = imports.canonical_of(node.func)
        if canon is None:
            continue
        if canon.startswith("np."):
            numpy = True
        elif canon.startswith(("tf.", "K.", "ops.")) and (spec := lookup(canon)) is not None \
                and spec.kind not in _CONSTANTS:
            tensor_ops = True  # (K.epsilon() and K.floatx() are numbers, not tensor ops)
    return numpy and not tensor_ops
