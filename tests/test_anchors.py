"""Positions placed from statements (``tfshape_lint.anchors``) equal the full counting pass.

Every node of every unit is placed both ways and compared: the ``ast``-only ranges on their
line/column fields (they carry no whitespace-inclusive offsets), the statement-local passes on
every field. Sources: all rule examples and fixtures, hand-written corner cases of the pairing
(parentheses, semicolons, decorators, ``elif``, non-ASCII columns, starred and keyword
arguments, tuples in subscripts, strings), and random programs from the Python grammar.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings

import tfshape_lint.engine as engine
from tfshape_lint.analysis.index import build_index
from tfshape_lint.anchors import locate_from_statements
from tfshape_lint.config import Config
from tfshape_lint.engine import lint, unit_statements
from tfshape_lint.registry import all_rules
from tfshape_lint.source import LineTable, Located, _trivia_types, descendants, locate

FIXTURES = sorted((Path(__file__).parent / "fixtures").rglob("*.py"))
EXAMPLES = [e.code for rule in all_rules() for e in (*rule.good, *rule.bad)]


def compare(source: str) -> tuple[int, int]:
    """Assert that every node of every unit gets the full pass's position; (placed from
    ``ast`` alone, placed by a statement-local pass) over the whole source.

    The statement-local passes must also place every node that lies in a statement (only a simple statement line, which holds statements, lies in none): a
    pairing or indentation mistake makes the comparison with the text fail, which would
    otherwise only send the node to the full pass.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(source)
    index = build_index(source, tree)
    trivia = _trivia_types()
    from_ast = generated = 0
    for unit in range(len(index.units)):
        text = index.unit_source(index.units[unit])
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        nodes = [n for n in descendants(module, cst.CSTNode) if type(n) not in trivia and n is not module]
        table = LineTable(text)
        full = locate(module, nodes, text, table)
        statements = unit_statements(index, unit)
        first = index.units[unit].start_line
        quick, rest = locate_from_statements(module, nodes, text, table, statements, first)
        exact, rest_exact = locate_from_statements(module, nodes, text, table, statements, first, nodes)
        for node in nodes:
            want = full[node]
            got = quick.get(node)
            if got is not None:
                assert _syntactic(got) == _syntactic(want), (cst.Module([]).code_for_node(node), got, want)
                if got.start_offset < 0:
                    from_ast += 1
            else:
                assert node in rest
            got = exact.get(node)
            if got is not None:
                assert got == want, (cst.Module([]).code_for_node(node), got, want)
                generated += 1
            else:
                assert node in rest_exact
                assert type(node) is cst.SimpleStatementLine, cst.Module([]).code_for_node(node)
    return from_ast, generated


def _syntactic(where: Located) -> tuple[int, int, int, int]:
    return where.line, where.column, where.end_line, where.end_column


def test_rule_examples_and_fixtures() -> None:
    from_ast = generated = 0
    for source in [*EXAMPLES, *(path.read_text(encoding="utf-8") for path in FIXTURES)]:
        a, g = compare(source)
        from_ast, generated = from_ast + a, generated + g
    # both ways place most nodes: a pairing that silently placed nothing would pass otherwise
    assert from_ast > 10_000 and generated > 30_000


CASES = {
    "parentheses": "x = ((a)).b((c), (d + (e)))[(f)]\ny = (a + b) * (c)\nz = (f)(x)(y)\n",
    "tuples": "x = (a, b)\ny = a, (b, c)\nz = t[1, 2]\nw = t[1,]\nv = t[(1, 2)]\nu = t[1:2, ::3]\n",
    "semicolons": "import tensorflow as tf; x = tf.reduce_sum(y); z = x + 1\n",
    "suites": "if a: b(c); d[e]\nelif f: g = h(i)\nelse: j()\nfor k in l: m(k)\nwhile n(o): p -= 1\n",
    "nesting": (
        "def f(y_true, y_pred):\n"
        "    if y_true.shape[0] > 1:\n"
        "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n"
        "    elif cond(y_pred):\n"
        "        for i in range(3):\n"
        "            y_pred = y_pred * i\n"
        "        else:\n"
        "            pass\n"
        "    else:\n"
        "        with tf.name_scope('x') as s, ctx():\n"
        "            try:\n"
        "                z = -y_pred\n"
        "            except (ValueError, TypeError) as e:\n"
        "                raise RuntimeError(str(e)) from e\n"
        "            except Exception:\n"
        "                z = None\n"
        "            else:\n"
        "                z = not z\n"
        "            finally:\n"
        "                del y_true\n"
        "    return z\n"
    ),
    "decorators": (
        "@tf.function(jit_compile=True)\n"
        "@register\n"
        "def loss(a, b=1, *args, c: int = 2, **kw) -> float:\n"
        "    '''doc'''\n"
        "    return tf.reduce_sum(a * b)\n"
        "\n"
        "@dataclass\n"
        "class L(tf.keras.losses.Loss, metaclass=M):\n"
        "    x: int = f(1)\n"
        "    def call(self, y_true, y_pred):\n"
        "        return tf.reduce_mean(y_pred - y_true, axis=[-1])\n"
    ),
    "arguments": "f(a, *b, c=1, *d, **e)\ng(x for x in y)\nh(*a, k=(1), **{'b': 2})\ni(lambda q: q + 1, key=lambda: 0)\n",
    "non_ascii": "é = tf.reduce_sum(ü * 2)  # ä\nx = 'ß' + f('日本', ä=ö[1])\ny = \"\"\"ü\n\"\"\"; z = ü(ä)\n",
    "strings": "x = 'a' 'b'\ny = f'{a + b}' \"c\"\nz = b'x' + rb'y'\nw = f'{f(x)!r:>{n}}'\n",
    "continuations": (
        "x = tf.reduce_sum(a,\n"
        "                  axis=-1) + \\\n"
        "    b[\n"
        "        0]\n"
        "y = [\n"
        "    f(z)  # c\n"
        "    for z in w if g(z)\n"
        "]\n"
    ),
    "comprehensions": "x = [f(a) for a in b]\ny = {k: g(v) for k, v in d.items()}\nz = {*a, *b}\nw = {'a': 1, **c}\n",
    "expressions": (
        "x = a if b(c) else d[e]\ny = a < b(c) <= d\nz = a and b(c) or not d\nw = -a ** ~b\n"
        "v = (yield f(x))\nu = await g(h)\nt = (n := f(1))\ns = a @ b // c % d\n"
    ),
    "statements": (
        "x: int = f(1)\ny += g(2)\nassert h(3), m(4)\nglobal q\nfrom a import (b as c,\n    d)\n"
        "import e.f as g\nraise E(x) from y\ndel a[b], c.d\n"
    ),
    "match": "match f(x):\n    case [a, b]:\n        g(a)\n    case {'k': v} if h(v):\n        pass\n    case _:\n        i()\n",
    "async": "async def f(x):\n    async with a(b) as c:\n        async for d in e(c):\n            await g(d)\n",
    "mixed_indentation": (
        "def f(x):\n    if x:\n      y = g(x,\n            1)\n      if y:\n       z = h(\n         y)\n    return k(y)\n"
    ),
    "tabs_and_crlf": "if a:\r\n\tb = f(c)\r\n\tif d:\r\n\t\te = g(h)\r\n",
    "comments_and_blank_lines": "# head\n\nx = 1\n\n\n# before\ndef f():\n    # inside\n\n    return g(x)  # tail\n    # after\n",
    "empty_lines_in_args": "x = f(\n\n    a,\n\n    # c\n    b=g(1),\n)\n",
    "class_bodies": "class A:\n    x = f(1)\n    class B:\n        y = g(x); z = h(y)\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_corner_cases(name: str) -> None:
    from_ast, generated = compare(CASES[name])
    assert generated > 0


settings_ = settings(max_examples=60, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings_
@given(hypothesmith.from_grammar())
def test_generated_programs(source: str) -> None:
    compare_parsable(source)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(hypothesmith.from_node())
def test_generated_syntax_trees(source: str) -> None:
    compare_parsable(source)


def compare_parsable(source: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(source)
        except (SyntaxError, ValueError):
            return
    compare(source)


def test_engine_positions_and_fixes_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's findings and fixes over every example and fixture, with and without the
    statement anchors (the full pass alone placing every node)."""
    sources = [*EXAMPLES, *(path.read_text(encoding="utf-8") for path in FIXTURES)]

    def findings() -> list[object]:
        return [lint(source, "example.py", Config(), fixes=fixes).findings
                for source in sources for fixes in (False, True)]

    anchored = findings()

    def nothing_placed(module, nodes, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        return {}, list(nodes)

    monkeypatch.setattr(engine, "locate_from_statements", nothing_placed)
    assert findings() == anchored
    assert sum(len(found) for found in anchored) > 500  # type: ignore[arg-type]
