"""TFS109 non-mean-reduction."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import libcst as cst

from tfshape_lint.analysis.imports import ast_callee_name, cst_dotted
from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.analysis.losses import LOSS_BASES
from tfshape_lint.analysis.ops import LOSS_CLASS_KEYS
from tfshape_lint.analysis.tensors import evaluate_loss
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, RuleScope, Severity
from tfshape_lint.rules._helpers import call_arg, literal
from tfshape_lint.rules._shape_fixes import short

if TYPE_CHECKING:
    from tfshape_lint.analysis.tensors import ModuleFacts
    from tfshape_lint.config import Config

_NONE_MESSAGE = ("{loss} with reduction={value} in compile: Keras reports the mean but trains on the "
                 "gradient of the sum (learning rate x B*T); drop the reduction argument")
_SUM_MESSAGE = ("{loss} with reduction={value}: loss and gradient scale with the batch size; "
                "use the default 'sum_over_batch_size'")
_DEFAULT_MESSAGE = ("{loss} defaults to reduction={value}: loss and gradient scale with the batch size; "
                    "use the default 'sum_over_batch_size'")
_NONE_DEFAULT_MESSAGE = ("{loss} reduces with {value} by default and goes to compile: Keras reports the mean "
                         "but trains on the gradient of the sum; pass reduction='sum_over_batch_size'")
_DOCUMENTED_MESSAGE = ("{loss} reduces with {value} by default and its docstring passes it to compile that way: "
                       "Keras reports the mean but trains on the gradient of the sum; default to "
                       "'sum_over_batch_size'")
_MAX_DEPTH = 4


#: the body of the asymmetric-loss examples: no reduction by default (what its docstring shows
#: decides whether that is a bug)
_ASL_BODY = ("    def __init__(self, gamma=2.0, reduction=tf.keras.losses.Reduction.NONE, name='asl'):\n"
             "        super().__init__(reduction=reduction, name=name)\n"
             "        self.gamma = gamma\n\n"
             "    def call(self, y_true, y_pred):\n"
             "        p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)\n"
             "        loss = y_true * tf.math.log(p) + (1.0 - y_true) * tf.pow(p, self.gamma) * tf.math.log(1.0 - p)\n"
             "        return -tf.reduce_sum(loss, axis=-1)\n")


#: TensorFlow Privacy's differentially private Keras optimizers (and their vectorized forms)
_DP_OPTIMIZER = re.compile(r"(?:Vectorized)?DP\w*Optimizer$")


@dataclass
class _ClassDefault:
    """A Loss subclass's own reduction: an ``__init__`` default or a ``super().__init__`` kwarg."""

    kind: str
    node: cst.BaseExpression
    value: str
    forced: bool  # passed to super().__init__ (callers cannot override it)


@dataclass
class _State:
    assigned: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    compile_losses: list[cst.BaseExpression] = field(default_factory=list)
    #: names bound to TensorFlow Privacy's DP optimizers (see ``_private_optimizer``), read once
    private_optimizers: frozenset[str] | None = None
    defaults: dict[str, _ClassDefault] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    #: Loss subclass -> its ``call`` method
    calls: dict[str, cst.FunctionDef] = field(default_factory=dict)


class NonMeanReduction(Rule):
    """## What it does
    Flags Keras Loss objects whose reduction is not the mean Keras expects from a loss:
    - a Loss (built-in or a subclass in the file) created with `reduction=None`,
      `reduction='none'` or `Reduction.NONE` and passed to `compile`;
    - `reduction='sum'` (`Reduction.SUM`) on a Loss passed to `compile`, or set as the default
      of a Loss subclass (an `__init__` default, or the `reduction` passed to
      `super().__init__`);
    - a Loss subclass whose `__init__` defaults to no reduction and whose docstring shows it
      passed to `compile` without a `reduction` (`>>> model.compile(loss=AsymmetricLoss())`):
      the class's documented use, even where the file itself never compiles it.
    Losses used in custom training loops are not flagged: there `reduction='none'` followed by
    masking or `tf.nn.compute_average_loss` is the documented pattern.
    Not for losses a Model subclass installs in its own `compile` (`super().compile(loss=...)`)
    when the class, its file or its project overrides `compute_loss`/`train_step`: such models
    weight and normalise the loss themselves (a detector's summed box loss divided by the
    number of positive anchors). Nor is a `'sum'` default of a Loss subclass that the file only
    builds as a part of another object (`self.focal = FocalSum()` in a plain class that calls it
    with an ignore mask) and never compiles: that code asked for the total and normalises it.

    ## Why is this bad?
    Measured on TF 2.21 / Keras 3.15 and tf_keras 2.21: with
    `reduction='none'` in `compile`, the progress bar shows the *mean* (2.000527) while the
    optimizer receives the gradient of the *sum*: the update norm was 12× the default for a
    `(B, T)` loss with B·T = 12, so the effective learning rate silently depends on batch size
    and sequence length. `reduction='sum'` reports and trains on the batch total (24.0063
    against 2.0005), so the loss scale and the gradient change with `batch_size`, and the
    short last batch of each epoch gets a smaller step.

    ## Example
    ```python
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(reduction="none"))
    ```

    ## Use instead
    ```python
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy())
    ```

    ## Fix safety
    Safe for `reduction='none'`: dropping the argument restores the default
    `sum_over_batch_size`, whose value is what Keras already reported; the training step then
    follows that reported loss. `reduction='sum'` gets no automatic fix, since switching to a
    mean divides the gradient by the batch size and needs a learning-rate change.

    ## Verification
    `--verify` runs one `fit` step with the loss as written and with the default reduction
    and compares the update norms: a ratio of B·T (none) or B (sum) confirms it.
    """

    code = "TFS109"
    name = "non-mean-reduction"
    message = _SUM_MESSAGE
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    scope = RuleScope.MODULE
    recipe = Recipe("update_norm", {}, "update norm vs the default reduction after one fit step")

    good = (
        Example('import tensorflow as tf\n\n\nclass Captioner(tf.keras.Model):\n    def train_step(self, data):\n        x, y = data\n        mask = tf.cast(tf.not_equal(y, 0), tf.float32)\n        with tf.GradientTape() as tape:\n            per_token = self.loss(y, self(x, training=True))\n            loss = tf.reduce_sum(per_token * mask) / tf.reduce_sum(mask)\n        grads = tape.gradient(loss, self.trainable_variables)\n        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))\n        return {"loss": loss}\n\n\nmodel = Captioner()\nmodel.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none"))\n',
                note="the model's own train_step calls self.loss and takes the masked mean of the per-token losses itself"),
        Example("import tensorflow as tf\n\n\nclass ClipTest(tf.test.TestCase):\n    def test_norms(self):\n        model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n        model.compile(loss=tf.keras.losses.MeanSquaredError(reduction='none'))\n        self.assertLen(model.layers, 1)\n",
                note="a test module's compile builds a model to test something else, not to train it"),
        Example('import tensorflow as tf\nfrom tensorflow_privacy.privacy.optimizers import dp_optimizer_keras\n\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(10)])\noptimizer = dp_optimizer_keras.DPKerasSGDOptimizer(\n    l2_norm_clip=1.0, noise_multiplier=1.1, num_microbatches=32, learning_rate=0.1)\nloss = tf.keras.losses.CategoricalCrossentropy(from_logits=True, reduction=tf.losses.Reduction.NONE)\nmodel.compile(optimizer=optimizer, loss=loss)\n',
                note="TensorFlow Privacy's DP optimizers clip each example's gradient: they need the per-example losses of reduction='none'"),
        Example("import tensorflow as tf\n\n\nclass FocalSum(tf.keras.losses.Loss):\n"
                "    def __init__(self, gamma=2.0):\n"
                "        super().__init__(name=\"focal\", reduction=\"sum\")\n"
                "        self.gamma = gamma\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        p = tf.sigmoid(y_pred)\n"
                "        pt = tf.where(tf.equal(y_true, 1.0), p, 1.0 - p)\n"
                "        ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)\n"
                "        return tf.pow(1.0 - pt, self.gamma) * ce\n\n\n"
                "class DetectionLoss:\n"
                "    def __init__(self):\n"
                "        self.focal = FocalSum()\n\n"
                "    def __call__(self, y_true, y_pred, ignore):\n"
                "        num_pos = tf.maximum(tf.reduce_sum(y_true), 1.0)\n"
                "        return self.focal(y_true, y_pred, sample_weight=ignore) / num_pos\n",
                note="a part of the file's own detection loss, which divides the total by the positive anchors; "
                     "never compiled"),
        Example("import keras\nfrom keras import ops\n\n\nclass Detector(keras.Model):\n"
                "    def compile(self, optimizer='adam', **kwargs):\n"
                "        super().compile(optimizer=optimizer,\n"
                "                        loss=keras.losses.Huber(reduction='sum'), **kwargs)\n\n"
                "    def compute_loss(self, x, y, y_pred, sample_weight=None, **kwargs):\n"
                "        positives = ops.cast(ops.greater(y[..., 0], 0.0), 'float32')\n"
                "        weight = positives / ops.maximum(ops.sum(positives), 1.0)\n"
                "        return super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=weight, **kwargs)\n",
                note="the model's own compile: its compute_loss divides the sum by the positive count"),
        Example("import tensorflow as tf\n\n"
                "model.compile(optimizer='adam', loss=tf.keras.losses.MeanSquaredError())\n",
                note="the default reduction"),
        Example("import tensorflow as tf\n\n"
                "loss_obj = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction='none')\n\n"
                "@tf.function\n"
                "def train_step(x, y, mask):\n"
                "    with tf.GradientTape() as tape:\n"
                "        per_token = loss_obj(y, model(x))\n"
                "        loss = tf.reduce_sum(per_token * mask) / tf.reduce_sum(mask)\n"
                "    grads = tape.gradient(loss, model.trainable_variables)\n",
                note="reduction='none' in a custom training loop, then masked"),
        Example("import tensorflow as tf\n\n"
                "loss_obj = tf.keras.losses.CategoricalCrossentropy(reduction=tf.keras.losses.Reduction.SUM)\n\n"
                "def compute_loss(labels, predictions):\n"
                "    per_example = loss_obj(labels, predictions)\n"
                "    return per_example / GLOBAL_BATCH_SIZE\n",
                note="a distributed custom loop divides the sum by the global batch size"),
        Example("import keras\n\nclass Focal(keras.losses.Loss):\n"
                "    def __init__(self, gamma=2.0, reduction='sum_over_batch_size', name='focal'):\n"
                "        super().__init__(reduction=reduction, name=name)\n"
                "        self.gamma = gamma\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=Focal())\n",
                note="a subclass keeping the mean default"),
        Example("import tensorflow as tf\n\n\nclass AsymmetricLoss(tf.keras.losses.Loss):\n"
                "    \"\"\"Per-sample asymmetric loss for a custom loop.\n\n"
                "    >>> per_sample = AsymmetricLoss()(labels, probs)\n"
                "    >>> loss = tf.nn.compute_average_loss(per_sample, global_batch_size=64)\n"
                "    \"\"\"\n\n" + _ASL_BODY,
                note="no reduction by default, and the docstring reduces the per-sample values itself"),
        Example("import tensorflow as tf\n\nclass MeanLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, name='mean_loss'):\n"
                "        super().__init__(reduction='sum', name=name)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred))\n",
                note="call already returns one number: summing it does not scale with the batch"),
    )
    bad = (
        Example("import keras\n\nmodel.compile(optimizer='adam',\n"
                "              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction='none'))\n",
                fixed="import keras\n\nmodel.compile(optimizer='adam',\n"
                      "              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n",
                line=4, message="keras.losses.SparseCategoricalCrossentropy with reduction='none' in compile: "
                                "Keras reports the mean but trains on the gradient of the sum (learning rate x "
                                "B*T); drop the reduction argument"),
        Example("import tensorflow as tf\n\n"
                "def build(model):\n"
                "    loss_fn = tf.keras.losses.MeanSquaredError(reduction=tf.keras.losses.Reduction.NONE)\n"
                "    model.compile(optimizer='sgd', loss=loss_fn, metrics=['mae'])\n",
                fixed="import tensorflow as tf\n\n"
                      "def build(model):\n"
                      "    loss_fn = tf.keras.losses.MeanSquaredError()\n"
                      "    model.compile(optimizer='sgd', loss=loss_fn, metrics=['mae'])\n",
                line=4, note="Reduction.NONE through a variable"),
        Example("from tensorflow import keras\n\n"
                "LOSSES = {'out': keras.losses.BinaryCrossentropy(reduction='sum')}\n"
                "model.compile(optimizer='adam', loss=LOSSES)\n",
                fixed=None, line=3, note="reduction='sum' in a dict of losses: no automatic fix"),
        Example("import tensorflow as tf\n\nclass Dice(tf.keras.losses.Loss):\n"
                "    def __init__(self, smooth=1.0, reduction='sum', name='dice'):\n"
                "        super().__init__(reduction=reduction, name=name)\n"
                "        self.smooth = smooth\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        inter = tf.reduce_sum(y_true * y_pred, axis=-1)\n"
                "        return 1.0 - (2.0 * inter + self.smooth) / (tf.reduce_sum(y_true + y_pred, axis=-1) + self.smooth)\n",
                fixed=None, line=4, note="a subclass default"),
        Example("import keras\n\nclass Weighted(keras.losses.Loss):\n"
                "    def __init__(self, **kwargs):\n"
                "        super().__init__(reduction='sum', **kwargs)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)\n",
                fixed=None, line=5, note="passed to super().__init__"),
        Example("import tensorflow as tf\n\n\nclass AsymmetricLoss(tf.keras.losses.Loss):\n"
                "    \"\"\"Asymmetric multi-label loss.\n\n"
                "    >>> model.compile(optimizer='adam', loss=AsymmetricLoss())\n"
                "    \"\"\"\n\n" + _ASL_BODY,
                fixed=None, line=10, note="no reduction by default, and the docstring shows it passed to compile"),
        Example("import keras\n\nclass PerToken(keras.losses.Loss):\n"
                "    def __init__(self, reduction=None, name='per_token'):\n"
                "        super().__init__(reduction=reduction, name=name)\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return keras.ops.square(y_true - y_pred)\n\n"
                "model.compile(optimizer='adam', loss=PerToken())\n",
                fixed=None, line=10, note="a subclass whose default is no reduction, used in compile"),
    )

    def __init__(self, index: ModuleIndex, facts: ModuleFacts, config: Config) -> None:
        super().__init__(index, facts, config)
        self.state = _State()

    @classmethod
    def wants(cls, index: ModuleIndex) -> Iterable[int]:
        if "reduction" not in index.source or index.test_file:
            # every finding needs a ``reduction`` keyword or parameter: nothing to parse; a test
            # module's ``compile`` builds a model to test something else, not to train it
            return set()
        units = set(index.methods.get("compile", set())) | set(index.keywords.get("reduction", set()))
        for name in index.loss_classes:
            node = index.classes.get(name)
            if node is not None:
                units |= {u.index for u in index.units if u.start_line <= node.lineno <= u.end_line}
        return units

    def begin_module(self) -> None:
        self.state = _State()

    # -- collection ---------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.state.classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.state.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.state.functions.append(node.name.value)
        cls = self._loss_class()
        if cls is not None and node.name.value == "call" and len(self.state.functions) == 1:
            self.state.calls.setdefault(cls, node)
        if cls is None or node.name.value != "__init__":
            return
        for param in list(node.params.params) + list(node.params.kwonly_params):
            if param.name.value == "reduction" and param.default is not None:
                kind = _kind(param.default)
                if kind is not None:
                    self.state.defaults.setdefault(cls, _ClassDefault(kind, param.default, short(param.default), False))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.state.functions.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.state.assigned.setdefault(target.target.value, []).append(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "compile":
            loss = call_arg(node, 1, "loss")
            if loss is not None and not self._model_owned(node) and not self._private_optimizer(node) \
                    and not self._self_reducing(node):
                self.state.compile_losses.append(loss)
        elif self._is_super_init(node):
            self._super_init(node)

    def _self_reducing(self, node: cst.Call) -> bool:
        """``model.compile(...)`` of a ``model = Captioner(...)`` whose class's own
        ``train_step`` calls ``self.loss(...)`` and reduces the values itself (see
        ``ModuleIndex.self_reducing_models``); also ``self.compile(...)`` inside such a class."""
        receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
        models = self.index.self_reducing_models
        if not models or receiver is None:
            return False
        if isinstance(receiver, cst.Name) and receiver.value == "self":
            return bool(self.state.classes) and self.state.classes[-1] in models
        if not isinstance(receiver, cst.Name):
            return False
        return any(any(isinstance(t, ast.Name) and t.id == receiver.value for t in n.targets)
                   and isinstance(n.value, ast.Call) and ast_callee_name(n.value) in models
                   for n in self.index.assignments())

    def _private_optimizer(self, node: cst.Call) -> bool:
        """A ``compile`` whose optimizer is one of TensorFlow Privacy's DP optimizers
        (``DPKerasSGDOptimizer``, ``VectorizedDPKerasAdamOptimizer``), bound here or passed as is:
        they clip each example's gradient, so they need the per-example losses of
        ``reduction='none'`` (their documented use) and average the clipped gradients themselves."""
        optimizer = call_arg(node, 0, "optimizer")
        if isinstance(optimizer, cst.Call):
            return _DP_OPTIMIZER.match(short(optimizer.func).rpartition(".")[2]) is not None
        return isinstance(optimizer, cst.Name) and optimizer.value in self._private_optimizer_names()

    def _private_optimizer_names(self) -> frozenset[str]:
        """Names the module binds (anywhere, in any branch) to a DP optimizer's constructor."""
        if self.state.private_optimizers is None:
            self.state.private_optimizers = frozenset(
                n.targets[0].id for n in self.index.assignments()
                if len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
                and isinstance(n.value, ast.Call) and _DP_OPTIMIZER.match(ast_callee_name(n.value)) is not None)
        return self.state.private_optimizers

    def _model_owned(self, node: cst.Call) -> bool:
        """``super().compile(loss=...)`` in a Model's own ``compile`` when the project overrides
        ``compute_loss``/``train_step``: the model weights and normalises those losses itself
        (detectors sum over anchors and divide by the positive count), so their reduction is
        part of that design."""
        func = node.func
        return (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call)
                and cst_dotted(func.value.func) == "super" and self.state.functions[-1:] == ["compile"]
                and bool(self.index.loss_hooks))

    def _loss_class(self) -> str | None:
        """The enclosing class when it is a Keras Loss subclass (and we are in its body)."""
        if not self.state.classes:
            return None
        cls = self.state.classes[-1]
        return cls if cls in self.index.loss_classes else None

    def _is_super_init(self, node: cst.Call) -> bool:
        func = node.func
        return (isinstance(func, cst.Attribute) and func.attr.value == "__init__"
                and isinstance(func.value, cst.Call) and cst_dotted(func.value.func) == "super"
                and self.state.functions[-1:] == ["__init__"])

    def _super_init(self, node: cst.Call) -> None:
        cls = self._loss_class()
        value = call_arg(node, None, "reduction")
        kind = _kind(value) if value is not None else None
        if cls is None or value is None or kind is None:
            return
        self.state.defaults[cls] = _ClassDefault(kind, value, short(value), True)

    # -- decisions ------------------------------------------------------------------------------
    def end_module(self) -> None:
        state = self.state
        seen: set[int] = set()
        compiled: set[str] = set()
        for expr in state.compile_losses:
            for ctor in self._constructors(expr, 0):
                if id(ctor) not in seen:
                    seen.add(id(ctor))
                    compiled.add(self._loss_name(ctor) or "")
                    self._check_compiled(ctor)
        for cls, default in state.defaults.items():
            if default.kind == "sum" and not self._returns_scalar(cls) and not self._own_component(cls, compiled):
                self.report(default.node, message=_DEFAULT_MESSAGE, loss=cls, value=default.value)
        for cls, default in state.defaults.items():
            if default.kind == "none" and cls not in compiled and _documents_plain_compile(self.index, cls):
                self.report(default.node, message=_DOCUMENTED_MESSAGE, loss=cls, value=default.value)

    def _own_component(self, cls: str, compiled: set[str]) -> bool:
        """The file builds the class only as a part of another object (a RetinaNet's ``ClassLoss``
        holds ``self._focal_loss = FocalLossV1(...)`` and calls it with an ignore mask) and never
        compiles it: the sum is what that code asked for, and it normalises it itself (by the
        positive anchors)."""
        if cls in compiled:
            return False
        built = [n for n in self.index.nodes
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == cls]
        held = {id(n.value) for n in self.index.assignments() if len(n.targets) == 1
                and isinstance(n.targets[0], ast.Attribute) and isinstance(n.targets[0].value, ast.Name)
                and n.targets[0].value.id == "self"}
        return bool(built) and all(id(call) in held for call in built)

    def _constructors(self, expr: cst.BaseExpression, depth: int) -> list[cst.Call]:
        """Loss-constructor calls that ``expr`` (a compile ``loss=``) evaluates to."""
        if depth > _MAX_DEPTH:
            return []
        if isinstance(expr, cst.Call):
            return [expr] if self._loss_name(expr) is not None else []
        if isinstance(expr, (cst.List, cst.Tuple)):
            return [c for el in expr.elements for c in self._constructors(el.value, depth + 1)]
        if isinstance(expr, cst.Dict):
            return [c for el in expr.elements if isinstance(el, cst.DictElement)
                    for c in self._constructors(el.value, depth + 1)]
        if isinstance(expr, cst.Name):
            return [c for value in self.state.assigned.get(expr.value, [])
                    for c in self._constructors(value, depth + 1)]
        return []

    def _loss_name(self, call: cst.Call) -> str | None:
        """``keras.losses.X`` for a built-in Loss class, or the name of a Loss subclass here."""
        dotted = cst_dotted(call.func)
        if dotted is None:
            return None
        if dotted in self.index.loss_classes:
            return dotted
        canon = self.index.imports.canonical(dotted)
        if canon in LOSS_CLASS_KEYS or canon in LOSS_BASES:
            return canon
        return None

    def _check_compiled(self, ctor: cst.Call) -> None:
        name = self._loss_name(ctor)
        assert name is not None
        value = call_arg(ctor, None, "reduction")
        default = self.state.defaults.get(name)
        if value is None:
            if default is not None and default.kind == "none":
                self.report(ctor, message=_NONE_DEFAULT_MESSAGE, loss=name, value=default.value)
            return
        kind = _kind(value)
        if default is not None and default.forced:
            return  # super().__init__ ignores the caller's value; reported at the class
        if kind == "none":
            self.report(ctor, message=_NONE_MESSAGE, loss=name, value=short(value), fix=_without_reduction(ctor))
        elif kind == "sum" and not self._returns_scalar(name):
            self.report(ctor, message=_SUM_MESSAGE, loss=name, value=short(value))

    def _returns_scalar(self, cls: str) -> bool:
        """A Loss subclass whose ``call`` already returns one number: summing that one number
        is the number itself, so the reduction cannot scale it with the batch (one root cause:
        TFS108 reports the scalar)."""
        node = self.state.calls.get(cls)
        spec = next((s for s in self.index.losses if s.qualname == f"{cls}.call"), None)
        if node is None or spec is None:
            return False
        returned = evaluate_loss(self.facts, spec, node).returned()
        return returned is not None and returned.tensor and returned.rank == 0


def _documents_plain_compile(index: ModuleIndex, cls: str) -> bool:
    """Whether the class's docstring shows it passed to ``compile`` without a ``reduction``
    (``>>> model.compile(optimizer='sgd', loss=SigmoidAsymmetricLoss())``): its documented use
    is the one that trains on the sum while reporting the mean."""
    node = index.classes.get(cls)
    doc = ast.get_docstring(node) if node is not None else None
    if not doc or "compile" not in doc:
        return False
    import doctest  # here: doctest imports unittest and pdb (10-14 ms a process), for rare docstrings

    try:
        examples = doctest.DocTestParser().get_examples(doc)
    except ValueError:
        return False
    for example in examples:
        try:
            tree = ast.parse(example.source)
        except SyntaxError:
            continue
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if not (isinstance(call.func, ast.Attribute) and call.func.attr == "compile"):
                continue
            for keyword in call.keywords:
                loss = keyword.value
                if keyword.arg == "loss" and isinstance(loss, ast.Call) and isinstance(loss.func, ast.Name) \
                        and loss.func.id == cls and all(k.arg != "reduction" for k in loss.keywords):
                    return True
    return False


def _kind(value: cst.BaseExpression) -> str | None:
    """``"none"`` / ``"sum"`` for the reductions this rule cares about, else None."""
    lit = literal(value)
    if lit is None:
        return "none"
    if isinstance(lit, str):
        return {"none": "none", "sum": "sum"}.get(lit.lower())
    dotted = cst_dotted(value) or ""
    if dotted.endswith(".NONE"):
        return "none"
    if dotted.endswith(".SUM"):
        return "sum"
    return None


def _without_reduction(call: cst.Call) -> cst.Call:
    """``call`` minus its ``reduction=`` argument, keeping the comma style of the last one."""
    args = list(call.args)
    index = next(i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == "reduction")
    removed = args.pop(index)
    if index == len(args) and args:
        args[-1] = args[-1].with_changes(comma=removed.comma)
    return call.with_changes(args=args)
