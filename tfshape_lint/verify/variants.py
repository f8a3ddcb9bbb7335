"""Counterfactual variants: the probe program with only the flagged node neutralised.

A verdict must be about the finding, not about the loss it sits in. So besides the loss as
written, the verifier runs a *variant* in which only the flagged node is changed (DESIGN.md,
runtime verifier): the rule's own fix where it has one (``axis=-1`` on a full reduction, a
cast of a mask, ``tf.shape(y)[0]`` for a static batch size), otherwise a neutral substitute
(an epsilon guard on the flagged ``log``, the lower-rank operand expanded, a straight-through
surrogate that keeps the value of a non-differentiable op and lets its gradient through, a
batch-sized constant replaced by its mean at any batch size). The symptom must be present as
written and gone in the variant for a finding to be confirmed.

The metadata lives here, keyed by rule code, so rule modules stay free of verifier details.
Every transform works on the stdlib ``ast`` of the whole file and changes one node in place.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from typing import Callable, Iterator

from tfshape_lint.analysis.ops import REDUCED_KEYWORDS

#: rules whose probe compares two runs of the loss itself (the counterfactual is in the inputs)
SELF_CONTAINED = frozenset({"TFS111", "TFS501", "TFS504", "TFS506", "TFS502"})
#: rules whose variant is the same program run differently (autograph on), not an edit
AUTOGRAPH = frozenset({"TFS303"})

_REDUCTIONS = ("sum", "mean", "max", "min", "prod", "reduce_sum", "reduce_mean", "reduce_max",
               "reduce_min", "reduce_prod", "logsumexp", "reduce_logsumexp", "nansum", "nanmean")
_LOG_LIKE = ("log", "log1p", "log2", "log10", "sqrt", "rsqrt", "reciprocal", "lgamma", "digamma")
_DIVIDES = ("divide", "truediv", "div", "realdiv", "true_divide", "floordiv")
_POW = ("pow", "power")
_NUMPY_TO_TF = {"mean": "reduce_mean", "sum": "reduce_sum", "max": "reduce_max", "min": "reduce_min",
                "prod": "reduce_prod", "abs": "abs", "sqrt": "sqrt", "square": "square", "log": "math.log",
                "exp": "exp", "argmax": "argmax", "argmin": "argmin", "argsort": "argsort",
                "maximum": "maximum", "minimum": "minimum", "clip": "clip_by_value", "where": "where",
                "power": "pow", "dot": "tensordot", "matmul": "matmul", "concatenate": "concat",
                "stack": "stack", "reshape": "reshape", "transpose": "transpose", "sign": "sign",
                "log1p": "math.log1p", "tanh": "tanh", "std": "math.reduce_std", "var": "math.reduce_variance",
                "log10": "experimental.numpy.log10", "log2": "experimental.numpy.log2", "sin": "math.sin",
                "cos": "math.cos", "floor": "math.floor", "ceil": "math.ceil", "round": "math.round",
                "cumsum": "math.cumsum", "expand_dims": "expand_dims", "squeeze": "squeeze",
                "ones_like": "ones_like", "zeros_like": "zeros_like", "isnan": "math.is_nan",
                "isfinite": "math.is_finite", "equal": "equal", "not_equal": "not_equal", "greater": "greater",
                "less": "less", "logical_and": "logical_and", "logical_or": "logical_or",
                "logical_not": "logical_not", "count_nonzero": "math.count_nonzero"}

#: runtime helpers the variants call; emitted into every probe program's prelude
HELPERS = '''import tensorflow as __tfs_tf__
def __tfs_ste__(value, source):
    """Same value as ``value``; its gradient also flows to ``source`` (a straight-through surrogate)."""
    import tensorflow as __tf
    v = __tf.convert_to_tensor(value)
    if not v.dtype.is_floating:
        return value
    s = __tf.reduce_mean(__tf.cast(source, v.dtype))
    return v + (s - __tf.stop_gradient(s))
def __tfs_ste_float__(value, source):
    """``__tfs_ste__`` of a cast or conversion to an integer dtype (uint8 frames): the same
    numbers as floats, since an integer tensor carries no gradient whatever is added to it."""
    import tensorflow as __tf
    v = __tf.convert_to_tensor(value)
    if not v.dtype.is_floating and v.dtype != __tf.bool:
        src = __tf.convert_to_tensor(source)
        v = __tf.cast(v, src.dtype if src.dtype.is_floating else __tf.float32)
    return __tfs_ste__(v, source)
def __tfs_src__(preferred, fallback):
    """The loss's y_pred where it is in scope (the loss body), else the op's own input."""
    try:
        return preferred()
    except NameError:
        return fallback()
def __tfs_sum_parts__(parts):
    if isinstance(parts, (list, tuple)):
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total
    return parts
def __tfs_align__(a, b):
    """Both operands with the lower-rank one expanded along trailing axes (rank-safe broadcast)."""
    import tensorflow as __tf
    ta, tb = __tf.convert_to_tensor(a), __tf.convert_to_tensor(b)
    ra, rb = ta.shape.rank, tb.shape.rank
    if ra is None or rb is None or ra == rb or min(ra, rb) == 0:
        return a, b
    if ra < rb:
        return __tf.reshape(ta, __tf.concat([__tf.shape(ta), __tf.ones([rb - ra], __tf.int32)], 0)), b
    return a, __tf.reshape(tb, __tf.concat([__tf.shape(tb), __tf.ones([ra - rb], __tf.int32)], 0))
def __tfs_expand__(w):
    import tensorflow as __tf
    return __tf.expand_dims(__tf.convert_to_tensor(w), -1)
def __tfs_rowmean__(x):
    import tensorflow as __tf
    return __tf.reduce_mean(x, axis=-1)
def __tfs_batch_like__(w, ref):
    """``w``'s mean along its first axis, repeated for the batch of ``ref``: valid at any batch size."""
    import tensorflow as __tf
    t = __tf.cast(__tf.convert_to_tensor(w), __tf.float32)
    mean = __tf.reduce_mean(t, axis=0)
    n = __tf.shape(__tf.convert_to_tensor(ref))[0]
    return __tf.ones(__tf.concat([[n], __tf.shape(mean)], 0), __tf.float32) * mean
def __tfs_float__(x):
    import tensorflow as __tf
    return __tf.cast(x, __tf.float32)
def __tfs_int__(x):
    import tensorflow as __tf
    return __tf.cast(x, __tf.int32)
def __tfs_pos__(x):
    import tensorflow as __tf
    return __tf.maximum(x, 1e-7)
def __tfs_nonzero__(x):
    import tensorflow as __tf
    t = __tf.convert_to_tensor(x)
    if not t.dtype.is_floating:
        return x
    return __tf.where(__tf.abs(t) < 1e-7, __tf.where(t < 0, -1e-7 * __tf.ones_like(t), 1e-7 * __tf.ones_like(t)), t)
def __tfs_batch_dim__(x):
    import tensorflow as __tf
    return __tf.shape(__tf.convert_to_tensor(x))[0]
def __tfs_fed_batch__():
    """The batch size of the inputs the probe fed to the current call (None outside a probe)."""
    import sys
    return getattr(sys.modules.get("tfshape_lint.verify._child.harness"), "PROBE_BATCH", [None])[0]
def __tfs_probe_batch__(x):
    """A sibling's static batch size in both runs of another finding: the batch of the probe's
    inputs as a Python int (what the static shape would say at a fixed batch size)."""
    import tensorflow as __tf
    n = __tf.convert_to_tensor(x).shape[0]
    if n is not None:
        return int(n)
    fed = __tfs_fed_batch__()
    return fed if fed is not None else __tfs_batch_dim__(x)
def __tfs_batch_dim_float__(x):
    import tensorflow as __tf
    t = __tf.convert_to_tensor(x)
    return __tf.cast(__tf.shape(t)[0], t.dtype if t.dtype.is_floating else __tf.float32)
def __tfs_last_axis__(reduce, x, *args, **kwargs):
    """The flagged reduction over the last axis only, for a factor of a product with a per-cell
    mask: a batch of cells (rank 3 or more, axis 0 the fed batch) keeps its cells; anything
    else is reduced per sample, as ``__tfs_keep_batch__`` does."""
    import tensorflow as __tf
    t = __tf.convert_to_tensor(x)
    fed = __tfs_fed_batch__()
    if t.shape.rank is None or t.shape.rank < 3 or (fed and t.shape[0] is not None and t.shape[0] != fed):
        return __tfs_keep_batch__(reduce, x, *args, **kwargs)
    kwargs.pop("axis", None)
    return reduce(t, *args, axis=-1, **kwargs)
def __tfs_keep_batch__(reduce, x, *args, **kwargs):
    """The flagged reduction over every axis but the batch axis (a per-sample value)."""
    import tensorflow as __tf
    t = __tf.convert_to_tensor(x)
    kwargs.pop("axis", None)
    kwargs.pop("keepdims", None)
    fed = __tfs_fed_batch__()
    if t.shape.rank is not None and t.shape.rank >= 1 and fed and t.shape[0] is not None and t.shape[0] != fed:
        # a selection of the batch's values (boolean_mask, or gather_nd of tf.where's
        # coordinates: rows of every sample): no axis keeps the samples apart, so the sum is
        # taken per sample of the batch (divided by its size)
        return reduce(t) / __tfs_tf__.cast(fed, t.dtype)
    if t.shape.rank is not None and t.shape.rank <= 1:
        return t
    axes = list(range(1, t.shape.rank)) if t.shape.rank is not None else -1
    return reduce(t, axis=axes)
def __tfs_batch_share__(reduce, x, *args, **kwargs):
    """The flagged full reduction divided by the batch size: one number, as written, that no
    longer grows with the batch (for a total stacked with other totals, whose shape must stay)."""
    t = __tfs_tf__.convert_to_tensor(x)
    fed = __tfs_fed_batch__()
    total = reduce(t, *args, **kwargs)
    size = fed if fed else __tfs_tf__.shape(t)[0]
    return total / __tfs_tf__.cast(size, total.dtype)
def __tfs_norm_per_sample__(x, ord="euclidean", **kwargs):
    """``tf.norm`` without an axis (the whole tensor as one vector), per sample instead."""
    import tensorflow as __tf
    t = __tf.convert_to_tensor(x)
    if t.shape.rank is not None and t.shape.rank <= 1:
        return __tf.abs(t)
    return __tf.norm(__tf.reshape(t, [__tf.shape(t)[0], -1]), ord=ord, axis=-1)
__TFS_SQUEEZED__ = {}
def __tfs_squeeze_but_batch__(x, site):
    """The trailing axes of size 1 of the first inputs this site saw (the probe's base layout),
    kept for later runs whose inner axes the probe shrinks to 1 on purpose."""
    x = __tfs_tf__.convert_to_tensor(x)
    if x.shape.rank is None:
        return __tfs_tf__.squeeze(x, axis=-1)
    axes = __TFS_SQUEEZED__.get(site)
    if axes is None or any(i >= x.shape.rank or x.shape[i] != 1 for i in axes):
        axes = []
        for i in range(x.shape.rank - 1, 0, -1):
            if x.shape[i] != 1:
                break
            axes.append(i)
        __TFS_SQUEEZED__.setdefault(site, axes)
    return __tfs_tf__.squeeze(x, axis=axes) if axes else x
def __tfs_identity__(x, *args, **kwargs):
    return x
def __tfs_unreduced__(loss):
    """A built-in Loss instance rebuilt from its config with ``reduction='none'`` (per sample)."""
    config = dict(loss.get_config())
    config["reduction"] = "none"
    return type(loss).from_config(config)
def __tfs_half_sum_sq__(t, axis=None):
    """``tf.nn.l2_loss`` (half the sum of squares) with an axis, which the real op lacks."""
    import tensorflow as __tf
    return __tf.reduce_sum(__tf.square(t), axis=axis) / 2
'''


@dataclass(frozen=True)
class Context:
    """What a transform may need besides the node: the loss's argument names and the claim."""

    code: str
    severity: str
    true_name: str
    pred_name: str
    #: neutralising a sibling finding in both runs of another (see ``extract``), not the flagged node
    background: bool = False


@dataclass
class _Site:
    node: ast.AST
    parents: list[ast.AST]


def call_name(node: ast.AST) -> str:
    """The called name of a call (``reduce_sum`` of ``tf.reduce_sum(x)``, ``f`` of ``f(x)``); ""
    for anything else."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            return func.attr
        if isinstance(func, ast.Name):
            return func.id
    return ""


def _helper(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def _kw(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def _set_kw(call: ast.Call, name: str, value: ast.expr) -> None:
    found = _kw(call, name)
    if found is not None:
        found.value = value
    else:
        call.keywords.append(ast.keyword(name, value))


def _axis_minus_one(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    """``axis=-1`` on the flagged reduction (TFS102/TFS108's fix)."""
    call = node if isinstance(node, ast.Call) else None
    if call is None or not any(call_name(call).endswith(r) for r in _REDUCTIONS):
        return None
    new = copy.deepcopy(call)
    if len(new.args) >= 2:
        new.args = new.args[:1]
    _set_kw(new, "axis", ast.UnaryOp(ast.USub(), ast.Constant(1)))
    return new, f"`axis=-1` on the flagged `{_short(call.func)}`"


#: keyword names of the tensor a reduction reduces (``tf.nn.compute_average_loss`` calls it
#: ``per_example_loss``)
_REDUCED_KEYWORDS = (*REDUCED_KEYWORDS, "per_example_loss")


def _reduced(call: ast.Call) -> ast.expr | None:
    """The tensor a reduction call reduces: its first argument, positional or by keyword."""
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg in _REDUCED_KEYWORDS), None)


def _keep_batch(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    """The flagged full reduction over every axis but the batch (a per-sample value)."""
    call = node if isinstance(node, ast.Call) else None
    reduced = _reduced(call) if call is not None else None
    if call is None or reduced is None:
        return None
    func: ast.expr = call.func
    if call_name(call) == "norm" and _kw(call, "axis") is None and len(call.args) < 3:
        # the whole tensor as one vector: the same norm of each sample's values
        ord_kw = _kw(call, "ord")
        order = call.args[1] if len(call.args) >= 2 else (ord_kw.value if ord_kw is not None else None)
        args = [reduced] + ([order] if order is not None else [])
        return (ast.Call(ast.Name("__tfs_norm_per_sample__", ast.Load()), args, []),
                f"the flagged `{_short(call.func)}` taken per sample (each sample's values as one vector)")
    if call_name(call) in ("compute_average_loss", "compute_weighted_loss"):
        # the per-example values it sums over the global batch size (or weights and reduces with
        # the Loss's own reduction): what the rule's fix returns, and Keras weights them after
        return (copy.deepcopy(reduced),
                f"the per-example values the flagged `{_short(call.func)}` reduces, returned as they are")
    if call_name(call).endswith("l2_loss"):  # no axis parameter: the same sum, written with one
        func = ast.Name("__tfs_half_sum_sq__", ast.Load())
    elif _loss_instance_call(call):
        # ``self.ce(y, p)`` of a built-in Loss kept with its default reduction: the same Loss
        # with reduction='none' (the rule's advice), its per-sample values
        unreduced = ast.Call(ast.Call(ast.Name("__tfs_unreduced__", ast.Load()), [call.func], []),
                             call.args, call.keywords)
        return unreduced, f"`{_short(call.func)}` rebuilt with reduction='none' (per sample)"
    elif not any(call_name(call).endswith(r) for r in _REDUCTIONS):
        return None
    return (ast.Call(ast.Name("__tfs_keep_batch__", ast.Load()), [func, reduced], []),
            f"the flagged `{_short(call.func)}` kept per sample (over every axis but the batch; a flattened "
            "selection of the batch's values divided by the batch size)")


def _keep_batch_within(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    """TFS108's variant: the flagged reduction kept per sample, and so are the reductions over
    the batch axis inside it (``reduce_mean(reduce_mean(y * log(p), axis=0) / w)``): the finding
    is that this expression returns one number for the whole batch, and an inner ``axis=0`` is
    where the batch went. TFS102 keeps the plain variant: there an inner batch *sum* would be
    its own cause of the scaling, and removing it would credit the flagged node with it."""
    made = _keep_batch(node, ctx)
    if made is None or not isinstance(made[0], ast.Call) or len(made[0].args) < 2:
        return made
    removed = _BatchReductionsRemoved.lines_of(made[0].args[1])
    if not removed:
        return made
    new = copy.deepcopy(made[0])
    new.args[1] = _BatchReductionsRemoved().visit(new.args[1])
    where = ", ".join(f"line {n}" for n in removed)
    return new, f"{made[1]}, with the reduction over the batch axis inside it ({where}) kept per sample"


class _BatchReductionsRemoved(ast.NodeTransformer):
    """``reduce_*(x, axis=0)`` replaced by ``x``; ``axis=(0, k)`` becomes ``axis=(k,)``."""

    @staticmethod
    def batch_axes(call: ast.Call) -> ast.expr | None:
        if not any(call_name(call).endswith(r) for r in _REDUCTIONS) or not call.args:
            return None
        found = _kw(call, "axis")
        axis = found.value if found is not None else (call.args[1] if len(call.args) >= 2 else None)
        if isinstance(axis, ast.Constant) and axis.value == 0:
            return axis
        if isinstance(axis, (ast.Tuple, ast.List)) and any(
                isinstance(e, ast.Constant) and e.value == 0 for e in axis.elts):
            return axis
        return None

    @classmethod
    def lines_of(cls, tree: ast.AST) -> list[int]:
        return sorted({n.lineno for n in ast.walk(tree)
                       if isinstance(n, ast.Call) and cls.batch_axes(n) is not None})

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        axis = self.batch_axes(node)
        if axis is None:
            return node
        if isinstance(axis, ast.Constant):
            return node.args[0]
        assert isinstance(axis, (ast.Tuple, ast.List))
        axis.elts = [e for e in axis.elts if not (isinstance(e, ast.Constant) and e.value == 0)]
        return node


def _loss_instance_call(call: ast.Call) -> bool:
    """``self.ce(a, b)`` or ``loss_fn(a, b)``: a call of an object (an attribute or a plain name,
    not a TensorFlow/Keras function) with the two tensors a Loss takes; the runtime helper
    rebuilds it only if it is a Loss with a config."""
    func = call.func
    if len(call.args) < 2 or not isinstance(func, (ast.Attribute, ast.Name)):
        return False
    if isinstance(func, ast.Attribute):
        return isinstance(func.value, ast.Name) and func.value.id == "self"
    return func.id[:1].islower() and not func.id.startswith("__tfs")


def _index_chain(node: ast.Subscript) -> list[ast.Subscript]:
    """``node`` and the subscripts under it, each one integer (``y[0][0][0]``: three links,
    outermost first)."""
    links = [node] if _int_index(node) else []
    while links and isinstance(links[-1].value, ast.Subscript) and _int_index(links[-1].value):
        links.append(links[-1].value)
    return links


def _int_index(node: ast.Subscript) -> bool:
    return int_literal(node.slice) is not None


def int_literal(node: ast.AST) -> int | None:
    """The value of an integer literal (``3``, ``-1``), None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return int(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = int_literal(node.operand)
        return -inner if inner is not None else None
    return None


def _squeeze_axis(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    """TFS104: the squeeze of the trailing axes of size 1, never the batch axis (``axis=-1`` for
    the usual ``(B, 1)``; a ``(B, 1, 1)`` slice loses both, as written and as meant; an inner
    axis of size 1 before a wider one stays, as it does with ``axis=-1``)."""
    if not isinstance(node, ast.Call) or "squeeze" not in call_name(node) or not node.args:
        return None
    site = ast.Constant(f"{getattr(node, 'lineno', 0)}:{getattr(node, 'col_offset', 0)}")
    return _helper("__tfs_squeeze_but_batch__", node.args[0], site), \
        "the flagged squeeze kept off the batch axis (its trailing axes of size 1 squeezed)"


def _last_axis_index(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.Subscript):
        return None
    if _picks_column(node.value):
        # ``y_true[:, 400][0]``: the column is already one value per sample, and ``[..., 0]``
        # would index the batch again: the index dropped is the per-sample value
        return copy.deepcopy(node.value), f"`{_short(node.value)}` instead (the batch index dropped)"
    chain = _index_chain(node)
    if len(chain) >= 2:
        # ``y[0][0][0]``: the innermost index picks the sample; every sample's [0][0] instead
        indices = [copy.deepcopy(link.slice) for link in reversed(chain)]
        flat = ast.Subscript(copy.deepcopy(chain[-1].value), ast.Tuple([ast.Slice(), *indices], ast.Load()), ast.Load())
        return flat, f"`{_short(flat)}` instead (the indices moved off the batch axis)"
    new = copy.deepcopy(node)
    if isinstance(new.slice, ast.Tuple) and new.slice.elts:
        new.slice.elts[0] = ast.Slice()
    else:
        new.slice = ast.Tuple([ast.Slice(), new.slice], ast.Load())
    return new, f"`{_short(new)}` instead (the index moved off the batch axis)"


def _picks_column(node: ast.AST) -> bool:
    """``x[:, 400]``: a full slice of axis 0, then one index: the result has lost the axis it
    indexed (of a rank-2 input, one value per sample)."""
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Tuple) or len(node.slice.elts) != 2:
        return False
    first, last = node.slice.elts
    whole = isinstance(first, ast.Slice) and first.lower is None and first.upper is None and first.step is None
    return whole and (isinstance(last, ast.Name) or isinstance(last, ast.Constant) and type(last.value) is int)


def _align_operands(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    """Each operand as ``__tfs_align__`` leaves it (the lower-rank one expanded along trailing
    axes); the op stays a BinOp/call so its operands can still be tapped."""
    desc = "the lower-rank operand expanded along trailing axes"
    if isinstance(node, ast.BinOp):
        pair = [node.left, node.right]
        new_op = ast.BinOp(_pick(pair, 0), node.op, _pick(pair, 1))
        return new_op, desc
    if isinstance(node, ast.Call) and len(node.args) >= 2:
        new = copy.deepcopy(node)
        pair = [new.args[0], new.args[1]]
        new.args = [_pick(pair, 0), _pick(pair, 1)] + new.args[2:]
        return new, desc
    return None


def _pick(pair: list[ast.expr], index: int) -> ast.expr:
    return ast.Subscript(_helper("__tfs_align__", copy.deepcopy(pair[0]), copy.deepcopy(pair[1])),
                         ast.Constant(index), ast.Load())


def _expand_operand(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.expr):
        return None
    return _helper("__tfs_expand__", node), f"`{_short(node)}[..., None]` (the flagged operand expanded)"


def _batch_constant(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.expr) or not (ctx.pred_name or ctx.true_name):
        return None
    ref = ast.Name(ctx.pred_name or ctx.true_name, ast.Load())
    return (_helper("__tfs_batch_like__", node, ref),
            f"`{_short(node)}` replaced by a (B,) constant (its mean) that fits any batch size")


def _default_reduction(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    text = "the default reduction 'sum_over_batch_size'"
    if isinstance(node, ast.Call):
        new = copy.deepcopy(node)
        _set_kw(new, "reduction", ast.Constant("sum_over_batch_size"))
        return new, text
    if isinstance(node, (ast.Constant, ast.Attribute, ast.Name)):
        return ast.Constant("sum_over_batch_size"), text
    return None


def _dynamic_batch(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    base = _shape_base(node)
    if base is None:
        return None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        # ``y.shape[:-1]``: the same prefix of the dynamic shape
        dynamic = ast.Subscript(ast.Call(ast.Attribute(ast.Name("__tfs_tf__", ast.Load()), "shape", ast.Load()),
                                         [base], []), copy.deepcopy(node.slice), ast.Load())
        return dynamic, f"`tf.shape({_short(base)})[{ast.unparse(node.slice)}]` (the rule's fix)"
    return _helper("__tfs_batch_dim__", base), f"`tf.shape({_short(base)})[0]` (the rule's fix)"


#: arithmetic after which a batch size is best a float (``n / 2``, ``n * scale``); after the
#: rest (``n // 2``, ``n % 2``, ``n - half``) it may index or slice, so an integer
_FLOAT_ARITHMETIC = (ast.Div, ast.Mult, ast.Pow)


def _unpacked_batch(node: ast.AST, chain: list[ast.AST]) -> tuple[str, ast.AST, ast.AST] | None:
    """``b, h, w = y.shape`` flagged at ``b``: the unpacked value with the dynamic batch size
    first (``(tf.shape(y)[0], *y.shape[1:])``), as a float where the name only meets float
    arithmetic (``/ (b * h * w)``)."""
    if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and len(chain) >= 2
            and isinstance(chain[-1], (ast.Tuple, ast.List)) and chain[-1].elts and chain[-1].elts[0] is node
            and isinstance(chain[-2], ast.Assign)):
        return None
    assign = chain[-2]
    base = _shape_base(ast.Subscript(assign.value, ast.Constant(0), ast.Load()))
    fn = next((p for p in reversed(chain) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if base is None or fn is None:
        return None
    parents = {id(child): parent for parent in ast.walk(fn) for child in ast.iter_child_nodes(parent)}
    uses = [parents.get(id(n)) for n in ast.walk(fn)
            if isinstance(n, ast.Name) and n.id == node.id and isinstance(n.ctx, ast.Load)]
    floaty = bool(uses) and all(isinstance(u, ast.BinOp) and isinstance(u.op, _FLOAT_ARITHMETIC) for u in uses)
    rest = ast.Starred(ast.Subscript(copy.deepcopy(assign.value), ast.Slice(ast.Constant(1), None), ast.Load()),
                       ast.Load())
    old = assign.value
    assign.value = ast.copy_location(
        ast.Tuple([_helper("__tfs_batch_dim_float__" if floaty else "__tfs_batch_dim__", base), rest], ast.Load()), old)
    return f"`tf.shape({_short(base)})[0]` for the unpacked `{node.id}` (the rule's fix)", old, assign.value


def _unknown_batch_prefix(node: ast.AST) -> ast.expr | None:
    """``tf.TensorShape([-1]).concatenate(y.shape[1:k])`` for ``y.shape[:k]``: the static shape
    prefix with -1 in place of the batch size; None for anything else."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) and node.slice.step is None
            and (node.slice.lower is None or isinstance(node.slice.lower, ast.Constant) and node.slice.lower.value == 0)
            and isinstance(node.value, ast.Attribute) and node.value.attr == "shape"):
        return None
    rest = ast.Subscript(copy.deepcopy(node.value), ast.Slice(ast.Constant(1), copy.deepcopy(node.slice.upper)),
                         ast.Load())
    unknown = ast.Call(ast.Attribute(ast.Name("__tfs_tf__", ast.Load()), "TensorShape", ast.Load()),
                       [ast.List([ast.Constant(-1)], ast.Load())], [])
    return ast.copy_location(ast.Call(ast.Attribute(unknown, "concatenate", ast.Load()), [rest], []), node)


def _held_shape(node: ast.AST, chain: list[ast.AST]) -> ast.Subscript | None:
    """``true_shape[:-1]`` of ``true_shape = K.int_shape(y_true)`` (assigned once in the function
    around it): the same subscript of the shape expression itself."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)):
        return None
    fn = next((p for p in reversed(chain) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        return None
    assigned = [n.value for n in ast.walk(fn) if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name) and n.targets[0].id == node.value.id]
    if len(assigned) != 1:
        return None
    return ast.Subscript(copy.deepcopy(assigned[0]), copy.deepcopy(node.slice), ast.Load())


def _shape_base(node: ast.AST) -> ast.expr | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" and node.args:
        return node.args[0]
    if not isinstance(node, ast.Subscript):
        return None
    value = node.value
    if isinstance(value, ast.Attribute) and value.attr == "shape":
        return value.value
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr in ("get_shape", "as_list"):
            inner = func.value
            if isinstance(inner, ast.Attribute) and inner.attr == "shape":
                return inner.value
            return inner
        if call_name(value) == "int_shape" and value.args:
            return value.args[0]
    return None


def _cast_float(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.expr):
        return None
    return _helper("__tfs_float__", node), f"`tf.cast({_short(node)}, tf.float32)` (the rule's fix)"


def _cast_labels(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.Call):
        return None
    new = copy.deepcopy(node)
    for kw in new.keywords:
        if kw.arg in ("labels", "indices", "y_true", "target"):
            kw.value = _helper("__tfs_int__", kw.value)
            return new, f"the labels cast to int32 (`{kw.arg}=`)"
    idx = _label_position(new, ctx)
    if idx is None:
        return None
    new.args[idx] = _helper("__tfs_int__", new.args[idx])
    return new, f"`tf.cast({_short(node.args[idx])}, tf.int32)` (the rule's fix)"


def _label_position(call: ast.Call, ctx: Context) -> int | None:
    if not call.args:
        return None
    for i, arg in enumerate(call.args):
        if ctx.true_name and any(isinstance(n, ast.Name) and n.id == ctx.true_name for n in ast.walk(arg)):
            return i
    name = call_name(call)
    if name in ("gather", "take", "gather_nd", "take_along_axis") and len(call.args) >= 2:
        return 1
    return 0


def _straight_through(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    """The flagged op keeps its value; its gradient passes straight through to its input."""
    source = _differentiable_input(node)
    if source is None or not isinstance(node, ast.expr):
        return None
    src: ast.expr = copy.deepcopy(source)
    if ctx.pred_name:
        src = _helper("__tfs_src__", ast.Lambda(_args(), ast.Name(ctx.pred_name, ast.Load())), ast.Lambda(_args(), src))
    helper = "__tfs_ste_float__" if call_name(node) in _DTYPE_CHANGES else "__tfs_ste__"
    return (_helper(helper, node, src),
            f"a straight-through surrogate for `{_short(node)}` (same value, a gradient path to y_pred)")


#: conversions whose integer result the code casts back to float: the surrogate is a float
_DTYPE_CHANGES = frozenset({"cast", "convert_image_dtype", "to_int32", "to_int64"})


def _differentiable_input(node: ast.AST) -> ast.expr | None:
    """The float input under a non-differentiable op (through casts and comparisons)."""
    found: ast.expr | None = None
    if isinstance(node, ast.Call):
        found = node.args[0] if node.args else node.keywords[0].value if node.keywords else None
    elif isinstance(node, ast.Compare):
        found = node.left
    elif isinstance(node, ast.UnaryOp):
        found = node.operand
    elif isinstance(node, ast.BinOp):
        found = node.left
    elif isinstance(node, ast.Subscript):
        found = node.value
    if isinstance(found, ast.Compare) or (isinstance(found, ast.Call) and call_name(found) in _CUTS):
        return _differentiable_input(found) or found
    return found


_CUTS = ("cast", "round", "floor", "ceil", "sign", "argmax", "argmin", "stop_gradient", "rint", "equal",
         "not_equal", "greater", "less", "greater_equal", "less_equal")


def _guard(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    """An epsilon guard on the flagged log/sqrt/division/fractional power."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv)):
        new = copy.deepcopy(node)
        new.right = _helper("__tfs_nonzero__", new.right)
        return new, f"the denominator of `{_short(node)}` kept away from 0 by 1e-7"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        new = copy.deepcopy(node)
        new.left = _helper("__tfs_pos__", new.left)
        return new, f"the base of `{_short(node)}` clipped at 1e-7"
    name = call_name(node)
    if not isinstance(node, ast.Call) or not node.args:
        return None
    call = copy.deepcopy(node)
    if any(name == d or name.endswith(d) for d in _DIVIDES) and len(call.args) >= 2:
        call.args[1] = _helper("__tfs_nonzero__", call.args[1])
        return call, f"the denominator of `{_short(node.func)}` kept away from 0 by 1e-7"
    if name in _LOG_LIKE or name in _POW or name.startswith("log"):
        call.args[0] = _helper("__tfs_pos__", call.args[0])
        return call, f"the argument of `{_short(node.func)}` clipped at 1e-7"
    return None


def _cut_gradient(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.expr):
        return None
    call = ast.Call(ast.Attribute(ast.Name("__tfs_tf__", ast.Load()), "stop_gradient", ast.Load()), [node], [])
    return call, f"the gradient path through `{_short(node)}` cut (stop_gradient)"


def _numpy_free(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    """numpy calls as their TensorFlow equivalents; ``.numpy()``/``np.asarray`` dropped."""
    if not isinstance(node, ast.expr):
        return None
    new = _NumpyToTf().visit(copy.deepcopy(node))
    if ast.dump(new) == ast.dump(node):
        return None
    return new, "numpy calls replaced by their TensorFlow equivalents (the rule's fix)"


class _NumpyToTf(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "numpy" and not node.args:
            return func.value
        if isinstance(func, ast.Attribute) and func.attr in ("get_value", "eval") and len(node.args) == 1 \
                and _names_backend(func.value):
            return node.args[0]  # ``K.get_value(t)``: the tensor itself
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("np", "numpy"):
            if func.attr in ("asarray", "array"):
                return node.args[0] if node.args else node
            if func.attr in ("float32", "float64", "int32", "int64") and len(node.args) == 1:
                # np.float32(t) converts a tensor: the TensorFlow form is a cast
                tf_name = ast.Name("__tfs_tf__", ast.Load())
                return ast.Call(ast.Attribute(tf_name, "cast", ast.Load()),
                                [node.args[0], ast.Attribute(tf_name, func.attr, ast.Load())], [])
            target = _NUMPY_TO_TF.get(func.attr)
            if target is not None:
                attr: ast.expr = ast.Name("__tfs_tf__", ast.Load())
                for part in target.split("."):
                    attr = ast.Attribute(attr, part, ast.Load())
                node.func = attr
        elif call_name(node) == "py_function" and node.args:
            fn = node.args[0]
            inputs = node.args[1] if len(node.args) > 1 else _kw(node, "inp")
            if isinstance(inputs, ast.keyword):
                inputs = inputs.value
            if isinstance(inputs, (ast.List, ast.Tuple)):
                return ast.Call(fn, list(inputs.elts), [])
        return node


def _names_backend(node: ast.expr) -> bool:
    """``K``, ``backend`` or ``<...>.backend``: the Keras backend module, as files spell it."""
    return (isinstance(node, ast.Name) and node.id in ("K", "backend", "keras_backend")) or \
        (isinstance(node, ast.Attribute) and node.attr == "backend")


def _unwrap_bool(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    """TFS303: ``bool(t)`` hides the test from autograph; the variant drops the ``bool()``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bool" and node.args:
        return node.args[0], "`bool()` dropped so that autograph converts the test"
    return None


def _drop_sample_weight(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.Call) or _kw(node, "sample_weight") is None:
        return None
    new = copy.deepcopy(node)
    new.keywords = [k for k in new.keywords if k.arg != "sample_weight"]
    return new, "the same call without `sample_weight=`"


def _sum_parts(node: ast.AST, ctx: Context) -> tuple[ast.AST, str] | None:
    if isinstance(node, ast.expr):
        return _helper("__tfs_sum_parts__", node), "the parts summed into one tensor (the rule's fix)"
    return None


def _short(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # a node without a source form
        return type(node).__name__
    return text if len(text) <= 50 else text[:47] + "..."


def _args(*names: str) -> ast.arguments:
    return ast.arguments([], [ast.arg(n) for n in names], None, [], [], None, [])


_STACKING = frozenset({"stack", "concat", "concatenate"})


def _stacked_total(node: ast.Call, chain: list[ast.AST]) -> bool:
    """Whether ``node`` is the value of ``name = ...`` whose name the enclosing function passes
    to a ``stack``/``concat`` call."""
    assign = chain[-1]
    if not (isinstance(assign, ast.Assign) and assign.value is node and len(assign.targets) == 1
            and isinstance(assign.targets[0], ast.Name)):
        return False
    name = assign.targets[0].id
    fn = next((p for p in reversed(chain) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        return False
    return any(isinstance(call, ast.Call) and call_name(call) in _STACKING
               and any(isinstance(n, ast.Name) and n.id == name for arg in call.args for n in ast.walk(arg))
               for call in ast.walk(fn))


Transform = Callable[[ast.AST, Context], "tuple[ast.AST, str] | None"]
TRANSFORMS: dict[str, Transform] = {
    "TFS101": _sum_parts,
    "TFS102": _keep_batch,
    "TFS103": _align_operands,
    "TFS104": _squeeze_axis,
    "TFS105": _last_axis_index,
    "TFS106": _expand_operand,
    "TFS107": _batch_constant,
    "TFS108": _keep_batch_within,
    "TFS109": _default_reduction,
    "TFS110": _dynamic_batch,
    "TFS201": _cast_float,
    "TFS202": _cast_labels,
    "TFS301": _straight_through,
    "TFS302": _numpy_free,
    "TFS401": _guard,
    "TFS402": _cut_gradient,
    "TFS505": _drop_sample_weight,
    "TFS303": _unwrap_bool,
    "TFS503": _drop_sample_weight,  # placeholder: neutralise() swaps the arguments itself
}


def neutralise(site_node: ast.AST, parents: list[ast.AST], ctx: Context) -> tuple[str, ast.AST, ast.AST] | None:
    """Replace ``site_node`` by its neutral form in its parent: (description, old node, new node)."""
    transform = TRANSFORMS.get(ctx.code)
    if ctx.code == "TFS110":
        unpacked = _unpacked_batch(site_node, parents)
        if unpacked is not None:
            return unpacked
    if transform is None or isinstance(getattr(site_node, "ctx", None), (ast.Store, ast.Del)):
        return None
    node, chain = site_node, parents
    if ctx.code == "TFS503":
        return _swap_back(node, chain)
    if ctx.code == "TFS401" and isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Div, ast.FloorDiv)):
        node.value = _helper("__tfs_nonzero__", node.value)
        return f"the divisor of `{_short(node.target)} /= ...` kept away from 0 by 1e-7", node, node
    if ctx.code == "TFS303" and chain and call_name(chain[-1]) == "bool" and isinstance(chain[-1], ast.Call):
        node, chain = chain[-1], chain[:-1]
    while ctx.code == "TFS302" and chain and _numpy_call_on(chain[-1], node):
        # ``np.sum(y_true.numpy(), axis=0)``: without ``.numpy()`` the tensor reaches np.sum,
        # which fails the same way; the fix converts the numpy call around it as well
        node, chain = chain[-1], chain[:-1]
    if ctx.code == "TFS110" and ctx.background and chain and _shape_base(node) is not None:
        # a sibling's static batch size as the probe's batch (a Python int in both runs): its own
        # fix may feed Python control flow (`if tf.shape(y)[0] % 2:`), which fit cannot trace
        base = _shape_base(node)
        assert base is not None
        static = ast.copy_location(_helper("__tfs_probe_batch__", base), node)
        text = f"`{_short(node)}` taken as the batch size of the probe's inputs (a Python int)"
        return (text, node, static) if _replace(chain[-1], node, static) else None
    if ctx.code == "TFS110" and chain and isinstance(chain[-1], ast.BinOp) and _shape_base(node) is not None:
        base = _shape_base(node)
        assert base is not None
        # a float batch size where float arithmetic follows (n / 2, n * scale); an integer where
        # the result may index or slice (n // 2, n % 2, n - half)
        floaty = isinstance(chain[-1].op, _FLOAT_ARITHMETIC)
        dynamic = ast.copy_location(_helper("__tfs_batch_dim_float__" if floaty else "__tfs_batch_dim__", base), node)
        text = f"`tf.shape({_short(base)})[0]` (the rule's fix)"
        return (text, node, dynamic) if _replace(chain[-1], node, dynamic) else None
    if ctx.code == "TFS110" and chain and isinstance(chain[-1], ast.Attribute) and chain[-1].attr == "as_list":
        # ``y.shape[:-1].as_list() + [3]``: the dynamic shape has no ``as_list``; the same list
        # with -1 for the batch entry is what a reshape can take with the batch unknown
        prefix = _unknown_batch_prefix(node)
        if prefix is not None:
            text = f"`{_short(node)}` with -1 for its batch entry (a shape list a reshape accepts)"
            return (text, node, prefix) if _replace(chain[-1], node, prefix) else None
    made: tuple[ast.AST, str] | None
    held = _held_shape(node, chain) if ctx.code == "TFS110" else None
    if held is not None and _shape_base(held) is not None:
        made = _dynamic_batch(held, ctx)
    elif ctx.code == "TFS102" and chain and _product_operand(node, chain[-1]) and isinstance(node, ast.Call) \
            and node.args and _kw(node, "axis") is None and any(call_name(node).endswith(r) for r in _REDUCTIONS):
        # ``reduce_sum(mask * reduce_sum(square(t - p)))``: a factor of a product with the
        # per-cell mask; per sample it would not line up with the mask's cells, over the last
        # axis (the rule's fix) it does
        made = (ast.Call(ast.Name("__tfs_last_axis__", ast.Load()), [node.func, *node.args], node.keywords),
                f"`{_short(node.func)}` over the last axis only where it sums a batch of cells (the rule's "
                "fix: the product it is a factor of keeps the cells), else per sample")
    elif ctx.code == "TFS102" and chain and isinstance(node, ast.Call) and node.args and _kw(node, "axis") is None \
            and any(call_name(node).endswith(r) for r in _REDUCTIONS) and _stacked_total(node, chain):
        # ``x_sum = reduce_sum(...)`` later stacked with other totals (``reduce_mean(stack((x_sum,
        # w_sum)))``): a per-sample value would not stack with the others' scalars
        made = (ast.Call(ast.Name("__tfs_batch_share__", ast.Load()), [node.func, *node.args], node.keywords),
                f"the flagged `{_short(node.func)}` divided by the batch size (a total stacked with others "
                "keeps its shape)")
    elif ctx.code == "TFS106" and chain and isinstance(chain[-1], ast.Return) and isinstance(node, ast.expr):
        made = (_helper("__tfs_rowmean__", node), "the per-element loss averaged over its last axis")
    elif ctx.code == "TFS107" and chain and _partner(node, chain[-1]) is not None and isinstance(node, ast.expr):
        partner = _partner(node, chain[-1])
        assert partner is not None
        made = (_helper("__tfs_batch_like__", node, copy.deepcopy(partner)),
                f"`{_short(node)}` replaced by a constant (its mean) that fits any batch size")
    elif ctx.code == "TFS301" and isinstance(node, ast.Compare) and chain and call_name(chain[-1]) == "cast":
        node, chain = chain[-1], chain[:-1]
        made = transform(node, ctx)
    else:
        made = transform(node, ctx)
    if made is None or not chain:
        return None
    new, description = made
    ast.copy_location(new, node)
    if not _replace(chain[-1], node, new):
        return None
    if ctx.code == "TFS301" and isinstance(new, ast.Call):
        _straight_through_ancestors(chain, new.args[1])
    return description, node, new


def _numpy_call_on(call: ast.AST, arg: ast.AST) -> bool:
    """Whether ``call`` is ``np.<f>(...)`` with ``arg`` among its arguments."""
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
        and isinstance(call.func.value, ast.Name) and call.func.value.id in ("np", "numpy") \
        and any(a is arg for a in call.args)


def _product_operand(node: ast.AST, parent: ast.AST) -> bool:
    """Whether ``node`` is a factor of ``a * b`` or ``tf.multiply(a, b)``."""
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult):
        return parent.left is node or parent.right is node
    return isinstance(parent, ast.Call) and call_name(parent) == "multiply" and any(a is node for a in parent.args)


def _partner(node: ast.AST, parent: ast.AST) -> ast.expr | None:
    """The other operand of the binary op (``a * b``, ``tf.multiply(a, b)``) ``node`` sits in:
    its batch axis is the one the neutral constant must match, whatever the loss's names are
    (the flagged product may sit in a helper with its own parameter names)."""
    if isinstance(parent, ast.BinOp):
        pair = [parent.left, parent.right]
    elif isinstance(parent, ast.Call) and len(parent.args) == 2 and not parent.keywords:
        pair = list(parent.args)
    else:
        return None
    if pair[0] is node:
        return pair[1]
    if pair[1] is node:
        return pair[0]
    return None


def _straight_through_ancestors(chain: list[ast.AST], source: ast.expr) -> None:
    """An int/bool-valued surrogate has no gradient: let the first float-valued expression
    above it carry the straight-through term instead (``__tfs_ste__`` leaves the others alone)."""
    for i in range(len(chain) - 1, 0, -1):
        node, parent = chain[i], chain[i - 1]
        if isinstance(node, ast.keyword):
            continue
        if not isinstance(node, ast.expr) or isinstance(node, (ast.Lambda, ast.Starred)):
            break
        wrapped = ast.copy_location(_helper("__tfs_ste__", node, copy.deepcopy(source)), node)
        if not _replace(parent, node, wrapped):
            break


def _swap_back(node: ast.AST, chain: list[ast.AST]) -> tuple[str, ast.AST, ast.AST] | None:
    """TFS503: a loss defined as (y_pred, y_true) gets its parameters swapped; a call its arguments."""
    if isinstance(node, ast.arg) and chain and isinstance(chain[-1], ast.arguments):
        args = chain[-1].args
        offset = 1 if args and args[0].arg in ("self", "cls") else 0
        if len(args) < offset + 2:
            return None
        args[offset], args[offset + 1] = args[offset + 1], args[offset]
        return f"the parameters swapped back to ({args[offset].arg}, {args[offset + 1].arg})", node, node
    call = node if isinstance(node, ast.Call) else next((p for p in reversed(chain) if isinstance(p, ast.Call)), None)
    if call is None or len(call.args) < 2:
        return None
    call.args[0], call.args[1] = call.args[1], call.args[0]
    return f"the arguments of `{_short(call.func)}` swapped back", call, call


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> bool:
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
            return True
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return True
    return False


def walk_with_parents(tree: ast.AST) -> Iterator[tuple[ast.AST, list[ast.AST]]]:
    """Every node with its chain of ancestors (outermost first)."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        yield node, parents
        for child in ast.iter_child_nodes(node):
            stack.append((child, parents + [node]))
