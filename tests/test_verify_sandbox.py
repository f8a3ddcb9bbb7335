"""The verifier's worker runs code from the repository: what it may and may not do.

Each loss below is a full-batch ``reduce_sum`` (a TFS102 finding) preceded by one forbidden
action. The action must fail inside the worker (the verdict says why), nothing may land outside
the worker's temp dir, and the parent's environment (a fake credential) must not reach it. A
loss importing the project's own module (found through the project root) runs to a verdict.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from tfshape_lint.finding import Finding, Severity
from tfshape_lint.verify import Status, tensorflow_available, verify_findings
from tfshape_lint.verify.extract import enclosing_loss
from tfshape_lint.verify.runner import worker_env

pytestmark = [pytest.mark.tf, pytest.mark.skipif(not tensorflow_available(), reason="TensorFlow is not installed")]

SANDBOXED = '''
import os
import socket
import subprocess
import tensorflow as tf

def net_loss(y_true, y_pred):
    socket.create_connection(("192.0.2.1", 80), timeout=1)
    return tf.reduce_sum(tf.abs(y_true - y_pred))

def write_loss(y_true, y_pred):
    with open("OUTSIDE", "w") as fh:
        fh.write("escaped")
    return tf.reduce_sum(tf.abs(y_true - y_pred))

def spawn_loss(y_true, y_pred):
    subprocess.run(["true"])
    return tf.reduce_sum(tf.abs(y_true - y_pred))

def secret_loss(y_true, y_pred):
    if "TFSHAPE_TEST_SECRET" in os.environ:
        raise RuntimeError("the secret reached the worker")
    return tf.reduce_sum(tf.abs(y_true - y_pred))
'''


def _findings(source: str, path: str) -> list[Finding]:
    out = []
    lines = source.splitlines()
    for number, text in enumerate(lines, 1):
        col = text.find("tf.reduce_sum(tf.abs(y_true - y_pred))")
        if col >= 0:
            out.append(Finding(path, number, col, number, col + len("tf.reduce_sum(tf.abs(y_true - y_pred))"),
                               "TFS102", "batch-axis-reduction", "forced", Severity.WARNING,
                               loss=enclosing_loss(source, number)))
    return out


def test_worker_refuses_network_writes_processes_and_sees_no_credentials(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside.txt"
    source = SANDBOXED.replace("OUTSIDE", str(outside))
    path = str(tmp_path / "losses.py")
    monkeypatch.setenv("TFSHAPE_TEST_SECRET", "hunter2")
    found = _findings(source, path)
    assert len(found) == 4
    out = verify_findings(found, {path: source}, timeout=60, device="cpu", use_cache=False)
    net, write, spawn, secret = (f.verification for f in out)
    assert net.status is Status.INCONCLUSIVE and "network access is disabled" in net.evidence, net
    assert write.status is Status.INCONCLUSIVE and "outside the verifier's temp dir" in write.evidence, write
    assert spawn.status is Status.INCONCLUSIVE and "starting processes is disabled" in spawn.evidence, spawn
    assert secret.status is Status.CONFIRMED, secret
    assert not outside.exists()


def test_worker_environment_keeps_only_what_tensorflow_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("GITHUB_TOKEN", "y")
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["/opt/project-libs", ""]))
    env = worker_env("keras", "cpu", home="/tmp/sandbox-dir")
    # the package first, then the user's own path (where a project keeps its modules)
    assert env["PYTHONPATH"].split(os.pathsep)[1:] == ["/opt/project-libs"], env["PYTHONPATH"]
    assert "AWS_SECRET_ACCESS_KEY" not in env and "GITHUB_TOKEN" not in env
    assert env["TF_ENABLE_ONEDNN_OPTS"] == "0" and env["HOME"] == env["TMPDIR"] == "/tmp/sandbox-dir"
    assert env["CUDA_VISIBLE_DEVICES"] == "-1" and env["TF_USE_LEGACY_KERAS"] == "0"
    assert worker_env("keras2", "auto")["TFSHAPE_LINT_KERAS_ALIAS"] == "1"


def test_project_modules_resolve_from_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text("")
    (tmp_path / "demo" / "ops.py").write_text("import tensorflow as tf\n\ndef error(a, b):\n"
                                               "    return tf.abs(a - b)\n")
    (tmp_path / "demo" / "training").mkdir()
    source = textwrap.dedent('''
        import tensorflow as tf
        from demo.ops import error

        def total_loss(y_true, y_pred):
            return tf.reduce_sum(error(y_true, y_pred))
        ''').lstrip()
    path = tmp_path / "demo" / "training" / "losses.py"
    path.write_text(source)
    number = 5
    col = source.splitlines()[number - 1].find("tf.reduce_sum")
    finding = Finding(str(path), number, col, number, len(source.splitlines()[number - 1]), "TFS102",
                      "batch-axis-reduction", "forced", Severity.WARNING, loss=enclosing_loss(source, number))
    out = verify_findings([finding], {str(path): source}, timeout=60, device="cpu", use_cache=False)
    assert out[0].verification.status is Status.CONFIRMED, out[0].verification
