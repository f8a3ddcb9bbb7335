"""Models of the file: what their outputs are and what ``fit`` passes them.

One implementation of the model facts that rules share (TFS502's crossentropy against the final
activation, the rank rules' label ranks): per model built in the file (``Sequential`` lists and
``.add`` calls, functional ``Model(inputs, outputs)`` chains, subclassed models whose ``call``
returns a layer or activation, and models a function of the file builds and returns), the final
activation and output units when known, and the losses ``compile`` receives; per ``fit`` call, the
labels it passes. Typed facts only; rules decide what is a bug.
"""

from __future__ import annotations

from typing import Callable, Sequence

import libcst as cst

from tfshape_lint.analysis.callsites import PLACEHOLDER
from tfshape_lint.analysis.losses import LossSpec
from tfshape_lint.analysis.tensors import Evaluator, ModuleFacts, Scope
from tfshape_lint.analysis.values import Env, Value


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
                ev = Evaluator(facts, Scope(PLACEHOLDER, spec, is_helper=True), depth=2)
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
