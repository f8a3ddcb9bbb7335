"""Abstract values: what the analysis knows about one expression in a loss.

Rules ask these facts (rank, batch axis, dtype, gradient) instead of matching syntax, so
intermediate variables, aliases and helpers are understood the same way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, replace
from typing import Any


class Grad(enum.IntEnum):
    """How a value depends on ``y_pred``; ordered so that ``max`` is the join."""

    NONE = 0  # no dependence on y_pred (labels, constants)
    CUT = 1  # depends on y_pred only through ops with no gradient (argmax, round, cast-of-compare)
    DIFF = 2  # differentiable dependence on y_pred


class DType(str, enum.Enum):
    """Kinds of element type that matter for the dtype rules."""

    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    NUMPY = "numpy"  # a numpy array: auto-converted to float when mixed with tensors
    LIST = "list"  # a Python list/tuple of numbers: auto-converted too
    PY = "py"  # a Python scalar
    UNKNOWN = "unknown"


class Origin(enum.Enum):
    """Which loss input a value is computed from (provenance)."""

    Y_TRUE = "y_true"
    Y_PRED = "y_pred"
    SAMPLE_WEIGHT = "sample_weight"
    DATA = "data"  # another batch the file's call of the loss passes (an Input, a data array)


class Tag(enum.Enum):
    """A fact about what a value is or how it was made (never which rule reads it).

    Produced only by the analysis; rules read them through :meth:`Value.has`. A test checks
    that every tag a rule reads is produced somewhere in ``analysis/``.
    """

    # what the value is
    INPUT = "input"  # y_true or y_pred itself, unchanged
    Y_TRUE = "y_true"
    Y_PRED = "y_pred"
    PARAM = "param"  # a parameter other than the loss inputs (or ``self``)
    LITERAL = "literal"  # a Python literal
    NUMBER = "number"  # a Python number (literal or arithmetic of numbers)
    FLOAT_LITERAL = "float_literal"  # a float literal, or a sequence holding one
    STR = "str"
    BOOL = "bool"  # a Python bool from comparing Python values
    DICT = "dict"
    FUNCTION = "function"  # a def or lambda
    MODEL = "model"  # a model passed to a custom-loop loss helper: calling it gives predictions
    #: a TensorFlow Probability distribution built from tensors (its ``rel`` is its batch shape's)
    DISTRIBUTION = "distribution"
    MODULE = "module"  # an imported module, function or class
    SEQUENCE = "sequence"  # a Python list/tuple/set/range
    COMPREHENSION = "comprehension"
    RANGE = "range"  # ``range(...)`` or ``tf.range(...)``
    PRINT = "print"
    OPAQUE = "opaque"  # the result of a call the op table does not know
    #: the result of a function that neither this file nor a library the op table covers
    #: defines (a project helper, a third-party package): its range is unknown
    FOREIGN = "foreign"
    #: a Layer's inputs: one batch, or a list of batches (``anchor, positive, negative =
    #: inputs``): an element taken from it is a batch again, not a sample
    BATCHES = "batches"
    SELF_ATTRIBUTE = "self_attribute"  # configuration read from ``self``
    # dtype and shape facts
    DTYPE_OF = "dtype_of"  # ``x.dtype``
    DTYPE_FLOAT = "dtype_float"  # a float dtype object
    FLOATX = "floatx"  # ``K.floatx()``
    SHAPE_VECTOR = "shape_vector"  # ``tf.shape(x)``: the dynamic shape
    TF_INT = "tf_int"  # an int32 tensor from a TensorFlow shape op (``tf.shape``, ``tf.size``): TF never promotes it
    STATIC_SHAPE = "static_shape"  # ``x.shape`` / ``K.int_shape(x)``: None where unknown
    OF_BATCH = "of_batch"  # a shape of a value that has the batch axis
    BATCH_SIZE = "batch_size"  # the dynamic batch size, ``tf.shape(y)[0]``
    STATIC_BATCH = "static_batch"  # the static batch size: None when fit traces the loss
    DIM = "dim"  # another dimension of a shape
    COUNT = "count"  # a number of elements (size, length, sum of a mask, batch size)
    INDEX = "index"  # integer positions (argmax, argmin)
    BATCH_INDEX = "batch_index"  # a tensor indexed with an integer on axis 0
    #: the batch axis is in this tensor, at an unknown position (a transpose moved it, or an
    #: operand of unknown rank hid where): a sum over every axis still sums the batch
    HOLDS_BATCH = "holds_batch"
    #: a product that contracts the batch axis (``tf.matmul(x, y, transpose_a=True)``,
    #: ``K.dot(K.transpose(x), y)``: a Gram or covariance matrix): a sum over the samples, made a
    #: mean by a division by their count or by another total over them
    BATCH_CONTRACTED = "batch_contracted"
    # how it was made
    CAST = "cast"
    COMPARISON = "comparison"  # a boolean from comparing tensors
    MASK = "mask"  # a 0/1 mask: a cast comparison, ``sequence_mask``, a sum of them
    MASKED_SELECT = "masked_select"  # ``boolean_mask``: the batch axis is gone
    ELEMENT_INDICES = "element_indices"  # ``tf.where(cond)`` of a batch: coordinates in every sample
    CONSTANT = "constant"  # ``tf.constant`` / ``np.array`` / ``fill`` of known shape
    ONE = "one"  # ``tf.constant(1)``: dividing by it normalises nothing, whatever its name says
    #: ``1. / GLOBAL_BATCH_SIZE``: multiplying by it divides by a count
    RECIPROCAL_COUNT = "reciprocal_count"
    #: ``w / reduce_sum(w)``, or a product with it: weights that add up to one over the batch,
    #: whose full sum is a weighted mean
    SHARE = "share"
    FILLED = "filled"  # ``zeros_like`` / ``ones_like``
    FLATTENED = "flattened"  # reshaped to rank 1
    RESHAPED_LIKE = "reshaped_like"  # reshaped to ``tf.shape`` of another tensor
    GATHERED = "gathered"
    ONE_HOT = "one_hot"
    SQUEEZED = "squeezed"
    SQUEEZED_NO_AXIS = "squeezed_noaxis"
    EXPANDED = "expanded"
    CLIPPED = "clipped"
    NUMPY_VALUE = "numpy_value"  # a numpy array computed from a tensor
    PY_FUNCTION = "py_function"
    # reductions: which axes went (with ``Value.rel``/``rank``) and how
    FULL_REDUCTION = "full_reduction"  # no axis: every axis, the batch included
    BATCH_REDUCED = "batch_reduced"  # an axis list that includes the batch axis
    SUM_REDUCED = "reduce_sum"  # the reduction was a sum (not a mean, max, ...)
    PER_SAMPLE = "per_sample"  # one value per sample (a built-in loss function's result)
    LOSS_FN = "loss_fn"  # computed by a built-in loss function
    #: a sparse crossentropy's per-label values: the shape of its integer labels, one axis below
    #: the logits, which the relative ranks (labels and predictions both taken as rank 0) miss
    PER_LABEL = "per_label"
    # value ranges
    EPSILON = "epsilon"  # ``K.epsilon()``
    POSITIVE = "positive"  # softplus, sigmoid, exp, softmax: > 0 in exact arithmetic
    GUARDED_EPS = "guarded_eps"  # a sum with a Python number or epsilon
    GUARDED_CLIP = "guarded_clip"  # clipped below by a positive number
    GUARDED_MAX = "guarded_max"  # ``maximum`` with epsilon or a Python number
    GUARDED_OP = "guarded_op"  # ``xlogy``/``divide_no_nan``/``multiply_no_nan``
    # built-in Loss objects
    LOSS_INSTANCE = "loss_instance"  # an instance of a Loss class
    CUSTOM_LOSS_INSTANCE = "custom_loss_instance"  # of a Loss subclass defined in the file
    REDUCTION_NONE = "reduction_none"  # built with ``reduction=None``/``'none'``
    LOSS_INSTANCE_RESULT = "loss_instance_result"  # a Loss instance's (reduced) result


class Mark(enum.Enum):
    """Provenance that flows through arithmetic: which node made a property of a value.

    A value carries ``(Mark, node)`` pairs, so a rule can report the node that caused what it
    sees in a later expression (and report it once).
    """

    #: a sum over the batch axis (no axis, or axis 0) not divided by a count afterwards
    SUM_OVER_BATCH = "batch_sum"
    #: a reduction over every axis
    FULL_REDUCTION = "full_reduction"
    #: a built-in Loss instance's result, reduced over the batch by the Loss itself
    LOSS_REDUCED = "reduced"
    #: the node where a differentiable dependence on y_pred lost its gradient
    GRAD_CUT = "grad_cut"
    #: an added term whose gradient is cut, next to a term that keeps one
    CUT_TERM = "cut_term"
    #: an elementwise op whose operands both keep the batch axis with different ranks
    RANK_MISMATCH = "rank_mismatch"
    #: a squeeze the value went through
    SQUEEZE = "squeeze"
    #: a use of the static batch size
    STATIC_BATCH = "static_batch"
    #: the tuple/list literal a sequence value was built from
    SEQUENCE_LITERAL = "sequence_literal"
    #: a ``tf.slice`` the value went through: how many of its axes have size 1 is not known
    SLICE = "slice"
    #: a trainable weight of the object the loss is a method of (``self.add_weight``,
    #: ``tf.Variable``): a term built from it trains that weight even where y_pred's gradient is cut
    WEIGHT = "weight"


@dataclass(frozen=True)
class Value:
    """The abstract value of one expression.

    ``rel`` is the rank relative to the loss inputs' rank *r* (0: same as ``y_pred``,
    -1: one axis reduced); ``rank`` an absolute rank when that is what is known (0: scalar).
    At most one of the two is set. ``batch`` says axis 0 is still the batch axis.
    """

    rel: int | None = None
    rank: int | None = None
    batch: bool = False
    dtype: DType = DType.UNKNOWN
    grad: Grad = Grad.NONE
    origin: frozenset[Origin] = frozenset()
    tags: frozenset[Tag] = frozenset()
    length: int | None = None  # known length of axis 0 (constants)
    tensor: bool = True  # False for Python numbers, strings, shapes, dtypes, flags
    #: provenance marks that flow through arithmetic: (kind, node that made it), e.g.
    #: (Mark.SUM_OVER_BATCH, <the reduce_sum call>) until the sum is divided by a count
    marks: frozenset[tuple[Mark, Any]] = frozenset()
    #: the built-in Loss class of a Loss instance (``"CategoricalCrossentropy"``)
    loss_class: str | None = None
    #: the elements of a Python tuple/list, when known (``y_pred[0]`` of a tuple is its first)
    items: tuple[Value, ...] | None = None

    # -- queries ---------------------------------------------------------------------------
    def has(self, tag: Tag) -> bool:
        return tag in self.tags

    @property
    def from_pred(self) -> bool:
        return Origin.Y_PRED in self.origin

    @property
    def from_true(self) -> bool:
        return Origin.Y_TRUE in self.origin

    # -- builders --------------------------------------------------------------------------
    def with_tags(self, *tags: Tag) -> Value:
        return self.evolve(tags=self.tags | frozenset(tags))

    def without_tags(self, *tags: Tag) -> Value:
        return self.evolve(tags=self.tags - frozenset(tags))

    def evolve(self, **changes: Any) -> Value:
        """``dataclasses.replace``, without its generic per-field work (the interpreter makes
        thousands of values per file; Value has no ``__post_init__`` to run)."""
        if not changes.keys() <= _VALUE_FIELDS:
            return replace(self, **changes)  # raises the usual TypeError
        new = object.__new__(Value)
        state = new.__dict__
        state.update(self.__dict__)
        state.update(changes)
        return new

    def marked(self, kind: Mark) -> list[Any]:
        """Nodes that left a mark of ``kind`` on this value."""
        return [node for k, node in self.marks if k == kind]

    def with_mark(self, kind: Mark, node: Any) -> Value:
        return self.evolve(marks=self.marks | {(kind, node)})

    def without_marks(self, kind: Mark) -> Value:
        return self.evolve(marks=frozenset(m for m in self.marks if m[0] != kind))


_VALUE_FIELDS = frozenset(f.name for f in fields(Value))
UNKNOWN = Value(tensor=True)
PYTHON = Value(tensor=False, dtype=DType.PY, rank=0)

#: Tags that survive elementwise arithmetic (a mask times a loss is still masked, etc.).
STICKY_TAGS = frozenset({Tag.SQUEEZED, Tag.SQUEEZED_NO_AXIS, Tag.GUARDED_EPS, Tag.PER_LABEL, Tag.BATCH_INDEX})


def labels_below_logits(a: Value, b: Value) -> bool:
    """Whether one of ``a``/``b`` holds a sparse crossentropy's per-token values (``(B, T)``, the
    shape of its integer labels) and the other the prediction reduced over its class axis
    (``mean(log_softmax(logits), -1)``, label smoothing's term: ``(B, T)`` too). Their relative
    ranks differ by one only because sparse labels are a rank below the logits: the same shape."""
    return _per_label_and_reduced(a, b) or _per_label_and_reduced(b, a)


def _per_label_and_reduced(per_label: Value, other: Value) -> bool:
    return (per_label.has(Tag.PER_LABEL) and other.from_pred and not other.from_true and not other.has(Tag.PER_LABEL)
            and per_label.rel is not None and other.rel == per_label.rel - 1)


def join(a: Value, b: Value) -> Value:
    """Least upper bound at a control-flow merge: keep only what both branches agree on."""
    if a == b:
        return a
    return Value(
        rel=a.rel if a.rel == b.rel else None,
        rank=a.rank if a.rank == b.rank else None,
        batch=a.batch and b.batch,
        dtype=a.dtype if a.dtype == b.dtype else DType.UNKNOWN,
        grad=max(a.grad, b.grad),
        origin=a.origin | b.origin,
        tags=a.tags & b.tags,
        length=a.length if a.length == b.length else None,
        tensor=a.tensor or b.tensor,
        marks=a.marks | b.marks,
        loss_class=a.loss_class if a.loss_class == b.loss_class else None,
        items=a.items if a.items == b.items else _grown(a, b) or _grown(b, a),
    )


def _grown(empty: Value, grown: Value) -> tuple[Value, ...] | None:
    """The items of a list that a loop appended to, merged with the empty list it started as
    (the loop may not run): what the list holds whenever it holds anything."""
    return grown.items if empty.length == 0 and empty.items is None and Tag.SEQUENCE in empty.tags else None


def broadcast(values: list[Value]) -> tuple[int | None, int | None, bool]:
    """(rel, rank, batch) of an elementwise combination of ``values``."""
    tensors = [v for v in values if v.tensor]
    if not tensors:
        return None, 0, False
    rels = [v.rel for v in tensors if v.rel is not None]
    nonscalar_abs = [v for v in tensors if v.rel is None and v.rank not in (0,)]
    if rels and not any(v.rel is None and v.rank is None for v in tensors):
        rel = max(rels)
        batch = any(v.batch for v in tensors if v.rel == rel)
        # where every operand's rank is known (a prediction of a model of known output rank),
        # so is the result's: broadcasting gives the largest
        ranks = [v.rank for v in tensors]
        return rel, max(ranks) if None not in ranks else None, batch  # type: ignore[type-var]
    if not rels and not nonscalar_abs:
        return None, 0, False
    if not rels:
        ranks = [v.rank for v in nonscalar_abs]
        if all(r is not None for r in ranks):
            return None, max(r for r in ranks if r is not None), False
    return None, None, False


def elementwise(values: list[Value], *, dtype: DType | None = None, cut: bool = False,
                tags: frozenset[Tag] = frozenset()) -> Value:
    """Result of an elementwise op over ``values`` (the arguments that are tensors)."""
    rel, rank, batch = broadcast(values)
    grad = max((v.grad for v in values), default=Grad.NONE)
    if cut and grad == Grad.DIFF:
        grad = Grad.CUT
    origin: frozenset[Origin] = frozenset().union(*(v.origin for v in values)) if values else frozenset()
    sticky = frozenset().union(*(v.tags & STICKY_TAGS for v in values)) if values else frozenset()
    marks: frozenset[tuple[Mark, Any]] = frozenset().union(*(v.marks for v in values)) if values else frozenset()
    if not batch and any(v.tensor and (v.batch or v.has(Tag.HOLDS_BATCH)) for v in values):
        # broadcasting keeps every operand's axes: the batch axis is still in the result
        tags = tags | {Tag.HOLDS_BATCH}
    return Value(rel=rel, rank=rank, batch=batch, dtype=dtype or _result_dtype(values),
                 grad=grad, origin=origin, tags=sticky | tags,
                 tensor=any(v.tensor for v in values) or not values, marks=marks)


def _result_dtype(values: list[Value]) -> DType:
    kinds = {v.dtype for v in values if v.tensor}
    if DType.FLOAT in kinds:
        return DType.FLOAT
    if not kinds:
        return DType.PY
    if len(kinds) == 1:
        return kinds.pop()
    return DType.UNKNOWN


@dataclass
class Env:
    """Local names -> values, for one function body."""

    names: dict[str, Value] = field(default_factory=dict)
    #: name -> the expressions (or AugAssign statements) whose value it may hold here; lets
    #: rules that reason about syntax (value ranges, guards) follow a name to its definition
    sources: dict[str, frozenset[Any]] = field(default_factory=dict)

    def copy(self) -> Env:
        return Env(dict(self.names), dict(self.sources))

    def replace_with(self, other: Env) -> None:
        """Take ``other``'s bindings in place (a merge after branches or a loop): the caller
        and the statements after it hold this very Env."""
        self.names.clear()
        self.names.update(other.names)
        self.sources.clear()
        self.sources.update(other.sources)

    def merged(self, other: Env) -> Env:
        out = Env()
        for key in self.names.keys() | other.names.keys():
            a, b = self.names.get(key), other.names.get(key)
            out.names[key] = join(a, b) if a is not None and b is not None else (a or b or UNKNOWN)
        for key in self.sources.keys() | other.sources.keys():
            out.sources[key] = self._sources_of(key) | other._sources_of(key)
        return out

    def _sources_of(self, key: str) -> frozenset[Any]:
        # a name bound without a source (a parameter) contributes None: "see its Value"
        if key in self.sources:
            return self.sources[key]
        return frozenset({None}) if key in self.names else frozenset()
