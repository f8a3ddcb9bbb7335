"""A branch that tests the denominator against 0 guards the division it selects
(``analysis/branches.py``, held-out round 32's fractions-skill-score loss): ``if ref == 0:
return mse`` / ``else: return mse / ref`` never divides by 0. A test of anything else, the wrong
branch, or a test that does not exit before the division leaves the finding.
"""

from __future__ import annotations

import pytest

from tests.conftest import source_of
from tfshape_lint.engine import lint_source

LOSS = source_of('''
    import tensorflow as tf


    def skill_loss(y_true, y_pred):
        mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        ref = tf.reduce_sum(y_true, axis=-1)
        BODY
    ''')


def _flags_a_division(body: str) -> bool:
    source = LOSS.replace("BODY", body.replace("\n", "\n    "))
    return any(f.code == "TFS401" and "denominator" in f.message for f in lint_source(source, "loss.py"))


@pytest.mark.parametrize("body", [
    "if ref == 0:\n    return mse\nelse:\n    return mse / ref",
    "if ref != 0:\n    return mse / ref\nreturn mse",
    "if ref > 0:\n    return mse / ref\nreturn mse",
    "if 0 < ref:\n    return mse / ref\nreturn mse",
    "if ref == 0.0:\n    return mse\nreturn mse / ref",
    "if not ref > 0:\n    return mse\nreturn mse / ref",
    "if tf.equal(ref, 0):\n    return mse\nreturn mse / ref",
    "return mse / ref if ref > 0 else mse",
    "return mse if ref == 0 else mse / ref",
])
def test_a_tested_denominator_is_not_reported(body: str) -> None:
    assert not _flags_a_division(body)


@pytest.mark.parametrize("body", [
    "return mse / ref",
    "if ref == 0:\n    return mse / ref\nreturn mse",
    "if ref > 0:\n    return mse\nreturn mse / ref",
    "if mse == 0:\n    return mse\nreturn mse / ref",
    "if ref == 1:\n    return mse\nreturn mse / ref",
    "if ref == 0:\n    print('empty')\nreturn mse / ref",
    "return mse / ref if ref >= 0 else mse",
])
def test_an_untested_denominator_is_reported(body: str) -> None:
    assert _flags_a_division(body)
