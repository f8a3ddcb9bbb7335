"""On-disk cache of verdicts, so that a second ``--verify`` run (pre-commit, editor) is instant.

The key hashes the probe program, the probe and its parameters, the Keras flavour, the device
request and the installed TensorFlow/Keras/NumPy versions (read from package metadata, not by
importing them). Location: ``$TFSHAPE_LINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/tfshape-lint``,
else ``~/.cache/tfshape-lint``; entries live under ``verify/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

from tfshape_lint.verify.result import Verification

#: bump when probes change meaning, so old verdicts are not reused
CACHE_VERSION = "99"
_PACKAGES = ("tensorflow", "tensorflow-cpu", "tf-nightly", "keras", "tf_keras", "numpy")


def cache_dir() -> Path:
    """Where verdicts are stored."""
    explicit = os.environ.get("TFSHAPE_LINT_CACHE_DIR")
    if explicit:
        return Path(explicit) / "verify"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "tfshape-lint" / "verify"


@lru_cache(maxsize=1)
def versions() -> str:
    """``tensorflow-cpu=2.21.0 keras=3.15.1 ...`` for the installed packages that matter."""
    found = []
    for name in _PACKAGES:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return " ".join(found)


def key(job: Mapping[str, Any], flavour: str, device: str) -> str:
    """Hash of everything that decides a verdict."""
    from tfshape_lint import __version__

    payload = {k: v for k, v in job.items() if k != "id"}
    blob = json.dumps({"job": payload, "flavour": flavour, "device": device,
                       "cuda": os.environ.get("CUDA_VISIBLE_DEVICES", ""), "versions": versions(),
                       "tool": __version__, "cache": CACHE_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def get(digest: str) -> Verification | None:
    """A stored verdict, or None (a corrupt entry counts as missing)."""
    path = cache_dir() / digest[:2] / f"{digest}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Verification.from_dict(data, cached=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def put(digest: str, verdict: Verification) -> None:
    """Store a verdict atomically; a read-only cache directory is silently skipped."""
    folder = cache_dir() / digest[:2]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(verdict.to_dict() | {"seconds": verdict.seconds}, fh)
        os.replace(tmp, folder / f"{digest}.json")
    except OSError:
        return
