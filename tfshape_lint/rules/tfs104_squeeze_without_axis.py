"""TFS104 squeeze-without-axis."""

from __future__ import annotations

import libcst as cst

from tfshape_lint.analysis.ops import Kind, lookup
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._helpers import call_arg, literal, minus_one, with_keyword
from tfshape_lint.source import code_of


class SqueezeWithoutAxis(Rule):
    """## What it does
    Flags `tf.squeeze`, `K.squeeze`, `keras.ops.squeeze` or `np.squeeze` called without an
    `axis` on a tensor that still has its batch axis, inside a loss.

    ## Why is this bad?
    Without an axis, squeeze removes *every* dimension of size 1, including the batch axis
    when a batch has one sample: `(1, 1)` becomes a scalar and a later `reduce_sum(..., axis=1)`
    raises `Invalid reduction dimension 1 for input with 1 dimensions`. When `fit` traces the
    loss with an unknown batch size (a partial last batch, any `tf.data` pipeline), the
    result has unknown rank and Keras 3 raises
    `ValueError: Cannot iterate over a shape with unknown rank.` (measured on TF 2.21 / Keras 3.15).

    ## Example
    ```python
    def loss(y_true, y_pred):
        return tf.reduce_mean(tf.square(tf.squeeze(y_true) - tf.squeeze(y_pred)), axis=-1)
    ```

    ## Use instead
    ```python
    def loss(y_true, y_pred):
        return tf.reduce_mean(tf.square(tf.squeeze(y_true, axis=-1) - tf.squeeze(y_pred, axis=-1)), axis=-1)
    ```

    ## Fix safety
    Unsafe: `axis=-1` assumes the size-1 dimension is the last one; if it is another axis the
    call now raises instead of silently dropping it.

    ## Verification
    `--verify` runs the loss at batch size 1 and in `fit` with a partial last batch (5
    samples, batch 4); an exception or a changed output rank confirms it.
    """

    code = "TFS104"
    name = "squeeze-without-axis"
    message = "{fn} without axis also drops the batch axis at batch size 1 and gives unknown rank in fit; pass axis=-1"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    recipe = Recipe("batch_one_and_partial", {}, "batch of 1 and a partial last batch in fit")

    good = (
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(tf.squeeze(y_true, axis=-1) - tf.squeeze(y_pred, axis=-1)))\n"),
        Example("import tensorflow as tf\n\nx = tf.squeeze(tf.ones((1, 3)))\n",
                note="outside a loss"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    w = tf.squeeze(tf.constant([[1.0, 2.0]]))\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * w, axis=-1)\n",
                note="a constant has no batch axis"),
    )
    bad = (
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    diff = tf.squeeze(y_true) - tf.squeeze(y_pred, axis=-1)\n"
                "    return tf.reduce_mean(tf.square(diff), axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                      "    diff = tf.squeeze(y_true, axis=-1) - tf.squeeze(y_pred, axis=-1)\n"
                      "    return tf.reduce_mean(tf.square(diff), axis=-1)\n",
                line=4),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\nclass L(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        p = tf.squeeze(y_pred, axis=None)\n"
                "        return K.mean(K.square(y_true[:, 0] - p), axis=-1)\n",
                fixed=None, line=6, note="axis=None is the same as no axis"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        spec = lookup(self.canonical(node.func))
        if spec is None or spec.kind is not Kind.SQUEEZE:
            return
        axis = call_arg(node, 1, "axis")
        if axis is not None and literal(axis) is not None:
            return
        target = call_arg(node, 0, "input", "x", "a")
        value = self.value(target) if target is not None else None
        if value is None or not value.batch:
            return
        fix = with_keyword(node, "axis", minus_one()) if axis is None else None
        self.report(node, fn=code_of(node.func), fix=fix)
