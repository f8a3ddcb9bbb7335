"""Abstract interpretation of a loss body over LibCST nodes.

Every expression the evaluator meets gets a :class:`Value` (rank relative to the inputs,
batch axis, dtype kind, gradient dependence on ``y_pred``, provenance marks). Statements are
walked in order with branch joins, so intermediate variables, augmented assignments, tuple
unpacking, early returns and helpers called with tensor arguments are all understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

import libcst as cst

from tfshape_lint.analysis.imports import ImportTable, cst_dotted, dead_ordering_branch
from tfshape_lint.analysis.losses import MAPPING, Context, LossSpec, Role
from tfshape_lint.analysis.names import COUNT_WORDS, WEIGHT_WORDS, mentions
from tfshape_lint.analysis.ops import NO_AXIS_REDUCTIONS, REDUCED_KEYWORDS, Kind, OpSpec, lookup
from tfshape_lint.analysis.values import (
    PYTHON,
    labels_below_logits,
    UNKNOWN,
    DType,
    Env,
    Grad,
    Mark,
    Origin,
    Tag,
    Value,
    elementwise,
    join,
)
from tfshape_lint.source import callee_name, code_of, compact_code, descendants

FunctionNode = cst.FunctionDef | cst.Lambda
_N = TypeVar("_N", bound=cst.CSTNode)
_T = TypeVar("_T")
_MAX_HELPER_DEPTH = 3


class NotLiteral:
    """Marker for an argument whose value is not a literal."""


NOT_LITERAL = NotLiteral()


def literal(node: cst.BaseExpression | None) -> object:
    """A Python literal (int, float, str, None, bool, tuple of them) or ``NOT_LITERAL``."""
    if node is None:
        return NOT_LITERAL
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    if isinstance(node, cst.Float):
        return float(node.value.replace("_", ""))
    if isinstance(node, cst.Name) and node.value in ("None", "True", "False"):
        return {"None": None, "True": True, "False": False}[node.value]
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal(node.expression)
        return -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else NOT_LITERAL
    if isinstance(node, (cst.Tuple, cst.List)):
        items = [literal(el.value) for el in node.elements]
        return NOT_LITERAL if any(i is NOT_LITERAL for i in items) else tuple(items)
    return NOT_LITERAL


def call_arg(call: cst.Call, position: int | None, *names: str) -> cst.BaseExpression | None:
    """The argument given by keyword (any of ``names``) or at ``position``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in names:
            return arg.value
    if position is None:
        return None
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) > position and not any(a.star for a in call.args):
        return positional[position].value
    return None


def has_keyword(call: cst.Call, *names: str) -> bool:
    return any(a.keyword is not None and a.keyword.value in names for a in call.args)


def _isinstance_test(test: cst.BaseExpression) -> tuple[str, list[cst.BaseExpression], bool] | None:
    """``isinstance(name, kind)`` / ``isinstance(name, (a, b))``, or its ``not``: (the name, the
    kinds, whether negated); None for any other test."""
    negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
    call = test.expression if isinstance(test, cst.UnaryOperation) and negated else test
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "isinstance"
            and len(call.args) == 2 and isinstance(call.args[0].value, cst.Name)):
        return None
    kinds = call.args[1].value
    names = [e.value for e in kinds.elements] if isinstance(kinds, (cst.Tuple, cst.List)) else [kinds]
    return (call.args[0].value.value, names, negated) if names else None


def custom_gradient_def(fn: FunctionNode, imports: ImportTable) -> bool:
    """A ``@tf.custom_gradient`` def: what it computes is never differentiated, its gradient
    function says what flows back."""
    return isinstance(fn, cst.FunctionDef) and any(
        imports.canonical_of(d.decorator) == "tf.custom_gradient" for d in fn.decorators)


def _full_rank(value: Value | None) -> bool:
    """A batch tensor of the loss inputs' own rank, made from them."""
    return value is not None and value.tensor and value.batch and value.rel == 0 and bool(value.origin)


def _rank_shown(node: cst.CSTNode, scope: Scope) -> int:
    """The rank of the loss inputs that ``node`` proves (0: none): a subscript of a full-rank
    value naming n axes (no ``...``, ``None`` adds an axis rather than naming one), or an
    ``axis=`` literal of a call on one (``axis=2``, ``axis=[1, 2, 3]``, ``axis=-3``)."""
    if type(node) is cst.Subscript:
        if not _full_rank(scope.values.get(node.value)):
            return 0
        indices = [el.slice for el in node.slice]
        if any(isinstance(i, cst.Index) and (isinstance(i.value, cst.Ellipsis) or literal(i.value) is None
                                             or isinstance(i.value, cst.Attribute) and i.value.attr.value == "newaxis")
               for i in indices):
            return 0
        return len(indices)
    if type(node) is not cst.Call or not node.args or node.args[0].keyword is not None \
            or not _full_rank(scope.values.get(node.args[0].value)):
        return 0
    axis = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "axis"), None)
    axes = literal(axis)
    axes = axes if isinstance(axes, tuple) else (axes,)
    if isinstance(axis, cst.List):
        axes = tuple(literal(el.value) for el in axis.elements)
    ints = [a for a in axes if type(a) is int]
    if not ints or len(ints) != len(axes):
        return 0
    return max(a + 1 if a >= 0 else -a for a in ints)


@dataclass
class Scope:
    """What the evaluator learnt about one function body (a loss or a helper it calls)."""

    node: FunctionNode
    spec: LossSpec
    values: dict[cst.CSTNode, Value] = field(default_factory=dict)
    returns: list[tuple[cst.BaseExpression, Value]] = field(default_factory=list)
    params: dict[str, Value] = field(default_factory=dict)
    helpers: list[Scope] = field(default_factory=list)
    normalised: set[cst.CSTNode] = field(default_factory=set)
    is_helper: bool = False
    callers: list[cst.Call] = field(default_factory=list)
    #: Name node -> the expressions its value came from (see ``Env.sources``; None: a parameter)
    sources: dict[cst.CSTNode, frozenset[cst.CSTNode | None]] = field(default_factory=dict)
    #: the scope whose call evaluated this helper (None for the loss itself)
    parent: Scope | None = None
    #: for a loss the file calls exactly once: the body holding that call (evaluated) and the
    #: argument expression each parameter receives there (see ``analysis.callsites``)
    call_site: tuple[Scope, dict[str, cst.BaseExpression]] | None = None
    #: for a helper: its parameters that are a literal True/False at the call evaluated here
    #: (the default, or what the call passes), so ``if tensors:`` runs one branch only
    flags: dict[str, bool] = field(default_factory=dict)
    #: a function ``tf.map_fn`` applies to each sample: its parameter is bound to the elements
    #: argument of the caller, one sample at a time
    mapped: bool = False
    #: ``self.add_loss(term)`` of an ADD_LOSS method: each term and its value
    added: list[tuple[cst.BaseExpression, Value]] = field(default_factory=list)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- query API: rules read scopes through these, never through the fields ------------
    def value(self, node: cst.CSTNode) -> Value | None:
        """The abstract value of an expression of this body, if it was evaluated."""
        return self.values.get(node)

    def find(self, node: cst.CSTNode) -> Value | None:
        """The value of ``node`` here or in any helper this body reached (None if unseen)."""
        for sub in self.all_scopes():
            value = sub.values.get(node)
            if value is not None:
                return value
        return None

    def documents_as_sequence(self, param: str) -> bool:
        """Whether the function's docstring calls ``param`` a list or a tuple (``y_pred -- python
        list containing three objects``): its author says the caller passes several tensors, so
        ``param[0]`` is the first of them, not the first sample."""
        if not isinstance(self.node, cst.FunctionDef):
            return False
        doc = self.node.get_docstring() or ""
        pattern = rf"(?m)^\s*{re.escape(param)}\b[^\n]*\b(?:list|tuple)\b"
        return re.search(pattern, doc) is not None

    def evaluated(self) -> Iterator[tuple[cst.CSTNode, Value]]:
        """Every evaluated expression of this body with its value, in evaluation order."""
        return iter(list(self.values.items()))

    def nodes_of(self, kind: type[_N]) -> Iterator[_N]:
        """The evaluated expressions of one LibCST type (calls, comparisons, ...), in order."""
        return (node for node in list(self.values) if isinstance(node, kind))

    def definitions(self, name: cst.CSTNode) -> frozenset[cst.CSTNode | None] | None:
        """The expressions a Name's value may come from here (None inside: a parameter, whose
        value is the Value itself); None when the name was not evaluated as a local."""
        return self.sources.get(name)

    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per scope: what several rules derive from the same body."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    def divided_by_count(self, reduction: cst.CSTNode) -> bool:
        """Whether the sum made by ``reduction`` is later divided by a count (a mean)."""
        return reduction in self.normalised

    @property
    def context(self) -> Context:
        return self.spec.context

    @property
    def role(self) -> Role:
        return self.spec.role

    @property
    def y_true(self) -> str | None:
        return self.spec.labels if not self.is_helper else None

    @property
    def y_pred(self) -> str | None:
        return self.spec.predictions if not self.is_helper else None

    def returned(self) -> Value | None:
        """Join of every returned value (None when the body returns nothing known)."""
        out: Value | None = None
        for _, value in self.returns:
            out = value if out is None else join(out, value)
        return out

    def same_as(self, other: Scope) -> bool:
        """Whether a rule visiting ``other`` learns nothing that visiting this scope did not: the
        same body, evaluated to the same values (its helpers too), reached through callers with
        the same bodies (rules read enclosing definitions and decorators up that chain). A helper
        a loss calls at several places with the same inputs (an SSIM per scale) is then visited
        once: its visits would report the same nodes with the same words."""
        if self is other:
            return True
        return self.is_helper == other.is_helper and self._chain() == other._chain() and self._same_body(other)

    def _chain(self) -> tuple[int, ...]:
        chain: list[int] = []
        scope: Scope | None = self.parent
        while scope is not None:
            chain.append(id(scope.node))
            scope = scope.parent
        return tuple(chain)

    def _same_body(self, other: Scope) -> bool:
        return (self.node is other.node and self.mapped == other.mapped and self.flags == other.flags
                and len(self.helpers) == len(other.helpers)
                and self.values == other.values and self.sources == other.sources
                and self.normalised == other.normalised and self.returns == other.returns
                and self.params == other.params and self.added == other.added
                and all(mine._same_body(theirs) for mine, theirs in zip(self.helpers, other.helpers)))

    def inputs_rank_at_least(self) -> int:
        """The smallest rank the loss inputs can have by what the body does to them (0: no
        evidence): ``y[:, :n, :]`` indexes three axes and ``reduce_sum(err, axis=2)`` reduces a
        third, so the inputs are at least ``(B, N, T)``. Rules that take a value one rank below
        the inputs for one value per sample read this first: for such inputs it still has an
        axis after the batch."""
        root = self
        while root.parent is not None:
            root = root.parent
        return root.memo("inputs_rank_at_least", lambda: max(
            (_rank_shown(node, sub) for sub in root.all_scopes() for node in list(sub.values)), default=0))

    def under_custom_gradient(self, imports: ImportTable) -> bool:
        """Whether this body runs inside a ``@tf.custom_gradient`` def (itself, or a def whose
        evaluation reached it): TensorFlow does not differentiate through it, so an op whose
        only hazard is an infinite slope (``sqrt`` at 0) never reaches the weights."""
        scope: Scope | None = self
        while scope is not None:
            if custom_gradient_def(scope.node, imports):
                return True
            scope = scope.parent
        return False

    def all_scopes(self) -> Iterator[Scope]:
        yield self
        for helper in self.helpers:
            yield from helper.all_scopes()

    def in_evaluation_order(self, nodes: Iterable[_N]) -> list[_N]:
        """``nodes`` (once each) in the order this body and the helpers it reached evaluated
        them, the body's own first. A value's marks are a set, whose order changes with the
        hash seed: a rule that reports one of several nodes picks it through this."""
        order: dict[cst.CSTNode, int] = {}
        for scope in self.all_scopes():
            for node in scope.values:
                order.setdefault(node, len(order))
        unseen = len(order)
        # ties (nodes no scope evaluated) by their code, not by the set's order
        return sorted(dict.fromkeys(nodes),
                      key=lambda node: (order.get(node, unseen), "" if node in order else code_of(node)))


@dataclass
class ModuleFacts:
    """What the evaluator needs from the module: imports, functions, classes, globals."""

    imports: ImportTable
    functions: dict[str, cst.FunctionDef]
    loss_classes: set[str]
    globals: Env = field(default_factory=Env)
    #: (class name, method name) -> def, for the classes of the units analysed: a Loss
    #: subclass's ``call`` may hand its work to ``self._helper(...)``
    methods: dict[tuple[str, str], cst.FunctionDef] = field(default_factory=dict)
    #: module-level ``name = lambda ...``: helpers like a def
    lambdas: dict[str, cst.Lambda] = field(default_factory=dict)
    #: class name -> the names of its bases, for the classes of the units analysed: a method a
    #: subclass inherits from a base in the file (``AnyLoss.compute_confusion_matrix``)
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: calls of the file's models with the rank of their output (``model(x)`` of a
    #: ``Dense(1)`` head: 2), from ``analysis.models``; filled where the file calls a loss
    model_outputs: dict[cst.Call, int] = field(default_factory=dict)
    #: whether the analysed units' text mentions ``one_hot`` at all: most files never do, and
    #: then no loss one-hot encodes its own labels (saves a walk of every loss body)
    mentions_one_hot: bool = True
    #: the scope the module-level assignments were evaluated in: the range analysis bounds a
    #: global's value there (``max_dist = math.sqrt(H ** 2 + W ** 2)``, with ``H``'s source)
    global_scope: Scope | None = None
    #: class name -> its trainable weights' attribute names, computed on first use
    _weights: dict[str, frozenset[str]] = field(default_factory=dict)
    #: function node -> the parameters its body reads as lists of batches (computed on first use)
    _batch_lists: dict[cst.CSTNode, frozenset[str]] = field(default_factory=dict)

    def batch_lists(self, fn: FunctionNode) -> frozenset[str]:
        """The names ``fn`` reads the batch size from an item of (``tf.shape(y_pred[0])[0]``,
        ``y_pred[0].shape[0]``): Python lists of batches there, whatever their caller passed."""
        if fn not in self._batch_lists:
            self._batch_lists[fn] = frozenset(
                item.value.value for item in _items_read_as_batch(self, fn) if isinstance(item.value, cst.Name)
            ) if isinstance(fn, cst.FunctionDef) else frozenset()
        return self._batch_lists[fn]

    def weights(self, cls: str) -> frozenset[str]:
        """The attributes of ``cls`` (or of a base in the file) that hold a trainable weight:
        ``self.trans = self.add_weight(...)`` or ``tf.Variable(...)`` in one of its methods,
        and the properties that read one (``return self.lr_multiplier * self._trans``)."""
        if cls not in self._weights:
            self._weights[cls] = frozenset()  # a cycle of bases ends here
            own = {name for (owner, _), method in self.methods.items() if owner == cls
                   for name in _weight_assignments(method)}
            for base in self.bases.get(cls, ()):
                own |= self.weights(base)
            properties = {name for (owner, name), method in self.methods.items()
                          if owner == cls and _is_property(method)
                          and any(_self_attribute(n) in own for n in descendants(method, cst.Attribute))}
            self._weights[cls] = frozenset(own | properties)
        return self._weights[cls]


def input_values(spec: LossSpec) -> dict[str, Value]:
    """The abstract inputs: y_true and y_pred share rank r and a batch axis.

    y_true is float: Keras 3 ``fit`` casts labels to float32 (KERAS_FACTS §0).
    """
    params = spec.params
    out: dict[str, Value] = {}
    labels, predictions = spec.labels, spec.predictions
    if spec.context is Context.ADD_LOSS:
        # a Layer's inputs: model activations, each a batch (or a list of batches)
        return {name: Value(rel=0, batch=True, dtype=DType.FLOAT, grad=Grad.DIFF,
                            origin=frozenset({Origin.Y_PRED}), tags=frozenset({Tag.BATCHES}))
                for name in params}
    if spec.model_first:
        # the model and its inputs (a batch of data); the labels below; the predictions are the
        # model's call, no parameter
        out[params[0]] = Value(tensor=False, tags=frozenset({Tag.MODEL}))
        out.update((name, Value(batch=True, dtype=DType.FLOAT, origin=frozenset({Origin.DATA})))
                   for name in params[1:] if name != labels)
    if spec.adversarial:
        # a discriminator's outputs on real and generated data: predictions of one shape
        return {name: Value(rel=0, batch=True, dtype=DType.FLOAT, grad=Grad.DIFF, origin=frozenset({Origin.Y_PRED}),
                            tags=frozenset({Tag.INPUT, Tag.Y_PRED})) for name in params}
    if labels is not None:
        out[labels] = Value(rel=0, batch=True, dtype=DType.FLOAT, origin=frozenset({Origin.Y_TRUE}),
                            tags=frozenset({Tag.INPUT, Tag.Y_TRUE}))
    if predictions is not None:
        out[predictions] = Value(rel=0, batch=True, dtype=DType.FLOAT, grad=Grad.DIFF,
                                 origin=frozenset({Origin.Y_PRED}), tags=frozenset({Tag.INPUT, Tag.Y_PRED}))
    if spec.added and not spec.model_first:
        out.update((name, MODEL_TENSOR) for name in params[2:])
    return out


#: a model tensor of unknown rank (what a model's ``add_loss`` term is built from): a batch
MODEL_TENSOR = Value(batch=True, dtype=DType.FLOAT, grad=Grad.DIFF, origin=frozenset({Origin.Y_PRED}),
                     tags=frozenset({Tag.BATCHES}))


class Evaluator:
    """Evaluates one function body; helpers it calls get their own nested evaluator."""

    def __init__(self, module: ModuleFacts, scope: Scope, depth: int = 0) -> None:
        self.module = module
        self.scope = scope
        self.depth = depth
        self.closures: dict[str, tuple[FunctionNode, Env]] = {}
        #: helper calls that return a function the helper defines (``make_step(true, pred)``),
        #: with that function and the helper's bindings around it
        self.returned_closures: dict[cst.Call, tuple[FunctionNode, Env]] = {}
        #: the helpers this body evaluated, by function, argument values, flags and mapping (see
        #: :meth:`_earlier_calls`), so that a call repeating one is not evaluated again
        self._helper_memo: dict[tuple[object, ...], list[_Evaluated]] = {}

    # -- entry points --------------------------------------------------------------------
    def run(self, bindings: dict[str, Value], closure: Env | None = None) -> Scope:
        env = closure.copy() if closure is not None else Env()
        fn = self.scope.node
        self._bind_defaults(fn, env)
        env.names.update(bindings)
        for name in bindings:
            env.sources.pop(name, None)
        self.scope.params = dict(bindings)
        if isinstance(fn, cst.Lambda):
            value = self.expr(fn.body, env)
            self.scope.returns.append((fn.body, value))
        else:
            self.block(fn.body, env)
        return self.scope

    def _bind_defaults(self, fn: FunctionNode, env: Env) -> None:
        """Each parameter's default, evaluated where Python evaluates it: in the scope around the
        ``def`` (``def loss_func(y_true, y_pred, n=num_speaker)`` inside a factory reads the
        factory's ``num_speaker``), which ``env`` holds on entry, over the module's globals."""
        params = fn.params
        around: Env | None = None
        for param in list(params.params) + list(params.kwonly_params) + list(params.posonly_params):
            if param.default is not None:
                if around is None:  # only for a def with defaults: a copy of the globals is not free
                    around = Env({**self.module.globals.names, **env.names})
                env.names[param.name.value] = self.expr(param.default, around)
                env.sources[param.name.value] = frozenset({param.default})
            else:
                env.names.setdefault(param.name.value, UNKNOWN.evolve(tags=frozenset({Tag.PARAM})))

    # -- statements ----------------------------------------------------------------------
    def block(self, body: cst.BaseSuite | Sequence[cst.BaseStatement], env: Env) -> bool:
        """Evaluate statements in order; True when the block always returns/raises."""
        statements: Sequence[cst.BaseStatement | cst.BaseSmallStatement]
        if isinstance(body, cst.IndentedBlock):
            statements = body.body
        elif isinstance(body, cst.SimpleStatementSuite):
            statements = body.body
        else:
            statements = body  # type: ignore[assignment]
        for stmt in statements:
            if self.statement(stmt, env):
                return True
        return False

    def statement(self, stmt: cst.CSTNode, env: Env) -> bool:
        if isinstance(stmt, cst.SimpleStatementLine):
            return any(self.small(s, env) for s in stmt.body)
        if isinstance(stmt, cst.BaseSmallStatement):
            return self.small(stmt, env)
        if isinstance(stmt, cst.If):
            return self._if(stmt, env)
        if isinstance(stmt, (cst.For, cst.While)):
            self._loop(stmt, env)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                self.expr(item.item, env)
            return self.block(stmt.body, env)
        elif isinstance(stmt, cst.Try):
            self._try(stmt, env)
        elif isinstance(stmt, cst.FunctionDef):
            self.closures[stmt.name.value] = (stmt, env.copy())
            env.names[stmt.name.value] = Value(tensor=False, tags=frozenset({Tag.FUNCTION}))
        return False

    def small(self, stmt: cst.BaseSmallStatement, env: Env) -> bool:
        if isinstance(stmt, cst.Assign):
            value = self.expr(stmt.value, env)
            for target in stmt.targets:
                self.assign(target.target, value, stmt.value, env)
        elif isinstance(stmt, cst.AnnAssign) and stmt.value is not None:
            self.assign(stmt.target, self.expr(stmt.value, env), stmt.value, env)
        elif isinstance(stmt, cst.AugAssign):
            self._aug_assign(stmt, env)
        elif isinstance(stmt, cst.Expr):
            self.expr(stmt.value, env)
            self._grow_list(stmt.value, env)
        elif isinstance(stmt, cst.Return):
            if stmt.value is not None:
                returned = stmt.value
                if self.scope.spec.model_first and isinstance(returned, cst.Tuple) and returned.elements \
                        and self.depth == 0:
                    # ``return loss, pred``: the loop unpacks the helper's tuple and differentiates the first
                    for rest in returned.elements[1:]:
                        self.expr(rest.value, env)
                    returned = returned.elements[0].value
                self.scope.returns.append((returned, self.expr(returned, env)))
            return True
        elif isinstance(stmt, cst.Raise):
            return True
        elif isinstance(stmt, cst.Assert):
            self.expr(stmt.test, env)  # an assert on a tensor needs its truth value
        return False

    def _grow_list(self, call: cst.BaseExpression, env: Env) -> None:
        """``parts.append(x)`` / ``extend`` / ``insert``: the list now holds what it was given,
        as a comprehension would (so ``tf.stack(parts)`` comes from the batch like ``x``)."""
        if type(call) is not cst.Call or type(call.func) is not cst.Attribute or type(call.func.value) is not cst.Name \
                or call.func.attr.value not in ("append", "extend", "insert") or not call.args:
            return
        name = call.func.value.value
        held = env.names.get(name)
        if held is None or not held.has(Tag.SEQUENCE) or held.tensor:
            return
        added = self.values_get(call.args[-1].value)
        # the tensors appended one by one are its items (``tf.add_n(parts)`` adds their
        # shapes and marks, as for a list literal); anything else leaves them unknown
        appended = call.func.attr.value == "append" and added.tensor and (held.items or held.length == 0)
        env.names[name] = Value(tensor=False, grad=max(held.grad, added.grad), origin=held.origin | added.origin,
                                tags=frozenset({Tag.SEQUENCE, Tag.COMPREHENSION}),
                                items=(*(held.items or ()), added) if appended else None)

    def assign(self, target: cst.BaseExpression, value: Value, source: cst.BaseExpression | None,
               env: Env) -> None:
        if isinstance(target, cst.Name):
            env.names[target.value] = value
            if source is not None:
                env.sources[target.value] = frozenset({source})
            else:
                env.sources.pop(target.value, None)
            if isinstance(source, cst.Lambda):
                self.closures[target.value] = (source, env.copy())
        elif isinstance(target, (cst.Tuple, cst.List)):
            sources: list[cst.BaseExpression | None] = [None] * len(target.elements)
            if isinstance(source, (cst.Tuple, cst.List)) and len(source.elements) == len(target.elements):
                sources = [el.value for el in source.elements]
            known = value.items if value.items is not None and len(value.items) == len(target.elements) else None
            if known is None:
                known = _passed_through(target, source, env)
            shape = value.has(Tag.STATIC_SHAPE) or value.has(Tag.SHAPE_VECTOR)
            for i, (el, src) in enumerate(zip(target.elements, sources)):
                if src is None and not known and shape:
                    # ``b, h, w, c = K.int_shape(x)``: the sizes of its axes, the batch size first
                    part = self._shape_element(value, i, el.value if isinstance(el.value, cst.Name) else None)
                else:
                    part = self.values_get(src) if src is not None else known[i] if known else _element_of(value)
                self.assign(el.value, part, src, env)
        elif isinstance(target, (cst.Subscript, cst.Attribute)):
            self.expr(target, env)
            if isinstance(target, cst.Attribute) and target.attr.value == "shape" and isinstance(target.value, cst.Name):
                self._reshaped_in_place(target.value.value, source, env)

    @staticmethod
    def _reshaped_in_place(name: str, shape: cst.BaseExpression | None, env: Env) -> None:
        """``wc.shape = (1, num_features)``: numpy reshapes the array in place, so a
        per-feature constant of 12 standard deviations becomes a ``(1, 12)`` row that lines up
        with the last axis, not with the batch."""
        held = env.names.get(name)
        if held is None or held.length is None:
            return
        dims = shape.elements if isinstance(shape, (cst.Tuple, cst.List)) else None
        first = literal(dims[0].value) if dims else NOT_LITERAL
        env.names[name] = held.evolve(rel=None, rank=len(dims) if dims else None,
                                      length=first if type(first) is int else None)

    def values_get(self, node: cst.CSTNode) -> Value:
        return self.scope.values.get(node, UNKNOWN)

    def _aug_assign(self, stmt: cst.AugAssign, env: Env) -> None:
        right = self.expr(stmt.value, env)
        left = self.expr(stmt.target, env)
        op = type(stmt.operator).__name__.replace("Assign", "")
        result = self._binary(op, left, right, stmt)
        self.assign(stmt.target, result, None, env)
        if isinstance(stmt.target, cst.Name):
            env.sources[stmt.target.value] = frozenset({stmt})

    def _if(self, stmt: cst.If, env: Env) -> bool:
        self.expr(stmt.test, env)
        # ``if K.backend() == 'theano':`` (or ``K.image_dim_ordering() == "th"``) never runs on
        # TensorFlow: its code is not evaluated, and the branch counts as one that ends (its
        # values never reach the rest)
        dead = dead_ordering_branch(stmt.test) or _dead_flag_branch(stmt.test, self.scope.flags) \
            or self._dead_sequence_test(stmt.test, env) or self._dead_numpy_test(stmt.test, env)
        then_env = env.copy()
        then_done = True if dead == "body" else self.block(stmt.body, then_env)
        else_env = env.copy()
        else_done = dead == "orelse"
        if not else_done and isinstance(stmt.orelse, cst.If):
            else_done = self._if(stmt.orelse, else_env)
        elif not else_done and isinstance(stmt.orelse, cst.Else):
            else_done = self.block(stmt.orelse.body, else_env)
        if then_done and else_done:
            return True
        merged = else_env if then_done else then_env if else_done else then_env.merged(else_env)
        env.replace_with(merged)
        return False

    def _dead_sequence_test(self, test: cst.BaseExpression, env: Env) -> str | None:
        """``if isinstance(y_true, (list, tuple)):`` in a loss Keras calls: Keras hands a loss one
        tensor per argument, so the branch for a list (``y_true, lengths = y_true``, kept for
        custom calls) never runs there; "body" or "orelse" as for ``_dead_flag_branch``."""
        if self.scope.spec.context not in (Context.COMPILE, Context.SUBCLASS):
            return None
        found = _isinstance_test(test)
        if found is None:
            return None
        name, kinds, negated = found
        if not all(isinstance(n, cst.Name) and n.value in ("list", "tuple") for n in kinds):
            return None
        value = env.names.get(name)
        if value is None or not (value.tensor and value.has(Tag.INPUT)):
            return None
        return "orelse" if negated else "body"

    def _dead_numpy_test(self, test: cst.BaseExpression, env: Env) -> str | None:
        """``if isinstance(x, np.ndarray):`` where ``x`` is a tensor made from the loss inputs:
        a helper that serves numpy arrays and tensors alike (an MDN's ``softmax``) takes its
        numpy branch only outside the loss, since Keras and a custom loop hand a loss tensors
        (an ``EagerTensor`` is no ``ndarray`` either); "body" or "orelse" as for
        ``_dead_flag_branch``."""
        found = _isinstance_test(test)
        if found is None:
            return None
        name, kinds, negated = found
        if not all(self.module.imports.canonical_of(n) == "np.ndarray" for n in kinds):
            return None
        value = env.names.get(name)
        if value is None or not value.tensor or not value.origin or value.dtype is DType.NUMPY \
                or value.has(Tag.NUMPY_VALUE):
            return None
        return "orelse" if negated else "body"

    def _loop(self, stmt: cst.For | cst.While, env: Env) -> None:
        body_env = env.copy()
        if isinstance(stmt, cst.For):
            iterated = self.expr(stmt.iter, env)
            self.assign(stmt.target, _element_of(iterated), None, body_env)
        else:
            self.expr(stmt.test, env)
        self.block(stmt.body, body_env)
        merged = env.merged(body_env)
        env.replace_with(merged)

    def _try(self, stmt: cst.Try, env: Env) -> None:
        body_env = env.copy()
        self.block(stmt.body, body_env)
        merged = env.merged(body_env)
        for handler in stmt.handlers:
            handler_env = env.copy()
            self.block(handler.body, handler_env)
            merged = merged.merged(handler_env)
        env.replace_with(merged)

    # -- expressions ---------------------------------------------------------------------
    def expr(self, node: cst.BaseExpression, env: Env) -> Value:
        value = self._expr(node, env)
        if value.grad == Grad.CUT:
            # a term that never trains only matters while the sum around it still trains
            value = value.without_marks(Mark.CUT_TERM) if value.marked(Mark.CUT_TERM) else value
            if self._cuts_here(node):
                value = value.with_mark(Mark.GRAD_CUT, node)
        self.scope.values[node] = value
        return value

    def _cuts_here(self, node: cst.BaseExpression) -> bool:
        """Whether ``node`` itself turned a differentiable operand into a cut one."""
        operands = _operand_nodes(node)
        return any((v := self.scope.values.get(o)) is not None and v.grad == Grad.DIFF for o in operands)

    def _expr(self, node: cst.BaseExpression, env: Env) -> Value:  # noqa: C901 - a dispatch table
        # exact types first, not isinstance: LibCST node classes are final, and isinstance on
        # their ABC metaclass is slow (its first check per type walks the subclass registry)
        if type(node) is cst.Name:
            return self._name(node, env)
        if type(node) is cst.Integer:
            return PYTHON.evolve(tags=frozenset({Tag.LITERAL, Tag.NUMBER}))
        if type(node) is cst.Float:
            return PYTHON.evolve(tags=frozenset({Tag.LITERAL, Tag.NUMBER, Tag.FLOAT_LITERAL}))
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return Value(tensor=False, dtype=DType.PY, tags=frozenset({Tag.STR}))
        if type(node) is cst.BinaryOperation:
            left, right = self.expr(node.left, env), self.expr(node.right, env)
            return self._binary(type(node.operator).__name__, left, right, node)
        if type(node) is cst.UnaryOperation:
            inner = self.expr(node.expression, env)
            if isinstance(node.operator, cst.Not):
                return Value(tensor=inner.tensor, dtype=DType.BOOL, grad=min(inner.grad, Grad.CUT),
                             origin=inner.origin, rel=inner.rel, rank=inner.rank, batch=inner.batch)
            return inner.without_tags(Tag.INPUT, Tag.Y_TRUE, Tag.Y_PRED, Tag.LITERAL)
        if type(node) is cst.Comparison:
            return self._comparison(node, env)
        if type(node) is cst.BooleanOperation:
            return join(self.expr(node.left, env), self.expr(node.right, env))
        if type(node) is cst.Call:
            return self._call(node, env)
        if type(node) is cst.Subscript:
            return self._subscript(node, env)
        if type(node) is cst.Attribute:
            return self._attribute(node, env)
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            # the mark lets rules find the literal's parts again from a name bound to it
            return self._sequence([self.expr(el.value, env) for el in node.elements]).with_mark(Mark.SEQUENCE_LITERAL, node)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            return self._comprehension(node, env)
        if type(node) is cst.IfExp:
            self.expr(node.test, env)
            # ``K.exp(x) if training else np.exp(x)`` with ``training`` fixed by the call: the
            # other branch never runs there, as for an ``if`` statement
            dead = _dead_flag_branch(node.test, self.scope.flags)
            if dead == "orelse":
                return self.expr(node.body, env)
            if dead == "body":
                return self.expr(node.orelse, env)
            return join(self.expr(node.body, env), self.expr(node.orelse, env))
        if type(node) is cst.Lambda:
            return Value(tensor=False, tags=frozenset({Tag.FUNCTION}))
        if type(node) is cst.Dict:
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    self.expr(el.key, env)
                    self.expr(el.value, env)
            return Value(tensor=False, tags=frozenset({Tag.DICT}))
        if type(node) is cst.NamedExpr:
            value = self.expr(node.value, env)
            self.assign(node.target, value, node.value, env)
            return value
        if type(node) is cst.Await:
            return self.expr(node.expression, env)
        return UNKNOWN

    def _name(self, node: cst.Name, env: Env) -> Value:
        name = node.value
        if name in env.names:
            self.scope.sources[node] = env.sources.get(name, frozenset({None}))
            return env.names[name]
        if name in self.module.globals.names:
            self.scope.sources[node] = self.module.globals.sources.get(name, frozenset({None}))
            return self.module.globals.names[name]
        if name in ("None", "True", "False"):
            return PYTHON.evolve(tags=frozenset({Tag.LITERAL}))
        if self.module.imports.resolve(name) is not None or name in self.module.functions:
            return Value(tensor=False, tags=frozenset({Tag.MODULE}))
        # a name the file never binds (a notebook cell, a star import, a config module): its
        # value is not known, as little as what a project helper returns
        return _UNBOUND

    def _sequence(self, items: list[Value]) -> Value:
        numeric = all(not v.tensor and v.has(Tag.NUMBER) for v in items)
        nested = [v.length for v in items if v.has(Tag.SEQUENCE)]
        # a list of number lists is a rank-2 literal; a list of tensors is not a literal at all
        matrix = bool(items) and len(nested) == len(items) and all(nested)
        value = Value(tensor=False, dtype=DType.LIST if numeric or matrix else DType.UNKNOWN,
                      grad=max((v.grad for v in items), default=Grad.NONE),
                      origin=frozenset().union(*(v.origin for v in items)) if items else frozenset(),
                      tags=frozenset({Tag.SEQUENCE} | ({Tag.FLOAT_LITERAL} if any(v.has(Tag.FLOAT_LITERAL) for v in items) else set())),
                      length=len(items),
                      rank=(2 if matrix else 1) if (numeric or matrix) else None,
                      items=tuple(items) if any(v.tensor for v in items) else None)
        # a shape list built from the static batch size still carries it
        static = frozenset(m for v in items for m in v.marks if m[0] is Mark.STATIC_BATCH)
        return value.evolve(marks=static) if static else value

    def _comprehension(self, node: cst.ListComp | cst.GeneratorExp | cst.SetComp, env: Env) -> Value:
        inner = env.copy()
        comp: cst.CompFor | None = node.for_in
        while comp is not None:
            iterated = self.expr(comp.iter, inner)
            self.assign(comp.target, _element_of(iterated), None, inner)
            for cond in comp.ifs:
                self.expr(cond.test, inner)
            comp = comp.inner_for_in
        element = self.expr(node.elt, inner)
        return Value(tensor=False, grad=element.grad, origin=element.origin,
                     tags=frozenset({Tag.SEQUENCE, Tag.COMPREHENSION}))

    def _binary(self, op: str, left: Value, right: Value, node: cst.CSTNode) -> Value:
        if not left.tensor and not right.tensor:
            tags = frozenset({Tag.NUMBER}) if left.has(Tag.NUMBER) and right.has(Tag.NUMBER) else frozenset()
            if left.has(Tag.FLOAT_LITERAL) or right.has(Tag.FLOAT_LITERAL) or op == "Divide":
                tags |= {Tag.FLOAT_LITERAL}  # 1e-6 ** 2 and 1 / 3 are floats
            if op == "Divide" and _reciprocal_of_count(right, node):
                tags |= {Tag.RECIPROCAL_COUNT}
            return Value(tensor=False, dtype=DType.PY, rank=0, grad=max(left.grad, right.grad),
                         origin=left.origin | right.origin, tags=tags | ((left.tags | right.tags) & {Tag.STATIC_BATCH, Tag.COUNT}),
                         marks=left.marks | right.marks)
        if op == "MatrixMultiply":
            return elementwise([left, right]).evolve(batch=left.batch)
        # floor division has no gradient; floor-mod has one (d(x % y)/dx = 1, TF's FloorMod gradient)
        result = elementwise(_without_unknown_margin(op, left, right), cut=op == "FloorDivide")
        if _rank_mismatch(left, right):
            # the batch axis of one side meets the last axis of the other; the mark names the
            # op where that happened, so later uses of the result can be told apart from it
            result = result.with_mark(Mark.RANK_MISMATCH, node)
        if op == "Divide" and result.tensor and result.dtype is DType.INT:
            # ``/`` of integer tensors is TensorFlow's truediv: float64 (``count / size``)
            result = result.evolve(dtype=DType.FLOAT)
        if op in ("Divide", "FloorDivide"):
            # a sum in the denominator never makes the loss grow with the batch, and a full
            # reduction there is a count, not the reduced loss
            result = result.evolve(marks=left.marks | frozenset(
                m for m in right.marks if m[0] not in (Mark.SUM_OVER_BATCH, Mark.FULL_REDUCTION)))
            if _is_count(right, node):
                self.scope.normalised.update(left.marked(Mark.SUM_OVER_BATCH))
                result = result.without_marks(Mark.SUM_OVER_BATCH)
                if _reciprocal_of_count(right, node):
                    result = result.with_tags(Tag.RECIPROCAL_COUNT)
            if left.has(Tag.BATCH_CONTRACTED) and (_is_count(right, node) or right.marked(Mark.SUM_OVER_BATCH)):
                # a Gram or covariance matrix over the samples divided by their count, or by the
                # total of their weights (a weighted covariance): a mean over the batch
                result = result.without_tags(Tag.HOLDS_BATCH, Tag.BATCH_CONTRACTED)
        if op == "Divide" and isinstance(node, cst.BinaryOperation) and right.marked(Mark.FULL_REDUCTION) \
                and _divided_by_own_total(node):
            result = result.with_tags(Tag.SHARE)
        if op == "Multiply" and (left.has(Tag.SHARE) or right.has(Tag.SHARE)):
            result = result.with_tags(Tag.SHARE)
        if op == "Multiply" and (left.has(Tag.RECIPROCAL_COUNT) or right.has(Tag.RECIPROCAL_COUNT)):
            # ``tf.reduce_sum(per_example_loss) * (1. / GLOBAL_BATCH_SIZE)`` (TensorFlow's
            # distributed-training guide): a division by the count, written as a product
            summed = right if left.has(Tag.RECIPROCAL_COUNT) else left
            self.scope.normalised.update(summed.marked(Mark.SUM_OVER_BATCH))
            result = result.without_marks(Mark.SUM_OVER_BATCH)
        if op == "Multiply" and isinstance(node, cst.BinaryOperation) and 0 in (literal(node.left), literal(node.right)):
            # ``tf.reduce_sum(logits) * 0.`` (the empty case of a Lovasz hinge): a constant 0
            # that keeps the graph connected, the same at any batch size
            result = result.without_marks(Mark.SUM_OVER_BATCH)
        if op in ("Add", "Subtract", "Multiply") and (left.has(Tag.COUNT) and right.has(Tag.COUNT)):
            result = result.with_tags(Tag.COUNT)
        if op == "Add" and (left.has(Tag.COUNT) and left.tensor and _is_epsilon(right)
                            or right.has(Tag.COUNT) and right.tensor and _is_epsilon(left)):
            # ``reduce_sum(mask) + 1e-4``: the count kept away from 0, still a count
            result = result.with_tags(Tag.COUNT)
        if op == "Add" and (left.has(Tag.SUM_REDUCED) and left.tensor and _is_epsilon(right)
                            or right.has(Tag.SUM_REDUCED) and right.tensor and _is_epsilon(left)):
            # ``reduce_sum(weights) + 1e-6`` in a denominator: still a sum, which normalises
            result = result.with_tags(Tag.SUM_REDUCED)
        if op == "Subtract" and right.has(Tag.MASK) and isinstance(node, cst.BinaryOperation) \
                and literal(node.left) in (1, 1.0):
            # 1 - mask: the complement of a 0/1 mask (the valid entries of a padding test) is a mask
            result = result.with_tags(Tag.MASK)
        if op in _BITWISE and any(side.tensor and side.tags & _MASK_PROVENANCE for side in (left, right)):
            # ``m ^ 1``, ``a & b`` of 0/1 masks (a cast or a comparison): still a 0/1 mask, of the
            # same integer or bool dtype
            result = result.with_tags(Tag.MASK)
        if op == "Add" and (_is_epsilon(left) or _is_epsilon(right)):
            result = result.with_tags(Tag.GUARDED_EPS)
        if op in ("Add", "Subtract"):
            result = _mark_cut_term(result, left, right, node)
        return result

    def _comparison(self, node: cst.Comparison, env: Env) -> Value:
        values = [self.expr(node.left, env)] + [self.expr(c.comparator, env) for c in node.comparisons]
        if not any(v.tensor for v in values):
            return Value(tensor=False, dtype=DType.PY, rank=0, tags=frozenset({Tag.BOOL}),
                         origin=frozenset().union(*(v.origin for v in values)))
        return elementwise(values, dtype=_comparison_dtype(values), cut=True, tags=frozenset({Tag.COMPARISON}))

    # -- subscripts and attributes ---------------------------------------------------------
    def _subscript(self, node: cst.Subscript, env: Env) -> Value:
        base = self.expr(node.value, env)
        indices: list[cst.BaseSlice] = [el.slice for el in node.slice]
        for idx in indices:
            if isinstance(idx, cst.Index):
                self.expr(idx.value, env)
            elif isinstance(idx, cst.Slice):
                for part in (idx.lower, idx.upper, idx.step):
                    if part is not None:
                        self.expr(part, env)
        first = indices[0] if indices else None
        first_literal = literal(first.value) if isinstance(first, cst.Index) else NOT_LITERAL
        if base.has(Tag.STATIC_SHAPE) and base.has(Tag.OF_BATCH) and isinstance(first, cst.Slice) \
                and (first.lower is None or literal(first.lower) == 0) and len(indices) == 1:
            # K.int_shape(y)[:-1] still starts with the static batch size (None in fit)
            return base.with_mark(Mark.STATIC_BATCH, node)
        if base.has(Tag.SHAPE_VECTOR) or base.has(Tag.STATIC_SHAPE):
            return self._shape_element(base, first_literal, node)
        if base.has(Tag.BATCHES) and isinstance(first_literal, int) and len(indices) == 1:
            return _one_of_batches(base)  # ``inputs[0]`` of a Layer: its first input, a batch
        if isinstance(first_literal, str) and len(indices) == 1 and not base.batch \
                and not base.has(Tag.BATCHES) and not base.origin & {Origin.Y_TRUE, Origin.Y_PRED}:
            # ``weights['structure']`` of a factory parameter (or of the dict that replaces it
            # when it is empty): a setting read from a mapping, not a tensor with axes of its own
            return Value(tensor=False, origin=base.origin)
        if not base.tensor:
            if base.has(Tag.SEQUENCE):
                if base.items is not None and isinstance(first_literal, int) and len(indices) == 1 \
                        and -len(base.items) <= first_literal < len(base.items):
                    return base.items[first_literal]
                return Value(tensor=False, grad=base.grad, origin=base.origin)
            return base.evolve(tags=base.tags - {Tag.INPUT, Tag.Y_TRUE, Tag.Y_PRED})
        return self._tensor_index(base, indices, first_literal)

    def _shape_element(self, base: Value, index: object, node: cst.Subscript | cst.Name | None = None) -> Value:
        static = base.has(Tag.STATIC_SHAPE)
        tf_int = {Tag.TF_INT} if base.has(Tag.TF_INT) and not static else set()
        if index == 0 and base.has(Tag.OF_BATCH):
            tag = Tag.STATIC_BATCH if static else Tag.BATCH_SIZE
            value = Value(tensor=not static, dtype=DType.INT if not static else DType.PY, rank=0,
                          tags=frozenset({tag, Tag.COUNT} | tf_int), origin=base.origin)
            # the static batch size (None when fit traces) is followed to where it is used
            return value.with_mark(Mark.STATIC_BATCH, node) if static and node is not None else value
        return Value(tensor=not static, dtype=DType.INT if not static else DType.PY, rank=0,
                     tags=frozenset({Tag.DIM} | ({Tag.COUNT} if not static else set()) | tf_int), origin=base.origin)

    def _tensor_index(self, base: Value, indices: list[cst.BaseSlice], first: object) -> Value:
        dropped = 0
        added = 0
        batch = base.batch
        ellipsis_first = False
        for pos, idx in enumerate(indices):
            if isinstance(idx, cst.Index):
                lit = literal(idx.value)
                if isinstance(idx.value, cst.Ellipsis):
                    ellipsis_first = ellipsis_first or pos == 0
                    continue
                if lit is None:
                    added += 1
                elif isinstance(lit, int) and not isinstance(lit, bool):
                    dropped += 1
                    if pos == 0:
                        batch = False
                elif pos > 0 and self._python_int(idx.value):
                    dropped += 1  # ``y_true[:, 1 + self.action_space]``: one column
                else:
                    # an index the analysis cannot read (``y[i]`` in a loop, a tensor of
                    # positions): on axis 0 it may pick samples, so the batch axis is not known
                    return base.evolve(rel=None, rank=None, batch=base.batch and pos > 0,
                                       tags=base.tags - {Tag.INPUT, Tag.Y_TRUE, Tag.Y_PRED, Tag.HOLDS_BATCH})
        tags = set(base.tags - {Tag.INPUT, Tag.Y_TRUE, Tag.Y_PRED})
        if dropped:
            tags.discard(Tag.HOLDS_BATCH)  # an integer index may have taken the moved batch axis
        stacked = False
        if isinstance(indices[0], cst.Index) and isinstance(first, int) and not isinstance(first, bool):
            tags.add(Tag.BATCH_INDEX)
            # y_pred[0] on an input: its author means one output per sample (anchor, positive,
            # negative; mean, variance), so the element is what y_pred[..., 0] gives, a
            # per-sample column, rather than one sample (the index itself is the finding)
            stacked = base.has(Tag.INPUT) and base.batch and len(indices) == 1 and base.rel is not None
        if stacked:
            assert base.rel is not None
            return base.evolve(rel=base.rel - 1, tags=frozenset(tags), length=None)
        rel = base.rel - dropped + added if base.rel is not None else None
        if added and not dropped and base.rel == 0 and _labels_only(base):
            rel = 0  # y_true[..., None]: labels one rank below y_pred (see _expand)
        rank = base.rank - dropped + added if base.rank is not None else None
        return base.evolve(rel=rel, rank=rank, batch=batch, tags=frozenset(tags),
                           length=None)

    def _python_int(self, index: cst.BaseExpression) -> bool:
        """An index the file computes with Python arithmetic on an integer literal
        (``1 + self.action_space``, ``2 * k``): a number, so it picks one position."""
        value = self.scope.values.get(index)
        return isinstance(index, cst.BinaryOperation) and value is not None and not value.tensor \
            and value.rank == 0 and any(isinstance(literal(side), int) and not isinstance(literal(side), bool)
                                        for side in (index.left, index.right))

    def _attribute(self, node: cst.Attribute, env: Env) -> Value:
        dotted = cst_dotted(node)
        if dotted is not None:
            head = dotted.split(".")[0]
            if head not in env.names and self.module.imports.resolve(dotted) is not None:
                return _module_attribute(self.module.imports, dotted)
        base = self.expr(node.value, env)
        attr = node.attr.value
        if isinstance(node.value, cst.Name) and node.value.value == "self" and base.has(Tag.PARAM):
            # configuration on the Loss object (self.gamma, self.alpha, per-class weights): no
            # batch axis, so it must not hide the rank of what it scales
            if self._init_number(node, env):
                # ``self.epsilon = epsilon`` with ``epsilon=1e-8``: a number, which a count plus
                # it (``reduce_sum(mask) + self.epsilon``) keeps a count
                return Value(tensor=False, tags=frozenset({Tag.SELF_ATTRIBUTE, Tag.NUMBER}))
            member = self._own_member(node, env)
            if member is not None and member[1] in self.module.weights(member[0]):
                # a weight of the layer (a CRF's transitions, a center loss's centres): a float
                # tensor with no batch axis, through which the loss trains the layer
                return Value(dtype=DType.FLOAT, tags=frozenset({Tag.SELF_ATTRIBUTE})).with_mark(Mark.WEIGHT, node)
            return Value(tensor=False, tags=frozenset({Tag.SELF_ATTRIBUTE}))
        if attr == "shape" and base.tensor:
            return Value(tensor=False, tags=_static_shape_tags(base), origin=base.origin)
        if attr == "dtype" or (attr in _SAME_DTYPE_ATTRIBUTES and base.has(Tag.DTYPE_OF)):
            # ``y_pred.dtype.base_dtype``: still the tensor's own dtype
            return Value(tensor=False, tags=frozenset({Tag.DTYPE_OF}), origin=base.origin)
        if attr == "ndim":
            return PYTHON
        if attr == "T":
            return base.evolve(batch=False)
        return UNKNOWN.evolve(grad=base.grad, origin=base.origin) if base.tensor else Value(tensor=False)

    # -- calls ------------------------------------------------------------------------------
    def _call(self, node: cst.Call, env: Env) -> Value:
        args = [self.expr(a.value, env) for a in node.args]
        func = node.func
        if self.scope.spec.context is Context.ADD_LOSS and args and isinstance(func, cst.Attribute) \
                and func.attr.value == "add_loss" and isinstance(func.value, cst.Name) and func.value.value == "self":
            self.scope.added.append((node.args[0].value, args[0]))  # a loss term handed to Keras
            return Value(tensor=False)
        if self.module.model_outputs and node in self.module.model_outputs:
            return Value(rank=self.module.model_outputs[node], batch=True, dtype=DType.FLOAT)
        method = self._own_method(func, env)
        if method is not None:
            bound = [] if _is_staticmethod(method) else [env.names["self"]]
            return self._helper_call(node, (method, Env()), bound + args)
        attribute = self._own_loss_attribute(func, env)
        if attribute is not None:
            self.scope.values[func] = attribute  # which Loss is being called
            return self._instance_call(attribute, node, args)
        instance_call = self._own_instance_call(func, env)
        if instance_call is not None:
            # ``self.smooth_l1 = SmoothL1Loss()`` of a plain class of the file: its ``__call__``
            return self._helper_call(node, (instance_call, Env()), [Value(tensor=False)] + args)
        if args and args[0].tensor and args[0].batch and self._own_model_attribute(func, env):
            # ``self.vgg(y_pred)``: a Keras model maps a batch to a batch (the feature extractor of
            # a perceptual loss: image features, of the image's rank); its gradient and provenance
            # are the input's
            # (or a list of such batches, one per output: ``z, alpha = self.encoder(x)``)
            return Value(rel=0, batch=True, dtype=DType.FLOAT, grad=args[0].grad, origin=args[0].origin,
                         tags=frozenset({Tag.BATCHES}))
        if isinstance(func, cst.Attribute) and cst_dotted(func) is None or (
            isinstance(func, cst.Attribute) and func.value and self._is_local(func, env)
        ):
            return self._method_call(node, func, args, env)
        if isinstance(func, cst.Call):
            self.expr(func, env)
            wrapped = self._lambda_layer(func)
            if wrapped is not None:
                # ``Lambda(lambda x: x[:, 0, :])(y_true)``: the layer applies its function
                return self._helper_call(node, (wrapped, env.copy()), args)
            layered = self._layer_call(func, args)
            if layered is not None:
                return layered
            return self._instance_call(self.scope.values.get(func, UNKNOWN), node, args)
        dotted = self.module.imports.dotted_of(func)
        if dotted is None:
            return _unknown_call(args)
        if (self.module.imports.canonical(dotted) or "") in MAPPING:
            mapped = self._mapped_call(node, env)
            if mapped is not None:
                return mapped
        if isinstance(func, cst.Name) and func.value in env.names:
            local = env.names[func.value]
            if local.has(Tag.LOSS_INSTANCE):
                self.scope.values[func] = local  # which Loss is being called
                return self._instance_call(local, node, args)
            if local.has(Tag.MODEL):
                # the helper's own ``model(x, training=...)``: the predictions, shaped like the labels
                return Value(rel=0, batch=True, dtype=DType.FLOAT, grad=Grad.DIFF, origin=frozenset({Origin.Y_PRED}),
                             tags=frozenset({Tag.Y_PRED}))
            if func.value in self.closures:
                return self._helper_call(node, self.closures[func.value], args)
            return _unknown_call(args)
        if isinstance(func, cst.Name) and self.module.globals.names.get(func.value, UNKNOWN).has(Tag.LOSS_INSTANCE):
            # ``loss_object = SparseCategoricalCrossentropy()`` at module level, called in the loss
            self.scope.values[func] = self.module.globals.names[func.value]
            return self._instance_call(self.module.globals.names[func.value], node, args)
        if dotted in self.module.functions:
            return self._helper_call(node, (self.module.functions[dotted], Env()), args)
        if dotted in self.module.lambdas:
            return self._helper_call(node, (self.module.lambdas[dotted], Env()), args)
        if dotted in self.module.loss_classes:
            tags = {Tag.LOSS_INSTANCE, Tag.CUSTOM_LOSS_INSTANCE}
            if any(a.star == "**" for a in node.args):
                # ``DiceLoss(**kwargs)``: the caller's reduction, whatever it is (MIST builds its
                # losses with ``reduction=NONE``): not assumed to be the scalar default
                tags.add(Tag.REDUCTION_NONE)
            return Value(tensor=False, tags=frozenset(tags))
        canon = self.module.imports.canonical(dotted)
        if args and canon is not None and canon.startswith("keras.applications.") \
                and canon.endswith(".preprocess_input"):
            return elementwise([args[0]])  # scales and reorders channels: the image's shape
        family = distribution_family(canon)
        if family is not None:
            return _distribution(node, args, family)
        spec = lookup(canon)
        if spec is None and canon is not None and canon.startswith("math.") and canon[5:] in PYTHON_MATH:
            # ``math.log(10.0)``: a Python float (a tensor would not get past graph mode)
            return PYTHON.evolve(tags=frozenset({Tag.NUMBER}))
        # an unbound name (a star import, another notebook cell) is as foreign as an import
        result = _unknown_call(args, canon if canon is not None else dotted) if spec is None \
            else self._transfer(spec, node, args, env, canon or "")
        if spec is not None and _mixes_terms(spec) and result.marked(Mark.CUT_TERM):
            # ``softmax_cross_entropy(labels, y_pred - y_true * hard_margin)``: a term inside a
            # nonlinear op changes the gradient of what it is added to; it is no separate term
            result = result.without_marks(Mark.CUT_TERM)
        return _numpy_result(result, args) if canon is not None and canon.startswith("np.") else result

    def _init_number(self, node: cst.Attribute, env: Env) -> bool:
        """``self.<attr>`` that the class's own ``__init__`` sets once, to a number or to a
        parameter whose default is one (``self.epsilon = epsilon`` with ``epsilon=1e-8``)."""
        member = self._own_member(node, env)
        init = self.module.methods.get((member[0], "__init__")) if member is not None else None
        if member is None or init is None:
            return False
        return init_number(init, member[1]) is not None

    def _own_member(self, func: cst.BaseExpression, env: Env) -> tuple[str, str] | None:
        """(class, attribute) for ``self.<attribute>`` read in a method of the loss's own class."""
        name = _self_attribute(func)
        path = self.scope.spec.path
        return (path[-2], name) if name is not None and "self" in env.names and len(path) >= 2 else None

    def _own_method(self, func: cst.BaseExpression, env: Env) -> cst.FunctionDef | None:
        """``self.name`` where ``name`` is a method of the loss's own class in this file (a
        helper that reduces, casts or clips is then analysed like a module function)."""
        member = self._own_member(func, env)
        method = self._inherited(member) if member is not None else None
        if method is None or method is self.scope.node:
            return None
        params = list(method.params.params)
        if _is_staticmethod(method) or params and params[0].name.value == "self":
            return method
        return None

    def _inherited(self, member: tuple[str, str]) -> cst.FunctionDef | None:
        """The method ``member`` (class, name) of the class or, where the class does not define
        it, of its nearest base in the file that does (breadth-first, a few levels)."""
        todo: list[str] = [member[0]]
        seen: set[str] = set()
        while todo and len(seen) < 8:
            cls = todo.pop(0)
            if cls in seen:
                continue
            seen.add(cls)
            found = self.module.methods.get((cls, member[1]))
            if found is not None:
                return found
            todo.extend(self.module.bases.get(cls, ()))
        return None

    def _own_loss_attribute(self, func: cst.BaseExpression, env: Env) -> Value | None:
        """``self.loss_fn`` that the loss's own class sets in ``__init__`` to a Loss instance
        (``self.loss = SparseCategoricalCrossentropy(reduction='none')``): called in the loss,
        it computes what that Loss computes (per sample with ``reduction='none'``, else a
        scalar). None for any other attribute, or one ``__init__`` assigns more than once."""
        found = self._init_value(func, env)
        if found is None or not isinstance(found[2], cst.Call):
            return None
        _, init, made = found
        value = Evaluator(self.module, Scope(init, self.scope.spec, is_helper=True), self.depth + 1).expr(
            made, Env(dict(self.module.globals.names)))
        return value if value.has(Tag.LOSS_INSTANCE) else None

    def _init_value(self, func: cst.BaseExpression, env: Env) -> tuple[str, cst.FunctionDef, cst.BaseExpression] | None:
        """(class, its ``__init__``, the value) for ``self.<attr>`` that the loss's own class's
        ``__init__`` (not the body being evaluated) assigns exactly once; None otherwise."""
        member = self._own_member(func, env)
        init = self.module.methods.get((member[0], "__init__")) if member is not None else None
        if member is None or init is None or init is self.scope.node:
            return None
        assigned = init_assignments(init, member[1])
        return (member[0], init, assigned[0]) if len(assigned) == 1 else None

    def _own_instance_call(self, func: cst.BaseExpression, env: Env) -> cst.FunctionDef | None:
        """The ``__call__`` of a class of the file that the loss's own class's ``__init__``
        instantiates once into ``self.<attr>`` (``self.smooth_l1_loss = SmoothL1Loss()``), when
        ``func`` is that attribute; None otherwise (a Loss subclass's instance is handled as a
        Loss: Keras's ``__call__`` reduces what its ``call`` returns)."""
        found = self._init_value(func, env)
        made = found[2] if found is not None else None
        if not isinstance(made, cst.Call) or not isinstance(made.func, cst.Name):
            return None
        cls = made.func.value
        if cls in self.module.loss_classes:
            return None
        method = self._inherited((cls, "__call__"))
        if method is None or method is self.scope.node or not method.params.params \
                or method.params.params[0].name.value != "self":
            return None
        return method

    def _own_model_attribute(self, func: cst.BaseExpression, env: Env) -> bool:
        """``self.<attr>`` that the loss's own class's ``__init__`` sets once to a Keras model:
        built in place (``tf.keras.Model(vgg.input, ...)``, ``keras.applications.VGG19(...)``,
        ``Sequential``, ``load_model``) or returned by a method of the class it calls
        (``self.VGG_Model = self.vgg_model()``)."""
        found = self._init_value(func, env)
        return found is not None and self._builds_model(found[2], found[0])

    def _builds_model(self, expr: cst.BaseExpression, cls: str) -> bool:
        if not isinstance(expr, cst.Call):
            return False
        canon = self.module.imports.canonical_of(expr.func) or ""
        if canon in _MODEL_MAKERS or canon.startswith("keras.applications."):
            return True
        name = _self_attribute(expr.func)
        if name is None and isinstance(expr.func, cst.Attribute) and isinstance(expr.func.value, cst.Name) \
                and expr.func.value.value == cls:
            name = expr.func.attr.value  # ``Content_Loss.vgg_model()``
        method = self.module.methods.get((cls, name)) if name is not None else None
        if method is None:
            return False
        made = {target.target.value for assign in descendants(method, cst.Assign)
                if isinstance(assign.value, cst.Call) and self._builds_model(assign.value, "")
                for target in assign.targets if isinstance(target.target, cst.Name)}
        returns = [r.value for r in descendants(method, cst.Return) if r.value is not None]
        return bool(returns) and all(
            (isinstance(value, cst.Name) and value.value in made) or (isinstance(value, cst.Call) and self._builds_model(value, ""))
            for value in returns)

    def _lambda_layer(self, layer: cst.Call) -> cst.Lambda | None:
        """The function of a Keras ``Lambda`` layer built in place from a ``lambda``."""
        canon = self.module.imports.canonical_of(layer.func) or ""
        fn = layer.args[0].value if layer.args and layer.args[0].keyword is None else None
        return fn if canon.endswith("layers.Lambda") and isinstance(fn, cst.Lambda) else None

    def _layer_call(self, layer: cst.Call, args: list[Value]) -> Value | None:
        """``Dense(1)(x)`` in the file's own code: a float batch of the rank the layer table
        gives for ``x``'s (Dense acts on the last axis, Flatten makes ``(B, n)``), so a
        ``(B, 1)`` output meets ``(B,)`` labels at a direct call of a loss. Only for inputs of
        known absolute rank (an ``Input``, a data array), not inside losses."""
        from tfshape_lint.analysis.layers import layer_spec, rank_change  # layers reads this module

        found = layer_spec(self.module.imports.canonical_of(layer.func))
        if found is None or not args:
            return None
        x = args[0]
        if not x.tensor or x.rel is not None or x.rank is None or not x.batch:
            return None
        rank = rank_change(found[0], found[1], layer).of(x.rank)
        return Value(rank=rank, batch=True, dtype=DType.FLOAT) if rank is not None else None

    def _is_local(self, func: cst.Attribute, env: Env) -> bool:
        root: cst.BaseExpression = func
        while isinstance(root, cst.Attribute):
            root = root.value
        return isinstance(root, cst.Name) and root.value in env.names

    def _method_call(self, node: cst.Call, func: cst.Attribute, args: list[Value], env: Env) -> Value:
        base = self.expr(func.value, env)
        method = func.attr.value
        if method == "numpy" or method == "eval":
            return base.evolve(grad=min(base.grad, Grad.CUT), tags=frozenset({Tag.NUMPY_VALUE}),
                               dtype=DType.NUMPY)
        if method == "as_list" and base.has(Tag.STATIC_SHAPE):
            return base
        if method in ("get_shape",):
            return Value(tensor=False, tags=_static_shape_tags(base))
        if method == "astype":
            return base.evolve(dtype=DType.NUMPY)
        if base.has(Tag.LOSS_INSTANCE) and method in ("call", "__call__"):
            return self._instance_call(base, node, args)
        if method == "lookup" and args:
            # ``table.lookup(keys)`` (tf.lookup's hash tables): the table's own values, one per
            # key, whatever computed the keys; no gradient reaches them
            keys = args[0]
            return Value(rel=keys.rel, rank=keys.rank, batch=keys.batch)
        if base.has(Tag.MODEL):
            return MODEL_TENSOR  # ``model.encoder(x)``: a part of the model, its outputs batches
        if base.has(Tag.DISTRIBUTION) and (method in _DENSITIES and args or method in _DIVERGENCES):
            # ``dist.log_prob(y)``, ``dist.kl_divergence(prior)``: one value per entry of the
            # distribution's batch shape
            x = _plain(args[0]) if args else Value(tensor=False)
            return Value(rel=base.rel, batch=base.batch, dtype=DType.FLOAT, grad=max(base.grad, x.grad),
                         origin=base.origin | x.origin, marks=base.marks | x.marks)
        return _unknown_call([base] + args)

    def _instance_call(self, instance: Value, node: cst.Call, args: list[Value]) -> Value:
        if not instance.has(Tag.LOSS_INSTANCE):
            return _unknown_call(args)
        result = elementwise(args[:2]) if args else UNKNOWN
        if instance.has(Tag.REDUCTION_NONE):
            rel = result.rel - 1 if result.rel is not None else None
            if instance.loss_class == "SparseCategoricalCrossentropy":
                rel = result.rel  # per-label values: the labels' shape (see _loss_fn)
                return result.evolve(rel=rel, rank=None, dtype=DType.FLOAT,
                                     tags=frozenset({Tag.PER_SAMPLE, Tag.PER_LABEL}))
            return result.evolve(rel=rel, rank=None, dtype=DType.FLOAT, tags=frozenset({Tag.PER_SAMPLE}))
        return result.evolve(rel=None, rank=0, batch=False, dtype=DType.FLOAT,
                             tags=frozenset({Tag.LOSS_INSTANCE_RESULT})).with_mark(Mark.LOSS_REDUCED, node)

    def _mapped_call(self, node: cst.Call, env: Env) -> Value | None:
        """``tf.map_fn(fn, elems)``: ``fn`` (a lambda, a def of the file) runs on one sample of
        ``elems`` at a time (a tuple of them for a tuple), so what it computes is analysed per
        sample (its hazards are the loss's), and the results stack back into a batch. None when
        the function is not one the file shows."""
        fn_node = call_arg(node, 0, "fn")
        elems_node = call_arg(node, 1, "elems")
        if fn_node is None or elems_node is None:
            return None
        target: tuple[FunctionNode, Env] | None = None
        if isinstance(fn_node, cst.Lambda):
            target = (fn_node, env.copy())
        elif isinstance(fn_node, cst.Name) and fn_node.value in self.closures:
            target = self.closures[fn_node.value]
        elif isinstance(fn_node, cst.Name) and fn_node.value in self.module.functions:
            target = (self.module.functions[fn_node.value], Env())
        elif isinstance(fn_node, cst.Call):
            # ``K.map_fn(make_step(true, pred), elems)``: the function the helper returns, which
            # reads the helper's parameters
            target = self.returned_closures.get(fn_node)
        if target is None:
            return None
        given = [self.values_get(el.value) for el in elems_node.elements] \
            if isinstance(elems_node, (cst.Tuple, cst.List)) else [self.values_get(elems_node)]
        parts = tuple(_one_sample(v) for v in given)
        if isinstance(elems_node, (cst.Tuple, cst.List)):
            element = Value(tensor=False, tags=frozenset({Tag.SEQUENCE}), items=parts,
                            grad=max((p.grad for p in parts), default=Grad.NONE),
                            origin=frozenset().union(*(p.origin for p in parts)) if parts else frozenset())
        else:
            element = parts[0]
        result = self._helper_call(node, target, [element], mapped=True)
        if not any(v.tensor and v.batch for v in given):
            # mapped over something else (mixture components, ``tf.range(k)``): that axis comes
            # first in the stacked result, so where its batch axis went is not tracked
            return _unknown_call([result])
        return result.evolve(batch=result.tensor, rel=result.rel + 1 if result.rel is not None else None,
                             rank=result.rank + 1 if result.rank is not None else None, marks=frozenset())

    def _helper_call(self, node: cst.Call, target: tuple[FunctionNode, Env], args: list[Value],
                     mapped: bool = False) -> Value:
        fn, closure = target
        if self.depth >= _MAX_HELPER_DEPTH:
            return _unknown_call(args)
        params = [p.name.value for p in list(fn.params.posonly_params) + list(fn.params.params)]
        bindings: dict[str, Value] = {}
        for name, value in zip(params, args):
            bindings[name] = value
        for arg in node.args if not mapped else ():
            if arg.keyword is not None:
                bindings[arg.keyword.value] = self.scope.values.get(arg.value, UNKNOWN)
        lists = self.module.batch_lists(fn)
        if lists:
            # the helper reads the batch size from an item of these (a YOLO loss's scales)
            bindings = {name: value.with_tags(Tag.BATCHES) if name in lists and value.tensor and value.batch else value
                        for name, value in bindings.items()}
        tensors = frozenset(a.value for a in node.args if getattr(self.scope.values.get(a.value), "tensor", False))
        helper = Scope(fn, self.scope.spec, is_helper=True, callers=[node], parent=self.scope,
                       flags={} if mapped else literal_flags(fn, node, self.scope.flags, tensors), mapped=mapped)
        earlier = self._earlier_calls(fn, bindings, helper)
        inner = _evaluated_before(earlier, closure, helper) if earlier is not None else None
        if inner is None:
            sub = Evaluator(self.module, helper, self.depth + 1)
            if isinstance(fn, cst.Lambda):
                # a lambda sees the functions its enclosing body defined (``lambda x: losss(x[0],
                # x[1])`` inside the body that defines ``losss``)
                sub.closures.update(self.closures)
            sub.run(bindings, closure)
            inner = [sub.closures[expr.value] for expr, _ in helper.returns
                     if isinstance(expr, cst.Name) and expr.value in sub.closures]
            if earlier is not None:
                earlier.append((closure.copy(), helper, inner))
        self.scope.helpers.append(helper)
        if len(inner) == 1:
            self.returned_closures[node] = inner[0]
        returned = helper.returned()
        if returned is not None and returned.items and self._custom_gradient(fn):
            # ``@tf.custom_gradient`` def returns ``(value, grad_fn)``; its callers get the value
            return returned.items[0]
        return returned if returned is not None else _unknown_call(args)

    def _earlier_calls(self, fn: FunctionNode, bindings: dict[str, Value], helper: Scope) -> list[_Evaluated] | None:
        """This body's earlier evaluations of ``fn`` with the same argument values, literal flags
        and mapping (what an evaluation depends on besides the closure): the list a new one is
        added to. None where none is kept: a lambda (it also sees the functions around it) or
        a value that cannot be hashed."""
        if isinstance(fn, cst.Lambda):
            return None
        try:
            return self._helper_memo.setdefault(
                (fn, tuple(bindings.items()), tuple(sorted(helper.flags.items())), helper.mapped), [])
        except TypeError:
            return None

    def _custom_gradient(self, fn: FunctionNode) -> bool:
        return custom_gradient_def(fn, self.module.imports)

    def _transfer(self, spec: OpSpec, node: cst.Call, args: list[Value], env: Env, canon: str) -> Value:
        if spec.kind is Kind.COND:  # its lambda branches read the names around the call
            return _cond(self, node, args, env)
        handler = _TRANSFER.get(spec.kind)
        if handler is None:
            return _unknown_call(args, canon)
        return handler(self, spec, node, args, canon)

    def arg_value(self, node: cst.Call, position: int | None, *names: str) -> Value | None:
        arg = call_arg(node, position, *names)
        return self.scope.values.get(arg) if arg is not None else None


#: one earlier evaluation of a helper: the closure it ran in, its scope, the functions it returned
_Evaluated = tuple[Env, Scope, list[tuple[FunctionNode, Env]]]


def _evaluated_before(earlier: list[_Evaluated], closure: Env, helper: Scope) -> list[tuple[FunctionNode, Env]] | None:
    """Where the body already called the same helper with the same arguments, flags and
    closure (an SSIM per scale, a transform per joint): ``helper`` gets that evaluation's
    results (the same values, read-only) and the functions it returned come back; None when
    there is none. The new scope keeps its own call node, so rules still see each call; the
    evaluation is what is not repeated."""
    for around, prior, inner in earlier:
        if around.names == closure.names and around.sources == closure.sources:
            helper.values, helper.returns, helper.params = prior.values, prior.returns, prior.params
            helper.helpers, helper.normalised, helper.sources = prior.helpers, prior.normalised, prior.sources
            helper.added = prior.added
            return inner
    return None


# -- transfer functions ------------------------------------------------------------------
Transfer = Callable[[Evaluator, OpSpec, cst.Call, list[Value], str], Value]


def _without_unknown_margin(op: str, left: Value, right: Value) -> list[Value]:
    """The operands whose shapes decide ``left <op> right``: a parameter of unknown value added
    to or subtracted from a tensor of known rank (a factory's ``alpha`` or ``margin`` in
    ``square(a - p) - square(a - n) + alpha``) is a hyperparameter that does not move the
    batch axis. A factor is not assumed so: a multiplied parameter is often a tensor (Cox
    event indicators, per-sample weights) whose rank decides where the samples are."""
    if op in ("Add", "Subtract"):
        for kept, other in ((left, right), (right, left)):
            if kept.tensor and kept.rel is not None and other.tensor and other.has(Tag.PARAM) \
                    and other.rel is None and other.rank is None:
                return [kept]
    return [left, right]


def _first(args: list[Value]) -> Value:
    return args[0] if args else UNKNOWN


def _plain(value: Value) -> Value:
    return value.evolve(tags=value.tags - {Tag.INPUT, Tag.Y_TRUE, Tag.Y_PRED, Tag.LITERAL, Tag.NUMBER})


def _reduce(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(ev.arg_value(node, 0, *REDUCED_KEYWORDS) or _first(args))
    # ``tf.norm(tensor, ord, axis, keepdims)``: the order comes before the axis
    at = 2 if spec.op == "norm" else 1
    axis_node = call_arg(node, at, "axis", "reduction_indices") if canon not in NO_AXIS_REDUCTIONS else None
    keep_node = call_arg(node, at + 1 if not canon.startswith("np.") else None, "keepdims", "keep_dims")
    # ``keepdims=keepdims``: a helper's flag that its call leaves at the default or passes
    keep = literal(keep_node) is True or (isinstance(keep_node, cst.Name) and ev.scope.flags.get(keep_node.value) is True)
    axis = literal(axis_node) if axis_node is not None else None
    dtype = DType.INT if spec.op == "count" else (x.dtype if x.tensor else DType.FLOAT)
    if dtype is DType.BOOL and spec.op in ("sum", "mean", "prod"):
        # a count of a comparison (``keras.ops.sum`` gives int32; TensorFlow's kernels raise on
        # bool, which a dtype rule reports at the reduction), never a bool
        dtype = DType.INT if spec.op == "sum" else DType.FLOAT
    if x.dtype == DType.NUMPY or canon.startswith("np."):
        dtype = DType.NUMPY if not x.tensor or x.dtype == DType.NUMPY else x.dtype
    base = x.evolve(dtype=dtype, tags=x.tags & {Tag.MASK}, length=None, tensor=True)
    # a sum of a mask, of integers or of ``ones_like``/``zeros_like`` of no data counts elements
    # (a sum of zeros is a constant 0, not a batch total)
    is_count = spec.op == "count" or spec.op == "sum" and (
        x.has(Tag.MASK) or x.dtype in (DType.BOOL, DType.INT) or x.has(Tag.COUNT) or (x.has(Tag.FILLED) and not x.origin))
    # ``tf.norm(x, ord=1)`` is the sum of ``|x|``: over every axis, a sum over the batch
    sums = spec.op == "sum" or spec.op == "norm" and literal(call_arg(node, 1, "ord")) == 1
    if axis in (0, -1, (0,), (-1,)) and x.rank == 1 and not x.batch and x.has(Tag.HOLDS_BATCH) and not keep:
        # ``K.sum(K.flatten(err), axis=-1)``: the one axis of a flattened (or boolean-masked)
        # batch holds every sample's values, so naming it reduces everything, as no axis does
        axis = None
    if axis is None:
        result = base.evolve(rel=None, rank=None if keep else 0, batch=False)
        result = result.with_tags(Tag.FULL_REDUCTION, *_reduction_kind(spec.op))
        if (x.batch or x.has(Tag.HOLDS_BATCH)) and sums and not is_count and not x.has(Tag.SHARE):
            # a full sum of values weighted by their share of the batch's total is a weighted mean
            result = result.with_mark(Mark.SUM_OVER_BATCH, node)
        result = result.with_mark(Mark.FULL_REDUCTION, node)
    elif axis is NOT_LITERAL:
        result = base.evolve(rel=None, rank=None, batch=False)
    else:
        axes = axis if isinstance(axis, tuple) else (axis,)
        on_batch = any(a == 0 for a in axes) or (x.rank is not None and any(a == -x.rank for a in axes if isinstance(a, int)))
        rel = x.rel if keep or x.rel is None else x.rel - len(axes)
        rank = x.rank if keep or x.rank is None else x.rank - len(axes)
        if spec.op == "norm" and x.from_pred and not x.from_true and axes == (-1,) and not keep:
            # the length of each vector of the prediction (a capsule network's class lengths):
            # the prediction carries an axis more than its labels, so no rank relation is known
            rel = None
        result = base.evolve(rel=rel, rank=rank, batch=x.batch and not on_batch)
        if on_batch and x.batch:
            result = result.with_tags(Tag.BATCH_REDUCED, *_reduction_kind(spec.op))
            if spec.op == "sum" and not is_count:
                result = result.with_mark(Mark.SUM_OVER_BATCH, node)
    if is_count:
        result = result.with_tags(Tag.COUNT)
    if spec.op in ("any", "all"):
        result = result.evolve(dtype=DType.BOOL, grad=min(result.grad, Grad.CUT))
    return result


#: wrappers a guarded total goes through (``maximum(reduce_sum(w), eps)``)
_TOTAL_GUARDS = frozenset({"maximum", "clip_by_value", "clip"})


def _divided_by_own_total(node: cst.BinaryOperation) -> bool:
    """``w / K.maximum(K.sum(w), eps)`` (or ``w / (tf.reduce_sum(w) + eps)``): a value divided by
    the sum of all its own entries, so the quotient adds up to one."""
    total: cst.BaseExpression = node.right
    while True:
        if isinstance(total, cst.BinaryOperation) and isinstance(total.operator, cst.Add):
            total = total.left if isinstance(total.left, cst.Call) else total.right
        elif isinstance(total, cst.Call) and callee_name(total) in _TOTAL_GUARDS and total.args:
            total = total.args[0].value
        else:
            break
    if not isinstance(total, cst.Call) or callee_name(total) not in ("sum", "reduce_sum") or len(total.args) != 1:
        return False
    return compact_code(total.args[0].value) == compact_code(node.left)


#: reductions a Loss or ``compute_weighted_loss`` can be given that reduce to one number
_SCALAR_REDUCTIONS = frozenset({"auto", "sum", "sum_over_batch_size", "mean", "sum_by_nonzero_weights",
                                "mean_with_sample_weight"})


def _weighted_loss(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    """``losses_utils.compute_weighted_loss(losses, sample_weight, reduction=...)``: the losses
    weighted and, under its default reduction (``SUM_OVER_BATCH_SIZE``, TensorFlow 1's
    ``SUM_BY_NONZERO_WEIGHTS``) or any but NONE, reduced to one number, as ``reduce_mean`` would.
    ``reduction=self.reduction`` is what the Loss's ``__init__`` hands its base."""
    x = _first(args)
    if _reduction_of(ev, call_arg(node, 2, "reduction")) != "scalar":
        return x
    return x.evolve(rel=None, rank=0, batch=False, tags=x.tags & {Tag.MASK}, length=None, tensor=True) \
        .with_tags(Tag.FULL_REDUCTION).with_mark(Mark.FULL_REDUCTION, node)


def _reduction_of(ev: Evaluator, node: cst.BaseExpression | None, depth: int = 0) -> str | None:
    """"scalar", "none" or None (unknown) for a reduction argument: absent (the default),
    ``Reduction.SUM_OVER_BATCH_SIZE``, ``'none'``, or ``self.reduction`` as the Loss's
    ``__init__`` passes it on (a literal, or a parameter's default)."""
    if node is None:
        return "scalar"
    name = node.attr.value if isinstance(node, cst.Attribute) else literal(node)
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self" \
            and name == "reduction" and depth == 0:
        return _class_reduction(ev)
    if not isinstance(name, str):
        return None
    return "none" if name.lower() == "none" else "scalar" if name.lower() in _SCALAR_REDUCTIONS else None


def _class_reduction(ev: Evaluator) -> str | None:
    """The reduction the analysed Loss's ``__init__`` hands its base (``super().__init__(
    reduction=Reduction.SUM_OVER_BATCH_SIZE)``); the base's default where it passes none."""
    path = ev.scope.spec.path
    init = ev.module.methods.get((path[-2], "__init__")) if len(path) >= 2 else None
    if init is None:
        return None
    for call in descendants(init, cst.Call):
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "__init__"):
            continue
        passed = call_arg(call, None, "reduction")
        if passed is None:
            return None if any(a.star for a in call.args) else "scalar"
        if isinstance(passed, cst.Name):
            default = next((p.default for p in init.params.params if p.name.value == passed.value), None)
            return _reduction_of(ev, default, 1) if default is not None else None
        return _reduction_of(ev, passed, 1)
    return None


def _reduction_kind(op: str) -> tuple[Tag, ...]:
    return (Tag.SUM_REDUCED,) if op == "sum" else ()


def _arg_reduce(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _first(args)
    if spec.op == "histogram":
        # one count per bin over every value of every sample: no batch axis, no gradient
        return Value(rel=None, batch=False, dtype=DType.INT, grad=min(x.grad, Grad.CUT), origin=x.origin)
    rel = x.rel - 1 if x.rel is not None else None
    return Value(rel=rel, batch=x.batch and literal(call_arg(node, 1, "axis")) not in (0, None),
                 dtype=DType.INT, grad=min(x.grad, Grad.CUT), origin=x.origin,
                 tags=frozenset({Tag.INDEX}), marks=_cut_marks(x))


def _unary(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    value = elementwise([x])
    if canon.startswith("np.") and x.tensor and x.dtype != DType.NUMPY:
        return value.evolve(grad=min(value.grad, Grad.CUT), tags=value.tags | {Tag.NUMPY_VALUE})
    if spec.op in ("softplus", "sigmoid", "exp", "softmax"):
        value = value.with_tags(Tag.POSITIVE)
    return value


def _cut_unary(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    value = elementwise([_plain(_first(args))], cut=True)
    return value


def _binary_op(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    listed = spec.op in ("add_n", "multiply_n")  # one argument: a list of tensors
    tensors = args[:2] if not listed else [elementwise(args)] if args else []
    if listed and args and args[0].has(Tag.SEQUENCE):
        items = args[0].items
        if items and all(item.tensor for item in items):
            return elementwise(list(items))  # the terms' shapes and marks (a batch sum) flow
        return UNKNOWN.evolve(grad=args[0].grad, origin=args[0].origin)
    op = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "divide": "Divide",
          "truediv": "Divide", "floordiv": "FloorDivide", "divide_no_nan": "Divide"}.get(spec.op)
    if op is not None and len(tensors) == 2:
        result = ev._binary(op, tensors[0], tensors[1], node)
        # divide_no_nan: a division (a sum over a count is a mean) that gives 0 for x / 0
        return result.with_tags(Tag.GUARDED_OP) if spec.op == "divide_no_nan" else result
    value = elementwise([_plain(v) for v in tensors])
    if spec.op in ("maximum", "minimum") and any(v.has(Tag.COUNT) for v in tensors):
        value = value.with_tags(Tag.COUNT)
    if spec.op in ("xlogy", "divide_no_nan", "multiply_no_nan"):
        value = value.with_tags(Tag.GUARDED_OP)
    if spec.op in ("maximum",) and len(tensors) == 2 and (tensors[0].has(Tag.EPSILON) or tensors[1].has(Tag.EPSILON) or not tensors[1].tensor):
        value = value.with_tags(Tag.GUARDED_MAX)
    return value


def _compare(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    operands = [_plain(v) for v in args[:2]]
    dtype = _comparison_dtype(operands) if canon.startswith("np.") else DType.BOOL
    return elementwise(operands, dtype=dtype, cut=True, tags=frozenset({Tag.COMPARISON}))


def _comparison_dtype(operands: list[Value]) -> DType:
    """A comparison of numpy arrays (and Python numbers) is a numpy bool array, which TF
    converts to float when it meets a float tensor (KERAS_FACTS 5c): not a bool tensor."""
    tensors = [v for v in operands if v.tensor]
    if tensors and all(v.dtype == DType.NUMPY for v in tensors):
        return DType.NUMPY
    return DType.BOOL


#: LibCST's names of the bitwise operators
_BITWISE = frozenset({"BitXor", "BitAnd", "BitOr"})
#: provenance that makes an integer or bool tensor a 0/1 mask (a cast, a comparison, a mask)
_MASK_PROVENANCE = frozenset({Tag.CAST, Tag.COMPARISON, Tag.MASK})


def _where(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    if len(args) < 3:
        # ``tf.where(cond)``: the coordinates of the true elements, in every sample of a batch
        held = bool(args) and (args[0].batch or args[0].has(Tag.HOLDS_BATCH))
        # an (N, rank) int64 tensor computed from the condition: its size is no Python number
        return UNKNOWN.evolve(dtype=DType.INT, tags=frozenset({Tag.ELEMENT_INDICES}) if held else frozenset(),
                              origin=args[0].origin if args else frozenset(), rank=2, tensor=True,
                              grad=Grad.CUT if args and args[0].grad is not Grad.NONE else Grad.NONE)
    cond = args[0]
    value = join(_plain(args[1]), _plain(args[2]))
    rel, _, batch = (cond.rel, None, cond.batch) if cond.rel is not None else (value.rel, None, value.batch)
    result = elementwise([args[1], args[2]]).evolve(rel=rel if rel is not None else value.rel,
                                                    batch=batch or value.batch)
    if result.grad == Grad.NONE and cond.grad != Grad.NONE:
        # the condition has no gradient: y_pred reaching only the condition is a cut path
        result = result.evolve(grad=Grad.CUT, marks=result.marks | frozenset(
            m for m in cond.marks if m[0] is Mark.GRAD_CUT))
    branches = args[1:3]
    if result.dtype in (DType.INT, DType.BOOL) and all(b.tensor and b.tags & _MASK_PROVENANCE for b in branches):
        # ``where(cond, m ^ 1, m)``: a choice between two integer masks is a mask
        result = result.with_tags(Tag.MASK)
    if any(b.has(Tag.COUNT) for b in branches) and all(b.has(Tag.COUNT) or _is_epsilon(b) for b in branches):
        # ``where(n == 0, 1.0, n)``: a count kept away from 0 is still a count
        result = result.with_tags(Tag.COUNT)
    return result


def _dtype_kind(ev: Evaluator, node: cst.BaseExpression | None) -> DType:
    if node is None:
        return DType.UNKNOWN
    lit = literal(node)
    text = lit if isinstance(lit, str) else cst_dotted(node) or ""
    value = ev.scope.values.get(node)
    if value is not None and (value.has(Tag.DTYPE_OF) or value.has(Tag.FLOATX)):
        return DType.FLOAT
    if value is not None and value.has(Tag.DTYPE_FLOAT):
        return DType.FLOAT
    text = text.rsplit(".", 1)[-1]
    if text.startswith(("float", "bfloat", "half", "double")) or text in ("floatx",):
        return DType.FLOAT
    if text.startswith(("int", "uint")):
        return DType.INT
    if text == "bool":
        return DType.BOOL
    return DType.UNKNOWN


def _cast(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    if spec.op == "cast_float":
        kind = DType.FLOAT
    elif spec.op == "cast_int":
        kind = DType.INT
    else:
        kind = _dtype_kind(ev, call_arg(node, 1, "dtype"))
    grad = x.grad
    if kind is DType.INT and x.has(Tag.OPAQUE) and x.dtype is not DType.FLOAT:
        # integers from a call the analysis cannot follow (``lengths_fn(y_true, y_pred)``):
        # lengths, counts or positions read off the inputs, not known to come from y_pred's
        # values, so no gradient the author expected is known to be cut here
        grad = Grad.NONE
    elif kind in (DType.INT, DType.BOOL) or x.dtype in (DType.INT, DType.BOOL):
        grad = min(grad, Grad.CUT)
    tags = set(x.tags & {Tag.COUNT, Tag.STATIC_BATCH, Tag.BATCH_SIZE, Tag.MASK, Tag.COMPARISON, Tag.INDEX})
    tags.add(Tag.CAST)
    if x.dtype == DType.BOOL or x.has(Tag.COMPARISON):
        tags.add(Tag.MASK)
    return x.evolve(dtype=kind, grad=grad, tags=frozenset(tags), tensor=True,
                    rank=x.rank if x.tensor else 0)


def _shape(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    if canon == "np.shape":
        # numpy reads ``x.shape``: the static shape (Python ints, None for the traced batch)
        return _static_shape(ev, spec, node, args, canon)
    x = _first(args)
    tags = {Tag.SHAPE_VECTOR} | ({Tag.OF_BATCH} if x.batch else set()) | _tf_int(canon)
    return Value(rank=1, dtype=DType.INT, tags=frozenset(tags), origin=x.origin)


def _tf_int(canon: str) -> set[Tag]:
    """``{Tag.TF_INT}`` for TensorFlow's own shape ops (and the tf.keras backend's, which are
    them): an int32 tensor. ``keras.ops.shape`` gives a tuple and numpy's give Python ints."""
    return {Tag.TF_INT} if canon.startswith(("tf.", "K.")) and not canon.startswith("K.count_params") else set()


def _static_shape(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _first(args)
    return Value(tensor=False, tags=_static_shape_tags(x), origin=x.origin)


def _static_shape_tags(x: Value) -> frozenset[Tag]:
    """The tags of ``x``'s static shape (``x.shape``, ``x.get_shape()``, ``K.int_shape(x)``)."""
    return frozenset({Tag.STATIC_SHAPE} | ({Tag.OF_BATCH} if _static_starts_with_batch(x) else set()))


def _static_starts_with_batch(x: Value) -> bool:
    """Whether the static shape of ``x`` starts with the batch size, None when fit traces: an
    input's own, and also an input squeezed without an axis (``tf.squeeze(y_pred).shape[0]``:
    its rank is unknown in fit, so that entry is None just the same)."""
    return x.batch or (x.has(Tag.SQUEEZED_NO_AXIS) and bool(x.origin & {Origin.Y_TRUE, Origin.Y_PRED}))


def _len(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    """``len(y_true)`` is the static batch size: None when fit traces the loss. Of a list of
    batches (several outputs a caller passes), it counts the outputs."""
    x = _first(args)
    if x.tensor and x.batch and not x.has(Tag.BATCHES):
        return Value(tensor=False, dtype=DType.PY, rank=0, tags=frozenset({Tag.STATIC_BATCH, Tag.COUNT}),
                     origin=x.origin).with_mark(Mark.STATIC_BATCH, node)
    return PYTHON.evolve(tags=frozenset({Tag.COUNT, Tag.NUMBER}))


def _size(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    typed = call_arg(node, 1, "out_type") is not None  # tf.size(x, out_type=tf.float32): not an int
    return Value(rank=0, dtype=DType.UNKNOWN if typed else DType.INT,
                 tags=frozenset({Tag.COUNT} | (set() if typed else _tf_int(canon))), origin=_first(args).origin)


def _reshape(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    # the same values in another shape: a mask stays a mask (``tf.reshape(mask, [-1])``)
    kept = x.tags & {Tag.MASK}
    shape = ev.arg_value(node, 1, "shape", "newshape")
    shape_node = call_arg(node, 1, "shape", "newshape")
    if shape is not None and shape.has(Tag.SHAPE_VECTOR):
        # reshape(y_true, tf.shape(y_pred)): the rank of the shape's owner (the recommended fix),
        # also when the owner was squeezed first
        owner = _shape_owner(ev, shape_node)
        if owner is None or not owner.tensor:
            return x.evolve(rel=0, rank=None, batch=True, tags=frozenset({Tag.RESHAPED_LIKE}) | kept)
        squeezed = owner.tags & {Tag.SQUEEZED, Tag.SQUEEZED_NO_AXIS}
        return x.evolve(rel=owner.rel, rank=owner.rank, batch=owner.batch,
                        tags=frozenset({Tag.RESHAPED_LIKE}) | squeezed | kept,
                        marks=x.marks | frozenset(m for m in owner.marks if m[0] is Mark.SQUEEZE))
    lit = literal(shape_node)
    if isinstance(lit, tuple) and len(lit) == 1:
        return x.evolve(rel=None, rank=1, batch=False, tags=frozenset({Tag.FLATTENED}) | _flattened_tags(x), length=None)
    if isinstance(shape_node, (cst.List, cst.Tuple)) and shape_node.elements:
        head = ev.scope.values.get(shape_node.elements[0].value)
        batch = head is not None and (head.has(Tag.BATCH_SIZE) or head.has(Tag.STATIC_BATCH) or literal(shape_node.elements[0].value) == -1)
        return x.evolve(rel=None, rank=len(shape_node.elements), batch=batch,
                        tags=kept if batch else kept | _flattened_tags(x))
    # the batch's values in a shape whose first axis is not known to be the samples'
    return x.evolve(rel=None, rank=None, batch=False, tags=kept | _flattened_tags(x))


def _shape_owner(ev: Evaluator, shape_node: cst.BaseExpression | None) -> Value | None:
    """The value whose ``tf.shape`` ``shape_node`` is (through one name binding)."""
    found: cst.CSTNode | None = shape_node
    if isinstance(shape_node, cst.Name):
        sources = ev.scope.sources.get(shape_node, frozenset())
        found = next(iter(sources)) if len(sources) == 1 else None
    if not isinstance(found, cst.Call):
        return None
    owner = call_arg(found, 0, "input", "x")
    return ev.scope.values.get(owner) if owner is not None else None


def _input(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    """``keras.Input(shape=(1,))``: a ``(B, 1)`` float batch (used where the file calls a loss,
    and where a loss factory receives it)."""
    shape = call_arg(node, 0, "shape")
    data = frozenset({Origin.DATA})
    if not isinstance(shape, cst.Tuple) or any(isinstance(el, cst.StarredElement) for el in shape.elements):
        return Value(batch=True, dtype=DType.FLOAT, origin=data)
    # ``shape=(n_actions,)``: the rank is the tuple's length, whatever its entries are
    return Value(rank=len(shape.elements) + 1, batch=True, dtype=DType.FLOAT, origin=data)


def _random_array(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    """``np.random.rand(64, 4)``, ``np.random.uniform(0, 1, size=(64,))``: a numpy array of
    known rank (its first axis the samples when the file passes it as data)."""
    if canon in ("np.random.rand", "np.random.randn"):
        dims = [literal(a.value) for a in node.args if a.keyword is None]
    else:
        size = literal(call_arg(node, None, "size"))
        dims = list(size) if isinstance(size, tuple) else [size] if isinstance(size, int) else []
        if not dims and call_arg(node, None, "size") is None and canon in ("np.random.random", "np.random.random_sample"):
            size = literal(call_arg(node, 0, "size"))
            dims = list(size) if isinstance(size, tuple) else [size] if isinstance(size, int) else []
    if not dims:
        return Value(dtype=DType.NUMPY, tags=frozenset({Tag.CONSTANT}))
    first = dims[0] if isinstance(dims[0], int) and not isinstance(dims[0], bool) else None
    return Value(rank=len(dims), dtype=DType.NUMPY, length=first, tags=frozenset({Tag.CONSTANT}))


def _flatten(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    if canon == "K.batch_flatten":
        return x.evolve(rel=None, rank=2, batch=x.batch, tags=frozenset())
    return x.evolve(rel=None, rank=1, batch=False, tags=frozenset({Tag.FLATTENED}) | _flattened_tags(x))


def _flattened_tags(x: Value) -> frozenset[Tag]:
    """What a tensor flattened to one axis keeps: a mask stays a mask, and the batch's values
    are all still there (a sum of them is a sum over the batch)."""
    return (x.tags & {Tag.MASK}) | ({Tag.HOLDS_BATCH} if x.batch or x.has(Tag.HOLDS_BATCH) else frozenset())


def _squeeze(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    axis_node = call_arg(node, 1, "axis")
    axis = literal(axis_node)
    if axis_node is None or axis is None:
        return x.evolve(rel=None, rank=None, batch=False,
                        tags=x.tags | {Tag.SQUEEZED, Tag.SQUEEZED_NO_AXIS}).with_mark(Mark.SQUEEZE, node)
    axes = axis if isinstance(axis, tuple) else (axis,)
    if x.has(Tag.ONE_HOT) and x.rel == 0 and len(axes) == 1 and axes[0] not in (0, -1):
        # ``squeeze(one_hot(mask, C), 4)``: the class ids had a trailing axis of 1, which the
        # encoding kept before the classes: that is the axis squeezed, and the result matches
        # the prediction (one_hot took the ids for one rank below it)
        return x.with_tags(Tag.SQUEEZED).with_mark(Mark.SQUEEZE, node)
    rel = x.rel - len(axes) if x.rel is not None else None
    rank = x.rank - len(axes) if x.rank is not None else None
    return x.evolve(rel=rel, rank=rank, batch=x.batch and 0 not in axes,
                    tags=x.tags | {Tag.SQUEEZED}).with_mark(Mark.SQUEEZE, node)


def _expand(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    axis = literal(call_arg(node, 1, "axis", "dim"))
    rel = x.rel + 1 if x.rel is not None else None
    if x.rel == 0 and (_labels_only(x) or (x.from_pred and not x.from_true)):
        # expanding y_true or y_pred itself says the other is not of the same rank: sparse
        # labels made to match (as one_hot), a prediction broadcast against richer labels
        # ((B,N,1) weights times (B,N,T) returns), or both expanded (pairwise distances);
        # which of these is not known here
        rel = None
    rank = x.rank + 1 if x.rank is not None else None
    return x.evolve(rel=rel, rank=rank, batch=x.batch and axis != 0, tags=x.tags - {Tag.SQUEEZED},
                    length=x.length if axis != 0 else None).with_tags(Tag.EXPANDED)


def _inner_one_hot_axis(call: cst.Call) -> bool:
    """``one_hot(ids, K, axis=1)``: the classes go in before a later axis of the ids, so the ids
    have an axis beyond the batch (multi-annotator labels, ``(B, R)``), not sparse ``(B,)`` ids
    (for which ``axis=1`` is the default last axis nobody spells out)."""
    axis = literal(call_arg(call, 4, "axis"))
    return isinstance(axis, int) and not isinstance(axis, bool) and axis >= 0


def _one_hot(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _first(args)
    rel = x.rel + 1 if x.rel is not None else None
    if x.rel == 0 and x.from_true and not x.from_pred and not _inner_one_hot_axis(node):
        # one-hot encoding y_true itself means sparse labels, one rank below y_pred (Keras 3
        # passes (B,) labels for a (B, C) output, KERAS_FACTS §0): the result matches y_pred
        # (``evaluate_loss`` usually knows this up front and gives the labels rel -1)
        rel = 0
    # ``dtype=tf.int64`` (index arithmetic in TensorFlow's own clustering loss) makes it an
    # int tensor; without it, a float one
    dtype = _dtype_kind(ev, call_arg(node, None, "dtype"))
    return Value(rel=rel, batch=x.batch, dtype=dtype if dtype in (DType.INT, DType.BOOL) else DType.FLOAT,
                 grad=min(x.grad, Grad.CUT), origin=x.origin, tags=frozenset({Tag.ONE_HOT}), marks=_cut_marks(x))


_AXIS_GATHERS = frozenset({"tf.gather", "K.gather", "ops.take", "np.take"})


def _gather(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    idx = args[1] if len(args) > 1 else UNKNOWN
    axis = literal(call_arg(node, 2, "axis"))
    if canon in _AXIS_GATHERS and isinstance(axis, int) and not isinstance(axis, bool) and axis > 0 \
            and x.batch and call_arg(node, 3, "batch_dims") is None:
        # columns picked along a later axis: the batch axis stays first; a list of indices keeps
        # the rank, one index drops that axis
        index = call_arg(node, 1, "indices")
        drop = 0 if isinstance(index, (cst.List, cst.Tuple)) else 1 if isinstance(literal(index), int) else None
        rel = x.rel - drop if x.rel is not None and drop is not None else None
        rank = x.rank - drop if x.rank is not None and drop is not None else None
        return x.evolve(rel=rel, rank=rank, tags=x.tags | {Tag.GATHERED}, length=None)
    if canon == "tf.batch_gather" and x.batch:
        # TF 1's ``batch_gather(params, indices)``: per sample, the rows its indices pick (a
        # ``gather`` with ``batch_dims=1``): the batch axis stays first, and with (B, K) indices,
        # the rank
        return x.evolve(tags=x.tags | {Tag.GATHERED}, length=None)
    if canon == "tf.gather_nd" and idx.has(Tag.ELEMENT_INDICES) and (x.batch or x.has(Tag.HOLDS_BATCH)):
        # ``gather_nd(x, tf.where(cond))`` selects like ``boolean_mask(x, cond)``: the selected
        # elements come from every sample, so a sum of them still grows with the batch
        return _boolean_mask(ev, spec, node, args, canon)
    return x.evolve(rel=idx.rel if idx.rel is not None else None, rank=None, batch=idx.batch,
                    tags=frozenset({Tag.GATHERED}), length=None, tensor=True)


def _constant(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _first(args)
    dtype_node = call_arg(node, 1, "dtype")
    kind = _dtype_kind(ev, dtype_node) if dtype_node is not None else DType.UNKNOWN
    if canon.startswith("np."):
        dtype = DType.NUMPY
    elif kind != DType.UNKNOWN:
        dtype = kind
    elif canon in ("K.constant", "K.variable"):
        # keras.backend.constant/variable default to floatx(), whatever the value
        dtype = DType.FLOAT
    elif dtype_node is not None and x.dtype in (DType.LIST, DType.PY):
        # ``tf.constant(1, dtype=self.dtype)``: the dtype asked for, not the literal's, and this
        # one is not known here
        dtype = DType.UNKNOWN
    elif x.dtype in (DType.LIST, DType.PY):
        # tf.constant([1, 0]) is int32; one float literal makes it float32; items the code
        # computes (``[weights[0], weights[1]]`` of a parameter) have the dtype of their values
        dtype = DType.FLOAT if x.has(Tag.FLOAT_LITERAL) else \
            DType.INT if _int_items(ev, call_arg(node, 0, "value", "x")) else DType.UNKNOWN
    else:
        dtype = x.dtype
    if x.tensor and x.dtype not in (DType.LIST,):
        out = x.evolve(dtype=dtype if dtype != DType.UNKNOWN else x.dtype,
                       tags=x.tags - {Tag.INPUT, Tag.Y_TRUE, Tag.Y_PRED})
        return out.evolve(grad=min(out.grad, Grad.CUT)) if canon.startswith("np.") else out
    one = literal(call_arg(node, 0, "value", "x")) in (1, 1.0) and not x.tensor
    return Value(rank=x.rank if x.rank is not None else (0 if not x.tensor and not x.has(Tag.SEQUENCE) else None),
                 dtype=dtype, length=x.length, grad=x.grad, origin=x.origin,
                 tags=frozenset({Tag.CONSTANT, Tag.ONE} if one else {Tag.CONSTANT}))


def _int_items(ev: Evaluator, node: cst.BaseExpression | None) -> bool:
    """Whether ``node`` is a (nested) list/tuple whose items are Python ints (literals, or names
    and expressions of them), as ``tf.constant`` reads an int32 tensor from."""
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(isinstance(e, cst.Element) and _int_items(ev, e.value) for e in node.elements)
    if isinstance(node, cst.Integer):
        return True
    value = ev.scope.values.get(node) if node is not None else None
    return value is not None and not value.tensor and value.has(Tag.NUMBER) and not value.has(Tag.FLOAT_LITERAL)


def _fill(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    shape_node = call_arg(node, 0, "shape", "dims")
    shape = ev.scope.values.get(shape_node) if shape_node is not None else None
    lit = literal(shape_node)
    dtype = DType.NUMPY if canon.startswith("np.") else DType.FLOAT
    given = call_arg(node, None, "dtype")
    if given is not None and dtype is DType.FLOAT and _dtype_kind(ev, given) in (DType.INT, DType.BOOL):
        dtype = _dtype_kind(ev, given)  # ``tf.ones((b, 1), dtype="int64")``: an int tensor
    if spec.op == "eye":
        # ``tf.eye(n)``: an (n, n) matrix, even when n is the batch size (a contrastive loss's
        # diagonal mask): no axis of it is the inputs' batch axis
        batched = call_arg(node, 2 if canon in ("tf.eye", "tf.linalg.eye") else None, "batch_shape") is not None
        return Value(rank=None if batched else 2, dtype=dtype)
    if shape is not None and shape.has(Tag.SHAPE_VECTOR):
        return Value(rel=0 if shape.has(Tag.OF_BATCH) else None, batch=shape.has(Tag.OF_BATCH), dtype=dtype)
    if isinstance(lit, int) and not isinstance(lit, bool):
        return Value(rank=1, dtype=dtype, length=lit, tags=frozenset({Tag.CONSTANT}))
    if isinstance(lit, tuple):
        first = lit[0] if lit else None
        return Value(rank=len(lit), dtype=dtype, length=first if isinstance(first, int) else None,
                     tags=frozenset({Tag.CONSTANT}))
    return Value(dtype=dtype)


def _fill_like(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    return x.evolve(grad=Grad.NONE, origin=frozenset(), tags=frozenset({Tag.FILLED}), marks=frozenset())


def _matmul(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    tensors = [_plain(a) for a in args if a.tensor]
    value = elementwise(tensors)
    transposed = literal(call_arg(node, None, "transpose_a", "adjoint_a")) is True
    holds = [t.batch or t.has(Tag.HOLDS_BATCH) for t in tensors]
    if len(tensors) == 2 and holds[1] and (tensors[0].batch and transposed or not tensors[0].batch and holds[0]):
        # the samples of one operand meet the samples of the other: the product sums over them
        return value.evolve(rel=None, rank=None, batch=False).with_tags(Tag.HOLDS_BATCH, Tag.BATCH_CONTRACTED)
    return value.evolve(rel=None, rank=None, batch=bool(tensors) and tensors[0].batch)


def _concat(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    seq = _first(args)
    axis = literal(call_arg(node, 1, "axis"))
    items = seq.items if seq.has(Tag.SEQUENCE) and seq.items else ()
    # integers stacked with integers (``stack([range(n), cast(ids, "int32")], -1)``: gather
    # indices) stay integers; anything else is taken as float, as labels and predictions are
    dtype = DType.INT if items and all(i.tensor and i.dtype is DType.INT for i in items) else DType.FLOAT
    # sums over the batch stay sums over the batch once stacked (``tf.reduce_mean(tf.stack((x_sum,
    # y_sum)))`` of four box terms is the mean of four batch totals)
    summed = frozenset(m for item in items for m in item.marks if m[0] is Mark.SUM_OVER_BATCH)
    return UNKNOWN.evolve(grad=seq.grad, origin=seq.origin, batch=axis not in (0, NOT_LITERAL), dtype=dtype,
                          marks=summed)


#: keyword names of a loss function's labels and predictions (``tf.nn.ctc_loss(labels=...,
#: logit_length=..., logits=...)`` passes the lengths between them)
_LOSS_LABELS = ("y_true", "labels", "target", "targets")
_LOSS_PREDICTIONS = ("y_pred", "logits", "output", "predictions", "inputs")


def _loss_operands(ev: Evaluator, node: cst.Call, args: list[Value]) -> list[Value]:
    """The labels and the predictions a loss function receives: by keyword where the call names
    them, else its first two arguments."""
    named = [ev.arg_value(node, None, *names) for names in (_LOSS_LABELS, _LOSS_PREDICTIONS)]
    if any(v is not None for v in named):
        positional = iter(args[:2])
        return [v if v is not None else next(positional, UNKNOWN) for v in named]
    return args[:2]


def _loss_fn(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    args = _loss_operands(ev, node, args)
    value = elementwise([_plain(a) for a in args if a.tensor])
    rel = value.rel - 1 if value.rel is not None else None
    if "sparse" in canon:
        # sparse labels are one rank below the logits: the result has the labels' shape,
        # the same relative rank as y_true (and a mask built from it); labels sliced out of a
        # stacked y_true (``y_true[:, :, 0]``) give their own, lower rank
        labels = _plain(args[0]) if args and args[0].tensor else None
        rel = labels.rel if labels is not None and labels.rel is not None and value.rel is not None \
            and labels.rel < value.rel else value.rel
        return value.evolve(rel=rel, rank=None, dtype=DType.FLOAT,
                            tags=frozenset({Tag.PER_SAMPLE, Tag.LOSS_FN, Tag.PER_LABEL}))
    return value.evolve(rel=rel, rank=None, dtype=DType.FLOAT, tags=frozenset({Tag.PER_SAMPLE, Tag.LOSS_FN}))


def _image_metric(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    """``tf.image.ssim(a, b, max_val)``: one value per image of ``[..., H, W, C]`` batches, so
    three axes fewer than its inputs (``(B,)`` for ``(B, H, W, C)``)."""
    value = elementwise([_plain(a) for a in args[:2] if a.tensor])
    rel = value.rel - 3 if value.rel is not None else None
    return value.evolve(rel=rel, rank=None, dtype=DType.FLOAT, tags=frozenset({Tag.PER_SAMPLE}))


def _elementwise_loss(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    tensors = [_plain(a) for a in args if a.tensor]
    return elementwise(tensors, dtype=DType.FLOAT).with_tags(Tag.LOSS_FN)


def _loss_class(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    given = call_arg(node, None, "reduction")
    if isinstance(given, cst.Name) and given.value not in ("None", "True", "False"):
        # ``reduction=reduction``: the parameter of the function building it (a Loss
        # subclass's ``__init__(self, reduction=Reduction.NONE)``), read from its default; one
        # without a default is whatever the caller passes: not assumed to be the scalar default
        given = _parameter_default(ev.scope.node, given.value)
        if given is None:
            return Value(tensor=False, tags=frozenset({Tag.LOSS_INSTANCE, Tag.REDUCTION_NONE}), loss_class=spec.op)
    reduction = literal(given)
    tags = {Tag.LOSS_INSTANCE}
    if reduction is None and given is not None or reduction in ("none", "None"):
        tags.add(Tag.REDUCTION_NONE)
    if isinstance(given, cst.Attribute):
        dotted = cst_dotted(given) or ""
        if dotted.endswith(".NONE"):
            tags.add(Tag.REDUCTION_NONE)
    return Value(tensor=False, tags=frozenset(tags), loss_class=spec.op)


def _parameter_default(fn: cst.CSTNode, name: str) -> cst.BaseExpression | None:
    """The default of ``fn``'s parameter ``name``; None if ``fn`` has no such parameter or it
    has no default."""
    if not isinstance(fn, cst.FunctionDef):
        return None
    params = fn.params
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        if param.name.value == name:
            return param.default
    return None


def _epsilon(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    return PYTHON.evolve(tags=frozenset({Tag.EPSILON, Tag.NUMBER}))


def _floatx(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    return Value(tensor=False, tags=frozenset({Tag.FLOATX, Tag.DTYPE_FLOAT}))


def _py_function(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    inputs = args[1] if len(args) > 1 else UNKNOWN
    return Value(grad=inputs.grad, origin=inputs.origin, dtype=DType.FLOAT,
                 tags=frozenset({Tag.PY_FUNCTION}))


def _boolean_mask(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    tags = {Tag.MASKED_SELECT}
    if x.batch or x.has(Tag.HOLDS_BATCH):
        # the selected elements come from every sample: a sum of them still grows with the batch
        tags.add(Tag.HOLDS_BATCH)
    return x.evolve(rel=None, rank=None, batch=False, tags=frozenset(tags))


def _sequence_mask(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    lengths = _first(args)
    dtype = _dtype_kind(ev, call_arg(node, 2, "dtype"))
    dtype = DType.BOOL if dtype == DType.UNKNOWN else dtype
    rel = lengths.rel + 1 if lengths.rel is not None else None
    return Value(rel=rel, rank=None if rel is not None else 2, batch=lengths.batch or rel is None,
                 dtype=dtype, tags=frozenset({Tag.MASK}))


def _range(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    if canon == "builtins.range":
        return Value(tensor=False, tags=frozenset({Tag.SEQUENCE, Tag.RANGE}))
    if canon == "np.arange":
        # a numpy array (``for t in np.arange(0.5, 1.0, 0.05)``: thresholds a metric loops over
        # in Python, whole-repository set 49), not a symbolic tensor
        return Value(rank=1, dtype=DType.NUMPY, tensor=False, tags=frozenset({Tag.RANGE}))
    return Value(rank=1, dtype=DType.INT, tags=frozenset({Tag.RANGE}))


def _clip(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    low_node = call_arg(node, 1, "clip_value_min", "min_value", "x_min", "a_min")
    low = ev.scope.values.get(low_node) if low_node is not None else None
    lit = literal(low_node)
    positive = (isinstance(lit, (int, float)) and not isinstance(lit, bool) and lit > 0) or (
        low is not None and (low.has(Tag.EPSILON)))
    value = elementwise([x]).with_tags(Tag.CLIPPED)
    return value.with_tags(Tag.GUARDED_CLIP) if positive else value


def _transpose(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    x = _plain(_first(args))
    perm = literal(call_arg(node, 1, "perm", "pattern", "axes"))
    keeps = isinstance(perm, tuple) and bool(perm) and perm[0] == 0
    moved = (x.batch or x.has(Tag.HOLDS_BATCH)) and not keeps
    return x.evolve(batch=x.batch and keeps, tags=x.tags | {Tag.HOLDS_BATCH} if moved else x.tags)


def _cond(ev: Evaluator, node: cst.Call, args: list[Value], env: Env) -> Value:
    """The join of the branches' values (lambdas, or functions the loss defines); the predicate
    picks a branch and passes no value, so its lack of gradient never reaches the result. A
    lambda branch reads the names of the body around it (``lambda: loss_val / n``)."""
    branches: list[Value] = []
    before = set(ev.scope.normalised)
    for arg in node.args[1:]:
        if isinstance(arg.value, cst.Lambda):
            branches.append(ev.expr(arg.value.body, env.copy()))
        elif isinstance(arg.value, cst.Name) and arg.value.value in ev.closures:
            branches.append(ev._helper_call(node, ev.closures[arg.value.value], []))
    divided = ev.scope.normalised - before
    if divided and node.args and _tests_count(node.args[0].value, env):
        # ``tf.cond(num_pos > 0, lambda: (pos + neg) / num_pos, lambda: neg)`` (CenterNet's
        # focal loss): the raw sum is the fallback for a batch whose count is 0, where there is
        # nothing to divide by; the sum is a mean wherever the count exists
        branches = [b.evolve(marks=frozenset(m for m in b.marks if not (m[0] is Mark.SUM_OVER_BATCH and m[1] in divided)))
                    for b in branches]
    out: Value | None = None
    for value in branches:
        out = value if out is None else join(out, value)
    return out if out is not None else _unknown_call(args[1:])


def _tests_count(predicate: cst.BaseExpression, env: Env) -> bool:
    """Whether a ``tf.cond`` predicate reads a count (``num_pos > 0``, ``tf.greater(n, 0)``)."""
    for name in descendants(predicate, cst.Name):
        value = env.names.get(name.value)
        if value is not None and value.has(Tag.COUNT):
            return True
    return False


def _keep(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    return elementwise([_plain(_first(args))])


def _slice(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    """``tf.slice(x, begin, size)`` has ``x``'s rank; it keeps the batch axis when it starts at 0
    and runs to the end there (``[0, t, 0]``, ``[-1, ...]``), and otherwise the batch is not
    known to survive (``size[0] == 1`` keeps one sample)."""
    value = elementwise([_plain(_first(args))])
    begin = call_arg(node, 1, "begin", "start_indices", "start")
    size = call_arg(node, 2, "size", "shape")
    firsts = [literal(seq.elements[0].value) if isinstance(seq, (cst.List, cst.Tuple)) and seq.elements else None
              for seq in (begin, size)]
    value = value.with_mark(Mark.SLICE, node)
    return value if firsts == [0, -1] else value.evolve(batch=False)


def _split(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    """``tf.split(x, n, axis)`` (``ops.split``, ``np.split``): a sequence of parts of ``x``'s rank,
    each keeping the batch axis where the split is along another axis (the default axis, 0,
    cuts the batch into groups of samples: not known to keep it). Where the number of parts
    is written (``n``, a list of sizes for ``tf.split``, of cut points for NumPy and Keras), the
    parts are known one by one, so ``anchor, pos, neg = tf.split(y_pred, 3, axis=1)`` unpacks
    three predictions."""
    x = _plain(_first(args))
    axis = call_arg(node, 2, "axis")
    along = 0 if axis is None else literal(axis)
    part = elementwise([x]).evolve(batch=x.batch and along not in (0, NOT_LITERAL))
    written = literal(call_arg(node, 1, "num_or_size_splits", "indices_or_sections"))
    count: int | None = None
    if isinstance(written, tuple):
        count = len(written) + (0 if canon.startswith("tf.") else 1)
    elif isinstance(written, int) and not isinstance(written, bool) and 0 < written <= 64:
        count = written
    return Value(tensor=False, grad=x.grad, origin=x.origin, tags=frozenset({Tag.SEQUENCE}),
                 length=count, items=(part,) * count if count else None)


def _print(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    return Value(tensor=False, tags=frozenset({Tag.PRINT}))


#: marks of a reduction over the batch: properties of one number, which a gradient does not have
_BATCH_REDUCTION_MARKS = frozenset({Mark.SUM_OVER_BATCH, Mark.FULL_REDUCTION, Mark.LOSS_REDUCED})


def _gradients(ev: Evaluator, spec: OpSpec, node: cst.Call, args: list[Value], canon: str) -> Value:
    """``K.gradients(K.sum(y_pred), x)``: TensorFlow differentiates the sum of ``ys`` anyway, and
    each sample's gradient is its own (an R1 or gradient penalty), so a batch sum of ``ys`` does
    not make the result grow with the batch; otherwise what an unknown op gives."""
    value = _unknown_call(args)
    if not args:
        return value
    kept = frozenset().union(*(a.marks for a in args[1:]))
    return value.evolve(marks=frozenset(m for m in value.marks if m[0] not in _BATCH_REDUCTION_MARKS or m in kept))


_TRANSFER: dict[Kind, Transfer] = {
    Kind.REDUCE: _reduce, Kind.ARG_REDUCE: _arg_reduce, Kind.UNARY: _unary,
    Kind.CUT_UNARY: _cut_unary, Kind.BINARY: _binary_op, Kind.COMPARE: _compare,
    Kind.WHERE: _where, Kind.CAST: _cast, Kind.SHAPE: _shape, Kind.STATIC_SHAPE: _static_shape,
    Kind.SIZE: _size, Kind.RESHAPE: _reshape, Kind.FLATTEN: _flatten, Kind.SQUEEZE: _squeeze,
    Kind.EXPAND: _expand, Kind.ONE_HOT: _one_hot, Kind.GATHER: _gather,
    Kind.CONSTANT: _constant, Kind.FILL: _fill, Kind.FILL_LIKE: _fill_like,
    Kind.MATMUL: _matmul, Kind.CONCAT: _concat, Kind.STACK: _concat, Kind.LOSS_FN: _loss_fn,
    Kind.ELEMENTWISE_LOSS: _elementwise_loss, Kind.LOSS_CLASS: _loss_class, Kind.IMAGE_METRIC: _image_metric,
    Kind.EPSILON: _epsilon, Kind.FLOATX: _floatx, Kind.PY_FUNCTION: _py_function,
    Kind.BOOLEAN_MASK: _boolean_mask, Kind.SEQUENCE_MASK: _sequence_mask, Kind.RANGE: _range,
    Kind.CLIP: _clip, Kind.TRANSPOSE: _transpose, Kind.KEEP: _keep, Kind.SLICE: _slice, Kind.SPLIT: _split,
    Kind.PRINT: _print, Kind.IDENTITY: _keep, Kind.LEN: _len, Kind.INPUT: _input,
    Kind.WEIGHTED_LOSS: _weighted_loss, Kind.RANDOM_ARRAY: _random_array, Kind.GRADIENTS: _gradients,
}


def _operand_nodes(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """The operand expressions of an operation node (for gradient provenance marks)."""
    if isinstance(node, cst.Call):
        out = [a.value for a in node.args]
        if isinstance(node.func, cst.Attribute):
            out.append(node.func.value)
        return out
    if isinstance(node, cst.BinaryOperation):
        return [node.left, node.right]
    if isinstance(node, cst.AugAssign):
        return [node.target, node.value]
    if isinstance(node, cst.Comparison):
        return [node.left] + [c.comparator for c in node.comparisons]
    if isinstance(node, cst.UnaryOperation):
        return [node.expression]
    return []


def _cut_marks(value: Value) -> frozenset[tuple[Mark, Any]]:
    """Only the gradient-cut provenance of ``value`` (for transfers that start a new value)."""
    return frozenset(m for m in value.marks if m[0] is Mark.GRAD_CUT)


#: ops through which an added term without gradient stops being a term of its own: the
#: differentiable part it is added to reaches the loss through a nonlinear function of the sum
_MIXING_KINDS = frozenset({Kind.LOSS_FN, Kind.ELEMENTWISE_LOSS, Kind.IMAGE_METRIC, Kind.MATMUL, Kind.UNARY})


def _mixes_terms(spec: OpSpec) -> bool:
    return spec.kind in _MIXING_KINDS and spec.op != "negative"


def _mark_cut_term(result: Value, left: Value, right: Value, node: cst.CSTNode) -> Value:
    """Mark an added term with no gradient next to a differentiable one."""
    if {left.grad, right.grad} != {Grad.CUT, Grad.DIFF}:
        return result
    operands = _operand_nodes(node)
    if len(operands) < 2:
        return result
    term, other, cut = (operands[0], operands[1], left) if left.grad == Grad.CUT else (operands[1], operands[0], right)
    if cut.marked(Mark.WEIGHT):
        return result  # a CRF's transition score: it trains the layer's weight, not y_pred
    if _epsilon_fill(term):
        return result  # ``d + mask * 1e-16``: an epsilon on the exact zeros, a guard and no loss term
    if _rounding_residual(term, other):
        return result  # ``x - floor(x)``: the fractional part, whose gradient is x's
    return result.with_mark(Mark.CUT_TERM, term)


#: rounding ops whose difference with their own operand is a fractional part or a residual
_ROUNDINGS = frozenset({"floor", "round", "ceil", "rint", "trunc", "fix"})


def _rounding_residual(term: cst.BaseExpression, other: cst.BaseExpression) -> bool:
    """``x - floor(x)`` (LPCNet's interpolation weight), ``x - round(x)``: the rounded value of the
    very expression on the other side is a constant offset of it, not a term of the loss."""
    if not (isinstance(term, cst.Call) and term.args):
        return False
    return callee_name(term) in _ROUNDINGS and code_of(term.args[0].value) == code_of(other)


def _epsilon_fill(term: cst.CSTNode) -> bool:
    """A product by a tiny literal (``mask * 1e-16``): it keeps a value off 0 and adds nothing a
    model could be trained on."""
    if not (isinstance(term, cst.BinaryOperation) and isinstance(term.operator, cst.Multiply)):
        return False
    numbers = [literal(side) for side in (term.left, term.right)]
    return any(isinstance(n, float) and 0 < n <= 1e-4 for n in numbers)


def _numpy_result(result: Value, args: list[Value]) -> Value:
    """numpy on a tensor returns an ndarray: no gradient flows back (KERAS_FACTS 7d)."""
    if any(a.tensor and a.grad == Grad.DIFF and a.dtype not in (DType.NUMPY, DType.LIST, DType.PY)
           for a in args):
        return result.evolve(grad=Grad.CUT, tags=result.tags | {Tag.NUMPY_VALUE})
    return result


#: canonical roots (:func:`imports.canonical`) of the libraries the op table covers, or whose
#: unlisted functions are taken to range like their arguments
#: functions of Python's ``math`` module: each returns a Python float
PYTHON_MATH = frozenset({"sqrt", "log", "log2", "log10", "log1p", "exp", "expm1", "pow", "hypot", "cos", "sin",
                         "tan", "acos", "asin", "atan", "atan2", "cosh", "sinh", "tanh", "fabs", "erf", "erfc",
                         "gamma", "lgamma", "radians", "degrees"})
LIBRARY_ROOTS = frozenset({"tf", "K", "ops", "np", "keras", "tensorflow", "tf_keras", "numpy", "builtins", "math"})


#: attributes of a ``tf.DType`` that name the same float or int kind (``base_dtype`` drops a
#: reference; ``real_dtype`` of a float is itself)
_SAME_DTYPE_ATTRIBUTES = frozenset({"base_dtype", "real_dtype", "as_numpy_dtype"})

#: the value of a name the file never binds
_UNBOUND = Value(tensor=True, tags=frozenset({Tag.FOREIGN}))


def _one_sample(value: Value) -> Value:
    """What a mapped function receives of a batch: one sample (axis 0 gone), same provenance."""
    if not value.tensor or not value.batch:
        return value
    return value.evolve(batch=False, rel=value.rel - 1 if value.rel is not None else None,
                        rank=value.rank - 1 if value.rank else value.rank, marks=frozenset(),
                        tags=value.tags - {Tag.INPUT})


def passed_arguments(fn: FunctionNode, call: cst.Call) -> dict[str, cst.BaseExpression]:
    """Parameter name -> the argument expression ``call`` passes for it (none after a ``*``)."""
    params = [p.name.value for p in list(fn.params.posonly_params) + list(fn.params.params)]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    out: dict[str, cst.BaseExpression] = {}
    positional = [a for a in call.args if a.keyword is None]
    for name, arg in zip(params, positional):
        if arg.star:
            break
        out[name] = arg.value
    for arg in call.args:
        if arg.keyword is not None:
            out[arg.keyword.value] = arg.value
    return out


def literal_flags(fn: FunctionNode, call: cst.Call, caller: dict[str, bool],
                  tensors: frozenset[cst.BaseExpression] = frozenset()) -> dict[str, bool]:
    """The parameters of ``fn`` that are ``True``/``False`` at ``call``: a literal the call
    passes (or a flag of the caller's, ``squared=squared``), else a literal default it leaves
    alone (``def nll(t, s, tensors=True)`` called as ``nll(t, s)``). Also, under the key
    ``"<name> is None"``, whether a parameter is None there: its default None left alone (or
    None passed), or a tensor passed (``tensors``: the arguments the caller evaluated to
    tensors), which decides ``if avg_factor is not None:``. Nothing for a call that unpacks
    ``*args``/``**kwargs``."""
    if not isinstance(fn, cst.FunctionDef) or any(a.star for a in call.args):
        return {}
    passed = passed_arguments(fn, call)
    flags: dict[str, bool] = {}
    for param in [*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params]:
        given = passed.get(param.name.value, param.default)
        if isinstance(given, cst.Name) and given.value in ("True", "False"):
            flags[param.name.value] = given.value == "True"
        elif isinstance(given, cst.Name) and given.value in caller and param.name.value in passed:
            flags[param.name.value] = caller[given.value]
        flags.update(_choice_flags(param.name.value, given, caller if param.name.value in passed else {}))
        if isinstance(given, cst.Name) and given.value == "None":
            flags[f"{param.name.value} is None"] = True
        elif given is not None and param.name.value in passed and (given in tensors or not _may_be_none(given)):
            flags[f"{param.name.value} is None"] = False
    if not flags:
        return flags  # most helpers take no flag: no walk of their body
    # a flag the body rebinds (``tensors = not tensors``, ``if scale is None: scale = ...``) is
    # not fixed by the call: the key's first word is the parameter
    rebound = {t.target.value for t in descendants(fn.body, cst.AssignTarget) if isinstance(t.target, cst.Name)}
    rebound |= {a.target.value for a in descendants(fn.body, cst.AugAssign) if isinstance(a.target, cst.Name)}
    return {key: value for key, value in flags.items() if key.split(" ", 1)[0] not in rebound}


def _choice_flags(name: str, given: cst.BaseExpression | None, caller: dict[str, bool]) -> dict[str, bool]:
    """``"<name> == <choice>"``: True for a parameter that is one named choice at the call, a
    string or a dotted constant (``reduction=Reduction.SUM_BY_NONZERO_WEIGHTS``, its default
    left alone, or the caller's own choice passed on as ``reduction=reduction``), which decides
    ``if reduction == Reduction.MEAN:``."""
    if isinstance(given, cst.Name):
        prefix = f"{given.value} == "
        return {f"{name} == {key[len(prefix):]}": True for key in caller if key.startswith(prefix) and caller[key]}
    choice = _choice(given) if given is not None else None
    return {f"{name} == {choice}": True} if choice is not None else {}


def default_choice_flags(fn: FunctionNode) -> dict[str, bool]:
    """The named choices of a loss's own defaults (a loss called with its defaults): see
    :func:`_choice_flags`; none for a parameter the body rebinds."""
    if not isinstance(fn, cst.FunctionDef):
        return {}
    flags: dict[str, bool] = {}
    for param in [*fn.params.params, *fn.params.kwonly_params]:
        flags.update(_choice_flags(param.name.value, param.default, {}))
    if not flags:
        return flags
    rebound = {t.target.value for t in descendants(fn.body, cst.AssignTarget) if isinstance(t.target, cst.Name)}
    return {key: value for key, value in flags.items() if key.split(" ", 1)[0] not in rebound}


def _choice(expr: cst.BaseExpression) -> str | None:
    """A named choice: a plain string literal or a dotted constant (``Reduction.MEAN``)."""
    if isinstance(expr, cst.SimpleString):
        return repr(expr.evaluated_value)
    if isinstance(expr, cst.Attribute):
        dotted = cst_dotted(expr)
        return dotted if dotted is not None and dotted.rsplit(".", 1)[-1].isupper() else None
    return None


def _choice_test(test: cst.BaseExpression, flags: dict[str, bool]) -> bool | None:
    """Whether ``p == X`` (``p != X``, or an ``or`` of such tests) holds where ``p`` is a known
    choice (see :func:`_choice_flags`): two string literals, or two constants of one class
    (``Reduction.MEAN`` vs ``Reduction.SUM``), differ when their spelling does; None when unknown."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        left, right = _choice_test(test.left, flags), _choice_test(test.right, flags)
        if left is True or right is True:
            return True
        return False if left is False and right is False else None
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name)
            and isinstance(test.comparisons[0].operator, (cst.Equal, cst.NotEqual))):
        return None
    other = _choice(test.comparisons[0].comparator)
    prefix = f"{test.left.value} == "
    known = [key[len(prefix):] for key in flags if key.startswith(prefix) and flags[key]]
    if other is None or len(known) != 1:
        return None
    same = known[0] == other
    if not same and not _comparable(known[0], other):
        return None  # a string against a constant, or constants of two classes: may be equal
    return same != isinstance(test.comparisons[0].operator, cst.NotEqual)


def _comparable(a: str, b: str) -> bool:
    """Whether two choices (see :func:`_choice`) differ when they are spelt differently: two
    string literals (their ``repr``), or two constants of one class."""
    strings = [c[:1] in ("'", '"') for c in (a, b)]
    if all(strings):
        return True
    return not any(strings) and a.rsplit(".", 1)[0] == b.rsplit(".", 1)[0]


def _may_be_none(arg: cst.BaseExpression) -> bool:
    """Whether an argument expression can be None: a name or attribute can hold it, and so can
    a call or a conditional; a number, a string, a container or arithmetic cannot."""
    return not isinstance(arg, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString,
                                cst.FormattedString, cst.List, cst.Tuple, cst.Dict, cst.Set,
                                cst.BinaryOperation, cst.UnaryOperation, cst.Subscript))


def _dead_flag_branch(test: cst.BaseExpression, flags: dict[str, bool]) -> str | None:
    """``if tensors:`` / ``if not tensors:`` on a flag the call fixes, and ``if p is None:`` /
    ``if p is not None:`` on a parameter whose None-ness it fixes: "body" when the body never
    runs, "orelse" when the else branch never runs, None otherwise."""
    negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
    name = test.expression if negated and isinstance(test, cst.UnaryOperation) else test
    key = name.value if isinstance(name, cst.Name) else None
    if isinstance(name, cst.Comparison) and len(name.comparisons) == 1 and isinstance(name.left, cst.Name) \
            and literal(name.comparisons[0].comparator) is None \
            and isinstance(name.comparisons[0].operator, (cst.Is, cst.IsNot)):
        key = f"{name.left.value} is None"
        negated = negated != isinstance(name.comparisons[0].operator, cst.IsNot)
    if key is None or key not in flags:
        chosen = _choice_test(name, flags)
        if chosen is None:
            return None
        return "orelse" if chosen != negated else "body"
    holds = flags[key] != negated
    return "orelse" if holds else "body"


#: a distribution's methods that give one value per entry of its batch shape
_DENSITIES = frozenset({"prob", "log_prob", "cdf", "log_cdf", "survival_function", "log_survival_function"})
#: its methods that compare it with another distribution, or measure it alone, per batch entry
_DIVERGENCES = frozenset({"kl_divergence", "cross_entropy", "entropy"})
#: TensorFlow Probability distributions whose parameters' last axis is the event (a vector per
#: batch entry): their batch shape is one axis shorter than ``loc``/``logits``/``probs``
_VECTOR_EVENT = frozenset({"MultivariateNormalTriL", "MultivariateNormalDiag", "MultivariateNormalFullCovariance",
                           "MultivariateNormalDiagPlusLowRank", "Categorical", "OneHotCategorical", "Multinomial",
                           "Dirichlet", "RelaxedOneHotCategorical", "MultivariateStudentTLinearOperator"})
#: the univariate ones: one distribution per entry of their parameters
_SCALAR_EVENT = frozenset({"Normal", "Laplace", "LogNormal", "Gamma", "Beta", "Bernoulli", "Poisson", "StudentT",
                           "Cauchy", "Logistic", "Weibull", "Exponential", "Gumbel", "NegativeBinomial", "HalfNormal",
                           "TruncatedNormal", "Uniform", "LogLogistic", "InverseGamma", "Binomial"})


def distribution_family(canon: str | None) -> str | None:
    """``"vector"``/``"scalar"`` for ``tensorflow_probability.distributions.<Class>`` (its event a
    vector of the last axis, or one number); None for anything else."""
    if canon is None or not canon.startswith(("tensorflow_probability.distributions.",
                                              "tensorflow_probability.python.distributions.")):
        return None
    name = canon.rsplit(".", 1)[-1]
    return "vector" if name in _VECTOR_EVENT else "scalar" if name in _SCALAR_EVENT else None


def _distribution(node: cst.Call, args: list[Value], family: str) -> Value:
    """A distribution built from the loss's tensors: its batch shape is that of its first
    parameter (``loc``, ``logits``, ``probs``, ``rate``...), one axis shorter for a vector event."""
    keyed = {a.keyword.value: v for a, v in zip(node.args, args) if a.keyword is not None}
    positional = [v for a, v in zip(node.args, args) if a.keyword is None]
    first = next((keyed[k] for k in ("loc", "logits", "probs", "rate", "concentration", "total_count",
                                     "concentration1", "low") if k in keyed), positional[0] if positional else None)
    origin: frozenset[Origin] = frozenset().union(*(a.origin for a in args)) if args else frozenset()
    grad = max((a.grad for a in args), default=Grad.NONE)
    tags = frozenset({Tag.DISTRIBUTION})
    if first is None or not first.tensor or first.rel is None:
        return Value(tensor=False, grad=grad, origin=origin, tags=tags)
    rel = first.rel - 1 if family == "vector" else first.rel
    return Value(tensor=False, rel=rel, batch=first.batch, grad=grad, origin=origin, tags=tags)


def _unknown_call(args: list[Value], canon: str | None = None) -> Value:
    """An op the table does not know: keep the gradient (assume differentiable) and origins.
    A function from outside the known libraries (``canon`` given, another root) is FOREIGN."""
    grad = max((a.grad for a in args), default=Grad.NONE)
    origin: frozenset[Origin] = frozenset().union(*(a.origin for a in args)) if args else frozenset()
    marks = frozenset().union(*(a.marks for a in args)) if args else frozenset()
    foreign = canon is not None and canon.split(".", 1)[0] not in LIBRARY_ROOTS
    return Value(grad=grad, origin=origin, marks=marks,
                 tags=frozenset({Tag.OPAQUE, Tag.FOREIGN} if foreign else {Tag.OPAQUE}))


def _passed_through(target: cst.Tuple | cst.List, source: cst.BaseExpression | None,
                    env: Env) -> tuple[Value, ...] | None:
    """``y_true, y_pred = preprocess(y_true, y_pred)``: a call the analysis cannot follow that
    takes names and gives them back in the same places. Each result keeps the provenance and
    gradient of the argument it replaces (labels stay labels), not a mix of both, and its batch
    axis; the rest of its shape is unknown. None for any other unpacking."""
    if not isinstance(source, cst.Call):
        return None
    names = [el.value.value if isinstance(el.value, cst.Name) else None for el in target.elements]
    args = [a.value.value if isinstance(a.value, cst.Name) and a.keyword is None and not a.star else None
            for a in source.args[:len(names)]]
    if len(args) != len(names) or None in names or names != args or any(n not in env.names for n in names):
        return None
    return tuple(Value(grad=env.names[n].grad, origin=env.names[n].origin, tensor=env.names[n].tensor,
                       dtype=env.names[n].dtype, batch=env.names[n].batch) for n in names if n is not None)


def _one_of_batches(value: Value) -> Value:
    """One input of a Layer's list of inputs: a batch of the same provenance."""
    return Value(rel=0, batch=True, dtype=DType.FLOAT, grad=value.grad, origin=value.origin)


def _element_of(value: Value) -> Value:
    if value.has(Tag.BATCHES):
        return _one_of_batches(value)
    if value.has(Tag.RANGE):
        return PYTHON if not value.tensor else Value(rank=0, dtype=DType.INT)
    return Value(grad=value.grad, origin=value.origin, tensor=value.tensor or value.has(Tag.SEQUENCE),
                 tags=frozenset({Tag.FOREIGN}) if value.has(Tag.FOREIGN) else frozenset())


def _labels_only(value: Value) -> bool:
    """A tensor computed from y_true alone that still has its batch axis."""
    return value.tensor and value.batch and value.from_true and not value.from_pred


def _rank_mismatch(left: Value, right: Value) -> bool:
    """Two tensors that both keep the batch axis but differ in rank relative to the inputs
    (not an input indexed on its batch axis: that index is the root cause to report)."""
    if left.has(Tag.BATCH_INDEX) or right.has(Tag.BATCH_INDEX):
        return False
    if labels_below_logits(left, right):
        return False
    return (left.tensor and right.tensor and left.batch and right.batch and left.rel is not None
            and right.rel is not None and left.rel != right.rel)


def _reciprocal_of_count(divisor: Value, node: cst.CSTNode) -> bool:
    """``1 / n`` (``1. / GLOBAL_BATCH_SIZE``), or any number over it (``0.5 / m``: half the mean),
    where ``n`` is a count: a factor that divides by it."""
    if not isinstance(node, cst.BinaryOperation):
        return False
    numerator = literal(node.left)
    return isinstance(numerator, (int, float)) and not isinstance(numerator, bool) and numerator != 0 \
        and _is_count(divisor, node)


def _is_count(value: Value, node: cst.CSTNode) -> bool:
    """A divisor that turns a sum into a mean: a count, the batch size, or another sum."""
    if value.has(Tag.ONE):
        return False  # ``num_events = tf.constant(1.0)``: the name promises a count, the value is 1
    if value.has(Tag.COUNT) or value.has(Tag.BATCH_SIZE) or value.has(Tag.STATIC_BATCH):
        return True
    if value.marked(Mark.SUM_OVER_BATCH) or value.has(Tag.SUM_REDUCED):
        return True
    right = _divisor(node)
    name = _count_name(right) if right is not None else None
    if name is None:
        return False
    # ``n = 480 * 640``, ``N_CLASSES = 10``: a number the file fixes counts pixels or classes,
    # whatever its name says; only one named for the batch (``BATCH_SIZE = 32``) stands for it
    fixed = not value.tensor and value.has(Tag.NUMBER)
    return not fixed or mentions(name, ("batch",))


def _divisor(node: cst.CSTNode) -> cst.BaseExpression | None:
    """What ``node`` divides by: the right side of ``a / b``, the second argument of
    ``tf.math.truediv(a, b)`` or ``tf.divide(a, b)`` (TensorFlow's own losses spell it so)."""
    if isinstance(node, cst.BinaryOperation):
        return node.right
    if isinstance(node, cst.Call):
        return call_arg(node, 1, "y")
    return None


def _count_name(expr: cst.BaseExpression) -> str | None:
    """The name of a divisor named like a count (``n_valid``, ``batch_size`` of
    ``config.batch_size``), also times a number (``2 * config.batch_size``, the 1/2 of a squared
    error); None for any other divisor."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
        sides = (expr.left, expr.right)
        numbers = [s for s in sides if isinstance(s, (cst.Integer, cst.Float))]
        return _count_name(next(s for s in sides if s is not numbers[0])) if len(numbers) == 1 else None
    dotted = cst_dotted(expr)
    name = dotted.rsplit(".", 1)[-1] if dotted is not None else None
    return name if name is not None and mentions(name, COUNT_WORDS) else None


def _is_epsilon(value: Value) -> bool:
    return value.has(Tag.EPSILON) or (not value.tensor and value.has(Tag.NUMBER))


def _module_attribute(imports: ImportTable, dotted: str) -> Value:
    canon = imports.canonical(dotted) or ""
    tail = canon.rsplit(".", 1)[-1]
    tags = {Tag.MODULE}
    if tail.startswith(("float", "bfloat", "half", "double")):
        tags.add(Tag.DTYPE_FLOAT)
    return Value(tensor=False, tags=frozenset(tags))


def _is_staticmethod(fn: cst.FunctionDef) -> bool:
    return any(cst_dotted(d.decorator) in ("staticmethod",) for d in fn.decorators)


def init_number(init: cst.FunctionDef, attr: str) -> float | None:
    """The number ``self.<attr>`` holds when ``__init__`` sets it once, to a number or to a
    parameter whose default is one (``self.std_const = std_const`` with ``std_const=1e-4``): a
    constant the author chose, guard or weight. A value passed at construction instead is not
    seen (a default of 1e-4 says what the constant is for)."""
    assigned = init_assignments(init, attr)
    if len(assigned) != 1:
        return None
    value: cst.BaseExpression | None = assigned[0]
    if isinstance(value, cst.Name):
        value = _parameter_default(init, value.value)
    number = literal(value)
    return float(number) if isinstance(number, (int, float)) and not isinstance(number, bool) else None


def init_assignments(init: cst.FunctionDef, attr: str) -> list[cst.BaseExpression]:
    """The values ``__init__``'s own top-level statements assign to ``self.<attr>``, also as
    one element of a tuple assignment (``self.lo, self.hi = lo, hi``)."""
    if not isinstance(init.body, cst.IndentedBlock):
        return []
    found: list[cst.BaseExpression] = []
    for line in init.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for stmt in line.body:
            if not isinstance(stmt, cst.Assign) or len(stmt.targets) != 1:
                continue
            target = stmt.targets[0].target
            if _self_attribute(target) == attr:
                found.append(stmt.value)
            elif isinstance(target, cst.Tuple) and isinstance(stmt.value, cst.Tuple) \
                    and len(target.elements) == len(stmt.value.elements):
                found += [value.value for element, value in zip(target.elements, stmt.value.elements)
                          if _self_attribute(element.value) == attr]
    return found


#: calls that create a trainable weight
_WEIGHT_MAKERS = frozenset({"add_weight", "add_variable", "Variable"})
#: Keras calls that build (or load) a model: called on a batch, it gives a batch
_MODEL_MAKERS = frozenset({"keras.Model", "keras.models.Model", "keras.Sequential", "keras.models.Sequential",
                           "keras.models.load_model", "keras.saving.load_model"})


def _weight_assignments(method: cst.FunctionDef) -> Iterator[str]:
    """The ``self.<name>`` a method binds to a new weight (``self.add_weight(...)``)."""
    for assign in descendants(method, cst.Assign):
        if isinstance(assign.value, cst.Call) and callee_name(assign.value) in _WEIGHT_MAKERS:
            for target in assign.targets:
                name = _self_attribute(target.target)
                if name is not None:
                    yield name


def _is_property(method: cst.FunctionDef) -> bool:
    return any(cst_dotted(d.decorator) == "property" for d in method.decorators)


def _self_attribute(node: cst.BaseExpression) -> str | None:
    """``name`` for ``self.<name>``, else None."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def evaluate_loss(module: ModuleFacts, spec: LossSpec, node: FunctionNode,
                  closure: Env | None = None, inputs: dict[str, Value] | None = None,
                  flags: dict[str, bool] | None = None) -> Scope:
    """Evaluate a discovered loss with abstract ``y_true``/``y_pred`` inputs (or ``inputs``:
    what the file's only call of the loss passes, see ``analysis.callsites``; ``flags``: its
    True/False parameters at that call, see :func:`literal_flags`)."""
    given = dict(flags or {})
    # its own defaults where the call (if any) fixes nothing else: ``reduction=Reduction.MEAN``
    defaults = {key: value for key, value in default_choice_flags(node).items()
                if not any(k.startswith(key.split(" == ", 1)[0] + " == ") for k in given)}
    scope = Scope(node, spec, flags={**defaults, **given})
    if inputs is None:
        inputs = input_values(spec)
        labels = spec.labels
        if labels in inputs and inputs[labels].rel == 0 and module.mentions_one_hot \
                and _one_hot_labels(module, node, labels):
            # the loss one-hot encodes its own labels: class ids, one rank below the prediction
            inputs = {**inputs, labels: inputs[labels].evolve(rel=-1)}
        predictions = spec.predictions
        if spec.context in (Context.DIRECT, Context.UNKNOWN) and predictions in inputs and labels is not None \
                and _stacked_prediction(node, labels, predictions):
            # its caller passes several predictions shaped like the labels: ``y_pred[1]`` is one
            inputs = {**inputs, predictions: inputs[predictions].with_tags(Tag.BATCHES)}
        elif predictions in inputs and _weights_in_prediction(node, predictions):
            # ``preds, wts = y_pred[0], y_pred[1]``: the caller packs the outputs with their weights
            inputs = {**inputs, predictions: inputs[predictions].with_tags(Tag.BATCHES)}
        inputs = _sequences_by_use(module, node, inputs, labels, predictions)
    Evaluator(module, scope).run(inputs, closure)
    if spec.context is Context.ADD_LOSS:
        scope.returns = list(scope.added)  # the terms are the loss; what the layer returns is not
    return scope


def _weights_in_prediction(node: FunctionNode, predictions: str) -> bool:
    """``preds, wts = y_pred[0], y_pred[1]``: one item of the prediction is bound to a name of
    :data:`~tfshape_lint.analysis.names.WEIGHT_WORDS` next to another: the caller packs outputs
    and per-sample weights into a list (a forecasting library's losses, whole-repository set 45),
    so ``y_pred[0]`` is not a sample. Whatever calls the loss, one sample's weights next to that
    sample's predictions is nothing a loss means."""
    if not isinstance(node, cst.FunctionDef):
        return False
    for assign in descendants(node, cst.Assign):
        target, value = assign.targets[0].target, assign.value
        if len(assign.targets) != 1 or not isinstance(target, cst.Tuple) or not isinstance(value, cst.Tuple) \
                or len(target.elements) != len(value.elements) or len(value.elements) < 2:
            continue
        items = [el.value for el in value.elements]
        if not all(isinstance(v, cst.Subscript) and isinstance(v.value, cst.Name) and v.value.value == predictions
                   and axis0_index(v) is not None for v in items):
            continue
        if any(isinstance(el.value, cst.Name) and mentions(el.value.value, WEIGHT_WORDS) for el in target.elements):
            return True
    return False


def _sequences_by_use(module: ModuleFacts, node: FunctionNode, inputs: dict[str, Value],
                      labels: str | None, predictions: str | None) -> dict[str, Value]:
    """Inputs the body itself uses as Python sequences of batches, tagged so.

    - ``outputs, mask = y_pred`` or ``flow_gt, valid = y_true``: graph mode cannot unpack a
      tensor, so the caller passes Python structures; it is no Keras ``fit``, and passes the other
      input as one too (RAFT's list of per-iteration flows, held-out round 43: ``len(y_pred)``
      counts its items, not samples).
    - ``tf.shape(y_true[0])[0]``: the batch size read from axis 0 of an item (a YOLO loss over
      a list of scales, whole-repository set 46); of one batch, that would be one sample's
      first axis, which no code means by ``[0]`` then ``[0]``.

    A local name that only renames the input (``yolo_outputs = y_pred``) counts as the input."""
    if not isinstance(node, cst.FunctionDef):
        return inputs
    names = {name: name for name in (labels, predictions) if name is not None and name in inputs}
    if not names:
        return inputs
    assigns = descendants(node, cst.Assign)
    for assign in assigns:  # renames, in order: ``yolo_outputs = y_pred``
        if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name) \
                and isinstance(assign.value, cst.Name) and assign.value.value in names:
            names.setdefault(assign.targets[0].target.value, names[assign.value.value])
    unpacked = {names[assign.value.value] for assign in assigns
                if isinstance(assign.value, cst.Name) and assign.value.value in names
                and any(isinstance(t.target, (cst.Tuple, cst.List)) for t in assign.targets)}
    read_as_batch = {names[name] for name in module.batch_lists(node) if name in names}
    # ``for output in outputs: ... output[0] - target[0]``: each item is itself a tuple of batches
    # (a multi-stage pose network's (heatmaps, pafs) per stage), so the input is a list of them
    iterated = {names[loop.iter.value] for loop in descendants(node, cst.For)
                if isinstance(loop.iter, cst.Name) and loop.iter.value in names
                and isinstance(loop.target, cst.Name) and _item_indexed(loop)}
    # an unpacked input keeps its value (its items are what they are: ``num_positives, targets =
    # y_true`` holds a count); the other input is the structure's companion
    structured = unpacked | iterated
    sequences = read_as_batch | iterated | (set(names.values()) - unpacked if structured else set())
    return {name: value.with_tags(Tag.BATCHES) if name in sequences and value.tensor else value
            for name, value in inputs.items()}


def _item_indexed(loop: cst.For) -> bool:
    """The loop's variable is subscripted by a literal integer alone (``output[0]``): the items
    are Python tuples (a tensor's item would be one sample, which no loss indexes so)."""
    name = loop.target.value if isinstance(loop.target, cst.Name) else None
    return any(isinstance(sub.value, cst.Name) and sub.value.value == name and len(sub.slice) == 1
               and axis0_index(sub) is not None for sub in descendants(loop.body, cst.Subscript))


def _items_read_as_batch(module: ModuleFacts, node: cst.FunctionDef) -> Iterator[cst.Subscript]:
    """``x[k]`` of ``tf.shape(x[k])[0]`` and ``x[k].shape[0]``: items whose axis 0 is read; and
    the items :func:`_items_reshaped_to_batch_rows` finds."""
    batch_sizes: set[str] = set()
    for outer in descendants(node, cst.Subscript):
        if axis0_index(outer) != 0 or len(outer.slice) != 1:
            continue
        inner = outer.value
        item: cst.BaseExpression | None = None
        if isinstance(inner, cst.Call) and inner.args \
                and module.imports.canonical_of(inner.func) in _SHAPE_OF:
            item = inner.args[0].value
        elif isinstance(inner, cst.Attribute) and inner.attr.value == "shape":
            item = inner.value
        if isinstance(item, cst.Subscript) and axis0_index(item) is not None and len(item.slice) == 1:
            yield item
        elif isinstance(item, cst.Name):
            batch_sizes.add(code_of(outer))
    if batch_sizes:
        yield from _items_reshaped_to_batch_rows(module, node, batch_sizes)


def _items_reshaped_to_batch_rows(module: ModuleFacts, node: cst.FunctionDef,
                                  batch_sizes: set[str]) -> Iterator[cst.Subscript]:
    """``x[k]`` of ``tf.reshape(x[k], [num_batch * num_prior, 4])`` where ``num_batch`` is one of
    ``batch_sizes`` (``tf.shape(y_true)[0]``, as written) or a name bound to one: an item
    reshaped to rows of the whole batch holds the whole batch (RetinaFace's box, landmark and
    class heads, held-out round 45)."""
    names = {assign.targets[0].target.value for assign in descendants(node, cst.Assign)
             if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)
             and code_of(assign.value) in batch_sizes}
    for call in descendants(node, cst.Call):
        if not call.args or module.imports.canonical_of(call.func) not in _RESHAPES:
            continue
        item, shape = call.args[0].value, call_arg(call, 1, "shape")
        if not (isinstance(item, cst.Subscript) and axis0_index(item) is not None and len(item.slice) == 1
                and isinstance(shape, (cst.List, cst.Tuple)) and shape.elements):
            continue
        lead = shape.elements[0].value
        if code_of(lead) in batch_sizes or any(n.value in names for n in (lead, *descendants(lead, cst.Name))
                                               if isinstance(n, cst.Name)):
            yield item


#: calls giving the shape of their argument
_SHAPE_OF = frozenset({"tf.shape", "K.shape", "K.int_shape", "ops.shape"})
#: reshapes whose first argument is the tensor and second the new shape
_RESHAPES = frozenset({"tf.reshape", "K.reshape", "ops.reshape"})


def _stacked_prediction(node: FunctionNode, labels: str, predictions: str) -> bool:
    """Whether a part of the prediction meets the whole labels in one operation
    (``y_pred[0] - y_true``, ``mse(y_true, y_pred[1])``).

    Where Keras does not call the loss, its caller decides what the prediction is. If
    ``y_pred[0]`` were one sample, subtracting it from the whole batch of labels would compare
    every label with that one sample, which nobody writes on purpose; a first output (a mean head
    next to a variance head) compared with the labels is the usual reading: the prediction is a
    list or stack of batches shaped like the labels."""
    def is_part(expr: cst.CSTNode) -> bool:
        return (isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name)
                and expr.value.value == predictions and len(expr.slice) == 1 and axis0_index(expr) is not None)

    def is_labels(expr: cst.CSTNode) -> bool:
        return isinstance(expr, cst.Name) and expr.value == labels

    if not any(is_part(sub) for sub in descendants(node, cst.Subscript)):
        return False  # most losses never index the prediction on axis 0: one walk, not two
    for op in descendants(node, cst.BinaryOperation):
        if (is_part(op.left) and is_labels(op.right)) or (is_labels(op.left) and is_part(op.right)):
            return True
    return any(any(is_part(a.value) for a in call.args) and any(is_labels(a.value) for a in call.args)
               for call in descendants(node, cst.Call))


def axis0_index(node: cst.Subscript) -> int | None:
    """The integer that indexes axis 0 (``y[1]``, ``y[0, :]``), when the first subscript element
    is one: on a batch it picks a sample, on a list of batches one of them."""
    if not node.slice:
        return None
    first = node.slice[0].slice
    if not isinstance(first, cst.Index) or first.star is not None:
        return None
    value = literal(first.value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


#: calls that keep class ids class ids on the way to ``one_hot``
_ID_PRESERVING = frozenset({"cast", "reshape", "squeeze", "to_int32", "to_int64"})


def _one_hot_labels(module: ModuleFacts, node: FunctionNode, name: str) -> bool:
    """Whether the loss passes its labels parameter itself (through casts, reshapes or squeezes,
    also after rebinding the name to one of those) to ``one_hot``: Keras 3 hands such a loss
    ``(B,)`` class ids for a ``(B, C)`` prediction."""
    def _strip(expr: cst.BaseExpression) -> cst.BaseExpression:
        while isinstance(expr, cst.Call) and expr.args and \
                (module.imports.canonical_of(expr.func) or "").rsplit(".", 1)[-1] in _ID_PRESERVING:
            expr = expr.args[0].value
        return expr

    def _is_name(expr: cst.BaseExpression) -> bool:
        return isinstance(expr, cst.Name) and expr.value == name

    def _encodes(expr: cst.BaseExpression) -> bool:
        return isinstance(expr, cst.Call) and bool(expr.args) \
            and (module.imports.canonical_of(expr.func) or "").endswith("one_hot") \
            and _is_name(_strip(expr.args[0].value))

    calls = [call for call in descendants(node, cst.Call) if _encodes(call)]
    if any(_inner_one_hot_axis(call) for call in calls):
        return False
    encoded = bool(calls)
    # a name rebound to anything but its own cast/reshape/squeeze (or its own one-hot encoding,
    # ``label = tf.one_hot(tf.cast(label, tf.int32), depth)``, evaluated as such) no longer has
    # the parameter's rank
    return encoded and all(_is_name(_strip(assign.value)) or _encodes(assign.value)
                           for assign in descendants(node, cst.Assign)
                           if any(_is_name(t.target) for t in assign.targets))


def evaluate_factory_closure(module: ModuleFacts, factory: cst.FunctionDef, spec: LossSpec,
                             call: cst.Call | None) -> Env:
    """The environment an inner loss closes over: the factory body before its ``return``."""
    scope = Scope(factory, spec, is_helper=True)
    ev = Evaluator(module, scope)
    env = Env()
    ev._bind_defaults(factory, env)
    if call is not None:
        params = [p.name.value for p in factory.params.params]
        outer = Evaluator(module, Scope(factory, spec, is_helper=True))
        local = dict(spec.factory_locals)
        for pos, arg in enumerate(call.args):
            given = arg.value
            if isinstance(given, cst.Name) and given.value in local:
                given = cst.parse_expression(local[given.value])  # assigned once where the call is
            value = outer.expr(given, Env(dict(module.globals.names)))
            if arg.keyword is not None:
                env.names[arg.keyword.value] = value
            elif pos < len(params) and not arg.star:
                env.names[params[pos]] = value
    ev.block(factory.body, env)
    return env


def evaluate_module_globals(module: ModuleFacts, statements: list[cst.CSTNode], spec: LossSpec) -> Env:
    """Values of module-level assignments (constants a loss may read); also records, on
    ``module``, the scope they were evaluated in (where their names' sources are)."""
    placeholder = cst.FunctionDef(name=cst.Name("_module"), params=cst.Parameters(),
                                  body=cst.IndentedBlock(body=[]))
    scope = Scope(placeholder, spec, is_helper=True)
    ev = Evaluator(module, scope)
    env = Env()
    for stmt in statements:
        if isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Assign, cst.AnnAssign)) for s in stmt.body
        ):
            ev.statement(stmt, env)
    module.global_scope = scope
    return env
