"""Value ranges: can an expression reach 0, and is it guarded?

For each ``log``/``sqrt``/division/``pow``: whether the operand can reach 0 (or go negative) in
float32; for a NaN-masking ``where``: whether it hides a branch whose local derivative is
infinite. Both need the same small abstract domain, computed over the syntax of
the loss: names are followed to their definitions through ``Scope.sources`` and helper
parameters to the caller's arguments, so guards on intermediate variables are seen.

Precision matters in float32: ``1 - 1e-10`` rounds to ``1.0``, so ``clip(p, 1e-10, 1 - 1e-10)``
does not keep ``1 - p`` away from 0, while ``1 - K.epsilon()`` (``1e-7``) does.
"""

from __future__ import annotations

import math

import enum
import struct
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

import libcst as cst

from tfshape_lint.analysis.imports import ImportTable, cst_dotted
from tfshape_lint.analysis.losses import Context
from tfshape_lint.analysis.names import EPSILON_WORDS, mentions
from tfshape_lint.analysis.ops import REDUCED_KEYWORDS, Kind, OpSpec, lookup
from tfshape_lint.analysis.tensors import ModuleFacts, Scope, call_arg, init_number, literal
from tfshape_lint.analysis.values import Grad, Tag
from tfshape_lint.source import code_of, descendants

#: smallest positive normal float32; a smaller "epsilon" is flushed to 0 on many devices
_TINY = 1.1754944e-38
#: K.epsilon() / keras.config.epsilon() default
_KERAS_EPSILON = 1e-7
_MAX_DEPTH = 60
#: module constants a loss scales by (Gaussian likelihoods use 2*pi): positive numbers
_MATH_CONSTANTS = {"numpy.pi": 3.141592653589793, "math.pi": 3.141592653589793,
                   "numpy.e": 2.718281828459045, "math.e": 2.718281828459045,
                   "math.tau": 6.283185307179586, "tensorflow.experimental.numpy.pi": 3.141592653589793}


def f32(x: float) -> float:
    """``x`` rounded to float32 (the dtype Keras computes losses in)."""
    try:
        return float(struct.unpack("f", struct.pack("f", x))[0])
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


class Low(enum.Enum):
    """How close to 0 a value can get."""

    ANY = "any"  # unknown sign, 0 is a natural value (y_pred, a difference of data)
    OFFSET = "offset"  # unknown sign, shifted by a non-zero constant: exactly 0 only by chance
    NONNEG = "nonneg"  # >= 0 and 0 is reachable (square, abs, relu, labels, mask sums)
    POS = "pos"  # > 0 in exact arithmetic but underflows to 0 in float32 (exp, sigmoid, softmax)
    SAFE = "safe"  # >= an epsilon float32 keeps (clip, maximum, + eps, sizes)


_ORDER = {Low.ANY: 0, Low.OFFSET: 0, Low.NONNEG: 1, Low.POS: 2, Low.SAFE: 3}


def worst(a: Low, b: Low) -> Low:
    """The weaker of two lower bounds (a control-flow or branch join)."""
    if a == b:
        return a
    if Low.ANY in (a, b):
        return Low.ANY
    if Low.OFFSET in (a, b):
        # an offset value joined with a safe one stays an offset; with a reachable 0 it is ANY
        return Low.OFFSET if Low.SAFE in (a, b) else Low.ANY
    return a if _ORDER[a] < _ORDER[b] else b


def best(a: Low, b: Low) -> Low:
    """The stronger of two lower bounds (``maximum``)."""
    return a if _ORDER[a] >= _ORDER[b] else b


def at_least(a: Low, floor: Low) -> bool:
    return _ORDER[a] >= _ORDER[floor] and not (floor is Low.OFFSET and a is Low.ANY)


@dataclass(frozen=True)
class Hazard:
    """An operation whose operand can reach 0: log/sqrt/division/pow without a guard."""

    node: cst.CSTNode  # the call or binary operation
    arg: cst.BaseExpression  # the operand that can reach 0
    kind: str  # "log", "log1p", "sqrt", "rsqrt", "div", "reciprocal", "pow_frac", "pow_neg"
    label_sum: bool = False  # a sum of labels in a denominator, not y_pred
    underflow: bool = False  # the operand is positive but can underflow (softmax, sigmoid, exp)
    negative: bool = False  # the operand is shifted by a constant: negative, not 0, is the risk


@dataclass(frozen=True)
class Bound:
    """What the ranges analysis knows about one expression."""

    low: Low = Low.ANY
    pred: bool = False  # depends on y_pred
    diff: bool = False  # ... differentiably
    label: bool = False  # depends on y_true
    le_one: bool = False  # <= 1 (a probability, a clip to 1)
    margin: bool = False  # <= 1 - eps with an eps float32 keeps, so 1 - x >= eps
    neg_margin: bool = False  # >= -1 + eps likewise: with ``margin``, x ** 2 <= 1 - eps
    const: float | None = None  # a known constant (float32)
    scalar: bool = False  # a Python number or epsilon, not a tensor
    label_sum: bool = False  # a reduction of labels (0 for a batch without positives)
    nan_label: bool = False  # carries y_true that was not sanitised by a NaN test
    negated: bool = False  # -p for a y_pred value without margin (log1p(-p) hazard)
    peak_one: bool = False  # exp(x - max(x)): its largest element along the axis is exactly 1
    exp: bool = False  # exp(x) (through shape-only ops): 0 only where x < -87 in float32
    #: ``1 - x``: the lower bound of ``x``, so that ``1 - (1 - dice)`` is known to be ``dice``
    #: again, through names and helpers (``log(1 - dice_loss(y_true, y_pred))``)
    one_minus: Low | None = None
    hazards: frozenset[Hazard] = field(default_factory=frozenset)  # zero-derivative ops inside
    #: a sum with a positive constant among its terms (``(tp + smooth) + fp``): guarded as
    #: ``tp + fp + smooth`` is, whichever order the terms are added in. Only ``+`` keeps it.
    smoothed: bool = False
    #: a known upper bound (float32) beyond ``le_one``'s 1: a probability rescaled into
    #: ``[eps, 1 - eps]`` (``(p + 0.01) / 1.02``, ``p * (1 - 2 * eps) + eps``)
    high: float | None = None

    def lifted(self, **changes: object) -> Bound:
        if "low" in changes and "smoothed" not in changes:
            changes["smoothed"] = False  # a new range: no longer that sum
        return replace(self, **changes)  # type: ignore[arg-type]


ANY = Bound()


def constant(c: float) -> Bound:
    c = f32(c)
    if c >= _TINY:
        low = Low.SAFE
    elif c >= 0:
        low = Low.NONNEG  # 0, or a subnormal "epsilon" that devices flush to 0
    else:
        low = Low.ANY
    return Bound(low=low, const=c, scalar=True, le_one=c <= 1.0, margin=c < 1.0, neg_margin=c > -1.0)


EPSILON = Bound(low=Low.SAFE, scalar=True, le_one=True, margin=True, neg_margin=True)


def join(a: Bound, b: Bound) -> Bound:
    return Bound(
        low=worst(a.low, b.low), pred=a.pred or b.pred, diff=a.diff or b.diff,
        label=a.label or b.label, le_one=a.le_one and b.le_one, margin=a.margin and b.margin,
        neg_margin=a.neg_margin and b.neg_margin, const=a.const if a.const == b.const else None, scalar=a.scalar and b.scalar,
        label_sum=a.label_sum or b.label_sum, nan_label=a.nan_label or b.nan_label,
        negated=a.negated or b.negated, hazards=a.hazards | b.hazards)


def combine(parts: Iterable[Bound], low: Low = Low.ANY, **flags: object) -> Bound:
    """A new value computed from ``parts``: dependence and hazards flow, the range is ``low``."""
    items = list(parts)
    out = Bound(low=low, pred=any(p.pred for p in items), diff=any(p.diff for p in items),
                label=any(p.label for p in items), nan_label=any(p.nan_label for p in items),
                hazards=frozenset().union(*(p.hazards for p in items)) if items else frozenset())
    return out.lifted(**flags) if flags else out


#: lower bounds at which each kind of op is singular or undefined (a hazard)
FLAGGED: dict[str, frozenset[Low]] = {
    "log": frozenset({Low.ANY, Low.OFFSET, Low.NONNEG, Low.POS}),
    "sqrt": frozenset({Low.ANY, Low.OFFSET, Low.NONNEG}),
    "rsqrt": frozenset({Low.ANY, Low.OFFSET, Low.NONNEG}),
    "pow_frac": frozenset({Low.ANY, Low.OFFSET, Low.NONNEG}),
    "div": frozenset({Low.ANY, Low.NONNEG}),
    "reciprocal": frozenset({Low.ANY, Low.NONNEG}),
    "pow_neg": frozenset({Low.ANY, Low.NONNEG}),
}
#: lower bounds at which the local derivative is infinite at the masked points.
#: TensorFlow's Reciprocal and Rsqrt gradients return 0 when the incoming gradient is exactly 0
#: (measured on TF 2.21), so a where() that masks their output does stop the NaN; Log, RealDiv
#: and Pow compute 0 * inf = NaN. Sqrt(0) = 0 is never masked by a NaN test: its inf stays.
INFINITE_DERIVATIVE: dict[str, frozenset[Low]] = {
    "log": frozenset({Low.ANY, Low.NONNEG, Low.POS}),
    "sqrt": frozenset({Low.ANY, Low.NONNEG}),
    "rsqrt": frozenset(),
    "pow_frac": frozenset({Low.ANY, Low.NONNEG}),
    "div": frozenset({Low.ANY, Low.NONNEG}),
    "reciprocal": frozenset(),
    "pow_neg": frozenset({Low.ANY, Low.NONNEG}),
}
_LOG_OPS = {"log": "log", "log2": "log", "log10": "log"}
_UNARY_HAZARDS = {"sqrt": "sqrt", "rsqrt": "rsqrt", "reciprocal": "reciprocal"}
NAN_TESTS = frozenset({"is_nan", "is_inf", "is_finite"})


#: functions of Python's ``math`` module folded on constant arguments
_MATH_FUNCTIONS = frozenset({"sqrt", "log", "log2", "log10", "exp", "pow", "hypot", "cos", "sin", "tan",
                             "floor", "ceil", "fabs"})


def _math_call(canon: str, args: list[Bound]) -> Bound | None:
    """``math.sqrt(144 ** 2 + 144 ** 2)`` of constants: the constant it is (a module-level
    ``max_dist`` that divides an epsilon is that epsilon, scaled)."""
    module, _, name = canon.rpartition(".")
    if module != "math" or name not in _MATH_FUNCTIONS or not args or any(a.const is None for a in args):
        return None
    try:
        value = float(getattr(math, name)(*(a.const for a in args)))
    except (ValueError, OverflowError, TypeError):
        return None
    return constant(value) if math.isfinite(value) else None


def _unparenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` without its own parentheses: ``(1 - y)`` and ``1 - y`` are the same weight."""
    return node.with_changes(lpar=[], rpar=[]) if getattr(node, "lpar", None) else node


def _foreign(bound: Bound) -> Bound:
    """What a project helper whose body is not in this file returns (``get_mu_sigma(y_pred)``,
    which may apply softplus): it still depends on the prediction, but how close to 0 it gets
    is not known, so it is no evidence of a hazard."""
    return bound.lifted(low=Low.SAFE, const=None)


class Ranges:
    """Computes :class:`Bound` for expressions of a loss and its helpers (memoised)."""

    def __init__(self, imports: ImportTable, facts: ModuleFacts | None = None) -> None:
        self.imports = imports
        self.facts = facts
        self._memo: dict[tuple[int, int], Bound] = {}
        self._active: set[tuple[int, int]] = set()
        # memo keys hold ids: keep the scopes alive so that no later scope reuses an id
        self._pinned: dict[int, Scope] = {}
        self._reads: dict[cst.CSTNode, frozenset[str]] = {}

    # -- public ----------------------------------------------------------------------------
    def bound(self, node: cst.CSTNode, scope: Scope) -> Bound:
        key = (id(node), id(scope))
        if key in self._memo:
            return self._memo[key]
        self._pinned.setdefault(id(scope), scope)
        if key in self._active or len(self._active) > _MAX_DEPTH:
            return ANY
        self._active.add(key)
        try:
            result = self._bound(node, scope)
        finally:
            self._active.discard(key)
        self._memo[key] = result
        return result

    def hazard(self, node: cst.CSTNode, scope: Scope) -> Hazard | None:
        """The hazard ``node`` itself introduces, if its operand can reach 0."""
        found = self._operand_bound(node, scope)
        if found is None:
            return None
        kind, arg, bound = found
        if kind == "log1p":
            return Hazard(node, arg, kind) if bound.negated else None
        if bound.low not in FLAGGED[kind] or (kind == "div" and self._normalisation(node, arg, scope)):
            return None
        if bound.pred and bound.exp and kind in ("log", "div") and bound.low is Low.POS:
            # ``log(sigma)`` / ``err / sigma`` of ``sigma = exp(raw)`` (a log-variance head): 0 only
            # where ``raw`` is below about -103 in float32, as for a log-sum-exp
            return None
        if bound.pred:
            return Hazard(node, arg, kind, underflow=bound.low is Low.POS, negative=bound.low is Low.OFFSET)
        if kind == "div" and bound.label_sum and not self._batch_mask_count(arg, scope) \
                and not self._weighted_mean(node, arg, scope) and not self._label_ratio_sanitised(node, scope):
            return Hazard(node, arg, kind, label_sum=True)
        return None

    def _label_ratio_sanitised(self, node: cst.CSTNode, scope: Scope) -> bool:
        """A ratio of label values (no gradient flows through it) whose NaN a ``where`` on a NaN
        test replaces right after: the forward value is all that can go wrong, and it is fixed."""
        num = node.left if isinstance(node, cst.BinaryOperation) else \
            node.target if isinstance(node, cst.AugAssign) else call_arg(node, 0, "x") if isinstance(node, cst.Call) else None
        if num is None or self.bound(num, scope).pred:
            return False
        for other in scope.values:
            if not isinstance(other, cst.Call) or len(other.args) < 3:
                continue
            spec, _ = self.spec(other)
            if spec is None or spec.kind is not Kind.WHERE or not self.nan_tested(other.args[0].value, scope):
                continue
            if any((self.definition(part, scope) or part) is node for part in self._tested(other.args[0].value, scope, 0)):
                return True
        return self._label_ratio_selected(node, scope)

    def _label_ratio_selected(self, node: cst.CSTNode, scope: Scope) -> bool:
        """A ratio of label values that a ``where`` testing its denominator selects only where
        the denominator passed the test (``where(den > 0, 1 / den, 0)``): with no gradient
        through labels, the value where ``den`` is 0 is the only thing that can go wrong."""
        den = node.right if isinstance(node, cst.BinaryOperation) else \
            call_arg(node, 1, "y") if isinstance(node, cst.Call) else None
        if den is None:
            return False
        for other in scope.values:
            if not isinstance(other, cst.Call) or len(other.args) < 3:
                continue
            spec, _ = self.spec(other)
            if spec is None or spec.kind is not Kind.WHERE:
                continue
            kept = other.args[1].value
            if (kept is node or self.definition(kept, scope) is node) and self.sanitising(other.args[0].value, den, scope):
                return True
        return False

    def _batch_mask_count(self, den: cst.BaseExpression, scope: Scope) -> bool:
        """``sum(mask)`` over the whole batch (no axis): the masked-mean idiom's denominator is
        the number of valid entries in the batch, 0 only for a batch of nothing but padding."""
        value = scope.value(self.definition(den, scope) or den) or scope.value(den)
        return value is not None and value.has(Tag.FULL_REDUCTION) and value.has(Tag.MASK)

    def _weighted_mean(self, node: cst.CSTNode, den: cst.BaseExpression, scope: Scope) -> bool:
        """``sum(err * w) / sum(w)`` over the whole batch (no axis) with label weights ``w`` (a
        valid-pixel channel of the labels, object centres) that the summed value is built
        from: the masked mean again, 0/0 only for a batch without one valid entry. A factor
        in front (``total * sum(square(p * (1 - y))) / sum(1 - y)``) changes nothing."""
        num = node.left if isinstance(node, cst.BinaryOperation) else \
            call_arg(node, 0, "x", "x1") if isinstance(node, cst.Call) else None
        den = self.definition(den, scope) or den
        value = scope.value(den)
        if num is None or not (isinstance(den, cst.Call) and len(den.args) == 1) \
                or value is None or not value.has(Tag.FULL_REDUCTION):
            return False
        den_spec, _ = self.spec(den)
        if den_spec is None or den_spec.op != "sum":
            return False
        weight = _unparenthesized(den.args[0].value)
        return any(self._masked_sum(candidate, weight, scope) for candidate in self._product_factors(num, scope))

    def _product_factors(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> list[cst.BaseExpression]:
        """``expr`` through its definition, and for a product each factor of it (a few levels)."""
        expr = self.definition(expr, scope) or expr
        if depth < 4 and isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
            return [expr] + self._product_factors(expr.left, scope, depth + 1) \
                + self._product_factors(expr.right, scope, depth + 1)
        return [expr]

    def _masked_sum(self, candidate: cst.BaseExpression, weight: cst.BaseExpression, scope: Scope) -> bool:
        """A full sum whose summed value keeps the entries ``weight`` selects: a product with
        them (``err * w``, ``abs(a * w - b * w)``, ``square(p * (1 - y))``), not merely the labels
        they come from (``abs(y - p)``)."""
        if not (isinstance(candidate, cst.Call) and len(candidate.args) == 1):
            return False
        spec, _ = self.spec(candidate)
        if spec is None or spec.op != "sum":
            return False
        summed = self.definition(candidate.args[0].value, scope) or candidate.args[0].value
        if any(isinstance(part.operator, cst.Multiply)
               and (_unparenthesized(part.left).deep_equals(weight) or _unparenthesized(part.right).deep_equals(weight))
               for part in descendants(summed, cst.BinaryOperation)):
            return True
        # ``tf.multiply(-(loss1 + loss2), mask)`` with ``mask`` a channel of the labels: the same
        # product spelled as a call. Not a mask made by comparing labels (tfa's semi-hard triplet
        # loss divides by its count of positive pairs, which a batch of distinct classes makes 0:
        # the NaN its users report)
        if not self._label_channel(weight, scope):
            return False
        calls = ([summed] if isinstance(summed, cst.Call) else []) + list(descendants(summed, cst.Call))
        return any(len(call.args) == 2 and any(_unparenthesized(a.value).deep_equals(weight) for a in call.args)
                   and getattr(self.spec(call)[0], "op", None) == "multiply" for call in calls)

    def _label_channel(self, weight: cst.BaseExpression, scope: Scope) -> bool:
        """``mask`` bound from ``tf.split(y_true, 2, axis=-1)`` or ``y_true[..., 1]``: a channel of
        the labels as the data pipeline made it, not a mask computed from them."""
        source = self.definition(weight, scope)
        if isinstance(source, cst.Subscript):
            base = scope.value(source.value)
            return base is not None and base.has(Tag.Y_TRUE)
        if not isinstance(weight, cst.Name):
            return False
        for assign in descendants(scope.node, cst.Assign):  # ``target, mask = tf.split(y_true, 2, -1)``
            unpacked = [t.target for t in assign.targets if isinstance(t.target, (cst.Tuple, cst.List))]
            if not any(isinstance(e.value, cst.Name) and e.value.value == weight.value
                       for target in unpacked for e in target.elements):
                continue
            call = assign.value
            if not isinstance(call, cst.Call) or not call.args:
                return False
            canon = self.spec(call)[1] or ""
            first = scope.value(call.args[0].value)
            return canon.rsplit(".", 1)[-1] in ("split", "unstack") and first is not None and first.has(Tag.Y_TRUE)
        return False

    def energy(self, arg: cst.BaseExpression | None, scope: Scope) -> bool:
        """A square or product of a value with itself (``sum(s * s)``, ``w * label ** 2``,
        ``square(y - mean(y))``), through names: summed over labels it is their energy or
        variance, 0 only for an all-zero or constant target, not a count that a sample
        without positives zeroes."""
        for part in _expression_parts(self.definition(arg, scope) if arg is not None else None, scope, self):
            if isinstance(part, cst.BinaryOperation) and isinstance(part.operator, cst.Power) \
                    and literal(part.right) == 2:
                return True
            if isinstance(part, cst.BinaryOperation) and isinstance(part.operator, cst.Multiply) \
                    and part.left.deep_equals(part.right):
                return True
            if isinstance(part, cst.Call):
                spec, _ = self.spec(part)
                args = [a.value for a in part.args[:2]]
                if spec is not None and (spec.op == "square" or spec.op == "multiply" and len(args) == 2
                                         and args[0].deep_equals(args[1])):
                    return True
        return False

    def _normalisation(self, node: cst.CSTNode, den: cst.BaseExpression, scope: Scope) -> bool:
        """``x / sum(x, axis, keepdims=True)``: rescaling probabilities, 0 only if all of x is."""
        num: cst.BaseExpression | None = None
        if isinstance(node, cst.BinaryOperation):
            num = node.left
        elif isinstance(node, cst.AugAssign):
            num = node.target
        elif isinstance(node, cst.Call):
            num = call_arg(node, 0, "x", "x1")
        den = self.definition(den, scope) or den
        if num is None or not isinstance(den, cst.Call) or not den.args:
            return False
        spec, _ = self.spec(den)
        return spec is not None and spec.op == "sum" and den.args[0].value.deep_equals(num)

    def shifted_by_max(self, arg: cst.BaseExpression | None, scope: Scope) -> bool:
        """``x - reduce_max(x, ...)`` (through names): the stable softmax/logsumexp shift."""
        arg = self.definition(arg, scope)
        if not isinstance(arg, cst.BinaryOperation) or not isinstance(arg.operator, cst.Subtract):
            return False
        peak = self.definition(arg.right, scope)
        if not isinstance(peak, cst.Call) or not peak.args:
            return False
        spec, _ = self.spec(peak)
        return spec is not None and spec.op == "max" and peak.args[0].value.deep_equals(arg.left)

    @staticmethod
    def definition(node: cst.BaseExpression | None, scope: Scope) -> cst.BaseExpression | None:
        """A name's single defining expression, else the node itself."""
        if isinstance(node, cst.Name):
            sources = scope.sources.get(node, frozenset())
            if len(sources) == 1:
                (src,) = tuple(sources)
                if isinstance(src, cst.BaseExpression):
                    return src
        return node

    def _element(self, node: cst.Subscript, scope: Scope) -> tuple[cst.BaseExpression, Scope] | None:
        """For ``x[i]`` with a constant ``i`` where ``x`` is a list or tuple literal (through a
        local name, or the argument a helper or a Lambda layer's function received), the
        element's expression and the scope it is evaluated in."""
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        index = literal(node.slice[0].slice.value)
        if not isinstance(index, int) or isinstance(index, bool):
            return None
        source: cst.BaseExpression | None = self.definition(node.value, scope)
        where = scope
        if isinstance(node.value, cst.Name) and source is node.value and scope.is_helper \
                and scope.parent is not None and scope.callers:
            source, where = _argument_for(scope, node.value.value), scope.parent
        if isinstance(source, (cst.List, cst.Tuple)) and -len(source.elements) <= index < len(source.elements) \
                and not isinstance(source.elements[index], cst.StarredElement):
            return source.elements[index].value, where
        return None

    def canonical(self, node: cst.BaseExpression) -> str | None:
        return self.imports.canonical_of(node)

    def reads(self, fn: cst.CSTNode, name: str) -> bool:
        """Whether a function body reads ``name`` (memoised per function node)."""
        names = self._reads.get(fn)
        if names is None:
            body = fn.body if isinstance(fn, (cst.FunctionDef, cst.Lambda)) else fn
            # a read-only field walk: a CSTVisitor rebuilds every node on the way back up
            names = self._reads[fn] = frozenset(n.value for n in descendants(body, cst.Name))
        return name in names

    def spec(self, call: cst.Call) -> tuple[OpSpec | None, str]:
        canon = self.canonical(call.func) or ""
        return lookup(canon), canon

    # -- operands of hazardous operations ----------------------------------------------------
    def _operand_bound(self, node: cst.CSTNode, scope: Scope) -> tuple[str, cst.BaseExpression, Bound] | None:
        """The hazard kind ``node`` would introduce, its operand and the operand's range."""
        found = self._operand(node, scope)
        if found is None:
            return None
        kind, arg = found
        value = scope.value(arg)
        if value is not None and not value.origin and kind != "log1p":
            # a constant, a shape or a count of nothing the loss receives: neither a prediction
            # nor a sum of labels, the only operands a hazard is reported for (the range walk,
            # once per helper scope, is most of the rule's time)
            return None
        return kind, arg, self.bound(arg, scope)

    def _operand(self, node: cst.CSTNode, scope: Scope) -> tuple[str, cst.BaseExpression] | None:
        if isinstance(node, cst.AugAssign):
            return ("div", node.value) if isinstance(node.operator, cst.DivideAssign) else None
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Divide):
                return "div", node.right
            if isinstance(node.operator, cst.Power):
                kind = self._pow_kind(node.right, scope)
                return (kind, node.left) if kind else None
            return None
        if not isinstance(node, cst.Call):
            return None
        spec, canon = self.spec(node)
        if spec is None or canon.startswith("np."):
            return None  # numpy on tensors has no gradient at all: not a range question
        first = call_arg(node, 0, "x", "input", "a", "x1")
        if spec.op in _LOG_OPS and spec.kind is Kind.UNARY and first is not None:
            return "log", first
        if spec.op == "log1p" and first is not None:
            return "log1p", first
        if spec.op in _UNARY_HAZARDS and spec.kind is Kind.UNARY and first is not None:
            return _UNARY_HAZARDS[spec.op], first
        if spec.op in ("divide", "truediv"):
            den = call_arg(node, 1, "y", "x2")
            return ("div", den) if den is not None else None
        if spec.op == "pow" and first is not None:
            kind = self._pow_kind(call_arg(node, 1, "y", "a", "x2"), scope)
            return (kind, first) if kind else None
        return None

    def _pow_kind(self, exponent: cst.BaseExpression | None, scope: Scope) -> str | None:
        if exponent is None:
            return None
        value = self.bound(exponent, scope).const
        if value is None or value >= 1 or value == 0:
            return None
        return "pow_frac" if value > 0 else "pow_neg"

    # -- the transfer over syntax -----------------------------------------------------------
    def _bound(self, node: cst.CSTNode, scope: Scope) -> Bound:  # noqa: C901 - a dispatch
        # exact types: LibCST node classes are final (see tensors.Evaluator._expr)
        if isinstance(node, (cst.Integer, cst.Float)):
            lit = literal(node)
            return constant(float(lit)) if isinstance(lit, (int, float)) else ANY
        if type(node) is cst.Name:
            return self._name(node, scope)
        if type(node) is cst.UnaryOperation:
            return self._unary_operation(node, scope)
        if type(node) is cst.BinaryOperation:
            return self._binary_operation(node, scope)
        if type(node) is cst.Call:
            return self._call(node, scope)
        if type(node) is cst.Attribute:
            return self._attribute(node, scope)
        if type(node) is cst.Subscript:
            value = scope.value(node)
            if value is not None and (value.has(Tag.DIM) or value.has(Tag.STATIC_BATCH)) and not value.tensor:
                return Bound(low=Low.SAFE, scalar=True)  # ``x.shape[1]``: the size of an axis, as ``x.shape`` is
            picked = self._element(node, scope)
            if picked is not None:
                return self.bound(*picked)  # ``x[1]`` of ``[a, b]``: b's bound, not the join
            base = self.bound(node.value, scope)
            if _selects_positive(node):
                # ``mask_sum[mask_sum > 0]``: only the entries above 0 (a count's are at least 1)
                counted = (value := scope.value(node.value)) is not None and value.has(Tag.COUNT)
                return Bound(low=Low.SAFE if counted else Low.POS, scalar=False)
            return base.lifted(const=None, scalar=False)
        if type(node) is cst.IfExp:
            return self._if_expression(node, scope)
        if type(node) is cst.Comparison:
            parts = [self.bound(node.left, scope)] + [self.bound(c.comparator, scope) for c in node.comparisons]
            return combine(parts, Low.NONNEG, pred=False, diff=False, le_one=True)
        if type(node) is cst.AugAssign:
            return self._arith(node.operator, self.bound(node.target, scope), self.bound(node.value, scope))
        if isinstance(node, (cst.Tuple, cst.List)):
            parts = [self.bound(el.value, scope) for el in node.elements]
            if not parts:
                return ANY
            out = parts[0]
            for part in parts[1:]:
                out = join(out, part)
            return out.lifted(const=None, scalar=False)
        return self._from_value(node, scope)

    def _from_value(self, node: cst.CSTNode, scope: Scope) -> Bound:
        """What the evaluator's abstract value says, for nodes the syntax does not explain."""
        value = scope.value(node)
        if value is None:
            return ANY
        low = Low.ANY
        if value.has(Tag.DIM) and not value.tensor:
            return Bound(low=Low.SAFE, scalar=True)  # a static size: the length of an axis is at least 1
        if value.has(Tag.COUNT) and not value.has(Tag.MASK) or value.has(Tag.BATCH_SIZE) or value.has(Tag.STATIC_BATCH):
            low = Low.SAFE
        elif value.has(Tag.EPSILON) or (not value.tensor and value.has(Tag.NUMBER)):
            return EPSILON  # a Python number of unknown value added as a guard (an argument)
        elif value.has(Tag.FOREIGN):
            low = Low.SAFE  # unpacked from a project helper's result (see _foreign)
        return Bound(low=low, pred=value.from_pred, diff=value.grad == Grad.DIFF,
                     label=value.from_true, nan_label=value.from_true)

    # -- names --------------------------------------------------------------------------------
    def _name(self, node: cst.Name, scope: Scope) -> Bound:
        sources = scope.sources.get(node)
        if not sources:
            return self._parameter(node, scope)
        if sources == frozenset({None}):
            unpacked = self._unpacked_from_helper(node, scope)
            if unpacked is not None:
                return unpacked
        out: Bound | None = None
        for src in sources:
            if src is None and len(sources) > 1 and _holds_none(scope, node.value):
                continue  # ``if p is None: p = ...``: the None itself never reaches arithmetic
            part = self._parameter(node, scope) if src is None else self.bound(src, self._home(src, scope))
            out = part if out is None else join(out, part)
        return out if out is not None else ANY

    def _home(self, src: cst.CSTNode, scope: Scope) -> Scope:
        """The scope that evaluated ``src``: a module-level assignment's value (the source of a
        global the loss reads, ``max_dist = math.sqrt(H ** 2 + W ** 2)``) is bounded where its
        own names (``H``, ``W``) have their sources, not in the loss."""
        home = self.facts.global_scope if self.facts is not None else None
        return home if home is not None and src in home.values else scope

    def _parameter(self, node: cst.Name, scope: Scope) -> Bound:
        name = node.value
        known = self._math_constant(name)
        if known is not None:
            return known
        if not scope.is_helper:
            if scope.context is Context.ADD_LOSS and name in scope.spec.params:
                # a layer's inputs that hands Keras terms with add_loss: model activations,
                # any value, differentiable (no labels among them)
                return Bound(low=Low.ANY, pred=True, diff=True)
            if name == scope.y_pred and scope.y_true is not None and not self.reads(scope.node, scope.y_true):
                # a loss that ignores y_true returns the model's own loss output (the Keras 2
                # loss-layer idiom, ``lambda y_true, y_pred: y_pred``): a non-negative loss value
                return Bound(low=Low.NONNEG, pred=True, diff=True)
            if name == scope.y_pred:
                return self._passed_prediction(name, scope)
            if name == scope.y_true:
                return Bound(low=Low.NONNEG, label=True, nan_label=True)
        if scope.is_helper and scope.parent is not None and scope.callers:
            arg = _argument_for(scope, name)
            if arg is not None:
                return self.bound(arg, scope.parent)
        if mentions(name, EPSILON_WORDS):
            return EPSILON
        return self._from_value(node, scope)

    def _passed_prediction(self, name: str, scope: Scope) -> Bound:
        """``y_pred``: any value, unless the file's only call of the loss passes one bounded
        away from 0 (``nll(t, tf.clip_by_value(z, 1e-7, 1.0))`` inside an ``add_loss``)."""
        default = Bound(low=Low.ANY, pred=True, diff=True, le_one=True)
        if scope.call_site is None:
            return default
        caller, arguments = scope.call_site
        arg = arguments.get(name)
        if arg is None:
            return default
        passed = self.bound(arg, caller)
        return default.lifted(low=best(default.low, passed.low), margin=passed.le_one and passed.margin)

    def _math_constant(self, dotted: str | None) -> Bound | None:
        """``np.pi``, ``math.e``, ``from numpy import pi``: a known positive constant."""
        qualname = self.imports.resolve(dotted) if dotted else None
        value = _MATH_CONSTANTS.get(qualname or "")
        return constant(value) if value is not None else None

    def _attribute(self, node: cst.Attribute, scope: Scope) -> Bound:
        known = self._math_constant(cst_dotted(node))
        if known is not None:
            return known
        attr = node.attr.value
        if attr in ("eps", "tiny") and isinstance(node.value, cst.Call):
            spec, canon = self.spec(node.value)
            if spec is not None and spec.kind is Kind.EPSILON:
                return self._finfo(node.value, attr)
        if mentions(attr, EPSILON_WORDS):
            return EPSILON
        number = self._init_number(node, scope)
        if number is not None:
            return constant(number)
        value = scope.value(node)
        if value is not None and (value.has(Tag.STATIC_SHAPE) or value.has(Tag.DIM)):
            return Bound(low=Low.SAFE, scalar=True)
        return self._from_value(node, scope)

    def _init_number(self, node: cst.Attribute, scope: Scope) -> float | None:
        """The number ``self.<attr>`` holds when the loss's own ``__init__`` sets it once, to a
        number or to a parameter whose default is one (``self.std_const = std_const`` with
        ``std_const=1e-4``): a constant the author chose, guard or weight. A value passed at
        construction instead is not seen (a default of 1e-4 says what the constant is for)."""
        if not (isinstance(node.value, cst.Name) and node.value.value == "self") or self.facts is None:
            return None
        root = scope
        while root.is_helper and root.parent is not None:
            root = root.parent
        path = root.spec.path
        init = self.facts.methods.get((path[-2], "__init__")) if len(path) >= 2 else None
        return init_number(init, node.attr.value) if init is not None else None

    def _finfo(self, call: cst.Call, attr: str) -> Bound:
        arg = call.args[0].value if call.args else None
        text = (cst_dotted(arg) or str(literal(arg))) if arg is not None else ""
        tail = text.rsplit(".", 1)[-1]
        wide = tail in ("float64", "float", "double", "float_", "longdouble")
        if attr == "eps":
            return constant(2.220446049250313e-16 if wide else 1.1920929e-07)
        return constant(2.2250738585072014e-308 if wide else _TINY)

    # -- operators ------------------------------------------------------------------------------
    def _unary_operation(self, node: cst.UnaryOperation, scope: Scope) -> Bound:
        inner = self.bound(node.expression, scope)
        if isinstance(node.operator, cst.Minus):
            if inner.const is not None:
                return constant(-inner.const)
            return combine([inner], Low.ANY, negated=inner.pred and not inner.margin, neg_margin=inner.margin,
                           scalar=inner.scalar)
        if isinstance(node.operator, cst.Plus):
            return inner
        return combine([inner], Low.NONNEG, pred=False, diff=False, le_one=True)

    def _if_expression(self, node: cst.IfExp, scope: Scope) -> Bound:
        """The branch a known constant test takes (``s + eps if eps else s`` with ``eps=1e-24``
        by default: the guard is on unless the caller turns it off), else both joined."""
        test = self.bound(node.test, scope)
        if test.const is not None and test.scalar:
            return self.bound(node.body if test.const else node.orelse, scope)
        return join(self.bound(node.body, scope), self.bound(node.orelse, scope))

    def _binary_operation(self, node: cst.BinaryOperation, scope: Scope) -> Bound:
        left, right = self.bound(node.left, scope), self.bound(node.right, scope)
        out = self._arith(node.operator, left, right)
        mixed = self._label_mixture(node, scope) if isinstance(node.operator, cst.Add) else None
        if mixed is not None:
            out = out.lifted(low=mixed.low, le_one=mixed.le_one, margin=mixed.margin)
        elif isinstance(node.operator, cst.Add) and (self._mirrored_exps(node, scope)
                                                     or self._zeros_filled(node, left, right, scope)):
            out = out.lifted(low=Low.SAFE)
        hazard = self._local_hazard(node, scope)
        return out.lifted(hazards=out.hazards | {hazard}) if hazard is not None else out

    def _mirrored_exps(self, node: cst.BinaryOperation, scope: Scope) -> bool:
        """``exp(x) + exp(-x)`` (``2 * cosh(x)`` written out): one of the two is at least 1
        whatever ``x`` is, so the sum is at least 1 and never underflows to 0."""
        args: list[cst.BaseExpression] = []
        for side in (node.left, node.right):
            call = self.definition(side, scope)
            if not isinstance(call, cst.Call):
                return False
            spec = lookup(self.canonical(call.func))
            arg = call_arg(call, 0, "x")
            if spec is None or spec.op != "exp" or arg is None:
                return False
            args.append(arg)
        first, second = args
        return _negation_of(first, second) or _negation_of(second, first)

    def _zeros_filled(self, node: cst.BinaryOperation, left: Bound, right: Bound, scope: Scope) -> bool:
        """``d + mask * 1e-16`` with ``mask = cast(equal(d, 0.0), float)`` and ``d >= 0`` (the
        widely copied batch-all triplet loss before its ``sqrt``): the exact zeros get the
        epsilon, the rest stay positive, so the sum never is 0."""
        for side, other, bound in ((node.left, node.right, left), (node.right, node.left, right)):
            if _ORDER[bound.low] < _ORDER[Low.NONNEG]:
                continue
            for mask, amount in self._factors(self.definition(other, scope) or other):
                if self.bound(amount, scope).low is not Low.SAFE:
                    continue
                test = self.definition(mask, scope) or mask
                while isinstance(test, cst.Call) and test.args and (self.canonical(test.func) or "").rsplit(".", 1)[-1] \
                        in ("cast", "to_float", "float32", "asarray"):
                    test = self.definition(test.args[0].value, scope) or test.args[0].value
                if self._marks_zeros(test, side):
                    return True
        return False

    def _marks_zeros(self, test: cst.BaseExpression, side: cst.BaseExpression) -> bool:
        """``test`` is true at least where the non-negative ``side`` is 0: ``equal(d, 0)``,
        ``less_equal(d, t)`` with ``t >= 0`` (TensorFlow's own ``pairwise_distance`` spells it
        ``less_equal(d, 0.0)`` after ``maximum(d, 0.0)``), ``less(d, t)`` with ``t > 0``, or the
        same as a comparison (``d <= 0``)."""
        if isinstance(test, cst.Call) and len(test.args) == 2:
            op = _ZERO_TESTS.get((self.canonical(test.func) or "").rsplit(".", 1)[-1])
            operand, threshold = test.args[0].value, test.args[1].value
        elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            op = _ZERO_TESTS.get(type(test.comparisons[0].operator).__name__)
            operand, threshold = test.left, test.comparisons[0].comparator
        else:
            return False
        bound = literal(threshold)
        if op is None or not isinstance(bound, (int, float)) or code_of(operand) != code_of(side):
            return False
        return bound == 0 if op == "eq" else bound >= 0 if op == "le" else bound > 0

    def _label_mixture(self, node: cst.BinaryOperation, scope: Scope) -> Bound | None:
        """``y * a + (1 - y) * b`` with labels ``y`` in [0, 1] (the focal loss's ``p_t``): at
        least the smaller of ``a`` and ``b``, so a clipped ``p`` and ``1 - p`` keep it >= eps."""
        left = self._factors(self.definition(node.left, scope))
        right = self._factors(self.definition(node.right, scope))
        for (w, a), (v, b) in ((lf, rf) for lf in left for rf in right):
            if not (_one_minus(v, w) or _one_minus(w, v)):
                continue
            weight = self.bound(w if _one_minus(v, w) else v, scope)
            if not weight.label or weight.pred:
                continue
            ba, bb = self.bound(a, scope), self.bound(b, scope)
            return Bound(low=worst(ba.low, bb.low), le_one=ba.le_one and bb.le_one,
                         margin=ba.margin and bb.margin)
        return None

    def _factors(self, node: cst.BaseExpression | None) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
        """``(w, a)`` and ``(a, w)`` for a product ``w * a`` or ``tf.multiply(w, a)``, else nothing."""
        if isinstance(node, cst.Call) and len(node.args) == 2 and not any(a.keyword for a in node.args):
            spec = lookup(self.canonical(node.func))
            if spec is not None and spec.op == "multiply":
                first, second = node.args[0].value, node.args[1].value
                return [(first, second), (second, first)]
        return _factors(node)

    @staticmethod
    def _arith(operator: cst.CSTNode, left: Bound, right: Bound) -> Bound:
        handler = _ARITH.get(type(operator).__name__.replace("Assign", ""))
        return handler(left, right) if handler is not None else combine([left, right])

    # -- calls ----------------------------------------------------------------------------------
    def _call(self, node: cst.Call, scope: Scope) -> Bound:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "item" and not node.args:
            # ``np.finfo(np.float32).eps.item()``: the same number as a Python float
            return self.bound(node.func.value, scope)
        dotted = cst_dotted(node.func)
        spec, _ = self.spec(node)
        if spec is None and dotted is not None and mentions(
                dotted.rsplit(".", 1)[-1], ("eps",)):
            return EPSILON  # a module's own epsilon() helper, an unresolved backend.epsilon()
        helper = _helper_for(scope, node)
        if helper is not None:
            out = self._returned(helper)
        else:
            out = self._op_call(node, scope)
        hazard = self._local_hazard(node, scope)
        return out.lifted(hazards=out.hazards | {hazard}) if hazard is not None else out

    def _unpacked_from_helper(self, node: cst.Name, scope: Scope) -> Bound | None:
        """``tp, fp, fn = confusion(y_true, y_pred)`` (a helper of the file, or a method of the
        loss's class) whose every return is a tuple as long as the target: the bound of the
        element at the name's position (``return tp + eps, fp + eps, fn + eps``: each kept away
        from 0). None where the name is bound otherwise, or more than once so."""
        found = scope.memo("unpacked_calls", lambda: _unpacked_calls(scope.node)).get(node.value, [])
        if len(found) != 1:
            return None
        call, index, size = found[0]
        helper = _helper_for(scope, call)
        if helper is None or not helper.returns:
            return None
        out: Bound | None = None
        for expr, _ in helper.returns:
            if not (isinstance(expr, (cst.Tuple, cst.List)) and len(expr.elements) == size):
                return None
            part = self.bound(expr.elements[index].value, helper)
            out = part if out is None else join(out, part)
        return out

    def _returned(self, helper: Scope) -> Bound:
        out: Bound | None = None
        for expr, _ in helper.returns:
            part = self.bound(expr, helper)
            out = part if out is None else join(out, part)
        return out if out is not None else ANY

    def _args(self, node: cst.Call, scope: Scope) -> list[Bound]:
        return [self.bound(a.value, scope) for a in node.args]

    def _op_call(self, node: cst.Call, scope: Scope) -> Bound:
        spec, canon = self.spec(node)
        args = self._args(node, scope)
        if spec is None:
            if isinstance(node.func, cst.Attribute) and not canon:  # a method of a local value
                if node.func.attr.value == "lookup":
                    return self.bound(node.func.value, scope)  # a table's values, not its keys
                return combine([self.bound(node.func.value, scope)] + args)
            if canon in ("builtins.float", "builtins.int"):
                return args[0] if args else ANY
            if canon in ("builtins.max", "builtins.min") and len(args) == 2:
                return _maximum(args[0], args[1]) if canon.endswith("max") else _minimum(args[0], args[1])
            folded = _math_call(canon, args)
            if folded is not None:
                return folded
            value = scope.value(node)
            fallback = combine(args)
            if value is not None and (value.has(Tag.COUNT) and not value.has(Tag.MASK)):
                return fallback.lifted(low=Low.SAFE)
            if value is not None and value.has(Tag.FOREIGN):
                return _foreign(fallback)
            return fallback
        handler = _CALLS.get(spec.kind)
        if handler is None:
            return combine(args)
        return handler(self, spec, node, args, scope)

    def _first(self, node: cst.Call, scope: Scope, *names: str) -> Bound:
        arg = call_arg(node, 0, *names) if names else (node.args[0].value if node.args else None)
        return self.bound(arg, scope) if arg is not None else ANY

    def _local_hazard(self, node: cst.CSTNode, scope: Scope) -> Hazard | None:
        """A hazard with an infinite local derivative on a differentiable path."""
        found = self._operand_bound(node, scope)
        if found is None:
            return None
        kind, arg, bound = found
        if kind == "log1p":
            return Hazard(node, arg, kind) if bound.negated and bound.diff else None
        if bound.pred and bound.diff and bound.low in INFINITE_DERIVATIVE[kind]:
            return Hazard(node, arg, kind)
        return None

    # -- where ----------------------------------------------------------------------------------
    def nan_tested(self, cond: cst.BaseExpression, scope: Scope, depth: int = 0) -> list[Bound]:
        """Bounds of the expressions a condition tests with is_nan/is_inf/is_finite."""
        if depth > 6:
            return []
        if isinstance(cond, cst.Name):
            out: list[Bound] = []
            for src in scope.sources.get(cond, frozenset()):
                if isinstance(src, cst.BaseExpression):
                    out += self.nan_tested(src, scope, depth + 1)
            return out
        if isinstance(cond, cst.UnaryOperation):
            return self.nan_tested(cond.expression, scope, depth + 1)
        if isinstance(cond, cst.BinaryOperation):
            return self.nan_tested(cond.left, scope, depth + 1) + self.nan_tested(cond.right, scope, depth + 1)
        if isinstance(cond, cst.Call):
            spec, _ = self.spec(cond)
            if spec is not None and spec.op in NAN_TESTS and cond.args:
                return [self.bound(cond.args[0].value, scope)]
            helper = _helper_for(scope, cond) if spec is None else None
            if helper is not None:
                # ``magic_num_check(y_true)``, a helper of the file returning ``isnan(x) | ...``:
                # the test is on what the call passes (the helper's parameter follows its caller)
                return [b for expr, _ in helper.returns for b in self.nan_tested(expr, helper, depth + 1)]
            out = []
            for arg in cond.args:
                out += self.nan_tested(arg.value, scope, depth + 1)
            return out
        return []

    def sanitising(self, cond: cst.BaseExpression, kept: cst.BaseExpression, scope: Scope) -> bool:
        """A condition that tests the very value the ``where`` keeps (``where(x > 0, x, 1)``).

        A condition on something else (``where(y_true == 1, y_pred, 1)``) leaves ``y_pred``
        unguarded where it is selected.
        """
        kept = self.definition(kept, scope) or kept
        return any(part.deep_equals(kept) or (self.definition(part, scope) or part).deep_equals(kept)
                   for part in self._tested(cond, scope, 0))

    def _tested(self, cond: cst.BaseExpression, scope: Scope, depth: int) -> list[cst.BaseExpression]:
        """The operands a boolean condition compares or tests."""
        if depth > 4:
            return []
        cond = self.definition(cond, scope) or cond
        if isinstance(cond, cst.Comparison):
            return [cond.left] + [c.comparator for c in cond.comparisons]
        if isinstance(cond, cst.BooleanOperation):
            return self._tested(cond.left, scope, depth + 1) + self._tested(cond.right, scope, depth + 1)
        if isinstance(cond, cst.BinaryOperation):  # a & b, a | b
            return self._tested(cond.left, scope, depth + 1) + self._tested(cond.right, scope, depth + 1)
        if isinstance(cond, cst.UnaryOperation):
            return self._tested(cond.expression, scope, depth + 1)
        if isinstance(cond, cst.Call):
            spec, _ = self.spec(cond)
            if spec is not None and spec.kind is Kind.COMPARE:
                out: list[cst.BaseExpression] = []
                for arg in cond.args:
                    value = arg.value
                    out += [value] + (self._tested(value, scope, depth + 1) if spec.op.startswith("logical") else [])
                return out
        return []


def _factors(node: cst.BaseExpression | None) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """``(w, a)`` and ``(a, w)`` for a product ``w * a`` (both orders), else nothing."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        return [(node.left, node.right), (node.right, node.left)]
    return []


def _complement(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``x`` for ``1 - x`` (``1.0 - x``), else None."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract) and literal(node.left) == 1:
        return node.right
    return None


def _one_minus(node: cst.BaseExpression, other: cst.BaseExpression) -> bool:
    """``node`` is ``1 - other`` (``1.0 - other``)."""
    complemented = _complement(node)
    return complemented is not None and _strip_parens(complemented).deep_equals(_strip_parens(other))


def _strip_parens(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[], rpar=[]) if getattr(node, "lpar", None) else node


def _argument_for(scope: Scope, name: str) -> cst.BaseExpression | None:
    """The caller's argument bound to helper parameter ``name``."""
    fn = scope.node
    params = [p.name.value for p in list(fn.params.posonly_params) + list(fn.params.params)]
    call = scope.callers[0]
    if params and params[0] in ("self", "cls") and isinstance(call.func, cst.Attribute):
        params = params[1:]  # ``self.helper(y_true, y_pred)``: the call binds ``self`` itself
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    if name not in params:
        return None
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if scope.mapped:  # ``tf.map_fn(fn, elems)``: the parameter gets (one sample of) ``elems``
        elems = call_arg(call, 1, "elems")
        return elems if params.index(name) == 0 else None
    index = params.index(name)
    return positional[index].value if index < len(positional) else None


def _holds_none(scope: Scope, name: str) -> bool:
    """Parameter ``name`` is ``None`` in this evaluation: its default is ``None`` and the call
    that ``scope`` stands for passes nothing for it (or ``None``). A ``None`` that reaches
    arithmetic raises, so where the parameter is reassigned (``if ranks is None: ranks =
    tf.range(n) + 1``) only the reassignment's value can reach a later use."""
    fn = scope.node
    if not isinstance(fn, cst.FunctionDef):
        return False
    params = [*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params]
    param = next((p for p in params if p.name.value == name), None)
    if param is None or not _is_none(param.default):
        return False
    if scope.is_helper and scope.callers:
        call = scope.callers[0]
        if any(a.star for a in call.args):
            return False  # ``f(*args, **kwargs)`` may pass it
        passed = _argument_for(scope, name)
        return passed is None or _is_none(passed)
    if scope.call_site is not None:
        passed = scope.call_site[1].get(name)
        return passed is None or _is_none(passed)
    return not scope.is_helper


def _is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _helper_for(scope: Scope, call: cst.Call) -> Scope | None:
    for helper in scope.helpers:
        if call in helper.callers:
            return helper
    return None


# -- arithmetic -------------------------------------------------------------------------------
def _unpacked_calls(fn: cst.CSTNode) -> dict[str, list[tuple[cst.Call, int, int]]]:
    """For each name a tuple target binds from a call (``tp, fp, fn = confusion(t, p)``): the
    call, the name's position and the target's length; read once per scope (every name read
    without a source asks)."""
    out: dict[str, list[tuple[cst.Call, int, int]]] = {}
    for assign in descendants(fn, cst.Assign):
        if not isinstance(assign.value, cst.Call):
            continue
        for target in assign.targets:
            if not isinstance(target.target, (cst.Tuple, cst.List)):
                continue
            elements = target.target.elements
            for i, el in enumerate(elements):
                if isinstance(el.value, cst.Name):
                    out.setdefault(el.value.value, []).append((assign.value, i, len(elements)))
    return out


def upper(b: Bound) -> float | None:
    """The largest value ``b`` can take, where known: a constant, a rescaled probability, 1."""
    if b.const is not None:
        return b.const
    if b.high is not None:
        return b.high
    return 1.0 if b.le_one else None


def _capped(bound: Bound, high: float | None) -> Bound:
    """``bound`` with the upper bound ``high``: at most 1 makes it ``le_one``, and below 1 in
    float32 gives the ``margin`` that keeps ``1 - x`` away from 0."""
    if high is None:
        return bound
    high = f32(high)
    return bound.lifted(high=high, le_one=bound.le_one or high <= 1.0, margin=bound.margin or high < 1.0)


def _add(a: Bound, b: Bound) -> Bound:
    if a.const is not None and b.const is not None:
        return constant(a.const + b.const)
    return _capped(_added(a, b), _shifted_upper(a, b))


def _shifted_upper(a: Bound, b: Bound) -> float | None:
    """The upper bound of ``x + c`` for a positive constant ``c`` and an ``x`` that has one."""
    for c, x in ((a, b), (b, a)):
        top = upper(x)
        if c.const is not None and c.const > 0 and top is not None and x.const is None:
            return top + c.const
    return None


def _added(a: Bound, b: Bound) -> Bound:
    base = combine([a, b])
    for c, x in ((a, b), (b, a)):
        if c.const == -1.0 and x.scalar and x.low is Low.SAFE:
            return Bound(scalar=True, neg_margin=True)  # -1 + eps, eps unknown
    if a.scalar and b.scalar:
        return base.lifted(low=worst(a.low, b.low), scalar=True)
    positive_scalar = any((x.scalar or x.const is not None) and x.low is Low.SAFE for x in (a, b))
    if positive_scalar or a.smoothed or b.smoothed:
        return base.lifted(low=Low.SAFE, smoothed=True)
    if (a.low is Low.SAFE and at_least(b.low, Low.NONNEG)) or (b.low is Low.SAFE and at_least(a.low, Low.NONNEG)):
        return base.lifted(low=Low.SAFE)
    if at_least(a.low, Low.NONNEG) and at_least(b.low, Low.NONNEG):
        low = Low.POS if Low.POS in (a.low, b.low) or Low.SAFE in (a.low, b.low) else Low.NONNEG
        return base.lifted(low=low)
    return base


def _subtract(a: Bound, b: Bound) -> Bound:
    if a.const is not None and b.const is not None:
        return constant(a.const - b.const)
    base = combine([a, b])
    if a.const == 1.0 and b.scalar and b.low is Low.SAFE:
        return Bound(low=Low.SAFE, scalar=True, le_one=True, margin=True)  # 1 - eps, eps unknown
    if a.const == 1.0 and b.one_minus is not None:
        return base.lifted(low=b.one_minus)  # 1 - (1 - x) is x
    if a.const is not None and a.const >= 1.0:
        if b.margin or (a.const > 1.0 and b.le_one):
            return base.lifted(low=Low.SAFE)
        if a.const == 1.0:
            # ``1 - p`` with ``p <= 1``: not negative, though 0 where p is 1
            return base.lifted(one_minus=b.low, low=Low.NONNEG) if b.le_one else base.lifted(one_minus=b.low)
        return base
    if a.const == 0:
        return base.lifted(negated=b.pred and not b.margin)
    if b.const is not None and b.const != 0:
        return base.lifted(low=Low.OFFSET)
    if b.const == 0:
        return a
    return base


def _multiply(a: Bound, b: Bound) -> Bound:
    if a.const is not None and b.const is not None:
        return constant(a.const * b.const)
    for c, x in ((a, b), (b, a)):
        if c.const is not None:
            if c.const > 0:
                top = upper(x)
                product = combine([c, x], x.low, le_one=x.le_one and c.const <= 1,
                                  margin=x.margin and c.const <= 1, label_sum=x.label_sum)
                return _capped(product, top * c.const if top is not None and at_least(x.low, Low.NONNEG) else None)
            if c.const == 0:
                return constant(0.0)
            return combine([c, x], negated=c.const == -1 and x.pred and not x.margin)
        if c.scalar and c.low is Low.SAFE:
            return combine([c, x], x.low, label_sum=x.label_sum)
        if _user_constant(c) and at_least(x.low, Low.POS):
            # ``weights * dice`` with ``weights = K.constant(weights)`` from a factory argument:
            # a weight the user chose scales the value, it does not bring it to 0
            return combine([c, x], x.low, label_sum=x.label_sum)
    base = combine([a, b])
    nonneg = at_least(a.low, Low.NONNEG) and at_least(b.low, Low.NONNEG)
    le_one = nonneg and a.le_one and b.le_one
    margin = nonneg and (a.margin and b.le_one or b.margin and a.le_one)
    if a.low is Low.SAFE and b.low is Low.SAFE:
        return base.lifted(low=Low.SAFE, le_one=le_one, margin=margin)
    if at_least(a.low, Low.POS) and at_least(b.low, Low.POS):
        return base.lifted(low=Low.POS, le_one=le_one, margin=margin)
    if nonneg:
        # a product of counts (positives x negatives per sample, BP-MLL's normaliser) is 0
        # whenever one of them is
        return base.lifted(low=Low.NONNEG, le_one=le_one, margin=margin, label_sum=a.label_sum or b.label_sum)
    return base


def _user_constant(b: Bound) -> bool:
    """A value of unknown range that depends on neither the labels nor the predictions: a
    parameter, a closure or module constant, an attribute set in ``__init__`` (class weights,
    a temperature). Its range is the user's choice, not something the data drives to 0."""
    return (b.low is Low.ANY and b.const is None and not (b.pred or b.label or b.label_sum or b.nan_label)
            and not b.hazards)


def _divide(a: Bound, b: Bound) -> Bound:
    if a.const is not None and b.const is not None and b.const != 0:
        return constant(a.const / b.const)
    base = combine([a, b])
    if b.const is not None and b.const > 0:
        top = upper(a)
        return _capped(base.lifted(low=a.low, label_sum=a.label_sum),
                       top / b.const if top is not None and at_least(a.low, Low.NONNEG) else None)
    if not at_least(b.low, Low.POS):
        if a.low is Low.SAFE and at_least(b.low, Low.NONNEG):
            # eps / 0 is +inf, not 0: ``log(p / (1 - p))`` of a clipped p never takes log(0);
            # the division itself is where the hazard is (and is checked as such)
            return base.lifted(low=Low.SAFE)
        return base
    if a.low is Low.SAFE:
        return base.lifted(low=Low.SAFE)  # >= eps / max(b): a ratio of guarded values
    if at_least(a.low, Low.POS):
        return base.lifted(low=Low.POS)
    if at_least(a.low, Low.NONNEG):
        return base.lifted(low=Low.NONNEG)
    return base


def _power(a: Bound, b: Bound) -> Bound:
    if a.const is not None and b.const is not None:
        try:
            return constant(a.const ** b.const)
        except (OverflowError, ZeroDivisionError, ValueError):
            return ANY
    exponent = b.const
    base = combine([a, b])
    if exponent is None:
        return base.lifted(low=a.low) if at_least(a.low, Low.NONNEG) else base
    if exponent == int(exponent) and int(exponent) % 2 == 0 and exponent > 0:
        low = a.low if at_least(a.low, Low.NONNEG) else Low.NONNEG
        symmetric = a.margin and a.neg_margin  # |a| <= 1 - eps: a ** 2 <= 1 - eps as well
        return base.lifted(low=low, le_one=symmetric, margin=symmetric)
    if exponent > 0:
        keep = at_least(a.low, Low.NONNEG)
        return base.lifted(low=a.low if keep else Low.ANY, le_one=keep and a.le_one and exponent >= 1,
                           margin=keep and a.margin and exponent >= 1)
    return base.lifted(low=Low.POS if at_least(a.low, Low.POS) else Low.ANY)



#: tests that pick the zeros of a non-negative value, by how they compare it with the threshold
_ZERO_TESTS = {"equal": "eq", "Equal": "eq", "less_equal": "le", "LessThanEqual": "le",
               "less": "lt", "LessThan": "lt"}


def _negation_of(negated: cst.BaseExpression, plain: cst.BaseExpression) -> bool:
    """``negated`` is ``-plain`` (parentheses aside)."""
    if not (isinstance(negated, cst.UnaryOperation) and isinstance(negated.operator, cst.Minus)):
        return False
    return negated.expression.with_changes(lpar=(), rpar=()).deep_equals(plain.with_changes(lpar=(), rpar=()))


_ARITH: dict[str, Callable[[Bound, Bound], Bound]] = {
    "Add": _add, "Subtract": _subtract, "Multiply": _multiply, "Divide": _divide,
    "Power": _power,
}


def _maximum(a: Bound, b: Bound) -> Bound:
    if a.const is not None and b.const is not None:
        return constant(max(a.const, b.const))
    return combine([a, b], best(a.low, b.low), le_one=a.le_one and b.le_one,
                   margin=a.margin and b.margin)


def _minimum(a: Bound, b: Bound) -> Bound:
    if a.const is not None and b.const is not None:
        return constant(min(a.const, b.const))
    return combine([a, b], worst(a.low, b.low), le_one=a.le_one or b.le_one,
                   margin=a.margin or b.margin, label_sum=a.label_sum or b.label_sum)


# -- calls by op kind -------------------------------------------------------------------------
CallRule = Callable[[Ranges, OpSpec, cst.Call, list[Bound], Scope], Bound]

_POSITIVE_UNDERFLOW = {"exp", "exp2", "sigmoid", "softmax"}
_NONNEG_UNARY = {"square", "abs", "relu", "sqrt", "hard_sigmoid"}


def _unary(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    x = r._first(node, scope, "x", "input", "features", "logits", "a")
    op = spec.op
    if op in _POSITIVE_UNDERFLOW:
        peak = op == "exp" and r.shifted_by_max(call_arg(node, 0, "x"), scope)
        return combine([x], Low.POS, le_one=op in ("sigmoid", "softmax") or peak, peak_one=peak, exp=op == "exp")
    if op in ("softplus", "cosh"):
        return combine([x], Low.SAFE)  # softplus as the guard for log(1 + exp(x))
    if op in _NONNEG_UNARY:
        low = x.low if at_least(x.low, Low.POS) and op != "relu" else Low.NONNEG
        le_one = op == "hard_sigmoid" or (op == "sqrt" and x.le_one and at_least(x.low, Low.NONNEG))
        symmetric = op in ("square", "abs") and x.margin and x.neg_margin  # |x| <= 1 - eps
        return combine([x], low, le_one=le_one or symmetric, margin=symmetric)
    if op in ("reciprocal", "rsqrt"):
        return combine([x], Low.POS if at_least(x.low, Low.POS) else Low.ANY)
    if op == "negative":
        return combine([x], Low.ANY, negated=x.pred and not x.margin)
    if op == "cumsum" and x.exp and x.pred and not x.label:
        # the Cox partial likelihood's risk sets, log(cumsum(exp(logits))): 0 only where a
        # logit is below -87, and that loss is invariant to a shift of every logit, so training
        # gives them no push there (the same stance as a sum of many exp terms)
        return combine([x], Low.SAFE)
    if op in ("cumsum", "cumprod"):
        return combine([x], x.low if at_least(x.low, Low.NONNEG) else Low.ANY)
    if op in _SIGN_KEEPING and at_least(x.low, Low.NONNEG):
        # increasing, 0 at 0, slope 1 there: log1p(x + eps) >= eps, as x + eps is
        return combine([x], x.low)
    return combine([x])


#: unary ops that keep a non-negative operand's lower bound (in float32 too: log1p(1e-7) is 1e-7)
_SIGN_KEEPING = frozenset({"log1p", "expm1", "tanh", "sinh", "atan"})


def _label_count(r: Ranges, node: cst.Call, x: Bound, scope: Scope) -> bool:
    """A reduction of labels that a sample (or batch) without positives makes 0 (a count of
    positives, a mask's sum), not the labels' energy (a sum of squares), which only an
    all-zero target makes 0."""
    if x.label_sum:
        return True
    if not x.label or x.pred:
        return False
    return not r.energy(call_arg(node, 0, *REDUCED_KEYWORDS), scope)


def _expression_parts(node: cst.BaseExpression | None, scope: Scope, r: Ranges,
                      depth: int = 2) -> list[cst.BaseExpression]:
    """``node`` and its sub-expressions, names followed to their single definitions ``depth``
    levels deep."""
    if node is None:
        return []
    out: list[cst.BaseExpression] = []
    parts: list[cst.BaseExpression] = [*descendants(node, cst.Call), *descendants(node, cst.BinaryOperation),
                                       *descendants(node, cst.Name)]
    for part in parts:
        out.append(part)
        if depth and isinstance(part, cst.Name):
            found = r.definition(part, scope)
            if found is not None and found is not part:
                out.extend(_expression_parts(found, scope, r, depth - 1))
    return out


def _cut_unary(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    x = r._first(node, scope, "x", "input")
    if spec.op == "stop_gradient":
        return x.lifted(diff=False)
    return combine([x], Low.NONNEG if at_least(x.low, Low.NONNEG) else Low.ANY, diff=False)


def _reduce(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    x = r._first(node, scope, *REDUCED_KEYWORDS)
    op = spec.op
    if op in ("sum", "count"):
        low = Low.NONNEG if op == "count" else (x.low if at_least(x.low, Low.NONNEG) else Low.ANY)
        if op == "sum" and x.peak_one:
            low = Low.SAFE  # sum(exp(x - max(x))) >= exp(0) = 1: the stable logsumexp/softmax
        elif op == "sum" and (_many_positive_terms(r, node, x, scope) or _sum_of_exps(r, node, x, scope)):
            low = Low.SAFE
        return combine([x], low, label_sum=_label_count(r, node, x, scope))
    if op in ("mean", "max", "min"):
        low = x.low if at_least(x.low, Low.NONNEG) else Low.ANY
        return combine([x], low, le_one=x.le_one, margin=x.margin, label_sum=_label_count(r, node, x, scope))
    if op == "prod":
        return combine([x], Low.POS if at_least(x.low, Low.POS) else x.low if at_least(x.low, Low.NONNEG) else Low.ANY)
    if op in ("norm", "std", "var"):
        return combine([x], Low.NONNEG)
    if op in ("any", "all"):
        return combine([x], Low.NONNEG, pred=False, diff=False, le_one=True)
    return combine([x])


def _many_positive_terms(r: Ranges, node: cst.Call, x: Bound, scope: Scope) -> bool:
    """A sum that is 0 only in theory: every term of a non-negative, label-free prediction
    value (the whole tensor, no ``axis``: the batch's summed loss outputs), or the squared
    entries of a gradient (a gradient-penalty norm). Sums that really reach 0 keep their
    bound: anything weighted, masked or selected by labels (an empty selection), counts, a
    per-row sum of a prediction (one row can be exactly 0)."""
    operand = call_arg(node, 0, *REDUCED_KEYWORDS)
    if at_least(x.low, Low.NONNEG) and _from_gradient(r, operand, scope, 0):
        # also a critic's gradient at points between the labels and the predictions (WGAN-GP's
        # ``y_true + alpha * (y_pred - y_true)``): the labels it reads do not make it 0
        return True
    if not (x.pred and not x.label and not x.label_sum and at_least(x.low, Low.NONNEG)):
        return False
    return call_arg(node, 1, "axis") is None


def _sum_of_exps(r: Ranges, node: cst.Call, x: Bound, scope: Scope) -> bool:
    """``log(reduce_sum(exp(logits), -1))``, a log-sum-exp: 0 only where every term of the sum
    underflows (every logit below about -103 in float32), and a softmax normaliser does not
    change when all logits shift, so training does not push them there. Masked or
    label-selected terms (a contrastive denominator over an empty selection) stay flagged."""
    if not (x.pred and not x.label and not x.label_sum):
        return False
    summed = call_arg(node, 0, *REDUCED_KEYWORDS)
    operand = r.definition(summed, scope) if summed is not None else None
    if not isinstance(operand, cst.Call):
        return False
    spec, _ = r.spec(operand)
    return spec is not None and spec.op == "exp"


_GRADIENT_CALLS = frozenset({"gradients", "gradient", "batch_jacobian", "jacobian"})


def _from_gradient(r: Ranges, node: cst.BaseExpression | None, scope: Scope, depth: int) -> bool:
    """Whether ``node`` is (a square, power or absolute value of) a computed gradient:
    ``K.gradients(y_pred, x)[0]``, ``tape.gradient(out, x)``, through local names."""
    if node is None or depth > 6:
        return False
    node = r.definition(node, scope)
    if isinstance(node, cst.Subscript):
        return _from_gradient(r, node.value, scope, depth + 1)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Power, cst.Multiply)):
        return _from_gradient(r, node.left, scope, depth + 1)
    if not isinstance(node, cst.Call):
        return False
    name = (cst_dotted(node.func) or "").rpartition(".")[2]
    if name in _GRADIENT_CALLS:
        return True
    spec, _ = r.spec(node)
    if spec is not None and spec.op in ("square", "abs", "pow", "power"):
        return _from_gradient(r, call_arg(node, 0, "x"), scope, depth + 1)
    return False


def _binary(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    a = r.bound(node.args[0].value, scope) if node.args else ANY
    b = r.bound(node.args[1].value, scope) if len(node.args) > 1 else ANY
    op = spec.op
    handler = {"add": _add, "subtract": _subtract, "multiply": _multiply, "divide": _divide,
               "truediv": _divide, "maximum": _maximum, "minimum": _minimum,
               "multiply_no_nan": _multiply}.get(op)
    if handler is not None:
        return handler(a, b)
    if op == "pow":
        return _power(a, b)
    if op == "squared_difference":
        return combine([a, b], Low.NONNEG)
    if op in ("divide_no_nan", "xdivy"):
        nonneg = at_least(a.low, Low.NONNEG) and at_least(b.low, Low.NONNEG)
        return combine([a, b], Low.NONNEG if nonneg else Low.ANY)
    return combine(args)


def _compare(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    return combine(args, Low.NONNEG, pred=False, diff=False, le_one=True)


def _where(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    if len(node.args) < 3:
        return combine(args)
    cond = node.args[0].value
    a, b = args[1], args[2]
    out = join(a, b)
    if r.nan_tested(cond, scope):
        out = out.lifted(nan_label=False)  # the NaN test sanitises what it selects
    for safe, kept in ((a, node.args[2].value), (b, node.args[1].value)):
        if safe.low is Low.SAFE and not safe.pred and r.sanitising(cond, kept, scope):
            # where(x > 0, x, 1): the sanitised input of the double-where pattern
            out = out.lifted(low=Low.SAFE)
    return out.lifted(pred=a.pred or b.pred, diff=a.diff or b.diff)


def _cast(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    x = args[0] if args else ANY
    value = scope.value(node)
    if value is not None and (value.has(Tag.BATCH_SIZE) or value.has(Tag.STATIC_BATCH) or
                              (value.has(Tag.COUNT) and not value.has(Tag.MASK))):
        return x.lifted(low=Low.SAFE)
    return x.lifted(const=x.const, scalar=x.scalar)  # ``cast(self.eps, dtype)`` is still a scalar guard


def _size(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    return Bound(low=Low.SAFE)


def _same(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    x = r._first(node, scope, "tensor", "x", "input", "params", "a")
    return x.lifted(const=None, scalar=False)


def _clip(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    x = r._first(node, scope, "t", "x", "a")
    lo_node = call_arg(node, 1, "clip_value_min", "min_value", "x_min", "a_min")
    hi_node = call_arg(node, 2, "clip_value_max", "max_value", "x_max", "a_max")
    lo = r.bound(lo_node, scope) if lo_node is not None else ANY
    hi = r.bound(hi_node, scope) if hi_node is not None else ANY
    low = best(x.low, lo.low) if lo_node is not None else x.low
    return combine([x], low, le_one=hi.le_one, margin=hi.margin,
                   neg_margin=lo.neg_margin or (lo_node is None and x.neg_margin))


def _fill(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    canon = r.canonical(node.func) or ""
    if spec.op == "zeros":
        return constant(0.0).lifted(scalar=False)
    if canon.endswith("ones"):
        return constant(1.0).lifted(scalar=False)
    if canon in ("tf.fill", "np.full", "ops.full"):
        value = call_arg(node, 1, "value", "fill_value")
        return r.bound(value, scope).lifted(scalar=False) if value is not None else ANY
    return ANY


def _fill_like(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    if spec.op == "zeros_like":
        return constant(0.0).lifted(scalar=False)
    canon = r.canonical(node.func) or ""
    if canon.endswith("ones_like"):
        return constant(1.0).lifted(scalar=False)
    value = call_arg(node, 1, "value", "fill_value")
    return r.bound(value, scope).lifted(scalar=False) if value is not None else ANY


def _constant(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    return args[0] if args else ANY  # convert_to_tensor(K.epsilon()) is still the epsilon


def _epsilon(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    canon = r.canonical(node.func) or ""
    if canon == "np.finfo":
        return ANY  # the attribute (.eps/.tiny) decides
    return constant(_KERAS_EPSILON)


def _loss_fn(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    return combine(args, Low.NONNEG)


def _index(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    return combine(args, Low.NONNEG, pred=False, diff=False)


def _cond(r: Ranges, spec: OpSpec, node: cst.Call, args: list[Bound], scope: Scope) -> Bound:
    out: Bound | None = None
    for arg in node.args[1:]:
        if isinstance(arg.value, cst.Lambda):
            part = r.bound(arg.value.body, scope)
            out = part if out is None else join(out, part)
    return out if out is not None else combine(args)


_CALLS: dict[Kind, CallRule] = {
    Kind.UNARY: _unary, Kind.CUT_UNARY: _cut_unary, Kind.REDUCE: _reduce, Kind.BINARY: _binary,
    Kind.COMPARE: _compare, Kind.WHERE: _where, Kind.CAST: _cast, Kind.SHAPE: _size,
    Kind.SIZE: _size, Kind.STATIC_SHAPE: _size, Kind.LEN: _size, Kind.RESHAPE: _same, Kind.FLATTEN: _same,
    Kind.SQUEEZE: _same, Kind.EXPAND: _same, Kind.TRANSPOSE: _same, Kind.KEEP: _same,
    Kind.IDENTITY: _same, Kind.GATHER: _same, Kind.BOOLEAN_MASK: _same, Kind.CLIP: _clip,
    Kind.FILL: _fill, Kind.FILL_LIKE: _fill_like, Kind.CONSTANT: _constant,
    Kind.EPSILON: _epsilon, Kind.LOSS_FN: _loss_fn, Kind.ELEMENTWISE_LOSS: _loss_fn,
    Kind.ONE_HOT: _index, Kind.ARG_REDUCE: _index, Kind.RANGE: _index,
    Kind.SEQUENCE_MASK: _index, Kind.COND: _cond,
}


def _selects_positive(node: cst.Subscript) -> bool:
    """``x[x > 0]`` (or ``x[x >= c]`` with ``c > 0``): a boolean selection of ``x`` by its own
    positive entries."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return False
    test = node.slice[0].slice.value
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return False
    target = test.comparisons[0]
    bound = literal(target.comparator)
    if not isinstance(bound, (int, float)) or isinstance(bound, bool):
        return False
    strict = isinstance(target.operator, cst.GreaterThan) and bound >= 0
    return (strict or isinstance(target.operator, cst.GreaterThanEqual) and bound > 0) \
        and code_of(test.left) == code_of(node.value)
