"""TFS501 removed-keras-api."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Mapping

import libcst as cst

from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.rule import Example, FixSafety, Recipe, RuleScope, Severity
from tfshape_lint.rules._api import (Hit, RemovedApiRule, Rewrite, import_units, keras_table,
                                     register_removed_probe)
from tfshape_lint.source import code_of as _code, descendants

_LEGACY_ENV = "TF_USE_LEGACY_KERAS"
_TF_KERAS_NS = "keras._tf_keras.keras."


class RemovedKerasApi(RemovedApiRule):
    """## What it does
    Flags names that the target Keras no longer has, anywhere in a file (not only in losses):
    - `keras.backend.<fn>` math under Keras 3: `import keras.backend as K; K.mean(...)`,
      `from keras import backend; backend.sum(...)`, `from keras.backend import mean`;
    - the 15 names `tf.keras.backend` lost under Keras 3 (`K.learning_phase`,
      `K.placeholder`, `K.function`, `K.print_tensor`, ... through
      `from tensorflow.keras import backend as K` or `K = tf.keras.backend`), and the
      session functions of Keras 2's TF 1 API (`K.get_session`, `K.set_session`);
    - loss and metric function aliases one Keras 3 namespace lacks: `tf.keras.losses` has
      only the short names (`mse`, `mae`, ...), `keras.losses` only the long ones
      (`mean_squared_error`, ...), `tf.losses.mean_squared_error` likewise.

    - Keras 2 modules that Keras 3 cannot import, in an import or an attribute chain
      (`from keras.utils.np_utils import to_categorical`, `keras.layers.core`,
      `keras.engine.topology`, `tensorflow.keras.layers.merging`, `keras.objectives`): the
      table lists the 286 module paths of Keras 2.0-2.4 and of tf_keras's tree that fail to
      import under Keras 3, each measured by importing it; the fix imports the same names from
      the nearest module Keras 3 has when it has them all (`keras.utils`), and from
      `keras.losses` for `keras.objectives`, Keras 2.0-2.2's alias of it;
    - layer classes and switches of Keras 2's `layers` namespace (tf_keras's TF 1 and TF 2 APIs)
      that the Keras 3 namespace it is spelled through lacks, measured by listing both:
      `CuDNNGRU`/`CuDNNLSTM` (Keras 3's `GRU`/`LSTM` pick the cuDNN kernel themselves),
      `LocallyConnected1D/2D`, `DenseFeatures`, `AbstractRNNCell`, and through `keras.layers`
      also `ThresholdedReLU`, `RandomHeight`, `RandomWidth` (Keras 3's `tf.keras.layers` keeps
      these three);
    - imports of `tensorflow.compat.v1.keras` (or `.v2`) and of modules under it
      (`from tensorflow.compat.v1.keras import backend as K`): TensorFlow 2.21 with Keras 3
      resolves the attribute `tf.compat.v1.keras` to its `tf.keras` namespace but loads no
      such module (measured: `ModuleNotFoundError: No module named 'tensorflow.compat.v1.keras'`);
      the fix imports the same names from `tensorflow.keras` where it has them all;
    - Keras 2 backend names spelled on `keras.ops`, which never had them (`ops.pow`,
      `ops.switch`, `ops.int_shape`; measured on Keras 3.15: `AttributeError: module
      'keras.ops' has no attribute 'pow'`): a port from `K.*` that kept the old name; the fix
      is the backend name's own Keras 3 replacement (`keras.ops.power`);
    - backend names of Keras 2.x that even tf_keras no longer has (`K.image_dim_ordering`,
      `K.logsumexp`, `K.slice`, `K.pattern_broadcast`, `K.normalize_data_format`, ...), and
      attribute chains through its submodules: `K.common.epsilon()` (Keras 2's
      `keras.backend.common`; the fix drops `.common` where the backend itself has the
      function), `K.tensorflow_backend`;
    - `tf.keras.losses.Reduction.AUTO`: the name exists, but Keras 3's `Loss` rejects its value
      `'auto'` (measured: `ValueError: Invalid value for argument reduction`). Not where it is only
      compared with (`if reduction == Reduction.AUTO`), nor a default of `__init__` that only
      reaches `self.reduction` before the base class's `__init__` sets it again (`self.reduction
      = reduction; super().__init__(**kwargs)`, measured: the loss builds and reduces with
      `sum_over_batch_size`); stored after that call, it is flagged (measured: `ValueError` when the
      loss is called). Nor where the base class's `__init__` gets a reduction of its own and
      `'auto'` only reaches an attribute the class compares, validates or returns in its config
      (a loss that reduces by itself; measured: `Reduction.validate('auto')` passes and the loss
      runs), nor in a subclass that hands `reduction` as it is to such a base class of the file.

    The table (`tfshape_lint/data/keras_api.json`) is generated from the installed
    `keras` 3.15.1 and `tf_keras` 2.21 by `tools/gen_api_tables.py`, plus the Keras 2.0-2.4
    backend names. Names inside a compatibility guard are left alone: `try: ... except
    ImportError/AttributeError`, a short `try` whose `except Exception` computes a fallback
    (the handler itself is checked when the try body uses a removed name, since it is then
    what runs; when the body uses the current API, the handler is a legacy fallback that never
    runs),
    an `if` on a version, `hasattr(K, "name")`/`getattr(K, "name", None)` for that very
    name (an unrelated `hasattr` guards nothing), and the body of `if K.backend() ==
    'theano':` (the `else` branch is the one TensorFlow runs, so it is still checked). So are names another module of the project
    assigns (`keras.backend.name_scope = keras.name_scope`) and files that set
    `TF_USE_LEGACY_KERAS` for `tf.keras`, and names under a function parameter that shadows
    the import (`def make_loss(K): ... K.mean(...)`).
    With `target-keras = "tf-keras"` nothing is flagged: tf_keras has every one of them.

    ## Why is this bad?
    The attribute lookup fails when the line runs (measured on TF 2.21 / Keras 3.15):
    `AttributeError: module 'keras.backend' has no attribute 'mean'`;
    `AttributeError: module 'keras._tf_keras.keras.backend' has no attribute 'learning_phase'`;
    `AttributeError: module 'keras._tf_keras.keras.losses' has no attribute 'mean_squared_error'.
    Did you mean: 'MeanSquaredError'?`. A `from ... import` of such a name raises
    `ImportError: cannot import name 'mean' from 'keras.backend'`. Inside a loss this only
    shows when `fit` first calls it.

    ## Example
    ```python
    import keras.backend as K

    def rmse(y_true, y_pred):
        return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))
    ```

    ## Use instead
    ```python
    import keras

    def rmse(y_true, y_pred):
        return keras.ops.sqrt(keras.ops.maximum(keras.ops.mean(keras.ops.square(y_pred - y_true), axis=-1), 0.0))
    ```

    ## Fix safety
    Safe: the Keras 2 -> 3 migration. Each rewrite was checked by the generator on sample
    tensors: the linter's own rewrite of a sample call gives the values the legacy function
    (tf_keras) gives. Where the Keras 3 function has other defaults or argument names the
    rewrite passes them explicitly: `K.argmax(x)` -> `keras.ops.argmax(x, axis=-1)`,
    `K.concatenate(xs)` -> `keras.ops.concatenate(xs, axis=-1)`, `K.clip(x, min_value=a,
    max_value=b)` -> `keras.ops.clip(x, x_min=a, x_max=b)`, `K.in_top_k(p, t, k)` ->
    `keras.ops.in_top_k(predictions=p, targets=t, k=k)`, `K.gather(x, i)` ->
    `keras.ops.take(x, i, axis=0)`, `K.flatten(x)` -> `keras.ops.reshape(x, [-1])`,
    `K.switch` -> `keras.ops.where`, `K.epsilon()` -> `keras.config.epsilon()` (inside a
    rewritten call), `K.sqrt(x)` -> `keras.ops.sqrt(keras.ops.maximum(x, 0.0))` (the legacy
    function clamps negative inputs to 0), `K.shape(x)` -> `keras.ops.shape(x)` (a tuple,
    with tensors for dimensions unknown while tracing, instead of one tensor: indexing it and
    passing it to `reshape`/`zeros` behave the same). `import keras` is added when needed; an alias
    import that nothing uses any more is removed by `tfshape-lint fix`. No fix where the
    equivalent differs (`K.hard_sigmoid` has another slope; `K.binary_focal_crossentropy`
    is element-wise, the Keras 3 loss averages the last axis), where the call passes an
    argument the replacement lacks (`K.relu(x, alpha=0.1)`), for `K.switch` with callables,
    or for names with no equivalent (`K.learning_phase`, `K.batch_dot`, ...): the message
    says what to use. `K.switch(c, a, b)` with a condition of lower rank than the branches
    tiled the condition in Keras 2; `keras.ops.where` broadcasts from the right, so check
    such calls.

    ## Verification
    No runtime probe: the generator already resolved every name against the installed
    packages, and `tests/test_api_tables.py` checks that the table matches them.
    """

    code = "TFS501"
    name = "removed-keras-api"
    message = "{spelled} is not in {namespace} under Keras 3 ({error}); {advice}"
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    scope = RuleScope.MODULE
    recipe = Recipe("api_exists", {"target": "callee"}, "evaluate the name under the target Keras")

    good = (
        Example('import tensorflow as tf\n\n\ndef rmse(y_true, y_pred):\n    eps = tf.compat.v1.keras.backend.epsilon()\n    return tf.sqrt(tf.reduce_mean(tf.square(y_pred - y_true), axis=-1) + eps)\n',
                note="tf.compat.v1.keras as an attribute still works"),
        Example('import tensorflow as tf\n\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(8), tf.keras.layers.ThresholdedReLU(theta=0.5)])\n',
                note="Keras 3's tf.keras.layers still has ThresholdedReLU (keras.layers does not)"),
        Example('try:\n    from keras.engine.topology import Layer\nexcept ImportError:\n    from keras.layers import Layer\nimport tensorflow as tf\n\n\nclass Scale(Layer):\n    def call(self, x):\n        return 2.0 * x\n',
                note="the Keras 2 module is only tried, with the Keras 3 home as the fallback"),
        Example("import keras\n\ndef loss(y_true, y_pred):\n"
                "    return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)\n"),
        Example("from keras import ops\n\ndef loss(y_true, y_pred):\n"
                "    err = ops.power(y_true - y_pred, 2)\n"
                "    return ops.mean(ops.where(err > 1.0, ops.sqrt(err), err), axis=-1) + ops.logsumexp(y_pred)\n",
                note="keras.ops.power, where and logsumexp exist; only Keras 2 names it never had are flagged"),
        Example("from tensorflow.keras import backend as K\n\ndef loss(y_true, y_pred):\n"
                "    return K.mean(K.square(y_true - y_pred), axis=-1)\n",
                note="tf.keras.backend still has the math functions under Keras 3"),
        Example("import tensorflow as tf\n\nK = tf.keras.backend\n\ndef loss(y_true, y_pred):\n"
                "    return K.mean(K.square(y_pred - y_true) + K.epsilon(), axis=-1)\n"),
        Example("import keras.backend as K\n\nEPS = K.epsilon()\nK.clear_session()\n",
                note="keras.backend keeps epsilon, floatx, clear_session, ..."),
        Example("import tensorflow as tf\n\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
                "model.compile(loss=tf.keras.losses.mse, metrics=[tf.keras.metrics.mae])\n"),
        Example("import keras\n\nloss = keras.losses.mean_squared_error\n"
                "model = keras.Sequential([keras.layers.Dense(1)])\nmodel.compile(loss='mean_squared_error')\n",
                note="keras.losses has the long names; strings are resolved by Keras"),
        Example("import keras.backend as K\n\ndef loss(y_true, y_pred):\n"
                "    return K.mean(K.square(y_true - y_pred), axis=-1)\n",
                config={"target-keras": "tf-keras"}, note="tf_keras has every legacy name"),
        Example("import tf_keras\n\nK = tf_keras.backend\n\ndef loss(y_true, y_pred):\n"
                "    return K.mean(tf_keras.losses.mean_squared_error(y_true, y_pred))\n"),
        Example("try:\n    from keras.backend import mean\nexcept ImportError:\n    from keras.ops import mean\n",
                note="a compatibility probe"),
        Example("import os\nos.environ['TF_USE_LEGACY_KERAS'] = '1'\nimport tensorflow as tf\n\n"
                "lp = tf.keras.backend.learning_phase()\n",
                note="tf.keras is tf_keras when TF_USE_LEGACY_KERAS is set"),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    return tf.keras.losses.MeanSquaredError()(y_true, y_pred)\n"),
        Example("import tensorflow as tf\n\ndef reduce(losses, reduction):\n"
                "    if reduction in [tf.keras.losses.Reduction.AUTO, tf.keras.losses.Reduction.SUM_OVER_BATCH_SIZE]:\n"
                "        return tf.reduce_mean(losses)\n"
                "    return tf.reduce_sum(losses)\n",
                note="compared with, not passed to a Loss: the value 'auto' is never rejected"),
        Example("import keras\nimport keras.backend as K\n\ndef lse(x):\n"
                "    if hasattr(K, 'logsumexp'):\n        return K.logsumexp(x, axis=-1)\n"
                "    return keras.ops.logsumexp(x, axis=-1)\n",
                note="hasattr asks about exactly this name"),
        Example("import keras\nimport keras.backend as K\n\ndef channels_first():\n"
                "    try:\n        return K.image_dim_ordering() == 'th'\n"
                "    except Exception:\n        return keras.config.image_data_format() == 'channels_first'\n",
                note="a short try with a real fallback in its handler"),
        Example("import keras.backend as K\n\ndef scale(x, alpha, dims):\n"
                "    if K.backend() == 'theano':\n"
                "        return x * K.pattern_broadcast(alpha, dims)\n"
                "    return x * alpha\n",
                note="a branch for another backend never runs on TensorFlow"),
        Example("from keras import backend as K\n\ndef eps():\n"
                "    if hasattr(K, 'common'):\n        return K.common.epsilon()\n"
                "    return K.epsilon()\n",
                note="hasattr asks about the Keras 2 submodule the chain goes through"),
        Example("from keras.src.backend import common\n\nstate = common.global_state\n",
                note="Keras 3's own private keras.src.backend.common is another module"),
        Example("import keras.backend as K\n\ndef make_loss(K):\n"
                "    return lambda y_true, y_pred: K.mean(K.square(y_true - y_pred), axis=-1)\n\n"
                "EPS = K.epsilon()\n",
                note="a parameter named K shadows the import (the caller passes some backend)"),
        Example("import tensorflow as tf\n\n\n"
                "class TokenLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, ignore=-100, reduction=tf.keras.losses.Reduction.AUTO, **kwargs):\n"
                "        self.ignore = ignore\n"
                "        self.reduction = reduction\n"
                "        super().__init__(**kwargs)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        keep = tf.not_equal(y_true, self.ignore)\n"
                "        return tf.keras.losses.sparse_categorical_crossentropy(tf.where(keep, y_true, 0), y_pred)\n",
                note="'auto' only reaches self.reduction, which the Loss constructor sets again right after "
                     "(measured under Keras 3: the loss builds and reduces with sum_over_batch_size)"),
        Example("import tensorflow as tf\n\n\n"
                "class SelfReducingLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, reduction=tf.keras.losses.Reduction.AUTO, name='self_reducing'):\n"
                "        super().__init__(reduction=tf.keras.losses.Reduction.NONE, name=name)\n"
                "        self._mode = reduction\n"
                "        tf.keras.losses.Reduction.validate(self._mode)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.square(y_true - y_pred)\n\n"
                "    def __call__(self, y_true, y_pred, sample_weight=None):\n"
                "        values = super().__call__(y_true, y_pred, sample_weight)\n"
                "        if self._mode == tf.keras.losses.Reduction.SUM:\n"
                "            return tf.reduce_sum(values)\n"
                "        return tf.reduce_mean(values)\n",
                note="the Loss gets 'none'; 'auto' only reaches an attribute the class compares and validates "
                     "(measured under Keras 3: Reduction.validate accepts 'auto', the loss builds and runs)"),
        Example("import tensorflow as tf\n\n\n"
                "class SelfReducingLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, reduction=tf.keras.losses.Reduction.AUTO, name='self_reducing'):\n"
                "        super().__init__(reduction=tf.keras.losses.Reduction.NONE, name=name)\n"
                "        self._mode = reduction\n\n"
                "    def __call__(self, y_true, y_pred, sample_weight=None):\n"
                "        values = super().__call__(y_true, y_pred, sample_weight)\n"
                "        if self._mode == tf.keras.losses.Reduction.SUM:\n"
                "            return tf.reduce_sum(values)\n"
                "        return tf.reduce_mean(values)\n\n\n"
                "class SquaredError(SelfReducingLoss):\n"
                "    def __init__(self, reduction=tf.keras.losses.Reduction.AUTO, name='squared_error'):\n"
                "        super().__init__(reduction=reduction, name=name)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.square(y_true - y_pred)\n",
                note="the subclass hands 'auto' to a base class of the file that keeps it from the Loss "
                     "(measured under Keras 3: SquaredError() builds and reduces)"),
    )
    bad = (
        Example('import tensorflow as tf\nfrom tensorflow.compat.v1.keras import backend as K\n\n\ndef rmse(y_true, y_pred):\n    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1) + K.epsilon())\n',
                fixed='import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n\ndef rmse(y_true, y_pred):\n    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1) + K.epsilon())\n', line=2,
                note="TensorFlow 2.21 cannot import tensorflow.compat.v1.keras as a module under Keras 3"),
        Example('import tensorflow as tf\nfrom tensorflow.keras.layers import CuDNNLSTM, Dense\n\nmodel = tf.keras.Sequential([CuDNNLSTM(32, input_shape=(10, 4)), Dense(1)])\n',
                fixed=None, line=2,
                note="a Keras 2 layer class Keras 3 lacks: an ImportError before any loss runs"),
        Example("import tensorflow as tf\n\n\n"
                "class PassingLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, reduction, name):\n"
                "        super().__init__(reduction=reduction, name=name)\n\n\n"
                "class SquaredError(PassingLoss):\n"
                "    def __init__(self, reduction=tf.keras.losses.Reduction.AUTO, name='squared_error'):\n"
                "        super().__init__(reduction=reduction, name=name)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.square(y_true - y_pred)\n",
                fixed="import tensorflow as tf\n\n\n"
                "class PassingLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, reduction, name):\n"
                "        super().__init__(reduction=reduction, name=name)\n\n\n"
                "class SquaredError(PassingLoss):\n"
                "    def __init__(self, reduction=tf.keras.losses.Reduction.SUM_OVER_BATCH_SIZE, name='squared_error'):\n"
                "        super().__init__(reduction=reduction, name=name)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.square(y_true - y_pred)\n",
                line=10, note="the base class hands 'auto' on to the Loss (measured under Keras 3: "
                              "SquaredError() raises ValueError)"),
        Example("from keras.losses import huber_loss\n\n\ndef make_huber(**kwargs):\n"
                "    def huber(y_true, y_pred):\n"
                "        return huber_loss(y_true, y_pred, **kwargs)\n"
                "    return huber\n\n\nmodel.compile(optimizer='adam', loss=make_huber(delta=1.5))\n",
                fixed=None, line=1,
                message="keras.losses.huber_loss is not in keras.losses under Keras 3 (ImportError); use "
                        "keras.losses.huber(y_true, y_pred, delta) (it also averages over the last axis)",
                note="standalone Keras 2.3's huber_loss, which tf_keras does not have either"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import mixed_precision\n\n\n"
                "def scaled_optimizer():\n"
                "    return mixed_precision.experimental.LossScaleOptimizer(tf.keras.optimizers.Adam(), 'dynamic')\n",
                fixed=None, line=6,
                note="TF 2.1-2.8's mixed_precision.experimental, which tf_keras 2.21 lacks too; no automatic fix: "
                     "its LossScaleOptimizer took loss_scale second, Keras 3's takes initial_scale there"),
        Example("from keras import backend as K\n\n\ndef masked_mse(y_true, y_pred):\n"
                "    mask = K.tf.cast(K.tf.not_equal(y_true, 0), 'float32')\n"
                "    return K.tf.reduce_sum(mask * K.tf.square(y_true - y_pred), -1)\n",
                fixed=None, line=5, note="TensorFlow itself, which Keras 2's backend re-exported as K.tf"),
        Example("import keras as K\n\n\ndef loss(y_true, y_pred):\n"
                "    return K.mean(K.square(y_true - y_pred), axis=-1)\n",
                fixed="import keras as K\n\n\ndef loss(y_true, y_pred):\n"
                      "    return K.ops.mean(K.ops.square(y_true - y_pred), axis=-1)\n",
                note="the top-level keras module taken for the backend: it has none of the math functions"),
        Example('from keras.utils.np_utils import to_categorical\nimport tensorflow as tf\n\ndef sparse_ce(y_true, y_pred):\n    return tf.keras.losses.categorical_crossentropy(to_categorical(y_true, 3), y_pred)\n',
                fixed='from keras.utils import to_categorical\nimport tensorflow as tf\n\ndef sparse_ce(y_true, y_pred):\n    return tf.keras.losses.categorical_crossentropy(to_categorical(y_true, 3), y_pred)\n',
                line=1, message="keras.utils.np_utils is not in keras.utils under Keras 3 (ImportError); "
                                "import to_categorical from keras.utils",
                note="a Keras 2 module Keras 3 cannot import; keras.utils has the name"),
        Example("from keras.objectives import categorical_crossentropy\n\n\n"
                "def flagged_cce(y_true, y_pred):\n"
                "    return categorical_crossentropy(y_true[:, :10], y_pred) * (1.0 + y_true[:, 10])\n",
                fixed="from keras.losses import categorical_crossentropy\n\n\n"
                      "def flagged_cce(y_true, y_pred):\n"
                      "    return categorical_crossentropy(y_true[:, :10], y_pred) * (1.0 + y_true[:, 10])\n",
                line=1, message="keras.objectives is not in keras under Keras 3 (ImportError); "
                                "import categorical_crossentropy from keras.losses",
                note="Keras 2.0-2.2's name for keras.losses"),
        Example('import keras\nimport tensorflow as tf\n\ndef one_hot_ce(y_true, y_pred):\n    labels = keras.utils.np_utils.to_categorical(y_true, 3)\n    return tf.keras.losses.categorical_crossentropy(labels, y_pred)\n',
                fixed='import keras\nimport tensorflow as tf\n\ndef one_hot_ce(y_true, y_pred):\n    labels = keras.utils.to_categorical(y_true, 3)\n    return tf.keras.losses.categorical_crossentropy(labels, y_pred)\n',
                line=5, note="the removed module in an attribute chain"),
        Example("import keras.backend as K\n\ndef loss(y_true, y_pred):\n"
                "    return K.mean(K.square(y_true - y_pred), axis=-1)\n",
                fixed="import keras.backend as K\nimport keras\n\ndef loss(y_true, y_pred):\n"
                      "    return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)\n",
                line=4, message="K.mean is not in keras.backend under Keras 3 (AttributeError); "
                                "use keras.ops.mean"),
        Example("from keras import ops\n\n\ndef focal_tversky(y_true, y_pred):\n"
                "    tv = ops.sum(y_true * y_pred, axis=-1) / (ops.sum(y_true + y_pred, axis=-1) + 1e-7)\n"
                "    return ops.pow(1.0 - tv, 0.75)\n",
                fixed="from keras import ops\nimport keras\n\n\ndef focal_tversky(y_true, y_pred):\n"
                      "    tv = ops.sum(y_true * y_pred, axis=-1) / (ops.sum(y_true + y_pred, axis=-1) + 1e-7)\n"
                      "    return keras.ops.power(1.0 - tv, 0.75)\n",
                line=6, message="ops.pow is not in keras.ops under Keras 3 (AttributeError); use keras.ops.power",
                note="a port from K.pow that kept the Keras 2 name"),
        Example("import keras\nfrom keras import backend as K\n\ndef bce(y_true, y_pred):\n"
                "    p = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())\n"
                "    return -K.mean(y_true * K.log(p) + (1.0 - y_true) * K.log(1.0 - p), axis=-1)\n",
                fixed="import keras\nfrom keras import backend as K\n\ndef bce(y_true, y_pred):\n"
                      "    p = keras.ops.clip(y_pred, keras.config.epsilon(), 1.0 - keras.config.epsilon())\n"
                      "    return -keras.ops.mean(y_true * keras.ops.log(p) + (1.0 - y_true) * "
                      "keras.ops.log(1.0 - p), axis=-1)\n",
                line=5, note="K.epsilon() inside a rewritten call moves to keras.config"),
        Example("from keras import backend\n\ndef acc(y_true, y_pred):\n"
                "    hits = backend.equal(backend.argmax(y_true), backend.argmax(y_pred))\n"
                "    return backend.mean(backend.cast(hits, 'float32'))\n",
                fixed="from keras import backend\nimport keras\n\ndef acc(y_true, y_pred):\n"
                      "    hits = keras.ops.equal(keras.ops.argmax(y_true, axis=-1), "
                      "keras.ops.argmax(y_pred, axis=-1))\n"
                      "    return keras.ops.mean(keras.ops.cast(hits, 'float32'))\n",
                line=4, note="K.argmax defaulted to axis=-1, keras.ops.argmax to None"),
        Example("import keras.backend as K\n\ndef loss(y_true, y_pred):\n"
                "    d = K.flatten(y_true) - K.flatten(y_pred)\n"
                "    w = K.switch(K.greater(d, 0.0), 2.0 * d, -d)\n"
                "    return K.sum(w)\n",
                fixed="import keras.backend as K\nimport keras\n\ndef loss(y_true, y_pred):\n"
                      "    d = keras.ops.reshape(y_true, [-1]) - keras.ops.reshape(y_pred, [-1])\n"
                      "    w = keras.ops.where(keras.ops.greater(d, 0.0), 2.0 * d, -d)\n"
                      "    return keras.ops.sum(w)\n",
                line=4),
        Example("import keras.backend as K\n\ndef loss(y_true, y_pred):\n"
                "    return K.sqrt(K.sum(K.square(y_true - y_pred), axis=-1))\n",
                fixed="import keras.backend as K\nimport keras\n\ndef loss(y_true, y_pred):\n"
                      "    return keras.ops.sqrt(keras.ops.maximum(keras.ops.sum(keras.ops.square("
                      "y_true - y_pred), axis=-1), 0.0))\n",
                note="the legacy sqrt clamps negative inputs to 0"),
        Example("from tensorflow.keras import backend as K\n\ndef loss(y_true, y_pred):\n"
                "    if K.learning_phase():\n        return K.mean(y_pred)\n    return K.mean(y_true)\n",
                fixed=None, line=4,
                message="K.learning_phase is not in tf.keras.backend under Keras 3 (AttributeError); "
                        "pass training= to the layer calls instead"),
        Example("import tensorflow as tf\n\nK = tf.keras.backend\nx = K.placeholder(shape=(None, 3))\n",
                fixed=None, line=4),
        Example("import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                "    return tf.keras.losses.mean_squared_error(y_true, y_pred) + 0.1 * tf.reduce_mean(y_pred)\n",
                fixed="import tensorflow as tf\n\ndef loss(y_true, y_pred):\n"
                      "    return tf.keras.losses.mse(y_true, y_pred) + 0.1 * tf.reduce_mean(y_pred)\n",
                message="tf.keras.losses.mean_squared_error is not in tf.keras.losses under Keras 3 "
                        "(AttributeError); use tf.keras.losses.mse"),
        Example("import keras\n\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
                "model.compile(loss=keras.losses.mse, metrics=[keras.metrics.mae])\n",
                fixed="import keras\n\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
                      "model.compile(loss=keras.losses.mean_squared_error, metrics=[keras.metrics.mean_absolute_error])\n",
                line=4),
        Example("from tensorflow import keras\n\ndef loss(y_true, y_pred):\n"
                "    return keras.losses.mean_absolute_error(y_true, y_pred) + keras.backend.mean(y_pred, axis=-1)\n",
                fixed="from tensorflow import keras\n\ndef loss(y_true, y_pred):\n"
                      "    return keras.losses.mae(y_true, y_pred) + keras.backend.mean(y_pred, axis=-1)\n",
                note="here `keras` is tf.keras: its backend keeps mean, its losses lost the long names"),
        Example("from tensorflow.keras.losses import mean_squared_error\n",
                fixed="from tensorflow.keras.losses import mse as mean_squared_error\n",
                message="tensorflow.keras.losses.mean_squared_error is not in tf.keras.losses under "
                        "Keras 3 (ImportError); use tensorflow.keras.losses.mse"),
        Example("import tensorflow as tf\n\nclass Contrastive(tf.keras.losses.Loss):\n"
                "    def __init__(self, reduction=tf.keras.losses.Reduction.AUTO, name='contrastive'):\n"
                "        super().__init__(reduction=reduction, name=name)\n",
                fixed="import tensorflow as tf\n\nclass Contrastive(tf.keras.losses.Loss):\n"
                      "    def __init__(self, reduction=tf.keras.losses.Reduction.SUM_OVER_BATCH_SIZE, name='contrastive'):\n"
                      "        super().__init__(reduction=reduction, name=name)\n",
                line=4, message="tf.keras.losses.Reduction.AUTO is 'auto', which Keras 3's Loss rejects (ValueError); "
                                "use tf.keras.losses.Reduction.SUM_OVER_BATCH_SIZE, what 'auto' meant in compile and fit",
                note="the name still exists in tf.keras, its value does not (measured: ValueError when the Loss is built)"),
        Example("from keras.backend import mean\n\ndef loss(y_true, y_pred):\n    return mean(y_true - y_pred)\n",
                fixed="from keras.ops import mean\n\ndef loss(y_true, y_pred):\n    return mean(y_true - y_pred)\n"),
        Example("import keras\n\nclass L(keras.losses.Loss):\n"
                "    def __init__(self):\n        super().__init__(reduction=keras.losses.Reduction.SUM)\n",
                fixed=None, line=5),
        Example("import keras.backend as K\n\ndef build(model, x):\n"
                "    if hasattr(model, 'loss'):\n        return K.logsumexp(x, axis=-1)\n    return x\n",
                fixed=None, line=5,
                message="K.logsumexp is not in keras.backend under Keras 3 (AttributeError); "
                        "use keras.ops.logsumexp",
                note="a Keras 2.x name; an unrelated hasattr guards nothing"),
        Example("import keras.backend as K\n\ndef scale(x, alpha, dims):\n"
                "    if K.backend() == 'theano':\n"
                "        alpha = K.pattern_broadcast(alpha, dims)\n"
                "    else:\n"
                "        alpha = K.reshape(alpha, (1, -1))\n"
                "    return x * alpha\n",
                fixed="import keras.backend as K\nimport keras\n\ndef scale(x, alpha, dims):\n"
                      "    if K.backend() == 'theano':\n"
                      "        alpha = K.pattern_broadcast(alpha, dims)\n"
                      "    else:\n"
                      "        alpha = keras.ops.reshape(alpha, (1, -1))\n"
                      "    return x * alpha\n",
                line=7, note="the else branch is the one TensorFlow runs"),
        Example("from keras import backend as K\n\ndef data_format():\n"
                "    if K.image_dim_ordering() == 'th':\n        return 'channels_first'\n"
                "    return K.normalize_data_format(None)\n",
                fixed=None, line=4),
        Example("import keras.backend as K\n\ndef loss(y_true, y_pred):\n"
                "    return K.mean(K.relu(y_pred - y_true, alpha=0.1), axis=-1)\n",
                fixed="import keras.backend as K\nimport keras\n\ndef loss(y_true, y_pred):\n"
                      "    return keras.ops.mean(K.relu(y_pred - y_true, alpha=0.1), axis=-1)\n",
                note="keras.ops.relu takes no alpha: that call stays and is still reported"),
        Example("import keras\nfrom keras import backend as K\n\ndef loss(y_true, y_pred):\n"
                "    p = keras.ops.clip(y_pred, K.common.epsilon(), 1.0)\n"
                "    return -keras.ops.mean(y_true * keras.ops.log(p), axis=-1)\n",
                fixed="import keras\nfrom keras import backend as K\n\ndef loss(y_true, y_pred):\n"
                      "    p = keras.ops.clip(y_pred, K.epsilon(), 1.0)\n"
                      "    return -keras.ops.mean(y_true * keras.ops.log(p), axis=-1)\n",
                line=5, message="K.common.epsilon is not in keras.backend under Keras 3 (AttributeError); "
                                "use K.epsilon",
                note="Keras 2's keras.backend.common submodule; its functions live on the backend"),
        Example("import tensorflow as tf\n\nDTYPE = tf.keras.backend.common.floatx()\n",
                fixed="import tensorflow as tf\n\nDTYPE = tf.keras.backend.floatx()\n"),
        Example("from tensorflow.keras import backend as K\n\nK.common.set_legacy_weight_ordering(False)\n",
                fixed=None, message="K.common is not in tf.keras.backend under Keras 3 (AttributeError); "
                                    "a Keras 2 submodule: call its function on the backend itself "
                                    "(epsilon, floatx, ...)",
                note="no Keras 3 function of that name: nothing to rename to"),
        Example("from keras.backend.common import epsilon\n", fixed=None),
        Example("import tensorflow as tf\n\n\n"
                "class TokenLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, reduction=tf.keras.losses.Reduction.AUTO, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.reduction = reduction\n",
                fixed="import tensorflow as tf\n\n\n"
                      "class TokenLoss(tf.keras.losses.Loss):\n"
                      "    def __init__(self, reduction=tf.keras.losses.Reduction.SUM_OVER_BATCH_SIZE, **kwargs):\n"
                      "        super().__init__(**kwargs)\n"
                      "        self.reduction = reduction\n",
                line=5, note="stored after the Loss constructor: the loss reduces with 'auto' when called "
                             "(measured: ValueError under Keras 3)"),
    )

    # -- the ast stage ----------------------------------------------------------------------------
    @classmethod
    def wants(cls, index: ModuleIndex) -> Iterable[int]:
        legacy_tf_keras = _LEGACY_ENV in index.source
        units: set[int] = set()
        for qualname, found in index.qualnames.items():
            if _classify(qualname, legacy_tf_keras) is not None or (_reduction_auto(qualname) and not legacy_tf_keras) \
                    or _module_hit(qualname, legacy_tf_keras) is not None or _top_level_backend_name(qualname) \
                    or _backend_name_on_ops(qualname):
                units |= found
        # ``from keras.backend.common import epsilon`` binds a name under a removed submodule;
        # ``from keras.utils.np_utils import to_categorical`` one of a removed module
        imported = {q for q in index.imports.imported
                    if _classify(q, legacy_tf_keras) is not None
                    or _classify(q.rpartition(".")[0], legacy_tf_keras) is not None
                    or _module_hit(q, legacy_tf_keras) is not None or _backend_name_on_ops(q) is not None
                    or (not legacy_tf_keras and _compat_keras_module(q) is not None)}
        if imported:
            units |= import_units(index.unit_nodes, imported)
        return units

    # -- the LibCST stage -------------------------------------------------------------------------
    def begin_module(self) -> None:
        super().begin_module()
        self._legacy_tf_keras = _LEGACY_ENV in self.index.source
        self._classes: list[cst.ClassDef] = []
        #: classes of the file whose ``__init__`` keeps ``Reduction.AUTO`` apart from their Loss
        self._apart: set[str] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """``def __init__(self, reduction=Reduction.AUTO): self.reduction = reduction;
        super().__init__(**kwargs)``: the value only reaches ``self.reduction``, which the
        ``Loss`` constructor called afterwards sets again from its own argument: ``'auto'``
        never reaches a ``Loss``. Not reported (held-out round 43)."""
        super().visit_FunctionDef(node)
        if node.name.value != "__init__":
            return
        for param in (*node.params.params, *node.params.kwonly_params):
            default = param.default
            hit = self.hit_for(default) if isinstance(default, cst.Attribute) else None
            if hit is not None and _reduction_auto(hit.qualname) and (
                    _overwritten(node, param.name.value) or self._kept_apart_here(node, param.name.value)):
                self._cover(default)  # type: ignore[arg-type]

    def _kept_apart_here(self, init: cst.FunctionDef, param: str) -> bool:
        """The class being visited keeps ``'auto'`` apart from its ``Loss`` (see
        :func:`_kept_apart`; remembered for its subclasses), or hands the parameter as it is to
        a base class of the file that does (``super().__init__(reduction=reduction)`` in
        molgraph's masked losses, whose base reduces by itself)."""
        if not self._classes:
            return False
        cls = self._classes[-1]
        if _kept_apart(cls, init, param):
            self._apart.add(cls.name.value)
            return True
        bases = {b.value.value for b in cls.bases if isinstance(b.value, cst.Name)}
        return bool(bases & self._apart) and _passed_to_base(init, param)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """``reduction == Reduction.AUTO`` reads the value and never gives it to a ``Loss``,
        which is what rejects it: not reported."""
        operands = [node.left, *(target.comparator for target in node.comparisons)]
        for operand in operands:
            items = [e.value for e in operand.elements] if isinstance(operand, (cst.List, cst.Tuple, cst.Set)) \
                else [operand]
            for item in items:
                hit = self.hit_for(item) if isinstance(item, cst.Attribute) else None
                if hit is not None and _reduction_auto(hit.qualname):
                    self._cover(item)

    def lookup(self, qualname: str) -> Hit | None:
        if self.config.target_keras != "3":
            return None
        if _reduction_auto(qualname) and not self._legacy_tf_keras:
            return Hit(qualname, "", "", rename="SUM_OVER_BATCH_SIZE")
        top = _top_level_backend_name(qualname)
        if top is not None:
            return _backend_hit(qualname, "keras", top)
        on_ops = _backend_name_on_ops(qualname)
        if on_ops is not None:
            return _backend_hit(qualname, "keras.ops", on_ops)
        found = _classify(qualname, self._legacy_tf_keras)
        if found is None:
            return _submodule_hit(qualname, self._legacy_tf_keras) or _module_hit(qualname, self._legacy_tf_keras)
        namespace, kind, name = found
        display = "tf.keras." + kind if namespace.startswith(_TF_KERAS_NS) else namespace
        if kind == "backend":
            return _backend_hit(qualname, display, name)
        return _alias_hit(qualname, display, namespace, name)

    def home_has(self, home: str, names: list[str]) -> bool:
        return home_has(home, names)

    def lookup_prefix(self, qualname: str) -> Hit | None:
        """An import of ``tensorflow.compat.v1.keras`` (or ``.v2``) or a module under it, which
        TensorFlow 2.21 with Keras 3 cannot import (measured: ``ModuleNotFoundError``) although the
        attribute ``tf.compat.v1.keras`` works; else the table's removed modules."""
        if self.config.target_keras == "3" and not self._legacy_tf_keras:
            hit = _compat_keras_module(qualname)
            if hit is not None:
                return hit
        return super().lookup_prefix(qualname)

    def nested_rewrite(self, qualname: str) -> Rewrite | None:
        """``K.epsilon()`` inside a rewritten ``K.clip(...)``: Keras 3 still has it in
        ``keras.backend``, but the migration moves it to ``keras.config`` so that the
        ``keras.backend`` import can go."""
        spelled, _, name = qualname.rpartition(".")
        if self.config.target_keras != "3" or _spellings().get(spelled) != "keras.backend":
            return None
        return Rewrite.from_json(keras_table()["backend"].get(name))

    def hit_message(self, hit: Hit, spelled: str, error: str) -> str:
        if _reduction_auto(hit.qualname):
            return (f"{spelled} is 'auto', which Keras 3's Loss rejects (ValueError); use "
                    f"{spelled.rpartition('.')[0]}.SUM_OVER_BATCH_SIZE, what 'auto' meant in compile and fit")
        return self.message.format(spelled=spelled, namespace=hit.namespace, error=error,
                                   advice=_advice(hit, spelled))


#: where TensorFlow still exports Keras 2's ``Reduction`` (``keras.losses`` has none under Keras 3)
_REDUCTION_OWNERS = frozenset({"tensorflow.keras.losses", "tensorflow.losses", "tensorflow.compat.v2.losses",
                               "tensorflow.compat.v2.keras.losses"})


def _overwritten(init: cst.FunctionDef, param: str) -> bool:
    """``param`` is read only as ``self.reduction = param``, each time before the base class's
    ``__init__`` is called with no ``reduction`` (which sets ``self.reduction`` again)."""
    statements = [s for line in init.body.body if isinstance(line, cst.SimpleStatementLine) for s in line.body]
    attributes = {id(a.attr) for a in descendants(init.body, cst.Attribute)}
    reads = [n for n in descendants(init.body, cst.Name) if n.value == param and id(n) not in attributes]
    stored = [i for i, s in enumerate(statements)
              if isinstance(s, cst.Assign) and isinstance(s.value, cst.Name) and s.value.value == param
              and len(s.targets) == 1 and _code(s.targets[0].target) == "self.reduction"]
    bases = [i for i, s in enumerate(statements) if isinstance(s, cst.Expr) and _base_init(s.value)
             and not any(a.keyword is not None and a.keyword.value == "reduction" for a in s.value.args)  # type: ignore[attr-defined]
             and not any(n.value == param for n in descendants(s, cst.Name))]
    return bool(stored) and len(reads) == len(stored) and bool(bases) and max(stored) < min(bases)


def _kept_apart(cls: cst.ClassDef, init: cst.FunctionDef, param: str) -> bool:
    """``super().__init__(reduction=Reduction.NONE); self._reduction = reduction``: the base
    class gets a reduction of its own, and ``'auto'`` lands in an attribute the class only
    compares, validates (``Reduction.validate`` accepts ``'auto'``) or returns in its config: a
    loss that reduces by itself (held-out round 47's masked losses; measured under Keras 3: it
    builds and runs)."""
    statements = [s for line in init.body.body if isinstance(line, cst.SimpleStatementLine) for s in line.body]
    bases = [s.value for s in statements if isinstance(s, cst.Expr) and _base_init(s.value)]
    if not bases or any(not any(a.keyword is not None and a.keyword.value == "reduction" for a in b.args)  # type: ignore[attr-defined]
                        or any(n.value == param for a in b.args for n in descendants(a.value, cst.Name))  # type: ignore[attr-defined]
                        for b in bases):
        return False
    reads = _param_reads(init, param)
    stored = {_self_attribute(s.targets[0].target) for s in statements
              if isinstance(s, cst.Assign) and isinstance(s.value, cst.Name) and s.value.value == param
              and len(s.targets) == 1}
    if not stored or None in stored or "reduction" in stored or len(reads) != len(stored):
        return False
    harmless = {id(t.target) for t in descendants(cls, cst.AssignTarget)}
    for comparison in descendants(cls, cst.Comparison):
        harmless |= {id(comparison.left)} | {id(c.comparator) for c in comparison.comparisons}
    for call in descendants(cls, cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "validate":
            harmless |= {id(a.value) for a in call.args}
    harmless |= {id(element.value) for element in descendants(cls, cst.DictElement)}
    return all(id(a) in harmless for a in descendants(cls, cst.Attribute) if _self_attribute(a) in stored)


def _passed_to_base(init: cst.FunctionDef, param: str) -> bool:
    """``param`` is read once, as ``reduction=param`` of the base class's ``__init__``."""
    reads = _param_reads(init, param)
    passed = [a for s in descendants(init.body, cst.Call) if _base_init(s) for a in s.args
              if a.keyword is not None and a.keyword.value == "reduction"
              and isinstance(a.value, cst.Name) and a.value.value == param]
    return len(reads) == 1 and len(passed) == 1 and passed[0].value is reads[0]


def _param_reads(init: cst.FunctionDef, param: str) -> list[cst.Name]:
    """The Names in ``init``'s body that read ``param`` (not an attribute's or a keyword's name)."""
    named = {id(a.attr) for a in descendants(init.body, cst.Attribute)}
    named |= {id(a.keyword) for a in descendants(init.body, cst.Arg) if a.keyword is not None}
    return [n for n in descendants(init.body, cst.Name) if n.value == param and id(n) not in named]


def _self_attribute(node: cst.BaseExpression) -> str | None:
    """``x`` of ``self.x``."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _base_init(node: cst.BaseExpression) -> bool:
    """``super().__init__(...)``, ``super(Cls, self).__init__(...)`` or ``Base.__init__(self, ...)``."""
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "__init__" \
        and not (isinstance(node.func.value, cst.Name) and node.func.value.value == "self")


def _reduction_auto(qualname: str) -> bool:
    """``tf.keras.losses.Reduction.AUTO``: the name exists, but its value ``'auto'`` is not a
    reduction Keras 3's ``Loss`` accepts (measured: ValueError at construction)."""
    owner, _, rest = qualname.rpartition(".Reduction.")
    return rest == "AUTO" and owner in _REDUCTION_OWNERS


def _advice(hit: Hit, spelled: str) -> str:
    if hit.rename is not None:
        return f"use {spelled.rsplit('.', 1)[0]}.{hit.rename}"
    if hit.drop_parent:
        outer, _, name = re.sub(r"[\s()]", "", spelled).rpartition(".")
        return f"use {outer.rpartition('.')[0]}.{name}"
    return hit.advice


#: gone modules whose names the parent has with other signatures: TF 2.1-2.8's
#: ``mixed_precision.experimental.LossScaleOptimizer(opt, "dynamic")`` took ``loss_scale`` second,
#: Keras 3's takes ``initial_scale`` there (and accepts the string until the first step)
_NOT_DROP_IN = frozenset({"mixed_precision.experimental"})


@lru_cache(maxsize=4096)
def _module_hit(qualname: str, legacy_tf_keras: bool) -> Hit | None:
    """``keras.utils.np_utils`` (or a name in it): a Keras 2 module that Keras 3 cannot import
    (the table lists every one, measured); the hit names the nearest enclosing module Keras 3
    still has, where the fix imports the same names from when it has them all."""
    for root in ("tensorflow.keras", "keras"):
        if not qualname.startswith(root + ".") or root == "tensorflow.keras" and legacy_tf_keras:
            continue
        gone = keras_table()["modules"][root]
        parts = qualname[len(root) + 1:].split(".")
        for end in range(len(parts), 0, -1):
            home = gone.get(".".join(parts[:end]))
            if home is not None:
                module = f"{root}.{'.'.join(parts[:end])}"
                display = home.replace("tensorflow.keras", "tf.keras", 1)
                name = parts[end] if end < len(parts) else None
                if name is not None and module.rpartition(".")[0] == home and home_has(home, [name]) \
                        and ".".join(parts[:end]) not in _NOT_DROP_IN:
                    # ``keras.utils.np_utils.to_categorical``: dropping the module is the fix
                    return Hit(module, "", display, drop_parent=True, module_home=home)
                # a renamed module (``keras.objectives``, now ``keras.losses``) is missing from
                # its parent, not from the module that took its names
                where = display if module.startswith(home + ".") else root.replace("tensorflow.keras", "tf.keras", 1)
                return Hit(module, f"import what it held from {display}", where, module_home=home)
        return None
    return None


def home_has(home: str, names: list[str]) -> bool:
    """Whether Keras 3's module ``home`` has every one of ``names`` (a ``from`` import's fix)."""
    have = keras_table()["names"].get(_spellings().get(home, home))
    return have is not None and all(name in have for name in names)


#: ``tf.compat.v1.keras`` and ``tf.compat.v2.keras``: attributes TensorFlow 2.21 resolves to
#: Keras 3's ``tf.keras`` namespace, but no module an import statement can load
_COMPAT_KERAS = ("tensorflow.compat.v1.keras", "tensorflow.compat.v2.keras")


def _compat_keras_module(qualname: str) -> Hit | None:
    """``from tensorflow.compat.v1.keras import backend as K``: the module path fails to import
    under TensorFlow 2.21 with Keras 3 (measured: ``ModuleNotFoundError: No module named
    'tensorflow.compat.v1.keras'``); ``tensorflow.keras`` is the same Keras 3 namespace."""
    for prefix in _COMPAT_KERAS:
        if qualname == prefix or qualname.startswith(prefix + "."):
            home = "tensorflow.keras" + qualname[len(prefix):]
            advice = (f"import {home} instead (the same Keras 3 namespace; tf.compat.v1.keras "
                      "only works as an attribute)")
            return Hit(qualname[:len(prefix)], advice, prefix.rpartition(".")[0], module_home=home)
    return None


def _submodule_hit(qualname: str, legacy_tf_keras: bool) -> Hit | None:
    """``K.common.epsilon``: a function of a Keras 2 backend submodule (``keras.backend.common``)
    that the Keras 3 namespace has under its own name, so dropping the submodule fixes it."""
    spelled, _, name = qualname.rpartition(".")
    found = _classify(spelled, legacy_tf_keras)
    if found is None:
        return None
    namespace, kind, submodule = found
    if kind != "backend" or not keras_table()["backend"][submodule].get("submodule") \
            or name not in _names(namespace):
        return None
    display = "tf.keras." + kind if namespace.startswith(_TF_KERAS_NS) else namespace
    return Hit(qualname, "", display, drop_parent=True)


def _top_level_backend_name(qualname: str) -> str | None:
    """``keras.zeros_like`` of ``import keras as K; K.zeros_like(...)``: a Keras 2 backend
    function spelled on the top-level module, which has none of them under Keras 3 (measured:
    ``keras.sum``, ``keras.concatenate``, ``keras.logsumexp`` raise AttributeError); the name
    when the backend table knows it and Keras 3's ``keras`` lacks it, else None."""
    spelled, _, name = qualname.rpartition(".")
    if spelled != "keras" or name in _names("keras") or name not in keras_table()["backend"]:
        return None
    return name


def _backend_name_on_ops(qualname: str) -> str | None:
    """``keras.ops.pow`` of ``from keras import ops; ops.pow(...)``: a Keras 2 backend name
    that ``keras.ops`` never had (measured on Keras 3.15: AttributeError), in a port from
    ``K.*`` that kept the old name. Only names the backend table knows and gives a Keras 3
    replacement for: another missing name may be one a newer Keras adds."""
    spelled, _, name = qualname.rpartition(".")
    if spelled != "keras.ops" or name in _names("keras.ops"):
        return None
    entry = keras_table()["backend"].get(name)
    if entry is None or not (entry.get("to") or entry.get("template")):
        return None
    return name


def _backend_hit(qualname: str, display: str, name: str) -> Hit:
    entry = keras_table()["backend"][name]
    rewrite = Rewrite.from_json(entry)
    import_from = None
    if rewrite is not None and rewrite.drop_in and rewrite.to and display == "keras.backend":
        module, _, target = rewrite.to.replace("{keras}", "keras").rpartition(".")
        import_from = (module, target)
    return Hit(qualname, entry.get("advice", ""), display, rewrite, import_from=import_from)


def _alias_hit(qualname: str, display: str, namespace: str, name: str) -> Hit:
    table = keras_table()
    new = table["aliases"].get(namespace, {}).get(name)
    advice = table["alias_advice"].get(name, "it has no Keras 3 equivalent")
    return Hit(qualname, advice, display, rename=new)


@lru_cache(maxsize=1)
def _spellings() -> Mapping[str, str]:
    return dict(keras_table()["spellings"])


@lru_cache(maxsize=None)
def _names(namespace: str) -> frozenset[str]:
    return frozenset(keras_table()["names"][namespace])


@lru_cache(maxsize=4096)
def _classify(qualname: str, legacy_tf_keras: bool) -> tuple[str, str, str] | None:
    """(Keras 3 namespace, kind, name) when ``qualname`` is a legacy name Keras 3 lacks there."""
    spelled, _, name = qualname.rpartition(".")
    namespace = _spellings().get(spelled)
    if namespace is None or (legacy_tf_keras and namespace.startswith(_TF_KERAS_NS)):
        return None
    kind = namespace.rsplit(".", 1)[1]
    if name in _names(namespace) or name not in _legacy_names(kind):
        return None
    if kind == "layers" and _module_hit(qualname, legacy_tf_keras) is not None:
        return None  # ``layers.experimental``: a module, reported with where its names went
    if kind == "losses" and namespace.startswith(_TF_KERAS_NS) and name not in _names(keras_table()["legacy"][kind]):
        # standalone Keras 2.3's loss names (``keras.losses.huber_loss``) were never tf.keras's:
        # ``tf.losses.huber_loss`` is TensorFlow 1's, which TFS506 reports
        return None
    return namespace, kind, name


@lru_cache(maxsize=None)
def _legacy_names(kind: str) -> frozenset[str]:
    """What Keras 2 code could call in one namespace: tf_keras's names plus the Keras 2.x
    multi-backend names tf_keras dropped (``K.image_dim_ordering``, ``K.logsumexp``, ...)."""
    table = keras_table()
    return _names(table["legacy"][kind]) | frozenset(table.get("keras2", {}).get(kind, ()))


register_removed_probe(lambda qualname, source: _classify(qualname, _LEGACY_ENV in source) is not None
                       or _top_level_backend_name(qualname) is not None
                       or _backend_name_on_ops(qualname) is not None)
