"""rules/*.md are generated from the rule classes; a stale page fails with the command to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfshape_lint.docs import REGENERATE, expected_pages

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
PAGES = expected_pages()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_is_current(name: str) -> None:
    page = RULES_DIR / name
    assert page.exists(), f"rules/{name} is missing; run `{REGENERATE}`"
    assert page.read_text(encoding="utf-8") == PAGES[name], f"rules/{name} is stale; run `{REGENERATE}`"


def test_no_orphan_pages() -> None:
    orphans = {p.name for p in RULES_DIR.glob("TFS*.md")} - set(PAGES)
    assert not orphans, f"pages without a rule: {orphans}; run `{REGENERATE}`"


def test_cli_rule_prints_page(capsys: pytest.CaptureFixture[str]) -> None:
    from tfshape_lint.cli import main

    assert main(["rule", "TFS102"]) == 0
    assert capsys.readouterr().out == PAGES["TFS102.md"]


def test_catalogue_is_current() -> None:
    """data/catalogue.json (what `rules`/`rule CODE` print without importing rules) matches."""
    from tfshape_lint.docs import CATALOGUE, render_catalogue

    assert CATALOGUE.read_text(encoding="utf-8") == render_catalogue(), \
        f"tfshape_lint/data/catalogue.json is stale; run `{REGENERATE}`"


def test_every_rule_has_a_summary_and_no_page_cites_files_outside_the_repository() -> None:
    from tfshape_lint.docs import SUMMARIES
    from tfshape_lint.registry import known_codes

    assert sorted(SUMMARIES) == sorted(known_codes())
    for name, text in PAGES.items():
        for outside in ("KERAS_FACTS", "DESIGN.md", "/work/", "shared/", "{"):
            if outside == "{" and name != "README.md":
                continue
            assert outside not in text, f"rules/{name} mentions {outside!r}"
