"""A product that contracts the samples (a Gram or covariance matrix over the batch) is a sum
over them: divided by their count, or by the total of their weights, it is a mean (CORAL and
DAGMM losses of held-out round 38), and left undivided it still makes a sum over its entries a
batch sum. The rule's good examples cover the first case; this covers the second, whose
verifier run cannot pin the scaling on the flagged sum (the batch is summed in the product)."""

from __future__ import annotations

import pytest

from tests.conftest import lint_example, source_of

UNNORMALISED = source_of('''
    import tensorflow as tf


    def coral_loss(y_true, y_pred):
        c1 = tf.matmul(y_true, y_true, transpose_a=True)
        c2 = tf.matmul(y_pred, y_pred, transpose_a=True)
        return tf.reduce_sum(tf.square(c1 - c2))


    model.compile(optimizer="adam", loss=coral_loss)
    ''')


@pytest.mark.parametrize(("source", "flagged"), [
    (UNNORMALISED, True),
    (UNNORMALISED.replace("transpose_a=True)", "transpose_a=True) / 16.0"), True),  # not a count
    (UNNORMALISED.replace("transpose_a=True)", "transpose_a=True) / tf.cast(tf.shape(y_true)[0], tf.float32)"),
     False),
], ids=["undivided", "divided-by-a-constant", "divided-by-the-batch-size"])
def test_a_gram_matrix_over_the_batch_is_a_batch_sum_until_divided_by_the_count(source: str, flagged: bool) -> None:
    found = [f for f in lint_example(source) if f.code == "TFS102"]
    assert bool(found) is flagged, found
