"""Round 44's rule changes on forms the rule examples cannot carry (the examples' bad cases must be
confirmed by the verifier, which cannot import TensorFlow Probability nor download pretrained
weights in its sandbox), checked statically: each finding here was missed before round 44.
"""

from __future__ import annotations

from tfshape_lint.config import Config
from tfshape_lint.engine import lint

KL_OF_DISTRIBUTIONS = '''import tensorflow as tf
import tensorflow_probability as tfp


def evidential_kl(y_true, y_pred):
    alpha = tf.nn.softplus(y_pred) + 1.0
    prior = tfp.distributions.Dirichlet(tf.ones_like(alpha))
    return tf.reduce_sum(tfp.distributions.Dirichlet(alpha).kl_divergence(prior))


model.compile(optimizer="adam", loss=evidential_kl)
'''

VGG_CONTENT_LOSS = '''import tensorflow as tf


class ContentLoss(tf.keras.losses.Loss):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.vgg = self.vgg_model()

    @staticmethod
    def vgg_model():
        vgg = tf.keras.applications.VGG19(include_top=False, weights="imagenet")
        model = tf.keras.Model(vgg.input, vgg.get_layer("block5_conv4").output)
        return model

    def call(self, y_true, y_pred):
        hr = self.vgg(tf.keras.applications.vgg19.preprocess_input(y_true)) / 12.75
        sr = self.vgg(tf.keras.applications.vgg19.preprocess_input(y_pred)) / 12.75
        return tf.reduce_sum(tf.reduce_mean(tf.square(hr - sr), axis=-1))
'''

TUPLE_FOR_A_LOOP = '''import tensorflow as tf


class SSDLoss:
    def __call__(self, y_true, y_pred):
        cls = tf.reduce_mean(tf.keras.losses.binary_crossentropy(y_true[..., 4:], y_pred[..., 4:]))
        reg = tf.reduce_sum(tf.abs(y_true[..., :4] - y_pred[..., :4]))
        return cls + reg, cls, reg
'''


def _tfs102(source: str, fixes: bool = False) -> list[object]:
    return [f for f in lint(source, "loss.py", Config(), fixes=fixes).findings if f.code == "TFS102"]


def test_kl_divergence_of_a_distribution_has_its_batch_shape() -> None:
    found = _tfs102(KL_OF_DISTRIBUTIONS)
    assert [f.line for f in found] == [8]  # type: ignore[attr-defined]


def test_a_pretrained_feature_model_of_the_class_maps_batch_to_batch() -> None:
    found = _tfs102(VGG_CONTENT_LOSS)
    assert [f.line for f in found] == [18]  # type: ignore[attr-defined]
    # without the model the features are opaque again: nothing to report
    opaque = VGG_CONTENT_LOSS.replace("self.vgg = self.vgg_model()", "self.vgg = load_features()")
    assert _tfs102(opaque) == []


def test_each_part_of_a_returned_tuple_is_checked_without_a_fix() -> None:
    found = _tfs102(TUPLE_FOR_A_LOOP, fixes=True)
    assert [f.line for f in found] == [7]  # type: ignore[attr-defined]
    assert found[0].fix is None  # type: ignore[attr-defined]
