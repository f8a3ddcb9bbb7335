"""TFS502 from-logits-mismatch: reads the model facts of ``analysis.models``."""

from __future__ import annotations

import ast
import re
from typing import Iterable

import libcst as cst

from tfshape_lint.analysis.builtin_losses import (
    CROSSENTROPY_CLASSES,
    CROSSENTROPY_STRINGS,
    losses_module_for,
    spell_module,
)
from tfshape_lint.analysis.imports import ast_dotted
from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.analysis.models import (
    Activation,
    CompiledLoss,
    CompileFacts,
    LossWriting,
    ModelFacts,
    ModelReader,
    Output,
    builder_units,
    builds_model,
    compiles_by_scope,
)
from tfshape_lint.analysis.tensors import call_arg
from tfshape_lint.rule import Example, FixSafety, Rule, RuleScope, Severity
from tfshape_lint.rules._helpers import with_keyword
from tfshape_lint.source import code_of as _code

ImportSpec = tuple[str, str | None, str | None]


def _degenerate(loss: CompiledLoss, out: Output) -> bool:
    """Categorical crossentropy over a single output unit is 0 whatever ``from_logits`` says
    (one class: the normalised probability is 1); the flag changes nothing there."""
    return loss.cls in ("CategoricalCrossentropy", "CategoricalFocalCrossentropy") and out.units == 1


class FromLogitsMismatch(Rule):
    """## What it does
    Matches each `model.compile(loss=...)` crossentropy with the model it compiles, when the
    same function (or the module's top level) builds that model, or gets it from a function of
    the file that builds and returns it (`model = build_model(10)`): a `Sequential([...])`
    list, `Sequential()` followed by `.add(...)` calls, a functional `Model(inputs, outputs)`
    whose `outputs` chain of layer calls is followed back through variables, or a subclassed
    `keras.Model` of the file whose `call` returns a layer set in `__init__` or an activation
    (`model = Classifier(10)`). The model facts come from `analysis.models`. It flags
    - `from_logits=True` (Loss classes) when the last layer applies `softmax`/`sigmoid`
      (`activation=` on the layer, an `Activation`/`Softmax` layer, `tf.nn.softmax(x)`);
    - the default `from_logits=False` (Loss classes without the argument, the loss functions,
      and the strings `"categorical_crossentropy"`, `"binary_crossentropy"`,
      `"sparse_categorical_crossentropy"`) when the last layer has no activation; also for a
      loss function of the file passed to `compile` by name that hands its own `y_pred`,
      unchanged, to a crossentropy with `from_logits` left `False` (a label-smoothing loss
      built on `K.categorical_crossentropy(y_true, y_pred)`);
    - a loss function of the file that hands its own `y_pred`, unchanged, to TensorFlow's
      crossentropy of logits (`tf.nn.sigmoid_cross_entropy_with_logits`,
      `tf.nn.weighted_cross_entropy_with_logits`, `tf.nn.softmax_cross_entropy_with_logits`,
      `tf.nn.sparse_softmax_cross_entropy_with_logits`) when the last layer applies
      `softmax`/`sigmoid`. Either kind of loss function may also reach `compile` through a
      factory of the file that defines it and returns it (`loss=weighted_loss(2.5)`).

    Silent when it cannot tell: a model built in another module or returned from a branch, custom or
    unknown last layers, other activations, several outputs, layers added in a branch or a
    loop, a subclassed `call` that branches before its return, losses defined in another module,
    or a non-literal `from_logits`.

    ## Why is this bad?
    Measured on TF 2.21 (Dense(3) on 8 samples, loss at the initial weights, computed here
    with Keras 3.15.1 and tf_keras 2.21 alike):
    - Default `from_logits=False` on a layer without activation: the raw scores are read as
      probabilities and the loss is **8.5812 instead of 4.4879**; nothing raises or warns.
    - TensorFlow's `tf.nn.weighted_cross_entropy_with_logits` in a custom loss after
      `Dense(1, activation="sigmoid")`: sigmoid is applied twice and the loss is **0.7362
      instead of 0.6888** (the same op on the layer's logits); no Keras Loss stands between, so
      no backend recovers the logits, and nothing warns.
    - `from_logits=True` after `Dense(3, activation="softmax")` followed by a `Reshape` or
      `Flatten` layer: softmax is applied twice and the loss is **1.4688 instead of 4.4879**
      (the flattened softmax squashes every gradient); nothing raises.
    - `from_logits=True` directly on the softmax/sigmoid output: on the TensorFlow backend
      both Keras versions recover the pre-activation logits and only warn
      (`"categorical_crossentropy" received from_logits=True, but the output argument was
      produced by a Softmax activation and thus does not represent logits. Was this
      intended?`); the JAX and PyTorch backends of Keras 3 have no such recovery and apply the
      activation twice. tf_keras 2.21 recovers them exactly like Keras 3 (same loss, same
      warning), so `target-keras = "tf-keras"` does not change the severity: nothing raises.

    ## Example
    ```python
    model = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    ```

    ## Use instead
    ```python
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```

    ## Fix safety
    Unsafe: flipping `from_logits` changes the loss value and the gradient (that is the
    point); a string loss becomes the Loss class with `from_logits=True`. When the output
    already is a probability and a model elsewhere relies on the flag, the flip is wrong, so
    it is opt-in. Losses bound to a name elsewhere are reported without a fix.

    ## Verification
    `--verify` builds the flagged model's last layer on synthetic inputs and compares the
    compiled loss with a numpy crossentropy on the layer's logits; a mismatch confirms it.
    """

    code = "TFS502"
    name = "from-logits-mismatch"
    message = "{loss} {problem}; {advice}"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    scope = RuleScope.MODULE

    good = (
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n"
                "from tensorflow.keras.layers import Dense, Input\nfrom tensorflow.keras.models import Model\n\n"
                "inputs = Input(shape=(16,))\n"
                "outputs = Dense(10)(inputs)\n\n\n"
                "def smoothed_crossentropy(y_true, y_pred, e=0.1):\n"
                "    y_pred = tf.nn.softmax(y_pred)\n"
                "    hard = K.categorical_crossentropy(y_true, y_pred)\n"
                "    return (1 - e) * hard + e * K.categorical_crossentropy(K.ones_like(y_pred) / 10, y_pred)\n\n\n"
                "model = Model(inputs, outputs)\n"
                "model.compile(optimizer='adam', loss=smoothed_crossentropy)\n",
                note="the loss applies the softmax to the logits before the crossentropy reads them"),
        Example("from tensorflow import keras\nfrom tensorflow.keras import layers\n\n"
                "inputs = keras.Input(shape=(784,))\n"
                "x = layers.Dense(64, activation='relu')(inputs)\n"
                "x = layers.Dense(10)(x)\n"
                "x = layers.Activation('softmax')(x)\n"
                "outputs = layers.Activation('linear', dtype='float32')(x)\n"
                "model = keras.Model(inputs, outputs)\n"
                "model.compile(optimizer='rmsprop', loss='sparse_categorical_crossentropy')\n",
                note="a linear Activation (mixed precision's cast to float32) keeps the softmax output"),
        Example("import tensorflow as tf\n\n\ndef build_model(num_classes):\n"
                "    inputs = tf.keras.Input(shape=(32,))\n"
                "    x = tf.keras.layers.Dense(64, activation=\"relu\")(inputs)\n"
                "    outputs = tf.keras.layers.Dense(num_classes, activation=\"softmax\")(x)\n"
                "    return tf.keras.Model(inputs, outputs)\n\n\n"
                "def train(x, y):\n"
                "    model = build_model(10)\n"
                "    model.compile(optimizer=\"adam\", loss=tf.keras.losses.SparseCategoricalCrossentropy())\n"
                "    model.fit(x, y, epochs=3)\n",
                note="a model built by a function of the file: its softmax output is seen"),
        Example("import keras\n\n"
                "model = keras.Sequential([keras.layers.Dense(4, activation='relu'), keras.layers.Dense(1)])\n"
                "model.compile(optimizer='sgd', loss='categorical_crossentropy')\n",
                note="one unit: categorical crossentropy is 0 with either flag (measured 1.2e-7 and 0.0); "
                     "the flag is not what is wrong there"),
        Example("import keras\n\n"
                "model = keras.Sequential([keras.layers.Dense(64, activation='relu'), keras.layers.Dense(10)])\n"
                "model.compile(optimizer='adam', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n",
                note="logits with from_logits=True"),
        Example("import keras\n\n"
                "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
                "model.compile(optimizer='adam', loss='categorical_crossentropy')\n",
                note="probabilities with the default"),
        Example("import keras\n\n"
                "model = build_model()\n"
                "model.compile(optimizer='adam', loss='categorical_crossentropy')\n",
                note="a model built elsewhere"),
        Example("import keras\n\n"
                "class Head(keras.layers.Layer):\n"
                "    def call(self, x):\n"
                "        return x\n\n"
                "model = keras.Sequential([keras.layers.Dense(10), Head()])\n"
                "model.compile(optimizer='adam', loss='categorical_crossentropy')\n",
                note="a custom last layer"),
        Example("import keras\n\n"
                "inputs = keras.Input((8,))\n"
                "x = keras.layers.Dense(16, activation='relu')(inputs)\n"
                "a = keras.layers.Dense(3)(x)\n"
                "b = keras.layers.Dense(1, activation='sigmoid')(x)\n"
                "model = keras.Model(inputs, [a, b])\n"
                "model.compile(optimizer='adam', loss=['categorical_crossentropy', 'binary_crossentropy'])\n",
                note="several outputs"),
        Example("import tensorflow as tf\n\n"
                "def build(activation):\n"
                "    model = tf.keras.Sequential([tf.keras.layers.Dense(10, activation=activation)])\n"
                "    model.compile(optimizer='adam', loss='categorical_crossentropy')\n"
                "    return model\n",
                note="the activation is a parameter"),
        Example("import tensorflow as tf\n\n"
                "model = tf.keras.Sequential()\n"
                "model.add(tf.keras.layers.Dense(10))\n"
                "if use_softmax:\n"
                "    model.add(tf.keras.layers.Softmax())\n"
                "model.compile(optimizer='adam', loss='categorical_crossentropy')\n",
                note="a layer added in a branch"),
        Example("import keras\n\n"
                "model = keras.Sequential([keras.layers.Dense(1)])\n"
                "model.compile(optimizer='adam', loss='mse')\n",
                note="not a crossentropy"),
        Example("import keras\n\n"
                "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
                "model.layers[-1].activation = None\n"
                "model.compile(optimizer='adam', loss=keras.losses.CategoricalCrossentropy(from_logits=True))\n",
                note="the activation is removed in place"),
        Example("import tensorflow as tf\n\n\n"
                "class Classifier(tf.keras.Model):\n"
                "    def __init__(self, num_classes):\n"
                "        super().__init__()\n"
                "        self.head = tf.keras.layers.Dense(num_classes)\n\n"
                "    def call(self, x):\n"
                "        return tf.nn.softmax(self.head(x))\n\n\n"
                "model = Classifier(10)\n"
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n",
                note="a subclassed model whose call applies softmax"),
        Example("import keras\n\n\n"
                "def build(logits):\n"
                "    if logits:\n"
                "        return keras.Sequential([keras.layers.Dense(4)])\n"
                "    return keras.Sequential([keras.layers.Dense(4, activation='softmax')])\n\n\n"
                "model = build(True)\n"
                "model.compile(optimizer='adam', loss=keras.losses.CategoricalCrossentropy(from_logits=True))\n",
                note="the builder returns another model from a branch"),
        Example("import tensorflow as tf\nfrom tensorflow.keras.layers import Dense, Input\n"
                "from tensorflow.keras.models import Model\n\n\n"
                "def create_model():\n"
                "    inputs = Input(shape=(16,))\n"
                "    return Model(inputs, Dense(1)(inputs))\n\n\n"
                "def weighted_bce(y_true, y_pred):\n"
                "    return tf.nn.weighted_cross_entropy_with_logits(y_true, y_pred, pos_weight=0.3)\n\n\n"
                "model = create_model()\n"
                "model.compile(optimizer='adam', loss=weighted_bce)\n",
                note="TensorFlow's crossentropy of logits on a last layer that gives logits"),
    )
    bad = (
        Example('import tensorflow as tf\n\n\ndef weighted_loss(pos_weight):\n    def loss(y_true, y_pred):\n        return tf.nn.weighted_cross_entropy_with_logits(y_true, y_pred, pos_weight)\n    return loss\n\n\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(32, activation="relu"),\n                             tf.keras.layers.Dense(1, activation="sigmoid")])\nmodel.compile(optimizer="adam", loss=weighted_loss(2.5))\n',
                fixed=None, line=12,
                note="a loss factory's inner function hands the sigmoid outputs to a tf.nn op that expects logits"),
        Example("import tensorflow as tf\nfrom tensorflow.keras.layers import Dense, Input\n"
                "from tensorflow.keras.models import Model\n\n\n"
                "def create_model():\n"
                "    inputs = Input(shape=(16,))\n"
                "    return Model(inputs, Dense(1, activation='sigmoid')(inputs))\n\n\n"
                "def weighted_bce(y_true, y_pred):\n"
                "    return tf.nn.weighted_cross_entropy_with_logits(y_true, y_pred, pos_weight=0.3)\n\n\n"
                "model = create_model()\n"
                "model.compile(optimizer='adam', loss=weighted_bce)\n",
                fixed=None, line=16,
                message="weighted_bce (through tf.nn.weighted_cross_entropy_with_logits) reads the outputs as logits "
                        "(sigmoid applied inside) but the last layer Dense(1, activation='sigmoid') applies sigmoid "
                        "already, so the outputs are squashed twice (no backend undoes it); drop the last layer's "
                        "activation, or give the loss the logits before it",
                note="a loss of the file that hands its prediction to TensorFlow's crossentropy of logits: unlike "
                     "a Keras Loss with from_logits=True, nothing recovers the logits of the activated output"),
        Example("from tensorflow.keras import backend as K\nfrom tensorflow.keras.layers import Dense, Input\n"
                "from tensorflow.keras.models import Model\n\n"
                "inputs = Input(shape=(16,))\n"
                "outputs = Dense(10)(inputs)\n\n\n"
                "def smoothed_crossentropy(y_true, y_pred, e=0.1):\n"
                "    hard = K.categorical_crossentropy(y_true, y_pred)\n"
                "    soft = K.categorical_crossentropy(K.ones_like(y_pred) / 10, y_pred)\n"
                "    return (1 - e) * hard + e * soft\n\n\n"
                "model = Model(inputs, outputs)\n"
                "model.compile(optimizer='adam', loss=smoothed_crossentropy)\n",
                fixed=None, line=16,
                message="smoothed_crossentropy (through categorical_crossentropy) reads the outputs as probabilities "
                        "(from_logits=False) but the last layer Dense(10) has no activation; pass from_logits=True to "
                        "the crossentropy it calls",
                note="a loss of the file that hands its prediction unchanged to a crossentropy reads it as one does"),
        Example("import tensorflow as tf\n\n\ndef build_model(num_classes):\n"
                "    inputs = tf.keras.Input(shape=(32,))\n"
                "    x = tf.keras.layers.Dense(64, activation=\"relu\")(inputs)\n"
                "    outputs = tf.keras.layers.Dense(num_classes)(x)\n"
                "    return tf.keras.Model(inputs, outputs)\n\n\n"
                "def train(x, y):\n"
                "    model = build_model(10)\n"
                "    model.compile(optimizer=\"adam\", loss=tf.keras.losses.SparseCategoricalCrossentropy())\n"
                "    model.fit(x, y, epochs=3)\n",
                fixed="import tensorflow as tf\n\n\ndef build_model(num_classes):\n"
                      "    inputs = tf.keras.Input(shape=(32,))\n"
                      "    x = tf.keras.layers.Dense(64, activation=\"relu\")(inputs)\n"
                      "    outputs = tf.keras.layers.Dense(num_classes)(x)\n"
                      "    return tf.keras.Model(inputs, outputs)\n\n\n"
                      "def train(x, y):\n"
                      "    model = build_model(10)\n"
                      "    model.compile(optimizer=\"adam\", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
                      "    model.fit(x, y, epochs=3)\n",
                line=13, note="the model is built by a function of the file and returned"),
        Example("import keras\n\n"
                "model = keras.Sequential([keras.layers.Dense(64, activation='relu'), keras.layers.Dense(10)])\n"
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n",
                fixed="import keras\n\n"
                      "model = keras.Sequential([keras.layers.Dense(64, activation='relu'), keras.layers.Dense(10)])\n"
                      "model.compile(optimizer='adam', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n",
                line=4,
                message="'sparse_categorical_crossentropy' reads the outputs as probabilities (from_logits=False) "
                        "but the last layer Dense(10) has no activation; pass from_logits=True"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import layers\n\n"
                "def build():\n"
                "    inputs = tf.keras.Input((20,))\n"
                "    x = layers.Dense(32, activation='relu')(inputs)\n"
                "    x = layers.Dense(5, activation='softmax')(x)\n"
                "    outputs = layers.Reshape((5,))(x)\n"
                "    model = tf.keras.Model(inputs=inputs, outputs=outputs)\n"
                "    model.compile('adam', loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True))\n"
                "    return model\n",
                fixed="import tensorflow as tf\nfrom tensorflow.keras import layers\n\n"
                      "def build():\n"
                      "    inputs = tf.keras.Input((20,))\n"
                      "    x = layers.Dense(32, activation='relu')(inputs)\n"
                      "    x = layers.Dense(5, activation='softmax')(x)\n"
                      "    outputs = layers.Reshape((5,))(x)\n"
                      "    model = tf.keras.Model(inputs=inputs, outputs=outputs)\n"
                      "    model.compile('adam', loss=tf.keras.losses.CategoricalCrossentropy(from_logits=False))\n"
                      "    return model\n",
                line=10, note="functional chain; the Reshape hides the softmax, so it is applied twice"),
        Example("from tensorflow import keras\nfrom tensorflow.keras.layers import Activation, Dense\n\n"
                "model = keras.models.Sequential()\n"
                "model.add(Dense(1))\n"
                "model.add(Activation('sigmoid'))\n"
                "bce = keras.losses.BinaryCrossentropy(from_logits=True)\n"
                "with strategy.scope():\n"
                "    model.compile(optimizer='sgd', loss=bce)\n",
                fixed=None, line=9, note=".add() calls; the loss is bound to a name, so no fix"),
        Example("import keras\n\n"
                "inp = keras.Input((4,))\n"
                "out = keras.layers.Dense(1)(keras.layers.Dropout(0.2)(inp))\n"
                "model = keras.Model(inp, out)\n"
                "model.compile(optimizer='adam', loss=keras.losses.BinaryCrossentropy())\n",
                fixed="import keras\n\n"
                      "inp = keras.Input((4,))\n"
                      "out = keras.layers.Dense(1)(keras.layers.Dropout(0.2)(inp))\n"
                      "model = keras.Model(inp, out)\n"
                      "model.compile(optimizer='adam', loss=keras.losses.BinaryCrossentropy(from_logits=True))\n",
                line=6, note="a Loss class without from_logits"),
        Example("import tensorflow as tf\n\n"
                "model = tf.keras.Sequential([tf.keras.layers.Dense(10, activation=tf.nn.softmax)])\n"
                "model.compile(optimizer='adam',\n"
                "              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
                "              metrics=['accuracy'])\n",
                fixed="import tensorflow as tf\n\n"
                      "model = tf.keras.Sequential([tf.keras.layers.Dense(10, activation=tf.nn.softmax)])\n"
                      "model.compile(optimizer='adam',\n"
                      "              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=False),\n"
                      "              metrics=['accuracy'])\n",
                line=5, note="from_logits=True on a softmax output: Keras warns (TF backend) or applies it twice"),
        Example("import tensorflow as tf\n\n\n"
                "class Classifier(tf.keras.Model):\n"
                "    def __init__(self, num_classes):\n"
                "        super().__init__()\n"
                "        self.hidden = tf.keras.layers.Dense(64, activation='relu')\n"
                "        self.head = tf.keras.layers.Dense(num_classes)\n\n"
                "    def call(self, x):\n"
                "        return self.head(self.hidden(x))\n\n\n"
                "model = Classifier(10)\n"
                "model.compile(optimizer='adam', loss=tf.keras.losses.SparseCategoricalCrossentropy())\n",
                fixed="import tensorflow as tf\n\n\n"
                      "class Classifier(tf.keras.Model):\n"
                      "    def __init__(self, num_classes):\n"
                      "        super().__init__()\n"
                      "        self.hidden = tf.keras.layers.Dense(64, activation='relu')\n"
                      "        self.head = tf.keras.layers.Dense(num_classes)\n\n"
                      "    def call(self, x):\n"
                      "        return self.head(self.hidden(x))\n\n\n"
                      "model = Classifier(10)\n"
                      "model.compile(optimizer='adam', loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n",
                line=15, note="a subclassed model: its call returns the Dense layer set in __init__"),
        Example("import tensorflow as tf\n\n\nclass Seq2Seq:\n    def __init__(self, vocab_size):\n        self.vocab_size = vocab_size\n        self.model = None\n\n    def build_model(self):\n        tokens = tf.keras.Input(shape=(None,))\n        hidden = tf.keras.layers.GRU(64, return_sequences=True)(tf.keras.layers.Embedding(self.vocab_size, 32)(tokens))\n        self.model = tf.keras.Model(tokens, tf.keras.layers.Dense(self.vocab_size)(hidden))\n\n    def compile_model(self):\n        self.model.compile(optimizer='adam', loss=tf.keras.losses.SparseCategoricalCrossentropy())\n",
                fixed="import tensorflow as tf\n\n\nclass Seq2Seq:\n    def __init__(self, vocab_size):\n        self.vocab_size = vocab_size\n        self.model = None\n\n    def build_model(self):\n        tokens = tf.keras.Input(shape=(None,))\n        hidden = tf.keras.layers.GRU(64, return_sequences=True)(tf.keras.layers.Embedding(self.vocab_size, 32)(tokens))\n        self.model = tf.keras.Model(tokens, tf.keras.layers.Dense(self.vocab_size)(hidden))\n\n    def compile_model(self):\n        self.model.compile(optimizer='adam', loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n",
                line=15, note="a wrapper class: one method builds self.model, another compiles it"),
    )

    @classmethod
    def wants(cls, index: ModuleIndex) -> Iterable[int]:
        """Units with a ``compile`` whose loss may be a crossentropy, and the module-level
        statements that build models for a module-level ``compile`` (stdlib ast, cheap)."""
        compiles = index.methods.get("compile", set())
        lowered = index.source.lower()
        if not compiles or index.test_file or ("crossentropy" not in lowered and "cross_entropy_with_logits" not in lowered):
            return set()
        if not any(n.startswith(("keras.layers", "keras.Sequential", "keras.models", "keras.Model"))
                   for n in index.names):
            return set()
        candidates = {u for u in compiles if _crossentropy_compile(index, index.unit_nodes[u])}
        definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        out = {u for u in candidates if isinstance(index.unit_nodes[u], definitions)}
        module_level = [u for u in candidates if not isinstance(index.unit_nodes[u], definitions)]
        statements = {i for i, stmt in enumerate(index.unit_nodes)
                      if not isinstance(stmt, definitions + (ast.Import, ast.ImportFrom))}
        if module_level:
            out |= statements
        elif out:
            out |= statements & index.units_with_name("keras.losses")  # losses bound at module level
        if out:
            out |= _custom_loss_units(index, candidates)
        return out | builder_units(index) if out else out

    def begin_module(self) -> None:
        self._models = ModelReader(self.index.imports)

    def visit_Module(self, node: cst.Module) -> None:
        for site in self._models.read(node):
            self._compile(site)

    def _compile(self, site: CompileFacts) -> None:
        out, loss, written = site.model.output, site.loss, site.written
        if out is None or loss is None or written is None:
            return
        if loss.from_logits and out.activation.probabilities:
            self._report_probs(written, loss, out)
        elif not loss.from_logits and out.activation is Activation.LINEAR and not _degenerate(loss, out):
            self._report_logits(written, loss, out, site.model)

    def _report_probs(self, written: cst.BaseExpression, loss: CompiledLoss, out: Output) -> None:
        act = out.activation.value
        if loss.via:
            own = "softmax" if "softmax" in loss.via else "sigmoid"
            self.report(written, loss=_loss_text(written, loss),
                        problem=(f"reads the outputs as logits ({own} applied inside) but the last layer {out.layer} "
                                 f"applies {act} already, so the outputs are squashed twice (no backend undoes it)"),
                        advice="drop the last layer's activation, or give the loss the logits before it")
            return
        if out.after is not None:
            problem = (f"sets from_logits=True but {out.layer} applies {act} and {out.after} hides it, "
                       f"so {act} is applied twice")
        else:
            problem = (f"sets from_logits=True but the last layer {out.layer} applies {act} "
                       f"(only the TensorFlow backend undoes it, with a warning)")
        fix = None
        if loss.form is LossWriting.INSTANCE and written is loss.node and isinstance(loss.node, cst.Call):
            flag = call_arg(loss.node, CROSSENTROPY_CLASSES[loss.cls][1], "from_logits")
            if flag is not None:
                fix = _with_flag(loss.node, flag, "False")
        self.report(written, loss=_loss_text(written, loss), problem=problem,
                    advice="pass from_logits=False or drop the activation", fix=fix)

    def _report_logits(self, written: cst.BaseExpression, loss: CompiledLoss, out: Output, model: ModelFacts) -> None:
        problem = f"reads the outputs as probabilities (from_logits=False) but the last layer {out.layer} has no activation"
        fix: cst.BaseExpression | None = None
        imports: tuple[ImportSpec, ...] = ()
        if written is loss.node and loss.form is not LossWriting.CUSTOM:
            if loss.form is LossWriting.INSTANCE:
                assert isinstance(loss.node, cst.Call)
                flag = call_arg(loss.node, CROSSENTROPY_CLASSES[loss.cls][1], "from_logits")
                fix = (_with_flag(loss.node, flag, "True") if flag is not None
                       else with_keyword(loss.node, "from_logits", cst.Name("True")))
            else:
                made = self._class_instance(loss.cls, model)
                if made is not None:
                    fix, imports = made
        advice = ("pass from_logits=True to the crossentropy it calls" if loss.form is LossWriting.CUSTOM
                  else "pass from_logits=True")
        self.report(written, loss=_loss_text(written, loss), problem=problem, advice=advice,
                    fix=fix, fix_imports=imports)

    def _class_instance(self, cls: str, model: ModelFacts) -> tuple[cst.BaseExpression, tuple[ImportSpec, ...]] | None:
        module = losses_module_for(model.qualname or "keras")
        spelled = spell_module(self.index.imports, module)
        if spelled is not None:
            return cst.parse_expression(f"{spelled}.{cls}(from_logits=True)"), ()
        bound = self.index.imports.aliases.get(cls)
        if bound is not None and bound != f"{module}.{cls}":
            return None
        return cst.parse_expression(f"{cls}(from_logits=True)"), ((module, cls, None),) if bound is None else ()


# -- helpers ------------------------------------------------------------------------------------------
def _crossentropy_compile(index: ModuleIndex, unit: ast.stmt) -> bool:
    """The unit calls ``compile`` with a loss that may be a crossentropy (or a name for one), in a
    scope that also builds a Sequential or functional model (stdlib ast, cheap)."""
    return any((builds_model(index, scope) or _class_builds(index, unit, compiles))
               and any(_crossentropy_loss(index, c) for c in compiles)
               for scope, compiles in compiles_by_scope(unit))


def _class_builds(index: ModuleIndex, unit: ast.stmt, compiles: list[ast.Call]) -> bool:
    """A class one of whose methods compiles ``self.<model>`` and another builds a model
    (``build_model`` binds ``self.model``, ``compile_model`` compiles it)."""
    if not isinstance(unit, ast.ClassDef) or not any(
            isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Attribute)
            and isinstance(c.func.value.value, ast.Name) and c.func.value.value.id == "self" for c in compiles):
        return False
    return any(builds_model(index, method) for method in unit.body
               if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _custom_loss_units(index: ModuleIndex, units: set[int]) -> set[int]:
    """The units defining a module-level function that one of these units' ``compile`` calls
    receives as its loss by name (``loss=mycrossentropy``): it may call a crossentropy."""
    out: set[int] = set()
    for unit in units:
        for _, compiles in compiles_by_scope(index.unit_nodes[unit]):
            for call in compiles:
                for loss in [k.value for k in call.keywords if k.arg == "loss"] + call.args[1:2]:
                    if isinstance(loss, ast.Call) and isinstance(loss.func, ast.Name):
                        loss = loss.func  # a factory of the file: ``loss=custom_loss(pos_weight)``
                    defs = index.functions.get(loss.id, []) if isinstance(loss, ast.Name) else []
                    out |= {info.unit for info in defs if info.in_class is None and len(info.path) == 1}
    return out


def _crossentropy_loss(index: ModuleIndex, call: ast.Call) -> bool:
    for loss in [k.value for k in call.keywords if k.arg == "loss"] + call.args[1:2]:
        if isinstance(loss, ast.Constant):
            if isinstance(loss.value, str) and loss.value in CROSSENTROPY_STRINGS:
                return True
            continue
        target = loss.func if isinstance(loss, ast.Call) else loss
        dotted = ast_dotted(target)
        canon = index.imports.canonical(dotted) if dotted else None
        if (dotted is not None and canon is None) or (canon is not None and "rossentropy" in canon):
            return True  # a local name, or a crossentropy class/function
    return False


def _with_flag(call: cst.Call, flag: cst.BaseExpression, value: str) -> cst.Call:
    """``call`` with the ``from_logits`` argument ``flag`` (keyword or positional) set to ``value``."""
    return call.with_changes(args=[a.with_changes(value=cst.Name(value)) if a.value is flag else a
                                   for a in call.args])


def _loss_text(written: cst.BaseExpression, loss: CompiledLoss) -> str:
    if loss.form is LossWriting.CUSTOM and loss.via:
        return f"{_code(written)} (through {loss.via})"
    if loss.form is LossWriting.CUSTOM:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", loss.cls).lower()
        return f"{_code(written)} (through {snake})"
    if isinstance(written, cst.Name) or loss.form is LossWriting.STRING:
        return _code(written)
    if loss.form is LossWriting.FUNCTION:
        return _code(written).rsplit(".", 1)[-1]
    return loss.cls
