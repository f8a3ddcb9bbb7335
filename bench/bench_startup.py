"""Benchmark: start-up cost of the ``tfshape-lint`` command, as pre-commit and editors pay it.

Usage: python bench/bench_startup.py [--runs N]

Times fresh processes (minimum of ``--runs``, default 5) of ``python -c "import argparse"`` (the
floor: an interpreter that imports argparse) and of ``python -m tfshape_lint`` with
``--version``, ``rules``, ``rule TFS102`` and ``check`` of a 1,000-line file that never mentions
TensorFlow/Keras, a notebook without TensorFlow, and prints each as ms and as a ratio to the
floor (target: <= 4x). It also prints whether LibCST or the rule modules were imported.

Byte-code is cached as an installed package has it (``PYTHONDONTWRITEBYTECODE`` is dropped and
``PYTHONPYCACHEPREFIX`` points into a temporary folder; each command runs once before timing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAIN = "import json\nimport os\n\n\n" + "".join(f"def f{i}(x):\n    return json.dumps([x, {i}, os.sep])\n\n\n"
                                                  for i in range(250))

PROBE = ("import runpy, sys, json, atexit\n"
         "atexit.register(lambda: sys.__stderr__.write('MODULES ' + json.dumps("
         "[m for m in ('libcst', 'tfshape_lint.rules', 'tfshape_lint.engine', 'nbformat') "
         "if m in sys.modules]) + '\\n'))\n"
         "sys.argv = ['tfshape-lint'] + sys.argv[1:]\n"
         "runpy.run_module('tfshape_lint', run_name='__main__')\n")


from _procenv import cached_bytecode_env

ENV: dict[str, str] = {}


def _time(cmd: list[str], runs: int) -> float:
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
        best = min(best, time.perf_counter() - start)
    return best


def _modules(args: list[str]) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          check=False)
    for line in proc.stderr.splitlines():
        if line.startswith("MODULES "):
            return list(json.loads(line[len("MODULES "):]))
    return ["?"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ENV.update(cached_bytecode_env(tmp))
        plain = Path(tmp) / "plain.py"
        plain.write_text(PLAIN)
        notebook = Path(tmp) / "plain.ipynb"
        notebook.write_text(json.dumps({
            "cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                       "outputs": [], "source": PLAIN}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        floor = _time([sys.executable, "-c", "import argparse"], options.runs)
        print(f"python -c 'import argparse': {floor * 1000:7.1f} ms (floor)")
        cases = {"--version": ["--version"], "rules": ["rules"], "rule TFS102": ["rule", "TFS102"],
                 "check plain.py (no TF)": ["check", str(plain)],
                 "check plain.ipynb (no TF)": ["check", str(notebook)]}
        for label, args in cases.items():
            seconds = _time([sys.executable, "-m", "tfshape_lint", *args], options.runs)
            print(f"tfshape-lint {label:28} {seconds * 1000:7.1f} ms  {seconds / floor:5.1f}x floor"
                  f"  imports: {', '.join(_modules(args)) or 'none of libcst/rules/engine'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
