"""TensorFlow Probability distributions in a loss (round 25's multivariate-normal NLL): what a
distribution's ``log_prob``/``prob`` gives has its batch shape, the shape of its first parameter,
one axis shorter for a distribution over vectors (a multivariate normal, a categorical), also
through a module-level alias (``tfd = tfp.distributions``). The
TFS102 verdicts below depend on exactly that: a sum of those values without an axis is a batch
sum, a mean or a sum over the event axis is not.
"""

from __future__ import annotations

import pytest

from tests.conftest import source_of
from tfshape_lint.engine import lint_source

MULTIVARIATE = source_of('''
    import tensorflow as tf
    import tensorflow_probability as tfp


    def mvn_nll(y_true, y_pred):
        mu = y_pred[:, 0:4]
        scale = tf.nn.softplus(y_pred[:, 4:8]) + 1e-6
        dist = tfp.distributions.MultivariateNormalDiag(loc=mu, scale_diag=scale)
        return REDUCE(-dist.log_prob(y_true))
    ''')

UNIVARIATE = source_of('''
    import tensorflow as tf
    import tensorflow_probability as tfp


    def gaussian_nll(y_true, y_pred):
        mu, sigma = y_pred[..., :1], tf.nn.softplus(y_pred[..., 1:]) + 1e-6
        dist = tfp.distributions.Normal(loc=mu, scale=sigma)
        return REDUCE(-dist.log_prob(y_true))
    ''')


def _codes(source: str, reduce: str) -> list[str]:
    return [f.code for f in lint_source(source.replace("REDUCE", reduce), "loss.py")]


@pytest.mark.parametrize(("source", "reduce", "batch_sum"), [
    (MULTIVARIATE, "tf.reduce_sum", True),   # (B,) log-likelihoods summed over the batch
    (MULTIVARIATE, "tf.reduce_mean", False),
    (UNIVARIATE, "tf.reduce_sum", True),     # (B, 1): no axis, the batch too
    (UNIVARIATE, "tf.reduce_mean", False),
])
def test_a_distributions_log_prob_has_its_batch_shape(source: str, reduce: str, batch_sum: bool) -> None:
    assert ("TFS102" in _codes(source, reduce)) is batch_sum


def test_a_sum_over_a_univariate_event_axis_is_per_sample() -> None:
    codes = _codes(UNIVARIATE, "tf.reduce_sum")
    assert "TFS102" in codes
    assert "TFS102" not in _codes(UNIVARIATE.replace("REDUCE(-dist.log_prob(y_true))",
                                                     "tf.reduce_sum(-dist.log_prob(y_true), axis=-1)"), "")


ALIASED = source_of('''
    import tensorflow as tf
    import tensorflow_probability as tfp

    tfd = tfp.distributions


    def nll(y_true, y_pred):
        dist = tfd.Normal(loc=y_pred[..., :1], scale=tf.nn.softplus(y_pred[..., 1:]) + 1e-6)
        return REDUCE(-dist.log_prob(y_true))
    ''')


def test_a_module_level_alias_of_the_distributions_module_is_followed() -> None:
    # ``tfd = tfp.distributions``, the spelling TensorFlow Probability's own examples use
    assert "TFS102" in _codes(ALIASED, "tf.reduce_sum")
    assert "TFS102" not in _codes(ALIASED, "tf.reduce_mean")
