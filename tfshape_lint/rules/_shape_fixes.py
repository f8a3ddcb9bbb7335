"""Fix-building helpers shared by the shape and dtype rules (TFS101-TFS202).

A fix that needs a TensorFlow op spells it through the module's own alias (``tf``, ``keras.ops``,
``K``), so that the fixed file needs no new import when one of them is already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.analysis.ops import lookup
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import Grad, Tag, Value
from tfshape_lint.rules._helpers import call_arg
from tfshape_lint.source import code_of

if TYPE_CHECKING:
    from tfshape_lint.rule import Rule as _RuleBase
else:  # a plain mixin at runtime: the registry takes every Rule subclass in rules/ for a rule
    _RuleBase = object

ImportSpec = tuple[str, str | None, str | None]

_TF = ("tensorflow", "tensorflow.compat.v2")
_OPS = ("keras.ops", "keras._tf_keras.keras.ops", "tensorflow.keras.ops")
_KERAS = ("keras", "tensorflow.keras", "keras._tf_keras.keras")
_BACKEND = ("tensorflow.keras.backend", "keras._tf_keras.keras.backend", "tf_keras.backend",
            "tensorflow.python.keras.backend")


@dataclass(frozen=True)
class Namespace:
    """Where ``cast`` lives in this module, how int32 is spelt there, and the import it needs."""

    cast: str
    int32: str
    float32: str
    imports: tuple[ImportSpec, ...] = ()
    add_n: str | None = None


def alias_of(index: ModuleIndex, targets: tuple[str, ...]) -> str | None:
    """The local name bound to one of ``targets`` (shortest first), if any."""
    names = sorted((n for n, q in index.imports.aliases.items() if q in targets), key=len)
    return names[0] if names else None


def namespace(index: ModuleIndex) -> Namespace:
    """The op namespace a fix should use: tf, then keras.ops, then the legacy backend."""
    tf = alias_of(index, _TF)
    if tf is not None:
        return Namespace(f"{tf}.cast", f"{tf}.int32", f"{tf}.float32", add_n=f"{tf}.add_n")
    ops = alias_of(index, _OPS)
    if ops is not None:
        return Namespace(f"{ops}.cast", '"int32"', '"float32"')
    keras = alias_of(index, _KERAS)
    if keras is not None:
        return Namespace(f"{keras}.ops.cast", '"int32"', '"float32"')
    backend = alias_of(index, _BACKEND)
    if backend is not None:
        return Namespace(f"{backend}.cast", '"int32"', '"float32"')
    return Namespace("tf.cast", "tf.int32", "tf.float32", (("tensorflow", None, "tf"),), add_n="tf.add_n")


def expression(text: str) -> cst.BaseExpression:
    """A LibCST expression from source text (only for the short op spellings built here)."""
    return cst.parse_expression(text)


def call(func: str, *args: cst.BaseExpression) -> cst.Call:
    """``func(arg, arg, ...)`` with the usual ``, `` separators."""
    built = [cst.Arg(value=a, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
             for a in args]
    if built:
        built[-1] = built[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return cst.Call(func=expression(func), args=built)


def cast(index: ModuleIndex, node: cst.BaseExpression, dtype: str) -> tuple[cst.Call, tuple[ImportSpec, ...]]:
    """``<ns>.cast(node, dtype)``; ``dtype`` is source text, or ``"int32"``/``"float32"`` for
    the module's own spelling of that dtype."""
    ns = namespace(index)
    text = {"int32": ns.int32, "float32": ns.float32}.get(dtype, dtype)
    return call(ns.cast, _bare(node), expression(text)), ns.imports


def _bare(node: cst.BaseExpression) -> cst.BaseExpression:
    """The node without redundant outer parentheses (it becomes a call argument)."""
    if getattr(node, "lpar", None):
        return node.with_changes(lpar=[], rpar=[])
    return node


def source(node: cst.CSTNode) -> str:
    """The source text of a node (for messages)."""
    return code_of(node)


def short(node: cst.CSTNode, limit: int = 40) -> str:
    """Source text of a node on one line, cut to ``limit`` characters."""
    text = " ".join(source(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


_OPERATORS: dict[type, str] = {cst.Add: "+", cst.Subtract: "-", cst.Multiply: "*", cst.Divide: "/",
                               cst.AddAssign: "+=", cst.SubtractAssign: "-=", cst.MultiplyAssign: "*=",
                               cst.DivideAssign: "/="}
#: table ops that broadcast their two arguments elementwise, with the symbol used in messages
_CALL_OPS: dict[str, str] = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/",
                             "truediv": "/", "maximum": "maximum", "minimum": "minimum",
                             "squared_difference": "squared_difference"}


def operands(canonical: str | None, node: cst.CSTNode) -> tuple[str, cst.BaseExpression, cst.BaseExpression] | None:
    """``(op, left, right)`` of an elementwise binary operation: ``a * b``, ``a *= b`` or
    ``tf.multiply(a, b)``; ``op`` is ``+ - * /`` (an augmented ``*=`` reports as ``*``).

    ``canonical`` is the callee's canonical name for a call (ignored for operators).
    """
    if isinstance(node, cst.BinaryOperation):
        op = _OPERATORS.get(type(node.operator))
        return (op, node.left, node.right) if op is not None else None
    if isinstance(node, cst.AugAssign):
        op = _OPERATORS.get(type(node.operator))
        return (op[0], node.target, node.value) if op is not None else None
    if isinstance(node, cst.Call):
        spec = lookup(canonical)
        op = _CALL_OPS.get(spec.op) if spec is not None else None
        if op is None:
            return None
        left, right = call_arg(node, 0, "x", "x1", "a"), call_arg(node, 1, "y", "x2", "b")
        if left is None or right is None:
            return None
        return op, left, right
    return None


class ElementwiseOperands(_RuleBase):
    """Mixin (listed before ``Rule``) for loss rules that judge the two operands of an
    elementwise operation (TFS103, TFS106, TFS107): finds them in ``a * b``, ``a *= b`` and
    ``tf.multiply(a, b)`` (see :func:`operands`) and hands them to :meth:`check_operands`."""

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._elementwise(node)

    def visit_Call(self, node: cst.Call) -> None:
        self._elementwise(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._elementwise(node)

    def _elementwise(self, node: cst.BinaryOperation | cst.Call | cst.AugAssign) -> None:
        found = operands(self.canonical(node.func) if isinstance(node, cst.Call) else None, node)
        if self.loss is None or found is None:
            return
        op, left, right = found
        self.check_operands(self.loss, node, op, left, right)

    def check_operands(self, scope: Scope, node: cst.BinaryOperation | cst.Call | cst.AugAssign, op: str,
                       left: cst.BaseExpression, right: cst.BaseExpression) -> None:
        """Judge ``left op right`` (``node``) in ``scope``."""
        raise NotImplementedError


def with_trailing_axes(node: cst.BaseExpression, count: int) -> cst.Subscript:
    """``node[..., None]`` (one ``None`` per missing axis), parenthesising ``node`` if needed."""
    base = node
    if not isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not getattr(node, "lpar", None):
        base = node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    elements = [cst.SubscriptElement(slice=cst.Index(value=cst.Ellipsis()), comma=comma)]
    for i in range(count):
        last = i == count - 1
        elements.append(cst.SubscriptElement(slice=cst.Index(value=cst.Name("None")),
                                             comma=cst.MaybeSentinel.DEFAULT if last else comma))
    return cst.Subscript(value=base, slice=elements)


def weight_on_loss(op: str, low: Value, high: Value) -> bool:
    """A per-sample weight or mask (no gradient path to ``y_pred``) scaling an element-wise loss
    (a differentiable tensor computed from ``y_pred``, not ``y_pred`` itself): TFS106's case.
    TFS103 takes every other rank mismatch, so the two rules never report the same operation."""
    return (op in ("*", "/") and low.grad is not Grad.DIFF and high.grad is Grad.DIFF
            and not high.has(Tag.INPUT))
