"""Verifier verdicts from held-out round 30, written anew for this test: a triplet hinge with
no margin takes the square root of both distances. Its NaN gradient needs the anchor, the
positive and the negative to coincide, where both roots are 0 and the hinge sits at its tie;
with the other root clipped (a sibling neutralised in both runs) the tie is gone and neither
root gets a gradient. That second program is not the loss as written, so what it shows may
confirm a finding but never refutes one.
"""

from __future__ import annotations

import pytest

from tests.conftest import source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

TRIPLET = source_of('''
    import tensorflow as tf


    def triplet_loss(y_true, y_pred):
        anchor = y_pred[:, 0, :]
        positive = y_pred[:, 1, :]
        negative = y_pred[:, 2, :]
        d_pos = tf.sqrt(tf.reduce_sum(tf.square(anchor - positive), axis=-1))
        d_neg = tf.sqrt(tf.reduce_sum(tf.square(anchor - negative), axis=-1))
        return tf.maximum(d_pos - d_neg, 0.0)


    model.compile(optimizer="adam", loss=triplet_loss)
    ''')


@needs_tf
@pytest.mark.tf
def test_a_root_whose_nan_needs_its_sibling_is_not_refuted() -> None:
    out = verify_cases({"triplet.py": (TRIPLET, "TFS401")})
    verdicts = out["triplet.py"]
    assert len(verdicts) == 2
    for verdict in verdicts:
        # as written, y_pred all 1 makes both roots 0 at the hinge's tie: NaN weights
        assert verdict.status.value != "refuted", verdict.evidence
