"""A loss parameter named for the number of classes (``n_classes``, ``class_number``), which the
file never passes, is bound to the predictions' last axis by the verifier, not to per-sample
weights: ``range(n_classes)`` then runs and the flagged division is observed (issue 12)."""

from __future__ import annotations

import pytest

from tests.conftest import lint_example, source_of
from tfshape_lint.verify import Status, tensorflow_available, verify_findings

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

PER_CLASS_DICE = source_of('''
    import tensorflow as tf

    def per_class_dice(y_true, y_pred, n_classes):
        total = 0.0
        for c in range(n_classes):
            inter = tf.reduce_sum(y_true[..., c] * y_pred[..., c], axis=-1)
            union = tf.reduce_sum(y_true[..., c] + y_pred[..., c], axis=-1)
            total += 1.0 - 2.0 * inter / union
        return total / n_classes
    ''')


@needs_tf
@pytest.mark.tf
def test_class_count_parameter_gets_the_number_of_classes() -> None:
    findings = [f for f in lint_example(PER_CLASS_DICE) if f.code == "TFS401"]
    assert findings, "the rule flags the unguarded per-class division"
    verdicts = verify_findings(findings, {"example.py": PER_CLASS_DICE}, timeout=60, device="cpu", use_cache=False)
    verdict = verdicts[0].verification
    assert verdict is not None
    assert "n_classes" not in verdict.evidence, verdict.evidence
    assert verdict.status is Status.CONFIRMED, verdict.evidence
