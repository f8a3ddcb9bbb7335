"""TFS302 under an eager ``fit`` (``run_eagerly=True``): numpy on the labels alone runs and
needs no gradient; numpy on the predictions still cuts theirs."""

from __future__ import annotations

import pytest

from tfshape_lint.config import Config
from tfshape_lint.engine import lint

TEMPLATE = (
    "import numpy as np\nimport tensorflow as tf\n\n\n"
    "def weighted(y_true, y_pred):\n"
    "    w = np.where({operand}.numpy() > 0.5, 2.0, 1.0).astype(np.float32)\n"
    "    return tf.reduce_mean(w * tf.square(y_true - y_pred), axis=-1)\n\n\n"
    "model.compile(optimizer='adam', loss=weighted{eager})\n"
)


@pytest.mark.parametrize(("operand", "eager", "flagged"), [
    ("y_true", ", run_eagerly=True", False),
    ("y_pred", ", run_eagerly=True", True),
    ("y_true", "", True),
])
def test_numpy_under_eager_fit(operand: str, eager: str, flagged: bool) -> None:
    source = TEMPLATE.format(operand=operand, eager=eager)
    found = [f for f in lint(source, "loss.py", Config()).findings if f.code == "TFS302"]
    assert bool(found) is flagged, found
