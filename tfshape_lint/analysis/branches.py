"""Which values a branch has already tested against 0 where an expression runs.

``if ref == 0: return mse`` / ``else: return mse / ref`` divides only where ``ref`` is not 0:
the test is the guard, as ``divide_no_nan`` would be. The same holds for ``x / n if n > 0
else 0``, for ``if n > 0: loss = s / n`` and for an early exit (``if n == 0: return 0.0``)
before the division in the same block. In graph code autograph turns these tests into
``tf.cond``, which evaluates only the branch taken; so the value and the gradient never see the
division by 0.

Only tests of the operand's own text against a literal 0 count (``==``, ``!=``, ``>``, ``<=``,
their mirrored forms, ``tf.equal``/``tf.greater``/... and ``not``), and tests of its smallest
entry (``tf.reduce_min(tf.abs(bias)) <= 1e-15``) against a threshold that is not negative: a
test of anything else says nothing about the operand.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from tfshape_lint.analysis.tensors import Scope
from tfshape_lint.source import callee_name, compact_code, parent_map

#: comparison operators -> True when "operand OP 0" excludes 0, False when it means == 0
_NONZERO_WHEN_TRUE = {cst.NotEqual: True, cst.GreaterThan: True, cst.Equal: False, cst.LessThanEqual: False}
#: the same with the 0 on the left ("0 OP operand")
_NONZERO_WHEN_TRUE_MIRRORED = {cst.NotEqual: True, cst.LessThan: True, cst.Equal: False,
                               cst.GreaterThanEqual: False}
#: comparison ops as functions (last name of tf.math.not_equal, K.greater, ops.equal ...)
_NONZERO_CALLS = {"not_equal": True, "greater": True, "equal": False, "less_equal": False}
_EXITS = (cst.Return, cst.Raise, cst.Continue, cst.Break)


def tested_nonzero(scope: Scope, node: cst.CSTNode, operand: cst.BaseExpression) -> bool:
    """Whether ``node`` (inside ``scope``'s body) only runs where a branch has found
    ``operand`` to be non-zero: in the branch of an ``if``/conditional expression that a test
    of ``operand`` against 0 selects, or after an ``if operand == 0:`` block that exits."""
    text = _text(operand)
    if text is None:
        return False
    parents = scope.memo("parents", lambda: parent_map(scope.node))
    child, parent = node, parents.get(node)
    while parent is not None and child is not scope.node:
        if isinstance(parent, (cst.If, cst.IfExp)) and child is not parent.test:
            in_body = child is parent.body
            verdict = _nonzero_when(parent.test, text)
            if verdict is not None and verdict == in_body:
                return True
        if isinstance(parent, (cst.IndentedBlock, cst.Module)) and isinstance(child, cst.BaseStatement):
            if _exited_before(parent.body, child, text):
                return True
        child, parent = parent, parents.get(parent)
    return False


def _exited_before(body: Sequence[cst.BaseStatement], statement: cst.BaseStatement, text: str) -> bool:
    """An ``if operand == 0: ... return`` (no ``else``) among the statements before
    ``statement`` in the same block."""
    for earlier in body:
        if earlier is statement:
            return False
        if isinstance(earlier, cst.If) and earlier.orelse is None and _nonzero_when(earlier.test, text) is False \
                and _ends_in_exit(earlier.body):
            return True
    return False


def _ends_in_exit(block: cst.BaseSuite) -> bool:
    last = block.body[-1] if isinstance(block, cst.IndentedBlock) and block.body else None
    if isinstance(block, cst.SimpleStatementSuite):
        return bool(block.body) and isinstance(block.body[-1], _EXITS)
    if isinstance(last, cst.SimpleStatementLine):
        return bool(last.body) and isinstance(last.body[-1], _EXITS)
    return False


def _nonzero_when(test: cst.BaseExpression, text: str) -> bool | None:
    """True: the test holds only where the operand is not 0; False: the test fails only where
    the operand is not 0 (it tests ``== 0``); None: it says nothing about the operand."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _nonzero_when(test.expression, text)
        return None if inner is None else not inner
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        right = test.comparisons[0].comparator
        operator = type(test.comparisons[0].operator)
        if _is_zero(right) and _text(test.left) == text:
            return _NONZERO_WHEN_TRUE.get(operator)
        if _is_zero(test.left) and _text(right) == text:
            return _NONZERO_WHEN_TRUE_MIRRORED.get(operator)
        return _smallest_exceeds(test.left, operator, right, text)
    if isinstance(test, cst.Call) and len(test.args) == 2:
        name = callee_name(test)
        first, second = (arg.value for arg in test.args)
        if name in _NONZERO_CALLS and _is_zero(second) and _text(first) == text:
            return _NONZERO_CALLS[name]
    return None


#: whole-tensor minimum reductions (``tf.reduce_min(x)``, ``K.min(x)``, ``np.min(x)``)
_MINIMA = frozenset({"reduce_min", "min", "amin"})


def _smallest_exceeds(left: cst.BaseExpression, operator: type, right: cst.BaseExpression,
                      text: str) -> bool | None:
    """``tf.reduce_min(tf.abs(x)) <= 1e-15`` (or ``reduce_min(x) > 0``): a test of the smallest
    entry of the whole operand against a threshold that is not negative. Where the smallest
    (absolute) entry exceeds it, no entry is 0. True/False as ``_nonzero_when``; None when the
    test is not of that shape."""
    if not (isinstance(left, cst.Call) and len(left.args) == 1 and left.args[0].keyword is None
            and callee_name(left) in _MINIMA):
        return None
    inner = left.args[0].value
    if isinstance(inner, cst.Call) and len(inner.args) == 1 and callee_name(inner) == "abs":
        inner = inner.args[0].value
    threshold = _number(right)
    if _text(inner) != text or threshold is None or threshold < 0:
        return None
    if operator is cst.GreaterThan or operator is cst.GreaterThanEqual and threshold > 0:
        return True
    if operator is cst.LessThanEqual or operator is cst.LessThan and threshold > 0:
        return False
    return None


def _number(node: cst.BaseExpression) -> float | None:
    node = _bare(node)
    return float(node.value.replace("_", "")) if isinstance(node, (cst.Integer, cst.Float)) else None


def _is_zero(node: cst.BaseExpression) -> bool:
    return _number(node) == 0.0


def _bare(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=(), rpar=()) if node.lpar else node


def _text(node: cst.BaseExpression) -> str | None:
    """The operand's code without brackets and spaces (names, attributes, subscripts only: a
    call could return another value each time)."""
    node = _bare(node)
    if not isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)):
        return None
    return compact_code(node)
