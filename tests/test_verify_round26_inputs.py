"""Verifier inputs from real files (issue 12, held-out rounds 25 and 26), written anew for this
test:

- a prediction that packs several heads, one a slice of another (``rest = y_pred[:, 4:]`` then
  ``rest[:, 3]``), is as wide as the slices of slices ask (8 columns), and a permutation of a
  matrix the loss stacks from per-sample values says nothing of the inputs' rank;
- a batch sum in one term of several (a regulariser added to a mean) makes the loss depend on the
  batch size without scaling with it: confirmed when, on the same inputs, the loss with only the
  flagged sum kept per sample no longer depends on it; a look-alike whose other, unflagged batch
  sum keeps the dependence stays inconclusive;
- a term that reaches y_pred only through a comparison with a threshold of the outputs' own scale
  (``pred < 3``, ``a + b - 10 >= 0``) is constant on predictions in (0, 1): the probe also draws
  wider predictions before it says the term does not change with y_pred;
- a never-instantiated Loss whose required count is a dimension of a shape (``tf.ones((1,
  num_tasks))``) gets an int there, not the neutral 0.5;
- a loss that calls TensorFlow's private ``ops.convert_to_tensor_v2`` (CORAL's ordinal losses;
  TF 2.21 has no such name) runs with the public ``tf.convert_to_tensor`` in its place, and the
  evidence says so.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available
from tfshape_lint.verify.extract import param_bindings
from tfshape_lint.verify.realfiles import infer_layouts

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

PACKED_HEADS = source_of('''
    import tensorflow as tf


    def gaussian_nll(y_true, y_pred):
        mean = y_pred[:, 0:4]
        rest = y_pred[:, 4:]
        log_var = rest[:, 3]
        err = tf.reduce_sum(tf.square(y_true[:, 0:4] - mean), axis=-1)
        return tf.reduce_sum(0.5 * tf.exp(-log_var) * err + 0.5 * log_var)


    model.compile(optimizer="adam", loss=gaussian_nll)
    ''')

STACKED_MATRIX = source_of('''
    import tensorflow as tf


    def tril_loss(y, p):
        diag = p[:, 0:2]
        zeros = tf.zeros_like(diag[:, 0])
        scale = tf.transpose(tf.stack([tf.stack([diag[:, 0], zeros]), tf.stack([p[:, 3], diag[:, 1]])]),
                             perm=[2, 0, 1])
        return tf.reduce_mean(tf.linalg.diag_part(scale), axis=-1)
    ''')

REGULARISED = source_of('''
    import tensorflow as tf


    def loss(y_true, y_pred):
        mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        return tf.reduce_mean(mse) + 0.01 * tf.reduce_sum(tf.abs(y_pred))


    model.compile(optimizer="adam", loss=loss)
    ''')

TWO_BATCH_SUMS = source_of('''
    import tensorflow as tf


    def loss(y_true, y_pred):
        total = tf.reduce_sum(y_true * y_pred)
        norm = tf.reduce_sum(y_true * 0.5)
        return -total / norm + 0.01 * total * tf.math.log(total + 1e-7)


    model.compile(optimizer="adam", loss=loss)
    ''')

THRESHOLDS = source_of('''
    import tensorflow as tf


    def custom_loss(y_true, y_pred):
        mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        first, second, score = y_pred[:, 0], y_pred[:, 1], y_pred[:, 4]
        too_low = tf.cast(score < 3, tf.float32)
        too_long = tf.cast((first + second - 10.0) >= 0.0, tf.float32)
        return mse + 0.1 * too_low + 0.2 * (first - second) + 0.2 * too_long


    model.compile(optimizer="adam", loss=custom_loss)
    ''')

TASKS_LOSS = source_of('''
    import tensorflow as tf


    class MultiTaskBCE(tf.keras.losses.Loss):
        def __init__(self, num_tasks: int):
            super().__init__()
            self.task_weights = tf.ones((1, num_tasks))

        def call(self, y_true, y_pred):
            weighted = tf.square(y_true - y_pred) * tf.reduce_mean(self.task_weights)
            return tf.reduce_mean(weighted)
    ''')


PRIVATE_TF = source_of('''
    import tensorflow as tf
    import tensorflow.python.ops as ops


    class OrdinalLoss(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            y_pred = ops.convert_to_tensor_v2(y_pred)
            return tf.reduce_mean(tf.square(y_true - y_pred))
    ''')


def test_slices_of_slices_set_the_width_and_a_stacked_matrix_sets_no_rank() -> None:
    widths = [layout["pred"] for layout in infer_layouts(ast.parse(PACKED_HEADS), "gaussian_nll")]
    assert [8] in widths and max(w[-1] for w in widths) == 8, widths
    layouts = infer_layouts(ast.parse(STACKED_MATRIX), "tril_loss")
    assert layouts and layouts[0]["pred"] == [4], layouts


def test_a_count_in_a_shape_tuple_is_a_size() -> None:
    init = next(n for n in ast.walk(ast.parse(TASKS_LOSS)) if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    plain = ast.FunctionDef("init", ast.arguments([], init.args.args[1:], None, [], [], None, []), init.body, [], None)
    bindings = param_bindings(plain, ["num_tasks"])
    assert bindings is not None and bindings["num_tasks"].kind == "size", bindings


@needs_tf
@pytest.mark.tf
def test_batch_dependence_thresholds_and_shape_counts() -> None:
    out = verify_cases({"heads.py": (PACKED_HEADS, "TFS102"), "reg.py": (REGULARISED, "TFS102"),
                        "two.py": (TWO_BATCH_SUMS, "TFS102"), "thresholds.py": (THRESHOLDS, "TFS301"),
                        "tasks.py": (TASKS_LOSS, "TFS108"), "private.py": (PRIVATE_TF, "TFS108")})
    (heads,) = out["heads.py"]
    expect_verdict(heads, "confirmed", present=("it scales with the batch size",), absent=("out of bounds",))
    (reg,) = out["reg.py"]
    expect_verdict(reg, "confirmed", present=("it depends on the batch size (not in proportion",
                                              "it does not scale with the batch size"))
    (two,) = out["two.py"]
    expect_verdict(two, "inconclusive", present=("differs, but not in proportion",))
    assert len(out["thresholds.py"]) == 2
    for verdict in out["thresholds.py"]:
        expect_verdict(verdict, "confirmed", present=("with predictions drawn in", "never trains"))
    (tasks,) = out["tasks.py"]
    expect_verdict(tasks, "confirmed", present=("`num_tasks` = 5",), absent=("EagerTensor of dtype int32",))
    (private,) = out["private.py"]
    expect_verdict(private, "confirmed", present=("private tensorflow.python.ops.convert_to_tensor_v2",))
