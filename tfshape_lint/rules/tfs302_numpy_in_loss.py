"""TFS302 numpy-in-loss."""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from tfshape_lint.analysis.imports import cst_dotted
from tfshape_lint.analysis.losses import Context, Role
from tfshape_lint.analysis.tensors import Scope, call_arg
from tfshape_lint.analysis.values import DType, Value
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, Severity
from tfshape_lint.rules._numpy import (
    HARMLESS,
    PY_FUNCTIONS,
    Namespace,
    namespace,
    numpy_code,
    replacement,
    uses_numpy,
)
from tfshape_lint.source import caught_names, code_of, descendants

if TYPE_CHECKING:
    from tfshape_lint.analysis.index import ModuleIndex
    from tfshape_lint.analysis.tensors import ModuleFacts
    from tfshape_lint.config import Config

_NOT_TENSOR = (DType.NUMPY, DType.LIST, DType.PY)
#: the backends' own tensor -> numpy conversions
_TO_NUMPY = frozenset({"K.eval", "K.get_value", "K.batch_get_value", "ops.convert_to_numpy"})


def is_tensor(value: Value | None) -> bool:
    """A tensor computed from the loss inputs (not a numpy array, list, number or unknown)."""
    return (value is not None and value.tensor and value.dtype not in _NOT_TENSOR and bool(value.origin)
            and (value.dtype is not DType.UNKNOWN or value.rel is not None or value.rank is not None))


#: numpy scalar types: harmless as dtypes, a numpy conversion when called on a tensor
_SCALAR_TYPES = frozenset({"np.float32", "np.float64", "np.int32", "np.int64"})


#: a helper with a numpy branch behind a flag (the good and bad examples differ in the call)
_WEIBULL = ("import numpy as np\nimport tensorflow as tf\n\n\n"
            "def weibull_nll(t, scale, tensors=True):\n"
            "    if tensors:\n"
            "        return tf.math.log(scale + 1e-7) + t / (scale + 1e-7)\n"
            "    else:\n"
            "        return np.log(scale) + t / scale\n\n\n")
_WEIBULL_NUMPY_CALL = ("def weibull_loss(y_true, y_pred):\n"
                       "    return tf.reduce_mean(weibull_nll(y_true, tf.nn.softplus(y_pred), tensors=False), axis=-1)\n")

#: ``run_eagerly=True`` in a compile or on the model, or eager tf.functions everywhere
_EAGER = re.compile(r"\brun_eagerly\s*=\s*True\b|\brun_functions_eagerly\(\s*True\s*\)")

class NumpyInLoss(Rule):
    """## What it does
    Flags numpy inside a loss or metric (and the helpers it calls) where it meets a tensor:
    a numpy function called on a tensor (`np.mean(y_pred)`, `np.abs(y_true - y_pred)`,
    `np.asarray(y_pred)`), `.numpy()` on a tensor, and in a loss `tf.py_function` /
    `tf.numpy_function` wrapping numpy code. numpy on constants (`np.array([1., 2., 3.])` as
    class weights, `np.log(2.0)`, `np.finfo(np.float32).eps`) is fine and not flagged; nor is
    numpy inside a function that `tf.py_function` calls, nor a numpy branch of a helper that
    the loss's call rules out (`def nll(t, s, tensors=True): if tensors: ... else: np.log(s)`
    called as `nll(t, s)`), nor numpy on a name inside an `if` (without `else`) whose test says it
    holds no tensor (`if not tf.is_tensor(y_pred):`, `if isinstance(y_pred, np.ndarray):`),
    nor numpy on the labels alone in a file that compiles with `run_eagerly=True` (or calls
    `tf.config.run_functions_eagerly(True)`): there the loss gets eager tensors, and labels
    need no gradient (measured: a weight map built from `y_true.numpy()` trains). numpy on the
    predictions is still flagged there: it cuts their gradient. Nor numpy inside a `print` or
    logging call in a `try` whose `except` swallows the error (bare, `Exception`,
    `AttributeError`, `NotImplementedError`): a debug print that fails quietly while `fit`
    traces the loss and changes none of its values.

    ## Why is this bad?
    Measured on TF 2.21 / Keras 3.15 and tf_keras 2.21:
    - `fit` traces the loss into a graph, and numpy on a symbolic tensor raises
      `NotImplementedError: Cannot convert a symbolic tf.Tensor (...) to a numpy array.`;
    - `.numpy()` raises `AttributeError: 'SymbolicTensor' object has no attribute 'numpy'`;
    - with `run_eagerly=True` both get past tracing, but numpy arrays carry no gradient:
      `ValueError: No gradients provided for any variable.`;
    - `tf.py_function(np_fn, ...)` gives **zero** gradients and an output of unknown rank, so
      Keras 3 raises `ValueError: Cannot iterate over a shape with unknown rank.`;
      `tf.numpy_function` has no gradient at all.

    ## Example
    ```python
    def mae(y_true, y_pred):
        return np.mean(np.abs(y_true - y_pred), axis=-1)
    ```

    ## Use instead
    ```python
    def mae(y_true, y_pred):
        return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
    ```

    ## Fix safety
    Safe where a 1:1 equivalent exists: `np.mean`/`sum`/`max`/`min`/`prod`/`std`/`var` (float
    input, `axis`/`keepdims` only), `abs`, `square`, `sqrt`, `exp`, `log`, `log1p`, `tanh`,
    `maximum`, `minimum`, `power`, `clip`, three-argument `where`, and `argmax`/`argmin`/
    `squeeze` with an explicit axis. The replacement comes from the namespace the file already
    uses (`tf.reduce_mean`, `keras.ops.mean` or `K.mean`), with `import tensorflow as tf` or
    `from keras import ops` added when none is imported. The values are the same; the loss
    becomes traceable and differentiable. `.numpy()`, `np.asarray` and `py_function` are not
    fixed automatically.

    ## Verification
    `--verify` traces the loss with `tf.function` and runs one `fit` step: the
    `NotImplementedError`/`AttributeError`, or a `None`/zero gradient, confirms it.
    """

    code = "TFS302"
    name = "numpy-in-loss"
    message = "{what}; {how}"
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    recipe = Recipe("graph_trace", {}, "trace with tf.function and one fit step")

    good = (
        Example('import numpy as np\nimport tensorflow as tf\n\n\ndef calculate_losses(model, data, labels, batch_size=32):\n    pred = model.predict(data, batch_size=batch_size)\n    pred = tf.nn.softmax(pred).numpy()\n    loss = -np.log(pred[np.arange(len(labels)), labels] + 1e-12)\n    return pred, loss\n',
                note='a helper that runs model.predict (numpy out, no gradient) computes an evaluation loss, not one a loop trains on'),
        Example('import numpy as np\nimport tensorflow as tf\n\n\ndef normalise(w):\n    if isinstance(w, np.ndarray):\n        e = np.exp(w)\n        return e / np.sum(e, axis=1).reshape((-1, 1))\n    return tf.nn.softmax(w, axis=1)\n\n\ndef mixture_nll(y_true, y_pred):\n    weights = normalise(y_pred[:, :3])\n    return -tf.reduce_mean(tf.math.log(tf.reduce_sum(weights * y_true, axis=1) + 1e-7))\n',
                note="a helper that serves numpy arrays and tensors alike: its `isinstance(w, np.ndarray)` branch never runs in a loss, which gets tensors"),
        Example("import numpy as np\nfrom tensorflow.keras import backend as K\n\n\n"
                "def mixture_coef(output, training=True):\n"
                "    mu = output[:, :3]\n"
                "    std = K.exp(output[:, 3:]) if training else np.exp(output[:, 3:])\n"
                "    return mu, std\n\n\n"
                "def mdn_loss(y_true, y_pred):\n"
                "    mu, std = mixture_coef(y_pred)\n"
                "    return K.mean(K.square((y_true - mu) / std), axis=-1)\n\n\n"
                "model.compile(optimizer='adam', loss=mdn_loss)\n",
                note="the numpy branch is for predictions after training: the loss's call keeps "
                     "training=True"),
        Example("import tensorflow as tf\n\n\n"
                "def yolo_loss(y_true, y_pred):\n"
                "    box_loss = tf.reduce_mean(tf.square(y_true[..., :4] - y_pred[..., :4]), axis=-1)\n"
                "    try:\n"
                "        print('box', tf.reduce_mean(box_loss).numpy())\n"
                "    except AttributeError:  # graph mode\n"
                "        pass\n"
                "    return box_loss\n",
                note="a debug print whose error while fit traces the loss the except swallows"),
        Example("import numpy as np\nimport tensorflow as tf\nfrom scipy.ndimage import distance_transform_edt\n\n\n"
                "def surface_loss(y_true, y_pred):\n"
                "    dist = np.array([distance_transform_edt(1 - t) for t in y_true.numpy()], dtype=np.float32)\n"
                "    return tf.reduce_mean(y_pred * dist, axis=[1, 2, 3])\n\n\n"
                "model.compile(optimizer='adam', loss=surface_loss, run_eagerly=True)\n",
                note="run_eagerly=True: the labels are eager tensors, and a distance map built from them in numpy "
                     "needs no gradient"),
        Example("from keras import ops\n\n\n"
                "def analyze_loss_components(loss_fn, y_true, y_pred):\n"
                "    positive = ops.mean(y_true * ops.square(ops.maximum(0.0, 0.9 - y_pred)))\n"
                "    results = {\n"
                "        'total_loss': float(ops.convert_to_numpy(loss_fn(y_true, y_pred))),\n"
                "        'positive_loss': float(ops.convert_to_numpy(positive)),\n"
                "    }\n"
                "    return results\n",
                note="a debugging helper that returns a dict of Python floats (bound to a name first): not a loss"),
        Example("import tensorflow as tf\n\n\ndef evaluate_preds(y_true, y_pred):\n"
                "    mae = tf.keras.metrics.mae(y_true, y_pred)\n"
                "    mse = tf.keras.metrics.mse(y_true, y_pred)\n"
                "    return {'mae': mae.numpy(), 'mse': mse.numpy(), 'rmse': tf.sqrt(mse).numpy()}\n",
                note="a dict of named results is an evaluation helper: Keras can train on no such value"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef mae(y_true, y_pred):\n"
                "    if not tf.is_tensor(y_pred):\n"
                "        y_pred = tf.convert_to_tensor(np.asarray(y_pred, dtype=np.float32))\n"
                "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n",
                note="numpy only converts what the test says is no tensor (a list or an array)"),
        Example(_WEIBULL + "def weibull_loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(weibull_nll(y_true, tf.nn.softplus(y_pred)), axis=-1)\n",
                note="the numpy branch runs only with tensors=False, which the loss never passes"),
        Example("import unittest\n\nimport numpy as np\nimport tensorflow as tf\n\n\n"
                "class RefLoss(tf.keras.losses.Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.constant(np.mean(np.abs(y_true.numpy() - y_pred.numpy()), axis=-1))\n",
                note="a test module's reference implementation, called eagerly to compare values"),
        Example("import numpy as np\nimport tensorflow as tf\n\nCLASS_W = np.array([1.0, 2.0, 3.0])\n\n"
                "def weighted_loss(y_true, y_pred):\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred) * CLASS_W, axis=-1)\n",
                note="numpy on constants is fine"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef log_loss(y_true, y_pred):\n"
                "    eps = np.finfo(np.float32).eps\n"
                "    return -tf.reduce_mean(y_true * tf.math.log(y_pred + eps) / np.log(2.0), axis=-1)\n"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef np_mae(a, b):\n"
                "    return np.mean(np.abs(a - b), axis=-1).astype(np.float32)\n\n"
                "def mae_metric(y_true, y_pred):\n"
                "    return tf.numpy_function(np_mae, [y_true, y_pred], tf.float32)\n\n"
                "model.compile(loss='mae', metrics=[mae_metric])\n",
                note="numpy_function in a metric: no gradient needed"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    n = np.prod(y_pred.shape[1:])\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred), axis=-1) / n\n",
                note="numpy on the static shape"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef tf_mae(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n\n"
                "def mae_loss(y_true, y_pred):\n"
                "    return tf.py_function(tf_mae, [y_true, y_pred], tf.float32)\n",
                note="py_function around TensorFlow code keeps its gradient (TFS302 is about numpy)"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef np_loss(y_true, y_pred):\n"
                "    return np.mean(np.abs(y_true - y_pred), axis=-1)\n\n"
                "def eval_step(y, p):\n"
                "    return tf.py_function(np_loss, [y, p], tf.float32)\n",
                note="the function py_function calls receives numpy arrays"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    scale = np.float32(0.5)\n"
                "    valid = tf.cast(y_true > 0, np.float32)\n"
                "    return scale * tf.reduce_mean(tf.square(y_true - y_pred) * valid, axis=-1)\n",
                note="np.float32 as a number or a dtype"),
    )
    bad = (
        Example(_WEIBULL + _WEIBULL_NUMPY_CALL,
                fixed=_WEIBULL.replace("np.log(scale)", "tf.math.log(scale)") + _WEIBULL_NUMPY_CALL,
                line=9, note="the loss passes tensors=False: the helper's numpy branch is the one that runs"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef mae(y_true, y_pred):\n"
                "    return np.mean(tf.abs(y_true - y_pred), axis=-1)\n",
                fixed="import numpy as np\nimport tensorflow as tf\n\ndef mae(y_true, y_pred):\n"
                      "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n",
                line=5, message="np.mean on a tensor fails when fit traces the loss (NotImplementedError) "
                                "and has no gradient; use tf.reduce_mean"),
        Example("import numpy as np\nfrom keras import ops\n\ndef mae(y_true, y_pred):\n"
                "    return np.mean(np.abs(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=mae)\n",
                fixed="import numpy as np\nfrom keras import ops\n\ndef mae(y_true, y_pred):\n"
                      "    return ops.mean(ops.abs(y_true - y_pred), axis=-1)\n\n"
                      "model.compile(optimizer='adam', loss=mae)\n",
                line=5, note="the file uses keras.ops: the fix does too"),
        Example("import numpy as np\nfrom tensorflow.keras.losses import Loss\n\n"
                "class L1(Loss):\n"
                "    def call(self, y_true, y_pred):\n"
                "        return np.sum(np.abs(y_true - y_pred), axis=-1)\n",
                fixed="import numpy as np\nfrom tensorflow.keras.losses import Loss\nimport tensorflow as tf\n\n"
                      "class L1(Loss):\n"
                      "    def call(self, y_true, y_pred):\n"
                      "        return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n",
                line=6, note="no tf namespace imported yet: the fix adds `import tensorflow as tf`"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef _rank_penalty(p):\n"
                "    order = np.argsort(p, axis=-1)\n"
                "    return tf.constant(order, tf.float32)\n\n"
                "def rank_loss(y_true, y_pred):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), -1) + _rank_penalty(y_pred)\n",
                fixed=None, line=5, note="through a helper; argsort has no 1:1 fix"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    p = y_pred.numpy()\n"
                "    return tf.reduce_mean(tf.square(y_true - p), axis=-1)\n",
                fixed=None, line=4,
                message=".numpy() on a tensor raises AttributeError when fit traces the loss and has no "
                        "gradient; keep the computation in tf ops"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef np_mae(a, b):\n"
                "    return np.mean(np.abs(a - b), axis=-1).astype(np.float32)\n\n"
                "def make_loss():\n"
                "    def loss(y_true, y_pred):\n"
                "        return tf.py_function(np_mae, [y_true, y_pred], tf.float32)\n"
                "    return loss\n\nmodel.compile(optimizer='sgd', loss=make_loss())\n",
                fixed=None, line=9, note="py_function around numpy in a factory-made loss"),
        Example("import numpy as np\nfrom tensorflow.keras import backend as K\n\n"
                "def l2_loss(labels, preds):\n"
                "    return np.sqrt(K.sum(K.square(labels - preds), axis=-1))\n\n"
                "def train_step(model, tape, x, y):\n"
                "    loss = l2_loss(y, model(x))\n"
                "    return tape.gradient(loss, model.trainable_variables)\n",
                fixed="import numpy as np\nfrom tensorflow.keras import backend as K\n\n"
                      "def l2_loss(labels, preds):\n"
                      "    return K.sqrt(K.sum(K.square(labels - preds), axis=-1))\n\n"
                      "def train_step(model, tape, x, y):\n"
                      "    loss = l2_loss(y, model(x))\n"
                      "    return tape.gradient(loss, model.trainable_variables)\n",
                line=5, note="a custom training loop; the file uses the legacy backend, so does the fix"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef acc(y_true, y_pred):\n"
                "    return np.asarray(tf.equal(tf.argmax(y_true, -1), tf.argmax(y_pred, -1)))\n\n"
                "model.compile(optimizer='sgd', loss='mse', metrics=[acc])\n",
                fixed=None, line=5, note="metrics are traced too"),
        Example("import numpy as np\nimport tensorflow as tf\n\ndef masked_mse(y_true, y_pred):\n"
                "    valid = np.float32(y_true > 0)\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * valid, axis=-1)\n",
                fixed=None, line=5,
                message="np.float32 on a tensor fails when fit traces the loss (NotImplementedError) and has "
                        "no gradient; cast it with tf.cast(x, tf.float32)",
                note="a numpy scalar type called on a tensor converts it (measured in tf.function)"),
    )

    @cached_property
    def _namespaces(self) -> list[Namespace]:
        return namespace(self.index)

    def applies(self, loss: Scope) -> bool:
        if not super().applies(loss) or loss.role is Role.REFERENCE:
            return False  # a test's reference implementation runs eagerly, never traced by fit
        if loss.context is not Context.UNKNOWN:
            return True
        # found by signature only: numpy code (a py_function target, Keras' numpy backend)
        # receives arrays, not tensors
        return not numpy_code(loss, self.wrapped, self.index)

    def __init__(self, index: ModuleIndex, facts: ModuleFacts, config: Config) -> None:
        super().__init__(index, facts, config)
        self._arrays: list[str | None] = []  # per enclosing if: the name its test says is no tensor
        self._swallowed: set[cst.CSTNode] = set()  # calls in a debug print whose errors a try swallows

    def visit_Try(self, node: cst.Try) -> None:
        if any(_swallows_graph_errors(handler) for handler in node.handlers):
            # ``try: print(loss.numpy()) except: pass  # tf graph mode``: a debug print whose
            # error under fit's tracing the handler swallows; it changes no value of the loss
            self._swallowed.update(
                call for printed in descendants(node.body, cst.Call) if _is_print(printed)
                for call in descendants(printed, cst.Call))

    def visit_If(self, node: cst.If) -> None:
        # only an ``if`` without ``else``: then all of it but the test is the guarded body
        self._arrays.append(self._tested_array(node.test) if node.orelse is None else None)

    def leave_If(self, original_node: cst.If) -> None:
        self._arrays.pop()

    def _tested_array(self, test: cst.BaseExpression) -> str | None:
        """``x`` for a test that only holds when ``x`` is no tensor (``not tf.is_tensor(x)``,
        ``not isinstance(x, tf.Tensor)``, ``isinstance(x, np.ndarray)``): code under it converts
        arrays, lists or numbers, never the tensors ``fit`` passes."""
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        call = test.expression if negated and isinstance(test, cst.UnaryOperation) else test
        if not isinstance(call, cst.Call) or not call.args or not isinstance(call.args[0].value, cst.Name):
            return None
        dotted = cst_dotted(call.func) or ""
        canon = self.index.imports.canonical(dotted) or dotted
        kind = cst_dotted(call.args[1].value) if len(call.args) > 1 else None
        kind_canon = (self.index.imports.canonical(kind) or kind) if kind else ""
        if negated and canon.rsplit(".", 1)[-1] == "is_tensor":
            return call.args[0].value.value
        if dotted == "isinstance" and kind_canon and (
                (negated and kind_canon.endswith("Tensor")) or (not negated and kind_canon == "np.ndarray")):
            return call.args[0].value.value
        return None

    def _on_arrays(self, node: cst.Call) -> bool:
        """The call's first argument is a name that an enclosing test says holds no tensor."""
        first = node.args[0].value if node.args else None
        return isinstance(first, cst.Name) and first.value in self._arrays

    @cached_property
    def _eager_fit(self) -> bool:
        """The file runs ``fit`` eagerly (``compile(..., run_eagerly=True)``,
        ``tf.config.run_functions_eagerly(True)``): the loss gets eager tensors there."""
        return bool(_EAGER.search(self.index.source))

    def _eager_labels(self, node: cst.Call) -> bool:
        """Under an eager ``fit``, numpy on the labels alone works and needs no gradient
        (measured on Keras 3.15: ``y_true.numpy()`` for a weight map trains): only numpy on the
        predictions loses theirs."""
        if not self._eager_fit:
            return False
        operand = node.func.value if isinstance(node.func, cst.Attribute) and not node.args else (
            node.args[0].value if node.args else None)
        value = self.value(operand) if operand is not None else None
        return value is not None and value.from_true and not value.from_pred

    def visit_Call(self, node: cst.Call) -> None:
        if self.loss is None or self.loss.value(node) is None or self._on_arrays(node) or self._eager_labels(node) \
                or node in self._swallowed:
            return
        dotted, canon = self.index.dotted_and_canonical(node.func)
        if canon is not None and canon.startswith("np.") and canon not in HARMLESS:
            self._numpy_call(node, canon)
        elif canon in _SCALAR_TYPES and node.args and is_tensor(self.value(node.args[0].value)):
            # np.float32 as a dtype is harmless; called on a tensor it converts to numpy
            self.report(node, what=f"{code_of(node.func)} on a tensor fails when fit traces the loss "
                                   "(NotImplementedError) and has no gradient",
                        how=f"cast it with tf.cast(x, tf.{canon[len('np.'):]})")
        elif canon in _TO_NUMPY and node.args and is_tensor(self.value(node.args[0].value)):
            self.report(node, what=f"{code_of(node.func)} on a tensor fails when fit traces the "
                                   "loss and has no gradient", how="keep the computation in tf ops")
        elif canon in PY_FUNCTIONS:
            self._py_function(node, canon or "")
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "numpy" and not node.args:
            if is_tensor(self.value(node.func.value)):
                self.report(node, what=".numpy() on a tensor raises AttributeError when fit traces the "
                                       "loss and has no gradient", how="keep the computation in tf ops")

    def _numpy_call(self, node: cst.Call, canon: str) -> None:
        values = [self.value(a.value) for a in node.args]
        if not any(is_tensor(v) for v in values):
            return
        first = values[0] if values else None
        fn = code_of(node.func)
        found = replacement(node, canon[len("np."):], self._namespaces,
                            first is not None and first.dtype is DType.FLOAT)
        if found is None:
            conversion = canon in ("np.asarray", "np.array", "np.asanyarray", "np.ascontiguousarray")
            how = "keep the tensor (drop the conversion)" if conversion else "use the tf / keras.ops equivalent"
            self.report(node, what=f"{fn} on a tensor fails when fit traces the loss (NotImplementedError) "
                                   "and has no gradient", how=how)
            return
        fixed, space, dotted = found
        self.report(node, what=f"{fn} on a tensor fails when fit traces the loss (NotImplementedError) "
                               "and has no gradient", how=f"use {dotted}", fix=fixed,
                    fix_imports=space.imports)

    def _py_function(self, node: cst.Call, canon: str) -> None:
        if self.loss is None or self.loss.role is Role.METRIC:
            return  # a metric needs no gradient; py_function is the usual way to run numpy there
        value = self.value(node)
        if value is None or not value.from_pred:
            return
        func = call_arg(node, 0, "func")
        if func is None or not (canon == "tf.numpy_function" or self._numpy_function(func)):
            return
        fn = code_of(node.func)
        self.report(node, what=f"{fn} wraps numpy code ({code_of(func)}): zero or no gradient "
                               "and an output of unknown rank in Keras 3", how="rewrite it with tf ops")

    def _numpy_function(self, func: cst.BaseExpression) -> bool:
        dotted = cst_dotted(func)
        canon = self.index.imports.canonical(dotted) if dotted else None
        if canon is not None and canon.startswith("np."):
            return True
        if isinstance(func, cst.Lambda):
            return uses_numpy(func.body, self.index.imports)
        if isinstance(func, cst.Name):
            target = self.facts.functions.get(func.value) or self._local_def(func.value)
            return target is not None and uses_numpy(target, self.index.imports)
        return False

    def _local_def(self, name: str) -> cst.FunctionDef | None:
        scope = self.loss
        while scope is not None:
            node = scope.node
            if isinstance(node, cst.FunctionDef) and isinstance(node.body, cst.IndentedBlock):
                for stmt in node.body.body:
                    if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
                        return stmt
            scope = scope.parent
        return None


#: what a handler must catch to swallow numpy's failure on a symbolic tensor
_GRAPH_ERRORS = frozenset({"Exception", "BaseException", "AttributeError", "NotImplementedError"})


def _swallows_graph_errors(handler: cst.ExceptHandler) -> bool:
    """A bare ``except:``, or one naming an exception that ``.numpy()`` (AttributeError) and
    numpy on a symbolic tensor (NotImplementedError) raise, alone or in a tuple."""
    return handler.type is None or any(name.rsplit(".", 1)[-1] in _GRAPH_ERRORS for name in caught_names(handler))


def _is_print(call: cst.Call) -> bool:
    """``print(...)`` or a logging call (``logger.info(...)``, ``logging.debug(...)``)."""
    name = cst_dotted(call.func) or ""
    return name == "print" or name.rsplit(".", 1)[-1] in ("debug", "info", "warning", "log") and "." in name
