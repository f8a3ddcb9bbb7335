"""The engine over many real files nobody here wrote: it never raises and never errors.

Uses the installed keras / tf_keras sources (present wherever the verify extra is installed,
as in CI) plus this package's own sources; files that do not parse as Python 3.11 are skipped.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tfshape_lint.config import Config
from tfshape_lint.engine import SourceError, lint


def _package_files(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(Path(list(spec.submodule_search_locations)[0]).rglob("*.py"))


CORPUS = _package_files("keras") + _package_files("tfshape_lint")


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) > 20


@pytest.mark.slow
def test_engine_never_raises_on_real_code() -> None:
    config = Config()
    problems: list[str] = []
    checked = 0
    for path in CORPUS:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        try:
            result = lint(text, str(path), config)
        except SourceError:
            continue
        checked += 1
        problems += [f"{e.path}: {e.message}" for e in result.errors]
    assert checked > 20
    assert problems == []


@pytest.mark.tf  # needs keras (installed with TensorFlow); 24 s with project resolution
@pytest.mark.parametrize("module", ["losses", "metrics"])
def test_no_findings_in_keras_own_loss_modules(module: str) -> None:
    """Keras' own losses and metrics are correct code: any finding there is a false positive."""
    files = [p for p in _package_files("keras") if f"/src/{module}/" in p.as_posix()
             and not p.name.endswith("_test.py")]
    if not files:
        pytest.skip("keras is not installed (install the verify extra)")
    findings = []
    for path in files:
        findings += lint(path.read_text(encoding="utf-8"), str(path), Config()).findings
    assert [f"{f.path}:{f.line} {f.code} {f.message}" for f in findings] == []
