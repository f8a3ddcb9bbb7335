"""Counterfactual verdicts follow the symptom (issue 12): peers indexed on axis 0 get the same
verdict wherever they sit, NaN labels alone do not confirm a NaN test that has a NaN source of
its own (and are not fed to a loss that marks missing labels with a value), and a variant that
fails on another construct has lost the original's error.

Every case here was written for this test (no third-party code); one ``verify_findings`` call
runs them all (one worker, TensorFlow imported once).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import lint_example, source_of
from tfshape_lint.finding import Finding
from tfshape_lint.verify import Status, tensorflow_available, verify_findings

pytestmark = [pytest.mark.tf, pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")]


_src = source_of


# y_pred[0..2] as anchor/positive/negative, never handed to Keras: a custom loop may pass a list
PEERS_FUNCTION = _src('''
    import tensorflow as tf

    def triplet(y_true, y_pred, margin=0.3):
        pos = tf.reduce_sum(tf.square(y_pred[0] - y_pred[1]), axis=-1)
        neg = tf.reduce_sum(tf.square(y_pred[0] - y_pred[2]), axis=-1)
        return tf.maximum(pos - neg + margin, 0.0)
    ''')

# the same expressions in a Loss subclass: the same verdicts
PEERS_SUBCLASS = _src('''
    import tensorflow as tf

    class Triplet(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            pos = tf.reduce_sum(tf.square(y_pred[0] - y_pred[1]), axis=-1)
            neg = tf.reduce_sum(tf.square(y_pred[0] - y_pred[2]), axis=-1)
            return tf.maximum(pos - neg + 0.3, 0.0)
    ''')

# handed to compile: Keras passes one tensor, axis 0 is the batch; the peers move together
PEERS_COMPILED = _src('''
    import tensorflow as tf

    def triplet(y_true, y_pred, margin=0.3):
        pos = tf.reduce_sum(tf.square(y_pred[0] - y_pred[1]), axis=-1)
        neg = tf.reduce_sum(tf.square(y_pred[0] - y_pred[2]), axis=-1)
        return tf.maximum(pos - neg + margin, 0.0)

    model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=triplet)
    ''')

# the NaN test on the masked loss: its mask divides by its own mean (0/0 on a batch of padding),
# and missing labels are marked with 0, not NaN
SENTINEL_NAN = _src('''
    import tensorflow as tf

    def masked_mae(y_true, y_pred):
        mask = tf.cast(tf.not_equal(y_true, 0), tf.float32)
        mask /= tf.reduce_mean(mask)
        mask = tf.where(tf.math.is_nan(mask), 0.0, mask)
        loss = tf.abs(y_pred - y_true) * mask
        loss = tf.where(tf.math.is_nan(loss), 0.0, loss)
        return tf.reduce_mean(loss, axis=-1)
    ''')

# the same without a missing-label value: whether labels can hold NaN is not shown
GUARDED_NAN = _src('''
    import tensorflow as tf

    def masked_mae(y_true, y_pred):
        mask = tf.cast(y_true > 0.5, tf.float32)
        mask /= tf.reduce_mean(mask)
        mask = tf.where(tf.math.is_nan(mask), 0.0, mask)
        loss = tf.abs(y_pred - y_true) * mask
        loss = tf.where(tf.math.is_nan(loss), 0.0, loss)
        return tf.reduce_mean(loss, axis=-1)
    ''')

# a NaN source of its own that finite inputs reach (y_pred all 0: 0/0): confirmed without NaN labels
OWN_SOURCE_NAN = _src('''
    import tensorflow as tf

    def ratio_loss(y_true, y_pred):
        ratio = y_pred / tf.reduce_sum(y_pred, axis=-1, keepdims=True)
        err = tf.square(ratio - y_true)
        err = tf.where(tf.math.is_nan(err), tf.zeros_like(err), err)
        return tf.reduce_mean(err, axis=-1)
    ''')

# the NaN test on an error made from the labels alone: missing labels are what it is there for
LABEL_NAN = _src('''
    import tensorflow as tf

    def nan_mse(y_true, y_pred):
        err = tf.square(y_true - y_pred)
        err = tf.where(tf.math.is_nan(err), tf.zeros_like(err), err)
        return tf.reduce_mean(err, axis=-1)
    ''')

# fixed, the batch size feeds a Python `if`, which fails on its own in fit
HALVES = _src('''
    import tensorflow as tf

    class PairLoss(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            if len(y_pred) % 2 != 0:
                y_pred = y_pred[1:]
            half = len(y_pred) // 2
            return -tf.reduce_mean(tf.math.log_sigmoid(y_pred[:half] - y_pred[half:]))
    ''')

# a scalar over pairs of samples: no sample has a loss of its own to weight
PAIRWISE = _src('''
    import tensorflow as tf

    class HalvesLoss(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            half = tf.shape(y_pred)[0] // 2
            return -tf.reduce_mean(tf.math.log_sigmoid(y_pred[:half] - y_pred[half:]))
    ''')

# the order of the samples matters through the cumsum too: moving y_pred[0] off the batch axis
# leaves the symptom, so it is not shown to come from the flagged index
TWO_SOURCES = _src('''
    import tensorflow as tf

    def drift_loss(y_true, y_pred):
        first = y_pred[0]
        trend = tf.math.cumsum(y_pred[..., 0])
        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1) + tf.reduce_mean(first) * trend
    ''')

CASES = {"pairwise.py": (PAIRWISE, "TFS108"), "two_sources.py": (TWO_SOURCES, "TFS105"), "peers_function.py": (PEERS_FUNCTION, "TFS105"), "peers_subclass.py": (PEERS_SUBCLASS, "TFS105"),
         "peers_compiled.py": (PEERS_COMPILED, "TFS105"), "guarded_nan.py": (GUARDED_NAN, "TFS402"),
         "sentinel_nan.py": (SENTINEL_NAN, "TFS402"), "own_source_nan.py": (OWN_SOURCE_NAN, "TFS402"),
         "label_nan.py": (LABEL_NAN, "TFS402"), "halves.py": (HALVES, "TFS110")}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[Finding]]:
    findings: list[Finding] = []
    for path, (source, code) in CASES.items():
        found = [replace(f, path=path) for f in lint_example(source) if f.code == code]
        assert found, f"{path}: the rule found nothing"
        findings += found
    out = verify_findings(findings, {path: source for path, (source, _) in CASES.items()}, timeout=60,
                          device="cpu", use_cache=False)
    by_path: dict[str, list[Finding]] = {}
    for finding in out:
        by_path.setdefault(finding.path, []).append(finding)
    return by_path


def _statuses(findings: list[Finding]) -> list[Status]:
    return [f.verification.status for f in findings if f.verification is not None]


def test_peers_never_handed_to_keras_get_no_verdict_with_both_readings_named(
        verdicts: dict[str, list[Finding]]) -> None:
    # the symptom shows with one y_pred whose axis 0 is the batch, and with y_pred a stack of 3
    # batches (a custom loop's list) the loss is correct: the file does not say which one the
    # loss gets, so neither confirmed nor refuted, and the evidence names both readings
    for finding in verdicts["peers_function.py"]:
        verdict = finding.verification
        assert verdict is not None and verdict.status is Status.INCONCLUSIVE, verdict
        assert "as Keras passes it" in verdict.evidence, verdict
        assert "no bug if y_pred is a stack of 3 batches" in verdict.evidence, verdict
    for finding in verdicts["peers_compiled.py"]:  # Keras calls it: no other reading to name
        assert finding.verification is not None and "stack of" not in finding.verification.evidence


def test_identical_peer_expressions_get_identical_verdicts(verdicts: dict[str, list[Finding]]) -> None:
    function, subclass = verdicts["peers_function.py"], verdicts["peers_subclass.py"]
    assert len(function) == len(subclass) == 4
    assert _statuses(function) == _statuses(subclass)


def test_peers_handed_to_keras_are_confirmed_with_the_peers_moved_together(
        verdicts: dict[str, list[Finding]]) -> None:
    for finding in verdicts["peers_compiled.py"]:
        verdict = finding.verification
        assert verdict is not None and verdict.status is Status.CONFIRMED, verdict
        assert "with its peers moved too" in verdict.evidence, verdict
        assert "reordering the samples reorders the per-sample losses" in verdict.evidence, verdict


def test_nan_labels_alone_do_not_confirm_a_test_with_its_own_nan_source(verdicts: dict[str, list[Finding]]) -> None:
    (finding,) = verdicts["guarded_nan.py"]
    verdict = finding.verification
    assert verdict is not None and verdict.status is Status.INCONCLUSIVE, verdict
    assert "NaN source of its own upstream (`mask /= tf.reduce_mean(mask)`)" in verdict.evidence, verdict
    assert "y_true with NaN entries" in verdict.evidence, verdict


def test_a_loss_marking_missing_labels_with_a_value_is_not_fed_nan_labels(
        verdicts: dict[str, list[Finding]]) -> None:
    (finding,) = verdicts["sentinel_nan.py"]
    verdict = finding.verification
    assert verdict is not None and verdict.status is Status.REFUTED, verdict
    assert "NaN labels were not tried" in verdict.evidence and "`not_equal(y_true, 0)`" in verdict.evidence, verdict


def test_an_own_nan_source_that_finite_labels_reach_confirms(verdicts: dict[str, list[Finding]]) -> None:
    (finding,) = verdicts["own_source_nan.py"]
    verdict = finding.verification
    assert verdict is not None and verdict.status is Status.CONFIRMED, verdict
    assert "y_true with NaN entries" not in verdict.evidence, verdict


def test_nan_labels_confirm_a_test_on_an_error_made_from_the_labels(verdicts: dict[str, list[Finding]]) -> None:
    (finding,) = verdicts["label_nan.py"]
    verdict = finding.verification
    assert verdict is not None and verdict.status is Status.CONFIRMED, verdict
    assert "y_true with NaN entries" in verdict.evidence, verdict


def test_a_variant_failing_on_another_construct_has_lost_the_original_error(
        verdicts: dict[str, list[Finding]]) -> None:
    first, second = verdicts["halves.py"]
    verdict = first.verification
    assert verdict is not None and verdict.status is Status.CONFIRMED, verdict
    assert "len is not well defined" in verdict.evidence, verdict
    assert "fails on another construct (OperatorNotAllowedInGraphError" in verdict.evidence, verdict
    # the second len() is reached once the first is the probe's batch size (a Python int) in both runs
    verdict = second.verification
    assert verdict is not None and verdict.status is Status.CONFIRMED, verdict
    assert "len is not well defined" in verdict.evidence and "runs and matches the eager value" in verdict.evidence
    assert "`len(y_pred)` taken as the batch size of the probe's inputs" in verdict.evidence, verdict


def test_a_loss_over_pairs_has_no_per_sample_reference_for_its_weights(verdicts: dict[str, list[Finding]]) -> None:
    (finding,) = verdicts["pairwise.py"]
    verdict = finding.verification
    assert verdict is not None and verdict.status is Status.INCONCLUSIVE, verdict
    assert "no per-sample reference" in verdict.evidence and "weighted nan" not in verdict.evidence, verdict


def test_a_symptom_that_survives_the_variant_does_not_confirm(verdicts: dict[str, list[Finding]]) -> None:
    (finding,) = verdicts["two_sources.py"]
    verdict = finding.verification
    assert verdict is not None and verdict.status is Status.INCONCLUSIVE, verdict
    assert "the symptom remains: reordering the batch changes the loss" in verdict.evidence, verdict
