"""The model facts of ``analysis.models``: final activation, units, compile losses, fit labels."""

from __future__ import annotations

import ast
from textwrap import dedent

import libcst as cst

from tfshape_lint.analysis.index import build_index
from tfshape_lint.analysis.models import (
    Activation,
    LossWriting,
    ModelReader,
    builder_units,
    fit_sites,
    read_models,
)
from tfshape_lint.source import code_of


def _read(source: str) -> ModelReader:
    source = dedent(source)
    index = build_index(source, ast.parse(source))
    return read_models(index.imports, cst.parse_module(source))


def _activation(source: str, expr: str = "model") -> Activation:
    return _read(source).final_activation(cst.parse_expression(expr))


def test_sequential_list_and_add_calls() -> None:
    reader = _read("""
        import keras
        a = keras.Sequential([keras.layers.Dense(8, activation='relu'), keras.layers.Dense(3)])
        b = keras.Sequential()
        b.add(keras.layers.Dense(8))
        b.add(keras.layers.Activation('sigmoid'))
    """)
    a = reader.model(cst.Name("a"))
    assert a is not None and a.final_activation is Activation.LINEAR and a.units == 3
    assert reader.final_activation(cst.Name("b")) is Activation.SIGMOID


def test_functional_chain_through_a_transparent_layer() -> None:
    reader = _read("""
        import tensorflow as tf
        from tensorflow.keras import layers
        inputs = tf.keras.Input((20,))
        x = layers.Dense(5, activation='softmax')(inputs)
        outputs = layers.Reshape((5,))(x)
        model = tf.keras.Model(inputs=inputs, outputs=outputs)
    """)
    model = reader.model(cst.Name("model"))
    assert model is not None and model.output is not None
    assert model.final_activation is Activation.SOFTMAX
    assert model.output.after == "Reshape((5,))" and model.units == 5


def test_subclassed_call_returning_softmax() -> None:
    assert _activation("""
        import tensorflow as tf
        class Net(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.hidden = tf.keras.layers.Dense(16, activation='relu')
                self.head = tf.keras.layers.Dense(4)
            def call(self, x):
                x = self.hidden(x)
                return tf.nn.softmax(self.head(x))
        model = Net()
    """) is Activation.SOFTMAX


def test_subclassed_call_returning_a_layer_of_init() -> None:
    assert _activation("""
        import keras
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.head = keras.layers.Dense(4)
            def call(self, x):
                return self.head(x)
        model = Net()
    """) is Activation.LINEAR


def test_model_built_by_a_function_and_returned() -> None:
    source = """
        import tensorflow as tf
        def build_model(n):
            inputs = tf.keras.Input(shape=(32,))
            outputs = tf.keras.layers.Dense(n, activation='sigmoid')(inputs)
            return tf.keras.Model(inputs, outputs)
        model = build_model(1)
    """
    assert _activation(source) is Activation.SIGMOID
    assert "build_model" in _read(source).built
    text = dedent(source)
    assert builder_units(build_index(text, ast.parse(text))) == {1}


def test_unknown_activations_stay_unknown() -> None:
    source = """
        import keras
        class Head(keras.layers.Layer):
            def call(self, x):
                return x
        def build(act):
            return keras.Sequential([keras.layers.Dense(3, activation=act)])
        a = keras.Sequential([keras.layers.Dense(3), Head()])
        b = build('softmax')
        c = keras.Sequential([keras.layers.Dense(3)])
        if flag:
            c.add(keras.layers.Softmax())
        d = keras.Sequential([keras.layers.Dense(3, activation='softmax')])
        d.layers[-1].activation = None
    """
    for name in "abcd":
        assert _activation(source, name) is Activation.UNKNOWN, name
    assert _activation(source, "elsewhere()") is Activation.UNKNOWN


def test_compile_facts_resolve_the_crossentropy_through_names() -> None:
    reader = _read("""
        import keras
        model = keras.Sequential([keras.layers.Dense(10)])
        ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer='adam', loss=ce)
        model.compile(optimizer='adam', loss='categorical_crossentropy')
        model.compile(optimizer='adam', loss='mse')
    """)
    first, second, third = reader.compiles
    assert first.loss is not None and first.loss.from_logits and first.loss.form is LossWriting.INSTANCE
    assert first.model.final_activation is Activation.LINEAR
    assert second.loss is not None and second.loss.cls == "CategoricalCrossentropy"
    assert not second.loss.from_logits and second.loss.form is LossWriting.STRING
    assert third.loss is None and third.written is not None


def test_fit_labels_as_the_file_shows_them() -> None:
    module = cst.parse_module(dedent("""
        import tensorflow as tf
        model.fit(x, y_train, epochs=3)
        def train(model):
            ds = tf.data.Dataset.from_tensor_slices((features, labels))
            ds = ds.shuffle(64).batch(8)
            model.fit(ds, epochs=2)
            model.fit(x=a, y=b)
            model.fit(generator())
    """))
    labels = [site.labels and code_of(site.labels) for site in fit_sites([module])]
    assert labels == ["y_train", "labels", "b", None]
    assert [site.scope is None for site in fit_sites([module])] == [True, False, False, False]


def test_a_return_in_a_branch_makes_the_output_unknown() -> None:
    source = """
        import keras
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.head = keras.layers.Dense(4)
            def call(self, x, training=False):
                if training:
                    return self.head(x)
                return keras.activations.softmax(self.head(x))
        def build(logits):
            if logits:
                return keras.Sequential([keras.layers.Dense(4)])
            return keras.Sequential([keras.layers.Dense(4, activation='softmax')])
        a = Net()
        b = build(True)
    """
    assert _activation(source, "a") is Activation.UNKNOWN
    assert _activation(source, "b") is Activation.UNKNOWN


def _rank(source: str, expr: str = "model") -> int | None:
    model = _read(source).model(cst.parse_expression(expr))
    return model.rank if model is not None else None


def test_output_rank_of_sequential_models() -> None:
    head = "import keras\nfrom keras import layers\n"
    assert _rank(head + "model = keras.Sequential([layers.Dense(8, input_shape=(4,)), layers.Dense(1)])\n") == 2
    assert _rank(head + "model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Conv2D(8, 3)])\n") == 4
    assert _rank(head + "model = keras.Sequential([layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(1)])\n") == 2
    assert _rank(head + "model = keras.Sequential([layers.Dense(1, input_dim=4), layers.Reshape(())])\n") == 1
    assert _rank(head + "model = keras.Sequential([layers.Conv2D(8, 3), layers.GlobalAveragePooling2D()])\n") == 2
    # no input shape, an unknown layer, an equation that decides the rank: unknown
    assert _rank(head + "model = keras.Sequential([layers.Dense(8), layers.Dense(1)])\n") is None
    assert _rank(head + "model = keras.Sequential([layers.Dense(8, input_dim=4), layers.LSTM(4)])\n") is None
    assert _rank(head + "model = keras.Sequential([layers.Dense(8, input_dim=4), layers.EinsumDense('ab,bc->ac', 4)])\n") is None
    assert _rank(head + "model = keras.Sequential()\nmodel.add(layers.Dense(8, input_dim=4))\nmodel.add(layers.Dense(1))\n") == 2


def test_output_rank_of_functional_and_built_models() -> None:
    src = """
        import keras
        from keras import layers
        def build():
            inputs = keras.Input(shape=(16,))
            x = layers.Dense(8, activation='relu')(inputs)
            x = layers.Dropout(0.1)(x)
            return keras.Model(inputs, layers.Dense(1)(x))
        model = build()
        seq = keras.Input(shape=(10, 4))
        model2 = keras.Model(seq, layers.Dense(3)(seq))
    """
    assert _rank(src) == 2 and _rank(src, "model2") == 3


def test_called_ranks_follow_module_models_into_functions() -> None:
    source = dedent("""
        import keras
        model = keras.Sequential([keras.layers.Dense(1, input_shape=(4,))])
        unknown = keras.Sequential([keras.layers.Dense(1)])
        def step(x, y):
            return loss(y, model(x)) + loss(y, unknown(x)) + loss(y, model.predict(x))
    """)
    index = build_index(source, ast.parse(source))
    reader = ModelReader(index.imports, calls=True)
    reader.read(cst.parse_module(source))
    assert sorted(code_of(c) for c in reader.called_ranks()) == ["model(x)", "model.predict(x)"]
    assert set(reader.called_ranks().values()) == {2}


def test_layer_table_shared_by_models_and_tensors() -> None:
    from tfshape_lint.analysis.layers import LayerRole, layer_spec, rank_change, width

    def change(code: str) -> tuple[bool, int | None]:
        call = cst.parse_expression(code)
        assert isinstance(call, cst.Call)
        found = layer_spec("keras.layers." + code.split("(", 1)[0])
        assert found is not None
        result = rank_change(found[0], found[1], call)
        return result.keeps, result.rank

    dense = layer_spec("keras.layers.Dense")
    assert dense is not None and dense[1].role is LayerRole.AFFINE
    assert layer_spec("keras.Input") is not None and layer_spec("keras.layers.LSTM") is None
    assert layer_spec("np.zeros") is None and layer_spec(None) is None
    assert change("Dense(1)") == (True, None) and change("Flatten()") == (False, 2)
    assert change("Reshape((4, 2))") == (False, 3) and change("Reshape(())") == (False, 1)
    assert change("GlobalAveragePooling2D()") == (False, 2)
    assert change("GlobalAveragePooling2D(keepdims=True)") == (True, None)
    assert change("EinsumDense('ab,bc->ac', 4)") == (False, None)
    conv = layer_spec("keras.layers.Conv2D")
    depthwise = layer_spec("keras.layers.DepthwiseConv2D")
    assert conv is not None and depthwise is not None
    assert width(conv[1], cst.Call(cst.Name("Conv2D"), [cst.Arg(cst.Integer("16"))])) == 16
    assert width(depthwise[1], cst.Call(cst.Name("DepthwiseConv2D"), [cst.Arg(cst.Integer("3"))])) is None


def test_called_ranks_skip_names_a_function_binds() -> None:
    source = dedent("""
        import keras
        model = keras.Sequential([keras.layers.Dense(1, input_shape=(4,))])
        def step(model, x):
            return model(x)
        def other(x):
            if x:
                model = load()
            return model(x)
        def third(x):
            for model in models:
                pass
            return model(x)
    """)
    index = build_index(source, ast.parse(source))
    reader = ModelReader(index.imports, calls=True)
    reader.read(cst.parse_module(source))
    assert reader.called_ranks() == {}
