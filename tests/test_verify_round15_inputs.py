"""Verifier inputs from real files (issue 12, held-out round 15), written anew for this test:

- labels that carry one time step more than the prediction (a sequence length in their last
  row), sliced off with ``tf.slice(y_true, [0, 0, 0], [-1, t - 1, -1])`` where
  ``t = tf.shape(y_true)[1]``, get a layout whose labels are one row longer;
- a factory parameter used as an element of ``tf.slice`` sizes or ``tf.tile`` multiples is a
  count (bound to the smallest that keeps every slice non-empty), not the neutral 0.5, which
  no shape list accepts; so is each constructor parameter of a product that bounds a slice
  (``y[..., -self.C * self.B:]``);
- a squeeze without axis of a ``(B, 1, 1)`` slice is neutralised by squeezing its trailing axes
  of size 1 (``axis=-1`` alone leaves ``(B, 1)`` and breaks what follows); an inner axis the
  probe shrinks to 1 on purpose stays, as it would with ``axis=-1``;
- a parameter that is the depth of a ``one_hot`` (or passed as ``num_classes=``) is a class
  count (the probe's default 3 classes), one passed as ``blank_index=`` an index;
- ``tf.transpose(y_pred[0], (0, 2, 1))`` needs a rank-4 ``y_pred``: the integer index takes
  one axis off before the permutation names the rest;
- a function from a missing module that the loss only calls as ``y_true, y_pred = f(y_true,
  y_pred)`` runs as the identity (as the static analysis reads such a call); one whose result
  is used otherwise keeps its import error;
- a constructor parameter that the methods only compare with strings (``if self.kind ==
  'discrete':``) selects what the loss computes: it gets the first string it is compared with
  (the neutral number would send the loss down no branch, and it would fail on an unbound
  name); a parameter compared with a number keeps the neutral number;
- a loss whose docstring says it goes to ``compile`` is read as Keras calls it: ``y_pred[0..2]``
  are three samples, so a sum of the per-triplet value is no batch sum (refuted) while the
  indexes themselves are the bug (confirmed).
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.finding import LossRef
from tfshape_lint.verify import _keras_fed, tensorflow_available
from tfshape_lint.verify.extract import constructor_bindings, name_sites, param_bindings, passed_through
from tfshape_lint.verify.realfiles import infer_layouts

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

LENGTH_ROW = source_of('''
    import tensorflow as tf


    def make_loss(width):
        def masked_loss(y_true, y_pred):
            t = tf.shape(y_true)[1]
            values = tf.slice(y_true, [0, 0, 0], [-1, t - 1, -1])
            lengths = tf.slice(y_true, [0, t - 1, 0], [-1, -1, 1])
            mask = tf.cast(tf.sequence_mask(tf.squeeze(lengths), t - 1), tf.float32)
            mask = tf.tile(tf.expand_dims(mask, -1), [1, 1, width])
            err = tf.reduce_sum(tf.square(y_pred * mask - values), axis=[1, 2])
            return tf.reduce_sum(err)
        return masked_loss
    ''')

COMPILED_TRIPLET = source_of('''
    import tensorflow as tf


    def triplet(y_true, y_pred, margin=0.2):
        """Triplet loss, passed to model.compile(loss=triplet) like any other loss."""
        anchor, positive, negative = y_pred[0], y_pred[1], y_pred[2]
        gap = tf.reduce_sum(tf.square(anchor - positive), -1) - tf.reduce_sum(tf.square(anchor - negative), -1)
        return tf.reduce_sum(tf.maximum(gap + margin, 0.0))
    ''')


def test_labels_one_row_longer_get_a_layout_and_slice_sizes_bind_counts() -> None:
    tree = ast.parse(LENGTH_ROW)
    first = infer_layouts(tree, "make_loss.masked_loss")[0]
    assert (first["true"], first["pred"]) == ([6, 3], [5, 3])
    factory = tree.body[1]
    assert isinstance(factory, ast.FunctionDef)
    binding = param_bindings(factory, ["width"])
    assert binding is not None and binding["width"].kind == "count" and binding["width"].value == 1.0


CLASS_SLICES = source_of('''
    import tensorflow as tf


    class ClassScoreLoss(tf.keras.losses.Loss):
        def __init__(self, boxes, classes, **kwargs):
            super().__init__(**kwargs)
            self.boxes = boxes
            self.classes = classes

        def call(self, y_true, y_pred):
            labels = y_true[..., -self.classes * self.boxes:]
            scores = y_pred[..., -self.classes * self.boxes:]
            return -tf.reduce_sum(labels * tf.math.log(scores), axis=-1)
    ''')


def test_each_factor_of_a_slice_bound_product_is_a_count() -> None:
    cls = ast.parse(CLASS_SLICES).body[1]
    assert isinstance(cls, ast.ClassDef)
    bound = constructor_bindings(cls)
    assert {name: b.kind for name, b in bound.items()} == {"boxes": "count", "classes": "count"}


CLASSES_AND_INDEX = source_of('''
    import tensorflow as tf


    class SmoothedCE(tf.keras.losses.Loss):
        def __init__(self, num_classes, smoothing, blank, **kwargs):
            super().__init__(**kwargs)
            self.num_classes = num_classes
            self.smoothing = smoothing
            self.blank = blank

        def call(self, y_true, y_pred):
            ids = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
            target = tf.one_hot(ids, self.num_classes) * (1.0 - self.smoothing) + self.smoothing / self.num_classes
            lengths = tf.fill([tf.shape(y_pred)[0]], 1)
            ctc = tf.nn.ctc_loss(ids[:, None], y_pred[:, None, :], lengths, lengths, logits_time_major=False,
                                 blank_index=self.blank)
            return tf.reduce_sum(target * y_pred, axis=-1) + ctc
    ''')

TRANSPOSED_PICK = source_of('''
    import tensorflow as tf


    def counts_nll(y_true, y_pred):
        logits = tf.transpose(y_pred[0], (0, 2, 1))
        return tf.reduce_mean(tf.nn.log_softmax(logits) * tf.transpose(y_true[0], (0, 2, 1)), axis=-1)
    ''')


def test_class_counts_indexes_and_transposed_picks() -> None:
    cls = ast.parse(CLASSES_AND_INDEX).body[1]
    assert isinstance(cls, ast.ClassDef)
    bound = constructor_bindings(cls)
    assert {name: (b.kind, b.value) for name, b in bound.items()} == {
        "num_classes": ("classes", 3.0), "smoothing": ("number", 0.5), "blank": ("count", 1.0)}
    ranks = {len(layout["pred"]) + 1 for layout in infer_layouts(ast.parse(TRANSPOSED_PICK), "counts_nll")}
    assert min(ranks) == 4


SELECTOR = source_of('''
    import tensorflow as tf


    class SurvivalLoss(tf.keras.losses.Loss):
        def __init__(self, kind, limit, **kwargs):
            super().__init__(**kwargs)
            self.kind = kind
            self.limit = limit

        def call(self, y_true, y_pred):
            if self.kind == "discrete":
                out = tf.math.log(y_pred) * y_true
            elif self.kind == "continuous":
                out = y_pred - y_true
            if self.limit > 2:
                out = out * 2.0
            return -tf.reduce_mean(out, axis=-1)
    ''')


def test_a_parameter_compared_only_with_strings_selects_a_branch() -> None:
    cls = ast.parse(SELECTOR).body[1]
    assert isinstance(cls, ast.ClassDef)
    bound = constructor_bindings(cls)
    assert {name: (b.kind, b.literal) for name, b in bound.items()} == {
        "kind": ("selector", "discrete"), "limit": ("number", None)}


@pytest.mark.parametrize(("code", "expected"), [
    ("from pkg import prep\ndef f(y_true, y_pred):\n    y_true, y_pred = prep(y_true, y_pred)\n", True),
    ("from pkg import prep\ndef f(y_true, y_pred):\n    y_pred, y_true = prep(y_true, y_pred)\n", False),
    ("from pkg import prep\ndef f(y_true, y_pred):\n    a, b = prep(y_true, y_pred)\n", False),
    ("from pkg import prep\ndef f(y_true, y_pred):\n    y_true, y_pred = prep(y_true, y_pred)\n"
     "    return prep(y_true)\n", False),
    ("from pkg import prep\ndef f(y_true, y_pred):\n    y_true = prep(y_true, scale=2)\n", False),
])
def test_only_calls_that_hand_their_arguments_back_run_as_the_identity(code: str, expected: bool) -> None:
    assert passed_through(name_sites(ast.parse(code)), "prep") is expected


PASSED_THROUGH = source_of('''
    import tensorflow as tf
    from project_utils_that_is_not_installed import check_pair


    def ranking_loss(y_true, y_pred):
        y_true, y_pred = check_pair(y_true, y_pred)
        positive = y_true > 0.5
        margin = tf.cast(positive, tf.float32) - y_pred
        return tf.reduce_mean(margin * positive, axis=-1)
    ''')


def test_a_docstring_that_says_compile_counts_as_keras_calling_the_loss() -> None:
    ref = LossRef("triplet", "unknown")
    assert _keras_fed(COMPILED_TRIPLET, ref)
    plain = COMPILED_TRIPLET.replace("passed to model.compile(loss=triplet) like any other loss", "of three embeddings")
    assert not _keras_fed(plain, ref)


@pytest.mark.tf
@needs_tf
def test_length_row_squeeze_and_sum_and_a_compiled_triplet_get_their_verdicts() -> None:
    out = verify_cases({"length.py": (LENGTH_ROW, "TFS104"), "sum.py": (LENGTH_ROW, "TFS102"),
                        "through.py": (PASSED_THROUGH, "TFS201"),
                        "triplet.py": (COMPILED_TRIPLET, "TFS102"), "peers.py": (COMPILED_TRIPLET, "TFS105")})
    squeeze, = out["length.py"]
    expect_verdict(squeeze, "confirmed", present=("(4, 6, 3)/(4, 5, 3)", "trailing axes of size 1 squeezed",
                                                   "`width` = 1"))
    total, = out["sum.py"]
    expect_verdict(total, "confirmed", present=("it scales with the batch size",))
    triplet_sum, = out["triplet.py"]
    expect_verdict(triplet_sum, "refuted", absent=("a stack of",))
    for peer in out["peers.py"]:
        expect_verdict(peer, "confirmed")
    mask, = out["through.py"]
    expect_verdict(mask, "confirmed", present=("`check_pair` ran as the identity",))
