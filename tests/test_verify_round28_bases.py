"""Verifier inputs from real files (issue 12, held-out round 28), written anew for this test:
a loss class derived from a base that a module of its own project defines (``class
BPRLoss(Loss)`` with ``from aprec.losses.loss import Loss``, ``class VAE(ModelBase)``) runs over
a bare base when that module is not at hand, and the evidence says so; before, the failed
import ended the probe ("needs `Loss` from ..., which failed").
"""

from __future__ import annotations

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

PROJECT_BASE = source_of('''
    import tensorflow as tf
    from tfs_absent_project.losses.base import BaseLoss


    class SumLoss(BaseLoss):
        def __call__(self, y_true, y_pred):
            return tf.reduce_sum(tf.square(y_true - y_pred))


    model.compile(optimizer="adam", loss=SumLoss())
    ''')


@needs_tf
@pytest.mark.tf
def test_missing_project_base_runs_as_a_bare_base() -> None:
    out = verify_cases({"sum_loss.py": (PROJECT_BASE, "TFS102")})
    assert len(out["sum_loss.py"]) == 1
    expect_verdict(out["sum_loss.py"][0], "confirmed",
                   present=("`BaseLoss` ran as a bare base class", "scales with the batch size"),
                   absent=("which failed: ModuleNotFoundError",))
