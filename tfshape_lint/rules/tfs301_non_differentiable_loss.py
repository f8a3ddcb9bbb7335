"""TFS301 non-differentiable-loss."""

from __future__ import annotations

from typing import Iterable

import libcst as cst

from tfshape_lint.analysis.imports import cst_dotted
from tfshape_lint.analysis.losses import Context, says_loss
from tfshape_lint.analysis.ops import Kind, lookup
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import Grad, Mark, Tag, Value
from tfshape_lint.rule import Example, Recipe, Rule, Severity
from tfshape_lint.rules._numpy import loss_name, numpy_code
from tfshape_lint.source import code_of, descendants

#: ops whose registered gradient is zeros rather than None: fit runs, the weights never move
_ZERO_GRADIENT_OPS = frozenset({"sign"})


class NonDifferentiableLoss(Rule):
    """## What it does
    Follows how the loss depends on `y_pred` and flags the operations that cut the gradient:
    `argmax`/`argmin`, `round`, `floor`, `ceil`, `sign`, comparisons (`>`, `tf.equal`,
    `tf.greater`, ...), casts of a comparison or to an integer/bool dtype, `stop_gradient`,
    `.numpy()` and numpy functions. It reports an **error** when every path from `y_pred` to
    the returned loss goes through such an op, and a **warning** when one added term has no
    gradient while the rest of the loss has one.

    `tf.cond`, `tf.where`/`K.switch`, `clip`, `maximum`, `abs` and `relu` are differentiable
    and are not flagged; neither are ops applied only to `y_true`, straight-through estimators
    (`y_pred + tf.stop_gradient(tf.round(y_pred) - y_pred)`), nor metrics (also a `Loss`
    subclass that nothing hands to `compile` as a loss, named as a metric (`RobustAccuracy`) and
    held by a metrics module or documented as a metric), nor a loss that ignores the labels and
    returns `stop_gradient(y_pred)` (an output that carries a value the model computed, reported
    beside a sibling output that trains). A function found
    only by its `(y_true, y_pred)` signature is checked only when its name says `loss` (or
    has `cost` as a word: `crps_cost_positive`). A loss
    method no Keras API receives that calls a model of its object (`self.discriminator(...)`, a
    GAN's discriminator loss on `tf.stop_gradient(fake)`) trains that model's weights whatever
    reaches it from the prediction: "every path is cut" is not reported there. Nor is a term
    built from a trainable weight of the loss's own layer (`self.trans = self.add_weight(...)`
    or a `tf.Variable`, also read through a property): a CRF's transition score reaches `y_pred`
    only through the padding mask and trains the transitions. A term that is a
    product by a tiny literal (`d + zero * 1e-12` with `zero = cast(equal(d, 0))`) keeps a value
    off 0 before a `sqrt`: it is a guard, not a term of the loss. Nor is a term without gradient
    inside a nonlinear op together with a differentiable one (`softmax_cross_entropy(labels,
    y_pred - y_true * hard_margin)`, an AM-softmax margin): it changes the gradient of what it is
    added to.

    ## Why is this bad?
    Measured on TF 2.21 / Keras 3.15 and tf_keras 2.21:
    - when the only path goes through `tf.argmax`, `tf.round`, `K.round`, `tf.math.floor`,
      `tf.cast(y_pred > 0.5, tf.float32)` or `tf.stop_gradient`, the gradient is `None` and
      `fit` raises `ValueError: No gradients provided for any variable.`;
    - `tf.sign` has a registered gradient of **zeros**: nothing raises, the loss is printed,
      and the weights never change;
    - a `round` term added to an MSE term runs (loss 0.451697) but only the MSE term trains:
      the other term shows in the loss and contributes no gradient.

    ## Example
    ```python
    def accuracy_loss(y_true, y_pred):
        hits = tf.cast(tf.equal(tf.argmax(y_true, -1), tf.argmax(y_pred, -1)), tf.float32)
        return 1.0 - tf.reduce_mean(hits, axis=-1)
    ```

    ## Use instead
    ```python
    def accuracy_loss(y_true, y_pred):
        return tf.keras.losses.categorical_crossentropy(y_true, y_pred)
    ```
    Replace a hard decision by a smooth surrogate (`sigmoid((y_pred - t) / tau)` for
    `y_pred > t`, `tanh(k * x)` for `sign(x)`, softmax probabilities for `argmax`), or keep
    the non-differentiable quantity as a metric.

    ## Verification
    `--verify` computes the gradient of the loss with respect to `y_pred` under
    `tf.GradientTape` and runs one `fit` step: a `None` or all-zero gradient (weights
    unchanged) confirms it.
    """

    code = "TFS301"
    value_only = True
    name = "non-differentiable-loss"
    message = ("{op} has no gradient and every path from y_pred to the loss goes through it: fit "
               "raises 'No gradients provided'; use a differentiable surrogate")
    severity = Severity.ERROR
    losses_only = True
    recipe = Recipe("gradient", {"expect": "none_or_zero"}, "gradient w.r.t. y_pred and one fit step")

    ZERO_MESSAGE = ("{op} has a zero gradient and every path from y_pred goes through it: fit runs "
                    "but the weights never change; use a smooth surrogate such as tanh")
    TERM_MESSAGE = ("this term reaches y_pred only through {op}, which has no gradient: it adds to "
                    "the loss but never trains; use a differentiable surrogate")

    good = (
        Example("import tensorflow as tf\n\n\n"
                "def supervised_contrastive_loss(z, y, temperature=0.5):\n"
                "    y = tf.expand_dims(y, -1)\n"
                "    same = tf.cast(tf.equal(y, tf.transpose(y)), tf.float32)\n"
                "    logits = tf.matmul(z, z, transpose_b=True) / temperature\n"
                "    log_prob = logits - tf.reduce_logsumexp(logits, axis=1, keepdims=True)\n"
                "    positives = tf.maximum(tf.reduce_sum(same, axis=1), 1.0)\n"
                "    return -tf.reduce_mean(tf.reduce_sum(same * log_prob, axis=1) / positives)\n\n\n"
                "def train_step(model, images, labels, optimizer):\n"
                "    with tf.GradientTape() as tape:\n"
                "        embeddings = model(images, training=True)\n"
                "        loss = supervised_contrastive_loss(embeddings, labels)\n"
                "    grads = tape.gradient(loss, model.trainable_variables)\n"
                "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n",
                note="the custom loop passes the embeddings first and the labels second: the comparison is of "
                     "labels, the embeddings train"),
        Example("import tensorflow as tf\n\n\nclass CRF(tf.keras.layers.Layer):\n"
                "    def build(self, input_shape):\n"
                "        self.trans = self.add_weight(name=\"trans\", shape=(input_shape[-1], input_shape[-1]))\n\n"
                "    def loss(self, y_true, y_pred):\n"
                "        mask = tf.cast(tf.reduce_all(tf.greater(y_pred, -1e6), axis=2, keepdims=True), tf.float32)\n"
                "        y_true, y_pred = y_true * mask, y_pred * mask\n"
                "        point = tf.einsum(\"bni,bni->b\", y_true, y_pred)\n"
                "        trans = tf.einsum(\"bni,ij,bnj->b\", y_true[:, :-1], self.trans, y_true[:, 1:])\n"
                "        return tf.reduce_logsumexp(y_pred, [1, 2]) - point - trans\n\n\n"
                "crf = CRF()\nmodel.compile(optimizer=\"adam\", loss=crf.loss)\n",
                note="the transition score reaches y_pred only through the padding mask, but it trains the "
                     "layer's own transition weights (a CRF)"),
        Example("import tensorflow as tf\n\n\nclass CTCLoss(tf.keras.losses.Loss):\n    def call(self, y_true, y_pred):\n        logits = y_pred[\"logits\"]\n        logit_lens = y_pred[\"logit_lens\"]\n        return tf.nn.ctc_loss(\n            labels=tf.cast(y_true[\"labels\"], tf.int32),\n            logit_length=tf.cast(logit_lens, tf.int32),\n            logits=logits,\n            label_length=tf.cast(y_true[\"label_lens\"], tf.int32),\n            logits_time_major=False,\n            blank_index=0,\n        )\n",
                note="tf.nn.ctc_loss by keyword: the integer casts are of the lengths, the logits keep their gradient"),
        Example("import tensorflow as tf\n\n\n"
                "def interp_mulaw(y_true, y_pred):\n"
                "    model_out = y_pred[:, :, 2:]\n"
                "    e_gt = (y_true - y_pred[:, :, 0:1]) * 127.0 + 128.0\n"
                "    alpha = e_gt - tf.math.floor(e_gt)\n"
                "    alpha = tf.tile(alpha, [1, 1, 256])\n"
                "    ids = tf.clip_by_value(tf.cast(e_gt, 'int32'), 0, 254)\n"
                "    interp = (1 - alpha) * model_out + alpha * tf.roll(model_out, shift=-1, axis=-1)\n"
                "    return tf.keras.losses.SparseCategoricalCrossentropy(reduction='none')(ids, interp)\n\n\n"
                "model.compile(optimizer='adam', loss=interp_mulaw)\n",
                note="x - floor(x) is the fractional part of x (LPCNet's interpolation weight between two levels): "
                     "the floor is a constant offset, x's gradient passes"),
        Example("import tensorflow as tf\n\n\n"
                "def amsoftmax_loss(y_true, y_pred):\n"
                "    margin = tf.cast(tf.greater(y_pred, 0.35), tf.float32) * 0.35\n"
                "    logits = 30.0 * (y_pred - y_true * margin)\n"
                "    return tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=logits)\n",
                note="a margin without gradient inside the logits: it shifts what the softmax sees, so it "
                     "changes the gradient of y_pred; it is no separate term of the loss"),
        Example("import tensorflow as tf\n\ndef distance_loss(y_true, y_pred):\n"
                "    d = tf.reduce_sum(tf.square(y_true - y_pred), axis=-1)\n"
                "    zero = tf.cast(tf.equal(d, 0.0), tf.float32)\n"
                "    return tf.sqrt(d + zero * 1e-12)\n",
                note="tf.equal only places an epsilon on the exact zeros: a guard, not a loss term"),
        Example("import tensorflow as tf\nfrom project.util import preprocess_y\n\n"
                "def ranking_loss(y_true, y_pred):\n"
                "    y_true, y_pred = preprocess_y(y_true, y_pred)\n"
                "    share = tf.reduce_mean(tf.cast(tf.equal(y_true, 1.0), tf.float32))\n"
                "    return tf.reduce_mean(tf.square(y_pred - y_true), axis=-1) + share\n",
                note="a helper that hands the labels back in place keeps them labels: `share` is a "
                     "constant of the labels, not a cut path from y_pred"),
        Example("import tensorflow as tf\n\ndef mse_loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"),
        Example("import tensorflow as tf\n\ndef hard_negative_loss(y_true, y_pred):\n"
                "    err = tf.square(y_true - y_pred)\n"
                "    n = tf.math.count_nonzero(y_true, dtype=tf.int32)\n\n"
                "    def none():\n"
                "        return tf.zeros_like(err[:, 0])\n\n"
                "    def some():\n"
                "        return tf.reduce_sum(err, axis=-1)\n"
                "    return tf.reduce_mean(err, axis=-1) + tf.cond(tf.equal(n, 0), none, some)\n",
                note="tf.cond's value is its branch's: the comparison only picks the branch"),
        Example("import math\n\nimport tensorflow as tf\n\n\ndef angle_loss(y_true, y_pred):\n"
                "    diff = (y_pred - y_true + math.pi) % (2 * math.pi) - math.pi\n"
                "    return tf.reduce_mean(tf.square(diff), axis=-1)\n",
                note="floor-mod has a gradient (1 with respect to its left operand), unlike //"),
        Example("import tensorflow as tf\n\ndef switch_loss(y_true, y_pred):\n"
                "    mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "    mae = tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n"
                "    return tf.cond(tf.reduce_mean(y_pred) > 0.5, lambda: mse, lambda: mae)\n",
                note="tf.cond is differentiable through the taken branch"),
        Example("import tensorflow as tf\n\ndef hinge_loss(y_true, y_pred):\n"
                "    err = tf.where(y_pred > 0.5, 1.0 - y_pred, y_pred)\n"
                "    return tf.reduce_mean(tf.maximum(err, 0.0), axis=-1)\n",
                note="the comparison only chooses a branch; both branches carry the gradient"),
        Example("import tensorflow as tf\n\ndef class_loss(y_true, y_pred):\n"
                "    labels = tf.argmax(y_true, axis=-1)\n"
                "    return tf.keras.losses.sparse_categorical_crossentropy(labels, y_pred)\n",
                note="argmax of the labels only"),
        Example("import tensorflow as tf\n\ndef accuracy(y_true, y_pred):\n"
                "    return tf.cast(tf.equal(tf.argmax(y_true, -1), tf.argmax(y_pred, -1)), tf.float32)\n\n"
                "model.compile(optimizer='adam', loss='mse', metrics=[accuracy])\n",
                note="a metric is never differentiated"),
        Example("from tensorflow import keras\nfrom tensorflow.keras import backend as K\n\n\n"
                "def build_pretraining(bert, token_ids, is_masked):\n"
                "    mlm_loss = keras.layers.Lambda(masked_ce)([token_ids, bert.output, is_masked])\n"
                "    mlm_acc = keras.layers.Lambda(masked_acc)([token_ids, bert.output, is_masked])\n"
                "    model = keras.Model(bert.inputs + [token_ids, is_masked], [mlm_loss, mlm_acc])\n"
                "    loss = {\n"
                "        'mlm_loss': lambda y_true, y_pred: y_pred,\n"
                "        'mlm_acc': lambda y_true, y_pred: K.stop_gradient(y_pred),\n"
                "    }\n"
                "    return model, loss\n\n\n"
                "model, loss = build_pretraining(bert, token_ids, is_masked)\n"
                "model.compile(loss=loss, optimizer='adam')\n",
                note="an output that carries an accuracy, passed through with its gradient stopped: reported, not trained"),
        Example("import tensorflow as tf\n\n\nclass BinaryRobustAccuracy(tf.keras.losses.Loss):\n"
                "    def __init__(self, epsilon=0.1, name='BinaryRobustAccuracy'):\n"
                "        \"\"\"The accuracy that can be proved at radius epsilon (a metric).\"\"\"\n"
                "        self.epsilon = epsilon\n"
                "        super().__init__(name=name)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        margin = tf.abs(y_pred[:, 0]) * tf.sign(y_true[:, 0] * y_pred[:, 0])\n"
                "        return tf.cast(margin > self.epsilon, y_pred.dtype)\n",
                note="a Loss subclass written as a metric: named and documented as one, never handed to compile as a loss"),
        Example("import tensorflow as tf\n\ndef quantize_loss(y_true, y_pred):\n"
                "    hard = y_pred + tf.stop_gradient(tf.round(y_pred) - y_pred)\n"
                "    return tf.reduce_mean(tf.square(y_true - hard), axis=-1)\n",
                note="straight-through estimator: the gradient flows through y_pred"),
        Example("import tensorflow as tf\n\ndef hit_rate(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.cast(tf.round(y_pred) == y_true, tf.float32), axis=-1)\n",
                note="found by signature only and not named *loss*: could be a metric"),
        Example("from keras import ops\n\ndef masked_loss(y_true, y_pred):\n"
                "    mask = ops.cast(ops.greater(y_true, 0.0), 'float32')\n"
                "    return ops.mean(ops.abs(y_true - y_pred) * mask, axis=-1)\n",
                note="a mask from the labels times a differentiable error"),
        Example("import tensorflow as tf\n\ndef mismatch_loss_fn(y_true, y_pred, threshold=0.5):\n"
                "    picked = tf.cast(y_pred > threshold, tf.float32)\n"
                "    return tf.reduce_mean(tf.abs(y_true - picked), axis=-1)\n\n"
                "mismatch = tf.keras.metrics.MeanMetricWrapper(mismatch_loss_fn, name='mismatch')\n",
                note="wrapped as a metric: Keras averages it and never differentiates it"),
        Example("import numpy as np\nimport tensorflow as tf\n\n"
                "def np_mae(y_true, y_pred):\n"
                "    return np.mean(np.abs(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=np_mae)\n",
                note="numpy on a tensor is TFS302's finding, not also TFS301's"),
        Example("import tensorflow as tf\n\n"
                "def angle_loss(y_true, y_pred):\n"
                "    d = (y_pred - y_true + 180.0) % 360.0 - 180.0\n"
                "    return tf.reduce_mean(tf.abs(d), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=angle_loss)\n",
                note="% has a gradient (1 with respect to the dividend almost everywhere)"),
        Example("import tensorflow as tf\n\n\nclass GAN:\n"
                "    def discriminator_loss(self, pred, labels):\n"
                "        real = self.discriminator(labels)\n"
                "        fake = self.discriminator(tf.stop_gradient(pred))\n"
                "        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(real), real)) + \\\n"
                "            tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(fake), fake))\n",
                note="a custom loop's discriminator loss: it trains the discriminator it calls, not the "
                     "generator whose output it stops"),
        Example("from keras import ops\nimport keras\n\n\n"
                "class SequenceDice(keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        lengths = self.lengths_fn(y_true, y_pred)\n"
                "        steps = ops.arange(ops.shape(y_pred)[1])\n"
                "        mask = ops.cast(steps[None, :] < ops.cast(lengths, \"int32\")[:, None], y_pred.dtype)\n"
                "        inter = ops.sum(y_true * y_pred * mask, axis=1)\n"
                "        total = ops.sum(y_true * mask, axis=1) + ops.sum(y_pred * mask, axis=1)\n"
                "        return 1.0 - (2.0 * inter + 1.0) / (total + 1.0)\n",
                note="the labels' count under a sequence mask: the lengths come from a callable the file "
                     "does not show, and integers read off the inputs cut no gradient anyone trains through"),
    )
    bad = (
        Example("import tensorflow as tf\n\ndef band_loss(y_true, y_pred):\n"
                "    lo = tf.cast(y_pred > 0.2, tf.float32)\n"
                "    hi = tf.cast(y_pred < 0.8, tf.float32)\n"
                "    return tf.reduce_mean(tf.abs(y_true - lo * hi), axis=-1)\n",
                line=4, message="the comparison `y_pred > 0.2` (with 1 more op of the same kind) has no "
                                "gradient and every path from y_pred to the loss goes through it: fit "
                                "raises 'No gradients provided'; use a differentiable surrogate",
                note="one claim, one finding: the second comparison is counted, not reported again"),
        Example("import tensorflow as tf\n\ndef quantised_l1_loss(y_true, y_pred):\n"
                "    frames = tf.image.convert_image_dtype(y_pred, dtype=tf.uint8)\n"
                "    return tf.reduce_mean(tf.abs(y_true - tf.cast(frames, tf.float32)), axis=-1)\n",
                line=4, note="convert_image_dtype to uint8 scales, rounds and casts: no gradient"),
        Example("import tensorflow as tf\n\ndef accuracy_loss(y_true, y_pred):\n"
                "    hits = tf.cast(tf.equal(tf.argmax(y_true, -1), tf.argmax(y_pred, -1)), tf.float32)\n"
                "    return 1.0 - tf.reduce_mean(hits, axis=-1)\n",
                line=4, message="tf.argmax has no gradient and every path from y_pred to the loss goes "
                                "through it: fit raises 'No gradients provided'; use a differentiable surrogate"),
        Example("from tensorflow.keras import backend as K\n\ndef rounded_mse(y_true, y_pred):\n"
                "    return K.mean(K.square(y_true - K.round(y_pred)), axis=-1)\n\n"
                "model.compile(optimizer='sgd', loss=rounded_mse)\n",
                line=4, note="K.round through the legacy backend, passed to compile"),
        Example("import tensorflow as tf\n\ndef sign_loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.abs(y_true - tf.math.sign(y_pred - 0.5)), axis=-1)\n",
                line=4, message="tf.math.sign has a zero gradient and every path from y_pred goes through "
                                "it: fit runs but the weights never change; use a smooth surrogate such as tanh",
                note="tf.sign: zero gradient, no error, no learning"),
        Example("import tensorflow as tf\n\ndef _binarize(p):\n"
                "    return tf.cast(p > 0.5, tf.float32)\n\n"
                "def make_loss(weight):\n"
                "    def loss(y_true, y_pred):\n"
                "        hard = _binarize(y_pred)\n"
                "        return weight * tf.reduce_mean(tf.square(y_true - hard), axis=-1)\n"
                "    return loss\n\nmodel.compile(optimizer='adam', loss=make_loss(2.0))\n",
                line=4, note="through a helper inside a factory closure"),
        Example("import tensorflow as tf\n\nclass CountLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "        wrong = tf.cast(tf.math.round(y_pred) != y_true, tf.float32)\n"
                "        return mse + 0.1 * tf.reduce_mean(wrong, axis=-1)\n",
                line=7, message="this term reaches y_pred only through tf.math.round, which has no "
                                "gradient: it adds to the loss but never trains; use a differentiable surrogate",
                note="one added term never trains (warning)"),
        Example("import tensorflow.keras.backend as K\n\ndef gaussian_cost_positive(y_true, y_pred):\n"
                "    err = K.square(y_true[:, 0] - y_pred[:, 0])\n"
                "    negative = K.less(y_pred[:, 1], 0)\n"
                "    return err + K.cast(negative, 'float32') * 10\n",
                line=6, note="a penalty that never pushes the prediction back, in a function its name calls a cost"),
        Example("from keras import ops\n\nloss_fn = lambda y_true, y_pred: ops.mean(\n"
                "    ops.square(y_true - ops.stop_gradient(y_pred)), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=loss_fn)\n",
                line=4, note="keras.ops.stop_gradient on y_pred, in a lambda"),
        Example("import tensorflow as tf\n\ndef step(model, x, y):\n"
                "    with tf.GradientTape() as tape:\n"
                "        loss = ce_loss(y, model(x))\n"
                "    return tape.gradient(loss, model.trainable_variables)\n\n"
                "def ce_loss(labels, logits):\n"
                "    idx = tf.cast(logits, tf.int32)\n"
                "    return tf.reduce_mean(tf.cast(idx - tf.cast(labels, tf.int32), tf.float32) ** 2)\n",
                line=9, note="a cast to int32 in a custom training loop"),
    )

    def applies(self, loss: Scope) -> bool:
        if not super().applies(loss):
            return False
        if loss.context is not Context.UNKNOWN:
            return True
        # found by signature only: could be a metric or a helper, so ask for `loss` in the name;
        # a function that tf.py_function calls works on numpy arrays and is not differentiated
        return says_loss(loss_name(loss)) and not numpy_code(loss, self.wrapped, self.index)

    def check_loss(self, loss: Scope) -> None:
        returned = loss.returned()
        if returned is None or not loss.returns:
            return
        if returned.grad == Grad.CUT:
            if self._runs_own_model(loss) or self._reported_output(loss):
                return
            self._report_cut(returned)
        elif returned.grad == Grad.DIFF:
            for term in dict.fromkeys(returned.marked(Mark.CUT_TERM)):
                self._report_term(term)

    def _reported_output(self, loss: Scope) -> bool:
        """``lambda y_true, y_pred: K.stop_gradient(y_pred)``: a loss that ignores the labels and
        returns the model's own output with its gradient stopped is the idiom for an output that
        carries a value the graph computed (an accuracy beside an ``mlm_loss`` output) and must be
        reported, not trained: the cut is the author's intent, and a sibling output trains."""
        pred, labels = loss.spec.predictions, loss.spec.labels
        if pred is None or not loss.returns:
            return False
        for node, _ in loss.returns:
            if not isinstance(node, cst.Call) or not node.args or self._op(node) != "stop_gradient":
                return False
            arg = node.args[0].value
            if not isinstance(arg, cst.Name) or arg.value != pred:
                return False
        body = getattr(loss.node, "body", loss.node)  # not the parameters: they name the labels too
        return labels is None or not any(n.value == labels for n in descendants(body, cst.Name))

    def _runs_own_model(self, loss: Scope) -> bool:
        """A method no Keras API calls (a custom loop's ``loss_D(self, pred, labels)``) that calls
        ``self.<attribute>(...)`` where the attribute is no method of its class and no Loss: a
        model or layer of its own, whose weights the loop differentiates."""
        if loss.context not in (Context.UNKNOWN, Context.DIRECT) or len(loss.spec.path) < 2:
            return False
        owner = loss.spec.path[-2]
        methods = {info.node.name for infos in self.index.functions.values() for info in infos
                   if info.in_class == owner}
        for call in descendants(loss.node, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self" \
                    and func.attr.value not in methods:
                value = loss.value(func)
                if value is None or not value.has(Tag.LOSS_INSTANCE):
                    return True
        return False

    # -- every path cut ---------------------------------------------------------------------
    def _report_cut(self, returned: Value) -> None:
        cuts = self._cut_nodes(returned)
        if cuts and all(self._numpy_call(node) for node in cuts):
            return  # one root cause, one finding: TFS302 reports numpy on a tensor
        if not cuts:
            self.report(self.loss.returns[-1][0] if self.loss else cst.Name("_"), op="an op")
            return
        cuts = self._ordered(cuts)
        zero = any(self._op(node) in _ZERO_GRADIENT_OPS for node in cuts)
        # one claim, one finding: "no path carries a gradient" is said once, at the first cut
        op = self._describe(cuts[0])
        if len(cuts) > 1:
            op += f" (with {len(cuts) - 1} more op{'s' if len(cuts) > 2 else ''} of the same kind)"
        if zero:
            self.report(cuts[0], message=self.ZERO_MESSAGE, severity=Severity.WARNING, op=op)
        else:
            self.report(cuts[0], op=op)

    def _ordered(self, cuts: list[cst.CSTNode]) -> list[cst.CSTNode]:
        """``cuts`` in the order the loss evaluates them: the op a message names must not
        change from run to run."""
        return self.loss.in_evaluation_order(cuts) if self.loss is not None else cuts

    def _cut_nodes(self, value: Value) -> list[cst.CSTNode]:
        nodes = list(dict.fromkeys(value.marked(Mark.GRAD_CUT)))
        if not nodes:
            # provenance lost on the way (a tuple, an unknown call): every cut in the loss
            nodes = list(dict.fromkeys(n for scope in self._scopes() for v in scope.values.values()
                                       for n in v.marked(Mark.GRAD_CUT)))
        inner = [n for n in nodes if not self._is_helper_call(n)]
        return inner or nodes

    def _is_helper_call(self, node: cst.CSTNode) -> bool:
        return any(node in scope.callers for scope in self._scopes())

    def _scopes(self) -> Iterable[Scope]:
        return self.loss.all_scopes() if self.loss is not None else ()

    # -- one term cut ----------------------------------------------------------------------------
    def _report_term(self, term: cst.CSTNode) -> None:
        value = self._value_anywhere(term)
        cuts = self._cut_nodes(value) if value is not None else []
        if any(self._op(node) == "stop_gradient" for node in cuts):
            return  # a deliberate stop_gradient (straight-through estimators, targets)
        if cuts and all(self._numpy_call(node) for node in cuts):
            return  # TFS302 reports numpy on a tensor
        op = self._describe(self._ordered(cuts)[0]) if cuts else "an op"
        self.report(term, message=self.TERM_MESSAGE, severity=Severity.WARNING, op=op)

    def _value_anywhere(self, node: cst.CSTNode) -> Value | None:
        for scope in self._scopes():
            value = scope.value(node)
            if value is not None:
                return value
        return None

    def _numpy_call(self, node: cst.CSTNode) -> bool:
        """numpy on a tensor (``np.abs(t)``, ``t.numpy()``, ``K.eval(t)``): TFS302's finding."""
        if not isinstance(node, cst.Call):
            return False
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("numpy", "eval") \
                and lookup(self.index.imports.canonical(_dotted_func(node))) is None:
            return True
        canon = self.index.imports.canonical(_dotted_func(node)) or ""
        return canon.startswith("np.") or canon == "K.eval"

    # -- naming the op ----------------------------------------------------------------------------
    def _op(self, node: cst.CSTNode) -> str | None:
        if isinstance(node, cst.Call):
            spec = lookup(self.index.imports.canonical(_dotted_func(node)))
            if spec is not None:
                return spec.op
            if isinstance(node.func, cst.Attribute):
                return node.func.attr.value
        return None

    def _describe(self, node: cst.CSTNode) -> str:
        if isinstance(node, cst.Call):
            func = code_of(node.func)
            spec = lookup(self.index.imports.canonical(_dotted_func(node)))
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("numpy", "eval") and spec is None:
                return f".{node.func.attr.value}()"
            if spec is not None and spec.kind is Kind.CAST:
                return f"{func} to an integer/bool dtype"
            return func
        if isinstance(node, cst.Comparison):
            return f"the comparison `{_short(node)}`"
        if isinstance(node, cst.UnaryOperation):
            return "`not`"
        if isinstance(node, cst.BinaryOperation):
            return f"`{code_of(node.operator).strip()}`"
        return f"`{_short(node)}`"


def _dotted_func(node: cst.Call) -> str | None:
    return cst_dotted(node.func)


def _short(node: cst.CSTNode, limit: int = 40) -> str:
    text = " ".join(code_of(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
