"""The visiting both removed-API rules (TFS501, TFS506) share: :class:`RemovedApiRule`.

Tables: :mod:`._api_tables`; the call rewriter: :mod:`._api_rewrite`; compatibility guards:
:mod:`._api_guards`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import libcst as cst

from tfshape_lint.analysis.imports import ImportTable, cst_dotted
from tfshape_lint.rule import DeferredFix, Rule
from tfshape_lint.rules._api_guards import GuardTracker, assigned_names
from tfshape_lint.rules._api_rewrite import ApiRewriter, rewritable, rewrite_call, rewrite_reference
from tfshape_lint.rules._api_tables import Rewrite, Roots, keras_table, load_table, roots_for, tf1_table
from tfshape_lint.rules._helpers import dotted_expr
from tfshape_lint.source import code_of as _code, visit_read_only

__all__ = [
    "ApiRewriter",
    "GuardTracker",
    "Hit",
    "RemovedApiRule",
    "Rewrite",
    "Roots",
    "import_units",
    "keras_table",
    "load_table",
    "register_removed_probe",
    "rewrite_call",
    "rewrite_reference",
    "roots_for",
    "tf1_table",
]


# -- ast-stage helpers for ``wants`` ----------------------------------------------------------------
def import_units(unit_nodes: Sequence[ast.stmt], qualnames: set[str]) -> set[int]:
    """Units holding an import statement that binds one of ``qualnames`` (nested ones too)."""
    out: set[int] = set()
    for i, stmt in enumerate(unit_nodes):
        for node in ast.walk(stmt):
            if _binds_any(node, qualnames):
                out.add(i)
                break
    return out


def _binds_any(node: ast.AST, qualnames: set[str]) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name in qualnames for alias in node.names)
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return any(f"{node.module}.{alias.name}" in qualnames for alias in node.names)
    return False


# -- the visiting both removed-API rules share ------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """A removed name found in a table: what to say and how to fix a use of it."""

    qualname: str
    advice: str
    namespace: str = ""
    rewrite: Rewrite | None = None
    #: a same-namespace alias to rename the last attribute to (``mean_squared_error`` -> ``mse``)
    rename: str | None = None
    #: for ``from M import name``: the module and name to import instead (drop-in only)
    import_from: tuple[str, str] | None = None
    #: ``K.common.epsilon`` -> ``K.epsilon``: the fix drops the removed submodule in the middle
    drop_parent: bool = False
    #: a removed module (``keras.utils.np_utils``): the enclosing module Keras 3 still has
    module_home: str | None = None


class RemovedApiRule(Rule):
    """Base of the MODULE-scope removed-API rules (TFS501, TFS506); not a rule itself (no code).

    The rule provides ``lookup(qualname) -> Hit | None`` (exact names) and ``hit_message``;
    this class walks attribute chains, calls and imports, skips code inside compatibility
    guards, reports each removed name once and builds the fixes.
    """

    def lookup(self, qualname: str) -> Hit | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def hit_message(self, hit: Hit, spelled: str, error: str) -> str:  # pragma: no cover
        raise NotImplementedError

    def begin_module(self) -> None:
        self._guards = GuardTracker(self.index.imports)
        self._handler_saved: list[frozenset[str] | None] = []
        self._try_legacy: list[bool] = []
        self._branch_saved: list[frozenset[str] | None] = []
        self._covered: set[int] = set()
        self._roots = roots_for(self.index.imports)
        self._assigned = assigned_names(self.index.nodes, self.index.imports) | self.index.patched
        self._params: list[frozenset[str]] = []

    # parameters shadow imports: ``def f(K): K.mean(x)`` is not the imported backend
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._params.append(_param_names(node.params))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._params.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._params.append(_param_names(node.params))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._params.pop()

    # guards
    def visit_Try(self, node: cst.Try) -> None:
        self._guards.enter_try(node)
        self._try_legacy.append(self._has_hits(node.body))

    def leave_Try(self, original_node: cst.Try) -> None:
        self._guards.leave()
        self._try_legacy.pop()

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._guards.enter_try(node)
        self._try_legacy.append(self._has_hits(node.body))

    def leave_TryStar(self, original_node: cst.TryStar) -> None:
        self._guards.leave()
        self._try_legacy.pop()

    def _enter_handler(self) -> None:
        # the handler runs only when the try body fails: when the body uses the modern API,
        # the handler is the legacy fallback and stays guarded (dead on the target version)
        legacy_body = bool(self._try_legacy) and self._try_legacy[-1]
        self._handler_saved.append(self._guards.enter_handler() if legacy_body else None)

    def _leave_handler(self) -> None:
        saved = self._handler_saved.pop()
        if saved is not None:
            self._guards.leave_handler(saved)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._enter_handler()

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._leave_handler()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._enter_handler()

    def leave_ExceptStarHandler(self, original_node: cst.ExceptStarHandler) -> None:
        self._leave_handler()

    def _has_hits(self, body: cst.CSTNode) -> bool:
        """Whether a block uses a removed name (attribute chains and imports)."""
        finder = _HitFinder(self)
        visit_read_only(body, finder)
        return finder.found

    def visit_If(self, node: cst.If) -> None:
        self._branch_saved.append(self._guards.enter_branch(node))
        self._guards.enter_if(node)

    def leave_If(self, original_node: cst.If) -> None:
        self._guards.leave()
        self._guards.leave_branch(self._branch_saved.pop())

    def visit_Else(self, node: cst.Else) -> None:
        self._branch_saved.append(self._guards.enter_branch(node))

    def leave_Else(self, original_node: cst.Else) -> None:
        self._guards.leave_branch(self._branch_saved.pop())

    # names
    def hit_for(self, node: cst.CSTNode) -> Hit | None:
        """The table hit of a dotted expression written with an attribute (``K.mean``)."""
        dotted = cst_dotted(node)
        if dotted is None or "." not in dotted:
            return None
        root = dotted.split(".", 1)[0]
        if any(root in names for names in self._params):
            return None
        qualname = self.index.imports.resolve(dotted)
        if qualname is None or qualname in self._assigned:
            return None  # a shim such as ``tf.log = tf.math.log`` makes the name exist
        hit = self.lookup(qualname)
        if hit is not None and hit.module_home is not None \
                and (self.index.imports.resolve(root) or "").startswith(hit.qualname):
            return None  # ``np_utils.x`` of ``import keras.utils.np_utils as np_utils``: its import is the finding
        return hit

    def visit_Call(self, node: cst.Call) -> None:
        if self._guards.guarded:
            return
        hit = self.hit_for(node.func)
        if hit is None or self._guards.covers(hit.qualname):
            return
        self._cover(node.func)
        fix, imports = self._call_fix(node, hit)
        self.report(node, message=self.hit_message(hit, _code(node.func), "AttributeError"),
                    fix=fix, fix_imports=imports)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self._covered or self._guards.guarded:
            return
        current: cst.BaseExpression = node
        while isinstance(current, cst.Attribute):
            hit = self.hit_for(current)
            if hit is not None and self._guards.covers(hit.qualname):
                self._cover(node)
                return
            if hit is not None:
                self._cover(node)
                fix, imports = self._reference_fix(current, hit)
                self.report(current, message=self.hit_message(hit, _code(current), "AttributeError"),
                            fix=fix, fix_imports=imports)
                return
            current = current.value

    def _cover(self, node: cst.BaseExpression) -> None:
        while isinstance(node, cst.Attribute):
            self._covered.add(id(node))
            node = node.value

    # fixes
    def nested_rewrite(self, qualname: str) -> Rewrite | None:
        """Rewrite for a name inside a fixed call that is not itself a finding (default: none)."""
        return None

    def _lookup_rewrite(self, node: cst.CSTNode) -> Rewrite | None:
        hit = self.hit_for(node)
        if hit is not None:
            return hit.rewrite
        dotted = cst_dotted(node)
        qualname = self.index.imports.resolve(dotted) if dotted and "." in dotted else None
        return self.nested_rewrite(qualname) if qualname else None

    def _call_fix(self, node: cst.Call, hit: Hit) -> tuple[cst.BaseExpression | DeferredFix | None, list[tuple[str, str | None, str | None]]]:
        if hit.drop_parent:
            func = _without_parent(node.func)
            return (node.with_changes(func=func) if func is not None else None), []
        if hit.rename is not None and isinstance(node.func, cst.Attribute):
            return node.with_changes(func=node.func.with_changes(attr=cst.Name(hit.rename))), []
        if hit.rewrite is None or not rewritable(node, hit.rewrite, self._roots):
            return None, []
        # the outer call rewrites (checked above), so the transformer returns an expression; it
        # walks the whole call, so it runs only when fixes are asked for
        return DeferredFix(lambda: self._rewritten(node)), []

    def _rewritten(self, node: cst.Call) -> tuple[cst.CSTNode, tuple[tuple[str, str | None, str | None], ...]]:
        """The call with every fixable removed name inside it rewritten, and the imports used."""
        rewriter = ApiRewriter(self._lookup_rewrite, self._roots)
        new = node.visit(rewriter)
        if not isinstance(new, cst.BaseExpression):  # leave_Call returns expressions only
            raise TypeError(f"rewriting {type(node).__name__} gave {type(new).__name__}")
        return new, tuple(rewriter.imports)

    def _reference_fix(self, node: cst.Attribute, hit: Hit) -> tuple[cst.BaseExpression | None, list[tuple[str, str | None, str | None]]]:
        if hit.drop_parent:
            return _without_parent(node), []
        if hit.rename is not None:
            return node.with_changes(attr=cst.Name(hit.rename)), []
        if hit.rewrite is None:
            return None, []
        new = rewrite_reference(hit.rewrite, self._roots)
        if new is None:
            return None, []
        return new.with_changes(lpar=node.lpar, rpar=node.rpar), self._roots.imports_for(hit.rewrite)

    # imports
    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None:
            self._cover(node.module)
        if self._guards.guarded or node.relative or node.module is None:
            return
        module = cst_dotted(node.module)
        if module is None or isinstance(node.names, cst.ImportStar):
            return
        module_hit = self.lookup_prefix(module)
        if module_hit is not None:
            if module_hit.module_home is not None and not isinstance(node.names, cst.ImportStar):
                module_hit = replace(module_hit, advice=self.moved_advice(node, module_hit.module_home))
            self.report(node, message=self.hit_message(module_hit, module, "ImportError"),
                        fix=self.moved_import(node, module_hit))
            return
        for alias in node.names:
            name = cst_dotted(alias.name)
            hit = self.lookup(f"{module}.{name}") if name else None
            if hit is None:
                continue
            spelled = f"{module}.{name}"
            if hit.rename is not None and isinstance(alias.name, cst.Name):
                asname = alias.asname or cst.AsName(name=cst.Name(alias.name.value))
                fix = alias.with_changes(name=cst.Name(hit.rename), asname=asname)
                self.report(alias, message=self.hit_message(hit, spelled, "ImportError"), fix=fix)
            elif len(node.names) == 1 and hit.import_from is not None:
                self.report(node, message=self.hit_message(hit, spelled, "ImportError"),
                            fix=_import_from(node, alias, hit.import_from))
            else:
                self.report(alias, message=self.hit_message(hit, spelled, "ImportError"))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._cover(alias.name)
        if self._guards.guarded:
            return
        for alias in node.names:
            dotted = cst_dotted(alias.name)
            hit = self.lookup_prefix(dotted) if dotted else None
            if hit is not None:
                self.report(alias, message=self.hit_message(hit, dotted or "", "ModuleNotFoundError"))

    def moved_import(self, node: cst.ImportFrom, hit: Hit) -> cst.ImportFrom | None:
        """``from keras.utils.np_utils import to_categorical`` -> ``from keras.utils import
        to_categorical`` when the module Keras 3 still has holds every name imported."""
        if hit.module_home is None or isinstance(node.names, cst.ImportStar):
            return None
        names = _alias_names(node)
        if not self.home_has(hit.module_home, names):
            return None
        module = cst.parse_expression(hit.module_home)
        return node.with_changes(module=module) if isinstance(module, (cst.Attribute, cst.Name)) else None

    def moved_advice(self, node: cst.ImportFrom, home: str) -> str:
        """What to import from where, for a ``from`` import of a removed module."""
        names = _alias_names(node)
        shown = home.replace("tensorflow.keras", "tf.keras", 1)
        missing = [n for n in names if not self.home_has(home, [n])]
        if not missing:
            return f"import {', '.join(names)} from {shown}"
        return f"{shown} has no {', '.join(missing)} either"

    def home_has(self, home: str, names: list[str]) -> bool:
        """Whether ``home`` has every one of ``names`` under the target (overridden)."""
        return False

    def lookup_prefix(self, qualname: str) -> Hit | None:
        """A hit on ``qualname`` or on one of its dotted prefixes (a removed module)."""
        parts = qualname.split(".")
        for end in range(len(parts), 1, -1):
            hit = self.lookup(".".join(parts[:end]))
            if hit is not None:
                return hit
        return None


def _alias_names(node: cst.ImportFrom) -> list[str]:
    """The dotted names a ``from`` import (never ``*``) imports, as written before any ``as``."""
    assert not isinstance(node.names, cst.ImportStar)
    return [cst_dotted(alias.name) or "" for alias in node.names]


#: ``removed(qualname, source) -> bool`` of every removed-API rule (TFS501, TFS506): a try
#: body that uses a name either rule knows is gone fails, so its handler runs
_REMOVED_PROBES: list[Callable[[str, str], bool]] = []


def register_removed_probe(probe: Callable[[str, str], bool]) -> None:
    """Called once by each removed-API rule module at import."""
    _REMOVED_PROBES.append(probe)


class _HitFinder(cst.CSTVisitor):
    """Does a block name anything a removed-API table calls removed?"""

    def __init__(self, rule: RemovedApiRule) -> None:
        super().__init__()
        self.imports: ImportTable = rule.index.imports
        self.source: str = rule.index.source
        self.found = False

    def _removed(self, qualname: str | None) -> bool:
        if qualname is None:
            return False
        parts = qualname.split(".")
        return any(probe(".".join(parts[:end]), self.source)
                   for end in range(len(parts), 1, -1) for probe in _REMOVED_PROBES)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        dotted = cst_dotted(node)
        if dotted is not None and self._removed(self.imports.resolve(dotted)):
            self.found = True
        return not self.found

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = cst_dotted(node.module) if node.module is not None and not node.relative else None
        if module is None or isinstance(node.names, cst.ImportStar):
            return
        if any(self._removed(f"{module}.{cst_dotted(a.name)}") for a in node.names):
            self.found = True

    def visit_Import(self, node: cst.Import) -> None:
        if any(self._removed(cst_dotted(alias.name)) for alias in node.names):
            self.found = True



def _param_names(params: cst.Parameters) -> frozenset[str]:
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return frozenset(p.name.value for p in every)


def _without_parent(node: cst.BaseExpression) -> cst.Attribute | None:
    """``a.b.c`` -> ``a.c`` (parentheses and the last name kept), else None."""
    if not isinstance(node, cst.Attribute) or not isinstance(node.value, cst.Attribute):
        return None
    return node.with_changes(value=node.value.value)


def _import_from(node: cst.ImportFrom, alias: cst.ImportAlias, target: tuple[str, str]) -> cst.ImportFrom:
    module, name = target
    local = alias.asname.name if alias.asname else alias.name
    new_alias = cst.ImportAlias(name=cst.Name(name))
    if cst_dotted(local) != name:
        new_alias = new_alias.with_changes(asname=cst.AsName(name=cst.Name(cst_dotted(local) or name)))
    return node.with_changes(module=dotted_expr(module), names=[new_alias])
