"""Parent side of the sandbox: one worker subprocess, restarted after a crash or a hang.

TensorFlow is imported once per worker (~3 s). Each job gets its own deadline; a job that
overruns it or kills the worker (segfault, abort, out of memory) becomes ``inconclusive`` and
the next job starts a fresh worker, so one bad loss never costs the others their verdict.
The linter process itself never imports TensorFlow.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Callable, Sequence

import tfshape_lint

from tfshape_lint.verify.result import Status, Verification, inconclusive

STARTUP_TIMEOUT = 180.0
_PACKAGE_PARENT = str(Path(tfshape_lint.__file__).resolve().parent.parent)


class WorkerError(Exception):
    """The worker could not answer: it timed out, died or never started."""


class WorkerTimeout(WorkerError):
    pass


class WorkerCrash(WorkerError):
    pass


@dataclass(frozen=True)
class WorkerInfo:
    """What the worker reported once TensorFlow was up."""

    device: str
    gpu: bool
    keras: str
    tensorflow: str
    memory: str
    startup_seconds: float


#: environment variables the worker keeps: what Python and TensorFlow need, never credentials
_KEEP_EXACT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH", "SYSTEMROOT", "PYTHONHASHSEED")
_KEEP_PREFIXES = ("TF_", "CUDA_", "XLA_", "NVIDIA_", "TFSHAPE_LINT_VERIFY_")


#: Keras 3; tf_keras for a file that imports it; Keras 2 code under tf_keras with ``import keras``
#: aliased to it; Keras 3 code that also reads Keras 2 backend names, under Keras 3 with those
#: names taken from tf_keras's backend
FLAVOURS = ("keras", "tf_keras", "keras2", "keras3_k2")


def worker_env(flavour: str, device: str, memory_mb: int | None = None, home: str | None = None) -> dict[str, str]:
    """Environment of the worker: Keras flavour, visible devices, quiet TensorFlow logs, the
    user's PYTHONPATH, and nothing else from ours (no tokens, no cloud credentials); HOME and
    TMPDIR are its temp dir."""
    env = {k: v for k, v in os.environ.items() if k in _KEEP_EXACT or k.startswith(_KEEP_PREFIXES)}
    env.setdefault("PATH", os.defpath)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["TF_USE_LEGACY_KERAS"] = "1" if flavour in ("tf_keras", "keras2") else "0"
    if flavour == "keras2":
        env["TFSHAPE_LINT_KERAS_ALIAS"] = "1"
    elif flavour == "keras3_k2":
        env["TFSHAPE_LINT_KERAS2_BACKEND"] = "1"
    env["TFSHAPE_LINT_DEVICE"] = device
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if home is not None:
        env["HOME"] = env["TMPDIR"] = env["TFSHAPE_LINT_SANDBOX_DIR"] = home
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"
    if memory_mb is not None:
        env["TFSHAPE_LINT_VERIFY_MEMORY_MB"] = str(memory_mb)
    # the user's own PYTHONPATH (where a project keeps its packages) after this package's parent:
    # a path, never a credential, and the loss's imports resolve in the worker as they do for
    # the user
    env["PYTHONPATH"] = os.pathsep.join([_PACKAGE_PARENT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
    return env


@lru_cache(maxsize=1)
def network_namespace_prefix() -> tuple[str, ...]:
    """``unshare -rn`` when this system lets an unprivileged process drop its network."""
    exe = shutil.which("unshare")
    if exe is None:
        return ()
    try:
        ok = subprocess.run([exe, "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return (exe, "-rn") if ok else ()


class Worker:
    """One ``python -m tfshape_lint.verify._child.worker`` process and its line protocol."""

    def __init__(self, env: dict[str, str], cwd: str) -> None:
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._stderr: IO[bytes] | None = None
        self.info: WorkerInfo | None = None

    def start(self, timeout: float = STARTUP_TIMEOUT) -> WorkerInfo:
        """Spawn the worker and wait until TensorFlow is imported."""
        self._stderr = open(os.path.join(self.cwd, "worker-stderr.log"), "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*self._namespace(), sys.executable, "-m", "tfshape_lint.verify._child.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            cwd=self.cwd, env=self.env, start_new_session=True, bufsize=0)
        try:
            line = self._read_line(timeout)
        except WorkerTimeout:
            self.kill()
            raise WorkerCrash(f"TensorFlow did not start within {timeout:g}s") from None
        data = json.loads(line)
        if not data.get("ready"):
            self.kill()
            raise WorkerCrash(f"TensorFlow failed to start: {data.get('error', 'unknown error')}")
        self.info = WorkerInfo(str(data["device"]), bool(data.get("gpu")), str(data["keras"]),
                               str(data.get("tensorflow", "")), str(data.get("memory", "")),
                               float(data.get("startup_seconds", 0.0)))
        return self.info

    def _namespace(self) -> tuple[str, ...]:
        """No network namespace where a GPU may be used: CUDA device access is not worth the risk
        (the in-process socket refusal still applies)."""
        if self.env.get("CUDA_VISIBLE_DEVICES") != "-1" and os.path.exists("/dev/nvidiactl"):
            return ()
        return network_namespace_prefix()

    def run(self, job: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one job and wait for its answer; kills the worker on timeout or death."""
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerCrash(self._death_reason()) from None
        try:
            return dict(json.loads(self._read_line(timeout)))
        except WorkerTimeout:
            self.kill()
            raise

    def _read_line(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WorkerTimeout(f"timed out after {timeout:g}s")
                if not sel.select(left):
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise WorkerCrash(self._death_reason())
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", "replace")

    def _death_reason(self) -> str:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        tail = _stderr_tail(os.path.join(self.cwd, "worker-stderr.log"))
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            what = f"killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
        else:
            what = f"exited with status {code}"
        return f"the probe process {what}" + (f": {tail}" if tail else "")

    def kill(self) -> None:
        """Kill the worker's process group (only the processes this object started)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()
        self._close_pipes()

    def close(self) -> None:
        """Ask the worker to exit (EOF on stdin), killing it if it does not."""
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        assert self.proc is not None
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _stderr_tail(path: str) -> str:
    """The last telling line of the worker's stderr (Fatal Python error, MemoryError...)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 4000))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if any(key in ln for key in ("Error", "error", "Fatal", "Killed", "Aborted", "terminate")):
            return ln[:200]
    return lines[-1][:200] if lines else ""


def run_jobs(jobs: Sequence[tuple[str, dict[str, Any]]], *, flavour: str, device: str, timeout: float,
             cwd: str, on_done: Callable[[str, Verification, bool], None],
             memory_mb: int | None = None) -> WorkerInfo | None:
    """Run ``(key, job)`` pairs in one worker (restarted as needed); ``on_done(key, verdict, clean)``.

    ``clean`` is false for verdicts caused by the sandbox (timeout, crash) rather than the
    probe itself: those are not cached.
    """
    env = worker_env(flavour, device, memory_mb, home=cwd)
    worker: Worker | None = None
    info: WorkerInfo | None = None
    for index, (key, job) in enumerate(jobs):
        if worker is None:
            worker = Worker(env, cwd)
            try:
                info = worker.start()
            except WorkerError as exc:
                for rest_key, _ in jobs[index:]:
                    on_done(rest_key, inconclusive(str(exc)), False)
                return info
            if device == "gpu" and not info.gpu:
                worker.close()
                for rest_key, _ in jobs[index:]:
                    on_done(rest_key, inconclusive("--verify-device gpu, but TensorFlow sees no GPU",
                                                   device=info.device, keras=info.keras), False)
                return info
        assert info is not None
        began = time.perf_counter()
        try:
            answer = worker.run(job, timeout)
        except WorkerError as exc:
            worker.kill()
            worker = None
            reason = str(exc) if isinstance(exc, WorkerCrash) else f"timed out after {timeout:g}s (probe killed)"
            on_done(key, inconclusive(reason, device=info.device, keras=info.keras,
                                      seconds=time.perf_counter() - began), False)
            continue
        on_done(key, Verification(Status(answer["status"]), str(answer["evidence"]), info.device, info.keras,
                                  float(answer.get("seconds", 0.0)),
                                  import_seconds=float(answer.get("import_seconds", 0.0))), True)
    if worker is not None:
        worker.close()
    return info
