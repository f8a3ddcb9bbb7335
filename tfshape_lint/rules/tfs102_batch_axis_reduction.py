"""TFS102 batch-axis-reduction."""

from __future__ import annotations

from tfshape_lint.analysis.losses import Context

import libcst as cst

from tfshape_lint.analysis.ops import NO_AXIS_REDUCTIONS
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import Mark, Tag, Value
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._helpers import call_arg, minus_one, unwrapped, with_keyword
from tfshape_lint.source import callee_name, code_of


#: a Loss subclass overriding ``__call__`` over a per-token Loss its ``__init__`` builds (a bad example)
_MASKED_CALL = ("import tensorflow as tf\n\nclass MaskedLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction='none')\n\n"
                "    def __call__(self, y_true, y_pred):\n"
                "        loss = self.loss(y_true, y_pred)\n"
                "        loss *= tf.cast(y_true != 0, tf.float32)\n"
                "        return tf.reduce_sum(loss)\n")


#: a perceptual loss whose class builds its own VGG feature extractor (SRGAN's content loss)
_CONTENT_LOSS = ("import tensorflow as tf\n\n\n"
                 "class ContentLoss(tf.keras.losses.Loss):\n"
                 "    def __init__(self, **kwargs):\n"
                 "        super().__init__(**kwargs)\n"
                 "        self.features = self.feature_model()\n\n"
                 "    @staticmethod\n"
                 "    def feature_model():\n"
                 "        return tf.keras.Sequential([tf.keras.Input(shape=(None, None, 1)),\n"
                 "                                    tf.keras.layers.Conv2D(8, 3, padding=\"same\", activation=\"relu\")])\n\n"
                 "    def call(self, y_true, y_pred):\n"
                 "        hr = self.features(y_true)\n"
                 "        sr = self.features(y_pred)\n"
                 "        return tf.reduce_sum(tf.reduce_mean(tf.square(hr - sr), axis=-1))\n")


#: a detection loss that calls a plain class of the file for its box term
_DETECTION_LOSS = ("import tensorflow as tf\n\n\n"
                   "class SmoothL1:\n"
                   "    def __call__(self, y_true, y_pred):\n"
                   "        diff = tf.abs(y_true - y_pred)\n"
                   "        return tf.where(diff < 1.0, 0.5 * tf.square(diff), diff - 0.5)\n\n\n"
                   "class DetectionLoss:\n"
                   "    def __init__(self):\n"
                   "        self.smooth_l1 = SmoothL1()\n\n"
                   "    def __call__(self, y_true, y_pred):\n"
                   "        cls_loss = tf.reduce_mean(tf.keras.losses.binary_crossentropy(y_true[..., 4:], y_pred[..., 4:]))\n"
                   "        reg_loss = tf.reduce_sum(self.smooth_l1(y_true[..., :4], y_pred[..., :4]))\n"
                   "        return cls_loss + reg_loss\n")


#: a bad example: TF 1's per-sample ``batch_gather`` of the labels, then a batch sum
_GATHERED_CE = ("import tensorflow as tf\n"
                "\n"
                "\n"
                "def class_loss(y_true, y_pred):\n"
                "    first = tf.zeros_like(y_true[:, :1], dtype=tf.int32)\n"
                "    labels = tf.cast(tf.compat.v1.batch_gather(y_true, first), tf.int32)\n"
                "    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels[:, 0], logits=y_pred)\n"
                "    return tf.reduce_sum(ce)\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=class_loss)\n")


class BatchAxisReduction(Rule):
    """## What it does
    Flags a loss whose returned value sums over the batch axis: a sum-like reduction
    (`tf.reduce_sum`, `K.sum`, `keras.ops.sum`, `np.sum`, `tf.nn.l2_loss`, an L1 norm
    `tf.norm(x, ord=1)`) with no `axis`, or with an axis that includes 0, when that sum reaches the loss's return value without being divided by
    a count (`tf.reduce_sum(mask)`, `tf.size(...)`, the batch size). The terms a custom
    Layer hands Keras with `self.add_loss(term)` are checked the same way (its inputs are
    batches, or a list of batches it unpacks): Keras adds each term to the training loss as it
    is, so a term that sums the batch scales with it too; a weight penalty such as
    `1e-4 * tf.reduce_sum(tf.square(self.kernel))` has no batch axis and is fine. So is a
    function whose result the file hands to a model's `add_loss` (`vae.add_loss(vae_loss(inputs,
    outputs, (z_mean, z_log_var)))`): each of its parameters is a model tensor, a batch.
    A parameter that is one named choice (a string or a class constant: `reduction=Reduction.MEAN`,
    its default left alone or what the call passes) decides `if reduction == Reduction.SUM:`, so a
    sum only a non-default reduction returns is that caller's choice, not flagged.
    A module function named like a loss that takes more than the labels and the predictions
    (`get_box_loss(y_true, y_pred, obj_mask, stride)`) and that the file only calls from inside
    another loss is read as that loss's helper: its sum is judged by what the caller does with
    it (divided by the batch size there, it is a mean).

    ## Why is this bad?
    Keras averages whatever the loss returns over the batch. A loss that already *summed*
    the batch returns the batch total, so the loss value and its gradient grow linearly with
    the batch size: the effective learning rate changes whenever `batch_size` does, and the
    short last batch of each epoch gets a smaller step. Measured on TF 2.21 / Keras 3.15:
    `K.sum(K.abs(y_true - y_pred))` reports 7.24 / 14.54 / 29.53 at batch sizes 2 / 4 / 8
    where the per-sample version gives 3.66 / 3.68 / 3.69. Nothing raises.

    A *mean* over the batch keeps the scale (Keras averages anyway); a sum divided by a
    count is a normalised mean (where it is divided: a sum divided in one branch of a `tf.cond`
    and returned as it is in the other still scales there, unless the predicate tests a
    count, as CenterNet's `tf.cond(num_pos > 0, lambda: (pos + neg) / num_pos, lambda: neg)`
    does: the raw sum is then the fallback for a batch with nothing to count, a case three of
    three independent labellers of public CenterNet losses left unflagged); sums in metrics,
    `train_step` code and custom-loop code outside the loss are not flagged.

    A sum over every axis of a tensor that holds the batch axis anywhere (after a transpose,
    or multiplied by a factory argument of unknown rank) is a batch sum too; so is a sum over
    the one axis of a flattened batch (`K.sum(K.flatten(err), axis=-1)`), and a sum of a matrix
    the loss builds from values of every sample (`tf.boolean_mask` of the predictions reshaped
    or `tf.broadcast_to` an `(m, n)` grid of positive/negative pairs, as AUC surrogates do: its
    total grows with the square of the batch). A loss function `compile` receives by name for
    models of the file whose output rank is known reads its prediction with that rank: of a
    `Dense(128)` embedding, `y_pred[:, 0]` is one value per sample, and `axis=-1` of that is
    the batch. A product that
    contracts the samples (`tf.matmul(x, x, transpose_a=True)`, `K.dot(K.transpose(x), y)`: a Gram
    or covariance matrix, as CORAL and DAGMM losses build) sums over them; divided by their
    count or by the total of their weights it is a mean, and a sum over its entries is not a
    batch sum. A factory
    argument of unknown value *added* to per-sample terms (a triplet margin `alpha`) is a
    hyperparameter that leaves their batch axis first, so `K.sum(... + alpha, axis=0)` of
    `y_pred[:, 0]` terms sums the batch; the message then asks to sum only each sample's own
    axes (with one value per sample, `axis=-1` would be the batch axis again), with no fix. So is a sum of a
    TensorFlow Probability distribution's `log_prob`/`prob` (`tfp.distributions.Normal(loc=mu,
    ...)`): they have the distribution's batch shape, that of its first parameter, one axis
    shorter for a distribution over vectors (`MultivariateNormalTriL`, `Categorical`), and of its
    `kl_divergence`, `cross_entropy` and `entropy`. A Keras model the loss's class builds in
    `__init__` (`tf.keras.Model(...)`, `keras.applications.VGG19(...)`, `Sequential`, `load_model`,
    also through a method of the class that returns one) maps a batch to a batch of the input's
    rank, as a perceptual loss's feature extractor does; a plain class of the file that
    `__init__` instantiates (`self.smooth_l1 = SmoothL1()`) runs its `__call__`; and each part of a
    returned tuple is checked (reported without a fix: which part the caller differentiates is
    not known).

    A full sum of values times weights divided by their own total (`w / reduce_sum(w)`, also
    with an epsilon or `maximum(..., eps)` around the total) is a weighted mean.

    A batch sum that is only differentiated (`K.gradients(K.sum(y_pred), real_samples)`, the R1
    or gradient penalty of a GAN discriminator) is not a loss term: TensorFlow sums what it
    differentiates anyway, and each sample's gradient is its own.

    A divisor counts as a count when the analysis knows it is one (a sum of a mask or of
    another full sum, with or without an epsilon, `tf.size`, `tf.shape(y)[0]`, `len(...)`);
    a divisor whose value is the constant 1 never counts, nor does a number the file fixes
    (`n = 480 * 640`, `N_CLASSES = 10`: pixels or classes, whatever the name) unless its name says
    batch (`BATCH_SIZE = 32`); failing all that, it counts when its name
    has a word starting with `batch`, `size`, `count`, `num`, `total`, `norm` or `denom`, or
    `length`, the word `n` (`n_valid`) or the words `avg_factor` (the normaliser detection code
    ported from mmdetection passes, `sum(loss) / avg_factor`), also times a number (`2 * config.batch_size`, the
    1/2 of a squared error); names are split at underscores, digits and camelCase, so
    `num_pos` and `batchSize` count while `steps` or `scale` do not.

    ## Example
    ```python
    def l1_loss(y_true, y_pred):
        return K.sum(K.abs(y_true - y_pred))
    ```

    ## Use instead
    ```python
    def l1_loss(y_true, y_pred):
        return K.sum(K.abs(y_true - y_pred), axis=-1)
    ```

    ## Fix safety
    Unsafe: adding `axis=-1` returns one value per sample, so the reported loss and the
    gradient scale change (by design: they stop depending on the batch size). A sum of values
    that already have fewer axes than the inputs (per-sample costs `(B,)`, where `axis=-1` would
    be the batch axis itself) is replaced by those values: Keras averages them.

    ## Verification
    `--verify` evaluates the loss on the same samples in batches of 2 and 8 and compares the
    reported value with the per-sample mean; a ratio that follows the batch size confirms it.
    """

    code = "TFS102"
    value_only = True
    name = "batch-axis-reduction"
    message = "{fn} sums over the batch axis, so loss and gradient scale with batch size; pass axis=-1"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    losses_only = True
    recipe = Recipe("batch_scaling", {}, "value at batch 2 vs 8 against the per-sample mean")

    good = (
        Example("from tensorflow.keras import backend as K\n"
                "\n"
                "\n"
                "def dice_loss(y_true, y_pred, smooth=1.0):\n"
                "    y_true_f = K.flatten(y_true)\n"
                "    y_pred_f = K.flatten(y_pred)\n"
                "    intersection = K.sum(y_true_f * y_pred_f, axis=-1)\n"
                "    return 1.0 - (2.0 * intersection + smooth) / (K.sum(y_true_f, axis=-1) + K.sum(y_pred_f, axis=-1) + smooth)\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=dice_loss)\n",
                note="a dice over the flattened batch is a ratio of two full sums: no batch total survives"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def triplet_loss(y_true, y_pred, alpha=0.2):\n"
                "    anchor, positive, negative = y_pred[:, :128], y_pred[:, 128:256], y_pred[:, 256:]\n"
                "    pos_dist = tf.reduce_sum(tf.square(anchor - positive), axis=-1)\n"
                "    neg_dist = tf.reduce_sum(tf.square(anchor - negative), axis=-1)\n"
                "    return tf.maximum(pos_dist - neg_dist + alpha, 0.0)\n"
                "\n"
                "\n"
                "def build_model():\n"
                "    inputs = tf.keras.Input(shape=(64,))\n"
                "    embeddings = tf.keras.layers.Dense(384)(inputs)\n"
                "    model = tf.keras.Model(inputs, embeddings)\n"
                "    model.compile(optimizer='adam', loss=triplet_loss)\n"
                "    return model\n",
                note="slices of a (B, 384) embedding keep their feature axis: axis=-1 sums each sample's own values"),
        Example("import tensorflow as tf\n\n\ndef weighted_bce(y_true, y_pred):\n"
                "    w = tf.maximum(tf.ones_like(y_true), y_true * 5.0)\n"
                "    w = w / tf.maximum(tf.reduce_sum(w), 1e-6)\n"
                "    p = tf.clip_by_value(y_pred, 1e-6, 1.0 - 1e-6)\n"
                "    ce = y_true * tf.math.log(p) + (1.0 - y_true) * tf.math.log(1.0 - p)\n"
                "    return -tf.reduce_sum(ce * w)\n",
                note="the weights are divided by their own total over the batch: the sum is a weighted mean"),
        Example("from tensorflow.keras import backend as K\n\n\n"
                "def d_loss_real(y_true, y_pred, real_samples, r1_weight=10.0):\n"
                "    loss = K.mean(K.softplus(-y_pred), axis=-1)\n"
                "    grads = K.gradients(K.sum(y_pred), real_samples)[0]\n"
                "    return loss + r1_weight * K.sum(K.square(grads), axis=[1, 2, 3])\n",
                note="the batch sum is only differentiated: TensorFlow sums what it differentiates anyway, and "
                     "each sample's gradient is its own (an R1 penalty)"),
        Example("import tensorflow as tf\n\n\ndef coral_loss(y_true, y_pred):\n"
                "    n = tf.cast(tf.shape(y_true)[0], tf.float32)\n"
                "    c1 = tf.matmul(y_true, y_true, transpose_a=True) / n\n"
                "    c2 = tf.matmul(y_pred, y_pred, transpose_a=True) / n\n"
                "    return tf.reduce_sum(tf.square(c1 - c2))\n\n\n"
                "model.compile(optimizer='adam', loss=coral_loss)\n",
                note="second moments over the batch divided by its size: the sum runs over a (d, d) matrix"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n\n"
                "class GMMPenalty(tf.keras.layers.Layer):\n"
                "    def call(self, inputs):\n"
                "        z, gamma = inputs\n"
                "        total = K.sum(gamma)\n"
                "        mu = K.dot(K.transpose(gamma), z) / total\n"
                "        sigma = K.dot(K.transpose(z - mu), gamma * (z - mu)) / total\n"
                "        self.add_loss(0.1 * K.sum(1.0 / (sigma + 1.0)))\n"
                "        return z\n",
                note="a covariance weighted by soft memberships, divided by their total (a DAGMM energy)"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def hinge_loss(y_true, y_pred):\n"
                "    signs = 2.0 * y_true - 1.0\n"
                "    return tf.cond(tf.equal(tf.size(y_pred), 0),\n"
                "                   lambda: tf.reduce_sum(y_pred) * 0.0,\n"
                "                   lambda: tf.reduce_mean(tf.nn.relu(1.0 - y_pred * signs), axis=-1))\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=hinge_loss)\n",
                note="a sum times 0 is a constant 0 that keeps the graph connected (the empty case), whatever the batch"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def unexplained_error(y_true, y_pred):\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred))\n"
                "\n"
                "\n"
                "def rsquared(y_true, y_pred):\n"
                "    total = tf.reduce_sum(tf.square(y_true - tf.reduce_mean(y_true)))\n"
                "    return 1.0 - unexplained_error(y_true, y_pred) / total\n"
                "\n"
                "\n"
                "metrics = [unexplained_error, rsquared]\n",
                note="functions the module lists as metrics (metrics = [...]) are metrics: an R^2 ratio of sums"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "class MaskedLanguageModel(tf.keras.Model):\n"
                "    def __init__(self, encoder, epsilon=1e-8):\n"
                "        super().__init__()\n"
                "        self.encoder = encoder\n"
                "        self.epsilon = epsilon\n"
                "\n"
                "    def train_step(self, data):\n"
                "        x, y, masked = data\n"
                "        with tf.GradientTape() as tape:\n"
                "            loss = self.masked_loss(y, self(x, training=True), masked)\n"
                "        self.optimizer.apply_gradients(zip(tape.gradient(loss, self.trainable_variables), self.trainable_variables))\n"
                '        return {"loss": loss}\n'
                "\n"
                "    def masked_loss(self, y_true, y_pred, masked):\n"
                "        loss = tf.keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)\n"
                "        masked = tf.cast(masked, loss.dtype)\n"
                "        return tf.reduce_sum(loss * masked) / (tf.reduce_sum(masked) + self.epsilon)\n",
                note="a masked sum over the mask's count plus the model's own epsilon (a number its __init__ sets) is a mean"),
        Example("import keras\n"
                "from keras import ops\n"
                "\n"
                "\n"
                "def box_loss(pred, label, reduction=\"sum\", avg_factor=None):\n"
                "    loss = keras.ops.sparse_categorical_crossentropy(label, pred, from_logits=True)\n"
                "    if avg_factor is not None:\n"
                "        loss = ops.sum(loss) / avg_factor\n"
                "    elif reduction == \"sum\":\n"
                "        loss = ops.sum(loss)\n"
                "    return loss\n"
                "\n"
                "\n"
                "def local_losses(outputs, targets, num_boxes):\n"
                "    return {\"loss_box\": box_loss(outputs[\"corners\"], targets[\"corners\"], avg_factor=num_boxes)}\n",
                note="the file's only call passes avg_factor (a required argument of its caller), so the sum is divided by it"),
        Example("import tensorflow as tf\n\n\n"
                "def reduce_loss(losses, reduction=\"mean\"):\n"
                "    if reduction == \"sum\":\n"
                "        return tf.reduce_sum(losses)\n"
                "    return tf.reduce_mean(losses, axis=-1)\n\n\n"
                "def l2_loss(y_true, y_pred):\n"
                "    return reduce_loss(tf.square(y_true - y_pred))\n\n\n"
                "model.compile(optimizer=\"adam\", loss=l2_loss)\n",
                note="the call leaves reduction at its default \"mean\": the branch that sums never runs"),
        Example("import tensorflow as tf\n\n\ndef triplet_loss(y_true, y_pred):\n"
                "    anchor, pos, neg = tf.split(y_pred, 3, axis=-1)\n"
                "    pos_dist = tf.reduce_sum(tf.square(anchor - pos), axis=-1)\n"
                "    neg_dist = tf.reduce_sum(tf.square(anchor - neg), axis=-1)\n"
                "    return tf.reduce_mean(tf.maximum(pos_dist - neg_dist + 0.2, 0.0))\n\n\n"
                "model.compile(optimizer='adam', loss=triplet_loss)\n",
                note="the parts of a split are summed per sample, then averaged over the batch"),
        Example("from tensorflow.keras import backend as K\n\n\n"
                "def get_box_loss(y_true, y_pred, obj_mask, stride):\n"
                "    err = (y_pred[..., ::stride] - y_true[..., ::stride]) * obj_mask\n"
                "    return K.sum(K.square(err))\n\n\n"
                "def wrapper_loss(stride, batch_size):\n"
                "    def yolo_loss(y_true, y_pred):\n"
                "        obj_mask = K.clip(y_true[..., ::stride], 0.0, 1.0)\n"
                "        return get_box_loss(y_true, y_pred, obj_mask, stride) / batch_size\n"
                "    return yolo_loss\n",
                note="a helper named like a loss that only a loss of the file calls: analysed where it is called, "
                     "and its caller divides the sum by the batch size"),
        Example("import tensorflow as tf\n\n"
                "loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n\n\n"
                "def loss(model, x, y, training):\n"
                "    y_ = model(x, training=training)\n"
                "    return tf.reduce_sum(loss_object(y_true=y, y_pred=y_))\n",
                note="TensorFlow's custom-training helper: the Loss object already averages the batch, "
                     "so the sum is of one number"),
        Example("import tensorflow as tf\n\nGLOBAL_BATCH_SIZE = 64\n\n\n"
                "def compute_loss(labels, predictions):\n"
                "    per_example_loss = tf.keras.losses.sparse_categorical_crossentropy(labels, predictions)\n"
                "    return tf.reduce_sum(per_example_loss) * (1. / GLOBAL_BATCH_SIZE)\n",
                note="TensorFlow's distributed-training guide: the sum times the reciprocal of the global batch size"),
        Example("import tensorflow as tf\n\n\n"
                "def l1_loss(y_true, y_pred, avg_factor=None):\n"
                "    loss = tf.abs(y_true - y_pred)\n"
                "    if avg_factor is None:\n"
                "        return tf.reduce_mean(loss)\n"
                "    return tf.reduce_sum(loss) / avg_factor\n\n\n"
                "def box_loss(y_true, y_pred):\n"
                "    num_boxes = tf.maximum(tf.reduce_sum(y_true[..., 4]), 1.0)\n"
                "    return l1_loss(y_true[..., :4], y_pred[..., :4], avg_factor=num_boxes)\n",
                note="divided by avg_factor, the normaliser of detection code ported from mmdetection"),
        Example("import tensorflow as tf\n\n\n"
                "def l1(y_true, y_pred, factor=None):\n"
                "    loss = tf.abs(y_true - y_pred)\n"
                "    if factor is None:\n"
                "        return tf.reduce_sum(loss)\n"
                "    return tf.reduce_mean(loss, axis=-1) * factor\n\n\n"
                "def box_loss(y_true, y_pred):\n"
                "    return l1(y_true, y_pred, factor=tf.reduce_mean(y_true[..., 4:], axis=-1) + 1.0)\n",
                note="the only call passes a factor, so the helper's `factor is None` branch never runs"),
        Example('import tensorflow as tf\n\n\nclass TripletLossLayer(tf.keras.layers.Layer):\n    def __init__(self, alpha=0.2, **kwargs):\n        super().__init__(**kwargs)\n        self.alpha = alpha\n\n    def build(self, input_shape):\n        self.scale = self.add_weight(shape=(input_shape[0][-1],), initializer="ones")\n\n    def call(self, inputs):\n        anchor, positive, negative = inputs\n        p_dist = tf.reduce_sum(tf.square(anchor - positive), axis=-1)\n        n_dist = tf.reduce_sum(tf.square(anchor - negative), axis=-1)\n        self.add_loss(tf.reduce_mean(tf.maximum(p_dist - n_dist + self.alpha, 0.0)))\n        self.add_loss(1e-4 * tf.reduce_sum(tf.square(self.scale)))\n        return anchor * self.scale\n',
                note="a Layer's add_loss terms: a batch mean, and a weight penalty (no batch axis)"),
        Example("from tensorflow.keras import backend as K\n\n"
                "def vae_loss(inputs, outputs, z_args):\n"
                "    z_mean, z_log_var = z_args\n"
                "    reconstruction = K.sum(K.square(inputs - outputs), axis=-1)\n"
                "    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)\n"
                "    return K.mean(reconstruction + kl)\n\n"
                "vae.add_loss(vae_loss(inputs, decoded, (z_mean, z_log_var)))\n",
                note="a model's add_loss term summed per sample, then averaged over the batch"),
        Example("from tensorflow.keras import backend as K\n\n"
                "def custom_loss(y_true, y_pred):\n"
                "    diff = y_true - y_pred\n"
                "    return K.sum(diff * diff) / (2 * config.batch_size)\n",
                note="the sum over the batch halved and divided by the configured batch size: a mean"),
        Example('import tensorflow as tf\n\n\ndef mixture_nll(y_true, y_pred):\n    mu, pi = y_pred[:, :3], tf.nn.softmax(y_pred[:, 3:], axis=-1)\n\n    def component(i):\n        return pi[:, i] * tf.exp(-tf.square(y_true[:, 0] - mu[:, i]))\n\n    density = tf.reduce_sum(tf.map_fn(component, tf.range(3), fn_output_signature=tf.float32), axis=0)\n    return -tf.math.log(density + 1e-7)\n',
                note="tf.map_fn over the mixture components (tf.range(3)): axis 0 of what it stacks is the "
                     "component axis, and the sum over it is per sample"),
        Example("import tensorflow as tf\n\n"
                "def _nelem(x):\n"
                "    n = tf.reduce_sum(tf.cast(~tf.math.is_nan(x), tf.float32))\n"
                "    return tf.where(tf.equal(n, 0.0), 1.0, n)\n\n"
                "def nan_mse(y_true, y_pred):\n"
                "    err = tf.square(y_true - y_pred)\n"
                "    total = tf.divide(tf.reduce_sum(tf.where(tf.math.is_nan(err), 0.0, err)), _nelem(err))\n"
                "    hinge = tf.math.divide_no_nan(tf.reduce_sum(tf.nn.relu(y_pred - 1.0)), tf.cast(tf.size(y_pred), tf.float32))\n"
                "    return total + hinge\n",
                note="counts kept away from 0 with where(n == 0, 1, n), and divide_no_nan by a size, are means"),
        Example("import tensorflow as tf\n\ndef padded_bce(y_true, y_pred):\n"
                "    weights = tf.cast(tf.not_equal(y_true, 0.0), tf.float32)\n"
                "    ce = tf.keras.losses.binary_crossentropy(y_true[..., None], y_pred[..., None]) * weights\n"
                "    return tf.reduce_sum(ce) / (tf.reduce_sum(weights) + 1e-4)\n",
                note="the mask count kept away from 0 by an epsilon is still a count: a mean"),
        Example("import tensorflow.keras.backend as K\n\ndef l1_loss(y_true, y_pred):\n"
                "    return K.sum(K.abs(y_true - y_pred), axis=-1)\n"),
        Example("import tensorflow as tf\n\ndef masked_mse(y_true, y_pred, mask):\n"
                "    missing = 1.0 - tf.cast(mask, tf.float32)\n"
                "    error = tf.square(y_true - y_pred) * missing\n"
                "    return tf.reduce_sum(error) / (tf.reduce_sum(missing) + 1e-6)\n",
                note="a sum divided by the sum of the weights plus an epsilon is a weighted mean"),
        Example("import tensorflow as tf\n\ndef pairwise(y_true, y_pred):\n    total = 0.0\n"
                "    for i in range(4):\n"
                "        total += tf.reduce_sum(tf.square(y_true[i] - y_pred[i]))\n"
                "    return total / 4.0\n",
                note="y[i] with a loop index picks one sample: its sum is over that sample's values"),
        Example("import tensorflow as tf\n\ndef empty_loss():\n    def loss(y_true, y_pred):\n"
                "        return tf.reduce_sum(tf.zeros_like(y_true))\n    return loss\n",
                note="a sum of zeros is a constant 0 (a placeholder loss for an unused output), not a batch total"),
        Example("import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                "    mask = tf.cast(tf.not_equal(y_true, 0), tf.float32)\n"
                "    total = tf.reduce_sum(tf.square(y_true - y_pred) * mask)\n"
                "    return total / tf.maximum(tf.reduce_sum(mask), 1.0)\n",
                note="a full sum divided by the mask count is a normalised mean"),
        Example("import tensorflow as tf\n\n\n"
                "def pair_loss(labels, embeddings):\n"
                "    same = tf.cast(tf.equal(labels, tf.transpose(labels)), tf.float32)\n"
                "    dist = tf.reduce_sum(tf.square(tf.expand_dims(embeddings, 0) - tf.expand_dims(embeddings, 1)), axis=-1)\n"
                "    num_positives = tf.reduce_sum(same) / 2.0\n"
                "    return tf.math.truediv(0.25 * tf.reduce_sum(dist * same), num_positives)\n",
                note="tf.math.truediv by a count (TensorFlow's own lifted-structure loss) is the same mean as /"),
        Example("import tensorflow as tf\n\ndef depth_loss(y_true, y_pred):\n"
                "    valid = tf.where(tf.greater(y_true, 0), 1.0, 0.0)\n"
                "    picked = tf.boolean_mask(tf.abs(y_true - y_pred), tf.greater(y_true, 0))\n"
                "    return tf.reduce_sum(picked) / tf.cast(tf.math.count_nonzero(valid), tf.float32)\n",
                note="count_nonzero of the mask counts the selected values: a masked mean"),
        Example("import tensorflow as tf\n\ndef sse(y_true, y_pred):\n"
                "    n = tf.cast(tf.shape(y_true)[0], tf.float32)\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred)) / n\n",
                note="divided by the batch size"),
        Example("import tensorflow as tf\n\ndef mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred))\n",
                note="a mean keeps the scale"),
        Example("import tensorflow as tf\n\ndef total_error(y_true, y_pred):\n"
                "    return tf.reduce_sum(tf.abs(y_true - y_pred))\n\n"
                "model.compile(loss='mse', metrics=[total_error])\n",
                note="a metric, not a loss"),
        Example("import tensorflow as tf\n\nclass M(tf.keras.Model):\n"
                "    def train_step(self, data):\n"
                "        x, y = data\n"
                "        with tf.GradientTape() as tape:\n"
                "            loss = tf.reduce_mean(tf.square(y - self(x)))\n"
                "        grads = tape.gradient(loss, self.trainable_variables)\n"
                "        return {'sum': tf.reduce_sum(grads[0])}\n",
                note="reductions in train_step are not a loss"),
        Example("import tensorflow as tf\n\ndef weighted_mean(y_true, y_pred):\n"
                "    w = y_true[:, 1:]\n"
                "    return tf.reduce_sum(tf.square(y_true[:, :1] - y_pred) * w) / tf.reduce_sum(w)\n",
                note="a weighted sum normalised by the sum of weights"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "def swish_energy(x, beta):\n"
                "    return K.sum(x * K.sigmoid(beta * x))\n\n"
                "tf.keras.utils.get_custom_objects().update({'swish_energy': swish_energy})\n",
                note="a registered custom object whose name and parameters say it is no loss"),
        Example("import tensorflow as tf\n\nclass L1Mean:\n"
                "    def __call__(self, y_true, y_pred):\n"
                "        return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=L1Mean())\n",
                note="a callable object reducing each sample"),
        Example("import tensorflow as tf\n\n"
                "def n_valid(y_true):\n"
                "    valid = tf.where(tf.math.is_nan(y_true), tf.zeros_like(y_true), tf.ones_like(y_true))\n"
                "    return tf.maximum(tf.reduce_sum(tf.cast(valid, tf.float32)), 1.0)\n\n"
                "def masked_loss(y_true, y_pred):\n"
                "    mask = tf.cast(tf.logical_not(tf.math.is_nan(y_true)), tf.float32)\n"
                "    y = tf.where(tf.math.is_nan(y_true), tf.zeros_like(y_true), y_true)\n"
                "    return tf.reduce_sum(tf.square(y - y_pred) * mask) / n_valid(y_true)\n",
                note="a count computed in a helper (where, cast, maximum): sum / count is a mean"),
        Example("import tensorflow as tf\n\nclass SumLoss(tf.keras.losses.Loss):\n"
                "    def _total(self, x):\n        return tf.reduce_sum(x, axis=-1)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return self._total(tf.square(y_true - y_pred))\n",
                note="a method of the Loss class that sums each sample"),
        Example("import tensorflow as tf\n\nclass SumLoss(tf.keras.losses.Loss):\n"
                "    @staticmethod\n    def _total(x):\n        return tf.reduce_sum(x, axis=-1)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return self._total(tf.square(y_true - y_pred)) / tf.cast(tf.shape(y_pred)[-1], y_pred.dtype)\n",
                note="a staticmethod helper reached through self, summing each sample"),
        Example("import tensorflow as tf\n\ndef l2_per_batch(y_true, y_pred):\n"
                "    n = tf.cast(tf.shape(y_true)[0], tf.float32)\n"
                "    return tf.nn.l2_loss(y_true - y_pred) / n\n",
                note="tf.nn.l2_loss sums every element; divided by the batch size it is a mean"),
        Example("import tensorflow as tf\n\nclass M(tf.keras.Model):\n"
                "    def train_step(self, data):\n"
                "        x, y = data\n"
                "        with tf.GradientTape() as tape:\n"
                "            decay = tf.add_n([tf.nn.l2_loss(v) for v in self.trainable_variables])\n"
                "            loss = tf.reduce_mean(tf.square(y - self(x))) + 1e-4 * decay\n"
                "        return {'loss': loss}\n",
                note="weight decay: l2_loss of the variables, not of a batch"),
        Example("import tensorflow as tf\n\nclass TokenLoss(tf.keras.losses.Loss):\n"
                "    def __call__(self, y_true, y_pred, sample_weight=None):\n"
                "        err = tf.square(y_true - y_pred)\n"
                "        return tf.reduce_sum(err) / tf.cast(tf.size(err), err.dtype)\n",
                note="a Loss overriding __call__ whose full sum is divided by the element count"),
        Example("import tensorflow as tf\n\ndef total_energy(img_true, img_pred):\n"
                "    return tf.reduce_sum(tf.square(img_true - img_pred))\n",
                note="`<thing>_true` / `<thing>_pred` parameters alone do not make a loss: the name must say so"),
        Example('import tensorflow as tf\n\n\ndef focal_hm(y_true, y_pred):\n    pos = tf.cast(tf.equal(y_true, 1.0), tf.float32)\n    pos_loss = tf.reduce_sum(-tf.math.log(tf.clip_by_value(y_pred, 1e-4, 1.0)) * pos)\n    neg_loss = tf.reduce_sum(-tf.math.log(tf.clip_by_value(1.0 - y_pred, 1e-4, 1.0)) * (1.0 - pos))\n    num_pos = tf.reduce_sum(pos)\n    return tf.cond(num_pos > 0, lambda: (pos_loss + neg_loss) / num_pos, lambda: neg_loss)\n\n\nmodel.compile(optimizer="adam", loss=focal_hm)\n',
                note="CenterNet's heatmap loss: divided by the positives wherever there are any; the raw sum "
                     "is the fallback for a batch whose count, the one the predicate tests, is 0"),
        Example("import tensorflow as tf\n\ndef half_mse(y_true, y_pred):\n"
                "    m = tf.cast(tf.shape(y_true)[0], tf.float32)\n"
                "    return 0.5 / m * tf.reduce_sum(tf.square(y_true - y_pred))\n\n"
                "model.compile(optimizer='adam', loss=half_mse)\n",
                note="any number over the batch size times the sum is a scaled mean (here half the mean)"),
        Example("from tensorflow.keras import backend as K\n\ndef dice_loss(y_true, y_pred):\n"
                "    t, p = K.flatten(y_true), K.flatten(y_pred)\n"
                "    inter = K.sum(t * p)\n"
                "    return 1.0 - (2.0 * inter + 1.0) / (K.sum(t) + K.sum(p) + 1.0)\n\n"
                "model.compile(optimizer='adam', loss=dice_loss)\n",
                note="sums of the flattened batch in a ratio: a batch-wide Dice score, not a batch total"),
    )
    bad = (
        Example(_GATHERED_CE, fixed=_GATHERED_CE.replace("return tf.reduce_sum(ce)", "return ce"),
                note="TF 1's batch_gather picks per sample: the batch axis stays first"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def triplet_loss(y_true, y_pred, alpha=0.2):\n"
                "    anchor, positive, negative = y_pred[:, 0], y_pred[:, 1], y_pred[:, 2]\n"
                "    pos_dist = tf.reduce_sum(tf.square(anchor - positive), axis=-1)\n"
                "    neg_dist = tf.reduce_sum(tf.square(anchor - negative), axis=-1)\n"
                "    return tf.reduce_mean(tf.maximum(pos_dist - neg_dist + alpha, 0.0))\n"
                "\n"
                "\n"
                "def build_model():\n"
                "    inputs = tf.keras.Input(shape=(64,))\n"
                "    embeddings = tf.keras.layers.Dense(128)(inputs)\n"
                "    model = tf.keras.Model(inputs, embeddings)\n"
                "    model.compile(optimizer='adam', loss=triplet_loss)\n"
                "    return model\n",
                fixed=None, note="the compiled model's output is (B, 128): y_pred[:, 0] is one value per sample, and axis=-1 of that is the batch"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def pairwise_auc_loss(y_true, y_pred, gamma=0.2):\n"
                "    positive = tf.greater_equal(y_true, 0.5)\n"
                "    pos = tf.boolean_mask(y_pred, positive)\n"
                "    neg = tf.boolean_mask(y_pred, ~positive)\n"
                "    m = tf.size(pos)\n"
                "    n = tf.size(neg)\n"
                "    pos = tf.broadcast_to(tf.reshape(pos, (m, 1)), (m, n))\n"
                "    neg = tf.transpose(tf.broadcast_to(tf.reshape(neg, (n, 1)), (n, m)))\n"
                "    margin = tf.nn.relu(neg - pos + gamma)\n"
                "    return tf.reduce_sum(margin ** 2)\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=pairwise_auc_loss)\n",
                fixed=None, note="a pairwise (AUC) surrogate: the (m, n) matrix of masked predictions holds every sample's values, and its total grows with the batch squared"),
        Example("from tensorflow.keras import backend as K\n"
                "\n"
                "\n"
                "def focal_loss(y_true, y_pred, gamma=2.0):\n"
                "    y_true = K.flatten(y_true)\n"
                "    y_pred = K.clip(K.flatten(y_pred), K.epsilon(), 1.0 - K.epsilon())\n"
                "    loss = -y_true * K.pow(1.0 - y_pred, gamma) * K.log(y_pred)\n"
                "    return K.mean(K.sum(loss, axis=-1))\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=focal_loss)\n",
                fixed=None, note="a sum over the one axis of a flattened batch is a sum over the batch, whatever axis it names"),
        Example(_CONTENT_LOSS,
                fixed=_CONTENT_LOSS.replace("return tf.reduce_sum(tf.reduce_mean(tf.square(hr - sr), axis=-1))",
                                            "return tf.reduce_mean(tf.square(hr - sr), axis=-1)"),
                line=17, note="a perceptual (feature) loss: the Keras model the class builds maps the batch of images "
                              "to a batch of features, whose total the sum takes"),
        Example(_DETECTION_LOSS,
                fixed=_DETECTION_LOSS.replace("y_pred[..., :4]))\n", "y_pred[..., :4]), axis=-1)\n"),
                line=16,
                note="a plain class of the file called through an attribute runs its __call__"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def dice_plus_crossentropy(Y_pred, Y_gt):\n"
                '    """Hybrid loss function from Dice and crossentropy, for (batch, z, h, w, classes) volumes."""\n'
                "    intersection = tf.reduce_sum(Y_gt * Y_pred, axis=(1, 2, 3))\n"
                "    union = tf.reduce_sum(Y_gt + Y_pred, axis=(1, 2, 3))\n"
                "    dice = tf.reduce_sum(2.0 * (intersection + 1e-5) / (union + 1e-5), axis=0)\n"
                "    crossentropy = -tf.reduce_mean(Y_gt * tf.math.log(tf.clip_by_value(Y_pred, 1e-5, 1.0)), axis=(1, 2, 3, 4))\n"
                "    return tf.reduce_mean(1.0 - dice) + crossentropy\n",
                fixed=None, line=8,
                note="its docstring's first line calls it a loss: its name need not"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def make_separation_loss(gamma=0.1, num_speaker=2):\n"
                "    def loss_func(S_true, S_pred, gamma=gamma, num_speaker=num_speaker):\n"
                "        total = 0\n"
                "        for i in range(num_speaker):\n"
                "            total += tf.reduce_sum(tf.square(S_true[..., i] - S_pred[..., i]))\n"
                "        return total / (num_speaker * 257)\n"
                "    return loss_func\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=make_separation_loss())\n",
                fixed=None, line=8,
                note="the inner loss's parameter defaults are read where Python reads them, in the factory: "
                     "num_speaker * 257 is a fixed number of frequency bins, not a count of the batch"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def print_tensor(x, msg):\n"
                "    return tf.Print(x, [x], message=msg)\n"
                "\n"
                "\n"
                "def triplet_loss(y_true, y_pred):\n"
                "    anchor, positive, negative = tf.split(y_pred, 3, axis=-1)\n"
                "    hinge = tf.maximum(tf.reduce_sum(anchor * negative, axis=-1) - tf.reduce_sum(anchor * positive, axis=-1) + 0.2, 0.0)\n"
                "    hinge = print_tensor(hinge, 'hinge')\n"
                "    return tf.reduce_sum(hinge)\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=triplet_loss)\n",
                fixed="import tensorflow as tf\n"
                      "\n"
                      "\n"
                      "def print_tensor(x, msg):\n"
                      "    return tf.Print(x, [x], message=msg)\n"
                      "\n"
                      "\n"
                      "def triplet_loss(y_true, y_pred):\n"
                      "    anchor, positive, negative = tf.split(y_pred, 3, axis=-1)\n"
                      "    hinge = tf.maximum(tf.reduce_sum(anchor * negative, axis=-1) - tf.reduce_sum(anchor * positive, axis=-1) + 0.2, 0.0)\n"
                      "    hinge = print_tensor(hinge, 'hinge')\n"
                      "    return hinge\n"
                      "\n"
                      "\n"
                      "model.compile(optimizer='adam', loss=triplet_loss)\n",
                line=12, note="tf.Print (and K.print_tensor) return their tensor unchanged"),
        Example("import tensorflow as tf\n\n\ndef l1_loss(y_true, y_pred):\n"
                "    return tf.norm(y_true - y_pred, ord=1)\n\n\n"
                "model.compile(optimizer='adam', loss=l1_loss)\n",
                fixed="import tensorflow as tf\n\n\ndef l1_loss(y_true, y_pred):\n"
                      "    return tf.norm(y_true - y_pred, ord=1, axis=-1)\n\n\n"
                      "model.compile(optimizer='adam', loss=l1_loss)\n",
                line=5, note="an L1 norm over every axis is the sum of |x| over the batch"),
        Example("import tensorflow as tf\n\n\ndef triplet_loss(y_true, y_pred):\n"
                "    anchor, pos, neg = tf.split(y_pred, num_or_size_splits=3, axis=1)\n"
                "    pos_dist = tf.reduce_sum(tf.square(anchor - pos), axis=-1)\n"
                "    neg_dist = tf.reduce_sum(tf.square(anchor - neg), axis=-1)\n"
                "    return tf.reduce_sum(tf.maximum(pos_dist - neg_dist + 0.2, 0.0))\n\n\n"
                "model.compile(optimizer='adam', loss=triplet_loss)\n",
                fixed="import tensorflow as tf\n\n\ndef triplet_loss(y_true, y_pred):\n"
                      "    anchor, pos, neg = tf.split(y_pred, num_or_size_splits=3, axis=1)\n"
                      "    pos_dist = tf.reduce_sum(tf.square(anchor - pos), axis=-1)\n"
                      "    neg_dist = tf.reduce_sum(tf.square(anchor - neg), axis=-1)\n"
                      "    return tf.maximum(pos_dist - neg_dist + 0.2, 0.0)\n\n\n"
                      "model.compile(optimizer='adam', loss=triplet_loss)\n",
                line=8, note="parts of a split along a feature axis keep the batch axis"),
        Example("import tensorflow as tf\n\n\ndef box_loss(y_true, y_pred):\n"
                "    x_sum = tf.reduce_sum(tf.abs(y_true[:, :, 0] - y_pred[:, :, 0]))\n"
                "    w_sum = tf.reduce_sum(tf.abs(y_true[:, :, 1] - y_pred[:, :, 1]))\n"
                "    return tf.reduce_mean(tf.stack((x_sum, w_sum)))\n\n\n"
                "model.compile(optimizer='adam', loss=box_loss)\n",
                fixed="import tensorflow as tf\n\n\ndef box_loss(y_true, y_pred):\n"
                      "    x_sum = tf.abs(y_true[:, :, 0] - y_pred[:, :, 0])\n"
                      "    w_sum = tf.abs(y_true[:, :, 1] - y_pred[:, :, 1])\n"
                      "    return tf.reduce_mean(tf.stack((x_sum, w_sum)))\n\n\n"
                      "model.compile(optimizer='adam', loss=box_loss)\n",
                line=5, note="the mean of stacked batch totals is still a batch total"),
        Example("from keras_core import ops\n\n\ndef squared_error_loss(y_true, y_pred):\n    return ops.sum((y_true - y_pred) ** 2)\n\n\nmodel.compile(optimizer=\"sgd\", loss=squared_error_loss)\n",
                fixed="from keras_core import ops\n\n\ndef squared_error_loss(y_true, y_pred):\n    return ops.sum((y_true - y_pred) ** 2, axis=-1)\n\n\nmodel.compile(optimizer=\"sgd\", loss=squared_error_loss)\n",
                line=5, note="keras_core, the Keras 3 preview package: its ops are keras.ops"),
        Example("from tensorflow.keras import backend as K\n\ndef weighted_l1(y_true, y_pred):\n"
                "    return K.sum(K.flatten(2.0 * K.abs(y_true - y_pred)))\n\n"
                "model.compile(optimizer='adam', loss=weighted_l1)\n",
                fixed=None, line=4,
                message="K.sum sums the flattened batch, so loss and gradient scale with batch size; flatten each "
                        "sample instead (K.batch_flatten, or reshape to (batch, -1)) and pass axis=-1",
                note="K.flatten flattens the samples too: axis=-1 of its result is still the whole batch"),
        Example("import tensorflow as tf\n\n\n"
                "def vae_loss_fn(model, x, y, training=None):\n"
                "    z, mean, log_var = model.encoder(x, training)\n"
                "    pred = model.decoder(z)\n"
                "    kl = -0.5 * tf.reduce_sum(1 + log_var - tf.square(mean) - tf.exp(log_var))\n"
                "    return tf.reduce_mean(tf.keras.losses.MSE(y, pred)) + kl, pred\n",
                fixed="import tensorflow as tf\n\n\n"
                      "def vae_loss_fn(model, x, y, training=None):\n"
                      "    z, mean, log_var = model.encoder(x, training)\n"
                      "    pred = model.decoder(z)\n"
                      "    kl = -0.5 * tf.reduce_mean(1 + log_var - tf.square(mean) - tf.exp(log_var))\n"
                      "    return tf.reduce_mean(tf.keras.losses.MSE(y, pred)) + kl, pred\n",
                line=7, note="a custom loop's helper that runs the model itself (model, inputs, labels): the loop "
                             "differentiates what it returns, so the fix takes the mean"),
        Example('import tensorflow as tf\n\n\ndef helper(y_true, y_pred, scale=None):\n    if scale is None:\n        scale = tf.reduce_mean(y_true, axis=-1)\n    if scale is None:\n        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n    return tf.reduce_sum(tf.square(y_true - y_pred)) * scale\n\n\ndef my_loss(y_true, y_pred):\n    return helper(y_true, y_pred)\n',
                fixed='import tensorflow as tf\n\n\ndef helper(y_true, y_pred, scale=None):\n    if scale is None:\n        scale = tf.reduce_mean(y_true, axis=-1)\n    if scale is None:\n        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n    return tf.reduce_sum(tf.square(y_true - y_pred), axis=-1) * scale\n\n\ndef my_loss(y_true, y_pred):\n    return helper(y_true, y_pred)\n',
                line=9, note="the helper replaces its None default first, so the later `scale is None` test "
                             "does not decide the branch: the sum over the batch runs"),
        Example('import tensorflow as tf\n\nclass CellLoss(tf.keras.losses.Loss):\n    def call(self, y_true, y_pred):\n        cells = tf.where(y_true[..., 0] == 1)\n        err = tf.square(y_true[..., 1:] - y_pred[..., 1:])\n        return tf.reduce_sum(tf.gather_nd(err, cells))\n',
                fixed=None, line=7,
                note="gather_nd of tf.where(cond)'s coordinates selects like boolean_mask: the cells come from "
                     "every sample"),
        Example("import tensorflow as tf\n\n"
                "def scale_invariant(yTrue, yPred):\n"
                "    n = 64 * 64\n"
                "    return tf.reduce_sum(tf.square(yTrue - yPred)) / n\n",
                fixed="import tensorflow as tf\n\n"
                      "def scale_invariant(yTrue, yPred):\n"
                      "    n = 64 * 64\n"
                      "    return tf.reduce_sum(tf.square(yTrue - yPred), axis=-1) / n\n",
                line=5, note="a divisor the file fixes (the pixels of one image) is named like a count but does "
                             "not count the batch; Keras's names in camelCase make it a loss"),
        Example('import tensorflow as tf\n\n\nclass TripletLossLayer(tf.keras.layers.Layer):\n    def __init__(self, alpha=0.2, **kwargs):\n        super().__init__(**kwargs)\n        self.alpha = alpha\n\n    def call(self, inputs):\n        anchor, positive, negative = inputs\n        p_dist = tf.reduce_sum(tf.square(anchor - positive), axis=-1)\n        n_dist = tf.reduce_sum(tf.square(anchor - negative), axis=-1)\n        loss = tf.reduce_sum(tf.maximum(p_dist - n_dist + self.alpha, 0.0), axis=0)\n        self.add_loss(loss)\n        return loss\n',
                fixed=None, line=13,
                message="tf.reduce_sum sums the batch of a term handed to add_loss, so loss and gradient scale "
                        "with batch size; take the mean over the batch",
                note="a custom Layer's add_loss term (the triplet-loss layer many tutorials copy): axis=0 of the "
                     "per-triplet distances is the batch"),
        Example("import tensorflow as tf\n\n"
                "def box_loss(pred, true):\n"
                "    err = tf.reduce_sum(tf.square(true[..., :4] - pred[..., :4]), axis=-1)\n"
                "    return tf.reduce_sum(true[..., 4] * err)\n",
                fixed="import tensorflow as tf\n\n"
                      "def box_loss(pred, true):\n"
                      "    err = tf.reduce_sum(tf.square(true[..., :4] - pred[..., :4]), axis=-1)\n"
                      "    return (true[..., 4] * err)\n",
                line=5, note="a prediction-first criterion (a PyTorch-style port its custom loop calls as "
                             "box_loss(pred, true)): the parameter names give the roles"),
        Example("from tensorflow.keras import backend as K\n\n"
                "def vae_loss(inputs, outputs, z_args):\n"
                "    z_mean, z_log_var = z_args\n"
                "    reconstruction = K.mean(K.square(inputs - outputs), axis=-1)\n"
                "    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var))\n"
                "    return K.mean(reconstruction + kl)\n\n"
                "vae.add_loss(vae_loss(inputs, decoded, (z_mean, z_log_var)))\n",
                fixed=None, line=6,
                message="K.sum sums the batch of a term handed to add_loss, so loss and gradient scale "
                        "with batch size; take the mean over the batch",
                note="a function whose result a model's add_loss takes: the KL term sums the latent axis and the batch"),
        Example("import tensorflow as tf\n\ndef profit_loss(y_true, y_pred):\n"
                "    keep = tf.logical_not(tf.math.is_nan(y_true))\n"
                "    gain = tf.boolean_mask(y_true * y_pred, keep)\n"
                "    return -tf.reduce_sum(gain)\n",
                fixed=None, line=6, note="boolean_mask flattens the selection, whose values still come from every "
                                         "sample: no axis keeps them apart, so there is no automatic fix"),
        Example('import tensorflow.keras.backend as K\nfrom tensorflow.keras.layers import multiply\n\n\ndef picked_nll(y_true, y_pred):\n    picked = K.sum(multiply([y_true, y_pred]), axis=-1)\n    return K.sum(-K.log(picked + K.epsilon()))\n',
                fixed='import tensorflow.keras.backend as K\nfrom tensorflow.keras.layers import multiply\n\n\ndef picked_nll(y_true, y_pred):\n    picked = K.sum(multiply([y_true, y_pred]), axis=-1)\n    return (-K.log(picked + K.epsilon()))\n',
                line=7, note="Keras's functional multiply([a, b]) is an elementwise product; the summed values are "
                             "already one per sample, so the fix returns them as they are (axis=-1 would be the batch)"),
        Example("import tensorflow as tf\n\n"
                "def pit_loss(y_true, y_pred):\n"
                "    t = tf.shape(y_true)[1]\n"
                "    labels = tf.slice(y_true, [0, 0, 0], [-1, t - 1, -1])\n"
                "    cost = tf.reduce_mean(tf.square(y_pred - labels), axis=[1, 2])\n"
                "    return tf.reduce_sum(cost)\n",
                fixed="import tensorflow as tf\n\n"
                      "def pit_loss(y_true, y_pred):\n"
                      "    t = tf.shape(y_true)[1]\n"
                      "    labels = tf.slice(y_true, [0, 0, 0], [-1, t - 1, -1])\n"
                      "    cost = tf.reduce_mean(tf.square(y_pred - labels), axis=[1, 2])\n"
                      "    return cost\n",
                line=7, note="tf.slice from 0 to the end of the batch axis keeps it: the per-sample costs are summed"),
        Example("import tensorflow as tf\n\n\nclass Trainer:\n    def reconstruction(self, y_true, y_pred):\n        return tf.reduce_sum(tf.abs(y_true - y_pred))\n\n    def build(self, model):\n        model.compile(optimizer='adam', loss=self.reconstruction)\n",
                fixed="import tensorflow as tf\n\n\nclass Trainer:\n    def reconstruction(self, y_true, y_pred):\n        return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n\n    def build(self, model):\n        model.compile(optimizer='adam', loss=self.reconstruction)\n",
                line=6, note="a method passed to compile as self.reconstruction is the loss"),
        Example("import tensorflow.keras.backend as K\n\ndef l1_loss(y_true, y_pred):\n"
                "    return K.sum(K.abs(y_true - y_pred))\n",
                fixed="import tensorflow.keras.backend as K\n\ndef l1_loss(y_true, y_pred):\n"
                      "    return K.sum(K.abs(y_true - y_pred), axis=-1)\n",
                line=4),
        Example("from tensorflow.python.ops import array_ops, math_ops\n\n"
                "def focal_loss(target_tensor, prediction_tensor):\n"
                "    zeros = array_ops.zeros_like(prediction_tensor)\n"
                "    p = array_ops.where(target_tensor > zeros, prediction_tensor, 1.0 - prediction_tensor)\n"
                "    return math_ops.reduce_sum(-(1.0 - p) ** 2 * math_ops.log(p + 1e-7))\n",
                fixed="from tensorflow.python.ops import array_ops, math_ops\n\n"
                      "def focal_loss(target_tensor, prediction_tensor):\n"
                      "    zeros = array_ops.zeros_like(prediction_tensor)\n"
                      "    p = array_ops.where(target_tensor > zeros, prediction_tensor, 1.0 - prediction_tensor)\n"
                      "    return math_ops.reduce_sum(-(1.0 - p) ** 2 * math_ops.log(p + 1e-7), axis=-1)\n",
                line=6, note="TensorFlow's own op modules imported directly, and compound parameter names"),
        Example("import tensorflow as tf\n\ndef sse(y_true, y_pred):\n"
                "    err = tf.square(y_true - y_pred)\n"
                "    total = tf.math.reduce_sum(err)\n"
                "    return total * 0.5\n",
                fixed="import tensorflow as tf\n\ndef sse(y_true, y_pred):\n"
                      "    err = tf.square(y_true - y_pred)\n"
                      "    total = tf.math.reduce_sum(err, axis=-1)\n"
                      "    return total * 0.5\n",
                line=5, note="through an intermediate variable"),
        Example("from keras import ops\n\ndef make_loss(w):\n"
                "    def loss(y_true, y_pred):\n"
                "        return ops.sum(w * ops.square(y_true - y_pred), axis=0)\n"
                "    return loss\n\nmodel.compile(optimizer='adam', loss=make_loss(2.0))\n",
                fixed=None, line=5, note="axis 0 is the batch axis; no automatic fix"),
        Example("from tensorflow.keras import backend as K\n\n"
                "def content_loss(trueY, predY):\n"
                "    return 0.5 * K.sum(K.square(trueY - predY))\n",
                fixed="from tensorflow.keras import backend as K\n\n"
                      "def content_loss(trueY, predY):\n"
                      "    return 0.5 * K.sum(K.square(trueY - predY), axis=-1)\n",
                line=4, note="parameter names other than y_true/y_pred (trueY, predY)"),
        Example("import tensorflow as tf\n\nclass L1Sum:\n"
                "    def __call__(self, y_true, y_pred):\n"
                "        return tf.reduce_sum(tf.abs(y_true - y_pred))\n\n"
                "model.compile(optimizer='adam', loss=L1Sum())\n",
                fixed="import tensorflow as tf\n\nclass L1Sum:\n"
                      "    def __call__(self, y_true, y_pred):\n"
                      "        return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n\n"
                      "model.compile(optimizer='adam', loss=L1Sum())\n",
                line=5, note="a callable object (not a Loss subclass) passed to compile"),
        Example(_MASKED_CALL, fixed=_MASKED_CALL.replace("tf.reduce_sum(loss)", "tf.reduce_sum(loss, axis=-1)"),
                line=11, note="a Loss subclass overriding __call__ (Keras uses what it returns as is), "
                              "over the per-token values of a Loss its __init__ builds"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "def my_loss(gt, x):\n"
                "    return K.sum(K.abs(gt - x))\n\n"
                "tf.keras.utils.get_custom_objects().update({'my_loss': my_loss})\n",
                fixed="import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                      "def my_loss(gt, x):\n"
                      "    return K.sum(K.abs(gt - x), axis=-1)\n\n"
                      "tf.keras.utils.get_custom_objects().update({'my_loss': my_loss})\n",
                line=5, note="registered as a custom object: x is the prediction"),
        Example("import tensorflow as tf\n\n"
                "def triplet_loss(y_true, y_pred, margin=0.2):\n"
                "    anchor, positive, negative = y_pred[0], y_pred[1], y_pred[2]\n"
                "    pos = tf.reduce_sum(tf.square(anchor - positive), axis=-1)\n"
                "    neg = tf.reduce_sum(tf.square(anchor - negative), axis=-1)\n"
                "    return tf.reduce_sum(tf.maximum(pos - neg + margin, 0.0))\n\n"
                "def check():\n"
                "    emb = (tf.random.normal([3, 8]), tf.random.normal([3, 8]), tf.random.normal([3, 8]))\n"
                "    return triplet_loss(None, emb)\n",
                fixed="import tensorflow as tf\n\n"
                      "def triplet_loss(y_true, y_pred, margin=0.2):\n"
                      "    anchor, positive, negative = y_pred[0], y_pred[1], y_pred[2]\n"
                      "    pos = tf.reduce_sum(tf.square(anchor - positive), axis=-1)\n"
                      "    neg = tf.reduce_sum(tf.square(anchor - negative), axis=-1)\n"
                      "    return tf.maximum(pos - neg + margin, 0.0)\n\n"
                      "def check():\n"
                      "    emb = (tf.random.normal([3, 8]), tf.random.normal([3, 8]), tf.random.normal([3, 8]))\n"
                      "    return triplet_loss(None, emb)\n",
                line=7, note="each element of the tuple the only call passes is a batch"),
        Example("import tensorflow as tf\n\ndef my_sum(x):\n    return tf.reduce_sum(x)\n\n"
                "def sse(y_true, y_pred):\n    err = tf.square(y_true - y_pred)\n    return my_sum(err)\n",
                fixed="import tensorflow as tf\n\ndef my_sum(x):\n    return tf.reduce_sum(x, axis=-1)\n\n"
                      "def sse(y_true, y_pred):\n    err = tf.square(y_true - y_pred)\n    return my_sum(err)\n",
                line=4, note="the batch sum happens in a helper the loss returns"),
        Example("import tensorflow as tf\n\nclass SumLoss(tf.keras.losses.Loss):\n"
                "    def _total(self, x):\n        return tf.reduce_sum(x)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return self._total(tf.square(y_true - y_pred))\n",
                fixed="import tensorflow as tf\n\nclass SumLoss(tf.keras.losses.Loss):\n"
                      "    def _total(self, x):\n        return tf.reduce_sum(x, axis=-1)\n\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        return self._total(tf.square(y_true - y_pred))\n",
                line=5, note="in a method of the Loss class that call hands its work to"),
        Example("import tensorflow as tf\n\ndef seg_loss(y_gt, y_pre):\n"
                "    return tf.reduce_sum(tf.square(y_gt - y_pre))\n\n"
                "def l1_loss(true, preds):\n    return tf.reduce_sum(tf.abs(true - preds), axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef seg_loss(y_gt, y_pre):\n"
                      "    return tf.reduce_sum(tf.square(y_gt - y_pre), axis=-1)\n\n"
                      "def l1_loss(true, preds):\n    return tf.reduce_sum(tf.abs(true - preds), axis=-1)\n",
                line=4, note="label/prediction names y_gt, y_pre (true, preds) in a function named like a loss"),
        Example("import tensorflow as tf\n\ntotal = lambda x: tf.reduce_sum(x)\n\n"
                "def sse(y_true, y_pred):\n"
                "    return tf.add_n([total(tf.square(y_true - y_pred)), 0.1 * tf.reduce_mean(tf.abs(y_pred), axis=-1)])\n",
                fixed="import tensorflow as tf\n\ntotal = lambda x: tf.reduce_sum(x, axis=-1)\n\n"
                      "def sse(y_true, y_pred):\n"
                      "    return tf.add_n([total(tf.square(y_true - y_pred)), 0.1 * tf.reduce_mean(tf.abs(y_pred), axis=-1)])\n",
                line=3, note="a module-level lambda helper, its result added with add_n"),
        Example("import tensorflow as tf\n\nclass SumLoss(tf.keras.losses.Loss):\n"
                "    @staticmethod\n    def _total(x):\n        return tf.reduce_sum(x)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return self._total(tf.abs(y_true - y_pred))\n",
                fixed="import tensorflow as tf\n\nclass SumLoss(tf.keras.losses.Loss):\n"
                      "    @staticmethod\n    def _total(x):\n        return tf.reduce_sum(x, axis=-1)\n\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        return self._total(tf.abs(y_true - y_pred))\n",
                line=6, note="a staticmethod helper reached through self"),
        Example("import tensorflow as tf\n\ndef cox_loss(events):\n    def loss(y_true, y_pred):\n"
                "        log_risk = tf.math.log(tf.math.cumsum(tf.math.exp(y_pred)))\n"
                "        partial = tf.transpose(y_pred) - log_risk\n"
                "        return -tf.math.reduce_sum(partial * events)\n    return loss\n",
                fixed=None, line=7,
                note="the transpose moves the batch axis and the factory argument's rank is unknown, but a sum "
                     "over every axis still sums the batch; no automatic fix (axis=-1 is not the sample axis)"),
        Example("import tensorflow as tf\n\ndef nll(y_true, y_pred):\n"
                "    total = -tf.reduce_sum(y_true * tf.math.log(y_pred + 1e-7))\n"
                "    num_events = tf.constant(1.0)\n"
                "    return total / num_events\n",
                fixed="import tensorflow as tf\n\ndef nll(y_true, y_pred):\n"
                      "    total = -tf.reduce_sum(y_true * tf.math.log(y_pred + 1e-7), axis=-1)\n"
                      "    num_events = tf.constant(1.0)\n"
                      "    return total / num_events\n",
                line=4, note="a divisor named like a count whose value is the constant 1 normalises nothing"),
        Example("import tensorflow as tf\nfrom tensorflow import keras\n\ndef ctc_loss(y_true, y_pred):\n"
                "    batch = tf.shape(y_true)[0]\n"
                "    frames = tf.shape(y_pred)[1] * tf.ones((batch, 1), dtype='int32')\n"
                "    labels = tf.shape(y_true)[1] * tf.ones((batch, 1), dtype='int32')\n"
                "    return tf.reduce_sum(keras.backend.ctc_batch_cost(y_true, y_pred, frames, labels))\n",
                fixed="import tensorflow as tf\nfrom tensorflow import keras\n\ndef ctc_loss(y_true, y_pred):\n"
                      "    batch = tf.shape(y_true)[0]\n"
                      "    frames = tf.shape(y_pred)[1] * tf.ones((batch, 1), dtype='int32')\n"
                      "    labels = tf.shape(y_true)[1] * tf.ones((batch, 1), dtype='int32')\n"
                      "    return keras.backend.ctc_batch_cost(y_true, y_pred, frames, labels)\n",
                line=8, note="a CTC loss (one value per sample) summed over the batch"),
        Example("import tensorflow as tf\nfrom tensorflow.keras.layers import Lambda\n\n"
                "def pair_loss(y_true, y_pred):\n"
                "    first = Lambda(lambda x: x[:, 0, :])(y_pred)\n"
                "    return tf.reduce_sum(tf.square(first - y_true[:, 0, :]))\n",
                fixed="import tensorflow as tf\nfrom tensorflow.keras.layers import Lambda\n\n"
                      "def pair_loss(y_true, y_pred):\n"
                      "    first = Lambda(lambda x: x[:, 0, :])(y_pred)\n"
                      "    return tf.square(first - y_true[:, 0, :])\n",
                line=6, note="a Keras Lambda layer applied to the prediction runs its function on it"),
        Example("import tensorflow as tf\n\ndef ae_loss(y_true, y_pred):\n"
                "    return tf.nn.l2_loss(y_true - y_pred)\n\n"
                "model.compile(optimizer='adam', loss=ae_loss)\n",
                fixed=None, line=4,
                note="tf.nn.l2_loss is half the sum of squares over every element, the batch included; "
                     "it takes no axis, so no automatic fix"),
        Example("import tensorflow as tf\n\ndef recon_loss(img_true, img_pred):\n"
                "    return tf.reduce_sum(tf.square(img_true - img_pred))\n",
                fixed="import tensorflow as tf\n\ndef recon_loss(img_true, img_pred):\n"
                      "    return tf.reduce_sum(tf.square(img_true - img_pred), axis=-1)\n",
                line=4, note="a loss named so, with `<thing>_true` / `<thing>_pred` parameters"),
        Example("import tensorflow as tf\n\nclass TokenLoss(tf.keras.losses.Loss):\n"
                "    def __call__(self, y_true, y_pred, sample_weight=None):\n"
                "        err = tf.square(y_true - y_pred)\n"
                "        return tf.reduce_sum(err)\n",
                fixed="import tensorflow as tf\n\nclass TokenLoss(tf.keras.losses.Loss):\n"
                      "    def __call__(self, y_true, y_pred, sample_weight=None):\n"
                      "        err = tf.square(y_true - y_pred)\n"
                      "        return tf.reduce_sum(err, axis=-1)\n",
                line=6, note="a Loss subclass overriding __call__ (not call): what it returns is the loss"),
        Example("from tensorflow.keras import backend as K\n\n\ndef triplet_loss(alpha):\n    def loss(y_true, y_pred):\n        anchor, positive, negative = y_pred[:, 0], y_pred[:, 1], y_pred[:, 2]\n        return K.maximum(K.sum(K.square(anchor - positive) - K.square(anchor - negative) + alpha, axis=0), 0.0)\n    return loss\n",
                fixed=None, line=7,
                message="K.sum sums over the batch axis, so loss and gradient scale with batch size; sum only each "
                        "sample's own axes, or return the values as they are when there is one per sample",
                note="a factory's margin of unknown value added to per-sample terms keeps their batch axis"),
        Example("import tensorflow as tf\n\n\nclass InfoNCE(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        diagonal = tf.eye(tf.shape(y_true)[0]) * 1e9\n"
                "        logits = tf.nn.l2_normalize(y_pred, axis=-1) / 0.1 - diagonal\n"
                "        return tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(y_true, logits))\n",
                fixed="import tensorflow as tf\n\n\nclass InfoNCE(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        diagonal = tf.eye(tf.shape(y_true)[0]) * 1e9\n"
                      "        logits = tf.nn.l2_normalize(y_pred, axis=-1) / 0.1 - diagonal\n"
                      "        return tf.nn.softmax_cross_entropy_with_logits(y_true, logits)\n",
                line=8, note="a (batch, batch) score matrix with its diagonal masked by an identity matrix: "
                             "the cross-entropy keeps one value per sample, which the sum adds up"),
        Example("import tensorflow as tf\n\n\n"
                "def roi_loss(y_true, y_pred):\n"
                "    cls_loss = tf.losses.categorical_crossentropy(y_true, y_pred)\n"
                "    return tf.reduce_sum(cls_loss)\n",
                fixed="import tensorflow as tf\n\n\n"
                      "def roi_loss(y_true, y_pred):\n"
                      "    cls_loss = tf.losses.categorical_crossentropy(y_true, y_pred)\n"
                      "    return cls_loss\n",
                line=6, note="TensorFlow 2's tf.losses.categorical_crossentropy is Keras's: one value per "
                             "sample, which the sum adds up over the batch"),
    )

    add_loss_terms = True

    def check_loss(self, loss: Scope) -> None:
        for _, value in loss.returns:
            # a tuple a custom loop unpacks (``loss, cls, reg = ssd_loss(...)``): each part
            parts = [value, *(value.items or ())]
            whole = set(value.marked(Mark.SUM_OVER_BATCH))
            for call in dict.fromkeys(c for part in parts for c in part.marked(Mark.SUM_OVER_BATCH)):
                if not isinstance(call, cst.Call):
                    continue
                if loss.context is Context.ADD_LOSS or loss.spec.added:
                    # a term a Layer adds: Keras sums it into the loss as it is, so the batch
                    # must be averaged, whatever the axes (``axis=0`` of a per-triplet vector)
                    self.report(call, message=f"{self._name(call)} sums the batch of a term handed to add_loss, so "
                                              "loss and gradient scale with batch size; take the mean over the batch")
                    continue
                if _differentiated_as_is(loss):
                    # a custom loop: what the loss returns is differentiated as it is
                    self.report(call, message=f"{self._name(call)} sums over the batch axis, so loss and gradient "
                                              "scale with batch size; take the mean over the batch",
                                fix=self._fix(call, loss))
                    continue
                if self._flattened(call, loss):
                    # ``K.sum(K.flatten(err))``: no axis of the flattened values is the samples'
                    self.report(call, message=f"{self._name(call)} sums the flattened batch, so loss and gradient "
                                              "scale with batch size; flatten each sample instead "
                                              "(K.batch_flatten, or reshape to (batch, -1)) and pass axis=-1")
                    continue
                if self._moved_batch(call, loss):
                    # ``reduce_sum(pairs)`` of an (m, n) matrix of masked predictions: no axis is
                    # the samples', so axis=-1 is no fix
                    self.report(call, message=f"{self._name(call)} sums values taken from every sample of the batch, "
                                              "so loss and gradient scale with batch size; divide the sum by "
                                              "how many values it adds (a mean)")
                    continue
                if self._per_sample_axis_sum(call, loss):
                    # ``K.sum(hinge, axis=0)`` of ``y_pred[:, 0]`` terms: axis=-1 may be the batch again
                    self.report(call, message=f"{self._name(call)} sums over the batch axis, so loss and gradient "
                                              "scale with batch size; sum only each sample's own axes, or return "
                                              "the values as they are when there is one per sample")
                    continue
                # a part of a tuple: what the caller differentiates is not known, so no fix
                self.report(call, fn=self._name(call), fix=self._fix(call, loss) if call in whole else None)

    def _per_sample_axis_sum(self, call: cst.Call, loss: Scope) -> bool:
        """An explicit axis over fewer axes than the inputs have (``y_pred[:, 0]``): whether
        ``axis=-1`` names a sample's own axis is not known."""
        value = _summed(call, loss)[1]
        return call_arg(call, 1, "axis", "reduction_indices") is not None and value is not None \
            and value.rel is not None and value.rel < 0 and (value.rank is None or value.rank < 2)

    def _moved_batch(self, call: cst.Call, loss: Scope) -> bool:
        """The summed values hold the batch's values in a shape of known rank whose first axis is
        not the samples' (masked, then reshaped or broadcast to an ``(m, n)`` matrix of pairs); a
        rank of at least 2 also tells them from a flattened batch, which :meth:`_flattened` words."""
        value = _summed(call, loss)[1]
        return value is not None and value.has(Tag.HOLDS_BATCH) and not value.batch \
            and call_arg(call, 1, "axis", "reduction_indices") is None \
            and value.rank is not None and value.rank >= 2

    def _flattened(self, call: cst.Call, loss: Scope) -> bool:
        value = _summed(call, loss)[1]
        # after elementwise ops the flattening shows as one axis that holds the batch but is not it
        return value is not None and value.has(Tag.HOLDS_BATCH) and (
            value.has(Tag.FLATTENED) or value.rank == 1 and not value.batch)

    def _name(self, call: cst.Call) -> str:
        return code_of(call.func)

    def _fix(self, call: cst.Call, loss: Scope) -> cst.BaseExpression | None:
        if call_arg(call, 1, "axis", "reduction_indices") is not None:
            return None
        summed, value = _summed(call, loss)
        if value is not None and value.has(Tag.HOLDS_BATCH):
            return None  # the batch axis moved (a transpose): axis=-1 need not be the per-sample axis
        if self.canonical(call.func) in NO_AXIS_REDUCTIONS:  # tf.nn.l2_loss has no axis to pass
            return None
        if _differentiated_as_is(loss):
            # a custom loop differentiates what the loss returns: a vector's gradient is its sum's,
            # so the per-sample values alone would scale the same; their mean does not
            return _as_mean(call)
        if summed is not None and value is not None and value.rel is not None and value.rel < 0 \
                and (value.rank is None or value.rank < 2):
            # fewer axes than the inputs, and not known to keep two: possibly one value per
            # sample already (``(B,)`` costs), where axis=-1 is the batch axis itself; the values
            # as they are is what Keras averages (a mean per element where there were more)
            return unwrapped(summed)
        return with_keyword(call, "axis", minus_one())


def _summed(call: cst.Call, loss: Scope) -> tuple[cst.BaseExpression | None, Value | None]:
    """The expression a reduction sums and its value in ``loss`` (None where unknown)."""
    summed = call_arg(call, 0, "input_tensor", "x", "a", "input")
    return summed, loss.find(summed) if summed is not None else None


def _differentiated_as_is(loss: Scope) -> bool:
    """A custom loop's loss (not a helper of one): what it returns is differentiated as it is,
    so a per-sample vector scales like its sum and the fix is the mean."""
    return loss.context is Context.DIRECT and not loss.is_helper


def _as_mean(call: cst.Call) -> cst.Call | None:
    """``tf.reduce_sum(x)`` as ``tf.reduce_mean(x)`` (``K.sum`` as ``K.mean``, ``ops.sum`` as
    ``ops.mean``), the same arguments; None for another spelling."""
    func = call.func
    mean = {"reduce_sum": "reduce_mean", "sum": "mean"}.get(callee_name(call))
    if mean is None:
        return None
    if isinstance(func, cst.Attribute):
        return call.with_changes(func=func.with_changes(attr=cst.Name(mean)))
    return None  # a bare imported ``reduce_sum``: its mean needs an import
