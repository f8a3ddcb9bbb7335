"""Verifier inputs from real files (issue 12, held-out rounds 40-42), written anew for this test:

- a loss that passes a keyword only TF 1 knew (``tf.reduce_mean(x, -1, keep_dims=True)``, its
  own TFS506 finding) still shows its other findings: the call is handed to the
  ``tf.compat.v1`` function, which takes the keyword, and the evidence says so;
- a static batch size unpacked with the other dimensions (``b, h, w = y_true.shape``) gets
  inputs of the rank the unpacking needs, and its counterfactual puts the dynamic batch size in
  the unpacked value (there is no expression of the batch size alone to replace);
- a loss defined inside the method that builds the model and reading the method's
  ``advantages = Input(shape=[1])`` (the widely copied Keras REINFORCE agent) is built per call
  with a ``(B, 1)`` batch for it, where it was "defined inside the method ..., which builds it
  only when it runs";
- a ``Loss`` subclass that passes its reduction first (``super().__init__(reduction, name)``,
  tf_keras's order; Keras 3 takes the name first and rejects the name as a reduction) runs
  under tf_keras;
- a file that reads ``tf`` without importing it next to a star import of a project module the
  verifier does not have (``from layers.feed_forward import *``) gets ``import tensorflow as
  tf`` where that import failed, and the evidence says so.
"""

from __future__ import annotations

import pytest

from tests.conftest import expect_verdict, forced_finding, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

TF1_KEYWORD = source_of('''
    import tensorflow as tf


    def l1_loss(y_true, y_pred):
        per_sample = tf.reduce_mean(tf.abs(y_true - y_pred), -1, keep_dims=True)
        return tf.reduce_sum(per_sample)


    model.compile(optimizer="adam", loss=l1_loss)
    ''')

UNPACKED_BATCH = source_of('''
    import tensorflow as tf


    def pixel_mse(y_true, y_pred):
        b, h, w = y_true.shape
        return tf.reduce_sum(tf.square(y_true - y_pred)) / (b * h * w)


    model.compile(optimizer="adam", loss=pixel_mse)
    ''')


REINFORCE_METHOD = source_of('''
    from tensorflow.keras import backend as K
    from tensorflow.keras.layers import Dense, Input
    from tensorflow.keras.models import Model


    class Agent:
        def __init__(self, n_actions, input_dims):
            self.n_actions = n_actions
            self.input_dims = input_dims
            self.policy = self.build_policy_network()

        def build_policy_network(self):
            state = Input(shape=(self.input_dims,))
            advantages = Input(shape=[1])
            probs = Dense(self.n_actions, activation="softmax")(state)

            def custom_loss(y_true, y_pred):
                out = K.clip(y_pred, 1e-8, 1 - 1e-8)
                log_lik = y_true * K.log(out)
                return K.sum(-log_lik * advantages)

            policy = Model(inputs=[state, advantages], outputs=[probs])
            policy.compile(optimizer="adam", loss=custom_loss)
            return policy
    ''')


POSITIONAL_REDUCTION = source_of('''
    import tensorflow as tf
    from tensorflow.keras import losses


    class SummedL1(losses.Loss):
        def __init__(self, reduction=losses.Reduction.NONE, name="summed_l1"):
            super().__init__(reduction, name)

        def call(self, y_true, y_pred):
            return tf.reduce_sum(tf.abs(y_true - y_pred))
    ''')


STAR_IMPORTED_TF = source_of('''
    from project_layers_not_at_hand import *


    def l1_loss(y_true, y_pred):
        return tf.reduce_sum(tf.abs(y_true - y_pred))


    model.compile(optimizer="adam", loss=l1_loss)
    ''')


@needs_tf
@pytest.mark.tf
def test_tf1_keywords_unpacked_batch_sizes_and_method_closures() -> None:
    out = verify_cases({"l1.py": (TF1_KEYWORD, "TFS102"), "pixels.py": (UNPACKED_BATCH, "TFS110"),
                        "agent.py": (REINFORCE_METHOD, "TFS102"), "summed.py": (POSITIONAL_REDUCTION, "TFS102")})
    expect_verdict(out["l1.py"][0], "confirmed", present=("tf.reduce_mean(keep_dims=)",),
                   absent=("unexpected keyword argument",))
    expect_verdict(out["pixels.py"][0], "confirmed", present=("for the unpacked `b`",),
                   absent=("not enough values to unpack",))
    expect_verdict(out["agent.py"][0], "confirmed", present=("scales with the batch size",),
                   absent=("defined inside the method",))
    expect_verdict(out["summed.py"][0], "confirmed", present=("passes its reduction first",),
                   absent=("Invalid value for argument",))


@needs_tf
@pytest.mark.tf
def test_names_of_a_failed_star_import() -> None:
    from tfshape_lint.verify import verify_findings

    # the linter does not read ``tf`` bound by a star import: the finding is forced where the rule
    # would report a batch sum
    finding = forced_finding("TFS102", STAR_IMPORTED_TF, "tf.reduce_sum(tf.abs(y_true - y_pred))")
    verdict = verify_findings([finding], {"example.py": STAR_IMPORTED_TF}, timeout=60, device="cpu",
                              use_cache=False)[0].verification
    expect_verdict(verdict, "confirmed", present=("`import tensorflow as tf`",), absent=("defined nowhere",))
