"""Verifier inputs from real files (issue 12, held-out round 45), written anew for this test:

- a Loss subclass the file instantiates with run-time values (``FocalLoss(num_classes=
  params.num_classes)`` in a ``get_loss(params)`` nothing calls) has each such parameter bound by
  how the class's methods use the attribute it is stored in (a class count for ``one_hot``), not
  as a bare 0.5;
- a focal loss that tests ``equal(y_true, 1)`` is only ``eps ** gamma`` (about 1e-8) on soft
  labels: the batch-size probe prefers a layout with 0/1 labels, where the loss is itself.
"""

from __future__ import annotations

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

FOCAL_FROM_SETTINGS = source_of('''
    import tensorflow
    from tensorflow.keras import backend as K


    class FocalLoss(tensorflow.keras.losses.Loss):
        def __init__(self, num_classes, alpha=0.25, gamma=2, name="focal_loss"):
            super().__init__(name=name)
            self.num_classes = num_classes
            self.alpha = alpha
            self.gamma = gamma

        def focal_loss(self, y_true, y_pred):
            y_pred = K.flatten(y_pred)
            y_true = K.flatten(K.one_hot(K.cast(y_true, "int32"), num_classes=self.num_classes))
            y_pred = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())
            loss = self.alpha * K.pow(1.0 - y_pred, self.gamma) * -y_true * K.log(y_pred)
            return K.mean(K.sum(loss, axis=-1))

        def call(self, y_true, y_pred):
            return self.focal_loss(y_true, y_pred)


    def get_loss(params):
        if params.loss == "focal_loss":
            return FocalLoss(alpha=params.alpha, gamma=params.gamma, num_classes=params.num_classes)
    ''')

HARD_LABEL_FOCAL = source_of('''
    import tensorflow as tf
    from tensorflow.keras import backend as K


    def focal_loss(gamma=2.0, alpha=0.25):
        def focal_loss_fixed(y_true, y_pred):
            pt_1 = tf.where(tf.equal(y_true, 1), y_pred, tf.ones_like(y_pred))
            pt_0 = tf.where(tf.equal(y_true, 0), y_pred, tf.zeros_like(y_pred))
            pt_1 = K.clip(pt_1, 1e-3, 0.999)
            pt_0 = K.clip(pt_0, 1e-3, 0.999)
            return -K.sum(alpha * K.pow(1.0 - pt_1, gamma) * K.log(pt_1)) \\
                - K.sum((1 - alpha) * K.pow(pt_0, gamma) * K.log(1.0 - pt_0))
        return focal_loss_fixed


    model.compile(optimizer="adam", loss=focal_loss())
    ''')


@needs_tf
@pytest.mark.tf
def test_run_time_constructor_arguments_and_hard_label_focal_get_verdicts() -> None:
    out = verify_cases({"focal.py": (FOCAL_FROM_SETTINGS, "TFS102"), "hard.py": (HARD_LABEL_FOCAL, "TFS102")})
    expect_verdict(out["focal.py"][0], "confirmed", present=("at batch 8",), absent=("Cannot convert 0.5",))
    for verdict in out["hard.py"]:
        expect_verdict(verdict, "confirmed", present=("4.00x",), absent=("0 up to rounding",))
