"""Grid-shaped inputs the verifier finds for YOLO-style losses (issue 12, whole-repository round).

Written anew for these tests (no third-party code), each from a pattern that left a real
finding inconclusive:

- a YOLOv1 loss slices its prediction open-ended (``y_pred[..., 22:]``) and reshapes the slice
  to ``[-1, 7, 7, 2, 4]``, and reads the labels' last column by index (``y_true[..., 24]``):
  the inputs are (7, 7, 25) labels against a (7, 7, 30) prediction;
- a Loss gathers channels by index along the last axis (``tf.gather(y_true, [3, 4], axis=3)``,
  and a class range the file builds with numpy): the verifier widens the inputs each time a
  gather indexes past them, until the loss runs;
- a batch reduction spelled with keywords only (``tf.reduce_sum(input_tensor=loss, axis=[0, 1,
  2, 3])``) still has its per-sample counterfactual.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import lint_example, source_of
from tfshape_lint.verify import Status, tensorflow_available, verify_findings
from tfshape_lint.verify.realfiles import infer_layouts

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

OPEN_SLICE = source_of('''
    import tensorflow as tf

    def grid_loss(y_true, y_pred):
        classes_true = y_true[..., :20]
        boxes_true = tf.reshape(y_true[..., 20:24], [-1, 7, 7, 1, 4])
        present = tf.expand_dims(y_true[..., 24], -1)
        classes_pred = y_pred[..., :20]
        boxes = y_pred[..., 22:]
        boxes_pred = tf.reshape(boxes, [-1, 7, 7, 2, 4])
        box_error = tf.reduce_sum(tf.square(boxes_pred - boxes_true), axis=[3, 4])
        class_error = tf.reduce_sum(present * tf.square(classes_true - classes_pred), axis=-1)
        return tf.reduce_mean(class_error + tf.reduce_sum(box_error, axis=-1), axis=[1, 2])
    ''')

GATHERED = source_of('''
    import numpy as np
    import tensorflow as tf

    CLASS_NAMES = ["cat", "dog", "bird", "fish", "frog", "horse"]


    class GridLoss(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            present = tf.gather(y_true, indices=[0], axis=3)
            first = np.array(range(len(CLASS_NAMES))) + 5
            class_error = tf.square(tf.gather(y_true, first, axis=3) - tf.gather(y_pred, first, axis=3))
            wh_true = tf.gather(params=y_true, indices=[3, 4], axis=3)
            wh_pred = tf.gather(params=y_pred, indices=[3, 4], axis=3)
            size_error = tf.square(tf.sqrt(wh_true) - tf.sqrt(wh_pred))
            objects = tf.reduce_sum(input_tensor=tf.square(present - tf.gather(y_pred, [0], axis=3)), axis=[0, 1, 2, 3])
            per_cell = tf.reduce_sum(present * class_error, axis=[1, 2, 3]) + tf.reduce_sum(present * size_error, axis=[1, 2, 3])
            return per_cell + objects


    model.compile(optimizer="adam", loss=GridLoss())
    ''')


def test_an_open_slice_reshaped_onto_the_grid_and_an_indexed_column_size_the_inputs() -> None:
    layouts = infer_layouts(ast.parse(OPEN_SLICE), "grid_loss")
    assert layouts and layouts[0]["true"] == [7, 7, 25] and layouts[0]["pred"] == [7, 7, 30], layouts


@pytest.fixture(scope="module")
def gathered() -> dict[tuple[int, int, str], Status]:
    findings = [f for f in lint_example(GATHERED) if f.code in ("TFS102", "TFS401")]
    verified = verify_findings(findings, {"example.py": GATHERED}, timeout=120.0, use_cache=False)
    return {(f.line, f.column, f.code): f.verification.status for f in verified if f.verification is not None}


@needs_tf
@pytest.mark.tf
def test_gathers_past_the_channels_widen_the_inputs_until_the_loss_runs(
        gathered: dict[tuple[int, int, str], Status]) -> None:
    line = GATHERED.splitlines().index(next(x for x in GATHERED.splitlines() if "size_error =" in x)) + 1
    column = GATHERED.splitlines()[line - 1].index("tf.sqrt(wh_pred)")
    # the prediction's square root meets 0 and its gradient is infinite; the labels' does not matter
    assert gathered.get((line, column, "TFS401")) is Status.CONFIRMED, gathered
    label_column = GATHERED.splitlines()[line - 1].index("tf.sqrt(wh_true)")
    assert gathered.get((line, label_column, "TFS401"), Status.REFUTED) is Status.REFUTED, gathered


@needs_tf
@pytest.mark.tf
def test_a_keyword_only_batch_sum_is_confirmed_against_its_per_sample_counterfactual(
        gathered: dict[tuple[int, int, str], Status]) -> None:
    line = next(i for i, x in enumerate(GATHERED.splitlines(), 1) if "objects =" in x)
    statuses = [s for (ln, _, code), s in gathered.items() if ln == line and code == "TFS102"]
    assert statuses == [Status.CONFIRMED], gathered
