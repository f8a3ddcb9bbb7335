"""Verifier inputs from real files (issue 12, held-out round 44), written anew for this test:

- a loss with a third required parameter that the file binds with ``functools.partial`` at module
  level (a cost matrix between classes) runs as that partial, and a square ``(C, C)`` constant
  makes ``(B, C)`` one-hot inputs the first layout tried;
- ``compile(loss=custom_loss(pos_weight))`` of a factory of the file, with an argument only the
  enclosing function knows, is built with that argument bound (TFS502's model probe);
- a never-called factory whose parameter the code reads as pandas/xarray
  (``np.cos(np.deg2rad(lat)).values``) gets a one-entry stand-in with ``values``.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import expect_verdict, source_of, verify_cases
from tfshape_lint.verify import tensorflow_available
from tfshape_lint.verify.extract import ParamBinding, param_bindings

needs_tf = pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")

COST_MATRIX = source_of('''
    from functools import partial

    import numpy as np
    from keras import backend as K


    def w_categorical_crossentropy(y_true, y_pred, weights):
        final_mask = K.zeros_like(y_pred[:, 0])
        y_pred_max = K.max(y_pred, axis=1)
        y_pred_max = K.reshape(y_pred_max, (K.shape(y_pred)[0], 1))
        y_pred_max_mat = K.cast(K.equal(y_pred, y_pred_max), K.floatx())
        for c_p in range(weights.shape[0]):
            for c_t in range(weights.shape[0]):
                final_mask += weights[c_t, c_p] * y_pred_max_mat[:, c_p] * y_true[:, c_t]
        return K.categorical_crossentropy(y_pred, y_true) * final_mask


    w_array = np.ones((6, 6))
    ncce = partial(w_categorical_crossentropy, weights=w_array)
    model.compile(optimizer="adam", loss=ncce)
    ''')

FACTORY_IN_COMPILE = source_of('''
    import tensorflow as tf


    def custom_loss(pos_weight):
        def loss(y_true, y_pred):
            return tf.nn.weighted_cross_entropy_with_logits(y_true, y_pred, pos_weight)
        return loss


    def build(pos_weight=2.5):
        model = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu"),
                                     tf.keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss=custom_loss(pos_weight))
        return model
    ''')

LATITUDE_WEIGHTS = source_of('''
    import numpy as np
    import tensorflow as tf


    def create_lat_mae(lat):
        weights_lat = np.cos(np.deg2rad(lat)).values
        weights_lat /= weights_lat.mean()

        def lat_mae(y_true, y_pred):
            error = tf.abs(y_true - y_pred) * weights_lat[None, :, None, None]
            return tf.reduce_sum(error)
        return lat_mae
    ''')


def test_a_coordinate_read_as_xarray_gets_a_series_binding() -> None:
    factory = ast.parse(LATITUDE_WEIGHTS).body[2]
    assert isinstance(factory, ast.FunctionDef)
    bound = param_bindings(factory, ["lat"])
    assert bound == {"lat": ParamBinding("series")}
    assert "values" in bound["lat"].shown("lat")


@needs_tf
@pytest.mark.tf
def test_partial_cost_matrix_factory_call_and_series_get_verdicts() -> None:
    out = verify_cases({"cost.py": (COST_MATRIX, "TFS503"), "factory.py": (FACTORY_IN_COMPILE, "TFS502"),
                        "lat.py": (LATITUDE_WEIGHTS, "TFS102")})
    expect_verdict(out["cost.py"][0], "confirmed", present=("(4, 6)/(4, 6)",), absent=("missing 1 required",))
    expect_verdict(out["factory.py"][0], "confirmed", present=("Dense(1, sigmoid)",), absent=("model probe failed",))
    expect_verdict(out["lat.py"][0], "confirmed", present=("batch",), absent=("no attribute 'values'",))
