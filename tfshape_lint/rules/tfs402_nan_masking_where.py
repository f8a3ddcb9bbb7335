"""TFS402 nan-masking-where."""

from __future__ import annotations

import libcst as cst

from tfshape_lint.analysis.ops import Kind
from tfshape_lint.analysis.ranges import Bound, Hazard, Ranges
from tfshape_lint.rule import Example, Recipe, Rule, Severity
from tfshape_lint.source import code_of



class NanMaskingWhere(Rule):
    """## What it does
    Flags code that hides NaN/inf in the *value* of a loss term while the term's gradient stays
    NaN: `tf.where(tf.math.is_nan(x), 0, x)`, `where(is_inf(x) | ...)`,
    `where(is_finite(x), x, 0)`, `K.switch`/`keras.ops.where` with such a test,
    `tf.math.multiply_no_nan(log(...), mask)` and `nan_to_num(...)`, when the hidden branch
    contains a `log`, `sqrt`, division or `pow(x, a<1)` of a `y_pred`-derived value that can
    be exactly 0 (its local derivative is infinite there), or `y_true` that the test says may
    be NaN (masking NaN labels after using them). Whether a value can be 0 follows TFS401,
    including its epsilon names (a word starting with `eps`, `smooth` or `tiny`).

    The test may sit in a helper of the file (`missing(y_true)` returning
    `ops.isnan(x) | ops.equal(x, MAGIC)`).

    It stays silent for the double-`where` pattern that sanitises the input first
    (`safe = tf.where(ok, x, 1.0)`, then `tf.where(ok, tf.log(safe), 0.0)`), when the
    hidden branch's local derivative is finite (`log(y_pred - 0.5)` below 0.5 is NaN in value
    but has a finite derivative), and when a NaN-label branch only adds or subtracts labels and
    predictions (`y_true - y_pred`: its derivative by `y_pred` is -1 whatever the labels hold;
    measured, the gradient stays finite, while `square(y_true - y_pred)` gives NaN).

    ## Why is this bad?
    `tf.where` routes the gradient to both branches and multiplies the masked one by 0; the
    masked branch's own backward pass still computes `1/0 = inf` (log, division) or
    `1/(2*sqrt(0))`, and `0 * inf = NaN`. Measured on TF 2.21 / Keras 3.15: the loss
    printed by `fit` is finite (0.693147), **the weights are NaN after one step**, and nothing
    raises. `multiply_no_nan(tf.math.log(y_pred), y_true)` does the same. `tf.where(is_nan(d),
    0, d)` on `d = sqrt(sum(square(y_true - y_pred)))` never even triggers: the forward value is
    0, only the gradient is NaN.

    ## Example
    ```python
    def ce_loss(y_true, y_pred):
        x = y_true * tf.math.log(y_pred)
        x = tf.where(tf.math.is_nan(x), tf.zeros_like(x), x)
        return -tf.reduce_sum(x, axis=-1)
    ```

    ## Use instead
    ```python
    def ce_loss(y_true, y_pred):
        return -tf.reduce_sum(tf.math.xlogy(y_true, y_pred), axis=-1)
    ```
    or sanitise the *input* first (double `where`), or clip: `tf.math.log(tf.clip_by_value(
    y_pred, 1e-7, 1.0))`. For NaN labels, replace them before computing the loss:
    `y = tf.where(tf.math.is_nan(y_true), tf.zeros_like(y_true), y_true)`.

    ## Verification
    `--verify` computes the gradient with respect to `y_pred` with exact zeros (and NaN labels
    where the test is on `y_true`) and runs one `fit` step: a finite loss with NaN gradients or
    NaN weights confirms it.
    """

    code = "TFS402"
    value_only = True
    name = "nan-masking-where"
    message = ("{fn} hides NaN/inf in the value only: {cause}, so the gradient is still NaN; "
               "sanitise the input first (double where) or guard it")
    severity = Severity.WARNING
    losses_only = True
    recipe = Recipe("nan_gradient", {}, "finite loss, NaN gradient w.r.t. y_pred, NaN weights after fit")

    good = (
        Example("import tensorflow as tf\n\ndef ce_loss(y_true, y_pred):\n"
                "    return -tf.reduce_sum(tf.math.xlogy(y_true, y_pred), axis=-1)\n"),
        Example("import tensorflow as tf\n\ndef ce_loss(y_true, y_pred):\n"
                "    ok = y_pred > 0.0\n"
                "    safe = tf.where(ok, y_pred, tf.ones_like(y_pred))\n"
                "    x = tf.where(ok, y_true * tf.math.log(safe), tf.zeros_like(y_pred))\n"
                "    x = tf.where(tf.math.is_nan(x), tf.zeros_like(x), x)\n"
                "    return -tf.reduce_sum(x, axis=-1)\n",
                note="double where: the log never sees 0"),
        Example("import tensorflow as tf\n\ndef nan_label_loss(y_true, y_pred):\n"
                "    valid = tf.math.is_finite(y_true)\n"
                "    y = tf.where(valid, y_true, tf.zeros_like(y_true))\n"
                "    err = tf.where(valid, tf.square(y - y_pred), tf.zeros_like(y_pred))\n"
                "    return tf.reduce_mean(err, axis=-1)\n",
                note="NaN labels replaced before they are used"),
        Example("import tensorflow as tf\n\ndef shifted_loss(y_true, y_pred):\n"
                "    x = tf.math.log(y_pred - 0.5)\n"
                "    x = tf.where(tf.math.is_nan(x), tf.zeros_like(x), x)\n"
                "    return -tf.reduce_mean(y_true * x, axis=-1)\n",
                note="log of a negative number: NaN value, finite derivative"),
        Example("from keras import ops\n\ndef ce_loss(y_true, y_pred):\n"
                "    x = y_true * ops.log(ops.clip(y_pred, 1e-7, 1.0))\n"
                "    return -ops.sum(ops.where(ops.isnan(x), 0.0, x), axis=-1)\n",
                note="already clipped: the where is redundant but harmless"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef clean_targets(y):\n"
                "    return tf.where(tf.math.is_nan(y), tf.zeros_like(y), y)\n\n"
                "def mse_loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(clean_targets(y_true) - y_pred), axis=-1)\n",
                note="a helper that cleans the labels only"),
        Example("import tensorflow as tf\n\ndef inverse_loss(y_true, y_pred):\n"
                "    r = tf.math.reciprocal(y_pred)\n"
                "    r = tf.where(tf.math.is_inf(r), tf.zeros_like(r), r)\n"
                "    return tf.reduce_mean(tf.abs(y_true - r), axis=-1)\n",
                note="TensorFlow's reciprocal gradient is 0 where the masked gradient is 0 (measured)"),
        Example("import tensorflow as tf\n\ndef log_metric(y_true, y_pred):\n"
                "    x = tf.math.log(y_pred)\n"
                "    return tf.where(tf.math.is_inf(x), 0.0, x)\n\n"
                "model.compile(loss='mse', metrics=[log_metric])\n",
                note="a metric is never differentiated"),
        Example("import tensorflow as tf\n\n"
                "def nan_mse(y_true, y_pred):\n"
                "    missing = tf.math.is_nan(y_true)\n"
                "    y = tf.where(missing, y_pred, y_true)\n"
                "    return tf.reduce_mean(tf.square(y - y_pred), axis=-1)\n",
                note="the labels are sanitised before they meet y_pred"),
        Example("from keras import ops\n\n\ndef missing(x):\n"
                "    return ops.logical_or(ops.equal(x, -9999.0), ops.isnan(x))\n\n\n"
                "def mean_error(y_true, y_pred):\n"
                "    err = ops.where(missing(y_true), ops.zeros_like(y_true), y_true - y_pred)\n"
                "    return ops.mean(err, axis=-1)\n",
                note="a difference of labels and predictions: its derivative by y_pred is -1 whatever the "
                     "labels hold, so the masked NaN never reaches the gradient (measured: finite)"),
    )
    bad = (
        Example("import tensorflow as tf\n\n\ndef masked_mse(y_true, y_pred):\n    loss = tf.square(y_pred - y_true)\n    loss = tf.where(tf.compat.v1.is_nan(loss), tf.zeros_like(loss), loss)\n    return tf.reduce_mean(loss, axis=-1)\n",
                line=6, note="TensorFlow 1's name under compat.v1 (tf.compat.v1.is_nan) is the same test"),
        Example("import tensorflow as tf\n\ndef ce_loss(y_true, y_pred):\n"
                "    x = y_true * tf.math.log(y_pred)\n"
                "    x = tf.where(tf.math.is_nan(x), tf.zeros_like(x), x)\n"
                "    return -tf.reduce_sum(x, axis=-1)\n",
                line=5, message="tf.where hides NaN/inf in the value only: the masked branch computes "
                                "tf.math.log(y_pred), whose derivative is inf at 0, so the gradient is "
                                "still NaN; sanitise the input first (double where) or guard it"),
        Example("import tensorflow as tf\n\ndef ce_loss(y_true, y_pred):\n"
                "    return -tf.reduce_sum(tf.math.multiply_no_nan(tf.math.log(y_pred), y_true), axis=-1)\n",
                line=4, note="multiply_no_nan zeroes the value, not the gradient"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "def dist_loss(y_true, y_pred):\n"
                "    d = K.sqrt(K.sum(K.square(y_true - y_pred), axis=-1))\n"
                "    return K.switch(tf.math.is_nan(d), K.zeros_like(d), d)\n\n"
                "model.compile(optimizer='adam', loss=dist_loss)\n",
                line=6, note="sqrt(0) when a prediction is exact; the test never even triggers"),
        Example("from keras import ops\n\ndef _ratio(t, p):\n"
                "    r = t / p\n"
                "    return ops.where(ops.isfinite(r), r, 0.0)\n\n"
                "def ratio_loss(y_true, y_pred):\n"
                "    return ops.mean(_ratio(y_true, y_pred), axis=-1)\n",
                line=5, note="is_finite through a helper, keras.ops"),
        Example("import tensorflow as tf\n\ndef nan_label_loss(y_true, y_pred):\n"
                "    err = tf.square(y_true - y_pred)\n"
                "    return tf.reduce_mean(tf.where(tf.math.is_nan(y_true), tf.zeros_like(err), err), axis=-1)\n",
                line=5, message="tf.where hides NaN/inf in the value only: the masked branch uses the "
                                "NaN labels the test looks for, so the gradient is still NaN; sanitise "
                                "the input first (double where) or guard it",
                note="masking NaN labels after using them"),
        Example("import tensorflow as tf\n\nclass RelativeError(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        rel = tf.abs(y_true - y_pred) / y_pred\n"
                "        ok = tf.math.is_finite(rel)\n"
                "        return tf.reduce_mean(tf.where(ok, rel, tf.zeros_like(rel)), axis=-1)\n",
                line=7, note="is_finite through a name, in a Loss subclass"),
        Example("from keras import ops\n\ndef make_loss(w):\n"
                "    def loss(y_true, y_pred):\n"
                "        x = w * y_true * ops.log(y_pred)\n"
                "        return -ops.sum(ops.nan_to_num(x), axis=-1)\n"
                "    return loss\n\nmodel.compile(optimizer='adam', loss=make_loss(0.5))\n",
                line=6, note="keras.ops.nan_to_num in a factory closure"),
        Example("import tensorflow as tf\n\n"
                "def nan_mse(y_true, y_pred):\n"
                "    err = tf.square(y_true - y_pred)\n"
                "    err = tf.where(tf.math.is_nan(err), tf.zeros_like(err), err)\n"
                "    return tf.reduce_mean(err, axis=-1)\n",
                line=5, note="labels holding NaN for missing values meet y_pred before the test"),
        Example("from keras import ops\n\n\ndef missing(x):\n"
                "    return ops.logical_or(ops.equal(x, -9999.0), ops.isnan(x))\n\n\n"
                "def masked_mse(y_true, y_pred):\n"
                "    err = ops.where(missing(y_true), ops.zeros_like(y_true), ops.square(y_true - y_pred))\n"
                "    return ops.mean(err, axis=-1)\n",
                line=9, note="the NaN test in a helper of the file: the square's derivative holds the NaN label "
                             "(measured: NaN gradient at the missing label)"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.ranges = Ranges(self.index.imports, self.facts)

    def visit_Call(self, node: cst.Call) -> None:
        if self.loss is None or self.loss.value(node) is None:
            return
        spec, canon = self.ranges.spec(node)
        if spec is not None and spec.kind is Kind.WHERE and len(node.args) >= 3:
            self._where(node)
        elif spec is not None and spec.op == "multiply_no_nan" and node.args:
            self._masked(node, self.ranges.bound(node.args[0].value, self.loss))
        elif canon.endswith(".nan_to_num") and node.args:
            self._masked(node, self.ranges.bound(node.args[0].value, self.loss))

    def _where(self, node: cst.Call) -> None:
        assert self.loss is not None
        tested = self.ranges.nan_tested(node.args[0].value, self.loss)
        if not tested:
            return
        branches = [self.ranges.bound(arg.value, self.loss) for arg in node.args[1:3]]
        hazards = frozenset().union(*(b.hazards for b in branches))
        if hazards:
            self._report(node, _hazard_cause(hazards))
            return
        labels_tested = any(t.label and not t.pred for t in tested)
        nan_gradient = any(b.nan_label and b.diff and self._label_in_gradient(arg.value, 0)
                           for b, arg in zip(branches, node.args[1:3]))
        if labels_tested and nan_gradient:
            self._report(node, "the masked branch uses the NaN labels the test looks for")
        elif any(t.nan_label and t.diff for t in tested) and nan_gradient \
                and not self._computes_nan(node.args[0].value, 0):
            # nothing tested can make NaN but the data: labels holding NaN for missing values
            # have met y_pred before the test, and their NaN reaches its gradient
            self._report(node, "the NaN it tests comes from labels that met y_pred before the test")

    def _label_in_gradient(self, expr: cst.CSTNode, depth: int) -> bool:
        """Whether y_pred's derivative of ``expr`` holds the labels, so that a NaN label makes
        it NaN. A sum or difference of a label part and a prediction part (``y_true - y_pred``)
        has the derivative -1 whatever the labels are: ``where`` multiplies it by 0 and the
        gradient stays finite. Anything else that mixes them (a square, a product, a division
        by the labels) is taken to hold them."""
        assert self.loss is not None
        if depth > 8:
            return True
        bound = self.ranges.bound(expr, self.loss)
        if not (bound.nan_label and bound.diff):
            return False
        if isinstance(expr, cst.Name):
            sources = [src for src in self.loss.definitions(expr) or frozenset() if isinstance(src, cst.CSTNode)]
            return not sources or any(self._label_in_gradient(src, depth + 1) for src in sources)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract)):
            return self._label_in_gradient(expr.left, depth + 1) or self._label_in_gradient(expr.right, depth + 1)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
            return self._label_in_gradient(expr.expression, depth + 1)
        return True

    def _computes_nan(self, expr: cst.CSTNode, depth: int) -> bool:
        """Whether ``expr`` (through names) holds an op that can itself make NaN/inf (log,
        division, sqrt, pow), so that the NaN test is about that op, not the data."""
        assert self.loss is not None
        if depth > 8:
            return True
        if isinstance(expr, cst.Name):
            sources = self.loss.definitions(expr) or frozenset()
            return any(self._computes_nan(src, depth + 1) for src in sources if isinstance(src, cst.CSTNode))
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Divide, cst.Power)):
            return True
        if isinstance(expr, cst.Call):
            spec, _ = self.ranges.spec(expr)
            if spec is not None and spec.op in _NAN_MAKING:
                return True
            parts: list[cst.CSTNode] = [a.value for a in expr.args]
        elif isinstance(expr, cst.BinaryOperation):
            parts = [expr.left, expr.right]
        elif isinstance(expr, cst.UnaryOperation):
            parts = [expr.expression]
        else:
            return False
        return any(self._computes_nan(part, depth + 1) for part in parts)

    def _masked(self, node: cst.Call, bound: Bound) -> None:
        if bound.hazards:
            self._report(node, _hazard_cause(bound.hazards))

    def _report(self, node: cst.Call, cause: str) -> None:
        self.report(node, fn=code_of(node.func), cause=cause)


#: ops whose own result can be NaN/inf for finite inputs
_NAN_MAKING = frozenset({"log", "log1p", "log2", "log10", "sqrt", "rsqrt", "divide", "truediv", "pow",
                         "reciprocal", "xlogy", "xdivy", "log_softmax", "exp", "lgamma", "digamma",
                         "atan2", "floordiv"})


def _hazard_cause(hazards: frozenset[Hazard]) -> str:
    first = sorted(hazards, key=lambda h: code_of(h.node))[0]
    text = _short(first.node)
    if first.kind == "div":
        return f"the masked branch divides by a value that can be 0 (`{text}`)"
    return f"the masked branch computes {text}, whose derivative is inf at 0"


def _short(node: cst.CSTNode, limit: int = 40) -> str:
    text = " ".join(code_of(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
