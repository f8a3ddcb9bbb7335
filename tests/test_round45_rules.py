"""Round 45's rule changes on forms the rule examples cannot carry, checked statically: a value a
try/except spells twice for two TensorFlow versions is one finding (two on the code before round
45), and the new reading of ``tf.constant([...])`` items (their own dtype, not always int32) keeps
an int32 constant built from Python ints; an int mask times a ratio of int counts (a float64
truediv) is reported (it was not before round 45)."""

from __future__ import annotations

from tests.conftest import lint_example

COMPAT_FALLBACK = '''import tensorflow as tf


def auxiliary_loss(y_true, y_pred):
    try:
        click = -tf.log(y_pred) * y_true
    except AttributeError:
        click = -tf.compat.v1.log(y_pred) * y_true
    return tf.reduce_mean(click, axis=-1)


model.compile(optimizer="adam", loss=auxiliary_loss)
'''

MODULE_CONSTANT_WEIGHTS = '''import tensorflow as tf


def masked_loss(y_true, y_pred):
    n = 3
    mask = tf.constant([n, 0, 1])
    return tf.reduce_mean(tf.square(y_true - y_pred) * mask, axis=-1)
'''


TRUEDIV_WEIGHTS = '''import tensorflow as tf


def balanced_mse(y_true, y_pred):
    positive = tf.cast(tf.equal(y_true, 1.0), tf.int32)
    share = tf.reduce_sum(positive) / tf.size(positive)
    weights = positive * (0.5 / (share + 1e-3)) + 1.0
    return tf.reduce_mean(weights * tf.square(y_true - y_pred), axis=-1)


model.compile(optimizer="adam", loss=balanced_mse)
'''


def _codes(source: str, select: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in lint_example(source) if f.code == select]


def test_a_hazard_spelt_for_two_tensorflow_versions_is_reported_once() -> None:
    # the try's tf.log and the except AttributeError's tf.compat.v1.log compute one value
    assert _codes(COMPAT_FALLBACK, "TFS401") == [(6, "TFS401")]


def test_int_names_still_make_an_int_constant() -> None:
    # the items of tf.constant([...]) decide its dtype: Python ints (a local n = 3) give int32
    assert _codes(MODULE_CONSTANT_WEIGHTS, "TFS201") == [(7, "TFS201")]


def test_an_int_mask_times_a_truediv_of_counts_is_reported() -> None:
    # ``/`` of int32 tensors is TensorFlow's truediv, a float64 tensor: the int32 mask times it
    # raises (and the float64 weights meet float32 errors after it, so no single cast fixes the
    # loss: the verifier cannot confirm it with one neutralised node, hence no rule example)
    assert _codes(TRUEDIV_WEIGHTS, "TFS201") == [(7, "TFS201")]

