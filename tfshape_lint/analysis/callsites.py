"""Values across calls: a loss called once in the file gets what that call passes.

A loss analysed on its own sees abstract inputs: ``y_true`` and ``y_pred`` of one rank with a
batch axis. When the file calls it exactly once (a custom loop, ``add_loss``, a check script),
the arguments there say more: a Python tuple of embeddings is a tuple, not a batch;
``Input(shape=(1,))`` and ``Dense(1)`` outputs are ``(B, 1)``; a numpy column ``x[:, 0]`` is
``(N,)``. Those values replace the abstract inputs, with ranks expressed relative to
``y_pred`` the way the evaluator counts them.
"""

from __future__ import annotations


import libcst as cst

from tfshape_lint.analysis.losses import LossSpec
from tfshape_lint.analysis.tensors import (
    Evaluator,
    FunctionNode,
    MODEL_TENSOR,
    ModuleFacts,
    Scope,
    input_values,
)
from tfshape_lint.analysis.values import UNKNOWN, Origin, Tag, Value
from tfshape_lint.source import visit_read_only

PLACEHOLDER = cst.FunctionDef(name=cst.Name("_module"), params=cst.Parameters(),
                               body=cst.IndentedBlock(body=[]))


class _CallFinder(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found: cst.Call | None = None

    def visit_Call(self, node: cst.Call) -> bool:
        if self.found is None and isinstance(node.func, cst.Name) and node.func.value == self.name:
            self.found = node
        return self.found is None


def find_call(root: cst.CSTNode, name: str) -> cst.Call | None:
    """The first call of the plain name ``name`` under ``root``."""
    finder = _CallFinder(name)
    visit_read_only(root, finder)
    return finder.found


def passed_values(facts: ModuleFacts, spec: LossSpec, caller: cst.FunctionDef | None,
                  root: cst.CSTNode) -> tuple[cst.Call, list[Value], Scope] | None:
    """The call of the loss under ``root``, the values of its arguments there and the scope
    that evaluated them.

    ``caller`` is the def holding the call (its body is evaluated with unknown parameters), or
    None for a module-level call, whose arguments are read against the module's globals.
    """
    call = find_call(caller if caller is not None else root, spec.path[-1])
    if call is None:
        return None
    if caller is None:
        scope = Scope(PLACEHOLDER, spec, is_helper=True)
        ev = Evaluator(facts, scope, depth=2)
        env = facts.globals.copy()
        values = []
        for arg in call.args:
            values.append(ev.expr(arg.value, env))
            scope.values.setdefault(arg.value, values[-1])
        return call, values, scope
    scope = Scope(caller, spec, is_helper=True)
    Evaluator(facts, scope, depth=2).run({})
    return call, [scope.values.get(arg.value, UNKNOWN) for arg in call.args], scope


def bound_inputs(spec: LossSpec, fn: FunctionNode, call: cst.Call, values: list[Value]) -> dict[str, Value]:
    """The loss's inputs with what ``call`` passes, ranks relative to ``y_pred``."""
    inputs = input_values(spec)
    params = [p.name.value for p in list(fn.params.posonly_params) + list(fn.params.params)]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    passed: dict[str, Value] = {}
    positional = [v for a, v in zip(call.args, values) if a.keyword is None and not a.star]
    if any(a.star for a in call.args):
        return inputs
    for name, value in zip(params, positional):
        passed[name] = value
    for arg, value in zip(call.args, values):
        if arg.keyword is not None:
            passed[arg.keyword.value] = value
    labels, preds = spec.labels, spec.predictions
    ref = _reference_rank(passed.get(preds or ""), passed.get(labels or ""))
    out = dict(inputs)
    for name, value in passed.items():
        if name in (labels, preds) or spec.adversarial and name in inputs:
            out[name] = _as_input(inputs[name], value, ref)
        elif spec.added and not (value.tensor and value.batch):
            out[name] = _model_tensors(value)
        elif ref is not None and value.tensor and value.rank is not None and value.rel is None and value.batch:
            out[name] = value.evolve(rel=value.rank - ref, rank=None, origin=value.origin | {Origin.DATA})
        elif not value.tensor and value.has(Tag.SEQUENCE) or value.tensor and value.rank is not None:
            out[name] = value
    return out


def _model_tensors(value: Value) -> Value:
    """What a model-level ``add_loss`` call passes that the analysis cannot follow (layer
    outputs): a model tensor, or a tuple of them where the call passes a tuple."""
    if not value.tensor and value.has(Tag.SEQUENCE) and value.items:
        items = tuple(item if item.tensor and item.batch else MODEL_TENSOR for item in value.items)
        return Value(tensor=False, tags=frozenset({Tag.SEQUENCE}), length=len(items), items=items)
    return MODEL_TENSOR


def _reference_rank(pred: Value | None, label: Value | None) -> int | None:
    """The rank the inputs' ``rel`` counts from: y_pred's, else the labels' (same by convention)."""
    for value in (pred, label):
        if value is not None and value.tensor and value.rel is None and value.rank is not None and value.rank > 0:
            return value.rank
    return None


def _as_input(base: Value, value: Value, ref: int | None) -> Value:
    """``base`` (an abstract input) refined by the value the call passes for it."""
    if not value.tensor and value.has(Tag.SEQUENCE) and value.items:
        # a tuple/list of tensors: each element is a batch of this input; of one rank when the
        # call shows they all have the same (anchor, positive, negative), else of unknown rank
        ranks = {item.rank for item in value.items}
        same = len(ranks) == 1 and None not in ranks
        element = base.evolve(tags=base.tags - {Tag.INPUT}) if same else \
            base.evolve(rel=None, rank=None, tags=base.tags - {Tag.INPUT})
        items = tuple(element for _ in value.items)
        return Value(tensor=False, tags=frozenset({Tag.SEQUENCE}), length=len(items), items=items,
                     origin=base.origin, grad=base.grad)
    if value.tensor and value.rel is None and value.rank is not None and ref is not None:
        return base.evolve(rel=value.rank - ref)
    return base
