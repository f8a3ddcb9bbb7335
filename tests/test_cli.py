"""`tfshape-lint check` end to end: exit codes, formats, config, bad input, suppression."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BUGGY, run_cli as run


def test_exit_codes_and_text(project: Path) -> None:
    code, out, _ = run(["check", "clean.py"])
    assert (code, out) == (0, "")
    code, out, _ = run(["check", "."])
    assert code == 1
    assert out == ("buggy.py:5:12: TFS102 tf.reduce_sum sums over the batch axis, so loss and "
                   "gradient scale with batch size; pass axis=-1\n")
    assert run(["check", "--exit-zero", "buggy.py"])[0] == 0


def test_json_format(project: Path) -> None:
    code, out, _ = run(["check", "--format", "json", "buggy.py"])
    doc = json.loads(out)
    assert set(doc) == {"version", "findings", "errors"} and doc["errors"] == []
    data = doc["findings"]
    assert code == 1 and len(data) == 1
    item = data[0]
    assert set(item) >= {"path", "cell", "line", "column", "end_line", "end_column", "code", "rule",
                         "message", "severity", "fix", "fix_safety", "verification"}
    assert item["cell"] is None and item["fix_safety"] == "unsafe"
    assert (item["line"], item["column"], item["code"], item["severity"]) == (5, 12, "TFS102", "warning")
    assert item["fix"]["safety"] == "unsafe" and item["verification"] is None


def test_sarif_format(project: Path) -> None:
    _, out, _ = run(["check", "--format", "sarif", "buggy.py"])
    doc = json.loads(out)
    assert doc["version"] == "2.1.0"
    run0 = doc["runs"][0]
    ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    assert "TFS102" in ids
    result = run0["results"][0]
    assert result["ruleId"] == "TFS102" and ids[result["ruleIndex"]] == "TFS102"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (5, 12)


def test_github_format_and_statistics(project: Path) -> None:
    _, out, _ = run(["check", "--format", "github", "buggy.py"])
    assert out.startswith("::warning file=buggy.py,line=5,col=12,")
    _, out, _ = run(["check", "--statistics", "."])
    assert out.splitlines()[0].split() == ["1", "TFS102", "[-]", "batch-axis-reduction"]
    assert out.splitlines()[1].startswith("[*] fixable with `tfshape-lint fix`")


def test_select_ignore(project: Path) -> None:
    assert run(["check", "--ignore", "TFS102", "buggy.py"])[0] == 0
    assert run(["check", "--select", "TFS104", "buggy.py"])[0] == 0
    assert run(["check", "--select", "TFS1", "buggy.py"])[0] == 1
    code, _, err = run(["check", "--select", "TFS999", "buggy.py"])
    assert code == 2 and "unknown rule code 'TFS999'" in err


def test_noqa(project: Path) -> None:
    (project / "buggy.py").write_text(BUGGY.replace("))\n", "))  # noqa: TFS102\n"))
    assert run(["check", "buggy.py"])[0] == 0
    (project / "buggy.py").write_text(BUGGY.replace("))\n", "))  # noqa: TFS104\n"))
    assert run(["check", "buggy.py"])[0] == 1
    (project / "buggy.py").write_text(BUGGY.replace("))\n", "))  # noqa\n"))
    assert run(["check", "buggy.py"])[0] == 0


def test_pyproject_config(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.tfshape-lint]\nignore = ["TFS102"]\n')
    assert run(["check", "."])[0] == 0
    (project / "pyproject.toml").write_text(
        '[tool.tfshape-lint]\nper-file-ignores = { "buggy.py" = ["TFS1"] }\n')
    assert run(["check", "."])[0] == 0
    (project / "pyproject.toml").write_text('[tool.tfshape-lint]\nexclude = ["bug*"]\n')
    assert run(["check", "."])[0] == 0
    assert run(["check", "buggy.py"])[0] == 1, "explicitly named files are checked"


@pytest.mark.parametrize("text,expect", [
    ('[tool.tfshape-lint]\nselec = ["TFS1"]\n', "unknown key 'selec'"),
    ('[tool.tfshape-lint]\nselect = ["TFS777"]\n', "unknown rule code 'TFS777'"),
    ('[tool.tfshape-lint]\ntarget-keras = "2"\n', "target-keras: expected one of 3, tf-keras"),
    ('[tool.tfshape-lint\n', "invalid TOML"),
])
def test_bad_config(project: Path, text: str, expect: str) -> None:
    (project / "pyproject.toml").write_text(text)
    code, out, err = run(["check", "."])
    assert code == 2 and expect in err and "pyproject.toml" in err and "Traceback" not in err


def test_explicit_config_file(project: Path) -> None:
    (project / "lint.toml").write_text('ignore = ["TFS102"]\n')
    assert run(["check", "--config", "lint.toml", "."])[0] == 0
    code, _, err = run(["check", "--config", "missing.toml", "."])
    assert code == 2 and "missing.toml: config file not found" in err


def test_bad_input_files_are_reported_and_others_checked(project: Path) -> None:
    (project / "syntax.py").write_text("import tensorflow as tf\ndef f(:\n")
    (project / "latin1.py").write_bytes(b"import keras\nx = '\xe9'\n")
    (project / "binary.py").write_bytes(b"\x00\x01keras")
    code, out, err = run(["check", ".", "missing_dir"])
    assert code == 2
    assert "buggy.py:5:12: TFS102" in out
    assert "syntax.py: error: syntax error at line 2" in err
    assert "latin1.py: error: not valid UTF-8 text" in err
    assert "binary.py: error: binary file" in err
    assert "missing_dir: error: no such file or directory" in err
    assert "Traceback" not in err


def test_stdin(project: Path) -> None:
    code, out, _ = run(["check", "-", "--stdin-filename", "from_stdin.py"], stdin=BUGGY)
    assert code == 1 and out.startswith("from_stdin.py:5:12: TFS102")


def test_rules_and_rule_commands() -> None:
    code, out, _ = run(["rules"])
    assert code == 0 and "TFS102  batch-axis-reduction" in out
    code, out, _ = run(["rule", "batch-axis-reduction"])
    assert code == 0 and out.startswith("# TFS102 batch-axis-reduction")
    code, _, err = run(["rule", "TFS000"])
    assert code == 2 and "unknown rule 'TFS000'" in err


def test_parallel_matches_serial(project: Path) -> None:
    for i in range(40):
        (project / f"copy{i}.py").write_text(BUGGY)
    serial = run(["check", "--jobs", "1", "."])
    parallel = run(["check", "--jobs", "2", "."])
    assert serial == parallel and serial[1].count("TFS102") == 41


def test_console_script_and_module(project: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "tfshape_lint", "check", "buggy.py"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "TFS102" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "tfshape_lint", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("tfshape-lint ")


def test_linter_never_imports_tensorflow(project: Path) -> None:
    code = ("import sys; from tfshape_lint.cli import main; main(['check', 'buggy.py']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'numpy')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().endswith("[]"), proc.stdout + proc.stderr


def test_closed_pipe_ends_quietly(project: Path) -> None:
    """``tfshape-lint check | head -c 0``: the reader leaves before the report is written; the
    process ends with the error status and no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "tfshape_lint", "check", "--format", "json", "buggy.py"],
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # nothing will read the report
    stderr = proc.stderr.read().decode()
    assert proc.wait() == 2
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
