"""TFS201 non-float-mask."""

from __future__ import annotations

from typing import Callable

import libcst as cst

from tfshape_lint.analysis.ops import lookup
from tfshape_lint.analysis.values import DType, Tag, Value
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._helpers import call_arg
from tfshape_lint.rules._shape_fixes import cast, short
from tfshape_lint.source import reassigned

_ARITHMETIC = {cst.Multiply: "*", cst.Divide: "/", cst.Add: "+", cst.Subtract: "-"}
_AUGMENTED = {cst.MultiplyAssign: "*", cst.DivideAssign: "/", cst.AddAssign: "+", cst.SubtractAssign: "-"}
_OPS = frozenset({"add", "subtract", "multiply", "divide", "truediv"})
#: reductions whose TensorFlow kernels reject bool (measured: ``tf.reduce_sum``/``reduce_mean``/
#: ``reduce_prod`` and tf.keras's/tf_keras's ``K.sum``/``K.prod`` raise "Value for attr 'T' of
#: bool"; ``K.mean`` casts bool to floatx first, ``keras.ops.sum`` counts)
_BOOL_REJECTING = frozenset({("tf", "sum"), ("tf", "mean"), ("tf", "prod"), ("K", "sum"), ("K", "prod")})
#: provenance that makes an int/bool tensor a mask or weight (not a count or an index)
_MASK_TAGS = frozenset({Tag.COMPARISON, Tag.MASK, Tag.CAST, Tag.CONSTANT})
_NOT_MASK_TAGS = frozenset({Tag.COUNT, Tag.BATCH_SIZE, Tag.STATIC_BATCH, Tag.DIM, Tag.SHAPE_VECTOR, Tag.INDEX})


class NonFloatMask(Rule):
    """## What it does
    Flags an integer or boolean *tensor* used as a mask or weight in float arithmetic
    (`*`, `/`, `+`, `-`, `tf.multiply`, ...) with a float tensor, without a cast to float: a
    comparison (`y_true > 0`, `tf.not_equal(...)`), `tf.cast(..., tf.int32)` or
    `tf.cast(..., tf.bool)`, `tf.constant([...], tf.int32)`, `tf.constant([1, 0, 1])` (a list of Python ints; items the
    code computes, such as a factory's `weights[0]`, have their own dtype, not int32),
    `tf.sequence_mask(...)`; also a count from TensorFlow's shape ops (`tf.shape(y_pred)[0]`,
    `tf.size(y_pred)`: int32 tensors) that scales or divides a float loss; an int mask times a
    ratio of int counts (`mask * (0.5 / (tf.reduce_sum(mask) / tf.size(mask)))`: `/` of int32
    tensors is TensorFlow's truediv, a float64 tensor, and int32 times float64 raises); and a bool tensor
    counted or averaged by TensorFlow's own reductions (`tf.reduce_sum(y_true > 0)`,
    `K.sum(mask)`, `tf.reduce_mean(...)`), whose kernels have no bool version (measured:
    `InvalidArgumentError: Value for attr 'T' of bool is not in the list of allowed values`;
    `K.mean` casts bools to float first, and `keras.ops.sum` and `tf.math.count_nonzero` count
    them: those are fine). Masks that are numpy arrays or Python lists are converted to float
    automatically and are fine, as is any mask built with `tf.cast(..., tf.float32)` or
    `tf.cast(..., y_pred.dtype)`, and so are the `keras.ops` arithmetic functions
    (`ops.multiply(x, mask)`), which promote bool and int operands to float.

    ## Why is this bad?
    TensorFlow does not promote dtypes. Measured on TF 2.21 / Keras 3.15:
    an int32 mask raises everywhere (`TypeError: Input 'y' of 'Mul' Op has type int32
    that does not match type float32 of argument 'x'` in `fit`). A bool mask is worse: `float *
    bool` with the `*` operator returns a **bool** tensor without complaint, which then fails in
    the reduction, ends in `ValueError: No gradients provided for any variable`, or — when it is
    added to another term — silently contributes nothing to training. `tf.multiply(float,
    bool)` raises.

    ## Example
    ```python
    def masked_mse(y_true, y_pred):
        mask = tf.not_equal(y_true, -1)
        return tf.reduce_mean(tf.square(y_true - y_pred) * mask, axis=-1)
    ```

    ## Use instead
    ```python
    def masked_mse(y_true, y_pred):
        mask = tf.not_equal(y_true, -1)
        return tf.reduce_mean(tf.square(y_true - y_pred) * tf.cast(mask, y_pred.dtype), axis=-1)
    ```

    ## Fix safety
    Safe: a 0/1 mask cast to the prediction's float dtype multiplies exactly as intended, and
    the cast keeps the computation differentiable with respect to `y_pred`.

    ## Verification
    `--verify` runs the loss eagerly and in one `fit` step: a dtype error, a bool result, or
    "No gradients provided" confirms it.
    """

    code = "TFS201"
    name = "non-float-mask"
    message = "{kind} tensor {mask} enters float arithmetic ({op}); cast it first: {fixed}"
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    recipe = Recipe("dtype_mask", {}, "eager call and one fit step: dtype error, bool result or no gradients")

    good = (
        Example('import tensorflow as tf\n\n\nclass Hinge(tf.keras.losses.Loss):\n    def __init__(self, value_dtype=tf.float32):\n        super().__init__()\n        self.value_dtype = value_dtype\n\n    def call(self, y_true, y_pred):\n        one = tf.constant(1, dtype=self.value_dtype)\n        return tf.reduce_mean(tf.maximum(one - y_true * y_pred, 0.0), axis=-1)\n',
                note="`tf.constant(1, dtype=...)` has the dtype it asks for, not the int literal's"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def weighted_crossentropy(weights):\n"
                "    def loss(y_true, y_pred):\n"
                "        class_weights = tf.constant([[weights[0], weights[1], weights[2]]])\n"
                "        per_pixel = tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred)\n"
                "        return tf.reduce_sum(class_weights * y_true, axis=-1) * per_pixel\n"
                "    return loss\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=weighted_crossentropy([1.0, 1.0, 10.0]))\n",
                note="tf.constant of the factory's weights has their dtype (floats here), not int32"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n\n"
                "def soft_f1_loss(y_true, y_pred):\n"
                "    tp = tf.reduce_sum(y_pred * y_true, axis=0)\n"
                "    fp = tf.reduce_sum(y_pred * (1.0 - y_true), axis=0)\n"
                "    eps = tf.constant(K.epsilon(), y_pred.dtype.base_dtype)\n"
                "    return 1.0 - 2.0 * tp / (2.0 * tp + fp + eps)\n",
                note="a constant created with the prediction's own dtype (base_dtype of its dtype) is float"),
        Example("import tensorflow as tf\n\n\n"
                "def cluster_loss(labels, logits):\n"
                "    ids = tf.argmax(logits, axis=-1)\n"
                "    onehot = tf.one_hot(ids, 10, axis=0, dtype=tf.int64)\n"
                "    picked = tf.multiply(onehot, tf.cast(tf.range(tf.shape(ids)[0]), tf.int64))\n"
                "    return tf.reduce_mean(tf.cast(picked, tf.float32) * logits, axis=-1)\n",
                note="one_hot(..., dtype=tf.int64) is an int tensor: int times int is index arithmetic"),
        Example("from keras import backend as K\n\n\ndef smooth_l1(y_true, y_pred):\n"
                "    x = y_true - y_pred\n"
                "    x_abs = K.abs(x)\n"
                "    if K.image_dim_ordering() == 'th':\n"
                "        x_bool = K.less_equal(x_abs, 1.0)\n"
                "    else:\n"
                "        x_bool = K.cast(K.less_equal(x_abs, 1.0), 'float32')\n"
                "    return K.sum(x_bool * (0.5 * x * x) + (1 - x_bool) * (x_abs - 0.5), axis=-1)\n",
                note="Keras 2's channels-first ('th') branch is Theano's: on TensorFlow the cast branch runs"),
        Example("import tensorflow as tf\nfrom tensorflow import keras\n\ndef ctc_loss(y_true, y_pred):\n"
                "    batch = tf.shape(y_true)[0]\n"
                "    frames = tf.shape(y_pred)[1] * tf.ones((batch, 1), dtype='int32')\n"
                "    labels = tf.shape(y_true)[1] * tf.ones((batch, 1), dtype='int32')\n"
                "    return keras.backend.ctc_batch_cost(y_true, y_pred, frames, labels)\n",
                note="an int shape times ones of an int dtype is int arithmetic (the sequence lengths of a CTC loss)"),
        Example("from keras import ops\n\ndef masked_abs(y_true, y_pred):\n"
                "    valid = ops.greater(y_true, 0.0)\n"
                "    return ops.mean(ops.multiply(ops.abs(y_true - y_pred), valid), axis=-1)\n",
                note="keras.ops.multiply promotes a bool or int operand to float (measured: "
                     "[1.5, 2.5] x [False, True] gives [0.0, 2.5]); tf.multiply raises"),
        Example("import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                "    mask = tf.cast(tf.not_equal(y_true, -1), tf.float32)\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred) * mask, axis=-1)\n",
                note="the mask is cast to float"),
        Example("import numpy as np\nimport tensorflow as tf\n\nMASK = np.array([1, 0, 1])\n\n"
                "def loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * MASK, axis=-1)\n",
                note="numpy masks are converted to float automatically"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * [1.0, 0.0, 1.0], axis=-1)\n",
                note="a Python list is converted too"),
        Example("from keras import ops\n\ndef ranked_loss(y_true, y_pred):\n"
                "    err = ops.sum(ops.square(y_true - y_pred) * y_true, axis=-1)\n"
                "    return err / (ops.sum(y_true > 0) + 1.0)\n",
                note="keras.ops.sum counts a comparison (measured: it casts bool first); tf.reduce_sum raises"),
        Example("from tensorflow.keras import backend as K\n\ndef accuracy(y_true, y_pred):\n"
                "    return K.mean(K.equal(y_true, K.round(y_pred)), axis=-1)\n",
                note="the Keras backend's mean casts a bool tensor to floatx first (measured); its sum does not"),
        Example("from tensorflow.keras import backend as K\n\ndef loss(y_true, y_pred):\n"
                "    w = K.cast(K.greater(y_true, 0.5), K.floatx())\n"
                "    return K.mean(w * K.square(y_true - y_pred), axis=-1)\n"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    keep = y_true >= 0\n"
                "    err = tf.where(keep, tf.square(y_true - y_pred), tf.zeros_like(y_pred))\n"
                "    return tf.reduce_mean(err, axis=-1)\n",
                note="a bool tensor as the condition of where"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    n = tf.cast(tf.shape(y_true)[0], tf.float32)\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred), axis=-1) * n\n",
                note="a shape cast to float"),
        Example("import numpy as np\nimport tensorflow as tf\n\nCLASS_W = np.array([1.0, 2.0, 0.0])\n"
                "ACTIVE = CLASS_W > 0\n\n"
                "def loss(y_true, y_pred):\n"
                "    rare = np.greater(CLASS_W, 1.0)\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * ACTIVE * (1.0 + rare), axis=-1)\n",
                note="a comparison of numpy arrays is a numpy bool array: converted to float too "
                     "(measured: float32 result)"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "def loss(y_true, y_pred):\n"
                "    pos = y_true > 0.5\n"
                "    err = K.switch(pos, K.square(1.0 - y_pred), K.square(y_pred))\n"
                "    picked = tf.boolean_mask(err, tf.logical_and(pos, y_pred > 0.0))\n"
                "    n = tf.math.count_nonzero(pos, dtype=tf.float32)\n"
                "    w = tf.cast(pos, dtype=y_pred.dtype) + K.cast(tf.reduce_any(pos), 'float32')\n"
                "    return K.mean(err * w, axis=-1) + tf.reduce_sum(picked) / (n + 1.0)\n",
                note="ops that take bools (switch, boolean_mask, logical_and, count_nonzero, "
                     "reduce_any) and casts with a string or another tensor's dtype"),
        Example("from tensorflow.keras import backend as K\n\n\n"
                "def anomaly_loss(mean=None):\n"
                "    def loss(y_true, y_pred):\n"
                "        m = K.variable(mean)\n"
                "        return K.mean((y_pred - m) * (y_true - m), axis=-1)\n"
                "    return loss\n\n\n"
                "model.compile(optimizer='adam', loss=anomaly_loss())\n",
                note="K.variable makes a floatx() variable whatever it is given (measured: float32 from "
                     "an int array)"),
    )
    bad = (
        Example("import tensorflow as tf\n\ndef background_focal(y_true, y_pred):\n"
                "    labels = tf.cast(y_true, 'uint32')\n"
                "    flipped = tf.where((labels == 0) | (labels == 1), labels ^ 1, labels)\n"
                "    return tf.reduce_mean(y_pred * flipped, axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef background_focal(y_true, y_pred):\n"
                      "    labels = tf.cast(y_true, 'uint32')\n"
                      "    flipped = tf.where((labels == 0) | (labels == 1), labels ^ 1, labels)\n"
                      "    return tf.reduce_mean(y_pred * tf.cast(flipped, y_pred.dtype), axis=-1)\n",
                line=6, note="a mask flipped with `^ 1` and chosen with tf.where is still a uint32 mask"),
        Example("import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                "    mask = tf.not_equal(y_true, -1)\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * mask, axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                      "    mask = tf.not_equal(y_true, -1)\n"
                      "    return tf.reduce_mean(tf.square(y_true - y_pred) * tf.cast(mask, y_pred.dtype), axis=-1)\n",
                line=5, message="bool tensor mask enters float arithmetic (*); cast it first: "
                                "tf.cast(mask, y_pred.dtype)"),
        Example("import tensorflow as tf\n\ndef background_loss(y_true, y_pred):\n"
                "    fg = y_true > 0.5\n"
                "    return tf.reduce_mean((1 - fg) * tf.square(y_pred), axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef background_loss(y_true, y_pred):\n"
                      "    fg = y_true > 0.5\n"
                      "    return tf.reduce_mean((1 - tf.cast(fg, y_pred.dtype)) * tf.square(y_pred), axis=-1)\n",
                line=5, message="bool tensor fg enters float arithmetic (-); cast it first: tf.cast(fg, y_pred.dtype)",
                note="`1 - bool_tensor` raises TypeError (TensorFlow converts the 1 to bool); the cast goes "
                     "on the mask, inside the complement"),
        Example("from tensorflow.keras import backend as K\n\ndef ranked_loss(y_true, y_pred):\n"
                "    err = K.sum(K.square(y_true - y_pred) * y_true, axis=-1)\n"
                "    return err / (K.sum(y_true > 0) + 1.0)\n",
                fixed="from tensorflow.keras import backend as K\n\ndef ranked_loss(y_true, y_pred):\n"
                      "    err = K.sum(K.square(y_true - y_pred) * y_true, axis=-1)\n"
                      "    return err / (K.sum(K.cast(y_true > 0, y_pred.dtype)) + 1.0)\n",
                line=5, note="TensorFlow's sum has no bool kernel: counting a comparison with K.sum raises"),
        Example("import tensorflow as tf\n\nMASK = tf.constant([[1, 1, 0]], tf.int32)\n\n"
                "class Masked(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.reduce_mean(tf.multiply(tf.square(y_true - y_pred), MASK), axis=-1)\n",
                fixed="import tensorflow as tf\n\nMASK = tf.constant([[1, 1, 0]], tf.int32)\n\n"
                      "class Masked(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        return tf.reduce_mean(tf.multiply(tf.square(y_true - y_pred), tf.cast(MASK, y_pred.dtype)), axis=-1)\n",
                line=7, note="an int32 global constant in a Loss subclass"),
        Example("from keras import ops\n\ndef make_loss(pad):\n"
                "    def loss(y_true, y_pred):\n"
                "        keep = ops.cast(ops.not_equal(y_true, pad), 'int32')\n"
                "        return ops.mean(keep * ops.abs(y_true - y_pred), axis=-1)\n"
                "    return loss\n\nmodel.compile(optimizer='adam', loss=make_loss(0.0))\n",
                fixed="from keras import ops\n\ndef make_loss(pad):\n"
                      "    def loss(y_true, y_pred):\n"
                      "        keep = ops.cast(ops.not_equal(y_true, pad), 'int32')\n"
                      "        return ops.mean(ops.cast(keep, y_pred.dtype) * ops.abs(y_true - y_pred), axis=-1)\n"
                      "    return loss\n\nmodel.compile(optimizer='adam', loss=make_loss(0.0))\n",
                line=6, note="keras.ops spelling in a factory closure"),
        Example("import tensorflow.keras.backend as K\n\ndef _weighted(err, valid):\n"
                "    return err * valid\n\n"
                "def loss(y_true, y_pred):\n"
                "    return K.mean(_weighted(K.square(y_true - y_pred), y_true > 0), axis=-1)\n",
                fixed="import tensorflow.keras.backend as K\n\ndef _weighted(err, valid):\n"
                      "    return err * K.cast(valid, err.dtype)\n\n"
                      "def loss(y_true, y_pred):\n"
                      "    return K.mean(_weighted(K.square(y_true - y_pred), y_true > 0), axis=-1)\n",
                line=4, note="a comparison passed to a helper"),
        Example("import tensorflow as tf\n\n"
                "loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction='none')\n\n"
                "def masked_loss(y_true, y_pred):\n"
                "    mask = tf.math.logical_not(tf.math.equal(y_true, 0))\n"
                "    loss_ = loss_object(y_true, y_pred)\n"
                "    loss_ *= mask\n"
                "    return tf.reduce_sum(loss_, axis=-1) / tf.maximum(tf.reduce_sum(tf.cast(mask, tf.float32), axis=-1), 1.0)\n",
                fixed="import tensorflow as tf\n\n"
                      "loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction='none')\n\n"
                      "def masked_loss(y_true, y_pred):\n"
                      "    mask = tf.math.logical_not(tf.math.equal(y_true, 0))\n"
                      "    loss_ = loss_object(y_true, y_pred)\n"
                      "    loss_ *= tf.cast(mask, y_pred.dtype)\n"
                      "    return tf.reduce_sum(loss_, axis=-1) / tf.maximum(tf.reduce_sum(tf.cast(mask, tf.float32), axis=-1), 1.0)\n",
                line=8, note="an augmented assignment (the transformer tutorial pattern, without its cast)"),
        Example("import tensorflow as tf\n\ndef box_loss(y_true, y_pred):\n"
                "    batch_size = tf.shape(y_pred)[0]\n"
                "    total = tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n"
                "    return total * batch_size\n",
                fixed="import tensorflow as tf\n\ndef box_loss(y_true, y_pred):\n"
                      "    batch_size = tf.shape(y_pred)[0]\n"
                      "    total = tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n"
                      "    return total * tf.cast(batch_size, y_pred.dtype)\n",
                line=6, message="int tensor batch_size enters float arithmetic (*); cast it first: "
                                "tf.cast(batch_size, y_pred.dtype)",
                note="tf.shape and tf.size give int32 tensors, which TensorFlow never promotes (measured: "
                     "InvalidArgumentError for *, TypeError for /)"),
        Example("import numpy as np\nimport tensorflow as tf\n\nTHRESH = np.array([0.5, 0.2, 0.7])\n\n"
                "def loss(y_true, y_pred):\n"
                "    hit = y_true > THRESH\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * hit, axis=-1)\n",
                fixed="import numpy as np\nimport tensorflow as tf\n\nTHRESH = np.array([0.5, 0.2, 0.7])\n\n"
                      "def loss(y_true, y_pred):\n"
                      "    hit = y_true > THRESH\n"
                      "    return tf.reduce_mean(tf.square(y_true - y_pred) * tf.cast(hit, y_pred.dtype), axis=-1)\n",
                line=8, note="a tensor compared with a numpy array is a bool tensor"),
    )

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        op = _ARITHMETIC.get(type(node.operator))
        if op is not None:
            self._check(node, node.left, node.right, op, operator=True)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        op = _AUGMENTED.get(type(node.operator))
        if op is not None:
            self._check(node, node.target, node.value, op, operator=True)

    def visit_Call(self, node: cst.Call) -> None:
        canon = self.canonical(node.func)
        if canon is not None and canon.startswith("ops."):
            return  # keras.ops arithmetic promotes bool and int operands to float (measured)
        spec = lookup(canon)
        if spec is not None and canon is not None and (canon.split(".")[0], spec.op) in _BOOL_REJECTING:
            self._check_reduced(node, short(node.func))
            return
        if spec is None or spec.op not in _OPS:
            return
        left, right = call_arg(node, 0, "x", "x1", "a"), call_arg(node, 1, "y", "x2", "b")
        if left is not None and right is not None:
            self._check(node, left, right, short(node.func), operator=False)

    def _check_reduced(self, node: cst.Call, op: str) -> None:
        """``tf.reduce_sum(y_true > 0)``: TensorFlow's sum, mean and product kernels have no
        bool version (``keras.ops`` casts first), so the count of a comparison raises."""
        arg = call_arg(node, 0, "input_tensor", "x", "a", "input")
        value = self.value(arg) if arg is not None else None
        if arg is not None and value is not None and value.tensor and value.dtype is DType.BOOL:
            self._report(arg, value, arg, op, operator=False)

    def _check(self, node: cst.CSTNode, left: cst.BaseExpression, right: cst.BaseExpression,
               op: str, operator: bool) -> None:
        lv, rv = self.value(left), self.value(right)
        if lv is None or rv is None:
            return
        pairs = [(right, rv, left, lv), (left, lv, right, rv)]
        if isinstance(node, cst.AugAssign):
            pairs = pairs[:1]  # the target of ``loss *= mask`` cannot be wrapped in a cast
        for mask, mv, other, ov in pairs:
            if _is_float_tensor(ov) and _is_int_mask(mv):
                if not _number_and_bool(mask, self.value):  # ``(1 - m) * x``: reported at ``1 - m``
                    self._report(mask, mv, other, op, operator)
                return
            if operator and op != "*" and _number_meets_bool(ov, mv):
                # ``1 - x_bool``: TensorFlow converts the number to the bool tensor's dtype and
                # raises at once (TypeError "Cannot convert 1 to EagerTensor of dtype bool",
                # measured); ``x_bool * 0.5`` converts too, and gives a bool tensor
                self._report(mask, mv, other, op, operator)
                return

    def _report(self, mask: cst.BaseExpression, value: Value, other: cst.BaseExpression,
                op: str, operator: bool) -> None:
        fixed, imports = cast(self.index, mask, self._dtype(other))
        kind = "bool" if value.dtype is DType.BOOL else "int"
        severity = Severity.WARNING if kind == "bool" and operator and op == "*" else Severity.ERROR
        self.report(mask, kind=kind, mask=short(mask), op=op, fixed=short(fixed, 60),
                    fix=fixed, fix_imports=imports, severity=severity)

    def _dtype(self, other: cst.BaseExpression) -> str:
        """The dtype to cast to: ``y_pred.dtype`` while that name is the prediction, else the
        float operand's dtype, else float32."""
        loss = self.loss
        if loss is not None and loss.y_pred is not None and not reassigned(loss.node, loss.y_pred):
            return f"{loss.y_pred}.dtype"
        if isinstance(other, cst.Name):
            return f"{other.value}.dtype"
        return "float32"


def _number_meets_bool(number: Value, mask: Value) -> bool:
    """A Python number against a bool tensor (``1 - x_bool``)."""
    return mask.tensor and mask.dtype is DType.BOOL and number.dtype is DType.PY and not number.tensor


def _number_and_bool(expr: cst.BaseExpression, value_of: Callable[[cst.BaseExpression], Value | None]) -> bool:
    """Whether ``expr`` is ``<number> +-/ <bool tensor>`` (either order): that raises where the
    number meets the bool tensor, which is the finding; the float arithmetic around it is not
    a second one."""
    if not (isinstance(expr, cst.BinaryOperation) and type(expr.operator) in _ARITHMETIC
            and not isinstance(expr.operator, cst.Multiply)):
        return False
    left, right = value_of(expr.left), value_of(expr.right)
    if left is None or right is None:
        return False
    return _number_meets_bool(left, right) or _number_meets_bool(right, left)


def _is_float_tensor(value: Value) -> bool:
    return value.tensor and value.dtype is DType.FLOAT


def _is_int_mask(value: Value) -> bool:
    if not value.tensor or value.dtype not in (DType.INT, DType.BOOL):
        return False
    if value.dtype is DType.INT and value.has(Tag.TF_INT):
        return True  # tf.shape(y)[0], tf.size(y): an int32 tensor (Keras's own ops would promote)
    if value.tags & _NOT_MASK_TAGS:
        return False
    return value.dtype is DType.BOOL or bool(value.tags & _MASK_TAGS)
