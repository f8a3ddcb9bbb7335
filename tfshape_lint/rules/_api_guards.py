"""Compatibility guards: code that probes for an API may name removed ones on purpose."""

from __future__ import annotations

import ast
import re
from typing import Iterable

import libcst as cst

from tfshape_lint.analysis.imports import ImportTable, ast_dotted, cst_dotted
from tfshape_lint.source import code_of

#: exception names whose ``except`` marks the ``try`` as a compatibility probe
_PROBE_EXCEPTIONS = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError", "NameError"})
_VERSION_TEST = re.compile(r"version|VERSION|hasattr|getattr|\btf2\b|is_tf2|TF2|tf1|TF1|legacy",
                           re.IGNORECASE)


class GuardTracker:
    """Counts enclosing ``try``/``if`` blocks that probe for an API (``except ImportError``,
    ``if tf.__version__ ...``, ``hasattr(tf, ...)``): old names inside them are deliberate."""

    def __init__(self) -> None:
        self.depth = 0
        self.stack: list[bool] = []

    def enter_try(self, node: cst.Try | cst.TryStar) -> None:
        probe = any(_catches_probe(h.type) for h in node.handlers)
        self.stack.append(probe)
        self.depth += probe

    def enter_if(self, node: cst.If) -> None:
        probe = bool(_VERSION_TEST.search(code_of(node.test)))
        self.stack.append(probe)
        self.depth += probe

    def leave(self) -> None:
        self.depth -= self.stack.pop()

    @property
    def guarded(self) -> bool:
        return self.depth > 0


def _catches_probe(kind: cst.BaseExpression | None) -> bool:
    if kind is None:
        return False  # a bare except is error handling, not an API probe
    names: Iterable[cst.BaseExpression] = (
        [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind])
    return any((cst_dotted(n) or "").split(".")[-1] in _PROBE_EXCEPTIONS for n in names)


def assigned_names(nodes: Iterable[ast.AST], imports: ImportTable) -> frozenset[str]:
    """Qualified names the file assigns to (``tf.log = tf.math.log``): they exist after that."""
    out: set[str] = set()
    for node in nodes:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute):
                dotted = ast_dotted(target)
                qualname = imports.resolve(dotted) if dotted else None
                if qualname is not None:
                    out.add(qualname)
    return frozenset(out)
