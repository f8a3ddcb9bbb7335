"""The environment fresh-process benchmarks run commands in: byte-code cached, as installed.

A package installed by pip has its ``.pyc`` files; a checkout run with
``PYTHONDONTWRITEBYTECODE=1`` (set on some CI and sandbox machines) compiles every module of
tfshape-lint in every process, ~150 ms that no user pays. So the variable is dropped and
``PYTHONPYCACHEPREFIX`` points into a temporary folder (the checkout stays clean); run each
command once before timing it so the cache is written.
"""

from __future__ import annotations

import os
from pathlib import Path


def cached_bytecode_env(tmp: str | Path) -> dict[str, str]:
    """``os.environ`` without ``PYTHONDONTWRITEBYTECODE``, byte-code cached under ``tmp``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
    return env
