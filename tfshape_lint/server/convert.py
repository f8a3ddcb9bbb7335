"""Findings to LSP diagnostics and source rewrites to LSP text edits.

Positions: the engine gives 1-based lines and 0-based columns in code points; LSP wants 0-based
lines and columns in the negotiated encoding (UTF-16 unless the client offers another), so a
column is converted with the text of its line. Rewrites are turned into the smallest line edits
(difflib over lines), which also maps an edit of a joined notebook back to its cells.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from lsprotocol import types

from tfshape_lint.analysis.index import split_lines
from tfshape_lint.finding import Finding, Severity
from tfshape_lint.server.documents import Outcome, Snapshot

SOURCE = "tfshape-lint"
SYNTAX_CODE = "E999"
EVIDENCE_LIMIT = 300


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the client's position units."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _line_body(text: str) -> str:
    return text.rstrip("\r\n")


def position(snapshot: Snapshot, line: int, column: int, encoding: str) -> tuple[str, types.Position]:
    """(document URI, LSP position) of a 1-based line and 0-based code-point column."""
    place = snapshot.place(line)
    body = _line_body(place.text)
    return place.uri, types.Position(place.line, units(body[:column], encoding))


def finding_range(snapshot: Snapshot, finding: Finding, encoding: str) -> tuple[str, types.Range]:
    """The finding's range in its document; a range that runs into another cell ends at the
    end of its first line."""
    uri, start = position(snapshot, finding.line, finding.column, encoding)
    end_uri, end = position(snapshot, finding.end_line, finding.end_column, encoding)
    if end_uri != uri or (end.line, end.character) < (start.line, start.character):
        body = _line_body(snapshot.place(finding.line).text)
        end = types.Position(start.line, units(body, encoding))
    return uri, types.Range(start, end)


@dataclass(frozen=True)
class Verdict:
    """A runtime verdict as the server keeps it (plain data from ``Verification.to_dict``)."""

    status: str
    evidence: str
    data: Mapping[str, Any]


def severity(finding: Finding, verdict: Verdict | None) -> types.DiagnosticSeverity:
    """error → Error, warning → Warning; a finding the verifier refuted drops to Hint."""
    if verdict is not None and verdict.status == "refuted":
        return types.DiagnosticSeverity.Hint
    if finding.severity is Severity.ERROR:
        return types.DiagnosticSeverity.Error
    return types.DiagnosticSeverity.Warning


def message(finding: Finding, verdict: Verdict | None) -> str:
    """The rule's message, its name, and the verdict with its evidence once verified."""
    text = f"{finding.message} ({finding.rule})"
    if verdict is None:
        return text
    evidence = " ".join(verdict.evidence.split())
    if len(evidence) > EVIDENCE_LIMIT:
        evidence = evidence[:EVIDENCE_LIMIT - 3] + "..."
    return f"{text} [{verdict.status}: {evidence}]" if evidence else f"{text} [{verdict.status}]"


def finding_key(finding: Finding) -> list[Any]:
    """What identifies a finding within one version of a document (sent in ``data``)."""
    return [finding.code, finding.line, finding.column, finding.message]


def diagnostic(snapshot: Snapshot, finding: Finding, verdict: Verdict | None, encoding: str,
               rule_url: str | None) -> tuple[str, types.Diagnostic]:
    """(document URI, diagnostic) for one finding."""
    uri, rng = finding_range(snapshot, finding, encoding)
    data: dict[str, Any] = {"rule": finding.rule, "key": finding_key(finding)}
    if verdict is not None:
        data["verification"] = dict(verdict.data)
    return uri, types.Diagnostic(
        range=rng, message=message(finding, verdict), severity=severity(finding, verdict),
        code=finding.code, source=SOURCE,
        code_description=types.CodeDescription(href=rule_url) if rule_url else None,
        data=data)


def diagnostics(snapshot: Snapshot, outcome: Outcome, verdicts: Mapping[tuple[Any, ...], Verdict],
                encoding: str, rule_url: Callable[[str], str | None]) -> dict[str, list[types.Diagnostic]]:
    """Every target document of the snapshot mapped to its diagnostics (empty lists included,
    so that fixed problems disappear from the client)."""
    out: dict[str, list[types.Diagnostic]] = {uri: [] for uri in snapshot.targets}
    for problem in (outcome.syntax,) if outcome.syntax is not None else outcome.broken_cells:
        uri, start = position(snapshot, problem.line, problem.column, encoding)
        out.setdefault(uri, []).append(types.Diagnostic(
            range=types.Range(start, start), message=problem.message,
            severity=types.DiagnosticSeverity.Error, code=SYNTAX_CODE, source=SOURCE))
    if outcome.syntax is not None:
        return out
    for finding in outcome.findings:
        verdict = verdicts.get(verdict_key(snapshot, finding))
        uri, diag = diagnostic(snapshot, finding, verdict, encoding, rule_url(finding.code))
        out.setdefault(uri, []).append(diag)
    return out


def verdict_key(snapshot: Snapshot, finding: Finding) -> tuple[Any, ...]:
    """A key that survives edits elsewhere in the file: code, message, the loss, and the text of
    the flagged line (a verdict is about that code, so changing it forgets the verdict)."""
    loss = finding.loss.qualname if finding.loss is not None else ""
    text = snapshot.place(finding.line).text.strip()
    return (finding.code, finding.message, loss, text)


# -- edits ----------------------------------------------------------------------------------------
def line_edit(lines: list[str], start: int, end: int, new: list[str], encoding: str) -> types.TextEdit:
    """Replace 0-based lines ``[start, end)`` of a document by ``new`` (lines with their ends).

    A document whose last line has no newline cannot be addressed by "start of the next line":
    the edit then ends at the end of that line and the replacement drops its final newline.
    """
    text = "".join(new)
    if end < len(lines) or (lines and lines[-1].endswith(("\n", "\r"))) or not lines:
        return types.TextEdit(types.Range(types.Position(start, 0), types.Position(end, 0)), text)
    last = lines[-1]
    end_pos = types.Position(len(lines) - 1, units(last, encoding))
    if start == len(lines):  # appending after a final line without newline
        start_pos = end_pos
        return types.TextEdit(types.Range(start_pos, end_pos), "\n" + text.rstrip("\r\n"))
    if text.endswith("\n") and not last.endswith("\n"):
        text = text[:-1]
    return types.TextEdit(types.Range(types.Position(start, 0), end_pos), text)


def rewrite_edits(snapshot: Snapshot, new_source: str, encoding: str) -> dict[str, list[types.TextEdit]] | None:
    """Text edits, per client document, that turn :attr:`Snapshot.source` into ``new_source``.

    None when a change cannot be expressed (a notebook edit that crosses cells).
    """
    old = split_lines(snapshot.source)
    new = split_lines(new_source)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    edits: dict[str, list[types.TextEdit]] = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        placed = _place_change(snapshot, i1, i2)
        if placed is None:
            return None
        uri, start, end = placed
        lines = split_lines(snapshot.document_text(uri) or "")
        edits.setdefault(uri, []).append(line_edit(lines, start, end, new[j1:j2], encoding))
    return edits


def _place_change(snapshot: Snapshot, i1: int, i2: int) -> tuple[str, int, int] | None:
    """(document, start, end) in 0-based document lines for source lines ``[i1, i2)``."""
    if snapshot.notebook is None:
        return snapshot.uri, i1, i2
    if i1 < i2:
        first, last = snapshot.place(i1 + 1), snapshot.place(i2)
        if first.uri != last.uri:
            return None
        return first.uri, first.line, last.line + 1
    if i1 == 0:  # insertion at the very top: start of the first code cell
        first = snapshot.place(1)
        return first.uri, 0, 0
    before = snapshot.place(i1)  # insertion after source line i1: end of that line's cell
    return before.uri, before.line + 1, before.line + 1
