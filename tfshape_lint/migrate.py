"""Keras 2 -> 3 migration steps that are not a finding's fix.

The TFS501 fixes rewrite ``K.mean(...)`` to ``keras.ops.mean(...)`` one call at a time; once
they are applied, the ``import keras.backend as K`` that fed them may have no user left. The
fixer applies per-finding line replacements, so removing that import is a separate,
finding-less step: :func:`remove_unused_backend_imports`, run by ``tfshape-lint fix`` after
the fixes of a file.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor

from tfshape_lint.source import code_of

__all__ = ["BACKEND_MODULES", "remove_unused_backend_imports"]

#: the legacy backend modules whose alias imports the migration may drop
BACKEND_MODULES: tuple[str, ...] = ("keras.backend", "tensorflow.keras.backend",
                                    "keras._tf_keras.keras.backend")
#: parents of ``backend`` in ``from <parent> import backend``
_BACKEND_PARENTS = tuple(m.rsplit(".", 1)[0] for m in BACKEND_MODULES)


@dataclass(frozen=True)
class _BackendImport:
    """One top-level import binding a local name to a legacy backend module."""

    module: str
    obj: str | None
    asname: str | None
    local: str


def remove_unused_backend_imports(source: str, before: str | None = None) -> str:
    """``source`` without the top-level legacy backend imports nothing uses any more.

    Removes ``import keras.backend as K``, ``from keras import backend (as K)`` and the
    ``tensorflow.keras`` spellings when the bound name is unused (LibCST's scope analysis,
    through ``RemoveImportsVisitor``). With ``before`` (the text before the fixes), only
    imports that ``before`` used are removed: an import that was already unused is the
    user's business, not the migration's. ``import keras.backend`` without an alias binds
    ``keras`` and is never removed; neither is a name listed in ``__all__``. Returns
    ``source`` unchanged when nothing applies or the result would not parse.
    """
    if "backend" not in source:
        return source
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return source
    candidates = [imp for imp in _backend_imports(module) if not _exported(source, imp.local)]
    if before is not None:
        used_before = _used_names(before)
        candidates = [imp for imp in candidates if imp.local in used_before]
    if not candidates:
        return source
    result = module
    for batch in _batches(candidates):
        context = CodemodContext()
        for imp in batch:
            RemoveImportsVisitor.remove_unused_import(context, imp.module, imp.obj, imp.asname)
        result = RemoveImportsVisitor(context).transform_module(result)
    code = result.code
    try:
        ast.parse(code)
    except SyntaxError:
        return source
    return code


def _backend_imports(module: cst.Module) -> list[_BackendImport]:
    found: list[_BackendImport] = []
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                found += _from_import(small)
            elif isinstance(small, cst.ImportFrom):
                found += _from_import_from(small)
    return found


def _from_import(node: cst.Import) -> list[_BackendImport]:
    out = []
    for alias in node.names:
        name = alias.evaluated_name
        if name in BACKEND_MODULES and alias.evaluated_alias is not None:
            out.append(_BackendImport(name, None, alias.evaluated_alias, alias.evaluated_alias))
    return out


def _from_import_from(node: cst.ImportFrom) -> list[_BackendImport]:
    if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
        return []
    parent = code_of(node.module)
    if parent not in _BACKEND_PARENTS:
        return []
    out = []
    for alias in node.names:
        if alias.evaluated_name == "backend":
            local = alias.evaluated_alias or "backend"
            out.append(_BackendImport(parent, "backend", alias.evaluated_alias, local))
    return out


def _exported(source: str, name: str) -> bool:
    return "__all__" in source and re.search(rf"""['"]{re.escape(name)}['"]""", source) is not None


def _used_names(source: str) -> set[str]:
    """Names read anywhere in ``source`` (imports themselves do not count)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _batches(imports: list[_BackendImport]) -> list[list[_BackendImport]]:
    """Split so that a module appears once per batch (RemoveImportsVisitor keys on it)."""
    batches: list[list[_BackendImport]] = []
    for imp in imports:
        for batch in batches:
            if all((b.module, b.obj) != (imp.module, imp.obj) for b in batch):
                batch.append(imp)
                break
        else:
            batches.append([imp])
    return batches
