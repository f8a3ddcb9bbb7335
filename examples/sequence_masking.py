"""Sequence labelling with padding masks: the (B,) vs (B,T) traps."""

import tensorflow as tf


def masked_mse(y_true, y_pred):
    # per-step error (B, T)
    err = tf.square(y_true - y_pred)
    # per-sample mask (B,): broadcasts against T, not B
    valid = tf.cast(tf.reduce_any(y_true != 0, axis=-1), tf.float32)
    return tf.reduce_mean(err * valid, axis=-1)


def token_loss(labels, logits):
    mask = tf.not_equal(labels, 0)
    ce = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.reduce_sum(ce * mask) / tf.reduce_sum(tf.cast(mask, tf.float32))


def onehot_loss(y_true, y_pred):
    onehot = tf.one_hot(y_true, depth=10)
    return tf.keras.losses.categorical_crossentropy(onehot, y_pred)


def _mean_square(a, b):
    return tf.reduce_mean(tf.square(a - b))


class SequenceLoss(tf.keras.losses.Loss):
    def call(self, y_true, y_pred):
        # squeezed (B, T, 1) predictions meet (B, T) targets; the helper averages everything
        return _mean_square(y_true, tf.squeeze(y_pred))


model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
model.compile(optimizer="adam", loss=masked_mse)
