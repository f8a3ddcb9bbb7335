"""Values across calls: a loss called once in the file gets what that call passes.

A loss analysed on its own sees abstract inputs: ``y_true`` and ``y_pred`` of one rank with a
batch axis. When the file calls it exactly once (a custom loop, ``add_loss``, a check script),
the arguments there say more: a Python tuple of embeddings is a tuple, not a batch;
``Input(shape=(1,))`` and ``Dense(1)`` outputs are ``(B, 1)``; a numpy column ``x[:, 0]`` is
``(N,)``. Those values replace the abstract inputs, with ranks expressed relative to
``y_pred`` the way the evaluator counts them.
"""

from __future__ import annotations

from typing import Callable, Sequence

import libcst as cst

from tfshape_lint.analysis.losses import LossSpec
from tfshape_lint.analysis.tensors import (
    Evaluator,
    FunctionNode,
    ModuleFacts,
    Scope,
    input_values,
)
from tfshape_lint.analysis.values import UNKNOWN, Env, Grad, Origin, Tag, Value

_PLACEHOLDER = cst.FunctionDef(name=cst.Name("_module"), params=cst.Parameters(),
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
    root.visit(finder)
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
        scope = Scope(_PLACEHOLDER, spec, is_helper=True)
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
    labels, preds = (spec.params + (None, None))[:2]
    ref = _reference_rank(passed.get(preds or ""), passed.get(labels or ""))
    out = dict(inputs)
    for name, value in passed.items():
        if name in (labels, preds):
            out[name] = _as_input(inputs[name], value, ref)
        elif ref is not None and value.tensor and value.rank is not None and value.rel is None and value.batch:
            out[name] = value.evolve(rel=value.rank - ref, rank=None, origin=value.origin | {Origin.DATA})
        elif not value.tensor and value.has(Tag.SEQUENCE) or value.tensor and value.rank is not None:
            out[name] = value
    return out


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


def fit_label_ranks(facts: ModuleFacts, modules: list[cst.Module], spec: LossSpec) -> list[int | None]:
    """The rank of the labels each ``fit`` call of the file passes (None: unknown, a dataset).

    Only calls at module level or in a top-level function are read; the labels are the
    second positional argument or ``y=``, evaluated against the module's globals or that
    function's body. ``(N,)`` labels reach a Loss subclass's ``call`` as ``(B,)``: Keras 3
    aligns labels only for loss functions (measured: ``(4,)`` and ``(4, 1)`` outputs).
    """
    ranks: list[int | None] = []
    for module in modules:
        for stmt in module.body:
            body: cst.CSTNode = stmt.body if isinstance(stmt, cst.FunctionDef) else stmt
            finder = _FitFinder()
            body.visit(finder)
            if not finder.calls:
                continue
            assigned = _assignments(modules, stmt)
            if isinstance(stmt, cst.FunctionDef):
                scope = Scope(stmt, spec, is_helper=True)
                Evaluator(facts, scope, depth=2).run({})
                ev = Evaluator(facts, scope, depth=2)
                values = [_label_value(call, lambda e: scope.values.get(e) or ev.expr(e, Env()), assigned)
                          for call in finder.calls]
            else:
                ev = Evaluator(facts, Scope(_PLACEHOLDER, spec, is_helper=True), depth=2)
                env = facts.globals.copy()
                values = [_label_value(call, lambda e: ev.expr(e, env), assigned) for call in finder.calls]
            ranks.extend(v.rank if v is not None and v.tensor and v.rel is None else None for v in values)
    return ranks


def _label_value(call: cst.Call, evaluate: Callable[[cst.BaseExpression], Value],
                 assigned: dict[str, list[cst.BaseExpression]]) -> Value | None:
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "y":
            return evaluate(arg.value)
    if len(positional) >= 2:
        return evaluate(positional[1].value)
    labels = _dataset_labels(positional[0].value, assigned) if positional else None
    return evaluate(labels) if labels is not None else None


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


def _assignments(modules: list[cst.Module], stmt: cst.CSTNode) -> dict[str, list[cst.BaseExpression]]:
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
