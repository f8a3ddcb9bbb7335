"""The transfer table: one entry per operation, shared by every spelling of it.

``tf.reduce_sum``, ``tf.math.reduce_sum``, ``K.sum``, ``keras.ops.sum`` and ``np.sum`` are one
entry (``sum``), so a rule written against the entry works for all of them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(str, enum.Enum):
    """How an op transforms rank, batch axis, dtype and gradient."""

    REDUCE = "reduce"
    ARG_REDUCE = "arg_reduce"  # argmax/argmin: reduce and cut the gradient
    UNARY = "unary"  # elementwise, differentiable
    CUT_UNARY = "cut_unary"  # elementwise, no gradient (round, floor, sign, stop_gradient)
    BINARY = "binary"  # elementwise over several tensors
    COMPARE = "compare"  # elementwise -> bool, no gradient
    WHERE = "where"
    CAST = "cast"
    SHAPE = "shape"
    STATIC_SHAPE = "static_shape"
    SIZE = "size"
    RESHAPE = "reshape"
    FLATTEN = "flatten"
    SQUEEZE = "squeeze"
    EXPAND = "expand"
    ONE_HOT = "one_hot"
    GATHER = "gather"
    CONSTANT = "constant"
    FILL = "fill"  # zeros/ones from a shape
    FILL_LIKE = "fill_like"
    MATMUL = "matmul"
    CONCAT = "concat"
    STACK = "stack"
    LOSS_FN = "loss_fn"  # per-sample loss function: reduces the last axis
    IMAGE_METRIC = "image_metric"  # tf.image.ssim / psnr: one value per image, the last 3 axes reduced
    ELEMENTWISE_LOSS = "elementwise_loss"  # e.g. sigmoid_cross_entropy_with_logits
    LOSS_CLASS = "loss_class"
    EPSILON = "epsilon"
    FLOATX = "floatx"
    PY_FUNCTION = "py_function"
    BOOLEAN_MASK = "boolean_mask"
    SEQUENCE_MASK = "sequence_mask"
    RANGE = "range"
    CLIP = "clip"
    TRANSPOSE = "transpose"
    COND = "cond"
    KEEP = "keep"  # shape-preserving, differentiable in its first argument (tile, pad, ...)
    SLICE = "slice"  # tf.slice(x, begin, size): x's rank; its batch axis where begin/size keep it
    SPLIT = "split"  # tf.split(x, n, axis): n parts of x's rank; the batch axis where axis is not 0
    PRINT = "print"
    IDENTITY = "identity"
    INPUT = "input"  # keras.Input(shape=...): a symbolic batch of that shape
    #: ``losses_utils.compute_weighted_loss(losses, sample_weight, reduction)``: a scalar unless
    #: the reduction is NONE
    WEIGHTED_LOSS = "weighted_loss"
    RANDOM_ARRAY = "random_array"  # np.random.rand(*dims) / np.random.uniform(size=...)
    LEN = "len"  # builtins.len: the static batch size of a tensor
    GRADIENTS = "gradients"  # K.gradients(ys, xs): d(sum of ys)/d xs, shaped like xs


@dataclass(frozen=True)
class OpSpec:
    """One operation: its semantic name and kind."""

    op: str
    kind: Kind


_TABLE: dict[str, OpSpec] = {}


def _add(kind: Kind, op: str, *keys: str) -> None:
    spec = OpSpec(op, kind)
    for key in keys:
        _TABLE[key] = spec


def _family(kind: Kind, op: str, tf: str | None = None, k: str | None = None,
            ops: str | None = None, np: str | None = None, extra: tuple[str, ...] = ()) -> None:
    keys = [f"tf.{tf}" if tf else "", f"K.{k}" if k else "", f"ops.{ops}" if ops else "",
            f"np.{np}" if np else "", *extra]
    _add(kind, op, *(key for key in keys if key))


for _name in ("sum", "mean", "max", "min", "prod", "std", "variance", "logsumexp", "any", "all"):
    _family(Kind.REDUCE, "var" if _name == "variance" else _name,
            tf=f"reduce_{_name}",
            k={"variance": "var"}.get(_name, _name), ops={"variance": "var"}.get(_name, _name),
            np={"variance": "var"}.get(_name, _name))
_add(Kind.REDUCE, "sum", "np.nansum")
# sum(t ** 2) / 2 over every element: a sum with no axis (and no axis parameter)
_add(Kind.REDUCE, "sum", "tf.nn.l2_loss")

# ``tf.nn.compute_average_loss(per_example, sample_weight, global_batch_size)``: the sum of the
# (weighted) per-example losses over the global batch size, one number (its second argument is
# the weights, not an axis)
_add(Kind.REDUCE, "mean", "tf.nn.compute_average_loss")

#: keyword names of the tensor a reduction reduces (``tf.reduce_sum(input_tensor=loss)``,
#: ``K.sum(x=...)``, ``np.sum(a=...)``, ``keras.ops.sum(x=...)``)
REDUCED_KEYWORDS = ("input_tensor", "x", "a", "input", "tensor")

#: reductions that take no axis argument: they always reduce every axis
NO_AXIS_REDUCTIONS = frozenset({"tf.nn.l2_loss", "tf.nn.compute_average_loss"})
_add(Kind.REDUCE, "mean", "np.average", "np.nanmean", "tf.reduce_euclidean_norm")
_add(Kind.REDUCE, "norm", "tf.norm", "tf.linalg.norm", "ops.norm", "np.linalg.norm")
_add(Kind.REDUCE, "count", "tf.count_nonzero", "np.count_nonzero", "ops.count_nonzero")
_family(Kind.ARG_REDUCE, "argmax", tf="argmax", k="argmax", ops="argmax", np="argmax")
_family(Kind.ARG_REDUCE, "argmin", tf="argmin", k="argmin", ops="argmin", np="argmin")
# counts of the values in each bin: integers no gradient passes, one axis (the bins) for all samples
_add(Kind.ARG_REDUCE, "histogram", "tf.histogram_fixed_width", "tf.compat.v1.histogram_fixed_width")

for _name in ("abs", "square", "sqrt", "exp", "log", "log1p", "sigmoid", "tanh", "softplus",
              "relu", "negative", "reciprocal", "rsqrt", "expm1", "cos", "sin", "elu", "selu",
              "softsign", "erf", "lgamma", "cumsum", "cumprod", "softmax", "log_softmax", "atan",
              "cosh", "sinh", "log_sigmoid", "exp2", "log2", "log10", "hard_sigmoid", "gelu",
              "silu", "swish", "sqrt", "l2_normalize", "normalize", "digamma", "erfc"):
    _family(Kind.UNARY, _name, tf=_name, k=_name, ops=_name, np=_name,
            extra=(f"tf.nn.{_name}", f"tf.nn.{_name}", f"ops.nn.{_name}", f"K.nn.{_name}"))
_add(Kind.UNARY, "log_softmax", "tf.nn.log_softmax")
_add(Kind.UNARY, "l2_normalize", "tf.nn.l2_normalize", "tf.linalg.l2_normalize")
_add(Kind.UNARY, "abs", "builtins.abs", "ops.absolute", "np.absolute")  # numpy's and keras.ops' long name
_add(Kind.UNARY, "log", "np.log", "tf.experimental.numpy.log", "tf.log")  # tf.log: TensorFlow 1's name of the same op

for _name in ("round", "floor", "ceil", "sign", "rint"):
    _family(Kind.CUT_UNARY, _name, tf=_name, k=_name, ops=_name, np=_name)
_add(Kind.GRADIENTS, "gradients", "tf.gradients", "K.gradients")
_add(Kind.CUT_UNARY, "stop_gradient", "tf.stop_gradient", "K.stop_gradient", "ops.stop_gradient")

for _name, aliases in {
    "add": ("add", "add", "add", "add"),
    "subtract": ("subtract", None, "subtract", "subtract"),
    "multiply": ("multiply", None, "multiply", "multiply"),
    "divide": ("divide", None, "divide", "divide"),
    "truediv": ("truediv", None, "true_divide", "true_divide"),
    "pow": ("pow", "pow", "power", "power"),
    "maximum": ("maximum", "maximum", "maximum", "maximum"),
    "minimum": ("minimum", "minimum", "minimum", "minimum"),
    "squared_difference": ("squared_difference", None, None, None),
    "xlogy": ("xlogy", None, "xlogy", None),
    "xdivy": ("xdivy", None, None, None),
    "divide_no_nan": ("divide_no_nan", None, "divide_no_nan", None),
    "multiply_no_nan": ("multiply_no_nan", None, None, None),
    "add_n": ("add_n", None, None, None),
    "atan2": ("atan2", None, "arctan2", "arctan2"),
}.items():
    _family(Kind.BINARY, _name, tf=aliases[0], k=aliases[1], ops=aliases[2], np=aliases[3])
_add(Kind.BINARY, "floordiv", "tf.floordiv", "tf.floor_div", "np.floor_divide")
# Keras's functional merge layers take a list of tensors: the elementwise sum / product of them
_add(Kind.BINARY, "add_n", "keras.layers.add", "keras.layers.merge.add")
_add(Kind.BINARY, "multiply_n", "keras.layers.multiply", "keras.layers.merge.multiply")
# TensorFlow 1's names of the same ops (the removed-API rule reports the name; the math is the same)
_add(Kind.BINARY, "divide", "tf.div")
_add(Kind.BINARY, "multiply", "tf.mul")
_add(Kind.BINARY, "subtract", "tf.sub")
_add(Kind.BINARY, "divide_no_nan", "tf.div_no_nan")  # TensorFlow 1.13's name, kept by its math_ops

for _name in ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
              "logical_and", "logical_or", "logical_not", "logical_xor", "is_nan", "is_inf",
              "is_finite", "isnan", "isinf", "isfinite", "in_top_k"):
    _family(Kind.COMPARE, {"isnan": "is_nan", "isinf": "is_inf", "isfinite": "is_finite"}.get(_name, _name),
            tf=_name, k=_name, ops=_name, np=_name)

_family(Kind.WHERE, "where", tf="where", k="switch", ops="where", np="where", extra=("tf.where_v2", "tf.compat.v1.where", "tf.compat.v2.where"))
_family(Kind.CAST, "cast", tf="cast", k="cast", ops="cast", extra=("tf.dtypes.cast",))
_add(Kind.CAST, "cast_float", "tf.to_float", "K.cast_to_floatx")
_add(Kind.CAST, "cast_int", "tf.to_int32", "tf.to_int64")
# (image, dtype): to an integer dtype it scales and rounds, and TensorFlow gives it no gradient
_add(Kind.CAST, "cast", "tf.image.convert_image_dtype")
_family(Kind.SHAPE, "shape", tf="shape", k="shape", ops="shape", np="shape", extra=("tf.compat.v1.shape",))
_add(Kind.STATIC_SHAPE, "int_shape", "K.int_shape")
_family(Kind.SIZE, "size", tf="size", k="count_params", ops="size", np="size")
_add(Kind.SIZE, "rank", "tf.rank")  # an int32 scalar tensor (K.ndim and ops.ndim give Python ints)
_family(Kind.RESHAPE, "reshape", tf="reshape", k="reshape", ops="reshape", np="reshape")
# ``tf.broadcast_to(x, shape)``: the values of ``x`` in a shape the call names, as a reshape
_family(Kind.RESHAPE, "broadcast_to", tf="broadcast_to", ops="broadcast_to", np="broadcast_to")
_add(Kind.FLATTEN, "flatten", "K.flatten", "K.batch_flatten", "ops.ravel", "np.ravel", "tf.keras.layers.Flatten")
_family(Kind.SQUEEZE, "squeeze", tf="squeeze", k="squeeze", ops="squeeze", np="squeeze")
_family(Kind.EXPAND, "expand_dims", tf="expand_dims", k="expand_dims", ops="expand_dims", np="expand_dims")
_family(Kind.ONE_HOT, "one_hot", tf="one_hot", k="one_hot", ops="one_hot")
_family(Kind.GATHER, "gather", tf="gather", k="gather", ops="take", np="take",
        extra=("tf.gather_nd", "ops.take_along_axis", "tf.nn.embedding_lookup",
               "tf.experimental.numpy.take_along_axis", "tf.math.unsorted_segment_sum",
               "tf.unsorted_segment_sum", "tf.math.segment_sum", "tf.segment_sum",
               "tf.math.bincount", "tf.bincount", "tf.batch_gather"))
_family(Kind.CONSTANT, "constant", tf="constant", k="constant", ops="convert_to_tensor", np="array",
        extra=("tf.convert_to_tensor", "np.asarray", "K.variable", "tf.Variable", "np.asarray",
               "keras.Variable", "ops.array"))
_family(Kind.FILL, "zeros", tf="zeros", k="zeros", ops="zeros", np="zeros")
_family(Kind.FILL, "ones", tf="ones", k="ones", ops="ones", np="ones",
        extra=("tf.fill", "np.full", "ops.full", "tf.random.normal", "tf.random.uniform",
               "tf.random.truncated_normal", "tf.random_normal", "tf.random_uniform",
               "tf.truncated_normal", "K.random_normal", "K.random_uniform"))
# an identity matrix: rank 2 (a batch of them with ``batch_shape``), whatever its size
_family(Kind.FILL, "eye", tf="eye", k="eye", ops="eye", np="eye", extra=("tf.linalg.eye",))
_family(Kind.FILL_LIKE, "zeros_like", tf="zeros_like", k="zeros_like", ops="zeros_like", np="zeros_like")
_family(Kind.FILL_LIKE, "ones_like", tf="ones_like", k="ones_like", ops="ones_like", np="ones_like",
        extra=("tf.fill_like", "ops.full_like", "np.full_like"))
_family(Kind.MATMUL, "matmul", tf="matmul", k="dot", ops="matmul", np="matmul",
        extra=("tf.tensordot", "tf.einsum", "ops.einsum", "ops.dot", "np.dot", "np.einsum",
               "K.batch_dot", "tf.linalg.matmul", "ops.tensordot"))
_family(Kind.CONCAT, "concat", tf="concat", k="concatenate", ops="concatenate", np="concatenate")
_family(Kind.STACK, "stack", tf="stack", k="stack", ops="stack", np="stack")
_add(Kind.EPSILON, "epsilon", "K.epsilon", "keras.config.epsilon", "keras.backend.epsilon",
     "np.finfo")
_add(Kind.FLOATX, "floatx", "K.floatx", "keras.config.floatx", "keras.backend.floatx")
_add(Kind.PY_FUNCTION, "py_function", "tf.py_function", "tf.numpy_function", "tf.py_func",
     "tf.compat.v1.py_func")
_add(Kind.BOOLEAN_MASK, "boolean_mask", "tf.boolean_mask")
_add(Kind.SEQUENCE_MASK, "sequence_mask", "tf.sequence_mask")
_add(Kind.RANGE, "range", "tf.range", "K.arange", "ops.arange", "np.arange", "builtins.range")
_family(Kind.CLIP, "clip", tf="clip_by_value", k="clip", ops="clip", np="clip")
_family(Kind.TRANSPOSE, "transpose", tf="transpose", k="permute_dimensions", ops="transpose", np="transpose",
        extra=("K.transpose",))
_add(Kind.COND, "cond", "tf.cond", "tf.case", "tf.switch_case", "ops.cond")
for _name in ("tile", "pad", "reverse", "roll", "repeat", "flip", "identity", "ensure_shape", "sort"):
    _family(Kind.KEEP, _name, tf=_name, k=_name, ops=_name, np=_name)
_add(Kind.KEEP, "repeat_elements", "K.repeat_elements")
_add(Kind.SLICE, "slice", "tf.slice", "K.slice", "ops.slice")
_family(Kind.SPLIT, "split", tf="split", ops="split", np="split", extra=("np.array_split", "ops.array_split"))
_add(Kind.PRINT, "print", "tf.print", "builtins.print")
# ``K.print_tensor(x, msg)`` and TF 1's ``tf.Print(x, [x], msg)`` print when evaluated and return
# ``x`` unchanged (tf.print returns an op, or None eagerly)
_add(Kind.KEEP, "identity", "K.print_tensor", "tf.Print", "tf.compat.v1.Print")
_add(Kind.LEN, "len", "builtins.len")
_add(Kind.INPUT, "input", "keras.Input", "keras.layers.Input", "keras.engine.input_layer.Input")
_add(Kind.WEIGHTED_LOSS, "compute_weighted_loss", "keras.utils.losses_utils.compute_weighted_loss",
     "keras.losses.losses_utils.compute_weighted_loss", "tf.losses.compute_weighted_loss")
_add(Kind.RANDOM_ARRAY, "random_array", *(f"np.random.{n}" for n in (
    "rand", "randn", "random", "random_sample", "uniform", "normal", "randint", "standard_normal",
    "binomial", "poisson", "choice")))

_LOSS_FUNCTIONS = (
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "squared_hinge", "hinge", "categorical_hinge", "log_cosh",
    "logcosh", "huber", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_focal_crossentropy",
    "kl_divergence", "kld", "kullback_leibler_divergence", "poisson", "cosine_similarity",
    "mse", "mae", "mape", "msle", "MSE", "MAE", "MAPE", "MSLE", "KLD", "dice", "tversky",
    "ctc", "circle",
)
for _name in _LOSS_FUNCTIONS:
    _add(Kind.LOSS_FN, _name, f"keras.losses.{_name}", f"keras.metrics.{_name}")
#: TensorFlow 1's ``tf.losses`` functions of these names reduced to a scalar (``SUM_BY_NONZERO_
#: WEIGHTS``); every other Keras loss function name under ``tf.losses`` is TensorFlow 2's alias of
#: ``tf.keras.losses`` (``tf.losses.categorical_crossentropy`` is per sample)
_TF1_LOSSES = frozenset({"mean_squared_error", "log_loss", "hinge_loss", "huber_loss", "cosine_distance"})
for _name in _LOSS_FUNCTIONS:
    if _name not in _TF1_LOSSES and _name not in ("dice", "tversky", "ctc", "circle"):
        _add(Kind.LOSS_FN, _name, f"tf.losses.{_name}")
for _name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
    _add(Kind.LOSS_FN, _name, f"K.{_name}", f"ops.{_name}")
# the backend and keras.ops binary cross-entropy are element-wise (no mean over the last axis)
_add(Kind.ELEMENTWISE_LOSS, "binary_crossentropy", "K.binary_crossentropy", "ops.binary_crossentropy")
_add(Kind.LOSS_FN, "softmax_cross_entropy_with_logits", "tf.nn.softmax_cross_entropy_with_logits",
     "tf.nn.softmax_cross_entropy_with_logits_v2",
     "tf.nn.sparse_softmax_cross_entropy_with_logits")
# CTC losses: one value per sample ((B,) from tf.nn.ctc_loss, (B, 1) from the backend's)
_add(Kind.LOSS_FN, "ctc", "K.ctc_batch_cost", "tf.nn.ctc_loss", "tf.nn.ctc_loss_v2", "ops.ctc_loss")
_add(Kind.IMAGE_METRIC, "image_metric", "tf.image.ssim", "tf.image.ssim_multiscale", "tf.image.psnr")
_add(Kind.ELEMENTWISE_LOSS, "sigmoid_cross_entropy_with_logits",
     "tf.nn.sigmoid_cross_entropy_with_logits", "tf.nn.weighted_cross_entropy_with_logits",
     "keras.losses.binary_crossentropy_elementwise")

_LOSS_CLASSES = (
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge",
    "SquaredHinge", "CategoricalHinge", "BinaryCrossentropy", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "Poisson", "Dice", "Tversky", "CTC", "Circle",
)
for _name in _LOSS_CLASSES:
    _add(Kind.LOSS_CLASS, _name, f"keras.losses.{_name}")

#: canonical names of the built-in Loss classes
LOSS_CLASS_KEYS = frozenset(k for k, v in _TABLE.items() if v.kind is Kind.LOSS_CLASS)


def lookup(canonical: str | None) -> OpSpec | None:
    """The table entry for a canonical callee name (see ``imports.canonical``)."""
    if canonical is None:
        return None
    spec = _TABLE.get(canonical)
    if spec is None and canonical.startswith("tf.nn."):
        spec = _TABLE.get("tf." + canonical[len("tf.nn.") :])
    if spec is None and canonical.startswith(_TF_NUMPY):
        # TensorFlow's NumPy API: numpy's operations (and signatures) on differentiable tensors
        spec = _TABLE.get("np." + canonical[len(_TF_NUMPY) :])
    return spec


_TF_NUMPY = "tf.experimental.numpy."
