"""Fitting the user's workflow (issue 13): config per file, excludes, notebooks, adoption, outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from tests.conftest import BUGGY, CLEAN, FIXED, ROOT, run_cli as run
from tfshape_lint import REPOSITORY_URL
from tfshape_lint.config import ConfigError, ConfigResolver, Overrides, config_for_path, clear_cache

SQUEEZE = BUGGY.replace("tf.abs(y_true - y_pred))", "tf.abs(y_true - tf.squeeze(y_pred)), axis=-1)")  # TFS104


def codes(out: str) -> set[tuple[str, str]]:
    """{(file name, code)} from text output."""
    found = set()
    for line in out.splitlines():
        path, _, rest = line.partition(": ")
        found.add((Path(path.split(":")[0]).name, rest.split()[0]))
    return found


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """outside/ (the working folder) and repo/ with a config, a nested package and experiments/."""
    repo = tmp_path / "repo"
    (repo / "pkg" / "sub").mkdir(parents=True)
    (repo / "experiments").mkdir()
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.tfshape-lint]\nignore = ["TFS104"]\n'
        'exclude = ["experiments/*"]\nper-file-ignores = { "pkg/legacy_*.py" = ["TFS102"] }\n')
    (repo / "pkg" / "sub" / "pyproject.toml").write_text('[tool.black]\nline-length = 99\n')
    (repo / "pkg" / "sub" / "model.py").write_text(BUGGY)
    (repo / "pkg" / "sub" / "squeeze.py").write_text(SQUEEZE)
    (repo / "pkg" / "legacy_loss.py").write_text(BUGGY)
    (repo / "experiments" / "try.py").write_text(BUGGY)
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    clear_cache()
    return repo


# -- hierarchical config --------------------------------------------------------------------------
def test_config_is_found_from_the_checked_file_not_the_working_folder(tree: Path) -> None:
    code, out, err = run(["check", str(tree)])
    assert code == 1, err
    # TFS104 ignored, legacy_* per-file-ignored, experiments/* excluded (globs relative to repo/)
    assert codes(out) == {("model.py", "TFS102")}
    code, out, _ = run(["check", str(tree / "pkg" / "sub" / "squeeze.py")])
    assert (code, out) == (0, ""), "the nested pyproject.toml without the table hides nothing"


def test_globs_are_relative_to_the_config_folder_wherever_the_run_starts(
        tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in (tree, tree / "pkg", tree.parent):
        monkeypatch.chdir(folder)
        _, out, _ = run(["check", "--show-files", str(tree)])
        listed = {Path(line).resolve() for line in out.splitlines()}
        assert tree / "experiments" / "try.py" not in listed
        assert tree / "pkg" / "legacy_loss.py" in listed


def test_a_nearer_config_wins_and_extend_reads_the_parent(tree: Path) -> None:
    (tree / "pkg" / "tfshape-lint.toml").write_text('extend = "../pyproject.toml"\nselect = ["TFS104"]\n')
    config = config_for_path(tree / "pkg" / "sub" / "model.py")
    assert config.source.startswith(str(tree / "pkg" / "tfshape-lint.toml"))
    assert config.select == ("TFS104",) and config.ignore == ("TFS104",)  # ignore inherited
    assert [g.pattern for g, _ in config.per_file_ignores] == ["pkg/legacy_*.py"]
    assert config.per_file_ignores[0][0].root == str(tree)  # the parent's globs keep its folder
    code, out, _ = run(["check", str(tree / "pkg")])
    assert code == 0 and out == ""  # TFS104 selected and ignored: nothing left


def test_extend_loop_and_bad_values_are_reported(tree: Path) -> None:
    (tree / "pkg" / "tfshape-lint.toml").write_text('extend = "tfshape-lint.toml"\n')
    with pytest.raises(ConfigError, match="loops back"):
        ConfigResolver().for_path(tree / "pkg" / "legacy_loss.py")
    (tree / "pkg" / "tfshape-lint.toml").write_text("force-exclude = 3\n")
    code, _, err = run(["check", str(tree / "pkg")])
    assert code == 2 and "force-exclude: expected true or false" in err


def test_explicit_config_overrides_the_search(tree: Path) -> None:
    (tree.parent / "other.toml").write_text("select = []\nextend-select = ['TFS104']\n")
    code, out, _ = run(["check", "--config", str(tree.parent / "other.toml"), str(tree / "pkg" / "sub")])
    assert code == 1 and codes(out) == {("squeeze.py", "TFS104")}


def test_show_settings_names_the_file_and_values(tree: Path) -> None:
    code, out, _ = run(["check", "--show-settings", str(tree / "pkg" / "sub" / "model.py")])
    assert code == 0
    assert f"config file: {tree / 'pyproject.toml'}" in out
    assert "ignore: ['TFS104']" in out and f"'experiments/*' (in {tree})" in out
    assert run(["check", "--show-settings", "a.py", "b.py"])[0] == 2


def test_resolver_caches_lookups_per_folder(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfshape_lint import config as config_module

    calls: list[Path] = []
    real = config_module.has_settings
    monkeypatch.setattr(config_module, "has_settings", lambda p: calls.append(p) or real(p))
    resolver = ConfigResolver(Overrides())
    first = resolver.for_path(tree / "pkg" / "sub" / "model.py")
    asked = len(calls)
    assert resolver.for_path(tree / "pkg" / "sub" / "squeeze.py") is first
    assert resolver.for_path(tree / "pkg" / "legacy_loss.py") is first
    assert len(calls) == asked  # pkg/ was answered on the way up from pkg/sub/


# -- force-exclude and .gitignore -----------------------------------------------------------------
def test_force_exclude_skips_an_explicitly_named_excluded_file(tree: Path) -> None:
    target = str(tree / "experiments" / "try.py")
    assert run(["check", target])[0] == 1, "named files are checked by default (as in ruff)"
    assert run(["check", "--force-exclude", target]) == (0, "", "")
    (tree / "pyproject.toml").write_text(
        (tree / "pyproject.toml").read_text() + "force-exclude = true\n")
    assert run(["check", target])[0] == 0
    assert run(["fix", "--unsafe-fixes", target])[0] == 0
    assert (tree / "experiments" / "try.py").read_text() == BUGGY
    assert run(["check", "--no-force-exclude", target])[0] == 1


def test_gitignore_is_respected_unless_disabled(tree: Path) -> None:
    (tree / ".git").mkdir()
    (tree / ".gitignore").write_text("# generated\n/pkg/sub/\n!keep.py\n")
    (tree / "pkg" / "generated.py").write_text(BUGGY)
    (tree / "pkg" / ".gitignore").write_text("generated.py\n")
    _, out, _ = run(["check", "--show-files", str(tree)])
    assert {Path(p).name for p in out.split()} == {"legacy_loss.py"}
    _, out, _ = run(["check", "--show-files", "--no-respect-gitignore", str(tree)])
    assert {Path(p).name for p in out.split()} == {"legacy_loss.py", "generated.py", "model.py", "squeeze.py"}
    assert run(["check", "--force-exclude", str(tree / "pkg" / "sub" / "model.py")])[0] == 0


def test_a_folder_with_nothing_to_check_gets_a_warning(tree: Path) -> None:
    (tree / ".git").mkdir()
    (tree / "pkg" / ".gitignore").write_text("*\n")  # what a virtual environment writes
    code, out, err = run(["check", str(tree / "pkg")])
    assert (code, out) == (0, "") and "no Python files or notebooks found" in err, err
    assert "no Python files" not in run(["check", "--no-respect-gitignore", str(tree / "pkg")])[2]
    assert run(["check", "--force-exclude", str(tree / "experiments" / "try.py")]) == (0, "", "")


@pytest.mark.parametrize(("patterns", "path", "ignored"), [
    ("*.py\n", "a/b.py", True),
    ("*.py\n!b.py\n", "a/b.py", False),
    ("/b.py\n", "a/b.py", False),
    ("a/**/c.py\n", "a/x/y/c.py", True),
    ("build/\n", "build", True),
    ("build/\n", "x/build.py", False),
    ("a/\n!a/b.py\n", "a/b.py", True),  # git cannot re-include below an ignored folder
])
def test_gitignore_patterns(tmp_path: Path, patterns: str, path: str, ignored: bool) -> None:
    from tfshape_lint.gitignore import GitIgnore

    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text(patterns)
    target = tmp_path / path
    if path == "build":
        target.mkdir()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")
    assert GitIgnore().ignored(str(target)) is ignored


def test_named_file_that_is_neither_python_nor_notebook(project: Path) -> None:
    (project / "notes.txt").write_text("import tensorflow\n")
    (project / "script").write_text("#!/usr/bin/env python3\n" + BUGGY)
    code, out, err = run(["check", "notes.txt", "buggy.py"])
    assert code == 2 and "buggy.py:5:12: TFS102" in out
    assert err == "notes.txt: error: not a Python file or Jupyter notebook (.py, .pyi, .ipynb or a python shebang); not checked\n"
    assert run(["check", "script"])[0] == 1  # what pre-commit's `types: [python]` passes


# -- notebooks --------------------------------------------------------------------------------------
def write_notebook(path: Path, loss_source: str = BUGGY) -> dict[str, object]:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                         "language": "python"}, "custom": {"x": 1}})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Losses"),
        nbformat.v4.new_code_cell("%load_ext autoreload\n!pip list | head"),
        nbformat.v4.new_code_cell(loss_source.rstrip("\n"), execution_count=7,
                                  outputs=[nbformat.v4.new_output("stream", text="trained\n")],
                                  metadata={"tags": ["keep-me"]}),
    ]
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return json.loads(path.read_text(encoding="utf-8"))


def test_notebook_findings_carry_cell_and_line(project: Path) -> None:
    write_notebook(project / "nb.ipynb")
    code, out, _ = run(["check", "nb.ipynb"])
    assert code == 1
    assert out.startswith("nb.ipynb:cell 3:5:12: TFS102 ")
    _, out, _ = run(["check", "--format", "json", "nb.ipynb"])
    finding = json.loads(out)["findings"][0]
    assert (finding["cell"], finding["line"], finding["column"]) == (3, 5, 12)
    _, out, _ = run(["check", "--format", "sarif", "nb.ipynb"])
    result = json.loads(out)["runs"][0]["results"][0]
    assert result["properties"]["cell"] == 3
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    _, out, _ = run(["check", "."])  # folders include notebooks
    assert "nb.ipynb:cell 3:5:12: TFS102" in out and "buggy.py:5:12: TFS102" in out


def test_notebook_fix_in_place_keeps_outputs_and_metadata(project: Path) -> None:
    before = write_notebook(project / "nb.ipynb")
    code, out, err = run(["fix", "--unsafe-fixes", "--show-fixes", "nb.ipynb"])
    assert code == 0, out + err
    assert "Found 1 error (1 fixed, 0 remaining)." in err
    assert "- nb.ipynb:\n    1 × TFS102\n" in err
    text = (project / "nb.ipynb").read_text(encoding="utf-8")
    nbformat.validate(nbformat.reads(text, as_version=4))
    after = json.loads(text)
    assert "".join(after["cells"][2]["source"]) == FIXED.rstrip("\n")
    after["cells"][2]["source"] = before["cells"][2]["source"]  # type: ignore[index]
    assert after == before  # outputs, execution counts, metadata, ids, magics: all kept
    assert run(["check", "nb.ipynb"]) == (0, "", "")


def test_notebook_diff_shows_the_cell_and_writes_nothing(project: Path) -> None:
    write_notebook(project / "nb.ipynb")
    before = (project / "nb.ipynb").read_text()
    code, out, _ = run(["fix", "--unsafe-fixes", "--diff", "nb.ipynb"])
    assert code == 1 and out.startswith("--- nb.ipynb:cell 3\n+++ nb.ipynb:cell 3\n")
    assert "+    return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)" in out
    assert (project / "nb.ipynb").read_text() == before


def test_a_broken_cell_is_reported_and_the_other_cells_are_checked(project: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('print "a Python 2 cell"'),
                nbformat.v4.new_code_cell("ls -lh *.h5"),  # IPython automagic: masked
                nbformat.v4.new_code_cell(BUGGY.rstrip("\n")),
                nbformat.v4.new_code_cell('print("epoch %d"\n      % 3)')]  # a % continuation: Python
    (project / "nb.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    code, out, err = run(["check", "nb.ipynb"])
    assert code == 2
    assert out.startswith("nb.ipynb:cell 3:5:12: TFS102 ")
    assert err.count("\n") == 1 and err.startswith("nb.ipynb: error: cell 1: syntax error at line 1")
    assert "the cell was not checked" in err


def test_broken_notebook_is_one_error(project: Path) -> None:
    (project / "bad.ipynb").write_text('{"cells": "keras"')
    code, _, err = run(["check", "bad.ipynb", "buggy.py"])
    assert code == 2 and err.startswith("bad.ipynb: error: not a Jupyter notebook") and err.count("\n") == 1


# -- adoption ---------------------------------------------------------------------------------------
def test_add_noqa_is_idempotent(project: Path) -> None:
    (project / "two.py").write_text(SQUEEZE.replace("axis=-1)\n", "axis=-1)  # keep: a note\n")
                                    + "\n\ndef l2(y_true, y_pred):\n"
                                      "    return tf.reduce_sum(tf.square(y_true - y_pred))  # noqa: TFS104\n"
                                      "\n\ndef l3(y_true, y_pred):\n"
                                      "    return tf.reduce_sum(y_true - y_pred) + len('''\n%s''')\n")
    write_notebook(project / "nb.ipynb")
    code, _, err = run(["check", "--add-noqa", "."])
    assert code == 0 and "Added 5 noqa comments to 3 files." in err
    assert (project / "buggy.py").read_text() == BUGGY.replace("))\n", "))  # noqa: TFS102\n")
    two = (project / "two.py").read_text()
    assert "axis=-1)  # keep: a note  # noqa: TFS104\n" in two
    assert "y_pred))  # noqa: TFS104, TFS102\n" in two  # appended to the existing codes
    assert "+ len('''\n%s''')  # noqa: TFS102\n" in two  # after the string, never inside it
    nb = json.loads((project / "nb.ipynb").read_text())
    assert nb["cells"][2]["source"][-1].endswith("  # noqa: TFS102")
    assert "".join(nb["cells"][2]["outputs"][0]["text"]) == "trained\n"
    snapshot = {p.name: p.read_text() for p in project.iterdir()}
    assert run(["check", "."]) == (0, "", "")
    code, _, err = run(["check", "--add-noqa", "."])
    assert code == 0 and "Added 0 noqa comments to 0 files." in err
    assert {p.name: p.read_text() for p in project.iterdir()} == snapshot


def test_statistics_and_exit_zero_in_every_format(project: Path) -> None:
    code, out, _ = run(["check", "--statistics", "--format", "json", "--exit-zero", "."])
    assert code == 0
    assert json.loads(out)["statistics"] == [
        {"code": "TFS102", "name": "batch-axis-reduction", "count": 1, "fixable": "unsafe"}]
    code, out, _ = run(["check", "--statistics", "--format", "sarif", "."])
    assert code == 1 and json.loads(out)["runs"][0]["properties"]["statistics"][0]["count"] == 1
    for fmt in ("text", "json", "sarif", "github"):
        code, out, _ = run(["check", "--exit-zero", "--format", fmt, "."])
        assert code == 0 and "TFS102" in out


def test_json_has_an_errors_array(project: Path) -> None:
    (project / "nul.py").write_bytes(b"import keras\x00")
    code, out, _ = run(["check", "--format", "json", ".", "missing.py"])
    doc = json.loads(out)
    assert code == 2 and [f["code"] for f in doc["findings"]] == ["TFS102"]
    assert {(e["path"], e["message"].split(" (")[0]) for e in doc["errors"]} == {
        ("nul.py", "binary file"), ("missing.py", "no such file or directory")}


def test_sarif_rules_have_summaries_and_absolute_help_links(project: Path) -> None:
    _, out, _ = run(["check", "--format", "sarif", "buggy.py"])
    rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == 24
    for rule in rules:
        assert "{" not in rule["shortDescription"]["text"], rule["id"]
        assert rule["helpUri"] == f"{REPOSITORY_URL}/blob/main/rules/{rule['id']}.md"
        assert (ROOT / "rules" / f"{rule['id']}.md").is_file()
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Repository"] == REPOSITORY_URL


# -- start-up ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["--version"], ["rules"], ["rule", "TFS102"], ["check", "plain.py"],
                                  ["check", "plain.ipynb"]])
def test_quick_commands_import_neither_libcst_nor_the_rules(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / ".git").mkdir()  # a project: its imports are followed, still without LibCST
    (tmp_path / "helpers.py").write_text("import os\n\n\ndef here():\n    return os.getcwd()\n")
    (tmp_path / "plain.py").write_text("import json\nfrom helpers import here\n\n\n"
                                       "def f(x):\n    return json.dumps([x, here()])\n")
    (tmp_path / "plain.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                      "nbformat_minor": 5}))
    probe = ("import sys, runpy\n"
             f"sys.argv = ['tfshape-lint'] + {args!r}\n"
             "try:\n    runpy.run_module('tfshape_lint', run_name='__main__')\n"
             "except SystemExit as exc:\n    code = exc.code\n"
             "print(code, [m for m in ('libcst', 'tfshape_lint.rules', 'tfshape_lint.engine', "
             "'tfshape_lint.registry', 'nbformat') if m in sys.modules])\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=120)
    assert proc.stdout.splitlines()[-1] == "0 []", proc.stdout + proc.stderr


def test_rules_listing_matches_the_registry(project: Path) -> None:
    from tfshape_lint.registry import all_rules

    _, out, _ = run(["rules", "--format", "json"])
    assert [(r["code"], r["name"]) for r in json.loads(out)] == [(r.code, r.name) for r in all_rules()]
    assert run(["rule", "batch-axis-reduction"])[1].startswith("# TFS102 batch-axis-reduction\n")


def test_clean_file_stays_clean(project: Path) -> None:
    assert run(["check", "clean.py"]) == (0, "", "")
    assert (project / "clean.py").read_text() == CLEAN


# -- the TensorFlow tier ---------------------------------------------------------------------------
def _tensorflow_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


@pytest.mark.tf
@pytest.mark.skipif(not _tensorflow_installed(), reason="TensorFlow is not installed (pip install -e '.[verify]')")
def test_verify_a_notebook_with_a_cache_dir(project: Path) -> None:
    write_notebook(project / "nb.ipynb")
    args = [sys.executable, "-m", "tfshape_lint", "check", "--verify", "--verify-device", "cpu",
            "--verify-timeout", "120", "--cache-dir", "cache", "nb.ipynb"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("TFSHAPE_LINT_CACHE_DIR", None)
    proc = subprocess.run(args, capture_output=True, text=True, cwd=project, env=env, timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("nb.ipynb:cell 3:5:12: TFS102 ") and "[confirmed:" in proc.stdout
    assert any((project / "cache" / "verify").rglob("*.json")), "verdicts stored in --cache-dir"


def test_verify_without_tensorflow_names_the_install_command_once(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfshape_lint.verify import frontend

    monkeypatch.setattr(frontend, "tensorflow_available", lambda: False)
    code, _, err = run(["check", "--verify", "buggy.py"])
    assert code == 2 and err.count("pip install") == 1 and err.count("\n") == 1
