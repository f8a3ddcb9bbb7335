"""Verifier inputs from real files (issue 12, held-out round 14), written anew for this test:

- a loss whose float64 constants select columns of its float32 inputs raises on every input
  the probe makes in float32: its project sets ``floatx`` to float64, so the probe runs it again
  in float64 (inputs and ``floatx``) and the finding gets a verdict that says so; a float32
  loss verified in the same worker afterwards runs in float32 again;
- a Loss subclass never instantiated whose constructor reads named settings of a parameter
  (``hyp_params['alpha']``) gets a record whose every setting is the neutral number, and a
  name from a missing module only read setting by setting (``DEFAULTS["eps"]``) the same record
  (never a module: ``tfp.distributions.Normal`` is a namespace, not a setting);
- slice bounds: ``y[:, -fh:]`` is a count, and ``y[:, 1:sl]`` beside ``y[:, 0:sl - 1]`` binds
  ``sl`` to 2, so neither slice is empty (an empty slice makes every loss value NaN);
- a finding whose flagged node never ran on the probe's inputs (a branch on a string setting
  the defaults do not take, held under another name, so the object cannot be built again with
  the other value) is never refuted: no symptom there says nothing about the node;
- ``sqrt`` of a scale-invariant log error is 0 where the prediction equals the labels: the
  probe tries that inside (0, 1) too, where the logs upstream stay finite;
- labels that pack a target and its mask on the last axis (``tf.split(y_true, 2, axis=-1)``)
  get a layout with twice the prediction's channels;
- a Loss subclass whose flagged node sits behind a boolean constructor flag the defaults leave
  off is built again with the flag flipped, and the evidence says so;
- a sum over a ``(B, B)`` broadcast scales with the square of the batch: keeping the flagged sum
  per sample takes away exactly one factor of the batch ratio, which shows the node's share.
"""

from __future__ import annotations

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available
from tfshape_lint.verify.extract import name_sites, read_as_record

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

FLOAT64_SELECTORS = source_of('''
    import tensorflow as tf


    def weibull_nll(y_true, y_pred):
        pick_time = tf.constant([[1.0, 0.0, 0.0]], dtype=tf.float64)
        pick_scale = tf.constant([[0.0, 1.0, 0.0]], dtype=tf.float64)
        time = tf.matmul(pick_time, tf.transpose(y_true))
        scale = tf.matmul(pick_scale, tf.transpose(y_pred))
        return tf.reduce_mean(tf.math.log(scale) + time / scale)


    model = tf.keras.Sequential([tf.keras.layers.Dense(3, activation="softplus")])
    model.compile(optimizer="adam", loss=weibull_nll)
    ''')

FLOAT32_LOG = source_of('''
    import tensorflow as tf


    def log_mse(y_true, y_pred):
        return tf.reduce_mean(tf.math.log(y_pred) - y_true)


    model = tf.keras.Sequential([tf.keras.layers.Dense(3, activation="softplus")])
    model.compile(optimizer="adam", loss=log_mse)
    ''')


@pytest.mark.tf
@needs_tf
def test_float64_constants_run_the_loss_in_float64_and_the_next_job_in_float32() -> None:
    out = verify_cases({"weibull.py": (FLOAT64_SELECTORS, "TFS401"), "plain.py": (FLOAT32_LOG, "TFS401")})
    assert out["weibull.py"], "the float64 loss has TFS401 findings"
    for verdict in out["weibull.py"]:
        expect_verdict(verdict, "confirmed", present=("run in float64",))
    plain, = out["plain.py"]
    expect_verdict(plain, "confirmed", absent=("float64",))


SETTINGS_RECORD = source_of('''
    import tensorflow as tf


    class WeightedParts(tf.keras.losses.Loss):
        def __init__(self, hyp_params, **kwargs):
            super().__init__(**kwargs)
            self.c1 = tf.constant(hyp_params["c1"], dtype=tf.float32)
            self.c2 = tf.constant(hyp_params["c2"], dtype=tf.float32)

        def call(self, y_true, y_pred):
            err = tf.square(y_true - y_pred)
            return self.c1 * tf.reduce_sum(err) + self.c2 * tf.reduce_mean(err)
    ''')

MISSING_SETTINGS = source_of('''
    import tensorflow as tf
    from project_settings_that_is_not_installed import DEFAULTS


    def make_loss(weight=DEFAULTS["weight"]):
        def loss(y_true, y_pred):
            return weight * tf.reduce_sum(tf.square(y_true - y_pred))
        return loss


    model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=make_loss())
    ''')


@pytest.mark.tf
@needs_tf
def test_settings_records_stand_in_for_parameters_and_missing_modules() -> None:
    out = verify_cases({"parts.py": (SETTINGS_RECORD, "TFS108"), "missing.py": (MISSING_SETTINGS, "TFS102")})
    parts, = out["parts.py"]
    expect_verdict(parts, "confirmed", present=("`hyp_params` = a record whose every setting is 0.5",))
    missing, = out["missing.py"]
    expect_verdict(missing, "confirmed", present=("`DEFAULTS` ran as a record whose every setting is 0.5",))


@pytest.mark.parametrize(("code", "expected"), [
    ("hp['a'] + hp['b']", True),
    ("cfg.margin * 2", True),
    ("hp[0]", False),            # an index: a sequence or a tensor, not a record of settings
    ("cfg.shape[0]", False),     # a tensor's attribute
    ("cfg.lookup(x)", False),    # a method call
    ("f(hp)", False),            # used whole
    ("hp.distributions.Normal(0, 1)", False),  # a namespace (a module), not a record
    ("hp['a']['b']", False),     # nested: not a flat record of settings
    ("x + 1", False),            # never used
])
def test_record_reading_is_only_named_settings(code: str, expected: bool) -> None:
    import ast

    name = "hp" if "hp" in code else "cfg"
    assert read_as_record(name_sites(ast.parse(code)), name) is expected


def test_slice_bounds_bind_counts_that_leave_every_slice_non_empty() -> None:
    import ast

    from tfshape_lint.verify.extract import param_bindings

    root = ast.parse("def rmsse(y, p, sl, fh):\n"
                     "    ahead = y[:, -fh:]\n"
                     "    lagged = y[:, 1:sl] - y[:, 0:sl - 1]\n"
                     "    return ahead, lagged\n").body[0]
    assert isinstance(root, ast.FunctionDef)
    bindings = param_bindings(root, ["sl", "fh"])
    assert bindings is not None
    assert (bindings["sl"].kind, bindings["sl"].value) == ("count", 2.0)   # 1:sl and 0:sl-1 both hold one
    assert (bindings["fh"].kind, bindings["fh"].value) == ("count", 1.0)   # -fh: a slice bound, not a number


@pytest.mark.tf
@needs_tf
def test_evidence_drops_tensorflows_kernel_wrapper_and_keeps_the_op() -> None:
    from tfshape_lint.verify._child.harness import describe

    raw = ValueError("{{function_node __wrapped__StridedSlice_device_/job:localhost/replica:0/task:0/device:CPU:0}} "
                     "slice index 4 of dimension 0 out of bounds. [Op:StridedSlice] name: compile_loss/strided_slice/")
    assert describe(raw) == "ValueError slice index 4 of dimension 0 out of bounds. (op StridedSlice)"


UNTAKEN_BRANCH = source_of('''
    import tensorflow as tf


    class FlowLoss(tf.keras.losses.Loss):
        def __init__(self, data_format="channels_last", **kwargs):
            super().__init__(**kwargs)
            self.fmt = data_format

        def call(self, y_true, y_pred):
            if self.fmt == "channels_first":
                return tf.reduce_mean(tf.square(y_true - y_pred))
            return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
    ''')

HELD_SETTING = UNTAKEN_BRANCH.replace("self.fmt", "self.data_format")

SCALE_INVARIANT = source_of('''
    import tensorflow as tf


    def si_log_loss(y_true, y_pred):
        d = tf.math.log(y_pred) - tf.math.log(y_true)
        return tf.math.sqrt(tf.reduce_mean(tf.square(d)) - 0.5 * tf.square(tf.reduce_mean(d)))
    ''')

MASK_IN_LABELS = source_of('''
    import tensorflow as tf


    def masked_divergence(y_true, y_pred):
        target, mask = tf.split(y_true, 2, axis=-1)
        dx, dy = tf.image.image_gradients(y_pred)
        loss = target * tf.math.log(y_pred) - y_pred + 0.1 * tf.abs(dx) + 0.1 * tf.abs(dy)
        return -tf.reduce_mean(loss * mask, axis=[1, 2, 3])
    ''')


@pytest.mark.tf
@needs_tf
def test_unreached_node_is_not_refuted_and_new_edge_inputs_and_layouts() -> None:
    out = verify_cases({"flow.py": (UNTAKEN_BRANCH, "TFS108"), "silog.py": (SCALE_INVARIANT, "TFS401"),
                        "masked.py": (MASK_IN_LABELS, "TFS401")})
    flow, = out["flow.py"]
    expect_verdict(flow, "inconclusive", present=("never ran on the probe's inputs",))
    # held under its own name, the setting is set to the value the branch tests (round 21)
    held, = verify_cases({"held.py": (HELD_SETTING, "TFS108")})["held.py"]
    expect_verdict(held, "confirmed", present=("with data_format='channels_first'",))
    log_finding, sqrt_finding = out["silog.py"]
    expect_verdict(sqrt_finding, "confirmed", present=("strictly inside (0, 1)",))
    masked, = out["masked.py"]
    expect_verdict(masked, "confirmed", present=("(4, 5, 5, 2)/(4, 5, 5, 1)",))


FLAGGED_BRANCH = source_of('''
    import tensorflow as tf


    class SquaredError(tf.keras.losses.Loss):
        def __init__(self, summed=False, **kwargs):
            super().__init__(**kwargs)
            self.summed = summed

        def call(self, y_true, y_pred):
            err = tf.square(y_true - y_pred)
            if self.summed:
                return tf.reduce_sum(err)
            return tf.reduce_mean(err, axis=-1)
    ''')


@pytest.mark.tf
@needs_tf
def test_constructor_flag_is_flipped_to_reach_the_flagged_node() -> None:
    verdict, = verify_cases({"summed.py": (FLAGGED_BRANCH, "TFS108")})["summed.py"]
    expect_verdict(verdict, "confirmed", present=("with summed=True: the flagged op sits in that branch",))


SQUARED_SCALING = source_of('''
    import tensorflow as tf


    class WeightedBce(tf.keras.losses.Loss):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._bce = tf.keras.losses.BinaryCrossentropy(reduction="none")

        def call(self, y_true, y_pred):
            values = self._bce(y_true, y_pred)
            values = tf.where(y_true == 0.0, values * 0.3, values * 0.7)
            return tf.reduce_sum(values)
    ''')


@pytest.mark.tf
@needs_tf
def test_batch_sum_over_a_square_broadcast_is_confirmed_by_its_share_of_the_scaling() -> None:
    verdict, = verify_cases({"square.py": (SQUARED_SCALING, "TFS102")})["square.py"]
    expect_verdict(verdict, "confirmed", present=("(the batch ratio); the rest of the scaling comes from elsewhere",))
