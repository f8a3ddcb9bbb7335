"""The pre-commit hooks for real: ``pre-commit try-repo`` against a temporary git repository.

The hook repository is a fresh git repository holding a copy of this checkout's package files
(so the test sees uncommitted work and does not depend on the checkout's git state); pre-commit
installs it from that local path into its own virtualenv with pip, as a user's pre-commit would.
Slow (one virtualenv per hook run), so both hooks and the rerun share one module-scoped setup.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUGGY = ("import tensorflow as tf\n\n\ndef l1_loss(y_true, y_pred):\n"
         "    return tf.reduce_sum(tf.abs(y_true - y_pred))\n")
FIXED = ("import tensorflow as tf\n\n\ndef l1_loss(y_true, y_pred):\n"
         "    return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)\n")
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "tfshape_lint")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")]

#: a notebook whose second cell (after a markdown cell) holds the loss bug on its line 4
NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Training notes"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {"tags": ["loss"]},
         "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}],
         "source": ["%matplotlib inline\n", "import tensorflow as tf\n", "\n",
                    "def l1_loss(y_true, y_pred):\n",
                    "    return tf.reduce_sum(tf.abs(y_true - y_pred))"]},
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


#: pip's words when it cannot reach the package index for the hook's dependencies (libcst)
OFFLINE = ("No matching distribution found", "NewConnectionError", "Temporary failure in name resolution", "Network is unreachable")


def _env() -> dict[str, str]:
    """The user's environment (pip's index settings and cache) minus their git configuration."""
    env = dict(os.environ)
    env.update(GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@localhost", GIT_COMMITTER_NAME="test",
               GIT_COMMITTER_EMAIL="test@localhost", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_CONFIG_NOSYSTEM="1", PRE_COMMIT_COLOR="never", SKIP="")
    return env


def git(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=120)


def _hook_repo(folder: Path, env: dict[str, str]) -> Path:
    folder.mkdir()
    for name in PACKAGE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        elif source.is_file():
            shutil.copy2(source, folder / name)
    git(["init", "-q"], folder, env)
    git(["add", "-A"], folder, env)
    git(["commit", "-q", "-m", "hooks"], folder, env)
    return folder


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("precommit")
    env = _env()
    hooks = _hook_repo(base / "hooks", env)
    work = base / "work"
    work.mkdir()
    git(["init", "-q"], work, env)
    (work / "losses.py").write_text(BUGGY)
    (work / "notes.txt").write_text("not python\n")
    (work / "nb.ipynb").write_text(json.dumps(NOTEBOOK, indent=1) + "\n")
    (work / "vendor").mkdir()
    (work / "vendor" / "third_party.py").write_text(BUGGY)  # excluded: pre-commit names it anyway
    # the fix hook applies safe fixes; TFS102's fix is unsafe, so opt in through the config
    (work / "pyproject.toml").write_text('[tool.tfshape-lint]\nunsafe-fixes = true\nexclude = ["vendor"]\n')
    git(["add", "-A"], work, env)
    git(["commit", "-q", "-m", "buggy"], work, env)
    return hooks, work, env


def try_repo(hooks: Path, hook: str | None, work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "pre_commit", "try-repo", str(hooks)]
    if hook is not None:
        args.append(hook)
    proc = subprocess.run([*args, "--all-files"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=900)
    if proc.returncode == 3 and any(sign in proc.stdout + proc.stderr for sign in OFFLINE):
        pytest.skip("pre-commit could not install the hook: no package index reachable")
    return proc


def test_check_hook_fails_on_a_buggy_file(setup: tuple[Path, Path, dict[str, str]]) -> None:
    hooks, work, env = setup
    proc = try_repo(hooks, "tfshape-lint", work, env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "tfshape-lint" in output and "Failed" in output
    assert "losses.py:5:12: TFS102" in output
    assert "nb.ipynb:cell 2:5:12: TFS102" in output
    assert "vendor" not in output
    assert (work / "losses.py").read_text() == BUGGY


def test_fix_hook_fixes_and_fails_then_passes(setup: tuple[Path, Path, dict[str, str]]) -> None:
    hooks, work, env = setup
    proc = try_repo(hooks, "tfshape-lint-fix", work, env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "Found 2 errors (2 fixed, 0 remaining)." in output
    assert "files were modified by this hook" in output
    assert (work / "losses.py").read_text() == FIXED
    assert (work / "vendor" / "third_party.py").read_text() == BUGGY
    notebook = json.loads((work / "nb.ipynb").read_text())
    assert notebook["cells"][1]["source"][-1] == "    return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)"
    assert notebook["cells"][1]["outputs"] == NOTEBOOK["cells"][1]["outputs"]  # type: ignore[index]
    assert notebook["metadata"] == NOTEBOOK["metadata"]
    # both hooks pass on the fixed file (all hooks of the repository in one run)
    again = try_repo(hooks, None, work, env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("Passed") == 2
