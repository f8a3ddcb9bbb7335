"""Shared fixtures: paths and a helper to lint a snippet with one rule selected."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tfshape_lint.cli import main
from tfshape_lint.config import Config, parse_table
from tfshape_lint.engine import lint_source
from tfshape_lint.finding import Finding
from tfshape_lint.registry import known_codes

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: a loss that sums over the batch (TFS102), its fixer output, and the clean version
BUGGY = ("import tensorflow as tf\n\n\ndef l1_loss(y_true, y_pred):\n"
         "    return tf.reduce_sum(tf.abs(y_true - y_pred))\n")
FIXED = ("import tensorflow as tf\n\n\ndef l1_loss(y_true, y_pred):\n"
         "    return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n")
CLEAN = ("import tensorflow as tf\n\n\ndef l1_loss(y_true, y_pred):\n"
         "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)\n")


def example_config(options: dict[str, object]) -> Config:
    return parse_table(dict(options), "<example>", known_codes()) if options else Config()


def lint_example(code: str, options: dict[str, object] | None = None) -> list[Finding]:
    return lint_source(code, "example.py", example_config(dict(options or {})))


def source_of(text: str) -> str:
    """A test's indented triple-quoted source as the file it stands for."""
    return textwrap.dedent(text).lstrip()


def needle_at(source: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """(1-based line, 0-based column) of the ``nth`` occurrence of ``needle``: where the
    verifier tests place a forced finding."""
    seen = 0
    for number, text in enumerate(source.splitlines(), 1):
        col = text.find(needle)
        while col >= 0:
            if seen == nth:
                return number, col
            seen += 1
            col = text.find(needle, col + 1)
    raise AssertionError(f"{needle!r} not in the source")


def forced_finding(code: str, source: str, needle: str) -> Finding:
    """A finding of ``code`` on ``needle``, with its loss: what the verifier would get had the
    rule flagged it (to hand look-alikes and unflagged spots to the verifier)."""
    from tfshape_lint.finding import Severity
    from tfshape_lint.registry import get
    from tfshape_lint.verify.extract import enclosing_loss

    rule = get(code)
    assert rule is not None
    line, col = needle_at(source, needle)
    return Finding("example.py", line, col, line, col + len(needle), code, rule.name, "forced", Severity.WARNING,
                   loss=enclosing_loss(source, line))


@pytest.fixture
def root() -> Path:
    return ROOT


def run_cli(args: list[str], stdin: str = "") -> tuple[int, str, str]:
    """``tfshape-lint <args>`` in process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(args, out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with buggy.py and clean.py (modules may define their own)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "buggy.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def findings_of(source: str, name: str, code: str) -> list[Finding]:
    """The findings of ``code`` in ``source`` (linted as file ``name``); fails if there are none."""
    found = [f for f in lint_source(source, name) if f.code == code]
    assert found, f"{code} is no longer reported on {name}"
    return found


def verify_cases(cases: dict[str, tuple[str, str]]) -> dict[str, list[Any]]:
    """Every finding of each case's code, verified in one call (CPU, no cache), by file name:
    ``cases`` maps a file name to (source, code)."""
    from tfshape_lint.verify import verify_findings

    findings = [f for name, (source, code) in cases.items() for f in findings_of(source, name, code)]
    out = verify_findings(findings, {name: source for name, (source, _) in cases.items()}, timeout=60,
                          device="cpu", use_cache=False)
    grouped: dict[str, list[Any]] = {}
    for finding in out:
        assert finding.verification is not None
        grouped.setdefault(finding.path, []).append(finding.verification)
    return grouped


def expect_verdict(verdict: Any, status: str, present: tuple[str, ...] = (), absent: tuple[str, ...] = ()) -> None:
    """``verdict`` has ``status`` (``"confirmed"``...) and its evidence says every phrase of
    ``present`` and none of ``absent`` (the evidence is the failure message)."""
    assert verdict.status.value == status, verdict.evidence
    for phrase in present:
        assert phrase in verdict.evidence, verdict.evidence
    for phrase in absent:
        assert phrase not in verdict.evidence, verdict.evidence


def flagged(source: str, code: str, nth: int = 0) -> Finding:
    """The ``nth`` finding of ``code`` the linter reports on ``source`` (the rule must flag it):
    what a verifier test hands over as the tool's own finding."""
    found = [f for f in lint_example(source) if f.code == code]
    assert len(found) > nth, f"{code} no longer flags this example"
    return found[nth]


def verify_named(cases: dict[str, tuple[str, str, Finding]]) -> dict[str, Any]:
    """Each named case's verdict (case: file name, its text, one finding on it, forced or the
    linter's), from one ``verify_findings`` call on the CPU without the cache; unlike
    :func:`verify_cases`, which verifies every finding of a code, the finding is given."""
    from dataclasses import replace

    from tfshape_lint.verify import verify_findings

    findings = [replace(f, path=path) for path, _, f in cases.values()]
    sources = {path: text for path, text, _ in cases.values()}
    out = verify_findings(findings, sources, timeout=60, device="cpu", use_cache=False)
    return {name: f.verification for name, f in zip(cases, out)}
