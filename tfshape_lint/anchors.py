"""Positions of reported nodes from the nearest statement the stdlib ``ast`` already placed.

:func:`tfshape_lint.source.locate` finds a node's position with a counting code generation pass
over its unit from the top, up to the node. Every statement's first token is already known
from the file's ``ast`` parse, so this module generates code only from the innermost statement
around the node: it finds the node's ancestors (a walk that only compares identities), pairs
each statement on that path with its ``ast`` statement (statement lists correspond one to one
once simple statement lines are split at their semicolons), and runs the same counting pass
over that statement alone, shifted so that the statement's syntactic start lands on the
``ast`` position. The result is exact, not an estimate: the code written for the statement is
compared with the unit's text at the shifted place, and any node whose pairing is not certain
(no statement around it, lists that do not pair, a mismatch) is left to the caller's full pass.
"""

from __future__ import annotations

import ast
import typing
from typing import Any, Callable, Collection, Sequence

import libcst as cst

from tfshape_lint.source import LineTable, Located, _Counting, _Done, _Syntactic, _child_fields, \
    _is_node, _trivia_types

Path = tuple[cst.CSTNode, ...]


def locate_from_statements(module: cst.Module, nodes: Collection[cst.CSTNode], text: str,
                           lines: LineTable, statements: Sequence[ast.stmt], first_line: int,
                           inclusive: Collection[cst.CSTNode] = ()) -> tuple[dict[cst.CSTNode, Located],
                                                                             list[cst.CSTNode]]:
    """Positions of those ``nodes`` that can be placed from their statement, and the nodes of
    the module that cannot (for a full pass); nodes not in the module are in neither.

    ``statements`` are the ``ast`` statements the unit's text holds at its top level, in
    order; ``first_line`` is the file line of the text's first line (``ast`` numbers lines
    in the file). Only the nodes in ``inclusive`` are sure to get their whitespace-inclusive
    offsets and indentation (what a fix needs); the others may be placed by their ``ast``
    counterpart alone, with offsets -1 and no indentation.
    """
    wanted = {id(node): node for node in nodes}
    paths = _paths(module, wanted)
    must_generate = {id(node) for node in inclusive}
    groups: dict[int, tuple[cst.CSTNode, ast.stmt, tuple[str, ...], dict[str, bool], list[cst.CSTNode]]] = {}
    unplaced: list[cst.CSTNode] = []
    out: dict[cst.CSTNode, Located] = {}
    known: dict[int, dict[int, ast.stmt] | None] = {}
    for key, path in paths.items():
        anchor = _anchor(module, path, statements, known)
        if anchor is None:
            unplaced.append(wanted[key])
            continue
        depth, counterpart, indent, kwargs = anchor
        if key not in must_generate:
            found = _ast_range(path, depth, counterpart)
            where = _located(found, text, lines, first_line) if found is not None else None
            if where is not None:
                out[wanted[key]] = where
                continue
        statement = path[depth]
        group = groups.get(id(statement))
        if group is None:
            group = groups[id(statement)] = (statement, counterpart, indent, kwargs, [])
        group[4].append(wanted[key])
    for statement, node, indent, kwargs, members in groups.values():
        start = _char_offset(text, lines, node.lineno - first_line, node.col_offset)
        placed = _locate_in_statement(module, statement, start, indent, kwargs, members, text, lines) \
            if start is not None else {}
        out.update(placed)
        unplaced.extend(member for member in members if member not in placed)
    return out, unplaced


def _located(node: ast.AST, text: str, lines: LineTable, first_line: int) -> Located | None:
    """The range of an ``ast`` node in the text, without whitespace-inclusive offsets."""
    end_lineno, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    if end_lineno is None or end_col is None:
        return None
    start = _char_offset(text, lines, node.lineno - first_line, node.col_offset)  # type: ignore[attr-defined]
    end = _char_offset(text, lines, end_lineno - first_line, end_col)
    if start is None or end is None:
        return None
    line, column = lines.position(start)
    end_line, end_column = lines.position(end)
    return Located(line, column, end_line, end_column, -1, -1, ())


def _paths(root: cst.CSTNode, wanted: dict[int, cst.CSTNode]) -> dict[int, Path]:
    """The ancestors (root first, the node last) of each wanted node found under ``root``.

    Whitespace, operators and brackets are not entered (nor the fields that can only hold
    them read) unless a wanted node is one of them. The last children are searched first:
    the reported nodes of a function are most often in its last statement, the return.
    """
    trivia = _trivia_types()
    every = any(type(node) in trivia for node in wanted.values())
    skip: frozenset[type] = frozenset() if every else trivia
    fields_of = _FIELDS if every else _STRUCTURAL
    found: dict[int, Path] = {}
    remaining = len(wanted)
    path: list[cst.CSTNode] = []
    stack: list[tuple[cst.CSTNode, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        del path[depth:]
        path.append(node)
        if id(node) in wanted:
            found[id(node)] = tuple(path)
            remaining -= 1
            if not remaining:
                break
        kind = type(node)
        names = fields_of.get(kind)
        if names is None:
            names = fields_of[kind] = _child_fields(kind) if every else _structural_fields(kind)
        depth += 1
        for name in names:
            value = getattr(node, name)
            value_type = type(value)
            if value_type is list or value_type is tuple:
                for item in value:
                    item_type = type(item)
                    if item_type not in skip and _is_node(item_type):
                        stack.append((item, depth))
            elif value_type not in skip and _is_node(value_type):
                stack.append((value, depth))
    return found


#: node type -> its dataclass fields
_FIELDS: dict[type, tuple[str, ...]] = {}
#: node type -> the fields whose declared type admits a node other than whitespace, an
#: operator or a bracket (:func:`_structural_fields`)
_STRUCTURAL: dict[type, tuple[str, ...]] = {}


def _structural_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that may hold a node :func:`_paths` has to enter, read from
    LibCST's type annotations (all fields where they cannot be read)."""
    try:
        hints = typing.get_type_hints(kind)
    except Exception:  # an annotation that does not resolve: read every field
        return _child_fields(kind)
    trivia = _trivia_types()
    trivial_modules = ("libcst._nodes.whitespace", "libcst._nodes.op")  # as _trivia_types reads

    def structural(hint: object) -> bool:
        args = typing.get_args(hint)
        if args:
            return typing.get_origin(hint) is not typing.Literal and any(structural(a) for a in args)
        if not isinstance(hint, type):
            return True  # unknown: enter it
        return issubclass(hint, cst.CSTNode) and hint not in trivia and hint.__module__ not in trivial_modules

    return tuple(name for name in _child_fields(kind) if name not in hints or structural(hints[name]))


def _anchor(module: cst.Module, path: Path, statements: Sequence[ast.stmt],
            known: dict[int, dict[int, ast.stmt] | None]) -> tuple[int, ast.stmt, tuple[str, ...],
                                                               dict[str, bool]] | None:
    """The depth on ``path`` of the innermost statement that pairs with an ``ast`` statement,
    that statement, the indentation in force where it is written and the arguments its parent
    passes to its code generation; None when the outermost statement cannot be paired.
    ``known``: the pairs of the blocks already paired (by id of their owner), shared by the
    paths of one module."""
    pairs = known.get(id(module), _UNKNOWN)
    if pairs is _UNKNOWN:
        pairs = known[id(module)] = _pair(module.body, statements)
    best: tuple[int, ast.stmt] | None = None
    for depth in range(1, len(path)):
        node = path[depth]
        if pairs is None:
            break
        counterpart = pairs.get(id(node))
        if counterpart is None:
            continue
        best = (depth, counterpart)
        pairs = known.get(id(node), _UNKNOWN)
        if pairs is _UNKNOWN:
            pairs = known[id(node)] = _block_pairs(node, counterpart)
    if best is None:
        return None
    depth, counterpart = best
    statement = path[depth]
    indent = tuple(module.default_indent if block.indent is None else block.indent
                   for block in path[:depth] if type(block) is cst.IndentedBlock)
    parent = path[depth - 1]
    kwargs: dict[str, bool] = {}
    if isinstance(statement, cst.BaseSmallStatement):
        if not isinstance(parent, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return None
        kwargs["default_semicolon"] = parent.body[-1] is not statement
    elif type(statement) is cst.If and type(parent) is cst.If:
        kwargs["is_elif"] = True
    return depth, counterpart, indent, kwargs


_UNKNOWN: dict[int, ast.stmt] = {}


def _flatten(body: Sequence[cst.CSTNode]) -> list[cst.CSTNode]:
    """A block's statements as ``ast`` lists them: a simple statement line split at semicolons."""
    out: list[cst.CSTNode] = []
    for stmt in body:
        if type(stmt) is cst.SimpleStatementLine:
            out.extend(stmt.body)
        else:
            out.append(stmt)
    return out


def _pair(body: Sequence[cst.CSTNode], statements: Sequence[ast.stmt]) -> dict[int, ast.stmt] | None:
    """id(LibCST statement) -> its ``ast`` statement; None when the lists do not correspond."""
    flat = _flatten(body)
    if len(flat) != len(statements):
        return None
    pairs: dict[int, ast.stmt] = {}
    for node, stmt in zip(flat, statements):
        allowed = _COUNTERPARTS.get(type(node))
        if allowed is None or not isinstance(stmt, allowed):
            return None
        pairs[id(node)] = stmt
    return pairs


def _suite(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """The statements of a block (indented, or simple statements after the colon)."""
    if isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite)):
        return node.body
    return ()


def _block_pairs(node: cst.CSTNode, stmt: ast.stmt) -> dict[int, ast.stmt] | None:
    """The pairs of every statement directly inside a compound statement's blocks; None for a
    small statement, or where a block does not correspond (its statements are then placed
    from the compound statement itself)."""
    if isinstance(node, cst.BaseSmallStatement):
        return None
    blocks: list[tuple[Sequence[cst.CSTNode], Sequence[ast.stmt]]] = []
    orelse: cst.CSTNode | None = None
    if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.With)) and isinstance(
            stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.With, ast.AsyncWith)):
        blocks.append((_suite(node.body), stmt.body))
    elif isinstance(node, (cst.For, cst.While)) and isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        blocks.append((_suite(node.body), stmt.body))
        orelse = node.orelse
    elif isinstance(node, cst.If) and isinstance(stmt, ast.If):
        blocks.append((_suite(node.body), stmt.body))
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            if len(stmt.orelse) != 1 or not isinstance(stmt.orelse[0], ast.If):
                return None
            pairs = _pair(blocks[0][0], blocks[0][1]) or {}
            pairs[id(orelse)] = stmt.orelse[0]
            return pairs
    elif type(node) is cst.Try and type(stmt) is ast.Try:
        blocks.append((_suite(node.body), stmt.body))
        if len(node.handlers) != len(stmt.handlers):
            return None
        blocks.extend((_suite(h.body), a.body) for h, a in zip(node.handlers, stmt.handlers))
        if node.finalbody is not None:
            blocks.append((_suite(node.finalbody.body), stmt.finalbody))
        elif stmt.finalbody:
            return None
        orelse = node.orelse
    else:
        return None
    if isinstance(orelse, cst.Else):
        blocks.append((_suite(orelse.body), getattr(stmt, "orelse", ())))
    elif orelse is None and getattr(stmt, "orelse", None):
        return None
    out: dict[int, ast.stmt] = {}
    for body, statements in blocks:
        block = _pair(body, statements)
        if block is None:
            return None
        out.update(block)
    return out


#: LibCST statement type -> the ``ast`` statement types it can stand for
_COUNTERPARTS: dict[type, type | tuple[type, ...]] = {
    cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: ast.ClassDef,
    cst.If: ast.If,
    cst.For: (ast.For, ast.AsyncFor),
    cst.While: ast.While,
    cst.With: (ast.With, ast.AsyncWith),
    cst.Try: ast.Try,
    cst.TryStar: ast.TryStar,
    cst.Match: ast.Match,
    cst.Expr: ast.Expr,
    cst.Assign: ast.Assign,
    cst.AnnAssign: ast.AnnAssign,
    cst.AugAssign: ast.AugAssign,
    cst.Return: ast.Return,
    cst.Raise: ast.Raise,
    cst.Assert: ast.Assert,
    cst.Del: ast.Delete,
    cst.Pass: ast.Pass,
    cst.Break: ast.Break,
    cst.Continue: ast.Continue,
    cst.Import: ast.Import,
    cst.ImportFrom: ast.ImportFrom,
    cst.Global: ast.Global,
    cst.Nonlocal: ast.Nonlocal,
}


def _char_offset(text: str, lines: LineTable, line: int, byte_column: int) -> int | None:
    """The character offset in ``text`` of a 0-based line and an ``ast`` (UTF-8 byte) column."""
    starts = lines.starts
    if not 0 <= line < len(starts):
        return None
    begin = starts[line]
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    line_text = text[begin:end]
    if line_text.isascii():
        column = byte_column
    else:
        try:
            column = len(line_text.encode("utf-8")[:byte_column].decode("utf-8"))
        except UnicodeError:
            return None
    return begin + column if column <= len(line_text) else None


class _Local(_Counting):
    """The counting pass over one statement: offsets relative to where its code starts, the
    code itself kept (to compare with the text), and the offset at which the statement's
    syntactic range begins (what ``ast`` gives)."""

    def __init__(self, module: cst.Module, wanted: Collection[cst.CSTNode], statement: cst.CSTNode,
                 indent: tuple[str, ...]) -> None:
        super().__init__(module, wanted)
        self.indent_tokens.extend(indent)
        self.statement = statement
        self.anchor = -1
        self.waiting = False
        self.tokens: list[str] = []

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.offset += len(token)
            self.tokens.append(token)

    def add_token(self, value: str) -> None:
        self.offset += len(value)
        self.tokens.append(value)

    def after_codegen(self, node: cst.CSTNode) -> None:
        try:
            super().after_codegen(node)
        except _Done:
            if self.anchor < 0:  # every node done before the statement's own start (a decorator)
                self.waiting = True
                return
            raise

    def record_syntactic_position(  # type: ignore[override]
            self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
            end_node: cst.CSTNode | None = None) -> _Syntactic:
        if node is self.statement and self.anchor < 0:
            self.anchor = self.offset
            if self.waiting:
                raise _Done
        return _Syntactic(self, node, start_node, end_node)


def _locate_in_statement(module: cst.Module, statement: cst.CSTNode, start: int,
                         indent: tuple[str, ...], kwargs: dict[str, bool],
                         nodes: list[cst.CSTNode], text: str, lines: LineTable) -> dict[cst.CSTNode, Located]:
    """The positions of ``nodes`` (all inside ``statement``), the statement's syntactic range
    starting at character ``start`` of ``text``; empty if its code is not the text there."""
    state = _Local(module, nodes, statement, indent)
    try:
        statement._codegen(state, **kwargs)
    except _Done:
        pass
    if state.anchor < 0:
        return {}
    shift = start - state.anchor
    code = "".join(state.tokens)
    if shift < 0 or not text.startswith(code, shift):
        return {}
    out: dict[cst.CSTNode, Located] = {}
    for key, (begin, end, indent_at) in state.inclusive.items():
        if end < 0 or key not in state.computed:
            continue
        node = state.wanted[key]
        first, stop = state.computed[key]
        line, column = lines.position(first + shift)
        end_line, end_column = lines.position(stop + shift)
        out[node] = Located(line, column, end_line, end_column, begin + shift, end + shift, indent_at)
    return out


# -- ranges straight from ``ast`` (when no whitespace-inclusive offsets are wanted) ---------------

def _ast_range(path: Path, depth: int, statement: ast.stmt) -> ast.AST | None:
    """The ``ast`` node whose range is the LibCST syntactic range of ``path[-1]``, following
    the path down from its statement at ``path[depth]``; None where a step has no certain
    counterpart or the two ranges may differ (then the statement's code is generated)."""
    current: ast.AST = statement
    for parent, child in zip(path[depth:], path[depth + 1:]):
        step = _STEPS.get(type(parent))
        found = step(parent, current, child) if step is not None else None
        if found is None:
            return None
        allowed = _EXPRESSIONS.get(type(child))
        if allowed is not None and not isinstance(found, allowed):
            return None
        current = found
    target = path[-1]
    kind = type(target)
    if kind is cst.Arg:
        # a positional argument's range is its value's with the value's own parentheses
        value = target.value  # type: ignore[attr-defined]
        if getattr(value, "lpar", None) or type(value) not in _SAME_RANGE:
            return None
        return current if isinstance(current, (ast.expr, ast.keyword)) else None
    return current if kind in _SAME_RANGE else None


def _same(child: cst.CSTNode, *pairs: tuple[object, object]) -> ast.AST | None:
    """The ``ast`` side of the pair whose LibCST side is ``child``."""
    for node, counterpart in pairs:
        if node is child:
            return counterpart if isinstance(counterpart, ast.AST) else None
    return None


def _step_items(nodes: Sequence[cst.CSTNode], counterparts: Sequence[ast.AST],
                child: cst.CSTNode) -> ast.AST | None:
    if len(nodes) != len(counterparts):
        return None
    for node, counterpart in zip(nodes, counterparts):
        if node is child:
            return counterpart
    return None


def _step_call(parent: cst.Call, call: ast.AST, child: cst.CSTNode) -> ast.AST | None:
    if not isinstance(call, ast.Call):
        return None
    if child is parent.func:
        return call.func
    # ``ast`` keeps positional (and ``*``) arguments apart from keywords (and ``**``)
    positional = [arg for arg in parent.args if arg.keyword is None and arg.star != "**"]
    keywords = [arg for arg in parent.args if arg.keyword is not None or arg.star == "**"]
    return _step_items(positional, call.args, child) or _step_items(keywords, call.keywords, child)


def _step_arg(parent: cst.Arg, counterpart: ast.AST, child: cst.CSTNode) -> ast.AST | None:
    if child is not parent.value:
        return None
    if isinstance(counterpart, ast.keyword):
        return counterpart.value if (parent.keyword is None) == (counterpart.arg is None) else None
    if parent.star == "*":
        return counterpart.value if isinstance(counterpart, ast.Starred) else None
    return counterpart if parent.star == "" else None


def _step_subscript(parent: cst.Subscript, node: ast.AST, child: cst.CSTNode) -> ast.AST | None:
    if not isinstance(node, ast.Subscript):
        return None
    if child is parent.value:
        return node.value
    if len(parent.slice) == 1 and isinstance(parent.slice[0].comma, cst.MaybeSentinel):
        return node.slice if parent.slice[0] is child else None
    if not isinstance(node.slice, ast.Tuple):
        return None
    return _step_items(parent.slice, node.slice.elts, child)


def _step_element(parent: cst.CSTNode, counterpart: ast.AST, child: cst.CSTNode) -> ast.AST | None:
    """A subscript element, index or list element: the same ``ast`` node as its value."""
    if isinstance(parent, cst.SubscriptElement):
        return counterpart if child is parent.slice else None
    if isinstance(parent, cst.Index):
        return counterpart if child is parent.value and parent.star is None else None
    if isinstance(parent, cst.Element):
        return counterpart if child is parent.value else None
    return None


def _step_slice(parent: cst.Slice, node: ast.AST, child: cst.CSTNode) -> ast.AST | None:
    if not isinstance(node, ast.Slice):
        return None
    return _same(child, (parent.lower, node.lower), (parent.upper, node.upper), (parent.step, node.step))


def _step_sequence(parent: cst.List | cst.Tuple | cst.Set, node: ast.AST,
                   child: cst.CSTNode) -> ast.AST | None:
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return None
    return _step_items(parent.elements, node.elts, child)


def _step_comparison(parent: cst.Comparison, node: ast.AST, child: cst.CSTNode) -> ast.AST | None:
    if not isinstance(node, ast.Compare) or len(parent.comparisons) != len(node.comparators):
        return None
    if child is parent.left:
        return node.left
    for target, comparator in zip(parent.comparisons, node.comparators):
        if target is child:
            return comparator  # the ComparisonTarget: its comparator is the next step
    return None


def _step_comparison_target(parent: cst.ComparisonTarget, counterpart: ast.AST,
                            child: cst.CSTNode) -> ast.AST | None:
    return counterpart if child is parent.comparator else None


_STEPS: dict[type, Callable[[Any, Any, cst.CSTNode], ast.AST | None]] = {
    cst.Assign: lambda p, a, c: _step_items([t.target for t in p.targets], a.targets, c)
    or _same(c, (p.value, a.value)),
    cst.AssignTarget: lambda p, a, c: a if c is p.target else None,
    cst.AugAssign: lambda p, a, c: _same(c, (p.target, a.target), (p.value, a.value)),
    cst.AnnAssign: lambda p, a, c: _same(c, (p.target, a.target), (p.value, a.value)),
    cst.Return: lambda p, a, c: _same(c, (p.value, a.value)),
    cst.Expr: lambda p, a, c: _same(c, (p.value, a.value)),
    cst.If: lambda p, a, c: _same(c, (p.test, a.test)),
    cst.While: lambda p, a, c: _same(c, (p.test, a.test)),
    cst.For: lambda p, a, c: _same(c, (p.target, a.target), (p.iter, a.iter)),
    cst.Assert: lambda p, a, c: _same(c, (p.test, a.test), (p.msg, a.msg)),
    cst.Call: _step_call,
    cst.Arg: _step_arg,
    cst.Attribute: lambda p, a, c: a.value if isinstance(a, ast.Attribute) and c is p.value else None,
    cst.Subscript: _step_subscript,
    cst.SubscriptElement: _step_element,
    cst.Index: _step_element,
    cst.Slice: _step_slice,
    cst.Element: _step_element,
    cst.List: _step_sequence,
    cst.Tuple: _step_sequence,
    cst.Set: _step_sequence,
    cst.BinaryOperation: lambda p, a, c: _same(c, (p.left, a.left), (p.right, a.right))
    if isinstance(a, ast.BinOp) else None,
    cst.UnaryOperation: lambda p, a, c: a.operand if isinstance(a, ast.UnaryOp) and c is p.expression else None,
    cst.Comparison: _step_comparison,
    cst.ComparisonTarget: _step_comparison_target,
    cst.IfExp: lambda p, a, c: _same(c, (p.test, a.test), (p.body, a.body), (p.orelse, a.orelse))
    if isinstance(a, ast.IfExp) else None,
    cst.Lambda: lambda p, a, c: a.body if isinstance(a, ast.Lambda) and c is p.body else None,
    cst.Await: lambda p, a, c: a.value if isinstance(a, ast.Await) and c is p.expression else None,
}

#: LibCST expression type -> the ``ast`` types its counterpart must have (checked at each step)
_EXPRESSIONS: dict[type, type | tuple[type, ...]] = {
    cst.Name: ast.Name,
    cst.Attribute: ast.Attribute,
    cst.Call: ast.Call,
    cst.Subscript: ast.Subscript,
    cst.BinaryOperation: ast.BinOp,
    cst.UnaryOperation: ast.UnaryOp,
    cst.Comparison: ast.Compare,
    cst.BooleanOperation: ast.BoolOp,
    cst.IfExp: ast.IfExp,
    cst.Lambda: ast.Lambda,
    cst.Await: ast.Await,
    cst.List: ast.List,
    cst.Tuple: ast.Tuple,
    cst.Set: ast.Set,
    cst.Dict: ast.Dict,
    cst.Integer: ast.Constant,
    cst.Float: ast.Constant,
    cst.Imaginary: ast.Constant,
    cst.SimpleString: ast.Constant,
    cst.ConcatenatedString: (ast.Constant, ast.JoinedStr),
    cst.FormattedString: ast.JoinedStr,
    cst.Ellipsis: ast.Constant,
    cst.Slice: ast.Slice,
    cst.ListComp: ast.ListComp,
    cst.GeneratorExp: ast.GeneratorExp,
    cst.Arg: (ast.expr, ast.keyword),
}

#: node types whose LibCST syntactic range is their ``ast`` counterpart's: both leave out the
#: node's own parentheses and keep everything else it spans (not so for a parenthesised tuple
#: or generator, which ``ast`` spans with its parentheses)
_SAME_RANGE = frozenset({
    cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.BinaryOperation, cst.UnaryOperation,
    cst.Comparison, cst.IfExp, cst.Lambda, cst.List, cst.Integer, cst.Float, cst.Imaginary,
    cst.SimpleString, cst.ConcatenatedString,
})
