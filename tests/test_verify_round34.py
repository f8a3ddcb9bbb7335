"""Verifier verdicts from held-out rounds 31-33 run inside their repositories, written anew.

A triplet loss slices its predictions by a size it imports from the project's own
``config.py`` (``from config import embedding_size``). The probe's inputs are now as wide as
those slices: before, a width-1 prediction left the positive and negative slices empty, their
distances a constant 0, and the unguarded ``sqrt`` was "refuted".

Where the width cannot be read (a size computed by a call), the flagged op gives the same values
on every probe input: that says nothing about the op, so the verdict is inconclusive, not
refuted.

A Keras 2 add_loss layer defined inside the method that builds the model (under an ``if``),
importing ``Layer`` from ``keras.engine.topology``, passing Keras 2.0's ``inputs`` argument to
``add_loss`` and called on a list of one tensor: the class is lifted out of the method, the
Keras 2 module path and ``add_loss`` signature run under tf_keras, and the list is passed as the
file passes it. Before, each step stopped the probe (inconclusive).

A batch-all triplet loss compares its labels pairwise (``tf.equal(tf.expand_dims(labels, 0),
tf.expand_dims(labels, 1))``): its labels are one class id per sample, a ``(B,)`` batch, which
the probe now feeds; ``(B, 1)`` labels made the mask ``(B, B, 1)`` and every run fail.

A loss that logs a term with ``tf.summary.scalar`` runs where TensorBoard is not installed: the
summary is a no-op there (it never changes the loss), where TensorFlow raised before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

CONFIG = "embedding_size = 16\nmargin = 0.2\n"

TRIPLET = source_of('''
    import tensorflow as tf

    from config import embedding_size, margin


    def triplet_loss(y_true, y_pred):
        s = embedding_size
        anchor = y_pred[:, :s]
        positive = y_pred[:, s:2 * s]
        negative = y_pred[:, 2 * s:]
        d_p = tf.sqrt(tf.reduce_sum(tf.square(anchor - positive), axis=-1, keepdims=True))
        d_n = tf.sqrt(tf.reduce_sum(tf.square(anchor - negative), axis=-1, keepdims=True))
        return tf.reduce_mean(tf.maximum(d_p - d_n + margin, 0.0), axis=-1)


    model.compile(optimizer="adam", loss=triplet_loss)
    ''')

UNREAD_WIDTH = source_of('''
    import tensorflow as tf

    NAMES = ["a", "b", "c"]


    def triplet_loss(y_true, y_pred):
        s = len(NAMES) * 40
        anchor = y_pred[:, :s]
        positive = y_pred[:, s:2 * s]
        d_p = tf.sqrt(tf.reduce_sum(tf.square(anchor - positive), axis=-1, keepdims=True))
        return tf.reduce_mean(d_p, axis=-1)


    model.compile(optimizer="adam", loss=triplet_loss)
    ''')

ADVERSARIAL = source_of('''
    import keras.backend as K
    from keras.engine.topology import Layer
    from keras.layers import Dense, Input, multiply
    from keras.models import Model


    class StyleModel:
        def __init__(self, adversarial):
            self.adversarial = adversarial

        def build_model(self):
            x = Input(shape=(8,))
            probs = Dense(3, activation="softmax")(x)
            if self.adversarial:
                class AdversarialLoss(Layer):
                    def call(self, x, mask=None):
                        p = x[0]
                        term = multiply([p, K.log(p)])
                        self.add_loss(K.sum(term), x)
                        return term

                AdversarialLoss()([probs])
            model = Model(x, probs)
            model.compile(optimizer="adam", loss="categorical_crossentropy")
            return model
    ''')


PAIRWISE = source_of('''
    import tensorflow as tf


    def _pairwise_distances(embeddings):
        dot = tf.matmul(embeddings, tf.transpose(embeddings))
        norms = tf.linalg.diag_part(dot)
        dist = tf.expand_dims(norms, 0) - 2.0 * dot + tf.expand_dims(norms, 1)
        return tf.sqrt(tf.maximum(dist, 0.0))


    def batch_all_positive_loss(labels, embeddings):
        same = tf.equal(tf.expand_dims(labels, 0), tf.expand_dims(labels, 1))
        positive = tf.boolean_mask(_pairwise_distances(embeddings), same)
        return tf.reduce_mean(positive)


    model.compile(optimizer="adam", loss=batch_all_positive_loss)
    ''')

LOGGED = source_of('''
    import tensorflow as tf


    def logged_bce(y_true, y_pred):
        bce = -(y_true * tf.math.log(y_pred) + (1 - y_true) * tf.math.log(1 - y_pred))
        tf.summary.scalar("bce", tf.reduce_mean(bce))
        return tf.reduce_mean(bce, axis=-1)


    model.compile(optimizer="adam", loss=logged_bce)
    ''')


def _project(tmp_path: Path) -> str:
    """A project (``.git`` marker, ``config.py``) holding the triplet loss; its path."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "config.py").write_text(CONFIG)
    loss = tmp_path / "losses.py"
    loss.write_text(TRIPLET)
    return str(loss)


@needs_tf
@pytest.mark.tf
def test_slices_sized_by_a_project_import_are_probed_at_that_width(tmp_path: Path) -> None:
    path = _project(tmp_path)
    out = verify_cases({path: (TRIPLET, "TFS401")})
    assert len(out[path]) == 2
    for verdict in out[path]:
        assert verdict.status.value == "confirmed", verdict.evidence
        assert "(4, 33)" in verdict.evidence, verdict.evidence


#: name -> (source, code, expected status, phrases the evidence holds)
SINGLE = {
    # the flagged op's operand sees none of the inputs: no refutation
    "unread": (UNREAD_WIDTH, "TFS401", "inconclusive", ("same values on every input tried",)),
    "adversarial-log": (ADVERSARIAL, "TFS401", "confirmed", ("the flagged op gives", "tf_keras")),
    "adversarial-sum": (ADVERSARIAL, "TFS102", "confirmed", ("scales with the batch size", "tf_keras")),
    "pairwise": (PAIRWISE, "TFS401", "confirmed", ("(4,)/(4, 3)",)),
}


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(SINGLE))
def test_round34_pattern_gets_its_verdict(name: str) -> None:
    source, code, status, shown = SINGLE[name]
    out = verify_cases({f"{name}.py": (source, code)})
    assert len(out[f"{name}.py"]) == 1
    verdict = out[f"{name}.py"][0]
    assert verdict.status.value == status, verdict.evidence
    for phrase in shown:
        assert phrase in verdict.evidence, verdict.evidence


@needs_tf
@pytest.mark.tf
def test_summary_in_a_loss_does_not_stop_the_probe() -> None:
    import importlib.util

    out = verify_cases({"logged.py": (LOGGED, "TFS401")})
    assert out["logged.py"]
    for verdict in out["logged.py"]:
        assert verdict.status.value == "confirmed", verdict.evidence
        if importlib.util.find_spec("tensorboard") is None:  # else TensorFlow writes nowhere by itself
            assert "tf.summary.scalar ran as a no-op" in verdict.evidence, verdict.evidence
