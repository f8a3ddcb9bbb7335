"""TFS202 float-labels-as-indices."""

from __future__ import annotations

import libcst as cst

from tfshape_lint.analysis.losses import Context
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import DType
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._helpers import call_arg
from tfshape_lint.rules._shape_fixes import cast, short

#: canonical op -> (position, keywords) of its index argument. Only ops that do not cast their
#: indices themselves: keras.ops.one_hot, ops.take_along_axis and every
#: sparse_categorical_crossentropy cast labels to int64 and are fine with float labels.
INDEX_ARGS: dict[str, tuple[int, tuple[str, ...]]] = {
    "tf.one_hot": (0, ("indices",)),
    "K.one_hot": (0, ("indices",)),
    "tf.gather": (1, ("indices",)),
    "tf.compat.v1.gather": (1, ("indices",)),
    "tf.gather_nd": (1, ("indices",)),
    "K.gather": (1, ("indices",)),
    "ops.take": (1, ("indices",)),
    "tf.nn.embedding_lookup": (1, ("ids",)),
    "tf.nn.sparse_softmax_cross_entropy_with_logits": (0, ("labels",)),
    "tf.unsorted_segment_sum": (1, ("segment_ids",)),
    "tf.unsorted_segment_mean": (1, ("segment_ids",)),
    "tf.segment_sum": (1, ("segment_ids",)),
    "tf.bincount": (0, ("arr",)),
    # dense CTC labels go through tf.one_hot (measured: "Value for attr 'TI' of float");
    # K.ctc_batch_cost and keras.ops.ctc_loss cast them first
    "tf.nn.ctc_loss": (0, ("labels",)),
    "tf.nn.ctc_loss_v2": (0, ("labels",)),
}


class FloatLabelsAsIndices(Rule):
    """## What it does
    Flags `y_true` (or a tensor computed from it without a cast to an integer type) used as
    indices: the first argument of `tf.one_hot` / `K.one_hot`, the indices of `tf.gather`,
    `tf.gather_nd`, `K.gather`, `keras.ops.take`, `tf.nn.embedding_lookup`, the segment ids of
    `tf.math.unsorted_segment_sum`, or the labels of
    `tf.nn.sparse_softmax_cross_entropy_with_logits` and of `tf.nn.ctc_loss` (dense labels; it
    one-hots them, while `K.ctc_batch_cost` and `keras.ops.ctc_loss` cast them first). Labels cast with
    `tf.cast(y_true, tf.int32)` (or produced by `argmax`) are fine, and so are the ops that cast
    their indices themselves (`keras.ops.one_hot`, every `sparse_categorical_crossentropy`).

    ## Why is this bad?
    Keras 3 converts `y_true` to the loss dtype (float32) before a compiled loss or a `Loss`
    subclass sees it, even when the data are integer class ids (measured on TF 2.21 / Keras 3.15:
    `fit` passes integer `(B,)` labels to the loss as **float32**). The index ops then refuse the float tensor:
    `tf.one_hot` raises `InvalidArgumentError: Value for attr 'TI' of float is not in the list of
    allowed values`, `tf.gather` raises a similar dtype error, and the sparse softmax
    cross-entropy raises on float labels. The same loss often passes an eager unit test that
    feeds integer labels directly.

    ## Example
    ```python
    def focal_loss(y_true, y_pred):
        onehot = tf.one_hot(y_true[..., 0], depth=10)
        return -tf.reduce_sum(onehot * tf.math.log(tf.clip_by_value(y_pred, 1e-7, 1.0)), axis=-1)
    ```

    ## Use instead
    ```python
    def focal_loss(y_true, y_pred):
        onehot = tf.one_hot(tf.cast(y_true[..., 0], tf.int32), depth=10)
        return -tf.reduce_sum(onehot * tf.math.log(tf.clip_by_value(y_pred, 1e-7, 1.0)), axis=-1)
    ```

    ## Fix safety
    Safe: integer class ids survive a float32 round trip exactly (below 2**24), so casting the
    labels back to int32 changes nothing but the dtype.

    ## Verification
    `--verify` runs one `fit` step under Keras 3 with integer labels: the dtype error from the
    index op confirms it.
    """

    code = "TFS202"
    name = "float-labels-as-indices"
    message = "{arg} is float in Keras 3 fit but {fn} needs integer indices; cast it: {fixed}"
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    recipe = Recipe("fit_int_labels", {}, "one fit step with integer labels under Keras 3")

    good = (
        Example("import tensorflow as tf\n\n"
                "def picked_mse(y_true, y_pred):\n"
                "    rows = tf.range(tf.shape(y_true)[0])\n"
                "    index = tf.stack([rows, tf.cast(y_true[:, 1], \"int32\")], axis=-1)\n"
                "    return tf.square(y_true[:, 0] - tf.gather_nd(y_pred, index))\n",
                note="integers stacked with integers are integer gather indices"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    labels = tf.cast(y_true[..., 0], tf.int32)\n"
                "    onehot = tf.one_hot(labels, 10)\n"
                "    return tf.keras.losses.categorical_crossentropy(onehot, y_pred)\n",
                note="cast to int before one_hot"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    idx = tf.argmax(y_true, axis=-1)\n"
                "    return -tf.math.log(tf.gather(y_pred, idx, batch_dims=1) + 1e-7)\n",
                note="argmax gives integer indices"),
        Example("from keras import ops\n\ndef loss(y_true, y_pred):\n"
                "    onehot = ops.one_hot(ops.squeeze(y_true, axis=-1), 10)\n"
                "    return ops.categorical_crossentropy(onehot, y_pred)\n",
                note="keras.ops.one_hot casts its input to int64 itself"),
        Example("import tensorflow as tf\n\ndef train_step(model, x, labels):\n"
                "    with tf.GradientTape() as tape:\n"
                "        logits = model(x)\n"
                "        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))\n"
                "    return tape.gradient(loss, model.trainable_variables)\n",
                note="custom-loop code: the labels are whatever the dataset holds"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    return tf.keras.losses.sparse_categorical_crossentropy(y_true, y_pred)\n",
                note="the built-in sparse loss casts the labels"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    onehot = tf.one_hot(tf.cast(y_true[..., 0], tf.int32), 10)\n"
                "    return tf.keras.losses.categorical_crossentropy(onehot, y_pred)\n\n"
                "model.compile(optimizer='adam', loss=loss)\n",
                config={"target-keras": "3"}, note="cast inline"),
    )
    bad = (
        Example("import tensorflow as tf\n\ndef focal_loss(y_true, y_pred):\n"
                "    onehot = tf.one_hot(y_true[..., 0], depth=10)\n"
                "    return tf.keras.losses.categorical_crossentropy(onehot, y_pred)\n",
                fixed="import tensorflow as tf\n\ndef focal_loss(y_true, y_pred):\n"
                      "    onehot = tf.one_hot(tf.cast(y_true[..., 0], tf.int32), depth=10)\n"
                      "    return tf.keras.losses.categorical_crossentropy(onehot, y_pred)\n",
                line=4, message="y_true[..., 0] is float in Keras 3 fit but tf.one_hot needs integer indices; "
                                "cast it: tf.cast(y_true[..., 0], tf.int32)"),
        Example("import tensorflow as tf\n\nclass CTCLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        frames = tf.fill([tf.shape(y_pred)[0]], tf.shape(y_pred)[1])\n"
                "        lengths = tf.fill([tf.shape(y_true)[0]], tf.shape(y_true)[1])\n"
                "        return tf.nn.ctc_loss(y_true, y_pred, lengths, frames, logits_time_major=False)\n",
                fixed="import tensorflow as tf\n\nclass CTCLoss(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        frames = tf.fill([tf.shape(y_pred)[0]], tf.shape(y_pred)[1])\n"
                      "        lengths = tf.fill([tf.shape(y_true)[0]], tf.shape(y_true)[1])\n"
                      "        return tf.nn.ctc_loss(tf.cast(y_true, tf.int32), y_pred, lengths, frames, logits_time_major=False)\n",
                line=7, note="dense CTC labels: tf.nn.ctc_loss one-hots them"),
        Example("import tensorflow as tf\n\nclass CTCLoss(tf.keras.losses.Loss):\n    def call(self, y_true, y_pred):\n        if isinstance(y_true, (list, tuple)):\n            y_true, lengths = y_true\n        else:\n            lengths = tf.reduce_sum(tf.cast(tf.not_equal(y_true, 0), tf.int32), axis=-1)\n        frames = tf.fill(tf.shape(lengths), tf.shape(y_pred)[1])\n        return tf.nn.ctc_loss(y_true, y_pred, lengths, frames, logits_time_major=False, blank_index=0)\n",
                fixed="import tensorflow as tf\n\nclass CTCLoss(tf.keras.losses.Loss):\n    def call(self, y_true, y_pred):\n        if isinstance(y_true, (list, tuple)):\n            y_true, lengths = y_true\n        else:\n            lengths = tf.reduce_sum(tf.cast(tf.not_equal(y_true, 0), tf.int32), axis=-1)\n        frames = tf.fill(tf.shape(lengths), tf.shape(y_pred)[1])\n        return tf.nn.ctc_loss(tf.cast(y_true, tf.int32), y_pred, lengths, frames, logits_time_major=False, blank_index=0)\n",
                line=10, note="the branch for a (labels, lengths) pair serves custom calls; Keras hands the "
                               "Loss one tensor, so the labels are the float tensor"),
        Example("import tensorflow as tf\n\nclass SparseFocal(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        labels = tf.reshape(y_true, [-1])\n"
                "        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)\n"
                "        return ce\n",
                fixed="import tensorflow as tf\n\nclass SparseFocal(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        labels = tf.reshape(y_true, [-1])\n"
                      "        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int32), logits=y_pred)\n"
                      "        return ce\n",
                line=6, note="a Loss subclass through an intermediate variable"),
        Example("import tensorflow.keras.backend as K\n\ndef pick(p, t):\n"
                "    return K.gather(p, t)\n\n"
                "def make_loss(n):\n"
                "    def loss(y_true, y_pred):\n"
                "        return -K.log(pick(y_pred, K.flatten(y_true)) + K.epsilon())\n"
                "    return loss\n\n"
                "model.compile(optimizer='adam', loss=make_loss(3))\n",
                fixed="import tensorflow.keras.backend as K\n\ndef pick(p, t):\n"
                      "    return K.gather(p, K.cast(t, \"int32\"))\n\n"
                      "def make_loss(n):\n"
                      "    def loss(y_true, y_pred):\n"
                      "        return -K.log(pick(y_pred, K.flatten(y_true)) + K.epsilon())\n"
                      "    return loss\n\n"
                      "model.compile(optimizer='adam', loss=make_loss(3))\n",
                line=4, note="a helper called from a factory's loss, K spelling"),
        Example("import tensorflow as tf\n\nmodel.compile(optimizer='adam',\n"
                "              loss=lambda y_true, y_pred: tf.reduce_sum(tf.one_hot(y_true, 5) * y_pred, axis=-1))\n",
                fixed="import tensorflow as tf\n\nmodel.compile(optimizer='adam',\n"
                      "              loss=lambda y_true, y_pred: tf.reduce_sum(tf.one_hot(tf.cast(y_true, tf.int32), 5) * y_pred, axis=-1))\n",
                line=4, note="a lambda in compile"),
    )

    def applies(self, loss: Scope) -> bool:
        if not super().applies(loss):
            return False
        if loss.context is Context.DIRECT:
            return False  # custom loops pass the dataset's labels as they are
        if self.config.target_keras != "3" and loss.context is Context.COMPILE:
            return False  # tf_keras keeps integer labels integer in fit
        if loss.context is Context.UNKNOWN:
            return loss.spec.params[:1] == ("y_true",)
        return True

    def visit_Call(self, node: cst.Call) -> None:
        canon = self.canonical(node.func)
        where = INDEX_ARGS.get(canon or "")
        if canon is None or where is None:
            return
        arg = call_arg(node, where[0], *where[1])
        value = self.value(arg) if arg is not None else None
        if arg is None or value is None or not value.tensor:
            return
        if value.dtype is not DType.FLOAT or not value.from_true or value.from_pred:
            return
        fixed, imports = cast(self.index, arg, "int32")
        self.report(node, arg=short(arg), fn=short(node.func), fixed=short(fixed, 60),
                    fix=_replace_arg(node, arg, fixed), fix_imports=imports)


def _replace_arg(call: cst.Call, old: cst.BaseExpression, new: cst.BaseExpression) -> cst.Call:
    return call.with_changes(args=[a.with_changes(value=new) if a.value is old else a for a in call.args])
