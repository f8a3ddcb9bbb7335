"""The LibCST codemod front-end: ``python -m libcst.tool codemod`` for real, in a temp folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from libcst.codemod import CodemodContext, TransformSkip, TransformSuccess, transform_module

from tests.conftest import BUGGY, FIXED
from tfshape_lint.codemod import TfshapeFixCommand
from tfshape_lint.finding import Fix, FixSafety

CLEAN = "import os\n\nprint(os.sep)\n"


def libcst_tool(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "buggy.py").write_text(BUGGY)
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    (tmp_path / "pkg" / "crlf.py").write_bytes(BUGGY.replace("\n", "\r\n").encode())
    return tmp_path


def test_external_class_path(project: Path) -> None:
    proc = libcst_tool(["-x", "tfshape_lint.codemod.TfshapeFixCommand", "--no-format", "--hide-progress",
                        "--unsafe-fixes", "pkg"], project)
    assert proc.returncode == 0, proc.stderr
    assert "Transformed 2 files successfully" in proc.stderr
    assert "Skipped 1 files" in proc.stderr and "clean.py: nothing to fix" in proc.stderr
    assert (project / "pkg" / "buggy.py").read_text() == FIXED
    assert (project / "pkg" / "clean.py").read_text() == CLEAN
    assert (project / "pkg" / "crlf.py").read_bytes() == FIXED.replace("\n", "\r\n").encode()
    again = libcst_tool(["-x", "tfshape_lint.codemod.TfshapeFixCommand", "--no-format", "--hide-progress",
                         "--unsafe-fixes", "pkg"], project)
    assert "Transformed 0 files successfully" in again.stderr and "Skipped 3 files" in again.stderr


def test_configured_module_and_safe_default(project: Path) -> None:
    (project / ".libcst.codemod.yaml").write_text("modules:\n- tfshape_lint\n")
    proc = libcst_tool(["codemod.TfshapeFixCommand", "--no-format", "--hide-progress", "pkg"], project)
    assert proc.returncode == 0, proc.stderr
    assert (project / "pkg" / "buggy.py").read_text() == BUGGY     # TFS102's fix is unsafe
    proc = libcst_tool(["codemod.TfshapeFixCommand", "--no-format", "--hide-progress",
                        "--unsafe-fixes", "--ignore", "TFS102", "pkg"], project)
    assert (project / "pkg" / "buggy.py").read_text() == BUGGY
    (project / "pyproject.toml").write_text("[tool.tfshape-lint]\nunsafe-fixes = true\n")
    proc = libcst_tool(["codemod.TfshapeFixCommand", "--no-format", "--hide-progress", "pkg"], project)
    assert (project / "pkg" / "buggy.py").read_text() == FIXED


def test_unified_diff_writes_nothing(project: Path) -> None:
    proc = libcst_tool(["-x", "tfshape_lint.codemod.TfshapeFixCommand", "--no-format", "--hide-progress",
                        "--unsafe-fixes", "-u", "1", "pkg/buggy.py"], project)
    assert "+    return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)" in proc.stdout
    assert (project / "pkg" / "buggy.py").read_text() == BUGGY


def _transform(code: str, unsafe: bool = True) -> object:
    return transform_module(TfshapeFixCommand(CodemodContext(filename="x.py"), unsafe_fixes=unsafe), code)


def test_in_process_results() -> None:
    result = _transform(BUGGY)
    assert isinstance(result, TransformSuccess) and result.code == FIXED
    skipped = _transform(CLEAN)
    assert isinstance(skipped, TransformSkip) and skipped.skip_description == "nothing to fix"
    assert isinstance(_transform(BUGGY, unsafe=False), TransformSkip)


def test_fix_that_would_not_parse_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    import tfshape_lint.engine as engine

    def broken_fix(self: object, *where: object) -> Fix:
        return Fix(start_line=5, end_line=5, replacement="    return (\n", safety=FixSafety.SAFE)

    monkeypatch.setattr(engine._Run, "_fix", broken_fix)
    result = _transform(BUGGY)
    assert isinstance(result, TransformSkip)
    assert "fix produced invalid code" in result.skip_description
    assert any("fix produced invalid code" in w for w in result.warning_messages)
