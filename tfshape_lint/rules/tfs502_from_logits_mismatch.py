"""TFS502 from-logits-mismatch."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import Iterable, Sequence, Union

import libcst as cst

from tfshape_lint.analysis.builtin_losses import (
    CROSSENTROPY_CLASSES,
    CROSSENTROPY_STRINGS,
    LOSS_FUNCTIONS,
    loss_class_name,
    losses_module_for,
    spell_module,
)
from tfshape_lint.analysis.imports import ast_dotted
from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.analysis.tensors import call_arg, literal
from tfshape_lint.rule import Example, FixSafety, Rule, RuleScope, Severity
from tfshape_lint.source import code_of as _code

ImportSpec = tuple[str, str | None, str | None]

#: layers whose ``activation`` defaults to None (a linear output: logits)
_AFFINE = frozenset({"Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Convolution1D",
                     "Convolution2D", "Convolution3D", "Conv1DTranspose", "Conv2DTranspose",
                     "Conv3DTranspose", "Convolution2DTranspose", "Convolution3DTranspose",
                     "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D",
                     "SeparableConvolution2D", "DepthwiseConv1D", "DepthwiseConv2D",
                     "LocallyConnected1D", "LocallyConnected2D"})
#: layers that pass values through unchanged (in inference) or only rearrange them
_TRANSPARENT = frozenset({"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                          "GaussianDropout", "GaussianNoise", "AlphaDropout", "Reshape", "Flatten",
                          "Permute", "ActivityRegularization"})
_INPUTS = frozenset({"Input", "InputLayer"})
_SOFTMAX_FNS = frozenset({"keras.activations.softmax", "tf.nn.softmax", "tf.softmax", "K.softmax",
                          "ops.softmax"})
_SIGMOID_FNS = frozenset({"keras.activations.sigmoid", "tf.nn.sigmoid", "tf.sigmoid", "K.sigmoid",
                          "ops.sigmoid"})
_LINEAR_FNS = frozenset({"keras.activations.linear"})
_CE_FUNCTIONS = frozenset({"binary_crossentropy", "categorical_crossentropy",
                           "sparse_categorical_crossentropy", "binary_focal_crossentropy",
                           "categorical_focal_crossentropy"})


@dataclass(frozen=True)
class Output:
    """What a tensor holds: ``softmax``/``sigmoid`` probabilities, ``logits``, or unknown (None).

    ``layer``: the layer (source text) that decided it; ``after``: a layer that passed the
    probabilities on unchanged in value but hides the activation from the loss (Reshape...).
    """

    kind: str | None
    layer: str = ""
    after: str | None = None


@dataclass(frozen=True)
class LayerInfo:
    """A layer constructor: ``affine`` (Dense...), ``activation``, ``transparent``, ``input``."""

    role: str
    output: Output = Output(None)


@dataclass(frozen=True)
class ModelInfo:
    """A model built in this scope, with the output of its last layer (None: unknown)."""

    output: Output | None
    layers: tuple[LayerInfo | None, ...] | None = None  # Sequential: known layer list
    qualname: str = ""


@dataclass(frozen=True)
class Raw:
    """Any other expression bound to a name (a loss object, a string...)."""

    expr: cst.BaseExpression


@dataclass(frozen=True)
class LayerList:
    layers: tuple[LayerInfo | None, ...]


Entry = Union[Output, LayerInfo, ModelInfo, Raw, LayerList]
Env = dict[str, Entry]


@dataclass(frozen=True)
class LossInfo:
    """A crossentropy in ``compile``: its class, ``from_logits`` and how it was written."""

    cls: str
    from_logits: bool
    form: str  # "string" / "instance" / "function"
    node: cst.BaseExpression


class FromLogitsMismatch(Rule):
    """## What it does
    Matches each `model.compile(loss=...)` crossentropy with the model it compiles, when the
    same function (or the module's top level) builds that model, or gets it from a function of
    the file that builds and returns it (`model = build_model(10)`): a `Sequential([...])`
    list, `Sequential()` followed by `.add(...)` calls, or a functional `Model(inputs, outputs)`
    whose `outputs` chain of layer calls is followed back through variables. It flags
    - `from_logits=True` (Loss classes) when the last layer applies `softmax`/`sigmoid`
      (`activation=` on the layer, an `Activation`/`Softmax` layer, `tf.nn.softmax(x)`);
    - the default `from_logits=False` (Loss classes without the argument, the loss functions,
      and the strings `"categorical_crossentropy"`, `"binary_crossentropy"`,
      `"sparse_categorical_crossentropy"`) when the last layer has no activation.

    Silent when it cannot tell: a model built in another module or returned from a branch, custom or
    unknown last layers, other activations, several outputs, layers added in a branch or a
    loop, losses defined in another module, or a non-literal `from_logits`.

    ## Why is this bad?
    Measured on TF 2.21 (Dense(3) on 8 samples, loss at the initial weights, computed here
    with Keras 3.15.1 and tf_keras 2.21 alike):
    - Default `from_logits=False` on a layer without activation: the raw scores are read as
      probabilities and the loss is **8.5812 instead of 4.4879**; nothing raises or warns.
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
    )
    bad = (
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
    )

    @classmethod
    def wants(cls, index: ModuleIndex) -> Iterable[int]:
        """Units with a ``compile`` whose loss may be a crossentropy, and the module-level
        statements that build models for a module-level ``compile`` (stdlib ast, cheap)."""
        compiles = index.methods.get("compile", set())
        if not compiles or "crossentropy" not in index.source.lower():
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
        return out | _builder_units(index) if out else out

    def begin_module(self) -> None:
        self._module_env: Env = {}
        #: functions of the file that build a model and return it (``def build_model(): ...``)
        self._built: dict[str, ModelInfo] = {}

    def visit_Module(self, node: cst.Module) -> None:
        for stmt in node.body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self._definition(stmt)
            else:
                self._statement(stmt, self._module_env, conditional=False, module=True)

    # -- scopes ---------------------------------------------------------------------------------
    def _definition(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        if isinstance(node, cst.ClassDef):
            for stmt in _body(node.body):
                if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                    self._definition(stmt)
            return
        env: Env = {}
        for stmt in _body(node.body):
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self._definition(stmt)
            else:
                self._statement(stmt, env, conditional=False, module=False)
            returned = _returned(stmt)
            if returned is not None:
                entry = self._evaluate(returned, env)
                if isinstance(entry, ModelInfo):
                    self._built[node.name.value] = entry
                break  # statements after a top-level return never run

    def _block(self, body: Sequence[cst.BaseStatement], env: Env, conditional: bool, module: bool) -> None:
        for stmt in body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self._definition(stmt)
            else:
                self._statement(stmt, env, conditional, module)

    def _statement(self, stmt: cst.BaseStatement, env: Env, conditional: bool, module: bool) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._small(small, env, conditional, module)
        elif isinstance(stmt, cst.With):
            self._block(_body(stmt.body), env, conditional, module)
        elif isinstance(stmt, (cst.If, cst.For, cst.While, cst.Try)):
            self._branches(stmt, env, module)

    def _branches(self, stmt: cst.BaseStatement, env: Env, module: bool) -> None:
        """Run each branch on a copy; whatever a branch changes is unknown afterwards."""
        changed: set[str] = set()
        for body in _compound_bodies(stmt):
            inner = dict(env)
            self._block(body, inner, True, module)
            changed |= {k for k in inner.keys() | env.keys() if inner.get(k) is not env.get(k)}
        for key in changed:
            env.pop(key, None)

    def _small(self, small: cst.BaseSmallStatement, env: Env, conditional: bool, module: bool) -> None:
        if isinstance(small, cst.Assign):
            entry = self._evaluate(small.value, env)
            for target in small.targets:
                _bind(env, target.target, entry)
        elif isinstance(small, cst.AnnAssign):
            _bind(env, small.target, self._evaluate(small.value, env) if small.value is not None else None)
        elif isinstance(small, cst.AugAssign):
            _bind(env, small.target, None)
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            self._method(small.value, env, conditional, module)

    def _method(self, call: cst.Call, env: Env, conditional: bool, module: bool) -> None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return
        key = _key(func.value)
        model = env.get(key) if key is not None else None
        if not isinstance(model, ModelInfo) or key is None:
            return
        method = func.attr.value
        if method == "add":
            env[key] = self._added(model, call, env, conditional)
        elif method == "pop":
            env[key] = ModelInfo(None, None, model.qualname)
        elif method == "compile":
            self._compile(call, model, env, module)

    def _added(self, model: ModelInfo, call: cst.Call, env: Env, conditional: bool) -> ModelInfo:
        if conditional or model.layers is None or not call.args:
            return ModelInfo(None, None, model.qualname)
        layer = self._layer(call.args[0].value, env)
        layers = model.layers + (layer,)
        return ModelInfo(_sequential_output(layers), layers, model.qualname)

    # -- expressions ------------------------------------------------------------------------------
    def _evaluate(self, expr: cst.BaseExpression, env: Env) -> Entry | None:
        if isinstance(expr, cst.Name):
            return env.get(expr.value, Raw(expr))
        if isinstance(expr, (cst.List, cst.Tuple)) and expr.elements and all(
                isinstance(e, cst.Element) for e in expr.elements):
            layers = tuple(self._layer(e.value, env) for e in expr.elements)
            if any(layers):
                return LayerList(layers)
            return Raw(expr)
        if not isinstance(expr, cst.Call):
            return Raw(expr)
        if isinstance(expr.func, cst.Name) and expr.func.value in self._built and expr.func.value not in env:
            return self._built[expr.func.value]  # model = build_model()
        model = self._model(expr, env)
        if model is not None:
            return model
        tensor = self._tensor(expr, env)
        if tensor is not None:
            return tensor
        layer = self._layer(expr, env)
        return layer if layer is not None else Raw(expr)

    def _model(self, call: cst.Call, env: Env) -> ModelInfo | None:
        canon = self.canonical(call.func) or ""
        if not canon.startswith("keras."):
            return None
        last = canon.rsplit(".", 1)[-1]
        qualname = self.qualname(call.func) or ""
        if last == "Sequential":
            arg = call_arg(call, 0, "layers")
            if arg is None:
                return ModelInfo(None, (), qualname)
            listed = self._evaluate(arg, env)
            if isinstance(listed, LayerList):
                return ModelInfo(_sequential_output(listed.layers), listed.layers, qualname)
            return ModelInfo(None, None, qualname)
        if last in ("Model", "Functional"):
            outputs = call_arg(call, 1, "outputs")
            if isinstance(outputs, (cst.List, cst.Tuple)):
                items = [e.value for e in outputs.elements if isinstance(e, cst.Element)]
                outputs = items[0] if len(items) == 1 else None
            out = self._output_of(outputs, env) if outputs is not None else None
            return ModelInfo(out, None, qualname)
        return None

    def _output_of(self, expr: cst.BaseExpression, env: Env) -> Output | None:
        if isinstance(expr, cst.Name):
            entry = env.get(expr.value)
            return entry if isinstance(entry, Output) else None
        if isinstance(expr, cst.Call):
            return self._tensor(expr, env)
        return None

    def _tensor(self, call: cst.Call, env: Env) -> Output | None:
        """The output of ``Layer(...)(x)``, ``layer(x)`` or ``tf.nn.softmax(x)``."""
        canon = self.canonical(call.func)
        if canon in _SOFTMAX_FNS or canon in _SIGMOID_FNS:
            return Output("softmax" if canon in _SOFTMAX_FNS else "sigmoid", _code(call.func) + "(...)")
        if isinstance(call.func, cst.Call):
            layer = self._layer(call.func, env)
        elif isinstance(call.func, cst.Name) and isinstance(env.get(call.func.value), LayerInfo):
            layer = env[call.func.value]  # type: ignore[assignment]
        else:
            return None
        if layer is None or not call.args:
            return Output(None) if layer is None and isinstance(call.func, cst.Call) else None
        return _apply(layer, self._output_of(call.args[0].value, env))

    def _layer(self, expr: cst.BaseExpression, env: Env) -> LayerInfo | None:
        if isinstance(expr, cst.Name):
            entry = env.get(expr.value)
            return entry if isinstance(entry, LayerInfo) else None
        if not isinstance(expr, cst.Call):
            return None
        canon = self.canonical(expr.func) or ""
        if not canon.startswith("keras."):
            return None
        cls = canon.rsplit(".", 1)[-1]
        if cls in _INPUTS and (canon.startswith("keras.layers") or canon == "keras.Input"):
            return LayerInfo("input")
        if not canon.startswith("keras.layers."):
            return None
        desc = _layer_text(expr, cls)
        if cls in _AFFINE:
            act = call_arg(expr, 1 if cls == "Dense" else None, "activation")
            return LayerInfo("affine", Output(self._activation(act), desc))
        if cls == "Activation":
            return LayerInfo("activation", Output(self._activation(call_arg(expr, 0, "activation")) or "other", desc))
        if cls == "Softmax":
            return LayerInfo("activation", Output("softmax", desc))
        if cls in _TRANSPARENT:
            return LayerInfo("transparent", Output(None, desc))
        return None

    def _activation(self, node: cst.BaseExpression | None) -> str | None:
        """``softmax``/``sigmoid``/``logits`` for a known activation argument, else None."""
        if node is None:
            return "logits"
        value = literal(node)
        if value is None or value == "linear":
            return "logits"
        if value in ("softmax", "sigmoid"):
            return str(value)
        canon = self.canonical(node)
        if canon in _SOFTMAX_FNS:
            return "softmax"
        if canon in _SIGMOID_FNS:
            return "sigmoid"
        if canon in _LINEAR_FNS:
            return "logits"
        return None

    # -- compile ------------------------------------------------------------------------------------
    def _compile(self, call: cst.Call, model: ModelInfo, env: Env, module: bool) -> None:
        out = model.output
        if out is None or out.kind not in ("softmax", "sigmoid", "logits"):
            return
        written = call_arg(call, 1, "loss")
        if written is None:
            return
        loss = self._loss(written, env, module)
        if loss is None:
            return
        if loss.from_logits and out.kind in ("softmax", "sigmoid"):
            self._report_probs(written, loss, out)
        elif not loss.from_logits and out.kind == "logits":
            self._report_logits(written, loss, out, model)

    def _loss(self, written: cst.BaseExpression, env: Env, module: bool) -> LossInfo | None:
        expr = written
        for _ in range(3):
            if not isinstance(expr, cst.Name):
                break
            entry = env.get(expr.value) or (None if module else self._module_env.get(expr.value))
            if not isinstance(entry, Raw) or entry.expr is expr:
                return None
            expr = entry.expr
        if isinstance(expr, cst.SimpleString):
            value = literal(expr)
            cls = CROSSENTROPY_STRINGS.get(value) if isinstance(value, str) else None
            return LossInfo(cls, False, "string", expr) if cls else None
        if isinstance(expr, cst.Call):
            cls = loss_class_name(self.canonical(expr.func))
            if cls not in CROSSENTROPY_CLASSES:
                return None
            _, position = CROSSENTROPY_CLASSES[cls]
            if position is None and any(a.keyword is None for a in expr.args):
                return None
            flag = call_arg(expr, position, "from_logits")
            value = False if flag is None else literal(flag)
            return LossInfo(cls, value, "instance", expr) if isinstance(value, bool) else None
        canon = self.canonical(expr) if isinstance(expr, (cst.Attribute, cst.Name)) else None
        if canon is not None and canon.startswith("keras.losses.") and canon.rsplit(".", 1)[-1] in _CE_FUNCTIONS:
            return LossInfo(LOSS_FUNCTIONS[canon.rsplit(".", 1)[-1]].cls, False, "function", expr)
        return None

    def _report_probs(self, written: cst.BaseExpression, loss: LossInfo, out: Output) -> None:
        act = out.kind
        if out.after is not None:
            problem = (f"sets from_logits=True but {out.layer} applies {act} and {out.after} hides it, "
                       f"so {act} is applied twice")
        else:
            problem = (f"sets from_logits=True but the last layer {out.layer} applies {act} "
                       f"(only the TensorFlow backend undoes it, with a warning)")
        fix = None
        if loss.form == "instance" and written is loss.node and isinstance(loss.node, cst.Call):
            flag = call_arg(loss.node, CROSSENTROPY_CLASSES[loss.cls][1], "from_logits")
            if flag is not None:
                fix = _replace_node(loss.node, flag, cst.Name("False"))
        self.report(written, loss=_loss_text(written, loss), problem=problem,
                    advice="pass from_logits=False or drop the activation", fix=fix)

    def _report_logits(self, written: cst.BaseExpression, loss: LossInfo, out: Output, model: ModelInfo) -> None:
        problem = f"reads the outputs as probabilities (from_logits=False) but the last layer {out.layer} has no activation"
        fix: cst.BaseExpression | None = None
        imports: tuple[ImportSpec, ...] = ()
        if written is loss.node:
            if loss.form == "instance":
                assert isinstance(loss.node, cst.Call)
                flag = call_arg(loss.node, CROSSENTROPY_CLASSES[loss.cls][1], "from_logits")
                fix = (_replace_node(loss.node, flag, cst.Name("True")) if flag is not None
                       else _with_from_logits(loss.node))
            else:
                made = self._class_instance(loss.cls, model)
                if made is not None:
                    fix, imports = made
        self.report(written, loss=_loss_text(written, loss), problem=problem, advice="pass from_logits=True",
                    fix=fix, fix_imports=imports)

    def _class_instance(self, cls: str, model: ModelInfo) -> tuple[cst.BaseExpression, tuple[ImportSpec, ...]] | None:
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
    return any(_builds_model(index, scope) and any(_crossentropy_loss(index, c) for c in compiles)
               for scope, compiles in _compiles_by_scope(unit))


def _compiles_by_scope(unit: ast.stmt) -> list[tuple[ast.AST, list[ast.Call]]]:
    """``compile`` calls grouped by their innermost enclosing function (or the unit itself)."""
    out: list[tuple[ast.AST, list[ast.Call]]] = []
    stack: list[ast.AST] = [unit]
    while stack:
        scope = stack.pop()
        found: list[ast.Call] = []
        todo = list(ast.iter_child_nodes(scope))
        while todo:
            node = todo.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stack.append(node)
                continue
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
                found.append(node)
            todo.extend(ast.iter_child_nodes(node))
        if found:
            out.append((scope, found))
    return out


def _builds_model(index: ModuleIndex, scope: ast.AST, depth: int = 0) -> bool:
    """The scope builds a Sequential/functional model, itself or by calling a function of the
    file that does (``model = build_model()``)."""
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        scope = index.tree  # module-level code: models may be built in any statement
    for node in ast.walk(scope):
        if isinstance(node, ast.Call):
            dotted = ast_dotted(node.func)
            canon = index.imports.canonical(dotted) if dotted else None
            if canon and canon.startswith("keras.") and canon.rsplit(".", 1)[-1] in ("Sequential", "Model", "Functional"):
                return True
            if depth == 0 and isinstance(node.func, ast.Name) and any(
                    _builds_model(index, f, 1) for f in _builders(index, node.func.id)):
                return True
    return False


def _builders(index: ModuleIndex, name: str) -> list[ast.FunctionDef]:
    """Top-level functions of the file with this name."""
    return [s for s in index.unit_nodes if isinstance(s, ast.FunctionDef) and s.name == name]


def _builder_units(index: ModuleIndex) -> set[int]:
    """Units defining a top-level function that builds a model (to follow ``build_model()``)."""
    return {i for i, s in enumerate(index.unit_nodes)
            if isinstance(s, ast.FunctionDef) and _builds_model(index, s, 1)}


def _returned(stmt: cst.BaseStatement) -> cst.BaseExpression | None:
    """The value of a top-level ``return X`` statement of a function body."""
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Return):
                return small.value
    return None


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


def _apply(layer: LayerInfo, incoming: Output | None) -> Output:
    if layer.role in ("affine", "activation"):
        return layer.output
    if layer.role == "transparent" and incoming is not None and incoming.kind is not None:
        if incoming.kind in ("softmax", "sigmoid"):
            return replace(incoming, after=incoming.after or layer.output.layer)
        return incoming
    return Output(None)


def _sequential_output(layers: tuple[LayerInfo | None, ...]) -> Output | None:
    """The output of the last layers of a Sequential list (None when a layer is unknown)."""
    out: Output | None = None
    for layer in layers:
        if layer is None:
            out = None
            continue
        if layer.role == "input":
            continue
        out = _apply(layer, out)
    return out if out is not None and out.kind is not None else None


def _bind(env: Env, target: cst.BaseExpression, entry: Entry | None) -> None:
    _invalidate_models(env, target)
    key = _key(target)
    if key is not None:
        if entry is None:
            env.pop(key, None)
        else:
            env[key] = entry
        return
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _bind(env, element.value, None)


def _invalidate_models(env: Env, target: cst.BaseExpression) -> None:
    """``model.layers[-1].activation = None`` and the like change a model in place."""
    node = target
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
        key = _key(node)
        entry = env.get(key) if key is not None else None
        if key is not None and isinstance(entry, ModelInfo):
            env[key] = ModelInfo(None, None, entry.qualname)


def _key(node: cst.BaseExpression) -> str | None:
    """``model`` or ``self.model``: the names this rule tracks."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return f"{node.value.value}.{node.attr.value}"
    return None


def _body(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    return [cst.SimpleStatementLine(body=list(suite.body))] if isinstance(suite, cst.SimpleStatementSuite) else []


def _compound_bodies(stmt: cst.BaseStatement) -> list[Sequence[cst.BaseStatement]]:
    out: list[Sequence[cst.BaseStatement]] = []
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.BaseSuite):
        out.append(_body(body))
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        out.extend(_compound_bodies(orelse))
    elif isinstance(orelse, cst.Else):
        out.append(_body(orelse.body))
    for handler in getattr(stmt, "handlers", ()):
        out.append(_body(handler.body))
    final = getattr(stmt, "finalbody", None)
    if isinstance(final, cst.Finally):
        out.append(_body(final.body))
    return out


class _Swap(cst.CSTTransformer):
    def __init__(self, old: cst.CSTNode, new: cst.CSTNode) -> None:
        super().__init__()
        self.old, self.new = old, new

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[no-untyped-def]
        return self.new if original_node is self.old else updated_node


def _replace_node(root: cst.BaseExpression, old: cst.CSTNode, new: cst.CSTNode) -> cst.BaseExpression:
    result = root.visit(_Swap(old, new))
    assert isinstance(result, cst.BaseExpression)
    return result


def _with_from_logits(call: cst.Call) -> cst.Call:
    args = list(call.args)
    if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(cst.Arg(value=cst.Name("True"), keyword=cst.Name("from_logits"),
                        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                              whitespace_after=cst.SimpleWhitespace(""))))
    return call.with_changes(args=args)


def _layer_text(call: cst.Call, cls: str) -> str:
    """``Dense(10, activation='softmax')`` without the module prefix, shortened."""
    args = ", ".join(_code(a).rstrip(", ") for a in call.args)
    return _short(cst.parse_expression(f"{cls}({args})")) if "\n" not in args else f"{cls}(...)"


def _loss_text(written: cst.BaseExpression, loss: LossInfo) -> str:
    if isinstance(written, cst.Name) or loss.form == "string":
        return _code(written)
    if loss.form == "function":
        return _code(written).rsplit(".", 1)[-1]
    return loss.cls


def _short(node: cst.CSTNode) -> str:
    text = " ".join(_code(node).split())
    return text if len(text) <= 48 else text[:45] + "..."

