"""Where a hazardous value goes (``analysis/uses.py``, held-out round 28's YOLO files): an IoU
whose every use is a comparison or an ``argmax`` cannot put NaN into the loss, so TFS401 stays
silent on its denominator (through arithmetic whose result only decides, a percentile, the
shape ``ones_like`` reads, and a rebinding in the same block); one arithmetic use, an unknown
call, a rebinding in a branch or a return to a caller that adds it to the loss is enough for the
finding to stay.
"""

from __future__ import annotations

import pytest

from tests.conftest import source_of
from tfshape_lint.engine import lint_source

LOSS = source_of('''
    import numpy as np
    import tensorflow as tf
    import tensorflow_probability as tfp


    def overlap(a, b):
        inter = tf.reduce_sum(tf.minimum(a, b), axis=-1)
        union = tf.reduce_sum(tf.maximum(a, b), axis=-1)
        return inter / union


    def box_loss(y_true, y_pred):
        USE
        err = tf.reduce_sum(tf.square(y_true - y_pred), axis=-1)
        return tf.reduce_mean(keep * err, axis=-1)
    ''')


def _flags_the_division(use: str) -> bool:
    source = LOSS.replace("USE", use.replace("\n", "\n    "))
    return any(f.code == "TFS401" and f.line == 9 for f in lint_source(source, "loss.py"))


@pytest.mark.parametrize("use", [
    "keep = tf.cast(overlap(y_true, y_pred) > 0.5, tf.float32)",
    "best = tf.reduce_max(overlap(y_true, y_pred), axis=-1, keepdims=True)\n"
    "keep = tf.cast(best < 0.6, tf.float32)",
    "ious = overlap(y_true[:, None], y_pred[:, :, None])\n"
    "keep = tf.one_hot(tf.argmax(ious, axis=-1), 4)",
    "ious = tf.squeeze(overlap(y_true, y_pred))\n"
    "keep = tf.cast(tf.greater(ious, ious.dtype.min), tf.float32)",
    "ious = overlap(y_true, y_pred)\n"
    "keep = tf.cast(tf.less(ious, 0.5), ious.dtype)",
    "ious = overlap(y_true, y_pred)\n"
    "ious = ious * 2.0\n"
    "keep = tf.cast(ious > 0.5, tf.float32)",
    "ious = overlap(y_true, y_pred)\n"
    "keep = tf.where(ious > 0.5, tf.ones_like(ious), tf.zeros_like(ious))",
    "ious = overlap(y_true, y_pred)\n"
    "cut = tfp.stats.percentile(ious, 75.0) + 0.1\n"
    "keep = tf.cast(ious > cut, tf.float32)",
])
def test_an_overlap_that_only_decides_is_not_reported(use: str) -> None:
    assert not _flags_the_division(use)


@pytest.mark.parametrize("use", [
    "keep = 1.0 - overlap(y_true, y_pred)",
    "ious = overlap(y_true, y_pred)\n"
    "keep = tf.cast(ious > 0.5, tf.float32) * ious",
    "ious = overlap(y_true, y_pred)\n"
    "ious = ious * 2.0\n"
    "keep = tf.cast(ious > 0.5, tf.float32) * ious",
    "ious = overlap(y_true, y_pred)\n"
    "keep = tf.cast(ious > 0.5, tf.float32)\n"
    "if tf.reduce_max(y_true) > 0:\n"
    "    ious = y_pred\n"
    "keep = keep * ious",
    "keep = tf.where(tf.reduce_max(y_true) > 0, overlap(y_true, y_pred), 0.0)",
    "keep = tf.reduce_mean(overlap(y_true, y_pred), axis=-1, keepdims=True)",
    "keep = some_project_helper(overlap(y_true, y_pred))",
])
def test_an_overlap_that_reaches_the_loss_is_reported(use: str) -> None:
    assert _flags_the_division(use)
