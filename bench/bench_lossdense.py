"""Benchmark: the engine on loss-dense files, against a bare ``libcst.parse_module`` of them.

Usage (CPU time of this process, so that other load on the machine counts less):
    python bench/bench_lossdense.py [--repeat N] [--fixes] [--generated LOSSES] [EXTRA ...]

The corpus is every rule's good/bad examples, ``tests/fixtures``, and the extra files or folders
given (public files with custom losses, kept outside the repository), read up front. Both
loops run in this process, one after the other (best of ``--repeat`` runs each; per file, its
best run, so that a garbage-collection pause does not make a file "slowest"). Prints the
ratio engine / parse (target: <= 1.0) and the slowest files in ms per 100 lines
(target: <= 50). ``--fixes`` times ``lint(..., fixes=True)`` as well (what ``fix`` and the
JSON/SARIF outputs pay). ``--generated N`` also times one generated file with N losses (5 lines
each): the engine's cost must grow linearly with the file.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import inspect
import sys
import time
from pathlib import Path
from typing import Iterator

import libcst

from tfshape_lint.config import Config
from tfshape_lint.engine import SourceError, lint
from tfshape_lint.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
File = tuple[str, str]


def corpus(extra: list[Path]) -> list[File]:
    files: list[File] = []
    for rule in all_rules():
        for kind in ("good", "bad"):
            for i, example in enumerate(getattr(rule, kind)):
                files.append((f"{rule.code}/{kind}{i}", example.code))
    for base in [ROOT / "tests" / "fixtures", *extra]:
        paths = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in paths:
            try:
                files.append((str(path), path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
    return files


def generated(losses: int) -> str:
    """A file of ``losses`` small custom losses (half of them with a finding)."""
    head = "import tensorflow as tf\n\n"
    body = "".join(
        f"def loss_{i}(y_true, y_pred):\n"
        f"    err = tf.square(y_true - y_pred) * {i % 7 + 1}.0\n"
        f"    return tf.reduce_{'sum' if i % 2 else 'mean'}(err{', axis=-1' if i % 2 == 0 else ''})\n"
        "\n\n"
        for i in range(losses))
    return head + body


#: files between two (untimed) garbage collections
GC_EVERY = 50


@contextlib.contextmanager
def _no_gc_pauses(index: int) -> Iterator[None]:
    """The timed region without garbage collection, and a full collection (untimed) every
    ``GC_EVERY`` files: the same allocations in the same order make a collection land on the
    same file in every repeat, which would make that file "slowest" by the collector's work."""
    if index % GC_EVERY == 0:
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def time_parse(files: list[File]) -> tuple[float, dict[str, float]]:
    per: dict[str, float] = {}
    for i, (name, text) in enumerate(files):
        with _no_gc_pauses(i):
            start = time.process_time()
            try:
                libcst.parse_module(text)
            except libcst.ParserSyntaxError:
                pass
            per[name] = time.process_time() - start
    return sum(per.values()), per


def _lint(text: str, name: str, config: Config, fixes: bool) -> int:
    kwargs = {"fixes": True} if fixes and "fixes" in inspect.signature(lint).parameters else {}
    try:
        return len(lint(text, name, config, **kwargs).findings)  # type: ignore[arg-type]
    except SourceError:
        return 0


def time_engine(files: list[File], fixes: bool = False) -> tuple[float, dict[str, float], int]:
    config = Config()
    per: dict[str, float] = {}
    findings = 0
    for i, (name, text) in enumerate(files):
        with _no_gc_pauses(i):
            start = time.process_time()
            findings += _lint(text, name, config, fixes)
            per[name] = time.process_time() - start
    return sum(per.values()), per, findings


def best(fn, repeat: int):  # type: ignore[no-untyped-def]
    """The run with the least total time, its per-file times replaced by each file's best over
    all runs (one garbage-collection pause must not make a file "slowest")."""
    runs = [fn() for _ in range(repeat)]
    chosen = min(runs, key=lambda r: r[0])
    per = {name: min(run[1][name] for run in runs) for name in chosen[1]}
    return (chosen[0], per, *chosen[2:])


#: files shorter than this are left out of "slowest": a fixed cost per file (parsing a 6-line
#: file costs ~200 ms per 100 lines with LibCST alone) says nothing about the analysis
MIN_LINES = 40


def report_files(files: list[File], per: dict[str, float], count: int = 3) -> None:
    lines = {name: max(1, text.count("\n")) for name, text in files}
    sized = [n for n in per if lines[n] >= MIN_LINES]
    slow = sorted(sized, key=lambda n: per[n] * 100 / lines[n], reverse=True)[:count]
    for name in slow:
        print(f"  slowest: {1000 * per[name] * 100 / lines[name]:7.1f} ms/100 lines  "
              f"({1000 * per[name]:.1f} ms, {lines[name]} lines)  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extra", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fixes", action="store_true")
    parser.add_argument("--generated", type=int, default=0)
    args = parser.parse_args()
    files = corpus(args.extra)
    lines = sum(text.count("\n") for _, text in files)
    time_engine(files[:40])  # warm imports and the registry
    parse, parse_per = best(lambda: time_parse(files), args.repeat)
    engine, per, findings = best(lambda: time_engine(files), args.repeat)
    print(f"files: {len(files)} ({len(args.extra)} extra paths)  lines: {lines}  findings: {findings}")
    print(f"libcst.parse_module: {parse:.3f} s   engine: {engine:.3f} s   "
          f"ratio engine / parse: {engine / parse:.2f}  (target <= 1.0)")
    report_files(files, per)
    print(f"  (files of >= {MIN_LINES} lines; slowest bare parse: "
          f"{max(1000 * parse_per[n] * 100 / t.count(chr(10)) for n, t in files if t.count(chr(10)) >= MIN_LINES):.1f} ms/100 lines)")
    if args.fixes:
        with_fixes, fix_per, _ = best(lambda: time_engine(files, fixes=True), args.repeat)
        print(f"engine with fixes: {with_fixes:.3f} s   ratio / parse: {with_fixes / parse:.2f}")
        report_files(files, fix_per, 1)
    if args.generated:
        text = generated(args.generated)
        gen = [("generated", text)]
        g_parse, _ = time_parse(gen)
        g_engine, _, g_findings = time_engine(gen)
        print(f"generated file: {args.generated} losses, {text.count(chr(10))} lines, "
              f"{g_findings} findings: parse {g_parse:.2f} s, engine {g_engine:.2f} s "
              f"(ratio {g_engine / g_parse:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
