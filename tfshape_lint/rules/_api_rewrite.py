"""The call rewriter the removed-API fixes share: a legacy call into its replacement.

It builds the replacement from a table entry (:class:`Rewrite`), keeping the caller's argument
formatting; the table generator runs the same rewriter on sample calls and compares the two
results numerically before it marks an entry ``verified``.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import libcst as cst

from tfshape_lint.analysis.imports import cst_dotted
from tfshape_lint.rules._api_tables import PLACEHOLDER, ROOT_KEYS, Rewrite, Roots
from tfshape_lint.rules._helpers import dotted_expr

# -- building replacement expressions -------------------------------------------------------------
def _fill_roots(text: str, roots: Roots) -> str:
    for key, local in roots.names.items():
        text = text.replace("{" + key + "}", local)
    return text


def rewrite_reference(rewrite: Rewrite, roots: Roots) -> cst.BaseExpression | None:
    """The replacement of a bare reference (``K.mean`` passed as a value), if it is a drop-in."""
    if not rewrite.drop_in or not roots.covers(rewrite) or rewrite.to is None:
        return None
    return dotted_expr(_fill_roots(rewrite.to, roots))


def _bind(call: cst.Call, legacy: Sequence[str]) -> dict[str, cst.Arg] | None:
    """Legacy parameter name -> the argument given for it; None when the call cannot be bound."""
    bound: dict[str, cst.Arg] = {}
    for i, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is None:
            if i >= len(legacy):
                return None
            name = legacy[i]
        else:
            name = arg.keyword.value
            if name not in legacy:
                return None
        if name in bound:
            return None
        bound[name] = arg
    return bound


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_simple(node: cst.BaseExpression) -> bool:
    return cst_dotted(node) is not None


def _rejected(rewrite: Rewrite, bound: Mapping[str, cst.Arg]) -> bool:
    for name, arg in bound.items():
        value = arg.value
        if name in rewrite.reject_none and _is_none(value):
            return True
        if name in rewrite.reject_lambda and isinstance(value, cst.Lambda):
            return True
        if name in rewrite.reject_sequence and isinstance(value, (cst.List, cst.Tuple)):
            return True
        if name in rewrite.simple and not _is_simple(value):
            return True
    return False


def rewrite_call(call: cst.Call, rewrite: Rewrite, roots: Roots,
                 func: cst.BaseExpression | None = None) -> cst.BaseExpression | None:
    """The replacement of ``call`` (with already rewritten arguments), or None if not safe.

    ``func`` is the original callee when ``call`` is an updated copy whose callee was renamed.
    """
    if not roots.covers(rewrite):
        return None
    if rewrite.template is None and rewrite.params is None:
        return call.with_changes(func=rewrite_reference(rewrite, roots)) if rewrite.to else None
    bound = _bind(call, rewrite.legacy)
    if bound is None or _rejected(rewrite, bound):
        return None
    if rewrite.template is not None:
        return _from_template(rewrite.template, bound, roots)
    return _from_params(call, rewrite, bound, roots)


def rewritable(call: cst.Call, rewrite: Rewrite, roots: Roots) -> bool:
    """Whether :func:`rewrite_call` gives a replacement for ``call``: its conditions, checked
    without building anything (templates are parsed, arguments rebuilt), for reports whose
    fix is built only when fixes are asked for."""
    if not roots.covers(rewrite):
        return False
    if rewrite.template is None and rewrite.params is None:
        return bool(rewrite.to)
    bound = _bind(call, rewrite.legacy)
    if bound is None or _rejected(rewrite, bound):
        return False
    if rewrite.template is not None:
        return set(bound) == set(PLACEHOLDER.findall(rewrite.template)) - set(ROOT_KEYS)
    assert rewrite.params is not None
    by_arg = {id(arg): name for name, arg in bound.items()}
    return all(rewrite.params.get(by_arg[id(arg)]) is not None for arg in call.args)


def _keyword(arg: cst.Arg, name: str) -> cst.Arg:
    if arg.keyword is not None:
        return arg.with_changes(keyword=cst.Name(name))
    return arg.with_changes(keyword=cst.Name(name),
                            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                  whitespace_after=cst.SimpleWhitespace("")))


def _new_arg(name: str | None, text: str, roots: Roots) -> cst.Arg:
    value = cst.parse_expression(_fill_roots(text, roots))
    if name is None:
        return cst.Arg(value=value)
    return cst.Arg(value=value, keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def _from_params(call: cst.Call, rewrite: Rewrite, bound: Mapping[str, cst.Arg],
                 roots: Roots) -> cst.Call | None:
    assert rewrite.params is not None and rewrite.to is not None
    by_arg = {id(arg): name for name, arg in bound.items()}
    positional: list[cst.Arg] = []
    keywords: list[cst.Arg] = []
    given: set[str] = set()
    for arg in call.args:
        target_name = rewrite.params.get(by_arg[id(arg)])
        if target_name is None:
            return None  # a legacy argument the replacement does not take
        given.add(target_name)
        if arg.keyword is None and not keywords and _next_is(rewrite.target, positional, target_name):
            positional.append(arg)
        else:
            keywords.append(_keyword(arg, target_name))
    for name, text in rewrite.insert.items():
        if name in given:
            continue
        if not keywords and _next_is(rewrite.target, positional, name):
            positional.append(_new_arg(None, text, roots))
        else:
            keywords.append(_new_arg(name, text, roots))
    keywords += [_new_arg(name, text, roots) for name, text in rewrite.fill.items() if name not in given]
    func = dotted_expr(_fill_roots(rewrite.to, roots))
    return call.with_changes(func=func, args=_commas(call.args, positional + keywords))


def _next_is(order: Sequence[str], positional: Sequence[cst.Arg], name: str) -> bool:
    return len(positional) < len(order) and order[len(positional)] == name


def _commas(original: Sequence[cst.Arg], args: list[cst.Arg]) -> list[cst.Arg]:
    """Give every argument but the last a comma; the last keeps the original trailing comma."""
    last_comma = original[-1].comma if original else cst.MaybeSentinel.DEFAULT
    out: list[cst.Arg] = []
    for i, arg in enumerate(args):
        if i < len(args) - 1:
            if not isinstance(arg.comma, cst.Comma):
                arg = arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        else:
            arg = arg.with_changes(comma=last_comma)
        out.append(arg)
    return out


_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.Imaginary,
           cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple,
           cst.Dict, cst.Set, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, _ATOMIC) or node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class _Holes(cst.CSTTransformer):
    """Fill a template's ``__tfs_<param>__`` holes with the caller's argument expressions."""

    def __init__(self, values: Mapping[str, cst.BaseExpression]) -> None:
        super().__init__()
        self.values = values

    def _value(self, node: cst.CSTNode) -> cst.BaseExpression | None:
        if isinstance(node, cst.Name) and node.value.startswith("__tfs_"):
            return self.values.get(node.value[6:-2])
        return None

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        value = self._value(original_node)
        return _parenthesized(value) if value is not None else updated_node

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        value = self._value(original_node.value)
        return updated_node.with_changes(value=value) if value is not None else updated_node


def _from_template(template: str, bound: Mapping[str, cst.Arg], roots: Roots) -> cst.BaseExpression | None:
    holes = set(PLACEHOLDER.findall(template)) - set(ROOT_KEYS)
    if set(bound) != holes:
        return None
    text = _fill_roots(template, roots)
    text = PLACEHOLDER.sub(lambda m: f"__tfs_{m.group(1)}__", text)
    values = {name: arg.value for name, arg in bound.items()}
    return cst.parse_expression(text).visit(_Holes(values))  # type: ignore[return-value]


# -- the transformer a fix runs over the reported subtree -------------------------------------------
class ApiRewriter(cst.CSTTransformer):
    """Rewrite every fixable removed name inside a subtree (nested calls included).

    ``lookup(dotted)`` gives the rewrite of a dotted expression or None. Calls are rewritten
    as calls (arguments remapped); other references only when the entry is a drop-in rename.
    """

    def __init__(self, lookup: Callable[[cst.CSTNode], Rewrite | None], roots: Roots) -> None:
        super().__init__()
        self.lookup = lookup
        self.roots = roots
        self.callees: set[int] = set()
        self.imports: list[tuple[str, str | None, str | None]] = []
        self.changed = 0

    def visit_Call(self, node: cst.Call) -> bool:
        self.callees.add(id(node.func))
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        rewrite = self.lookup(original_node.func)
        if rewrite is None:
            return updated_node
        new = rewrite_call(updated_node, rewrite, self.roots)
        if new is None:
            return updated_node
        self._used(rewrite)
        return new

    def leave_Attribute(self, original_node: cst.Attribute,
                        updated_node: cst.Attribute) -> cst.BaseExpression:
        if id(original_node) in self.callees:
            return updated_node
        rewrite = self.lookup(original_node)
        new = rewrite_reference(rewrite, self.roots) if rewrite is not None else None
        if new is None or rewrite is None:
            return updated_node
        self._used(rewrite)
        return new.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)

    def _used(self, rewrite: Rewrite) -> None:
        self.changed += 1
        for spec in self.roots.imports_for(rewrite):
            if spec not in self.imports:
                self.imports.append(spec)
