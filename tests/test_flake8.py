"""The flake8 plugin end to end: real ``flake8`` subprocesses in a temporary folder."""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tfshape_lint.config import clear_cache
from tfshape_lint.flake8_plugin import TfshapePlugin
from tfshape_lint.registry import all_rules

BUGGY = ("import tensorflow as tf\n\n\ndef l1_loss(y_true, y_pred):\n"
         "    return tf.reduce_sum(tf.abs(y_true - y_pred))\n")
#: one line per finding, parsed back without ambiguity (messages contain ':' and ',')
FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"


def flake8(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flake8", "--isolated", f"--format={FORMAT}", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def flake8_findings(args: list[str], cwd: Path) -> set[tuple[str, int, int, str, str]]:
    proc = flake8(args, cwd)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    out = set()
    for line in proc.stdout.splitlines():
        path, row, col, code, text = line.split("\t", 4)
        out.add((Path(path).name, int(row), int(col), code, text))
    return out


def check_findings(paths: list[str], cwd: Path) -> set[tuple[str, int, int, str, str]]:
    proc = subprocess.run([sys.executable, "-m", "tfshape_lint", "check", "--format", "json", *paths],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return {(Path(f["path"]).name, f["line"], f["column"], f["code"], f["message"])
            for f in json.loads(proc.stdout)["findings"]}


#: `# noqa` spellings where a homemade matcher would disagree with flake8's
NOQA_EDGES = (
    'import tensorflow as tf\n'
    '\n'
    '\n'
    'def a_loss(y_true, y_pred):\n'
    '    return tf.reduce_sum(tf.abs(y_true - y_pred))  #noqa\n'
    '\n'
    '\n'
    'def b_loss(y_true, y_pred):\n'
    '    return tf.reduce_sum(tf.abs(y_true - y_pred))  # noqa: tfs102\n'
    '\n'
    '\n'
    'def c_loss(y_true, y_pred):\n'
    '    return tf.reduce_sum(tf.abs(y_true - y_pred)) \\\n'
    '        + 1.0  # noqa: TFS102\n'
    '\n'
    '\n'
    'def d_loss(y_true, y_pred):\n'
    '    return tf.reduce_sum(tf.abs(y_true - y_pred))  # NOQA:TFS102,E501\n'
    '\n'
    '\n'
    'def e_loss(y_true, y_pred):\n'
    '    return tf.reduce_sum(\n'
    '        tf.abs(y_true - y_pred))  # noqa: TFS102\n'
    '\n'
    '\n'
    'def f_loss(y_true, y_pred):\n'
    '    return tf.reduce_sum(tf.abs(y_true - y_pred))  # noqa:TFS1 because\n'
)


def corpus(folder: Path) -> list[str]:
    """The fixtures, the noqa edge cases and every rule example that needs no config."""
    (folder / "noqa_edges.py").write_text(NOQA_EDGES)
    (folder / "page_break.py").write_text(BUGGY.replace("tf\n\n\n", "tf\n\x0c\n\n"))
    names = ["noqa_edges.py", "page_break.py"]
    for fixture in sorted(FIXTURES.glob("*.py")):
        shutil.copy(fixture, folder / f"fixture_{fixture.name}")
        names.append(f"fixture_{fixture.name}")
    for rule in all_rules():
        for kind, examples in (("good", rule.good), ("bad", rule.bad)):
            for i, example in enumerate(examples):
                if example.config:
                    continue
                name = f"example_{rule.code}_{kind}{i}.py"
                (folder / name).write_text(example.code, encoding="utf-8")
                names.append(name)
    return names


def test_plugin_is_registered() -> None:
    proc = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0
    assert "tfshape-lint" in proc.stdout


def test_same_findings_as_check(tmp_path: Path) -> None:
    names = corpus(tmp_path)
    from_check = check_findings(names, tmp_path)
    from_flake8 = flake8_findings(["--select", "TFS", *names], tmp_path)
    assert from_check, "the corpus should contain findings"
    assert from_flake8 == from_check


def test_columns_are_flake8_columns(tmp_path: Path) -> None:
    (tmp_path / "buggy.py").write_text(BUGGY)
    assert flake8_findings(["--select", "TFS", "buggy.py"], tmp_path) == {
        ("buggy.py", 5, 12, "TFS102",
         "tf.reduce_sum sums over the batch axis, so loss and gradient scale with batch size; pass axis=-1")}


def test_flake8_owns_noqa_select_and_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "noqa.py").write_text(BUGGY.replace("y_pred))\n", "y_pred))  # noqa: TFS102\n"))
    (tmp_path / "other_noqa.py").write_text(BUGGY.replace("y_pred))\n", "y_pred))  # noqa: E501\n"))
    (tmp_path / "buggy.py").write_text(BUGGY)
    files = ["noqa.py", "other_noqa.py", "buggy.py"]
    found = {f[0] for f in flake8_findings(["--select", "TFS", *files], tmp_path)}
    assert found == {"other_noqa.py", "buggy.py"}
    # --disable-noqa only works when the engine leaves noqa to flake8
    found = {f[0] for f in flake8_findings(["--select", "TFS", "--disable-noqa", *files], tmp_path)}
    assert found == set(files)
    assert flake8_findings(["--select", "TFS", "--extend-ignore", "TFS102", *files], tmp_path) == set()
    assert flake8_findings(["--select", "TFS", "--per-file-ignores", "buggy.py:TFS1", "buggy.py"], tmp_path) == set()
    assert flake8_findings(["--select", "TFS102", "buggy.py"], tmp_path)


def test_unparsable_file_is_e999_only(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import tensorflow as tf\n\ndef loss(y_true, y_pred:\n    pass\n")
    (tmp_path / "buggy.py").write_text(BUGGY)
    found = flake8_findings(["--select", "TFS,E999", "broken.py", "buggy.py"], tmp_path)
    assert {(f[0], f[3]) for f in found} == {("broken.py", "E999"), ("buggy.py", "TFS102")}


def test_target_keras_option_and_config_key(tmp_path: Path) -> None:
    (tmp_path / "buggy.py").write_text(BUGGY)
    assert flake8_findings(["--select", "TFS", "--tfs-target-keras", "tf-keras", "buggy.py"], tmp_path)
    bad = flake8(["--select", "TFS", "--tfs-target-keras", "2", "buggy.py"], tmp_path)
    assert bad.returncode != 0 and "tfs-target-keras" in bad.stderr
    (tmp_path / "setup.cfg").write_text("[flake8]\nselect = TFS\ntfs-target-keras = tf-keras\n")
    proc = subprocess.run([sys.executable, "-m", "flake8", "buggy.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "TFS102" in proc.stdout, proc.stderr


def test_option_reaches_the_engine_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tfshape-lint]\nignore = ["TFS102"]\ntarget-keras = "tf-keras"\n')
    clear_cache()
    try:
        TfshapePlugin.parse_options(argparse.Namespace(tfs_target_keras=None))
        config = TfshapePlugin(ast.parse(""), [], str(tmp_path / "x.py")).config()
        assert config.target_keras == "tf-keras"   # from pyproject
        assert not config.enabled("TFS102")        # the same selection as `check`
        TfshapePlugin.parse_options(argparse.Namespace(tfs_target_keras="3"))
        assert TfshapePlugin(ast.parse(""), [], str(tmp_path / "x.py")).config().target_keras == "3"
    finally:
        TfshapePlugin.parse_options(argparse.Namespace(tfs_target_keras=None))
        clear_cache()


def test_flake8_honours_the_config_of_the_checked_file(tmp_path: Path) -> None:
    """ignore / per-file-ignores from [tool.tfshape-lint] above the file, wherever flake8 runs."""
    project = tmp_path / "project"
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.tfshape-lint]\nignore = ["TFS104"]\nper-file-ignores = { "src/pkg/legacy_*.py" = ["TFS102"] }\n')
    (project / "src" / "pkg" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    squeeze = BUGGY.replace("tf.abs(y_true - y_pred))", "tf.abs(y_true - tf.squeeze(y_pred)), axis=-1)")
    (project / "src" / "pkg" / "squeeze.py").write_text(squeeze)  # TFS104 only
    for name in ("model.py", "legacy_model.py"):
        (project / "src" / "pkg" / name).write_text(BUGGY)         # TFS102
    found = flake8_findings(["--select", "TFS", "project/src/pkg"], tmp_path)
    assert {(f[0], f[3]) for f in found} == {("model.py", "TFS102")}
    assert {f[3] for f in flake8_findings(["--select", "TFS", "--isolated", "squeeze.py"],
                                          project / "src" / "pkg")} == set()
    from_check = check_findings([f"project/src/pkg/{n}" for n in ("model.py", "legacy_model.py", "squeeze.py")],
                                tmp_path)
    assert {(f[0], f[3]) for f in from_check} == {("model.py", "TFS102")}
    # flake8's own selection still applies on top
    assert flake8_findings(["--select", "TFS", "--extend-ignore", "TFS102", "project/src/pkg"], tmp_path) == set()


def _plugin_run(source: str) -> list[tuple[int, int, str, type]]:
    plugin = TfshapePlugin(ast.parse(source), source.splitlines(keepends=True), "x.py")
    return list(plugin.run())


def test_run_yields_flake8_tuples() -> None:
    results = _plugin_run(BUGGY)
    assert [(r[0], r[1], r[2][:7], r[3]) for r in results] == [(5, 11, "TFS102 ", TfshapePlugin)]


def test_run_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import tfshape_lint.engine as engine

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("rule bug")

    monkeypatch.setattr(engine, "lint_index", boom)
    assert _plugin_run(BUGGY) == []


def _imports_after(code: str) -> set[str]:
    probe = ("import ast, sys\n"
             "from tfshape_lint.flake8_plugin import TfshapePlugin\n"
             f"src = {code!r}\n"
             "list(TfshapePlugin(ast.parse(src), src.splitlines(True), 'x.py').run())\n"
             "print(' '.join(m for m in ('libcst', 'tensorflow', 'keras', 'tfshape_lint.engine', "
             "'tfshape_lint.analysis.index') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_libcst_loaded_only_for_ml_files() -> None:
    assert _imports_after("") == set()
    assert _imports_after("import os\n\n\ndef loss(y_true, y_pred):\n    return sum(y_true)\n") == set()
    # mentions keras in text only: the ast index runs, and says there is no ML import
    assert _imports_after("# keras notes\nimport json\nx = json.dumps({'keras': 1})\n") == {
        "tfshape_lint.analysis.index"}
    assert _imports_after(BUGGY) == {"libcst", "tfshape_lint.engine", "tfshape_lint.analysis.index"}


def test_target_choices_match_the_config() -> None:
    from tfshape_lint import config, flake8_plugin

    assert flake8_plugin.TARGETS == config.TARGETS
