"""Snapshot every finding over a fixed corpus, to prove a refactor changes no result.

Usage: PYTHONPATH=<checkout> python tools/findings_snapshot.py OUT [--jobs N] [--no-libs] [EXTRA ...]

Lints every ``.py`` of the installed keras, tf_keras and tensorflow packages, ``tests/fixtures``,
``examples``, each rule's good/bad examples, and any extra files or folders given, with the
default configuration. Writes one sorted line per finding (path, line, column, code, severity,
message) to OUT, the internal errors to OUT.errors, and, per fixable finding, a digest of the file
after applying that one fix to OUT.fixes. Compare two runs with ``diff``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import multiprocessing
import sys
from pathlib import Path
from typing import Iterator

import tfshape_lint
from tfshape_lint.config import Config
from tfshape_lint.engine import SourceError, lint
from tfshape_lint.finding import Finding

#: the checkout whose package is imported (run with PYTHONPATH=<checkout>), so that the same
#: script snapshots another checkout's code (a baseline) over that checkout's fixtures
ROOT = Path(tfshape_lint.__file__).resolve().parent.parent

Item = tuple[str, str]  # (label, source)
Row = tuple[str, int, int, str, str, str]


def _library_files() -> Iterator[Item]:
    for name in ("keras", "tf_keras", "tensorflow"):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(list(spec.submodule_search_locations)[0])
        for path in sorted(root.rglob("*.py")):
            yield from _read(path, f"{name}/{path.relative_to(root)}")


def _read(path: Path, label: str) -> Iterator[Item]:
    try:
        yield label, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return


def _tree_files(paths: list[Path]) -> Iterator[Item]:
    for base in paths:
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in files:
            try:
                label = str(path.resolve().relative_to(ROOT))
            except ValueError:
                label = str(path)
            yield from _read(path, label)


def _example_files() -> Iterator[Item]:
    from tfshape_lint.registry import all_rules

    for rule in all_rules():
        for kind in ("good", "bad"):
            for example in getattr(rule, kind):
                if not example.config:  # named by content: adding an example renames no other
                    digest = hashlib.sha1(example.code.encode()).hexdigest()[:10]
                    yield f"example/{rule.code}/{kind}-{digest}.py", example.code


def _fixes_arg() -> bool:
    return "fixes" in inspect.signature(lint).parameters


def _lint_one(item: Item) -> tuple[list[Row], list[str], list[str]]:
    label, source = item
    config = Config()
    try:
        result = lint(source, label, config, fixes=True) if _fixes_arg() else lint(
            source, label, config)
    except SourceError as exc:
        return [], [f"{label}: source error: {exc}"], []
    except Exception as exc:  # the snapshot must record, not stop
        return [], [f"{label}: CRASH {type(exc).__name__}: {exc}"], []
    rows = [_row(label, f) for f in result.findings]
    errors = [f"{e.path}: {e.message}" for e in result.errors]
    fixes = [f"{label}:{f.line}:{f.column}:{f.code}: {_fix_digest(source, f)}"
             for f in result.findings if f.fix is not None]
    return rows, errors, fixes


def _row(label: str, f: Finding) -> Row:
    return (label, f.line, f.column, f.code, f.severity.value, f.message)


def _fix_digest(source: str, finding: Finding) -> str:
    from tfshape_lint.fixer import apply_fixes

    import libcst

    assert finding.fix is not None
    try:
        new, _ = apply_fixes(source, [finding.fix])
    except libcst.ParserSyntaxError as exc:  # a file LibCST cannot parse as a whole (fix refuses it)
        return f"{finding.fix.safety.value} not applied: {exc.message}"
    return f"{finding.fix.safety.value} {hashlib.sha1(new.encode()).hexdigest()[:12]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("extra", nargs="*", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--no-libs", action="store_true")
    args = parser.parse_intermixed_args()
    items: list[Item] = [] if args.no_libs else list(_library_files())
    items += list(_tree_files([ROOT / "tests" / "fixtures", ROOT / "examples", *args.extra]))
    items += list(_example_files())
    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            results = pool.map(_lint_one, items, chunksize=16)
    else:
        results = [_lint_one(item) for item in items]
    rows = sorted(r for res in results for r in res[0])
    errors = sorted(e for res in results for e in res[1])
    fixes = sorted(x for res in results for x in res[2])
    Path(args.out).write_text("".join(f"{p}:{ln}:{c}: {code} [{sev}] {msg}\n"
                                      for p, ln, c, code, sev, msg in rows))
    Path(args.out + ".errors").write_text("".join(e + "\n" for e in errors))
    Path(args.out + ".fixes").write_text("".join(x + "\n" for x in fixes))
    print(f"{len(items)} files, {len(rows)} findings, {len(errors)} errors, {len(fixes)} fixes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
