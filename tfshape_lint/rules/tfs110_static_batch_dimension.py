"""TFS110 static-batch-dimension."""

from __future__ import annotations

import ast
import re

import libcst as cst

from tfshape_lint.analysis.imports import ast_dotted
from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.analysis.losses import Context
from tfshape_lint.analysis.ops import Kind, lookup
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.analysis.tracing import static_batch_at_every_call
from tfshape_lint.analysis.values import DType, Mark, Tag, Value
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._numpy import tensor_code
from tfshape_lint.source import code_of as _code, descendants

ImportSpec = tuple[str, str | None, str | None]

#: how a use of the static batch size constrains the fix
NEUTRAL = "neutral"  # int arithmetic, tf.cast: works with a Python int or an int32 tensor
SHAPE = "shape"  # reshape/zeros/range and other tensor ops: need an int tensor
FLOAT = "float"  # arithmetic with a float: needs a cast of the dynamic size
PYTHON = "python"  # range(), int(), numpy, tf.constant: needs a Python int; no automatic fix

_PYTHON_BUILTINS = frozenset({"builtins.range", "builtins.int", "builtins.float", "builtins.min",
                              "builtins.max", "builtins.sum", "builtins.abs", "builtins.round",
                              "builtins.divmod", "builtins.pow"})
_NOT_USES = frozenset({"tf.print", "K.print_tensor", "tf.TensorShape", "tf.ensure_shape",
                       "tf.compat.dimension_value", "tf.debugging.assert_equal"})
_PY_ONLY_KINDS = frozenset({Kind.CONSTANT})
#: ``.batch(n, drop_remainder=True)``: every batch the file's pipeline makes has the static size
_DROP_REMAINDER = re.compile(r"\bdrop_remainder\s*=\s*True\b")
#: ops that call a function once per element of axis 0: there, axis 0 is not the batch
_MAP_FNS = frozenset({"tf.map_fn", "tf.vectorized_map", "K.map_fn", "ops.map", "ops.vectorized_map",
                      "tf.scan", "tf.foldl", "tf.foldr", "K.foldl", "K.foldr"})
_TF = ("tensorflow", "tensorflow.compat.v2")
_OPS = ("keras.ops", "keras._tf_keras.keras.ops", "tensorflow.keras.ops")
_BACKEND = ("tensorflow.keras.backend", "keras._tf_keras.keras.backend", "tf_keras.backend",
            "tensorflow.python.keras.backend")


#: a custom-loop loss dividing by the static batch size, and the rule's fix of it
_TRAJECTORY = ("import tensorflow as tf\n\n\n"
               "def trajectory_loss(real, pred):\n"
               "    return tf.reduce_sum(tf.square(pred - real)) / real.shape[0]\n\n\n")
_TRAJECTORY_FIXED = _TRAJECTORY.replace("/ real.shape[0]", "/ tf.cast(tf.shape(real)[0], pred.dtype)")
#: a loop over the data inside a ``tf.function``: the batches it traces have the batch axis None
_EPOCH_IN_GRAPH = ("@tf.function\n"
                   "def train_epoch(dataset):\n"
                   "    for inp, tar in dataset:\n"
                   "        with tf.GradientTape() as tape:\n"
                   "            loss = trajectory_loss(tar, model(inp, training=True))\n"
                   "        grads = tape.gradient(loss, model.trainable_variables)\n"
                   "        optimizer.apply_gradients(zip(grads, model.trainable_variables))\n")


def _per_batch_step(decorator: str) -> str:
    """A train step under ``decorator``, called by an eager loop once per batch."""
    return (f"{decorator}\n"
            "def train_step(inp, tar):\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = trajectory_loss(tar, model(inp, training=True))\n"
            "    grads = tape.gradient(loss, model.trainable_variables)\n"
            "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
            "    return loss\n\n\n"
            "for inp, tar in dataset:\n"
            "    train_step(inp, tar)\n")


class StaticBatchDimension(Rule):
    """## What it does
    Flags the static batch size of a loss input (`y_true.shape[0]`, `K.int_shape(y)[0]`,
    `y.get_shape()[0]`, `y.shape.as_list()[0]`, `len(y_pred)`) used as a number inside a loss:
    in arithmetic, `range`, `reshape`, `tf.zeros((n, ...))` and other constructors, `tf.cast`.
    The value is followed through variables and helpers to where it is used. Not flagged:
    other axes (`y.shape[-1]` is known statically), `tf.shape(y)[0]`, code outside losses,
    losses that check it against `None` (`if y.shape[0] is None`, `y.shape[0] or ...`), and
    files whose `tf.data` pipeline batches with `drop_remainder=True`: `fit` then traces with
    the batch size known (measured on TF 2.21 / Keras 3.15: a loss dividing by
    `y_true.shape[0]` sees 16 with `.batch(16, drop_remainder=True)` and raises without it).
    Nor a loss the file only calls itself, from a custom loop that runs it eagerly or through
    a `@tf.function` step called once per batch: TensorFlow traces the step again for each new
    batch shape, so the static size is a number there (measured with 9 samples in batches of
    4, also through a MirroredStrategy's `strategy.run`). It is still flagged where that loop
    traces with `None`: a `train_step` (or another Model method `fit` calls), a
    `tf.function` with `input_signature`, `reduce_retracing=True` or
    `experimental_relax_shapes=True`, a `for` over the data inside the `tf.function`, a TF 1
    graph built on placeholders, a self-test under `if __name__ == "__main__":`, and wherever
    the file hands the loss on as a value (`compile`, a dict) rather than calling it. The 6
    findings this removed on public repositories (a GAN's custom training method, a
    trajectory transformer's `tf.function` step) had all been judged false by their readers.
    Nor `len(y_pred)` in a loss that unpacks its labels (`flow_gt, valid = y_true`): its caller
    passes Python structures, which no Keras `fit` does, and `len()` counts the prediction's items
    (RAFT's list of refined flows); nor `len(y_true)` in one that unpacks its prediction
    (`class_outputs, mask = y_pred`), for the same reason; nor `len()` of an input the loss
    loops over with a Python `for` whose items it indexes (`for output in outputs: ...
    output[0] - target[0]`, a multi-stage pose network's (heatmaps, pafs) per stage), or of its
    companion: both are lists of batches (held-out round 46: 2 such findings, judged false).

    ## Why is this bad?
    When `fit` traces the loss, the batch dimension is `None` whenever the last batch is
    partial or the data comes from a `tf.data` pipeline.
    Measured on TF 2.21 with 5 samples and `batch_size=4`, Keras 3.15.1 and
    tf_keras 2.21 alike: `tf.reduce_sum(...) / y_true.shape[0]` raises
    `ValueError: None values not supported.`, `tf.reshape(x, (y_true.shape[0], -1))` raises
    `TypeError: Failed to convert elements of (None, -1) to Tensor.`; with 8 samples both run,
    so the bug hides until the data size changes. `len(y_true)` fails in every Keras 3 `fit`
    (`TypeError: len is not well defined for a symbolic Tensor`).

    ## Example
    ```python
    def loss(y_true, y_pred):
        return tf.reduce_sum(tf.square(y_true - y_pred)) / y_true.shape[0]
    ```

    ## Use instead
    ```python
    def loss(y_true, y_pred):
        return tf.reduce_sum(tf.square(y_true - y_pred)) / tf.cast(tf.shape(y_true)[0], y_pred.dtype)
    ```

    ## Fix safety
    Safe: `tf.shape(y)[0]` (`keras.ops.shape(y)[0]` in files that use `keras.ops`, `K.shape`
    in files that only use the legacy backend) is the same number whenever the static size
    was known, and also works when it is `None`. Where the size meets a float (a division, a
    float tensor, a float literal) the fix is `tf.cast(tf.shape(y)[0], y_pred.dtype)`, which is
    the conversion TensorFlow applied to the Python int. No fix where the size must stay a
    Python int (`range(n)`, `int(n)`, numpy, `tf.constant(n)`), or where it is used both as a
    shape and as a float.

    ## Verification
    `--verify` runs one `fit` epoch with 5 samples and `batch_size=4` (a partial last batch,
    batch dimension `None` when traced); the exception confirms it.
    """

    code = "TFS110"
    name = "static-batch-dimension"
    message = "{expr} {what} the static batch size, None when fit traces the loss; use {dynamic}"
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    recipe = Recipe("unknown_batch", {}, "traced as fit traces it (batch dim None) vs an eager call")

    good = (
        Example("import tensorflow as tf\n\n\n"
                "def loss(y_true, y_pred):\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred)) / y_true.shape[0]\n\n\n"
                "dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16, drop_remainder=True)\n"
                "model.compile(optimizer='adam', loss=loss)\n"
                "model.fit(dataset, epochs=3)\n",
                note="the pipeline drops the partial batch: fit traces with the batch size known (16)"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    n = tf.cast(tf.shape(y_true)[0], y_pred.dtype)\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred)) / n\n",
                note="the dynamic batch size"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    classes = y_pred.shape[-1]\n"
                "    onehot = tf.one_hot(tf.cast(y_true[:, 0], tf.int32), classes)\n"
                "    return tf.reduce_sum(tf.square(onehot - y_pred), axis=-1) / classes\n",
                note="a non-batch axis is known statically"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    n = y_true.shape[0]\n"
                "    if n is None:\n"
                "        n = tf.shape(y_true)[0]\n"
                "    return tf.reduce_mean(tf.reshape(tf.square(y_true - y_pred), (n, -1)), axis=-1)\n",
                note="checked against None"),
        Example("import numpy as np\nimport tensorflow as tf\n\n"
                "x = np.zeros((32, 4))\nbatches = len(x) // 8\n",
                note="outside a loss"),
        Example("import tensorflow as tf\n\n"
                "def loss(labels, logits):\n"
                "    logits.shape.assert_is_compatible_with(tf.TensorShape(labels.shape[:-1].as_list() + [3]))\n"
                "    return tf.reduce_mean(tf.square(labels - logits[..., :1]), axis=-1)\n",
                note="a shape list for a compatibility check, which accepts None"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    tf.print('batch', y_true.shape[0])\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n",
                note="printed, not computed with"),
        Example("from tensorflow.keras import backend as K\n\n"
                "def loss(y_true, y_pred):\n"
                "    steps = K.int_shape(y_pred)[1]\n"
                "    return K.sum(K.square(y_true - y_pred), axis=-1) / steps\n",
                note="axis 1 of K.int_shape is a static time axis"),
        Example("import numpy as np\nimport tensorflow as tf\n\n"
                "def iou_batches(y_true, y_pred):\n"
                "    scores = [np.mean(y_true[i] == y_pred[i]) for i in range(y_true.shape[0])]\n"
                "    return np.float32(np.mean(scores))\n\n"
                "def iou(y_true, y_pred):\n"
                "    return tf.numpy_function(iou_batches, [y_true, y_pred], tf.float32)\n",
                note="a numpy function run by tf.numpy_function sees concrete arrays"),
        Example("import tensorflow as tf\n\n"
                "def per_sample(y_true, y_pred):\n"
                "    points = y_pred.shape[0]\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred)) / points\n\n"
                "def loss(y_true, y_pred):\n"
                "    return tf.map_fn(lambda t: per_sample(t[0], t[1]), (y_true, y_pred), fn_output_signature=tf.float32)\n",
                note="called per sample by tf.map_fn: axis 0 is not the batch"),
        Example(_TRAJECTORY + _per_batch_step("@tf.function"),
                note="a custom loop: TensorFlow traces the step again for each new batch shape (a partial "
                     "last batch too), so real.shape[0] is a number in every trace"),
        Example("import tensorflow as tf\n\n\n"
                "def sequence_loss(y_true, y_pred, gamma=0.8):\n"
                "    flow_gt, valid = y_true\n"
                "    n_predictions = len(y_pred)\n"
                "    loss = 0.0\n"
                "    for i in range(n_predictions):\n"
                "        weight = gamma ** (n_predictions - i - 1)\n"
                "        loss += weight * tf.reduce_mean(valid[..., None] * tf.abs(y_pred[i] - flow_gt))\n"
                "    return loss\n",
                note="the labels arrive as a Python pair, so the caller is no Keras fit: the predictions are a "
                     "list of refinements (RAFT), and len() counts them"),
        Example("import tensorflow as tf\n\n\n"
                "class LevelFocalLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        class_outputs, mask = y_pred\n"
                "        total = 0.0\n"
                "        for i in range(len(y_true)):\n"
                "            ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true[i], logits=class_outputs[i])\n"
                "            total += tf.reduce_sum(ce * mask[i]) / tf.maximum(tf.reduce_sum(mask[i]), 1.0)\n"
                "        return total\n",
                note="the prediction is unpacked as a Python pair, so its caller passes structures (one tensor per "
                     "feature level, EfficientDet): len() counts the levels"),
    )
    bad = (
        Example("import tensorflow as tf\n\n\ndef pixel_mse(y_true, y_pred):\n"
                "    b, h, w = y_true.shape\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred)) / (b * h * w)\n\n\n"
                "model.compile(optimizer=\"adam\", loss=pixel_mse)\n",
                fixed=None, line=5,
                message="b is the static batch size, None when fit traces the loss; use "
                        "tf.cast(tf.shape(y_true)[0], y_pred.dtype)",
                note="the batch size unpacked with the other static dimensions: no expression stands for it "
                     "alone, so no automatic fix"),
        Example(_TRAJECTORY + _per_batch_step("@tf.function(reduce_retracing=True)"),
                fixed=_TRAJECTORY_FIXED + _per_batch_step("@tf.function(reduce_retracing=True)"),
                line=5, note="reduce_retracing traces the step once for every batch size, with the batch axis None"),
        Example(_TRAJECTORY + _EPOCH_IN_GRAPH, fixed=_TRAJECTORY_FIXED + _EPOCH_IN_GRAPH,
                line=5, note="the loop over the dataset inside the tf.function: its batches have the batch axis None"),
        Example("import tensorflow as tf\n\n\n"
                "def loss(y_true, y_pred):\n"
                "    true_shape = y_true.shape\n"
                "    result = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                "    return tf.reshape(result, true_shape[:-1])\n",
                fixed="import tensorflow as tf\n\n\n"
                      "def loss(y_true, y_pred):\n"
                      "    true_shape = y_true.shape\n"
                      "    result = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
                      "    return tf.reshape(result, tf.shape(y_true)[:-1])\n",
                line=7, note="the static shape kept in a name, its prefix (batch size first) a reshape target"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred)) / y_true.shape[0]\n",
                fixed="import tensorflow as tf\n\n"
                      "def loss(y_true, y_pred):\n"
                      "    return tf.reduce_sum(tf.square(y_true - y_pred)) / tf.cast(tf.shape(y_true)[0], y_pred.dtype)\n",
                line=4,
                message="y_true.shape[0] is the static batch size, None when fit traces the loss; "
                        "use tf.cast(tf.shape(y_true)[0], y_pred.dtype)"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "def seq_loss(y_true, y_pred):\n"
                "    batch = K.int_shape(y_pred)[0]\n"
                "    flat = tf.reshape(y_pred, [batch, -1])\n"
                "    return tf.reduce_mean(tf.square(tf.reshape(y_true, [batch, -1]) - flat), axis=-1)\n",
                fixed="import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                      "def seq_loss(y_true, y_pred):\n"
                      "    batch = tf.shape(y_pred)[0]\n"
                      "    flat = tf.reshape(y_pred, [batch, -1])\n"
                      "    return tf.reduce_mean(tf.square(tf.reshape(y_true, [batch, -1]) - flat), axis=-1)\n",
                line=5, note="through a variable into reshape shapes"),
        Example("import keras\nfrom keras import ops\n\n"
                "class Contrastive(keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        eye = ops.eye(len(y_pred))\n"
                "        return ops.mean(ops.square(ops.matmul(y_pred, ops.transpose(y_pred)) - eye), axis=-1)\n",
                fixed="import keras\nfrom keras import ops\n\n"
                      "class Contrastive(keras.losses.Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        eye = ops.eye(ops.shape(y_pred)[0])\n"
                      "        return ops.mean(ops.square(ops.matmul(y_pred, ops.transpose(y_pred)) - eye), axis=-1)\n",
                line=6, note="len() in a Loss subclass; the file uses keras.ops"),
        Example("import tensorflow as tf\n\n"
                "def pairwise(y_true, y_pred):\n"
                "    total = 0.0\n"
                "    for i in range(y_pred.get_shape()[0]):\n"
                "        total += tf.reduce_sum(tf.square(y_true[i] - y_pred[i]))\n"
                "    return total\n\n"
                "model.compile(optimizer='adam', loss=pairwise)\n",
                fixed=None, line=5, note="range() needs a Python int: no automatic fix"),
        Example("import tensorflow as tf\n\n"
                "def scale(y, value):\n"
                "    return value / (y.shape.as_list()[0] * 2)\n\n"
                "def loss(y_true, y_pred):\n"
                "    return scale(y_true, tf.reduce_sum(tf.abs(y_true - y_pred)))\n",
                fixed=None, line=4, note="in a helper the loss calls (no y_pred name to cast to)"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "def loss(y_true, y_pred):\n"
                "    flat = K.reshape(y_pred, K.int_shape(y_pred)[:-1])\n"
                "    return K.mean(K.square(y_true[..., 0] - flat), axis=-1)\n",
                fixed="import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                      "def loss(y_true, y_pred):\n"
                      "    flat = K.reshape(y_pred, tf.shape(y_pred)[:-1])\n"
                      "    return K.mean(K.square(y_true[..., 0] - flat), axis=-1)\n",
                line=5, note="a slice of the static shape that keeps its batch entry"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    err = tf.square(y_true - y_pred) / (y_true.shape[0])\n"
                "    return tf.reduce_sum(err, axis=-1)\n",
                fixed="import tensorflow as tf\n\n"
                      "def loss(y_true, y_pred):\n"
                      "    err = tf.square(y_true - y_pred) / tf.cast(tf.shape(y_true)[0], y_pred.dtype)\n"
                      "    return tf.reduce_sum(err, axis=-1)\n",
                line=4, note="the static size in parentheses"),
        Example("import tensorflow as tf\n\n"
                "def loss(y_true, y_pred):\n"
                "    flat = tf.reshape(y_pred, y_true.shape[:-1].as_list() + [3])\n"
                "    return tf.reduce_mean(tf.square(y_true - flat[..., :1]), axis=-1)\n",
                fixed=None, line=4,
                note="a shape list built from the static shape: no automatic fix (the dynamic shape has no "
                     "as_list; build it with tf.concat)"),
        Example("import tensorflow as tf\n\n"
                "def crps(y_true, y_pred):\n"
                "    y_pred = tf.squeeze(y_pred)\n"
                "    err = tf.abs(tf.squeeze(y_true) - y_pred)\n"
                "    return tf.reduce_sum(err) / y_pred.shape[0]\n",
                fixed="import tensorflow as tf\n\n"
                      "def crps(y_true, y_pred):\n"
                      "    y_pred = tf.squeeze(y_pred)\n"
                      "    err = tf.abs(tf.squeeze(y_true) - y_pred)\n"
                      "    return tf.reduce_sum(err) / tf.cast(tf.shape(y_pred)[0], y_pred.dtype)\n",
                line=6, note="an input squeezed without axis has unknown rank in fit: its static shape's first "
                             "entry is None too (TFS104 reports the squeeze)"),
    )

    def check_loss(self, loss: Scope) -> None:
        if not any(value.marks and _static(value) for scope in loss.all_scopes() for _, value in scope.evaluated()):
            return  # every use reported below is of a value the static batch size marked
        if _DROP_REMAINDER.search(self.index.source):
            return  # the file's batches all have the static size: fit traces with it known
        if loss.context in (Context.DIRECT, Context.UNKNOWN) and static_batch_at_every_call(self.index, loss.spec):
            return  # a custom loop that runs it per concrete batch: the static size is a number
        if not tensor_code(self.index.imports, loss):
            return
        uses: dict[cst.CSTNode, set[str]] = {}
        for scope in loss.all_scopes():
            if self._guarded(scope):
                return
            for expr, kinds in self._uses(scope):
                for source in expr:
                    uses.setdefault(source, set()).update(kinds)
        if uses and loss.spec.qualname.rsplit(".", 1)[-1] in _mapped_functions(self.index):
            return  # called per sample by tf.map_fn: its axis 0 is not the batch axis
        for source, kinds in uses.items():
            self._report(source, kinds)

    # -- where the static size is used ------------------------------------------------------
    def _guarded(self, scope: Scope) -> bool:
        """The loss compares the static size with None (or falls back with ``or``)."""
        for node, _ in scope.evaluated():
            if isinstance(node, cst.Comparison):
                parts = [node.left] + [c.comparator for c in node.comparisons]
                if any(isinstance(p, cst.Name) and p.value == "None" for p in parts) and \
                        any(_static(scope.value(p)) for p in parts):
                    return True
            elif isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
                if _static(scope.value(node.left)):
                    return True
        return False

    def _uses(self, scope: Scope) -> list[tuple[list[cst.CSTNode], set[str]]]:
        out: list[tuple[list[cst.CSTNode], set[str]]] = []
        for node, _ in scope.evaluated():
            if isinstance(node, cst.BinaryOperation):
                found = self._binary_use(scope, node)
            elif isinstance(node, cst.Call):
                found = self._call_use(scope, node)
            else:
                continue
            if found is not None:
                out.append(found)
        return out

    def _binary_use(self, scope: Scope, node: cst.BinaryOperation) -> tuple[list[cst.CSTNode], set[str]] | None:
        if isinstance(node.operator, cst.Add) and any(isinstance(side, (cst.List, cst.Tuple))
                                                      for side in (node.left, node.right)):
            # ``labels.shape[:-1].as_list() + [3]`` builds a shape list: what takes it is the use
            # (``tf.reshape`` is one; ``tf.TensorShape`` for a compatibility check is not)
            return None
        left, right = scope.value(node.left), scope.value(node.right)
        sides = [(v, o) for v, o in ((left, right), (right, left)) if _numeric_static(v)]
        if not sides:
            return None
        sources = [n for v, _ in sides for n in v.marked(Mark.STATIC_BATCH)]  # type: ignore[union-attr]
        if len(sides) == 2:
            return sources, {FLOAT if isinstance(node.operator, cst.Divide) else NEUTRAL}
        other = sides[0][1]
        return sources, {_arith_kind(node.operator, other)}

    def _call_use(self, scope: Scope, node: cst.Call) -> tuple[list[cst.CSTNode], set[str]] | None:
        canon = self.canonical(node.func)
        if canon is None or canon in _NOT_USES:
            return None
        sources: list[cst.CSTNode] = []
        for arg in node.args:
            value = scope.value(arg.value)
            if value is not None and not value.tensor:
                sources += value.marked(Mark.STATIC_BATCH)
        if not sources:
            return None
        if canon in _PYTHON_BUILTINS or canon.startswith("np.") or canon == "np":
            return sources, {PYTHON}
        if not canon.startswith(("tf.", "K.", "ops.")):
            return None  # helpers see their own uses; other calls are unknown
        spec = lookup(canon)
        if spec is not None and spec.kind in _PY_ONLY_KINDS:
            return sources, {PYTHON}
        if spec is not None and spec.kind is Kind.CAST:
            return sources, {NEUTRAL}
        return sources, {SHAPE}

    # -- reporting and the fix ---------------------------------------------------------------
    def _report(self, source: cst.CSTNode, kinds: set[str]) -> None:
        tensor = _tensor_of(source) or self._named_shape_owner(source) or self._unpacked_owner(source)
        if tensor is None:
            return
        shape_fn, imports = self._shape_spelling()
        # the same index or slice of the dynamic shape: [0], or [:-1] for a shape prefix
        index = _index_code(source) if isinstance(source, cst.Subscript) else "[0]"
        dynamic = f"{shape_fn}({_code(tensor)}){index}"
        fix: cst.BaseExpression | None = None
        loss = self.loss
        # y_pred is only in scope in the loss's own body, not in a helper it calls
        y_pred = loss.y_pred if loss is not None and source in loss.values else None
        if PYTHON in kinds or (SHAPE in kinds and FLOAT in kinds):
            advice = dynamic
        elif FLOAT in kinds:
            cast_fn = shape_fn.rsplit(".", 1)[0] + ".cast"
            advice = f"{cast_fn}({dynamic}, {y_pred or 'y_pred'}.dtype)"
            fix = cst.parse_expression(advice) if y_pred is not None else None
        else:
            advice = dynamic
            fix = cst.parse_expression(dynamic)
        if self._method_called_on(source) or isinstance(source, cst.Name):
            # ``b, h, w = K.int_shape(y)``: the name is bound by unpacking, where no expression
            # stands for the batch size alone
            # ``labels.shape[:-1].as_list()``: the dynamic shape is a tensor, with no ``as_list``
            fix = None
        what = "starts with" if index != "[0]" and isinstance(source, cst.Subscript) \
            and isinstance(source.slice[0].slice, cst.Slice) else "is"
        self.report(source, expr=_code(source), what=what, dynamic=advice, fix=fix,
                    fix_imports=imports if fix is not None else ())

    def _method_called_on(self, source: cst.CSTNode) -> bool:
        """Whether the loss calls a method of ``source`` (``.as_list()``), which the dynamic
        shape replacing it would not have."""
        if self.loss is None:
            return False
        return any(isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.value is source
                   for scope in self.loss.all_scopes() for node, _ in scope.evaluated())

    def _unpacked_owner(self, source: cst.CSTNode) -> cst.BaseExpression | None:
        """``y`` for the ``b`` of ``b, h, w = K.int_shape(y)`` (or ``= y.shape``)."""
        if not isinstance(source, cst.Name) or self.loss is None:
            return None
        for scope in self.loss.all_scopes():
            for assign in descendants(scope.node, cst.Assign):
                target = assign.targets[0].target if len(assign.targets) == 1 else None
                if isinstance(target, (cst.Tuple, cst.List)) and target.elements \
                        and target.elements[0].value is source:
                    return _shape_owner(assign.value)
        return None

    def _named_shape_owner(self, source: cst.CSTNode) -> cst.BaseExpression | None:
        """``true_shape[:-1]`` of ``true_shape = K.int_shape(y_true)``: the tensor whose static
        shape the name holds, when it has one assignment."""
        if not isinstance(source, cst.Subscript) or not isinstance(source.value, cst.Name) or self.loss is None:
            return None
        for scope in self.loss.all_scopes():
            found = scope.definitions(source.value)
            if found is not None and len(found) == 1:
                (expr,) = found
                return _shape_owner(expr) if isinstance(expr, cst.BaseExpression) else None
        return None

    def _shape_spelling(self) -> tuple[str, tuple[ImportSpec, ...]]:
        """``tf.shape`` / ``ops.shape`` / ``K.shape`` as this file spells it."""
        aliases = self.index.imports.aliases
        uses_ops = any(name.startswith("ops.") for name in self.index.names)
        ops = _alias(aliases, _OPS)
        if uses_ops and ops is not None:
            return f"{ops}.shape", ()
        keras = _alias(aliases, ("keras",))
        if uses_ops and keras is not None:
            return f"{keras}.ops.shape", ()
        tf = _alias(aliases, _TF)
        if tf is not None:
            return f"{tf}.shape", ()
        backend = _alias(aliases, _BACKEND)
        if backend is not None:
            return f"{backend}.shape", ()
        if "tf" in aliases:
            return "tensorflow.shape", (("tensorflow", None, None),)
        return "tf.shape", (("tensorflow", None, "tf"),)


def _mapped_functions(index: ModuleIndex) -> set[str]:
    """Names of functions handed (directly or in a lambda) to ``tf.map_fn`` and the like."""
    out: set[str] = set()
    for node in index.nodes:
        if not isinstance(node, ast.Call):
            continue
        dotted = ast_dotted(node.func)
        if index.imports.canonical(dotted) not in _MAP_FNS:
            continue
        fns = node.args[:1] + [k.value for k in node.keywords if k.arg in ("fn", "f")]
        out |= {n.id for fn in fns for n in ast.walk(fn) if isinstance(n, ast.Name)}
    return out


def _static(value: Value | None) -> bool:
    return value is not None and bool(value.marked(Mark.STATIC_BATCH))


def _numeric_static(value: Value | None) -> bool:
    """A Python number derived from the static batch size (not a list holding it, not a tensor)."""
    return value is not None and not value.tensor and not value.has(Tag.SEQUENCE) and _static(value)


def _arith_kind(op: cst.BaseBinaryOp, other: Value | None) -> str:
    if isinstance(op, cst.Divide):
        return FLOAT
    if other is None:
        return NEUTRAL
    if other.has(Tag.SEQUENCE):
        return PYTHON  # [0.0] * n
    if other.tensor:
        return NEUTRAL if other.dtype in (DType.INT, DType.BOOL) else FLOAT
    return FLOAT if other.has(Tag.FLOAT_LITERAL) else NEUTRAL


def _index_code(source: cst.Subscript) -> str:
    """``[0]`` of ``y.shape[0]``, also when the subscript is parenthesised (``(y.shape[0])``),
    whose own code starts with the parenthesis and so is no prefix-plus-index."""
    bare = source.with_changes(lpar=(), rpar=())
    return _code(bare)[len(_code(source.value)):]


def _tensor_of(source: cst.CSTNode) -> cst.BaseExpression | None:
    """The tensor whose static batch size ``source`` reads."""
    if isinstance(source, cst.Call):  # len(y)
        return source.args[0].value if source.args else None
    if not isinstance(source, cst.Subscript):
        return None
    return _shape_owner(source.value)


def _shape_owner(node: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(node, cst.Attribute) and node.attr.value == "shape":
        return node.value
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get_shape":
            return func.value
        if isinstance(func, cst.Attribute) and func.attr.value == "as_list":
            return _shape_owner(func.value)
        if node.args:  # K.int_shape(y)
            return node.args[0].value
    return None


def _alias(aliases: dict[str, str], targets: tuple[str, ...]) -> str | None:
    names = sorted((n for n, q in aliases.items() if q in targets), key=len)
    return names[0] if names else None

