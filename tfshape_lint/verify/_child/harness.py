"""Child side: run one loss the way Keras (or a custom loop) runs it, on synthetic tensors.

Only the verifier subprocess imports this module (it imports TensorFlow). The loss is called
through Keras's own compile machinery (``CompileLoss`` in Keras 3, ``LossesContainer`` in
tf_keras), so label alignment, dtype conversion, ``sample_weight`` handling and the reduction
are exactly those of ``fit`` (KERAS_FACTS §0); graph runs use a ``tf.function`` with a
``None`` batch dimension and, for Keras 3, no autograph, as Keras 3's train step does.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import tensorflow as tf  # type: ignore[import-untyped,unused-ignore]

LEGACY = os.environ.get("TF_USE_LEGACY_KERAS") == "1"

if LEGACY:
    import tf_keras as keras  # type: ignore[import-untyped,unused-ignore]
else:
    import keras  # type: ignore[import-untyped,unused-ignore]

#: the Keras flavour this worker runs (Keras 3, or tf_keras under TF_USE_LEGACY_KERAS=1)
KERAS: Any = keras


# -- outcomes -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """A probe's verdict: ``confirmed``, ``refuted`` or ``inconclusive`` with its evidence."""

    status: str
    evidence: str
    #: a batch-size scaling the probe measured: (large batch, small batch, loss ratio large / small)
    scaling: tuple[int, int, float] | None = None


def confirmed(evidence: str) -> Outcome:
    return Outcome("confirmed", evidence)


def refuted(evidence: str) -> Outcome:
    return Outcome("refuted", evidence)


def inconclusive(evidence: str) -> Outcome:
    return Outcome("inconclusive", evidence)


# -- error text -------------------------------------------------------------------------------------
ABBREVIATIONS: dict[str, str] = {}
#: TensorFlow/absl log lines that leak into exception texts ("2026-01-01 12:00:00.1: W tensorflow/...")
_LOG_NOISE = re.compile(r"^\s*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.\d]*: [IWEF] |[IWEF]\d{4} \d\d:\d\d:\d\d|"
                        r"WARNING:(tensorflow|absl)|W0000 |I0000 |E0000 |oneDNN custom operations|"
                        r"To enable the following instructions|This TensorFlow binary is optimized)")


def clean_text(text: str) -> str:
    """Evidence without TensorFlow's log lines."""
    lines = [ln for ln in text.splitlines() if not _LOG_NOISE.match(ln)]
    return "\n".join(lines).strip()
#: the line of a long TensorFlow message that says what went wrong (KERAS_FACTS §3 quotes)
KEY_LINES = re.compile(
    r"(name '\w+' is not defined|Incompatible shapes[^\n]*|Dimensions must be equal[^\n]*|Cannot iterate over a shape with "
    r"unknown rank\.?|No gradients provided[^\n]*|Shapes must be equal rank[^\n]*|Shapes of all "
    r"inputs must match[^\n]*|Invalid reduction dimension[^\n]*|[^\n]*not in (?:the )?list of "
    r"allowed values[^\n]*|cannot compute \w+ as input[^\n]*|[^\n]*does not match type[^\n]*|"
    r"Using a symbolic `tf\.Tensor`[^\n]*|Iterating over a symbolic[^\n]*|Cannot convert a "
    r"symbolic[^\n]*|[^\n]*has no attribute[^\n]*|[^\n]*unexpected keyword argument[^\n]*|"
    r"Can not squeeze dim[^\n]*|[^\n]*out of bounds[^\n]*|tf2xla conversion failed while converting [\w.]+)")
_SKIP_PREFIXES = ("File ", "Detected at node", "Graph execution error", "in user code",
                  "[[", "Traceback", "defined at", "Arguments received", "•")


_USER_CODE_ERROR = re.compile(r"^\s*(\w+(?:Error|Exception)): (.+)$", re.MULTILINE)


_FUNCTION_NODE = re.compile(r"\{\{function_node [^}]*\}\}\s*")
_OP_SUFFIX = re.compile(r"\s*\[Op:(\w+)\](?:\s*name:.*)?$")


def describe(exc: BaseException) -> str:
    """``IAE Incompatible shapes: [4,3] vs. [4]``: the exception type and its telling line."""
    if isinstance(exc, JitOnlyError):
        return str(exc)
    name = type(exc).__name__
    text = str(exc)
    inner = _USER_CODE_ERROR.findall(text) if "in user code" in text else []
    if inner:  # autograph's wrapper: the last "XxxError: message" line is the real error
        name, text = inner[-1]
    match = KEY_LINES.search(text)
    if match is not None:
        line = match.group(0)
    else:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not _LOG_NOISE.match(ln)]
        useful = [ln for ln in lines if not ln.startswith(_SKIP_PREFIXES) and not _LOG_NOISE.match(ln)]
        line = (useful or lines or [""])[0]
    line = re.sub(r"\s*\[\[\{\{node [^\n]*", "", line)
    # TensorFlow's wrapper of an eager op names its kernel and device: "{{function_node
    # __wrapped__StridedSlice_device_/job:localhost/replica:0/task:0/device:CPU:0}} Index out of
    # range ... [Op:StridedSlice] name: compile_loss/...": the message and the op are what matter
    line = _FUNCTION_NODE.sub("", line)
    line = _OP_SUFFIX.sub(r" (op \1)", line)
    line = re.sub(r"\s*name:\s*$", "", line).strip()
    if len(line) > 100:  # keep the first sentence of TensorFlow's long explanations
        first = re.match(r"(.{20,}?[.!])\s+(?=[A-Z])", line)
        if first:
            line = first.group(1)
    out = f"{ABBREVIATIONS.get(name, name)} {line}".strip()
    return out if len(out) <= 220 else out[:217] + "..."


def matches(exc: BaseException, patterns: Iterable[str]) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(re.search(p, text, re.IGNORECASE | re.DOTALL) for p in patterns)


class JitOnlyError(Exception):
    """The loss ran without XLA but failed under ``jit_compile=True``."""

    def __init__(self, inner: BaseException) -> None:
        super().__init__(f"under jit_compile=True: {describe(inner)}")
        self.inner = inner


# -- synthetic data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sig:
    """Per-sample shapes and the kind of labels and predictions of one synthetic layout."""

    name: str
    true_shape: tuple[int, ...]
    pred_shape: tuple[int, ...]
    labels: str  # float | binary | onehot | sparse (int64) | sparse32 (int32: what ``one_hot`` of TF 1 code got)
    activation: str = "sigmoid"

    def make(self, n: int, seed: int = 0, labels_dtype: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(y_true, y_pred) for ``n`` samples; predictions strictly inside (0, 1), or (-1, 1) for a
        ``signed`` activation."""
        rng = np.random.default_rng(1000 * seed + n)
        pred = (n,) + self.pred_shape
        if self.activation == "softmax":
            logits = rng.normal(size=pred)
            yp = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
        elif self.activation == "signed":  # a linear head: positions, returns, offsets of both signs
            yp = rng.uniform(-0.95, 0.95, size=pred)
        else:
            yp = rng.uniform(0.05, 0.95, size=pred)
        yt = self._labels(rng, n)
        if labels_dtype is not None:
            yt = yt.astype(labels_dtype)
        return yt, yp.astype("float32")

    def _labels(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = (n,) + self.true_shape
        if self.labels == "float":
            return rng.uniform(0.0, 1.0, size=shape).astype("float32")
        if self.labels == "binary":
            flat = (rng.uniform(size=int(np.prod(shape))) > 0.5).astype("float32")
            if flat.size >= 2:
                flat[0], flat[1] = 0.0, 1.0
            return flat.reshape(shape)
        classes = self.pred_shape[-1]
        if self.labels == "ctc":
            # label sequences for a CTC loss: never class 0 nor the last class, the blank of
            # ``tf.nn.ctc_loss`` (by default) and of ``K.ctc_batch_cost``
            return rng.integers(1, max(classes - 1, 2), size=shape).astype("int64")
        if self.labels == "onehot":
            idx = rng.integers(0, classes, size=shape[:-1])
            return np.eye(classes, dtype="float32")[idx]
        return rng.integers(0, classes, size=shape).astype("int32" if self.labels == "sparse32" else "int64")


SIGS: dict[str, Sig] = {s.name: s for s in (
    Sig("regression", (3,), (3,), "float"),
    Sig("binary", (1,), (1,), "binary"),
    Sig("onehot", (3,), (3,), "onehot", "softmax"),
    Sig("sparse", (1,), (3,), "sparse", "softmax"),
    Sig("image", (4, 4, 1), (4, 4, 1), "binary"),
    Sig("sequence", (5, 3), (5, 3), "onehot", "softmax"),
    Sig("flat_binary", (), (1,), "binary"),
    Sig("square", (4,), (4,), "float"),
    Sig("flat", (), (), "float"),
    Sig("packed", (4,), (3,), "float"),  # y_true carries an extra weight column
    Sig("packed_binary", (2,), (1,), "float"),
    Sig("sparse10", (1,), (10,), "sparse", "softmax"),
    Sig("sparse_seq", (5,), (5, 3), "sparse", "softmax"),
    Sig("wide", (6,), (6,), "binary"),
)}
DEFAULT_ORDER = ("regression", "binary", "onehot", "sparse", "image", "sequence", "sparse10",
                 "packed_binary", "packed", "sparse_seq", "wide")


#: layouts inferred for the current job (from the loss body, then from its constants): tried first
JOB_ORDER: list[str] = []
#: a ladder of ranks 3-5 tried after the defaults when nothing else ran
LADDER: list[str] = []


def order(preferred: Sequence[str] | None) -> list[str]:
    """The current job's inferred layouts, the preferred ones, then the defaults and the ladder."""
    out = [n for n in JOB_ORDER if n in SIGS]
    out += [n for n in (preferred or ()) if n in SIGS and n not in out]
    return out + [n for n in list(DEFAULT_ORDER) + LADDER if n not in out]


def _register(spec: dict[str, Any], prefix: str) -> str:
    true, pred = tuple(int(d) for d in spec["true"]), tuple(int(d) for d in spec["pred"])
    labels = str(spec.get("labels", "float"))
    activation = str(spec.get("activation", "sigmoid"))
    name = f"{prefix}:{'x'.join(map(str, true))}/{'x'.join(map(str, pred))}:{labels}"
    SIGS.setdefault(name, Sig(name, true, pred, labels, activation))
    return name


def set_job_layouts(layouts: Sequence[dict[str, Any]]) -> None:
    """Use the layouts the parent inferred from the loss body for this job (first)."""
    JOB_ORDER[:] = [_register(spec, "inferred") for spec in layouts]


def add_constant_layouts(obj: Any, namespace: dict[str, Any]) -> None:
    """Per-sample layouts shaped like the arrays the loss closes over (a ``(5, 3)`` weight
    means ``(B, 5, 3)`` inputs; a square ``(C, C)`` one is a matrix between ``C`` classes, so
    ``(B, C)`` one-hot labels come first): tried right after the inferred ones."""
    shapes: list[tuple[int, ...]] = []
    for value in _captured(obj, namespace):
        shape = getattr(value, "shape", None)
        try:
            dims = tuple(int(d) for d in shape) if shape is not None else ()
        except (TypeError, ValueError):
            continue
        if 2 <= len(dims) <= 4 and all(1 <= d <= 64 for d in dims) and dims not in shapes:
            shapes.append(dims)
    for dims in shapes[:3]:
        specs: list[dict[str, Any]] = [{"true": dims, "pred": dims, "labels": "float"}]
        if len(dims) == 2 and dims[0] == dims[1]:
            # a (C, C) cost or confusion matrix between classes: (B, C) one-hot labels first
            specs.insert(0, {"true": dims[:1], "pred": dims[:1], "labels": "onehot", "activation": "softmax"})
        for spec in specs:
            name = _register(spec, "constant")
            if name not in JOB_ORDER:
                JOB_ORDER.append(name)


def _captured(obj: Any, namespace: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    fn = obj
    for _ in range(3):
        closure = getattr(fn, "__closure__", None) or ()
        for cell in closure:
            try:
                found.append(cell.cell_contents)
            except ValueError:
                continue
        fn = getattr(fn, "__wrapped__", None)
        if fn is None:
            break
    if hasattr(obj, "__dict__"):
        found.extend(v for k, v in vars(obj).items() if not k.startswith("_"))
    found.extend(v for k, v in namespace.items() if not k.startswith("__") and hasattr(v, "shape")
                 and hasattr(v, "dtype"))
    return [v for v in found if hasattr(v, "shape") and hasattr(v, "dtype")]


# -- numbers ----------------------------------------------------------------------------------------
def to_numpy(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    if value is None:
        return None
    if isinstance(value, tf.IndexedSlices):
        value = tf.convert_to_tensor(value)
    return np.asarray(value)


def scalar(value: Any) -> float:
    """The number Keras shows for a loss output: the mean of whatever came back."""
    arr = np.asarray(value, dtype="float64")
    return float(arr.mean()) if arr.size else float("nan")


def round_up(n: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is at least ``n`` (a batch a loss that cuts it
    into ``multiple`` equal parts accepts)."""
    return -(-n // multiple) * multiple


#: a loss value a batch-size comparison cannot read apart from float32 rounding (see the
#: batch-scaling probe): a layout giving more is preferred where one runs
TINY_LOSS = 1e-5


def negligible(value: float) -> bool:
    """A loss of 0, or so close to it (1e-20: a focal loss whose ``equal(y_true, 1)`` no soft
    label meets, left with eps ** gamma) that comparing it across runs shows nothing."""
    return abs(value) <= 1e-12


def close(a: float, b: float, rtol: float = 2e-3, atol: float = 1e-5) -> bool:
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def fmt(x: float) -> str:
    return f"{x:.4g}"


def shape_of(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is None:
        return type(value).__name__
    if getattr(shape, "rank", 0) is None:
        return "(unknown rank)"  # a tf.cond whose branches differ in rank, traced
    dims = tuple(shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


# -- the loss under test ----------------------------------------------------------------------------
@dataclass
class Seen:
    """What the user's function received and returned inside Keras (the facts' "fn saw")."""

    y_true: str
    y_true_dtype: str
    y_pred: str
    out: str


@dataclass
class Subject:
    """The loss object plus how its context calls it (``compile``/``subclass``/``direct``/``unknown``)."""

    obj: Any
    kind: str
    context: str
    seen: list[Seen] = field(default_factory=list)
    taps: list[Any] = field(default_factory=list)
    #: operands of the flagged op (tap mode "inputs")
    inputs: list[Any] = field(default_factory=list)
    extra_args: int = 0
    pred_name: str = ""
    true_name: str = ""
    #: the probe program's text, for hints (does the loss apply sigmoid/softmax itself?)
    program: str = ""
    #: ``loss`` or ``metric`` (gradient symptoms do not apply to metrics)
    role: str = "loss"
    #: whether the probe program taps the flagged node
    tapped: bool = False
    #: per-sample shapes of the extra parameters as the file's call site passes them (None: unknown)
    extra_shapes: list[tuple[int, ...] | None] = field(default_factory=list)
    #: how many extra parameters the file gives no shape for (bound to per-sample weights)
    unbound_extras: int = 0
    #: a function whose result a model's ``add_loss`` takes: each extra parameter is a model
    #: tensor (0: one batch shaped like y_pred; k: a tuple of k such batches the function
    #: unpacks), not per-sample weights
    extra_batches: list[int] = field(default_factory=list)
    #: the function takes the prediction first (``loss_l2(y_hat, y, lens)``, its own caller's
    #: order): the probe's (y_true, y_pred) are passed swapped
    pred_first: bool = False
    #: a GAN loss (``generator_loss(fake_output)``): every parameter gets the probe's y_pred
    adversarial: bool = False
    #: ``loss(model, x, y, training)``: what each parameter gets (see ``model_loop_roles``)
    model_args: list[str] = field(default_factory=list)
    #: how many values the file unpacks from the model or a part of it (see ``model_parts``)
    model_parts: dict[str, int] = field(default_factory=dict)
    #: bind those to a scalar 0.5 instead (a learned log-sigma, a temperature): the other
    #: reading of a parameter nothing in the file passes
    scalar_extras: bool = False
    #: take the first element of a tuple that a custom-loop helper returns (not for TFS101,
    #: whose finding is the tuple itself); ``unpacked`` records that it happened
    unpack_tuple: bool = False
    unpacked: bool = False
    #: the subclass's constructor never ran ``Loss.__init__``; the probe did (worker.py)
    base_initialised: bool = False
    #: ``factory(**flags)`` -> the loss built again by the factory the file never calls (the
    #: probe built it with its defaults), so that a flag the defaults leave off can be flipped
    factory: Callable[..., Any] | None = None
    #: ``{"pred": 3}``: the file calls the loss with a tuple of 3 tensors as y_pred (see
    #: ``realfiles.packed_inputs``); the probe passes one per part, each shaped like the batch
    packed: dict[str, int] = field(default_factory=dict)
    #: whether the flagged expression ran at least once (a tap or the reach marker saw it)
    reached: bool = False

    def _extra(self, y_true: Any, shape: tuple[int, ...] | None) -> Any:
        if shape is None and self.scalar_extras:
            return tf.constant(0.5, FLOAT_DTYPE[0])
        return per_sample_weights(y_true, shape)

    def __post_init__(self) -> None:
        if self.pred_first and self.kind == "function" and callable(self.obj):
            self.obj = _prediction_first(self.obj)
        if self.adversarial and self.kind == "function" and callable(self.obj):
            self.obj = _predictions_only(self.obj)
        if self.model_args and self.kind == "function" and callable(self.obj):
            self.obj = _with_stand_in_model(self.obj, self.model_args, self.model_parts)
        # A custom-loop loss such as ``fn(y_true, y_pred, sample_weight)`` gets per-sample
        # weights (B,) for its extra required parameters, as its caller passes them.
        if self.kind == "function" and self.context in ("direct", "unknown"):
            names = extra_required_names(self.obj)
            extra = len(names)
            if extra:
                fn = self.obj

                shapes = list(self.extra_shapes[:extra]) + [None] * max(0, extra - len(self.extra_shapes))
                counts = {i for i, name in enumerate(names) if CLASS_COUNT.match(name)}
                self.unbound_extras = sum(1 for i, shape in enumerate(shapes) if shape is None and i not in counts)

                def with_weights(y_true: Any, y_pred: Any) -> Any:
                    # the shape the file's call site shows first (``Input(shape=(1,))``), then a
                    # model tensor for a model-level add_loss function's parameter
                    # a class count the file never passes is the predictions' last axis (``n_classes``
                    # of a per-class Dice), not a weight
                    extras = [class_count(y_pred) if shape is None and i in counts
                              else model_tensors(y_pred, self.extra_batches[i], i)
                              if shape is None and i < len(self.extra_batches) else self._extra(y_true, shape)
                              for i, shape in enumerate(shapes)]
                    out = fn(y_true, y_pred, *extras)
                    if self.unpack_tuple and isinstance(out, (tuple, list)) and len(out) > 1 \
                            and hasattr(out[0], "shape"):
                        # a custom-loop helper (it takes more than y_true, y_pred) returning
                        # (loss, extras...): its caller unpacks the tuple and differentiates the first
                        self.unpacked = True
                        return out[0]
                    return out
                self.obj = with_weights
                self.extra_args = extra
        # a loss that hands its labels to ``tf.nn.ctc_loss(..., label_length=None)`` takes a
        # SparseTensor of label sequences (the file's input pipeline yields one): the probe's
        # dense label sequences are passed to the user's code as one
        sparse_labels = SPARSE_CTC.search(self.program) is not None
        if sparse_labels and hasattr(self.obj, "call") and not inspect.isroutine(self.obj):
            self.obj.call = _sparse_labels(self.obj.call)  # a Loss: Keras's __call__ calls ``call``
        elif sparse_labels and callable(self.obj):
            self.obj = _sparse_labels(self.obj)
        if self.kind == "function" and self.packed:
            self.obj = _packing(self.obj, int(self.packed.get("true", 0)), int(self.packed.get("pred", 0)))
        elif self.kind == "loss_object" and self.packed and hasattr(self.obj, "call"):
            # Keras's Loss.__call__ converts one tensor and calls ``call``: the parts are made there
            self.obj.call = _packing(self.obj.call, int(self.packed.get("true", 0)), int(self.packed.get("pred", 0)))

    @property
    def keras_context(self) -> bool:
        return self.context != "direct"

    def tap(self, value: Any) -> Any:
        """Stands in for ``__tfs_tap__`` in the probe program: remember the flagged value."""
        self.reached = True
        self.taps.append(value)
        return value

    def tap_in(self, value: Any) -> Any:
        """Stands in for ``__tfs_tap_in__``: remember an operand of the flagged op."""
        self.reached = True
        self.inputs.append(value)
        return value

    def reach(self, value: Any) -> Any:
        """Stands in for ``__tfs_reach__``: the flagged expression ran (once is enough)."""
        self.reached = True
        return value

    def _record(self, y_true: Any, y_pred: Any, out: Any) -> None:
        dtype = getattr(getattr(y_true, "dtype", None), "name", "")
        self.seen.append(Seen(shape_of(y_true), str(dtype), shape_of(y_pred),
                              shape_of(out) if not isinstance(out, (list, tuple))
                              else f"{type(out).__name__} of {len(out)}"))

    def target(self) -> Any:
        """What to hand to ``compile``: the function (logged) or the Loss instance."""
        if self.kind == "function":
            fn = self.obj

            @functools.wraps(fn)
            def logged(y_true: Any, y_pred: Any, *args: Any, **kwargs: Any) -> Any:
                out = fn(y_true, y_pred, *args, **kwargs)
                self._record(y_true, y_pred, out)
                return out
            return logged
        return self.obj

    def raw(self, y_true: Any, y_pred: Any) -> Any:
        """The unreduced output: ``fn(y_true, y_pred)`` or ``loss.call`` (after Keras's casts)."""
        if self.kind == "function":
            if self.keras_context and not LEGACY:
                # Keras 3 wraps a function in a Loss whose __call__ converts both to its dtype:
                # integer labels arrive as float32, as they do in ``value`` (Keras's own path)
                y_true, y_pred = (tf.nest.map_structure(_as_float32, t) for t in (y_true, y_pred))
            return self.obj(y_true, y_pred)
        if not LEGACY:
            dtype = getattr(self.obj, "dtype", None) or "float32"
            y_true = tf.convert_to_tensor(y_true, dtype=dtype)
            y_pred = tf.convert_to_tensor(y_pred, dtype=dtype)
        return self.obj.call(y_true, y_pred)

    def container(self) -> Callable[..., Any]:
        """Keras's own compile-time loss object for this loss (fresh, unbuilt)."""
        target = self.target()
        if LEGACY:
            from tf_keras.src.engine.compile_utils import LossesContainer  # type: ignore[import-untyped,unused-ignore]

            box = LossesContainer(target)
            return _plain(lambda yt, yp, sw=None: _unconverted_when_eager(box, yt, yp, sample_weight=sw))
        from keras.src.trainers.compile_utils import CompileLoss  # type: ignore[import-untyped,unused-ignore]

        loss = CompileLoss(target)
        return lambda yt, yp, sw=None: loss(yt, yp, sw)

    def reported_fn(self) -> Callable[..., Any]:
        """``f(y_true, y_pred, sample_weight)`` -> the tensor ``fit`` (or a custom loop) differentiates."""
        if self.keras_context:
            return self.container()
        if self.kind == "function":
            fn = self.target()
            return lambda yt, yp, sw=None: fn(yt, yp)
        # a custom loop calls the object as the file does: sample_weight only when there is one
        # (a Loss overriding ``__call__(self, y_true, y_pred)`` takes none)
        return lambda yt, yp, sw=None: self.obj(yt, yp) if sw is None else self.obj(yt, yp, sample_weight=sw)


def _as_float32(value: Any) -> Any:
    """One dense tensor as Keras 3's ``Loss.__call__`` converts it (a SparseTensor stays)."""
    if isinstance(value, tf.SparseTensor):
        return value
    if tf.is_tensor(value) or isinstance(value, np.ndarray):
        return tf.cast(value, "float32")
    return value


def _sparse_labels(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its dense label sequences (never 0: see ``Sig._labels``) as a SparseTensor."""
    @functools.wraps(fn)
    def with_sparse(y_true: Any, y_pred: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(y_true, tf.SparseTensor):
            y_true = tf.sparse.from_dense(tf.cast(y_true, tf.int64))
        return fn(y_true, y_pred, *args, **kwargs)
    return with_sparse


#: ``tf.nn.ctc_loss(..., label_length=None, ...)``: labels as a SparseTensor
SPARSE_CTC = re.compile(r"ctc_loss\((?:[^()]|\([^()]*\))*\blabel_length\s*=\s*None")


def _plain(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` marked so that autograph calls it as it is inside a traced step.

    A pass-through of the harness's own (no tensor control flow) needs no conversion, and each
    conversion costs a transform of its source; the loss it hands on to is still converted by
    the Keras wrapper, with the status the trace set.
    """
    fn.autograph_info__ = {}  # type: ignore[attr-defined]
    return fn


@_plain
def _unconverted_when_eager(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with autograph off when running eagerly.

    tf_keras's loss wrapper autograph-converts the loss on every eager call with an unspecified
    conversion status; each job defines the file's functions afresh, so each paid the
    conversion again (0.3-0.6 s for a loss with helpers: most of the slowest jobs). Eagerly,
    Python control flow on tensors runs as written, so the value and gradient are the same; in
    a trace (``graph``) the status is left alone and tensor conditions are converted as in
    ``fit``.
    """
    if not tf.executing_eagerly():
        return fn(*args, **kwargs)
    from tensorflow.python.autograph.core import ag_ctx  # type: ignore[import-untyped,unused-ignore]

    with ag_ctx.ControlStatusCtx(status=ag_ctx.Status.DISABLED):
        return fn(*args, **kwargs)


def packed(value: Any, parts: int) -> tuple[Any, ...]:
    """``parts`` tensors shaped like ``value``, each sample's own values rotated along the last
    axis and scaled (part 0 is ``value`` itself): distinct parts (an anchor, a positive, a
    negative) that stay per sample, so the same samples in batches of any size give the same
    parts."""
    t = tf.convert_to_tensor(value)
    if t.shape.rank is None or t.shape.rank < 2:
        return tuple(t * (1.0 + 0.25 * j) for j in range(parts))
    return tuple(tf.roll(t, shift=j, axis=-1) * (1.0 + 0.25 * j) for j in range(parts))


def _packing(fn: Any, true_parts: int, pred_parts: int) -> Any:
    """``fn`` called with y_true/y_pred as tuples of parts, as the file's own call passes them."""
    @functools.wraps(fn)
    def with_parts(y_true: Any, y_pred: Any, *args: Any, **kwargs: Any) -> Any:
        # one part is a list of one (a layer called on ``[outputs]``), not the batch itself
        return fn(packed(y_true, true_parts) if true_parts >= 1 else y_true,
                  packed(y_pred, pred_parts) if pred_parts >= 1 else y_pred, *args, **kwargs)
    return with_parts


def model_tensors(y_pred: Any, parts: int, index: int) -> Any:
    """Stand-ins for the model tensors a model-level ``add_loss`` function takes besides its
    first two: batches shaped like (and differentiable through) ``y_pred``, scaled apart so that
    no two are equal; a tuple of ``parts`` of them where the function unpacks the parameter."""
    def one(k: int) -> Any:
        return y_pred * (0.5 + 0.1 * k) - 0.05 * k
    if parts >= 2:
        return tuple(one(index * 4 + j + 1) for j in range(parts))
    return one(index * 4 + 1)


def per_sample_weights(y_true: Any, shape: tuple[int, ...] | None = None) -> Any:
    """(B,) weights 0.5, 1.0, 1.5, 0.5, ... for a loss that takes per-sample weights; with
    ``shape`` (the call site's ``Input(shape=...)``), the same weights broadcast to (B, *shape)."""
    w = tf.cast(tf.range(tf.shape(y_true)[0]) % 3, FLOAT_DTYPE[0]) * 0.5 + 0.5
    if not shape:
        return w
    return tf.reshape(w, [-1] + [1] * len(shape)) * tf.ones(list(shape), FLOAT_DTYPE[0])


def _prediction_first(fn: Any) -> Any:
    """``fn(y_pred, y_true, ...)`` called as ``(y_true, y_pred, ...)`` (its signature kept, so
    that its extra parameters are still counted)."""
    @functools.wraps(fn)
    def swapped(y_true: Any, y_pred: Any, *rest: Any, **named: Any) -> Any:
        return fn(y_pred, y_true, *rest, **named)
    return swapped


class _StandInModel:
    """The model a custom-loop loss helper calls: any call gives the probe's y_pred, and so
    does any part of it (``model.decoder(z)``); a call the file unpacks into k values gives k
    copies (``z, mean, log_var = model.encoder(x)``)."""

    def __init__(self, y_pred: Any, parts: dict[str, int], part: str = "") -> None:
        self.y_pred = y_pred
        self.parts = parts
        self.part = part

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        k = self.parts.get(self.part, 0)
        return tuple([self.y_pred] * k) if k else self.y_pred

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _StandInModel(self.y_pred, self.parts, name)


def _with_stand_in_model(fn: Any, roles: list[str], parts: dict[str, int]) -> Any:
    """``fn(model, x, y, training)`` called as ``(y_true, y_pred)``: a stand-in model that
    returns y_pred, y_pred as its inputs, y_true as the labels, ``training=False``; the first
    value of a returned tuple (``return loss, pred``), which the loop differentiates."""
    def called(y_true: Any, y_pred: Any) -> Any:
        given = {"model": _StandInModel(y_pred, parts), "input": y_pred, "labels": y_true, "training": False, "none": None}
        out = fn(*[given[role] for role in roles])
        if isinstance(out, (tuple, list)) and out and tf.is_tensor(out[0]):
            return out[0]
        return out
    return called


def _predictions_only(fn: Any) -> Any:
    """``fn(real_output, fake_output)`` called as ``(y_true, y_pred)``: the probe's predictions
    for each of its positional parameters (a GAN loss has no labels); parts it returns as a
    tuple (``real_loss, fake_loss``) are summed, as the training loop that unpacks them does."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    except (TypeError, ValueError):
        return fn

    def only(y_true: Any, y_pred: Any) -> Any:
        out = fn(*[y_pred] * len(params))
        if isinstance(out, (tuple, list)) and out and all(tf.is_tensor(part) for part in out):
            return tf.add_n([tf.reduce_mean(part) for part in out])
        return out
    return only


def extra_required_names(fn: Any) -> list[str]:
    """The required positional parameters of ``fn`` after (y_true, y_pred)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    required = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                and p.default is p.empty]
    return required[2:]


#: a parameter named for the number of classes (``n_classes``, ``class_number``, ``num_class``)
CLASS_COUNT = re.compile(r"^(?:n|num|nb|number)_?(?:of_)?class(?:es)?$|^class(?:es)?_?(?:num|number|count)$",
                         re.IGNORECASE)


def class_count(y_pred: Any) -> int:
    """What a class-count parameter means for the probe's predictions: their last axis."""
    last = y_pred.shape[-1] if getattr(y_pred, "shape", None) is not None and len(y_pred.shape) else None
    return int(last) if last is not None else 1


#: the batch size of the inputs of the current run (read by ``__tfs_probe_batch__``)
PROBE_BATCH: list[int | None] = [None]

#: the float dtype of the synthetic tensors: float64 while a job runs as a project that sets
#: ``floatx`` to float64 would (see :func:`float64_mode`)
FLOAT_DTYPE: list[str] = ["float32"]

#: the error TensorFlow raises when float64 constants of the loss meet float32 inputs
_WANTS_FLOAT64 = re.compile(r"expected to be a double tensor but is a float tensor")


def wants_float64(evidence: str) -> bool:
    """Whether a verdict's evidence says the loss mixes float64 constants with float32 inputs
    (``K.dot(K.constant(..., dtype='float64'), y_true)``): written for ``floatx`` float64."""
    return _WANTS_FLOAT64.search(evidence) is not None


@contextmanager
def float64_mode() -> Iterator[None]:
    """Synthetic tensors in float64 and Keras's ``floatx`` float64 (so Keras casts the inputs of
    a compiled loss, and builds models, in float64), restored afterwards."""
    previous = KERAS.backend.floatx()
    FLOAT_DTYPE[0] = "float64"
    KERAS.backend.set_floatx("float64")
    try:
        yield
    finally:
        FLOAT_DTYPE[0] = "float32"
        KERAS.backend.set_floatx(previous)


def _as_float(array: Any) -> Any:
    """``array`` in the job's float dtype when it holds floats (integer labels stay integers)."""
    if FLOAT_DTYPE[0] != "float32" and np.issubdtype(np.asarray(array).dtype, np.floating):
        return np.asarray(array).astype(FLOAT_DTYPE[0])
    return array


def tensors(y_true: np.ndarray, y_pred: np.ndarray, sw: np.ndarray | None = None) -> tuple[Any, Any, Any]:
    PROBE_BATCH[0] = int(np.shape(y_true)[0]) if np.ndim(y_true) >= 1 else None
    return (tf.constant(_as_float(y_true)), tf.constant(_as_float(y_pred)),
            tf.constant(sw, dtype=FLOAT_DTYPE[0]) if sw is not None else None)


# -- the harness ------------------------------------------------------------------------------------
@dataclass
class Base:
    """A layout on which the loss runs cleanly at batch 4, with its reported value."""

    sig: Sig
    y_true: np.ndarray
    y_pred: np.ndarray
    value: float
    #: what the flagged node's taps held in that run (a probe that reads them needs no rerun)
    taps: list[Any] = field(default_factory=list)


@dataclass
class Run:
    """One evaluation: the reported value, the gradient w.r.t. y_pred, the raw output, taps."""

    value: float
    out: Any
    grad: np.ndarray | None
    tap_grads: list[np.ndarray | None] = field(default_factory=list)
    taps: list[Any] = field(default_factory=list)
    inputs: list[Any] = field(default_factory=list)


@dataclass
class FitResult:
    loss: float | None
    error: BaseException | None
    weights_nan: bool = False
    weights_changed: bool = True



#: layouts in a row that raise the very same error (type and text, which would name any shape)
#: before the search for a working layout stops: a dtype or attribute error does not depend on them
SAME_FAILURES = 3


#: errors that say the inputs have too few axes or too narrow ones: a layout of another rank
#: may get past them, however often they repeat on the layouts tried first
_SHAPE_ERRORS = re.compile(r"Invalid reduction dimension|Index out of range using input dim|out of bounds|"
                           r"must have either 3 or 4 dimensions|Attempting to slice scalar|must be at least rank|"
                           r"[Ii]ncompatible shapes|Expected begin and size arguments|transpose expects a vector of size")


#: ``tf.reshape(y, (-1, S * S, C + 5))`` of a sample of another size
_RESHAPE_MULTIPLE = re.compile(r"Input to reshape is a tensor with \d+ values, but the requested shape requires "
                               r"a multiple of (\d+)")


#: ``reshape(y_pred[:, 0], tf.shape(y_true))`` on labels wider than one column: one value per
#: sample reshaped to the labels' shape
_RESHAPE_TO_LABELS = re.compile(r"Input to reshape is a tensor with (\d+) values, but the requested shape has (\d+)")


def reshape_layout(failures: Sequence[tuple[str, BaseException]], n: int = 4) -> str | None:
    """A flat layout with as many values per sample as a failed reshape asked for (at most
    100,000), or labels of one column when the loss reshaped one value per sample to the
    labels' shape, registered; None when no layout failed that way."""
    for name, exc in failures:
        found = _RESHAPE_MULTIPLE.search(str(exc))
        if found and 1 < int(found.group(1)) <= 100_000:
            size = int(found.group(1))
            return _register({"true": [size], "pred": [size], "labels": "float"}, "reshaped")
        to_labels = _RESHAPE_TO_LABELS.search(str(exc))
        if to_labels and int(to_labels.group(1)) == n and name in SIGS and SIGS[name].true_shape != (1,):
            pred = list(SIGS[name].pred_shape)
            return _register({"true": [1] * len(pred), "pred": pred, "labels": "float"}, "reshaped")
    return None


#: "Incompatible shapes: [4,200] vs. [4,401]" (eager) or "Dimensions must be equal, but are 200
#: and 401" (graph): two last axes that differ
_WIDTHS = re.compile(r"Incompatible shapes: \[([\d,]+)\] vs\. \[([\d,]+)\]|"
                     r"Dimensions must be equal, but are (\d+) and (\d+)")


def _last_axes(exc: BaseException) -> tuple[int, int] | None:
    found = _WIDTHS.search(str(exc))
    if found is None:
        return None
    if found.group(1) is not None:
        left, right = ([int(d) for d in g.split(",") if d] for g in found.group(1, 2))
        if len(left) != len(right) or len(left) < 2 or left[:-1] != right[:-1]:
            return None
        return left[-1], right[-1]
    return int(found.group(3)), int(found.group(4))


def width_layouts(failures: Sequence[tuple[str, BaseException]]) -> list[str]:
    """Layouts whose y_pred (then y_true) takes the other width a failed elementwise op named,
    registered: ``y_true[:, 0:200] * y_pred`` on labels of 401 columns says y_pred has 200
    (a PPO loss that packs the action mask, the old policy and the advantage into y_true)."""
    out: list[str] = []
    for name, exc in failures:
        widths = _last_axes(exc)
        sig = SIGS.get(name)
        if widths is None or sig is None or not sig.true_shape or not sig.pred_shape or 1 in widths:
            continue
        for width in widths:
            if not 1 < width <= 100_000:
                continue
            for true, pred in ((sig.true_shape, sig.pred_shape[:-1] + (width,)),
                               (sig.true_shape[:-1] + (width,), sig.pred_shape)):
                if (true, pred) != (sig.true_shape, sig.pred_shape):
                    made = _register({"true": true, "pred": pred, "labels": sig.labels,
                                      "activation": sig.activation}, "widths")
                    if made not in out:
                        out.append(made)
    return out[:4]


#: "indices[0] = 3 is not in [0, 3)" (GatherV2): an index past the axis the loss gathers from
_GATHER_PAST = re.compile(r"indices\[[\d,]+\] = (\d+) is not in \[0, (\d+)\)")
#: "slice index 9 of dimension 3 out of bounds" (StridedSlice): ``y_true[:, :, :, n * 5 + 4]``
#: for every anchor a YOLO loss's constructor was given, past the channels a layout has
_SLICE_PAST = re.compile(r"slice index (\d+) of dimension (\d+) out of bounds")
#: the widest axis a gather or slice retry asks for
_MAX_GATHER_WIDTH = 512


def _past_axis(exc: BaseException, sig: Sig) -> tuple[int, int, int] | None:
    """(axis of a sample, its width, the index a failed gather or slice asked for) when the
    loss indexed past an axis of this layout's inputs; the gather names the last axis."""
    found = _GATHER_PAST.search(str(exc))
    if found is not None:
        return len(sig.pred_shape) - 1, int(found.group(2)), int(found.group(1))
    found = _SLICE_PAST.search(str(exc))
    if found is None:
        return None
    axis = int(found.group(2)) - 1  # the message counts the batch axis
    if not 0 <= axis < min(len(sig.true_shape), len(sig.pred_shape)):
        return None
    return axis, max(sig.true_shape[axis], sig.pred_shape[axis]), int(found.group(1))


def _widened(shape: tuple[int, ...], axis: int, width: int, wider: int) -> tuple[int, ...]:
    """The shape with ``axis`` (counted from the front, or the last axis of a longer shape)
    at ``wider`` where it was ``width`` wide or less."""
    at = axis if axis < len(shape) - 1 else len(shape) - 1
    return shape[:at] + (wider,) + shape[at + 1:] if shape[at] <= width else shape


def gather_layouts(failures: Sequence[tuple[str, BaseException]]) -> list[str]:
    """Layouts whose axes are wider where a failed gather or slice indexed past them, registered:
    ``tf.gather(y_true, indices=[3, 4], axis=3)`` on 3 channels asks for more, and so does
    ``y_pred[..., n * 5 + 4]`` over a detector's anchors; a class range from the project's
    configuration (``np.arange(20) + 5``) may ask again, so each retry at least doubles the
    width (a few rounds reach any width up to 512)."""
    out: list[str] = []
    for name, exc in failures:
        sig = SIGS.get(name)
        if sig is None or not sig.true_shape or not sig.pred_shape:
            continue
        past = _past_axis(exc, sig)
        if past is None:
            continue
        axis, width, index = past
        wider = min(max(index + 1, 2 * width), _MAX_GATHER_WIDTH)
        if wider <= width:
            continue
        true, pred = (_widened(shape, axis, width, wider) for shape in (sig.true_shape, sig.pred_shape))
        if (true, pred) != (sig.true_shape, sig.pred_shape):
            made = _register({"true": true, "pred": pred, "labels": sig.labels, "activation": sig.activation},
                             "gathered")
            if made not in out:
                out.append(made)
    return out


def _same_failure(a: BaseException, b: BaseException) -> bool:
    return type(a) is type(b) and str(a) == str(b) and not _SHAPE_ERRORS.search(str(a))


class Harness:
    """Evaluates the subject eagerly, in a Keras-like graph step, or in a real ``fit`` step."""

    def __init__(self, subject: Subject, *, jit: bool = False) -> None:
        self.subject = subject
        self.jit = jit
        self.failures: list[tuple[str, BaseException]] = []
        #: the counterfactual in words (set on a variant's harness)
        self.description = ""
        #: the layout a probe decided on, so the variant runs on identical inputs
        self.decided = ""
        #: layouts to try instead of the job's order (a counterfactual retried on other inputs)
        self.exclusive: list[str] = []
        #: the edge case (TFS401) that showed the symptom, for the same reason
        self.case = ""
        #: a loss that cuts its batch into k equal parts (anchors, positives, negatives stacked)
        #: runs on batches of a multiple of k
        self.batch_parts = 1
        #: the per-sample weighted reference (TFS108) of the loss as written, which the variant
        #: is compared with on the same inputs
        self.reference: float | None = None
        #: each sample's loss alone, from the last ``singles``
        self.single_values: list[float] = []
        #: what Keras computed with sample_weight [1,0,0,0] (TFS108), for the counterfactual
        self.weighted: float | None = None

    # eager ---------------------------------------------------------------------------------------
    def eager(self, y_true: np.ndarray, y_pred: np.ndarray, sw: np.ndarray | None = None,
              taps: bool = False, taps_if_nonfinite: bool = False) -> Run:
        """Reported value and gradient w.r.t. y_pred, eagerly (a custom loop, run_eagerly).

        ``taps``: also the gradient of each tapped value; with ``taps_if_nonfinite`` only when
        the loss or its gradient is not finite, the one case an edge-input probe reads them (a
        backward pass each: half the cost of a run of a long loss)."""
        yt, yp, w = tensors(y_true, y_pred, sw)
        self.subject.taps.clear()
        self.subject.inputs.clear()
        fn = self.subject.reported_fn()
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(yp)
            out = fn(yt, yp, w)
        grad = to_numpy(tape.gradient(out, yp)) if not _has_none(out) else None
        value = scalar(to_numpy(out)) if not isinstance(out, (list, tuple)) else float("nan")
        tapped = list(self.subject.taps)
        tap_grads = []
        finite = math.isfinite(value) and (grad is None or bool(np.all(np.isfinite(grad))))
        if taps and not (taps_if_nonfinite and finite):
            for t in tapped:
                tap_grads.append(_grad_or_none(tape, t, yp))
        del tape
        run = Run(value, out, grad, [to_numpy(g) for g in tap_grads], tapped)
        run.inputs = list(self.subject.inputs)
        return run

    def value(self, y_true: np.ndarray, y_pred: np.ndarray, sw: np.ndarray | None = None) -> float:
        """The reported value only (no tape)."""
        yt, yp, w = tensors(y_true, y_pred, sw)
        return scalar(to_numpy(self.subject.reported_fn()(yt, yp, w)))

    def raw(self, y_true: np.ndarray, y_pred: np.ndarray) -> Any:
        yt, yp, _ = tensors(y_true, y_pred)
        return to_numpy(self.subject.raw(yt, yp))

    def singles(self, y_true: np.ndarray, y_pred: np.ndarray, sw: np.ndarray | None = None) -> float:
        """Mean of the reported values of each sample alone (optionally weighted): the
        reference for a per-sample loss, free of any cross-sample interaction."""
        values = [self.value(y_true[i:i + 1], y_pred[i:i + 1]) for i in range(len(y_true))]
        self.single_values = values
        weights = np.ones(len(values)) if sw is None else np.asarray(sw, dtype="float64")
        return float(np.sum(np.asarray(values) * weights) / len(values))

    # graph --------------------------------------------------------------------------------------------
    def graph(self, y_true: np.ndarray, y_pred: np.ndarray, sw: np.ndarray | None = None,
              batch_none: bool = True) -> Run:
        """Like ``fit``: a traced step (batch dim ``None``); Keras 3 disables autograph there.

        On a GPU it also runs with ``jit_compile=True`` (Keras 3's default there) and raises
        :class:`JitOnlyError` when only that fails.
        """
        run = self._graph(y_true, y_pred, sw, batch_none, jit=False)
        if self.jit:
            try:
                self._graph(y_true, y_pred, sw, batch_none, jit=True)
            except Exception as exc:  # the loss ran without XLA: an XLA-only failure
                raise JitOnlyError(exc) from exc
        return run

    def _graph(self, y_true: np.ndarray, y_pred: np.ndarray, sw: np.ndarray | None,
               batch_none: bool, jit: bool) -> Run:
        yt, yp, w = tensors(y_true, y_pred, sw)
        fn = self.subject.reported_fn()
        autograph = LEGACY or not self.subject.keras_context

        def step(y_t: Any, y_p: Any, s_w: Any = None) -> Any:
            with tf.GradientTape() as tape:
                tape.watch(y_p)
                out = fn(y_t, y_p, s_w)
            grad = tape.gradient(out, y_p) if not _has_none(out) else None
            if isinstance(grad, tf.IndexedSlices):
                grad = tf.convert_to_tensor(grad)
            value = tf.reduce_mean(tf.cast(out, tf.float32)) if not isinstance(out, (list, tuple)) \
                else tf.reduce_mean(tf.stack([tf.reduce_mean(o) for o in out]))
            return value, (grad if grad is not None else tf.constant(np.nan)), grad is None

        specs = [_spec(yt, batch_none), _spec(yp, batch_none)]
        args: list[Any] = [yt, yp]
        if w is not None:
            specs.append(_spec(w, batch_none))
            args.append(w)
        traced = tf.function(step, input_signature=specs, autograph=autograph, jit_compile=jit or None)
        value, grad, none = traced(*args)
        return Run(float(value.numpy()), None, None if bool(none) else grad.numpy())

    # baseline ---------------------------------------------------------------------------------------
    def baseline(self, preferred: Sequence[str] | None = None, n: int = 4,
                 labels_dtype: str | None = None, nonzero: bool = False, only: bool = False) -> Base | None:
        """The first layout on which the loss runs with a finite value at batch ``n``; with
        ``nonzero``, the first with a value other than exactly 0 if any (a focal loss that tests
        ``equal(y_true, 1)`` is 0 on soft labels, and 0 shows nothing about scaling)."""
        zero: Base | None = None
        tiny: Base | None = None
        repeats = 0
        n = round_up(n, self.batch_parts)
        names = list(preferred or ()) if only else list(self.exclusive) if self.exclusive else order(preferred)
        for name in names:
            sig = SIGS[name]
            yt, yp = sig.make(n, labels_dtype=labels_dtype)
            self.subject.taps.clear()
            try:
                value = self.value(yt, yp)
            except Exception as exc:
                repeats = repeats + 1 if self.failures and _same_failure(self.failures[-1][1], exc) else 1
                self.failures.append((name, exc))
                if repeats >= SAME_FAILURES:
                    break  # the same error whatever the shapes: no other layout gets past it
                continue
            if any(np.size(t) == 0 for t in self.subject.taps if t is not None):
                self.failures.append((name, ValueError("the flagged value is empty on this layout")))
                continue
            if math.isfinite(value):
                if nonzero and negligible(value):
                    zero = zero or Base(sig, yt, yp, value, list(self.subject.taps))
                    continue
                if nonzero and abs(value) <= TINY_LOSS:
                    # eps ** gamma of a focal loss on soft labels (2e-8): a layout with 0/1
                    # labels shows the loss itself, if one runs
                    tiny = tiny or Base(sig, yt, yp, value, list(self.subject.taps))
                    continue
                self.decided = self.decided or name
                return Base(sig, yt, yp, value, list(self.subject.taps))
            self.failures.append((name, FloatingPointError(f"loss is {value}")))
        if tiny is not None:
            self.decided = self.decided or tiny.sig.name
            return tiny
        if zero is not None:
            self.decided = self.decided or zero.sig.name
            return zero
        flat = reshape_layout(self.failures, n)
        if flat is not None and flat not in JOB_ORDER:
            # the loss reshapes each sample to a size of its own (YOLO's S*S*(C+5) cells): that
            # many values per sample, tried first from now on in this job
            JOB_ORDER.insert(0, flat)
            return self.baseline([flat], n, labels_dtype, nonzero)
        gathered = [g for g in gather_layouts(self.failures) if g not in JOB_ORDER][:2]
        if gathered:
            # the loss gathers columns past the last axis: wider inputs, tried first from now on
            JOB_ORDER[:0] = gathered
            return self.baseline(gathered, n, labels_dtype, nonzero, only=True)
        widths = [w for w in width_layouts(self.failures) if w not in JOB_ORDER]
        if widths:
            # the loss slices its labels to a width of its own and multiplies y_pred by the
            # slice: the widths the error named, tried first from now on in this job
            JOB_ORDER[:0] = widths
            return self.baseline(widths, n, labels_dtype, nonzero, only=True)
        return None

    def no_baseline(self, patterns: Iterable[str] = ()) -> Outcome:
        """Every layout failed: confirmed when the failure is the rule's, else inconclusive."""
        if not self.failures:
            return inconclusive("the loss did not run on any synthetic input")
        for name, exc in self.failures:
            if patterns and matches(exc, patterns):
                self.decided = self.decided or name
                return confirmed(f"{describe(exc)} (y_true/y_pred {layout(SIGS[name])})")
        # an error of the loss's own (a missing name, a dtype) says more than a layout's shape
        # error, which another layout got past
        name, exc = next(((n, e) for n, e in self.failures if not _SHAPE_ERRORS.search(str(e))), self.failures[0])
        return inconclusive(f"the loss raised on every synthetic input, e.g. {layout(SIGS[name])}: "
                            f"{describe(exc)}")

    # fit -----------------------------------------------------------------------------------------------
    def fit(self, sig: Sig, n: int = 4, batch: int = 4, sw: np.ndarray | None = None,
            jit: bool = False) -> FitResult:
        """One epoch of ``fit`` on a tiny Dense model whose output has ``sig``'s shape."""
        keras.utils.set_random_seed(0)
        inp = keras.Input((4,))
        units = int(np.prod(sig.pred_shape)) or 1
        h = keras.layers.Dense(units)(inp)
        if sig.pred_shape and sig.pred_shape != (units,):
            h = keras.layers.Reshape(sig.pred_shape)(h)
        out = keras.layers.Activation(sig.activation)(h)
        model = keras.Model(inp, out)
        x = np.random.default_rng(0).normal(size=(n, 4)).astype("float32")
        y, _ = sig.make(n)
        kwargs: dict[str, Any] = {"jit_compile": True} if jit else {}
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss=self.subject.target(), **kwargs)
        before = [np.array(w) for w in model.get_weights()]
        try:
            hist = model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False, sample_weight=sw)
        except Exception as exc:
            return FitResult(None, exc)
        after = [np.array(w) for w in model.get_weights()]
        return FitResult(float(hist.history["loss"][0]), None,
                         any(not np.all(np.isfinite(w)) for w in after),
                         any(not np.array_equal(a, b) for a, b in zip(before, after)))


def _has_none(out: Any) -> bool:
    return out is None or (isinstance(out, (list, tuple)) and any(o is None for o in out))


def _grad_or_none(tape: Any, target: Any, source: Any) -> Any:
    try:
        return tape.gradient(target, source)
    except Exception:  # a tapped non-tensor (a Python number, a numpy array): no gradient
        return None


def _spec(t: Any, batch_none: bool) -> Any:
    shape = list(t.shape)
    if batch_none and shape:
        shape[0] = None
    return tf.TensorSpec(shape, t.dtype)


def layout(sig: Sig, n: int = 4) -> str:
    """``(4, 3)/(4, 3)``: how the synthetic y_true/y_pred looked."""
    return f"{shape_of(np.zeros((n,) + sig.true_shape))}/{shape_of(np.zeros((n,) + sig.pred_shape))}"


def _ladder() -> None:
    from tfshape_lint.verify.realfiles import ladder

    LADDER[:] = [_register(spec, "ladder") for spec in ladder()]


_ladder()
