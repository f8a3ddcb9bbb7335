"""The runtime verifier (``check --verify``) against real TensorFlow.

Every bad example of every rule with a recipe must be *confirmed* with the rule's evidence;
look-alikes handed to the verifier must be *refuted*; a hanging, exploding or exiting loss
must leave the run intact. All findings of one Keras flavour go through one
``verify_findings`` call (one worker, TensorFlow imported once). Skipped only when TensorFlow
is not importable; CI installs the ``verify`` extra so these run there.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, needle_at, lint_example
from tfshape_lint.analysis.index import build_index
from tfshape_lint.finding import Finding, LossRef, Severity
from tfshape_lint.registry import all_rules, get
from tfshape_lint.verify import EXTRA_RECIPES, Status, tensorflow_available, verify_findings
from tfshape_lint.verify.extract import ExtractionError, extract, extract_span

needs_tf = pytest.mark.skipif(not tensorflow_available(),
                              reason="TensorFlow is not installed (pip install -e '.[verify]')")
pytestmark = pytest.mark.tf


def _tf_keras_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("tf_keras") is not None


def _skip_without_tf_keras(flavour: str) -> None:
    if flavour == "tf-keras" and not _tf_keras_available():
        pytest.skip("this example targets tf_keras, which is not installed (pip install tf_keras)")


#: what the evidence of a confirmed finding must say, per rule (KERAS_FACTS §3 wording)
EVIDENCE = {
    "TFS101": r"Shapes must be equal rank|Keras averages them",
    "TFS102": r"scales with the batch size",
    "TFS103": r"one at a time|Incompatible shapes|Dimensions must be equal",
    "TFS104": r"unknown rank|batch of 1",
    "TFS105": r"reordering the batch|batch of 1",
    "TFS106": r"\[4,3\] vs\. \[4\]|\[4\] vs\. \[4,3\]|T == B",
    "TFS107": r"Incompatible shapes: \[[\d,]+\] vs\. \[[\d,]+\]|position in the batch",
    "TFS108": r"sample_weight \[1,0,0,0\](: Keras computes| and \[0,1,0,0\] both give .* the weights select no sample)",
    "TFS109": r"gradient norm as written is|scales with the batch size",
    "TFS110": r"batch dim None",
    "TFS111": r"mask|only rescales the loss",
    "TFS201": r"float tensor|DataType bool|allowed values|No gradients|bool tensor|does not match type|dtype bool",
    "TFS202": r"DataType float32 not in list of allowed values",
    "TFS301": r"gradient w\.r\.t\. y_pred is (None|zero)|never trains",
    "TFS302": r"symbolic|numpy",
    "TFS303": r"OperatorNotAllowedInGraphError",
    "TFS401": r"loss (nan|inf|-inf)|gradient has \d+",
    "TFS402": r"is finite but the gradient has \d+ NaN",
    "TFS501": r"has no attribute|cannot import name|No module named|Loss rejects: ValueError",
    "TFS504": r"positional argument|multiple values|keyword-only",
    "TFS502": r"(with from_logits flipped|given the logits its activation squashed) .* = the crossentropy of the logits",
    "TFS503": r"as written, .* with the (parameters|arguments)",
    "TFS505": r"unexpected keyword argument 'sample_weight'",
    "TFS506": r"has no attribute|unexpected keyword argument|cannot import name",
}

#: bad examples whose measured behaviour differs from the rule's claim on TF 2.21 / Keras 3.15:
#: (code, a snippet of the example) -> (expected status, why). Keyed by content so that a
#: corrected example is expected to be confirmed again.
MEASURED_EXCEPTIONS = {
    ("TFS401", "tf.square(_distance(y_true, y_pred))"): (
        Status.REFUTED, "square(sqrt(s)) has gradient 0, not NaN, at s == 0 (SqrtGrad with a zero upstream)"),
    ("TFS402", "tf.experimental.numpy.nan_to_num"): (
        Status.INCONCLUSIVE, "tf.experimental.numpy has no nan_to_num in TF 2.21 (AttributeError)"),
    # counterfactual verdicts (issue 12): the flagged node itself is observed
    ("TFS110", "range(y_pred.get_shape()[0])"): (
        Status.INCONCLUSIVE, "the rule's own fix tf.shape(y)[0] inside range() still fails in Keras 3's graph"),
    ("TFS303", "zip(y_true, y_pred)"): (
        Status.INCONCLUSIVE, "autograph cannot convert a for loop over zip() of tensors either"),
    ("TFS303", "while n > 1"): (
        Status.INCONCLUSIVE, "autograph's converted while loop changes the loop variable's shape"),
    ("TFS302", "np.argsort(p, axis=-1)"): (
        Status.INCONCLUSIVE, "the loss uses numpy results further on, so the TensorFlow variant does not run"),
    ("TFS302", "tf.py_function(np_mae"): (
        Status.INCONCLUSIVE, "without py_function the numpy body fails in graph mode: no clean counterfactual"),
    ("TFS502", "bce = keras.losses.BinaryCrossentropy(from_logits=True)"): (
        Status.INCONCLUSIVE, "sigmoid directly on the output: the TensorFlow backend recovers the logits, as the "
                             "finding says; its symptom is on the JAX/PyTorch backends, which the probe does not run"),
    ("TFS301", "idx = tf.cast(logits, tf.int32)"): (
        Status.INCONCLUSIVE, "the int result flows through a variable; no float surrogate keeps its dtype"),
    ("TFS105", "def triplet(y_actual, y_pred, alpha=0.2)"): (
        Status.INCONCLUSIVE, "y_pred[0], y_pred[1] are peers of a loss the file never hands to Keras: a bug with one "
                             "tensor (axis 0 the batch), correct with y_pred a stack of 2 batches; the file does not "
                             "say which the loss gets"),
    # bad examples added by issue 11 after the counterfactual verifier was built; measured, not yet analysed
    ("TFS102", "total = lambda x: tf.reduce_sum(x)"): (
        Status.INCONCLUSIVE, "the sum is in a module-level lambda, which the probe program does not re-run"),
    ("TFS502", "activation=tf.nn.softmax"): (
        Status.INCONCLUSIVE, "softmax directly on the output: the TensorFlow backend recovers the logits, as the "
                             "finding says; its symptom is on the JAX/PyTorch backends, which the probe does not run"),
}


def _flavour(options: dict[str, Any]) -> str:
    return "tf-keras" if options.get("target-keras") == "tf-keras" else "3"


def _bad_cases() -> list[tuple[str, int, str, str]]:
    cases = []
    for rule in all_rules():
        if rule.recipe is None and rule.code not in EXTRA_RECIPES:
            continue
        for i, ex in enumerate(rule.bad):
            cases.append((rule.code, i, ex.code, _flavour(dict(ex.config))))
    return cases


BAD = _bad_cases()


def _exception(code: str, source: str) -> tuple[Status, str] | None:
    for (rule, snippet), expected in MEASURED_EXCEPTIONS.items():
        if rule == code and snippet in source:
            return expected
    return None


def _verify_many(items: list[tuple[str, str, list[Finding]]], flavour: str, **kwargs: Any) -> dict[str, list[Finding]]:
    sources = {path: source for path, source, _ in items}
    findings = [f for _, _, fs in items for f in fs]
    kwargs.setdefault("timeout", 60.0)
    out = verify_findings(findings, sources, device="cpu", use_cache=False, target_keras=flavour, **kwargs)
    by_path: dict[str, list[Finding]] = {}
    for finding in out:
        by_path.setdefault(finding.path, []).append(finding)
    return by_path


@pytest.fixture(scope="module")
def bad_results() -> dict[str, list[Finding]]:
    """Verdicts for every bad example, one verify_findings call per Keras flavour."""
    results: dict[str, list[Finding]] = {}
    for flavour in ("3", "tf-keras"):
        if flavour == "tf-keras" and not _tf_keras_available():
            continue
        items = []
        for code, i, source, fl in BAD:
            if fl != flavour:
                continue
            path = f"{code}_bad{i}.py"
            rule = get(code)
            assert rule is not None
            options = dict(rule.bad[i].config)
            found = [replace(f, path=path) for f in lint_example(source, options) if f.code == code]
            items.append((path, source, found))
        if items:
            results.update(_verify_many(items, flavour))
    return results


@needs_tf
@pytest.mark.parametrize("case", BAD, ids=[f"{c}-bad{i}" for c, i, _, _ in BAD])
def test_bad_example_confirmed(case: tuple[str, int, str, str], bad_results: dict[str, list[Finding]]) -> None:
    code, i, source, flavour = case
    _skip_without_tf_keras(flavour)
    findings = bad_results.get(f"{code}_bad{i}.py", [])
    assert findings, f"{code} bad{i}: the rule found nothing to verify"
    verdicts = [f.verification for f in findings]
    expected = _exception(code, source)
    if expected is not None:
        status, why = expected
        assert verdicts[0].status is status, f"{code} bad{i} ({why}): {verdicts[0]}"
        return
    best = next((v for v in verdicts if v.status is Status.CONFIRMED), verdicts[0])
    assert best.status is Status.CONFIRMED, f"{code} bad{i} not confirmed: {best.evidence}\n{source}"
    assert re.search(EVIDENCE[code], best.evidence), f"{code} bad{i}: unexpected evidence {best.evidence!r}"
    assert best.device and best.keras and best.seconds >= 0


def test_every_recipe_names_a_probe() -> None:
    probes = _probe_names()
    for rule in all_rules():
        recipe = rule.recipe or EXTRA_RECIPES.get(rule.code)
        if recipe is not None:
            assert recipe.probe in probes, f"{rule.code}: unknown probe {recipe.probe!r}"
            assert rule.code in EVIDENCE, f"{rule.code}: add its expected evidence to EVIDENCE"


def _probe_names() -> set[str]:
    """Probe names from the child module's source (importing it would import TensorFlow)."""
    text = (ROOT / "tfshape_lint" / "verify" / "_child" / "probes.py").read_text(encoding="utf-8")
    return set(re.findall(r'@probe\("(\w+)"\)', text)) | {"api_exists"}


# -- look-alikes: the verifier is asked, and must say refuted ---------------------------------------------
LOOKALIKES: list[tuple[str, str, str, str]] = [
    ("TFS101", "3", """
        import tensorflow as tf

        def loss_fn(y_true, y_pred):
            return [tf.square(y_true - y_pred), tf.abs(y_true - y_pred)]

        with tf.GradientTape() as tape:
            losses = loss_fn(y, model(x))
        grads = tape.gradient(losses, model.trainable_variables)
        """, '[tf.square(y_true - y_pred), tf.abs(y_true - y_pred)]'),
    ("TFS102", "3", """
        import tensorflow as tf

        def masked_mse(y_true, y_pred):
            mask = tf.cast(tf.not_equal(y_true, 0), tf.float32)
            return tf.reduce_sum(tf.square(y_true - y_pred) * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
        """, 'tf.reduce_sum(tf.square(y_true - y_pred) * mask)'),
    ("TFS103", "3", """
        import tensorflow as tf

        def loss(y_true, y_pred):
            y_true = tf.reshape(y_true, tf.shape(y_pred))
            return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)

        with tf.GradientTape() as tape:
            value = loss(y, model(x))
        grads = tape.gradient(value, model.trainable_variables)
        """, 'y_true - y_pred'),
    ("TFS104", "3", """
        import tensorflow as tf

        def loss(y_true, y_pred):
            diff = tf.squeeze(y_true, axis=-1) - tf.squeeze(y_pred, axis=-1)
            return tf.square(diff)
        """, 'tf.squeeze(y_true, axis=-1)'),
    ("TFS105", "3", """
        import tensorflow as tf

        def loss(y_true, y_pred):
            return tf.square(y_true[:, 0] - y_pred[:, 0])
        """, 'y_true[:, 0]'),
    ("TFS106", "3", """
        import tensorflow as tf

        def masked_mse(y_true, y_pred):
            valid = tf.cast(y_true[:, 0] >= 0, tf.float32)
            return tf.reduce_mean(tf.square(y_true - y_pred) * valid[:, None], axis=-1)
        """, 'valid[:, None]'),
    ("TFS106", "tf-keras", """
        import tensorflow as tf

        class PerElement(tf.keras.losses.Loss):
            def call(self, y_true, y_pred):
                return tf.square(y_true - y_pred)

        model.compile(optimizer='adam', loss=PerElement())
        model.fit(x, y, sample_weight=w)
        """, 'tf.square(y_true - y_pred)'),
    ("TFS107", "3", """
        import numpy as np
        import tensorflow as tf

        CLASS_WEIGHTS = np.array([1.0, 2.0, 5.0])

        def weighted(y_true, y_pred):
            return tf.reduce_mean(tf.square(y_true - y_pred) * CLASS_WEIGHTS, axis=-1)
        """, '* CLASS_WEIGHTS|2'),
    ("TFS108", "3", """
        import tensorflow as tf

        class PerSample(tf.keras.losses.Loss):
            def call(self, y_true, y_pred):
                return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        """, 'tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)'),
    ("TFS109", "3", """
        import keras

        class Focal(keras.losses.Loss):
            def __init__(self, gamma=2.0, reduction='sum_over_batch_size', name='focal'):
                super().__init__(reduction=reduction, name=name)

            def call(self, y_true, y_pred):
                return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

        model.compile(optimizer='adam', loss=Focal())
        """, 'Focal()'),
    ("TFS110", "3", """
        import tensorflow as tf

        def loss(y_true, y_pred):
            n = tf.cast(tf.shape(y_true)[0], y_pred.dtype)
            return tf.reduce_sum(tf.square(y_true - y_pred)) / n
        """, 'tf.shape(y_true)[0]'),
    ("TFS111", "3", """
        import tensorflow as tf

        def masked(y_true, y_pred):
            err = tf.square(y_true - y_pred)
            mask = tf.cast(y_true > 0.5, y_pred.dtype)
            return tf.reduce_mean(err * mask, axis=-1)
        """, 'err * mask'),
    ("TFS201", "3", """
        import tensorflow as tf

        def masked_mse(y_true, y_pred):
            mask = tf.cast(tf.not_equal(y_true, -1), y_pred.dtype)
            return tf.reduce_mean(tf.square(y_true - y_pred) * mask, axis=-1)
        """, '* mask|2'),
    ("TFS202", "3", """
        import tensorflow as tf

        def loss(y_true, y_pred):
            labels = tf.cast(y_true[..., 0], tf.int32)
            return tf.keras.losses.categorical_crossentropy(tf.one_hot(labels, 3), y_pred)
        """, 'tf.one_hot(labels, 3)'),
    ("TFS202", "tf-keras", """
        import tensorflow as tf

        def loss(y_true, y_pred):
            return tf.keras.losses.categorical_crossentropy(tf.one_hot(y_true[..., 0], 3), y_pred)

        model.compile(optimizer='adam', loss=loss)
        """, 'tf.one_hot(y_true[..., 0], 3)'),
    ("TFS301", "3", """
        import tensorflow as tf

        def switch_loss(y_true, y_pred):
            mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
            mae = tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
            return tf.where(tf.reduce_mean(y_pred, axis=-1) > 0.5, mse, mae)
        """, 'tf.where(tf.reduce_mean(y_pred, axis=-1) > 0.5, mse, mae)'),
    ("TFS302", "3", """
        import tensorflow as tf

        def mae(y_true, y_pred):
            return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
        """, 'tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)'),
    ("TFS303", "3", """
        import tensorflow as tf

        def loss(y_true, y_pred):
            mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
            return tf.cond(tf.reduce_mean(y_pred) > 0.5, lambda: mse, lambda: 2.0 * mse)
        """, 'tf.reduce_mean(y_pred) > 0.5'),
    ("TFS303", "tf-keras", """
        import tensorflow as tf

        def loss(y_true, y_pred):
            if tf.reduce_mean(y_pred) > 0.5:
                return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
            return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

        model.compile(optimizer='adam', loss=loss)
        """, 'tf.reduce_mean(y_pred) > 0.5'),
    ("TFS401", "3", """
        import tensorflow as tf

        def bce(y_true, y_pred):
            p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
            return -tf.reduce_mean(y_true * tf.math.log(p) + (1.0 - y_true) * tf.math.log(1.0 - p), axis=-1)
        """, 'tf.math.log(p)'),
    ("TFS402", "3", """
        import tensorflow as tf

        def ce_loss(y_true, y_pred):
            ok = y_pred > 0.0
            safe = tf.where(ok, y_pred, tf.ones_like(y_pred))
            x = tf.where(ok, y_true * tf.math.log(safe), tf.zeros_like(y_pred))
            return -tf.reduce_sum(x, axis=-1)
        """, 'tf.where(ok, y_true * tf.math.log(safe), tf.zeros_like(y_pred))'),
    ("TFS503", "3", """
        import tensorflow as tf

        def l2(y_pred, y_true):
            return tf.reduce_mean(tf.square(y_pred - y_true), axis=-1)

        model.compile(optimizer='adam', loss=l2)
        """, 'y_pred'),
    ("TFS504", "3", """
        import tensorflow as tf

        def mse(y_true, y_pred):
            return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)

        model.compile(optimizer='adam', loss=mse)
        """, 'loss=mse|5'),
    ("TFS505", "3", """
        import tensorflow as tf

        def masked(y_true, y_pred):
            loss = tf.keras.losses.MeanSquaredError()
            return loss(y_true, y_pred, sample_weight=tf.ones_like(y_true[:, 0]))
        """, 'loss(y_true, y_pred, sample_weight=tf.ones_like(y_true[:, 0]))'),
]


def _span_finding(code: str, source: str, path: str, needle: str, skip: int = 0, nth: int = 0) -> Finding:
    """A finding of ``code`` on the ``nth`` occurrence of ``needle`` (as if the rule had flagged it)."""
    rule = get(code)
    assert rule is not None
    number, col = needle_at(source, needle, nth)
    return Finding(path, number, col + skip, number, col + len(needle), code, rule.name, "forced",
                   Severity.ERROR)


def _needle_finding(code: str, source: str, path: str, needle: str) -> Finding:
    text, _, skip = needle.partition("|")
    return _span_finding(code, source, path, text, int(skip or 0))


@pytest.fixture(scope="module")
def lookalike_results() -> dict[str, list[Finding]]:
    results: dict[str, list[Finding]] = {}
    for flavour in ("3", "tf-keras"):
        if flavour == "tf-keras" and not _tf_keras_available():
            continue
        items = []
        for n, (code, fl, text, needle) in enumerate(LOOKALIKES):
            if fl != flavour:
                continue
            source = textwrap.dedent(text).lstrip()
            path = f"{code}_lookalike{n}.py"
            items.append((path, source, [_needle_finding(code, source, path, needle)]))
        results.update(_verify_many(items, flavour))
    return results


@needs_tf
@pytest.mark.parametrize("n", range(len(LOOKALIKES)), ids=[f"{c}-{f}-{i}" for i, (c, f, _, _) in enumerate(LOOKALIKES)])
def test_lookalike_refuted(n: int, lookalike_results: dict[str, list[Finding]]) -> None:
    code, flavour, _, _ = LOOKALIKES[n]
    _skip_without_tf_keras(flavour)
    findings = lookalike_results[f"{code}_lookalike{n}.py"]
    assert findings
    for finding in findings:
        assert finding.verification.status is Status.REFUTED, \
            f"{code} look-alike {n}: {finding.verification}\n{LOOKALIKES[n][2]}"


@needs_tf
def test_api_names_that_exist_are_refuted() -> None:
    source = "import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\nx = K.mean(tf.math.log(2.0))\n"
    findings = [_span_finding("TFS501", source, "api.py", "K.mean(tf.math.log(2.0))"),
                _span_finding("TFS506", source, "api.py", "tf.math.log(2.0)")]
    out = verify_findings(findings, {"api.py": source}, timeout=60, device="cpu", use_cache=False)
    assert [f.verification.status for f in out] == [Status.REFUTED, Status.REFUTED], out


# -- isolation -------------------------------------------------------------------------------------------------
ISOLATION = '''
import os
import sys
import numpy as np
import tensorflow as tf

def endless_loss(y_true, y_pred):
    while True:
        pass

def hungry_loss(y_true, y_pred):
    blocks = []
    while True:
        blocks.append(np.ones(10 ** 7))

def exiting_loss(y_true, y_pred):
    sys.exit(3)

def crashing_loss(y_true, y_pred):
    os.kill(os.getpid(), 9)

def l1_loss(y_true, y_pred):
    return tf.reduce_sum(tf.abs(y_true - y_pred))

open("MARKER_PATH", "w").write("top-level code ran")
model.compile(optimizer="adam", loss=l1_loss)
model.fit(x, y)
sys.exit(1)
'''


@needs_tf
def test_isolation_hang_oom_exit_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "marker.txt"
    source = ISOLATION.replace("MARKER_PATH", str(marker))
    monkeypatch.setenv("TFSHAPE_LINT_VERIFY_MEMORY_MB", "1024")
    index = build_index(source, ast.parse(source))
    refs = {s.qualname: LossRef(s.qualname, "compile", s.role.value, s.line, None, s.params) for s in index.losses}
    order = ["endless_loss", "l1_loss", "hungry_loss", "exiting_loss", "crashing_loss", "l1_loss"]
    l1 = replace(_span_finding("TFS102", source, "iso.py", "tf.reduce_sum(tf.abs(y_true - y_pred))"),
                 loss=refs["l1_loss"], severity=Severity.WARNING)
    findings = [l1 if q == "l1_loss" else
                Finding("iso.py", refs[q].line + 1, 4, refs[q].line + 1, 10, "TFS102", "batch-axis-reduction",
                        "forced", Severity.WARNING, loss=refs[q]) for q in order]
    out = verify_findings(findings, {"iso.py": source}, timeout=8.0, device="cpu", use_cache=False)
    verdicts = [f.verification for f in out]
    assert verdicts[0].status is Status.INCONCLUSIVE and "timed out" in verdicts[0].evidence
    assert verdicts[1].status is Status.CONFIRMED, verdicts[1]
    assert verdicts[2].status is Status.INCONCLUSIVE, verdicts[2]
    assert re.search(r"MemoryError|memory|killed|ResourceExhausted|timed out", verdicts[2].evidence), verdicts[2]
    assert verdicts[3].status is Status.INCONCLUSIVE and "sys.exit(3)" in verdicts[3].evidence
    assert verdicts[4].status is Status.INCONCLUSIVE and "SIGKILL" in verdicts[4].evidence
    assert verdicts[5].status is Status.CONFIRMED, verdicts[5]
    assert not marker.exists(), "the user's top-level code ran"


def test_extraction_never_copies_top_level_code() -> None:
    source = ISOLATION.replace("MARKER_PATH", "/nonexistent/marker")
    program = extract(source, LossRef("l1_loss", "compile"))
    assert "fit(" not in program.source and "sys.exit(1)" not in program.source and "open(" not in program.source
    assert "def l1_loss" in program.source and "def endless_loss" not in program.source


def test_extraction_factory_constants_and_left_out_names() -> None:
    source = textwrap.dedent('''
        import numpy as np
        import tensorflow as tf
        W = np.array([1.0, 2.0, 3.0])
        DATA = np.load("train.npy")
        EPS = 1e-7

        def helper(p):
            return tf.clip_by_value(p, EPS, 1.0)

        def make_loss(w):
            def loss(y_true, y_pred):
                return tf.reduce_mean(w * tf.math.log(helper(y_pred)) + DATA, axis=-1)
            return loss

        class L(tf.keras.losses.Loss):
            def call(self, y_true, y_pred):
                return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)

        model.compile(loss=make_loss(W), metrics=[lambda a, b: a - b])
        model.compile(loss=L(name="l"))
        ''')
    program = extract(source, LossRef("make_loss.loss", "compile", factory_call="make_loss(W)"))
    assert "W = np.array" in program.source and "EPS = 1e-07" in program.source
    assert "def helper" in program.source and "return make_loss(W)" in program.source
    assert "np.load" not in program.source
    assert dict(program.left_out)["DATA"].startswith("module-level `DATA`")
    assert "return L(name='l')" in extract(source, LossRef("L.call", "subclass")).source
    lam = extract(source, LossRef("<lambda>@20", "compile"))
    assert "return lambda a, b: a - b" in lam.source
    with pytest.raises(ExtractionError):
        extract(source, LossRef("missing_loss", "compile"))


def test_extraction_replays_calls_on_local_variables() -> None:
    source = "from tensorflow.keras.losses import mse\n\nper_sample = mse(y, p, sample_weight=w)\n"
    program = extract_span(source, (3, 13, 3, 39))
    assert program.context == "direct"
    assert "return mse(y_true, y_pred, sample_weight=__tfs_weights__(y_true))" in program.source


# -- cache, CLI, process boundaries ----------------------------------------------------------------------------------
L1 = "import tensorflow.keras.backend as K\n\ndef l1_loss(y_true, y_pred):\n    return K.sum(K.abs(y_true - y_pred))\n"


@needs_tf
def test_cache_second_run_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFSHAPE_LINT_CACHE_DIR", str(tmp_path / "cache"))
    findings = [replace(f, path="l1.py") for f in lint_example(L1) if f.code == "TFS102"]
    first = verify_findings(findings, {"l1.py": L1}, timeout=60, device="cpu", use_cache=True)
    second = verify_findings(findings, {"l1.py": L1}, timeout=60, device="cpu", use_cache=True)
    assert first[0].verification.status is Status.CONFIRMED and not first[0].verification.cached
    assert second[0].verification.cached and second[0].verification.evidence == first[0].verification.evidence
    assert list((tmp_path / "cache" / "verify").rglob("*.json"))
    assert "cached" in second[0].verification.to_dict()


@needs_tf
def test_cli_verify_text_then_cached_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFSHAPE_LINT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "l1.py"
    path.write_text(L1, encoding="utf-8")
    text = subprocess.run([sys.executable, "-m", "tfshape_lint", "check", "--verify", "--verify-device", "cpu",
                           str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert text.returncode == 1, text.stderr
    assert "TFS102" in text.stdout and "[confirmed: as written: same 8 samples" in text.stdout
    js = subprocess.run([sys.executable, "-m", "tfshape_lint", "check", "--verify", "--verify-device", "cpu",
                         "--verify-timeout", "60", "--format", "json", str(path)],
                        capture_output=True, text=True, cwd=tmp_path)
    data = json.loads(js.stdout)["findings"]
    assert set(data[0]["verification"]) >= {"status", "evidence", "device", "keras", "seconds"}
    assert data[0]["verification"]["status"] == "confirmed" and data[0]["verification"]["cached"] is True


def test_cli_verify_options_parse() -> None:
    from tfshape_lint.cli import build_parser

    args = build_parser().parse_args(["check", "--verify", "--no-cache", "--verify-device", "gpu",
                                      "--verify-timeout", "2.5", "x.py"])
    assert args.verify and args.no_cache and args.verify_device == "gpu" and args.verify_timeout == 2.5
    args = build_parser().parse_args(["check", "x.py"])
    assert not args.verify and args.verify_device == "auto" and not args.no_cache


def test_cli_verify_without_tensorflow_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from tfshape_lint import cli
    from tfshape_lint.verify import frontend

    monkeypatch.setattr(frontend, "tensorflow_available", lambda: False)
    path = tmp_path / "l1.py"
    path.write_text(L1, encoding="utf-8")
    assert cli.main(["check", "--verify", str(path)]) == 2
    assert "install tfshape-lint[verify]" in capsys.readouterr().err


@pytest.mark.tf
def test_linter_process_never_imports_tensorflow(tmp_path: Path) -> None:
    script = textwrap.dedent(f'''
        import sys
        from tfshape_lint.engine import lint_source
        from tfshape_lint.verify import verify_findings
        src = {L1!r}
        found = lint_source(src, "l1.py")
        assert found
        out = verify_findings(found, {{"l1.py": src}}, timeout=60, device="cpu", use_cache=False)
        assert all(f.verification is not None for f in out)
        print("tensorflow" in sys.modules)
        ''')
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", result.stdout + result.stderr


def test_findings_without_recipe_or_source_are_inconclusive() -> None:
    source = "import tensorflow as tf\n"
    finding = Finding("x.py", 1, 0, 1, 5, "TFS999", "nothing", "m", Severity.WARNING)
    out = verify_findings([finding, replace(finding, code="TFS102", path="y.py")], {"x.py": source},
                          timeout=5, device="cpu", use_cache=False)
    assert [f.verification.status for f in out] == [Status.INCONCLUSIVE, Status.INCONCLUSIVE]
    assert "no runtime probe" in out[0].verification.evidence
    assert "source" in out[1].verification.evidence
