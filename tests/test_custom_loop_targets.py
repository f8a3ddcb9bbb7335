"""What ``tape.gradient(loss, ...)`` differentiates is what the function holding that call binds
``loss`` to, not the first ``loss = ...`` of the file (held-out round 40: a Barlow Twins
``compute_loss`` defined before the model, ending in ``loss = on_diag + off_diag``, hid the
helper the train step calls). A differentiated helper whose prediction sits after its first two
parameters is not read as (labels, predictions)."""

from __future__ import annotations

import pytest

from tests.conftest import source_of
from tfshape_lint.engine import lint_source

BARLOW = source_of('''
    import tensorflow as tf


    def normalize(z):
        return (z - tf.reduce_mean(z, axis=0)) / tf.math.reduce_std(z, axis=0)


    def compute_loss(z_a, z_b, lambd):
        c = tf.matmul(normalize(z_a), normalize(z_b), transpose_a=True)
        on_diag = tf.reduce_sum(tf.square(tf.linalg.diag_part(c) - 1.0))
        loss = on_diag + lambd * tf.reduce_sum(tf.square(c))
        return loss


    class BarlowTwins(tf.keras.Model):
        def train_step(self, data):
            a, b = data
            with tf.GradientTape() as tape:
                z_a, z_b = self.encoder(a, training=True), self.encoder(b, training=True)
                loss = compute_loss(z_a, z_b, 5e-3)
            grads = tape.gradient(loss, self.encoder.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.encoder.trainable_variables))
            return {"loss": loss}
    ''')


def test_the_helper_the_train_step_differentiates_is_checked() -> None:
    found = [(f.code, f.line) for f in lint_source(BARLOW, "barlow.py")]
    assert ("TFS401", 5) in found


@pytest.mark.parametrize("params, call, flagged", [
    ("y_true, y_pred", "y, self(x, training=True)", True),
    ("events, times, predictions", "k, t, self(x, training=True)", False),
])
def test_a_differentiated_helper_is_read_by_its_parameter_names(params: str, call: str, flagged: bool) -> None:
    first, second = params.split(", ")[:2]
    source = source_of(f'''
        import tensorflow as tf


        class Survival(tf.keras.Model):
            def compute_loss_terms(self, {params}):
                ranked = tf.nn.relu(tf.sign({second} - tf.transpose({second})))
                return tf.reduce_mean(ranked * {first}, axis=-1)

            def train_step(self, data):
                x, y, k, t = data
                with tf.GradientTape() as tape:
                    loss = self.compute_loss_terms({call})
                grads = tape.gradient(loss, self.trainable_variables)
                return {{"loss": loss}}
        ''')
    codes = {f.code for f in lint_source(source, "survival.py")}
    assert ("TFS301" in codes) is flagged


@pytest.mark.parametrize("call, flagged", [
    ("kappa_loss(y_true, y_pre)", True),
    ("kappa_loss(y_pre, y_true)", False),
])
def test_a_prediction_first_loss_called_labels_first_is_swapped(call: str, flagged: bool) -> None:
    source = source_of(f'''
        import tensorflow as tf


        def kappa_loss(y_pred, y_true, eps=1e-10):
            y_true = tf.cast(y_true, tf.float32)
            rows = tf.reduce_sum(y_pred, axis=0)
            cols = tf.reduce_sum(y_true, axis=0)
            agreement = tf.reduce_sum(y_pred * y_true)
            return 1.0 - agreement / (tf.reduce_sum(rows * cols) + eps)


        def train(model, batches, optimizer):
            for x, y_true in batches:
                with tf.GradientTape() as tape:
                    y_pre = model(x)
                    loss = {call}
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(grads, model.trainable_variables))
        ''')
    codes = [f.code for f in lint_source(source, "kappa.py")]
    assert ("TFS503" in codes) is flagged
