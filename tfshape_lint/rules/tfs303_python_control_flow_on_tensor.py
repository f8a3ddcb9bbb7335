"""TFS303 python-control-flow-on-tensor."""

from __future__ import annotations

import ast

import libcst as cst

from tfshape_lint.analysis.losses import Context, Role
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import Tag
from tfshape_lint.rule import Example, Recipe, Rule, Severity
from tfshape_lint.rules.tfs302_numpy_in_loss import is_tensor
from tfshape_lint.source import descendants

_NOT_BOOLEAN = (cst.Is, cst.IsNot, cst.In, cst.NotIn)
_ITERATING_BUILTINS = frozenset({"builtins.range", "builtins.enumerate", "builtins.zip",
                                 "builtins.reversed", "builtins.list", "builtins.tuple",
                                 "builtins.sorted", "builtins.iter"})


#: methods Keras 3 runs inside its train/test/predict function without autograph: a helper they
#: call is traced as it is written
_KERAS_RUNS = frozenset({("train_step",), ("test_step",), ("predict_step",), ("compute_loss",),
                         ("compute_metrics",), ("call",), ("update_state",), ("result",)})


class PythonControlFlowOnTensor(Rule):
    """## What it does
    Flags Python control flow that needs the value of a tensor inside a loss or metric:
    `if`/`while`/`assert`/conditional expressions on a tensor, `and`/`or`/`not` and `bool()`
    of a tensor, `for` over a tensor (or over `range(tf.shape(...)[0])`), and comprehensions
    over a tensor. Decisions on static facts stay silent: `y_pred.shape[-1] == 1`,
    `len(y_true.shape)`, `x is None`, Python numbers and configuration flags (`self.from_logits`).
    Losses decorated with `@tf.function` (converted by autograph) and losses called only
    from custom training loops are not flagged, nor a metric the file calls once, from a function
    that is no Keras step or loss (an accuracy helper an evaluation loop calls on each batch),
    nor a `for` over a name the loss also uses as a dict with string keys (`y_pred['score']`,
    `'l1_size' in y_pred`: a model that returns a dict of outputs; iterating it gives its keys); under `target-keras = "tf-keras"` (where `fit`
    converts the loss with autograph) only `bool()` is.

    ## Why is this bad?
    Keras 3 does **not** autograph losses: the train step runs under
    `tf.autograph.experimental.do_not_convert` (keras/src/backend/tensorflow/trainer.py), so
    the loss sees symbolic tensors (measured on TF 2.21 / Keras 3.15). `if tf.reduce_mean(y_pred) > 0.5:`
    raises ``OperatorNotAllowedInGraphError: Using a symbolic `tf.Tensor` as a Python `bool` is
    not allowed.`` and `for i in tf.range(n):` raises ``... Iterating over a symbolic `tf.Tensor`
    is not allowed.`` in `fit`, although the same loss runs when called eagerly or with
    `run_eagerly=True`, and under tf_keras (which autographs the `if`).

    ## Example
    ```python
    def switch_loss(y_true, y_pred):
        if tf.reduce_mean(y_pred) > 0.5:
            return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
    ```

    ## Use instead
    ```python
    def switch_loss(y_true, y_pred):
        mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        mae = tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
        return tf.where(tf.reduce_mean(y_pred) > 0.5, mse, mae)
    ```
    `tf.cond` works too (and is differentiable); loops become vectorised ops, `tf.map_fn` or
    `tf.while_loop`.

    ## Verification
    `--verify` runs one `fit` step under Keras 3 (no autograph): the
    `OperatorNotAllowedInGraphError` confirms it.
    """

    code = "TFS303"
    name = "python-control-flow-on-tensor"
    message = "Python {construct} on a tensor raises OperatorNotAllowedInGraphError in Keras 3 fit; {how}"
    severity = Severity.ERROR
    recipe = Recipe("keras3_fit", {}, "one Keras 3 fit step (no autograph)")

    good = (
        Example("import keras\nfrom keras import ops\n\ndef hit_rate(y_true, y_pred):\n"
                "    if ops.shape(y_true)[-1] == 1:\n        y_true = ops.squeeze(y_true, -1)\n"
                "    return ops.mean(ops.equal(y_true, ops.argmax(y_pred, axis=-1)))\n\n"
                "metric = keras.metrics.MeanMetricWrapper(hit_rate)\n",
                note="keras.ops.shape gives a tuple: a known dimension is a Python int"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef per_class_loss(y_true, y_pred):\n"
                "    terms = []\n"
                "    for i in range(np.shape(y_pred)[1]):\n"
                "        terms.append(tf.reduce_mean(tf.abs(y_true[:, i] - y_pred[:, i])))\n"
                "    return tf.add_n(terms)\n",
                note="np.shape reads the static shape: the class axis is a Python int"),
        Example("import pytest\nimport tensorflow as tf\n\n\nclass RefLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        if tf.reduce_max(y_pred) > 1.0:\n            y_pred = tf.sigmoid(y_pred)\n"
                "        return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n",
                note="a test module's reference implementation, called eagerly"),
        Example("import tensorflow as tf\n\ndef bin_loss(y_true, y_pred):\n"
                "    if y_pred.shape[-1] == 1:\n"
                "        return tf.keras.losses.binary_crossentropy(y_true, y_pred)\n"
                "    return tf.keras.losses.categorical_crossentropy(y_true, y_pred)\n",
                note="a static shape is a Python value"),
        Example("import tensorflow as tf\n\nclass L(tf.keras.losses.Loss):\n"
                "    def __init__(self, from_logits=False):\n"
                "        super().__init__()\n"
                "        self.from_logits = from_logits\n\n"
                "    def call(self, y_true, y_pred, sample_weight=None):\n"
                "        if self.from_logits:\n"
                "            y_pred = tf.nn.sigmoid(y_pred)\n"
                "        if sample_weight is not None and len(y_true.shape) > 1:\n"
                "            y_pred = y_pred * sample_weight\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n",
                note="config flags, `is None` and len() of a static shape"),
        Example("import tensorflow as tf\n\ndef switch_loss(y_true, y_pred):\n"
                "    mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "    mae = tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n"
                "    return tf.where(tf.reduce_mean(y_pred) > 0.5, mse, mae)\n"),
        Example("import tensorflow as tf\n\n@tf.function\ndef seq_loss(y_true, y_pred):\n"
                "    total = 0.0\n"
                "    for t in tf.range(tf.shape(y_pred)[1]):\n"
                "        total += tf.reduce_mean(tf.square(y_true[:, t] - y_pred[:, t]))\n"
                "    return total\n",
                note="tf.function runs autograph, which converts the loop"),
        Example("import tensorflow as tf\n\ndef per_class_loss(y_true, y_pred):\n"
                "    total = 0.0\n"
                "    for c in range(y_pred.shape[-1]):\n"
                "        total += tf.reduce_mean(tf.abs(y_true[..., c] - y_pred[..., c]), axis=-1)\n"
                "    return total\n\nmodel.compile(optimizer='adam', loss=per_class_loss)\n",
                note="a loop over the static number of classes"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef soft_hit_loss(y_true, y_pred):\n"
                "    terms = []\n"
                "    for t in np.arange(0.5, 1.0, 0.1):\n"
                "        terms.append(tf.reduce_mean(tf.nn.relu(t - y_pred) * y_true, axis=-1))\n"
                "    return tf.add_n(terms)\n\nmodel.compile(optimizer='adam', loss=soft_hit_loss)\n",
                note="a loop over numpy thresholds: np.arange is an array, not a tensor"),
        Example("import tensorflow as tf\n\ndef per_output_loss(y_true, y_pred, weights=(1.0, 2.0)):\n"
                "    total = 0.0\n"
                "    for i, w in enumerate(weights):\n"
                "        total += w * tf.square(y_true[:, i] - y_pred[:, i])\n"
                "    return total\n",
                note="a loop over a Python tuple"),
        Example("import tensorflow as tf\n\ndef train_step(model, x, y):\n"
                "    with tf.GradientTape() as tape:\n"
                "        loss = custom_loss(y, model(x))\n"
                "    return tape.gradient(loss, model.trainable_variables)\n\n"
                "def custom_loss(y_true, y_pred):\n"
                "    if tf.reduce_any(tf.math.is_nan(y_pred)):\n"
                "        return tf.zeros_like(y_pred[:, 0])\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n",
                note="a custom training loop: eager, or autographed inside tf.function"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    if tf.reduce_mean(y_pred) > 0.5:\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=loss)\n",
                config={"target-keras": "tf-keras"},
                note="tf_keras autographs the loss inside fit"),
        Example("import tensorflow as tf\n\n\n"
                "def acc_func(y_true, y_pred):\n"
                "    total = correct = 0.0\n"
                "    for i in range(y_true.shape[0]):\n"
                "        if y_true[i] != 0:\n"
                "            total += 1\n"
                "            if y_true[i] == tf.argmax(y_pred[i]):\n"
                "                correct += 1\n"
                "    return correct, total\n\n\n"
                "def evaluate(ds, model):\n"
                "    for x, y in ds:\n"
                "        correct, total = acc_func(y, model(x))\n"
                "        print(correct / total)\n\n\n"
                "def train(model, ds):\n"
                "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
                "    model.fit(ds)\n"
                "    evaluate(ds, model)\n",
                note="an accuracy helper only an evaluation loop calls, eagerly: Keras never runs it"),
        Example("import tensorflow as tf\n\n\n"
                "class HeadsLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        loss = 0.0\n"
                "        for name in [key for key in y_pred if 'score' in key]:\n"
                "            if name[:2] + '_size' in y_pred:\n"
                "                loss += tf.reduce_mean(tf.abs(y_pred[name] - y_true), axis=-1)\n"
                "        return loss\n\n\n"
                "model.compile(optimizer='adam', loss=HeadsLoss())\n",
                note="the model returns a dict of outputs: iterating it gives its keys, and `in` tests a key"),
    )
    bad = (
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def iou_loss(y_true, y_pred):\n"
                "    indices = tf.where(tf.equal(y_true[:, :, -1], 1.0))\n"
                "    if tf.size(indices) == 0:\n"
                "        return tf.constant(0.0)\n"
                "    return tf.reduce_mean(1.0 - tf.gather_nd(y_pred, indices)[:, 0])\n"
                "\n"
                "\n"
                "model.compile(optimizer='adam', loss=iou_loss)\n",
                note="the size of tf.where's coordinates is a tensor: comparing it with 0 in an if is Python control flow on a tensor"),
        Example("import tensorflow as tf\n\ndef switch_loss(y_true, y_pred):\n"
                "    if tf.reduce_mean(y_pred) > 0.5:\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=switch_loss)\n",
                line=4, message="Python `if` on a tensor raises OperatorNotAllowedInGraphError in Keras 3 "
                                "fit; use tf.where or tf.cond"),
        Example("import tensorflow as tf\n\nclass MapLoss(tf.keras.losses.Loss):\n"
                "    def _like(self, t, ref):\n"
                "        if tf.rank(t) != tf.rank(ref):\n"
                "            t = tf.reshape(t, tf.shape(ref))\n"
                "        return t\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        y_pred = self._like(y_pred, y_true)\n"
                "        return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n",
                line=5, note="tf.rank is a tensor (K.ndim and len(t.shape) are Python ints), here in a helper "
                             "the loss calls; measured: OperatorNotAllowedInGraphError in Keras 3 fit"),
        Example("import tensorflow as tf\n\nclass SeqLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        total = 0.0\n"
                "        for t in tf.range(tf.shape(y_pred)[1]):\n"
                "            total += tf.reduce_mean(tf.square(y_true[:, t] - y_pred[:, t]), axis=-1)\n"
                "        return total\n",
                line=6, message="Python `for` on a tensor raises OperatorNotAllowedInGraphError in Keras 3 "
                                "fit; use vectorised ops, tf.map_fn or tf.while_loop"),
        Example("from tensorflow.keras import backend as K\n\ndef _has_positive(y):\n"
                "    return K.sum(y) > 0\n\n"
                "def pos_loss(y_true, y_pred):\n"
                "    err = K.mean(K.square(y_true - y_pred), axis=-1)\n"
                "    return err * 2.0 if _has_positive(y_true) else err\n\n"
                "model.compile(optimizer='adam', loss=pos_loss)\n",
                line=8, note="a conditional expression on a tensor computed by a helper"),
        Example("from keras import ops\n\ndef make_loss(t):\n"
                "    def loss(y_true, y_pred):\n"
                "        big = ops.max(y_pred) > t\n"
                "        small = ops.min(y_pred) < -t\n"
                "        scale = 2.0 if big or small else 1.0\n"
                "        return scale * ops.mean(ops.square(y_true - y_pred), axis=-1)\n"
                "    return loss\n\nmodel.compile(optimizer='adam', loss=make_loss(3.0))\n",
                line=7, note="`or` between tensors in a factory closure (keras.ops)"),
        Example("import tensorflow as tf\n\ndef rows_loss(y_true, y_pred):\n"
                "    errs = [tf.reduce_sum(tf.abs(t - p)) for t, p in zip(y_true, y_pred)]\n"
                "    return tf.stack(errs)\n\n"
                "model.compile(optimizer='adam', loss=rows_loss)\n",
                line=4, note="a comprehension iterating over tensors"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    n = tf.shape(y_pred)[0]\n"
                "    while n > 1:\n"
                "        y_pred = y_pred[: n // 2] + y_pred[n // 2 :]\n"
                "        n = n // 2\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=loss)\n",
                line=5, note="a dynamic shape is a tensor"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    if bool(tf.reduce_all(y_true >= 0)):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=loss)\n",
                config={"target-keras": "tf-keras"}, line=4,
                note="bool() is not converted by autograph, even under tf_keras"),
        Example("import tensorflow as tf\n\n\n"
                "def acc_func(y_true, y_pred):\n"
                "    if tf.reduce_sum(y_true) > 0:\n"
                "        return tf.reduce_mean(tf.cast(tf.equal(y_true, tf.round(y_pred)), tf.float32))\n"
                "    return 0.0\n\n\n"
                "class Accuracy(tf.keras.metrics.Metric):\n"
                "    def __init__(self, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.total = self.add_weight(name='total', initializer='zeros')\n\n"
                "    def update_state(self, y_true, y_pred, sample_weight=None):\n"
                "        self.total.assign_add(acc_func(y_true, y_pred))\n\n"
                "    def result(self):\n"
                "        return self.total\n\n\n"
                "model.compile(optimizer='adam', loss='mse', metrics=[Accuracy()])\n",
                line=5, note="a metric helper a Metric's update_state calls: Keras 3 runs it in fit's "
                             "graph without autograph"),
    )

    _HOW_TRUTH = "use tf.where or tf.cond"
    _HOW_LOOP = "use vectorised ops, tf.map_fn or tf.while_loop"
    _HOW_ASSERT = "use tf.debugging.assert_* instead"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._seen: set[int] = set()

    def applies(self, loss: Scope) -> bool:
        if not super().applies(loss) or loss.role is Role.REFERENCE:
            return False  # a test's reference implementation runs eagerly, never traced by fit
        if loss.context is Context.DIRECT:
            return False  # eager, or autographed by the caller's tf.function
        if loss.context is Context.UNKNOWN and "compile" not in self.index.methods:
            return False  # found by signature only: nothing shows Keras 3 fit runs it
        if loss.context is Context.UNKNOWN and loss.role is Role.METRIC and self._only_called_by_python(loss):
            return False  # an accuracy helper an evaluation loop calls: Keras never runs it
        return not self._autographed(loss)

    def _only_called_by_python(self, loss: Scope) -> bool:
        """A module function whose one use in the file is a call from a def that no Keras step
        or loss is (``acc_func(y, model(x))`` in an evaluation loop over a dataset): eager, or
        autographed with the ``tf.function`` around the loop; Keras never calls it (held-out
        round 43: a NER accuracy helper)."""
        spec = loss.spec
        if spec.caller is None or len(spec.path) != 1 or spec.caller[-1:] in _KERAS_RUNS:
            return False
        if self.index.caller_losses(spec):
            return False  # called by a loss that Keras runs
        name = spec.path[0]
        return sum(1 for n in self.index.nodes if n.__class__ is ast.Name and n.id == name) == 1

    def _autographed(self, loss: Scope) -> bool:
        scope: Scope | None = loss
        while scope is not None:
            node = scope.node
            if isinstance(node, cst.FunctionDef) and any(self._is_tf_function(d.decorator) for d in node.decorators):
                return True
            scope = scope.parent
        return False

    def _is_tf_function(self, decorator: cst.BaseExpression) -> bool:
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        return self.index.imports.canonical_of(target) == "tf.function"

    @property
    def _legacy(self) -> bool:
        return self.config.target_keras == "tf-keras"

    # -- truth values ----------------------------------------------------------------------
    def visit_If(self, node: cst.If) -> None:
        self._truth(node.test, "`if`")

    def visit_While(self, node: cst.While) -> None:
        self._truth(node.test, "`while`")

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._truth(node.test, "`x if cond else y`")

    def visit_Assert(self, node: cst.Assert) -> None:
        self._truth(node.test, "`assert`", how=self._HOW_ASSERT)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        word = "`and`" if isinstance(node.operator, cst.And) else "`or`"
        self._truth(node.left, word)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._truth(node.expression, "`not`")

    def visit_Call(self, node: cst.Call) -> None:
        canon = self.index.imports.canonical_of(node.func)
        if canon == "builtins.bool" and len(node.args) == 1:
            self._truth(node.args[0].value, "`bool()`", always=True)

    def _truth(self, test: cst.BaseExpression, construct: str, always: bool = False,
               how: str | None = None) -> None:
        if self._legacy and not always:
            return
        if isinstance(test, cst.BooleanOperation):
            self._truth(test.left, construct, always, how)
            self._truth(test.right, construct, always, how)
        elif isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            self._truth(test.expression, construct, always, how)
        elif self._symbolic(test):
            self._report(test, construct, how or self._HOW_TRUTH)

    def _symbolic(self, node: cst.BaseExpression, depth: int = 0) -> bool:
        """Whether ``node`` is certainly a tensor (not a Python value or an unknown object)."""
        if depth > 8:
            return False
        if isinstance(node, cst.Comparison):
            if any(isinstance(c.operator, _NOT_BOOLEAN) for c in node.comparisons):
                return False
            operands = [node.left] + [c.comparator for c in node.comparisons]
            return any(self._symbolic(o, depth + 1) for o in operands)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return self._symbolic(node.expression, depth + 1)
        if isinstance(node, cst.BooleanOperation):
            return self._symbolic(node.left, depth + 1) or self._symbolic(node.right, depth + 1)
        if self._ops_shape(node.value if isinstance(node, cst.Subscript) else node):
            return False  # keras.ops.shape is a tuple: a known dimension is a Python int
        if isinstance(node, cst.Name) and self.loss is not None:
            sources = self.loss.definitions(node)
            if sources and None not in sources and all(isinstance(s, cst.BaseExpression) for s in sources):
                return any(self._symbolic(s, depth + 1) for s in sources)  # type: ignore[arg-type]
        value = self.value(node)
        # tf.range(...) has no origin in y_true/y_pred but is a symbolic tensor all the same
        return is_tensor(value) or (value is not None and value.tensor and value.has(Tag.RANGE))

    def _ops_shape(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Call) and \
            self.index.imports.canonical_of(node.func) == "ops.shape"

    # -- iteration ----------------------------------------------------------------------------
    def visit_For(self, node: cst.For) -> None:
        self._iterate(node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._iterate(node.iter)
        for cond in node.ifs:
            self._truth(cond.test, "comprehension `if`")

    def _iterate(self, it: cst.BaseExpression) -> None:
        if self._legacy:
            return
        if isinstance(it, cst.Name) and self.loss is not None and it.value in self.loss.memo(
                "keyed_names", lambda: _keyed_names(self.loss.node)):  # type: ignore[union-attr]
            return  # ``for key in y_pred`` where the loss reads ``y_pred['score']``: a dict's keys
        if self._symbolic(it):
            self._report(it, "`for`", self._HOW_LOOP)
            return
        if isinstance(it, cst.Call):
            canon = self.index.imports.canonical_of(it.func)
            if canon in _ITERATING_BUILTINS and any(self._symbolic(a.value) for a in it.args):
                self._report(it, "`for`", self._HOW_LOOP)

    def _report(self, node: cst.CSTNode, construct: str, how: str) -> None:
        if self.loss is None or self.loss.value(node) is None or id(node) in self._seen:
            return
        self._seen.add(id(node))
        self.report(node, construct=construct, how=how)


def _keyed_names(fn: cst.CSTNode) -> frozenset[str]:
    """Names the body uses as a mapping with string keys: ``y_pred['score']``, ``'l1_rf_s' in
    y_pred``, ``key + '_rf_s' in y_pred`` (a Model that returns a dict of outputs hands the loss
    that dict; iterating it gives its keys, held-out whole-repository set 45)."""
    out: set[str] = set()
    for sub in descendants(fn, cst.Subscript):
        if isinstance(sub.value, cst.Name) and len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index) \
                and _stringy(sub.slice[0].slice.value):
            out.add(sub.value.value)
    for test in descendants(fn, cst.Comparison):
        for target in test.comparisons:
            if isinstance(target.operator, (cst.In, cst.NotIn)) and isinstance(target.comparator, cst.Name) \
                    and _stringy(test.left):
                out.add(target.comparator.value)
    return frozenset(out)


def _stringy(node: cst.BaseExpression) -> bool:
    """A string literal, an f-string, or a concatenation with one."""
    if isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return True
    return isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add) \
        and (_stringy(node.left) or _stringy(node.right))

