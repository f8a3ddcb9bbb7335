"""Verifier and discovery behaviour from the tenth session's work, written anew for this test:

- a function whose result a model's ``add_loss`` takes (``vae.add_loss(vae_loss(inputs,
  decoded, (z_mean, z_log_var)))``) gets model tensors for its parameters after the first two,
  a tuple of them where it unpacks one (statically: batches; at run time: tensors shaped like
  ``y_pred``);
- a ``*loss*`` function whose names put the prediction first (``box_loss(pred, true)``) and that
  no Keras API receives takes its roles from the names; the verifier calls it prediction first;
- a loss whose own code flips a process-wide setting (``tf.config.run_functions_eagerly(True)``
  in a factory) does not change the verdicts of the jobs after it in the same worker: each job
  starts from the settings the worker had.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.analysis.index import build_index
from tfshape_lint.verify import tensorflow_available
from tfshape_lint.verify.realfiles import extra_parts

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

ADDED = source_of('''
    from tensorflow.keras import backend as K

    def vae_loss(inputs, outputs, z_args):
        z_mean, z_log_var = z_args
        reconstruction = K.mean(K.square(inputs - outputs), axis=-1)
        kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var))
        return K.mean(reconstruction + kl)

    vae.add_loss(vae_loss(inputs, decoded, (z_mean, z_log_var)))
    ''')

PRED_FIRST = source_of('''
    import tensorflow as tf

    def box_loss(pred, true):
        err = tf.reduce_sum(tf.square(true[..., :4] - pred[..., :4]), axis=-1)
        return tf.reduce_sum(true[..., 4] * err)
    ''')

LEAKY_FACTORY = source_of('''
    import tensorflow as tf

    def make_loss():
        tf.config.run_functions_eagerly(True)
        def ratio_loss(y_true, y_pred):
            return tf.reduce_mean(tf.square(y_true - y_pred)) / tf.reduce_sum(y_true, axis=-1)
        return ratio_loss

    model.compile(optimizer="adam", loss=make_loss())
    ''')

PYTHON_IF = source_of('''
    import tensorflow as tf

    def python_if_loss(y_true, y_pred):
        err = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        if tf.reduce_mean(y_pred) > 0.5:
            return err * 2.0
        return err

    model.compile(optimizer="adam", loss=python_if_loss)
    ''')


def _specs(source: str) -> dict[str, object]:
    return {spec.qualname: spec for spec in build_index(source, ast.parse(source), None).losses}


def test_a_function_a_model_add_loss_takes_is_marked_and_its_tuple_parameter_counted() -> None:
    spec = _specs(ADDED)["vae_loss"]
    assert spec.added and not spec.pred_first  # type: ignore[attr-defined]
    assert extra_parts(ast.parse(ADDED), "vae_loss") == [2]
    layer_own = ADDED.replace("vae.add_loss(", "self.add_loss(")
    assert not _specs(layer_own)["vae_loss"].added  # type: ignore[attr-defined]


def test_a_prediction_first_criterion_takes_its_roles_from_its_names() -> None:
    spec = _specs(PRED_FIRST)["box_loss"]
    assert spec.pred_first and (spec.labels, spec.predictions) == ("true", "pred")  # type: ignore[attr-defined]
    compiled = PRED_FIRST + "\nmodel.compile(optimizer='adam', loss=box_loss)\n"
    keras_fed = _specs(compiled)["box_loss"]
    # Keras passes (y_true, y_pred) by position whatever the names say (TFS503's finding)
    assert not keras_fed.pred_first and keras_fed.labels == "pred"  # type: ignore[attr-defined]
    # Keras's own two names, traded, need no *loss* name to say what the function is
    keras_names = "import tensorflow as tf\n\ndef average_distance(y_pred, y_true):\n" \
                  "    return tf.reduce_mean(tf.abs(y_pred - y_true), axis=-1)\n"
    assert _specs(keras_names)["average_distance"].predictions == "y_pred"  # type: ignore[attr-defined]


@pytest.mark.tf
@needs_tf
def test_added_and_prediction_first_losses_are_called_as_the_file_calls_them() -> None:
    out = verify_cases({"added.py": (ADDED, "TFS102"), "first.py": (PRED_FIRST, "TFS102")})
    added, = out["added.py"]
    expect_verdict(added, "confirmed", present=("it scales with the batch size", "model tensors shaped like y_pred",
                                                "a tuple of 2"))
    first, = out["first.py"]
    expect_verdict(first, "confirmed", present=("called as box_loss(pred, true), prediction first",))


@pytest.mark.tf
@needs_tf
def test_a_setting_one_loss_flips_does_not_reach_the_next_job() -> None:
    out = verify_cases({"leaky.py": (LEAKY_FACTORY, "TFS401"), "python_if.py": (PYTHON_IF, "TFS303")})
    ratio, = out["leaky.py"]
    expect_verdict(ratio, "confirmed")
    python_if, = out["python_if.py"]
    # with run_functions_eagerly left on, "graph mode" would be eager and the if would run
    expect_verdict(python_if, "confirmed", present=("OperatorNotAllowedInGraphError",))


