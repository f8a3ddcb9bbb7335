"""TFS101 loss-returns-sequence."""

from __future__ import annotations

import ast

import libcst as cst

from tfshape_lint.analysis.losses import Context
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.values import Grad, Mark, Tag, Value
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._shape_fixes import ImportSpec, call, namespace, short

_SAME = "Keras stacks and averages the parts, so each term gets weight 1/{n}"
_SAME_NAMED = "Keras stacks and averages the parts, so each term is scaled down"
_DIFFERENT = "its parts differ in shape, so Keras raises when it stacks them"
_UNKNOWN = "Keras stacks it: an error if the parts differ in shape, their average if not"

#: operands that may stand on either side of ``+`` without parentheses
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float,
          cst.SimpleString, cst.List, cst.Tuple, cst.Dict)
_TIGHT = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Modulo,
          cst.MatrixMultiply, cst.Power)


class LossReturnsSequence(Rule):
    """## What it does
    Flags a loss that returns a Python list or tuple: a literal (`return [a, b]`,
    `return a, b`), a comprehension, or a name bound to one. Not for custom training loops,
    where `tape.gradient` of a list sums the gradients of its parts, nor for metrics, nor for
    a loss no `compile` of the file receives whose prediction it reads as a list of batches
    (see TFS105): Keras never passes a list, so its caller is a loop that unpacks the terms.

    ## Why is this bad?
    Keras packs a returned list with `tf.stack` (measured on TF 2.21 / Keras 3.15):
    - parts of different shapes (a scalar and a per-sample vector) raise
      `ValueError: Shapes must be equal rank, but are 0 and 1` in `fit`
      (`InvalidArgumentError ... [Op:Pack]` with `run_eagerly=True`);
    - parts of the same shape are stacked and then **averaged**: `[a, b]` trains on
      `(a + b) / 2`, silently halving each term (measured 0.948956 against the intended
      1.897912).
    A direct call returns the list without complaint, so unit tests pass.

    ## Example
    ```python
    def combined_loss(y_true, y_pred):
        mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        mae = tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
        return [mse, mae]
    ```

    ## Use instead
    ```python
    def combined_loss(y_true, y_pred):
        mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        mae = tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
        return mse + mae
    ```

    ## Fix safety
    Unsafe: the sum is what a multi-term loss means, but it doubles the value Keras reported
    for same-shaped parts (their mean), which changes the effective learning rate.

    ## Verification
    `--verify` runs one `fit` step: the stacking error, or a reported loss equal to the mean
    of the parts, confirms it.
    """

    code = "TFS101"
    name = "loss-returns-sequence"
    message = "loss returns a Python {kind}: {effect}; return one tensor, e.g. {hint}"
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    losses_only = True
    recipe = Recipe("fit_step", {}, "one fit step: stacking error or the mean of the parts")

    good = (
        Example("import tensorflow as tf\n"
                "\n"
                "\n"
                "def yolo_loss(y_true, y_pred, num_scales=3):\n"
                "    batch = tf.cast(tf.shape(y_pred[0])[0], tf.float32)\n"
                "    box_loss, conf_loss = 0.0, 0.0\n"
                "    for i in range(num_scales):\n"
                "        box_loss += tf.reduce_sum(tf.square(y_true[i][..., :4] - y_pred[i][..., :4])) / batch\n"
                "        conf_loss += tf.reduce_sum(tf.square(y_true[i][..., 4] - y_pred[i][..., 4])) / batch\n"
                "    return box_loss, conf_loss\n",
                note="a loss over a list of scales (it reads the batch size from y_pred[0]) is called by a custom loop, which unpacks the tuple of terms it returns"),
        Example("import tensorflow as tf\nfrom keras.src.losses import LossFunctionWrapper\n\n\n"
                "def tempered_loss(labels, activations):\n"
                "    @tf.custom_gradient\n"
                "    def _with_grad(logits):\n"
                "        probs = tf.nn.softmax(logits)\n"
                "        values = -tf.reduce_sum(labels * tf.math.log(probs + 1e-7), -1)\n\n"
                "        def grad(d):\n"
                "            return d[..., None] * (probs - labels)\n"
                "        return values, grad\n\n"
                "    values = _with_grad(activations)\n"
                "    return values\n\n\n"
                "def tempered(y_true, y_pred, t1):\n"
                "    return tempered_loss(y_true, y_pred)\n\n\n"
                "class Tempered(LossFunctionWrapper):\n"
                "    def __init__(self, t1=0.5, reduction=\"sum_over_batch_size\", name=\"tempered\"):\n"
                "        super().__init__(tempered, reduction=reduction, name=name, t1=t1)\n",
                note="a tf.custom_gradient function returns (value, gradient function); its callers get the value"),
        Example("import tensorflow as tf\n\n\n"
                "def confusion(y_true, y_pred):\n"
                "    p = tf.clip_by_value(y_pred, 0.0, 1.0)\n"
                "    tp = tf.reduce_sum(y_true * p)\n"
                "    prec = (tp + 1.0) / (tf.reduce_sum(p) + 1.0)\n"
                "    recall = (tp + 1.0) / (tf.reduce_sum(y_true) + 1.0)\n"
                "    return prec, recall\n",
                note="a confusion-matrix helper that returns precision and recall: a metric, never handed to Keras"),
        Example("import keras.backend as K\n\n\n"
                "def keras_socre(y_true, y_pred):\n"
                "    return 'keras_score', 1 - K.sum((y_pred - y_true) ** 2) / K.sum((y_pred - K.mean(y_true)) ** 2)\n",
                note="a scoring helper that returns a named result (name, value), as LightGBM's and XGBoost's "
                     "feval do: Keras can train on no such value, so it is reported as a metric, whatever its name"),
        Example("import tensorflow as tf\n\ndef combined(y_true, y_pred):\n"
                "    terms = [tf.reduce_mean(tf.square(y_true - y_pred), axis=-1),\n"
                "             tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)]\n"
                "    return tf.add_n(terms)\n",
                note="the parts are summed into one tensor"),
        Example("import tensorflow as tf\n\ndef compute_loss(labels, logits):\n"
                "    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))\n"
                "    return loss, tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1), labels), tf.float32))\n",
                note="a custom-loop helper returning (loss, accuracy)"),
        Example("import tensorflow as tf\n\ndef loss_fn(y_true, y_pred):\n"
                "    return [tf.square(y_true - y_pred), tf.abs(y_true - y_pred)]\n\n"
                "for x, y in data:\n"
                "    with tf.GradientTape() as tape:\n"
                "        losses = loss_fn(y, model(x))\n"
                "    grads = tape.gradient(losses, model.trainable_variables)\n",
                note="a custom loop: tape.gradient sums the list"),
        Example("import tensorflow as tf\n\ndef align(y_true, y_pred):\n"
                "    return tf.reshape(y_true, tf.shape(y_pred)), y_pred\n",
                note="a preprocessing helper that returns the inputs"),
        Example("import tensorflow as tf\n\ndef pair_metric(y_true, y_pred):\n"
                "    return [tf.reduce_mean(y_true), tf.reduce_mean(y_pred)]\n\n"
                "model.compile(loss='mse', metrics=[pair_metric])\n",
                note="a metric"),
        Example("import tensorflow as tf\n\n"
                "def split_parts(y_true, y_pred):\n"
                "    return y_true[..., 0], y_true[..., 1], y_pred[..., 0], y_pred[..., 1]\n\n"
                "def weibull_loss(y_true, y_pred):\n"
                "    y, u, a, b = split_parts(y_true, y_pred)\n"
                "    return -tf.reduce_mean(u * tf.math.log(b + 1e-7) - (y / (a + 1e-7)) ** b, axis=-1)\n",
                note="a (y_true, y_pred) helper whose only call unpacks its parts inside the loss"),
        Example("from keras import backend as K\n\n"
                "class WeibullLoss:\n"
                "    def loss_function(self, y_true, y_pred):\n"
                "        def split(y_true, y_pred):\n"
                "            return y_true[..., 0], y_true[..., 1], y_pred[..., 0], y_pred[..., 1]\n"
                "        y, u, a, b = split(y_true, y_pred)\n"
                "        return -K.mean(u * K.log(b + 1e-7) - K.pow((y + 1e-7) / (a + 1e-7), b), axis=-1)\n\n"
                "model.compile(loss=WeibullLoss().loss_function, optimizer='adam')\n",
                note="the same helper nested in the loss method"),
    )
    bad = (
        Example("import tensorflow as tf\nfrom tensorflow import keras\n\ndef list_loss(y_true, y_pred):\n"
                "    mse = tf.reduce_mean(tf.square(y_true - y_pred))\n"
                "    return [mse, keras.losses.categorical_crossentropy(y_true, y_pred)]\n\n"
                "model.compile(optimizer='sgd', loss=list_loss)\n",
                fixed="import tensorflow as tf\nfrom tensorflow import keras\n\ndef list_loss(y_true, y_pred):\n"
                      "    mse = tf.reduce_mean(tf.square(y_true - y_pred))\n"
                      "    return mse + keras.losses.categorical_crossentropy(y_true, y_pred)\n\n"
                      "model.compile(optimizer='sgd', loss=list_loss)\n",
                line=6, message="loss returns a Python list: its parts differ in shape, so Keras raises "
                                "when it stacks them; return one tensor, e.g. mse + keras.losses.categorical_crossentropy(y_true, y_pred)"),
        Example("import tensorflow as tf\n\nclass TwoTerm(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        a = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "        b = tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n"
                "        return a, 0.1 * b\n",
                fixed="import tensorflow as tf\n\nclass TwoTerm(tf.keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        a = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                      "        b = tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n"
                      "        return a + 0.1 * b\n",
                line=7, message="loss returns a Python tuple: Keras stacks and averages the parts, so each "
                                "term gets weight 1/2; return one tensor, e.g. a + 0.1 * b"),
        Example("from keras import ops\n\ndef make_loss(weights):\n"
                "    def loss(y_true, y_pred):\n"
                "        terms = [w * ops.mean(ops.square(y_true - y_pred), axis=-1) for w in weights]\n"
                "        return terms\n"
                "    return loss\n\n"
                "model.compile(optimizer='adam', loss=make_loss([1.0, 0.5]))\n",
                fixed="from keras import ops\n\ndef make_loss(weights):\n"
                      "    def loss(y_true, y_pred):\n"
                      "        terms = [w * ops.mean(ops.square(y_true - y_pred), axis=-1) for w in weights]\n"
                      "        return sum(terms)\n"
                      "    return loss\n\n"
                      "model.compile(optimizer='adam', loss=make_loss([1.0, 0.5]))\n",
                line=6, note="a comprehension bound to a name, in a factory"),
        Example("import tensorflow.keras.backend as K\n\n"
                "model.compile(optimizer='adam',\n"
                "              loss=lambda y_true, y_pred: [K.mean(K.square(y_true - y_pred), axis=-1),\n"
                "                                           K.mean(K.abs(y_true - y_pred), axis=-1)])\n",
                fixed="import tensorflow.keras.backend as K\n\n"
                      "model.compile(optimizer='adam',\n"
                      "              loss=lambda y_true, y_pred: K.mean(K.square(y_true - y_pred), axis=-1) + K.mean(K.abs(y_true - y_pred), axis=-1))\n",
                line=4, note="a lambda in compile"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    parts = [tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)]\n"
                "    parts.append(tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1))\n"
                "    return parts\n",
                fixed="import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                      "    parts = [tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)]\n"
                      "    parts.append(tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1))\n"
                      "    return sum(parts)\n",
                line=6, note="a list built up with append: its parts' shapes are not all known, so the "
                             "fix is sum(), which broadcasts where tf.add_n would need equal shapes"),
        Example("import tensorflow as tf\n\ndef make_loss(scales):\n"
                "    def loss(y_true, y_pred):\n"
                "        terms = []\n"
                "        for s in scales:\n"
                "            terms.append(s * tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1))\n"
                "        return terms\n"
                "    return loss\n\n"
                "model.compile(optimizer='adam', loss=make_loss([1.0, 2.0]))\n",
                fixed="import tensorflow as tf\n\ndef make_loss(scales):\n"
                      "    def loss(y_true, y_pred):\n"
                      "        terms = []\n"
                      "        for s in scales:\n"
                      "            terms.append(s * tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1))\n"
                      "        return sum(terms)\n"
                      "    return loss\n\n"
                      "model.compile(optimizer='adam', loss=make_loss([1.0, 2.0]))\n",
                line=8, note="an empty list filled in a loop"),
    )

    def applies(self, loss: Scope) -> bool:
        if not super().applies(loss) or loss.is_helper or loss.context is Context.DIRECT:
            return False
        if self._unpacked_by_its_caller(loss) or self._takes_list_of_heads(loss):
            return False
        # found by signature only: the Keras convention, not (labels, logits) loop helpers
        return loss.context is not Context.UNKNOWN or loss.spec.params[:2] == ("y_true", "y_pred")

    def _takes_list_of_heads(self, loss: Scope) -> bool:
        """A loss no ``compile`` here receives whose prediction is a list of batches (it reads
        ``y_pred[0]`` as a whole batch): Keras never passes a list, so its caller is a custom
        loop, which gets the tuple of terms back as it is (RetinaFace's multibox loss returns its
        box, landmark and class terms, held-out round 45)."""
        pred = loss.spec.predictions
        value = loss.params.get(pred) if pred is not None else None
        return loss.context is Context.UNKNOWN and value is not None and value.has(Tag.BATCHES)

    def _unpacked_by_its_caller(self, loss: Scope) -> bool:
        """The file's only call of this function unpacks what it returns (``y, u, a, b =
        split(y_true, y_pred)`` in the loss that calls it): it hands parts to a loss and is no
        loss itself, whatever its signature."""
        spec = loss.spec
        if not spec.path or spec.lambda_ordinal is not None:
            return False
        lines = self._unpacking_calls().get(spec.path[-1], [])
        if len(spec.path) == 1:
            return bool(lines) and spec.caller is not None
        # a helper nested in the function that calls it (``def keras_split(y_true, y_pred)``
        # inside WTTE's ``loss_function``): the call is in that function's body
        parents = [f.node for f in self.index.functions.get(spec.path[-2], []) if f.path == spec.path[:-1]]
        return any(parent.lineno <= line <= (parent.end_lineno or parent.lineno)
                   for parent in parents[:1] for line in lines)

    def _unpacking_calls(self) -> dict[str, list[int]]:
        """Lines of ``a, b = name(...)`` in the file, per called bare name (once per file)."""
        cached: tuple[object, dict[str, list[int]]] | None = getattr(self, "_unpacked_in", None)
        if cached is not None and cached[0] is self.index:
            return cached[1]
        found: dict[str, list[int]] = {}
        for node in self.index.assignments():
            if len(node.targets) == 1 \
                    and isinstance(node.targets[0], (ast.Tuple, ast.List)) and isinstance(node.value, ast.Call) \
                    and isinstance(node.value.func, ast.Name):
                found.setdefault(node.value.func.id, []).append(node.lineno)
        self._unpacked_in = (self.index, found)
        return found

    def check_loss(self, loss: Scope) -> None:
        for expr, value in loss.returns:
            if not _is_sequence(value):
                continue
            parts = self._parts(expr, value)
            if parts is not None and not self._loss_like(parts):
                continue
            self._report(expr, value, parts)

    def _parts(self, expr: cst.BaseExpression, value: Value) -> list[Value] | None:
        """The values of the literal's elements (None for a comprehension or an unknown list)."""
        literals = [n for n in value.marked(Mark.SEQUENCE_LITERAL) if isinstance(n, (cst.List, cst.Tuple))]
        if len(literals) != 1 or self.loss is None:
            return None
        out: list[Value] = []
        for el in literals[0].elements:
            found = self.loss.find(el.value)
            if found is None or isinstance(el, cst.StarredElement):
                return None
            out.append(found)
        return out

    def _loss_like(self, parts: list[Value]) -> bool:
        """In files that never show the context, require a part that looks like a loss term."""
        if self.loss is None or self.loss.context is not Context.UNKNOWN:
            return True
        if any(p.has(Tag.INPUT) for p in parts):
            return False
        return any(p.grad is Grad.DIFF and _reduced(p) for p in parts)

    def _report(self, expr: cst.BaseExpression, value: Value, parts: list[Value] | None) -> None:
        shapes = {_shape(p) for p in parts} if parts else {None}
        differ = None not in shapes and len(shapes) > 1
        same = None not in shapes and len(shapes) == 1
        if differ:
            effect, severity = _DIFFERENT, Severity.ERROR
        elif same and parts:
            literal = isinstance(expr, (cst.List, cst.Tuple))
            effect = _SAME.format(n=len(parts)) if literal else _SAME_NAMED
            severity = Severity.WARNING
        else:
            effect, severity = _UNKNOWN, Severity.WARNING
        fix, imports = self._fix(expr, same)
        kind = "tuple" if isinstance(expr, cst.Tuple) else "list"
        hint = short(fix, 70) if fix is not None else "tf.add_n([...])"
        self.report(expr, kind=kind, effect=effect, hint=hint, fix=fix, fix_imports=imports,
                    severity=severity)

    def _fix(self, expr: cst.BaseExpression, same: bool) -> tuple[cst.BaseExpression | None, tuple[ImportSpec, ...]]:
        if isinstance(expr, (cst.List, cst.Tuple)):
            items = [el.value for el in expr.elements if not isinstance(el, cst.StarredElement)]
            if len(items) != len(expr.elements) or not items:
                return None, ()
            return _sum_of(items).with_changes(lpar=expr.lpar, rpar=expr.rpar) if len(items) > 1 \
                else items[0], ()
        if isinstance(expr, (cst.Name, cst.ListComp)):
            ns = namespace(self.index)
            if same and ns.add_n is not None and not ns.imports:
                return call(ns.add_n, expr), ()
            return call("sum", expr), ()
        return None, ()


def _is_sequence(value: Value) -> bool:
    """A Python list/tuple of loss terms: computed from the inputs (also through ``append``),
    or an empty list filled in a way the analysis does not follow."""
    if value.tensor or not value.has(Tag.SEQUENCE):
        return False
    return value.grad is not Grad.NONE or bool(value.origin) or value.length == 0


def _reduced(value: Value) -> bool:
    """A loss term: a scalar, a per-sample vector, or a built-in loss function's result."""
    return value.rank == 0 or (value.rel is not None and value.rel < 0) or value.has(Tag.PER_SAMPLE)


def _shape(value: Value) -> tuple[str, int] | None:
    if value.rel is not None:
        return ("rel", value.rel)
    if value.rank is not None:
        return ("rank", value.rank)
    return None


def _operand(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` ready to stand next to ``+``: single-line, parenthesised when it binds looser."""
    if getattr(node, "lpar", None):
        return node
    if isinstance(node, _ATOMS) or (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _TIGHT)):
        return node
    if isinstance(node, cst.UnaryOperation) and not isinstance(node.operator, cst.Not):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _sum_of(items: list[cst.BaseExpression]) -> cst.BinaryOperation:
    result: cst.BaseExpression = _operand(items[0])
    for item in items[1:]:
        result = cst.BinaryOperation(left=result, operator=cst.Add(), right=_operand(item))
    assert isinstance(result, cst.BinaryOperation)
    return result
