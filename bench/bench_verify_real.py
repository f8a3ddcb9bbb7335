"""Benchmark: ``check --verify`` on real files, scored against findings judged by hand.

Usage: python bench/bench_verify_real.py --judgements J.json [--list] FILE...

``J.json`` (kept outside the repository, like the files) maps ``"<file name>:<line>:<code>"``
(or ``"<file name>:<line>:<column>:<code>"``, the column as ``check`` prints it (1-based), where two
findings of one code share a line)
to ``true`` (a real bug as the file uses the loss) or ``false`` (a false finding), judged by
reading the code, never from the verdict. The files are linted with the default config (each
under the name its ``# source:`` first line gives, as ``check`` sees it in its repository), every
finding is verified in one ``verify_findings`` call (no cache), and the script prints:

- verdicts per status, and the share of inconclusive verdicts among findings other than
  TFS501/TFS506 (target <= 15%);
- true findings refuted (target 0) and false findings confirmed (target 0);
- the time per job after the TensorFlow import (the worker's own per-job seconds; target
  <= 0.3 s) and the wall time of the whole call; a worker's first import of an installed
  package a file imports (``tensorflow_probability``: 0.8 s) is paid once per worker, like
  TensorFlow's, and printed apart;
- every inconclusive verdict with its reason, and the findings not yet judged (``--list``
  prints all findings with their verdicts, to judge them).

With ``--checkouts DIR``, a file whose repository is checked out as ``DIR/<owner>+<name>`` (its
``# source: <owner>/<name>/<path>`` line names it) is verified at ``<path>`` in that checkout, as
``check --verify`` runs in a user's clone: it is linted there (the repository's other modules say
how the loss is compiled and whether anything weights samples) and the project's own modules
(``from config import ...``, relative imports) resolve from there. The text linted and verified
is still the scratch copy's.

Timings are printed, never asserted. Nothing here is committed with the third-party files.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import sys
import time
from typing import Any
from pathlib import Path

from tfshape_lint.engine import SourceError, lint_source
from tfshape_lint.finding import Finding
from tfshape_lint.verify import tensorflow_available, verify_findings

API_CODES = ("TFS501", "TFS506")
SLOW_JOB_S = 0.3


Judged = dict[str, "bool | dict[str, Any]"]


def judgement(judged: Judged, finding: Finding) -> bool | None:
    """The judgement of ``finding``: ``"<file>:<line>:<column>:<code>"`` where two findings of one
    code share a line (a division inside a flagged ``log``), else ``"<file>:<line>:<code>"``. The
    column is the one ``check`` prints (``Finding.column`` + 1), which is what a judge reads. A
    judgement is ``true``/``false``, or a judge's record ``{"bug": ..., "kind": ..., "note": ...}``."""
    entry = _entry(judged, finding)
    if isinstance(entry, dict):
        return bool(entry["bug"]) if "bug" in entry else None
    return entry


def false_kind(judged: Judged, finding: Finding) -> str:
    """Why a judge found ``finding`` false, where the record says (``dead``: nothing trains with
    the loss; ``unreachable-value``: the repository never feeds it values that trigger the bug;
    ``wrong-claim``, ``metric``, ...), else ``not recorded``."""
    entry = _entry(judged, finding)
    return str(entry.get("kind") or "not recorded") if isinstance(entry, dict) else "not recorded"


def _entry(judged: Judged, finding: Finding) -> "bool | dict[str, Any] | None":
    exact = f"{Path(finding.path).name}:{finding.line}:{finding.column + 1}:{finding.code}"
    return judged[exact] if exact in judged else judged.get(key(finding))


def linted_as(path: Path, text: str) -> str:
    """The path ``check`` sees the file under in its repository: the name its ``# source:``
    first line gives (``.../bateaux_metrics_v2.py`` is read as a metrics module; the scratch
    copy is renamed ``h765_camera_pose_euclidean.py``), in the copy's folder; else the copy."""
    first = text.split("\n", 1)[0]
    if first.startswith("# source:") and first.rstrip().endswith(".py"):
        return str(path.with_name(first.rstrip().rsplit("/", 1)[-1]))
    return str(path)


def in_checkout(path: Path, text: str, checkouts: Path | None) -> str:
    """Where the file lies in its repository's checkout under ``checkouts`` (``owner+name``),
    from its ``# source: owner/name/path`` line; the scratch path when there is none."""
    first = text.split("\n", 1)[0]
    if checkouts is None or not first.startswith("# source:"):
        return str(path)
    owner, name, *rest = first.removeprefix("# source:").strip().split("/")
    root = checkouts / f"{owner}+{name}"
    return str(root.joinpath(*rest)) if rest and root.is_dir() else str(path)


def key(finding: Finding) -> str:
    return f"{Path(finding.path).name}:{finding.line}:{finding.code}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--judgements", type=Path, required=True)
    parser.add_argument("--list", action="store_true", help="print every finding with its verdict")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--checkouts", type=Path, help="folder of repository checkouts (owner+name) to verify "
                        "each file in, so that its project's imports resolve")
    parser.add_argument("--dump", type=Path, help="also write every verdict (key, status, evidence, seconds, "
                        "judgement) to this JSON file, to compare two runs")
    args = parser.parse_args(argv)
    if not tensorflow_available():
        print("TensorFlow is not installed; install tfshape-lint[verify]", file=sys.stderr)
        return 2
    judged: Judged = json.loads(args.judgements.read_text()) if args.judgements.exists() else {}
    sources: dict[str, str] = {}
    scratch: dict[str, str] = {}  # where each file is verified -> its scratch path (named in the judgements)
    findings: list[Finding] = []
    for path in args.files:
        text = path.read_text(encoding="utf-8", errors="replace")
        placed = in_checkout(path, text, args.checkouts)
        sources[placed], scratch[placed] = text, str(path)
        try:
            found = lint_source(text, placed if placed != str(path) else linted_as(path, text))
        except SourceError as exc:  # a file Python itself cannot parse has nothing to verify
            print(f"{path.name}: not linted: {exc}")
            continue
        findings.extend(dataclasses.replace(f, path=placed) for f in found)
    began = time.perf_counter()
    verified = verify_findings(findings, sources, timeout=args.timeout, device="cpu", use_cache=False)
    out = [dataclasses.replace(f, path=scratch[f.path]) for f in verified]
    wall = time.perf_counter() - began
    report(out, judged, wall, args.list)
    if args.dump:
        args.dump.write_text(json.dumps([{"key": key(f), "column": f.column, "status": f.verification.status.value,
                                          "evidence": f.verification.evidence, "seconds": f.verification.seconds,
                                          "import_seconds": f.verification.import_seconds,
                                          "judged": judgement(judged, f)} for f in out], indent=1))
    return 0


def report(out: list[Finding], judged: Judged, wall: float, listing: bool) -> None:
    statuses = collections.Counter(f.verification.status.value for f in out)
    print(f"{len(out)} findings in {len({f.path for f in out})} files: "
          + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    rest = [f for f in out if f.code not in API_CODES]
    open_ = [f for f in rest if f.verification.status.value == "inconclusive"]
    share = len(open_) / len(rest) if rest else 0.0
    print(f"inconclusive among findings other than TFS501/TFS506: {len(open_)}/{len(rest)} = {share:.1%} "
          "(target <= 15%)")
    true_refuted = [f for f in out if judgement(judged, f) is True and f.verification.status.value == "refuted"]
    false_confirmed = [f for f in out if judgement(judged, f) is False and f.verification.status.value == "confirmed"]
    print(f"true findings refuted: {len(true_refuted)} (target 0)")
    kinds = collections.Counter(false_kind(judged, f) for f in false_confirmed)
    print(f"false findings confirmed: {len(false_confirmed)} (target 0)"
          + (f"; why the judge found them false: {', '.join(f'{k} {n}' for k, n in kinds.most_common())}"
             if false_confirmed else ""))
    seconds = [f.verification.seconds for f in out if f.verification.seconds]
    if seconds:
        print(f"time per job after the TensorFlow import: mean {sum(seconds) / len(seconds):.3f} s, "
              f"max {max(seconds):.3f} s over {len(seconds)} jobs (target <= 0.3 s); wall {wall:.1f} s")
    imports = [(f.verification.import_seconds, key(f)) for f in out if f.verification.import_seconds >= 0.05]
    if imports:
        print(f"  not in those: first imports of installed packages the files import (once per worker, like "
              f"TensorFlow's): {sum(s for s, _ in imports):.2f} s in {len(imports)} jobs, the longest "
              f"{max(imports)[0]:.2f} s ({max(imports)[1]})")
    slow = sorted((f for f in out if f.verification.seconds > SLOW_JOB_S), key=lambda f: -f.verification.seconds)
    for f in slow:
        print(f"  over {SLOW_JOB_S} s: {key(f)} {f.verification.seconds:.2f} s")
    for title, group in (("true findings refuted", true_refuted), ("false findings confirmed", false_confirmed),
                         ("inconclusive", open_)):
        if group:
            print(f"\n{title}:")
            for f in group:
                why = f" [{false_kind(judged, f)}]" if group is false_confirmed else ""
                print(f"  {key(f)}{why}  {f.verification.evidence[:300]}")
    unjudged = [f for f in out if judgement(judged, f) is None]
    if unjudged:
        print(f"\n{len(unjudged)} findings not judged yet:")
        for f in unjudged:
            print(f"  {key(f)}  {f.message[:120]}")
    if listing:
        print("\nall findings:")
        for f in out:
            v = f.verification
            print(f"  {key(f)} [{v.status.value} {v.seconds:.2f}s] {f.message[:100]} || {v.evidence[:400]}")


if __name__ == "__main__":
    sys.exit(main())
