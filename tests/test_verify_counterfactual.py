"""Counterfactual verdicts (issue 12): a verdict is about the flagged node, proved by a run of the
loss as written and a run with only that node neutralised; and real files get a verdict.

Every case here was written for this test (no third-party code). All findings of one Keras
flavour go through one ``verify_findings`` call (one worker, TensorFlow imported once).
"""

from __future__ import annotations

import ast
import zlib
from dataclasses import replace

import pytest

from tests.conftest import lint_example, needle_at, source_of
from tfshape_lint.engine import lint_source
from tfshape_lint.finding import Finding, LossRef, Severity
from tfshape_lint.registry import get
from tfshape_lint.verify import Status, tensorflow_available, verify_findings
from tfshape_lint.verify.realfiles import (extra_shapes, infer_layouts, keras2_names, legacy_reduction, package_of,
                                         project_paths)
from tfshape_lint.verdicts import counted, for_format, refuted_summary, split_by_verdict
from tfshape_lint.verify.result import Verification

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")


_src = source_of


def _flag(code: str, source: str, path: str, needle: str, nth: int = 0,
          severity: Severity = Severity.WARNING, part: str = "") -> Finding:
    """A finding of ``code`` on the ``nth`` occurrence of ``needle`` (or on ``part`` of it), with its loss."""
    rule = get(code)
    assert rule is not None
    number, col = needle_at(source, needle, nth)
    start = col + (needle.find(part) if part else 0)
    return Finding(path, number, start, number, start + len(part or needle), code, rule.name, "forced",
                   severity, loss=_loss_at(source, number))


def _case(code: str, source: str, needle: str) -> tuple[str, str, Finding]:
    """(path, source, forced finding of ``code`` on ``needle``), the path named after the source."""
    path = f"case_{zlib.crc32(source.encode()):08x}.py"
    return path, source, _flag(code, source, path, needle)


def _loss_at(source: str, line: int) -> LossRef | None:
    from tfshape_lint.verify.extract import enclosing_loss

    return enclosing_loss(source, line)


SURROGATE = _src('''
    import tensorflow as tf

    def surrogate_loss(y_true, y_pred):
        hard = tf.cast(tf.argmax(y_pred, -1), tf.float32)
        soft = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        return hard + tf.cond(tf.reduce_mean(soft) > 0.0, lambda: soft, lambda: soft)

    def rounded_loss(y_true, y_pred):
        return tf.reduce_mean(tf.square(y_true - tf.round(y_pred)), axis=-1)
    ''')

TWO_LOGS = _src('''
    import tensorflow as tf

    def lse_a(y_true, y_pred):
        return tf.reduce_mean(y_true * tf.math.log(tf.reduce_sum(tf.exp(y_pred), axis=-1, keepdims=True)), axis=-1)

    def lse_b(y_true, y_pred):
        lse = tf.math.log(tf.reduce_sum(tf.exp(y_pred), axis=-1, keepdims=True))
        return tf.reduce_mean(y_true * lse - y_true * tf.math.log(y_pred), axis=-1)
    ''')

SHARE = _src('''
    import tensorflow as tf

    def share_loss(y_true, y_pred):
        err = tf.square(y_true - y_pred)
        return err / tf.reduce_sum(err)

    def flat_loss(y_true, y_pred):
        return tf.reduce_mean(tf.square(y_true - tf.squeeze(y_pred)))

    with tf.GradientTape() as tape:
        value = flat_loss(y, model(x))
    ''')

CLOSURE = _src('''
    import numpy as np
    import tensorflow as tf

    W = np.linspace(0.5, 1.5, 15).reshape(5, 3).astype("float32")

    def make_loss(w):
        def loss(y_true, y_pred):
            return tf.reduce_mean(tf.square(y_true - y_pred) * w, axis=[1, 2])
        return loss

    model.compile(optimizer="adam", loss=make_loss(W))
    ''')

KERAS2 = _src('''
    from keras import backend as K

    def l1_total(y_true, y_pred):
        return K.sum(K.abs(y_true - y_pred))
    ''')

SEGMENTATION = _src('''
    import tensorflow as tf

    def dice_loss(y_true, y_pred):
        inter = tf.reduce_sum(y_true[:, :, :, 1:] * y_pred[:, :, :, 1:], axis=[1, 2, 3])
        union = tf.reduce_sum(y_true[:, :, :, 1:] + y_pred[:, :, :, 1:], axis=[1, 2, 3])
        return 1.0 - 2.0 * inter / union
    ''')

FACTORY = _src('''
    import tensorflow as tf

    def make_focal(gamma=2.0):
        def focal(y_true, y_pred):
            ce = -y_true * tf.math.log(y_pred)
            return tf.reduce_sum(tf.pow(1.0 - y_pred, gamma) * ce, axis=-1)
        return focal
    ''')

LEGACY = _src('''
    import tensorflow as tf

    class TotalError(tf.keras.losses.Loss):
        def __init__(self, scale=1.0, reduction=tf.keras.losses.Reduction.AUTO, name="total_error"):
            super().__init__(reduction=reduction, name=name)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * tf.reduce_sum(tf.square(y_true - y_pred))

    model.compile(optimizer="adam", loss=TotalError(scale=2.0, reduction=tf.keras.losses.Reduction.AUTO))
    ''')


TF1 = _src('''
    import tensorflow as tf

    def tf1_ce(y_true, y_pred):
        return -tf.reduce_sum(y_true * tf.log(y_pred), axis=-1)
    ''')

LOOPED = _src('''
    import tensorflow as tf

    def make_moments(n):
        def moments(y_true, y_pred):
            total = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
            for k in range(2, n + 1):
                total += tf.reduce_mean(y_true ** k, axis=-1) / tf.reduce_mean(y_pred ** k, axis=-1)
            return total
        return moments

    losses = {}
    for i in range(1, 4):
        losses[i] = make_moments(i)
    ''')

DEAD_BRANCH = _src('''
    import tensorflow as tf

    def distance_loss(y_true, y_pred, cosine=True):
        if cosine:
            return 1.0 - tf.reduce_sum(y_true * y_pred, axis=-1)
        return tf.sqrt(tf.reduce_sum(tf.square(y_true - y_pred), axis=-1))
    ''')

FACTORY_FLAG = _src('''
    import tensorflow as tf

    def make_map_loss(normalize=False):
        def loss(y_true, y_pred):
            target, weight = y_true[:, 0], y_true[:, 1]
            y_pred = y_pred[..., 0]
            err = tf.reduce_mean(weight * (target - y_pred) ** 2, axis=[1, 2])
            if normalize:
                err /= tf.reduce_mean(weight * target ** 2, axis=[1, 2])
            return err
        return loss
    ''')

INPUT_WEIGHT = _src('''
    import tensorflow as tf

    def weighted(y_true, y_pred, w):
        return w * tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)

    x = tf.keras.Input(shape=(3,))
    t = tf.keras.Input(shape=(3,))
    sw = tf.keras.Input(shape=(1,))
    model = tf.keras.Model([x, t, sw], x)
    model.add_loss(weighted(t, x, sw))
    ''')

SCALAR_PARAM = _src('''
    import tensorflow as tf

    mse = tf.keras.losses.MeanSquaredError()

    def uncertainty_loss(real, pred, log_sigma):
        mask = tf.cast(tf.not_equal(real, 0), tf.float32)
        loss = mse(real, pred) / tf.exp(log_sigma) + log_sigma
        loss *= mask
        return tf.reduce_sum(loss) / tf.reduce_sum(mask), mask
    ''')

TWO_INDEXES = _src('''
    import tensorflow as tf

    def pair_loss(y_true, y_pred):
        d = tf.reduce_sum(tf.square(y_pred[0] - y_pred[2]), axis=-1)
        return tf.maximum(1.0 - d, 0.0)
    ''')

NEVER_BUILT = _src('''
    import tensorflow as tf

    class Overlap(tf.keras.losses.Loss):
        def __init__(self, alpha, beta):
            super().__init__()
            self.alpha, self.beta = alpha, beta

        def call(self, y_true, y_pred):
            tp = tf.reduce_sum(y_true * y_pred)
            return 1.0 - tp / (self.alpha * tf.reduce_sum(y_pred) + self.beta * tf.reduce_sum(y_true) + 1.0)
    ''')

UNCALLED_FACTORY = _src('''
    import tensorflow as tf

    def make_weighted(image, eps):
        def loss(y_true, y_pred):
            w = 1.0 / (tf.reduce_mean(image, axis=[1, 2], keepdims=True) + eps)
            return tf.reduce_mean(w * tf.math.log(y_pred), axis=[1, 2])
        return loss
    ''')

SHAPE_FACTORY = _src('''
    import tensorflow as tf

    def make_grid_loss(w, h):
        def loss(y_true, y_pred):
            t = tf.reshape(y_true, [-1, w, h])
            return tf.reduce_mean(tf.math.log(y_pred), axis=-1) + tf.reduce_mean(t)
        return loss
    ''')

MATRIX_FACTORY = _src('''
    import tensorflow as tf

    def make_projected_loss(leadfield):
        def loss(y_true, y_pred):
            eeg_pred = tf.matmul(y_pred, leadfield)
            return tf.reduce_sum(tf.square(tf.matmul(y_true, leadfield) - eeg_pred))
        return loss
    ''')

SPLIT_BATCH = _src('''
    import tensorflow as tf

    def pair_loss(y_true, y_pred):
        half = tf.shape(y_pred)[0] // 2
        return -tf.reduce_sum(tf.math.log_sigmoid(y_pred[:half] - y_pred[half + 1:]))
    ''')

METHOD_LOSS = _src('''
    import tensorflow as tf

    class Survival(object):
        def __init__(self, scale=1.0):
            self.scale = scale

        def loss(self, ytrue, ypred):
            return -tf.reduce_mean(ytrue * tf.math.log(ypred) * self.scale, axis=-1)
    ''')

FLAGGED_METHOD = _src('''
    import tensorflow as tf

    class Hazard(object):
        def __init__(self, discrete=False):
            self.discrete = discrete

        def loss(self, ytrue, ypred):
            rate = tf.clip_by_value(ypred, 1e-6, 1.0)
            if self.discrete:
                rate = 1.0 / ypred
            return tf.reduce_mean(tf.square(ytrue - rate), axis=-1)
    ''')


ZERO_BOTH_WAYS = _src('''
    import tensorflow as tf
    from tensorflow.keras import backend as K

    def make_masked(pad):
        def masked(y_true, y_pred):
            keep = tf.reduce_any(K.equal(y_true, pad + 2.0), axis=-1)
            cce = K.categorical_crossentropy(y_pred, y_true)
            return tf.where(keep, cce, tf.zeros_like(cce))
        return masked
    ''')

PADDED_COUNT = _src('''
    import tensorflow as tf

    def make_masked_mse(mask_value):
        def masked_mse(y_true, y_pred):
            mask = tf.cast(tf.not_equal(y_true, mask_value), tf.float32)
            return tf.reduce_sum(tf.square(y_true - y_pred) * mask, axis=-1) / tf.reduce_sum(mask, axis=-1)
        return masked_mse
    ''')

PADDED_BATCH_COUNT = PADDED_COUNT.replace(", axis=-1)", ")")

TRACED_CALL = _src('''
    import tensorflow as tf

    class PairLoss(tf.keras.losses.Loss):
        @tf.function
        def call(self, y_true, y_pred):
            first = y_pred[0]
            return tf.reduce_mean(tf.square(y_true - first), axis=-1)
    ''')

@pytest.fixture(scope="module")
def verdicts() -> dict[str, Verification]:
    """Every case's verdict by name (one verify_findings call)."""
    cases: dict[str, tuple[str, str, Finding]] = {
        "cond_surrogate": ("surrogate.py", SURROGATE, _flag(
            "TFS301", SURROGATE, "surrogate.py", "hard + tf.cond(tf.reduce_mean(soft) > 0.0, lambda: soft, lambda: soft)",
            severity=Severity.ERROR)),
        "round_only_path": ("surrogate.py", SURROGATE, _flag("TFS301", SURROGATE, "surrogate.py", "tf.round(y_pred)",
                                                            severity=Severity.ERROR)),
        "lse_alone": ("two_logs.py", TWO_LOGS, _flag(
            "TFS401", TWO_LOGS, "two_logs.py", "tf.math.log(tf.reduce_sum(tf.exp(y_pred), axis=-1, keepdims=True))")),
        "lse_beside_log": ("two_logs.py", TWO_LOGS, _flag(
            "TFS401", TWO_LOGS, "two_logs.py", "tf.math.log(tf.reduce_sum(tf.exp(y_pred), axis=-1, keepdims=True))",
            nth=1)),
        "real_log": ("two_logs.py", TWO_LOGS, _flag("TFS401", TWO_LOGS, "two_logs.py", "tf.math.log(y_pred)")),
        "share": ("share.py", SHARE, _flag("TFS103", SHARE, "share.py", "err / tf.reduce_sum(err)")),
        "squeezed": ("share.py", SHARE, _flag("TFS103", SHARE, "share.py", "y_true - tf.squeeze(y_pred)")),
        "closure_5x3": ("closure.py", CLOSURE, _flag("TFS106", CLOSURE, "closure.py", "* w, axis", part="w")),
        "keras2": ("keras2.py", KERAS2, _flag("TFS102", KERAS2, "keras2.py", "K.sum(K.abs(y_true - y_pred))")),
        "segmentation": ("seg.py", SEGMENTATION, _flag("TFS401", SEGMENTATION, "seg.py", "2.0 * inter / union")),
        "factory": ("factory.py", FACTORY, _flag("TFS401", FACTORY, "factory.py", "tf.math.log(y_pred)")),
        "tf1_names": ("tf1.py", TF1, _flag("TFS401", TF1, "tf1.py", "tf.log(y_pred)")),
        "loop_bound": ("looped.py", LOOPED, _flag(
            "TFS401", LOOPED, "looped.py",
            "tf.reduce_mean(y_true ** k, axis=-1) / tf.reduce_mean(y_pred ** k, axis=-1)")),
        "factory_flag": ("factory_flag.py", FACTORY_FLAG, _flag(
            "TFS401", FACTORY_FLAG, "factory_flag.py", "err /= tf.reduce_mean(weight * target ** 2, axis=[1, 2])")),
        "dead_branch": ("dead.py", DEAD_BRANCH, _flag(
            "TFS401", DEAD_BRANCH, "dead.py", "tf.sqrt(tf.reduce_sum(tf.square(y_true - y_pred), axis=-1))")),
        "closure_5x3_batch": ("closure.py", CLOSURE, _flag("TFS107", CLOSURE, "closure.py", "* w, axis", part="w",
                                                           severity=Severity.ERROR)),
        "input_weight": ("input_weight.py", INPUT_WEIGHT, _flag(
            "TFS103", INPUT_WEIGHT, "input_weight.py", "w * tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)",
            severity=Severity.ERROR)),
        "second_index": ("two_indexes.py", TWO_INDEXES, _flag("TFS105", TWO_INDEXES, "two_indexes.py", "y_pred[0]",
                                                              severity=Severity.ERROR)),
        "never_built": ("never_built.py", NEVER_BUILT, _flag("TFS108", NEVER_BUILT, "never_built.py",
                                                             "tf.reduce_sum(y_true * y_pred)")),
        "uncalled_factory": ("uncalled.py", UNCALLED_FACTORY, _flag("TFS401", UNCALLED_FACTORY, "uncalled.py",
                                                                    "tf.math.log(y_pred)")),
        "shape_factory": ("shape_factory.py", SHAPE_FACTORY, _flag("TFS401", SHAPE_FACTORY, "shape_factory.py",
                                                                   "tf.math.log(y_pred)")),
        "matrix_factory": _case("TFS102", MATRIX_FACTORY, "tf.reduce_sum(tf.square(tf.matmul(y_true, leadfield) - eeg_pred))"),
        "split_batch": _case("TFS102", SPLIT_BATCH, "tf.reduce_sum(tf.math.log_sigmoid(y_pred[:half] - y_pred[half + 1:]))"),
        "method_loss": _case("TFS401", METHOD_LOSS, "tf.math.log(ypred)"),
        "flagged_method": _case("TFS401", FLAGGED_METHOD, "1.0 / ypred"),
        "zero_both_ways": ("zero.py", ZERO_BOTH_WAYS, _flag("TFS503", ZERO_BOTH_WAYS, "zero.py",
                                                            "K.categorical_crossentropy(y_pred, y_true)",
                                                            severity=Severity.ERROR)),
        "padded_count": ("padded.py", PADDED_COUNT, _flag(
            "TFS401", PADDED_COUNT, "padded.py",
            "tf.reduce_sum(tf.square(y_true - y_pred) * mask, axis=-1) / tf.reduce_sum(mask, axis=-1)")),
        "padded_batch_count": ("padded_batch.py", PADDED_BATCH_COUNT, _flag(
            "TFS401", PADDED_BATCH_COUNT, "padded_batch.py",
            "tf.reduce_sum(tf.square(y_true - y_pred) * mask) / tf.reduce_sum(mask)")),
        "traced_call": ("traced.py", TRACED_CALL, _flag("TFS105", TRACED_CALL, "traced.py", "y_pred[0]",
                                                         severity=Severity.ERROR)),
    }
    legacy = [f for f in lint_example(LEGACY) if f.code in ("TFS102", "TFS108")]
    assert legacy, "the rules no longer flag the legacy-constructor example"
    scalar = [f for f in lint_example(SCALAR_PARAM) if f.code == "TFS111"]
    assert scalar, "TFS111 no longer flags the scalar-parameter example"
    sources = {path: text for path, text, _ in cases.values()} | {"legacy.py": LEGACY, "scalar_param.py": SCALAR_PARAM}
    findings = [f for _, _, f in cases.values()] + [replace(legacy[0], path="legacy.py"),
                                                    replace(scalar[0], path="scalar_param.py")]
    out = verify_findings(findings, sources, timeout=60, device="cpu", use_cache=False)
    names = list(cases) + ["legacy", "scalar_param"]
    return {name: f.verification for name, f in zip(names, out)}


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize("name", ["cond_surrogate", "share", "closure_5x3", "closure_5x3_batch"])
def test_lookalikes_of_the_review_are_refuted(name: str, verdicts: dict[str, Verification]) -> None:
    assert verdicts[name].status is Status.REFUTED, verdicts[name]


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize("name", ["round_only_path", "real_log", "squeezed"])
def test_real_bugs_are_confirmed_with_both_runs(name: str, verdicts: dict[str, Verification]) -> None:
    verdict = verdicts[name]
    assert verdict.status is Status.CONFIRMED, verdict
    assert verdict.evidence.startswith("as written: ") and "; with " in verdict.evidence


@needs_tf
@pytest.mark.tf
def test_identical_expressions_get_identical_verdicts(verdicts: dict[str, Verification]) -> None:
    # log(sum(exp(y_pred))) exponentiates its input, so the probe also feeds it scores: at -100
    # every exp underflows to 0 and the log is -inf. The same verdict in both losses, decided
    # on the flagged node (the real log(y_pred) beside the second one plays no part)
    alone, beside = verdicts["lse_alone"], verdicts["lse_beside_log"]
    assert alone.status is beside.status is Status.CONFIRMED, (alone, beside)
    for verdict in (alone, beside):
        assert "-100" in verdict.evidence and "the flagged op" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize("name", ["keras2", "segmentation", "factory", "legacy"])
def test_real_file_shapes_get_a_verdict(name: str, verdicts: dict[str, Verification]) -> None:
    verdict = verdicts[name]
    assert verdict.status is not Status.INCONCLUSIVE, verdict


@needs_tf
@pytest.mark.tf
def test_keras2_file_runs_under_tf_keras_and_says_so(verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["keras2"]
    assert verdict.status is Status.CONFIRMED, verdict
    assert verdict.keras.startswith("tf_keras") and "Keras 2 code" in verdict.evidence and "K.sum" in verdict.evidence


@needs_tf
@pytest.mark.tf
def test_evidence_is_in_words(verdicts: dict[str, Verification]) -> None:
    for verdict in verdicts.values():
        assert "IAE" not in verdict.evidence and "I0000" not in verdict.evidence


# -- static pieces: no TensorFlow needed ---------------------------------------------------------------
def test_keras2_names_and_legacy_reduction() -> None:
    assert keras2_names(ast.parse(KERAS2)) == ["abs", "sum"]
    assert keras2_names(ast.parse("from tensorflow.keras import backend as K\nK.sum(x)\n")) == []
    assert keras2_names(ast.parse("import keras.backend as K\nK.epsilon()\n")) == []
    assert legacy_reduction(ast.parse(LEGACY))
    assert not legacy_reduction(ast.parse(KERAS2))
    # a legacy default the constructor never reads reaches no Loss: Keras 3 builds the class
    unread = _src('''
        class MAE(keras.losses.Loss):
            def __init__(self, reduction=tf.keras.losses.Reduction.AUTO, name="mae"):
                super().__init__(reduction=None, name=name)
        ''')
    assert not legacy_reduction(ast.parse(unread))
    assert legacy_reduction(ast.parse(unread.replace("reduction=None", "reduction=reduction")))


def test_layouts_follow_the_loss_body() -> None:
    seg = infer_layouts(ast.parse(SEGMENTATION), "dice_loss")
    assert seg and len(seg[0]["pred"]) == 3 and seg[0]["pred"][-1] >= 2
    closure = infer_layouts(ast.parse(CLOSURE), "make_loss.loss")
    assert any(layout["pred"] == [5, 3] for layout in closure)
    assert infer_layouts(ast.parse(KERAS2), "l1_total") == []
    reshaped = infer_layouts(ast.parse("import tensorflow as tf\ndef loss(y_true, y_pred):\n"
                                       "    p = tf.reshape(y_pred, [-1, 7, 7, 2])\n    return tf.reduce_mean(p)\n"),
                             "loss")
    assert reshaped[0]["pred"] == [7, 7, 2]


def test_project_paths_find_the_root(tmp_path: pytest.TempPathFactory) -> None:
    root = tmp_path  # type: ignore[assignment]
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # type: ignore[operator]
    pkg = root / "src" / "pkg"  # type: ignore[operator]
    pkg.mkdir(parents=True)
    found = project_paths(str(pkg / "losses.py"))
    assert found == [str(pkg.resolve()), str(root.resolve())]  # type: ignore[attr-defined]


def _verified(status: str) -> Finding:
    return Finding("a.py", 1, 0, 1, 1, "TFS102", "batch-axis-reduction", "m", Severity.WARNING,
                   verification=Verification(Status(status), "e"))


def test_refuted_findings_leave_text_and_exit_status() -> None:
    findings = [_verified("confirmed"), _verified("refuted"), _verified("inconclusive")]
    kept, refuted = split_by_verdict(findings)
    assert [f.verification.status.value for f in kept] == ["confirmed", "inconclusive"] and len(refuted) == 1
    shown, summary = for_format(findings, "text", show_refuted=False)
    assert shown == kept and summary.startswith("1 finding refuted by --verify and not shown")
    shown, summary = for_format(findings, "text", show_refuted=True)
    assert shown == findings and "(listed, not counted" in summary
    assert for_format(findings, "json", show_refuted=False) == (findings, "")
    assert counted(findings) and not counted([_verified("refuted")])
    assert refuted_summary([], listed=False) == ""


def test_cli_hides_refuted_and_exits_clean(tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    import tfshape_lint.verify as verify
    from tests.conftest import run_cli
    from tfshape_lint.verify import frontend

    path = tmp_path / "l1.py"  # type: ignore[operator]
    path.write_text("import tensorflow.keras.backend as K\n\ndef l1_loss(y_true, y_pred):\n"
                    "    return K.sum(K.abs(y_true - y_pred))\n")
    monkeypatch.setattr(frontend, "tensorflow_available", lambda: True)
    monkeypatch.setattr(verify, "verify_findings",
                        lambda fs, *a, **k: [replace(f, verification=Verification(Status.REFUTED, "no")) for f in fs])
    code, out, err = run_cli(["check", "--verify", str(path)])
    assert code == 0 and "TFS102" not in out and "refuted by --verify" in err
    code, out, err = run_cli(["check", "--verify", "--show-refuted", str(path)])
    assert code == 0 and "TFS102" in out and "[refuted: no]" in out
    code, out, _ = run_cli(["check", "--verify", "--format", "json", str(path)])
    assert code == 0 and '"refuted"' in out


@needs_tf
@pytest.mark.tf
def test_tf1_names_run_through_compat_v1(verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["tf1_names"]
    assert verdict.status is Status.CONFIRMED and "tf.compat.v1: tf.log" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_factory_argument_bound_from_the_calling_loop(verdicts: dict[str, Verification]) -> None:
    # n = 3 (the loop's last value), so the flagged division inside `for k in range(2, n + 1)` runs
    verdict = verdicts["loop_bound"]
    assert verdict.status is Status.CONFIRMED, verdict


@needs_tf
@pytest.mark.tf
def test_an_op_in_a_branch_the_defaults_skip_runs_with_the_flag_flipped(verdicts: dict[str, Verification]) -> None:
    # the sqrt sits under `cosine=False`: never refuted on the defaults, confirmed with the flag flipped
    verdict = verdicts["dead_branch"]
    assert verdict.status is Status.CONFIRMED and "cosine=False" in verdict.evidence, verdict


def test_labels_stacking_a_target_and_weight_map_on_axis_1_get_that_layout() -> None:
    # `target, weight = y_true[:, 0], y_true[:, 1]` against one channel of an image prediction
    layouts = infer_layouts(ast.parse(FACTORY_FLAG), "make_map_loss.loss")
    assert layouts[-1]["true"][0] == 2 and layouts[-1]["pred"][-1] == 1, layouts
    assert len(layouts[-1]["true"]) == len(layouts[-1]["pred"]) == 3, layouts


@needs_tf
@pytest.mark.tf
def test_a_flag_of_a_factory_never_called_is_flipped_to_reach_the_flagged_op(
        verdicts: dict[str, Verification]) -> None:
    # the division sits under the factory's `normalize=False`: run with it flipped
    verdict = verdicts["factory_flag"]
    assert verdict.status is Status.CONFIRMED and "normalize=True" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_removed_name_imported_inside_the_loss_is_confirmed() -> None:
    source = _src('''
        def disc_loss(y_true, y_pred):
            import keras.backend as K
            return -K.mean(y_true * y_pred)
        ''')
    finding = _flag("TFS501", source, "local.py", "K.mean")
    out = verify_findings([finding], {"local.py": source}, timeout=60, device="cpu", use_cache=False)
    verdict = out[0].verification
    assert verdict.status is Status.CONFIRMED and "has no attribute 'mean'" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_extra_parameter_shaped_like_its_input_at_the_call_site(verdicts: dict[str, Verification]) -> None:
    # `sw` is Input(shape=(1,)): (B, 1) times the (B,) loss is a (B, B) matrix
    verdict = verdicts["input_weight"]
    assert verdict.status is Status.CONFIRMED and "(4, 1)" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_parameter_never_passed_is_also_tried_as_a_scalar(verdicts: dict[str, Verification]) -> None:
    # (B,) weights for log_sigma fail against the (B, 3) mask; a scalar log_sigma shows the bug
    # it also returns (loss, mask), as a custom-loop helper does: the first element is the loss
    verdict = verdicts["scalar_param"]
    assert verdict.status is Status.CONFIRMED and "scalar 0.5" in verdict.evidence, verdict
    assert "first element" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_batch_of_one_error_of_another_index_is_not_the_flagged_ones(verdicts: dict[str, Verification]) -> None:
    # y_pred[2] fails at batch 1 in the variant too; the flagged y_pred[0] is judged on reordering,
    # and y_pred[0], y_pred[2] are peers of a loss the file never hands to Keras: with y_pred a
    # stack of batches (a custom loop's list) it is a correct loss, so no verdict either way
    verdict = verdicts["second_index"]
    assert verdict.status is Status.INCONCLUSIVE, verdict
    assert "batch of 1" not in verdict.evidence and "as peers" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_never_instantiated_loss_runs_with_neutral_numbers(verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["never_built"]
    assert verdict.status is not Status.INCONCLUSIVE, verdict


def test_slice_bounds_resolve_through_defaults() -> None:
    source = _src('''
        def triple(y_true, y_pred, size=4):
            end = int(size * 2)
            return y_pred[:, :size] - y_pred[:, size:end] + y_pred[:, end:]
        ''')
    assert infer_layouts(ast.parse(source), "triple")[0]["pred"] == [9]


def test_extra_shapes_come_from_inputs_at_the_call_site() -> None:
    assert extra_shapes(ast.parse(INPUT_WEIGHT), "weighted") == [[1]]
    assert extra_shapes(ast.parse(SCALAR_PARAM), "uncertainty_loss") == []
    assert extra_shapes(ast.parse(INPUT_WEIGHT), "make.weighted") == []


@needs_tf
@pytest.mark.tf
def test_never_called_factory_binds_its_parameters_by_use(verdicts: dict[str, Verification]) -> None:
    # `image` is reduced over axes (a tensor: the labels' own), `eps` only added (0.5); said in the evidence
    verdict = verdicts["uncalled_factory"]
    assert verdict.status is Status.CONFIRMED and "`image` = y_true, `eps` = 0.5" in verdict.evidence, verdict
    # a parameter that is a dimension (`reshape(y, [-1, w, h])`) gets the probe's spatial size, said
    # in the evidence (a whole shape stays unguessed: tests/test_verify_realinputs.py)
    verdict = verdicts["shape_factory"]
    assert verdict.status is Status.CONFIRMED and "`w` = 5 (a size" in verdict.evidence, verdict


#: losses that run only as the file shows them: (case, what the evidence must say, why)
RUN_AS_SHOWN = [
    ("matrix_factory", "`leadfield` = the identity matrix",
     "a never-called factory's matmul operand is the identity as wide as the outputs (a number raises)"),
    ("method_loss", "",
     "`Survival().loss` of a plain class: built as the file builds one (defaults here)"),
    ("flagged_method", "with discrete=True",
     "the flagged op sits in a branch the constructor's flag selects: run again with it flipped"),
    ("split_batch", "batches of 2 and 8 raise",
     "halves that differ by one sample on even batch sizes: 2 and 8 raise, 3 and 9 run"),
]


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize("case,needle,why", RUN_AS_SHOWN, ids=[c for c, _, _ in RUN_AS_SHOWN])
def test_a_loss_is_run_as_the_file_shows_it(case: str, needle: str, why: str,
                                              verdicts: dict[str, Verification]) -> None:
    verdict = verdicts[case]
    assert verdict.status is Status.CONFIRMED and needle in verdict.evidence, f"{why}: {verdict}"


@needs_tf
@pytest.mark.tf
def test_a_loss_that_is_zero_both_ways_is_no_evidence_of_symmetry(verdicts: dict[str, Verification]) -> None:
    # the neutral binding of `pad` masks every sample out: 0 either way says nothing about the order
    verdict = verdicts["zero_both_ways"]
    assert verdict.status is Status.INCONCLUSIVE and "0 either way" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_a_label_count_is_probed_with_one_all_padding_sample(verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["padded_count"]
    # `mask_value` is bound to the neutral 0.5 (the factory is never called): a sample whose labels
    # all equal it makes its per-sample count 0
    assert verdict.status is Status.CONFIRMED and "y_true of sample 0 all 0.5 (padding)" in verdict.evidence, verdict
    # the same count over the whole batch is 0 only for a batch of nothing but padding, which a data
    # pipeline never yields: no symptom
    verdict = verdicts["padded_batch_count"]
    assert verdict.status is Status.REFUTED, verdict


@needs_tf
@pytest.mark.tf
def test_a_tf_function_call_is_run_with_its_taps_readable(verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["traced_call"]
    assert verdict.status is Status.CONFIRMED, verdict
    assert "symbolic" not in verdict.evidence, verdict


TWO_LENS = _src('''
    import tensorflow as tf

    def ranked_loss(y_true, y_pred):
        half = len(y_pred) // 2
        rest = len(y_pred) - half
        return -tf.reduce_mean(tf.math.log_sigmoid(y_pred[:half] - y_pred[rest:]), axis=-1)
    ''')


@needs_tf
@pytest.mark.tf
def test_two_findings_of_one_code_in_a_loss_are_each_proved_with_the_other_neutralised() -> None:
    # neutralising one len() leaves the other's TypeError: the second run fixes the sibling in
    # both programs, so the pair differs in this finding's node alone
    findings = [f for f in lint_example(TWO_LENS) if f.code == "TFS110"]
    assert len(findings) == 2, findings
    out = verify_findings([replace(f, path="two_lens.py") for f in findings], {"two_lens.py": TWO_LENS},
                          timeout=60, device="cpu", use_cache=False)
    for finding in out:
        verdict = finding.verification
        assert verdict is not None and verdict.status is Status.CONFIRMED, verdict
        assert "other TFS110 finding(s) in this loss neutralised" in verdict.evidence, verdict


PEER_SUM = '''
import tensorflow as tf

def triplet(y_true, y_pred, alpha=0.2):
    pos = tf.reduce_sum(tf.square(y_pred[0] - y_pred[1]), axis=-1)
    neg = tf.reduce_sum(tf.square(y_pred[0] - y_pred[2]), axis=-1)
    return tf.reduce_sum(tf.maximum(pos - neg + alpha, 0.0))
'''


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize("compiled, expected", [(False, Status.CONFIRMED), (True, Status.REFUTED)])
def test_batch_sum_over_peers_follows_who_calls_the_loss(compiled: bool, expected: Status) -> None:
    # y_pred[0..2] are peers: in a loss the file never hands to Keras, y_pred may be a stack of
    # three batches, and then the last reduce_sum sums over the batch (x4 from batch 2 to 8);
    # compiled, Keras passes one (B, D) tensor, the loss reads samples 0-2 and nothing scales
    source = PEER_SUM + ("model.compile(optimizer='adam', loss=triplet)\n" if compiled else "")
    finding = next(f for f in lint_source(source, "peers.py") if f.code == "TFS102")
    out = verify_findings([finding], {"peers.py": source}, timeout=60, device="cpu", use_cache=False)
    verdict = out[0].verification
    assert verdict.status is expected, verdict
    assert ("a stack of 3 batches" in verdict.evidence) is (not compiled), verdict


def test_package_of_names_the_files_own_package(tmp_path: pytest.TempPathFactory) -> None:
    root = tmp_path  # type: ignore[assignment]
    pkg = root / "proj" / "losses"  # type: ignore[operator]
    pkg.mkdir(parents=True)
    (root / "proj" / "__init__.py").write_text("")  # type: ignore[operator]
    (pkg / "__init__.py").write_text("")
    assert package_of(str(pkg / "focal.py")) == "proj.losses"
    assert str(root.resolve()) in project_paths(str(pkg / "focal.py"))  # type: ignore[attr-defined]
    assert package_of(str(root / "script.py")) == ""  # type: ignore[operator]


@needs_tf
@pytest.mark.tf
def test_relative_import_of_the_projects_own_module_resolves(tmp_path: pytest.TempPathFactory) -> None:
    # `from .base import SCALE` runs only as a module of its package: the probe program does
    pkg = tmp_path / "proj"  # type: ignore[operator]
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text("SCALE = 2.0\n")
    source = _src('''
        import tensorflow as tf
        from .base import SCALE


        def summed_loss(y_true, y_pred):
            return tf.reduce_sum(tf.square(y_true - y_pred)) * SCALE


        def build(model):
            model.compile(optimizer="adam", loss=summed_loss)
        ''')
    path = str(pkg / "summed.py")
    (pkg / "summed.py").write_text(source)
    findings = [f for f in lint_source(source, path) if f.code == "TFS102"]
    assert findings, "the batch sum is no longer flagged"
    out = verify_findings(findings, {path: source}, timeout=60, device="cpu", use_cache=False)
    verdict = out[0].verification
    assert "relative import" not in verdict.evidence and verdict.status is Status.CONFIRMED, verdict


SHARE_ON_ONE_LINE = _src('''
    import numpy as np
    import tensorflow as tf


    class ShareLoss(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            share = np.sum(y_true, axis=0) / y_true.shape[0]
            return tf.reduce_mean(tf.square(y_true - y_pred) * share, axis=-1)
    ''')


@needs_tf
@pytest.mark.tf
def test_a_finding_behind_another_rules_failure_is_shown_with_that_one_fixed_in_both_runs() -> None:
    # np.sum fails when fit traces the loss before the static batch size can: TFS110 alone is
    # inconclusive; with the np.sum fixed in both runs its own symptom shows and goes
    findings = [f for f in lint_source(SHARE_ON_ONE_LINE, "share_line.py") if f.code in ("TFS110", "TFS302")]
    assert sorted(f.code for f in findings) == ["TFS110", "TFS302"], findings
    out = verify_findings(findings, {"share_line.py": SHARE_ON_ONE_LINE}, timeout=60, device="cpu", use_cache=False)
    verdict = next(f.verification for f in out if f.code == "TFS110")
    assert verdict is not None and verdict.status is Status.CONFIRMED, verdict
    assert "the other finding(s) in this loss neutralised: line 7: numpy calls replaced" in verdict.evidence, verdict
