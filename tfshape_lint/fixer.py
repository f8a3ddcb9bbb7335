"""Apply the fixes findings carry, until nothing more changes (like ruff's fix loop).

Each pass lints, applies every non-overlapping allowed fix, adds the imports fixes need
through LibCST's ``AddImportsVisitor``, and re-parses: a result that does not parse is
thrown away and the file is left as it was.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from tfshape_lint.analysis.index import split_lines
from tfshape_lint.config import Config
from tfshape_lint.engine import lint
from tfshape_lint.finding import Finding, Fix

MAX_PASSES = 10


@dataclass
class FixResult:
    """The new text and what happened to it."""

    source: str
    applied: int = 0
    unsafe_skipped: int = 0
    remaining: list[Finding] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.applied > 0


def fix_source(source: str, path: str, config: Config, *, unsafe: bool = False) -> FixResult:
    """Fix one file's text; never returns code that does not parse."""
    current = source
    applied = 0
    for _ in range(MAX_PASSES):
        findings = lint(current, path, config, fixes=True).findings
        fixes = [f.fix for f in findings if f.fix is not None and f.fix.allowed(unsafe)]
        if not fixes:
            break
        if current is source:
            unparsable = _libcst_error(source)
            if unparsable:  # Python parses it, LibCST does not (a tab after spaces in an indent)
                return FixResult(source, 0, 0, findings,
                                 error=f"LibCST cannot parse this file ({unparsable}), so no fix can be applied "
                                       "and checked; file left unchanged")
        new, count = apply_fixes(current, fixes)
        if count == 0 or new == current:
            break
        try:
            ast.parse(new)
            cst.parse_module(new)
        except (SyntaxError, cst.ParserSyntaxError) as exc:
            return FixResult(source, 0, 0, lint(source, path, config, fixes=True).findings,
                             error=f"fix produced invalid code, file left unchanged: {exc}")
        current, applied = new, applied + count
    remaining = lint(current, path, config, fixes=True).findings if applied else findings
    skipped = sum(1 for f in remaining if f.fix is not None and not f.fix.allowed(unsafe))
    return FixResult(current, applied, skipped, remaining)


def _libcst_error(source: str) -> str:
    """LibCST's complaint about ``source`` ("" when it parses): fixes add imports with LibCST
    and every fixed file is re-parsed with it."""
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return exc.message
    return ""


def apply_fixes(source: str, fixes: list[Fix]) -> tuple[str, int]:
    """Apply non-overlapping line-range fixes (first come first served), then imports."""
    lines = split_lines(source)
    chosen: list[Fix] = []
    for fix in sorted(fixes, key=lambda f: (f.start_line, f.end_line)):
        if chosen and fix.start_line <= chosen[-1].end_line:
            continue
        chosen.append(fix)
    for fix in reversed(chosen):
        lines[fix.start_line - 1 : fix.end_line] = [fix.replacement]
    text = "".join(lines)
    imports = {imp for fix in chosen for imp in fix.imports}
    if imports:
        text = add_imports(text, sorted(imports, key=str))
    return text, len(chosen)


def add_imports(source: str, imports: list[tuple[str, str | None, str | None]]) -> str:
    """Add imports with LibCST's AddImportsVisitor (never by string surgery)."""
    module = cst.parse_module(source)
    context = CodemodContext()
    for mod, obj, alias in imports:
        AddImportsVisitor.add_needed_import(context, mod, obj, alias)
    return AddImportsVisitor(context).transform_module(module).code
