"""Source text of LibCST nodes: their code, and where the reported ones lie.

``code_of`` is the one node-to-text helper (rules quote code in messages). ``locate`` gives the
positions of a few nodes of a module with one code generation pass that only counts
characters, instead of LibCST's ``PositionProvider``, which splits every token with a regular
expression and builds position objects for every node of the tree; it stops as soon as the
last wanted node is done. The ranges are the provider's: ``syntactic`` as
``PositionProvider``, ``inclusive`` (character offsets) as ``WhitespaceInclusivePositionProvider``
(what ``code_for_node`` writes, so a fix is a splice of that range). The engine calls it only
for the nodes :mod:`tfshape_lint.anchors` cannot place from their statement.
"""

from __future__ import annotations

import bisect
import dataclasses
import inspect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Collection, Iterator, Sequence, TypeVar

import libcst as cst
from libcst._nodes.internal import CodegenState

_EMPTY = cst.Module(body=[])
_NEWLINE = re.compile(r"\r\n?|\n")


def code_of(node: cst.CSTNode, module: cst.Module | None = None) -> str:
    """The code LibCST writes for ``node`` (its own whitespace and comments included)."""
    return (module or _EMPTY).code_for_node(node)


@dataclass(frozen=True)
class Located:
    """Where a node lies: 1-based lines, 0-based columns, and its whitespace-inclusive span
    (character offsets; -1 and no indentation where only the lines and columns were asked for,
    see :func:`tfshape_lint.anchors.locate_from_statements`)."""

    line: int
    column: int
    end_line: int
    end_column: int
    start_offset: int
    end_offset: int
    #: indentation in force where the node was written (for writing a replacement there)
    indent: tuple[str, ...]


class _Done(Exception):
    """Every wanted node has been located: stop generating code."""


class _Counting(CodegenState):
    """A codegen state that counts characters and records only what ``locate`` needs.

    Nodes are keyed by ``id`` (they all stay alive during the pass): ``CSTNode.__hash__`` is a
    Python-level method, and this runs once per node of the unit.
    """

    def __init__(self, module: cst.Module, wanted: Collection[cst.CSTNode]) -> None:
        super().__init__(default_indent=module.default_indent,
                         default_newline=module.default_newline)
        self.offset = 0
        self.wanted = {id(node): node for node in wanted}
        self.remaining = len(self.wanted)
        self.stack: list[int] = []
        #: id(node) -> (start, end): syntactic where recorded, else whitespace-inclusive, exactly
        #: as LibCST's PositionProvider fills its table (start/end nodes are looked up in it)
        self.computed: dict[int, tuple[int, int]] = {}
        self.inclusive: dict[int, tuple[int, int, tuple[str, ...]]] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        """Only called at the very end: nothing located depends on it."""

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append(self.offset)
        if id(node) in self.wanted:
            self.inclusive[id(node)] = (self.offset, -1, tuple(self.indent_tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.stack.pop()
        key = id(node)
        if key not in self.computed:
            self.computed[key] = (start, self.offset)
        if key in self.wanted:
            begin, end, indent = self.inclusive[key]
            if end < 0:
                self.inclusive[key] = (begin, self.offset, indent)
                self.remaining -= 1
                if self.remaining == 0:
                    raise _Done

    def record_syntactic_position(  # type: ignore[override]
            self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
            end_node: cst.CSTNode | None = None) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """``record_syntactic_position`` as a plain context manager (a generator-based one costs
    about three times as much, and it is entered for most nodes)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _Counting, node: cst.CSTNode, start_node: cst.CSTNode | None,
                 end_node: cst.CSTNode | None) -> None:
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            return  # ``_Done`` passes through: nothing to record then
        computed = self.state.computed
        start = self.start if self.start_node is None else computed[id(self.start_node)][0]
        end = self.state.offset if self.end_node is None else computed[id(self.end_node)][1]
        computed[id(self.node)] = (start, end)


class LineTable:
    """Offsets of line starts in a text, splitting lines as LibCST does."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def position(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based column) of a character offset."""
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line]


def compact_code(node: cst.CSTNode) -> str:
    """The node's code without any whitespace: two spellings of one expression (``w`` and
    ``w ``, ``f(a, b)`` and ``f(a,b)``) compare equal."""
    return "".join(code_of(node).split())


def callee_name(call: cst.Call) -> str:
    """The last name of what ``call`` calls (``reduce_min`` of ``tf.math.reduce_min(x)``), "" for
    anything but a name or an attribute."""
    func = call.func
    return func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""


def locate(module: cst.Module, nodes: Collection[cst.CSTNode], text: str | None = None,
           lines: LineTable | None = None) -> dict[cst.CSTNode, Located]:
    """Positions of ``nodes`` inside ``module`` (nodes not in it are left out).

    ``text`` is the module's code when the caller has it (the unit's source), ``lines`` a
    ready table of it.
    """
    if not nodes:
        return {}
    state = _Counting(module, nodes)
    try:
        module._codegen(state)
    except _Done:
        pass
    table = lines or LineTable(text if text is not None else module.code)
    out: dict[cst.CSTNode, Located] = {}
    for key, (begin, end, indent) in state.inclusive.items():
        if end < 0 or key not in state.computed:
            continue
        node = state.wanted[key]
        start, stop = state.computed[key]
        line, column = table.position(start)
        end_line, end_column = table.position(stop)
        out[node] = Located(line, column, end_line, end_column, begin, end, indent)
    return out


def code_in_place(node: cst.CSTNode, module: cst.Module, indent: tuple[str, ...]) -> str:
    """The code of ``node`` written at a place with the given indentation."""
    state = CodegenState(default_indent=module.default_indent,
                         default_newline=module.default_newline)
    state.indent_tokens.extend(indent)
    node._codegen(state)
    return "".join(state.tokens)


_N = TypeVar("_N", bound=cst.CSTNode)


@lru_cache(maxsize=None)
def _child_fields(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def descendants(node: cst.CSTNode, kind: type[_N]) -> list[_N]:
    """Every node of type ``kind`` inside ``node`` (itself included), in no particular order.

    Reads the dataclass fields directly: about twice as fast as a ``CSTVisitor`` walk, for the
    rules that only need to find some nodes. One walk per ``node`` files every node it meets
    by exact type (the analysis asks one function for its subscripts, then its names, then
    its calls: 643 searches over 235 roots on the dev set); whitespace, operator and bracket
    subtrees (about half of all nodes) are entered only for a ``kind`` that is one of them.
    """
    trivia = not _skips_trivia(kind)
    buckets = _by_type(node, trivia)
    exact = buckets.get(kind)
    if exact is not None and not _HAS_SUBTYPES.get(kind, True):
        return list(exact)  # type: ignore[arg-type]
    out: list[_N] = []
    matches = _MATCHES.get(kind)
    if matches is None:
        matches = _MATCHES[kind] = {}
    for found_type, nodes in buckets.items():
        match = matches.get(found_type)
        if match is None:
            match = matches[found_type] = issubclass(found_type, kind)
        if match:
            out.extend(nodes)  # type: ignore[arg-type]
    return out


#: the last roots :func:`descendants` walked: id -> (root, with trivia, nodes by exact type)
_WALKED: dict[int, tuple[cst.CSTNode, bool, dict[type, list[cst.CSTNode]]]] = {}
_WALKED_LIMIT = 256
#: concrete node types no other node type derives from (their bucket is the whole answer)
_HAS_SUBTYPES: dict[type, bool] = {}


def _by_type(node: cst.CSTNode, trivia: bool) -> dict[type, list[cst.CSTNode]]:
    """Every node inside ``node`` by exact type, from one walk (memoised for the last roots:
    nodes are immutable, and the root is kept alive so its id is not reused meanwhile)."""
    cached = _WALKED.get(id(node))
    if cached is not None and cached[0] is node and (cached[1] or not trivia):
        return cached[2]
    buckets: dict[type, list[cst.CSTNode]] = {}
    stack: list[cst.CSTNode] = [node]
    fields_of = _FIELDS
    enters = _ENTERS_ALL if trivia else _ENTERS_PLAIN
    while stack:
        current = stack.pop()
        current_type = type(current)
        bucket = buckets.get(current_type)
        if bucket is None:
            bucket = buckets[current_type] = []
            if current_type not in _HAS_SUBTYPES:
                _HAS_SUBTYPES[current_type] = bool(current_type.__subclasses__())
        bucket.append(current)
        names = fields_of.get(current_type)
        if names is None:
            names = fields_of[current_type] = _child_fields(current_type)
        for name in names:
            value = getattr(current, name)
            value_type = type(value)
            if value_type is list or value_type is tuple:
                for item in value:
                    enter = enters.get(type(item))
                    if enter is None:
                        enter = enters[type(item)] = _enters(type(item), trivia)
                    if enter:
                        stack.append(item)
            else:
                enter = enters.get(value_type)
                if enter is None:
                    enter = enters[value_type] = _enters(value_type, trivia)
                if enter:
                    stack.append(value)
    if len(_WALKED) >= _WALKED_LIMIT:
        _WALKED.clear()
    _WALKED[id(node)] = (node, trivia, buckets)
    return buckets


def parent_map(root: cst.CSTNode) -> dict[cst.CSTNode, cst.CSTNode]:
    """Each node inside ``root`` (whitespace, operators and brackets left out) -> the node that
    holds it: LibCST nodes have no parent link, and its ``ParentNodeProvider`` resolves
    metadata for the whole module, where a question about one function needs one walk."""
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [root]
    fields_of = _FIELDS
    enters = _ENTERS_PLAIN
    while stack:
        current = stack.pop()
        current_type = type(current)
        names = fields_of.get(current_type)
        if names is None:
            names = fields_of[current_type] = _child_fields(current_type)
        for name in names:
            value = getattr(current, name)
            for item in (value if type(value) is list or type(value) is tuple else (value,)):
                enter = enters.get(type(item))
                if enter is None:
                    enter = enters[type(item)] = _enters(type(item), False)
                if enter:
                    parents[item] = current
                    stack.append(item)
    return parents


def _enters(value_type: type, trivia: bool) -> bool:
    """Whether a walk enters a field value of ``value_type``: a node, and not a
    whitespace/operator/bracket subtree unless ``trivia``."""
    return _is_node(value_type) and (trivia or value_type not in _trivia_types())


#: field value type -> whether a walk with (``_ENTERS_ALL``) or without trivia enters it
_ENTERS_ALL: dict[type, bool] = {}
_ENTERS_PLAIN: dict[type, bool] = {}


@lru_cache(maxsize=None)
def _skips_trivia(kind: type) -> bool:
    """No whitespace, operator or bracket node is a ``kind`` (``cst.Comment`` is one)."""
    return not any(issubclass(trivia, kind) for trivia in _trivia_types())


#: node type -> its dataclass fields (memo of :func:`_child_fields` without lru_cache's cost)
_FIELDS: dict[type, tuple[str, ...]] = {}
#: wanted kind -> node type -> whether it is one (memo of ``issubclass``, slow on ABCs)
_MATCHES: dict[type, dict[type, bool]] = {}


_VISITED_FIELD = re.compile(r'visit_\w+\(\s*self,\s*"(\w+)"')


@lru_cache(maxsize=None)
def _visit_order(kind: type) -> tuple[str, ...]:
    """The fields LibCST visits, in its order (read once from ``_visit_and_replace_children``)."""
    impl = getattr(kind, "_visit_and_replace_children", None)
    try:
        text = inspect.getsource(impl) if impl is not None else ""
    except (OSError, TypeError):
        text = ""
    names = tuple(dict.fromkeys(_VISITED_FIELD.findall(text)))
    return names if names or not text else _child_fields(kind)


def walk_batched(node: cst.CSTNode, visitors: Sequence[cst.BatchableCSTVisitor]) -> None:
    """``libcst.visit_batched`` for visitors that only read: the same ``visit_*``/``leave_*``
    calls in the same order, without rebuilding every node on the way back up (what a
    ``CSTVisitor`` walk does), which is most of its cost.

    Whitespace, operator and bracket nodes (whose subtrees hold nothing else, about half of
    all nodes) are not entered unless a visitor asks for one of those types."""
    visits: dict[str, list[Callable[[cst.CSTNode], object]]] = {}
    leaves: dict[str, list[Callable[[cst.CSTNode], object]]] = {}
    for visitor in visitors:
        for name, method in visitor.get_visitors().items():
            table = visits if name.startswith("visit_") else leaves
            table.setdefault(name.split("_", 1)[1], []).append(method)
    trivia = _trivia_types()
    named = visits.keys() | leaves.keys()
    skip = frozenset() if any(kind.__name__ in named for kind in trivia) else trivia
    _read_walk(node, _each(visits), _each(leaves), skip)


def _each(table: dict[str, list[Callable[[cst.CSTNode], object]]]) -> dict[str, Callable[[cst.CSTNode], object]]:
    """One callable per node type that calls every visitor's method in turn and returns None
    (batched visitors cannot skip a node's children)."""
    def calling_all(methods: list[Callable[[cst.CSTNode], object]]) -> Callable[[cst.CSTNode], object]:
        def call(node: cst.CSTNode) -> None:
            for method in methods:
                method(node)
        return call
    return {name: calling_all(methods) for name, methods in table.items()}


def visit_read_only(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """``node.visit(visitor)`` for a visitor that only reads: the same ``visit_*`` calls (a False
    return skips the node's children) and ``leave_*`` calls in the same order, without LibCST
    rebuilding every node on the way back up. Whitespace, operator and bracket subtrees are
    not entered: none of the read-only visitors asks for them."""
    table = _READ_VISITORS.get(type(visitor))
    if table is None:
        table = _READ_VISITORS[type(visitor)] = _own_methods(type(visitor))
    visits = {name: getattr(visitor, method) for name, method in table[0].items()}
    leaves = {name: getattr(visitor, method) for name, method in table[1].items()}
    _read_walk(node, visits, leaves, _trivia_types())


def _own_methods(kind: type) -> tuple[dict[str, str], dict[str, str]]:
    """``visit_X``/``leave_X`` methods a visitor class defines itself (LibCST's base classes
    define a no-op for every node type): node type name -> method name."""
    visits: dict[str, str] = {}
    leaves: dict[str, str] = {}
    for klass in kind.__mro__:
        if klass.__module__.startswith("libcst"):
            break
        for attr in vars(klass):
            prefix, _, name = attr.partition("_")
            if prefix == "visit" and name:
                visits.setdefault(name, attr)
            elif prefix == "leave" and name:
                leaves.setdefault(name, attr)
    return visits, leaves


#: visitor class -> its own visit/leave methods (see :func:`_own_methods`)
_READ_VISITORS: dict[type, tuple[dict[str, str], dict[str, str]]] = {}


def _read_walk(node: cst.CSTNode, visits: dict[str, Callable[[cst.CSTNode], object]],
               leaves: dict[str, Callable[[cst.CSTNode], object]], skip: frozenset[type]) -> None:
    kind = type(node)
    name = kind.__name__
    visit = visits.get(name)
    if visit is None or visit(node) is not False:
        fields = _ORDER.get(kind)
        if fields is None:
            fields = _ORDER[kind] = _visit_order(kind)
        for field_name in fields:
            value = getattr(node, field_name)
            value_type = type(value)
            if value_type is list or value_type is tuple:
                for item in value:
                    item_type = type(item)
                    if item_type not in skip and _is_node(item_type):
                        _read_walk(item, visits, leaves, skip)
            elif value_type not in skip and _is_node(value_type):
                _read_walk(value, visits, leaves, skip)
    leave = leaves.get(name)
    if leave is not None:
        leave(node)


#: node type -> the fields LibCST visits (memo of :func:`_visit_order` without lru_cache's cost)
_ORDER: dict[type, tuple[str, ...]] = {}


@lru_cache(maxsize=None)
def _trivia_types() -> frozenset[type]:
    """Node types whose whole subtree is whitespace, comments, operators or brackets."""
    modules = ("libcst._nodes.whitespace", "libcst._nodes.op")
    brackets = (cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
                cst.LeftCurlyBrace, cst.RightCurlyBrace)
    found = {kind for kind in vars(cst).values()
             if isinstance(kind, type) and issubclass(kind, cst.CSTNode) and kind.__module__ in modules}
    return frozenset(found | set(brackets))


def _is_node(kind: type) -> bool:
    """``issubclass(kind, CSTNode)``, cached: CSTNode is an ABC, so ``isinstance`` is slow."""
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


#: memo of :func:`_is_node` (a pure function of the type)
_NODE_TYPES: dict[type, bool] = {}


def reassigned(fn: cst.CSTNode, name: str) -> bool:
    """Whether ``name`` is the target of an assignment anywhere in ``fn``."""
    return name in assigned_names(fn)


def assigned_names(fn: cst.CSTNode) -> set[str]:
    """Every name assigned anywhere in ``fn`` (plain, augmented, annotated, unpacked targets), for
    a caller asking about several names (read-only walks: a ``CSTVisitor`` rebuilds every node
    on the way back, a quarter of a small file's lint)."""
    targets: list[cst.BaseExpression] = [t.target for t in descendants(fn, cst.AssignTarget)]
    targets += [a.target for a in descendants(fn, cst.AugAssign)]
    targets += [a.target for a in descendants(fn, cst.AnnAssign)]
    return {n for target in targets for n in target_names(target)}


def target_names(target: cst.BaseExpression) -> Iterator[str]:
    """The names an assignment target binds (through tuples, lists and starred elements)."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from target_names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


def reads_of_binding(root: cst.CSTNode, parents: dict[cst.CSTNode, cst.CSTNode], assign: cst.Assign,
                     name: str, loads: Sequence[cst.Name]) -> list[cst.Name] | None:
    """Of ``loads`` (reads of ``name`` under ``root``), those that see the value ``assign`` binds,
    when every binding of ``name`` under ``root`` is a plain ``=`` statement of one block outside
    any loop: the reads after it, up to and including the next binding's value. None when the
    bindings are not that simple (one in a branch or a loop, a read in another block): which
    binding such a read sees is a question of control flow."""
    statement = parents.get(assign)
    block = parents.get(statement) if statement is not None else None
    body = getattr(block, "body", None)
    if statement is None or not isinstance(body, (list, tuple)) or statement not in body:
        return None
    index = {id(line): i for i, line in enumerate(body)}
    positions = []
    for store in descendants(root, cst.AssignTarget):
        if not (isinstance(store.target, cst.Name) and store.target.value == name):
            if name in target_names(store.target):
                return None  # unpacked into: ``a, name = ...``
            continue
        holder = parents.get(store)
        line = parents.get(holder) if isinstance(holder, cst.Assign) else None
        if line is None or id(line) not in index:
            return None
        positions.append(index[id(line)])
    if inside_loop(parents, statement, root):
        return None  # a later binding reaches the loop's next pass
    start = index[id(statement)]
    end = min((p for p in positions if p > start), default=len(body))
    reached = []
    for load in loads:
        owner: cst.CSTNode | None = load
        while owner is not None and id(owner) not in index:
            owner = parents.get(owner)
        if owner is None:
            return None
        if start < index[id(owner)] <= end:
            reached.append(load)
    return reached


def inside_loop(parents: dict[cst.CSTNode, cst.CSTNode], node: cst.CSTNode, root: cst.CSTNode | None = None) -> bool:
    """Whether a ``for`` or ``while`` holds ``node`` (below ``root``, the top of ``parents``):
    a read written before a binding there runs again after it."""
    current = parents.get(node)
    while current is not None and current is not root:
        if isinstance(current, (cst.For, cst.While)):
            return True
        current = parents.get(current)
    return False


def caught_names(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> list[str]:
    """The dotted names of the exceptions an ``except`` clause names, alone or in a tuple
    (none for a bare ``except:``, nor for an expression that is no dotted name)."""
    from tfshape_lint.analysis.imports import cst_dotted  # the analysis package imports this module

    kind = handler.type
    if kind is None:
        return []
    parts = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return [name for name in (cst_dotted(part) for part in parts) if name is not None]

