"""Property tests: the engine, the fixer and the front-ends over generated and mutated programs.

Programs come from two sources: mutations of the rules' own examples (lines dropped or
duplicated, axes, names and numbers changed: near-misses of real loss code), and random
programs from the Python grammar (``hypothesmith``) placed after a TensorFlow import so that
they pass the prefilter. The properties: the engine never raises (a syntax error is a
``SourceError``), every position lies inside the file, the fixer's output parses and a second
fix changes nothing, and ``check``, the flake8 plugin and the fixer's lint see the same findings.
``max_examples`` stays small: each test runs in a few seconds.
"""

from __future__ import annotations

import ast
import re

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfshape_lint.config import Config
from tfshape_lint.engine import SourceError, lint
from tfshape_lint.files import check_text
from tfshape_lint.fixer import fix_source
from tfshape_lint.flake8_plugin import TfshapePlugin
from tfshape_lint.registry import all_rules

EXAMPLES = [e.code for rule in all_rules() for e in (*rule.good, *rule.bad) if not e.config]
FAST = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

_SWAPS = [
    (r"axis=-1", "axis=0"), (r"axis=0", "axis=-1"), (r"\by_true\b", "y_pred"),
    (r"\by_pred\b", "y_true"), (r"reduce_mean", "reduce_sum"), (r"reduce_sum", "reduce_mean"),
    (r"1e-7", "0.0"), (r"\+ ", "- "), (r"\* ", "/ "), (r"\[\.\.\., None\]", ""),
    (r"tf\.cast\(([^,]+), [^)]+\)", r"\1"), (r"from_logits=True", "from_logits=False"),
    (r"\)\n", ", axis=None)\n"), (r"return ", "return ["),
]


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    """A rule example with a few edits: often still valid, sometimes not (then a SourceError)."""
    lines = draw(st.sampled_from(EXAMPLES)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["swap", "drop", "dup"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "drop" and len(lines) > 1:
            del lines[i]
        elif kind == "dup":
            lines.insert(i, lines[i])
        else:
            pattern, repl = draw(st.sampled_from(_SWAPS))
            lines[i] = re.sub(pattern, repl, lines[i], count=1)
    return "".join(lines)


def random_programs() -> st.SearchStrategy[str]:
    return hypothesmith.from_grammar().map(lambda body: "import tensorflow as tf\n" + body)


def _lint(source: str, *, fixes: bool = False) -> list | None:  # type: ignore[type-arg]
    try:
        result = lint(source, "prop.py", Config(), fixes=fixes)
    except SourceError:
        return None
    assert not result.errors, [e.message for e in result.errors]
    return result.findings


def _positions_inside(source: str) -> None:
    findings = _lint(source)
    if findings is None:
        return
    lines = source.splitlines() or [""]
    for f in findings:
        assert 1 <= f.line <= f.end_line <= len(lines), f
        assert 0 <= f.column <= len(lines[f.line - 1]), f
        assert 0 <= f.end_column <= len(lines[f.end_line - 1]), f
        if f.line == f.end_line:
            assert f.column <= f.end_column, f


@FAST
@given(mutated_examples())
def test_engine_never_raises_and_positions_lie_inside_mutated_examples(source: str) -> None:
    _positions_inside(source)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_programs())
def test_engine_never_raises_on_random_programs(source: str) -> None:
    _positions_inside(source)


@FAST
@given(mutated_examples())
def test_fixer_output_parses_and_is_idempotent(source: str) -> None:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return
    first = fix_source(source, "prop.py", Config(), unsafe=True)
    if first.error is not None:  # the fixer refused: the file is left as it was
        assert first.source == source
        return
    ast.parse(first.source)
    second = fix_source(first.source, "prop.py", Config(), unsafe=True)
    assert second.source == first.source


@FAST
@given(mutated_examples())
def test_check_flake8_and_fixer_see_the_same_findings(source: str) -> None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    fixer_view = _lint(source, fixes=True)
    if fixer_view is None:
        return
    check = {(f.line, f.column, f.code, f.message) for f in check_text(source, "prop.py", Config()).findings}
    plugin = TfshapePlugin(tree, source.splitlines(keepends=True), "prop.py")
    flake8 = {(line, col, text.split(" ", 1)[0], text.split(" ", 1)[1]) for line, col, text, _ in plugin.run()}
    fixer = {(f.line, f.column, f.code, f.message) for f in fixer_view}
    assert check == fixer
    assert flake8 == {k for k in check if "noqa" not in source.splitlines()[k[0] - 1]}
