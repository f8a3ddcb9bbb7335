"""Real files' inputs (issue 12): the verifier runs a loss with the inputs the file gives it.

- a loss that indexes ``y_pred[2]`` on the batch axis gets batches it accepts (3, and 3 repeated
  4 times), not a ``slice index 2 out of bounds`` at batch 2;
- a loss the file calls with a tuple of tensors as ``y_pred`` gets one tensor per part;
- ``tf``/``np``/``K`` used but never imported run with their conventional import;
- a never-called factory's mask parameter is a mask that keeps every position, its size
  parameters (``reshape(y, [-1, w, h])``) the probe's spatial size; a whole shape stays unguessed;
- TFS503 on a loss that returns a bool tensor is decided on the flagged call itself.

Every case was written for this test (no third-party code); one ``verify_findings`` call.
"""

from __future__ import annotations

import ast
import pytest

from tests.conftest import flagged, forced_finding, lint_example, needle_at, source_of, verify_named
from tfshape_lint.finding import Finding
from tfshape_lint.verify import Status, tensorflow_available
from tfshape_lint.verify.extract import param_bindings
from tfshape_lint.verify.realfiles import implicit_aliases, infer_layouts, min_batch, packed_inputs
from tfshape_lint.verify.result import Verification

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")


_src = source_of


TRIPLET_INDEX = _src('''
    import tensorflow as tf

    def first_three(y_true, y_pred, margin=0.3):
        near = tf.reduce_sum(tf.square(y_pred[0] - y_pred[1]), axis=-1)
        far = tf.reduce_sum(tf.square(y_pred[0] - y_pred[2]), axis=-1)
        return tf.reduce_sum(tf.maximum(near - far + margin, 0.0))
    ''')

TRIPLET_TUPLE = _src('''
    import tensorflow as tf

    def hinge_triplet(y_true, y_pred, margin=0.5):
        a, p, n = y_pred[0], y_pred[1], y_pred[2]
        gap = tf.reduce_sum(tf.square(a - p), axis=-1) - tf.reduce_sum(tf.square(a - n), axis=-1)
        return tf.reduce_sum(tf.maximum(gap + margin, 0.0))

    def check(model, x):
        embeddings = (model(x[0]), model(x[1]), model(x[2]))
        return hinge_triplet(None, embeddings)
    ''')

UNIMPORTED = _src('''
    from tensorflow.keras import backend as K

    class ClippedFocal:
        def __init__(self, gamma=2.0):
            self.gamma = gamma

        def __call__(self, y_true, y_pred):
            y_pred = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())
            p = tf.where(tf.equal(y_true, 1.0), y_pred, 1.0 - y_pred)
            return -K.mean(K.pow(1.0 - p, self.gamma) * K.log(p))

    class RawFocal:
        def __call__(self, y_true, y_pred):
            p = tf.where(tf.equal(y_true, 1.0), y_pred, 1.0 - y_pred)
            return -K.mean(K.pow(1.0 - p, 2.0) * K.log(p))
    ''')

MASKED = _src('''
    import tensorflow as tf
    from tensorflow.keras import backend as K

    def make_seq_loss(seq_mask):
        def seq_loss(y_true, y_pred):
            keep = tf.cast(K.equal(seq_mask, 3), tf.float32)
            return keep * K.categorical_crossentropy(y_pred, y_true)
        return seq_loss
    ''')

BOOL_AND = _src('''
    import keras.backend as K

    def make_and_loss(mask):
        def and_loss(y_true, y_pred):
            return K.equal(mask, 1) * K.categorical_crossentropy(y_pred, y_true)
        return and_loss
    ''')

SIZED = _src('''
    import tensorflow as tf

    def make_grid_loss(w, h):
        def grid_loss(y_true, y_pred):
            t = tf.reshape(y_true, [-1, w, h])
            p = tf.reshape(y_pred, [-1, w, h])
            return tf.reduce_mean(-t * tf.math.log(p), axis=[1, 2])
        return grid_loss

    def make_shaped_loss(shape):
        def shaped_loss(y_true, y_pred):
            t = tf.reshape(y_true, shape)
            return tf.reduce_mean(-t * tf.math.log(y_pred), axis=-1)
        return shaped_loss
    ''')




@pytest.fixture(scope="module")
def verdicts() -> dict[str, Verification]:
    cases: dict[str, tuple[str, str, Finding]] = {
        "triplet_index": ("triplet_index.py", TRIPLET_INDEX, flagged(TRIPLET_INDEX, "TFS102")),
        "triplet_tuple": ("triplet_tuple.py", TRIPLET_TUPLE, forced_finding(
            "TFS102", TRIPLET_TUPLE, "tf.reduce_sum(tf.maximum(gap + margin, 0.0))")),
        # the linter now sees the clip (tf means tensorflow there too) and flags only the raw log;
        # the clipped one is handed to the verifier as if flagged, which must refute it
        "unimported_clipped": ("unimported.py", UNIMPORTED, forced_finding("TFS401", UNIMPORTED, "K.log(p)")),
        "unimported_raw": ("unimported.py", UNIMPORTED, flagged(UNIMPORTED, "TFS401", 0)),
        "seq_mask": ("masked.py", MASKED, flagged(MASKED, "TFS503")),
        "bool_and": ("bool_and.py", BOOL_AND, flagged(BOOL_AND, "TFS503")),
        "sized": ("sized.py", SIZED, flagged(SIZED, "TFS401", 0)),
        "whole_shape": ("sized.py", SIZED, flagged(SIZED, "TFS401", 1)),
    }
    return verify_named(cases)


@needs_tf
@pytest.mark.tf
def test_batch_indexed_loss_runs_on_the_smallest_batch_it_accepts(verdicts: dict[str, Verification]) -> None:
    # y_pred[2] on the batch axis: batch 3 and the same 3 samples repeated 4 times, where the
    # flagged sum adds up the hinge of one triplet of samples and does not grow; the file never
    # hands the loss to Keras, so the reading with y_pred[0..2] as peers (a stack of 3 batches)
    # is tried too, and there the sum is over the batch (x4 from batch 2 to 8)
    verdict = verdicts["triplet_index"]
    assert verdict.status is Status.CONFIRMED, verdict
    assert "4.00x" in verdict.evidence and "a stack of 3 batches" in verdict.evidence, verdict
    assert "out of bounds" not in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_loss_called_with_a_tuple_gets_one_tensor_per_part(verdicts: dict[str, Verification]) -> None:
    # the file passes (anchor, positive, negative), each a batch: the flagged sum is over the batch
    verdict = verdicts["triplet_tuple"]
    assert verdict.status is Status.CONFIRMED, verdict
    assert "y_pred as a tuple of 3 tensors" in verdict.evidence and "4.00x" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_unimported_tf_runs_with_its_conventional_import(verdicts: dict[str, Verification]) -> None:
    clipped, raw = verdicts["unimported_clipped"], verdicts["unimported_raw"]
    assert [f.line for f in lint_example(UNIMPORTED) if f.code == "TFS401"] == [needle_at(UNIMPORTED, "K.log(p)", 1)[0]]
    assert clipped.status is Status.REFUTED, clipped  # the log's argument is clipped first
    assert raw.status is Status.CONFIRMED, raw
    for verdict in (clipped, raw):
        assert "`tf` (as `import tensorflow as tf`) without importing it" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_mask_parameter_is_bound_to_a_mask_that_keeps_every_position(verdicts: dict[str, Verification]) -> None:
    # `K.equal(seq_mask, 3)` selects the positions: the mask is all 3s, so the loss is not 0
    verdict = verdicts["seq_mask"]
    assert verdict.status is Status.CONFIRMED, verdict
    assert "`seq_mask` = a mask of 3s shaped like y_true without its last axis" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_swapped_arguments_under_a_bool_output_are_judged_at_the_flagged_call(
        verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["bool_and"]
    assert verdict.status is Status.CONFIRMED, verdict
    assert "the flagged call gives" in verdict.evidence and "bool tensor" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_size_parameters_get_the_probe_size_and_a_whole_shape_stays_unguessed(
        verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["sized"]
    assert verdict.status is Status.CONFIRMED, verdict
    assert "`w` = 5 (a size" in verdict.evidence and "`h` = 5 (a size" in verdict.evidence, verdict
    verdict = verdicts["whole_shape"]
    assert verdict.status is Status.INCONCLUSIVE and "parameter `shape` has no default" in verdict.evidence, verdict


# -- static pieces: no TensorFlow needed ---------------------------------------------------------------
def test_a_sparse_crossentropy_gets_class_index_labels_first() -> None:
    sparse = ast.parse("import tensorflow as tf\nclass L(tf.keras.losses.Loss):\n    def __init__(self):\n"
                       "        self.ce = tf.keras.losses.SparseCategoricalCrossentropy(reduction='none')\n"
                       "    def __call__(self, y_true, y_pred):\n        return self.ce(y_true, y_pred)\n")
    first = infer_layouts(sparse, "L.__call__")[0]
    assert first["labels"] == "sparse" and len(first["pred"]) == len(first["true"]) + 1
    dense = ast.parse("import tensorflow as tf\ndef f(y_true, y_pred):\n"
                      "    return tf.keras.losses.categorical_crossentropy(y_true, y_pred)\n")
    assert all(layout["labels"] != "sparse" for layout in infer_layouts(dense, "f"))


def test_a_prediction_that_packs_extra_columns_is_wider_than_the_labels() -> None:
    packed = ast.parse("from keras import backend as K\ndef nll(y_true, x):\n    mu, sig = x[:, 1:], x[:, :1]\n"
                       "    return K.mean(K.log(K.square(sig)) + K.square(mu - y_true) / K.square(sig), axis=-1)\n")
    assert {"true": [1], "pred": [2], "labels": "float", "activation": "sigmoid"} in infer_layouts(packed, "nll")
    both = ast.parse("def f(y_true, y_pred):\n    return y_pred[:, 1:] - y_true[:, 1:]\n")
    assert all(len(l["pred"]) != 1 or l["pred"] == l["true"] for l in infer_layouts(both, "f"))


def test_helpers_the_loss_calls_give_its_input_rank() -> None:
    composed = ast.parse("from keras import backend as K\ndef tv(x):\n    return K.sum(x[:, 1:, :, :] - x[:, :-1, :, :])\n"
                         "def loss(y_true, y_pred):\n    return K.mean(K.square(y_true - y_pred)) + tv(y_pred)\n")
    assert any(len(l["pred"]) == 3 for l in infer_layouts(composed, "loss"))  # (B, H, W, C)


def test_an_image_size_the_file_fixes_sizes_the_spatial_axes() -> None:
    tv = ast.parse("ROWS = 32\nCOLS = ROWS\n\ndef tv_loss(y_true, x):\n"
                   "    a = x[:, :ROWS - 1, :COLS - 1, :] - x[:, 1:, :COLS - 1, :]\n"
                   "    b = x[:, :, :ROWS - 1, :COLS - 1] - x[:, :, 1:, :COLS - 1]\n"
                   "    return a + b\n")
    first = infer_layouts(tv, "tv_loss")[0]
    assert first["pred"] == [32, 32, 3], first  # (B, 32, 32, C): channels-last, three channels


def test_min_batch_follows_constant_batch_indexes() -> None:
    tree = ast.parse(TRIPLET_INDEX)
    assert min_batch(tree, "first_three", ("y_true", "y_pred")) == 3
    assert min_batch(tree, "first_three", ("y_true", "")) == 2  # only y_pred is indexed
    plain = ast.parse("def f(y_true, y_pred):\n    return y_pred[:, 0] + y_pred[..., -1]\n")
    assert min_batch(plain, "f", ("y_true", "y_pred")) == 2  # indexes off the batch axis
    negative = ast.parse("def f(y_true, y_pred):\n    return y_pred[-4]\n")
    assert min_batch(negative, "f", ("y_true", "y_pred")) == 4


def test_packed_inputs_come_from_the_files_own_call() -> None:
    assert packed_inputs(ast.parse(TRIPLET_TUPLE), "hinge_triplet") == {"pred": (3, 10)}
    literal = ast.parse("def f(a, b):\n    return a\n\nf(x, [p, q])\nf((None, None), y)\n")
    assert packed_inputs(literal, "f") == {"pred": (2, 4)}  # a tuple of None is no tensor
    assert packed_inputs(ast.parse(TRIPLET_INDEX), "first_three") == {}


def test_implicit_aliases_only_for_names_bound_nowhere() -> None:
    assert implicit_aliases(ast.parse(UNIMPORTED)) == {"tf": "import tensorflow as tf"}
    assert implicit_aliases(ast.parse(TRIPLET_INDEX)) == {}
    assert implicit_aliases(ast.parse("def f(tf):\n    return tf.x + np.y\n")) == {"np": "import numpy as np"}
    assert implicit_aliases(ast.parse("from helpers import *\n\ndef f(y):\n    return tf.abs(y)\n")) == {}


def test_param_bindings_by_use() -> None:
    tree = ast.parse(MASKED + SIZED)
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    masked = param_bindings(defs["make_seq_loss"], ["seq_mask"])
    assert masked is not None and masked["seq_mask"].kind == "mask" and masked["seq_mask"].value == 3.0
    sized = param_bindings(defs["make_grid_loss"], ["w", "h"])
    assert sized is not None and {b.kind for b in sized.values()} == {"size"}
    assert param_bindings(defs["make_shaped_loss"], ["shape"]) is None
    projected = ast.parse("def f(W, V, g):\n    def loss(y_true, y_pred):\n"
                          "        return K.dot(y_pred, W) - (V @ y_true) * g(y_true)\n    return loss\n").body[0]
    assert isinstance(projected, ast.FunctionDef)
    matrices = param_bindings(projected, ["W", "V"])
    assert matrices is not None and {b.kind for b in matrices.values()} == {"matrix"}
    assert param_bindings(projected, ["g"]) is None  # a callable: nothing to guess
    value = ast.parse("def f(mask_value):\n    def g(y_true, y_pred):\n        return K.equal(y_true, mask_value)\n"
                      "    return g\n").body[0]
    assert isinstance(value, ast.FunctionDef)
    bound = param_bindings(value, ["mask_value"])
    assert bound is not None and bound["mask_value"].kind == "number"  # a padding value, not a mask
