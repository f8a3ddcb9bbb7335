"""Models of the file: what their outputs are and what ``fit`` passes them.

One implementation of the model facts that rules share (a crossentropy's ``from_logits`` against the final
activation, the rank rules' label ranks): per model built in the file (``Sequential`` lists and
``.add`` calls, functional ``Model(inputs, outputs)`` chains, subclassed models whose ``call``
returns a layer or activation, and models a function of the file builds and returns), the final
activation and output units when known, and the losses ``compile`` receives; per ``fit`` call, the
labels it passes. Typed facts only; rules decide what is a bug.
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, replace
from typing import Callable, Sequence, Union

import libcst as cst

from tfshape_lint.analysis.builtin_losses import (
    CROSSENTROPY_CLASSES,
    CROSSENTROPY_STRINGS,
    LOSS_FUNCTIONS,
    loss_class_name,
    loss_function_form,
)
from tfshape_lint.analysis.callsites import PLACEHOLDER
from tfshape_lint.analysis.imports import ImportTable, ast_dotted, cst_dotted
from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.analysis.layers import LayerRole, RankChange, input_rank, layer_spec, rank_change, width
from tfshape_lint.analysis.losses import LossSpec
from tfshape_lint.analysis.tensors import Evaluator, ModuleFacts, Scope, call_arg, literal
from tfshape_lint.analysis.values import Env, Value
from tfshape_lint.source import code_of, descendants, reassigned, visit_read_only


# -- what fit passes ---------------------------------------------------------------------------
class _FitFinder(cst.CSTVisitor):
    """``<model>.fit(...)`` calls of one statement, not inside a class body or nested def."""

    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "fit":
            self.calls.append(node)


@dataclass(frozen=True)
class FitSite:
    """One ``fit`` call at module level or in a top-level function (``scope``; None: module
    level) and the expression of the labels it passes: the second positional argument, ``y=``,
    or the ``y`` of a ``Dataset.from_tensor_slices((x, y))`` chain (None: not shown)."""

    call: cst.Call
    labels: cst.BaseExpression | None
    scope: cst.FunctionDef | None


def fit_sites(modules: Sequence[cst.Module]) -> list[FitSite]:
    """Every ``fit`` call of the modules (one file's units) with the labels it passes."""
    sites: list[FitSite] = []
    for module in modules:
        for stmt in module.body:
            body: cst.CSTNode = stmt.body if isinstance(stmt, cst.FunctionDef) else stmt
            finder = _FitFinder()
            visit_read_only(body, finder)
            if not finder.calls:
                continue
            assigned = _assignments(modules, stmt)
            scope = stmt if isinstance(stmt, cst.FunctionDef) else None
            sites.extend(FitSite(call, fit_labels(call, assigned), scope) for call in finder.calls)
    return sites


def fit_label_ranks(facts: ModuleFacts, modules: list[cst.Module], spec: LossSpec) -> list[int | None]:
    """The rank of the labels each ``fit`` call of the file passes (None: unknown, a dataset).

    The labels (see :class:`FitSite`) are evaluated against the module's globals or the body
    of the function holding the call. ``(N,)`` labels reach a Loss subclass's ``call`` as
    ``(B,)``: Keras 3 aligns labels only for loss functions (measured: ``(4,)`` and ``(4, 1)``
    outputs).
    """
    ranks: list[int | None] = []
    evaluators: dict[int, Callable[[cst.BaseExpression], Value]] = {}
    for site in fit_sites(modules):
        if site.labels is None:
            ranks.append(None)
            continue
        key = id(site.scope) if site.scope is not None else id(site.call)
        if key not in evaluators:
            evaluators[key] = _label_evaluator(facts, spec, site.scope)
        value = evaluators[key](site.labels)
        ranks.append(value.rank if value.tensor and value.rel is None else None)
    return ranks


def _label_evaluator(facts: ModuleFacts, spec: LossSpec,
                     fn: cst.FunctionDef | None) -> Callable[[cst.BaseExpression], Value]:
    """Evaluates expressions of ``fn``'s body (after running it), or at module level."""
    if fn is not None:
        scope = Scope(fn, spec, is_helper=True)
        Evaluator(facts, scope, depth=2).run({})
        ev = Evaluator(facts, scope, depth=2)
        return lambda e: scope.values.get(e) or ev.expr(e, Env())
    module_ev = Evaluator(facts, Scope(PLACEHOLDER, spec, is_helper=True), depth=2)
    env = facts.globals.copy()
    return lambda e: module_ev.expr(e, env)


def fit_labels(call: cst.Call, assigned: dict[str, list[cst.BaseExpression]]) -> cst.BaseExpression | None:
    """The labels expression a ``fit`` call passes (``assigned``: the names bound before it)."""
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "y":
            return arg.value
    if len(positional) >= 2:
        return positional[1].value
    return _dataset_labels(positional[0].value, assigned) if positional else None


#: Dataset methods that keep the (features, labels) structure of each element
_DATASET_KEEPS = frozenset({"batch", "shuffle", "prefetch", "repeat", "cache", "take", "skip"})


def _dataset_labels(expr: cst.BaseExpression, assigned: dict[str, list[cst.BaseExpression]],
                    depth: int = 0, used: frozenset[int] = frozenset()) -> cst.BaseExpression | None:
    """``Dataset.from_tensor_slices((x, y)).shuffle(n).batch(b)`` (through names, also
    ``ds = ds.batch(8)``): ``y``. ``batch`` adds back the axis slicing removed, so the labels
    keep ``y``'s rank."""
    if depth > 8:
        return None
    if isinstance(expr, cst.Name):
        # the latest assignment not already being followed (``ds = ds.batch(8)`` reads the one before)
        for target in reversed(assigned.get(expr.value, [])):
            if id(target) not in used:
                return _dataset_labels(target, assigned, depth + 1, used | {id(target)})
        return None
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)):
        return None
    method = expr.func.attr.value
    if method in _DATASET_KEEPS:
        return _dataset_labels(expr.func.value, assigned, depth + 1, used)
    if method == "from_tensor_slices" and expr.args and isinstance(expr.args[0].value, cst.Tuple):
        elements = expr.args[0].value.elements
        return elements[1].value if len(elements) == 2 else None
    return None


def _assignments(modules: Sequence[cst.Module], stmt: cst.CSTNode) -> dict[str, list[cst.BaseExpression]]:
    """``name = expr`` at module level and in ``stmt`` (a def holding a ``fit``), in order."""
    out: dict[str, list[cst.BaseExpression]] = {}
    bodies: list[Sequence[cst.CSTNode]] = [m.body for m in modules]
    if isinstance(stmt, cst.FunctionDef) and isinstance(stmt.body, cst.IndentedBlock):
        bodies.append(stmt.body.body)
    for body in bodies:
        for line in body:
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for small in line.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name):
                    out.setdefault(small.targets[0].target.value, []).append(small.value)
    return out


# -- what a model outputs -------------------------------------------------------------------------
_SOFTMAX_FNS = frozenset({"keras.activations.softmax", "tf.nn.softmax", "tf.softmax", "K.softmax",
                          "ops.softmax"})
_SIGMOID_FNS = frozenset({"keras.activations.sigmoid", "tf.nn.sigmoid", "tf.sigmoid", "K.sigmoid",
                          "ops.sigmoid"})
_LINEAR_FNS = frozenset({"keras.activations.linear"})
_CE_FUNCTIONS = frozenset({"binary_crossentropy", "categorical_crossentropy",
                           "sparse_categorical_crossentropy", "binary_focal_crossentropy",
                           "categorical_focal_crossentropy"})
_MODEL_CLASSES = frozenset({"Model", "Functional"})


class Activation(enum.Enum):
    """What a model's (or a tensor's) values are: probabilities, logits, or neither known."""

    SOFTMAX = "softmax"
    SIGMOID = "sigmoid"
    LINEAR = "linear"  # no activation: logits
    OTHER = "other"  # another known activation layer (relu, tanh...)
    UNKNOWN = "unknown"

    @property
    def probabilities(self) -> bool:
        return self in (Activation.SOFTMAX, Activation.SIGMOID)


@dataclass(frozen=True)
class Output:
    """What a tensor holds and the layer (source text, for messages) that decided it.

    ``after``: a layer that passed probabilities on unchanged in value but hides the activation
    from the loss (Reshape...). ``units``: the deciding layer's output width when it is an
    int literal (``Dense(10)``: 10 output units; filters for a convolution). ``rank``: the
    tensor's rank, batch axis included, when the layers from an ``Input`` of known shape (or a
    ``Flatten``, a ``Reshape``) fix it (``Dense(1)`` on ``Input(shape=(8,))``: 2).
    """

    activation: Activation
    layer: str = ""
    after: str | None = None
    units: int | None = None
    rank: int | None = None


@dataclass(frozen=True)
class LayerFacts:
    """A layer constructor the file shows: its role, what it outputs (activation, width), what
    it does to the rank and the input rank it declares (``input_shape=``, first of a Sequential)."""

    role: LayerRole
    output: Output = Output(Activation.UNKNOWN)
    rank: RankChange = RankChange()
    declared: int | None = None


@dataclass(frozen=True)
class ModelFacts:
    """A model built in the file. ``output``: its last layer's output (None: unknown);
    ``layers``: the known layer list of a Sequential; ``qualname``: the model class as
    written (``tf.keras.Sequential``: which Keras); ``rank``: the rank of its output, batch
    axis included (``Dense(1)`` on 8 features: 2; None: unknown)."""

    output: Output | None
    layers: tuple[LayerFacts | None, ...] | None = None
    qualname: str = ""
    rank: int | None = None

    @property
    def final_activation(self) -> Activation:
        return self.output.activation if self.output is not None else Activation.UNKNOWN

    @property
    def units(self) -> int | None:
        return self.output.units if self.output is not None else None


#: TensorFlow's crossentropies of logits (labels first, logits second), and the Keras class each
#: matches; each applies its activation to what it is given
NN_LOGITS_LOSSES = {
    "tf.nn.sigmoid_cross_entropy_with_logits": "BinaryCrossentropy",
    "tf.nn.weighted_cross_entropy_with_logits": "BinaryCrossentropy",
    "tf.nn.softmax_cross_entropy_with_logits": "CategoricalCrossentropy",
    "tf.nn.softmax_cross_entropy_with_logits_v2": "CategoricalCrossentropy",
    "tf.nn.sparse_softmax_cross_entropy_with_logits": "SparseCategoricalCrossentropy",
}


class LossWriting(enum.Enum):
    """How a crossentropy is written in ``compile``."""

    STRING = "string"  # "categorical_crossentropy"
    INSTANCE = "instance"  # keras.losses.CategoricalCrossentropy(...)
    FUNCTION = "function"  # keras.losses.categorical_crossentropy
    CUSTOM = "custom"  # a loss of the file that calls one on its own prediction, unchanged


@dataclass(frozen=True)
class CompiledLoss:
    """A built-in crossentropy ``compile`` receives: its class, its literal ``from_logits``, and
    the expression that spells it (``written`` may be a name bound to it)."""

    cls: str
    from_logits: bool
    form: LossWriting
    node: cst.BaseExpression
    #: the TensorFlow op a custom loss hands its prediction to as logits
    #: (``tf.nn.sigmoid_cross_entropy_with_logits``): no Keras Loss in between recovers the
    #: logits of an activated output, on any backend
    via: str = ""


@dataclass(frozen=True)
class CompileFacts:
    """One ``<model>.compile(...)`` of a model the file builds, the model as it is there, the
    ``loss`` argument as written and the crossentropy it resolves to (None: another loss)."""

    call: cst.Call
    model: ModelFacts
    written: cst.BaseExpression | None
    loss: CompiledLoss | None


@dataclass(frozen=True)
class _Raw:
    """Any other expression bound to a name (a loss object, a string...)."""

    expr: cst.BaseExpression


@dataclass(frozen=True)
class _LayerList:
    layers: tuple[LayerFacts | None, ...]


_Entry = Union[Output, LayerFacts, ModelFacts, _Raw, _LayerList]
_ModelEnv = dict[str, _Entry]


class ModelReader:
    """Reads the model facts of a module, statement by statement, in source order.

    Feed it the module's top-level statements with :meth:`read` (all at once, or unit by unit
    as the engine parses them); it follows names in each function and at module level, treats
    whatever a branch or loop changes as unknown afterwards, remembers the functions of the
    file that build and return a model (``model = build_model()``) and the subclassed models
    (``class Net(keras.Model)`` whose ``call`` returns a known output), and records each
    ``compile`` of a known model in :attr:`compiles`. With ``calls``, it also notes each call
    of a model of the file whose output rank is known (``model(x)``, ``model.predict(x)``, also
    of a module-level model inside a function): :meth:`called_ranks`. Without ``describe``,
    layers are named by their class only (their source text is for messages).
    """

    def __init__(self, imports: ImportTable, calls: bool = False, describe: bool = True) -> None:
        self.imports = imports
        self.calls = calls
        self.describe = describe
        self._called: dict[cst.Call, int] = {}
        #: calls in a function of a name the function does not bind: resolved at module level
        self._pending: list[tuple[cst.Call, str]] = []
        #: the names each function being read binds (parameters, assignments), innermost last
        self._bound: list[set[str]] = []
        self.module_env: _ModelEnv = {}
        #: functions of the file that build a model and return it (``def build_model(): ...``)
        self.built: dict[str, ModelFacts] = {}
        #: classes of the file deriving from a Keras Model, with what their ``call`` returns
        self.subclasses: dict[str, ModelFacts] = {}
        self.compiles: list[CompileFacts] = []
        #: module-level functions of the file, by name (a custom loss ``compile`` receives)
        self.functions: dict[str, cst.FunctionDef] = {}
        #: the methods of the classes being read, innermost last (``self._build_model()``)
        self._methods: list[dict[str, cst.FunctionDef]] = []
        #: methods of the class being read that return a model, or None (being read, or none)
        self._method_models: list[dict[str, ModelFacts | None]] = []

    # -- queries ----------------------------------------------------------------------------------
    def model(self, expr: cst.BaseExpression) -> ModelFacts | None:
        """The model a module-level name (or ``build_model()``, ``Net()``, a model constructor)
        denotes after the statements read so far."""
        entry = self._evaluate(expr, self.module_env)
        return entry if isinstance(entry, ModelFacts) else None

    def called_ranks(self) -> dict[cst.Call, int]:
        """The output rank of each call of a model of the file read so far (by call node)."""
        out = dict(self._called)
        for call, name in self._pending:
            entry = self.module_env.get(name)
            if isinstance(entry, ModelFacts) and entry.rank is not None:
                out[call] = entry.rank
        return out

    def final_activation(self, expr: cst.BaseExpression) -> Activation:
        """The final activation of the model ``expr`` denotes (UNKNOWN when not known)."""
        model = self.model(expr)
        return model.final_activation if model is not None else Activation.UNKNOWN

    # -- statements ---------------------------------------------------------------------------
    def read(self, module: cst.Module) -> list[CompileFacts]:
        """Read the statements of ``module``; returns the ``compile`` facts they add."""
        start = len(self.compiles)
        for stmt in module.body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self._definition(stmt)
            else:
                self._statement(stmt, self.module_env, conditional=False, module=True)
        return self.compiles[start:]

    def _canonical(self, node: cst.BaseExpression) -> str | None:
        return self.imports.canonical_of(node)

    def _qualname(self, node: cst.BaseExpression) -> str | None:
        dotted = cst_dotted(node)
        return self.imports.resolve(dotted) if dotted is not None else None

    def _definition(self, node: cst.FunctionDef | cst.ClassDef, env: _ModelEnv | None = None) -> None:
        if isinstance(node, cst.ClassDef):
            self._class(node)
            return
        self.functions[node.name.value] = node
        returned = self._function(node, dict(env or {}))
        if isinstance(returned, ModelFacts):
            self.built[node.name.value] = returned

    def _function(self, node: cst.FunctionDef, env: _ModelEnv) -> _Entry | None:
        """Run a function body in ``env``; what its first top-level ``return`` gives (None when
        a branch or loop before it may return something else)."""
        if not self.calls:
            return self._body(node, env)
        self._bound.append(local_names(node))
        try:
            return self._body(node, env)
        finally:
            self._bound.pop()

    def _body(self, node: cst.FunctionDef, env: _ModelEnv) -> _Entry | None:
        branch_returns = False
        for stmt in statements(node.body):
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self._definition(stmt)
                continue
            self._statement(stmt, env, conditional=False, module=False)
            if not isinstance(stmt, cst.SimpleStatementLine):
                branch_returns = branch_returns or bool(descendants(stmt, cst.Return))
            returned = _returned(stmt)
            if returned is not None:  # statements after a top-level return never run
                return None if branch_returns else self._evaluate(returned, env)
        return None

    def _class(self, node: cst.ClassDef) -> None:
        methods = {s.name.value: s for s in statements(node.body) if isinstance(s, cst.FunctionDef)}
        self._methods.append(methods)
        self._method_models.append({})
        try:
            self._class_body(node, methods)
        finally:
            self._methods.pop()
            self._method_models.pop()

    def _method_model(self, name: str) -> ModelFacts | None:
        """What ``self.<name>()`` returns where that method of the class being read builds and
        returns a model (``self.model = self._build_model()`` in an agent's ``__init__``), read
        once per class (None while it is being read: no recursion)."""
        if not self._methods or name not in self._methods[-1]:
            return None
        known = self._method_models[-1]
        if name not in known:
            known[name] = None
            returned = self._function(self._methods[-1][name], {})
            known[name] = returned if isinstance(returned, ModelFacts) else None
        return known[name]

    def _class_body(self, node: cst.ClassDef, methods: dict[str, cst.FunctionDef]) -> None:
        is_model = any(self._is_model_class(base.value) for base in node.bases)
        env: _ModelEnv = {}
        shared = self._attribute_models(node, is_model)
        for stmt in statements(node.body):
            if isinstance(stmt, cst.ClassDef):
                self._definition(stmt)
            elif isinstance(stmt, cst.FunctionDef) and not (is_model and stmt.name.value in ("__init__", "call")):
                self._definition(stmt, shared)
        if not is_model or "call" not in methods:
            return
        init = methods.get("__init__")
        if init is not None:
            self._function(init, env)  # binds self.<layer> = Layer(...)
        returned = self._function(methods["call"], env)
        output = returned if isinstance(returned, Output) and returned.activation is not Activation.UNKNOWN else None
        rank = returned.rank if isinstance(returned, Output) else None
        self.subclasses[node.name.value] = ModelFacts(output, None, "", rank)

    def _attribute_models(self, node: cst.ClassDef, is_model: bool) -> _ModelEnv:
        """The models a class keeps in attributes that one method builds and another compiles
        (``self.model = keras.Model(...)`` in ``build_model``, ``self.model.compile(...)`` in
        ``compile_model``): each such attribute bound once in the class, as the methods that do
        not compile leave it. Empty (and nothing run) for a class with no such compile."""
        methods = [s for s in statements(node.body) if isinstance(s, cst.FunctionDef)
                   and not (is_model and s.name.value in ("__init__", "call"))]
        # each method's ``<x>.compile`` callees, read once
        compiles = {id(method): [call.func for call in descendants(method, cst.Call)
                                 if isinstance(call.func, cst.Attribute) and call.func.attr.value == "compile"]
                    for method in methods}
        compiled = {key for funcs in compiles.values() for func in funcs
                    if (key := _key(func.value)) is not None and key.startswith("self.")}
        if not compiled:
            return {}
        stores: dict[str, int] = {}
        for method in methods:
            for assign in descendants(method, cst.Assign):
                if self._placeholder(assign.value):
                    continue
                for target in assign.targets:
                    key = _key(target.target)
                    if key in compiled:
                        stores[key] = stores.get(key, 0) + 1
        once = {key for key, count in stores.items() if count == 1}
        if not once:
            return {}
        env: _ModelEnv = {}
        found: _ModelEnv = {}
        for method in methods:
            if method.name.value == "compile" or compiles[id(method)]:
                continue
            self._function(method, env)
            # as the building method leaves it (a later ``load_model`` method rebinds it unknown)
            found.update((key, entry) for key, entry in env.items() if key in once and isinstance(entry, ModelFacts))
        return found

    def _placeholder(self, value: cst.BaseExpression) -> bool:
        """``self.model = None`` before it is built, or ``self.model = load_model(path)``: the
        model the class saved, the one it builds."""
        if isinstance(value, cst.Name) and value.value == "None":
            return True
        return isinstance(value, cst.Call) and (self._canonical(value.func) or "").endswith(".load_model")

    def _is_model_class(self, base: cst.BaseExpression) -> bool:
        canon = self._canonical(base) or ""
        if canon.startswith("keras.") and canon.rsplit(".", 1)[-1] in _MODEL_CLASSES:
            return True
        return isinstance(base, cst.Name) and base.value in self.subclasses

    def _block(self, body: Sequence[cst.BaseStatement], env: _ModelEnv, conditional: bool, module: bool) -> None:
        for stmt in body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self._definition(stmt)
            else:
                self._statement(stmt, env, conditional, module)

    def _statement(self, stmt: cst.BaseStatement, env: _ModelEnv, conditional: bool, module: bool) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._small(small, env, conditional, module)
        elif isinstance(stmt, cst.With):
            self._block(statements(stmt.body), env, conditional, module)
        elif isinstance(stmt, (cst.If, cst.For, cst.While, cst.Try)):
            self._branches(stmt, env, module)

    def _branches(self, stmt: cst.BaseStatement, env: _ModelEnv, module: bool) -> None:
        """Run each branch on a copy; whatever a branch changes is unknown afterwards, but for a
        tensor whose rank every path agrees on (``for _ in range(n): x = Dense(h)(x)``: a
        Dense keeps the rank, whether the loop runs or not)."""
        changed: set[str] = set()
        inners: list[_ModelEnv] = []
        for body in branch_bodies(stmt):
            inner = dict(env)
            self._block(body, inner, True, module)
            inners.append(inner)
            changed |= {k for k in inner.keys() | env.keys() if inner.get(k) is not env.get(k)}
        for key in changed:
            kept = _agreed_rank([env.get(key), *(inner.get(key) for inner in inners)])
            if kept is None:
                env.pop(key, None)
            else:
                env[key] = kept

    def _small(self, small: cst.BaseSmallStatement, env: _ModelEnv, conditional: bool, module: bool) -> None:
        if self.calls:
            self._note_calls(small, env, module)
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

    def _note_calls(self, small: cst.BaseSmallStatement, env: _ModelEnv, module: bool) -> None:
        """Note the calls of models in ``small`` (before it rebinds anything)."""
        for call in descendants(small, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "predict":
                func = func.value
            key = _key(func)
            if key is None or not call.args:
                continue
            entry = env.get(key)
            if isinstance(entry, ModelFacts):
                if entry.rank is not None:
                    self._called[call] = entry.rank
            elif entry is None and not module and isinstance(func, cst.Name) \
                    and not any(key in bound for bound in self._bound):
                self._pending.append((call, key))  # a global: ``def step(x): ... model(x)``

    def _method(self, call: cst.Call, env: _ModelEnv, conditional: bool, module: bool) -> None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return
        key = _key(func.value)
        model = env.get(key) if key is not None else None
        if not isinstance(model, ModelFacts) or key is None:
            return
        method = func.attr.value
        if method == "add":
            env[key] = self._added(model, call, env, conditional)
        elif method == "pop":
            env[key] = ModelFacts(None, None, model.qualname)
        elif method == "compile":
            written = call_arg(call, 1, "loss")
            loss = self._loss(written, env, module) if written is not None else None
            self.compiles.append(CompileFacts(call, model, written, loss))

    def _added(self, model: ModelFacts, call: cst.Call, env: _ModelEnv, conditional: bool) -> ModelFacts:
        if conditional or model.layers is None or not call.args:
            return ModelFacts(None, None, model.qualname)
        layer = self._layer(call.args[0].value, env)
        layers = model.layers + (layer,)
        return ModelFacts(sequential_output(layers), layers, model.qualname, sequential_rank(layers))

    # -- compile losses -------------------------------------------------------------------------
    def _loss(self, written: cst.BaseExpression, env: _ModelEnv, module: bool) -> CompiledLoss | None:
        """The crossentropy ``written`` is (through up to three names), with its ``from_logits``."""
        expr = written
        for _ in range(3):
            if not isinstance(expr, cst.Name):
                break
            if expr.value in self.functions and expr.value not in env and expr.value not in self.module_env:
                return self._custom_loss(self.functions[expr.value], written)
            entry = env.get(expr.value) or (None if module else self.module_env.get(expr.value))
            if not isinstance(entry, _Raw) or entry.expr is expr:
                return None
            expr = entry.expr
        if isinstance(expr, cst.SimpleString):
            value = literal(expr)
            cls = CROSSENTROPY_STRINGS.get(value) if isinstance(value, str) else None
            return CompiledLoss(cls, False, LossWriting.STRING, expr) if cls else None
        if isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Name) and expr.func.value in self.functions \
                    and expr.func.value not in env and expr.func.value not in self.module_env:
                inner = _returned_def(self.functions[expr.func.value])
                return self._custom_loss(inner, written) if inner is not None else None
            return self._loss_instance(expr)
        canon = self._canonical(expr) if isinstance(expr, (cst.Attribute, cst.Name)) else None
        if canon is not None and canon.startswith("keras.losses.") and canon.rsplit(".", 1)[-1] in _CE_FUNCTIONS:
            return CompiledLoss(LOSS_FUNCTIONS[canon.rsplit(".", 1)[-1]].cls, False, LossWriting.FUNCTION, expr)
        return None

    def _custom_loss(self, fn: cst.FunctionDef, written: cst.BaseExpression) -> CompiledLoss | None:
        """A loss function of the file that hands its own prediction, unchanged, to a built-in
        crossentropy with ``from_logits`` left ``False`` (``K.categorical_crossentropy(y_true,
        y_pred)`` in a label-smoothing loss): it reads the model's outputs as that one does."""
        params = [p.name.value for p in fn.params.params]
        if len(params) < 2 or reassigned(fn, params[1]):  # ``y_pred = tf.nn.softmax(y_pred)``
            return None
        found: CompiledLoss | None = None
        for call in descendants(fn, cst.Call):
            canonical = self._canonical(call.func)
            if canonical in NN_LOGITS_LOSSES:
                logits = call_arg(call, 1, "logits")
                if isinstance(logits, cst.Name) and logits.value == params[1]:
                    if found is not None and not found.from_logits:
                        return None  # probabilities and logits read from one output: the file decides
                    found = CompiledLoss(NN_LOGITS_LOSSES[canonical], True, LossWriting.CUSTOM, written, canonical)
                continue
            form = loss_function_form(canonical)
            if form is None or form[0].cls not in CROSSENTROPY_CLASSES:
                continue
            output = call_arg(call, 1, "y_pred", "output")
            flag = call_arg(call, 2, "from_logits")
            if not (isinstance(output, cst.Name) and output.value == params[1]):
                continue
            if flag is not None and literal(flag) is not False or found is not None and found.from_logits:
                return None  # a crossentropy of the logits too: the file decides, not this rule
            found = found or CompiledLoss(form[0].cls, False, LossWriting.CUSTOM, written)
        return found

    def _loss_instance(self, expr: cst.Call) -> CompiledLoss | None:
        cls = loss_class_name(self._canonical(expr.func))
        if cls not in CROSSENTROPY_CLASSES:
            return None
        _, position = CROSSENTROPY_CLASSES[cls]
        if position is None and any(a.keyword is None for a in expr.args):
            return None
        flag = call_arg(expr, position, "from_logits")
        value = False if flag is None else literal(flag)
        return CompiledLoss(cls, value, LossWriting.INSTANCE, expr) if isinstance(value, bool) else None

    # -- expressions ------------------------------------------------------------------------------
    def _evaluate(self, expr: cst.BaseExpression, env: _ModelEnv) -> _Entry | None:
        if isinstance(expr, cst.Name):
            return env.get(expr.value, _Raw(expr))
        if isinstance(expr, (cst.List, cst.Tuple)) and expr.elements and all(
                isinstance(e, cst.Element) for e in expr.elements):
            layers = tuple(self._layer(e.value, env) for e in expr.elements)
            if any(layers):
                return _LayerList(layers)
            return _Raw(expr)
        if not isinstance(expr, cst.Call):
            return _Raw(expr)
        if isinstance(expr.func, cst.Name) and expr.func.value not in env:
            made = self.built.get(expr.func.value) or self.subclasses.get(expr.func.value)
            if made is not None:
                return made  # model = build_model(), model = Net()
        if isinstance(expr.func, cst.Attribute) and isinstance(expr.func.value, cst.Name) \
                and expr.func.value.value == "self":
            made = self._method_model(expr.func.attr.value)
            if made is not None:
                return made  # self.model = self._build_model()
        model = self._model(expr, env)
        if model is not None:
            return model
        tensor = self._tensor(expr, env)
        if tensor is not None:
            return tensor
        layer = self._layer(expr, env)
        return layer if layer is not None else _Raw(expr)

    def _model(self, call: cst.Call, env: _ModelEnv) -> ModelFacts | None:
        canon = self._canonical(call.func) or ""
        if not canon.startswith("keras."):
            return None
        last = canon.rsplit(".", 1)[-1]
        qualname = self._qualname(call.func) or ""
        if last == "Sequential":
            arg = call_arg(call, 0, "layers")
            if arg is None:
                return ModelFacts(None, (), qualname)
            listed = self._evaluate(arg, env)
            if isinstance(listed, _LayerList):
                return ModelFacts(sequential_output(listed.layers), listed.layers, qualname,
                                  sequential_rank(listed.layers))
            return ModelFacts(None, None, qualname)
        if last in _MODEL_CLASSES:
            outputs = call_arg(call, 1, "outputs")
            if isinstance(outputs, (cst.List, cst.Tuple)):
                items = [e.value for e in outputs.elements if isinstance(e, cst.Element)]
                outputs = items[0] if len(items) == 1 else None
            out = self._output_of(outputs, env) if outputs is not None else None
            return ModelFacts(out, None, qualname, out.rank if out is not None else None)
        return None

    def _output_of(self, expr: cst.BaseExpression, env: _ModelEnv) -> Output | None:
        entry: _Entry | None = None
        if isinstance(expr, cst.Name):
            entry = env.get(expr.value)
        elif isinstance(expr, cst.Call):
            entry = self._tensor(expr, env) or self._layer(expr, env)
        if isinstance(entry, LayerFacts) and entry.role is LayerRole.INPUT:
            return Output(Activation.UNKNOWN, rank=entry.rank.of(None))  # x = Input(shape=(8,))
        return entry if isinstance(entry, Output) else None

    def _tensor(self, call: cst.Call, env: _ModelEnv) -> Output | None:
        """The output of ``Layer(...)(x)``, ``layer(x)``, ``self.layer(x)`` or ``tf.nn.softmax(x)``."""
        canon = self._canonical(call.func)
        if canon in _SOFTMAX_FNS or canon in _SIGMOID_FNS:
            kind = Activation.SOFTMAX if canon in _SOFTMAX_FNS else Activation.SIGMOID
            return Output(kind, code_of(call.func) + "(...)")
        layer: LayerFacts | None
        key = _key(call.func)
        entry = env.get(key) if key is not None else None
        if isinstance(call.func, cst.Call):
            layer = self._layer(call.func, env)
        elif isinstance(entry, LayerFacts):
            layer = entry
        elif isinstance(entry, ModelFacts) and call.args:
            return _called(entry)  # a model of the file applied to a tensor
        elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "predict" and call.args \
                and isinstance(model := env.get(_key(call.func.value) or ""), ModelFacts):
            return _called(model)
        else:
            return None
        if layer is None or not call.args:
            return Output(Activation.UNKNOWN) if layer is None and isinstance(call.func, cst.Call) else None
        return _apply(layer, self._output_of(call.args[0].value, env))

    def _layer(self, expr: cst.BaseExpression, env: _ModelEnv) -> LayerFacts | None:
        if isinstance(expr, cst.Name):
            entry = env.get(expr.value)
            return entry if isinstance(entry, LayerFacts) else None
        if not isinstance(expr, cst.Call):
            return None
        found = layer_spec(self._canonical(expr.func))
        if found is None:
            return None
        cls, spec = found
        change = rank_change(cls, spec, expr)
        declared = input_rank(expr)
        if spec.role is LayerRole.INPUT:
            return LayerFacts(LayerRole.INPUT, rank=change)
        desc = _layer_text(expr, cls) if self.describe else cls
        if spec.role is LayerRole.AFFINE:
            act = call_arg(expr, 1 if cls == "Dense" else None, "activation")
            out = Output(self._activation(act), desc, units=width(spec, expr))
            return LayerFacts(LayerRole.AFFINE, out, change, declared)
        if cls == "Activation":
            named = self._activation(call_arg(expr, 0, "activation"))
            out = Output(Activation.OTHER if named is Activation.UNKNOWN else named, desc)
            return LayerFacts(LayerRole.ACTIVATION, out, change, declared)
        if cls == "Softmax":
            return LayerFacts(LayerRole.ACTIVATION, Output(Activation.SOFTMAX, desc), change, declared)
        return LayerFacts(spec.role, Output(Activation.UNKNOWN, desc), change, declared)

    def _activation(self, node: cst.BaseExpression | None) -> Activation:
        """The activation an ``activation=`` argument names (UNKNOWN for a non-literal)."""
        if node is None:
            return Activation.LINEAR
        value = literal(node)
        if value is None or value == "linear":
            return Activation.LINEAR
        if value == "softmax":
            return Activation.SOFTMAX
        if value == "sigmoid":
            return Activation.SIGMOID
        canon = self._canonical(node)
        if canon in _SOFTMAX_FNS:
            return Activation.SOFTMAX
        if canon in _SIGMOID_FNS:
            return Activation.SIGMOID
        if canon in _LINEAR_FNS:
            return Activation.LINEAR
        return Activation.UNKNOWN


def read_models(imports: ImportTable, module: cst.Module) -> ModelReader:
    """The model facts of a whole module (see :class:`ModelReader`)."""
    reader = ModelReader(imports)
    reader.read(module)
    return reader


# -- helpers ------------------------------------------------------------------------------------------
def _apply(layer: LayerFacts, incoming: Output | None) -> Output:
    """The output of ``layer`` applied to a tensor holding ``incoming``."""
    rank = layer.rank.of(incoming.rank if incoming is not None else None)
    if layer.role is LayerRole.ACTIVATION and layer.output.activation is Activation.LINEAR \
            and incoming is not None and incoming.activation is not Activation.UNKNOWN:
        # ``Activation('linear', dtype='float32')`` after a softmax (the mixed-precision guide's
        # cast to float32) is the identity: the output is still the softmax's
        return replace(incoming, rank=rank)
    if layer.role in (LayerRole.AFFINE, LayerRole.ACTIVATION):
        return replace(layer.output, rank=rank)
    if layer.role is LayerRole.TRANSPARENT and incoming is not None and incoming.activation is not Activation.UNKNOWN:
        if incoming.activation.probabilities:
            return replace(incoming, after=incoming.after or layer.output.layer, rank=rank)
        return replace(incoming, rank=rank)
    return Output(Activation.UNKNOWN, rank=rank)


def _called(model: ModelFacts) -> Output:
    """What a model of the file outputs when called (``model(x)``, ``model.predict(x)``)."""
    out = model.output if model.output is not None else Output(Activation.UNKNOWN)
    return replace(out, rank=model.rank)


def sequential_output(layers: tuple[LayerFacts | None, ...]) -> Output | None:
    """The output of the last layers of a Sequential list (None when a layer is unknown)."""
    out: Output | None = None
    for layer in layers:
        if layer is None:
            out = None
            continue
        if layer.role is LayerRole.INPUT:
            continue
        out = _apply(layer, out)
    return out if out is not None and out.activation is not Activation.UNKNOWN else None


def sequential_rank(layers: tuple[LayerFacts | None, ...]) -> int | None:
    """The output rank of a Sequential list: from its ``Input`` (or the first layer's
    ``input_shape``/``input_dim``) through each layer's rank change (None: a layer unknown)."""
    rank: int | None = None
    for i, layer in enumerate(layers):
        if layer is None:
            return None
        if i == 0 and layer.declared is not None:
            rank = layer.declared
        rank = layer.rank.of(rank)
    return rank


def _agreed_rank(entries: list[_Entry | None]) -> Output | None:
    """A tensor of the rank every one of ``entries`` (the values a name may hold after a branch
    or a loop) has, with the activation they share (else unknown); None unless all are tensors
    of one known rank."""
    outputs = [e for e in entries if isinstance(e, Output)]
    if len(outputs) != len(entries) or not outputs:
        return None
    ranks = {o.rank for o in outputs}
    if len(ranks) != 1 or None in ranks:
        return None
    activations = {o.activation for o in outputs}
    activation = activations.pop() if len(activations) == 1 else Activation.UNKNOWN
    return Output(activation, outputs[-1].layer if activation is not Activation.UNKNOWN else "", rank=ranks.pop())


def _bind(env: _ModelEnv, target: cst.BaseExpression, entry: _Entry | None) -> None:
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


def _invalidate_models(env: _ModelEnv, target: cst.BaseExpression) -> None:
    """``model.layers[-1].activation = None`` and the like change a model in place."""
    node = target
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
        key = _key(node)
        entry = env.get(key) if key is not None else None
        if key is not None and isinstance(entry, ModelFacts):
            env[key] = ModelFacts(None, None, entry.qualname)


def _key(node: cst.BaseExpression) -> str | None:
    """``model`` or ``self.model``: the names the reader tracks."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return f"{node.value.value}.{node.attr.value}"
    return None


class _Binders(cst.CSTVisitor):
    """The targets of every binding under a node (assignments, loops, ``with ... as``, defs)."""

    def __init__(self) -> None:
        self.targets: list[cst.BaseExpression] = []
        self.names: set[str] = set()

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.targets.append(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.targets.append(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.targets.append(node.target)

    def visit_For(self, node: cst.For) -> None:
        self.targets.append(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.targets.append(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        if isinstance(node.name, cst.BaseExpression):
            self.targets.append(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.targets.append(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.names.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.names.add(node.name.value)


def local_names(fn: cst.FunctionDef) -> set[str]:
    """The names a function binds (parameters, assignment/loop/with targets, nested defs): a
    call of one of them is not a call of the module-level model of that name."""
    params = fn.params
    names = {p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    binders = _Binders()
    visit_read_only(fn.body, binders)
    names |= binders.names
    for target in binders.targets:
        names.update(n.value for n in descendants(target, cst.Name))
    return names


def _returned(stmt: cst.BaseStatement) -> cst.BaseExpression | None:
    """The value of a top-level ``return X`` statement of a function body."""
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Return):
                return small.value
    return None


def statements(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    """The statements of a block (a one-line ``if x: a; b`` as one statement line)."""
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    return [cst.SimpleStatementLine(body=list(suite.body))] if isinstance(suite, cst.SimpleStatementSuite) else []


def branch_bodies(stmt: cst.BaseStatement) -> list[Sequence[cst.BaseStatement]]:
    """Each block of a compound statement (if/elif/else, loop and else, try/except/finally)."""
    out: list[Sequence[cst.BaseStatement]] = []
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.BaseSuite):
        out.append(statements(body))
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        out.extend(branch_bodies(orelse))
    elif isinstance(orelse, cst.Else):
        out.append(statements(orelse.body))
    for handler in getattr(stmt, "handlers", ()):
        out.append(statements(handler.body))
    final = getattr(stmt, "finalbody", None)
    if isinstance(final, cst.Finally):
        out.append(statements(final.body))
    return out


def _layer_text(call: cst.Call, cls: str) -> str:
    """``Dense(10, activation='softmax')`` without the module prefix, shortened."""
    args = ", ".join(code_of(a).rstrip(", ") for a in call.args)
    return short_text(cst.parse_expression(f"{cls}({args})")) if "\n" not in args else f"{cls}(...)"


def short_text(node: cst.CSTNode) -> str:
    """Source text of ``node`` on one line, cut to 48 characters (for messages)."""
    text = " ".join(code_of(node).split())
    return text if len(text) <= 48 else text[:45] + "..."


# -- cheap questions on the stdlib ast (which units a reader needs) --------------------------------
def compiles_by_scope(unit: ast.stmt) -> list[tuple[ast.AST, list[ast.Call]]]:
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


def builds_model(index: ModuleIndex, scope: ast.AST, depth: int = 0) -> bool:
    """The scope builds a Sequential/functional model, itself or by calling a function of the
    file that does (``model = build_model()``)."""
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        scope = index.tree  # module-level code: models may be built in any statement
    classes = model_classes(index) if depth == 0 else {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Call):
            dotted = ast_dotted(node.func)
            canon = index.imports.canonical(dotted) if dotted else None
            if canon and _constructs_model(canon):
                return True
            if depth == 0 and isinstance(node.func, ast.Name) and (node.func.id in classes or any(
                    builds_model(index, f, 1) for f in _builders(index, node.func.id))):
                return True
    return False


def model_classes(index: ModuleIndex) -> dict[str, int]:
    """Top-level classes of the file deriving (directly or through each other) from a Keras
    ``Model``, by name, with their unit index (``model = Net()`` builds one)."""
    found: dict[str, int] = {}
    for i, stmt in enumerate(index.unit_nodes):
        if isinstance(stmt, ast.ClassDef) and any(_model_base(index, base, found) for base in stmt.bases):
            found[stmt.name] = i
    return found


def _model_base(index: ModuleIndex, base: ast.expr, known: dict[str, int]) -> bool:
    if isinstance(base, ast.Name) and base.id in known:
        return True
    dotted = ast_dotted(base)
    canon = index.imports.canonical(dotted) if dotted else None
    return _builds_model(canon)


def _builds_model(canon: str | None) -> bool:
    """``keras.Model`` / ``keras.models.Model`` (``Functional``), as ``canonical`` spells them."""
    return bool(canon and canon.startswith("keras.") and canon.rsplit(".", 1)[-1] in _MODEL_CLASSES)


def _builders(index: ModuleIndex, name: str) -> list[ast.FunctionDef]:
    """Top-level functions of the file with this name."""
    return [s for s in index.unit_nodes if isinstance(s, ast.FunctionDef) and s.name == name]


def builder_units(index: ModuleIndex) -> set[int]:
    """Units defining a top-level function that builds a model (to follow ``build_model()``)
    or a subclassed model (to follow ``Net()``)."""
    naming = model_naming_units(index)
    return {i for i in naming if isinstance(s := index.unit_nodes[i], ast.FunctionDef)
            and builds_model(index, s, 1)} | set(model_classes(index).values())


def model_naming_units(index: ModuleIndex) -> set[int]:
    """Units that mention a name :func:`builds_model` calls a model (``keras.Sequential``,
    ``keras.models.Model``): only these can build one themselves, so only these are walked
    (a 1,000-line file of blocks and input pipelines is otherwise walked function by function)."""
    return {unit for name, units in index.names.items() if _constructs_model(name) for unit in units}


def _constructs_model(canon: str) -> bool:
    """``keras.Sequential``, ``keras.Model``, ``keras.models.Functional`` ...: a call of it
    builds a model (what :func:`builds_model` looks for)."""
    return canon.startswith("keras.") and canon.rsplit(".", 1)[-1] in ("Sequential", *_MODEL_CLASSES)


#: canonical names whose mention shows that a unit builds (or subclasses) a Keras model
_MODEL_NAMES = ("keras.Sequential", "keras.Model", "keras.Functional", "keras.models.Sequential",
                "keras.models.Model")


def model_units(index: ModuleIndex) -> set[int]:
    """The units a :class:`ModelReader` needs to know the file's models: those naming a model
    class (``keras.Sequential``, a ``keras.Model`` base), the functions that build one, and the
    module-level ``.add`` calls that grow one (empty: the file builds no model)."""
    naming = index.units_with_name(*_MODEL_NAMES)
    if not naming:
        return set()
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    adds = {u for u in index.methods.get("add", set()) if not isinstance(index.unit_nodes[u], definitions)}
    return naming | adds | builder_units(index)


def _statement_units(index: ModuleIndex, units: set[int]) -> set[int]:
    """Of ``units``, the module-level statements (not defs or classes): where models are bound."""
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {u for u in units if not isinstance(index.unit_nodes[u], definitions)}


def called_model_ranks(index: ModuleIndex, call_unit: int, parsed: set[int],
                       unit_module: Callable[[int], cst.Module | None]) -> dict[cst.Call, int]:
    """Each call in ``call_unit`` of a model of the file with a known output rank (``pred =
    model(x)`` with a ``Dense(1)`` head on 8 features: 2). Reads, in source order, the units
    that build models, the module-level statements already parsed (``parsed``: where
    ``model = build_model()`` is) and the call unit; ``unit_module`` gives the parsed unit,
    the same nodes the evaluator sees."""
    needed = model_units(index)
    if not needed:
        return {}
    reader = ModelReader(index.imports, describe=False)
    for unit in sorted(needed | _statement_units(index, parsed) | {call_unit}):
        module = unit_module(unit)
        if module is not None:
            reader.calls = unit == call_unit
            reader.read(module)
    return reader.called_ranks()


def compiled_output_ranks(index: ModuleIndex, parsed: set[int],
                          unit_module: Callable[[int], cst.Module | None]) -> dict[str, list[int | None]]:
    """For each class ``compile`` receives an instance of (``loss=AbsError()``: a Loss subclass
    of the file), or function whose call it receives (a loss factory), or function it receives
    itself (``loss=triplet_loss``, keyed by :func:`passed_function_key`), the output rank of each
    model compiled with it (None: that model's rank is unknown). Reads, in source order, the units that build models, that compile, and the
    module-level statements already parsed."""
    compiles = index.methods.get("compile", set())
    needed = model_units(index)
    if not needed or not compiles:
        return {}
    reader = ModelReader(index.imports, describe=False)
    for unit in sorted(needed | _statement_units(index, parsed) | compiles):
        module = unit_module(unit)
        if module is not None:
            reader.read(module)
    out: dict[str, list[int | None]] = {}
    for site in reader.compiles:
        written = site.written
        if isinstance(written, (cst.List, cst.Tuple)) and len(written.elements) == 1:
            written = written.elements[0].value  # ``loss=[ppo_loss(...)]`` for the one output
        if isinstance(written, cst.Call) and isinstance(written.func, cst.Name):
            out.setdefault(written.func.value, []).append(site.model.rank)
        elif isinstance(written, cst.Name):
            # ``loss=triplet_loss``: a loss function of the file, called on the model's output
            out.setdefault(passed_function_key(written.value), []).append(site.model.rank)
        elif isinstance(written, cst.Attribute) and isinstance(written.value, cst.Name) and written.value.value == "self":
            # ``loss=self.loss``: a method of the class that compiles (keyed by the method's name)
            out.setdefault(passed_method_key(written.attr.value), []).append(site.model.rank)
    return out


def passed_function_key(name: str) -> str:
    """The key of :func:`compiled_output_ranks` for a function ``compile`` receives itself
    (``loss=triplet_loss``), apart from the plain name a call of it is keyed by
    (``loss=triplet_loss(0.2)``: a factory)."""
    return f"{name}()"


def passed_method_key(name: str) -> str:
    """The key of :func:`compiled_output_ranks` for a method of the class that compiles
    (``loss=self.pg_loss``): methods of different classes share it."""
    return passed_function_key(f"self.{name}")


# -- models whose output is a stack of tensors ----------------------------------------------------
def axis0_stacked_outputs(index: ModuleIndex) -> int:
    """How many tensors the widest functional model of the file stacks on axis 0 as its output
    (``keras.Model(inputs, outputs=tf.stack([logits, mask]))``), 0 if none does. Such a model's
    prediction has the parts on axis 0, so ``y_pred[0]`` in its loss picks the first part, not
    the first sample."""
    def stacked(expr: ast.expr | None) -> int:
        if not (isinstance(expr, ast.Call) and expr.args and isinstance(expr.args[0], (ast.List, ast.Tuple))):
            return 0
        canon = index.imports.canonical(ast_dotted(expr.func))
        if canon is None or canon.rpartition(".")[2] != "stack":
            return 0
        axis = next((k.value for k in expr.keywords if k.arg == "axis"), expr.args[1] if len(expr.args) > 1 else None)
        if axis is not None and not (isinstance(axis, ast.Constant) and axis.value == 0):
            return 0
        return len(expr.args[0].elts)

    widest = 0
    # only the units that mention a Model constructor (most files: none), each walk cached
    for unit in index.units_with_name("keras.Model", "keras.models.Model"):
        for node in index.unit_walk(unit):
            if isinstance(node, ast.Call) and _builds_model(index.imports.canonical(ast_dotted(node.func))):
                outputs = next((k.value for k in node.keywords if k.arg == "outputs"),
                               node.args[1] if len(node.args) > 1 else None)
                widest = max(widest, stacked(outputs))
    return widest


def _returned_def(factory: cst.FunctionDef) -> cst.FunctionDef | None:
    """The function a loss factory defines in its body and returns by name (``def custom_loss(w):
    def loss(y_true, y_pred): ...; return loss``): what ``compile(loss=custom_loss(2.5))`` gets."""
    if not isinstance(factory.body, cst.IndentedBlock):
        return None
    defs = {stmt.name.value: stmt for stmt in factory.body.body if isinstance(stmt, cst.FunctionDef)}
    returned = [r.value.value for r in descendants(factory.body, cst.Return) if isinstance(r.value, cst.Name)]
    found = {defs[name] for name in returned if name in defs}
    return found.pop() if len(found) == 1 and len(returned) == 1 else None
