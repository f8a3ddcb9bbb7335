"""Code actions: the rule's fix, "fix all safe", ``# noqa: CODE`` and "verify at runtime".

Fixes come from the engine only when actions are asked for (a lint with fixes), are applied to
the whole text with the fixer's own :func:`~tfshape_lint.fixer.apply_fixes` (which also adds the
imports a fix needs) and sent back as the smallest line edits of the client's documents.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from lsprotocol import types

from tfshape_lint.analysis.index import split_lines
from tfshape_lint.finding import Finding, FixSafety
from tfshape_lint.fixer import apply_fixes
from tfshape_lint.registry import get
from tfshape_lint.server.convert import finding_range, line_edit, rewrite_edits
from tfshape_lint.server.documents import Outcome, Snapshot

VERIFY_COMMAND = "tfshape-lint.verify"
FIX_ALL_KIND = "source.fixAll.tfshape-lint"
VERIFY_KIND = "quickfix.tfshape-lint.verify"
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


def wanted(only: Iterable[str] | None, kind: str) -> bool:
    """Whether the client's ``only`` filter admits ``kind`` (kinds are dot-separated prefixes)."""
    if not only:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in only)


def overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def code_actions(snapshot: Snapshot, outcome: Outcome, uri: str, rng: types.Range,
                 context: types.CodeActionContext, encoding: str,
                 diagnostics: list[types.Diagnostic]) -> list[types.CodeAction]:
    """Actions for the findings under ``rng`` in document ``uri``, then "fix all safe"."""
    only = [str(k) for k in context.only] if context.only else None
    actions: list[types.CodeAction] = []
    for finding in outcome.findings:
        f_uri, f_range = finding_range(snapshot, finding, encoding)
        if f_uri != uri or not overlaps(f_range, rng):
            continue
        related = [d for d in diagnostics if d.code == finding.code and d.range == f_range]
        if finding.fix is not None and wanted(only, types.CodeActionKind.QuickFix):
            action = fix_action(snapshot, finding, encoding, related)
            if action is not None:
                actions.append(action)
        if wanted(only, types.CodeActionKind.QuickFix):
            noqa = noqa_action(snapshot, finding, encoding, related)
            if noqa is not None:
                actions.append(noqa)
        if wanted(only, VERIFY_KIND) and has_probe(finding.code):
            actions.append(verify_action(snapshot, finding, related))
    if wanted(only, FIX_ALL_KIND):
        fix_all = fix_all_action(snapshot, outcome, encoding)
        if fix_all is not None:
            actions.append(fix_all)
    return actions


def fix_title(finding: Finding) -> str:
    """Says what the fix does, and warns when it may change loss values (unsafe)."""
    assert finding.fix is not None
    what = finding.fix.description or cure(finding)
    if finding.fix.safety is FixSafety.UNSAFE:
        return f"{finding.code}: {what} (unsafe: may change loss values)"
    return f"{finding.code}: {what}"


def cure(finding: Finding) -> str:
    """The "how to fix" half of a message (messages read "what is wrong; how to fix")."""
    _, sep, how = finding.message.rpartition(";")
    return how.strip() if sep and how.strip() else f"apply the {finding.rule} fix"


def fix_action(snapshot: Snapshot, finding: Finding, encoding: str,
               related: list[types.Diagnostic]) -> types.CodeAction | None:
    """The rule's fix as a quickfix; preferred only when safe."""
    assert finding.fix is not None
    new_source, applied = apply_fixes(snapshot.source, [finding.fix])
    if not applied or new_source == snapshot.source:
        return None
    edits = rewrite_edits(snapshot, new_source, encoding)
    if not edits:
        return None
    return types.CodeAction(
        title=fix_title(finding), kind=types.CodeActionKind.QuickFix, diagnostics=related or None,
        is_preferred=finding.fix.safety is FixSafety.SAFE,
        edit=types.WorkspaceEdit(changes=edits))


def fix_all_action(snapshot: Snapshot, outcome: Outcome, encoding: str) -> types.CodeAction | None:
    """Every safe fix of the document in one pass (overlapping fixes wait for the next pass:
    the client asks again after the edit). Uses the fixes already computed for the actions."""
    safe = [f.fix for f in outcome.findings if f.fix is not None and f.fix.safety is FixSafety.SAFE]
    if not safe:
        return None
    new_source, applied = apply_fixes(snapshot.source, safe)
    if not applied or new_source == snapshot.source:
        return None
    edits = rewrite_edits(snapshot, new_source, encoding)
    if not edits:
        return None
    return types.CodeAction(title="tfshape-lint: fix all safe problems", kind=FIX_ALL_KIND,
                            edit=types.WorkspaceEdit(changes=edits))


def noqa_action(snapshot: Snapshot, finding: Finding, encoding: str,
                related: list[types.Diagnostic]) -> types.CodeAction | None:
    """Add ``# noqa: CODE`` at the end of the finding's first line (or extend an existing one)."""
    place = snapshot.place(finding.line)
    doc = snapshot.document_text(place.uri)
    if doc is None:
        return None
    lines = split_lines(doc)
    if place.line >= len(lines):
        return None
    new_line = with_noqa(lines[place.line], finding.code)
    if new_line is None:
        return None
    edit = line_edit(lines, place.line, place.line + 1, [new_line], encoding)
    return types.CodeAction(
        title=f"{finding.code}: add '# noqa: {finding.code}'", kind=types.CodeActionKind.QuickFix,
        diagnostics=related or None, edit=types.WorkspaceEdit(changes={place.uri: [edit]}))


def with_noqa(line: str, code: str) -> str | None:
    """The line with ``code`` in its ``# noqa`` comment; None when already suppressed."""
    body = line.rstrip("\r\n")
    ending = line[len(body):] or ""
    match = _NOQA.search(body)
    if match is None:
        return f"{body}  # noqa: {code}{ending}"
    codes = match.group("codes")
    if not codes or code in re.findall(r"[A-Z]+[0-9]+", codes.upper()):
        return None
    return f"{body[:match.end()]}, {code}{body[match.end():]}{ending}"


def has_probe(code: str) -> bool:
    """Whether the verifier can run this rule's findings (its rule declares a recipe)."""
    rule = get(code)
    return rule is not None and rule.recipe is not None


def verify_action(snapshot: Snapshot, finding: Finding, related: list[types.Diagnostic]) -> types.CodeAction:
    """Run the verifier on this finding (the server's ``tfshape-lint.verify`` command)."""
    return types.CodeAction(
        title=f"{finding.code}: verify this finding at runtime", kind=VERIFY_KIND,
        diagnostics=related or None,
        command=types.Command(title="Verify this finding at runtime", command=VERIFY_COMMAND,
                              arguments=[verify_argument(snapshot, finding)]))


def verify_argument(snapshot: Snapshot, finding: Finding) -> dict[str, Any]:
    """The command's argument: the document and the finding's key in it."""
    return {"uri": snapshot.uri, "version": snapshot.version,
            "finding": [finding.code, finding.line, finding.column, finding.message]}
