"""TFS108 scalar-loss-drops-sample-weight."""

from __future__ import annotations

import ast
import re

import libcst as cst

from tfshape_lint.analysis.losses import Context, skips_base_init
from tfshape_lint.analysis.names import WEIGHT_WORDS, mentions
from tfshape_lint.analysis.ops import NO_AXIS_REDUCTIONS, REDUCED_KEYWORDS, Kind, lookup
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import Mark, Tag
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._helpers import call_arg, literal, minus_one, unwrapped, with_keyword
from tfshape_lint.rules._shape_fixes import short

_FIXABLE_OPS = frozenset({"mean", "sum"})
#: keyword names of what a flagged reduction reduces (``tf.nn.compute_average_loss`` calls it
#: ``per_example_loss``)
_REDUCED = (*REDUCED_KEYWORDS, "per_example_loss")


class ScalarLossDropsSampleWeight(Rule):
    """## What it does
    Flags a loss that returns a scalar made by a full reduction (`tf.reduce_mean(x)` with no
    `axis`, `K.mean(x)`, `keras.ops.mean(x)`, `np.mean(x)`, `tf.nn.compute_average_loss(x)`, or
    a built-in Loss *instance* with its default reduction) where Keras applies per-sample weights: the `call` of a
    `keras.losses.Loss` subclass, or a loss in a file that passes `sample_weight=` or
    `class_weight=` to `fit` (or another training call), or that another module of the project
    compiles while some module of it trains with such weights (a `loss.py` compiled in
    `main.py` and trained with `class_weight` in `training.py`). A function wrapped by a `LossFunctionWrapper` subclass counts as that
    Loss's `call`. One finding per return, however many batch reductions it combines. Not for
    metrics (a `Loss` subclass whose instances the file or its project hands to Keras only in
    `metrics=` is one), custom-loop code, or a loss whose docstring documents it as a whole-batch
    statistic or says how to weight samples instead (a design, not an oversight), or one that
    weights its samples itself with weights it takes from its own inputs (`preds, wts = y_pred[0],
    y_pred[1]` or a weight map in `y_true[..., 1:]`, then `reduce_mean(wts * losses)`, also under
    an elementwise function such as `sqrt`; the weight named with a word starting with `weight`,
    or the word `w`, `wt`, `wts` or `sw`): its caller hands it the weights that way (whole-repository
    set 45: 58 such findings in a forecasting library, all judged false). Nor for a
    `Loss` subclass in a repository (a folder with `.git`, a licence, `requirements.txt` or
    `.github`) that is no installable package (no `setup.py`, `setup.cfg` or `pyproject.toml`)
    and in which no module or notebook mentions `sample_weight`, `class_weight` or a Keras mask
    (`mask_zero`, `Masking`, `compute_mask`, `supports_masking`): nothing weights samples there,
    and Keras' mean of one number is that number. The first such mention anywhere in the
    repository brings the finding back.

    ## Why is this bad?
    Keras multiplies the per-sample loss values by `sample_weight` (or the weights it builds
    from `class_weight`) *after* the loss returns. A loss that already averaged the batch into
    one number gives Keras nothing to weight: it computes `scalar × mean(sample_weight)`
    (identical in Keras 3.15 and tf_keras 2.21). Measured: with
    `sample_weight=[1, 0, 0, 0]` the loss is 0.307596 instead of 0.252574; zeroing three of
    four samples does not change which samples train. Nothing raises.

    ## Example
    ```python
    class WeightedMSE(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.square(y_true - y_pred))
    ```

    ## Use instead
    ```python
    class WeightedMSE(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
    ```

    ## Fix safety
    Unsafe: `axis=-1` returns one value per sample, so the weights take effect and the loss
    value changes. Sums normalised by a count and built-in Loss instances get no automatic fix
    (use `reduction='none'` on the instance, then reduce per sample). A divisor is a count as
    for TFS102: known to be one, or named with a word starting with `batch`, `size`, `count`,
    `num`, `total`, `norm`, `denom` or `length`, or the word `n`, or the words `avg_factor`.

    ## Verification
    `--verify` calls the loss through Keras with `sample_weight=[1, 0, 0, 0]` and compares it
    with the first sample's loss: `scalar × mean(sample_weight)` confirms it. A loss with no
    per-sample value (one over pairs of samples or batch statistics) is weighted `[1, 0, 0, 0]`
    and `[0, 1, 0, 0]` instead: the same `scalar × mean(sample_weight)` for both, while the
    flagged reduction kept per sample lets the weights pick samples, confirms it.
    """

    code = "TFS108"
    value_only = True
    name = "scalar-loss-drops-sample-weight"
    message = "{fn} reduces the whole batch to one number, so Keras cannot apply {weights}; {advice}"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    losses_only = True
    recipe = Recipe("sample_weight", {"weights": [1, 0, 0, 0]}, "loss with one-hot sample weights vs the first sample's loss")

    good = (
        Example('import tensorflow as tf\nimport tf_keras\nfrom tf_keras.src.utils import losses_utils\n\n\nclass RankCrossEntropy(tf_keras.losses.Loss):\n    def __init__(self, name="rank_ce"):\n        super().__init__(reduction=losses_utils.ReductionV2.NONE, name=name)\n\n    def call(self, y_true, y_pred, sample_weight=None):\n        loss = -tf.reduce_sum(y_true * tf.math.log(tf.nn.softmax(y_pred) + 1e-7), axis=-1)\n        return losses_utils.compute_weighted_loss(loss, sample_weight, reduction=self.reduction)\n',
                note="`compute_weighted_loss` under the Loss's own reduction, NONE here: one value per sample"),
        Example("import numpy as np\n\n"
                "def mean_log_loss(y_true, y_pred):\n"
                "    p = np.clip(y_pred, 1e-15, 1 - 1e-15)\n"
                "    return np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))\n\n"
                "model.fit(x, y, class_weight={0: 1.0, 1: 5.0})\n",
                note="numpy code found only by its signature: an offline score on arrays"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "def clipped_bce(y_true, y_pred):\n"
                "    \"\"\"Clipped binary crossentropy, for fit's metrics.\"\"\"\n"
                "    p = tf.clip_by_value(y_pred, 0.0005, 0.9995)\n"
                "    return -K.mean(y_true * K.log(p) + (1 - y_true) * K.log(1 - p))\n\n"
                "model.fit(x, y, class_weight={0: 1.0, 1: 5.0})\n",
                note="its docstring calls it a metric, and the file never hands it to Keras as a loss"),
        Example("import tensorflow as tf\n\nbce = tf.keras.losses.BinaryCrossentropy()\n\n"
                "def mse_loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n\n"
                "model.compile(optimizer='adam', loss=mse_loss)\n"
                "report = bce(y_val, model(x_val), sample_weight=w_val)\n",
                note="sample_weight given to a Loss object's own call does not reach the compiled loss"),
        Example("import tensorflow as tf\n\nclass WeightedMSE(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n",
                note="one value per sample"),
        Example("import tensorflow as tf\n\nclass DiceLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, smooth=1e-5):\n"
                "        self.smooth = smooth\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        inter = tf.reduce_sum(y_true * y_pred)\n"
                "        return 1 - (2 * inter + self.smooth) / (tf.reduce_sum(y_true + y_pred) + self.smooth)\n\n"
                "loss_fn = DiceLoss()\nloss = loss_fn.call(y, model(x))\n",
                note="its __init__ never runs Loss.__init__, so Keras' __call__ (the one place a sample "
                     "weight applies) raises AttributeError; only a direct .call runs it"),
        Example("import tensorflow as tf\n\ndef mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n\n"
                "model.compile(optimizer='adam', loss=mse)\nmodel.fit(x, y)\n",
                note="no per-sample weights anywhere in the file: the mean equals Keras' own"),
        Example("import tensorflow as tf\n\ndef accuracy(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.cast(tf.equal(y_true, tf.round(y_pred)), tf.float32))\n\n"
                "model.compile(optimizer='adam', loss='mse', metrics=[accuracy])\n"
                "model.fit(x, y, sample_weight=w)\n",
                note="a metric"),
        Example("import tensorflow as tf\n\nclass M(tf.keras.Model):\n"
                "    def train_step(self, data):\n"
                "        x, y, w = data\n"
                "        with tf.GradientTape() as tape:\n"
                "            loss = tf.reduce_mean(w * tf.square(y - self(x)))\n"
                "        self.optimizer.apply_gradients(zip(tape.gradient(loss, self.trainable_variables), self.trainable_variables))\n"
                "        return {'loss': loss}\n\nmodel.fit(ds, sample_weight=None)\n",
                note="train_step applies its own weights"),
        Example("import tensorflow as tf\n\nclass Masked(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        mask = tf.cast(y_true >= 0, y_pred.dtype)\n"
                "        return tf.reduce_sum(tf.square(y_true - y_pred) * mask, axis=-1) / tf.maximum(tf.reduce_sum(mask, axis=-1), 1.0)\n",
                note="a per-sample normalised mean"),
        Example("import tensorflow as tf\n\nclass AgreementLoss(tf.keras.losses.Loss):\n"
                "    \"\"\"One minus the agreement of the whole batch (a batch statistic).\n\n"
                "    To weight samples, scale y_pred by the sample weight before the call.\n"
                "    \"\"\"\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        agree = tf.reduce_sum(y_true * y_pred)\n"
                "        total = tf.reduce_sum(y_true) * tf.reduce_sum(y_pred)\n"
                "        return 1.0 - tf.math.divide_no_nan(agree, total)\n",
                note="documented as a whole-batch statistic: there is no per-sample value to weight"),
        Example("import tensorflow as tf\n\n\n"
                "class MaxBinaryCrossentropy(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.reduce_max(tf.keras.losses.binary_crossentropy(y_true, y_pred))\n\n\n"
                "model.compile(optimizer=\"adam\", loss=\"binary_crossentropy\", metrics=[MaxBinaryCrossentropy()])\n"
                "model.fit(x, y, sample_weight=w)\n",
                note="a Loss subclass that is only ever handed to Keras as a metric: a batch statistic by design"),
        Example("import tensorflow as tf\n\n\n"
                "class WeightMapCrossentropy(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        labels, weights = y_true[..., :1], y_true[..., 1:]\n"
                "        ce = tf.keras.backend.binary_crossentropy(labels, y_pred)\n"
                "        return tf.reduce_mean(weights * ce)\n\n\n"
                "model.fit(x, y, sample_weight=w)\n",
                note="a U-Net weight map packed into the labels: the loss weights its pixels itself, "
                     "with weights it takes from its own inputs, by design"),
    )
    bad = (
        Example('import tensorflow as tf\nimport tf_keras\nfrom tf_keras.src.utils import losses_utils\n\n\nclass RankCrossEntropy(tf_keras.losses.Loss):\n    def __init__(self, name="rank_ce"):\n        super().__init__(reduction=losses_utils.ReductionV2.SUM_OVER_BATCH_SIZE, name=name)\n\n    def call(self, y_true, y_pred, sample_weight=None):\n        loss = -tf.reduce_sum(y_true * tf.math.log(tf.nn.softmax(y_pred) + 1e-7), axis=-1)\n        return losses_utils.compute_weighted_loss(loss, sample_weight, reduction=self.reduction)\n',
                fixed='import tensorflow as tf\nimport tf_keras\nfrom tf_keras.src.utils import losses_utils\n\n\nclass RankCrossEntropy(tf_keras.losses.Loss):\n    def __init__(self, name="rank_ce"):\n        super().__init__(reduction=losses_utils.ReductionV2.SUM_OVER_BATCH_SIZE, name=name)\n\n    def call(self, y_true, y_pred, sample_weight=None):\n        loss = -tf.reduce_sum(y_true * tf.math.log(tf.nn.softmax(y_pred) + 1e-7), axis=-1)\n        return loss\n',
                note="`compute_weighted_loss` under the Loss's reduction, SUM_OVER_BATCH_SIZE: one number; Keras never passes sample_weight to call"),
        Example("import keras\nfrom keras import ops\n\n\n"
                "class FairBCE(keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        bce = ops.mean(keras.losses.binary_crossentropy(y_true, y_pred))\n"
                "        gap = ops.absolute(ops.mean(y_pred[:, 0]) - 0.5)\n"
                "        return bce + 0.1 * gap\n",
                fixed=None, note="a fairness penalty (a batch statistic) added to a batch-mean crossentropy: "
                     "keras.ops.absolute keeps the scalar a scalar"),
        Example("import tensorflow as tf\n\n\nclass AveragedCrossentropy(tf.keras.losses.Loss):\n    def call(self, y_true, y_pred):\n        per_example = tf.keras.losses.categorical_crossentropy(y_true, y_pred)\n        return tf.nn.compute_average_loss(per_example)\n\n\nmodel.compile(optimizer=\"adam\", loss=AveragedCrossentropy())\n",
                fixed="import tensorflow as tf\n\n\nclass AveragedCrossentropy(tf.keras.losses.Loss):\n    def call(self, y_true, y_pred):\n        per_example = tf.keras.losses.categorical_crossentropy(y_true, y_pred)\n        return per_example\n\n\nmodel.compile(optimizer=\"adam\", loss=AveragedCrossentropy())\n",
                line=7, note="tf.nn.compute_average_loss (the distributed custom-loop helper) is one number for the "
                             "batch: in a Loss's call, Keras's weights meet that number"),
        Example("import tensorflow as tf\n\n"
                "class DepthLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        valid = tf.cast(y_true > 0.0, tf.float32)\n"
                "        n = tf.reduce_sum(valid)\n"
                "        total = tf.reduce_sum(tf.abs(y_pred - y_true) * valid)\n"
                "        return tf.cond(n > 0, lambda: total / n, lambda: total)\n",
                fixed=None, line=7,
                note="the whole batch's masked mean, returned through tf.cond's branches"),
        Example("import tensorflow as tf\n\n"
                "class CTCLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        frames = tf.fill([tf.shape(y_pred)[0]], tf.shape(y_pred)[1])\n"
                "        ctc = tf.nn.ctc_loss(labels=tf.cast(y_true, tf.int32), logits=y_pred, label_length=None,\n"
                "                             logit_length=frames, logits_time_major=False, blank_index=-1)\n"
                "        return tf.reduce_mean(ctc)\n",
                fixed="import tensorflow as tf\n\n"
                      "class CTCLoss(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        frames = tf.fill([tf.shape(y_pred)[0]], tf.shape(y_pred)[1])\n"
                      "        ctc = tf.nn.ctc_loss(labels=tf.cast(y_true, tf.int32), logits=y_pred, label_length=None,\n"
                      "                             logit_length=frames, logits_time_major=False, blank_index=-1)\n"
                      "        return ctc\n",
                line=8, note="a CTC loss over sparse label sequences (label_length=None), averaged over the batch"),
        Example("import tensorflow as tf\n\nclass RatioLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        err = tf.reduce_sum(tf.abs(y_true - y_pred))\n"
                "        scale = tf.reduce_sum(tf.abs(y_true)) + 1.0\n"
                "        return err / scale\n",
                fixed=None, line=5,
                message="tf.reduce_sum reduces the whole batch to one number, so Keras cannot apply "
                        "sample_weight; reduce each sample with axis=-1 and normalise per sample",
                note="one return, one finding: the second batch sum is part of the same claim"),
        Example("import keras\nfrom keras import ops\n\nclass QuantileLoss(keras.losses.Loss):\n"
                "    def __init__(self, quantiles=(0.1, 0.5, 0.9), **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.quantiles = quantiles\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        error = y_true - y_pred\n"
                "        losses = []\n"
                "        for i, q in enumerate(self.quantiles):\n"
                "            losses.append(ops.maximum(q * error[..., i], (q - 1) * error[..., i]))\n"
                "        return ops.mean(ops.stack(losses, axis=-1))\n",
                fixed=None, line=14, note="a list built with append holds per-sample values like a comprehension"),
        Example("import math\nimport tensorflow as tf\n\nclass SDR(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        ratio = tf.norm(y_pred - y_true) / (tf.norm(y_true) + 1e-7)\n"
                "        return 20.0 * tf.math.log(ratio + 1e-7) / math.log(10.0)\n",
                fixed=None, line=6, note="tf.norm with no axis is one number for the batch; math.log(10.0) is a "
                                         "Python float"),
        Example("import tensorflow as tf\n\nclass MultiQuantile(tf.keras.losses.Loss):\n"
                "    def __init__(self, quantiles=(0.1, 0.5, 0.9), **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.quantiles = quantiles\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        losses = []\n"
                "        for i, q in enumerate(self.quantiles):\n"
                "            error = y_true[..., 0] - y_pred[..., i]\n"
                "            losses.append(tf.reduce_mean(tf.maximum(q * error, (q - 1) * error)))\n"
                "        return tf.add_n(losses)\n",
                fixed=None, line=12, note="scalars appended to a list and added with add_n"),
        Example("import tensorflow as tf\nfrom mylib.utils import LossFunctionWrapper\n\n"
                "def pair_loss(labels, embeddings, margin=1.0):\n"
                "    d = tf.reduce_sum(tf.square(embeddings[:, None] - embeddings[None]), axis=-1)\n"
                "    same = tf.cast(tf.equal(labels[:, None], labels[None]), tf.float32)\n"
                "    return tf.reduce_mean(same * d + (1.0 - same) * tf.nn.relu(margin - d))\n\n"
                "class PairLoss(LossFunctionWrapper):\n"
                "    def __init__(self, margin=1.0):\n"
                "        super().__init__(pair_loss, margin=margin)\n",
                fixed="import tensorflow as tf\nfrom mylib.utils import LossFunctionWrapper\n\n"
                      "def pair_loss(labels, embeddings, margin=1.0):\n"
                      "    d = tf.reduce_sum(tf.square(embeddings[:, None] - embeddings[None]), axis=-1)\n"
                      "    same = tf.cast(tf.equal(labels[:, None], labels[None]), tf.float32)\n"
                      "    return tf.reduce_mean(same * d + (1.0 - same) * tf.nn.relu(margin - d), axis=-1)\n\n"
                      "class PairLoss(LossFunctionWrapper):\n"
                      "    def __init__(self, margin=1.0):\n"
                      "        super().__init__(pair_loss, margin=margin)\n",
                line=7,
                note="a function wrapped by a LossFunctionWrapper class is that Loss's call"),
        Example("import tensorflow as tf\n\nclass WeightedMSE(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred))\n",
                fixed="import tensorflow as tf\n\nclass WeightedMSE(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n",
                line=5, message="tf.reduce_mean reduces the whole batch to one number, so Keras cannot "
                                "apply sample_weight; pass axis=-1"),
        Example("from tensorflow.keras import backend as K\n\ndef l1(y_true, y_pred):\n"
                "    err = K.abs(y_true - y_pred)\n"
                "    total = K.mean(err)\n"
                "    return total\n\n"
                "model.compile(optimizer='adam', loss=l1)\n"
                "model.fit(x, y, class_weight={0: 1.0, 1: 5.0})\n",
                fixed="from tensorflow.keras import backend as K\n\ndef l1(y_true, y_pred):\n"
                      "    err = K.abs(y_true - y_pred)\n"
                      "    total = K.mean(err, axis=-1)\n"
                      "    return total\n\n"
                      "model.compile(optimizer='adam', loss=l1)\n"
                      "model.fit(x, y, class_weight={0: 1.0, 1: 5.0})\n",
                line=5, note="class_weight in the same file, through a variable"),
        Example("from keras import ops\n\ndef make_loss(alpha):\n"
                "    def loss(y_true, y_pred):\n"
                "        return alpha * ops.mean(ops.square(y_true - y_pred))\n"
                "    return loss\n\n"
                "model.compile(optimizer='adam', loss=make_loss(0.5))\n"
                "model.fit(x, y, sample_weight=w)\n",
                fixed="from keras import ops\n\ndef make_loss(alpha):\n"
                      "    def loss(y_true, y_pred):\n"
                      "        return alpha * ops.mean(ops.square(y_true - y_pred), axis=-1)\n"
                      "    return loss\n\n"
                      "model.compile(optimizer='adam', loss=make_loss(0.5))\n"
                      "model.fit(x, y, sample_weight=w)\n",
                line=5, note="a factory closure, keras.ops spelling"),
        Example("import tensorflow as tf\n\nclass MaskedMSE(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        mask = tf.cast(y_true >= 0, y_pred.dtype)\n"
                "        return tf.reduce_sum(tf.square(y_true - y_pred) * mask) / tf.reduce_sum(mask)\n",
                fixed=None, line=6, note="a normalised sum: no automatic fix"),
        Example("import tensorflow as tf\n\ndef _mean_sq(a, b):\n"
                "    return tf.math.reduce_mean(tf.square(a - b))\n\n"
                "class Combo(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return _mean_sq(y_true, y_pred) + 0.1 * _mean_sq(y_true[..., 1:], y_pred[..., 1:])\n",
                fixed="import tensorflow as tf\n\ndef _mean_sq(a, b):\n"
                      "    return tf.math.reduce_mean(tf.square(a - b), axis=-1)\n\n"
                      "class Combo(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        return _mean_sq(y_true, y_pred) + 0.1 * _mean_sq(y_true[..., 1:], y_pred[..., 1:])\n",
                line=4, note="the reduction happens in a helper"),
        Example("import tensorflow as tf\n\nclass Focal(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        p = tf.clip_by_value(y_pred, 1e-7, 1.0)\n"
                "        return tf.reduce_mean(tf.reduce_sum(-y_true * tf.math.log(p), axis=-1))\n",
                fixed="import tensorflow as tf\n\nclass Focal(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        p = tf.clip_by_value(y_pred, 1e-7, 1.0)\n"
                      "        return tf.reduce_sum(-y_true * tf.math.log(p), axis=-1)\n",
                line=6, note="already per sample inside: the fix drops the outer mean"),
        Example("import tensorflow as tf\n\nclass Weighted(tf.keras.losses.Loss):\n"
                "    def __init__(self, weight=2.0):\n        super().__init__()\n        self.weight = weight\n\n"
                "    def _mse(self, y_true, y_pred):\n        return tf.reduce_mean(tf.square(y_true - y_pred))\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        loss = self._mse(y_true, y_pred)\n        return loss * self.weight\n",
                fixed="import tensorflow as tf\n\nclass Weighted(tf.keras.losses.Loss):\n"
                      "    def __init__(self, weight=2.0):\n        super().__init__()\n        self.weight = weight\n\n"
                      "    def _mse(self, y_true, y_pred):\n        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        loss = self._mse(y_true, y_pred)\n        return loss * self.weight\n",
                line=9, note="reduced to a scalar in a method of the class, then weighted"),
        Example("from tensorflow.keras import backend as K\n\ndef weighted(y_true, y_pred):\n"
                "    mse = K.mean(K.square(y_true - y_pred))\n    return 0.7 * mse\n\n"
                "model.compile(optimizer='adam', loss=weighted)\nmodel.fit(x, y, sample_weight=w)\n",
                fixed="from tensorflow.keras import backend as K\n\ndef weighted(y_true, y_pred):\n"
                      "    mse = K.mean(K.square(y_true - y_pred), axis=-1)\n    return 0.7 * mse\n\n"
                      "model.compile(optimizer='adam', loss=weighted)\nmodel.fit(x, y, sample_weight=w)\n",
                line=4, note="a scalar times a loss weight is still one number for the whole batch"),
        Example("import tensorflow as tf\n\n\n"
                "class MaskedCrossentropy(tf.keras.losses.SparseCategoricalCrossentropy):\n"
                "    def call(self, y_true, y_pred):\n"
                "        loss = super().call(y_true, y_pred)\n"
                "        mask = tf.cast(tf.not_equal(y_true, 0), loss.dtype)\n"
                "        return tf.reduce_sum(loss * mask) / tf.reduce_sum(mask)\n\n\n"
                "model.compile(optimizer=\"adam\", loss=MaskedCrossentropy(from_logits=True))\n",
                fixed=None, line=8, note="a subclass of a built-in Loss: Loss.__call__ still applies the weights to what "
                             "call returns"),
    )

    def applies(self, loss: Scope) -> bool:
        if not super().applies(loss) or loss.is_helper:
            return False
        if loss.context is Context.SUBCLASS:
            path = loss.spec.path
            owner = self.index.classes.get(path[-2]) if len(path) >= 2 else None
            # without its base's __init__ the Loss raises on its first __call__: no weight applies;
            # in a repository that never weights samples, Keras' mean of the scalar is the scalar
            return (owner is None or not skips_base_init(owner)) and self.index.may_weigh_samples
        return loss.context in (Context.COMPILE, Context.UNKNOWN) and self.index.uses_sample_weights()

    def check_loss(self, loss: Scope) -> None:
        passed = self.index.training_keywords | self.index.project_weights
        weights = "sample_weight" if loss.context is Context.SUBCLASS or "sample_weight" in passed else "class_weight"
        if self._documented_whole_batch(loss):
            return
        for _, value in loss.returns:
            if value.rank != 0 or not value.tensor:
                continue
            reductions = [r for r in loss.in_evaluation_order(value.marked(Mark.FULL_REDUCTION))
                          if isinstance(r, cst.Call) and self._batch_input(loss, r) and not self._self_weighted(loss, r)]
            if reductions:
                # one claim per return: a ratio of two batch sums is one whole-batch statistic
                self._report(loss, reductions[0], weights, alone=len(reductions) == 1)
            for instance_call in value.marked(Mark.LOSS_REDUCED):
                if isinstance(instance_call, cst.Call):
                    self.report(instance_call, fn=short(instance_call.func), weights=weights,
                                advice="create it with reduction='none' and reduce with axis=-1")

    def _batch_input(self, loss: Scope, call: cst.Call) -> bool:
        """Whether the reduced tensor depends on the batch (a constant loses nothing per sample).

        The batch axis itself is not required: an unknown factor (``self.alpha``) hides it."""
        arg = call_arg(call, 0, *REDUCED_KEYWORDS)
        value = loss.find(arg) if arg is not None else None
        return value is None or bool(value.origin)

    def _self_weighted(self, loss: Scope, call: cst.Call) -> bool:
        """The reduced values are multiplied by weights the loss takes from its own inputs
        (``preds, wts = y_pred[0], y_pred[1]`` ... ``reduce_mean(wts * losses)``, a weight map in
        ``y_true[..., 1]``): the loss weights its samples itself, by design, and the caller hands
        it the weights that way rather than as Keras' ``sample_weight`` (whole-repository set 45:
        a forecasting library's 106 such findings, all judged false). The weight is a name of
        :data:`WEIGHT_WORDS` bound to a part of the labels or predictions, through casts and
        reshapes."""
        return self._weighted_values(loss, call_arg(call, 0, *REDUCED_KEYWORDS), 0)

    def _weighted_values(self, loss: Scope, expr: cst.BaseExpression | None, depth: int) -> bool:
        """``wts * err``, through the names it is bound to and elementwise functions of it
        (``sqrt(wts * err)``)."""
        if expr is None or depth > 4:
            return False
        if isinstance(expr, cst.Name):
            sources = [s for s in loss.definitions(expr) or () if isinstance(s, cst.BaseExpression)]
            return len(sources) == 1 and self._weighted_values(loss, sources[0], depth + 1)
        if isinstance(expr, cst.Call):
            spec = lookup(self.canonical(expr.func))
            return spec is not None and spec.kind is Kind.UNARY and bool(expr.args) \
                and self._weighted_values(loss, expr.args[0].value, depth + 1)
        factors = _factors(expr)
        return len(factors) > 1 and any(self._input_weight(loss, factor, 0) for factor in factors)

    def _input_weight(self, loss: Scope, expr: cst.BaseExpression | None, depth: int) -> bool:
        if depth > 4 or expr is None:
            return False
        if isinstance(expr, cst.Call):
            spec = lookup(self.canonical(expr.func))
            shaping = spec is not None and spec.kind in (Kind.CAST, Kind.RESHAPE, Kind.EXPAND, Kind.IDENTITY)
            return shaping and bool(expr.args) and self._input_weight(loss, expr.args[0].value, depth + 1)
        if not isinstance(expr, cst.Name) or not mentions(expr.value, WEIGHT_WORDS):
            return False
        sources = loss.definitions(expr) or frozenset()
        return any(self._input_part(loss, source, depth + 1) for source in sources if isinstance(source, cst.BaseExpression))

    def _input_part(self, loss: Scope, expr: cst.BaseExpression, depth: int) -> bool:
        """``y_pred[1]``, ``y_true[..., 1]``, or a cast/reshape of a weight name bound to one."""
        inputs = {loss.spec.labels, loss.spec.predictions} - {None}
        if isinstance(expr, cst.Subscript):
            return isinstance(expr.value, cst.Name) and expr.value.value in inputs
        return self._input_weight(loss, expr, depth)

    def _documented_whole_batch(self, loss: Scope) -> bool:
        """The loss (or its class) documents that it is a statistic of the whole batch or how
        to weight samples instead (``multiply the outputs by the sample weight``): a design."""
        for node in self._documented(loss):
            doc = ast.get_docstring(node) or ""
            if _WHOLE_BATCH_DOC.search(doc):
                return True
        return False

    def _documented(self, loss: Scope) -> list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
        path = loss.spec.path
        out: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = []
        for info in self.index.functions.get(path[-1], []) if path else []:
            if info.path == path:
                out.append(info.node)
        if len(path) >= 2 and path[-2] in self.index.classes:
            out.append(self.index.classes[path[-2]])
        return out

    def _report(self, loss: Scope, call: cst.Call, weights: str, alone: bool = True) -> None:
        spec = lookup(self.canonical(call.func))
        fixable = (alone and spec is not None and spec.kind is Kind.REDUCE and spec.op in _FIXABLE_OPS
                   and call_arg(call, 1, "axis", "reduction_indices") is None
                   and not any(s.divided_by_count(call) for s in loss.all_scopes()))
        shape = self._input_shape(loss, call) if fixable else None
        if alone and spec is not None and spec.kind is Kind.WEIGHTED_LOSS:
            shape = "per_sample"  # ``compute_weighted_loss(losses, ...)``: Keras weighs and reduces ``losses``
        if shape == "per_element" and self.canonical(call.func) in NO_AXIS_REDUCTIONS:
            shape = "per_sample"  # no axis to pass (``compute_average_loss``): return what it reduces
        inner = call_arg(call, 0, *_REDUCED)
        if shape == "per_sample" and inner is not None:
            self.report(call, fn=short(call.func), weights=weights,
                        advice="return the per-sample values without this reduction", fix=unwrapped(inner))
        elif shape == "per_element":
            self.report(call, fn=short(call.func), weights=weights, advice="pass axis=-1",
                        fix=with_keyword(call, "axis", minus_one()))
        else:
            self.report(call, fn=short(call.func), weights=weights,
                        advice="reduce each sample with axis=-1 and normalise per sample")

    def _input_shape(self, loss: Scope, call: cst.Call) -> str | None:
        """What the reduction consumes: ``"per_element"`` (rank r, batch kept: ``axis=-1`` gives one
        value per sample), ``"per_sample"`` (``reduce_mean(reduce_sum(x, -1))``: drop the outer
        reduction instead) or None when unknown (a boolean-masked or gathered selection)."""
        arg = call_arg(call, 0, *_REDUCED)
        value = loss.find(arg) if arg is not None else None
        if value is not None and value.rel is not None and value.batch:
            return "per_sample" if value.rel < 0 else "per_element"
        if value is not None and value.has(Tag.PER_SAMPLE):
            return "per_sample"  # a loss function's result (``tf.nn.ctc_loss``): one value per sample
        if isinstance(arg, cst.Call):
            inner = lookup(self.canonical(arg.func))
            axis = call_arg(arg, 1, "axis", "reduction_indices")
            if inner is not None and (inner.kind is Kind.LOSS_FN or (
                    inner.kind is Kind.REDUCE and axis is not None and literal(axis) not in (None, 0))):
                return "per_sample"
        return None


_WHOLE_BATCH_DOC = re.compile(r"sample[ _-]?weight|whole[ -]batch|entire[ -]batch|batch[ -]level|"
                              r"statistic of the batch|batch statistic", re.IGNORECASE)


def _factors(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of a product, flattened (``a * b * c``: a, b and c)."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
        return _factors(expr.left) + _factors(expr.right)
    return [expr]

