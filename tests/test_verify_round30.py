"""Verifier verdicts from held-out round 30, written anew for this test: a triplet hinge with
no margin takes the square root of both distances. Its NaN gradient needs the anchor, the
positive and the negative to coincide, where both roots are 0 and the hinge sits at its tie;
with the other root clipped (a sibling neutralised in both runs) the tie is gone and neither
root gets a gradient. That second program is not the loss as written, so what it shows may
confirm a finding but never refutes one.

Round 31: DeepSurv's ``y_pred - log(K.sum(exp(y_pred), axis=1))`` on a ``(B, 1)`` prediction is
an antisymmetric ``(B, B)`` matrix whose batch sum is 0 up to float32 rounding at every batch
size; "the same value at batch 2 and 8" there is no evidence that the sum does not scale.
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


COX = source_of('''
    import tensorflow as tf
    from tensorflow.keras import backend as K


    def negative_log_likelihood(E):
        def loss(y_true, y_pred):
            log_risk = K.log(K.sum(K.exp(y_pred), axis=1))
            return -K.sum((y_pred - log_risk) * E)
        return loss


    model.compile(optimizer="adam", loss=negative_log_likelihood(1.0))
    ''')


@needs_tf
@pytest.mark.tf
def test_a_batch_sum_that_is_zero_up_to_rounding_is_not_refuted() -> None:
    out = verify_cases({"cox.py": (COX, "TFS102")})
    assert len(out["cox.py"]) == 1
    assert out["cox.py"][0].status.value != "refuted", out["cox.py"][0].evidence
