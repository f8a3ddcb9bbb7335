"""A parameter that is one named choice decides ``if reduction == ...:`` branches.

TensorFlow 1's ``tf.losses`` (and code written like it) pick a reduction with a string or a
class constant; the branches another choice would take never run for the default.
"""

from __future__ import annotations

import libcst as cst
import pytest

from tfshape_lint.analysis.tensors import default_choice_flags, literal_flags
from tfshape_lint.config import Config
from tfshape_lint.engine import lint

_HELPER = (
    "import tensorflow as tf\n\n\n"
    "def reduce_loss(losses, reduction={default}):\n"
    "    if reduction == {test}:\n"
    "        return tf.reduce_sum(losses)\n"
    "    return tf.reduce_mean(losses, axis=-1)\n\n\n"
    "def l2_loss(y_true, y_pred):\n"
    "    return reduce_loss(tf.square(y_true - y_pred){passed})\n\n\n"
    "model.compile(optimizer='adam', loss=l2_loss)\n"
)


def _codes(default: str, test: str, passed: str = "") -> list[str]:
    source = _HELPER.format(default=default, test=test, passed=passed)
    return [f.code for f in lint(source, "loss.py", Config()).findings]


@pytest.mark.parametrize(("default", "test", "passed", "summed"), [
    ('"mean"', '"sum"', "", False),                      # the default never takes the branch
    ('"mean"', '"sum"', ', reduction="sum"', True),       # the call picks the summing branch
    ('"sum"', '"sum"', "", True),                         # the default takes it
    ("Reduction.MEAN", "Reduction.SUM", "", False),       # constants of one class differ
    ("Reduction.MEAN", "Other.SUM", "", True),            # two classes: may be equal, both branches
    ('"mean"', "Reduction.SUM", "", True),                # a string against a constant: unknown
])
def test_choice_decides_branch(default: str, test: str, passed: str, summed: bool) -> None:
    assert ("TFS102" in _codes(default, test, passed)) is summed


def test_or_of_choices() -> None:
    assert "TFS102" not in _codes('"mean"', '"sum" or reduction == "total"')
    assert "TFS102" in _codes('"total"', '"sum" or reduction == "total"')


def test_rebound_parameter_is_no_choice() -> None:
    fn = cst.parse_module("def f(x, reduction='mean'):\n    reduction = reduction.lower()\n").body[0]
    assert isinstance(fn, cst.FunctionDef)
    assert default_choice_flags(fn) == {}


def test_choice_passed_on_by_name() -> None:
    module = cst.parse_module("def inner(x, reduction='sum'):\n    pass\n")
    fn = module.body[0]
    assert isinstance(fn, cst.FunctionDef)
    call = cst.parse_expression("inner(x, reduction=reduction)")
    assert isinstance(call, cst.Call)
    flags = literal_flags(fn, call, {"reduction == 'mean'": True})
    assert flags.get("reduction == 'mean'") is True
    assert "reduction == 'sum'" not in flags
