"""Verifier verdicts from held-out round 33, written anew for this test.

A reinforcement-learning agent compiles one of its own methods as the loss
(``actor.compile(loss=self.ce_loss)``) while its constructor needs the environment's sizes and
builds two networks. The method never reads ``self``: the verifier runs the function itself
instead of building the agent with made-up sizes (``Dense(0.5)`` raised before).

A loss whose predictions are split into anchor, positive and negative parts along the feature
axis sums the per-triplet hinge over the whole batch: confirmed, the batch total grows with the
batch, and the per-sample form does not.

A ``Loss`` class defined inside a function that returns the file's custom objects in a dict
(``define_custom_objects()``) is built from the function run up to the class, then
instantiated as the file would: before, the probe called the function and got the dict.
"""

from __future__ import annotations

import pytest

from tests.conftest import source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

AGENT = source_of('''
    import tensorflow as tf
    from tensorflow import keras


    class Agent:
        def __init__(self, state_size, action_size):
            self.actor = keras.Sequential([keras.layers.Dense(action_size, activation="softmax")])
            self.actor.build((None, state_size))
            self.actor.compile(loss=self.ce_loss, optimizer="adam")

        def ce_loss(self, y_true, y_pred):
            return tf.reduce_sum(-y_true * tf.math.log(y_pred), -1)


    agent = Agent(env.observation_space.shape[0], env.action_space.n)
    ''')

TRIPLET = source_of('''
    import tensorflow as tf


    def triplet_loss(y_true, y_pred):
        anchor, pos, neg = tf.split(y_pred, num_or_size_splits=3, axis=1)
        pos_dist = tf.reduce_sum(tf.square(anchor - pos), axis=-1)
        neg_dist = tf.reduce_sum(tf.square(anchor - neg), axis=-1)
        return tf.reduce_sum(tf.maximum(pos_dist - neg_dist + 0.2, 0.0))


    model.compile(optimizer="adam", loss=triplet_loss)
    ''')


CLASS_IN_FUNCTION = source_of('''
    def define_custom_objects():
        import tensorflow as tf

        class HorizonLoss(tf.keras.losses.Loss):
            def call(self, y_true, y_pred):
                return tf.reduce_mean(tf.square(y_true - y_pred))

        return {"HorizonLoss": HorizonLoss}


    custom_objects = define_custom_objects()
    model.compile(optimizer="adam", loss=custom_objects["HorizonLoss"]())
    ''')


#: name -> (source, code, text the confirming evidence holds)
CASES = {
    "agent.py": (AGENT, "TFS401", "the flagged op gives"),
    "triplet.py": (TRIPLET, "TFS102", "scales with the batch size"),
    "objects.py": (CLASS_IN_FUNCTION, "TFS108", "mean(sw)"),
}


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(CASES))
def test_round33_pattern_is_confirmed(name: str) -> None:
    source, code, shown = CASES[name]
    out = verify_cases({name: (source, code)})
    assert len(out[name]) == 1
    verdict = out[name][0]
    assert verdict.status.value == "confirmed", verdict.evidence
    assert shown in verdict.evidence, verdict.evidence
