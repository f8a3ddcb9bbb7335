"""Score the linter on held-out files against their labels (``bench/heldout/*-manifest.json``).

Usage: python bench/score_heldout.py --root DIR MANIFEST.json [MANIFEST.json ...]

Each manifest maps a file (relative to ``--root``, where the third-party files were fetched:
they are never in this repository) to the codes it should get (``expect``) and may get
(``allow``). Every file is checked in this process with the default configuration; per file, an
expected code reported is a hit, an expected code missing a miss, and a code outside
``expect`` + ``allow`` a false finding. Prints the misses and false findings, then precision and
recall per manifest and pooled. Nothing is asserted: the figures are read off the output.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tfshape_lint.config import Config
from tfshape_lint.files import check_file


def score(manifest: Path, root: Path) -> tuple[int, int, int]:
    """(hits, false findings, misses) of one manifest, printing each file that is not exact."""
    labels = {k: v for k, v in json.loads(manifest.read_text()).items() if not k.startswith("_")}
    hits = false = missed = 0
    config = Config()
    for key, label in labels.items():
        result = check_file(str(root / key), config)
        got = {f.code for f in result.findings}
        expect, allow = set(label["expect"]), set(label["allow"])
        miss, extra = expect - got, got - expect - allow
        hits, false, missed = hits + len(expect & got), false + len(extra), missed + len(miss)
        if miss or extra or result.errors:
            print(f"{key}: missed {sorted(miss)} false {sorted(extra)} errors {len(result.errors)}")
    return hits, false, missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifests", nargs="+", type=Path)
    parser.add_argument("--root", type=Path, required=True, help="folder the manifests' keys are relative to")
    args = parser.parse_args(argv)
    total = [0, 0, 0]
    for manifest in args.manifests:
        hits, false, missed = score(manifest, args.root)
        total = [total[0] + hits, total[1] + false, total[2] + missed]
        print(f"{manifest.name}: precision {hits}/{hits + false}, recall {hits}/{hits + missed}")
    hits, false, missed = total
    print(f"pooled: precision {hits}/{hits + false}, recall {hits}/{hits + missed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
