"""TFS104 squeeze-without-axis."""

from __future__ import annotations

import libcst as cst

from tfshape_lint.analysis.ops import Kind, lookup
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.uses import only_fully_reduced
from tfshape_lint.analysis.values import Mark
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._helpers import call_arg, literal, minus_one, with_keyword
from tfshape_lint.source import code_of, visit_read_only


class SqueezeWithoutAxis(Rule):
    """## What it does
    Flags `tf.squeeze`, `K.squeeze`, `keras.ops.squeeze` or `np.squeeze` called without an
    `axis` on a tensor that still has its batch axis, inside a loss. TensorFlow 1's
    `squeeze_dims=` counts as an axis (the keyword itself is TFS506's finding).

    Not flagged: a squeezed value whose every use goes through elementwise operations
    (arithmetic, comparisons, `where`, casts, also `one_hot` of it and `K.flatten`, which add a
    trailing axis or leave one) into a mean or sum over all axes, or into a print
    (`tf.reduce_mean(tf.abs(tf.where(mask, tf.squeeze(y_pred), 0.0) - y_true))`, a metric's
    usual shape): a batch of one broadcasts back and the result is one number whatever the rank.
    Nor numpy code found only by its signature, nor a function the file hands to
    `tf.py_function`/`tf.numpy_function` and the helpers only it calls: they run eagerly on
    arrays (a per-image Hausdorff distance wrapped as a metric), not in the traced graph.

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
    samples, batch 4); an exception or a changed output rank confirms it. When both run, each
    inner axis of the labels and predictions is shrunk to length 1 (one time step of a
    `(B, T, 1)` forecast): a batch whose loss is then no longer the mean of its samples' own
    losses confirms it too. Each run is repeated with `axis=-1` on the flagged squeeze, which
    must make the symptom go away.
    """

    code = "TFS104"
    value_only = True
    name = "squeeze-without-axis"
    message = "{fn} without axis also drops the batch axis at batch size 1 and gives unknown rank in fit; pass axis=-1"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    recipe = Recipe("batch_one_and_partial", {}, "batch of 1 and a partial last batch in fit")

    good = (
        Example("import tensorflow as tf\n"
                "from tensorflow.keras import backend as K\n"
                "\n"
                "\n"
                "def dice_loss(y_true, y_pred, smooth=1e-5):\n"
                "    y_true = tf.one_hot(tf.cast(tf.squeeze(y_true), tf.int32), 4)\n"
                "    y_true_f = K.flatten(y_true)\n"
                "    y_pred_f = K.flatten(y_pred)\n"
                "    score = (2.0 * K.sum(y_true_f * y_pred_f) + smooth) / (K.sum(y_true_f) + K.sum(y_pred_f) + smooth)\n"
                "    return 1.0 - score\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=dice_loss)\n",
                note="one-hot labels flattened into a dice of full sums: the flattening leaves one axis whatever the squeeze dropped"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def focal_loss(num_classes, alpha=0.25, gamma=2.0):\n"
                "    def loss(y_true, y_pred):\n"
                "        y_true = tf.cast(tf.squeeze(y_true), tf.int32)\n"
                "        y_true = tf.cast(tf.one_hot(y_true, num_classes), tf.float32)\n"
                "        pos = -alpha * tf.pow(1.0 - y_pred, gamma) * tf.math.log(tf.clip_by_value(y_pred, 1e-8, 1.0)) * y_true\n"
                "        neg = -(1 - alpha) * tf.pow(y_pred, gamma) * tf.math.log(tf.clip_by_value(1.0 - y_pred, 1e-8, 1.0)) * (1.0 - y_true)\n"
                "        return tf.reduce_mean(pos + neg)\n"
                "    return loss\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=focal_loss(5))\n",
                note="the squeezed labels only become one-hot rows in elementwise terms of a mean over everything: at a batch of one the (C,) row broadcasts back"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n\n"
                "def hard_mining_mse(k):\n"
                "    def custom_mse(y_true, y_pred):\n"
                "        t = y_true[:, 0]\n"
                "        pred_steer = tf.squeeze(y_pred, squeeze_dims=-1)\n"
                "        l_steer = tf.multiply(t, K.square(pred_steer - y_true[:, 1]))\n"
                "        _, indices = tf.nn.top_k(l_steer, k=k)\n"
                "        return tf.reduce_sum(tf.gather(l_steer, indices)) / float(k)\n"
                "    return custom_mse\n\n\n"
                "model.compile(optimizer=\"adam\", loss=hard_mining_mse(2))\n",
                note="squeeze_dims= is TensorFlow 1's name for the axis"),
        Example("import tensorflow as tf\n\n\n"
                "def masked_age_mae(y_true, y_pred):\n"
                "    y_pred = tf.squeeze(y_pred)\n"
                "    mask = tf.not_equal(y_true, -1)\n"
                "    err = tf.where(mask, y_pred, 0.0) - tf.where(mask, tf.cast(y_true, tf.float32), 0.0)\n"
                "    return tf.reduce_mean(tf.abs(err))\n\n\n"
                "model.compile(optimizer=\"adam\", loss=\"mse\", metrics=[masked_age_mae])\n",
                note="the squeezed prediction only reaches a mean over all axes through elementwise ops: "
                     "one number at any batch size and rank"),
        Example("import numpy as np\nfrom tensorflow import keras as k\n\n"
                "def dice_score(y_true, y_pred):\n"
                "    t, p = np.squeeze(y_true), np.squeeze(y_pred)\n"
                "    eps = k.backend.epsilon()\n"
                "    return (2 * np.sum(t * p) + eps) / (np.sum(t) + np.sum(p) + eps)\n",
                note="numpy code found only by its signature: an evaluation score on arrays"),
        Example("import numpy as np\nimport tensorflow as tf\nfrom scipy.spatial.distance import directed_hausdorff\n\n\n"
                "def hausdorff(y_true, y_pred):\n"
                "    return directed_hausdorff(np.squeeze(y_true), np.squeeze(y_pred))[0]\n\n\n"
                "def hausdorff_batch(y_true, y_pred):\n"
                "    if len(y_true.shape) == 2:\n"
                "        return hausdorff(y_true, y_pred)\n"
                "    total = 0.0\n"
                "    for i in range(y_true.shape[0]):\n"
                "        total += hausdorff(y_true[i], y_pred[i])\n"
                "    return total / y_true.shape[0]\n\n\n"
                "def hausdorff_metric(y_true, y_pred):\n"
                "    return tf.py_function(hausdorff_batch, [y_true, y_pred], tf.float32)\n\n\n"
                "model.compile(optimizer='adam', loss='binary_crossentropy', metrics=[hausdorff_metric])\n",
                note="a tf.py_function target and the helpers it calls run eagerly on arrays: no batch of the "
                     "traced graph reaches the squeeze"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(tf.squeeze(y_true, axis=-1) - tf.squeeze(y_pred, axis=-1)))\n"),
        Example("import tensorflow as tf\n\nclass FrameLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        y_true = tf.squeeze(y_true)\n"
                "        y_pred = tf.squeeze(y_pred)\n"
                "        y_true = tf.reshape(y_true, [-1, 32])\n"
                "        y_pred = tf.reshape(y_pred, [-1, 32])\n"
                "        return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n",
                note="a reshape to a full shape gives the squeezed value its rank back before any other use"),
        Example("import tensorflow as tf\n\nx = tf.squeeze(tf.ones((1, 3)))\n",
                note="outside a loss"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    w = tf.squeeze(tf.constant([[1.0, 2.0]]))\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * w, axis=-1)\n",
                note="a constant has no batch axis"),
    )
    bad = (
        Example("import tensorflow as tf\n\n"
                "def masked_mse(y_true, y_pred):\n"
                "    t = tf.shape(y_true)[1]\n"
                "    values = tf.slice(y_true, [0, 0, 0], [-1, t - 1, -1])\n"
                "    lengths = tf.slice(y_true, [0, t - 1, 0], [-1, -1, 1])\n"
                "    mask = tf.cast(tf.sequence_mask(tf.squeeze(lengths), t - 1), tf.float32)\n"
                "    err = tf.reduce_mean(tf.square(y_pred - values), axis=-1) * mask\n"
                "    return tf.reduce_sum(err, axis=-1) / (tf.reduce_sum(mask, axis=-1) + 1e-7)\n",
                fixed=None, line=7,
                note="a (B, 1, 1) tf.slice holds two axes of size 1: axis=-1 would keep one, so no automatic fix"),
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
        Example("import tensorflow as tf\n\ndef depthLoss(groundTruth, depthPredicted):\n"
                "    depth = tf.squeeze(depthPredicted)\n"
                "    return tf.reduce_mean(tf.abs(groundTruth[..., 0] - depth), axis=[1, 2])\n",
                fixed="import tensorflow as tf\n\ndef depthLoss(groundTruth, depthPredicted):\n"
                      "    depth = tf.squeeze(depthPredicted, axis=-1)\n"
                      "    return tf.reduce_mean(tf.abs(groundTruth[..., 0] - depth), axis=[1, 2])\n",
                line=4, note="camelCase parameter names (groundTruth, depthPredicted) of a function named like a loss"),
        Example("import tensorflow as tf\n\ndef cox_loss(y_true, y_pred):\n"
                "    time = tf.squeeze(tf.gather(y_true, [0], axis=1))\n"
                "    risk = tf.squeeze(y_pred, axis=1)\n"
                "    ranked = tf.gather(risk, tf.argsort(time, direction='DESCENDING'))\n"
                "    return -tf.reduce_mean(ranked - tf.math.cumulative_logsumexp(ranked))\n",
                fixed="import tensorflow as tf\n\ndef cox_loss(y_true, y_pred):\n"
                      "    time = tf.squeeze(tf.gather(y_true, [0], axis=1), axis=-1)\n"
                      "    risk = tf.squeeze(y_pred, axis=1)\n"
                      "    ranked = tf.gather(risk, tf.argsort(time, direction='DESCENDING'))\n"
                      "    return -tf.reduce_mean(ranked - tf.math.cumulative_logsumexp(ranked))\n",
                line=4, note="a column gathered along axis 1 keeps the batch axis"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: squeeze calls whose result a reshape gives a known rank at once (the nodes themselves,
        #: held until the next loss, so no id is reused meanwhile)
        self._restored: set[cst.Call] = set()

    def check_loss(self, loss: Scope) -> None:
        self._restored.clear()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        """``x = tf.squeeze(x)`` whose next use is ``x = tf.reshape(x, shape)``: the reshape
        gives the value a known rank again before anything else sees it."""
        body = list(node.body)
        for i, stmt in enumerate(body):
            squeezed = self._assigned_call(stmt, Kind.SQUEEZE)
            if squeezed is None:
                continue
            name, call = squeezed
            for later in body[i + 1:]:
                uses = _count(later, name)
                if not uses:
                    continue
                reshaped = self._assigned_call(later, Kind.RESHAPE)
                # ``x = reshape(x, shape)``: the target and the first argument are its only mentions
                if reshaped is not None and reshaped[0] == name and uses == 2 and _first_arg_is(reshaped[1], name):
                    self._restored.add(call)
                break

    def _assigned_call(self, stmt: cst.BaseStatement, kind: Kind) -> tuple[str, cst.Call] | None:
        """``name = <call of kind>(...)`` as a whole statement line, else None."""
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return None
        assign = stmt.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 \
                or not isinstance(assign.targets[0].target, cst.Name) or not isinstance(assign.value, cst.Call):
            return None
        spec = lookup(self.canonical(assign.value.func))
        if spec is None or spec.kind is not kind:
            return None
        return assign.targets[0].target.value, assign.value

    def visit_Call(self, node: cst.Call) -> None:
        spec = lookup(self.canonical(node.func))
        if spec is not None and spec.kind is Kind.RESHAPE and node.args \
                and isinstance(node.args[0].value, cst.Call):
            self._restored.add(node.args[0].value)  # tf.reshape(tf.squeeze(x), shape)
        if spec is None or spec.kind is not Kind.SQUEEZE or node in self._restored:
            return
        # ``squeeze_dims=`` is TensorFlow 1's name for the axis (TFS506 reports the name itself)
        axis = call_arg(node, 1, "axis", "squeeze_dims")
        if axis is not None and literal(axis) is not None:
            return
        target = call_arg(node, 0, "input", "x", "a")
        value = self.value(target) if target is not None else None
        if value is None or not value.batch:
            return
        if self.loss is not None and only_fully_reduced(self.loss, node, self.index.imports):
            return  # ``reduce_mean(abs(where(mask, squeeze(p), 0.) - t))``: one number whatever the shape
        # axis=-1 is the fix for the usual (B, 1); a tf.slice may leave several axes of size 1
        # (``[-1, -1, 1]`` of a (B, T, C) tensor), where it would keep one of them
        fix = with_keyword(node, "axis", minus_one()) if axis is None and not value.marked(Mark.SLICE) else None
        self.report(node, fn=code_of(node.func), fix=fix)


class _NameCount(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.count = 0

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.count += 1


def _count(node: cst.CSTNode, name: str) -> int:
    """How many times ``name`` appears in ``node``."""
    counter = _NameCount(name)
    visit_read_only(node, counter)
    return counter.count


def _first_arg_is(call: cst.Call, name: str) -> bool:
    return bool(call.args) and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == name
