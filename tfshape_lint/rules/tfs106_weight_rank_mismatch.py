"""TFS106 weight-rank-mismatch."""

from __future__ import annotations

import ast
from functools import cached_property

import libcst as cst

from tfshape_lint.analysis.losses import Context
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import Grad, Mark, Origin, Tag, Value
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._shape_fixes import ElementwiseOperands, short, weight_on_loss, with_trailing_axes

#: a loss parameter with one of these names is a per-sample weight vector by convention
_SAMPLE_WEIGHT_PARAMS = frozenset({"sample_weight", "sample_weights"})
_FIT_METHODS = frozenset({"fit", "evaluate", "train_on_batch", "test_on_batch"})
_SUBCLASS_MESSAGE = ("{cls}.call returns one value per element, and Keras 3 multiplies a (B,) sample_weight "
                     "against its last axis; reduce it with axis=-1 or pass (B, T) weights")


class WeightRankMismatch(ElementwiseOperands, Rule):
    """## What it does
    Flags a per-sample weight or mask of rank `r` (for example `tf.cast(y_true[:, 0] >= 0,
    tf.float32)`, a `y_true` weight column, or a `sample_weight` parameter) that multiplies an
    element-wise loss of rank `r + 1` (for example `tf.square(y_true - y_pred)` on `(B, T)`
    targets) without `tf.expand_dims(w, -1)` or `w[:, None]`. Also flags, under Keras 3, a
    `keras.losses.Loss` subclass whose `call` returns one value per element (not reduced with
    `axis=-1`) in a file that passes `sample_weight=` to `fit`/`evaluate`.

    ## Why is this bad?
    Broadcasting aligns trailing axes: a `(B,)` weight meets the last axis `T` of a `(B, T)`
    loss, not the batch axis. Measured on TF 2.21 / Keras 3.15: with `T != B` it raises
    `ValueError: Dimensions must be equal, but are 3 and 4 ... input shapes: [4,3], [4]`; with
    `T == B` it runs and weights the wrong entries (0.193865 instead of 0.200605), and at
    batch size 1 it looks right. Keras 3 does the same with a `(B,)` `sample_weight` on a
    `(B, T)` per-sample loss (`squeeze_or_expand_to_same_rank` only handles a trailing axis of
    1): error when `T != B`, silently wrong weighting when `T == B`; tf_keras expands the
    weight and is correct.

    ## Example
    ```python
    def masked_mse(y_true, y_pred):
        valid = tf.cast(y_true[:, 0] >= 0, tf.float32)
        return tf.reduce_mean(tf.square(y_true - y_pred) * valid, axis=-1)
    ```

    ## Use instead
    ```python
    def masked_mse(y_true, y_pred):
        valid = tf.cast(y_true[:, 0] >= 0, tf.float32)
        return tf.reduce_mean(tf.square(y_true - y_pred) * valid[..., None], axis=-1)
    ```

    ## Fix safety
    Unsafe: `[..., None]` makes the weight broadcast over the last axis, which is what a
    per-sample weight means, but the loss value changes (it was wrong, or it raised).

    ## Verification
    `--verify` calls the loss with `(B, T)` targets at `T != B` and `T == B`: an incompatible
    shapes error, or a value that differs from the per-sample weighted numpy reference,
    confirms it.
    """

    code = "TFS106"
    value_only = True
    name = "weight-rank-mismatch"
    message = "{weight} has {fewer} than {loss}, so {op} aligns the batch axis with the last axis; expand it: {fixed}"
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    recipe = Recipe("weight_rank", {"shapes": [[4, 3], [4, 4]]}, "(B,T) targets with T != B and T == B")

    good = (
        Example("from tensorflow.keras import backend as K\n\ndef masked_mlm_loss(y_true, y_pred):\n"
                "    ids, mask = y_true[:, :, 0], y_true[:, :, 1]\n"
                "    ce = K.sparse_categorical_crossentropy(ids, y_pred)\n"
                "    return K.sum(mask * ce, axis=-1) / (K.sum(mask, axis=-1) + 1e-6)\n",
                note="token ids and a mask stacked on y_true's last axis: the sparse crossentropy over the ids "
                     "has their (B, T) shape, the mask's"),
        Example("import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                "    valid = tf.cast(y_true[:, 0] >= 0, tf.float32)\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * valid[:, None], axis=-1)\n",
                note="the weight is expanded"),
        Example("import tensorflow as tf\n\n\n"
                "def multi_annotator_loss(y_true, y_pred, annotators=3, classes=5):\n"
                "    reliability = y_pred[:, :annotators]\n"
                "    votes = tf.one_hot(tf.cast(y_true, tf.int32), depth=classes, axis=1)\n"
                "    per_annotator = (1.0 - reliability) * tf.reduce_sum(votes, axis=1)\n"
                "    return tf.reduce_mean(per_annotator, axis=-1)\n",
                note="one_hot with axis=1 puts the classes before the annotator axis of (B, R) labels; "
                     "summing that axis gives (B, R) back, the shape of the reliabilities"),
        Example("from tensorflow.keras import backend as K\n\n"
                "def sharpe_loss(y_true, y_pred):\n"
                "    weights = K.expand_dims(y_pred, axis=-1)\n"
                "    returns = K.sum(y_true * weights, axis=1)\n"
                "    return -K.mean(K.mean(returns, axis=1) / K.maximum(K.std(returns, axis=1), 1e-6))\n",
                note="the prediction is expanded to meet labels of a higher rank ((B,N,1) weights, (B,N,T) returns)"),
        Example("import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                "    valid = tf.cast(y_true >= 0, tf.float32)\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred) * valid, axis=-1)\n",
                note="an element-wise mask of the same rank"),
        Example("import tensorflow as tf\n\ndef weighted(y_true, y_pred):\n"
                "    w = y_true[:, 1]\n"
                "    per_sample = tf.reduce_mean(tf.square(y_true[:, :1] - y_pred), axis=-1)\n"
                "    return w * per_sample\n",
                note="a per-sample weight on a per-sample loss"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    w = tf.expand_dims(tf.cast(y_true[:, 0] > 0, tf.float32), -1)\n"
                "    return tf.reduce_mean(w * tf.abs(y_true - y_pred), axis=-1)\n",
                note="expand_dims"),
        Example("import tensorflow as tf\n\nclass PerSample(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=PerSample())\n"
                "model.fit(x, y, sample_weight=w)\n",
                note="a Loss returning one value per sample takes (B,) weights fine"),
        Example("import tensorflow as tf\n\nclass PerElement(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.square(y_true - y_pred)\n\n"
                "model.compile(optimizer='adam', loss=PerElement())\n"
                "model.fit(x, y, sample_weight=w)\n",
                config={"target-keras": "tf-keras"}, note="tf_keras expands the weight"),
        Example("import tensorflow as tf\n\nSAMPLE_W = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])\n\n"
                "def weighted_mse(y_true, y_pred, weights):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1) * weights\n\n"
                "model.compile(optimizer='sgd', loss=lambda t, p: weighted_mse(t, p, SAMPLE_W))\n",
                note="a length-5 constant is batch-sized (TFS107), not a (B,) weight"),
    )
    bad = (
        Example("import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                "    valid = tf.cast(y_true[:, 0] >= 0, tf.float32)\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * valid, axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                      "    valid = tf.cast(y_true[:, 0] >= 0, tf.float32)\n"
                      "    return tf.reduce_mean(tf.square(y_true - y_pred) * valid[..., None], axis=-1)\n",
                line=5, message="valid has one axis fewer than tf.square(y_true - y_pred), so * aligns the "
                                "batch axis with the last axis; expand it: valid[..., None]"),
        Example("from tensorflow.keras import backend as K\n\ndef weighted_bce(y_true, y_pred):\n"
                "    labels, weights = y_true[:, :-1], y_true[:, -1]\n"
                "    bce = K.binary_crossentropy(labels, y_pred)\n"
                "    return K.mean(weights * bce, axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=weighted_bce)\n",
                fixed="from tensorflow.keras import backend as K\n\ndef weighted_bce(y_true, y_pred):\n"
                      "    labels, weights = y_true[:, :-1], y_true[:, -1]\n"
                      "    bce = K.binary_crossentropy(labels, y_pred)\n"
                      "    return K.mean(weights[..., None] * bce, axis=-1)\n\n"
                      "model.compile(optimizer='adam', loss=weighted_bce)\n",
                line=6, note="a weight column packed into y_true; K.binary_crossentropy is element-wise"),
        Example("import keras\nfrom keras import ops\n\ndef _apply(loss, mask):\n"
                "    return ops.multiply(loss, mask)\n\n"
                "class SeqLoss(keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        mask = ops.cast(ops.any(ops.not_equal(y_true, 0.0), axis=-1), 'float32')\n"
                "        return ops.mean(_apply(ops.square(y_true - y_pred), mask), axis=-1)\n",
                fixed="import keras\nfrom keras import ops\n\ndef _apply(loss, mask):\n"
                      "    return ops.multiply(loss, mask[..., None])\n\n"
                      "class SeqLoss(keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        mask = ops.cast(ops.any(ops.not_equal(y_true, 0.0), axis=-1), 'float32')\n"
                      "        return ops.mean(_apply(ops.square(y_true - y_pred), mask), axis=-1)\n",
                line=5, note="a helper in a Loss subclass, keras.ops spelling"),
        Example("import tensorflow as tf\n\ndef weighted_mse(y_true, y_pred, sample_weight):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * sample_weight)\n\n"
                "with tf.GradientTape() as tape:\n"
                "    loss = weighted_mse(y, model(x), w)\n"
                "grads = tape.gradient(loss, model.trainable_variables)\n",
                fixed="import tensorflow as tf\n\ndef weighted_mse(y_true, y_pred, sample_weight):\n"
                      "    return tf.reduce_mean(tf.square(y_true - y_pred) * sample_weight[..., None])\n\n"
                      "with tf.GradientTape() as tape:\n"
                      "    loss = weighted_mse(y, model(x), w)\n"
                      "grads = tape.gradient(loss, model.trainable_variables)\n",
                line=4, note="a sample_weight parameter in a custom loop"),
        Example("import tensorflow as tf\n\ndef seq_loss(y_true, y_pred):\n"
                "    loss = tf.square(y_true - y_pred)\n"
                "    valid = tf.cast(tf.reduce_any(y_true != 0, axis=-1), loss.dtype)\n"
                "    loss *= valid\n"
                "    return tf.reduce_mean(loss, axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef seq_loss(y_true, y_pred):\n"
                      "    loss = tf.square(y_true - y_pred)\n"
                      "    valid = tf.cast(tf.reduce_any(y_true != 0, axis=-1), loss.dtype)\n"
                      "    loss *= valid[..., None]\n"
                      "    return tf.reduce_mean(loss, axis=-1)\n",
                line=6, note="an augmented assignment"),
        Example("import tensorflow as tf\n\nclass PerElement(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.square(y_true - y_pred)\n\n"
                "model.compile(optimizer='adam', loss=PerElement())\n"
                "model.fit(x, y, sample_weight=w)\n",
                fixed=None, line=5, message="PerElement.call returns one value per element, and Keras 3 "
                "multiplies a (B,) sample_weight against its last axis; reduce it with axis=-1 or pass (B, T) weights",
                note="(B,) sample_weight on a Loss that returns (B, T) under Keras 3"),
    )

    def check_loss(self, loss: Scope) -> None:
        if not isinstance(loss.node, cst.FunctionDef) or loss.context is not Context.SUBCLASS:
            return
        if self.config.target_keras != "3" or not self._fit_sample_weight:
            return
        cls = loss.spec.path[-2] if len(loss.spec.path) >= 2 else "Loss"
        if _sparse_labels(loss):
            return  # values shaped like sparse labels are per sample for (B,) labels
        for expr, value in loss.returns:
            if _per_element_loss(value):
                self.report(expr, message=_SUBCLASS_MESSAGE, cls=cls, severity=Severity.WARNING)

    @cached_property
    def _fit_sample_weight(self) -> bool:
        """Whether the file passes ``sample_weight=`` to ``fit``/``evaluate``/``train_on_batch``."""
        if not "sample_weight" in self.index.training_keywords:
            return False
        for node in self.index.nodes:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in _FIT_METHODS \
                    and any(kw.arg == "sample_weight" for kw in node.keywords):
                return True
        return False

    def check_operands(self, scope: Scope, node: cst.BinaryOperation | cst.Call | cst.AugAssign, op: str,
                       left: cst.BaseExpression, right: cst.BaseExpression) -> None:
        lv, rv = self._weight_value(left), self._weight_value(right)
        if lv is None or rv is None or not _batch(lv) or not _batch(rv) or lv.rel == rv.rel:
            return
        if lv.marked(Mark.RANK_MISMATCH) or rv.marked(Mark.RANK_MISMATCH):
            return  # reported where the mismatch arose
        (weight, wv), (loss, losv) = sorted(((left, lv), (right, rv)), key=lambda p: p[1].rel or 0)
        if not weight_on_loss(op, wv, losv):
            return
        assert wv.rel is not None and losv.rel is not None
        gap = losv.rel - wv.rel
        fixed = with_trailing_axes(weight, gap)
        fewer = "one axis fewer" if gap == 1 else f"{gap} axes fewer"
        self.report(weight, weight=short(weight), fewer=fewer, loss=short(loss), op=op,
                    fixed=short(fixed, 60), fix=fixed)

    def _weight_value(self, node: cst.BaseExpression) -> Value | None:
        """The node's value; a ``sample_weight`` parameter counts as a ``(B,)`` weight."""
        value = self.value(node)
        if value is not None and value.rel is None and value.has(Tag.PARAM) and isinstance(node, cst.Name) \
                and node.value in _SAMPLE_WEIGHT_PARAMS:
            return value.evolve(rel=-1, batch=True, grad=Grad.NONE, origin=frozenset({Origin.SAMPLE_WEIGHT}))
        return value


def _batch(value: Value) -> bool:
    return value.tensor and value.batch and value.rel is not None and bool(value.origin)


def _sparse_labels(scope: Scope) -> bool:
    """Whether the loss treats ``y_true`` as class ids (one_hot, gather, a sparse loss): its
    outputs then have the labels' shape, which is one value per sample for ``(B,)`` labels."""
    return any(v.has(Tag.ONE_HOT) or v.has(Tag.GATHERED) or v.has(Tag.LOSS_FN) or v.has(Tag.PER_SAMPLE)
               for s in scope.all_scopes() for v in s.values.values())


def _per_element_loss(value: Value) -> bool:
    """An unreduced loss: same rank as the inputs, batch axis kept, differentiable in y_pred."""
    return value.tensor and value.rel == 0 and value.batch and value.grad is Grad.DIFF \
        and not value.has(Tag.INPUT) and not value.marked(Mark.RANK_MISMATCH)
