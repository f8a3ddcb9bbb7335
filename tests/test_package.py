"""Every module of the package compiles under the running Python.

The verifier's worker modules run only in a subprocess and only in the TensorFlow tier, so a
syntax error there (an assignment expression in a comprehension's iterable, which the type
checker accepted) would otherwise pass the fast tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tfshape_lint"
MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_module_compiles(path: Path) -> None:
    compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
