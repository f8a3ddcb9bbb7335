"""TFS103 rank-mismatch-broadcast."""

from __future__ import annotations

import libcst as cst

from tfshape_lint.analysis.losses import Context
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.uses import only_averaged
from tfshape_lint.analysis.values import Grad, Mark, Tag, Value, labels_below_logits
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._helpers import call_arg
from tfshape_lint.rules._shape_fixes import (
    ElementwiseOperands,
    ImportSpec,
    call,
    namespace,
    short,
    weight_on_loss,
)
from tfshape_lint.source import callee_name

_NARROW = "reshape the labels to the prediction's shape: {fix}"
_NARROW_NOFIX = "squeeze both sides or neither (or tf.reshape(y_true, tf.shape(y_pred)))"
_WIDER = "reduce both terms per sample first, or expand the per-sample term with [..., None]"
_FLAT = "flatten both sides or neither (or reshape the flattened one to the other's shape)"


#: a policy-gradient agent whose method builds a Dense(1) policy and compiles it with its own
#: method as the loss, the reward reshaped to ``{shape}`` (the TFS103 example and look-alike)
_POLICY_AGENT = ("import keras\nfrom keras import ops\n\n\n"
                 "class PolicyAgent:\n"
                 "    def __init__(self):\n"
                 "        self.model = self._build()\n"
                 "        self.model.compile(optimizer='adam', loss=self.pg_loss)\n\n"
                 "    def _build(self):\n"
                 "        state = keras.Input(shape=(4,))\n"
                 "        return keras.Model(state, keras.layers.Dense(1, activation='sigmoid')(state))\n\n"
                 "    def pg_loss(self, y_true, y_pred):\n"
                 "        action = ops.reshape(y_true[:, 0], (-1, 1))\n"
                 "        return ops.binary_crossentropy(action, y_pred) * ops.reshape(y_true[:, 1], {shape})\n")


class RankMismatchBroadcast(ElementwiseOperands, Rule):
    """## What it does
    Flags an elementwise operation (`+ - * /`, `tf.add`, `tf.maximum`, ...) inside a loss
    whose two tensors both keep the batch axis but differ in rank: broadcasting aligns
    *trailing* axes, so the batch axis of the lower-rank tensor meets the last axis of the
    other. Three forms:
    - one side of `y_true`/`y_pred` lost an axis (`tf.squeeze(y_pred)`, `y_true[:, 0]`) and
      the other did not: `(B,)` against `(B, 1)` becomes `(B, B)`;
    - a per-sample term `(B,)` (a reduction over the last axis, a built-in loss function,
      `tf.image.ssim`/`psnr`'s one value per image) is added to or multiplied with a
      per-element term `(B, T, ...)`.
    - a batch flattened to one axis (`K.flatten(reward)`, `tf.reshape(w, [-1])`) against a tensor
      of known rank >= 2 that keeps the batch axis: a `Dense(1)` policy's `(B, 1)` crossentropy
      times `K.flatten` of a reward column is `(B, B)`, every action weighted by every reward.

    Only where the mismatch is reachable: in `direct` (custom loop) and `subclass` contexts
    Keras passes the labels unchanged; in `compile` context Keras has already aligned `(B,)`
    labels to `(B, 1)` outputs, so a plain loss is fine there and only a mismatch the loss
    creates itself (squeezing one side only, per-sample against per-element terms) is flagged.
    Where the file shows what `fit` passes (numpy arrays of known shape, their slices, a
    `tf.data.Dataset.from_tensor_slices((x, y))` pipeline), a `Loss` subclass gets those
    labels as they are: `(N,)` labels are `(B,)` in `call` (measured), so squeezing a `(B, 1)`
    prediction matches them and *not* squeezing it is the mismatch.
    The prediction's rank comes from the model the file builds when it is known (a
    `Sequential`, functional or subclassed model, also one a function returns): a `Dense(1)`
    head on an `Input(shape=(8,))` (or `(N_STATE,)`: the tuple's length is the rank), an
    `input_shape=`, or after a `Flatten` outputs `(B, 1)`; a `Reshape(())` head outputs `(B,)`;
    a model a method of the class builds and returns (`self.model = self._build()`), compiled
    with the class's own method as the loss (`loss=self.pg_loss`), is read the same way;
    hidden layers in a loop (`for _ in range(n): x = Dense(64)(x)`) keep the rank every path
    agrees on. So `loss(y, model(x))` in a custom loop with `(N,)`
    labels is flagged, and a `Loss` subclass fitted on labels of the model's own rank is not.
    A model whose layers the analysis does not follow (an LSTM, a custom layer) leaves the
    rank unknown, and nothing is assumed.
    Nor is a sum or difference whose every use is a mean over all axes (`reduce_mean(a + b)`,
    also through a name): the mean of `a_j + b_i` over the `(B, B)` grid is `mean(a) + mean(b)`,
    the value (and gradient) it meant; against `(B, T)` with `T != B` it raises, which the first
    `fit` step shows.
    Per-sample weights and masks times an element-wise loss are TFS106. A mismatch that comes
    from an integer index on the batch axis (`y_pred[1]` picks one sample), in the indexed value
    or anything computed from it, is TFS105's finding, reported once there.

    ## Why is this bad?
    Nothing raises when the sizes happen to broadcast. Measured on TF 2.21 / Keras 3.15:
    in `fit` Keras hands the loss `y_true` as `(B, 1)`; the popular "fix"
    `tf.reduce_mean(tf.square(y_true - tf.squeeze(y_pred)))` then computes a `(B, B)` matrix
    and trains on 0.310597 instead of 0.358044, silently. Called directly (custom loops,
    `Loss` subclasses) the same `(B,)`/`(B, 1)` mismatch appears without any squeeze. A `(B,)`
    term added to a `(B, T)` term raises `Incompatible shapes` when `T != B` and is silently
    wrong when `T == B`.

    ## Example
    ```python
    def bce(y_true, y_pred):
        y_pred = tf.squeeze(y_pred, axis=-1)
        return tf.reduce_mean(tf.square(y_true - y_pred))

    model.compile(optimizer="adam", loss=bce)
    ```

    ## Use instead
    ```python
    def bce(y_true, y_pred):
        y_pred = tf.squeeze(y_pred, axis=-1)
        return tf.reduce_mean(tf.square(tf.reshape(y_true, tf.shape(y_pred)) - y_pred))

    model.compile(optimizer="adam", loss=bce)
    ```

    ## Fix safety
    Unsafe: `tf.reshape(y_true, tf.shape(y_pred))` is right whenever both hold one value per
    sample (measured correct in every mode), but it changes the loss value, and it
    raises if the element counts differ. Offered only when one side is `y_true` itself.

    ## Verification
    `--verify` runs the loss in its context (one `fit` step for compiled losses, a direct call
    otherwise) at B=4 with `(B, 1)` outputs and compares with a numpy reference: a `(B, B)`
    intermediate or a wrong value confirms it.
    """

    code = "TFS103"
    value_only = True
    name = "rank-mismatch-broadcast"
    message = "{low} has {fewer} than {high}, so {op} broadcasts its batch axis against the last axis; {advice}"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    recipe = Recipe("broadcast_rank", {"batch": 4}, "B=4 with (B,1) outputs in the loss's context vs numpy")

    good = (
        Example(_POLICY_AGENT.format(shape="(-1, 1)"),
                note="the reward reshaped to the policy's (B, 1): one reward per action"),
        Example("import keras\nfrom keras import ops\n\n\n"
                "def pg_loss(y_true, y_pred):\n"
                "    action = ops.reshape(y_true[:, 0], (-1,))\n"
                "    reward = ops.reshape(y_true[:, 1], (-1,))\n"
                "    return ops.binary_crossentropy(action, ops.reshape(y_pred, (-1,))) * reward\n\n\n"
                "state = keras.Input(shape=(4,))\n"
                "model = keras.Model(state, keras.layers.Dense(1, activation='sigmoid')(state))\n"
                "model.compile(optimizer='adam', loss=pg_loss)\n",
                note="every side flattened to (B,): one reward per action"),
        Example("import tensorflow as tf\n\n\n"
                "def combined_loss(y_true, y_pred):\n"
                "    bce = tf.keras.losses.binary_crossentropy(y_true, y_pred)\n"
                "    mae = tf.abs(y_true - y_pred)\n"
                "    combined = 0.5 * bce + mae\n"
                "    return tf.reduce_mean(combined)\n\n\n"
                "model.compile(optimizer='adam', loss=combined_loss)\n",
                note="a (B,) term plus a (B, 1) term only ever averaged over every axis: mean(a + b) over the "
                     "(B, B) grid is mean(a) + mean(b), what the sum meant"),
        Example('import tensorflow as tf\n'
                '\n'
                '\n'
                'def laplace_log_likelihood(y_true, y_pred):\n'
                '    fvc_pred, sigma = y_pred[0], y_pred[1]\n'
                '    sigma_clipped = tf.math.maximum(sigma, 70)\n'
                '    delta = tf.math.minimum(tf.math.abs(y_true - fvc_pred), 1000)\n'
                '    return -(tf.math.sqrt(2.0) * delta / sigma_clipped) - tf.math.log(tf.math.sqrt(2.0) * sigma_clipped)\n'
                '\n'
                '\n'
                'model.compile(optimizer="adam", loss="mae", metrics=[laplace_log_likelihood])\n',
                note="y_pred[0] and y_pred[1] pick samples (TFS105's finding); what is computed from them is not a second bug"),
        Example("import tensorflow as tf\n"
                "\n"
                "VOCAB_SIZE = 8000\n"
                "\n"
                "\n"
                "def masked_smoothed_loss(label, pred):\n"
                "    mask = label != 0\n"
                '    cross_entropy = tf.keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, reduction="none")\n'
                "    label = tf.one_hot(tf.cast(label, tf.int32), VOCAB_SIZE)\n"
                "    loss = cross_entropy(label, pred)\n"
                "    mask = tf.cast(mask, dtype=loss.dtype)\n"
                "    loss *= mask\n"
                "    return tf.reduce_sum(loss) / tf.reduce_sum(mask)\n",
                note="the padding mask is taken from the (B, T) class ids before the name is rebound to their one-hot encoding"),
        Example("import keras\nfrom keras import ops\n\n\n"
                "class SmoothedTokenLoss(keras.losses.Loss):\n"
                "    def __init__(self, smoothing=0.1, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.smoothing = smoothing\n"
                "        self.ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=\"none\")\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        per_token = self.ce(y_true, y_pred)\n"
                "        uniform = -ops.mean(y_pred - ops.logsumexp(y_pred, axis=-1, keepdims=True), axis=-1)\n"
                "        return ops.mean((1.0 - self.smoothing) * per_token + self.smoothing * uniform, axis=-1)\n",
                note="a sparse crossentropy's per-token values (the labels' shape) and the logits averaged over "
                     "their class axis are both (B, T)"),
        Example("import tensorflow as tf\n\ndef steer_loss(y_true, y_pred):\n"
                "    turn_true = y_true[:, 1] - y_true[:, 0]\n"
                "    turn_pred = y_pred[:, 1] - y_pred[:, 0]\n"
                "    return tf.keras.losses.mse(turn_true, turn_pred) + tf.keras.losses.mse(y_true, y_pred)\n",
                note="a built-in loss of two (B,) columns is one scalar for the batch: it broadcasts "
                     "against the (B,) loss"),
        Example('import tensorflow as tf\n\ndef dice(y_true, y_pred, keepdims=True):\n    pq = tf.reduce_sum(y_pred * y_true, axis=[1, 2], keepdims=keepdims)\n    p2 = tf.reduce_sum(y_pred * y_pred, axis=[1, 2], keepdims=keepdims)\n    q2 = tf.reduce_sum(y_true * y_true, axis=[1, 2], keepdims=keepdims)\n    return 1 - 2 * pq / (p2 + q2 + 1e-7)\n\ndef mask_loss(y_true, y_pred):\n    d = tf.reduce_mean(dice(y_true, y_pred), axis=[1, 2])\n    present = tf.cast(tf.reduce_sum(y_true, axis=[1, 2]) > 0, tf.float32)\n    return tf.reduce_sum(present * d, axis=1) / tf.maximum(tf.reduce_sum(present, axis=1), 1.0)\n',
                note="keepdims=keepdims with the helper's default True keeps the summed axes: the means over "
                     "them match the per-class presence"),
        Example("import tensorflow as tf\n\ndef poly1_loss(y_true, y_pred, epsilon=1.0):\n"
                "    onehot = tf.one_hot(tf.cast(y_true, tf.int32), depth=7)\n"
                "    pt = tf.reduce_sum(onehot * y_pred, axis=-1)\n"
                "    ce = tf.nn.softmax_cross_entropy_with_logits(onehot, y_pred)\n"
                "    return ce + epsilon * (1 - pt)\n",
                note="labels one-hot encoded by the loss are class ids, one rank below the prediction: "
                     "the crossentropy and pt are both one value per sample"),
        Example("import tensorflow as tf\n\nPAD = 0\n\ndef padded_loss(y_true, y_pred):\n"
                "    y_true = tf.cast(y_true, tf.int32)\n"
                "    mask = tf.cast(tf.not_equal(y_true, PAD), tf.float32)\n"
                "    ce = tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(y_true, 100), y_pred)\n"
                "    return ce * mask\n",
                note="a crossentropy over one_hot(y_true) has one value per label: the shape of the padding mask"),
        Example("import tensorflow as tf\n\ndef margin_loss(y_true, y_pred):\n"
                "    lengths = tf.norm(y_pred, axis=-1)\n"
                "    loss = y_true * tf.square(tf.maximum(0.0, 0.9 - lengths)) "
                "+ 0.5 * (1.0 - y_true) * tf.square(tf.maximum(0.0, lengths - 0.1))\n"
                "    return tf.reduce_sum(loss, axis=-1)\n",
                note="the lengths of the prediction's vectors (a capsule network's): the prediction "
                     "has an axis more than its labels, so no mismatch is claimed"),
        Example("import tensorflow as tf\n\ndef mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n\n"
                "model.compile(optimizer='adam', loss=mse)\n",
                note="(B,) labels and (B,1) outputs: Keras aligns them in compile"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    t = tf.squeeze(y_true, axis=-1)\n"
                "    p = tf.squeeze(y_pred, axis=-1)\n"
                "    return tf.square(t - p)\n\n"
                "model.compile(optimizer='adam', loss=loss)\n",
                note="both sides squeezed"),
        Example("import tensorflow as tf\n\n"
                "class Chamfer(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        n = y_pred.shape[1]\n"
                "        m = y_true.shape[1]\n"
                "        a = tf.tile(tf.expand_dims(y_pred, 2), [1, 1, m, 1])\n"
                "        b = tf.tile(tf.expand_dims(y_true, 1), [1, n, 1, 1])\n"
                "        d = tf.reduce_sum(tf.square(a - b), axis=-1)\n"
                "        return tf.reduce_min(d, axis=2) + tf.reduce_min(d, axis=1)\n\n"
                "model.compile(optimizer='adam', loss=Chamfer())\n",
                note="labels and predictions both expanded, at different axes (pairwise distances)"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    per_sample = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "    reg = tf.reduce_sum(tf.abs(y_pred), axis=-1)\n"
                "    return per_sample + 0.01 * reg\n\n"
                "model.compile(optimizer='adam', loss=loss)\n",
                note="two per-sample terms"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    scale = tf.reduce_mean(tf.abs(y_true), axis=-1, keepdims=True)\n"
                "    return tf.reduce_mean(tf.abs(y_true - y_pred) / (scale + 1e-7), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=loss)\n",
                note="keepdims keeps the axis"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    ce = tf.keras.losses.categorical_crossentropy(y_true, y_pred)\n"
                "    return tf.square(y_true - y_pred) * ce[:, None]\n\n"
                "model.compile(optimizer='adam', loss=loss)\n",
                note="the per-sample term is expanded"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    p = tf.squeeze(y_pred, axis=-1)\n"
                "    return tf.square(y_true - p)\n",
                note="context unknown (no compile, no subclass, no custom loop in the file)"),
        Example("import tensorflow as tf\n\nSAMPLE_W = tf.random.uniform((5, 3))\n\n"
                "def weighted_mse(y_true, y_pred, weights):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * weights, axis=-1)\n\n"
                "model.compile(optimizer='sgd', loss=lambda t, p: weighted_mse(t, p, SAMPLE_W))\n",
                note="a (5, 3) constant has no batch axis to misalign (TFS107's case)"),
        Example("import tensorflow as tf\nfrom tensorflow.keras.layers import Dense, Input\n\n"
                "def weighted_ce(y_true, y_pred, w):\n"
                "    return w[:, 0] * tf.keras.losses.categorical_crossentropy(y_true, y_pred)\n\n"
                "x = Input(shape=(8,))\nlabels = Input(shape=(4,))\nw = Input(shape=(1,))\n"
                "probs = Dense(4, activation='softmax')(x)\n"
                "model = tf.keras.Model([x, labels, w], probs)\n"
                "model.add_loss(weighted_ce(labels, probs, w))\n",
                note="the (B, 1) weight taken as (B,) first"),
        Example("import tensorflow as tf\n\nclass SqueezedMSE(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        y_pred = tf.squeeze(y_pred, axis=-1)\n"
                "        y_true = tf.reshape(y_true, tf.shape(y_pred))\n"
                "        return tf.square(y_true - y_pred)\n",
                note="reshape(y, tf.shape(p)) has p's rank, also after a squeeze"),
        Example("import numpy as np\nimport tensorflow as tf\n\n"
                "x = np.random.rand(64, 4)\ny = np.random.rand(64, 2)[:, 0]\n\n"
                "class SqueezedMSE(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        y_pred = tf.squeeze(y_pred, axis=-1)\n"
                "        return tf.square(y_true - y_pred)\n\n"
                "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
                "model.compile(optimizer='adam', loss=SqueezedMSE())\nmodel.fit(x, y, epochs=2)\n",
                note="fit passes (N,) labels, which a Loss subclass receives as (B,) (measured): "
                     "squeezing the (B, 1) prediction matches them"),
        Example("import numpy as np\nimport tensorflow as tf\n\nx = np.random.rand(64, 4)\ny = np.random.rand(64)\n\n"
                "class SqueezedMAE(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.abs(y_true - tf.squeeze(y_pred, axis=-1))\n\n"
                "def train(model):\n"
                "    ds = tf.data.Dataset.from_tensor_slices((x, y))\n"
                "    ds = ds.shuffle(64).batch(8)\n"
                "    model.compile(optimizer='adam', loss=SqueezedMAE())\n"
                "    model.fit(ds, epochs=2)\n",
                note="a tf.data pipeline of (N,) labels gives the Loss subclass (B,) labels too"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "def mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n"
                "\n"
                "def build_model():\n"
                "    return tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(8,))])\n"
                "\n"
                "model = build_model()\n"
                "x = np.random.rand(64, 8)\n"
                "y = np.random.rand(64)\n"
                "with tf.GradientTape() as tape:\n"
                "    loss = mse(y, tf.squeeze(model(x), axis=-1))\n"
                "grads = tape.gradient(loss, model.trainable_variables)\n",
                note="the model's (B, 1) output squeezed to (B,) before the call"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "def mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n"
                "\n"
                "def build_model():\n"
                "    return tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(8,))])\n"
                "\n"
                "model = build_model()\n"
                "x = np.random.rand(64, 8)\n"
                "y = np.random.rand(64, 1)\n"
                "with tf.GradientTape() as tape:\n"
                "    loss = mse(y, model(x))\n"
                "grads = tape.gradient(loss, model.trainable_variables)\n",
                note="(N, 1) labels against a Dense(1) model's (B, 1) output: same rank"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "def mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n"
                "\n"
                "def build_model():\n"
                "    return tf.keras.Sequential([tf.keras.layers.LSTM(4, input_shape=(10, 8)), tf.keras.layers.Dense(1)])\n"
                "\n"
                "model = build_model()\n"
                "x = np.random.rand(64, 10, 8)\n"
                "y = np.random.rand(64)\n"
                "with tf.GradientTape() as tape:\n"
                "    loss = mse(y, model(x))\n"
                "grads = tape.gradient(loss, model.trainable_variables)\n",
                note="an LSTM the layer table does not follow: the model's output rank is unknown"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "def mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n"
                "\n"
                "def build_model():\n"
                "    return tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(8,)), tf.keras.layers.Reshape(())])\n"
                "\n"
                "model = build_model()\n"
                "x = np.random.rand(64, 8)\n"
                "y = np.random.rand(64)\n"
                "with tf.GradientTape() as tape:\n"
                "    loss = mse(y, model(x))\n"
                "grads = tape.gradient(loss, model.trainable_variables)\n",
                note="a Reshape(()) head outputs (B,), like the labels"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "x = np.random.rand(64, 4)\n"
                "y = np.random.rand(64)\n"
                "\n"
                "class AbsError(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.abs(y_true - y_pred)\n"
                "\n"
                "model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(4,)), tf.keras.layers.Reshape(())])\n"
                "model.compile(optimizer='adam', loss=AbsError())\n"
                "model.fit(x, y, epochs=2)\n",
                note="(N,) labels against a Reshape(()) head: a Loss subclass gets (B,) and (B,)"),
        Example("import tensorflow as tf\n"
                "from tensorflow.keras.layers import Dense, Input\n"
                "\n"
                "def mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "\n"
                "x = Input(shape=(8,))\n"
                "labels = Input(shape=(1,))\n"
                "pred = Dense(1, activation='sigmoid')(x)\n"
                "model = tf.keras.Model([x, labels], pred)\n"
                "model.add_loss(mse(labels, pred))\n",
                note="(B, 1) labels against a Dense(1) output: same rank"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "\n"
                "class Net(tf.keras.Model):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.flat = tf.keras.layers.Flatten()\n"
                "        self.head = tf.keras.layers.Dense(1)\n"
                "\n"
                "    def call(self, inputs):\n"
                "        return self.head(self.flat(inputs))\n"
                "\n"
                "\n"
                "def mae(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.abs(y_true - y_pred))\n"
                "\n"
                "\n"
                "model = Net()\n"
                "opt = tf.keras.optimizers.Adam()\n"
                "images = np.random.rand(32, 28, 28)\n"
                "targets = np.random.rand(32)\n"
                "\n"
                "\n"
                "def train_step(model):\n"
                "    with tf.GradientTape() as tape:\n"
                "        loss = mae(targets, model(images))\n"
                "    grads = tape.gradient(loss, model.trainable_variables)\n"
                "    opt.apply_gradients(zip(grads, model.trainable_variables))\n",
                note="the train step calls the model it is given, which may be another one"),
        Example("import tensorflow as tf\n\n"
                "def pit_loss(y_true, y_pred):\n"
                "    t = tf.shape(y_true)[1]\n"
                "    labels = tf.slice(y_true, [0, 0, 0], [-1, t - 1, -1])\n"
                "    lengths = tf.slice(y_true, [0, t - 1, 0], [-1, -1, 1])\n"
                "    cost = tf.reduce_sum(tf.square(y_pred - labels), axis=[1, 2])\n"
                "    return cost / tf.squeeze(lengths)\n",
                note="a (B, 1, 1) slice squeezed without axis is (B,), like the per-sample cost"),
    )
    bad = (
        Example(_POLICY_AGENT.format(shape="(-1,)"),
                fixed=None, line=16,
                message="ops.reshape(y_true[:, 1], (-1,)) has one axis fewer than ops.binary_crossentropy(action, "
                        "y_pred), so * broadcasts its batch axis against the last axis; flatten both sides or neither "
                        "(or reshape the flattened one to the other's shape)",
                note="the model a method builds (self.model = self._build()) and the class compiles with its own "
                     "method as the loss: a (B, 1) output"),
        Example("import keras\nfrom keras import ops\n\n\n"
                "def build_policy():\n"
                "    state = keras.Input(shape=(4,))\n"
                "    hidden = keras.layers.Dense(16, activation='relu')(state)\n"
                "    return keras.Model(state, keras.layers.Dense(1, activation='sigmoid')(hidden))\n\n\n"
                "def pg_loss(y_true, y_pred):\n"
                "    action = ops.reshape(y_true[:, 0], (-1, 1))\n"
                "    reward = ops.reshape(y_true[:, 1], (-1,))\n"
                "    return ops.binary_crossentropy(action, y_pred) * reward\n\n\n"
                "model = build_policy()\n"
                "model.compile(optimizer='adam', loss=pg_loss)\n",
                fixed=None, line=14,
                message="reward has one axis fewer than ops.binary_crossentropy(action, y_pred), so * broadcasts its "
                        "batch axis against the last axis; flatten both sides or neither (or reshape the flattened "
                        "one to the other's shape)",
                note="a policy-gradient loss: the (B, 1) crossentropy of a Dense(1) policy times the flattened (B,) "
                     "rewards is (B, B), every action weighted by every reward"),
        Example("import keras\nfrom keras import ops\n\nN_STATE, N_ACTIONS, N_LAYERS = 8, 4, 2\n\n\ndef ppo_loss(advantage, old_prediction):\n    def loss(y_true, y_pred):\n        prob = ops.sum(y_true * y_pred, axis=-1)\n        old_prob = ops.sum(y_true * old_prediction, axis=-1)\n        r = prob / (old_prob + 1e-10)\n        return -ops.mean(ops.minimum(r, ops.clip(r, 0.8, 1.2)) * advantage)\n    return loss\n\n\ndef build_actor():\n    state = keras.Input(shape=(N_STATE,))\n    advantage = keras.Input(shape=(1,))\n    old_prediction = keras.Input(shape=(N_ACTIONS,))\n    x = keras.layers.Dense(64, activation=\"tanh\")(state)\n    for _ in range(N_LAYERS - 1):\n        x = keras.layers.Dense(64, activation=\"tanh\")(x)\n    probs = keras.layers.Dense(N_ACTIONS, activation=\"softmax\")(x)\n    model = keras.Model(inputs=[state, advantage, old_prediction], outputs=[probs])\n    model.compile(optimizer=\"adam\", loss=[ppo_loss(advantage=advantage, old_prediction=old_prediction)])\n    return model\n",
                fixed=None, line=12,
                note="the actor's hidden layers in a loop and an Input shaped by a constant: the output is still (B, A)"),
        Example("import keras\nfrom keras import ops\n\n\ndef ppo_loss(advantage, old_prediction):\n"
                "    def loss(y_true, y_pred):\n"
                "        prob = ops.sum(y_true * y_pred, axis=-1)\n"
                "        old_prob = ops.sum(y_true * old_prediction, axis=-1)\n"
                "        return -ops.mean(prob / (old_prob + 1e-10) * advantage)\n"
                "    return loss\n\n\n"
                "def build_actor(n_actions):\n"
                "    state = keras.Input(shape=(8,))\n"
                "    advantage = keras.Input(shape=(1,))\n"
                "    old_prediction = keras.Input(shape=(n_actions,))\n"
                "    probs = keras.layers.Dense(n_actions, activation='softmax')(state)\n"
                "    model = keras.Model(inputs=[state, advantage, old_prediction], outputs=[probs])\n"
                "    model.compile(optimizer='adam', loss=[ppo_loss(advantage=advantage, old_prediction=old_prediction)])\n"
                "    return model\n",
                fixed=None, line=9,
                note="a model input the factory's loss closes over, (B, 1) against the per-sample (B,) ratio "
                     "(a widely copied PPO loss)"),
        Example("import tensorflow as tf\n\n"
                "def ssim_l1(y_true, y_pred):\n"
                "    return (1.0 - tf.image.ssim(y_true, y_pred, 1.0)) + tf.abs(y_true - y_pred)\n\n"
                "model.compile(optimizer='adam', loss=ssim_l1)\n",
                fixed=None, line=4,
                note="tf.image.ssim gives one value per image (B,), added to per-pixel (B, H, W, C) terms"),
        Example("import tensorflow as tf\n\ndef weighted_bce(weights):\n    if not weights:\n        weights = {'pos': 0.5, 'neg': 0.5}\n\n    def loss(y_true, y_pred):\n        bce = tf.keras.losses.binary_crossentropy(y_true, y_pred)\n        w = y_true * weights['pos'] + (1.0 - y_true) * weights['neg']\n        return tf.reduce_mean(w * bce)\n    return loss\n",
                fixed=None, line=10,
                note="weights['pos'] reads a setting from a mapping (the factory's argument, or the dict that "
                     "replaces an empty one): no axes of its own, so w has the labels' rank"),
        Example("import tensorflow as tf\n\ndef bce(y_true, y_pred):\n"
                "    y_pred = tf.squeeze(y_pred, axis=-1)\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n\n"
                "model.compile(optimizer='adam', loss=bce)\n",
                fixed="import tensorflow as tf\n\ndef bce(y_true, y_pred):\n"
                      "    y_pred = tf.squeeze(y_pred, axis=-1)\n"
                      "    return tf.reduce_mean(tf.square(tf.reshape(y_true, tf.shape(y_pred)) - y_pred))\n\n"
                      "model.compile(optimizer='adam', loss=bce)\n",
                line=5, message="y_pred has one axis fewer than y_true, so - broadcasts its batch axis against "
                                "the last axis; reshape the labels to the prediction's shape: "
                                "tf.reshape(y_true, tf.shape(y_pred))"),
        Example("import tensorflow as tf\n\nclass HingeLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        label = y_true[:, 0]\n"
                "        return tf.maximum(0.0, 1.0 - label * y_pred)\n",
                fixed=None, line=6, note="a Loss subclass: one side indexed to (B,)"),
        Example("from tensorflow.keras import backend as K\n\ndef loss(y_true, y_pred):\n"
                "    ce = K.categorical_crossentropy(y_true, y_pred)\n"
                "    l1 = K.abs(y_true - y_pred)\n"
                "    return ce + l1\n\n"
                "model.compile(optimizer='adam', loss=loss)\n",
                fixed=None, line=6, note="per-sample (B,) plus per-element (B,C), K spelling"),
        Example("from keras import ops\n\ndef make_loss(alpha):\n"
                "    def loss(y_true, y_pred):\n"
                "        per_sample = ops.mean(ops.square(y_true - y_pred), axis=-1)\n"
                "        return ops.add(per_sample, alpha * ops.abs(y_pred))\n"
                "    return loss\n\n"
                "model.compile(optimizer='adam', loss=make_loss(0.1))\n",
                fixed=None, line=6, note="keras.ops in a factory closure"),
        Example("import tensorflow as tf\n\ndef step_loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - tf.squeeze(y_pred)))\n\n"
                "with tf.GradientTape() as tape:\n"
                "    loss = step_loss(y, model(x))\n"
                "grads = tape.gradient(loss, model.trainable_variables)\n",
                fixed="import tensorflow as tf\n\ndef step_loss(y_true, y_pred):\n"
                      "    return tf.reduce_mean(tf.square(tf.reshape(y_true, tf.shape(tf.squeeze(y_pred))) - tf.squeeze(y_pred)))\n\n"
                      "with tf.GradientTape() as tape:\n"
                      "    loss = step_loss(y, model(x))\n"
                      "grads = tape.gradient(loss, model.trainable_variables)\n",
                line=4, note="a custom training loop"),
        Example("import tensorflow as tf\n\ndef _per_sample(t, p):\n"
                "    return tf.math.reduce_mean(tf.math.abs(t - p), axis=-1)\n\n"
                "def total(y_true, y_pred):\n"
                "    return _per_sample(y_true, y_pred) * tf.square(y_true - y_pred)\n",
                fixed=None, line=7, note="a helper; per-sample times per-element even without a known context"),
        Example("import tensorflow as tf\nfrom tensorflow.keras.layers import Dense, Input\n\n"
                "def weighted_ce(y_true, y_pred, w):\n"
                "    return w * tf.keras.losses.categorical_crossentropy(y_true, y_pred)\n\n"
                "x = Input(shape=(8,))\nlabels = Input(shape=(4,))\nw = Input(shape=(1,))\n"
                "probs = Dense(4, activation='softmax')(x)\n"
                "model = tf.keras.Model([x, labels, w], probs)\n"
                "model.add_loss(weighted_ce(labels, probs, w))\n",
                fixed=None, line=5, note="add_loss with a (B, 1) Input weight against a (B,) loss"),
        Example("import numpy as np\nimport tensorflow as tf\n\nx = np.random.rand(64, 4)\ny = np.random.rand(64)\n\n"
                "class AbsError(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.abs(y_true - y_pred)\n\n"
                "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
                "model.compile(optimizer='adam', loss=AbsError())\nmodel.fit(x, y, epochs=2)\n",
                fixed="import numpy as np\nimport tensorflow as tf\n\nx = np.random.rand(64, 4)\ny = np.random.rand(64)\n\n"
                      "class AbsError(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        return tf.abs(tf.reshape(y_true, tf.shape(y_pred)) - y_pred)\n\n"
                      "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
                      "model.compile(optimizer='adam', loss=AbsError())\nmodel.fit(x, y, epochs=2)\n",
                line=9, note="fit passes (N,) labels; a Loss subclass gets them unaligned, (B,) against (B, 1)"),
        Example("import numpy as np\nimport tensorflow as tf\n\n"
                "x = np.random.rand(64, 4)\ny = np.random.rand(64, 2)[:, :1]\n\n"
                "class SqueezedMSE(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        y_pred = tf.squeeze(y_pred, axis=-1)\n"
                "        return tf.square(y_true - y_pred)\n\n"
                "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
                "model.compile(optimizer='adam', loss=SqueezedMSE())\nmodel.fit(x, y, epochs=2)\n",
                fixed="import numpy as np\nimport tensorflow as tf\n\n"
                      "x = np.random.rand(64, 4)\ny = np.random.rand(64, 2)[:, :1]\n\n"
                      "class SqueezedMSE(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        y_pred = tf.squeeze(y_pred, axis=-1)\n"
                      "        return tf.square(tf.reshape(y_true, tf.shape(y_pred)) - y_pred)\n\n"
                      "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
                      "model.compile(optimizer='adam', loss=SqueezedMSE())\nmodel.fit(x, y, epochs=2)\n",
                line=10, note="fit passes (N, 1) labels: squeezing only the prediction broadcasts (B, 1) against (B,)"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "def mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n"
                "\n"
                "def build_model():\n"
                "    return tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(8,))])\n"
                "\n"
                "model = build_model()\n"
                "x = np.random.rand(64, 8)\n"
                "y = np.random.rand(64)\n"
                "with tf.GradientTape() as tape:\n"
                "    loss = mse(y, model(x))\n"
                "grads = tape.gradient(loss, model.trainable_variables)\n",
                fixed="import numpy as np\n"
                      "import tensorflow as tf\n"
                      "\n"
                      "def mse(y_true, y_pred):\n"
                      "    return tf.reduce_mean(tf.square(tf.reshape(y_true, tf.shape(y_pred)) - y_pred))\n"
                      "\n"
                      "def build_model():\n"
                      "    return tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(8,))])\n"
                      "\n"
                      "model = build_model()\n"
                      "x = np.random.rand(64, 8)\n"
                      "y = np.random.rand(64)\n"
                      "with tf.GradientTape() as tape:\n"
                      "    loss = mse(y, model(x))\n"
                      "grads = tape.gradient(loss, model.trainable_variables)\n",
                line=5, note="(N,) labels against the (B, 1) output of a model a builder returns, called directly"),
        Example("import tensorflow as tf\n"
                "from tensorflow.keras.layers import Dense, Input\n"
                "\n"
                "def mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "\n"
                "x = Input(shape=(8,))\n"
                "labels = Input(shape=())\n"
                "pred = Dense(1, activation='sigmoid')(x)\n"
                "model = tf.keras.Model([x, labels], pred)\n"
                "model.add_loss(mse(labels, pred))\n",
                fixed="import tensorflow as tf\n"
                      "from tensorflow.keras.layers import Dense, Input\n"
                      "\n"
                      "def mse(y_true, y_pred):\n"
                      "    return tf.reduce_mean(tf.square(tf.reshape(y_true, tf.shape(y_pred)) - y_pred), axis=-1)\n"
                      "\n"
                      "x = Input(shape=(8,))\n"
                      "labels = Input(shape=())\n"
                      "pred = Dense(1, activation='sigmoid')(x)\n"
                      "model = tf.keras.Model([x, labels], pred)\n"
                      "model.add_loss(mse(labels, pred))\n",
                line=5, note="(B,) labels against the (B, 1) output of a Dense(1) layer: (B, B)"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "x = np.random.rand(64, 4)\n"
                "y = np.random.rand(64, 1)\n"
                "\n"
                "class AbsError(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.abs(y_true - y_pred)\n"
                "\n"
                "model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(4,)), tf.keras.layers.Reshape(())])\n"
                "model.compile(optimizer='adam', loss=AbsError())\n"
                "model.fit(x, y, epochs=2)\n",
                fixed="import numpy as np\n"
                      "import tensorflow as tf\n"
                      "\n"
                      "x = np.random.rand(64, 4)\n"
                      "y = np.random.rand(64, 1)\n"
                      "\n"
                      "class AbsError(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        return tf.abs(tf.reshape(y_true, tf.shape(y_pred)) - y_pred)\n"
                      "\n"
                      "model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(4,)), tf.keras.layers.Reshape(())])\n"
                      "model.compile(optimizer='adam', loss=AbsError())\n"
                      "model.fit(x, y, epochs=2)\n",
                line=9, note="fit passes (N, 1) labels to a Loss subclass of a model whose Reshape(()) head outputs (B,)"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "\n"
                "class Net(tf.keras.Model):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.flat = tf.keras.layers.Flatten()\n"
                "        self.head = tf.keras.layers.Dense(1)\n"
                "\n"
                "    def call(self, inputs):\n"
                "        return self.head(self.flat(inputs))\n"
                "\n"
                "\n"
                "def mae(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.abs(y_true - y_pred))\n"
                "\n"
                "\n"
                "model = Net()\n"
                "opt = tf.keras.optimizers.Adam()\n"
                "images = np.random.rand(32, 28, 28)\n"
                "targets = np.random.rand(32)\n"
                "\n"
                "\n"
                "def train_step():\n"
                "    with tf.GradientTape() as tape:\n"
                "        loss = mae(targets, model(images))\n"
                "    grads = tape.gradient(loss, model.trainable_variables)\n"
                "    opt.apply_gradients(zip(grads, model.trainable_variables))\n",
                fixed="import numpy as np\n"
                      "import tensorflow as tf\n"
                      "\n"
                      "\n"
                      "class Net(tf.keras.Model):\n"
                      "    def __init__(self):\n"
                      "        super().__init__()\n"
                      "        self.flat = tf.keras.layers.Flatten()\n"
                      "        self.head = tf.keras.layers.Dense(1)\n"
                      "\n"
                      "    def call(self, inputs):\n"
                      "        return self.head(self.flat(inputs))\n"
                      "\n"
                      "\n"
                      "def mae(y_true, y_pred):\n"
                      "    return tf.reduce_mean(tf.abs(tf.reshape(y_true, tf.shape(y_pred)) - y_pred))\n"
                      "\n"
                      "\n"
                      "model = Net()\n"
                      "opt = tf.keras.optimizers.Adam()\n"
                      "images = np.random.rand(32, 28, 28)\n"
                      "targets = np.random.rand(32)\n"
                      "\n"
                      "\n"
                      "def train_step():\n"
                      "    with tf.GradientTape() as tape:\n"
                      "        loss = mae(targets, model(images))\n"
                      "    grads = tape.gradient(loss, model.trainable_variables)\n"
                      "    opt.apply_gradients(zip(grads, model.trainable_variables))\n",
                line=16, note="a subclassed model (Flatten, Dense(1)) called in a train step on (N,) targets"),
    )

    def check_operands(self, scope: Scope, node: cst.BinaryOperation | cst.Call | cst.AugAssign, op: str,
                       left: cst.BaseExpression, right: cst.BaseExpression) -> None:
        lv, rv = self._effective(self.value(left)), self._effective(self.value(right))
        if lv is None or rv is None or self._flattened_against_rows(node, op, left, lv, right, rv):
            return
        if not _batch_tensor(lv) or not _batch_tensor(rv):
            return
        assert lv.rel is not None and rv.rel is not None
        if lv.rel == rv.rel or lv.marked(Mark.RANK_MISMATCH) or rv.marked(Mark.RANK_MISMATCH):
            return  # no mismatch, or one already reported where it arose
        if lv.has(Tag.BATCH_INDEX) or rv.has(Tag.BATCH_INDEX):
            return  # y_pred[0]: one root cause, reported by TFS105
        if labels_below_logits(lv, rv):
            return  # a sparse crossentropy's per-token values and a class-axis reduction: one shape
        (low_node, low), (high_node, high) = sorted(((left, lv), (right, rv)), key=lambda p: p[1].rel or 0)
        if low.rel is not None and low.rel <= -2 and low.rank is None and low.has(Tag.LOSS_FN):
            return  # a built-in loss of columns (``mse(y_true[:, 1], y_pred[:, 1])``): on (B, k) inputs
            # it averages the batch into a scalar, which broadcasts against anything
        if weight_on_loss(op, low, high):
            return  # a per-sample weight or mask on an element-wise loss: TFS106
        wider = low.grad is Grad.DIFF and not low.has(Tag.SQUEEZED)
        if scope.context is Context.UNKNOWN and not wider:
            return  # the labels' rank depends on how the loss is called
        if not isinstance(node, cst.AugAssign) and _additive(node) and only_averaged(scope, node, self.index.imports):
            return  # the mean of a_j + b_i over the (B, B) grid is mean(a) + mean(b): as meant
        fix, imports = self._fix(left, lv, right, rv)
        replacement = _replaced(node, fix) if fix is not None else None
        if fix is not None and replacement is not None:
            advice = _NARROW.format(fix=short(fix[1], 60))
        else:
            advice = _WIDER if wider else _NARROW_NOFIX
        assert high.rel is not None and low.rel is not None
        gap = high.rel - low.rel
        fewer = "one axis fewer" if gap == 1 else f"{gap} axes fewer"
        self.report(node, low=short(low_node), high=short(high_node), fewer=fewer, op=op,
                    advice=advice, fix=replacement,
                    fix_imports=imports)

    def _flattened_against_rows(self, node: cst.BinaryOperation | cst.Call | cst.AugAssign, op: str,
                                left: cst.BaseExpression, lv: Value, right: cst.BaseExpression, rv: Value) -> bool:
        """``K.binary_crossentropy(action, y_pred) * K.flatten(reward)`` of a ``Dense(1)`` model:
        the batch flattened to one axis (``B * k`` values, ``k`` >= 1) against a tensor of known
        rank >= 2 that keeps the batch axis. Broadcasting lines the flattened values up with the
        last axis: ``(B, 1) * (B,)`` is ``(B, B)``, and any other length raises. (A flattened
        mask is a weight: TFS106's.)"""
        for flat_node, flat, rows_node, rows in ((left, lv, right, rv), (right, rv, left, lv)):
            if _flattened_batch(flat) and rows.tensor and rows.batch and rows.rank is not None \
                    and rows.rank >= 2 and bool(rows.origin) and not rows.has(Tag.SQUEEZED):
                gap = rows.rank - 1
                self.report(node, low=short(flat_node), high=short(rows_node), op=op, advice=_FLAT,
                            fewer="one axis fewer" if gap == 1 else f"{gap} axes fewer")
                return True
        return False

    def _effective(self, value: Value | None) -> Value | None:
        """A squeeze without axis of a ``(B, 1)`` tensor, as Keras' alignment makes it in fit,
        drops one axis; the analysis itself leaves its rank unknown (TFS104's concern). Only
        ``y_true``/``y_pred`` themselves are read so: a slice of them (``y_true[:, -1:, :1]``,
        ``tf.slice(y_true, [0, t, 0], [-1, -1, 1])``) may hold several axes of size 1."""
        if value is None or self.loss is None or value.rel is not None or not value.has(Tag.SQUEEZED_NO_AXIS):
            return value
        squeezes = [n for n in value.marked(Mark.SQUEEZE) if isinstance(n, cst.Call)]
        arg = call_arg(squeezes[0], 0, "input", "x", "a") if len(squeezes) == 1 else None
        before = self.loss.find(arg) if arg is not None else None
        if before is None or before.rel is None or not before.batch or not before.has(Tag.INPUT):
            return value
        return value.evolve(rel=before.rel - 1, rank=None, batch=True)

    def _fix(self, left: cst.BaseExpression, lv: Value, right: cst.BaseExpression, rv: Value
             ) -> tuple[tuple[cst.BaseExpression, cst.Call] | None, tuple[ImportSpec, ...]]:
        """Replace a bare ``y_true`` operand by ``tf.reshape(y_true, tf.shape(<other>))``."""
        loss = self.loss
        if loss is None or loss.y_true is None:
            return None, ()
        ns = namespace(self.index)
        tf = ns.cast.rsplit(".", 1)[0]
        if ns.add_n is None:
            return None, ()  # the reshape spelling needs tf (keras.ops has no shape-tensor reshape)
        for mine, value, other in ((left, lv, right), (right, rv, left)):
            if isinstance(mine, cst.Name) and mine.value == loss.y_true and value.has(Tag.Y_TRUE) \
                    and value.has(Tag.INPUT) and len(short(other, 200)) <= 60:
                shape = call(f"{tf}.shape", other.with_changes(lpar=[], rpar=[]) if getattr(other, "lpar", None) else other)
                return (mine, call(f"{tf}.reshape", mine, shape)), ns.imports
        return None, ()


def _flattened_batch(value: Value) -> bool:
    """A batch's values flattened to one axis (``K.flatten``, ``tf.reshape(x, [-1])``), not a mask."""
    return value.tensor and value.rank == 1 and value.has(Tag.FLATTENED) and value.has(Tag.HOLDS_BATCH) \
        and not value.has(Tag.MASK) and bool(value.origin)


def _batch_tensor(value: Value) -> bool:
    return value.tensor and value.batch and value.rel is not None and bool(value.origin)


def _replaced(node: cst.CSTNode, fix: tuple[cst.BaseExpression, cst.Call]) -> cst.CSTNode | None:
    """``node`` with the ``y_true`` operand swapped for its reshaped form (None: not possible,
    as for the target of ``y_true -= ...``)."""
    old, new = fix
    if isinstance(node, cst.BinaryOperation):
        return node.with_changes(left=new) if node.left is old else node.with_changes(right=new)
    if isinstance(node, cst.AugAssign):
        return node.with_changes(value=new) if node.value is old else None
    assert isinstance(node, cst.Call)
    return node.with_changes(args=[a.with_changes(value=new) if a.value is old else a for a in node.args])


def _additive(node: cst.CSTNode) -> bool:
    """``a + b``, ``a - b`` or their ``tf.add``/``tf.subtract`` spelling."""
    if isinstance(node, cst.BinaryOperation):
        return isinstance(node.operator, (cst.Add, cst.Subtract))
    return isinstance(node, cst.Call) and callee_name(node) in ("add", "subtract")
