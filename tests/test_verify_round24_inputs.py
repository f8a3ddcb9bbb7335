"""Verifier inputs from real files (issue 12, held-out round 23's last inconclusive verdicts and
round 24), written anew for this test:

- a PPO loss that packs the action mask, the old policy and the advantage into ``y_true`` and
  multiplies ``y_pred`` by a 3-column slice of it runs on the y_pred width the failed product
  named (``Incompatible shapes: [4,3] vs. [4,7]``);
- a loss defined inside a method that reads nothing of the method (no ``self``, no local) is
  extracted as the same function at module level; one that reads ``self`` still needs the
  method to run, and says so.
"""

from __future__ import annotations

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

PACKED_PPO = source_of('''
    import tensorflow as tf


    def ppo_loss(y_true, y_pred):
        actions = y_true[:, 0:3]
        old = y_true[:, 3:6]
        advantage = y_true[:, 6]
        ratio = tf.reduce_sum(actions * y_pred, axis=-1) / (tf.reduce_sum(actions * old, axis=-1) + 1e-10)
        return -tf.reduce_sum(tf.minimum(ratio * advantage, tf.clip_by_value(ratio, 0.8, 1.2) * advantage))


    model.compile(optimizer="adam", loss=ppo_loss)
    ''')


IN_METHOD = source_of('''
    import tensorflow as tf


    class Agent:
        def __init__(self):
            self.scale = 2.0

        def load(self, path):
            def loss(y_true, y_pred):
                return tf.reduce_sum(tf.square(y_true - y_pred))

            def scaled(y_true, y_pred):
                return self.scale * tf.reduce_sum(tf.square(y_true - y_pred))

            self.model = tf.keras.models.load_model(path, custom_objects={"loss": loss, "scaled": scaled})
    ''')


@pytest.mark.tf
@needs_tf
def test_a_packed_ppo_gets_its_widths_and_a_loss_in_a_method_is_lifted() -> None:
    out = verify_cases({"ppo.py": (PACKED_PPO, "TFS102"),
                        "agent.py": (IN_METHOD, "TFS102")})
    (ppo,) = out["ppo.py"]
    # before: "the loss raised on every synthetic input, e.g. (4, 7)/(4, 7): Incompatible shapes"
    expect_verdict(ppo, "confirmed", present=("it scales with the batch size",), absent=("Incompatible shapes",))
    lifted, in_method = sorted(out["agent.py"], key=lambda v: "defined inside the method" in v.evidence)
    expect_verdict(lifted, "confirmed", absent=("defined inside the method",))
    expect_verdict(in_method, "inconclusive", present=("`scaled` is defined inside the method `Agent.load`",))
