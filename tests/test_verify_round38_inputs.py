"""Verifier inputs from held-out round 36 that stayed inconclusive or were decided wrongly.

Written anew for these tests (no third-party code), from the shape of an astronomy library's
masked losses:

- the losses mark missing labels with a constant imported from the project's own config
  (``from starlab.config import MISSING``) and only ever compare values with it
  (``ops.equal(x, MISSING)``). Checked without the project, every probe failed on the import
  (inconclusive). The constant now runs as a number no probe input holds (-9999), the evidence
  says so, and the padding probe builds a sample made entirely of it, so an unguarded count of
  the present labels shows its division by 0;
- a ``where`` that zeroes the missing labels' error hides their NaN in the value but not in the
  gradient (TFS402). With one column of labels, a NaN entry is a whole sample missing, and the
  loss's own correction term ``(n_present + n_missing) / n_present`` made the value inf before
  the hidden gradient could show: that run was read as "finite loss and gradient" and the true
  finding refuted. Such a run is now no evidence against the finding, and the probe also tries
  three columns of labels with one of them missing, which shows the NaN gradient behind a finite
  value;
- the same losses with the marker defined in the file (``MISSING = -1.0``): a sample of it is
  now the padding the probe tries, as a literal compared with the labels was;
- a Keras 3 loss ported from ``K.*`` that kept ``ops.pow`` (TFS501: Keras 3's ``keras.ops`` has
  only ``power``): every probe of its other findings raised AttributeError. It now runs under
  Keras 3 with the missing name taken from tf_keras's backend, as ``K.mean`` already was;
- a skill score (the Mielke index) divides a batch sum of squared errors by variances over
  the whole batch: as written it grows 4.3x from batch 2 to batch 8, and with the flagged sum
  kept per sample it still moves 1.08x (the variances of two samples are not those of eight).
  That was "did not run cleanly"; the batch-size scaling is gone, so the finding is confirmed;
- ``np.ones_like(y_true)`` (an SDNE-style weight map) had no TensorFlow counterpart in the
  TFS302 variant, so the finding had no counterfactual; ``tf.ones_like`` is it.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import lint_example, source_of
from tfshape_lint.verify import Status, Verification, tensorflow_available, verify_findings
from tfshape_lint.verify.extract import SENTINEL_HELPER, compared_only, extract, marker_values, name_sites
from tfshape_lint.verify.realfiles import keras2_ops_names

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

MARKED = source_of('''
    import keras
    from starlab.config import MISSING


    def is_missing(x):
        return keras.ops.logical_or(keras.ops.equal(x, MISSING), keras.ops.isnan(x))


    def correction(y_true):
        present = keras.ops.sum(keras.ops.cast(keras.ops.logical_not(is_missing(y_true)), "float32"), axis=-1)
        missing = keras.ops.sum(keras.ops.cast(is_missing(y_true), "float32"), axis=-1)
        return (present + missing) / present


    def masked_mse(y_true, y_pred):
        err = keras.ops.where(is_missing(y_true), keras.ops.zeros_like(y_true), keras.ops.square(y_true - y_pred))
        return keras.ops.mean(err, axis=-1) * correction(y_true)


    model.compile(optimizer="adam", loss=masked_mse)
    ''')


def test_a_constant_only_compared_with_is_a_marker_and_others_are_not() -> None:
    tree = ast.parse(MARKED + "\nLIMIT = 3\nFACTOR = 2\nscaled = FACTOR * 2\nbig = LIMIT > 2\n")
    uses = name_sites(tree)
    assert compared_only(uses, "MISSING")
    assert not compared_only(uses, "FACTOR")  # arithmetic: a value that changes the loss
    assert not compared_only(uses, "LIMIT")  # an order test is no marker test
    assert not compared_only(uses, "keras")


def test_the_missing_marker_constant_runs_as_a_stand_in() -> None:
    finding = next(f for f in lint_example(MARKED) if f.code == "TFS402")
    assert finding.loss is not None
    program = extract(MARKED, finding.loss).source
    assert f"MISSING = {SENTINEL_HELPER}()" in program


LOCAL_MARKER = MARKED.replace("from starlab.config import MISSING", "MISSING = -1.0")


def test_marker_values_are_read_from_the_program() -> None:
    finding = next(f for f in lint_example(LOCAL_MARKER) if f.code == "TFS402")
    assert finding.loss is not None
    assert marker_values(extract(LOCAL_MARKER, finding.loss).source) == [-1.0]
    assert marker_values(extract(MARKED, finding.loss).source) == [-9999.0]
    assert marker_values("SCALE = 2.0\ndef f(y):\n    return y * SCALE\n") == []


def _verdicts(source: str, code: str) -> list[Verification]:
    findings = [f for f in lint_example(source) if f.code == code]
    assert findings, f"{code} is flagged"
    found = verify_findings(findings, {"example.py": source}, timeout=120.0, use_cache=False)
    return [f.verification for f in found if f.verification is not None]


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize(("source", "code", "shown"), [
    (MARKED, "TFS401", ("all -9999 (padding)", "`MISSING` ran as -9999")),
    (MARKED, "TFS402", ("the first of its 3 columns NaN", "gradient has", "stop_gradient")),
    (LOCAL_MARKER, "TFS401", ("all -1 (padding)",)),
    (LOCAL_MARKER, "TFS402", ("the first of its 3 columns NaN", "gradient has", "stop_gradient")),
], ids=["imported-401", "imported-402", "local-401", "local-402"])
def test_the_marked_losses_are_confirmed(source: str, code: str, shown: tuple[str, ...]) -> None:
    verdicts = _verdicts(source, code)
    assert verdicts
    for verdict in verdicts:
        assert verdict.status is Status.CONFIRMED, verdict.evidence
        for text in shown:
            assert text in verdict.evidence


PORTED = source_of('''
    from keras import ops


    def focal_dice(y_true, y_pred):
        y_pred = ops.squeeze(y_pred)
        y_true = ops.squeeze(y_true)
        inter = ops.sum(y_true * y_pred, axis=-1)
        return ops.pow(1.0 - inter / (ops.sum(y_true + y_pred, axis=-1) + 1e-7), 0.75)


    model.compile(optimizer="adam", loss=focal_dice)
    ''')


def test_keras2_names_kept_on_keras_ops_are_found() -> None:
    assert keras2_ops_names(ast.parse(PORTED)) == ["pow"]
    assert keras2_ops_names(ast.parse("from keras import ops\nx = ops.power(2.0, 3) + ops.where(True, 1, 2)\n")) == []


@needs_tf
@pytest.mark.tf
def test_a_port_that_kept_ops_pow_gets_verdicts_on_its_other_findings() -> None:
    verdicts = _verdicts(PORTED, "TFS104")
    assert len(verdicts) == 2
    for verdict in verdicts:
        assert verdict.status is Status.CONFIRMED, verdict.evidence
        assert "ops.pow from tf_keras's backend" in verdict.evidence
    api = _verdicts(PORTED, "TFS501")
    assert api[0].status is Status.CONFIRMED and "has no attribute 'pow'" in api[0].evidence


SKILL = source_of('''
    import tensorflow as tf


    def mielke_index(y_true, y_pred):
        d1 = tf.reduce_sum(tf.square(y_true - y_pred))
        d2 = tf.math.reduce_variance(y_true) + tf.math.reduce_variance(y_pred) + tf.square(
            tf.reduce_mean(y_true) - tf.reduce_mean(y_pred))
        return d1 / (d2 + 1e-3)


    model.compile(optimizer="adam", loss=mielke_index)
    ''')


ONES = source_of('''
    import numpy as np
    from tensorflow.keras import backend as K


    def weighted_mse(y_true, y_pred):
        w = np.ones_like(y_true) * 2.0
        return K.mean(K.square(y_true - y_pred) * w, axis=-1)


    model.compile(optimizer="adam", loss=weighted_mse)
    ''')


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize(("source", "code", "shown"), [
    (SKILL, "TFS102", "scaling is gone"),
    (ONES, "TFS302", "numpy calls replaced by their TensorFlow equivalents"),
], ids=["batch-statistics", "numpy-ones-like"])
def test_counterfactuals_of_round38(source: str, code: str, shown: str) -> None:
    verdict = _verdicts(source, code)[0]
    assert verdict.status is Status.CONFIRMED, verdict.evidence
    assert shown in verdict.evidence
