"""A loss that indexes channels past every default layout (``y_pred[..., n * 5 + 4]`` for each
anchor its constructor was given) fails with TensorFlow's "slice index K of dimension D out of
bounds" on each synthetic input; the verifier widens that axis and runs again, so the flagged
batch sum gets a verdict instead of "the loss raised on every synthetic input" (issue 12)."""

from __future__ import annotations

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

ANCHOR_LOSS = source_of('''
    import tensorflow as tf

    class AnchorLoss(tf.keras.losses.Loss):
        def __init__(self, anchors):
            super().__init__()
            self.anchors = anchors

        def call(self, y_true, y_pred):
            total = 0.0
            for n in range(len(self.anchors)):
                conf = y_true[:, :, :, n * 5 + 4]
                total += tf.reduce_sum(tf.square(y_true[:, :, :, n * 5 + 4] - y_pred[:, :, :, n * 5 + 4]) * conf)
            return total

    loss = AnchorLoss([[1.0, 2.0], [3.0, 4.0]])
    ''')


@needs_tf
@pytest.mark.tf
def test_slice_past_the_channels_widens_the_layout() -> None:
    verdicts = verify_cases({"anchor_loss.py": (ANCHOR_LOSS, "TFS102")})["anchor_loss.py"]
    expect_verdict(verdicts[0], "confirmed", absent=("out of bounds",))
