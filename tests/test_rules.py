"""Every rule's own good/bad examples are its tests (STYLE.md)."""

from __future__ import annotations

import re
import textwrap

import pytest

from tests.conftest import example_config, lint_example
from tfshape_lint.engine import lint
from tfshape_lint.fixer import fix_source
from tfshape_lint.registry import all_rules
from tfshape_lint.rule import UNSET


def use_instead_blocks(doc: str) -> list[str]:
    """The python code blocks of a rule docstring's *Use instead* section, dedented."""
    section = re.search(r"## Use instead\n(.*?)(?:\n## |\Z)", doc, re.S)
    if section is None:
        return []
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", section.group(1), re.S)]

CASES = [(rule, i, ex, kind) for rule in all_rules()
         for kind, examples in (("good", rule.good), ("bad", rule.bad))
         for i, ex in enumerate(examples)]


def _id(case: tuple[object, ...]) -> str:
    rule, i, _, kind = case
    return f"{rule.code}-{kind}{i}"  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_example(case: tuple[object, ...]) -> None:
    rule, _, ex, kind = case
    findings = [f for f in lint_example(ex.code, dict(ex.config)) if f.code == rule.code]  # type: ignore[attr-defined]
    if kind == "good":
        assert findings == [], f"{rule.code} fired on a good example:\n{ex.code}\n{findings}"  # type: ignore[attr-defined]
        return
    assert findings, f"{rule.code} missed a bad example:\n{ex.code}"  # type: ignore[attr-defined]
    first = findings[0]
    if ex.line is not None:
        assert first.line == ex.line
    if ex.message is not None:
        assert first.message == ex.message


FIXABLE = [(rule, i, ex) for rule in all_rules() if rule.fix_safety is not None
           for i, ex in enumerate(rule.bad)]


@pytest.mark.parametrize("case", FIXABLE, ids=[f"{r.code}-bad{i}" for r, i, _ in FIXABLE])
def test_fix_output(case: tuple[object, ...]) -> None:
    rule, _, ex = case
    assert ex.fixed is not UNSET, f"{rule.code}: a fixable rule's bad example must give fixed= (None to skip)"  # type: ignore[attr-defined]
    config = example_config(dict(ex.config)).with_overrides(select=(rule.code,))  # type: ignore[attr-defined]
    result = fix_source(ex.code, "example.py", config, unsafe=True)  # type: ignore[attr-defined]
    if ex.fixed is None:  # type: ignore[attr-defined]
        assert result.source == ex.code  # type: ignore[attr-defined]
        return
    assert result.source == ex.fixed  # type: ignore[attr-defined]
    # the fixed code is clean for this rule, but for findings that had no fix to begin with
    before = [f for f in lint(ex.code, "example.py", example_config(dict(ex.config)), fixes=True).findings  # type: ignore[attr-defined]
              if f.code == rule.code]  # fixes on demand: ask for them to see which findings have one
    unfixable = sorted(f.message for f in before if f.fix is None)
    again = [f for f in lint_example(result.source, dict(ex.config)) if f.code == rule.code]  # type: ignore[attr-defined]
    assert sorted(f.message for f in again) == unfixable, \
        f"re-linting the fixed code still reports {rule.code}:\n{result.source}\n{again}"  # type: ignore[attr-defined]
    assert fix_source(result.source, "example.py", config, unsafe=True).source == result.source


#: imports a rule page's "Use instead" snippet may rely on without spelling them out
_SNIPPET_IMPORTS = ("import numpy as np\nimport tensorflow as tf\nimport keras\nfrom keras import ops\n"
                    "from tensorflow.keras import backend as K\n")
USE_INSTEAD = [(rule, i, block) for rule in all_rules()
               for i, block in enumerate(use_instead_blocks(rule.__doc__ or ""))]


@pytest.mark.parametrize("case", USE_INSTEAD, ids=[f"{r.code}-use{i}" for r, i, _ in USE_INSTEAD])
def test_use_instead_is_clean(case: tuple[object, ...]) -> None:
    """What a rule page recommends must not be reported by that very rule."""
    rule, _, block = case
    findings = [f for f in lint_example(_SNIPPET_IMPORTS + str(block)) if f.code == rule.code]  # type: ignore[attr-defined]
    assert findings == [], f"{rule.code}'s 'Use instead' is reported by {rule.code}:\n{block}\n{findings}"  # type: ignore[attr-defined]
