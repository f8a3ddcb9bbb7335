"""Output formats for findings: text, JSON, SARIF 2.1.0, GitHub annotations, statistics.

A notebook finding carries ``cell`` (1-based position in the notebook's cells) and lines
within that cell: text shows ``nb.ipynb:cell 3:2:12``, JSON has a ``cell`` field and SARIF a
``cell`` property. Rule metadata comes from the generated catalogue (no rule is imported).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterable

from tfshape_lint import REPOSITORY_URL, __version__
from tfshape_lint.catalogue import catalogue
from tfshape_lint.finding import Finding, Fix, FixSafety, InternalError

FORMATS = ("text", "json", "sarif", "github")


def verification_dict(finding: Finding) -> dict[str, Any] | None:
    """The verifier's result as plain data (None until ``--verify`` ran)."""
    v = finding.verification
    if v is None:
        return None
    if hasattr(v, "to_dict"):
        return dict(v.to_dict())
    return dict(v) if isinstance(v, dict) else {"status": str(v)}


def _verification_suffix(finding: Finding) -> str:
    data = verification_dict(finding)
    if not data:
        return ""
    evidence = str(data.get("evidence") or "").replace("\n", " ")
    if len(evidence) > 160:
        evidence = evidence[:157] + "..."
    return f" [{data.get('status')}: {evidence}]" if evidence else f" [{data.get('status')}]"


def location(f: Finding) -> str:
    """``path:line:col`` or, in a notebook, ``path:cell N:line:col`` (line within the cell)."""
    cell = f"cell {f.cell}:" if f.cell is not None else ""
    return f"{f.path}:{cell}{f.line}:{f.column + 1}"


def format_text(findings: Iterable[Finding]) -> str:
    return "".join(f"{location(f)}: {f.code} {f.message}{_verification_suffix(f)}\n" for f in findings)


def fix_safety(f: Finding) -> FixSafety | None:
    """Whether (and how safely) the finding can be fixed, with or without a computed fix."""
    if f.fix is not None:
        return f.fix.safety
    safety = getattr(f, "fix_safety", None)
    return safety if isinstance(safety, FixSafety) else None


def _fix_dict(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {"safety": fix.safety.value, "start_line": fix.start_line, "end_line": fix.end_line,
            "replacement": fix.replacement,
            "imports": [list(i) for i in fix.imports]}


def finding_dict(f: Finding) -> dict[str, Any]:
    safety = fix_safety(f)
    return {
        "path": f.path, "cell": f.cell, "line": f.line, "column": f.column + 1, "end_line": f.end_line,
        "end_column": f.end_column + 1, "code": f.code, "rule": f.rule, "message": f.message,
        "severity": f.severity.value, "fix": _fix_dict(f.fix),
        "fix_safety": safety.value if safety is not None else None,
        "loss": f.loss.qualname if f.loss else None,
        "verification": verification_dict(f),
    }


def error_dict(e: InternalError) -> dict[str, Any]:
    return {"path": e.path, "message": e.message, "code": e.code or None}


def format_json(findings: Iterable[Finding], errors: Iterable[InternalError] = ()) -> str:
    """``{"findings": [...], "errors": [...]}``: errors are files that could not be read,
    parsed or analysed (the other files are still reported)."""
    doc = {"version": __version__, "findings": [finding_dict(f) for f in findings],
           "errors": [error_dict(e) for e in errors]}
    return json.dumps(doc, indent=2) + "\n"


def format_github(findings: Iterable[Finding]) -> str:
    out = []
    for f in findings:
        level = "error" if f.severity.value == "error" else "warning"
        cell = f"cell {f.cell}: " if f.cell is not None else ""
        msg = (cell + f.message + _verification_suffix(f)).replace("%", "%25").replace("\n", "%0A")
        out.append(f"::{level} file={f.path},line={f.line},col={f.column + 1},"
                   f"endLine={f.end_line},endColumn={f.end_column + 1},title={f.code} {f.rule}::{f.code} {msg}\n")
    return "".join(out)


def rule_url(code: str) -> str:
    """The rule's page in the repository (``[project.urls] Repository`` + ``rules/CODE.md``)."""
    return f"{REPOSITORY_URL}/blob/main/rules/{code}.md"


def _what_it_does(page: str) -> str:
    section = page.split("## What it does\n", 1)[-1]
    return section.split("\n\n", 1)[0].replace("\n", " ").strip()


def _sarif_rules() -> list[dict[str, Any]]:
    return [{
        "id": r.code, "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": _what_it_does(r.page)},
        "helpUri": rule_url(r.code),
        "help": {"text": r.page, "markdown": r.page},
        "defaultConfiguration": {"level": "error" if r.severity == "error" else "warning"},
        "properties": {"fix": r.fix},
    } for r in catalogue()]


def _sarif_result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.code, "ruleIndex": index.get(f.code, -1),
        "level": "error" if f.severity.value == "error" else "warning",
        "message": {"text": f.message if f.cell is None else f"cell {f.cell}: {f.message}"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": f.path.replace("\\", "/")},
            "region": {"startLine": f.line, "startColumn": f.column + 1,
                       "endLine": f.end_line, "endColumn": f.end_column + 1}}}],
    }
    properties: dict[str, Any] = {}
    if f.cell is not None:
        properties["cell"] = f.cell
    data = verification_dict(f)
    if data is not None:
        properties["verification"] = data
    if properties:
        result["properties"] = properties
    return result


def format_sarif(findings: Iterable[Finding], errors: Iterable[InternalError] = (),
                 statistics: list[dict[str, Any]] | None = None) -> str:
    rules = _sarif_rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    notifications = [{"level": "error", "message": {"text": f"{e.path}: {e.message}"},
                      "locations": [{"physicalLocation": {"artifactLocation": {"uri": e.path}}}]}
                     for e in errors]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "tfshape-lint", "version": __version__,
                            "informationUri": REPOSITORY_URL, "rules": rules}},
        "results": [_sarif_result(f, index) for f in findings],
        "invocations": [{"executionSuccessful": not notifications,
                         "toolExecutionNotifications": notifications}],
    }
    if statistics is not None:
        run["properties"] = {"statistics": statistics}
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2) + "\n"


#: printed under the text statistics (ruff prints a similar legend)
LEGEND = ("[*] fixable with `tfshape-lint fix`; [-] fixable with `tfshape-lint fix --unsafe-fixes`\n")


def statistics(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Counts per rule, most frequent first: code, name, count, fixable (safe/unsafe/None)."""
    findings = list(findings)
    counts = Counter((f.code, f.rule) for f in findings)
    safeties: dict[str, set[FixSafety]] = {}
    for f in findings:
        safety = fix_safety(f)
        if safety is not None:
            safeties.setdefault(f.code, set()).add(safety)
    out = []
    for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        kinds = safeties.get(code, set())
        fixable = "safe" if FixSafety.SAFE in kinds else "unsafe" if kinds else None
        out.append({"code": code, "name": name, "count": n, "fixable": fixable})
    return out


def format_statistics(findings: Iterable[Finding], fmt: str = "text",
                      errors: Iterable[InternalError] = ()) -> str:
    """``--statistics`` in any format: a table with a legend (text, github), JSON
    ``{"statistics": [...], "errors": [...]}``, or SARIF with the counts as run properties."""
    rows = statistics(findings)
    if fmt == "json":
        return json.dumps({"version": __version__, "statistics": rows,
                           "errors": [error_dict(e) for e in errors]}, indent=2) + "\n"
    if fmt == "sarif":
        return format_sarif([], errors, statistics=rows)
    marks = {"safe": "[*]", "unsafe": "[-]", None: "   "}
    lines = [f"{row['count']:5d}  {row['code']}  {marks[row['fixable']]} {row['name']}\n" for row in rows]
    if rows:
        lines.append(LEGEND)
    return "".join(lines)


def render(findings: list[Finding], fmt: str, errors: list[InternalError]) -> str:
    if fmt == "json":
        return format_json(findings, errors)
    if fmt == "sarif":
        return format_sarif(findings, errors)
    if fmt == "github":
        return format_github(findings)
    return format_text(findings)
