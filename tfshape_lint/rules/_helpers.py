"""Small LibCST helpers shared by several rules (matching and fix building)."""

from __future__ import annotations

import libcst as cst

from tfshape_lint.analysis.tensors import call_arg, has_keyword, literal

__all__ = ["call_arg", "dotted_expr", "has_keyword", "literal", "with_keyword", "replace_keyword"]


def with_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``name=value`` appended, keeping the existing formatting."""
    args = list(call.args)
    if args:
        last = args[-1]
        if last.comma is cst.MaybeSentinel.DEFAULT:
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(cst.Arg(value=value, keyword=cst.Name(name),
                        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                              whitespace_after=cst.SimpleWhitespace(""))))
    return call.with_changes(args=args)


def replace_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with the keyword argument ``name`` set to ``value``."""
    args = [a.with_changes(value=value) if a.keyword is not None and a.keyword.value == name else a
            for a in call.args]
    return call.with_changes(args=args)


def minus_one() -> cst.UnaryOperation:
    return cst.UnaryOperation(operator=cst.Minus(), expression=cst.Integer("1"))


def dotted_expr(dotted: str) -> cst.BaseExpression:
    """``a.b.c`` as a Name/Attribute chain (the ``func`` or module of a rewritten node)."""
    parts = dotted.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def unwrapped(inner: cst.BaseExpression) -> cst.BaseExpression:
    """A reduction's argument standing in for the reduction (``tf.reduce_sum(x)`` -> ``x``),
    parenthesised unless it is an atom."""
    if isinstance(inner, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or getattr(inner, "lpar", None):
        return inner
    return inner.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
