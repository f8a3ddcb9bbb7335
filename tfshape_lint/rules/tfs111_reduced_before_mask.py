"""TFS111 reduced-before-mask."""

from __future__ import annotations

from typing import Any

import libcst as cst

from tfshape_lint.analysis.names import mentions
from tfshape_lint.analysis.ops import lookup
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import DType, Grad, Mark, Origin, Tag
from tfshape_lint.rule import Example, Recipe, Rule, Severity
from tfshape_lint.rules._numpy import tensor_code
from tfshape_lint.source import code_of

#: a multiplier named with one of these words is a mask or a per-element weight
MASK_WORDS = ("mask", "weight", "valid", "keep")


class ReducedBeforeMask(Rule):
    """## What it does
    Flags a padding mask or per-element weight (rank ≥ 1, with a batch axis) multiplied into a
    value that is already a scalar: the result of a built-in Loss *instance* called with its
    default reduction (`MeanSquaredError()(y_true, y_pred)`, a module-level
    `loss_object = SparseCategoricalCrossentropy()`), or of a reduction over every axis
    (`tf.reduce_mean(x)`, `K.mean(x)` without `axis`).

    A mask counts when it comes from a comparison or a cast of one, `tf.sequence_mask`,
    an int/bool tensor, the labels, or a variable with a word in its name starting with
    `mask`, `weight`, `valid` or `keep` (`padding_mask`, `sampleWeights`, `keep_prob`; names
    are split at underscores, digits and camelCase, so `invalid` does not count); so does a
    constant per-class weight vector (`tf.constant`/`np.array` of more than one value), which
    on a scalar only rescales the loss by the weights' mean. Masks applied
    before the reduction, `sample_weight=` on the Loss call, and Loss instances built with
    `reduction="none"` are not flagged.

    ## Why is this bad?
    A Loss instance with the default reduction (`sum_over_batch_size`) already averaged
    every element into one number (measured on Keras 3.15: the default reduction is the sum
    divided by the number of elements). Multiplying that scalar by a `(B, T)` mask does not
    remove the padded positions from the average: it broadcasts the same number over the
    mask, so `reduce_sum(loss * mask) / reduce_sum(mask)` returns the unmasked mean again and
    padding keeps contributing to the loss and the gradient. Nothing raises.

    ## Example
    ```python
    scce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def masked_loss(y_true, y_pred):
        mask = tf.cast(tf.not_equal(y_true, 0), tf.float32)
        loss = scce(y_true, y_pred) * mask
        return tf.reduce_sum(loss) / tf.reduce_sum(mask)
    ```

    ## Use instead
    ```python
    scce = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    ```
    (or `keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)`,
    or `scce(y_true, y_pred, sample_weight=mask)`).

    ## Verification
    `--verify` evaluates the loss with the mask and with an all-ones mask on the same
    inputs; identical values (the mask changes nothing) confirm it.
    """

    code = "TFS111"
    value_only = True
    name = "reduced-before-mask"
    message = "{value} {what}, so multiplying it by {mask} masks nothing per element; {advice}"
    severity = Severity.WARNING
    recipe = Recipe("mask_effect", {}, "the flagged product's factors; move y_pred only where the mask is 0")

    good = (
        Example("import tensorflow as tf\n\n"
                "class MaskedSCE(tf.keras.losses.Loss):\n"
                "    def __init__(self, reduction=tf.keras.losses.Reduction.NONE, name=None):\n"
                "        super().__init__(name=name)\n"
                "        self.ce = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        loss = self.ce(tf.nn.relu(y_true), y_pred)\n"
                "        mask = tf.cast(y_true != -100, loss.dtype)\n"
                "        return tf.reduce_sum(loss * mask, axis=-1) / tf.maximum(tf.reduce_sum(mask, axis=-1), 1.0)\n",
                note="reduction=reduction is the constructor's default, Reduction.NONE: per-token values"),
        Example("from keras import backend as K\n\n"
                "def seg_objective(y_true, y_pred):\n"
                "    return 0.5 * (1 + y_true[1, 0, 0]) * K.mean(K.softplus(-y_true[0] * y_pred[0]))\n",
                note="a number picked from one sample scales the loss; it is no per-sample mask "
                     "(TFS105 reports the indexing)"),
        Example("import tensorflow as tf\n\n"
                "class SISNR(tf.keras.losses.Loss):\n"
                "    def call(self, s, s_hat):\n"
                "        target = (tf.reduce_sum(s * s_hat) / tf.reduce_sum(s * s)) * s\n"
                "        noise = s_hat - target\n"
                "        return -10.0 * tf.math.log(tf.norm(target) / (tf.norm(noise) + 1e-8) + 1e-8)\n",
                note="a projection coefficient (a ratio of two sums) scales the signal; nothing is masked"),
        Example("import tensorflow as tf\n\n"
                "scce = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction='none')\n\n"
                "def masked_loss(y_true, y_pred):\n"
                "    mask = tf.cast(tf.not_equal(y_true, 0), tf.float32)\n"
                "    loss = scce(y_true, y_pred) * mask\n"
                "    return tf.reduce_sum(loss) / tf.reduce_sum(mask)\n",
                note="reduction='none' keeps the per-element values"),
        Example("import tensorflow as tf\n\n"
                "def masked_mse(y_true, y_pred):\n"
                "    mask = tf.cast(tf.not_equal(y_true, -1.0), tf.float32)\n"
                "    err = tf.square(y_true - y_pred) * mask\n"
                "    return tf.reduce_sum(err) / tf.maximum(tf.reduce_sum(mask), 1.0)\n",
                note="the mask is applied before the reduction"),
        Example("import keras\n\n"
                "def masked(y_true, y_pred):\n"
                "    mask = keras.ops.cast(keras.ops.not_equal(y_true, 0), 'float32')\n"
                "    return keras.losses.SparseCategoricalCrossentropy()(y_true, y_pred, sample_weight=mask)\n",
                note="the Loss class applies sample_weight before reducing"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    mse = tf.keras.losses.MeanSquaredError()(y_true, y_pred)\n"
                "    return mse * 0.5 + tf.reduce_mean(tf.abs(y_pred)) * 0.1\n",
                note="scalar weights on scalar terms"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    per_sample = tf.keras.losses.categorical_crossentropy(y_true, y_pred)\n"
                "    weight = tf.reduce_sum(y_true * [1.0, 2.0, 3.0], axis=-1)\n"
                "    return per_sample * weight\n",
                note="the loss function returns per-sample values"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    mask = tf.cast(y_true > 0, tf.float32)\n"
                "    total = tf.reduce_sum(tf.square(y_true - y_pred) * mask)\n"
                "    return total * (1.0 / tf.reduce_sum(mask))\n",
                note="normalised by the mask count, a scalar"),
        Example("import tensorflow as tf\n\n"
                "def balanced_bce(y_true, y_pred):\n"
                "    pos_ratio = tf.reduce_mean(y_true)\n"
                "    weights = pos_ratio * (1.0 - y_true) + (1.0 - pos_ratio) * y_true\n"
                "    return tf.keras.losses.binary_crossentropy(y_true, y_pred) * tf.reduce_mean(weights, axis=-1)\n",
                note="a batch statistic of the labels times the labels: class balancing, not a reduced loss"),
        Example("import tensorflow as tf\n\nCLASS_W = tf.constant([1.0, 2.0, 0.5])\n\n"
                "def weighted_mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * CLASS_W, axis=-1)\n\n"
                "def scaled_mse(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred)) * tf.constant([2.0])\n",
                note="per-class weights applied before the reduction; a one-element constant is a scale"),
    )
    bad = (
        Example("import tensorflow as tf\n\n"
                "loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n\n"
                "def masked_loss(y_true, y_pred):\n"
                "    mask = tf.cast(tf.not_equal(y_true, 0), tf.float32)\n"
                "    loss = loss_object(y_true, y_pred) * mask\n"
                "    return tf.reduce_sum(loss) / tf.reduce_sum(mask)\n",
                line=7,
                message="loss_object(y_true, y_pred) is already a scalar, so multiplying it by mask masks nothing "
                        "per element; build the Loss with reduction='none' (or use the loss function) and mask before reducing"),
        Example("import tensorflow as tf\n\nclass MaskedLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        mask = tf.cast(y_true != 0, tf.float32)\n"
                "        return tf.reduce_sum(self.loss(y_true, y_pred) * mask, axis=-1)\n",
                line=10, note="a Loss built in __init__ with the default reduction, called in call"),
        Example("import tensorflow as tf\n\n"
                "def masked_mse(y_true, y_pred):\n"
                "    err = tf.reduce_mean(tf.square(y_true - y_pred))\n"
                "    valid = tf.sequence_mask(tf.reduce_sum(tf.ones_like(y_true), axis=-1), 10)\n"
                "    return err * tf.cast(valid, tf.float32)\n",
                line=6, note="a full reduction, then a sequence mask"),
        Example("from tensorflow import keras\nfrom tensorflow.keras import backend as K\n\n"
                "class Masked(keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        mse = keras.losses.MeanSquaredError()\n"
                "        weights = y_true[:, :, 1]\n"
                "        value = mse(y_true[:, :, :1], y_pred)\n"
                "        value *= weights\n"
                "        return K.sum(value, axis=-1) / K.sum(weights, axis=-1)\n",
                line=9, note="augmented assignment in a Loss subclass"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    mask = tf.cast(y_true >= 0, tf.float32)\n"
                "    return tf.multiply(tf.keras.backend.mean(tf.keras.backend.square(y_true - y_pred)), mask)\n",
                line=5, note="tf.multiply on K.mean without axis"),
        Example("import tensorflow as tf\n\nmse_object = tf.keras.losses.MeanSquaredError()\n\n"
                "def loss_function(real, pred, log_sigma):\n"
                "    mask = tf.cast(tf.math.not_equal(real, 0), tf.float32)\n"
                "    mse = mse_object(real, pred)\n"
                "    loss = mse / tf.exp(2.0 * log_sigma) + log_sigma\n"
                "    loss *= mask\n"
                "    return tf.reduce_sum(loss) / tf.reduce_sum(mask)\n",
                line=9, note="a Loss object's scalar inside a sum with a learnt variance (names real, pred)"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "CLASS_W = tf.constant([1.0, 2.0, 0.5])\n\n"
                "class ClassWeighted(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        loss = K.mean(K.square(y_true - y_pred))\n"
                "        return loss * CLASS_W\n",
                line=9, note="a per-class weight vector on a scalar only rescales it by the weights' mean"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tensor_roots: dict[int, bool] = {}

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Multiply):
            self._check(node, node.left, node.right)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, cst.MultiplyAssign):
            self._check(node, node.target, node.value)

    def visit_Call(self, node: cst.Call) -> None:
        spec = lookup(self.canonical(node.func))
        if spec is None or spec.op != "multiply" or len(node.args) < 2:
            return
        if node.args[0].keyword is None and node.args[1].keyword is None:
            self._check(node, node.args[0].value, node.args[1].value)

    def _check(self, node: cst.CSTNode, a: cst.BaseExpression, b: cst.BaseExpression) -> None:
        if self.loss is None:
            return
        root = _root(self.loss)
        if id(root.node) not in self._tensor_roots:
            self._tensor_roots[id(root.node)] = tensor_code(self.index.imports, root)
        if not self._tensor_roots[id(root.node)]:
            return
        for scalar, other in ((a, b), (b, a)):
            reduced = self._reduced(scalar)
            if reduced is not None and self._mask(other):
                what = "contains a Loss object's scalar" if reduced == "contains" else "is already a scalar"
                self.report(node, value=_short(scalar), mask=_short(other), advice=_advice(reduced), what=what)
                return

    def _reduced(self, node: cst.BaseExpression) -> str | None:
        """"instance"/"reduction" when ``node`` is a scalar made by reducing every element."""
        value = self.value(node)
        if value is None or not value.tensor:
            return None
        if value.rank != 0:
            # a built-in Loss's scalar summed with terms of unknown rank (a learnt variance, a
            # regulariser): the mask reaches those terms, never the reduced loss inside
            unknown = value.rel is None and value.rank is None
            return "contains" if unknown and value.marked(Mark.LOSS_REDUCED) else None
        if value.has(Tag.LOSS_INSTANCE_RESULT) or value.marked(Mark.LOSS_REDUCED):
            return "instance"
        if value.marked(Mark.FULL_REDUCTION) and value.origin >= {Origin.Y_TRUE, Origin.Y_PRED} \
                and not self._ratio_of_sums(node):
            return "reduction"  # a reduced loss term; a batch statistic of the labels is not
        return None

    def _ratio_of_sums(self, node: cst.BaseExpression) -> bool:
        """``sum(t * p) / sum(t * t)`` (through a name or parentheses): a projection coefficient
        that scales a signal (SI-SNR's target), not a reduced loss that a mask could weight."""
        if isinstance(node, cst.Name) and self.loss is not None:
            sources = self.loss.definitions(node) or frozenset()
            found = [s for s in sources if isinstance(s, cst.BaseExpression)]
            node = found[0] if len(found) == 1 and len(sources) == 1 else node
        if not (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide)):
            return False
        sides = [self.value(node.left), self.value(node.right)]
        return all(v is not None and v.rank == 0 and v.marked(Mark.FULL_REDUCTION) for v in sides)

    def _mask(self, node: cst.BaseExpression) -> bool:
        """A per-sample or per-element mask or weight: rank >= 1 with a batch axis."""
        value = self.value(node)
        if value is None or value.rank == 0 or value.has(Tag.SEQUENCE):
            return False
        if value.rel is None and not value.batch:
            # a constant per-class weight vector (np.array / tf.constant of known length): on a
            # scalar it only rescales the loss by its mean, never weighting a class
            return value.has(Tag.CONSTANT) and value.grad == Grad.NONE and not value.origin \
                and value.rank is not None and value.rank >= 1 and (value.length or 0) > 1
        if value.grad == Grad.DIFF or value.has(Tag.LOSS_INSTANCE_RESULT) or value.marked(Mark.LOSS_REDUCED):
            return False  # depends on the prediction: a loss term, not a mask
        if not value.batch:
            # its batch axis is gone (``y_true[1][0]`` picks one sample's value, a batch sum
            # counts): not a per-sample or per-element weight of the reduced loss
            return False
        if value.has(Tag.MASK) or value.has(Tag.COMPARISON) or value.dtype in (DType.BOOL, DType.INT):
            return True
        if value.origin == frozenset({Origin.Y_TRUE}):
            return True
        return _named_like_mask(node)


def _root(scope: Scope) -> Scope:
    while scope.parent is not None:
        scope = scope.parent
    return scope


def _named_like_mask(node: cst.BaseExpression) -> bool:
    name = node.value if isinstance(node, cst.Name) else None
    return name is not None and mentions(name, MASK_WORDS)


def _advice(kind: str) -> str:
    if kind in ("instance", "contains"):
        return "build the Loss with reduction='none' (or use the loss function) and mask before reducing"
    return "apply the mask before the reduction"


def _short(node: cst.CSTNode) -> str:
    text = " ".join(code_of(node).split())
    return text if len(text) <= 40 else text[:37] + "..."
