"""Inputs and variants the verifier takes from the loss itself (issue 12, fourth held-out round).

Each case is a pattern that left a held-out finding inconclusive or wrongly decided, written
anew for this test (no third-party code):

- labels that pack several columns against a one-column prediction (``y_true[:, 2]``);
- ``reshape(y_pred, [-1, k + 1])`` with ``k`` a factory default, and ``self.m[0]`` from
  ``__init__``'s defaults, size the per-sample layout;
- ``tf.image.ssim_multiscale`` gets images of at least 161 pixels per side;
- a never-called factory's slice-bound parameter is an int, its iterated/counted one a list;
  a never-instantiated Loss class's list parameter (iterated through ``self``) a list too;
- a Loss whose ``call`` unpacks ``y_pred`` gets a tuple;
- TFS401 on ``log(sum(exp(score)))`` is tried with scores of -100 (exp underflows);
- a TFS106 broadcast that is silent on the layout the loss implies is not confirmed by a shape
  error on a made-up layout;
- TFS202 in Keras 2 code run under tf_keras keeps its Keras 3 claim (float32 labels);
- a ``tf.log`` reached through a function-local ``import tensorflow as tf``;
- TFS108 on ``tf.norm`` without an axis has a per-sample variant;
- a logger imported from a package that is not installed runs as a do-nothing stand-in.
"""

from __future__ import annotations

import ast
import pytest

from tests.conftest import forced_finding, lint_example, source_of, verify_named
from tfshape_lint.finding import Finding
from tfshape_lint.verify import Status, tensorflow_available
from tfshape_lint.verify import variants
from tfshape_lint.verify.extract import (called_for_effect_only, constructor_bindings, decorates_only, extract,
                                          name_sites,
                                          param_bindings)
from tfshape_lint.verify.realfiles import infer_layouts, keras2_modules, unpacked_inputs
from tfshape_lint.verify.result import Verification

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

COLUMNS = source_of('''
    import tensorflow as tf

    def hit_loss(target_data, size_prediction):
        ret = target_data[:, 0]
        vol = target_data[:, 1]
        side = target_data[:, 2]
        return -tf.reduce_mean(size_prediction * tf.reshape(ret * side / vol, (-1, 1)))
    ''')

RESHAPED = source_of('''
    import tensorflow as tf

    def ranking_loss(negatives=4):
        def loss(y_true, y_pred):
            scores = tf.reshape(y_pred, [-1, negatives + 1])
            return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y_true[:, 0], logits=scores))
        return loss
    ''')

FRAMES = source_of('''
    import tensorflow as tf

    class FrameLoss(tf.keras.losses.Loss):
        def __init__(self, sizes=[16, 32], **kwargs):
            super().__init__(**kwargs)
            self.sizes = sizes

        def call(self, y_true, y_pred):
            t = tf.reshape(y_true, [-1, self.sizes[0]])
            p = tf.reshape(y_pred, [-1, self.sizes[0]])
            return tf.norm(t - p, ord=1)
    ''')

MULTISCALE = source_of('''
    import tensorflow as tf

    def msssim_loss(y_true, y_pred):
        return 1.0 - tf.image.ssim_multiscale(y_true, y_pred, max_val=1.0)
    ''')

SLICED = source_of('''
    from tensorflow.keras import backend as K

    def survival_loss(n_intervals):
        def loss(y_true, y_pred):
            alive = 1. + y_true[:, 0:n_intervals] * (y_pred - 1.)
            dead = 1. - y_true[:, n_intervals:2 * n_intervals] * y_pred
            return K.sum(-K.log(K.clip(K.concatenate((alive, dead)), K.epsilon(), None)), axis=-1)
        return loss
    ''')

COUNTED = source_of('''
    import tensorflow as tf

    def balanced_loss(class_counts):
        def loss(y_true, y_pred):
            total = sum(class_counts)
            weights = tf.constant([total / c for c in class_counts], tf.float32)
            return tf.reduce_sum(weights * tf.square(y_true - y_pred)) / len(class_counts)
        return loss
    ''')

QUANTILES = source_of('''
    import keras
    from keras import ops

    class Pinball(keras.losses.Loss):
        def __init__(self, quantiles, **kwargs):
            super().__init__(**kwargs)
            self.quantiles = quantiles

        def call(self, y_true, y_pred):
            error = ops.expand_dims(y_true, -1) - y_pred
            parts = []
            for i, q in enumerate(self.quantiles):
                parts.append(ops.maximum(q * error[..., i], (q - 1) * error[..., i]))
            return ops.mean(ops.stack(parts, axis=-1))
    ''')

UNPACKED = source_of('''
    import tensorflow as tf

    class GaussianKL(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            mean, log_var = y_pred
            kl = -0.5 * tf.reduce_sum(1.0 + log_var - tf.square(mean) - tf.exp(log_var), axis=-1)
            return tf.reduce_sum(kl)
    ''')

UNPACKED_TRUE = source_of('''
    import tensorflow as tf

    def end_point_error(y_true, y_pred):
        flow, valid = y_true
        magnitude = tf.sqrt(tf.reduce_sum(y_pred ** 2, axis=-1))
        return tf.reduce_mean(tf.abs(y_pred - flow)) + 0.1 * tf.reduce_mean(magnitude)
    ''')

STANDARDISED = source_of('''
    import tensorflow as tf

    class StandardisedSSE(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            z = (y_pred - tf.reduce_mean(y_pred, axis=0)) / tf.math.reduce_std(y_pred, axis=0)
            return tf.reduce_sum(tf.square(y_true - z))
    ''')

BOOL_COUNT = source_of('''
    import tensorflow as tf
    from tensorflow.keras import backend as K

    def hit_count(y_true, y_pred):
        return -K.sum(K.round(y_pred) == y_true)
    ''')

KTF_MODULE = source_of('''
    import tensorflow as tf
    import keras.backend.tensorflow_backend as KTF

    def relative_l1(y_true, y_pred):
        return tf.reduce_sum(tf.abs(y_true - y_pred) / (tf.abs(y_true) + KTF.epsilon()))
    ''')

RUNTIME_FACTORY = source_of('''
    import tensorflow as tf

    def make_loss(weights):
        def loss(y_true, y_pred):
            return tf.reduce_sum(tf.square(y_true - y_pred) * weights)
        return loss

    model.compile(optimizer="adam", loss=make_loss(class_weights_from_data))
    ''')

LOG_RATIO = source_of('''
    import tensorflow as tf

    def log_ratio(y_true, y_pred):
        hits = tf.reduce_sum(y_true * y_pred, axis=-1)
        return -tf.math.log(hits / tf.reduce_sum(y_pred, axis=-1))
    ''')

CTC_SUM = source_of('''
    import tensorflow as tf

    class CTCLoss(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            batch = tf.shape(y_pred)[0]
            frames = tf.fill([batch], tf.shape(y_pred)[1])
            lengths = tf.fill([batch], tf.shape(y_true)[1])
            loss = tf.nn.ctc_loss(tf.cast(y_true, tf.int32), tf.math.log(y_pred), lengths, frames,
                                  logits_time_major=False, blank_index=0)
            return tf.reduce_mean(loss)
    ''')

COX = source_of('''
    import tensorflow as tf

    def cox_loss(y_true, y_pred):
        time = y_true[:, 0]
        event = y_true[:, 1]
        score = tf.squeeze(y_pred, axis=1)
        at_risk = tf.cast(time[None, :] >= time[:, None], tf.float32)
        log_risk = tf.math.log(tf.reduce_sum(at_risk * tf.exp(score)[None, :], axis=-1))
        return -tf.reduce_mean((score - log_risk) * event)
    ''')

DEAD_BROADCAST = source_of('''
    import tensorflow as tf

    def signed_loss(target_data, size_prediction):
        ret = target_data[:, 0]
        side = target_data[:, 2]
        scaled = size_prediction * ret
        hits = tf.reduce_mean(scaled)
        hits = tf.reduce_mean(size_prediction * tf.reshape(side, (-1, 1)))
        return -hits
    ''')

KERAS2_INDEX = source_of('''
    import tensorflow as tf
    import keras.backend as K

    def softmax_rank_loss(k=3):
        def loss(y_true, y_pred):
            scores = K.reshape(y_pred, [-1, k + 1])
            labels = y_true[:K.shape(scores)[0]]
            return K.mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels[:, 0], logits=scores))
        return loss
    ''')

LOCAL_TF1 = source_of('''
    def make_focal(gamma=2.0):
        def focal(y_true, y_pred):
            import tensorflow as tf
            p = tf.clip_by_value(y_pred, 1e-7, 1.0)
            terms = -y_true * (1.0 - p) ** gamma * tf.log(p)
            return tf.reduce_sum(terms)
        return focal
    ''')


LOGGED = source_of('''
    import tensorflow as tf
    from some_missing_logging_package import logger

    class MarginLoss(tf.keras.losses.Loss):
        def __init__(self, margin=1.0, **kwargs):
            super().__init__(**kwargs)
            self.margin = margin
            logger.debug(f"margin={margin}")

        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.maximum(0.0, self.margin - y_true * y_pred))
    ''')

#: a loss that runs inside a device scope of the project's own (missing) utilities module
SCOPED = source_of('''
    import tensorflow as tf
    from some_missing_project_package import utils

    class SumLoss(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            with utils.device:
                return tf.reduce_sum(tf.square(y_true - y_pred))
    ''')

#: two hazards on one line: ``1 / (1 - p)`` at p = 1 and the outer ``pow(x, 0.05)`` at x = 0
#: (p = 0); predictions of 0s and 1s trigger both, so guarding the division alone leaves NaN there
TWO_HAZARDS = source_of('''
    import tensorflow as tf

    def weibull_shape_loss(y_true, y_pred):
        shape = tf.pow(tf.pow(1.0 / (1.0 - y_pred), 0.9) - 1.0, 0.05)
        return tf.reduce_mean(tf.abs(shape - y_true), axis=-1)
    ''')

#: the flagged node sits in the branch for channels_first images (Faster R-CNN's losses)
CHANNELS_FIRST = source_of('''
    import tensorflow as tf
    from tensorflow.keras import backend as K

    def smooth_l1(y_true, y_pred):
        x = y_true - y_pred
        if K.image_data_format() == 'channels_first':
            near = tf.less_equal(tf.abs(x), 1.0)
            return tf.reduce_mean(x * x * near, axis=-1)
        near = tf.cast(tf.less_equal(tf.abs(x), 1.0), x.dtype)
        return tf.reduce_mean(x * x * near, axis=-1)
    ''')

#: a loss whose settings are keyword-only parameters without default (what a LossFunctionWrapper
#: subclass passes): Keras's two arguments leave them unbound
KEYWORD_ONLY = source_of('''
    import tensorflow as tf

    def asymmetric(y_true, y_pred, *, theta, alpha):
        err = y_pred - y_true
        return tf.reduce_sum(tf.where(err < 0, alpha * tf.abs(err), theta * tf.square(err)))
    ''')

#: a module-level setting computed from data the file loads, then rebound to a literal: only the
#: last assignment reaches the loss, so the data it first needed is not
REBOUND = source_of('''
    import numpy as np
    import tensorflow as tf

    total = np.prod(Y_train.shape)
    total = 1000.0 + 3000.0
    weight = total / 2000.0

    def weighted(y_true, y_pred):
        return weight * tf.reduce_sum(tf.square(y_true - y_pred))
    ''')

#: a division whose infinities only feed a comparison, next to another source of inf (atanh at 1)
#: that no rule reports: guarding the division leaves the loss non-finite
COMPARED_ONLY = source_of('''
    import tensorflow as tf

    def loss(y_true, y_pred):
        ratio = 1.0 / y_pred
        big = tf.cast(ratio > 2.0, tf.float32)
        return tf.reduce_mean(tf.math.atanh(y_pred) + 0.1 * big + tf.square(y_true - y_pred), axis=-1)
    ''')

#: a type checker from a package that is not installed, used only as a decorator (TensorFlow
#: Addons' losses put typeguard's ``@typechecked`` on every constructor)
DECORATED = source_of('''
    import tensorflow as tf
    from some_missing_typecheck_package import typechecked

    class SquaredSum(tf.keras.losses.Loss):
        @typechecked
        def __init__(self, name: str = "squared_sum"):
            super().__init__(name=name)

        def call(self, y_true, y_pred):
            return tf.reduce_sum(tf.square(y_true - y_pred))
    ''')


EXACT_LABELS = source_of('''
    import tensorflow as tf

    def focal_sum(y_true, y_pred, gamma=2.0):
        p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
        pt_1 = tf.where(tf.equal(y_true, 1.0), p, tf.ones_like(p))
        pt_0 = tf.where(tf.equal(y_true, 0.0), p, tf.zeros_like(p))
        return -tf.reduce_sum(0.25 * (1.0 - pt_1) ** gamma * tf.math.log(pt_1)) \\
            - tf.reduce_sum(0.75 * pt_0 ** gamma * tf.math.log(1.0 - pt_0))
    ''')


def _defs(source: str) -> dict[str, ast.FunctionDef | ast.ClassDef]:
    return {n.name: n for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def test_labels_that_pack_columns_meet_a_one_column_prediction() -> None:
    layouts = infer_layouts(ast.parse(COLUMNS), "hit_loss")
    assert layouts[0] == {"true": [3], "pred": [1], "labels": "float", "activation": "sigmoid"}, layouts


def test_reshape_targets_take_factory_defaults_and_self_attributes() -> None:
    ranked = infer_layouts(ast.parse(RESHAPED), "ranking_loss.loss")
    assert {"true": [5], "pred": [5], "labels": "float", "activation": "sigmoid"} in ranked, ranked
    framed = infer_layouts(ast.parse(FRAMES), "FrameLoss.call")
    assert framed and framed[0]["pred"] == [16], framed


def test_ssim_gets_colour_images_of_the_filter_size() -> None:
    source = "import tensorflow as tf\n\ndef ssim_loss(y_true, y_pred):\n    return 1.0 - tf.image.ssim(y_true, y_pred, 1.0)\n"
    layouts = infer_layouts(ast.parse(source), "ssim_loss")
    assert layouts and layouts[0]["true"] == [11, 11, 3], layouts  # three channels: cheap at 11x11


def test_multiscale_ssim_gets_images_wide_enough_for_five_scales() -> None:
    layouts = infer_layouts(ast.parse(MULTISCALE), "msssim_loss")
    assert layouts and layouts[0]["pred"][:2] == [161, 161], layouts


def test_slice_bounds_and_walked_lists_are_bound_as_counts_and_lists() -> None:
    sliced = _defs(SLICED)["survival_loss"]
    assert isinstance(sliced, ast.FunctionDef)
    bound = param_bindings(sliced, ["n_intervals"])
    assert bound is not None and bound["n_intervals"].kind == "count", bound
    counted = _defs(COUNTED)["balanced_loss"]
    assert isinstance(counted, ast.FunctionDef)
    listed = param_bindings(counted, ["class_counts"])
    assert listed is not None and listed["class_counts"].kind == "sequence", listed
    assert ast.unparse(listed["class_counts"].expr()).startswith("[1.0] * int(")


def test_a_parameter_one_off_in_a_size_call_is_a_size() -> None:
    # ``tf.ones(num_classes - 1)`` (CORAL's per-threshold importance): a dimension, not the
    # neutral 0.5, which raised "Cannot convert -0.5 to EagerTensor of dtype int32"
    fn = ast.parse("import tensorflow as tf\ndef build(num_classes):\n"
                   "    importance = tf.ones(num_classes - 1, dtype=tf.float32)\n    return importance\n").body[1]
    assert isinstance(fn, ast.FunctionDef)
    bound = param_bindings(fn, ["num_classes"])
    assert bound is not None and bound["num_classes"].kind == "size", bound


def test_packed_halves_of_the_labels_get_a_layout_twice_as_wide() -> None:
    # Faster R-CNN's region-proposal loss: weights y_true[..., :4k] and targets y_true[..., 4k:]
    source = ("import tensorflow as tf\ndef rpn_regr(num_anchors):\n    def loss(y_true, y_pred):\n"
              "        x = y_true[:, :, :, 4 * num_anchors:] - y_pred\n"
              "        return tf.reduce_sum(y_true[:, :, :, :4 * num_anchors] * tf.abs(x))\n    return loss\n")
    layouts = infer_layouts(ast.parse(source), "rpn_regr.loss")
    assert any(l["true"][-1] == 8 and l["pred"][-1] == 4 and len(l["true"]) == 3 for l in layouts), layouts


def test_a_never_instantiated_loss_class_gets_its_list_parameter() -> None:
    cls = _defs(QUANTILES)["Pinball"]
    assert isinstance(cls, ast.ClassDef)
    bound = constructor_bindings(cls)
    assert set(bound) == {"quantiles"} and bound["quantiles"].kind == "sequence", bound
    assert ast.unparse(bound["quantiles"].constructor_expr()) == "[0.25, 0.5, 0.75]"


def test_a_loss_that_unpacks_its_prediction_takes_a_tuple() -> None:
    assert unpacked_inputs(ast.parse(UNPACKED), "GaussianKL.call") == {"pred": (2, 5)}
    assert unpacked_inputs(ast.parse(COX), "cox_loss") == {}
    assert unpacked_inputs(ast.parse(UNPACKED_TRUE), "end_point_error") == {"true": (2, 4)}


def test_a_ctc_loss_gets_label_sequences_against_frames() -> None:
    layouts = infer_layouts(ast.parse(CTC_SUM), "CTCLoss")
    assert layouts and layouts[0] == {"true": [2], "pred": [8, 5], "labels": "ctc", "activation": "softmax"}, layouts


def test_a_keras2_backend_module_marks_keras2_code() -> None:
    assert keras2_modules(ast.parse(KTF_MODULE)) == ["keras.backend.tensorflow_backend"]
    assert keras2_modules(ast.parse("from keras.engine.topology import Layer\n")) == ["keras.engine.topology"]
    assert keras2_modules(ast.parse("import keras\nfrom keras import backend as K\n")) == []


def test_a_sibling_inside_the_flagged_node_is_neutralised_in_both_runs() -> None:
    # the division inside the flagged log is guarded, so its NaN no longer hides the log's own
    found = [f for f in lint_example(LOG_RATIO) if f.code == "TFS401"]
    log, division = sorted(found, key=lambda f: f.column)
    assert log.loss is not None
    span = (division.line, division.column, division.end_line, division.end_column)
    ctx = variants.Context("TFS401", "error", "y_true", "y_pred")
    program = extract(LOG_RATIO, log.loss, None, False,
                      span=(log.line, log.column, log.end_line, log.end_column), background=[(span, ctx)])
    assert program.background and "denominator" in program.background[0], program.background
    outer = extract(LOG_RATIO, division.loss, None, False,
                    span=span, background=[((log.line, log.column, log.end_line, log.end_column), ctx)])
    assert outer.background == (), outer.background  # the log around the division is left alone


def test_numpy_log10_has_a_tensorflow_variant() -> None:
    # TFS302's counterfactual replaces numpy calls by TensorFlow's: a PSNR loss takes np.log10
    source = ("import numpy as np\nimport tensorflow as tf\n\ndef psnr_loss(y_true, y_pred):\n"
              "    return -10.0 * np.log10(tf.reduce_mean(tf.square(y_pred - y_true), axis=-1))\n")
    finding = _only(source, "TFS302")
    assert finding.loss is not None
    program = extract(source, finding.loss, None, False, variant=variants.Context("TFS302", "error", "y_true", "y_pred"),
                      span=(finding.line, finding.column, finding.end_line, finding.end_column))
    assert "experimental.numpy.log10(" in program.source and "np.log10" not in program.source, program.source


def test_only_names_called_for_their_effect_get_a_stand_in() -> None:
    assert called_for_effect_only(name_sites(ast.parse(LOGGED)), "logger")
    used = ast.parse("from pkg import helper, log\nlog('x')\ndef f(y_true, y_pred):\n    log.info('y')\n"
                     "    return helper(y_true) - y_pred\n")
    assert called_for_effect_only(name_sites(used), "log")
    assert not called_for_effect_only(name_sites(used), "helper")  # its result is part of the loss
    assert called_for_effect_only(name_sites(ast.parse(SCOPED)), "utils")  # `with utils.device:`
    bound = ast.parse("from pkg import timer\ndef f(y_true, y_pred):\n    with timer() as t:\n"
                      "        return t.scale * y_pred\n")
    assert not called_for_effect_only(name_sites(bound), "timer")  # `as t`: its value is used


def test_only_names_used_as_decorators_get_a_decorator_stand_in() -> None:
    assert decorates_only(name_sites(ast.parse(DECORATED)), "typechecked")
    mixed = ast.parse("import gin\nfrom pkg import export\n@gin.configurable\n@export('x')\ndef f(y_true, y_pred):\n"
                      "    return y_pred * gin.query_parameter('w')\n")
    assert decorates_only(name_sites(mixed), "export")
    assert not decorates_only(name_sites(mixed), "gin")  # also read for a value in the loss


def _only(source: str, code: str, line: int | None = None) -> Finding:
    found = [f for f in lint_example(source) if f.code == code and (line is None or f.line == line)]
    assert found, f"{code} no longer flags this example"
    return found[0]



@pytest.fixture(scope="module")
def verdicts() -> dict[str, Verification]:
    cases = {
        "frames": ("frames.py", FRAMES, _only(FRAMES, "TFS108")),
        "quantiles": ("quantiles.py", QUANTILES, _only(QUANTILES, "TFS108")),
        "unpacked": ("unpacked.py", UNPACKED, _only(UNPACKED, "TFS108")),
        "cox": ("cox.py", COX, _only(COX, "TFS401")),
        "ctc": ("ctc.py", CTC_SUM, _only(CTC_SUM, "TFS108")),
        "ktf": ("ktf.py", KTF_MODULE, _only(KTF_MODULE, "TFS102")),
        "runtime_factory": ("runtime_factory.py", RUNTIME_FACTORY, _only(RUNTIME_FACTORY, "TFS102")),
        "bool_count": ("bool_count.py", BOOL_COUNT, _only(BOOL_COUNT, "TFS201")),
        "standardised": ("standardised.py", STANDARDISED, _only(STANDARDISED, "TFS108")),
        "unpacked_true": ("unpacked_true.py", UNPACKED_TRUE, _only(UNPACKED_TRUE, "TFS401")),
        "dead": ("dead.py", DEAD_BROADCAST, forced_finding("TFS106", DEAD_BROADCAST, "size_prediction * ret")),
        "keras2": ("keras2.py", KERAS2_INDEX, _only(KERAS2_INDEX, "TFS202")),
        "local_tf1": ("local_tf1.py", LOCAL_TF1, _only(LOCAL_TF1, "TFS102")),
        "sliced": ("sliced.py", SLICED, forced_finding("TFS102", SLICED, "K.sum(-K.log(")),
        "logged": ("logged.py", LOGGED, _only(LOGGED, "TFS108")),
        "scoped": ("scoped.py", SCOPED, _only(SCOPED, "TFS108")),
        "channels_first": ("channels_first.py", CHANNELS_FIRST, _only(CHANNELS_FIRST, "TFS201")),
        "two_hazards": ("two_hazards.py", TWO_HAZARDS,
                        next(f for f in lint_example(TWO_HAZARDS) if f.code == "TFS401" and "denominator" in f.message)),
        "decorated": ("decorated.py", DECORATED, _only(DECORATED, "TFS102")),
        "keyword_only": ("keyword_only.py", KEYWORD_ONLY, _only(KEYWORD_ONLY, "TFS102")),
        "rebound": ("rebound.py", REBOUND, _only(REBOUND, "TFS102")),
        # forced: TFS401 no longer reports a value that is only compared (tests/test_uses.py)
        "compared_only": ("compared_only.py", COMPARED_ONLY, forced_finding("TFS401", COMPARED_ONLY, "1.0 / y_pred")),
        "exact_labels": ("exact_labels.py", EXACT_LABELS, _only(EXACT_LABELS, "TFS102")),
    }
    return verify_named(cases)


#: case -> what the confirmed evidence must say: the input or variant that decided it
CONFIRMED_WITH = {
    "frames": "taken per sample",  # tf.norm without an axis, per sample in the variant
    "quantiles": "[0.25, 0.5, 0.75]",  # the never-instantiated class's list parameter
    "cox": "-100",  # log of summed exponentials: scores where every exp underflows
    # a CTC loss gets label sequences (no blank) against per-frame scores over the classes
    "ctc": "weights each sample",
    # a Keras 2 backend module Keras 3 lacks: the file runs under tf_keras, which has its functions
    "ktf": "it imports keras.backend.tensorflow_backend",
    # a factory argument the file computes at run time is bound as for a factory never called
    "runtime_factory": "passes values it computes at run time; they were bound as `weights` = 0.5",
    # K.sum of a comparison raises; with the cast it runs, and the gradient the rounding never
    # had is not this finding's symptom
    "bool_count": "runs without a dtype error",
    # batch statistics leave no sample a loss of its own (NaN alone): the weights select none,
    # while the variant's per-sample values let them select
    "standardised": "the weights select samples",
    # a function the file never hands to Keras that unpacks its labels gets a tuple of labels
    "unpacked_true": "y_true as a tuple of 2 tensors shaped like the batch, as the loss unpacks it",
    "keras2": "float32 (as Keras 3 fit passes them",  # TFS202 keeps its Keras 3 claim under tf_keras
    # equal(y_true, 1) on soft labels makes the loss 0: the layout with 0/1 labels shows the sum
    "exact_labels": "scales with the batch size",
    # a logger from a package that is not installed, only called for its effect: a stand-in
    "logged": "`logger` ran as a do-nothing stand-in: `from some_missing_logging_package import logger` failed",
    # the input that triggers both hazards leaves the loss NaN with the division guarded; the
    # next edge input (predictions all 1) shows the division alone, and its guard removes it
    "two_hazards": "with the denominator of `1.0 / (1.0 - y_pred)` kept away from 0 by 1e-7: finite loss and gradient with the same inputs (y_pred all 1)",
    # the flagged op runs only for channels_first images: the job is run again with that format
    "channels_first": "run with Keras's image_data_format 'channels_first'",
    # a device scope from a package that is not installed is entered and left doing nothing
    "scoped": "`utils` ran as a do-nothing stand-in: `from some_missing_project_package import utils` failed",
    # a decorator from a package that is not installed hands back the constructor it decorates
    "decorated": "`typechecked` ran as a decorator handing back what it decorates",
    # keyword-only settings without default are bound as a never-called factory's parameters
    "keyword_only": "keyword-only parameters; they were bound as `theta` = 0.5, `alpha` = 0.5",
    # the setting's last assignment is a literal: the np.prod of the training data never runs
    "rebound": "scales with the batch size",
}


@needs_tf
@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(CONFIRMED_WITH))
def test_held_out_patterns_are_confirmed_with_the_input_that_shows_them(
        name: str, verdicts: dict[str, Verification]) -> None:
    verdict = verdicts[name]
    assert verdict.status is Status.CONFIRMED, verdict
    assert CONFIRMED_WITH[name] in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_a_loss_over_a_tuple_runs_as_its_own_loop_calls_it(verdicts: dict[str, Verification]) -> None:
    # Keras cannot hand a single-output loss a tuple: the file's loop calls it. A Loss object
    # still takes sample_weight in its own __call__, whoever calls it: weighted there, the
    # scalar it returns is scaled by mean(sw) instead of weighting the first sample
    verdict = verdicts["unpacked"]
    assert verdict.status is Status.CONFIRMED, verdict
    assert "tuple of 2 tensors" in verdict.evidence and "sample_weight [1,0,0,0]" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_a_flagged_op_whose_inf_the_loss_does_not_need_is_not_confirmed(verdicts: dict[str, Verification]) -> None:
    # the division's inf is seen, but with it guarded the loss is still inf (atanh): not shown to be the cause
    verdict = verdicts["compared_only"]
    assert verdict.status is Status.INCONCLUSIVE and "not shown to be what makes the loss" in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_a_broadcast_silent_on_the_implied_layout_is_not_confirmed(verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["dead"]
    assert verdict.status is not Status.CONFIRMED, verdict


@needs_tf
@pytest.mark.tf
def test_a_function_local_tf_import_gets_the_tf1_names(verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["local_tf1"]
    assert verdict.status is Status.CONFIRMED, verdict
    assert "has no attribute 'log'" not in verdict.evidence, verdict


@needs_tf
@pytest.mark.tf
def test_a_slice_bound_parameter_runs_as_an_int(verdicts: dict[str, Verification]) -> None:
    verdict = verdicts["sliced"]
    assert verdict.status is not Status.INCONCLUSIVE or "got 0.5" not in verdict.evidence, verdict
    assert "(an index or slice bound)" in verdict.evidence, verdict
