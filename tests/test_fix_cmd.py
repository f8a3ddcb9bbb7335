"""`tfshape-lint fix` and `check --fix/--diff` end to end: the file layer around the fixer.

tests/test_rules.py checks ``fix_source`` itself; here the same expected outputs (the rules'
``fixed=``) go through the command line and the disk: atomic writes, file mode, line endings,
encodings, ``--diff``, refusal of fixes that would not parse, idempotence, summary line and
exit codes.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUGGY, CLEAN, FIXED, run_cli as run
from tfshape_lint import fix_cmd
from tfshape_lint.finding import Fix, FixSafety
from tfshape_lint.registry import all_rules, get
from tfshape_lint.rule import UNSET

SUMMARY = re.compile(r"^(?:Found (?P<total>\d+) errors? \((?P<fixed>\d+) fixed, (?P<left>\d+) remaining\)\."
                     r"|Would fix (?P<would>\d+) errors? \((?P<wleft>\d+) remaining\)\."
                     r"|(?P<clean>All checks passed!))$", re.M)
UNSAFE_HINT = re.compile(r"^(\d+) more fixable with --unsafe-fixes\.$", re.M)


def summary(err: str) -> tuple[int, int, int]:
    """(fixed, unsafe fixes skipped, remaining) from ruff's style of summary on stderr."""
    match = SUMMARY.search(err)
    assert match, f"no summary line in stderr:\n{err}"
    hint = UNSAFE_HINT.search(err)
    skipped = int(hint.group(1)) if hint else 0
    if match.group("clean"):
        return 0, skipped, 0
    if match.group("would") is not None:
        return int(match.group("would")), skipped, int(match.group("wleft"))
    assert int(match.group("total")) == int(match.group("fixed")) + int(match.group("left"))
    return int(match.group("fixed")), skipped, int(match.group("left"))


# -- every fixable rule's examples through the command ----------------------------------------
def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def _expected_after_cli(code: str, original: str, fixed: str) -> str:
    """The fix command also drops legacy backend imports the TFS501 migration left unused."""
    cleaner = fix_cmd._backend_import_cleaner()
    if code != fix_cmd.MIGRATION_RULE or cleaner is None:
        return fixed
    cleaned = fix_cmd.clean_backend_imports(cleaner, fixed, original)
    return cleaned if fix_cmd._parses(cleaned) else fixed


FIXABLE = [(rule.code, i) for rule in all_rules() if rule.fix_safety is not None
           for i, _ in enumerate(rule.bad)]


@pytest.mark.parametrize("code,i", FIXABLE, ids=[f"{c}-bad{i}" for c, i in FIXABLE])
def test_rule_examples_fixed_exactly(code: str, i: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = get(code)
    assert rule is not None
    example = rule.bad[i]
    assert example.fixed is not UNSET
    monkeypatch.chdir(tmp_path)
    if example.config:
        (tmp_path / "pyproject.toml").write_text(
            "[tool.tfshape-lint]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in example.config.items()))
    target = tmp_path / "example.py"
    target.write_text(example.code, encoding="utf-8")
    status, _, err = run(["fix", "--unsafe-fixes", "--select", code, "example.py"])
    assert status in (0, 1), err
    after = target.read_text(encoding="utf-8")
    if example.fixed is None:
        assert after == example.code
        assert summary(err)[0] == 0
        return
    assert after == _expected_after_cli(code, example.code, example.fixed)
    applied, _, _ = summary(err)
    assert applied >= 1
    # idempotent: a second run changes nothing
    status, _, err = run(["fix", "--unsafe-fixes", "--select", code, "example.py"])
    assert target.read_text(encoding="utf-8") == after
    assert summary(err)[0] == 0
    # without --unsafe-fixes, an unsafe rule's example is left alone and counted as skipped
    if rule.fix_safety is FixSafety.UNSAFE:
        target.write_text(example.code, encoding="utf-8")
        status, _, err = run(["fix", "--select", code, "example.py"])
        assert target.read_text(encoding="utf-8") == example.code
        assert status == 1 and summary(err)[0] == 0 and summary(err)[1] >= 1


# -- summary, exit codes, options ---------------------------------------------------------------
def test_summary_and_exit_codes(project: Path) -> None:
    code, out, err = run(["fix", "."])
    assert code == 1                                   # the unsafe finding remains
    assert "buggy.py:5:12: TFS102" in out
    assert summary(err) == (0, 1, 1)
    assert err.splitlines()[-2:] == ["Found 1 error (0 fixed, 1 remaining).",
                                     "1 more fixable with --unsafe-fixes."]
    assert (project / "buggy.py").read_text() == BUGGY
    code, out, err = run(["fix", "--unsafe-fixes", "."])
    assert (code, out) == (0, "")                      # nothing remains
    assert err.strip().splitlines()[-1] == "Found 1 error (1 fixed, 0 remaining)."
    assert (project / "buggy.py").read_text() == FIXED
    assert (project / "clean.py").read_text() == CLEAN
    code, out, err = run(["fix", "--unsafe-fixes", "."])
    assert code == 0 and summary(err) == (0, 0, 0)


def test_exit_non_zero_on_fix(project: Path) -> None:
    code, _, err = run(["fix", "--unsafe-fixes", "--exit-non-zero-on-fix", "buggy.py"])
    assert code == 1 and summary(err) == (1, 0, 0)
    code, _, _ = run(["fix", "--unsafe-fixes", "--exit-non-zero-on-fix", "buggy.py"])
    assert code == 0


def test_config_unsafe_fixes_honoured(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.tfshape-lint]\nunsafe-fixes = true\n")
    code, _, _ = run(["fix", "--no-unsafe-fixes", "buggy.py"])
    assert code == 1 and (project / "buggy.py").read_text() == BUGGY
    code, _, err = run(["fix", "buggy.py"])
    assert code == 0 and summary(err) == (1, 0, 0)
    assert (project / "buggy.py").read_text() == FIXED


def test_select_and_ignore(project: Path) -> None:
    code, _, err = run(["fix", "--unsafe-fixes", "--ignore", "TFS102", "buggy.py"])
    assert code == 0 and summary(err) == (0, 0, 0)
    assert (project / "buggy.py").read_text() == BUGGY
    code, _, err = run(["fix", "--unsafe-fixes", "--select", "TFS104", "buggy.py"])
    assert (project / "buggy.py").read_text() == BUGGY
    code, _, err = run(["fix", "--unsafe-fixes", "--select", "TFS1", "buggy.py"])
    assert (project / "buggy.py").read_text() == FIXED


def test_safe_fixes_apply_by_default(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = get("TFS102")
    monkeypatch.setattr(rule, "fix_safety", FixSafety.SAFE)
    code, _, err = run(["fix", "buggy.py"])
    assert code == 0 and summary(err) == (1, 0, 0)
    assert (project / "buggy.py").read_text() == FIXED


# -- --diff -------------------------------------------------------------------------------------
def test_diff_writes_nothing(project: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in project.iterdir()}
    code, out, err = run(["fix", "--unsafe-fixes", "--diff", "."])
    assert code == 1
    assert out == ("--- buggy.py\n+++ buggy.py\n@@ -2,4 +2,4 @@\n \n \n def l1_loss(y_true, y_pred):\n"
                   "-    return tf.reduce_sum(tf.abs(y_true - y_pred))\n"
                   "+    return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n")
    assert summary(err) == (1, 0, 0) and "Would fix 1 error" in err
    assert (project / "buggy.py").read_text() == BUGGY
    assert {p.name: p.stat().st_mtime_ns for p in project.iterdir()} == before
    code, out, _ = run(["fix", "--diff", "clean.py"])
    assert (code, out) == (0, "")


def test_diff_marks_missing_final_newline(project: Path) -> None:
    (project / "nonl.py").write_text(BUGGY.rstrip("\n"))
    _, out, _ = run(["fix", "--unsafe-fixes", "--diff", "nonl.py"])
    assert out.endswith("+    return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n\\ No newline at end of file\n")
    assert run(["fix", "--unsafe-fixes", "nonl.py"])[0] == 0
    assert (project / "nonl.py").read_text() == FIXED.rstrip("\n")


# -- check --fix / --diff aliases --------------------------------------------------------------
def test_check_fix_alias(project: Path) -> None:
    code, out, err = run(["check", "--diff", "--unsafe-fixes", "buggy.py"])
    assert code == 1 and out.startswith("--- buggy.py") and (project / "buggy.py").read_text() == BUGGY
    code, out, err = run(["check", "--fix", "--format", "json", "buggy.py"])
    assert code == 1 and [f["code"] for f in json.loads(out)["findings"]] == ["TFS102"]
    assert summary(err) == (0, 1, 1)
    code, out, err = run(["check", "--fix", "--unsafe-fixes", "buggy.py"])
    assert code == 0 and (project / "buggy.py").read_text() == FIXED


# -- the disk: atomic write, mode, line endings, encodings, links ---------------------------------
def test_mode_kept_and_no_temp_files_left(project: Path) -> None:
    target = project / "buggy.py"
    os.chmod(target, 0o751)
    assert run(["fix", "--unsafe-fixes", "buggy.py"])[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert sorted(p.name for p in project.iterdir()) == ["buggy.py", "clean.py"]


def test_write_is_atomic(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        replaced.append((src, dst))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fix_cmd.os, "replace", failing_replace)
    code, _, err = run(["fix", "--unsafe-fixes", "buggy.py"])
    assert code == 2 and "cannot write the fixed file, left unchanged" in err
    assert (project / "buggy.py").read_text() == BUGGY
    assert sorted(p.name for p in project.iterdir()) == ["buggy.py", "clean.py"]
    (src, dst), = replaced
    assert Path(src).parent == Path(dst).parent == project.resolve()   # same folder: a rename
    monkeypatch.setattr(fix_cmd.os, "replace", real_replace)
    assert run(["fix", "--unsafe-fixes", "buggy.py"])[0] == 0


def test_crlf_kept(project: Path) -> None:
    target = project / "crlf.py"
    target.write_bytes(BUGGY.replace("\n", "\r\n").encode())
    assert run(["fix", "--unsafe-fixes", "crlf.py"])[0] == 0
    assert target.read_bytes() == FIXED.replace("\n", "\r\n").encode()
    lf = project / "buggy.py"
    assert run(["fix", "--unsafe-fixes", "buggy.py"])[0] == 0
    assert b"\r" not in lf.read_bytes()


def test_crlf_diff(project: Path) -> None:
    (project / "crlf.py").write_bytes(BUGGY.replace("\n", "\r\n").encode())
    code, out, _ = run(["fix", "--unsafe-fixes", "--diff", "crlf.py"])
    assert code == 1 and "+    return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\r\n" in out


def test_declared_encoding_kept(project: Path) -> None:
    target = project / "latin.py"
    text = "# -*- coding: latin-1 -*-\n# Verlustfunktion für Regression\n" + BUGGY
    target.write_bytes(text.encode("latin-1"))
    assert run(["fix", "--unsafe-fixes", "latin.py"])[0] == 0
    assert target.read_bytes() == ("# -*- coding: latin-1 -*-\n# Verlustfunktion für Regression\n"
                                   + FIXED).encode("latin-1")


def test_bom_kept(project: Path) -> None:
    target = project / "bom.py"
    target.write_bytes(b"\xef\xbb\xbf" + BUGGY.encode())
    assert run(["fix", "--unsafe-fixes", "bom.py"])[0] == 0
    assert target.read_bytes() == b"\xef\xbb\xbf" + FIXED.encode()


def test_symlink_stays_a_link(project: Path) -> None:
    (project / "link.py").symlink_to(project / "buggy.py")
    assert run(["fix", "--unsafe-fixes", "link.py"])[0] == 0
    assert (project / "link.py").is_symlink()
    assert (project / "buggy.py").read_text() == FIXED


# -- refusals -----------------------------------------------------------------------------------
def test_fix_that_would_not_parse_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tfshape_lint.engine as engine

    def broken_fix(self: object, *where: object) -> Fix:
        return Fix(start_line=5, end_line=5, replacement="    return tf.reduce_sum(\n",
                   safety=FixSafety.SAFE)

    monkeypatch.setattr(engine._Run, "_fix", broken_fix)
    before = (project / "buggy.py").read_bytes()
    for args in (["fix", "buggy.py"], ["fix", "--diff", "buggy.py"]):
        code, out, err = run(args)
        assert code == 2
        assert "buggy.py: error: fix produced invalid code, file left unchanged" in err
        assert (project / "buggy.py").read_bytes() == before
        assert summary(err)[0] == 0
    assert "TFS102" in run(["fix", "buggy.py"])[1]     # the finding itself is still reported


def test_unparsable_file_is_reported_and_untouched(project: Path) -> None:
    bad = project / "broken.py"
    bad.write_text("import tensorflow as tf\n\ndef loss(y_true, y_pred:\n    pass\n")
    before = bad.read_bytes()
    code, _, err = run(["fix", "--unsafe-fixes", "."])
    assert code == 2
    assert "broken.py: error: syntax error at line 3" in err and "not fixed" in err
    assert bad.read_bytes() == before
    assert (project / "buggy.py").read_text() == FIXED       # the other files are still fixed


def test_file_python_parses_but_libcst_does_not_is_left_unchanged(project: Path) -> None:
    # a tab after spaces in one block's indent: Python accepts it, LibCST's tokenizer does not,
    # and fixes are applied and checked with LibCST: a clear message, no traceback, no change
    mixed = project / "mixed.py"
    mixed.write_text("import tensorflow as tf\n\n\ndef nll(y_true, y_pred):\n"
                     "    return -tf.reduce_mean(y_true * tf.math.log(y_pred), axis=-1)\n\n\n"
                     "def build(path):\n    if path:\n\t    x = 1\n\t    return x\n    return 0\n")
    before = mixed.read_bytes()
    code, _, err = run(["fix", "--unsafe-fixes", "mixed.py"])
    assert code == 2
    assert "mixed.py: error: LibCST cannot parse this file" in err and "left unchanged" in err, err
    assert "Traceback" not in err
    assert mixed.read_bytes() == before


def test_unreadable_inputs(project: Path) -> None:
    (project / "nul.py").write_bytes(b"import tensorflow\x00\n")
    code, _, err = run(["fix", "nul.py", "missing.py"])
    assert code == 2
    assert "nul.py: error: binary file" in err and "missing.py: error: no such file" in err


# -- stdin, parallel, the console script ------------------------------------------------------------
def test_stdin_prints_the_fixed_code(project: Path) -> None:
    code, out, err = run(["fix", "--unsafe-fixes", "-"], stdin=BUGGY)
    assert code == 0 and out == FIXED and summary(err) == (1, 0, 0)
    code, out, err = run(["fix", "-", "--stdin-filename", "x.py"], stdin=BUGGY)
    assert code == 1 and out == BUGGY and "x.py:5:12: TFS102" in err


def test_parallel_matches_serial(project: Path) -> None:
    for i in range(20):
        (project / f"m{i}.py").write_text(BUGGY if i % 2 else CLEAN)
    code, _, err = run(["fix", "--unsafe-fixes", "-j", "2", "."])
    assert code == 0 and summary(err) == (11, 0, 0)
    assert all((project / f"m{i}.py").read_text() == (FIXED if i % 2 else CLEAN) for i in range(20))


def test_migration_cleanup_runs_only_after_fixes(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def cleaner(source: str, before: str | None = None) -> str:
        assert before == BUGGY
        calls.append(source)
        return source.replace("import tensorflow as tf\n", "import tensorflow as tf  # cleaned\n")

    monkeypatch.setattr(fix_cmd, "_backend_import_cleaner", lambda: cleaner)
    run(["fix", "clean.py"])
    assert calls == []
    run(["fix", "--unsafe-fixes", "--select", "TFS102", "buggy.py"])
    assert calls == []                                  # TFS501 not selected
    (project / "buggy.py").write_text(BUGGY)
    assert run(["fix", "--unsafe-fixes", "buggy.py"])[0] == 0
    assert calls == [FIXED]
    assert (project / "buggy.py").read_text() == FIXED.replace("as tf\n", "as tf  # cleaned\n", 1)


def test_console_script(project: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "tfshape_lint", "fix", "--unsafe-fixes", "."],
                          cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "Found 1 error (1 fixed, 0 remaining)."
    assert (project / "buggy.py").read_text() == FIXED


def test_keras3_migration_drops_the_unused_backend_import(project: Path) -> None:
    pytest.importorskip("tfshape_lint.migrate")
    if get("TFS501") is None:
        pytest.skip("TFS501 not registered")
    legacy = ("import keras\nfrom keras import backend as K\n\n\ndef my_loss(y_true, y_pred):\n"
              "    return K.mean(K.square(y_true - y_pred), axis=-1)\n")
    (project / "legacy.py").write_bytes(legacy.replace("\n", "\r\n").encode())
    code, _, err = run(["fix", "legacy.py"])
    assert code == 0, err
    assert (project / "legacy.py").read_bytes() == (
        "import keras\n\n\ndef my_loss(y_true, y_pred):\n"
        "    return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)\n").replace("\n", "\r\n").encode()
    # an import that was unused before the fixes is the user's business
    kept = "import keras\nfrom keras import backend as K\n\n\ndef my_loss(y_true, y_pred):\n    return keras.ops.mean(y_true, axis=-1)\n"
    (project / "kept.py").write_text(kept)
    run(["fix", "kept.py"])
    assert (project / "kept.py").read_text() == kept


def test_form_feed_lines_are_numbered_as_python_does(project: Path) -> None:
    from tfshape_lint.analysis.index import split_lines

    assert split_lines("a\x0cb\nc\r\nd\re\x85f\u2028g") == ["a\x0cb\n", "c\r\n", "d\r", "e\x85f\u2028g"]
    assert split_lines("") == [] and split_lines("x\n") == ["x\n"]
    paged = BUGGY.replace("tf\n\n\n", "tf\n\x0c\n\n")       # a ^L page break between import and def
    (project / "paged.py").write_text(paged)
    code, out, _ = run(["check", "paged.py"])
    assert code == 1 and "paged.py:5:12: TFS102" in out
    assert run(["fix", "--unsafe-fixes", "paged.py"])[0] == 0
    assert (project / "paged.py").read_text() == FIXED.replace("tf\n\n\n", "tf\n\x0c\n\n")
