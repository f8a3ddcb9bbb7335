"""Benchmark: `check` over a real corpus vs bare `libcst.parse_module` on the same files.

Usage: python bench/bench_check.py [PACKAGE_DIR ...]   (default: installed keras and tf_keras)
Prints files, lines, seconds for each and the ratio (target: <= 1.3x the bare parse,
single process). Both loops run in this process, one after the other, on files read up front.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import libcst

from tfshape_lint.config import Config
from tfshape_lint.engine import SourceError, lint


def default_roots() -> list[Path]:
    roots = []
    for name in ("keras", "tf_keras"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            roots.append(Path(list(spec.submodule_search_locations)[0]))
    return roots


def load(roots: list[Path]) -> list[tuple[str, str]]:
    out = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            try:
                out.append((str(path), path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
    return out


def time_parse(files: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for _, text in files:
        try:
            libcst.parse_module(text)
        except libcst.ParserSyntaxError:
            pass
    return time.perf_counter() - start


def time_check(files: list[tuple[str, str]], config: Config) -> tuple[float, int, int]:
    findings = errors = 0
    start = time.perf_counter()
    for path, text in files:
        try:
            result = lint(text, path, config)
        except SourceError:
            errors += 1
            continue
        findings += len(result.findings)
        errors += len(result.errors)
    return time.perf_counter() - start, findings, errors


def main() -> int:
    roots = [Path(a) for a in sys.argv[1:]] or default_roots()
    if not roots:
        print("no corpus: pass package directories or install keras / tf_keras")
        return 2
    files = load(roots)
    if not files:
        print(f"no Python files under {', '.join(str(r) for r in roots)}", file=sys.stderr)
        return 2
    lines = sum(text.count("\n") for _, text in files)
    config = Config()
    time_check(files[:50], config)  # warm imports and the registry
    parse = time_parse(files)
    check, findings, errors = time_check(files, config)
    print(f"corpus: {', '.join(str(r) for r in roots)}")
    print(f"files: {len(files)}  lines: {lines}")
    print(f"libcst.parse_module: {parse:.2f} s  ({1000 * parse / lines * 1000:.1f} ms/kline)")
    print(f"tfshape-lint check: {check:.2f} s  ({1000 * check / lines * 1000:.1f} ms/kline)  "
          f"findings: {findings}  internal errors: {errors}")
    print(f"ratio check / parse: {check / parse:.3f}  (target <= 1.3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
