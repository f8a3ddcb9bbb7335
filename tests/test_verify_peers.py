"""Fast-tier checks of what the parent reads from the file for a TFS105 verdict: the peers of the
flagged index (``y_pred[0]``, ``y_pred[1]``, ``y_pred[2]``) and whether the file hands the loss
to Keras. Minimal sources written for this test; no TensorFlow."""

from __future__ import annotations

import textwrap

from tests.conftest import lint_example
from tfshape_lint.finding import LossRef
from tfshape_lint.verify import _keras_fed, _peer_layout, _peers

SUBCLASS = textwrap.dedent('''
    import tensorflow as tf

    class Triplet(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            pos = tf.reduce_sum(tf.square(y_pred[0] - y_pred[1]), axis=-1)
            neg = tf.reduce_sum(tf.square(y_pred[0] - y_pred[2]), axis=-1)
            return tf.maximum(pos - neg + 0.3, 0.0)

    def other(y_true, y_pred):
        return y_pred[5]
    ''').lstrip()


def test_peers_are_the_constant_indices_of_the_flagged_name_in_its_function() -> None:
    findings = [f for f in lint_example(SUBCLASS) if f.code == "TFS105"]
    assert findings
    for finding in findings:
        if finding.line < 9:
            assert _peers(finding, SUBCLASS) == ("y_pred", [0, 1, 2])
        else:
            assert _peers(finding, SUBCLASS) == ("y_pred", [5])  # another function: no peers
    assert _peer_layout(("y_pred", [0, 1, 2])) == [{"true": [3, 5], "pred": [3, 5], "labels": "float",
                                                    "activation": "sigmoid"}]
    assert _peer_layout(("y_pred", [5])) == []


def test_a_subclass_is_keras_fed_only_when_the_file_compiles_an_instance() -> None:
    ref = LossRef("Triplet.call", "subclass")
    assert not _keras_fed(SUBCLASS, ref)
    assert _keras_fed(SUBCLASS + "model.compile(optimizer='sgd', loss=Triplet())\n", ref)
    assert _keras_fed(SUBCLASS + "obj = Triplet()\nmodel.compile(optimizer='sgd', loss=obj)\n", ref)
    assert not _keras_fed(SUBCLASS + "obj = Triplet()\nmodel.compile(optimizer='sgd', loss='mse')\n", ref)
    assert _keras_fed("", LossRef("f", "compile")) and not _keras_fed("", LossRef("f", "unknown"))
