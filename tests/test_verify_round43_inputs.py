"""Verifier inputs from real files (issue 12, held-out round 43), written anew for this test:

- ``K.get_value(y_true)`` inside a loss (a Keras 2 loss that logs its labels) has a neutral
  variant, the tensor itself: the finding gets a counterfactual verdict instead of "no neutral
  variant";
- a ``Loss`` whose ``__init__`` stores a ``Reduction.AUTO`` default in ``self.reduction`` and then
  calls the base ``__init__`` without it (which sets ``self.reduction`` again) runs under Keras 3,
  as TFS501 reads it; stored after that call, the default reaches the loss and the file runs
  under tf_keras.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available
from tfshape_lint.verify.realfiles import legacy_reduction

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

LOGGED_LABELS = source_of('''
    from keras import backend as K


    def logged_l1(y_true, y_pred):
        labels = K.get_value(y_true)
        print(labels)
        return K.mean(K.abs(y_true - y_pred), axis=-1)


    model.compile(optimizer="adam", loss=logged_l1)
    ''')

STORED_THEN_RESET = source_of('''
    import tensorflow as tf


    class TokenLoss(tf.keras.losses.Loss):
        def __init__(self, reduction=tf.keras.losses.Reduction.AUTO, **kwargs):
            self.reduction = reduction
            super().__init__(**kwargs)

        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.square(y_true - y_pred))
    ''')


def test_a_reduction_default_the_base_constructor_resets_is_no_legacy_reduction() -> None:
    assert not legacy_reduction(ast.parse(STORED_THEN_RESET))
    stored_after = STORED_THEN_RESET.replace(
        "        self.reduction = reduction\n        super().__init__(**kwargs)\n",
        "        super().__init__(**kwargs)\n        self.reduction = reduction\n")
    assert stored_after != STORED_THEN_RESET
    assert legacy_reduction(ast.parse(stored_after))
    read_elsewhere = STORED_THEN_RESET.replace("super().__init__(**kwargs)", "super().__init__(reduction=reduction, **kwargs)")
    assert legacy_reduction(ast.parse(read_elsewhere))


@needs_tf
@pytest.mark.tf
def test_get_value_has_a_neutral_variant_and_a_reset_default_runs_under_keras3() -> None:
    out = verify_cases({"logged.py": (LOGGED_LABELS, "TFS302"), "token.py": (STORED_THEN_RESET, "TFS108")})
    expect_verdict(out["logged.py"][0], "confirmed", present=("replaced by their TensorFlow equivalents",),
                   absent=("no neutral variant",))
    expect_verdict(out["token.py"][0], "confirmed", present=("mean(sw)",), absent=("tf_keras",))
