"""Output formats for findings: text, JSON, SARIF 2.1.0, GitHub annotations, statistics."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterable

from tfshape_lint import __version__
from tfshape_lint.finding import Finding, Fix, InternalError
from tfshape_lint.registry import all_rules

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


def format_text(findings: Iterable[Finding]) -> str:
    return "".join(f"{f.path}:{f.line}:{f.column + 1}: {f.code} {f.message}{_verification_suffix(f)}\n"
                   for f in findings)


def _fix_dict(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {"safety": fix.safety.value, "start_line": fix.start_line, "end_line": fix.end_line,
            "replacement": fix.replacement,
            "imports": [list(i) for i in fix.imports]}


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "path": f.path, "line": f.line, "column": f.column + 1, "end_line": f.end_line,
        "end_column": f.end_column + 1, "code": f.code, "rule": f.rule, "message": f.message,
        "severity": f.severity.value, "fix": _fix_dict(f.fix),
        "loss": f.loss.qualname if f.loss else None,
        "verification": verification_dict(f),
    }


def format_json(findings: Iterable[Finding]) -> str:
    return json.dumps([finding_dict(f) for f in findings], indent=2) + "\n"


def format_github(findings: Iterable[Finding]) -> str:
    out = []
    for f in findings:
        level = "error" if f.severity.value == "error" else "warning"
        msg = (f.message + _verification_suffix(f)).replace("%", "%25").replace("\n", "%0A")
        out.append(f"::{level} file={f.path},line={f.line},col={f.column + 1},"
                   f"endLine={f.end_line},endColumn={f.end_column + 1},title={f.code} {f.rule}::{f.code} {msg}\n")
    return "".join(out)


def format_sarif(findings: Iterable[Finding], errors: Iterable[InternalError] = ()) -> str:
    rules = list(all_rules())
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code, "ruleIndex": index.get(f.code, -1),
            "level": "error" if f.severity.value == "error" else "warning",
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f.path.replace("\\", "/")},
                "region": {"startLine": f.line, "startColumn": f.column + 1,
                           "endLine": f.end_line, "endColumn": f.end_column + 1}}}],
        }
        data = verification_dict(f)
        if data is not None:
            result["properties"] = {"verification": data}
        results.append(result)
    notifications = [{"level": "error", "message": {"text": f"{e.path}: {e.message}"}} for e in errors]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tfshape-lint", "version": __version__,
                "informationUri": "https://pypi.org/project/tfshape-lint/",
                "rules": [{
                    "id": r.code, "name": r.name,
                    "shortDescription": {"text": r.message},
                    "fullDescription": {"text": r.doc().split("\n\n")[0].replace("## What it does\n", "")},
                    "helpUri": f"rules/{r.code}.md",
                    "help": {"text": r.doc(), "markdown": r.doc()},
                    "defaultConfiguration": {"level": "error" if r.severity.value == "error" else "warning"},
                } for r in rules]}},
            "results": results,
            "invocations": [{"executionSuccessful": not notifications,
                             "toolExecutionNotifications": notifications}],
        }],
    }
    return json.dumps(doc, indent=2) + "\n"


def format_statistics(findings: Iterable[Finding]) -> str:
    counts = Counter((f.code, f.rule) for f in findings)
    fixable = Counter(f.code for f in findings if f.fix_safety is not None)
    lines = []
    for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = " [*]" if fixable.get(code) else ""
        lines.append(f"{n:5d}  {code}  {name}{mark}\n")
    return "".join(lines)


def render(findings: list[Finding], fmt: str, errors: list[InternalError]) -> str:
    if fmt == "json":
        return format_json(findings)
    if fmt == "sarif":
        return format_sarif(findings, errors)
    if fmt == "github":
        return format_github(findings)
    return format_text(findings)
