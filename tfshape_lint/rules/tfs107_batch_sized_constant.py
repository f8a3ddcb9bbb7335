"""TFS107 batch-sized-constant."""

from __future__ import annotations

import libcst as cst

from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import DType, Tag, Value
from tfshape_lint.rule import Example, Recipe, Rule, Severity
from tfshape_lint.rules._shape_fixes import ElementwiseOperands, short

_CONSTANT_DTYPES = frozenset({DType.NUMPY, DType.LIST, DType.FLOAT, DType.INT, DType.BOOL, DType.UNKNOWN})


class BatchSizedConstant(ElementwiseOperands, Rule):
    """## What it does
    Flags a loss that multiplies (or divides) a per-sample value of shape `(B,)` by a
    constant vector of fixed length: a numpy array, `tf.constant`, or Python list reaching the
    loss through a closure, a default argument, a factory argument, or a module global. That
    constant lines up with the batch axis, so it is a set of *per-sample* weights baked into
    the loss. Per-class weights that multiply the last axis of `(B, C)` tensors are fine, and
    so are weights looked up per sample (`tf.gather(class_weights, labels)`).

    ## Why is this bad?
    Keras calls the loss once per batch with the batch's samples, not the dataset's. The
    constant only has the right length when every batch has exactly `len(weights)` samples,
    and even then weight *i* goes to whatever sample sits at position *i* of the batch, so
    shuffling scrambles it. Measured on TF 2.21 / Keras 3.15: any other batch size — the
    short last batch, `tf.data` `.batch(8)` — raises
    `InvalidArgumentError: Incompatible shapes: [4] vs. [5]`; with a matching batch size it
    runs and silently misattributes the weights.

    ## Example
    ```python
    weights = np.array([1.0, 2.0, 1.0, 0.5, 3.0])

    def weighted_mse(y_true, y_pred):
        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1) * weights
    ```

    ## Use instead
    ```python
    def mse(y_true, y_pred):
        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)

    model.fit(x, y, sample_weight=weights)  # one weight per training sample
    ```

    ## Verification
    `--verify` calls the loss at a batch size different from the constant's length (and at
    the same length, shuffled): an incompatible-shapes error or a changed value confirms it.
    """

    code = "TFS107"
    value_only = True
    name = "batch-sized-constant"
    message = ("{const} has a fixed length{length} but {op} lines it up with the batch axis of {other}; "
               "pass per-sample weights to fit(sample_weight=...)")
    severity = Severity.ERROR
    recipe = Recipe("batch_size_mismatch", {}, "batch size other than the constant's length, and shuffled")

    good = (
        Example('import numpy as np\nimport tensorflow as tf\n\n\ndef feature_scaled_loss(y_true, y_pred):\n    std = np.array([3.3, 23.3, 5.7, 22.4])\n    err = tf.reduce_sum(tf.square(y_true - y_pred), axis=2)\n    return tf.reduce_mean(err / std ** 2, axis=-1)\n',
                note="`axis=2` shows inputs of rank 3 or more: the per-feature constant lines up with the "
                     "feature axis the sum over time leaves, not with the batch"),
        Example('import numpy as np\nimport tensorflow as tf\n\n\ndef feature_scaled_loss(y_true, y_pred):\n    std = np.array([3.3, 23.3, 5.7, 22.4])\n    std.shape = (1, 4)\n    err = tf.reduce_sum(tf.square(y_true - y_pred), axis=2)\n    return tf.reduce_mean(err / std ** 2, axis=-1)\n',
                note="`std.shape = (1, 4)` reshapes the numpy array in place: a row of per-feature scales"),
        Example("import numpy as np\nimport tensorflow as tf\n\n"
                "CLASS_WEIGHTS = np.array([1.0, 2.0, 5.0])\n\n"
                "def weighted_cce(y_true, y_pred):\n"
                "    p = tf.clip_by_value(y_pred, 1e-7, 1.0)\n"
                "    return -tf.reduce_sum(y_true * tf.math.log(p) * CLASS_WEIGHTS, axis=-1)\n",
                note="per-class weights along the last axis"),
        Example("import numpy as np\nimport tensorflow as tf\n\n"
                "def make_loss(class_weights):\n"
                "    w = tf.constant(class_weights, tf.float32)\n"
                "    def loss(y_true, y_pred):\n"
                "        per_sample = tf.gather(w, tf.argmax(y_true, axis=-1))\n"
                "        return per_sample * tf.keras.losses.categorical_crossentropy(y_true, y_pred)\n"
                "    return loss\n\n"
                "model.compile(optimizer='adam', loss=make_loss(np.array([1.0, 3.0])))\n",
                note="class weights looked up per sample"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred, alpha=0.25):\n"
                "    return alpha * tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n",
                note="a scalar default"),
        Example("from tensorflow.keras import backend as K\n\n"
                "def loss(y_true, y_pred, w=[1.0, 1.0, 2.0]):\n"
                "    return K.mean(K.square(y_true - y_pred) * w, axis=-1)\n",
                note="a list along the last axis of (B, C)"),
        Example("import tensorflow as tf\n\n"
                "def weighted_loss(smooth):\n"
                "    class_weights = tf.constant([1.0, 2.0, 2.0, 1.0])\n"
                "    def loss(y_true, y_pred):\n"
                "        per_class = tf.square(y_true - y_pred) * class_weights\n"
                "        return tf.reduce_mean(per_class, axis=-1) + smooth\n"
                "    return loss\n",
                note="a never-called factory's constant along the class axis"),
    )
    bad = (
        Example("import numpy as np\nimport tensorflow as tf\n\n"
                "weights = np.array([1.0, 2.0, 1.0, 0.5, 3.0])\n\n"
                "def weighted_mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1) * weights\n\n"
                "model.compile(optimizer='adam', loss=weighted_mse)\n",
                line=7, message="weights has a fixed length (5) but * lines it up with the batch axis of "
                                "tf.reduce_mean(tf.square(y_true - y_p...; pass per-sample weights to "
                                "fit(sample_weight=...)",
                note="a module global"),
        Example("import numpy as np\nfrom tensorflow.keras import backend as K\n\n"
                "def make_loss(sample_weights):\n"
                "    def loss(y_true, y_pred):\n"
                "        per_sample = K.mean(K.square(y_true - y_pred), axis=-1)\n"
                "        return per_sample * sample_weights\n"
                "    return loss\n\n"
                "model.compile(optimizer='adam', loss=make_loss(np.ones(32)))\n",
                line=7, note="a factory argument"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred, w=tf.constant([0.5, 1.0, 1.0, 2.0])):\n"
                "    ce = tf.keras.losses.binary_crossentropy(y_true, y_pred)\n"
                "    return tf.multiply(w, ce)\n",
                line=5, note="a default argument"),
        Example("import keras\nfrom keras import ops\n\nclass Weighted(keras.losses.Loss):\n"
                "    def __init__(self, weights):\n"
                "        super().__init__()\n"
                "        self.weights = weights\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        w = [1.0, 1.0, 2.0, 2.0]\n"
                "        return ops.mean(ops.abs(y_true - y_pred), axis=-1) * w\n",
                line=11, note="a list literal in a Loss subclass"),
        Example("import tensorflow as tf\n\n"
                "def weighted_loss(scale):\n"
                "    weights = tf.constant([1.0, 2.0, 2.0, 1.0])\n"
                "    def loss(y_true, y_pred):\n"
                "        per_sample = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "        return scale * (per_sample * weights)\n"
                "    return loss\n",
                line=7, note="a factory the file never calls: analysed with an unknown argument"),
        Example("import tensorflow as tf\n\nSAMPLE_W = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])\n\n"
                "def weighted_mse(y_true, y_pred, weights):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1) * weights\n\n"
                "def make(weights):\n"
                "    def loss(y_true, y_pred):\n"
                "        return weighted_mse(y_true, y_pred, weights)\n"
                "    return loss\n\n"
                "model.compile(optimizer='sgd', loss=make(SAMPLE_W))\n",
                line=6, note="a module constant through a factory argument into a helper"),
        Example("import tensorflow as tf\n\nW = tf.random.uniform((5, 3))\n\n"
                "def weighted_mse(y_true, y_pred, weights):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * weights, axis=-1)\n\n"
                "model.compile(optimizer='sgd', loss=lambda t, p: weighted_mse(t, p, W))\n",
                line=6, note="a (5, 3) constant against (B, 3): batch-sized, not a rank mismatch"),
    )

    def check_operands(self, scope: Scope, node: cst.BinaryOperation | cst.Call | cst.AugAssign, op: str,
                       left: cst.BaseExpression, right: cst.BaseExpression) -> None:
        if op not in ("*", "/"):
            return
        lv, rv = self.value(left), self.value(right)
        if lv is None or rv is None:
            return
        for const, cv, other, ov in ((left, lv, right, rv), (right, rv, left, lv)):
            if _fixed_vector(cv) and _per_sample(ov) or _fixed_matrix(cv) and _per_element(ov):
                if scope.inputs_rank_at_least() > 2:
                    # ``(B, N, T)`` inputs: a value one rank below them still has an axis after the
                    # batch, and a constant lines up with that one (read only for a candidate)
                    return
                length = f" ({cv.length})" if cv.length is not None else ""
                self.report(const, const=short(const), length=length, op=op, other=short(other))
                return


def _fixed_vector(value: Value) -> bool:
    """A rank-1 constant of fixed length with no batch axis (numpy, tf.constant, list)."""
    if value.batch or value.origin or value.rank != 1 or value.dtype not in _CONSTANT_DTYPES:
        return False
    if value.has(Tag.RANGE) or value.has(Tag.SHAPE_VECTOR) or value.has(Tag.GATHERED):
        return False
    if value.length is not None:
        return value.length > 1
    return value.has(Tag.CONSTANT) or value.dtype in (DType.NUMPY, DType.LIST)


def _fixed_matrix(value: Value) -> bool:
    """A ``(N, C)`` constant: with ``(B, C)`` inputs its first axis meets the batch axis."""
    return (not value.batch and not value.origin and value.rank == 2 and value.dtype in _CONSTANT_DTYPES
            and value.length is not None and value.length > 1)


def _per_element(value: Value) -> bool:
    """An element-wise value of the inputs' rank (``(B, C)`` as the rule assumes)."""
    return value.tensor and value.batch and value.rel == 0 and bool(value.origin)


def _per_sample(value: Value) -> bool:
    """One value per sample: the batch axis is the last axis (rank r - 1 for (B, C) inputs)."""
    return value.tensor and value.batch and value.rel == -1 and bool(value.origin)
