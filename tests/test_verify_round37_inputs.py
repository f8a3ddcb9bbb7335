"""Verifier inputs for held-out rounds 36 and 37.

Written anew for these tests (no third-party code), from patterns that left real findings
inconclusive:

- a Keras 3 port of a Keras 2 loss library imports ``from keras import backend as K, ops`` and
  still calls ``K.mean``: Keras 3's backend lacks it (TFS501) and tf_keras lacks ``keras.ops``,
  so neither flavour could import the file. The verifier now runs it under Keras 3 with the
  missing backend names taken from tf_keras's backend, and says so in the evidence;
- a box loss unstacks its inputs into four coordinates (``ops.unstack(y_true, 4, axis=-1)``)
  in a helper: the inputs are four columns wide, where a ``(B, 1)`` input failed before any box
  arithmetic on both runs;
- a triplet loss whose batch stacks anchors, positives and negatives cuts it in thirds
  (``elements = int(K.int_shape(y_pred)[0] / 3)``, round 37): its probes run batches of a
  multiple of 3, and the batch-size test repeats each third in place, so a batch sum shows
  exactly 4x. At 4 samples the thirds had 1, 1 and 2 rows and every run failed (inconclusive);
- a loss factory the file never calls takes an optional scaler it only uses under ``if scaler:``
  (``preds = scaler.inverse_transform(preds)``, DCRNN's metrics): it is bound to None, so the probe runs the
  loss without one. The neutral number 0.5 passed the test and every run failed on
  ``0.5.inverse_transform``;
- a loss factory that is a method of the model's builder (``def focal_loss(self, gamma=2,
  alpha=0.75)``, called as ``self.focal_loss(alpha=.25, gamma=2)``) but reads nothing of
  ``self`` runs as a module-level factory with the file's arguments. Before, the verifier
  refused to build it (inconclusive: "only running that method builds it").
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import lint_example, source_of
from tfshape_lint.verify import Status, Verification, tensorflow_available, verify_findings
from tfshape_lint.verify.extract import param_bindings
from tfshape_lint.verify.realfiles import batch_parts, infer_layouts, keras3_modules, keras2_names

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

MIXED = source_of('''
    from keras import backend as K, ops


    def mean_abs(y_true, y_pred):
        return K.mean(ops.abs(y_pred - y_true))


    def box_coef(y_true, y_pred):
        top_t, left_t, bottom_t, right_t = ops.unstack(y_true, 4, axis=-1)
        top_p, left_p, bottom_p, right_p = ops.unstack(y_pred, 4, axis=-1)
        area_t = ops.maximum(bottom_t - top_t, 0.0) * ops.maximum(right_t - left_t, 0.0)
        area_p = ops.maximum(bottom_p - top_p, 0.0) * ops.maximum(right_p - left_p, 0.0)
        inter = ops.maximum(ops.minimum(bottom_t, bottom_p) - ops.maximum(top_t, top_p), 0.0) * \\
            ops.maximum(ops.minimum(right_t, right_p) - ops.maximum(left_t, left_p), 0.0)
        return inter / (area_t + area_p - inter + 1e-7)


    def box_loss(y_true, y_pred):
        y_pred = ops.squeeze(y_pred)
        y_true = ops.squeeze(y_true)
        return 1 - ops.mean(box_coef(y_true, y_pred), axis=0)


    model.compile(optimizer="adam", loss=box_loss, metrics=[mean_abs])
    ''')


def _first_verdict(source: str, code: str) -> Verification:
    """The verdict on the first ``code`` finding of ``source`` (which must have one)."""
    findings = [f for f in lint_example(source) if f.code == code]
    assert findings, f"{code} is flagged"
    verdict = verify_findings(findings, {"example.py": source}, timeout=120.0, use_cache=False)[0].verification
    assert verdict is not None
    return verdict


def test_a_keras3_file_reading_keras2_backend_names_is_told_apart_from_keras2_code() -> None:
    tree = ast.parse(MIXED)
    assert keras2_names(tree) == ["mean"]
    assert keras3_modules(tree) == ["keras.ops"]
    # Keras 2 code that imports no Keras 3 module stays Keras 2 code
    assert keras3_modules(ast.parse("from keras import backend as K\nK.mean(x)\n")) == []
    assert keras3_modules(ast.parse("import keras\nkeras.ops.mean(x)\n")) == ["keras.ops"]


def test_boxes_unstacked_by_parts_in_a_helper_size_the_inputs() -> None:
    layouts = infer_layouts(ast.parse(MIXED), "box_loss")
    assert layouts and layouts[0]["true"] == [4] and layouts[0]["pred"] == [4], layouts


@needs_tf
@pytest.mark.tf
def test_the_mixed_file_gets_a_verdict_under_keras3_with_the_backend_names_filled_in() -> None:
    findings = [f for f in lint_example(MIXED) if f.code == "TFS104"]
    assert findings, "the squeezes without axis are flagged"
    verified = verify_findings(findings, {"example.py": MIXED}, timeout=120.0, use_cache=False)
    statuses = {(f.line, f.verification.status) for f in verified if f.verification is not None}
    assert statuses and all(s is Status.CONFIRMED for _, s in statuses), [
        (f.line, f.verification) for f in verified]
    evidence = " ".join(f.verification.evidence for f in verified if f.verification is not None)
    assert "run under Keras 3 with K.mean from tf_keras's backend" in evidence, evidence


STACKED_TRIPLETS = source_of('''
    import tensorflow as tf


    def cosine(a, b):
        return tf.reduce_sum(tf.nn.l2_normalize(a, -1) * tf.nn.l2_normalize(b, -1), axis=-1)


    def triplet_loss(y_true, y_pred):
        third = int(y_pred.shape[0] / 3)
        anchor, positive, negative = y_pred[:third], y_pred[third:2 * third], y_pred[2 * third:]
        return tf.reduce_sum(tf.maximum(cosine(anchor, negative) - cosine(anchor, positive) + 0.2, 0.0))


    model.compile(optimizer="adam", loss=triplet_loss)
    ''')


def test_a_batch_divided_into_thirds_is_read_as_three_parts() -> None:
    tree = ast.parse(STACKED_TRIPLETS)
    assert batch_parts(tree, "triplet_loss", ("y_true", "y_pred")) == 3
    assert batch_parts(ast.parse("def f(y_true, y_pred):\n    return y_pred.shape[1] // 2\n"), "f",
                       ("y_true", "y_pred")) == 1  # a feature axis, not the batch
    assert batch_parts(ast.parse("def f(y_true, y_pred):\n    return tf.shape(y_pred)[0] // 2\n"), "f",
                       ("y_true", "y_pred")) == 2


OPTIONAL_SCALER = source_of('''
    import tensorflow as tf


    def mae(preds, labels):
        return tf.reduce_mean(tf.abs(preds - labels))


    def scaled_mae_loss(scaler):
        def loss(preds, labels):
            if scaler:
                preds = scaler.inverse_transform(preds)
                labels = scaler.inverse_transform(labels)
            return mae(preds, labels)
        return loss
    ''')


def test_an_optional_object_only_used_under_its_own_test_is_bound_to_none() -> None:
    factory = next(n for n in ast.walk(ast.parse(OPTIONAL_SCALER))
                   if isinstance(n, ast.FunctionDef) and n.name == "scaled_mae_loss")
    bindings = param_bindings(factory, ["scaler"])
    assert bindings is not None and bindings["scaler"].kind == "none"
    used = ast.parse("def f(scaler):\n    def g(p):\n        return scaler.transform(p)\n    return g\n").body[0]
    assert isinstance(used, ast.FunctionDef)
    unguarded = param_bindings(used, ["scaler"])
    assert unguarded is None or unguarded["scaler"].kind != "none"  # used without a test: no optional


METHOD_FACTORY = source_of('''
    import tensorflow as tf


    class TextClassifier:
        def __init__(self, classes):
            self.classes = classes

        def focal_loss(self, gamma=2.0, alpha=0.75):
            def focal_loss_fixed(y_true, y_pred):
                p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
                weight = alpha * tf.pow(1.0 - p, gamma)
                return tf.reduce_sum(-y_true * weight * tf.math.log(p))
            return focal_loss_fixed

        def build(self, model):
            model.compile(optimizer="adam", loss=[self.focal_loss(alpha=0.25, gamma=2.0)])
            return model
    ''')


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize(("source", "code", "status", "shown"), [
    # the batch cut in thirds: each third repeated in place, a batch sum exactly 4x
    (STACKED_TRIPLETS, "TFS102", Status.CONFIRMED, ("cuts its batch into 3 equal parts", "(4.00x)")),
    # a mean absolute error is symmetric in its arguments: swapping them back changes nothing
    (OPTIONAL_SCALER, "TFS503", Status.REFUTED, ("`scaler` = None",)),
    # the method factory runs with the file's arguments
    (METHOD_FACTORY, "TFS102", Status.CONFIRMED, ("(4.00x)",)),
], ids=["stacked-triplets", "optional-scaler", "method-factory"])
def test_round37_losses_get_their_verdicts(source: str, code: str, status: Status, shown: tuple[str, ...]) -> None:
    verdict = _first_verdict(source, code)
    assert verdict.status is status, verdict
    assert all(text in verdict.evidence for text in shown), verdict.evidence
