"""Verifier inputs from real files (issue 12, held-out round 27), written anew for this test:

- a loss module that imports a TF 1 name (``from tensorflow import erf``, its own TFS506
  finding) still shows its other findings: the name is taken from ``tensorflow.compat.v1``, as
  the probe's ``tf.<name>`` fallback does, and the evidence says so;
- a flagged division whose denominator is itself a flagged ``sqrt`` (``x / sqrt(relu(s))``; the
  file's ``sqrt(square(s))`` of a linear output is no finding since round 44) is
  verified with that ``sqrt`` left as written: neutralising it would keep the very denominator the
  finding is about away from 0 (it was refuted so);
- a loss factory closing over a model input (``advantage = Input(shape=(1,))`` where the model is
  built and compiled: the widely copied Keras PPO loss) gets a ``(B, 1)`` batch for it, not a
  neutral number.
"""

from __future__ import annotations

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

TF1_IMPORT = source_of('''
    import tensorflow as tf
    from tensorflow import erf


    def crps_loss(y_true, y_pred):
        mu = y_pred[:, 0]
        sigma = y_pred[:, 1]
        loc = (y_true[:, 0] - mu) / tf.sqrt(tf.nn.relu(sigma))
        return tf.reduce_mean(tf.abs(loc) * (1.0 + erf(loc)))


    model.compile(optimizer="adam", loss=crps_loss)
    ''')

PPO_INPUTS = source_of('''
    import keras
    from keras import ops


    def ppo_loss(advantage, old_prediction):
        def loss(y_true, y_pred):
            prob = ops.sum(y_true * y_pred, axis=-1)
            old_prob = ops.sum(y_true * old_prediction, axis=-1)
            ratio = prob / (old_prob + 1e-10)
            return -ops.mean(ops.minimum(ratio * advantage, ops.clip(ratio, 0.8, 1.2) * advantage))
        return loss


    def build_actor(n_actions):
        state = keras.Input(shape=(8,))
        advantage = keras.Input(shape=(1,))
        old_prediction = keras.Input(shape=(n_actions,))
        probs = keras.layers.Dense(n_actions, activation="softmax")(state)
        model = keras.Model(inputs=[state, advantage, old_prediction], outputs=[probs])
        model.compile(optimizer="adam", loss=[ppo_loss(advantage=advantage, old_prediction=old_prediction)])
        return model
    ''')


@needs_tf
@pytest.mark.tf
def test_tf1_imports_nested_hazards_and_model_inputs() -> None:
    out = verify_cases({"crps.py": (TF1_IMPORT, "TFS401"), "ppo.py": (PPO_INPUTS, "TFS103")})
    assert len(out["crps.py"]) == 2  # the division and the sqrt in its denominator
    for verdict in out["crps.py"]:
        expect_verdict(verdict, "confirmed", present=("TF 1 names run through tf.compat.v1: tf.erf",),
                       absent=("cannot import name",))
    assert len(out["ppo.py"]) == 2
    for verdict in out["ppo.py"]:
        expect_verdict(verdict, "confirmed", present=("broadcasts (4,) against (4, 1)",), absent=("= 0.5",))
