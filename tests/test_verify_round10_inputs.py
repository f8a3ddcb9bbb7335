"""Inputs and variants the verifier takes from the loss itself (issue 12, held-out rounds 10-12).

Each case is a pattern that left a held-out finding inconclusive or wrongly decided, written
anew for this test (no third-party code):

- Keras 2 code that reaches the backend through ``import keras as k`` (``k.backend.int_shape``)
  runs under tf_keras;
- ``szp = K.int_shape(y_pred)`` then ``szp[3]``, a slice start on a time axis (``[:, 365:, :]``)
  and ``tf.image.resize`` ask for inputs of that rank and length;
- a factory never called whose parameter selects the loss it builds gets that branch's literal;
- TFS108's counterfactual keeps the batch through an inner ``axis=0`` reduction;
- TFS110 on a loss that fails eagerly further down (a backend name no Keras has): the trace
  fails earlier, at the flagged ``len(y_true)``, and the counterfactual trace reaches the eager
  failure;
- a loss without any gradient w.r.t. y_pred (NumPy cuts the tape) refutes no TFS401;
- a sum over a ``boolean_mask`` selection by sign is empty for predictions in (0, 1): it is
  tried again with predictions of both signs;
- a focal loss whose ``equal(y_true, 1)`` no soft label meets is 1e-20: no scaling is read off it;
- a NaN test inside a helper of the file gets NaN labels.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import source_of, verify_cases
from tfshape_lint.verify import Status, tensorflow_available
from tfshape_lint.verify.extract import param_bindings
from tfshape_lint.verify.realfiles import infer_layouts, keras2_names
from tfshape_lint.verify.result import Verification
from tfshape_lint.verify.variants import TRANSFORMS, Context

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

KERAS_MODULE_BACKEND = source_of('''
    import numpy as np
    import keras as k

    def pixel_loss(y_true, y_pred):
        shape = k.backend.int_shape(y_pred)
        size = shape[1] * shape[2] * shape[3]
        flat = k.backend.reshape(y_pred, (-1, size))
        return np.mean(np.log(flat))
    ''')

SPINUP = source_of('''
    import tensorflow as tf

    def spinup_mse(y_true, y_pred):
        y_true = y_true[:, 100:, :]
        y_pred = y_pred[:, 100:, :]
        return tf.reduce_mean(tf.square(y_true - y_pred), axis=[1, 2])
    ''')

RESIZED = source_of('''
    import tensorflow as tf

    def flow_error(y_true, y_pred):
        target = tf.image.resize(y_true, tf.shape(y_pred)[1:3])
        return tf.sqrt(tf.reduce_sum(tf.square(target - y_pred), axis=-1))
    ''')

BRANCHES = source_of('''
    import tensorflow as tf

    def build_loss(kind, weight=1.0):
        if kind == "hinge":
            def loss(y_true, y_pred):
                return tf.reduce_sum(tf.nn.relu(1.0 - y_true * y_pred))
        else:
            def loss(y_true, y_pred):
                return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        return loss
    ''')

CLASS_WEIGHTED = source_of('''
    import tensorflow as tf

    class WeightedLogLoss(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
            per_class = tf.reduce_mean(y_true * tf.math.log(p), axis=0)
            return -tf.reduce_mean(per_class / tf.constant([0.5, 0.3, 0.2]))
    ''')

NO_SUCH_BACKEND_NAME = source_of('''
    import tensorflow.keras.backend as K

    def rmse_per_sample(y_true, y_pred):
        mse = K.sum(K.square(y_pred - y_true), axis=-1) / len(y_true)
        return K.root(mse)
    ''')

NUMPY_RMSE = source_of('''
    import numpy as np
    import tensorflow as tf

    def rmse_loss(y_true, y_pred):
        mse = np.sum((y_pred - y_true) ** 2) / 4.0
        return mse ** 0.5

    model.compile(optimizer="adam", loss=rmse_loss)
    ''')

BY_SIGN = source_of('''
    import tensorflow as tf

    def trade_loss(y_true, y_pred):
        sell = tf.boolean_mask(y_true * y_pred, y_pred > 0)
        buy = tf.boolean_mask(y_true * y_pred, y_pred <= 0)
        return -(tf.reduce_sum(sell) + 2.0 * tf.reduce_sum(buy))

    model.compile(optimizer="adam", loss=trade_loss)
    ''')

HARD_LABEL_FOCAL = source_of('''
    import tensorflow as tf
    from tensorflow import keras

    def focal(y_true, y_pred, gamma=2.0):
        pt_1 = tf.where(tf.equal(y_true, 1), y_pred, tf.ones_like(y_pred))
        pt_0 = tf.where(tf.equal(y_true, 0), y_pred, tf.zeros_like(y_pred))
        pt_1 = keras.backend.clip(pt_1, 1e-7, 1.0 - 1e-7)
        pt_0 = keras.backend.clip(pt_0, 1e-7, 1.0 - 1e-7)
        return -keras.backend.sum(keras.backend.pow(1.0 - pt_1, gamma) * keras.backend.log(pt_1)) \\
            - keras.backend.sum(keras.backend.pow(pt_0, gamma) * keras.backend.log(1.0 - pt_0))

    model.compile(optimizer="adam", loss=focal)
    ''')

NAN_HELPER = source_of('''
    import tensorflow as tf

    def _nan_to_zero(x):
        return tf.where(tf.math.is_nan(x), tf.zeros_like(x), x)

    def _masked_mean(x):
        count = tf.reduce_sum(tf.cast(~tf.math.is_nan(x), tf.float32))
        return tf.divide(tf.reduce_sum(_nan_to_zero(x)), tf.where(tf.equal(count, 0.0), 1.0, count))

    def nan_mse(y_true, y_pred):
        return _masked_mean(tf.square(y_pred - y_true))

    model.compile(optimizer="adam", loss=nan_mse)
    ''')


def _layouts(source: str, qualname: str) -> list[dict[str, object]]:
    return infer_layouts(ast.parse(source), qualname)


def test_keras_module_backend_names_are_keras_2_code() -> None:
    assert keras2_names(ast.parse(KERAS_MODULE_BACKEND)) == ["int_shape", "reshape"]


def test_a_static_shape_index_asks_for_that_rank() -> None:
    layouts = _layouts(KERAS_MODULE_BACKEND, "pixel_loss")
    assert layouts and isinstance(layouts[0]["pred"], list) and len(layouts[0]["pred"]) == 3, layouts


def test_a_slice_start_on_the_time_axis_sets_its_length() -> None:
    layouts = _layouts(SPINUP, "spinup_mse")
    assert any(isinstance(lay["pred"], list) and len(lay["pred"]) == 2 and lay["pred"][0] > 100
               for lay in layouts), layouts


def test_an_image_op_asks_for_images() -> None:
    layouts = _layouts(RESIZED, "flow_error")
    assert layouts and isinstance(layouts[0]["pred"], list) and len(layouts[0]["pred"]) == 3, layouts


def test_the_parameter_that_selects_the_loss_gets_its_branch_literal() -> None:
    factory = ast.parse(BRANCHES).body[1]
    assert isinstance(factory, ast.FunctionDef)
    hinge_line = next(n.lineno for n in ast.walk(factory) if isinstance(n, ast.FunctionDef) and n.name == "loss")
    bindings = param_bindings(factory, ["kind"], hinge_line)
    assert bindings is not None and bindings["kind"].literal == "hinge"
    assert "'hinge' (the branch that defines the flagged loss)" in bindings["kind"].shown("kind")
    else_line = max(n.lineno for n in ast.walk(factory) if isinstance(n, ast.FunctionDef) and n.name == "loss")
    fallback = param_bindings(factory, ["kind"], else_line)  # the else branch: what fails every test
    assert fallback is not None and fallback["kind"].kind == "number"
    other = param_bindings(factory, ["kind"], 0)  # no line: the first string it is compared with
    assert other is not None and other["kind"].kind == "selector" and other["kind"].literal == "hinge"
    assert "(the first value the code compares it with)" in other["kind"].shown("kind")


def test_tfs108_keeps_the_batch_through_an_inner_batch_reduction() -> None:
    tree = ast.parse(CLASS_WEIGHTED)
    outer = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n).startswith(
        "tf.reduce_mean(per_class"))
    made = TRANSFORMS["TFS108"](outer, Context("TFS108", "warning", "y_true", "y_pred"))
    # the inner axis=0 reduction is on another line, through a name: the plain variant
    assert made is not None and "inside it" not in made[1]
    inline = ast.parse("tf.reduce_mean(tf.reduce_mean(y_true * p, axis=0) / w)").body[0]
    assert isinstance(inline, ast.Expr)
    made = TRANSFORMS["TFS108"](inline.value, Context("TFS108", "warning", "y_true", "y_pred"))
    assert made is not None
    new, description = made
    assert "axis=0" not in ast.unparse(new) and "reduction over the batch axis inside it" in description


#: file -> (source, code, what the confirming evidence must say; None: not confirmed)
CASES: dict[str, tuple[str, str, str | None]] = {
    "keras_module.py": (KERAS_MODULE_BACKEND, "TFS302", "run under tf_keras"),
    "no_root.py": (NO_SUCH_BACKEND_NAME, "TFS110", "gets as far as the eager call"),
    "numpy_rmse.py": (NUMPY_RMSE, "TFS401", None),
    "by_sign.py": (BY_SIGN, "TFS102", "predictions of both signs"),
    "hard_focal.py": (HARD_LABEL_FOCAL, "TFS102", "scales with the batch size"),
    "nan_helper.py": (NAN_HELPER, "TFS402", "y_true with NaN entries"),
    "branches.py": (BRANCHES, "TFS102", "'hinge' (the branch that defines the flagged loss)"),
}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[Verification]]:
    return verify_cases({name: (source, code) for name, (source, code, _) in CASES.items()})


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(n for n, case in CASES.items() if case[2] is not None))
def test_round10_patterns_are_confirmed_with_the_input_or_variant_that_shows_them(
        verdicts: dict[str, list[Verification]], name: str) -> None:
    shown = CASES[name][2]
    assert shown is not None
    # two findings on one line (the sell and the buy sum): only the buy one needs both signs
    assert verdicts[name] and all(v.status is Status.CONFIRMED for v in verdicts[name]), verdicts[name]
    assert any(shown in v.evidence for v in verdicts[name]), verdicts[name]


@needs_tf
@pytest.mark.tf
def test_a_loss_without_gradient_refutes_no_unguarded_op(verdicts: dict[str, list[Verification]]) -> None:
    (verdict,) = verdicts["numpy_rmse.py"]
    assert verdict.status is Status.INCONCLUSIVE and "no gradient" in verdict.evidence, verdict
