"""Where a value goes: whether an expression's value only ever decides something.

NaN and inf travel through arithmetic, but not through a comparison: ``nan > 0.5`` is False,
``argmax`` of a row holding NaN is still an index, and neither has a gradient. An IoU computed
as ``inter / union`` that only picks the responsible box (``argmax``) or builds an ignore mask
(``best_iou > 0.6``) cannot put NaN into the loss or the weights, whatever its denominator.

The question is answered from positive evidence only: every use of the value is followed, and
any use this module does not know (an arithmetic operand, an unknown call, a container, an
attribute store) answers "it may reach the loss". Values pass through a name bound once, the
value branches of ``where``, shape ops, ``max``/``min`` reductions and a helper's ``return``
(to each call the analysis evaluated).
"""

from __future__ import annotations

import libcst as cst

from tfshape_lint.analysis.imports import ImportTable, cst_dotted
from tfshape_lint.analysis.ops import Kind, lookup
from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.source import compact_code, descendants, inside_loop, parent_map, reads_of_binding, target_names

#: ops whose result carries their first argument's values unchanged (rearranged or picked)
_PASS_KINDS = frozenset({Kind.SQUEEZE, Kind.EXPAND, Kind.RESHAPE, Kind.TRANSPOSE, Kind.IDENTITY,
                         Kind.FLATTEN, Kind.CAST})
#: reductions that pick one of the values (a NaN may be picked, and is then compared)
_PICKING_REDUCTIONS = frozenset({"max", "min"})
#: ops whose result holds no value of their argument: a decision or a description of it
_SINK_KINDS = frozenset({Kind.COMPARE, Kind.ARG_REDUCE, Kind.SHAPE, Kind.STATIC_SHAPE, Kind.SIZE})
_SINK_NAMES = frozenset({"K.dtype", "ops.dtype", "builtins.len", "builtins.isinstance", "K.int_shape",
                         "np.shape", "tf.argsort", "np.argsort", "ops.argsort"})
#: calls whose result is some of their first argument's values (a percentile or median of them)
_PICKING_NAMES = frozenset({"tensorflow_probability.stats.percentile", "tfp.stats.percentile", "np.percentile", "np.quantile", "np.median",
                            "ops.quantile", "ops.median"})
#: attributes that describe a tensor without reading its values
_DESCRIPTIVE_ATTRIBUTES = frozenset({"dtype", "shape", "ndim", "name"})
_MAX_DEPTH = 12


def only_decides(scope: Scope, node: cst.BaseExpression, imports: ImportTable) -> bool:
    """Whether every use of ``node``'s value (an expression of ``scope``'s body) ends in a
    comparison, an ``argmax``/``argmin`` or a shape/dtype query, so that no NaN or inf it
    holds can reach the loss's value or its gradient."""
    return _DecisionWalk(imports).follow(scope, node, 0)


def only_fully_reduced(scope: Scope, node: cst.BaseExpression, imports: ImportTable) -> bool:
    """Whether every use of ``node``'s value (an expression of ``scope``'s body) goes through
    elementwise operations into a reduction over all axes (``reduce_mean(x)`` with no axis)
    before anything else sees it: then the shape the value has (a squeeze that also dropped a
    batch axis of size 1, an unknown rank in ``fit``) cannot change the result, which is one
    number either way. Positive evidence only, as :func:`only_decides`."""
    return _ReductionWalk(imports).follow(scope, node, 0)


def only_averaged(scope: Scope, node: cst.BaseExpression, imports: ImportTable) -> bool:
    """Whether every use of ``node``'s value goes straight (through names bound once, a negation)
    into a mean over all axes (``reduce_mean(x)`` with no axis). For a sum or difference that
    broadcasts a ``(B,)`` term against ``(B, 1)`` into ``(B, B)``, the mean of ``a_j + b_i`` over
    the grid is ``mean(a) + mean(b)``: the value, and so the gradient, it meant."""
    return _MeanWalk(imports).follow(scope, node, 0)


def zeroed_with_operand(scope: Scope, node: cst.BaseExpression, operand: cst.BaseExpression,
                        imports: ImportTable) -> bool:
    """Whether ``node`` (``log(p)``, possibly scaled: ``log(p) / log(2.0)``) is the first argument
    of ``multiply_no_nan(node, p)`` with ``p`` the very operand whose 0 is the hazard (the
    entropy term ``p * log(p)``): the value is 0 exactly where the log is ``-inf``, so the loss
    stays finite. The gradient need not be: ``multiply_no_nan`` zeroes the value, not the
    derivative of the log."""
    parents = scope.memo("parents", lambda: parent_map(scope.node))
    child, parent = node, parents.get(node)
    while isinstance(parent, cst.BinaryOperation) and parent.left is child \
            and isinstance(parent.operator, (cst.Divide, cst.Multiply)):
        child, parent = parent, parents.get(parent)
    call = parents.get(parent) if isinstance(parent, cst.Arg) else None
    if not isinstance(call, cst.Call) or len(call.args) != 2 or call.args[0] is not parent:
        return False
    dotted = cst_dotted(call.func)
    canon = imports.canonical(dotted) if dotted is not None else None
    spec = lookup(canon)
    return spec is not None and spec.op == "multiply_no_nan" and \
        compact_code(call.args[1].value) == compact_code(operand)


class _Walk:
    """Follows every use of a value up the tree, through call arguments and the names it is
    bound to; a subclass says what each call does with it (:meth:`_call_use`), which parents
    it climbs through (:meth:`_climbs`) and what the first other parent means (:meth:`_ends`)."""

    #: a name bound more than once ends the walk (its reads may see another value)
    single_store = True

    def __init__(self, imports: ImportTable) -> None:
        self.imports = imports

    def follow(self, scope: Scope, expr: cst.CSTNode, depth: int) -> bool:
        if depth > _MAX_DEPTH:
            return False
        parents = scope.memo("parents", lambda: parent_map(scope.node))
        child, parent = expr, parents.get(expr)
        while True:
            if isinstance(parent, cst.Arg):
                call = parents.get(parent)
                if not isinstance(call, cst.Call):
                    return False
                verdict = self._call_use(call, parent)
                if verdict is not None:
                    return verdict
                child, parent = call, parents.get(call)
            elif parent is not None and self._climbs(parent, child):
                child, parent = parent, parents.get(parent)
            else:
                break
        if isinstance(parent, cst.Assign) and parent.value is child:
            return self._bound_name(scope, parent, depth)
        return self._ends(scope, parent, child, depth)

    def _call_use(self, call: cst.Call, arg: cst.Arg) -> bool | None:
        """True: the walk's question is answered yes on this path; False: no (an unknown use);
        None: the call carries the value on (follow the call's own uses)."""
        raise NotImplementedError

    def _climbs(self, parent: cst.CSTNode, child: cst.CSTNode) -> bool:
        raise NotImplementedError

    def _ends(self, scope: Scope, parent: cst.CSTNode | None, child: cst.CSTNode, depth: int) -> bool:
        return False

    def _canonical(self, call: cst.Call) -> str | None:
        dotted = cst_dotted(call.func)
        return self.imports.canonical(dotted) if dotted is not None else None

    def _bound_name(self, scope: Scope, assign: cst.Assign, depth: int) -> bool:
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            return False
        target = assign.targets[0].target
        name = target.value
        parents = scope.memo("parents", lambda: parent_map(scope.node))
        # ``y = tf.squeeze(y)``: the ``y`` read inside the value is the old one
        inside = {id(n) for n in descendants(assign.value, cst.Name)}
        loads = [n for n in descendants(scope.node, cst.Name) if n.value == name and n is not target
                 and id(n) not in inside and not _is_declaration(parents.get(n), n)]
        if not self.single_store and not inside_loop(parents, assign):
            # reads written before the binding see an earlier value (``y_true =
            # cast(squeeze(y_true))`` then ``y_true = one_hot(y_true)``); a loop would run them again
            order = scope.memo("document_order", lambda: _document_order(scope.node))
            loads = [n for n in loads if order.get(id(n), 0) > order.get(id(target), 0)]
        if self.single_store:
            stores = [t for t in descendants(scope.node, cst.AssignTarget) if name in target_names(t.target)]
            if any(name in target_names(a.target) for a in descendants(scope.node, cst.AugAssign)):
                return False
            if len(stores) != 1:
                # YOLO's two ``iou_scores = inter / union``: one weights the target, one is compared
                reached = reads_of_binding(scope.node, parents, assign, name, loads)
                if reached is None:
                    return False
                loads = reached
        return bool(loads) and all(self.follow(scope, load, depth + 1) for load in loads)


class _DecisionWalk(_Walk):
    def _climbs(self, parent: cst.CSTNode, child: cst.CSTNode) -> bool:
        # arithmetic carries a NaN on unchanged, so a sum or product that only decides makes its
        # operands only decide too (``threshold = q75 + 1.5 * iqr``, then ``score > threshold``)
        return isinstance(parent, (cst.ComparisonTarget, cst.BinaryOperation, cst.UnaryOperation)) or \
            (isinstance(parent, cst.Subscript) and parent.value is child)

    def _call_use(self, call: cst.Call, arg: cst.Arg) -> bool | None:
        """True: the call only decides; False: it may carry the value on in an unknown way;
        None: it carries the value unchanged (follow the call's own uses)."""
        canon = self._canonical(call)
        if canon in _SINK_NAMES:
            return True
        if canon in _PICKING_NAMES:
            return None if call.args and call.args[0] is arg and arg.keyword is None else False
        spec = lookup(canon)
        if spec is None:
            return False
        if spec.kind in _SINK_KINDS:
            return True
        first = call.args[0] is arg if call.args else False
        if spec.kind is Kind.FILL_LIKE and first:
            return True  # ``ones_like(iou)`` takes the shape, not a value
        if spec.kind in _PASS_KINDS or (spec.kind is Kind.REDUCE and spec.op in _PICKING_REDUCTIONS):
            return None if first and arg.keyword is None else False
        if spec.kind is Kind.WHERE and len(call.args) == 3 and not first:
            return None  # a value branch of where(cond, a, b)
        return False

    def _ends(self, scope: Scope, parent: cst.CSTNode | None, child: cst.CSTNode, depth: int) -> bool:
        if isinstance(parent, (cst.Comparison, cst.ComparisonTarget)):
            return True
        if isinstance(parent, cst.Attribute) and parent.value is child:
            return parent.attr.value in _DESCRIPTIVE_ATTRIBUTES
        if isinstance(parent, cst.Return) and parent.value is child:
            return self._returned(scope, depth)
        if isinstance(parent, cst.Lambda) and parent.body is child and parent is scope.node:
            # ``map_fn(lambda x: reduce_max(iou(x[0], x[1]), -1), ...)``: the lambda's value is
            # what its call (the mapping) stacks
            return self._returned(scope, depth)
        return False

    def _returned(self, scope: Scope, depth: int) -> bool:
        """A helper's return value: what each call the analysis evaluated does with it."""
        if not scope.is_helper or scope.parent is None or not scope.callers:
            return False
        if not isinstance(scope.node, cst.Lambda) and len(descendants(scope.node, cst.Return)) != 1:
            return False
        return all(self.follow(scope.parent, call, depth + 1) for call in scope.callers)


#: elementwise ops (broadcasting their operands): a squeezed operand's lost batch axis of size 1
#: broadcasts back, so where their result goes decides
_ELEMENTWISE_KINDS = frozenset({Kind.UNARY, Kind.CUT_UNARY, Kind.BINARY, Kind.COMPARE, Kind.WHERE,
                                Kind.CAST, Kind.CLIP, Kind.IDENTITY})


class _ReductionWalk(_Walk):
    #: every read of the name anywhere, whichever binding it sees (``acc = equal(...)`` then
    #: ``acc = logical_or(acc, mask)``): a rebinding to something else is read somewhere too,
    #: and that read must pass as well
    single_store = False

    def _climbs(self, parent: cst.CSTNode, child: cst.CSTNode) -> bool:
        return isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation, cst.ComparisonTarget, cst.Comparison))

    def _call_use(self, call: cst.Call, arg: cst.Arg) -> bool | None:
        """True: a reduction over all axes or a print; None: elementwise (follow the call);
        False: anything else."""
        spec = lookup(self._canonical(call))
        if spec is None:
            return False
        if spec.kind is Kind.PRINT:
            return True  # ``print``/``tf.print``: shown, not computed with
        if spec.kind is Kind.REDUCE:
            first = bool(call.args) and call.args[0] is arg and arg.keyword is None
            return first and spec.op in ("mean", "sum") and len(call.args) == 1
        if spec.kind in (Kind.ONE_HOT, Kind.FLATTEN) and call.args and call.args[0] is arg:
            # ``one_hot(squeeze(labels))`` adds a trailing axis, ``K.flatten`` leaves one: at a
            # batch of one the missing leading axis broadcasts back, the values are the same
            return None
        return None if spec.kind in _ELEMENTWISE_KINDS else False


class _MeanWalk(_Walk):
    def _climbs(self, parent: cst.CSTNode, child: cst.CSTNode) -> bool:
        return isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Minus)

    def _call_use(self, call: cst.Call, arg: cst.Arg) -> bool | None:
        """True: the only argument of a mean over all axes; False: anything else."""
        spec = lookup(self._canonical(call))
        return spec is not None and spec.kind is Kind.REDUCE and spec.op == "mean" and len(call.args) == 1 \
            and call.args[0] is arg and arg.keyword is None


def _document_order(root: cst.CSTNode) -> dict[int, int]:
    """The position of each node of ``root`` in source order (``descendants`` has none)."""
    order: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        order[id(node)] = len(order)
        stack.extend(reversed(node.children))
    return order


def _is_declaration(parent: cst.CSTNode | None, name: cst.Name) -> bool:
    """A name that is not a read of the value: an attribute's own name, a keyword's name, a
    parameter, a def's name."""
    if isinstance(parent, cst.Attribute) and parent.attr is name:
        return True
    if isinstance(parent, cst.Arg) and parent.keyword is name:
        return True
    return isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.AssignTarget)) and \
        getattr(parent, "name", getattr(parent, "target", None)) is name
