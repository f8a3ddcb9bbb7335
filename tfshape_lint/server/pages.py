"""Rule pages for the editor: the hover text and the ``codeDescription`` link.

Both come from :func:`tfshape_lint.docs.render_rule`, the generator of ``rules/<CODE>.md``, so the
editor shows exactly the installed version's page. The link points to a configured URL template
(initialization option ``ruleUrl``, e.g. ``https://host/rules/{code}.md``); without one, the
page is written once into the user's cache folder and linked as a ``file:`` URI, which works
offline and for any installation.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from tfshape_lint.docs import render_rule
from tfshape_lint.registry import get

EXAMPLES_HEADING = "## Tested examples"


@lru_cache(maxsize=None)
def page(code: str) -> str | None:
    """The full Markdown page of a rule, or None for an unknown code."""
    rule = get(code)
    return render_rule(rule) if rule is not None else None


def hover_text(code: str) -> str | None:
    """What the rule finds, why it is a bug and how to fix it: the page without its examples."""
    text = page(code)
    if text is None:
        return None
    head, _, _ = text.partition(EXAMPLES_HEADING)
    return head.rstrip() + "\n"


def pages_dir() -> Path:
    """``$TFSHAPE_LINT_CACHE_DIR/rules`` or ``$XDG_CACHE_HOME/tfshape-lint/rules`` (as the
    verifier's cache), else ``~/.cache/tfshape-lint/rules``."""
    explicit = os.environ.get("TFSHAPE_LINT_CACHE_DIR")
    if explicit:
        return Path(explicit) / "rules"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "tfshape-lint" / "rules"


class RuleLinks:
    """``code -> URL`` for diagnostics, computed once per code."""

    def __init__(self, template: str | None = None) -> None:
        self.template = template
        self._urls: dict[str, str | None] = {}

    def url(self, code: str) -> str | None:
        """The link for a rule code (None for an unknown code or an unwritable cache)."""
        if code not in self._urls:
            self._urls[code] = self._url(code)
        return self._urls[code]

    def _url(self, code: str) -> str | None:
        if self.template:
            return self.template.replace("{code}", code)
        text = page(code)
        if text is None:
            return None
        target = pages_dir() / f"{code}.md"
        try:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        except OSError:
            return None
        return target.resolve().as_uri()
