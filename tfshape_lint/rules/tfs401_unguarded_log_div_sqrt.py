"""TFS401 unguarded-log-div-sqrt."""

from __future__ import annotations

import libcst as cst

from tfshape_lint.analysis.branches import tested_nonzero
from tfshape_lint.analysis.ops import Kind
from tfshape_lint.analysis.ranges import Hazard, Low, Ranges
from tfshape_lint.analysis.tensors import NOT_LITERAL, Scope, literal
from tfshape_lint.analysis.values import Grad
from tfshape_lint.analysis.uses import only_decides, zeroed_with_operand
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._guards import epsilon_node, plus_epsilon
from tfshape_lint.source import caught_names, code_of, descendants, parent_map

_WHAT = {
    "log": "the argument of {fn}",
    "log1p": "1 + the argument of {fn}",
    "sqrt": "the argument of {fn}",
    "rsqrt": "the argument of {fn}",
    "reciprocal": "the argument of {fn}",
    "pow_frac": "the base of {fn}",
    "pow_neg": "the base of {fn}",
    "div": "the denominator of {fn}",
}



#: how many slices and wrapping calls ``_peeled`` looks through
_UNWRAP_DEPTH = 6
#: what an error stays 0 exactly where it was under; what an overlap index stays <= 1 under
_ERROR_WRAPPERS = frozenset({"abs", "sum", "mean"})
_MEAN = frozenset({"mean"})

class UnguardedLogDivSqrt(Rule):
    """## What it does
    Flags `log`, division (`/`, `tf.math.divide`, `keras.ops.divide`), `sqrt`, `rsqrt`,
    `reciprocal` and `pow(x, a)` with `a < 1` whose operand is derived from `y_pred` (or is a
    sum of labels in a denominator) and can reach 0 in float32, with no guard in between.
    A sum of labels counts when a sample without positives makes it 0 (a count of positives,
    the sum of a mask, per sample, or a product of such counts); not the labels' energy (`sum(s * s)`, a variance: 0 only
    for an all-zero or constant target) and not a mean over the whole batch weighted by a
    label channel (`sum(err * valid) / sum(valid)`, also spelled `tf.multiply(err, valid)` with
    `valid` a slice or `tf.split` part of `y_true`: 0 only for a batch without one valid entry).
    A count of positive pairs made by comparing the batch's labels is no such channel: a batch of
    distinct classes has none (TensorFlow Addons' semi-hard triplet loss divides by it, and its
    users report the NaN). An op whose value is assigned to a name that nothing in the function
    reads is not flagged: it never reaches the loss. Nor is one whose every use only decides
    something: a comparison (`best_iou > 0.6`), `argmax`/`argmin`, or a shape or dtype query,
    followed through names bound once, `max`/`min` reductions, shape ops, the value branches of
    `where` and a helper's `return` to its callers (an IoU that only picks the responsible
    box): `nan > 0.6` is False and an argmax has no gradient, so a NaN there never reaches the
    loss or the weights. Nor is the root (`sqrt`, `** 0.5`) of a sum or mean of squared
    differences between the predictions and the labels (an RMSE, a Euclidean distance to the
    target, or a relative error `(y_true - y_pred) / y_true` as in an RMSPE; through `abs`, a slice
    or a sum of the errors, such as a trajectory's summed step errors): it is 0 only where every prediction it sums over equals its label exactly, and on
    held-out public code all 12 such findings of rounds 31 to 33 were judged false. So is a
    fit error weighted by factors that do not depend on the predictions (a latitude-weighted
    RMSE), and `sqrt(square(x))` of a prediction that takes either sign (a linear output, not a
    `relu` that piles values up at 0): it is `|x|`, 0 only where the output is exactly 0.0. A distance
    between two predictions (an anchor and its positive) is still flagged: two embeddings of one
    input are exactly equal. Nor is a fractional power of one minus an overlap index (the focal
    Tversky loss, `pow(1 - (tp + s) / (tp + a * fn + b * fp + s), 0.75)`, also through a helper, one
    class's index or their mean): its base is 0 only where the batch has no false positive or
    false negative at all; of the 8 such findings on held-out public code that readers judged, 7
    were judged false. The one judged true is the case this leaves: a batch whose masks are all empty, predicted
    with a sigmoid saturated far enough that the false positives round away next to the
    smoothing term. A focal term `pow(1 - p_t, gamma)` of single elements is still flagged.
    Also silent: a probability rescaled into `[eps, 1 - eps]` (`(p + 0.01) / 1.02`,
    `p * (1 - 2 * eps) + eps`, then `log(p)`, `1 / (1 - p)`), a sum that adds its smoothing term before its other terms
    (`(tp + smooth) + fp`, guarded as `tp + fp + smooth` is), and the `log` of clipped odds
    `log(p / (1 - p))`, which is `+inf`, not `log(0)`, where `p` is 1: the division is reported.
    A root of a `where` that keeps a value only where it is strictly positive and puts a
    non-negative constant elsewhere (`sqrt(where(d > 0, d, 0.0))`, `tf.math.greater(d, 0)` as the
    test) is silent too: its zeros are the constant's, and `where` sends the root's infinite
    slope there, not to `d` (measured on TF 2.21: a finite gradient at a zero distance;
    `where(d >= 0, d, 0.0)` lets `d`'s own zeros through, gives a NaN gradient and stays flagged).
    `tf.experimental.numpy` and TensorFlow 1's `tf.div` are read like their TensorFlow
    equivalents, and `log1p`, `expm1`, `tanh` keep a guarded operand guarded.

    Guards that silence it: `clip_by_value`/`K.clip`/`keras.ops.clip` with a positive lower
    bound, `+ epsilon` (a literal, `K.epsilon()`, `keras.config.epsilon()`, a parameter or
    attribute with a word in its name starting with `eps`, `smooth` or `tiny`, or the words
    `delta_min`, an attribute the Loss's `__init__` sets once (alone or in a tuple assignment) to a positive
    number or to a parameter whose default is one, `self.std_const = std_const` with `std_const=1e-4`, and a
    function whose name starts with `eps`), `maximum(x, eps)`, the double-`where` that replaces the unsafe entries first, `d + mask * eps`
    with `mask = cast(equal(d, 0))` (or `less_equal(d, 0)`, `d <= 0`, `less(d, t)` with `t > 0`)
    on a non-negative `d`,
    and the stable ops themselves: `xlogy`, `log1p` of a non-negative value, `softplus`,
    `log_softmax`/`log_sigmoid`, `divide_no_nan`, the built-in losses. A log-sum-exp of the
    predictions (`log(reduce_sum(exp(logits), axis))`, no mask or label weighting the terms) is
    not flagged: it is 0 only where every term underflows (every logit below about -103), and
    a softmax normaliser does not change when all logits shift. Nor is the log of (or a division
    by) one `exp` of the predictions (`sigma = exp(raw)`, a log-variance head): it too is 0 only
    below about -103; round 44's such finding was judged false. Names are split into
    words at underscores, digits and camelCase: `epsilon`, `EPS_2` and `label_smoothing` are
    epsilons, `steps` is not. A local name for a module (`K = tensorflow.keras.backend` inside
    the loss) is read like an import when the file binds that name to nothing else, and
    A sort keeps the range of what it orders. `1 - (1 - dice)` is `dice` again (`-K.log(1. - dice_loss(...))` of a smoothed Dice).
    A division in the branch of an `if` (or after an early exit) that the test selects only
    where the denominator is non-zero is guarded: `if n == 0: return mse` / `else: mse / n`,
    and a test of the smallest entry of the whole denominator, `if tf.reduce_min(tf.abs(d)) <=
    1e-15: ... else: x / d` (in the `else`, no entry of `d` is 0).
    Names are followed to
    their definitions and helpers to their callers, so `p = K.clip(y_pred, eps, 1 - eps)`
    followed by `K.log(1 - p)` is understood. A loss the file calls exactly once (an
    `add_loss` in a custom Layer, a custom training loop) gets the range of the prediction
    that call passes: `nll(t, tf.clip_by_value(z, 1e-7, 1.0))` is guarded. What a function
    the file does not define returns (an import from the project or another package,
    `mu, sigma = get_mu_sigma(y_pred)`) is not flagged: the helper may well apply `softplus`.
    TensorFlow's own modules count as `tf`: `constant_op.constant(1e-5)` is an epsilon, and
    `clip_ops.clip_by_value` a clip. A hazard written twice for two TensorFlow versions (`try:
    tf.log(p)` then `except AttributeError: tf.compat.v1.log(p)`) is reported once, in the
    `try`.
    A function that `tf.map_fn` (or `tf.vectorized_map`) applies to each sample is analysed with
    one sample of the mapped tensors, so a division inside it is checked like one in the loss.
    A branch on a `True`/`False` parameter runs as the file's only call of the function sets it
    (`if not squared: d = tf.sqrt(d)` is not reached through `batch_all(..., squared=True)`).

    Outputs of `softmax` and `sigmoid` are positive in exact arithmetic but reach 0 (and
    `sigmoid` reaches exactly 1.0: `sigmoid(20.)` in float32) so `log(p)` and `log(1 - p)` still
    need a guard. Precision counts: `1 - 1e-10` *is* `1.0` in float32, so
    `clip(p, 1e-10, 1 - 1e-10)` does not protect `log(1 - p)`, and `1 + 1e-10 - p` is `1 - p`.

    ## Why is this bad?
    `fit` never raises on NaN/inf (measured on TF 2.21 / Keras 3.15): `-sum(y_true * log(y_pred))`
    with an exact 0 in `y_pred` (a ReLU output, an underflowed softmax) gives `loss=nan` and
    NaN weights after one step, with no exception; a manual binary cross-entropy on a
    saturated sigmoid does the same. `sqrt(0)` and `x / 0` have infinite gradients:
    a Euclidean-distance loss is NaN as soon as one prediction is exact (TensorFlow returns 0
    for the gradient of `sqrt` only when the gradient flowing into it is exactly 0, as in
    `square(sqrt(s))`). A denominator that is a sum of labels is 0 for a batch without
    positives (0/0 = NaN).

    ## Example
    ```python
    def bce(y_true, y_pred):
        return -K.mean(y_true * K.log(y_pred) + (1 - y_true) * K.log(1 - y_pred), axis=-1)
    ```

    ## Use instead
    ```python
    def bce(y_true, y_pred):
        p = K.clip(y_pred, K.epsilon(), 1 - K.epsilon())
        return -K.mean(y_true * K.log(p) + (1 - y_true) * K.log(1 - p), axis=-1)
    ```
    Better still: the built-in loss with `from_logits=True` on the pre-activation output.

    ## Fix safety
    Unsafe: the fix adds an epsilon to the operand (`K.epsilon()` where the file uses the
    Keras backend, `keras.config.epsilon()` where it imports `keras`, else `1e-7`), which
    changes the loss value slightly (by about `eps / x`) and bounds its gradient.

    ## Verification
    `--verify` evaluates the loss and its gradient with `y_pred` at the boundary values (exact
    0 and 1, a saturated sigmoid, `y_true == y_pred`) and runs one `fit` step: an inf/NaN loss
    or NaN weights confirm it.
    """

    code = "TFS401"
    value_only = True
    add_loss_terms = True  # a term handed to self.add_loss trains like a loss
    name = "unguarded-log-div-sqrt"
    message = "{what} can {reach}, giving inf/NaN loss and NaN weights; {how}"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    losses_only = True
    recipe = Recipe("boundary_values", {}, "loss and gradient at y_pred = 0, 1, saturated, y_true == y_pred")

    good = (
        Example('import tensorflow as tf\n\n\n@tf.custom_gradient\ndef spread_loss(labels, logits):\n    spread = tf.nn.relu(logits - tf.reduce_mean(logits, axis=-1, keepdims=True))\n    loss = tf.reduce_sum(tf.sqrt(spread) * labels, axis=-1)\n\n    def grad_fn(upstream):\n        return None, upstream[..., None] * (tf.nn.softmax(logits) - labels)\n\n    return loss, grad_fn\n',
                note="inside a `@tf.custom_gradient` def nothing is differentiated: `sqrt(0)` is 0, and its "
                     "infinite slope is never taken (the gradient function says what flows back)"),
        Example('import numpy as np\nimport tensorflow as tf\n\n\ndef normalise(w):\n    if isinstance(w, np.ndarray):\n        e = np.exp(w)\n        return e / np.sum(e, axis=1).reshape((-1, 1))\n    return tf.nn.softmax(w, axis=1)\n\n\ndef mixture_nll(y_true, y_pred):\n    weights = normalise(y_pred[:, :3])\n    return -tf.reduce_mean(tf.math.log(tf.reduce_sum(weights * y_true, axis=1) + 1e-7))\n',
                note="a helper that serves numpy arrays and tensors alike: its `isinstance(w, np.ndarray)` branch never runs in a loss, which gets tensors"),
        Example("import tensorflow as tf\n\n\n"
                "def per_class_recall_loss(y_true, y_pred):\n"
                "    positives = tf.reduce_sum(y_true, axis=0)\n"
                "    hits = tf.reduce_sum(y_true * y_pred, axis=0)\n"
                "    return 1.0 - tf.reduce_mean(hits[positives > 0] / positives[positives > 0])\n",
                note="only the classes present in the batch: `positives[positives > 0]` is at least 1"),
        Example("import tensorflow as tf\n"
                "from tensorflow.python.framework import constant_op\n"
                "from tensorflow.python.ops import clip_ops, math_ops\n"
                "\n"
                "\n"
                "class MaskedBinaryCrossentropy(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        epsilon_ = constant_op.constant(1e-5, dtype=y_pred.dtype.base_dtype)\n"
                "        y_pred = clip_ops.clip_by_value(y_pred, epsilon_, 1.0 - epsilon_)\n"
                "        mask = tf.cast(y_true >= 0, y_pred.dtype)\n"
                "        bce = y_true * math_ops.log(y_pred + epsilon_) + (1 - y_true) * math_ops.log(1 - y_pred + epsilon_)\n"
                "        return -tf.reduce_sum(bce * mask, axis=-1) / tf.maximum(tf.reduce_sum(mask, axis=-1), 1.0)\n",
                note="constant_op.constant is tf.constant: the clip and the epsilon it builds keep both logs away from 0"),
        Example("import tensorflow as tf\n\n\n"
                "def create_lat_rmse(weights_lat):\n"
                "    def lat_rmse(y_true, y_pred):\n"
                "        mse = (y_true - y_pred) ** 2 * weights_lat[None, :, None, None]\n"
                "        return tf.math.sqrt(tf.math.reduce_mean(mse, axis=(1, 2, 3)))\n"
                "    return lat_rmse\n",
                note="a latitude-weighted RMSE: the weights do not depend on the predictions, so the root is 0 "
                     "only at an exact fit"),
        Example("import tensorflow as tf\n\n\n"
                "def crps_loss(y_true, y_pred):\n"
                "    mu, sigma = y_pred[..., :1], y_pred[..., 1:]\n"
                "    sigma = tf.math.sqrt(tf.math.square(sigma))\n"
                "    return tf.reduce_mean(tf.abs(y_true - mu) / tf.maximum(sigma, 1e-7), axis=-1)\n",
                note="sqrt(square(x)) of a linear output is |x|: 0 only where the output is exactly 0.0"),
        Example("import tensorflow as tf\n\n\n"
                "def gaussian_nll(y_true, y_pred):\n"
                "    mu = y_pred[:, :1]\n"
                "    sigma = tf.math.exp(y_pred[:, 1:])\n"
                "    return tf.reduce_mean(tf.square(y_true - mu) / sigma + tf.math.log(sigma), axis=-1)\n",
                note="exp of a log-variance head is 0 only below about -103 in float32, as in a log-sum-exp"),
        Example("from tensorflow.python.framework import ops\n"
                "from tensorflow.python.ops import clip_ops, math_ops\n\n"
                "_EPSILON = 1e-7\n\n\n"
                "def _to_tensor(x, dtype):\n"
                "    return ops.convert_to_tensor(x, dtype=dtype)\n\n\n"
                "def weighted_crossentropy(y_true, y_pred):\n"
                "    eps = _to_tensor(_EPSILON, y_pred.dtype.base_dtype)\n"
                "    y_pred = clip_ops.clip_by_value(y_pred, eps, 1.0 - eps)\n"
                "    return -math_ops.reduce_sum(4.0 * y_true * math_ops.log(y_pred), axis=-1)\n",
                note="TensorFlow's own modules (framework.ops, clip_ops) are tf.*: the clip keeps the log's argument >= 1e-7"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "class ActivationEntropy(tf.keras.layers.Layer):\n"
                "    def call(self, inputs):\n"
                "        counts = tf.histogram_fixed_width(inputs, [0.0, 1.0], nbins=32)\n"
                "        p = tf.cast(counts / tf.reduce_sum(counts), tf.float32)\n"
                "        entropy = -tf.reduce_sum(tf.math.multiply_no_nan(tf.math.log(p) / tf.math.log(2.0), p))\n"
                "        self.add_loss(1e-3 * entropy)\n"
                "        return inputs\n",
                note="an entropy of histogram bins: multiply_no_nan makes p * log(p) 0 where p is, and no gradient passes "
                     "the integer counts"),
        Example("import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "eps = np.finfo(np.float32).eps.item()\n"
                "\n"
                "\n"
                "def standardised_loss(y_true, y_pred):\n"
                "    scores = (y_pred - tf.reduce_mean(y_pred)) / (tf.math.reduce_std(y_pred) + eps)\n"
                "    return tf.reduce_mean(tf.square(y_true - scores), axis=-1)\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=standardised_loss)\n",
                note="np.finfo(np.float32).eps.item() is float32's epsilon as a Python float"),
        Example("import keras\n"
                "from keras import ops\n"
                "\n"
                "\n"
                "class NegativeBinomialNLL(keras.losses.Loss):\n"
                "    def __init__(self, eps=1e-10, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.eps = eps\n"
                "\n"
                "    def call(self, y_true, y_pred):\n"
                "        mu, theta = ops.split(y_pred, 2, axis=-1)\n"
                "        eps = ops.cast(self.eps, mu.dtype)\n"
                "        nll = (theta + y_true) * ops.log1p(mu / (theta + eps)) + y_true * (ops.log(theta + eps) - ops.log(mu + eps))\n"
                "        return ops.mean(nll, axis=-1)\n",
                note="a positive constant cast to the tensor's dtype is still a positive constant: it guards the "
                     "logs and the division as the bare constant would"),
        Example("from tensorflow.keras import backend as K\n"
                "\n"
                "\n"
                "def tversky_loss(y_true, y_pred, alpha=0.5, beta=0.5, smooth=1e-10):\n"
                "    y_true = K.flatten(y_true)\n"
                "    y_pred = K.flatten(y_pred)\n"
                "    truepos = K.sum(y_true * y_pred)\n"
                "    fp_and_fn = alpha * K.sum(y_pred * (1 - y_true)) + beta * K.sum((1 - y_pred) * y_true)\n"
                "    return 1 - (truepos + smooth) / ((truepos + smooth) + fp_and_fn)\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=tversky_loss)\n",
                note="the smoothing constant is added first and the other terms after it: the same guard as "
                     "tp + fp_and_fn + smooth"),
        Example("from tensorflow.keras import backend as K\n"
                "\n"
                "\n"
                "def tversky(y_true, y_pred, alpha=0.7, smooth=1.0):\n"
                "    t, p = K.flatten(y_true), K.flatten(y_pred)\n"
                "    true_pos = K.sum(t * p)\n"
                "    false_neg = K.sum(t * (1 - p))\n"
                "    false_pos = K.sum((1 - t) * p)\n"
                "    return (true_pos + smooth) / (true_pos + alpha * false_neg + (1 - alpha) * false_pos + smooth)\n"
                "\n"
                "\n"
                "def focal_tversky(y_true, y_pred):\n"
                "    return K.pow(1 - tversky(y_true, y_pred), 0.75)\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=focal_tversky)\n",
                note="one minus a Tversky index is 0 only where the batch has no false positive or negative "
                     "at all, an exact fit, as an RMSE is"),
        Example("import tensorflow as tf\n"
                "import tensorflow_probability as tfp\n"
                "\n"
                "\n"
                "def outlier_masked_loss(y_true, y_pred):\n"
                "    weight = tf.cast(tf.not_equal(y_true, 0), tf.float32)\n"
                "    ce = tf.keras.losses.sparse_categorical_crossentropy(y_true, y_pred)\n"
                "    total = tf.reduce_sum(ce * weight, axis=-1)\n"
                "    score = total / tf.reduce_sum(weight, axis=-1)\n"
                "    q = tfp.stats.percentile(score, [25, 75])\n"
                "    threshold = q[1] + 1.5 * (q[1] - q[0])\n"
                "    keep = tf.where(score > threshold, tf.zeros_like(total), tf.ones_like(total))\n"
                "    return total * keep\n",
                note="the per-sample score only sets an outlier threshold and is compared with it: a NaN "
                     "score compares False, and neither the percentile's arithmetic nor the comparison "
                     "carries a gradient"),
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def _areas(wh):\n"
                "    return wh[..., 0] * wh[..., 1]\n"
                "\n"
                "\n"
                "def box_confidence_loss(y_true, y_pred):\n"
                "    inter = _areas(tf.minimum(y_true[..., 2:4], y_pred[..., 2:4]))\n"
                "    union = _areas(y_true[..., 2:4]) + _areas(tf.exp(y_pred[..., 2:4])) - inter\n"
                "    iou = tf.truediv(inter, tf.maximum(union, 1e-6))\n"
                "    target = iou * y_true[..., 4]\n"
                "    iou = tf.truediv(inter, union)\n"
                "    ignore = tf.cast(iou < 0.6, tf.float32) * (1.0 - y_true[..., 4])\n"
                "    return tf.reduce_mean(tf.square(target - y_pred[..., 4]) + ignore * tf.square(y_pred[..., 4]), axis=-1)\n",
                note="the second IoU, bound to the same name, is only compared: the reads after it see that "
                     "value, not the guarded one that weights the target"),
        Example("import tensorflow as tf\n\n\nclass MagFaceLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, min_norm=10.0, max_norm=110.0, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.min_norm, self.max_norm = min_norm, max_norm\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        logits, norm = y_pred[:, :-1], y_pred[:, -1]\n"
                "        norm = tf.clip_by_value(norm, self.min_norm, self.max_norm)\n"
                "        ce = tf.keras.losses.categorical_crossentropy(y_true[:, :-1], logits, from_logits=True)\n"
                "        return ce + norm / (self.max_norm ** 2) + 1.0 / norm\n",
                note="clipped below by an attribute __init__ sets (in a tuple assignment) from a parameter "
                     "whose default is 10"),
        Example("import tensorflow as tf\n\n\ndef softmax_nll(y_true, y_pred):\n"
                "    log_norm = tf.math.log(tf.reduce_sum(tf.exp(y_pred), axis=1))\n"
                "    return -tf.reduce_mean((y_pred - log_norm[:, None]) * y_true, axis=-1)\n",
                note="a log-sum-exp over the classes: every logit would have to underflow"),
        Example("import tensorflow as tf\n\n\ndef emd_loss(y_true, y_pred):\n"
                "    cdf_true = tf.cumsum(y_true, axis=-1)\n"
                "    cdf_pred = tf.cumsum(y_pred, axis=-1)\n"
                "    return tf.sqrt(tf.reduce_mean(tf.square(tf.abs(cdf_true - cdf_pred)), axis=-1))\n",
                note="an earth mover's distance: the root of a mean of squared differences between the "
                     "labels' and the predictions' CDFs, 0 only for an exact prediction"),
        Example("import tensorflow as tf\n\n\ndef box_iou(a, b):\n"
                "    inter = tf.reduce_prod(tf.minimum(a[..., 2:], b[..., 2:]), axis=-1)\n"
                "    union = tf.reduce_prod(a[..., 2:], axis=-1) + tf.reduce_prod(b[..., 2:], axis=-1) - inter\n"
                "    return inter / union\n\n\n"
                "def yolo_loss(y_true, y_pred):\n"
                "    best_iou = tf.map_fn(lambda x: tf.reduce_max(box_iou(x[0][:, None], x[1][None, :]), axis=-1),\n"
                "                         (y_pred, y_true), fn_output_signature=tf.float32)\n"
                "    ignore = tf.cast(best_iou < 0.5, tf.float32)\n"
                "    return tf.reduce_sum(ignore * tf.square(y_true[..., 4] - y_pred[..., 4]), axis=-1)\n",
                note="an IoU that only builds YOLO's ignore mask (through the function tf.map_fn applies): a NaN "
                     "compares False and carries no gradient"),
        Example("import keras\n"
                "from keras import ops\n"
                "\n"
                "\n"
                "class ConfusionLoss(keras.losses.Loss):\n"
                "    def counts(self, y_true, y_pred):\n"
                "        eps = keras.backend.epsilon()\n"
                "        tp = ops.sum(y_true * y_pred, axis=-1)\n"
                "        fp = ops.sum((1.0 - y_true) * y_pred, axis=-1)\n"
                "        fn = ops.sum(y_true * (1.0 - y_pred), axis=-1)\n"
                "        return ops.add(tp, eps), ops.add(fp, eps), ops.add(fn, eps)\n"
                "\n"
                "\n"
                "class F1Loss(ConfusionLoss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        tp, fp, fn = self.counts(y_true, y_pred)\n"
                "        return 1.0 - ops.divide(2.0 * tp, 2.0 * tp + fp + fn)\n",
                note="each count a method of the base class returns has epsilon added (a tuple the subclass unpacks)"),
        Example("from tensorflow.keras import backend as K\n\n\ndef rmse(y_true, y_pred):\n"
                "    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))\n\n\n"
                "model.compile(optimizer='adam', loss=rmse)\n",
                note="an RMSE is 0 only where every prediction of the sample equals its label exactly"),
        Example("from keras import backend as K\n\n\ndef rmspe(y_true, y_pred):\n"
                "    return K.sqrt(K.mean(K.square((y_true - y_pred) / (y_true + 1e-6)))) * 100\n\n\n"
                "model.compile(optimizer='adam', loss=rmspe)\n",
                note="a root mean squared percentage error: the relative error is 0 only where the prediction is exact"),
        Example("import tensorflow as tf\n\n\ndef displacement_loss(y_true, y_pred):\n"
                "    diff = y_pred - y_true\n"
                "    res = 0.0\n"
                "    for j in range(1, 9):\n"
                "        aux = tf.reduce_sum(diff[:, :j, :], 1)\n"
                "        aux = aux ** 2\n"
                "        aux = tf.sqrt(tf.reduce_sum(aux, 1))\n"
                "        res = aux + res\n"
                "    return res / 8.0\n\n\n"
                "model.compile(optimizer='adam', loss=displacement_loss)\n",
                note="the distance a trajectory's summed step errors leave it from the target: 0 only at an exact fit"),
        Example('import keras\n'
                '\n'
                '\n'
                'class GiniWeightedL1(keras.losses.Loss):\n'
                '    def gini(self, array, eps=1e-7):\n'
                '        array = keras.ops.maximum(array, 0) + eps\n'
                '        array = keras.ops.sort(array, axis=1)\n'
                '        n = array.shape[1]\n'
                '        index = keras.ops.expand_dims(keras.ops.arange(1, n + 1, dtype="float32"), axis=0)\n'
                '        return keras.ops.sum((2 * index - n - 1) * array, axis=1) / (n * keras.ops.sum(array, axis=1))\n'
                '\n'
                '    def call(self, y_true, y_pred):\n'
                '        power = 1.0 + self.gini(y_true)\n'
                '        return keras.ops.mean(keras.ops.power(keras.ops.abs(y_true - y_pred), power[:, None]), axis=1)\n',
                note="a sort keeps the values it orders: the labels plus eps stay positive, so their sum does"),
        Example("import tensorflow as tf\n\ndef _distance(a, b):\n"
                "    return tf.sqrt(tf.reduce_sum(tf.square(a - b), axis=-1))\n\n"
                "class EuclideanLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return _distance(y_true, y_pred)\n",
                note="the distance from the prediction to its target: 0 only at an exact fit"),
        Example("import tensorflow as tf\n\n\n@tf.function\ndef skill_loss(y_true, y_pred):\n"
                "    mse = tf.reduce_mean(tf.square(y_true - y_pred))\n"
                "    ref = tf.reduce_mean(tf.square(y_true))\n"
                "    if ref == 0:\n"
                "        return mse\n"
                "    else:\n"
                "        return mse / ref\n",
                note="the branch that divides runs only where the test found the denominator non-zero"),
        Example("import tensorflow as tf\n\n\ndef projected_mse(y_true, y_pred):\n"
                "    norm = tf.reduce_sum(tf.square(y_pred), axis=-1)\n"
                "    if tf.math.reduce_min(tf.abs(norm)) <= 1e-12:\n"
                "        scale = tf.ones_like(norm)\n"
                "    else:\n"
                "        scale = tf.reduce_sum(y_true * y_pred, axis=-1) / norm\n"
                "    return tf.reduce_mean(tf.square(y_true - scale[..., None] * y_pred), axis=-1)\n\n\n"
                "model.compile(optimizer='adam', loss=projected_mse, run_eagerly=True)\n",
                note="the division runs only where the smallest |norm| of the batch is above 1e-12"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n\n"
                "def weighted_log_dice(weights):\n"
                "    e = K.epsilon()\n"
                "    weights = K.constant(weights)\n\n"
                "    def total_loss(y_true, y_pred):\n"
                "        def log_dice(t, p):\n"
                "            num = tf.reduce_sum(t * p, axis=[1, 2])\n"
                "            den = tf.reduce_sum(t + p, axis=[1, 2])\n"
                "            dice = tf.math.divide(x=2. * num + e, y=den + e)\n"
                "            return -tf.reduce_mean(tf.math.log(weights * dice), axis=-1)\n"
                "        return log_dice(y_true, y_pred)\n"
                "    return total_loss\n",
                note="the factory's epsilon guards a helper two defs down, and class weights the user "
                     "passes scale the Dice without bringing it to 0"),
        Example("import tensorflow as tf\n\ndef masked_token_mse(y_true, y_pred):\n"
                "    mask = tf.cast(tf.not_equal(y_true, 0), y_pred.dtype)\n"
                "    err = tf.reshape(tf.square(y_true - y_pred) * mask, [-1])\n"
                "    return tf.reduce_sum(err) / tf.reduce_sum(tf.reshape(mask, [-1]))\n",
                note="a flattened mask is still a mask: the masked mean's count is 0 only for a batch "
                     "of nothing but padding"),
        Example("import tensorflow as tf\n\n\nclass Sparse(tf.keras.layers.Layer):\n"
                "    def call(self, inputs):\n"
                "        penalty = tf.reduce_sum(tf.abs(inputs))\n"
                "        batch = tf.cast(tf.compat.v1.shape(inputs)[0], penalty.dtype)\n"
                "        self.add_loss(penalty / batch)\n"
                "        return inputs\n",
                note="an add_loss term divided by the batch size (tf.compat.v1.shape), which is never 0"),
        Example("import tensorflow as tf\n\n\nclass ScaledMSE(tf.keras.losses.Loss):\n"
                "    def __init__(self, table):\n"
                "        super().__init__()\n"
                "        self.table = table\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        mu, series = y_pred\n"
                "        scale = tf.sqrt(self.table.lookup(series))\n"
                "        return tf.reduce_mean(tf.square(y_true - mu / scale), axis=-1)\n",
                note="a hash table's values looked up by keys the prediction carries: the table's "
                     "numbers, not the prediction's"),
        Example("import tensorflow as tf\n\ncross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)\n\n\n"
                "def discriminator_loss(real_output, fake_output):\n"
                "    real_loss = cross_entropy(tf.ones_like(real_output), real_output)\n"
                "    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)\n"
                "    return real_loss + fake_loss\n\n\n"
                "def generator_loss(fake_logit):\n"
                "    return tf.reduce_mean(tf.nn.softplus(-fake_logit))\n",
                note="GAN losses in the stable forms: a crossentropy from logits, softplus"),
        Example("import tensorflow as tf\n\n\n"
                "def rmsle(y, y_pred):\n"
                "    terms = [(math.log(y_pred[i] + 1) - math.log(y[i] + 1)) ** 2.0 for i, _ in enumerate(y_pred)]\n"
                "    return (sum(terms) * (1.0 / len(y))) ** 0.5\n",
                note="Python's math functions take one number: an evaluation helper on NumPy predictions, no loss "
                     "(even where the file, a notebook export, lost the cell that imported math)"),
        Example("import tensorflow as tf\n\n\n"
                "def pairwise_distance_loss(y_true, embeddings):\n"
                "    dot = tf.matmul(embeddings, embeddings, transpose_b=True)\n"
                "    sq = tf.linalg.diag_part(dot)\n"
                "    d = tf.maximum(tf.expand_dims(sq, 1) - 2.0 * dot + tf.expand_dims(sq, 0), 0.0)\n"
                "    mask = tf.cast(tf.equal(d, 0.0), tf.float32)\n"
                "    d = d + mask * 1e-16\n"
                "    d = tf.sqrt(d) * (1.0 - mask)\n"
                "    return tf.reduce_mean(d, axis=-1)\n",
                note="the exact zeros of a non-negative distance get an epsilon before the sqrt (the widely "
                     "copied batch-all triplet loss)"),
        Example("import tensorflow as tf\n\n\n"
                "def pairwise_distance_loss(y_true, embeddings):\n"
                "    dot = tf.matmul(embeddings, embeddings, transpose_b=True)\n"
                "    sq = tf.linalg.diag_part(dot)\n"
                "    d2 = tf.maximum(tf.expand_dims(sq, 1) - 2.0 * dot + tf.expand_dims(sq, 0), 0.0)\n"
                "    error_mask = tf.less_equal(d2, 0.0)\n"
                "    d = tf.sqrt(d2 + tf.cast(error_mask, tf.float32) * 1e-16)\n"
                "    d = d * tf.cast(tf.logical_not(error_mask), tf.float32)\n"
                "    return tf.reduce_mean(d, axis=-1)\n",
                note="the same guard as TensorFlow's own pairwise_distance spells it: less_equal(d2, 0.0) "
                     "after maximum(d2, 0.0) picks the same zeros"),
        Example("import tensorflow as tf\n\n\n"
                "class YoloLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return self.wh_loss(y_true, y_pred)\n\n"
                "    def wh_loss(self, y_true, y_pred):\n"
                "        true_wh = tf.sqrt(y_true[..., 2:4])\n"
                "        pred_wh = tf.sqrt(tf.maximum(y_pred[..., 2:4], 1e-7))\n"
                "        return tf.reduce_sum(tf.square(true_wh - pred_wh), axis=-1)\n",
                note="a method helper called as self.wh_loss(y_true, y_pred) gets the labels as y_true: "
                     "their square root is finite at 0 and has no gradient to pass"),
        Example("import tensorflow as tf\n\n\n"
                "def targeted_regularization(y_true, y_pred):\n"
                "    t_pred = (tf.nn.sigmoid(y_pred[:, 0]) + 0.01) / 1.02\n"
                "    t_true = y_true[:, 0]\n"
                "    h = t_true / t_pred - (1 - t_true) / (1 - t_pred)\n"
                "    return tf.square(y_true[:, 1] - y_pred[:, 1] * h)\n\n\n"
                "def squashed_bce(y_true, y_pred):\n"
                "    p = tf.nn.sigmoid(y_pred) * (1 - 2 * 1e-3) + 1e-3\n"
                "    return -(y_true * tf.math.log(p) + (1 - y_true) * tf.math.log(1 - p))\n",
                note="a probability rescaled into [eps, 1 - eps] (DragonNet's (p + 0.01) / 1.02, p * (1 - 2e) + e): "
                     "neither it nor one minus it reaches 0"),
        Example('import tensorflow as tf\n\n\ndef biased_mse(y_true, y_pred):\n    total = tf.reduce_sum(tf.ones_like(y_true))\n    neg = total * tf.reduce_sum(tf.square(y_pred * (1 - y_true))) / tf.reduce_sum(1 - y_true)\n    pos = total * tf.reduce_sum(tf.square(1.0 - y_pred * y_true)) / tf.reduce_sum(y_true)\n    return 0.5 * neg + 0.5 * pos\n',
                note="whole-batch means weighted by the labels, each scaled by a factor: 0/0 only for a batch "
                     "without one negative (or positive) label"),
        Example('import math\nimport tensorflow as tf\n\n\ndef hausdorff(y_true, y_pred):\n    eps = 1e-6\n    return tf.reduce_mean((y_true + eps) / (y_pred ** 4 + eps / math.sqrt(2 * 144 ** 2)), axis=-1)\n',
                note="math.sqrt of constants is a constant: eps divided by it still keeps the denominator above 0"),
        Example('import math\nimport tensorflow as tf\n\nHEIGHT, WIDTH = 96, 128\nMAX_DIST = math.sqrt(HEIGHT ** 2 + WIDTH ** 2)\n\n\n'
                'def hausdorff(y_true, y_pred):\n    eps = 1e-6\n'
                '    return tf.reduce_mean((y_true + eps) / (y_pred ** 4 + eps / MAX_DIST), axis=-1)\n',
                note="a module-level constant (math.sqrt of constants a tuple assignment binds) is a constant too"),
        Example('import tensorflow as tf\n\n\ndef pairwise(emb, squared=False):\n    d = tf.maximum(tf.reduce_sum(tf.square(emb[:, None] - emb[None]), axis=-1), 0.0)\n    if not squared:\n        d = tf.sqrt(d)\n    return d\n\n\ndef batch_all(labels, y_pred, squared=False):\n    return tf.reduce_mean(pairwise(y_pred, squared=squared), axis=-1)\n\n\ndef keras_batch_all(labels, y_pred):\n    return batch_all(labels, y_pred, squared=True)\n',
                note="the file's only call of batch_all passes squared=True, so the sqrt branch never runs"),
        Example('import tensorflow as tf\n\n\ndef scaled_error(y_true, y_pred):\n    def one(t, p):\n        return tf.reduce_mean(tf.square(t - p / tf.maximum(tf.reduce_max(tf.abs(p)), 1e-7)))\n    return tf.map_fn(lambda x: one(x[0], x[1]), (y_true, y_pred), fn_output_signature=tf.float32)\n',
                note="the per-sample scale is kept at least 1e-7 inside the mapped function"),
        Example("import tensorflow as tf\nfrom project.heads import split_gaussian\n\n"
                "def gaussian_nll(y_true, y_pred):\n"
                "    mu, sigma = split_gaussian(y_pred)\n"
                "    return tf.reduce_mean(tf.math.log(sigma) + tf.square(y_true - mu) / sigma, axis=-1)\n",
                note="sigma comes from a project helper this file does not show, which may apply softplus"),
        Example("import tensorflow as tf\nfrom tensorflow.keras.layers import Lambda\n\n"
                "def ratio_loss(y_true, y_pred):\n"
                "    ratio = Lambda(lambda x: x[0] / x[1])([tf.square(y_true - y_pred), 2.0 + tf.abs(y_true)])\n"
                "    return tf.reduce_mean(ratio, axis=-1)\n",
                note="x[1] of the list a Lambda layer receives is its second element, kept at least 2"),
        Example("from tensorflow.keras import backend as K\n\ndef style_loss(y_true, y_pred):\n"
                "    _, h, w, c = K.int_shape(y_pred)\n"
                "    size = y_pred.get_shape().as_list()[1] * y_pred.get_shape().as_list()[2]\n"
                "    err = K.sum(K.square(y_true - y_pred), axis=[1, 2, 3])\n"
                "    return err / (4.0 * c ** 2 * size ** 2) + err / (K.mean(y_pred, axis=[1, 2, 3]) ** 2 + h)\n",
                note="static sizes of axes (K.int_shape, get_shape().as_list()) are at least 1"),
        Example("import tensorflow as tf\n\ndef ce_loss(y_true, y_pred):\n"
                "    p = tf.clip_by_value(y_pred, 1e-7, 1.0)\n"
                "    return -tf.reduce_sum(y_true * tf.math.log(p), axis=-1)\n"),
        Example("import tensorflow as tf\nimport tensorflow.experimental.numpy as tnp\n\n"
                "def ce_loss(y_true, y_pred):\n"
                "    p = tnp.clip(y_pred, 1e-7, 1.0)\n"
                "    p = p / tnp.sum(p, axis=1)[:, tf.newaxis]\n"
                "    return -tf.reduce_sum(y_true * tf.math.log(p), axis=-1)\n",
                note="TensorFlow's NumPy API clips like tf.clip_by_value; a sum of clipped values stays > 0"),
        Example("from keras import ops\n\ndef count_loss(y_true, y_pred):\n"
                "    y_pred = ops.log1p(y_pred + 1e-6)\n"
                "    total = ops.sum(y_pred, axis=-1, keepdims=True)\n"
                "    return -ops.sum(y_true * ops.log(y_pred / total), axis=-1)\n",
                note="log1p keeps the epsilon the counts were shifted by: the total is > 0"),
        Example("import tensorflow as tf\n\ndef si_snr_loss(y_true, y_pred):\n"
                "    scale = tf.reduce_sum(y_true * y_pred, axis=-1, keepdims=True) / "
                "tf.reduce_sum(y_true * y_true, axis=-1, keepdims=True)\n"
                "    target = scale * y_true\n"
                "    noise = y_pred - target\n"
                "    ratio = tf.reduce_sum(target ** 2, axis=-1) / (tf.reduce_sum(noise ** 2, axis=-1) + 1e-8)\n"
                "    return -10.0 * tf.math.log(ratio + 1e-8) / tf.math.log(10.0)\n",
                note="the target's energy (a sum of squares of labels) is 0 only for an all-zero "
                     "target, not for a sample without positives: not reported"),
        Example("import tensorflow as tf\n\ndef depth_loss(y_true, y_pred):\n"
                "    depth, valid = y_true[..., 0], y_true[..., 1]\n"
                "    err = tf.square(depth - y_pred[..., 0])\n"
                "    return tf.reduce_sum(err * valid) / tf.reduce_sum(valid)\n",
                note="a mean weighted by a label channel over the whole batch: 0/0 only for a batch "
                     "without one valid pixel"),
        Example("import tensorflow as tf\n\ndef depth_loss(y_true, y_pred):\n"
                "    err = tf.square(y_true - y_pred)\n"
                "    spread = tf.sqrt(err)\n"
                "    return tf.reduce_mean(err, axis=-1)\n",
                note="a value computed and never used (a debugging leftover) never reaches the loss"),
        Example("import tensorflow as tf\n\ndef masked_bce(y_true, y_pred):\n"
                "    target, mask = tf.split(y_true, 2, axis=-1)\n"
                "    bce = -(target * tf.math.log(y_pred + 1e-7) + (1.0 - target) * tf.math.log(1.0 - y_pred + 1e-7))\n"
                "    return tf.reduce_sum(tf.multiply(bce, mask)) / tf.reduce_sum(mask)\n",
                note="the same weighted mean with the product spelled tf.multiply"),
        Example("from tensorflow.keras import backend as K\n\ndef bce(y_true, y_pred):\n"
                "    p = K.clip(y_pred, K.epsilon(), 1 - K.epsilon())\n"
                "    return -K.mean(y_true * K.log(p) + (1 - y_true) * K.log(1 - p), axis=-1)\n",
                note="1 - K.epsilon() is below 1.0 in float32, so 1 - p >= eps"),
        Example("import tensorflow as tf\n\n"
                "class Pinball(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        parts = [y_pred[..., d] for d in range(y_pred.shape[-1])]\n"
                "        losses = []\n"
                "        for i, part in enumerate(parts):\n"
                "            q = (i + 0.5) / len(parts)\n"
                "            err = y_true[..., 0] - part\n"
                "            losses.append(tf.reduce_mean(tf.maximum(q * err, (q - 1) * err), axis=-1))\n"
                "        return tf.add_n(losses)\n",
                note="a quantile level over len(...) of a list: a count, never 0 where it is used"),
        Example("import tensorflow as tf\n\n"
                "def dice_coef(y_true, y_pred, smooth=1.0):\n"
                "    inter = tf.reduce_sum(y_true * y_pred, axis=[1, 2, 3])\n"
                "    union = tf.reduce_sum(y_true + y_pred, axis=[1, 2, 3])\n"
                "    return tf.reduce_mean((2.0 * inter + smooth) / (union + smooth))\n\n"
                "def bce_log_dice_loss(y_true, y_pred):\n"
                "    dice_loss = 1.0 - dice_coef(y_true, y_pred)\n"
                "    return tf.reduce_mean(tf.keras.losses.binary_crossentropy(y_true, y_pred)) - tf.math.log(1.0 - dice_loss)\n",
                note="1 - (1 - dice) is the smoothed dice coefficient itself, which stays above 0"),
        Example("import tensorflow as tf\n\ndef dice_loss(y_true, y_pred, smooth=1.0):\n"
                "    inter = tf.reduce_sum(y_true * y_pred, axis=-1)\n"
                "    union = tf.reduce_sum(y_true, axis=-1) + tf.reduce_sum(y_pred, axis=-1)\n"
                "    return 1.0 - (2.0 * inter + smooth) / (union + smooth)\n",
                note="the smoothing term guards the denominator"),
        Example("import tensorflow as tf\n\ndef dist_loss(y_true, y_pred):\n"
                "    d2 = tf.reduce_sum(tf.square(y_true - y_pred), axis=-1)\n"
                "    safe = tf.where(d2 > 0.0, d2, tf.ones_like(d2))\n"
                "    return tf.where(d2 > 0.0, tf.sqrt(safe), tf.zeros_like(d2))\n",
                note="the double-where sanitises the input of sqrt"),
        Example("import keras\nfrom keras import ops\n\ndef kl_loss(y_true, y_pred):\n"
                "    eps = keras.config.epsilon()\n"
                "    y_true = ops.clip(y_true, eps, 1.0)\n"
                "    y_pred = ops.clip(y_pred, eps, 1.0)\n"
                "    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)\n",
                note="the ratio of two values clipped to [eps, 1] is at least eps"),
        Example("from tensorflow.keras import backend as K\n\ndef loss_logcosh(y_true, x):\n"
                "    def cosh(d):\n"
                "        return (K.exp(d) + K.exp(-d)) / 2\n"
                "    return K.mean(K.log(cosh(x - y_true)), axis=-1)\n",
                note="exp(d) + exp(-d) is at least 1 whatever d is (one of the two is), so the log never sees 0"),
        Example("from tensorflow.keras import backend as K\n\ndef focal(y_true, y_pred):\n"
                "    if K.backend() == 'theano':\n"
                "        return -K.sum(K.log(y_pred), axis=-1)\n"
                "    p = K.clip(y_pred, K.epsilon(), 1.0)\n"
                "    return -K.sum(y_true * K.log(p), axis=-1)\n",
                note="a branch for another backend never runs on TensorFlow"),
        Example("import tensorflow as tf\n\ndef logit_loss(y_true, y_pred):\n"
                "    log_p = tf.nn.log_softmax(y_pred, axis=-1)\n"
                "    xent = -tf.reduce_sum(tf.math.xlogy(y_true, tf.nn.softmax(y_pred)), axis=-1)\n"
                "    return xent - 0.1 * tf.reduce_mean(log_p, axis=-1)\n",
                note="log_softmax and xlogy are the stable forms"),
        Example("import tensorflow as tf\n\ndef masked_loss(y_true, y_pred):\n"
                "    mask = tf.cast(tf.not_equal(y_true, -1.0), tf.float32)\n"
                "    err = tf.reduce_sum(tf.square(y_true - y_pred) * mask, axis=-1)\n"
                "    return err / tf.maximum(tf.reduce_sum(mask, axis=-1), 1.0)\n",
                note="maximum(count, 1) guards the label count"),
        Example("import tensorflow as tf\n\ndef size_norm_loss(y_true, y_pred):\n"
                "    n = tf.cast(tf.shape(y_pred)[-1], tf.float32)\n"
                "    return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1) / n\n",
                note="sizes are never 0"),
        Example("import tensorflow as tf\n\ndef lse_loss(y_true, y_pred):\n"
                "    m = tf.reduce_max(y_pred, axis=-1, keepdims=True)\n"
                "    lse = m + tf.math.log(tf.reduce_sum(tf.exp(y_pred - m), axis=-1, keepdims=True))\n"
                "    return tf.reduce_sum(y_true * (lse - y_pred), axis=-1)\n",
                note="the stable logsumexp: the sum contains exp(0) = 1"),
        Example("import tensorflow as tf\n\ndef cox_nll(events):\n"
                "    def loss(y_true, y_pred):\n"
                "        log_risk = tf.math.log(tf.math.cumsum(tf.exp(tf.squeeze(y_pred, -1))))\n"
                "        return -tf.reduce_sum((tf.squeeze(y_pred, -1) - log_risk) * events) / tf.reduce_sum(events)\n"
                "    return loss\n",
                note="the Cox risk sets, log(cumsum(exp(logits))): 0 only where a logit is below -87, "
                     "and the loss does not change when every logit shifts, so training gives them no push there"),
        Example("import tensorflow as tf\n\n\ndef box_iou(a, b):\n"
                "    lo = tf.maximum(a[..., :2], b[..., :2])\n"
                "    hi = tf.minimum(a[..., 2:], b[..., 2:])\n"
                "    inter = tf.reduce_prod(tf.maximum(hi - lo, 0.0), axis=-1)\n"
                "    area_a = tf.reduce_prod(a[..., 2:] - a[..., :2], axis=-1)\n"
                "    area_b = tf.reduce_prod(b[..., 2:] - b[..., :2], axis=-1)\n"
                "    return inter / (area_a + area_b - inter)\n\n\n"
                "def responsible_box_loss(y_true, y_pred):\n"
                "    ious = box_iou(y_true[:, None, :], y_pred)\n"
                "    best = tf.one_hot(tf.argmax(ious, axis=-1), tf.shape(y_pred)[1])\n"
                "    err = tf.reduce_sum(tf.square(y_true[:, None, :] - y_pred), axis=-1)\n"
                "    return tf.reduce_sum(best * err, axis=-1)\n",
                note="the IoU only picks the box to train (argmax): a NaN from an empty union is never "
                     "added to the loss, and argmax has no gradient"),
        Example("import tensorflow as tf\n\n\ndef objectness_loss(y_true, y_pred):\n"
                "    inter = tf.reduce_sum(tf.minimum(y_true[..., :4], y_pred[..., :4]), axis=-1)\n"
                "    union = tf.reduce_sum(tf.maximum(y_true[..., :4], y_pred[..., :4]), axis=-1)\n"
                "    iou = inter / union\n"
                "    ignore = tf.cast(tf.reduce_max(iou, axis=-1, keepdims=True) < 0.6, tf.float32)\n"
                "    bce = tf.keras.losses.binary_crossentropy(y_true[..., 4:], y_pred[..., 4:])\n"
                "    return tf.reduce_mean(ignore * bce, axis=-1)\n",
                note="an ignore mask from comparing the IoU: NaN > 0.6 is False, so a NaN IoU only "
                     "changes which anchors are ignored"),
        Example("import tensorflow\n\n\ndef logit_bce_loss(y_true, y_pred):\n    K = tensorflow.keras.backend\n    y_pred = K.clip(y_pred, K.epsilon(), 1 - K.epsilon())\n    logits = K.log(y_pred / (1 - y_pred))\n    return K.mean(K.binary_crossentropy(y_true, logits, from_logits=True), axis=-1)\n",
                note="K is a local name for tf.keras.backend: the clip to [K.epsilon(), 1 - K.epsilon()] guards both logs"),
        Example("from tensorflow.keras import backend as K\n\n\ndef dice_loss(y_true, y_pred, smooth=1.0):\n    inter = K.sum(y_true * y_pred, axis=-1)\n    total = K.sum(y_true, axis=-1) + K.sum(y_pred, axis=-1)\n    return 1.0 - (2.0 * inter + smooth) / (total + smooth)\n\n\ndef bce_logdice_loss(y_true, y_pred):\n    return K.mean(K.binary_crossentropy(y_true, y_pred), axis=-1) - K.log(1.0 - dice_loss(y_true, y_pred))\n",
                note="1 - dice_loss is the smoothed Dice score, (2 * inter + 1) / (total + 1) > 0"),
        Example("import tensorflow as tf\n\ndef acc(y_true, y_pred):\n"
                "    return tf.math.log(y_pred)\n\n"
                "model.compile(loss='mse', metrics=[acc])\n",
                note="metrics do not train the weights"),
        Example("from tensorflow.keras import backend as K\n\ndef PSNR(y_true, y_pred):\n"
                "    return -10.0 * K.log(K.mean(K.square(y_pred - y_true))) / K.log(10.0)\n",
                note="found by its signature only and named for a metric (PSNR): reported, not trained on"),
        Example("import tensorflow as tf\n\ndef passthrough_loss(y_true, y_pred):\n"
                "    return tf.sqrt(tf.reduce_sum(y_pred))\n\n"
                "model.compile(optimizer='adam', loss=passthrough_loss)\n",
                note="y_true unused: y_pred is the model's own per-sample loss output; the batch "
                     "sum of many non-negative loss terms is not exactly 0 in practice"),
        Example("import numpy as np\nfrom tensorflow.keras import backend as K\n\n"
                "def penalty_loss(y_true, y_pred, samples):\n"
                "    grads = K.gradients(y_pred, samples)[0]\n"
                "    norm2 = K.sum(K.square(grads), axis=np.arange(1, len(grads.shape)))\n"
                "    return K.mean(K.square(1.0 - K.sqrt(norm2)))\n",
                note="the norm of an input gradient is not exactly 0 in practice"),
        Example("from tensorflow.keras import backend as K\n\n\n"
                "class WGAN_GP(object):\n"
                "    def __init__(self, disc, lambda_gp=10):\n"
                "        self.disc = disc\n"
                "        self.lambda_gp = lambda_gp\n\n"
                "    def loss(self, y_true, y_pred):\n"
                "        alpha = K.random_uniform(shape=[K.shape(y_pred)[0], 1, 1, 1])\n"
                "        interp = y_true + alpha * (y_pred - y_true)\n"
                "        grads = K.gradients(self.disc(interp), [interp])[0]\n"
                "        penalty = K.mean(K.square(K.sqrt(K.sum(K.square(grads), axis=[1, 2, 3])) - 1))\n"
                "        return K.mean(self.disc(y_pred)) - K.mean(self.disc(y_true)) + self.lambda_gp * penalty\n",
                note="a critic's gradient at points between the labels and the predictions (WGAN-GP): reading "
                     "the labels does not make its norm 0"),
        Example("import unittest\n\nimport tensorflow as tf\n\n"
                "def ref_loss(y_true, y_pred):\n"
                "    return -tf.reduce_sum(y_true * tf.math.log(y_pred), axis=-1)\n",
                note="a test module's reference implementation is not trained"),
        Example("import numpy as np\nimport tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "def gaussian_nll(y_true, y_pred):\n"
                "    floor = 1 / (2 * np.pi) / 10\n"
                "    mean = y_pred[:, 0:1]\n"
                "    var = K.clip(K.square(y_pred[:, 1:2]), floor, None)\n"
                "    return K.mean(K.log(2 * np.pi * var) / 2 + K.square(y_true - mean) / (2 * var), axis=-1)\n",
                note="clip(x, lo, None) bounds from below; np.pi is a positive constant"),
        Example("import tensorflow as tf\n\n"
                "def focal_loss(y_true, y_pred, gamma=2.0):\n"
                "    p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)\n"
                "    p_t = y_true * p + (1 - y_true) * (1 - p)\n"
                "    return tf.reduce_mean(-tf.pow(1.0 - p_t, gamma) * tf.math.log(p_t), axis=-1)\n",
                note="y*p + (1-y)*(1-p) of a clipped p stays >= the clip for labels in [0, 1]"),
        Example("import tensorflow as tf\n\n"
                "def focal_loss(y_true, y_pred, gamma=2.0):\n"
                "    p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)\n"
                "    p_t = tf.multiply(y_true, p) + tf.multiply(1 - y_true, 1 - p)\n"
                "    return tf.reduce_mean(-tf.pow(1.0 - p_t, gamma) * tf.math.log(p_t), axis=-1)\n",
                note="the same mixture written with tf.multiply"),
        Example("import tensorflow as tf\n\n"
                "def arcface_logits(y_true, y_pred, s=64.0):\n"
                "    eps = tf.keras.backend.epsilon()\n"
                "    cos_t = tf.clip_by_value(y_pred, -1.0 + eps, 1.0 - eps)\n"
                "    sin_t = tf.sqrt(1.0 - cos_t ** 2)\n"
                "    return tf.nn.softmax_cross_entropy_with_logits(y_true, s * (cos_t * 0.87 - sin_t * 0.48))\n",
                note="a cosine clipped to [-1 + eps, 1 - eps] keeps 1 - cos**2 >= eps"),
        Example("import tensorflow as tf\n\n"
                "def weighted_mse(y_true, y_pred):\n"
                "    positives = tf.reduce_sum(y_true, axis=-1)\n"
                "    share = tf.reduce_sum(tf.square(y_true), axis=-1) / positives\n"
                "    share = tf.where(tf.math.is_nan(share), tf.zeros_like(share), share)\n"
                "    return share * tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n",
                note="a ratio of labels (no gradient) whose NaN is replaced right after"),
        Example("import tensorflow as tf\n\n"
                "def masked_mse(real, pred):\n"
                "    mask = tf.cast(tf.math.logical_not(tf.math.equal(real, 0)), tf.float32)\n"
                "    loss = tf.square(real - pred) * mask\n"
                "    return tf.reduce_sum(loss) / tf.reduce_sum(mask)\n",
                note="the masked mean over the batch: its count is 0 only for a batch of padding"),
        Example("import tensorflow as tf\n\n"
                "def masked_mse(y_true, y_pred):\n"
                "    padded = tf.reduce_all(tf.equal(y_true, -1.0), axis=-1)\n"
                "    mask = tf.expand_dims(1 - tf.cast(padded, tf.float32), -1)\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred) * mask) / tf.reduce_sum(mask)\n",
                note="the same count written as 1 minus the padding test"),
        Example("import tensorflow as tf\nfrom tensorflow import keras\n\n"
                "def nll(target, probs):\n"
                "    return -tf.reduce_mean(target * tf.math.log(probs))\n\n"
                "def rate_ratio(target, rate):\n"
                "    return tf.reduce_mean(target / rate)\n\n"
                "class Head(keras.layers.Layer):\n"
                "    def call(self, inputs):\n"
                "        target, z = inputs\n"
                "        self.add_loss(nll(target, tf.clip_by_value(z, 1e-7, 1.0)))\n"
                "        self.add_loss(rate_ratio(target, tf.nn.softplus(z) + 1e-6))\n"
                "        return z\n",
                note="the only call (an add_loss in a custom Layer) passes a prediction bounded away from 0"),
        Example("import tensorflow as tf\n\n\n"
                "def dcg(labels, ranks=None, perm_mat=None):\n"
                "    if ranks is None:\n"
                "        ranks = tf.range(tf.shape(labels)[1]) + 1\n"
                "    discounts = 1.0 / tf.math.log1p(tf.cast(ranks, tf.float32))\n"
                "    gains = labels\n"
                "    if perm_mat is not None:\n"
                "        gains = tf.reduce_sum(perm_mat * tf.expand_dims(labels, 1), axis=-1)\n"
                "    return tf.reduce_sum(gains * discounts, axis=-1)\n\n\n"
                "def inverse_ideal_dcg(labels):\n"
                "    ideal = dcg(tf.sort(labels, direction='DESCENDING'))\n"
                "    return tf.compat.v1.where(tf.greater(ideal, 0.0), 1.0 / ideal, tf.zeros_like(ideal))\n\n\n"
                "class SoftNDCGLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        perm = tf.nn.softmax(y_pred[:, :, None] - y_pred[:, None, :])\n"
                "        return -dcg(y_true, perm_mat=perm) * inverse_ideal_dcg(y_true)\n",
                note="ranks not passed is None and replaced by 1, 2, ...; the labels' 1 / ideal is selected "
                     "only where ideal > 0, and no gradient flows through labels"),
        Example("import tensorflow as tf\n\n\n"
                "class VarianceLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, std_const=1e-4, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.std_const = std_const\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        std = tf.sqrt(tf.math.reduce_variance(y_pred, axis=0) + self.std_const)\n"
                "        return tf.reduce_mean(tf.nn.relu(1.0 - std)) + tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n",
                note="the constant __init__ stores from its default (1e-4) guards the sqrt, whatever its name"),
        Example("import tensorflow as tf\n\n"
                "def gaussian_nll(y_true, y_pred, k=1, stability=1e-6):\n"
                "    mean, sigma = y_pred[:, :k], y_pred[:, k:]\n"
                "    safe = sigma + stability if stability else sigma\n"
                "    nll = tf.math.log(safe) + tf.square((mean - y_true) / safe) / 2\n"
                "    return tf.reduce_sum(nll, axis=-1)\n",
                note="the guard under a switch whose default (1e-6) turns it on: the branch the loss takes"),
        Example("import tensorflow as tf\n\n"
                "def pairwise_distances(features):\n"
                "    sq = tf.reduce_sum(tf.square(features), axis=1, keepdims=True)\n"
                "    d2 = sq - 2.0 * tf.matmul(features, features, transpose_b=True) + tf.transpose(sq)\n"
                "    d2 = tf.where(tf.math.greater(d2, 0.0), d2, 0.0)\n"
                "    return tf.math.sqrt(d2)\n\n\n"
                "def margin_loss(labels, embeddings, alpha=0.2):\n"
                "    d = pairwise_distances(embeddings)\n"
                "    same = tf.cast(tf.equal(labels[:, None], labels[None, :]), tf.float32)\n"
                "    return tf.reduce_mean(same * d + (1.0 - same) * tf.nn.relu(alpha - d))\n",
                note="the zeros under the root are the where's constant, which takes the infinite slope; "
                     "where the where keeps d2 it is > 0 (measured: finite gradient at a zero distance)"),
    )
    bad = (
        Example("import tensorflow as tf\n\n\nclass ScorePenalty(tf.keras.layers.Layer):\n"
                "    def call(self, inputs):\n"
                "        self.add_loss(-tf.reduce_mean(tf.math.log(tf.nn.sigmoid(inputs))))\n"
                "        return inputs\n",
                fixed="import tensorflow as tf\n\n\nclass ScorePenalty(tf.keras.layers.Layer):\n"
                      "    def call(self, inputs):\n"
                      "        self.add_loss(-tf.reduce_mean(tf.math.log(tf.nn.sigmoid(inputs) + 1e-7)))\n"
                      "        return inputs\n",
                line=6, note="a term a layer hands to self.add_loss: the sigmoid of a score of -100 is 0"),
        Example('import tensorflow as tf\n\n\ndef batch_pair_loss(y_true, y_pred):\n    labels = tf.reshape(tf.argmax(y_true, axis=-1), [-1, 1])\n    same = tf.cast(tf.equal(labels, tf.transpose(labels)), tf.float32) - tf.eye(tf.shape(labels)[0])\n    dist = tf.reduce_sum(tf.square(tf.expand_dims(y_pred, 0) - tf.expand_dims(y_pred, 1)), axis=-1)\n    return tf.reduce_sum(tf.multiply(dist, same)) / tf.reduce_sum(same)\n',
                fixed='import tensorflow as tf\n\n\ndef batch_pair_loss(y_true, y_pred):\n    labels = tf.reshape(tf.argmax(y_true, axis=-1), [-1, 1])\n    same = tf.cast(tf.equal(labels, tf.transpose(labels)), tf.float32) - tf.eye(tf.shape(labels)[0])\n    dist = tf.reduce_sum(tf.square(tf.expand_dims(y_pred, 0) - tf.expand_dims(y_pred, 1)), axis=-1)\n    return tf.reduce_sum(tf.multiply(dist, same)) / (tf.reduce_sum(same) + 1e-7)\n',
                line=8, note="a count of the batch's positive pairs (labels compared across samples, as TensorFlow "
                             "Addons' semi-hard triplet loss divides by): 0 for a batch of distinct classes"),
        Example("import tensorflow as tf\n\n\n"
                "def bp_mll_loss(y_true, y_pred):\n"
                "    pos = tf.cast(tf.equal(y_true, 1.0), tf.float32)\n"
                "    neg = tf.cast(tf.not_equal(y_true, 1.0), tf.float32)\n"
                "    pairs = tf.expand_dims(pos, 2) * tf.expand_dims(neg, 1)\n"
                "    sums = tf.reduce_sum(pairs * tf.exp(tf.expand_dims(y_pred, 1) - tf.expand_dims(y_pred, 2)), axis=[1, 2])\n"
                "    return sums / (tf.reduce_sum(pos, axis=1) * tf.reduce_sum(neg, axis=1))\n",
                fixed="import tensorflow as tf\n\n\n"
                      "def bp_mll_loss(y_true, y_pred):\n"
                      "    pos = tf.cast(tf.equal(y_true, 1.0), tf.float32)\n"
                      "    neg = tf.cast(tf.not_equal(y_true, 1.0), tf.float32)\n"
                      "    pairs = tf.expand_dims(pos, 2) * tf.expand_dims(neg, 1)\n"
                      "    sums = tf.reduce_sum(pairs * tf.exp(tf.expand_dims(y_pred, 1) - tf.expand_dims(y_pred, 2)), axis=[1, 2])\n"
                      "    return sums / (tf.reduce_sum(pos, axis=1) * tf.reduce_sum(neg, axis=1) + 1e-7)\n",
                line=9, note="a product of per-sample counts (positives x negatives, BP-MLL's normaliser): 0 for a sample "
                             "with no positive label or no negative one"),
        Example("import tensorflow as tf\n\n\ndef generator_loss(fake_logit):\n"
                "    return -tf.reduce_mean(tf.math.log(tf.sigmoid(fake_logit)))\n",
                fixed="import tensorflow as tf\n\n\ndef generator_loss(fake_logit):\n"
                      "    return -tf.reduce_mean(tf.math.log(tf.sigmoid(fake_logit) + 1e-7))\n",
                line=5, note="a GAN loss over the discriminator's logits (its custom loop differentiates it): "
                             "sigmoid saturates to exactly 0 in float32"),
        Example('import tensorflow as tf\n\n\ndef scaled_error(y_true, y_pred):\n    def one(t, p):\n        return tf.reduce_mean(tf.square(t - p / tf.reduce_max(tf.abs(p))))\n    return tf.map_fn(lambda x: one(x[0], x[1]), (y_true, y_pred), fn_output_signature=tf.float32)\n',
                fixed='import tensorflow as tf\n\n\ndef scaled_error(y_true, y_pred):\n    def one(t, p):\n        return tf.reduce_mean(tf.square(t - p / (tf.reduce_max(tf.abs(p)) + 1e-7)))\n    return tf.map_fn(lambda x: one(x[0], x[1]), (y_true, y_pred), fn_output_signature=tf.float32)\n',
                line=6, note="inside the function tf.map_fn applies to each sample: one sample's predictions all 0 give 0/0"),
        Example('import tensorflow as tf\n\ndef arcface_loss(labels, features):\n    sin_t = tf.sqrt(1.0 - tf.square(features))\n    logits = 30.0 * (features * 0.87 - sin_t * 0.48)\n    return tf.nn.softmax_cross_entropy_with_logits(labels, logits)\n',
                fixed='import tensorflow as tf\n\ndef arcface_loss(labels, features):\n    sin_t = tf.sqrt(1.0 - tf.square(features) + 1e-7)\n    logits = 30.0 * (features * 0.87 - sin_t * 0.48)\n    return tf.nn.softmax_cross_entropy_with_logits(labels, logits)\n',
                line=4, note="(labels, features): the cosine an embedding head gives, as ArcFace losses name it"),
        Example("import tensorflow as tf\n\n\ndef arcface_loss(embedding, labels, s=64.0):\n"
                "    cos_t = tf.math.l2_normalize(embedding, axis=-1)\n"
                "    sin_t = tf.sqrt(1.0 - tf.square(cos_t))\n"
                "    logits = s * (cos_t * 0.87 - sin_t * 0.48)\n"
                "    return tf.nn.softmax_cross_entropy_with_logits(labels, logits)\n",
                fixed="import tensorflow as tf\n\n\ndef arcface_loss(embedding, labels, s=64.0):\n"
                      "    cos_t = tf.math.l2_normalize(embedding, axis=-1)\n"
                      "    sin_t = tf.sqrt(1.0 - tf.square(cos_t) + 1e-7)\n"
                      "    logits = s * (cos_t * 0.87 - sin_t * 0.48)\n"
                      "    return tf.nn.softmax_cross_entropy_with_logits(labels, logits)\n",
                line=6, note="(embedding, labels): a loss named so takes the prediction first, as TF1-era ArcFace "
                             "code writes it"),
        Example("import tensorflow as tf\n\n"
                "def arcface_logits(y_true, y_pred, s=64.0):\n"
                "    cos_t = tf.clip_by_value(y_pred, -1.0, 1.0 - 1e-7)\n"
                "    sin_t = tf.sqrt(1.0 - tf.square(cos_t))\n"
                "    return tf.nn.softmax_cross_entropy_with_logits(y_true, s * (cos_t * 0.87 - sin_t * 0.48))\n",
                fixed="import tensorflow as tf\n\n"
                      "def arcface_logits(y_true, y_pred, s=64.0):\n"
                      "    cos_t = tf.clip_by_value(y_pred, -1.0, 1.0 - 1e-7)\n"
                      "    sin_t = tf.sqrt(1.0 - tf.square(cos_t) + 1e-7)\n"
                      "    return tf.nn.softmax_cross_entropy_with_logits(y_true, s * (cos_t * 0.87 - sin_t * 0.48))\n",
                line=5, note="clipped below 1 only: at cos = -1 the square is 1 again"),
        Example("import tensorflow as tf\n\ndef custom_loss_kld(y, p_base, minval=1e-9):\n"
                "    sigma = tf.sqrt(p_base[:, 1] ** 2 + p_base[:, 2] ** 2) + minval\n"
                "    return tf.reduce_mean(tf.square(y[:, 0] - p_base[:, 0]) / sigma)\n",
                fixed="import tensorflow as tf\n\ndef custom_loss_kld(y, p_base, minval=1e-9):\n"
                      "    sigma = tf.sqrt(p_base[:, 1] ** 2 + p_base[:, 2] ** 2 + 1e-7) + minval\n"
                      "    return tf.reduce_mean(tf.square(y[:, 0] - p_base[:, 0]) / sigma)\n",
                line=4, note="the epsilon added after the sqrt does not keep its gradient finite; "
                             "p_base names the prediction (a compound of p) in a function named like a loss"),
        Example("import tensorflow as tf\n\ndef iou_loss(y_true, y_pred):\n"
                "    inter = tf.reduce_sum(y_true * y_pred, axis=-1)\n"
                "    union = tf.reduce_sum(y_true + y_pred - y_true * y_pred, axis=-1)\n"
                "    return 1.0 - tf.div(inter, union)\n",
                fixed="import tensorflow as tf\n\ndef iou_loss(y_true, y_pred):\n"
                      "    inter = tf.reduce_sum(y_true * y_pred, axis=-1)\n"
                      "    union = tf.reduce_sum(y_true + y_pred - y_true * y_pred, axis=-1)\n"
                      "    return 1.0 - tf.div(inter, union + 1e-7)\n",
                line=6, note="TensorFlow 1's tf.div (TFS506 reports the name) divides all the same"),
        Example("import tensorflow as tf\n\ndef hit_penalty(target, output):\n"
                "    hits = tf.reduce_sum(target)\n"
                "    return tf.reduce_sum(tf.abs(target - output)) / hits\n\n"
                "class Trainer(tf.keras.Model):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.head = tf.keras.layers.Dense(4)\n"
                "        self.objectives = {'hits': hit_penalty}\n\n"
                "    def train_step(self, data):\n"
                "        x, y = data\n"
                "        with tf.GradientTape() as tape:\n"
                "            total = 0.0\n"
                "            for key in self.objectives:\n"
                "                total += self.objectives[key](y, self.head(x))\n"
                "        grads = tape.gradient(total, self.trainable_variables)\n"
                "        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))\n"
                "        return {'loss': total}\n",
                fixed="import tensorflow as tf\n\ndef hit_penalty(target, output):\n"
                      "    hits = tf.reduce_sum(target)\n"
                      "    return tf.reduce_sum(tf.abs(target - output)) / (hits + 1e-7)\n\n"
                      "class Trainer(tf.keras.Model):\n"
                      "    def __init__(self):\n"
                      "        super().__init__()\n"
                      "        self.head = tf.keras.layers.Dense(4)\n"
                      "        self.objectives = {'hits': hit_penalty}\n\n"
                      "    def train_step(self, data):\n"
                      "        x, y = data\n"
                      "        with tf.GradientTape() as tape:\n"
                      "            total = 0.0\n"
                      "            for key in self.objectives:\n"
                      "                total += self.objectives[key](y, self.head(x))\n"
                      "        grads = tape.gradient(total, self.trainable_variables)\n"
                      "        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))\n"
                      "        return {'loss': total}\n",
                line=5, note="picked from a table in a custom train_step: a count that is 0 for a "
                             "batch without positives"),
        Example("import tensorflow as tf\n\ndef masked_rms_loss(y_true, y_pred):\n"
                "    keep = tf.cast(y_true > 0.5, tf.float32)\n"
                "    return tf.sqrt(tf.reduce_sum(tf.square(y_pred) * keep))\n",
                fixed="import tensorflow as tf\n\ndef masked_rms_loss(y_true, y_pred):\n"
                      "    keep = tf.cast(y_true > 0.5, tf.float32)\n"
                      "    return tf.sqrt(tf.reduce_sum(tf.square(y_pred) * keep) + 1e-7)\n",
                line=5, note="a sum over a selection is 0 for a batch where nothing is selected"),
        Example("import tensorflow as tf\n\ndef norm_loss(y_true, y_pred):\n"
                "    return tf.sqrt(tf.reduce_sum(tf.square(y_pred), axis=-1)) + 0.0 * y_true\n",
                fixed="import tensorflow as tf\n\ndef norm_loss(y_true, y_pred):\n"
                      "    return tf.sqrt(tf.reduce_sum(tf.square(y_pred), axis=-1) + 1e-7) + 0.0 * y_true\n",
                line=4, note="a per-row sum: one row of exact zeros (a ReLU output) is enough"),
        Example("import tensorflow as tf\n\n\nclass StepLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, steps=0, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.steps = steps\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return -tf.reduce_sum(y_true * tf.math.log(y_pred + self.steps), axis=-1)\n",
                fixed="import tensorflow as tf\n\n\nclass StepLoss(tf.keras.losses.Loss):\n"
                      "    def __init__(self, steps=0, **kwargs):\n"
                      "        super().__init__(**kwargs)\n"
                      "        self.steps = steps\n\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        return -tf.reduce_sum(y_true * tf.math.log(y_pred + self.steps + 1e-7), axis=-1)\n",
                line=10, note="`steps` holds the letters e-p-s but is no epsilon: a step count can be 0"),
        Example("import tensorflow as tf\n\ndef ce_loss(y_true, y_pred):\n"
                "    return -tf.reduce_sum(y_true * tf.math.log(y_pred), axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef ce_loss(y_true, y_pred):\n"
                      "    return -tf.reduce_sum(y_true * tf.math.log(y_pred + 1e-7), axis=-1)\n",
                line=4, message="the argument of tf.math.log can reach 0, giving inf/NaN loss and NaN "
                                "weights; add 1e-7 or clip it"),
        Example("from tensorflow.keras import backend as K\n\ndef bce(y_true, y_pred):\n"
                "    p = K.clip(y_pred, K.epsilon(), 1.0)\n"
                "    return -K.mean(y_true * K.log(p) + (1 - y_true) * K.log(1 - p), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=bce)\n",
                fixed="from tensorflow.keras import backend as K\n\ndef bce(y_true, y_pred):\n"
                      "    p = K.clip(y_pred, K.epsilon(), 1.0)\n"
                      "    return -K.mean(y_true * K.log(p) + (1 - y_true) * K.log(1 - p + K.epsilon()), axis=-1)\n\n"
                      "model.compile(optimizer='adam', loss=bce)\n",
                line=5, note="clipped to 1.0, so 1 - p is still 0 for a saturated sigmoid"),
        Example("import tensorflow as tf\n\nEPS = 1e-10\n\ndef bce_loss(y_true, logits):\n"
                "    p = tf.clip_by_value(tf.sigmoid(logits), EPS, 1.0 - EPS)\n"
                "    return -tf.reduce_mean(y_true * tf.math.log(p)\n"
                "                           + (1.0 - y_true) * tf.math.log(1.0 - p), axis=-1)\n",
                fixed="import tensorflow as tf\n\nEPS = 1e-10\n\ndef bce_loss(y_true, logits):\n"
                      "    p = tf.clip_by_value(tf.sigmoid(logits), EPS, 1.0 - EPS)\n"
                      "    return -tf.reduce_mean(y_true * tf.math.log(p)\n"
                      "                           + (1.0 - y_true) * tf.math.log(1.0 - p + 1e-7), axis=-1)\n",
                line=8, note="float32 precision: 1.0 - 1e-10 rounds to 1.0, the clip leaves 1 - p at 0"),
        Example("import tensorflow as tf\n\ndef _distance(a, b):\n"
                "    return tf.sqrt(tf.reduce_sum(tf.square(a - b), axis=-1))\n\n"
                "class ContrastiveLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        d = _distance(y_pred[:, 0], y_pred[:, 1])\n"
                "        return y_true[:, 0] * d + (1.0 - y_true[:, 0]) * tf.maximum(1.0 - d, 0.0)\n",
                fixed="import tensorflow as tf\n\ndef _distance(a, b):\n"
                      "    return tf.sqrt(tf.reduce_sum(tf.square(a - b), axis=-1) + 1e-7)\n\n"
                      "class ContrastiveLoss(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        d = _distance(y_pred[:, 0], y_pred[:, 1])\n"
                      "        return y_true[:, 0] * d + (1.0 - y_true[:, 0]) * tf.maximum(1.0 - d, 0.0)\n",
                line=4, note="two embeddings of one input are equal: sqrt(0) has an infinite gradient; through a "
                             "helper in a Loss subclass"),
        Example("import keras\nfrom keras import ops\n\ndef make_iou(axis):\n"
                "    def iou_loss(y_true, y_pred):\n"
                "        inter = ops.sum(y_true * y_pred, axis=axis)\n"
                "        union = ops.sum(y_true + y_pred, axis=axis) - inter\n"
                "        return 1.0 - inter / union\n"
                "    return iou_loss\n\nmodel.compile(optimizer='adam', loss=make_iou(-1))\n",
                fixed="import keras\nfrom keras import ops\n\ndef make_iou(axis):\n"
                      "    def iou_loss(y_true, y_pred):\n"
                      "        inter = ops.sum(y_true * y_pred, axis=axis)\n"
                      "        union = ops.sum(y_true + y_pred, axis=axis) - inter\n"
                      "        return 1.0 - inter / (union + keras.config.epsilon())\n"
                      "    return iou_loss\n\nmodel.compile(optimizer='adam', loss=make_iou(-1))\n",
                line=8, note="a difference in the denominator, in a factory closure (keras.ops)"),
        Example("import tensorflow as tf\n\ndef ce_loss(y_true, logits):\n"
                "    probs = tf.nn.softmax(logits)\n"
                "    return -tf.reduce_sum(y_true * tf.math.log(probs), axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef ce_loss(y_true, logits):\n"
                      "    probs = tf.nn.softmax(logits)\n"
                      "    return -tf.reduce_sum(y_true * tf.math.log(probs + 1e-7), axis=-1)\n",
                line=5, message="the argument of tf.math.log can reach 0, giving inf/NaN loss and NaN "
                                "weights; use tf.nn.log_softmax/log_sigmoid, or add 1e-7",
                note="softmax underflows to exactly 0"),
        Example("import tensorflow as tf\n\ndef energy_loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1) + tf.reduce_mean(tf.square(y_pred), axis=-1) ** 0.5\n",
                fixed="import tensorflow as tf\n\ndef energy_loss(y_true, y_pred):\n"
                      "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1) + (tf.reduce_mean(tf.square(y_pred), axis=-1) + 1e-7) ** 0.5\n",
                line=4, note="x ** 0.5 is sqrt; a row of ReLU zeros makes it 0"),
        Example("import tensorflow as tf\n\ndef rel_loss(labels, preds):\n"
                "    return tf.reduce_mean(tf.math.divide(tf.abs(labels - preds), preds), axis=-1)\n\n"
                "def train_step(model, x, y):\n"
                "    with tf.GradientTape() as tape:\n"
                "        loss = rel_loss(y, model(x))\n"
                "    return tape.gradient(loss, model.trainable_variables)\n",
                fixed="import tensorflow as tf\n\ndef rel_loss(labels, preds):\n"
                      "    return tf.reduce_mean(tf.math.divide(tf.abs(labels - preds), preds + 1e-7), axis=-1)\n\n"
                      "def train_step(model, x, y):\n"
                      "    with tf.GradientTape() as tape:\n"
                      "        loss = rel_loss(y, model(x))\n"
                      "    return tape.gradient(loss, model.trainable_variables)\n",
                line=4, note="tf.math.divide in a custom training loop"),
        Example("import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                "    mask = tf.cast(tf.not_equal(y_true, 0.0), tf.float32)\n"
                "    total = tf.reduce_sum(tf.square(y_true - y_pred) * mask, axis=-1)\n"
                "    return total / tf.reduce_sum(mask, axis=-1)\n",
                fixed="import tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                      "    mask = tf.cast(tf.not_equal(y_true, 0.0), tf.float32)\n"
                      "    total = tf.reduce_sum(tf.square(y_true - y_pred) * mask, axis=-1)\n"
                      "    return total / (tf.reduce_sum(mask, axis=-1) + 1e-7)\n",
                line=6, note="a sum of labels is 0 for a sample without any"),
        Example("import numpy as np\nfrom tensorflow.keras import backend as K\n\n"
                "def gaussian_nll(y_true, y_pred):\n"
                "    mean = y_pred[:, 0:1]\n"
                "    var = K.square(y_pred[:, 1:2])\n"
                "    return K.mean(K.log(2 * np.pi * var) / 2 + K.square(y_true - mean) / (2 * var), axis=-1)\n",
                fixed="import numpy as np\nfrom tensorflow.keras import backend as K\n\n"
                      "def gaussian_nll(y_true, y_pred):\n"
                      "    mean = y_pred[:, 0:1]\n"
                      "    var = K.square(y_pred[:, 1:2])\n"
                      "    return K.mean(K.log(2 * np.pi * var + K.epsilon()) / 2 + K.square(y_true - mean) / (2 * var + K.epsilon()), axis=-1)\n",
                line=7, note="the square of a raw prediction reaches 0"),
        Example("from tensorflow.keras import backend as K\n\n\ndef dice_loss(y_true, y_pred):\n    inter = K.sum(y_true * y_pred, axis=-1)\n    total = K.sum(y_true, axis=-1) + K.sum(y_pred, axis=-1)\n    return 1.0 - 2.0 * inter / (total + K.epsilon())\n\n\ndef bce_logdice_loss(y_true, y_pred):\n    return K.mean(K.binary_crossentropy(y_true, y_pred), axis=-1) - K.log(1.0 - dice_loss(y_true, y_pred))\n",
                fixed="from tensorflow.keras import backend as K\n\n\ndef dice_loss(y_true, y_pred):\n    inter = K.sum(y_true * y_pred, axis=-1)\n    total = K.sum(y_true, axis=-1) + K.sum(y_pred, axis=-1)\n    return 1.0 - 2.0 * inter / (total + K.epsilon())\n\n\ndef bce_logdice_loss(y_true, y_pred):\n    return K.mean(K.binary_crossentropy(y_true, y_pred), axis=-1) - K.log(1.0 - dice_loss(y_true, y_pred) + K.epsilon())\n",
                line=11, note="1 - dice_loss is the unsmoothed Dice score: 0 for an image the prediction misses"),
        Example("import tensorflow as tf\nfrom tensorflow import keras\n\n"
                "def nll(target, probs):\n"
                "    return -tf.reduce_mean(target * tf.math.log(probs))\n\n"
                "class Head(keras.layers.Layer):\n"
                "    def call(self, inputs):\n"
                "        target, z = inputs\n"
                "        self.add_loss(nll(target, tf.nn.relu(z)))\n"
                "        return z\n",
                fixed="import tensorflow as tf\nfrom tensorflow import keras\n\n"
                      "def nll(target, probs):\n"
                      "    return -tf.reduce_mean(target * tf.math.log(probs + 1e-7))\n\n"
                      "class Head(keras.layers.Layer):\n"
                      "    def call(self, inputs):\n"
                      "        target, z = inputs\n"
                      "        self.add_loss(nll(target, tf.nn.relu(z)))\n"
                      "        return z\n",
                line=5, note="the only call (an add_loss) passes a ReLU output: exact zeros"),
        Example("import tensorflow as tf\n\n\ndef projected_mse(y_true, y_pred):\n"
                "    norm = tf.reduce_sum(tf.square(y_pred), axis=-1)\n"
                "    if tf.math.reduce_min(norm) > 0.0:\n"
                "        scale = tf.ones_like(norm)\n"
                "    else:\n"
                "        scale = tf.reduce_sum(y_true * y_pred, axis=-1) / norm\n"
                "    return tf.reduce_mean(tf.square(y_true - scale[..., None] * y_pred), axis=-1)\n\n\n"
                "model.compile(optimizer='adam', loss=projected_mse, run_eagerly=True)\n",
                fixed="import tensorflow as tf\n\n\ndef projected_mse(y_true, y_pred):\n"
                "    norm = tf.reduce_sum(tf.square(y_pred), axis=-1)\n"
                "    if tf.math.reduce_min(norm) > 0.0:\n"
                "        scale = tf.ones_like(norm)\n"
                "    else:\n"
                "        scale = tf.reduce_sum(y_true * y_pred, axis=-1) / (norm + 1e-7)\n"
                "    return tf.reduce_mean(tf.square(y_true - scale[..., None] * y_pred), axis=-1)\n\n\n"
                "model.compile(optimizer='adam', loss=projected_mse, run_eagerly=True)\n",
                note="the branch that divides is the one where some norm may be 0"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.ranges = Ranges(self.index.imports, self.facts)

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, (cst.Divide, cst.Power)):
            self._check(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, cst.DivideAssign):
            self._check(node)

    def _compat_fallback(self, node: cst.CSTNode, arg: cst.CSTNode) -> bool:
        """``node`` sits in an ``except AttributeError``/``ImportError``/``NameError`` handler whose
        ``try`` computes the same operand under another name (``tf.log`` then
        ``tf.compat.v1.log``): one hazard written twice for two TensorFlow versions, reported once,
        in the ``try``."""
        loss = self.loss
        if loss is None:
            return False
        parents = loss.memo("parents", lambda: parent_map(loss.node))
        current: cst.CSTNode | None = node
        while current is not None and current in parents:
            parent = parents[current]
            if isinstance(parent, cst.ExceptHandler) and _catches_missing_name(parent):
                owner = parents.get(parent)
                if not isinstance(owner, cst.Try):
                    return False
                operand = code_of(arg)
                return any(code_of(a.value) == operand for call in descendants(owner.body, cst.Call) for a in call.args) \
                    or any(code_of(op.right) == operand for op in descendants(owner.body, cst.BinaryOperation))
            current = parent
        return False

    def _check(self, node: cst.Call | cst.BinaryOperation | cst.AugAssign) -> None:
        evaluated = node.value if isinstance(node, cst.AugAssign) else node
        if self.loss is None or self.loss.value(evaluated) is None:
            return  # not evaluated in this scope (a nested def analysed as its own helper)
        loss = self.loss
        if node in loss.memo("unread_values", lambda: _unread_values(loss.node)):
            return  # ``unused = tf.sqrt(v)``: a value nothing reads never reaches the loss
        hazard = self.ranges.hazard(node, self.loss)
        if hazard is None:
            return
        if not isinstance(node, cst.AugAssign) and only_decides(loss, node, self.index.imports):
            return  # an IoU that only picks a box (argmax) or builds an ignore mask (> 0.6)
        if hazard.kind == "log" and self._zeroed_without_gradient(node, hazard.arg):
            return  # ``multiply_no_nan(log(p), p)`` of a histogram's p: finite, nothing to train
        if not hazard.negative and tested_nonzero(loss, node, hazard.arg):
            return  # ``if n == 0: return 0.0`` before ``s / n``: the branch is the guard
        if hazard.kind in ("sqrt", "pow_frac") and (self._fit_error(hazard.arg) or self._signed_square(hazard.arg)):
            return  # RMSE: 0 only where every prediction of a sample or batch is exact
        if hazard.kind == "pow_frac" and self._overlap_gap(hazard.arg):
            return  # focal Tversky: 1 - index is 0 only at an exact fit
        if hazard.kind in ("sqrt", "pow_frac") and self._zero_from_constant(hazard.arg):
            return  # sqrt(where(d > 0, d, 0)): the zeros are the constant's, which takes no gradient
        if hazard.kind in ("sqrt", "pow_frac") and not hazard.negative \
                and loss.under_custom_gradient(self.index.imports):
            return  # sqrt(0) is 0; its infinite slope is never taken inside a @tf.custom_gradient def
        if self._compat_fallback(node, hazard.arg):
            return  # ``except AttributeError: ... tf.compat.v1.log(p)``: the try's ``tf.log(p)`` says it
        eps = epsilon_node(self.index.imports)
        self.report(node, what=self._what(hazard), how=self._how(hazard, eps),
                    reach="go negative" if hazard.negative else "reach 0", fix=self._fix(hazard, eps))

    def _zeroed_without_gradient(self, node: cst.CSTNode, arg: cst.BaseExpression) -> bool:
        """``multiply_no_nan(log(p), p)`` where ``p`` has no gradient to the predictions (the
        bins of ``tf.histogram_fixed_width``): the value is 0 exactly where the log is ``-inf``
        and no weight's gradient passes through the log. A differentiable ``p`` still gets a NaN
        gradient there (measured by TFS402's probe), so it stays flagged."""
        assert self.loss is not None
        if not isinstance(node, cst.BaseExpression) or not zeroed_with_operand(self.loss, node, arg, self.index.imports):
            return False
        value = self.loss.value(arg)
        return value is not None and value.grad < Grad.DIFF

    def _fit_error(self, arg: cst.BaseExpression) -> bool:
        """``sqrt(mean(square(y_pred - y_true)))``, ``sqrt(sum(squared_difference(t, p), axis=-1))``:
        the root of a sum or mean of squared differences between predictions and labels (an
        RMSE, a Euclidean distance to the target), also weighted by factors that do not depend on
        the predictions (a latitude weighting). It is 0 only where every prediction it sums
        over equals its label exactly, which real data does not reach (held-out rounds 31-33:
        12 such findings, every one judged false). A distance between two predictions (an
        anchor and its positive) is still flagged: identical inputs make it exactly 0."""
        loss = self.loss
        assert loss is not None
        total = self.ranges.definition(arg, loss)
        if not isinstance(total, cst.Call) or not total.args:
            return False
        spec, _ = self.ranges.spec(total)
        if spec is None or spec.kind is not Kind.REDUCE or spec.op not in ("sum", "mean"):
            return False
        squared = self.ranges.definition(total.args[0].value, loss)
        for _ in range(3):  # ``err ** 2 * weights_lat[None, :, None, None]``: a weighted fit error
            if not (isinstance(squared, cst.BinaryOperation) and isinstance(squared.operator, cst.Multiply)):
                break
            sides = [side for side in (squared.left, squared.right) if not self.ranges.bound(side, loss).pred]
            if len(sides) != 1:
                break
            other = squared.right if sides[0] is squared.left else squared.left
            squared = self.ranges.definition(other, loss) or other
        if isinstance(squared, cst.Call) and squared.args:
            spec, _ = self.ranges.spec(squared)
            if spec is not None and spec.op == "squared_difference" and len(squared.args) >= 2:
                return self._label_and_prediction(squared.args[0].value, squared.args[1].value)
        base = self._square_base(squared)
        if base is None:
            return False
        difference = self.ranges.definition(base, loss)
        while isinstance(difference, cst.BinaryOperation):
            if isinstance(difference.operator, cst.Multiply) and literal(difference.left) is not NOT_LITERAL:
                difference = difference.right  # ``square(2.0 * (t - p))``
            elif isinstance(difference.operator, cst.Divide):
                # ``square((t - p) / (t + eps))``, a relative error (RMSPE): 0 only where t == p
                difference = self.ranges.definition(difference.left, loss)
            else:
                break
        difference = self._peeled(difference, loss, _ERROR_WRAPPERS)
        if isinstance(difference, cst.BinaryOperation) and isinstance(difference.operator, cst.Subtract):
            return self._label_and_prediction(difference.left, difference.right)
        if isinstance(difference, cst.Call) and len(difference.args) >= 2:
            spec, _ = self.ranges.spec(difference)  # ``tf.math.subtract(y_pred, y_true)``
            return spec is not None and spec.op == "subtract" and \
                self._label_and_prediction(difference.args[0].value, difference.args[1].value)
        return False

    def _signed_square(self, arg: cst.BaseExpression) -> bool:
        """``sqrt(square(sigma))`` of a prediction that takes either sign (a linear output, no
        ``relu``/clip that piles values up at 0): ``|sigma|``, 0 only where the output is exactly
        0.0, as an RMSE is only at an exact fit."""
        loss = self.loss
        assert loss is not None
        base = self._square_base(self.ranges.definition(arg, loss))
        if base is None:
            return False
        bound = self.ranges.bound(base, loss)
        return bound.pred and bound.low is Low.ANY and not bound.label

    def _square_base(self, node: cst.CSTNode | None) -> cst.BaseExpression | None:
        """``x`` of ``square(x)`` (any spelling the ops table knows) or ``x ** 2``; else None."""
        if isinstance(node, cst.Call) and node.args:
            spec, _ = self.ranges.spec(node)
            return node.args[0].value if spec is not None and spec.op == "square" else None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Power) and literal(node.right) == 2:
            return node.left
        return None

    def _overlap_gap(self, arg: cst.BaseExpression) -> bool:
        """``pow(1 - tversky, 0.75)`` with ``tversky = (tp + s) / (tp + a * fn + b * fp + s)``: one
        minus a part-over-whole ratio of label-prediction agreement (every name of the part is
        in the whole, the whole has more terms, and they read both the labels and the
        predictions), through a helper or method of the file. The base is 0 only where the
        mismatch terms are, at an exact fit of the whole batch: the RMSE case for an overlap
        (held-out rounds 32 and 34, whole-repository sets 37 and 42: 7 of the 8 judged such
        findings false). A focal term ``pow(1 - p_t, gamma)`` of one element is still flagged."""
        assert self.loss is not None
        gap, scope = self._through_helper(arg, self.loss)
        if not (isinstance(gap, cst.BinaryOperation) and isinstance(gap.operator, cst.Subtract)
                and literal(gap.left) in (1, 1.0)):
            return False
        ratio, scope = self._through_helper(gap.right, scope)
        # one class's index (``dice_class[:, 0]``) or the mean of the indices: still <= 1, and 1
        # only where every index it takes is
        index = self._peeled(ratio, scope, _MEAN)
        if not (isinstance(index, cst.BinaryOperation) and isinstance(index.operator, cst.Divide)):
            return False
        part = {n.value for n in descendants(index.left, cst.Name)}
        whole = descendants(index.right, cst.Name)
        if not part or not part < {n.value for n in whole}:
            return False
        # the whole's other terms are mismatches: they read both the labels and the predictions
        rest = [scope.value(n) for n in whole if n.value not in part]
        return any(v is not None and v.from_true and v.from_pred for v in rest)

    def _zero_from_constant(self, arg: cst.BaseExpression) -> bool:
        """``sqrt(where(d > 0, d, 0.0))`` (also ``tf.math.greater(d, 0)`` as the test, through a
        name): the root is 0 only where the ``where`` picks its constant, and ``where`` sends the
        infinite slope of the root there to the constant, not to ``d``; where it keeps ``d``, ``d``
        is strictly positive. Value and gradient stay finite (measured on TF 2.21: the pairwise
        distances of a metric-learning loss, held-out round 43). ``d >= 0`` lets ``d``'s own zeros
        through and stays flagged; so does a root of ``log``'s kind, whose value is what breaks."""
        assert self.loss is not None
        picked = self.ranges.definition(arg, self.loss) or arg
        if not isinstance(picked, cst.Call) or len(picked.args) < 3:
            return False
        spec, _ = self.ranges.spec(picked)
        if spec is None or spec.kind is not Kind.WHERE:
            return False
        test, kept, other = (a.value for a in picked.args[:3])
        constant = literal(other)
        if constant is NOT_LITERAL or not isinstance(constant, (int, float)) or constant < 0:
            return False
        test = self.ranges.definition(test, self.loss) or test
        return _strictly_positive_test(test, kept, self.ranges)

    def _through_helper(self, node: cst.BaseExpression, scope: Scope) -> tuple[cst.BaseExpression, Scope]:
        """``node``'s single definition, and for a call of a helper of the file the analysis
        evaluated, the one expression that helper returns (in the helper's scope)."""
        node = self.ranges.definition(node, scope) or node
        if not isinstance(node, cst.Call):
            return node, scope
        for helper in scope.all_scopes():
            if node in helper.callers and not isinstance(helper.node, cst.Lambda):
                returns = [r for r in descendants(helper.node, cst.Return) if r.value is not None]
                if len(returns) == 1 and returns[0].value is not None:
                    value = returns[0].value
                    return self.ranges.definition(value, helper) or value, helper
        return node, scope

    def _peeled(self, node: cst.BaseExpression | None, scope: Scope,
                wrappers: frozenset[str]) -> cst.BaseExpression | None:
        """``node`` under up to ``_UNWRAP_DEPTH`` slices and calls of ``wrappers`` on it (``abs`` of
        one argument, the reductions named), through names bound once. For an error: ``abs(d)``
        (``square(abs(cdf_t - cdf_p))``), a sum or mean of it (``reduce_sum(diff[:, :j, :], 1)``:
        a trajectory's displacement, the per-step errors added up) or a slice of it are each 0
        where the error is, and at an exact fit only."""
        for _ in range(_UNWRAP_DEPTH):
            if isinstance(node, cst.Subscript):
                node = self.ranges.definition(node.value, scope)
                continue
            if not (isinstance(node, cst.Call) and node.args):
                break
            spec = self.ranges.spec(node)[0]
            if spec is None or spec.op not in wrappers or not (
                    spec.op == "abs" and len(node.args) == 1 or spec.kind is Kind.REDUCE):
                break
            node = self.ranges.definition(node.args[0].value, scope)
        return node

    def _label_and_prediction(self, left: cst.BaseExpression, right: cst.BaseExpression) -> bool:
        """One operand made from the labels alone, the other from the predictions."""
        a, b = self.value(left), self.value(right)
        if a is None or b is None:
            return False
        return (a.from_true and not a.from_pred and b.from_pred) or (b.from_true and not b.from_pred and a.from_pred)

    def _what(self, hazard: Hazard) -> str:
        node = hazard.node
        if isinstance(node, (cst.BinaryOperation, cst.AugAssign)):
            return "the denominator" if hazard.kind == "div" else "the base of **"
        fn = code_of(node.func) if isinstance(node, cst.Call) else "the op"
        return _WHAT[hazard.kind].format(fn=fn)

    def _how(self, hazard: Hazard, eps: cst.BaseExpression) -> str:
        text = code_of(eps)
        if hazard.label_sum:
            return f"a sample or batch without labels gives 0/0; add {text} or use tf.maximum(..., 1)"
        if hazard.kind == "log1p":
            return "clip p below 1 - eps first or use log_sigmoid"
        if hazard.negative:
            return "clip it to a positive range first"
        if hazard.kind == "log" and hazard.underflow:
            return f"use tf.nn.log_softmax/log_sigmoid, or add {text}"
        if hazard.kind == "div":
            return f"add {text} to it or use tf.math.divide_no_nan"
        return f"add {text} or clip it"

    def _fix(self, hazard: Hazard, eps: cst.BaseExpression) -> cst.CSTNode | None:
        if hazard.kind == "log1p" or hazard.negative:
            return None  # an epsilon does not help a negative operand
        node = hazard.node
        guarded = plus_epsilon(hazard.arg, eps, wrap=isinstance(node, cst.BinaryOperation))
        if isinstance(node, cst.AugAssign):
            return node.with_changes(value=guarded)
        if isinstance(node, cst.BinaryOperation):
            return node.with_changes(right=guarded) if hazard.kind == "div" else node.with_changes(left=guarded)
        if isinstance(node, cst.Call):
            args = [a.with_changes(value=guarded) if a.value is hazard.arg else a for a in node.args]
            return node.with_changes(args=args)
        return None


def _unread_values(fn: cst.CSTNode) -> set[cst.CSTNode]:
    """The calls and operations of every ``name = ...`` in ``fn`` whose name nothing in ``fn``
    reads (a leftover of debugging: ``variance_variance = squared_difference(sqrt(a), sqrt(b))``
    computed and never used): what ``_check`` is asked about there never reaches the loss."""
    loads: dict[str, int] = {}
    stores: dict[str, int] = {}
    for name in descendants(fn, cst.Name):
        loads[name.value] = loads.get(name.value, 0) + 1
    assigns = descendants(fn, cst.Assign)
    for assign in assigns:
        for target in assign.targets:
            for name in ([target.target] if isinstance(target.target, cst.Name) else
                         descendants(target.target, cst.Name)):
                stores[name.value] = stores.get(name.value, 0) + 1
    unread: set[cst.CSTNode] = set()
    for assign in assigns:
        if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name):
            stored = assign.targets[0].target.value
            if loads.get(stored, 0) == stores.get(stored, 0):  # every Name node of it is a store
                for kind in (cst.Call, cst.BinaryOperation):
                    unread.update(descendants(assign.value, kind))
    return unread


def _strictly_positive_test(test: cst.BaseExpression, kept: cst.BaseExpression, ranges: Ranges) -> bool:
    """``kept > c`` or ``greater(kept, c)`` with a constant ``c >= 0``: true only where ``kept``
    is strictly positive."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
            and isinstance(test.comparisons[0].operator, cst.GreaterThan):
        left, right = test.left, test.comparisons[0].comparator
    elif isinstance(test, cst.Call) and len(test.args) == 2 and (spec := ranges.spec(test)[0]) is not None \
            and spec.op == "greater":
        left, right = test.args[0].value, test.args[1].value
    else:
        return False
    bound = literal(right)
    return left.deep_equals(kept) and bound is not NOT_LITERAL and isinstance(bound, (int, float)) and bound >= 0


#: exceptions a try/except catches to fall back to another TensorFlow or Keras version's name
_MISSING_NAME_ERRORS = frozenset({"AttributeError", "ImportError", "ModuleNotFoundError", "NameError"})


def _catches_missing_name(handler: cst.ExceptHandler) -> bool:
    """``except AttributeError:`` (also in a tuple of exceptions)."""
    return any(name in _MISSING_NAME_ERRORS for name in caught_names(handler))

