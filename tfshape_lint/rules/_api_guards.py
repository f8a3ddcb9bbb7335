"""Compatibility guards: code that probes for an API may name removed ones on purpose."""

from __future__ import annotations

import ast
import re
from typing import Iterable

import libcst as cst

from tfshape_lint.analysis.imports import ImportTable, ast_dotted, cst_dotted, dead_backend_branch
from tfshape_lint.source import caught_names, code_of, visit_read_only

#: exception names whose ``except`` marks the ``try`` as a compatibility probe
_PROBE_EXCEPTIONS = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError", "NameError"})
#: a guard that covers every name (a version test, an ``except ImportError`` probe)
_ALL: frozenset[str] = frozenset({"*"})
#: a ``try`` whose body is this short and whose ``except Exception`` has a fallback is a probe
_SHORT_TRY = 3
_VERSION_WORDS = re.compile(r"version|VERSION|\btf2\b|is_tf2|TF2|tf1|TF1|legacy", re.IGNORECASE)


class GuardTracker:
    """The enclosing ``try``/``if`` blocks that probe for an API: old names inside them are
    deliberate. A version test or an ``except ImportError/AttributeError`` covers every name;
    ``hasattr(K, "slice")`` / ``getattr(K, "slice", None)`` covers ``K.slice`` only, so an
    unrelated ``hasattr(model, "loss")`` does not switch the rules off."""

    def __init__(self, imports: ImportTable | None = None) -> None:
        self.imports = imports
        self.stack: list[frozenset[str]] = []
        #: ``else``/``elif`` nodes of backend tests -> the guard entry for that branch
        self.branches: dict[int, frozenset[str]] = {}

    def enter_try(self, node: cst.Try | cst.TryStar) -> None:
        probe = any(_catches_probe(h) for h in node.handlers) or _short_fallback_try(node)
        self.stack.append(_ALL if probe else frozenset())

    def enter_if(self, node: cst.If) -> None:
        text = code_of(node.test)
        if _VERSION_WORDS.search(text):
            self.stack.append(_ALL)
            return
        dead = dead_backend_branch(node.test)
        if dead is not None and node.orelse is not None:
            self.branches[id(node.orelse)] = frozenset() if dead == "body" else _ALL
        if dead == "body":
            self.stack.append(_ALL)  # ``if K.backend() == 'theano':`` never runs on TensorFlow
            return
        self.stack.append(self._probed_names(node.test))

    def enter_branch(self, node: cst.CSTNode) -> frozenset[str] | None:
        """Entering the ``else``/``elif`` of a backend test: its own liveness replaces the
        enclosing ``if``'s entry. Returns what :meth:`leave_branch` restores (None: nothing)."""
        entry = self.branches.pop(id(node), None)
        if entry is None or not self.stack:
            return None
        saved = self.stack[-1]
        self.stack[-1] = entry
        return saved

    def leave_branch(self, saved: frozenset[str] | None) -> None:
        if saved is not None and self.stack:
            self.stack[-1] = saved

    def _probed_names(self, test: cst.BaseExpression) -> frozenset[str]:
        """Qualified names ``hasattr(obj, "name")``/``getattr(obj, "name", d)`` in ``test`` ask about."""
        finder = _ProbeFinder()
        visit_read_only(test, finder)
        out: set[str] = set()
        for obj, attr in finder.probes:
            qualname = self.imports.resolve(obj) if self.imports is not None else None
            out.add(f"{qualname or obj}.{attr}")
        return frozenset(out)

    def leave(self) -> None:
        self.stack.pop()

    def enter_handler(self) -> frozenset[str]:
        """An ``except`` block runs when the probe failed: its own try guards nothing there
        (the fallback must work on its own). Returns what ``leave_handler`` restores."""
        saved = self.stack[-1] if self.stack else frozenset()
        if self.stack:
            self.stack[-1] = frozenset()
        return saved

    def leave_handler(self, saved: frozenset[str]) -> None:
        if self.stack:
            self.stack[-1] = saved

    @property
    def guarded(self) -> bool:
        """Inside a guard that covers every name."""
        return any(entry is _ALL for entry in self.stack)

    def covers(self, qualname: str) -> bool:
        """Whether ``qualname`` (resolved, ``keras.backend.slice``) is inside a guard for it or
        for a module above it (``hasattr(K, "common")`` guards ``K.common.epsilon``)."""
        parts = qualname.split(".")
        names = {".".join(parts[:end]) for end in range(2, len(parts) + 1)}
        return any(entry is _ALL or not names.isdisjoint(entry) for entry in self.stack)


class _ProbeFinder(cst.CSTVisitor):
    """``hasattr(a.b, "c")`` and ``getattr(a.b, "c", ...)`` calls: (``a.b``, ``c``)."""

    def __init__(self) -> None:
        super().__init__()
        self.probes: list[tuple[str, str]] = []

    def visit_Call(self, node: cst.Call) -> None:
        if cst_dotted(node.func) not in ("hasattr", "getattr") or len(node.args) < 2:
            return
        obj = cst_dotted(node.args[0].value)
        name = node.args[1].value
        if obj is not None and isinstance(name, cst.SimpleString):
            self.probes.append((obj, name.raw_value))


def _catches_probe(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    # a bare except names nothing: it is error handling, not an API probe
    return any(name.split(".")[-1] in _PROBE_EXCEPTIONS for name in caught_names(handler))


def _short_fallback_try(node: cst.Try | cst.TryStar) -> bool:
    """``try: new = K.old(x)`` / ``except Exception: new = fallback``: a short probe whose
    handler does something other than re-raise. Long try bodies are error handling."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
    if not body or len(body) > _SHORT_TRY:
        return False
    for handler in node.handlers:
        broad = handler.type is None or any(name in ("Exception", "BaseException") for name in caught_names(handler))
        if broad and _has_fallback(handler):
            return True
    return False


_REPORTING = frozenset({"print", "warn", "warning", "info", "debug", "error", "exception", "log"})


class _FallbackFinder(cst.CSTVisitor):
    """A handler computes a replacement: it imports or calls something that is not a report."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Import(self, node: cst.Import) -> None:
        self.found = True

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.found = True

    def visit_Raise(self, node: cst.Raise) -> bool:
        return False  # building the exception to re-raise is not a fallback

    def visit_Call(self, node: cst.Call) -> None:
        name = (cst_dotted(node.func) or "").rpartition(".")[2]
        if name not in _REPORTING:
            self.found = True


def _has_fallback(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """``except Exception: x = keras.ops.logsumexp(v)`` is a fallback; ``pass``, ``x = None``,
    a log line or a re-raise only swallow or report the error."""
    finder = _FallbackFinder()
    visit_read_only(handler.body, finder)
    return finder.found


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
