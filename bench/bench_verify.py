"""Benchmark: ``check --verify`` over every rule's bad examples (speed only).

The tests already require these examples to be confirmed, so the verdict counts printed here
are no accuracy figure; ``bench/bench_verify_real.py`` measures accuracy on public files judged
by hand.

Usage: python bench/bench_verify.py [--device auto|cpu|gpu] [--include-good]

Prints the number of findings verified, the total wall time of ``verify_findings`` (worker
start with the TensorFlow import included), the cost of starting the worker (one finding
alone), the per-finding cost after TensorFlow is imported ((total - start) / (n - 1); target
<= 0.3 s) and the mean probe time the worker itself measured, then the verdicts per rule.
The cache is not used. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import ast
import collections
import sys
import time
from dataclasses import replace

from tfshape_lint.analysis.index import build_index
from tfshape_lint.config import Config, parse_table
from tfshape_lint.engine import lint_source
from tfshape_lint.finding import Finding, LossRef, Severity
from tfshape_lint.registry import all_rules, known_codes
from tfshape_lint.verify import tensorflow_available, verify_findings


def corpus(include_good: bool) -> dict[str, tuple[list[Finding], dict[str, str]]]:
    """Findings and sources per Keras flavour: each bad example's own findings (and, with
    ``include_good``, every loss of every good example forced through its rule's probe)."""
    out: dict[str, tuple[list[Finding], dict[str, str]]] = {"3": ([], {}), "tf-keras": ([], {})}
    for rule in all_rules():
        if rule.recipe is None:
            continue
        kinds = [("bad", rule.bad)] + ([("good", rule.good)] if include_good else [])
        for kind, examples in kinds:
            for i, ex in enumerate(examples):
                options = dict(ex.config)
                flavour = "tf-keras" if options.get("target-keras") == "tf-keras" else "3"
                path = f"{rule.code}_{kind}{i}.py"
                config = parse_table(options, "<example>", known_codes()) if options else Config()
                if kind == "bad":
                    found = [replace(f, path=path) for f in lint_source(ex.code, path, config) if f.code == rule.code]
                else:
                    found = _forced(rule.code, rule.name, ex.code, path)
                findings, sources = out[flavour]
                findings.extend(found)
                sources[path] = ex.code
    return out


def _forced(code: str, name: str, source: str, path: str) -> list[Finding]:
    index = build_index(source, ast.parse(source))
    return [Finding(path, s.line + 1, 4, s.line + 1, 10, code, name, "forced", Severity.WARNING,
                    loss=LossRef(s.qualname, s.context.value, s.role.value, s.line, s.factory_call, s.params))
            for s in index.losses]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    parser.add_argument("--include-good", action="store_true", help="also force every good example's losses")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    if not tensorflow_available():
        print("TensorFlow is not installed: pip install 'tfshape-lint[verify]'", file=sys.stderr)
        return 2
    verdicts: collections.Counter[tuple[str, str]] = collections.Counter()
    for flavour, (findings, sources) in corpus(args.include_good).items():
        if not findings:
            continue
        t0 = time.perf_counter()
        verify_findings(findings[:1], sources, timeout=args.timeout, device=args.device, use_cache=False,
                        target_keras=flavour)
        start = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = verify_findings(findings, sources, timeout=args.timeout, device=args.device, use_cache=False,
                              target_keras=flavour)
        total = time.perf_counter() - t0
        n = len(out)
        probe = sum(f.verification.seconds for f in out) / n
        device = out[0].verification.device or "?"
        keras = next((f.verification.keras for f in out if f.verification.keras), "?")
        per = (total - start) / (n - 1) if n > 1 else float("nan")
        print(f"[{keras} on {device}] findings: {n}  total: {total:.2f} s  worker start + 1 finding: "
              f"{start:.2f} s  per finding after TF import: {per:.3f} s  mean probe time: {probe:.3f} s")
        for f in out:
            verdicts[(f.code, f.verification.status.value)] += 1
    print("verdicts per rule:")
    for code in sorted({c for c, _ in verdicts}):
        counts = ", ".join(f"{s} {verdicts[(code, s)]}" for s in ("confirmed", "refuted", "inconclusive")
                           if verdicts[(code, s)])
        print(f"  {code}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
