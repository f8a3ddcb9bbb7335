"""Verifier inputs from real files (issue 12, held-out round 21), written anew for this test:

- a loss method whose flagged op sits in the branch of a string setting the object was not built
  with (WTTE's ``if self.kind == 'discrete': ... elif self.kind == 'continuous':``) is run again
  from an object built with the other value the loss compares the setting with, the other
  settings as the object holds them; the evidence names the value;
- a setting the loss never compares with a string, or an object whose required constructor
  argument it does not hold, gets no such retry: the verdict stays the built object's.
"""

from __future__ import annotations

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

STRING_BRANCH = source_of('''
    import tensorflow as tf


    class WeibullLoss:
        def __init__(self, kind, reduce_loss=True):
            self.kind = kind
            self.reduce_loss = reduce_loss

        def loss_function(self, y_true, y_pred):
            y, u = y_true[..., 0], y_true[..., 1]
            a, b = y_pred[..., 0], y_pred[..., 1]
            if self.kind == "discrete":
                ll = u * tf.math.log(tf.exp(tf.pow((y + 1.0) / (a + 1e-3), b)) + 1e-6)
            elif self.kind == "continuous":
                ya = (y + 1e-6) / a
                ll = u * (tf.math.log(b + 1e-6) + b * tf.math.log(ya + 1e-6)) - tf.pow(ya, b)
            return -tf.reduce_mean(ll, axis=-1)


    model.compile(optimizer="adam", loss=WeibullLoss(kind="discrete").loss_function)
    ''')

UNHELD_SETTING = STRING_BRANCH.replace("self.kind = kind", "self.mode = kind").replace(
    "self.kind ==", "self.mode ==")


@pytest.mark.tf
@needs_tf
def test_string_setting_is_set_to_the_other_compared_value_to_reach_the_flagged_node() -> None:
    out = verify_cases({"wtte.py": (STRING_BRANCH, "TFS401"), "unheld.py": (UNHELD_SETTING, "TFS401")})
    reached = [v for v in out["wtte.py"] if "kind='continuous'" in v.evidence]
    assert reached, [v.evidence for v in out["wtte.py"]]
    expect_verdict(reached[0], "confirmed", present=("the flagged op sits in that branch",))
    # ``kind`` is held as ``self.mode``: the object cannot be built again as it was
    assert all("continuous'" not in v.evidence for v in out["unheld.py"]), [v.evidence for v in out["unheld.py"]]
