"""Verifier inputs from real files (issue 12, held-out round 22), written anew for this test:

- a Loss subclass whose attributes are set by a set-up method with defaults (``config()``, which
  the project calls on the instance), not by ``__init__``: the probe calls it after building the
  instance; the loss reshapes each sample to ``S * S * (C + 5)`` values, a flat layout of that
  size is tried when every other layout fails that reshape;
- a shape checker from a module that is not installed, built into a variable that is only
  called for its effect, runs as a do-nothing stand-in;
- two ``.numpy()`` calls on one line (one inside ``np.sum``): each is shown with the other
  neutralised in both runs, the ``np.sum`` around the flagged one converted with it;
- a per-class statistic of the batch (a kappa's expected agreement) divided without a guard is
  shown on a batch of one class, predicted exactly;
- an index error of a layout with too few axes for the index is no batch-of-1 error;
- a batch sum that is a factor of a product with a per-cell mask is neutralised over its last
  axis (per sample it would not line up with the mask).
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

SET_UP_METHOD = source_of('''
    import tensorflow as tf


    class GridLoss(tf.keras.losses.Loss):
        def config(self, cells=3, classes=2):
            self.__cells = cells
            self.__classes = classes

        def call(self, y_true, y_pred):
            t = tf.reshape(y_true, (-1, self.__cells * self.__cells, self.__classes + 5))
            p = tf.reshape(y_pred, (-1, self.__cells * self.__cells, self.__classes + 5))
            return tf.reduce_sum(tf.square(t[..., 1:] - p[..., 1:]))
    ''')

SHAPE_CHECKER = source_of('''
    import tensorflow as tf
    from project_only.checks import ShapeChecker


    def masked_loss(y_true, y_pred):
        checker = ShapeChecker()
        checker(y_true, ("batch", "t"))
        loss = tf.keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        mask = tf.cast(y_true != 0, loss.dtype)
        checker(loss, ("batch", "t"))
        return tf.reduce_sum(loss * mask)


    model.compile(optimizer="adam", loss=masked_loss)
    ''')

TWO_NUMPY_CALLS = source_of('''
    import numpy as np
    import tensorflow as tf


    def weighted_log_loss(y_true, y_pred):
        wtable = np.sum(y_true.numpy(), axis=0) / y_true.numpy().shape[0]
        yc = tf.clip_by_value(y_pred, 1e-15, 1 - 1e-15)
        return -tf.reduce_mean(tf.reduce_mean(y_true * tf.math.log(yc), axis=0) / (wtable + 1e-7))


    model.compile(optimizer="adam", loss=weighted_log_loss)
    ''')

KAPPA = source_of('''
    import tensorflow as tf


    def kappa_loss(y_true, y_pred):
        hist_true = tf.reduce_sum(y_true, axis=0)
        hist_pred = tf.reduce_sum(y_pred, axis=0)
        n = tf.cast(tf.shape(y_true)[-1], tf.float32)
        w = tf.range(n) / (n - 1.0)
        w = tf.square(w - tf.expand_dims(w, -1))
        expected = tf.expand_dims(hist_true, -1) * hist_pred
        observed = tf.matmul(tf.transpose(y_true), y_pred)
        return tf.reduce_sum(w * observed) / tf.reduce_sum(w * expected)


    model.compile(optimizer="adam", loss=kappa_loss)
    ''')


MASKED_CELLS = source_of('''
    import tensorflow as tf


    def cell_loss(y_true, y_pred):
        t = tf.reshape(y_true, (-1, 4, 3))
        p = tf.reshape(y_pred, (-1, 4, 3))
        return tf.reduce_sum(t[..., 0] * tf.reduce_sum(tf.square(t[..., 1:] - p[..., 1:])), axis=-1)


    model.compile(optimizer="adam", loss=cell_loss)
    ''')


@pytest.mark.tf
@needs_tf
def test_batch_sum_inside_a_product_is_neutralised_over_the_last_axis() -> None:
    out = verify_cases({"cells.py": (MASKED_CELLS, "TFS102")})
    (cells,) = out["cells.py"]
    expect_verdict(cells, "confirmed", present=("over the last axis only",))


@pytest.mark.tf
@needs_tf
def test_set_up_method_reshape_checker_numpy_pair_and_single_class_batch() -> None:
    out = verify_cases({"grid.py": (SET_UP_METHOD, "TFS102"), "checked.py": (SHAPE_CHECKER, "TFS102"),
                        "numpy_pair.py": (TWO_NUMPY_CALLS, "TFS302"), "kappa.py": (KAPPA, "TFS401")})
    (grid,) = out["grid.py"]
    # 3 * 3 * (2 + 5) = 63 values per sample: the reshape's own size, after config() set the cells
    expect_verdict(grid, "confirmed", present=("scales with the batch size",), absent=("no attribute",))
    (checked,) = out["checked.py"]
    expect_verdict(checked, "confirmed", present=("scales with the batch size",))
    pair = out["numpy_pair.py"]
    assert len(pair) == 2, [v.evidence for v in pair]
    for verdict in pair:
        expect_verdict(verdict, "confirmed", present=("the flagged call no longer fails",
                                                      "other TFS302 finding(s) in this loss neutralised"))
    (kappa,) = out["kappa.py"]
    expect_verdict(kappa, "confirmed", present=("every sample of one class, predicted exactly",))


def test_batch_index_errors_exclude_an_input_of_too_few_axes() -> None:
    from tfshape_lint.verify._child.probes import _BATCH_INDEX_ERRORS

    def batch_error(text: str) -> bool:
        return any(re.search(p, text) for p in _BATCH_INDEX_ERRORS)

    assert batch_error("slice index 4 of dimension 0 out of bounds. [Op:StridedSlice]")
    assert batch_error("indices[0] = 4 is not in [0, 4) [Op:GatherV2]")
    assert not batch_error("Index out of range using input dim 2; input has only 2 dims [Op:StridedSlice]")
