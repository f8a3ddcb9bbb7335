"""Name heuristics: whole words, and every word that decides an outcome is on a rule page."""

from __future__ import annotations

import pytest

from tfshape_lint.analysis.names import COUNT_WORDS, EPSILON_WORDS, mentions, words
from tfshape_lint.registry import all_rules
from tfshape_lint.rules.tfs111_reduced_before_mask import MASK_WORDS


@pytest.mark.parametrize("name, expected", [
    ("maxSeqLen_2", ["max", "seq", "len", "2"]),
    ("HTTPServer", ["http", "server"]),
    ("label_smoothing", ["label", "smoothing"]),
    ("EPS", ["eps"]),
])
def test_words(name: str, expected: list[str]) -> None:
    assert words(name) == expected


@pytest.mark.parametrize("name, vocabulary, expected", [
    ("steps", EPSILON_WORDS, False),  # "eps" inside a word is not an epsilon
    ("warmup_steps", EPSILON_WORDS, False),
    ("epsilon", EPSILON_WORDS, True),
    ("EPS_2", EPSILON_WORDS, True),
    ("smooth", EPSILON_WORDS, True),
    ("delta_min", EPSILON_WORDS, True),
    ("delta_minimum", EPSILON_WORDS, False),
    ("n_valid", COUNT_WORDS, True),
    ("norm", COUNT_WORDS, True),
    ("scale", COUNT_WORDS, False),
    ("numPos", COUNT_WORDS, True),
    ("padding_mask", MASK_WORDS, True),
    ("invalid", MASK_WORDS, False),
])
def test_mentions(name: str, vocabulary: tuple[str, ...], expected: bool) -> None:
    assert mentions(name, vocabulary) is expected


@pytest.mark.parametrize("code, vocabulary", [
    ("TFS102", COUNT_WORDS), ("TFS108", COUNT_WORDS), ("TFS401", EPSILON_WORDS),
    ("TFS111", MASK_WORDS),
])
def test_rule_pages_state_the_words(code: str, vocabulary: tuple[str, ...]) -> None:
    doc = next(r for r in all_rules() if r.code == code).__doc__ or ""
    missing = [w for w in vocabulary if f"`{w.rstrip('_')}`" not in doc]
    assert not missing, f"{code}'s page does not name {missing}"
