"""Benchmark and census: the tool over whole repositories vs a bare LibCST parse of the same files.

Usage::

    python bench/bench_repos.py [--json OUT] [--baseline OLD.json] [--judgements J.json] REPO_DIR [REPO_DIR ...]

For each repository folder (every ``.py`` under it, the walk ``check`` does; its notebooks are
checked for findings but not timed) it prints the
number of files and lines, the seconds of ``check`` in this one process (the ``--jobs 1``
path: ``files.check_file`` on each file, project resolution included) against the
seconds of ``libcst.parse_module`` over the same files, and the findings per code. ``--json``
writes every finding (path, line, code, message, loss role) so they can be judged by hand;
``--baseline`` prints the per-code counts of an earlier ``--json`` run beside the new ones.
``--judgements`` scores the findings other than TFS501/TFS506 against findings judged by hand
after an earlier run (``bench/heldout/whole-repo-*.json``: ``"<repo folder>/<path>:<line>:<CODE>"``,
with ``:<column>`` before the code where two findings of one code share a line, each
``{"bug": true/false, ...}``): how many are real bugs, how many false, how many not judged yet.
Files are read once up front so both loops time the work, not the disk. Nothing is asserted:
The budget (<= 1.0x a bare parse) is read off the printed ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst

from tfshape_lint.config import Config
from tfshape_lint.files import ReadError, check_file, iter_python_files, read_source


@dataclass
class RepoRun:
    """What one repository gave: sizes, timings and findings."""

    name: str
    files: int = 0
    lines: int = 0
    check_s: float = 0.0
    parse_s: float = 0.0
    parse_errors: int = 0
    internal_errors: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    findings: list[dict[str, Any]] = field(default_factory=list)


def _sources(root: Path, config: Config) -> list[tuple[str, str]]:
    out = []
    for path, problem in iter_python_files([str(root)], config):
        if problem is not None:
            continue
        try:
            out.append((path, read_source(path)))
        except ReadError:
            continue
    return out


def _time_parse(sources: list[tuple[str, str]]) -> tuple[float, int]:
    errors = 0
    start = time.perf_counter()
    for _, text in sources:
        try:
            libcst.parse_module(text)
        except libcst.ParserSyntaxError:
            errors += 1
    return time.perf_counter() - start, errors


def run_repo(root: Path, config: Config) -> RepoRun:
    """Check one repository in this process and parse the same files with LibCST."""
    run = RepoRun(root.name)
    sources = _sources(root, config)
    run.files = len(sources)
    run.lines = sum(text.count("\n") for _, text in sources)
    run.parse_s, run.parse_errors = _time_parse(sources)
    start = time.perf_counter()
    results = [check_file(path, config) for path, _ in sources]
    run.check_s = time.perf_counter() - start
    # notebooks are checked too (their findings count), but not timed: no bare parse to compare
    results += [check_file(path, config) for path, problem in iter_python_files([str(root)], config, notebooks=True)
                if problem is None]
    for result in results:
        run.internal_errors += len(result.errors)
        for finding in result.findings:
            run.codes[finding.code] += 1
            run.findings.append({
                "path": str(Path(finding.path).relative_to(root)), "line": finding.line,
                "column": finding.column + 1,
                "code": finding.code, "message": finding.message,
                "loss": finding.loss.qualname if finding.loss else None,
                "role": finding.loss.role if finding.loss else None,
            })
    return run


def _codes_text(codes: Counter[str] | dict[str, int]) -> str:
    return " ".join(f"{code}:{n}" for code, n in sorted(codes.items())) or "-"


def report(runs: list[RepoRun], baseline: dict[str, Any] | None) -> None:
    """One line per repository, then the totals."""
    head = f"{'repository':34} {'files':>6} {'lines':>8} {'check s':>8} {'parse s':>8} {'ratio':>6}  findings"
    print(head)
    for run in runs:
        ratio = run.check_s / run.parse_s if run.parse_s else float("nan")
        print(f"{run.name:34} {run.files:6} {run.lines:8} {run.check_s:8.2f} {run.parse_s:8.2f} "
              f"{ratio:6.2f}  {_codes_text(run.codes)}"
              + (f"  (internal errors: {run.internal_errors})" if run.internal_errors else ""))
        if baseline is not None and run.name in baseline:
            print(f"{'':34} {'before:':>33}  {_codes_text(baseline[run.name]['codes'])}")
    total = Counter[str]()
    for run in runs:
        total.update(run.codes)
    check = sum(r.check_s for r in runs)
    parse = sum(r.parse_s for r in runs)
    print(f"{'total':34} {sum(r.files for r in runs):6} {sum(r.lines for r in runs):8} "
          f"{check:8.2f} {parse:8.2f} {check / parse if parse else float('nan'):6.2f}  {_codes_text(total)}")


#: API-migration codes: facts about a Keras/TensorFlow version, not loss bugs
API_CODES = ("TFS501", "TFS506")


def score(runs: list[RepoRun], judged: dict[str, Any]) -> None:
    """Precision of the loss-rule findings against the hand judgements, and what is not judged."""
    verdicts: dict[str, list[str]] = {"true": [], "false": [], "not judged": []}
    for run in runs:
        for f in run.findings:
            if f["code"] in API_CODES:
                continue
            where = f"{run.name}/{f['path']}"
            exact = f"{where}:{f['line']}:{f['column']}:{f['code']}"
            entry = judged.get(exact) or judged.get(f"{where}:{f['line']}:{f['code']}")
            kind = "not judged" if entry is None else "true" if entry.get("bug") else "false"
            verdicts[kind].append(f"{where}:{f['line']}:{f['code']}")
    judged_n = len(verdicts["true"]) + len(verdicts["false"])
    print(f"findings other than {'/'.join(API_CODES)}: {judged_n + len(verdicts['not judged'])}; "
          f"real bugs {len(verdicts['true'])}/{judged_n} judged"
          + (f" = {len(verdicts['true']) / judged_n:.2f}" if judged_n else ""))
    for kind in ("false", "not judged"):
        for key in verdicts[kind]:
            print(f"  {kind}: {key}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="write every finding here")
    parser.add_argument("--baseline", type=Path, help="an earlier --json file to compare with")
    parser.add_argument("--judgements", type=Path, help="findings judged by hand, to score against")
    args = parser.parse_args(argv)
    missing = [str(r) for r in args.repos if not r.is_dir()]
    if missing:
        print(f"not a directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    config = Config()
    baseline = json.loads(args.baseline.read_text(encoding="utf-8")) if args.baseline else None
    warm = _sources(args.repos[0], config)[:20]
    [check_file(path, config) for path, _ in warm]  # imports and the registry, once
    runs = [run_repo(root, config) for root in args.repos]
    report(runs, baseline)
    if args.judgements:
        score(runs, json.loads(args.judgements.read_text(encoding="utf-8")))
    if args.json:
        args.json.write_text(json.dumps({r.name: {
            "files": r.files, "lines": r.lines, "check_s": round(r.check_s, 3),
            "parse_s": round(r.parse_s, 3), "codes": dict(r.codes), "findings": r.findings,
        } for r in runs}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
