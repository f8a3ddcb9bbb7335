"""The rule catalogue as plain data, for the commands that must start instantly.

``rules``, ``rule CODE``, config validation and the output formats need each rule's code,
name, severity, fix, message, summary and page, but importing the rule modules loads LibCST
and the analysis (about half a second). ``python -m tfshape_lint.docs`` writes this data to
``data/catalogue.json`` next to the rule pages, and a test fails when it is stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class RuleInfo:
    """What the front-ends show about one rule."""

    code: str
    name: str
    severity: str
    fix: str | None
    message: str
    summary: str
    page: str


@lru_cache(maxsize=1)
def catalogue() -> tuple[RuleInfo, ...]:
    """Every rule, sorted by code."""
    text = (Path(__file__).parent / "data" / "catalogue.json").read_text(encoding="utf-8")
    return tuple(RuleInfo(**entry) for entry in json.loads(text))


def codes() -> tuple[str, ...]:
    return tuple(info.code for info in catalogue())


def find(code_or_name: str) -> RuleInfo | None:
    """The rule with this code (any case) or kebab-case name."""
    for info in catalogue():
        if info.code == code_or_name.upper() or info.name == code_or_name:
            return info
    return None
