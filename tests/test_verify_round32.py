"""Verifier verdicts from held-out round 32, written anew for this test.

Keras 2 code that reads ``K.image_dim_ordering()`` (Faster R-CNN's region-proposal losses) runs
under tf_keras, which dropped the name: the worker gives it the answer Keras 2 gave on
TensorFlow ("tf"), so the loss reaches the flagged node instead of dying on the attribute.

A box loss that sums each term over the whole batch and then averages the stacked totals
(BlazeFace's ``tf.reduce_mean(tf.stack((x_sum, y_sum, ...)))``) cannot be neutralised with a
per-sample sum: a ``(B,)`` vector does not stack with the other terms' scalars. Its neutral form
is the total divided by the batch size, which keeps the shape.
"""

from __future__ import annotations

import pytest

from tests.conftest import source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

FRCNN = source_of('''
    from keras import backend as K


    def rpn_loss_cls(num_anchors):
        def rpn_loss_cls_fixed_num(y_true, y_pred):
            if K.image_dim_ordering() == 'tf':
                return K.sum(y_true[:, :, :, :num_anchors] * K.binary_crossentropy(
                    y_pred[:, :, :, :], y_true[:, :, :, num_anchors:])) / K.sum(
                    1e-4 + y_true[:, :, :, :num_anchors])
            return K.mean(K.square(y_true - y_pred))
        return rpn_loss_cls_fixed_num
    ''')

STACKED = source_of('''
    import tensorflow as tf


    def box_loss(y_true, y_pred):
        x_sum = tf.reduce_sum(tf.abs(y_true[:, :, 0] - y_pred[:, :, 0]))
        w_sum = tf.reduce_sum(tf.abs(y_true[:, :, 1] - y_pred[:, :, 1]))
        h_sum = tf.reduce_sum(tf.abs(y_true[:, :, 2] - y_pred[:, :, 2]))
        return tf.reduce_mean(tf.stack((x_sum, w_sum, h_sum)))


    model.compile(optimizer="adam", loss=box_loss)
    ''')


@needs_tf
@pytest.mark.tf
def test_keras2_image_ordering_reaches_the_swapped_arguments() -> None:
    out = verify_cases({"frcnn.py": (FRCNN, "TFS503")})
    assert len(out["frcnn.py"]) == 1
    verdict = out["frcnn.py"][0]
    assert verdict.status.value == "confirmed", verdict.evidence
    assert "image_dim_ordering" not in verdict.evidence.split("[")[0], verdict.evidence


@needs_tf
@pytest.mark.tf
def test_stacked_batch_totals_are_confirmed_each() -> None:
    out = verify_cases({"stacked.py": (STACKED, "TFS102")})
    verdicts = out["stacked.py"]
    assert len(verdicts) == 3
    for verdict in verdicts:
        assert verdict.status.value == "confirmed", verdict.evidence
