"""Loss discovery: every way a function reaches Keras as a loss, with its context."""

from __future__ import annotations

import ast

import pytest

from tfshape_lint.analysis.index import build_index
from tfshape_lint.analysis.losses import Context, Role


def discover(source: str) -> dict[str, tuple[str, str]]:
    index = build_index(source, ast.parse(source))
    return {s.qualname: (s.context.value, s.role.value) for s in index.losses}


CASES = [
    # TensorFlow 1.15's private path to Keras (TensorFlow Privacy's losses): a Loss subclass
    ("import tensorflow.compat.v1 as tf\nfrom tensorflow.compat.v1.python.keras import losses\n"
     "class Huber(losses.Loss):\n    def call(self, y_true, y_pred):\n        return y_pred\n",
     {"Huber.call": ("subclass", "loss")}),
    # wrapped functions: a metric (averaged, never differentiated) or the body of a Loss class
    ("import tensorflow as tf\ndef hamming_loss_fn(y_true, y_pred):\n    return y_pred\n"
     "m = tf.keras.metrics.MeanMetricWrapper(hamming_loss_fn)\n",
     {"hamming_loss_fn": ("compile", "metric")}),
    ("import tensorflow as tf\nfrom lib.metrics import MeanMetricWrapper\n"
     "def rate(a, b):\n    return a\n"
     "class Rate(MeanMetricWrapper):\n    def __init__(self):\n        super().__init__(rate, name='r')\n",
     {"rate": ("compile", "metric")}),
    ("import tensorflow as tf\nfrom lib.utils import LossFunctionWrapper\n"
     "def lifted_loss(labels, embeddings, margin=1.0):\n    return embeddings\n"
     "class Lifted(LossFunctionWrapper):\n    def __init__(self):\n        super().__init__(lifted_loss, margin=1.0)\n",
     {"lifted_loss": ("subclass", "loss")}),
    # a table of losses read in a custom train_step, and a sum of calls differentiated
    ("import tensorflow as tf\ndef a(t, p):\n    return p\ndef b(t, p):\n    return p\n"
     "class M(tf.keras.Model):\n    def __init__(self):\n        self.table = {'a': a}\n"
     "    def train_step(self, data):\n        with tf.GradientTape() as tape:\n"
     "            total = self.table['a'](y, p) + b(y, p)\n"
     "        tape.gradient(total, self.trainable_variables)\n",
     {"a": ("direct", "loss"), "b": ("direct", "loss")}),
    # a name that says "cost" says loss (Theano-era and paper code); a name with "cost" inside
    # another word does not
    ("import keras.backend as K\ndef crps_cost_function(target, pred, theano=False):\n"
     "    return K.mean(K.square(target - pred))\n"
     "def costume(target, pred):\n    return K.mean(K.square(target - pred))\n",
     {"crps_cost_function": ("unknown", "loss")}),
    # a test module's own losses are references
    ("import pytest\nimport tensorflow as tf\ndef ref_loss(y_true, y_pred):\n    return tf.abs(y_pred)\n",
     {"ref_loss": ("unknown", "reference")}),
    ("import pytest\nimport numpy as np\nimport tensorflow as tf\n"
     "def ref_loss(y_true, y_pred):\n    return np.abs(y_pred)\n", {}),
    ("import tensorflow as tf\ndef f(a, b):\n    return a\nmodel.compile('adam', f)\n",
     {"f": ("compile", "loss")}),
    ("import tensorflow as tf\ndef f(a, b):\n    return a\nmodel.compile(loss={'out': f})\n",
     {"f": ("compile", "loss")}),
    ("import tensorflow as tf\nmodel.compile(loss=lambda t, p: t - p)\n",
     {"<lambda>@2": ("compile", "loss")}),
    ("import functools\nimport tensorflow as tf\ndef f(a, b, w):\n    return a\n"
     "model.compile(loss=functools.partial(f, w=2))\n", {"f": ("compile", "loss")}),
    ("import tensorflow as tf\ndef make(w):\n    def inner(t, p):\n        return t * w\n    return inner\n"
     "model.compile(loss=make(2.0))\n", {"make.inner": ("compile", "loss")}),
    ("import tensorflow as tf\ndef make(w):\n    return lambda t, p: t * w\nloss_fn = make(3)\n"
     "model.compile(loss=loss_fn)\n", {"make.<lambda>@3": ("compile", "loss")}),
    ("import tensorflow as tf\nclass Base(tf.keras.losses.Loss):\n    pass\n"
     "class L(Base):\n    def call(self, y_true, y_pred):\n        return y_pred\n",
     {"L.call": ("subclass", "loss")}),
    ("from keras import losses\nclass L(losses.Loss):\n    def call(self, t, p):\n        return p\n",
     {"L.call": ("subclass", "loss")}),
    ("import tensorflow as tf\nclass L(tf.losses.Loss):\n    def call(self, t, p):\n        return p\n",
     {"L.call": ("subclass", "loss")}),
    ("import tensorflow as tf\ndef my_loss(t, p):\n    return t\n"
     "with tf.GradientTape() as tape:\n    loss = my_loss(y, model(x))\n"
     "grads = tape.gradient(loss, model.trainable_variables)\n", {"my_loss": ("direct", "loss")}),
    ("import tensorflow as tf\ndef reg(t, p):\n    return t\nmodel.add_loss(reg(a, b))\n",
     {"reg": ("direct", "loss")}),
    ("import tensorflow as tf\ndef loss(y_true, y_pred):\n    return y_true\n",
     {"loss": ("unknown", "loss")}),
    ("import tensorflow as tf\ndef focal_loss(labels, logits):\n    return labels\n",
     {"focal_loss": ("unknown", "loss")}),
    ("import tensorflow as tf\ndef dice_coef(y_true, y_pred):\n    return y_true\n",
     {"dice_coef": ("unknown", "metric")}),
    ("import tensorflow as tf\ndef acc(y_true, y_pred):\n    return y_true\n"
     "model.compile(loss='mse', metrics=[acc])\n", {"acc": ("compile", "metric")}),
    ("import tensorflow as tf\ndef helper(y_true, y_pred):\n    return y_true\n"
     "def total(y_true, y_pred):\n    return helper(y_true, y_pred)\nmodel.compile(loss='mse', metrics=[total])\n",
     {"helper": ("unknown", "loss"), "total": ("compile", "metric")}),
    ("import tensorflow as tf\ndef predict(x, y):\n    return x\n", {}),
    # parameter names beyond y_true/y_pred, compared case-insensitively
    ("import tensorflow as tf\ndef content_loss(trueY, predY):\n    return trueY\n",
     {"content_loss": ("unknown", "loss")}),
    ("import tensorflow as tf\ndef loss_function(real, pred):\n    return real\n",
     {"loss_function": ("unknown", "loss")}),
    ("import tensorflow as tf\ndef triplet(y_actual, y_pred):\n    return y_pred\n",
     {"triplet": ("unknown", "loss")}),
    ("import tensorflow as tf\ndef seg_loss(targets, inputs):\n    return inputs\n",
     {"seg_loss": ("unknown", "loss")}),
    ("import tensorflow as tf\ndef weird(gt, x):\n    return x\n", {}),
    # Keras's own label name first, in a function named as a loss: the second is the prediction
    ("import tensorflow as tf\ndef loss_nll(y_true, x):\n    return x\n", {"loss_nll": ("unknown", "loss")}),
    ("import tensorflow as tf\ndef scale(y_true, x):\n    return x\n", {}),
    # a method named as a loss, with a loss's parameters (handed to Keras as a bound method)
    ("import tensorflow as tf\nclass Survival(object):\n    def loss(self, ytrue, ypred):\n        return ypred\n"
     "    def activation(self, ytrue, ypred):\n        return ypred\n", {"Survival.loss": ("unknown", "loss")}),
    # x as a prediction only when the file registers the function
    ("import tensorflow as tf\ndef weird(gt, x):\n    return x\n"
     "m = tf.keras.models.load_model('m.h5', custom_objects={'weird': weird})\n",
     {"weird": ("compile", "loss")}),
    ("import tensorflow as tf\ndef my_loss(a, b):\n    return a\ndef swish(x):\n    return x\n"
     "tf.keras.utils.get_custom_objects().update({'my_loss': my_loss, 'swish': swish})\n",
     {"my_loss": ("compile", "loss")}),
    ("from keras.utils import get_custom_objects\nimport keras\ndef dice_coef(y, p):\n    return y\n"
     "get_custom_objects()['dice_coef'] = dice_coef\n", {"dice_coef": ("compile", "metric")}),
    ("import keras\ndef my_loss(t, p):\n    return t\n"
     "with keras.utils.custom_object_scope({'my_loss': my_loss}):\n    m = keras.models.load_model('m')\n",
     {"my_loss": ("compile", "loss")}),
    # callable objects
    ("import tensorflow as tf\nclass L1:\n    def __init__(self, w):\n        self.w = w\n"
     "    def __call__(self, a, b):\n        return a\nmodel.compile(loss=L1(2))\n",
     {"L1.__call__": ("compile", "loss")}),
    ("import tensorflow as tf\nclass L1:\n    def __call__(self, a, b):\n        return a\n"
     "fn = L1()\nmodel.compile(loss=fn)\n", {"L1.__call__": ("compile", "loss")}),
    ("import tensorflow as tf\nclass LossFunction(object):\n    def __call__(self, y_true, y_pred):\n"
     "        return y_true\n", {"LossFunction.__call__": ("unknown", "loss")}),
    ("import tensorflow as tf\nclass Layer:\n    def __call__(self, inputs, training):\n        return inputs\n",
     {}),
    # factories whose inner loss is returned but never called in the file
    ("import tensorflow as tf\ndef weighted(w):\n    def loss(y_true, y_pred):\n        return y_true * w\n"
     "    return loss\n", {"weighted.loss": ("unknown", "loss")}),
    ("import tensorflow as tf\ndef focal_loss(gamma):\n    return lambda labels, logits: labels * gamma\n",
     {"focal_loss.<lambda>@3": ("unknown", "loss")}),
]


@pytest.mark.parametrize("source,expected", CASES)
def test_discovery(source: str, expected: dict[str, tuple[str, str]]) -> None:
    assert discover(source) == expected


def specs(source: str) -> dict[str, object]:
    index = build_index(source, ast.parse(source))
    return {s.qualname: s for s in index.losses}


def test_never_called_factory_keeps_its_factory() -> None:
    found = specs("import tensorflow as tf\ndef weighted(w):\n    def loss(y_true, y_pred):\n"
                  "        return y_true * w\n    return loss\n")["weighted.loss"]
    assert found.factory == "weighted" and found.factory_call is None  # type: ignore[attr-defined]


def test_only_call_site_names_its_caller() -> None:
    source = ("import tensorflow as tf\ndef my_loss(y_true, y_pred):\n    return y_true\n"
              "def check():\n    p = (1, 2)\n    return my_loss(None, p)\n")
    assert specs(source)["my_loss"].caller == ("check",)  # type: ignore[attr-defined]
    module_level = "import tensorflow as tf\ndef reg(t, p, w):\n    return t\nmodel.add_loss(reg(a, b, c))\n"
    assert specs(module_level)["reg"].caller == ()  # type: ignore[attr-defined]
    twice = source + "my_loss(1, 2)\n"
    assert specs(twice)["my_loss"].caller is None  # type: ignore[attr-defined]


def test_contexts_are_enums() -> None:
    assert Context("compile") is Context.COMPILE and Role("metric") is Role.METRIC


@pytest.mark.parametrize("source, expected", [
    # a Keras file that reads tf without importing it: tf means tensorflow
    ("import keras.backend as K\ndef f(y_true, y_pred):\n    return tf.where(y_true > 0, y_pred, 0.0)\n",
     "tensorflow"),
    # a parameter named tf, a star import, or a file with nothing of TensorFlow bind nothing
    ("import keras.backend as K\ndef f(tf, y_pred):\n    return tf.where(y_pred)\n", None),
    ("from keras.layers import *\nimport keras.backend as K\ny = tf.where(x)\n", None),
    ("import os\ny = tf.where(x)\n", None),
])
def test_unimported_tf_is_tensorflow_in_a_tensorflow_file(source: str, expected: str | None) -> None:
    index = build_index(source, ast.parse(source))
    assert index.imports.aliases.get("tf") == expected


METRICS_MODULE = ("from tensorflow.keras import backend as K\n\n"
                  "def rmse(y_true, y_pred):\n    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))\n\n"
                  "def dice_loss(y_true, y_pred):\n    return 1.0 - K.mean(y_true * y_pred, axis=-1)\n")


@pytest.mark.parametrize("path, rmse_role", [("keras_custom_metrics.py", "metric"), ("metrics.py", "metric"),
                                             ("losses.py", "loss"), ("metricsutil.py", "loss")])
def test_a_module_named_for_metrics_holds_metrics(path: str, rmse_role: str) -> None:
    # by signature alone, in a module whose name says metrics: a metric, unless its name says loss
    index = build_index(METRICS_MODULE, ast.parse(METRICS_MODULE), path=path)
    roles = {s.qualname: s.role.value for s in index.losses}
    assert roles == {"rmse": rmse_role, "dice_loss": "loss"}, roles


def test_a_redefined_loss_is_read_at_its_last_definition() -> None:
    # the second def replaces the first when the module runs: compile gets the second, whose
    # batch sum is the finding; the first never runs
    from tfshape_lint.engine import lint_source

    source = ("import tensorflow as tf\n\ndef my_loss(y_true, y_pred):\n"
              "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n\n"
              "def my_loss(y_true, y_pred):\n    return tf.reduce_sum(tf.abs(y_true - y_pred))\n\n"
              "model.compile(loss=my_loss)\n")
    assert [(f.code, f.line) for f in lint_source(source, "m.py")] == [("TFS102", 7)]


def adversarial_specs(source: str) -> dict[str, tuple[str, str | None, str | None]]:
    index = build_index(source, ast.parse(source))
    return {s.qualname: (s.context.value, s.labels, s.predictions) for s in index.losses if s.adversarial}


def test_gan_losses_take_the_discriminators_outputs_and_no_labels() -> None:
    source = (
        "import tensorflow as tf\n"
        "def generator_loss(fake_logit):\n    return -tf.reduce_mean(fake_logit)\n"
        "def discriminator_loss(real_output, fake_output):\n"
        "    return tf.reduce_mean(tf.nn.softplus(-real_output)) + tf.reduce_mean(tf.nn.softplus(fake_output))\n"
        # pix2pix's generator loss takes the target image: it has labels, and is no adversarial loss
        "def pix_loss(disc_generated_output, gen_output, target):\n"
        "    return tf.reduce_mean(tf.abs(target - gen_output))\n"
        # named as a loss, but its parameters are no discriminator outputs
        "def feature_loss(real_images, fake_images):\n    return tf.reduce_mean(real_images - fake_images)\n"
        "def step(d, x, z):\n"
        "    with tf.GradientTape() as tape:\n"
        "        real_output, fake_output = d(x), d(z)\n"
        "        loss = discriminator_loss(real_output, fake_output)\n"
        "    tape.gradient(loss, d.trainable_variables)\n")
    assert adversarial_specs(source) == {
        "generator_loss": ("direct", None, "fake_logit"),
        "discriminator_loss": ("direct", None, "real_output"),
    }


def test_custom_loop_helpers_that_run_the_model_take_labels_and_no_prediction_parameter() -> None:
    source = (
        "import tensorflow as tf\n"
        "def loss(model, x, y, training):\n    y_ = model(x, training=training)\n    return tf.reduce_mean(y_ - y)\n"
        "def vae_loss_fn(model, inputs, targets):\n    z = model.encoder(inputs)\n"
        "    return tf.reduce_mean(model.decoder(z) - targets)\n"
        # the model is never called on the inputs: a function of a model, no loss helper
        "def summary_loss(model, x, y):\n    return tf.reduce_mean(tf.abs(x - y))\n")
    index = build_index(source, ast.parse(source))
    found = {s.qualname: (s.context.value, s.labels, s.predictions) for s in index.losses if s.model_first}
    assert found == {"loss": ("direct", "y", None), "vae_loss_fn": ("direct", "targets", None)}
