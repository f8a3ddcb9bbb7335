"""Round 50's verdicts (issue 12): losses that need what the file's own world gives them.

- a loss nothing in the file hands to Keras whose labels are indices (``one_hot(labels)``) fails
  in Keras 3 ``fit`` at the index op, before any flagged node (that is TFS202's finding): it runs
  as a direct call with integer labels, and the evidence says so; an unguarded log there is
  confirmed, the same log guarded is refuted;
- Keras 2's ``from keras.utils import losses_utils`` (and its ``Reduction`` enum) resolves under
  tf_keras, so a Loss subclass that reduces with ``compute_weighted_loss`` gets a verdict.

Every case was written for this test (no third-party code); one ``verify_findings`` call.
"""

from __future__ import annotations

import pytest

from tests.conftest import flagged, forced_finding, source_of, verify_named
from tfshape_lint.finding import Finding
from tfshape_lint.verify import Status, tensorflow_available
from tfshape_lint.verify.result import Verification

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

SPARSE_NLL = source_of('''
    import tensorflow as tf


    def sparse_softmax_loss(labels, logits):
        onehot = tf.one_hot(labels, depth=tf.shape(logits)[-1])
        return -tf.math.log(tf.reduce_sum(onehot * tf.nn.softmax(logits), axis=-1))


    def sparse_softmax_loss_guarded(labels, logits):
        onehot = tf.one_hot(labels, depth=tf.shape(logits)[-1])
        return -tf.math.log(tf.reduce_sum(onehot * tf.nn.softmax(logits), axis=-1) + 1e-7)
    ''')

KERAS2_WEIGHTED = source_of('''
    import tensorflow as tf
    from keras import backend as K
    from keras.losses import Loss
    from keras.utils import losses_utils


    class ListwiseCrossEntropy(Loss):
        def __init__(self):
            super().__init__(reduction=losses_utils.Reduction.SUM_OVER_BATCH_SIZE, name="listwise")

        def call(self, y_true, y_pred, sample_weight=None):
            loss = -K.sum(y_true * K.log(tf.nn.softmax(y_pred) + 1e-7), axis=-1)
            return losses_utils.compute_weighted_loss(loss, sample_weight, reduction=self.reduction)
    ''')



@pytest.fixture(scope="module")
def verdicts() -> dict[str, Verification]:
    cases: dict[str, tuple[str, str, Finding]] = {
        "sparse_raw": ("sparse.py", SPARSE_NLL, flagged(SPARSE_NLL, "TFS401")),
        "sparse_guarded": ("sparse.py", SPARSE_NLL, forced_finding(
            "TFS401", SPARSE_NLL, "tf.reduce_sum(onehot * tf.nn.softmax(logits), axis=-1) + 1e-7")),
        "keras2_weighted": ("weighted.py", KERAS2_WEIGHTED, flagged(KERAS2_WEIGHTED, "TFS108")),
    }
    verdicts = verify_named(cases)
    assert all(v is not None for v in verdicts.values())
    return verdicts


@needs_tf
@pytest.mark.tf
def test_index_labels_run_as_a_direct_call_and_the_unguarded_log_is_confirmed(
        verdicts: dict[str, Verification]) -> None:
    raw = verdicts["sparse_raw"]
    assert raw.status is Status.CONFIRMED, raw.evidence
    assert "direct call with integer labels" in raw.evidence


@needs_tf
@pytest.mark.tf
def test_index_labels_guarded_log_is_refuted(verdicts: dict[str, Verification]) -> None:
    guarded = verdicts["sparse_guarded"]
    assert guarded.status is Status.REFUTED, guarded.evidence


@needs_tf
@pytest.mark.tf
def test_keras2_losses_utils_resolves_under_tf_keras(verdicts: dict[str, Verification]) -> None:
    weighted = verdicts["keras2_weighted"]
    assert "ImportError" not in weighted.evidence and "no attribute" not in weighted.evidence, weighted.evidence
    assert weighted.status is Status.CONFIRMED, weighted.evidence
    assert "tf_keras" in weighted.evidence
