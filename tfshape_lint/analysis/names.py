"""Words in identifiers: the few places where a variable's name decides an outcome.

Names are split into lower-case words at underscores, digits and camelCase boundaries
(``numSamples`` -> ``num``, ``samples``; ``label_smoothing`` -> ``label``, ``smoothing``), and a
word matches a *whole word* or the *start* of one: ``eps`` matches ``eps``, ``epsilon`` and
``EPS_2`` but not ``steps``; ``norm`` matches ``normaliser`` but not ``enorm``. Each rule page
lists the words that matter to it.
"""

from __future__ import annotations

import re
from typing import Iterable

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(name: str) -> list[str]:
    """The lower-case words of an identifier (``maxSeqLen_2`` -> ``max``, ``seq``, ``len``, ``2``)."""
    return [w.lower() for w in _WORD.findall(name)]


def mentions(name: str, vocabulary: Iterable[str]) -> bool:
    """Whether a word of ``name`` starts with one of ``vocabulary``.

    A vocabulary entry with an underscore names consecutive words (``delta_min``); a trailing
    underscore asks for the exact word (``n_``: ``n_items`` but not ``norm``).
    """
    found = words(name)
    for entry in vocabulary:
        parts = [p for p in entry.lower().split("_") if p]
        exact_last = entry.endswith("_")
        for start in range(len(found) - len(parts) + 1):
            window = found[start:start + len(parts)]
            if all(w == p for w, p in zip(window[:-1], parts[:-1])) and (
                    window[-1] == parts[-1] if exact_last or len(parts) > 1 else
                    window[-1].startswith(parts[-1])):
                return True
    return False


#: a divisor named with one of these words is a count: ``sum(x) / n_valid`` is a mean
COUNT_WORDS = ("batch", "size", "count", "num", "total", "norm", "denom", "n_", "length", "avg_factor")
#: a parameter or attribute named with one of these words is a small positive constant
EPSILON_WORDS = ("eps", "smooth", "tiny", "delta_min")
#: a value named with one of these words, taken from a loss's own labels or predictions, is the
#: per-sample weight the loss applies itself (``preds, wts = y_pred[0], y_pred[1]``)
WEIGHT_WORDS = ("weight", "w_", "wt_", "wts_", "sw_")
