"""Round 46's rule changes on forms the rule examples cannot carry, checked statically: a number
in a built-in crossentropy's prediction place swaps its arguments (``bce(obj_conf, 1.)``, a YOLO
objectness term; under Keras 3 the call also raises, so the verifier cannot show the swap), also
inside a prediction-first custom-loop helper; the target-first call of the same form stays
silent (a guard for the new check; the first test fails on the code before round 46)."""

from __future__ import annotations

from tests.conftest import lint_example

NUMBER_AS_PREDICTION = '''import tensorflow as tf


def yolo_loss(y_pred, y_true, anchors):
    conf = tf.sigmoid(y_pred[..., 4])
    obj_mask = y_true[..., 4] > 0.5
    obj_conf = tf.boolean_mask(conf, obj_mask)
    noobj_conf = tf.boolean_mask(conf, tf.logical_not(obj_mask))
    obj = tf.reduce_sum(tf.keras.losses.binary_crossentropy(obj_conf, 1.))
    noobj = tf.reduce_sum(tf.keras.losses.binary_crossentropy(noobj_conf, 0.))
    return obj + noobj


def train_step(model, images, labels, optimizer, anchors):
    with tf.GradientTape() as tape:
        loss = yolo_loss(model(images), labels, anchors)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
'''

NUMBER_AS_TARGET = NUMBER_AS_PREDICTION.replace("(obj_conf, 1.)", "(1., obj_conf)").replace(
    "(noobj_conf, 0.)", "(0., noobj_conf)")


def _codes(source: str, select: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in lint_example(source) if f.code == select]


def test_a_number_in_the_prediction_place_of_a_crossentropy_is_reported() -> None:
    assert _codes(NUMBER_AS_PREDICTION, "TFS503") == [(9, "TFS503"), (10, "TFS503")]


def test_a_number_in_the_target_place_is_not() -> None:
    assert _codes(NUMBER_AS_TARGET, "TFS503") == []
