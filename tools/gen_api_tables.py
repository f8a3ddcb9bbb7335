#!/usr/bin/env python
"""Generate the removed-API tables of TFS501 and TFS506 from the installed packages.

    python tools/gen_api_tables.py            # rewrite tfshape_lint/data/{keras_api,tf1_api}.json
    python tools/gen_api_tables.py --check    # exit 1 when the committed tables are stale

Needs ``tensorflow``, ``keras`` (3.x) and ``tf_keras`` importable. Everything in the tables
is read from those packages or measured with them:

- ``keras_api.json``: the public names of every Keras namespace a program can reach
  (``keras.backend``, ``tf.keras.backend`` = ``keras._tf_keras.keras.backend``, the losses and
  metrics namespaces, ``keras.ops``) under Keras 3 and under tf_keras; which spellings name
  which namespace (``tf.losses`` is ``keras._tf_keras.keras.losses``); for a missing loss or
  metric alias, the name of the *same function object* that the Keras 3 namespace still has;
  for every legacy backend name, its Keras 3 replacement. A replacement is ``verified`` only
  when its target resolves and the linter's own rewriter, run on sample calls, gives the
  same values as the legacy function (tf_keras) on the same inputs.
- ``tf1_api.json``: every name of ``tf.compat.v1`` (top level and shared submodules) that
  ``tf`` lacks, with the TF 2 name of the same function object when there is one (symbol
  identity, else ``tf_export`` metadata), else the ``tf.compat.v1`` spelling; and the keyword
  arguments that the TF 2 version of a function no longer accepts.

The curated part is small and explicit: ``BACKEND_SPECS`` (how arguments map for backend
names whose Keras 3 equivalent has another name or signature), ``SAMPLES`` (the calls used to
check them), ``KEYWORD_RENAMES`` and the advice texts. Never edit the JSON by hand.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import types
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.pop("TF_USE_LEGACY_KERAS", None)
warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tfshape_lint" / "data"
sys.path.insert(0, str(ROOT))

import libcst as cst  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")
import numpy as np  # noqa: E402

from tfshape_lint.analysis.imports import cst_dotted  # noqa: E402
from tfshape_lint.rules._api import ApiRewriter, Rewrite, Roots  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Curated: Keras 3 equivalents of legacy backend names whose name or signature differs.
# Keys of a spec: to (with {keras} root), params (legacy -> target names; omitted = drop-in
# rename, only allowed when the generator finds the signatures compatible), insert, fill,
# template, simple, reject_none / reject_lambda / reject_sequence. ``advice`` is the message
# tail when there is no verified rewrite.
# ---------------------------------------------------------------------------------------------
_XY = {"x": "x1", "y": "x2"}
BACKEND_SPECS: dict[str, dict[str, Any]] = {
    "arange": {"to": "{keras}.ops.arange",
               "params": {"start": "start", "stop": "stop", "step": "step", "dtype": "dtype"},
               "fill": {"dtype": '"int32"'}},
    "argmax": {"to": "{keras}.ops.argmax", "params": {"x": "x", "axis": "axis"}, "fill": {"axis": "-1"}},
    "argmin": {"to": "{keras}.ops.argmin", "params": {"x": "x", "axis": "axis"}, "fill": {"axis": "-1"}},
    "clip": {"to": "{keras}.ops.clip", "params": {"x": "x", "min_value": "x_min", "max_value": "x_max"},
             "reject_none": ["min_value", "max_value"]},
    "concatenate": {"to": "{keras}.ops.concatenate", "params": {"tensors": "xs", "axis": "axis"},
                    "fill": {"axis": "-1"}},
    "cumprod": {"to": "{keras}.ops.cumprod", "params": {"x": "x", "axis": "axis"}, "fill": {"axis": "0"}},
    "cumsum": {"to": "{keras}.ops.cumsum", "params": {"x": "x", "axis": "axis"}, "fill": {"axis": "0"}},
    "dot": {"to": "{keras}.ops.dot", "params": _XY},
    "equal": {"to": "{keras}.ops.equal", "params": _XY},
    "not_equal": {"to": "{keras}.ops.not_equal", "params": _XY},
    "greater": {"to": "{keras}.ops.greater", "params": _XY},
    "greater_equal": {"to": "{keras}.ops.greater_equal", "params": _XY},
    "less": {"to": "{keras}.ops.less", "params": _XY},
    "less_equal": {"to": "{keras}.ops.less_equal", "params": _XY},
    "maximum": {"to": "{keras}.ops.maximum", "params": _XY},
    "minimum": {"to": "{keras}.ops.minimum", "params": _XY},
    "expand_dims": {"to": "{keras}.ops.expand_dims", "params": {"x": "x", "axis": "axis"},
                    "fill": {"axis": "-1"}},
    "eye": {"to": "{keras}.ops.eye", "params": {"size": "N", "dtype": "dtype"}, "reject_sequence": ["size"]},
    "hard_sigmoid": {"to": "{keras}.ops.hard_sigmoid", "params": {"x": "x"},
                     "advice": "keras.ops.hard_sigmoid has another slope (relu6(x + 3) / 6, legacy "
                               "0.2 * x + 0.5); write the legacy formula with keras.ops.clip"},
    "in_top_k": {"to": "{keras}.ops.in_top_k",
                 "params": {"predictions": "predictions", "targets": "targets", "k": "k"}},
    "one_hot": {"to": "{keras}.ops.one_hot", "params": {"indices": "x", "num_classes": "num_classes"}},
    "ones": {"to": "{keras}.ops.ones", "params": {"shape": "shape", "dtype": "dtype"}},
    "zeros": {"to": "{keras}.ops.zeros", "params": {"shape": "shape", "dtype": "dtype"}},
    "ones_like": {"to": "{keras}.ops.ones_like", "params": {"x": "x", "dtype": "dtype"}},
    "zeros_like": {"to": "{keras}.ops.zeros_like", "params": {"x": "x", "dtype": "dtype"}},
    "relu": {"to": "{keras}.ops.relu", "params": {"x": "x"}},
    "repeat": {"template": "{keras}.ops.repeat({keras}.ops.expand_dims({x}, 1), {n}, axis=1)"},
    "reshape": {"to": "{keras}.ops.reshape", "params": {"x": "x", "shape": "newshape"}},
    "sparse_categorical_crossentropy": {
        "to": "{keras}.ops.sparse_categorical_crossentropy",
        "params": {"target": "target", "output": "output", "from_logits": "from_logits", "axis": "axis"}},
    "sqrt": {"template": "{keras}.ops.sqrt({keras}.ops.maximum({x}, 0.0))"},
    "stop_gradient": {"to": "{keras}.ops.stop_gradient", "params": {"variables": "variable"},
                      "reject_sequence": ["variables"]},
    "switch": {"to": "{keras}.ops.where",
               "params": {"condition": "condition", "then_expression": "x1", "else_expression": "x2"},
               "reject_lambda": ["then_expression", "else_expression"]},
    "tile": {"to": "{keras}.ops.tile", "params": {"x": "x", "n": "repeats"}},
    "batch_normalization": {"advice": "use keras.ops.batch_normalization(x, mean, variance, axis, "
                                      "offset=beta, scale=gamma)"},
    "ctc_decode": {"advice": "use keras.ops.ctc_decode (strategy='greedy' or 'beam_search')"},
    # other names
    "batch_flatten": {"template": "{keras}.ops.reshape({x}, ({keras}.ops.shape({x})[0], -1))", "simple": ["x"]},
    "bias_add": {"to": "{keras}.ops.add", "params": {"x": "x1", "bias": "x2"}},
    "cast_to_floatx": {"to": "{keras}.ops.cast", "params": {"x": "x"},
                       "insert": {"dtype": "{keras}.config.floatx()"}},
    "constant": {"to": "{keras}.ops.convert_to_tensor", "params": {"value": "x", "dtype": "dtype"},
                 "fill": {"dtype": "{keras}.config.floatx()"}, "reject_none": ["dtype"]},
    "dropout": {"to": "{keras}.random.dropout",
                "params": {"x": "inputs", "level": "rate", "noise_shape": "noise_shape", "seed": "seed"}},
    "epsilon": {"to": "{keras}.config.epsilon"},
    "floatx": {"to": "{keras}.config.floatx"},
    "image_data_format": {"to": "{keras}.config.image_data_format"},
    "set_epsilon": {"to": "{keras}.config.set_epsilon"},
    "set_floatx": {"to": "{keras}.config.set_floatx"},
    "set_image_data_format": {"to": "{keras}.config.set_image_data_format"},
    "backend": {"to": "{keras}.config.backend"},
    "eval": {"to": "{keras}.ops.convert_to_numpy", "params": {"x": "x"}},
    "get_value": {"to": "{keras}.ops.convert_to_numpy", "params": {"x": "x"}},
    "flatten": {"to": "{keras}.ops.reshape", "params": {"x": "x"}, "insert": {"newshape": "[-1]"}},
    "gather": {"to": "{keras}.ops.take", "params": {"reference": "x", "indices": "indices"},
               "fill": {"axis": "0"}},
    "int_shape": {"template": "tuple({x}.shape)"},
    "l2_normalize": {"to": "{keras}.ops.normalize", "params": {"x": "x", "axis": "axis"},
                     "fill": {"axis": "None"},
                     "advice": "use keras.ops.normalize(x, axis=...)"},
    "map_fn": {"to": "{keras}.ops.map", "params": {"fn": "f", "elems": "xs"}},
    "permute_dimensions": {"to": "{keras}.ops.transpose", "params": {"x": "x", "pattern": "axes"}},
    "pow": {"to": "{keras}.ops.power", "params": {"x": "x1", "a": "x2"}},
    "random_normal": {"to": "{keras}.random.normal"},
    "random_uniform": {"to": "{keras}.random.uniform"},
    "truncated_normal": {"to": "{keras}.random.truncated_normal"},
    "repeat_elements": {"to": "{keras}.ops.repeat", "params": {"x": "x", "rep": "repeats", "axis": "axis"}},
    "reverse": {"to": "{keras}.ops.flip", "params": {"x": "x", "axes": "axis"}},
    "set_value": {"template": "{x}.assign({value})"},
    "update": {"template": "{x}.assign({new_x})"},
    "update_add": {"template": "{x}.assign_add({increment})"},
    "update_sub": {"template": "{x}.assign_sub({decrement})"},
    "variable": {"to": "{keras}.Variable", "params": {"value": "initializer", "dtype": "dtype", "name": "name"}},
    "binary_focal_crossentropy": {
        "to": "{keras}.losses.binary_focal_crossentropy",
        "params": {"target": "y_true", "output": "y_pred", "apply_class_balancing": "apply_class_balancing",
                   "alpha": "alpha", "gamma": "gamma", "from_logits": "from_logits"},
        "advice": "keras.losses.binary_focal_crossentropy also averages the last axis; "
                  "compute the element-wise focal term with keras.ops"},
    "categorical_focal_crossentropy": {
        "to": "{keras}.losses.categorical_focal_crossentropy",
        "params": {"target": "y_true", "output": "y_pred", "alpha": "alpha", "gamma": "gamma",
                   "from_logits": "from_logits", "axis": "axis"},
        "advice": "use keras.losses.categorical_focal_crossentropy"},
}

ADVICE: dict[str, str] = {
    "batch_dot": "use keras.ops.einsum or keras.ops.matmul",
    "conv1d": "use keras.ops.conv", "conv2d": "use keras.ops.conv", "conv3d": "use keras.ops.conv",
    "conv2d_transpose": "use keras.ops.conv_transpose",
    "depthwise_conv2d": "use keras.ops.depthwise_conv",
    "separable_conv2d": "use keras.ops.separable_conv",
    "pool2d": "use keras.ops.max_pool or keras.ops.average_pool",
    "pool3d": "use keras.ops.max_pool or keras.ops.average_pool",
    "resize_images": "use keras.ops.image.resize",
    "ctc_batch_cost": "use keras.ops.ctc_loss",
    "count_params": "use keras.ops.size(x) or math.prod(x.shape)",
    "foldl": "use keras.ops.fori_loop", "foldr": "use keras.ops.fori_loop",
    "placeholder": "use keras.Input",
    "print_tensor": "use tf.print",
    "random_bernoulli": "use keras.random.uniform(shape) < p",
    "random_binomial": "use keras.random.uniform(shape) < p",
    "name_scope": "use keras.name_scope or tf.name_scope",
    "gradients": "use tf.GradientTape",
    "rnn": "use keras.layers.RNN",
    "temporal_padding": "use keras.ops.pad", "spatial_2d_padding": "use keras.ops.pad",
    "spatial_3d_padding": "use keras.ops.pad",
    "learning_phase": "pass training= to the layer calls instead",
    "set_learning_phase": "pass training= to the layer calls instead",
    "learning_phase_scope": "pass training= to the layer calls instead",
    "in_train_phase": "pass training= to the layer calls and branch with keras.ops.cond",
    "in_test_phase": "pass training= to the layer calls and branch with keras.ops.cond",
    "function": "call the model or a tf.function directly",
    "is_sparse": "use isinstance(x, tf.SparseTensor)",
    "to_dense": "use keras.ops.convert_to_tensor(x, sparse=False)",
    "batch_get_value": "use keras.ops.convert_to_numpy on each tensor",
    "batch_set_value": "call v.assign(value) on each variable",
    "moving_average_update": "call v.assign(...) with the moving-average formula",
    "get_session": "Keras 3 has no session: run eagerly or use tf.compat.v1.Session directly",
    "set_session": "Keras 3 has no session: run eagerly or use tf.compat.v1.Session directly",
}
NO_EQUIVALENT = "it has no Keras 3 equivalent; rewrite without it"
#: Names Keras 2.x ``keras.backend`` exported (multi-backend Keras 2.0.0-2.3.1 and the tf.keras
#: based 2.4, read from the keras-team/keras release tags) that tf_keras's public backend no
#: longer has; Keras 2 code still calls them. Not importable anywhere now, so advice only.
KERAS2_BACKEND: dict[str, str] = {
    "image_dim_ordering": "use keras.config.image_data_format() ('channels_last' or 'channels_first')",
    "set_image_dim_ordering": "use keras.config.set_image_data_format",
    "normalize_data_format": "use keras.config.image_data_format() when the value is None",
    "slice": "use keras.ops.slice", "logsumexp": "use keras.ops.logsumexp",
    "size": "use keras.ops.size", "is_tensor": "use keras.ops.is_tensor",
    "identity": "use keras.ops.copy or tf.identity",
    "pattern_broadcast": "a Theano-only name: use keras.ops.broadcast_to or keras.ops.expand_dims",
    "control_dependencies": "use tf.control_dependencies",
    "get_graph": "Keras 3 has no graph: use tf.compat.v1.get_default_graph",
    "get_variable_shape": "use x.shape", "is_placeholder": "Keras 3 has no placeholders; use keras.Input",
    "is_variable": "use isinstance(x, keras.Variable)",
    "is_symbolic": "use isinstance(x, keras.KerasTensor)",
    "symbolic": "Keras 3 has no graph/eager switch; drop the decorator",
    "eager": "Keras 3 has no graph/eager switch; drop the decorator",
    "conv3d_transpose": "use keras.ops.conv_transpose", "separable_conv1d": "use keras.ops.separable_conv",
    "common": "a Keras 2 submodule: call its function on the backend itself (epsilon, floatx, ...)",
    "tensorflow_backend": "a Keras 2 submodule: use TensorFlow directly (tf.config.list_logical_devices)",
    # modules Keras 2's TensorFlow backend imported, which ``from .tensorflow_backend import *``
    # exported with the backend (``K.tf.where``, ``K.control_flow_ops.while_loop``)
    "tf": "TensorFlow itself, which Keras 2's backend re-exported: import tensorflow as tf and use it",
    "control_flow_ops": "a TensorFlow module Keras 2's backend re-exported: use tf.while_loop / tf.cond",
}
#: Keras 2.0-2.3 ``keras.backend`` submodules whose functions the backend namespace itself also
#: exported (``K.common.epsilon`` was ``K.epsilon``): a use is fixed by dropping the submodule
#: when the Keras 3 namespace has the function.
KERAS2_SUBMODULES = ("common",)
#: loss functions of standalone Keras 2.3 that neither Keras 3 nor tf_keras has (Keras 2.3's
#: ``keras.losses.huber_loss``, the function behind its ``Huber`` class)
KERAS2_LOSSES = ("huber_loss",)

#: module paths of Keras 2.0-2.4 (standalone ``keras``) that tf_keras's tree no longer has,
#: so that its walk cannot list them: ``from keras.engine.topology import Layer``,
#: ``from keras.layers.merge import concatenate``, ``from keras.utils.np_utils import ...``
KERAS2_MODULES = (
    "engine.topology", "engine.network", "layers.merge", "layers.recurrent", "layers.advanced_activations",
    "layers.embeddings", "layers.wrappers", "layers.local", "layers.cudnn_recurrent",
    "layers.convolutional_recurrent", "layers.core", "layers.convolutional", "layers.pooling",
    "layers.normalization", "layers.noise", "utils.np_utils", "utils.generic_utils", "utils.data_utils",
    "utils.layer_utils", "utils.vis_utils", "utils.conv_utils", "utils.io_utils", "utils.multi_gpu_utils",
    "utils.training_utils", "wrappers.scikit_learn", "wrappers", "legacy", "legacy.layers", "legacy.interfaces",
    "activations.advanced_activations", "objectives",
    # TF 2.1-2.8's ``tf.keras.mixed_precision.experimental`` (``LossScaleOptimizer(opt, "dynamic")``):
    # neither Keras 3 nor tf_keras 2.21 has it
    "mixed_precision.experimental",
)
#: Keras 2 modules whose names moved to another module Keras 3 still has, rather than to their
#: parent: ``keras.objectives`` was Keras 2.0-2.2's alias of ``keras.losses``
KERAS2_RENAMED = {"objectives": "losses"}
#: subpackages of tf_keras's source tree that hold only its own machinery (tests, benchmarks,
#: TF 1 shims): no Keras program imports them, so they are not listed
_PRIVATE_TREES = ("tests", "testing_infra", "benchmarks", "integration_test", "distribute", "dtensor",
                  "protobuf", "feature_column", "premade", "estimator", "mixed_precision", "export",
                  "legacy_tf_layers", "api")
#: message tail for loss/metric names with no Keras 3 alias
ALIAS_ADVICE: dict[str, str] = {
    "Reduction": "pass reduction= as a string ('sum_over_batch_size', 'sum' or 'none')",
    "MeanRelativeError": "compute it with keras.metrics.Mean over the relative error",
    "MeanTensor": "use keras.metrics.Mean",
    "experimental": NO_EQUIVALENT,
    # Keras 2.3's huber_loss returned one value per element; keras.losses.huber averages them
    # over the last axis (the same loss for a (batch, 1) output), so no automatic rename
    "huber_loss": "use keras.losses.huber(y_true, y_pred, delta) (it also averages over the last axis)",
    # layer classes and switches of Keras 2's (tf_keras's TF 1 and TF 2) layers namespace that
    # Keras 3's lacks
    "CuDNNGRU": "use keras.layers.GRU: with its default arguments it runs the cuDNN kernel on a GPU by itself",
    "CuDNNLSTM": "use keras.layers.LSTM: with its default arguments it runs the cuDNN kernel on a GPU by itself",
    "AbstractRNNCell": "subclass keras.layers.Layer and give it a state_size (what keras.layers.RNN reads)",
    "DenseFeatures": "feature columns are gone in Keras 3: use keras.utils.FeatureSpace or preprocessing layers",
    "LocallyConnected1D": "it has no Keras 3 equivalent (tf_keras keeps it)",
    "LocallyConnected2D": "it has no Keras 3 equivalent (tf_keras keeps it)",
    "ThresholdedReLU": "use keras.layers.ReLU(threshold=theta)",
    "RandomHeight": "use keras.layers.RandomZoom with a height_factor only",
    "RandomWidth": "use keras.layers.RandomZoom with a width_factor only",
    "disable_v2_dtype_behavior": "Keras 3 has no such switch: drop the call",
    "enable_v2_dtype_behavior": "Keras 3 has no such switch: drop the call",
}

# Sample calls (``K`` is the legacy backend) the rewrites are checked on; variables are
# made by ``_env``. ``~`` prefix: compare shape and dtype only (random values).
SAMPLES: dict[str, list[str]] = {
    "abs": ["K.abs(n)"], "all": ["K.all(m)", "K.all(m, axis=1)"], "any": ["K.any(m, 0, True)"],
    "arange": ["K.arange(5)", "K.arange(1, 7, 2)"],
    "argmax": ["K.argmax(a)", "K.argmax(a, axis=0)"], "argmin": ["K.argmin(a)", "K.argmin(a, 0)"],
    "binary_crossentropy": ["K.binary_crossentropy(y1, a)", "K.binary_crossentropy(y1, n, from_logits=True)"],
    "cast": ["K.cast(yi, 'float32')"],
    "categorical_crossentropy": ["K.categorical_crossentropy(y1, a)",
                                 "K.categorical_crossentropy(y1, n, from_logits=True)"],
    "clip": ["K.clip(n, 0.1, 0.5)", "K.clip(n, min_value=-0.5, max_value=0.5)"],
    "concatenate": ["K.concatenate([a, b])", "K.concatenate([a, b], axis=0)"],
    "cos": ["K.cos(n)"], "cumprod": ["K.cumprod(a)", "K.cumprod(a, axis=1)"],
    "cumsum": ["K.cumsum(a)", "K.cumsum(a, 1)"],
    "dot": ["K.dot(a, c)", "K.dot(t3, c)"], "dtype": ["K.dtype(a)"], "elu": ["K.elu(n)", "K.elu(n, 0.5)"],
    "equal": ["K.equal(yi, 1)"], "not_equal": ["K.not_equal(yi, 1)"], "greater": ["K.greater(a, b)"],
    "greater_equal": ["K.greater_equal(a, 0.5)"], "less": ["K.less(a, b)"], "less_equal": ["K.less_equal(a, b)"],
    "maximum": ["K.maximum(a, b)", "K.maximum(n, 0.0)"], "minimum": ["K.minimum(a, b)"],
    "exp": ["K.exp(n)"], "expand_dims": ["K.expand_dims(a)", "K.expand_dims(a, 0)"],
    "eye": ["K.eye(3)", "K.eye(3, dtype='float32')"],
    "hard_sigmoid": ["K.hard_sigmoid(n)"],
    "in_top_k": ["K.in_top_k(a, yi, 2)"],
    "log": ["K.log(a)"], "max": ["K.max(a)", "K.max(a, axis=-1, keepdims=True)"],
    "mean": ["K.mean(a)", "K.mean(a, axis=-1)", "K.mean(a, 0, True)"], "min": ["K.min(a, 1)"],
    "ndim": ["K.ndim(t3)"], "one_hot": ["K.one_hot(yi, 4)"],
    "ones": ["K.ones((2, 3))"], "zeros": ["K.zeros((2, 3), dtype='float32')"],
    "ones_like": ["K.ones_like(a)"], "zeros_like": ["K.zeros_like(a, dtype='int32')"],
    "prod": ["K.prod(a, axis=1)"], "relu": ["K.relu(n)"], "repeat": ["K.repeat(a, 3)"],
    "reshape": ["K.reshape(a, (4, 3))", "K.reshape(a, shape=(-1,))"], "round": ["K.round(h)"],
    "shape": ["K.shape(a)"], "sigmoid": ["K.sigmoid(n)"], "sign": ["K.sign(n)"], "sin": ["K.sin(n)"],
    "softmax": ["K.softmax(n)", "K.softmax(n, axis=0)"], "softplus": ["K.softplus(n)"],
    "softsign": ["K.softsign(n)"],
    "sparse_categorical_crossentropy": ["K.sparse_categorical_crossentropy(yi, a)",
                                        "K.sparse_categorical_crossentropy(yi, n, from_logits=True)"],
    "sqrt": ["K.sqrt(a)", "K.sqrt(n)"], "square": ["K.square(n)"], "squeeze": ["K.squeeze(s, 1)"],
    "stack": ["K.stack([a, b])", "K.stack([a, b], axis=-1)"], "std": ["K.std(a, axis=-1)"],
    "stop_gradient": ["K.stop_gradient(a)"], "sum": ["K.sum(a)", "K.sum(a, axis=-1, keepdims=True)"],
    "switch": ["K.switch(m, a, b)", "K.switch(K.greater(a, 0.5), a, b)"], "tanh": ["K.tanh(n)"],
    "tile": ["K.tile(a, (2, 1))"], "transpose": ["K.transpose(a)"], "var": ["K.var(a, 0)"],
    "batch_flatten": ["K.batch_flatten(t3)"], "bias_add": ["K.bias_add(a, w)"],
    "cast_to_floatx": ["K.cast_to_floatx(yi)"], "constant": ["K.constant(1)", "K.constant([1, 2], dtype='int32')"],
    "dropout": ["K.dropout(a, 0.0)"], "epsilon": ["K.epsilon()"], "floatx": ["K.floatx()"],
    "image_data_format": ["K.image_data_format()"], "backend": ["K.backend()"],
    "eval": ["K.eval(a)"], "get_value": ["K.get_value(v)"], "flatten": ["K.flatten(t3)"],
    "gather": ["K.gather(a, ri)", "K.gather(a, [0, 2])"], "int_shape": ["K.int_shape(t3)"],
    "l2_normalize": ["K.l2_normalize(a)", "K.l2_normalize(a, axis=-1)"],
    "map_fn": ["K.map_fn(lambda r: r * 2.0, a)"], "permute_dimensions": ["K.permute_dimensions(t3, (0, 2, 1))"],
    "pow": ["K.pow(a, 2)", "K.pow(a, 0.5)"],
    "random_normal": ["~K.random_normal((2, 3))", "~K.random_normal((2, 3), 1.0, 2.0, seed=1)"],
    "random_uniform": ["~K.random_uniform((2, 3), maxval=2.0)"],
    "truncated_normal": ["~K.truncated_normal((2, 3))"],
    "repeat_elements": ["K.repeat_elements(a, 2, 1)"], "reverse": ["K.reverse(a, 0)", "K.reverse(a, [0, 1])"],
    "set_value": ["(K.set_value(v, c * 2.0), v)[1]"], "update": ["(K.update(v, c * 2.0), v)[1]"],
    "update_add": ["(K.update_add(v, c), v)[1]"], "update_sub": ["(K.update_sub(v, c), v)[1]"],
    "set_epsilon": ["K.set_epsilon(1e-07)"], "set_floatx": ["K.set_floatx('float32')"],
    "set_image_data_format": ["K.set_image_data_format('channels_last')"], "variable": ["K.variable(a)", "K.variable(a, dtype='float32')"],
    "binary_focal_crossentropy": ["K.binary_focal_crossentropy(y1, a)"],
    "categorical_focal_crossentropy": ["K.categorical_focal_crossentropy(y1, a)"],
}


def _env() -> dict[str, Any]:
    """Fresh sample inputs (tensors: the legacy backend expects them), same values every call."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    arrays = {
        "a": rng.uniform(0.05, 0.95, (3, 4)).astype("float32"),
        "b": rng.uniform(0.05, 0.95, (3, 4)).astype("float32"),
        "n": rng.normal(size=(3, 4)).astype("float32"),
        "h": np.array([[0.5, 1.5, 2.5, -0.5], [1.2, -1.7, 0.4, 3.5], [0.0, 2.0, -2.5, 0.6]], "float32"),
        "c": rng.uniform(0.0, 1.0, (4, 5)).astype("float32"),
        "t3": rng.uniform(0.0, 1.0, (2, 3, 4)).astype("float32"),
        "s": rng.uniform(0.0, 1.0, (3, 1, 4)).astype("float32"),
        "w": rng.uniform(0.0, 1.0, (4,)).astype("float32"),
        "y1": np.eye(4, dtype="float32")[[0, 3, 1]],
        "yi": np.array([0, 3, 1], "int32"),
        "ri": np.array([2, 0, 1], "int32"),
        "m": np.array([[True, False, True, True], [False, False, True, False], [True, True, True, True]]),
    }
    env: dict[str, Any] = {k: tf.constant(v) for k, v in arrays.items()}
    env["v"] = tf.Variable(arrays["c"])
    return env


KEYWORD_RENAMES: dict[str, str] = {
    "keep_dims": "keepdims", "reduction_indices": "axis", "dim": "axis", "dimension": "axis",
    "squeeze_dims": "axis", "seq_dim": "seq_axis", "batch_dim": "batch_axis",
    "reduction_axes": "axis", "box_ind": "box_indices", "targets": "labels",
}
#: value used for an old keyword when checking its rename numerically on input ``x`` (2,1,3)
KEYWORD_SAMPLE: dict[str, Any] = {
    "keep_dims": True, "reduction_indices": 2, "dim": -1, "dimension": 2, "squeeze_dims": [1],
}
#: message tail for removed keywords that are not a plain rename
KEYWORD_ADVICE: dict[str, str] = {
    "keep_prob": "pass rate=1 - keep_prob",
    "targets": "pass labels=",
    "dim": "pass axis=",
    "keep_dims": "pass keepdims=",
}
#: TF 1 module that is not in tf.compat.v1 at all (removed in TF 2.0); checked absent below.
REMOVED_MODULES = {"contrib": "it has no TF 2 equivalent; port the code to TF 2 APIs"}
#: TF namespaces owned by Keras (TFS501's business, and their content depends on the Keras version)
KERAS_BACKED = ("keras", "losses", "metrics", "initializers", "optimizers", "estimator")
#: the tf.compat.v1.to_* casts and their dtype
CASTS = {"to_float": "float32", "to_double": "float64", "to_int32": "int32", "to_int64": "int64",
         "to_bfloat16": "bfloat16", "to_complex64": "complex64", "to_complex128": "complex128"}


# ---------------------------------------------------------------------------------------------
def _public(module: Any) -> list[str]:
    return sorted(n for n in dir(module) if not n.startswith("_"))


def _is_module(obj: Any) -> bool:
    return isinstance(obj, types.ModuleType) or type(obj).__name__ in ("TFModuleWrapper", "KerasLazyLoader")


def _resolve(root: Any, path: str) -> Any:
    obj = root
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _params(fn: Any) -> list[inspect.Parameter] | None:
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None


def _positional_names(fn: Any) -> list[str]:
    params = _params(fn) or []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _drop_in_compatible(legacy: Any, target: Any) -> bool:
    """Same parameter names in the same order (target may add trailing optional ones) and the
    same defaults: a call written for ``legacy`` means the same to ``target``."""
    lp, tp = _params(legacy), _params(target)
    if lp is None or tp is None or len(tp) < len(lp):
        return False
    for a, b in zip(lp, tp):
        if a.name != b.name or a.kind != b.kind:
            return False
        if a.default is not inspect.Parameter.empty and not _same_default(a.default, b.default):
            return False
    return all(p.default is not inspect.Parameter.empty or p.kind is p.VAR_KEYWORD
               or p.kind is p.VAR_POSITIONAL for p in tp[len(lp):])


def _same_default(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return False


# ---------------------------------------------------------------------------------------------
# keras_api.json
# ---------------------------------------------------------------------------------------------
def build_keras_table() -> dict[str, Any]:
    import keras
    import tensorflow as tf
    import tf_keras

    namespaces = {
        "tf_keras.backend": _legacy("backend"), "tf_keras.losses": _legacy("losses"),
        "tf_keras.metrics": _legacy("metrics"), "tf_keras.layers": _legacy("layers"),
        "keras.backend": keras.backend, "keras.losses": keras.losses, "keras.metrics": keras.metrics,
        "keras.layers": keras.layers,
        "keras._tf_keras.keras.backend": tf.keras.backend, "keras._tf_keras.keras.losses": tf.keras.losses,
        "keras._tf_keras.keras.metrics": tf.keras.metrics, "keras._tf_keras.keras.layers": tf.keras.layers,
        "keras.ops": keras.ops, "keras.config": keras.config, "keras.random": keras.random,
    }
    names = {key: _public(mod) for key, mod in namespaces.items()}
    spellings = _keras_spellings(tf, keras)
    aliases = {key: _alias_replacements(namespaces[f"tf_keras.{key.rsplit('.', 1)[1]}"], namespaces[key])
               for key in ("keras.losses", "keras._tf_keras.keras.losses",
                           "keras.metrics", "keras._tf_keras.keras.metrics")}
    backend = build_backend_entries(namespaces["tf_keras.backend"], keras)
    modules, homes = build_module_entries()
    names.update(homes)
    keras2 = sorted(set(KERAS2_BACKEND) - set(names["tf_keras.backend"]))
    for name in keras2:
        backend[name] = {"advice": KERAS2_BACKEND[name], "legacy": [], "verified": False}
        if name in KERAS2_SUBMODULES:
            backend[name]["submodule"] = True
    return {
        "generated_by": "tools/gen_api_tables.py",
        "versions": {"keras": keras.__version__, "tf_keras": tf_keras.__version__,
                     "tensorflow": tf.__version__},
        "legacy": {"backend": "tf_keras.backend", "losses": "tf_keras.losses", "metrics": "tf_keras.metrics",
                   "layers": "tf_keras.layers"},
        "keras2": {"backend": keras2,
                   "losses": sorted(set(KERAS2_LOSSES) - set(names["tf_keras.losses"]) - set(names["keras.losses"]))},
        "modules": modules,
        "spellings": spellings,
        "names": names,
        "aliases": aliases,
        "alias_advice": dict(sorted(ALIAS_ADVICE.items())),
        "backend": backend,
    }


def build_module_entries() -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    """Keras 2 module paths that cannot be imported under Keras 3, per root (``keras``,
    ``tensorflow.keras``): path -> the nearest enclosing module Keras 3 still has (where a
    fix can import the same names from); and the public names of each such home.

    The paths are tf_keras's source tree (the Keras 2.13+ layout of ``keras/``) and
    :data:`KERAS2_MODULES`; each is imported under Keras 3 to see whether it is gone."""
    import importlib

    import tf_keras

    src = Path(tf_keras.__file__).resolve().parent / "src"
    paths = set(KERAS2_MODULES)
    for file in src.rglob("*.py"):
        parts = file.relative_to(src).with_suffix("").parts
        if any(p in _PRIVATE_TREES or p.startswith("_") and p != "__init__" or "test" in p for p in parts):
            continue
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        if parts:
            paths.add(".".join(parts))

    def importable(name: str) -> bool:
        try:
            importlib.import_module(name)
            return True
        except Exception:  # ImportError, or a module that fails on import: gone either way
            return False

    modules: dict[str, dict[str, str]] = {}
    homes: dict[str, list[str]] = {}
    for root in ("keras", "tensorflow.keras"):
        gone: dict[str, str] = {}
        for path in sorted(paths):
            if importable(f"{root}.{path}"):
                continue
            parts = path.split(".")
            home = f"{root}.{KERAS2_RENAMED[path]}" if path in KERAS2_RENAMED else root
            for end in range(len(parts) - 1, 0, -1):
                if importable(f"{root}.{'.'.join(parts[:end])}"):
                    home = f"{root}.{'.'.join(parts[:end])}"
                    break
            gone[path] = home
            if home not in homes:
                homes[home] = _public(importlib.import_module(home))
        modules[root] = gone
    return modules, homes


def _legacy(kind: str) -> types.SimpleNamespace:
    """The Keras 2 namespace: tf_keras's TF 2 API plus the names only its TF 1 API exported
    (``get_session``, ``set_session``, ``cosine_proximity``), which Keras 2 code also used."""
    import importlib

    import tf_keras

    merged = {n: getattr(getattr(tf_keras, kind), n) for n in _public(getattr(tf_keras, kind))}
    v1 = importlib.import_module(f"tf_keras.api._v1.keras.{kind}")
    for name in _public(v1):
        merged.setdefault(name, getattr(v1, name))
    return types.SimpleNamespace(**merged)


def _keras_spellings(tf: Any, keras: Any) -> dict[str, str]:
    """Which module each spelling a program can import names, under Keras 3 (measured)."""
    out: dict[str, str] = {}
    roots = {"keras": keras, "tensorflow": tf}
    for spelled in ("keras", "keras._tf_keras.keras", "tensorflow.keras", "tensorflow.compat.v1.keras",
                    "tensorflow.compat.v2.keras"):
        root, _, rest = spelled.partition(".")
        base = _resolve(roots[root], rest) if rest else roots[root]
        for kind in ("backend", "losses", "metrics", "layers"):
            out[f"{spelled}.{kind}"] = getattr(base, kind).__name__
    for kind in ("losses", "metrics"):
        for spelled in (f"tensorflow.{kind}", f"tensorflow.compat.v2.{kind}"):
            out[spelled] = _resolve(tf, spelled.partition(".")[2]).__name__
    return dict(sorted(out.items()))


def _alias_replacements(legacy_ns: Any, k3_ns: Any) -> dict[str, str | None]:
    """Legacy names the Keras 3 namespace lacks -> a name it has for the same function.

    tf_keras groups aliases by object identity (``mse is mean_squared_error``); the Keras 3
    candidate must be one object for all group members present, and give the same values as
    the legacy function on a sample batch.
    """
    out: dict[str, str | None] = {}
    have = set(_public(k3_ns))
    for name in _public(legacy_ns):
        if name in have:
            continue
        obj = getattr(legacy_ns, name)
        group = [n for n in _public(legacy_ns) if getattr(legacy_ns, n) is obj and n in have]
        group.sort(key=lambda n: (n[0].isupper() != name[0].isupper(), n.lower() != name.lower(), len(n)))
        choice = next((n for n in group if _same_values(obj, getattr(k3_ns, n))), None)
        out[name] = choice
    return out


def _same_values(legacy: Callable[..., Any], new: Callable[..., Any]) -> bool:
    if isinstance(legacy, type) or not callable(legacy) or isinstance(new, type):
        return False
    env = _env()
    y_true, y_pred = env["y1"], env["a"]
    try:
        return bool(np.allclose(np.asarray(legacy(y_true, y_pred)), np.asarray(new(y_true, y_pred)),
                                rtol=1e-5, atol=1e-6))
    except Exception:
        return False


def build_backend_entries(legacy_ns: Any, keras: Any) -> dict[str, dict[str, Any]]:
    """Every legacy backend name: its Keras 3 rewrite (checked on samples) or an advice text."""
    ops_names = set(_public(keras.ops))
    entries: dict[str, dict[str, Any]] = {}
    for name in _public(legacy_ns):
        spec = dict(BACKEND_SPECS.get(name, {}))
        if not spec and name in ops_names:
            spec = {"to": "{keras}.ops." + name}
        entries[name] = _backend_entry(getattr(legacy_ns, name), spec, keras, ADVICE.get(name))
    candidates = {n: Rewrite.from_json({**e, "verified": True}) for n, e in entries.items()}
    for name, entry in entries.items():
        if candidates[name] is None:
            continue
        results = _check_samples(name, candidates)
        entry["checked"] = results
        entry["verified"] = bool(results) and all(r["same"] for r in results)
        if entry["verified"] or "advice" not in entry:
            entry["advice"] = _use(entry)
    return entries


def _backend_entry(legacy: Any, spec: dict[str, Any], keras: Any, advice: str | None) -> dict[str, Any]:
    advice = spec.pop("advice", None) or advice
    entry: dict[str, Any] = {"legacy": _positional_names(legacy) if callable(legacy) else [],
                             "verified": False}
    if advice:
        entry["advice"] = advice
    if not spec:
        entry.setdefault("advice", NO_EQUIVALENT)
        return entry
    target = _resolve(keras, spec["to"].removeprefix("{keras}.")) if spec.get("to") else None
    if target is not None:
        entry["target"] = _positional_names(target)
    if "params" not in spec and "template" not in spec and not _drop_in_compatible(legacy, target):
        entry.setdefault("advice", f"{spec['to'].format(keras='keras')} has another signature; "
                                   "rewrite the call by hand")
        return entry
    entry.update(spec)
    return entry


def _use(entry: Mapping[str, Any]) -> str:
    """The message tail naming the replacement, with the arguments the rewrite adds."""
    text = entry.get("template") or entry.get("to")
    if not text:
        return NO_EQUIVALENT
    text = str(text).replace("{keras}", "keras").replace("{tf}", "tf")
    if entry.get("template"):
        return "use " + text.replace("{", "").replace("}", "")
    added = [str(v).replace("{keras}", "keras") for v in entry.get("insert", {}).values()]
    added += [f"{k}={str(v).replace('{keras}', 'keras')}" for k, v in entry.get("fill", {}).items()]
    if not added:
        return "use " + text
    first = entry["legacy"][0] if entry.get("legacy") else "x"
    return f"use {text}({first}, ..., {', '.join(added)})" if entry.get("fill") and not entry.get(
        "insert") else f"use {text}({first}, {', '.join(added)})"


def _check_samples(name: str, candidates: Mapping[str, Rewrite | None]) -> list[dict[str, Any]]:
    """Run each sample through the legacy backend and through its rewrite; compare values."""
    import keras
    import tf_keras

    results: list[dict[str, Any]] = []
    for sample in SAMPLES.get(name, []):
        shape_only = sample.startswith("~")
        code = sample.lstrip("~")
        new_code = _rewrite_sample(code, candidates)
        record: dict[str, Any] = {"call": code, "new": new_code, "same": False}
        if new_code is None or "K." in new_code:
            record["error"] = "rewriter declined"
            results.append(record)
            continue
        try:
            old = eval(code, {"K": tf_keras.backend, **_env()})  # noqa: S307 - our own sample text
            new = eval(new_code, {"keras": keras, **_env()})  # noqa: S307
            record["same"] = _equal(old, new, shape_only)
            if not record["same"]:
                record["max_abs_diff"] = _diff(old, new)
        except Exception as exc:  # a failing sample marks the entry unverified
            record["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        results.append(record)
    return results


def _rewrite_sample(code: str, candidates: Mapping[str, Rewrite | None]) -> str | None:
    """The sample rewritten by the linter's own rewriter (nested ``K.*`` calls included)."""

    def lookup(node: cst.CSTNode) -> Rewrite | None:
        dotted = cst_dotted(node)
        if dotted is None or not dotted.startswith("K."):
            return None
        return candidates.get(dotted[2:])

    rewriter = ApiRewriter(lookup, Roots({"keras": "keras"}))
    new = cst.parse_module(code).visit(rewriter)
    return new.code if rewriter.changed else None


def _numpy(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_numpy(v) for v in value]
    if hasattr(value, "numpy"):
        return value.numpy()
    return value


def _equal(old: Any, new: Any, shape_only: bool) -> bool:
    old, new = _numpy(old), _numpy(new)
    if isinstance(old, str) or isinstance(new, str):
        return old == new
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_equal(a, b, shape_only) for a, b in zip(old, new))
    a, b = np.asarray(old), np.asarray(new)
    if a.shape != b.shape:
        return False
    if shape_only:
        return a.dtype == b.dtype
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.allclose(a.astype("float64"), b.astype("float64"), rtol=1e-5, atol=1e-6, equal_nan=True))
    return bool(np.array_equal(a, b))


def _diff(old: Any, new: Any) -> float | None:
    try:
        a, b = np.asarray(_numpy(old), "float64"), np.asarray(_numpy(new), "float64")
        return float(np.max(np.abs(a - b))) if a.shape == b.shape else None
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# tf1_api.json
# ---------------------------------------------------------------------------------------------
def build_tf1_table() -> dict[str, Any]:
    import tensorflow as tf

    v2_index = _v2_index(tf)
    names: dict[str, dict[str, Any]] = {}
    v1 = tf.compat.v1
    for name in _public(v1):
        obj = getattr(v1, name)
        if hasattr(tf, name):
            if _is_module(obj) and name not in ("compat",):
                _missing_members(tf, name, obj, getattr(tf, name), v2_index, names)
            continue
        if _is_module(obj):
            names[name] = _compat_entry(tf, name, kind="module")
            _missing_members(tf, name, obj, None, v2_index, names, only_v2=True)
            continue
        names[name] = _name_entry(tf, name, obj, v2_index)
    for module, advice in REMOVED_MODULES.items():
        assert not hasattr(v1, module) and not hasattr(tf, module), module
        names[module] = {"kind": "module", "v2": None, "verified": False, "advice": advice}
    return {
        "generated_by": "tools/gen_api_tables.py",
        "versions": {"tensorflow": tf.__version__},
        "names": dict(sorted(names.items())),
        "keywords": _removed_keywords(tf),
        "keyword_advice": dict(sorted(KEYWORD_ADVICE.items())),
    }


def _v2_index(tf: Any) -> dict[int, str]:
    """id(object) -> its shortest public TF 2 path (compat.v1/v2 and Keras namespaces excluded)."""
    from tensorflow.python.util import tf_decorator

    paths: dict[str, Any] = {}
    _walk(tf, "", set(), paths)
    index: dict[int, str] = {}
    for path, obj in sorted(paths.items(), key=lambda kv: (kv[0].count("."), len(kv[0]), kv[0])):
        if isinstance(obj, (int, float, str, bytes, bool)) or obj is None:
            continue
        index.setdefault(id(obj), path)
        _, target = tf_decorator.unwrap(obj)
        index.setdefault(id(target), path)
    index[-1] = ""  # keeps the mapping non-empty for type checkers
    return index


def _walk(module: Any, prefix: str, seen: set[int], out: dict[str, Any], depth: int = 0) -> None:
    if depth > 3:
        return
    for name in _public(module):
        path = prefix + name
        if path.split(".")[0] in KERAS_BACKED or path.startswith(("compat.v1", "compat.v2")):
            continue
        try:
            obj = getattr(module, name)
        except Exception:
            continue
        if _is_module(obj):
            if id(obj) not in seen and str(getattr(obj, "__name__", "")).startswith("tensorflow"):
                seen.add(id(obj))
                _walk(obj, path + ".", seen, out, depth + 1)
        else:
            out.setdefault(path, obj)


def _name_entry(tf: Any, path: str, obj: Any, v2_index: Mapping[int, str]) -> dict[str, Any]:
    leaf = path.rsplit(".", 1)[-1]
    if leaf in CASTS and "." not in path:
        return _cast_entry(tf, path)
    v2 = _v2_name(tf, obj, leaf, v2_index)
    if v2 is not None:
        return {"kind": _kind(obj), "v2": v2, "to": "{tf}." + v2, "verified": True}
    return _compat_entry(tf, path, kind=_kind(obj))


def _v2_name(tf: Any, obj: Any, leaf: str, v2_index: Mapping[int, str]) -> str | None:
    """The TF 2 path of the same object: identity first, then the tf_export v2 names."""
    if isinstance(obj, (int, float, str, bytes, bool)):
        return _constant_v2(tf, leaf, obj)
    from tensorflow.python.util import tf_decorator

    candidates = []
    api_names = getattr(obj, "_tf_api_names", None) or ()
    candidates += sorted(api_names, key=lambda p: (p.rsplit(".", 1)[-1] != leaf, p.count("."), p))
    if id(obj) in v2_index:
        candidates.append(v2_index[id(obj)])
    _, target = tf_decorator.unwrap(obj)
    if id(target) in v2_index:
        candidates.append(v2_index[id(target)])
    for path in candidates:
        if not path or path.startswith("compat.v1"):
            continue
        try:
            found = _resolve(tf, path)
        except AttributeError:
            continue
        if found is obj or tf_decorator.unwrap(found)[1] is target and _sig(found) == _sig(obj):
            return path
    return None


def _sig(obj: Any) -> str | None:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None


def _constant_v2(tf: Any, leaf: str, value: Any) -> str | None:
    for sub in ("version", "sysconfig", "dtypes", "errors"):
        module = getattr(tf, sub, None)
        if module is not None and getattr(module, leaf, object()) == value:
            return f"{sub}.{leaf}"
    return None


def _kind(obj: Any) -> str:
    if _is_module(obj):
        return "module"
    if isinstance(obj, type):
        return "class"
    return "function" if callable(obj) else "constant"


def _compat_entry(tf: Any, path: str, kind: str) -> dict[str, Any]:
    try:
        _resolve(tf.compat.v1, path)
    except AttributeError:
        return {"kind": kind, "v2": None, "verified": False, "advice": "it has no TF 2 equivalent"}
    return {"kind": kind, "v2": None, "to": "{tf}.compat.v1." + path, "verified": True}


def _cast_entry(tf: Any, name: str) -> dict[str, Any]:
    dtype = CASTS[name]
    entry: dict[str, Any] = {"kind": "function", "v2": None, "to": "{tf}.cast",
                             "params": {"x": "x", "name": "name"},
                             "legacy": _positional_names(getattr(tf.compat.v1, name)),
                             "target": _positional_names(tf.cast),
                             "insert": {"dtype": "{tf}." + dtype}}
    x = np.array([1.5, -2.0, 3.0], "float32")
    old = getattr(tf.compat.v1, name)(x)
    new = tf.cast(x, getattr(tf, dtype))
    entry["verified"] = bool(old.dtype == new.dtype and np.array_equal(np.asarray(old, "float64"),
                                                                        np.asarray(new, "float64")))
    return entry


def _missing_members(tf: Any, prefix: str, v1_mod: Any, v2_mod: Any, v2_index: Mapping[int, str],
                     out: dict[str, dict[str, Any]], only_v2: bool = False) -> None:
    """Members of a TF 1 module that the TF 2 module lacks (Keras-owned aliases left to TFS501)."""
    legacy_keras = _tf_keras_module(prefix)
    try:
        members = _public(v1_mod)
    except Exception:
        return
    for name in members:
        if v2_mod is not None and hasattr(v2_mod, name):
            _shared_submodule(tf, f"{prefix}.{name}", v1_mod, v2_mod, name, v2_index, out)
            continue
        if legacy_keras is not None and hasattr(legacy_keras, name):
            continue
        try:
            obj = getattr(v1_mod, name)
        except Exception:
            continue
        path = f"{prefix}.{name}"
        if _is_module(obj):
            out[path] = _compat_entry(tf, path, kind="module")
            continue
        entry = _name_entry(tf, path, obj, v2_index)
        if only_v2 and entry.get("v2") is None:
            continue  # the module entry's compat.v1 spelling covers it
        out[path] = entry


def _shared_submodule(tf: Any, path: str, v1_mod: Any, v2_mod: Any, name: str, v2_index: Mapping[int, str],
                      out: dict[str, dict[str, Any]]) -> None:
    """Recurse into a submodule both APIs have (``train.experimental``), two levels deep."""
    try:
        a, b = getattr(v1_mod, name), getattr(v2_mod, name)
    except Exception:
        return
    if _is_module(a) and _is_module(b) and path.count(".") < 2 and path.split(".")[0] not in KERAS_BACKED:
        _missing_members(tf, path, a, b, v2_index, out)


def _tf_keras_module(prefix: str) -> Any:
    if prefix not in ("losses", "metrics", "initializers", "optimizers"):
        return None
    import tf_keras

    return getattr(tf_keras, prefix)


def _removed_keywords(tf: Any) -> dict[str, dict[str, Any]]:
    """v2 path -> {old keyword: new keyword or None} for keywords only the TF 1 version takes."""
    out: dict[str, dict[str, Any]] = {}
    _keyword_walk(tf, tf.compat.v1, tf, "", out, 0)
    return dict(sorted(out.items()))


def _keyword_walk(tf: Any, v1: Any, v2: Any, prefix: str, out: dict[str, dict[str, Any]], depth: int) -> None:
    for name in _public(v1):
        if not hasattr(v2, name) or (not prefix and name in KERAS_BACKED + ("compat",)):
            continue
        a, b = getattr(v1, name), getattr(v2, name)
        if _is_module(a):
            if depth < 2:
                _keyword_walk(tf, a, b, f"{prefix}{name}.", out, depth + 1)
            continue
        if a is b or isinstance(a, type) or not callable(a):
            continue
        old, new = _params(a), _params(b)
        if old is None or new is None or any(p.kind is p.VAR_KEYWORD for p in new):
            continue
        new_names = {p.name for p in new}
        removed = [p.name for p in old if p.name not in new_names and p.kind is not p.VAR_KEYWORD
                   and p.kind is not p.VAR_POSITIONAL]
        removed = [kw for kw in removed if _rejects_keyword(b, kw)]
        if removed:
            out[prefix + name] = {kw: _keyword_rename(a, b, kw, new_names) for kw in removed}


def _rejects_keyword(fn: Any, keyword: str) -> bool:
    """Measured: calling the TF 2 function with the keyword raises the binding TypeError.

    Only the keyword is passed, so the call fails while binding arguments, before any of
    the function body runs."""
    try:
        fn(**{keyword: None})
    except TypeError as exc:
        return keyword in str(exc)
    except Exception:
        return False
    return False


def _keyword_rename(v1_fn: Any, v2_fn: Any, keyword: str, new_names: set[str]) -> str | None:
    """The TF 2 keyword for ``keyword`` when the rename gives the same values on a sample."""
    target = KEYWORD_RENAMES.get(keyword)
    if target is None or target not in new_names:
        return None
    if keyword not in KEYWORD_SAMPLE:
        return None
    x = np.arange(1.0, 7.0, dtype="float32").reshape(2, 1, 3)
    value = KEYWORD_SAMPLE[keyword]
    try:
        old = v1_fn(x, **{keyword: value})
        new = v2_fn(x, **{target: value})
    except Exception:
        return None
    return target if _equal(old, new, False) else None


# ---------------------------------------------------------------------------------------------
def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def build_all() -> dict[str, str]:
    """File name -> JSON text."""
    keras_table = build_keras_table()
    tf1 = build_tf1_table()
    return {"keras_api.json": _dump(keras_table), "tf1_api.json": _dump(tf1)}


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed tables")
    parser.add_argument("--out", type=Path, default=DATA, help="output folder")
    args = parser.parse_args(list(argv) if argv is not None else None)
    # tf.compat.v1.flags.FLAGS parses sys.argv on first attribute access: hide our options
    sys.argv = sys.argv[:1]
    tables = build_all()
    stale = []
    for name, text in tables.items():
        path = args.out / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(text)} bytes)")
    if stale:
        print("stale: " + ", ".join(stale) + "; run `python tools/gen_api_tables.py`")
        return 1
    if args.check:
        print("tables up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
