"""Verifier inputs from real files (issue 12, held-out round 23), written anew for this test:

- Keras 2.2 code that reads ``K.logsumexp`` from ``tensorflow.keras.backend`` (no Keras has it
  now) runs under tf_keras with the name given as ``tf.reduce_logsumexp``, and the evidence says
  so; an AM-softmax whose log argument a margin term keeps below 1 is then refuted;
- a TFS108 finding on a loss over the batch's pairs (one sample alone gives 0) is tested for
  weights that select samples; one whose weighted value is the same number with the flagged
  reduction kept per sample is inconclusive (those inputs cannot tell a scalar from per-sample
  values that are all alike), never confirmed;
- a factory the file never calls whose parameter only indexes a module-level dict literal
  (``NUM_SAMPLES[dataset]``) is built with that dict's first key;
- a flagged op in a branch for inputs of higher rank (``if len(true_shape) >= 3:``) that the first
  layouts never reach is run again on layouts of rank 3 and more, and the evidence says so.
"""

from __future__ import annotations

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

AM_SOFTMAX = source_of('''
    import tensorflow as tf
    from tensorflow.keras import backend as K


    def sparse_amsoftmax_loss(y_true, y_pred, scale=30, margin=0.35):
        y_true = K.cast(K.expand_dims(y_true[:, 0], 1), "int32")
        idxs = K.concatenate([K.expand_dims(K.arange(0, K.shape(y_true)[0]), 1), y_true], 1)
        y_true_pred = K.expand_dims(tf.gather_nd(y_pred, idxs), 1)
        z = K.concatenate([y_pred, y_true_pred - margin], 1) * scale
        log_z = K.logsumexp(z, 1, keepdims=True)
        log_z = log_z + K.log(1 - K.exp(scale * y_true_pred - log_z))
        return -(y_true_pred - margin) * scale + log_z
    ''')

PAIRS = source_of('''
    import tensorflow as tf


    class PairCrossentropy(tf.keras.losses.Loss):
        def __init__(self, temperature=0.1, **kwargs):
            super().__init__(**kwargs)
            self.temperature = temperature
            self.ce = tf.keras.losses.CategoricalCrossentropy(from_logits=True)

        def call(self, y_true, y_pred):
            n = tf.shape(y_pred)[0]
            sim = tf.matmul(y_pred, y_pred, transpose_b=True) / self.temperature
            sim = tf.linalg.set_diag(sim, tf.fill([n], -1e9))
            labels = tf.reshape(tf.argmax(y_true, axis=-1), [-1, 1])
            same = tf.cast(tf.equal(labels, tf.transpose(labels)), tf.float32)
            return self.ce(tf.linalg.set_diag(same, tf.zeros([n])), sim)


    model.compile(optimizer="adam", loss=PairCrossentropy())
    ''')


#: every sample gets the batch's mean row: per-sample values all alike, so weighting one sample
#: or taking the batch's scalar give Keras the same number
ALIKE = source_of('''
    import tensorflow as tf


    class BatchMeanCrossentropy(tf.keras.losses.Loss):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.ce = tf.keras.losses.CategoricalCrossentropy()

        def call(self, y_true, y_pred):
            n = tf.shape(y_pred)[0]
            rows_true = tf.tile(tf.reduce_mean(y_true, 0, keepdims=True), [n, 1])
            rows_pred = tf.tile(tf.reduce_mean(y_pred, 0, keepdims=True), [n, 1])
            return self.ce(rows_true, rows_pred)


    model.compile(optimizer="adam", loss=BatchMeanCrossentropy())
    ''')


@pytest.mark.tf
@needs_tf
def test_keras22_backend_names_run_under_a_shim_and_pairwise_weights_need_a_difference() -> None:
    out = verify_cases({"amsoftmax.py": (AM_SOFTMAX, "TFS401"), "pairs.py": (PAIRS, "TFS108"),
                        "alike.py": (ALIKE, "TFS108")})
    (am,) = out["amsoftmax.py"]
    expect_verdict(am, "refuted", present=("K.logsumexp as tf.reduce_logsumexp",))
    (pairs,) = out["pairs.py"]
    # one sample alone has no pair: the weights are tested for selecting samples, and the
    # per-sample variant weights differently
    expect_verdict(pairs, "confirmed", present=("the weights select no sample", "the loss is defined over the batch"),
                   absent=("Keras computes the same",))
    (alike,) = out["alike.py"]
    expect_verdict(alike, "inconclusive", present=("Keras computes the same",))


NUM_SAMPLES_FACTORY = source_of('''
    import tensorflow as tf

    NUM_SAMPLES = {
        "DRIVE": [6029585, 569615],
    }


    def weighted_focal(dataset, gamma=2.0):
        counts = NUM_SAMPLES[dataset]
        weights = tf.constant([sum(counts) / c for c in counts], tf.float32)

        def focal(y_pred, y_true):
            p = tf.clip_by_value(y_pred, 1e-7, 1.0)
            return -tf.reduce_sum(weights * y_true * (1.0 - p) ** gamma * tf.math.log(p), axis=-1)
        return focal
    ''')


RANK_BRANCH = source_of('''
    import tensorflow as tf


    def per_pixel_loss(y_true, y_pred):
        true_shape = y_true.shape
        result = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
        if len(true_shape) >= 3:
            return tf.reshape(result, true_shape[:-1])
        return result
    ''')


@pytest.mark.tf
@needs_tf
def test_a_dict_key_parameter_and_a_branch_for_higher_rank_inputs_are_reached() -> None:
    # one verifier call for both files: one worker start
    out = verify_cases({"focal.py": (NUM_SAMPLES_FACTORY, "TFS503"), "branch.py": (RANK_BRANCH, "TFS110")})
    (focal,) = out["focal.py"]
    expect_verdict(focal, "confirmed", present=("`dataset` = 'DRIVE'", "swapped back"))
    (branch,) = out["branch.py"]
    expect_verdict(branch, "confirmed", present=("with inputs of rank 3 or more", "tf.shape(y_true)[:-1]"))

