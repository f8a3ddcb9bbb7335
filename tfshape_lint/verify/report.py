"""How verdicts shape the report: refuted findings leave the text report and the exit status.

A finding the verifier refuted was run and shown harmless in this code, so text output (and
the exit status) drop it, with one summary line saying how many; ``--show-refuted`` lists them.
JSON and SARIF keep every finding with its ``verification.status`` so tools can decide.
Nothing here imports TensorFlow.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from tfshape_lint.finding import Finding

#: formats that keep refuted findings (with their status) instead of dropping them
KEEPING_FORMATS = frozenset({"json", "sarif"})


def is_refuted(finding: Finding) -> bool:
    """Whether ``--verify`` ran this finding's loss and found no symptom."""
    status = getattr(finding.verification, "status", None)
    return getattr(status, "value", status) == "refuted"


def split_by_verdict(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(findings to report, refuted findings), each in the input order."""
    kept = [f for f in findings if not is_refuted(f)]
    refuted = [f for f in findings if is_refuted(f)]
    return kept, refuted


def counted(findings: Iterable[Finding]) -> bool:
    """Whether any finding should make the exit status non-zero (refuted ones never do)."""
    return any(not is_refuted(f) for f in findings)


def refuted_summary(refuted: Sequence[Finding], *, listed: bool) -> str:
    """One line for the end of a text report ("" when nothing was refuted)."""
    if not refuted:
        return ""
    n = len(refuted)
    noun = "finding" if n == 1 else "findings"
    if listed:
        return f"{n} {noun} refuted by --verify (listed, not counted in the exit status)\n"
    return f"{n} {noun} refuted by --verify and not shown (--show-refuted lists them)\n"


def for_format(findings: list[Finding], fmt: str, show_refuted: bool) -> tuple[list[Finding], str]:
    """The findings a format prints and the summary line to add."""
    if fmt in KEEPING_FORMATS:
        return findings, ""
    kept, refuted = split_by_verdict(findings)
    return (findings if show_refuted else kept), refuted_summary(refuted, listed=show_refuted)
