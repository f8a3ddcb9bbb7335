"""Verifier inputs from real files (issue 12, held-out rounds 42-46), written anew for this test:

- a prediction-first helper (``loss(logits, labels)``) that one-hot encodes its labels gets
  integer class indices called directly, not Keras's float labels (``one_hot`` raised on every
  input before); a softmax floored by its own epsilon is refuted with a confident prediction
  (logits of +100 on one class and -100 on the others, whose softmax is exactly 0 off that class);
- a Dice loss that one-hot encodes ``squeeze(y_true)`` gets (B, H, W, 1) class-index labels, where a
  batch of one shows the squeeze's bug (it was refuted on one-column labels);
- a YOLO grid of one column (``S=(6, 1)``, a factory's default tuple) reshaped as
  ``[-1, S[0], S[1], 1, 4]``: the inputs are (6, 1, C) grids, as wide as the open-ended slice
  ``y_pred[..., C + 4:]`` needs (every input raised on a reshape before);
- ``import keras.backend`` binds ``keras``: Keras 2 backend names read through it run under tf_keras.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available
from tfshape_lint.verify.realfiles import keras2_names

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

FLOORED_SPARSE = source_of('''
    import tensorflow as tf


    def sparse_balanced_loss(logits, labels):
        probs = tf.nn.softmax(logits)
        probs += tf.cast(tf.less(probs, 1e-30), tf.float32) * 1e-30
        onehot = tf.one_hot(labels, tf.shape(logits)[-1])
        return tf.reduce_mean(tf.reduce_sum(-onehot * tf.math.log(probs), axis=-1))
    ''')

SQUEEZED_DICE = source_of('''
    import tensorflow as tf
    from tensorflow.keras import backend as K


    def dice_loss(num_classes):
        def _dice_loss(y_true, y_pred, smooth=1e-05):
            y_true = tf.one_hot(tf.cast(tf.squeeze(y_true), dtype=tf.int32), num_classes)
            axes = range(1, len(y_pred.shape) - 1)
            intersection = K.sum(y_true * y_pred, axis=axes)
            total = K.sum(y_true, axis=axes) + K.sum(y_pred, axis=axes)
            return 1.0 - K.mean((2.0 * intersection + smooth) / (total + smooth))
        return _dice_loss


    model.compile(optimizer="adam", loss=dice_loss(num_classes=3))
    ''')


ONE_COLUMN_GRID = source_of('''
    import tensorflow as tf
    from tensorflow.keras import backend as K


    def grid_loss(S=(6, 1), C=2):
        def loss(y_true, y_pred):
            label_box = K.reshape(y_true[..., C:C + 4], [-1, S[0], S[1], 1, 4])
            pred_box = K.reshape(y_pred[..., C:C + 4], [-1, S[0], S[1], 1, 4])
            mask = K.expand_dims(y_true[..., C + 4])
            trust = y_pred[..., C + 4:]
            box = K.sum(K.square(label_box - pred_box), axis=-1)
            return K.sum(mask * box) + K.sum(K.square(1.0 - trust) * mask)
        return loss


    model.compile(optimizer="adam", loss=grid_loss())
    ''')


@needs_tf
@pytest.mark.tf
def test_one_hot_labels_are_class_indices() -> None:
    out = verify_cases({"floored.py": (FLOORED_SPARSE, "TFS401"), "dice.py": (SQUEEZED_DICE, "TFS104")})
    expect_verdict(out["floored.py"][0], "refuted", absent=("allowed values",))
    expect_verdict(out["dice.py"][0], "confirmed", present=("batch of 1",))


def test_import_keras_backend_binds_keras() -> None:
    tree = ast.parse("import keras.backend\n\ndef f(x):\n    return keras.backend.cast(x, 'int32')\n")
    assert keras2_names(tree) == ["cast"]


@needs_tf
@pytest.mark.tf
def test_a_grid_of_one_column_from_a_default_tuple() -> None:
    out = verify_cases({"grid.py": (ONE_COLUMN_GRID, "TFS102")})
    assert out["grid.py"], "no TFS102 finding"
    for verdict in out["grid.py"]:
        expect_verdict(verdict, "confirmed", present=("4.00x",))
