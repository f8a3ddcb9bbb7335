"""Typed facts: every fact read anywhere is produced by the analysis, and no rule logic lives there.

The facts are enum members, so a misspelt one fails at import; what these tests add is that a
fact a rule asks for can actually be true (a member nobody produces would silently disable the
rule that reads it), and that ``analysis/`` stays rule-agnostic.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tfshape_lint.analysis.values import Mark, Origin, Tag

PACKAGE = Path(__file__).resolve().parent.parent / "tfshape_lint"
ANALYSIS = sorted((PACKAGE / "analysis").glob("*.py"))
RULES = sorted((PACKAGE / "rules").glob("*.py"))
ENUMS = {"Tag": Tag, "Mark": Mark, "Origin": Origin}
#: calls and operators that test or remove a fact rather than state it
_READERS = {"has", "marked", "without_tags", "without_marks"}


def _refs(tree: ast.AST) -> list[tuple[ast.Attribute, list[ast.AST]]]:
    """Every ``Tag.X``/``Mark.X``/``Origin.X`` with its chain of parent nodes."""
    out: list[tuple[ast.Attribute, list[ast.AST]]] = []

    def walk(node: ast.AST, parents: list[ast.AST]) -> None:
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in ENUMS):
            out.append((node, parents))
        for child in ast.iter_child_nodes(node):
            walk(child, parents + [node])

    walk(tree, [])
    return out


def _is_read(parents: list[ast.AST]) -> bool:
    for parent in reversed(parents):
        if isinstance(parent, ast.Call):
            func = parent.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _READERS:
                return True
        if isinstance(parent, ast.Compare):
            return True
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Sub, ast.BitAnd)):
            return True
        if isinstance(parent, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.isupper() for t in parent.targets):
            return True  # a module-level table of facts to test against
        if isinstance(parent, (ast.FunctionDef, ast.Lambda, ast.Return)):
            break
    return False


def _facts(paths: list[Path], *, produced: bool) -> set[object]:
    out: set[object] = set()
    for path in paths:
        for ref, parents in _refs(ast.parse(path.read_text())):
            if produced and _is_read(parents):
                continue
            assert isinstance(ref.value, ast.Name)
            out.add(getattr(ENUMS[ref.value.id], ref.attr))
    return out


def test_every_fact_read_is_produced_by_the_analysis() -> None:
    produced = _facts(ANALYSIS, produced=True)
    read = _facts(RULES, produced=False) | (_facts(ANALYSIS, produced=False) - produced)
    read.discard(Origin.SAMPLE_WEIGHT)  # stated by TFS106 about its own probe, not read
    missing = sorted(str(f) for f in read - produced)
    assert not missing, f"facts read but never produced in analysis/: {missing}"


@pytest.mark.parametrize("enum", [Tag, Mark])
def test_every_fact_is_produced(enum: type) -> None:
    produced = _facts(ANALYSIS, produced=True)
    dead = sorted(str(m) for m in enum if m not in produced)
    assert not dead, f"facts nobody produces (remove them or produce them): {dead}"


def test_the_analysis_names_no_rule() -> None:
    offenders = [f"{p.name}:{i}" for p in ANALYSIS
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if re.search(r"\bTFS\d{3}\b", line)]
    assert not offenders, f"rule codes in analysis/: {offenders}"


def test_rules_import_no_private_analysis_helpers() -> None:
    offenders = []
    for path in RULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tfshape_lint."):
                offenders += [f"{path.name}: {node.module}.{a.name}" for a in node.names
                              if a.name.startswith("_")]
    assert not offenders, offenders


def test_rules_read_scopes_through_the_query_api() -> None:
    private = re.compile(r"\.(values|normalised|sources)\b(\.get|\.items|\[|\)|$| in)")
    offenders = [f"{p.name}:{i}: {line.strip()}" for p in RULES if not p.name.startswith("_api")
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if private.search(line) and "expr.values" not in line and "finder.values" not in line]
    assert not offenders, offenders
