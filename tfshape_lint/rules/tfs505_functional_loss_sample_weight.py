"""TFS505 functional-loss-sample-weight."""

from __future__ import annotations

import ast
from typing import Iterable

import libcst as cst

from tfshape_lint.analysis.builtin_losses import LossForm, loss_function_form, losses_module_for, spell_module
from tfshape_lint.analysis.imports import ast_dotted
from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.rule import Example, FixSafety, Recipe, Rule, RuleScope, Severity
from tfshape_lint.source import code_of as _code

ImportSpec = tuple[str, str | None, str | None]
_Y_TRUE = ("y_true", "target")
_Y_PRED = ("y_pred", "output")


class FunctionalLossSampleWeight(Rule):
    """## What it does
    Flags a built-in loss *function* called with `sample_weight=`:
    `keras.losses.sparse_categorical_crossentropy`, `mse`, `binary_crossentropy` and the other
    `keras.losses.*` / `tf.keras.losses.*` functions, and the `K.*crossentropy` /
    `keras.ops.*crossentropy` functions, anywhere in the file.

    ## Why is this bad?
    Only the Loss *classes* take a `sample_weight`; the functions have no such parameter, so
    the call raises before computing anything. Measured on TF 2.21:
    Keras 3 raises `TypeError: sparse_categorical_crossentropy() got an unexpected keyword
    argument 'sample_weight'`, tf_keras raises `TypeError: Got an unexpected keyword argument
    'sample_weight'`. The signatures are `(y_true, y_pred, from_logits=False, ignore_class=None,
    axis=-1)` (Keras 3) and `(..., axis=-1, ignore_class=None)` (tf_keras).

    ## Example
    ```python
    per_token = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True,
                                                             sample_weight=mask)
    ```

    ## Use instead
    ```python
    per_token = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(
        y_true, y_pred, sample_weight=mask)
    ```

    ## Fix safety
    Safe. The call raised `TypeError` on every execution, so there is no earlier value to
    keep; the fix gives it the meaning it asked for. The function's other arguments
    (`from_logits`, `label_smoothing`, `ignore_class`, `delta`...) become constructor
    arguments of the same name, and `reduction="none"` keeps the function's per-sample shape,
    so code that reduces or normalises the result afterwards sees the same shape as the
    function would give. Measured on Keras 3.15.1 and tf_keras 2.21:
    `Class(reduction="none")(y, p, sample_weight=w)` equals `function(y, p) * w` element for
    element (SparseCategoricalCrossentropy, CategoricalCrossentropy, MeanSquaredError); the
    default reduction would instead return the scalar `sum(function(y, p) * w) / B`. No fix
    is offered when an argument has no constructor counterpart (`axis` of the sparse
    crossentropy: tf_keras's class lacks it), for `keras.metrics.*` spellings, and for the
    legacy `K.binary_crossentropy`, which is elementwise while the class averages the last axis.

    ## Verification
    `--verify` calls the flagged function with a `sample_weight` on synthetic labels and
    predictions; the `TypeError` confirms it.
    """

    code = "TFS505"
    name = "functional-loss-sample-weight"
    message = "{fn} is a loss function and takes no sample_weight (TypeError); use {cls}(reduction=\"none\")(..., sample_weight=...)"
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    scope = RuleScope.MODULE
    recipe = Recipe("call_error", {}, "call the loss (or replay the flagged call) eagerly and traced")

    good = (
        Example("import keras\n\n"
                "def masked_loss(y_true, y_pred):\n"
                "    mask = keras.ops.cast(keras.ops.not_equal(y_true, 0), 'float32')\n"
                "    scce = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction='none')\n"
                "    return scce(y_true, y_pred, sample_weight=mask)\n",
                note="the Loss class takes sample_weight"),
        Example("import tensorflow as tf\n\n"
                "def weighted(y_true, y_pred, w):\n"
                "    return tf.keras.losses.mse(y_true, y_pred) * w\n",
                note="weights applied by multiplication"),
        Example("import tensorflow as tf\n\n"
                "model.fit(x, y, sample_weight=w)\n"
                "value = tf.keras.losses.categorical_crossentropy(y, model(x))\n",
                note="sample_weight goes to fit, not to the loss function"),
        Example("from tensorflow import keras\n\n"
                "metric = keras.metrics.MeanSquaredError()\n"
                "metric.update_state(y, p, sample_weight=w)\n",
                note="a Metric object's update_state takes sample_weight"),
        Example("import tensorflow as tf\n\n"
                "def mse(y_true, y_pred, sample_weight=None):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * sample_weight, axis=-1)\n\n"
                "loss = mse(y, p, sample_weight=w)\n",
                note="a function of the file named like a built-in"),
    )
    bad = (
        Example("import keras\n\n"
                "def masked_loss(y_true, y_pred):\n"
                "    mask = keras.ops.cast(keras.ops.not_equal(y_true, 0), 'float32')\n"
                "    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True, sample_weight=mask)\n",
                fixed="import keras\n\n"
                      "def masked_loss(y_true, y_pred):\n"
                      "    mask = keras.ops.cast(keras.ops.not_equal(y_true, 0), 'float32')\n"
                      "    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=\"none\")(y_true, y_pred, sample_weight=mask)\n",
                line=5,
                message="keras.losses.sparse_categorical_crossentropy is a loss function and takes no sample_weight "
                        "(TypeError); use SparseCategoricalCrossentropy(reduction=\"none\")(..., sample_weight=...)"),
        Example("from tensorflow.keras.losses import mse\n\n"
                "per_sample = mse(y, p, sample_weight=w)\n",
                fixed="from tensorflow.keras.losses import MeanSquaredError, mse\n\n"
                      "per_sample = MeanSquaredError(reduction=\"none\")(y, p, sample_weight=w)\n",
                line=3, note="imported by name, at module level: the class is imported"),
        Example("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                "def loss(y_true, y_pred):\n"
                "    return K.categorical_crossentropy(y_true, y_pred, True, sample_weight=y_true[:, 0])\n",
                fixed="import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n"
                      "def loss(y_true, y_pred):\n"
                      "    return tf.keras.losses.CategoricalCrossentropy(from_logits=True, reduction=\"none\")(y_true, y_pred, sample_weight=y_true[:, 0])\n",
                line=5, note="the backend function; its third positional argument is from_logits"),
        Example("import tensorflow as tf\n\n"
                "class Trainer:\n"
                "    def step(self, x, y, w):\n"
                "        p = self.model(x)\n"
                "        return tf.keras.losses.sparse_categorical_crossentropy(y, p, axis=-1, sample_weight=w)\n",
                fixed=None, line=6, note="in a custom loop; `axis` has no constructor counterpart in tf_keras, so no fix"),
        Example("from keras import ops\n\n"
                "def bce(y_true, y_pred, w):\n"
                "    return ops.binary_crossentropy(y_true, y_pred, sample_weight=w)\n",
                fixed=None, line=4, note="keras.ops.binary_crossentropy is elementwise: no class form"),
    )

    @classmethod
    def wants(cls, index: ModuleIndex) -> Iterable[int]:
        weighted = index.keywords.get("sample_weight", set())
        if not weighted:
            return set()
        named: set[int] = set()
        for name, units in index.names.items():
            if loss_function_form(name) is not None:
                named |= units
        return {u for u in weighted & named if _weighted_call(index, index.unit_nodes[u])}

    def visit_Call(self, node: cst.Call) -> None:
        if not any(a.keyword is not None and a.keyword.value == "sample_weight" for a in node.args):
            return
        canon = self.canonical(node.func)
        found = loss_function_form(canon)
        if found is None:
            return
        form, kind = found
        fix, imports = self._fix(node, form, kind)
        self.report(node, fn=_code(node.func), cls=form.cls, fix=fix, fix_imports=imports)

    # -- the class form --------------------------------------------------------------------
    def _fix(self, node: cst.Call, form: LossForm, kind: str) -> tuple[cst.BaseExpression | None, tuple[ImportSpec, ...]]:
        if kind == "metrics" or not form.per_sample:
            return None, ()
        parts = _split_arguments(node, form)
        if parts is None:
            return None, ()
        ref = self._class_ref(node.func, form.cls, kind)
        if ref is None:
            return None, ()
        text, imports = ref
        y_true, y_pred, weight, ctor = parts
        ctor_text = "".join(f"{k}={_code(v)}, " for k, v in ctor)
        source = (f"{text}({ctor_text}reduction=\"none\")"
                  f"({_code(y_true)}, {_code(y_pred)}, sample_weight={_code(weight)})")
        return cst.parse_expression(source), imports

    def _class_ref(self, func: cst.BaseExpression, cls: str, kind: str) -> tuple[str, tuple[ImportSpec, ...]] | None:
        """How to spell the class here: beside the function when written ``x.losses.fn``."""
        if kind == "losses" and isinstance(func, cst.Attribute):
            return _code(func.value) + "." + cls, ()
        qualname = self.qualname(func)
        if qualname is None:
            return None
        module = qualname.rsplit(".", 1)[0] if kind == "losses" else losses_module_for(qualname)
        if kind != "losses":
            spelled = spell_module(self.index.imports, module)
            if spelled is not None:
                return spelled + "." + cls, ()
        bound = self.index.imports.aliases.get(cls)
        if bound is not None:
            return (cls, ()) if bound == f"{module}.{cls}" else None
        return cls, ((module, cls, None),)


def _weighted_call(index: ModuleIndex, unit: ast.stmt) -> bool:
    """The unit calls a built-in loss function with ``sample_weight=`` (stdlib ast, cheap)."""
    for node in ast.walk(unit):
        if isinstance(node, ast.Call) and any(k.arg == "sample_weight" for k in node.keywords):
            dotted = ast_dotted(node.func)
            if dotted is not None and loss_function_form(index.imports.canonical(dotted)) is not None:
                return True
    return False


def _split_arguments(node: cst.Call, form: LossForm) -> tuple[cst.BaseExpression, cst.BaseExpression, cst.BaseExpression, list[tuple[str, cst.BaseExpression]]] | None:
    """(y_true, y_pred, sample_weight, constructor arguments), or None when one has no home."""
    y_true: cst.BaseExpression | None = None
    y_pred: cst.BaseExpression | None = None
    weight: cst.BaseExpression | None = None
    ctor: list[tuple[str, cst.BaseExpression]] = []
    positional = 0
    for arg in node.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if positional == 0:
                y_true = arg.value
            elif positional == 1:
                y_pred = arg.value
            elif positional == 2 and form.third is not None:
                ctor.append((form.third, arg.value))
            else:
                return None
            positional += 1
            continue
        key = arg.keyword.value
        if key == "sample_weight":
            weight = arg.value
        elif key in _Y_TRUE and y_true is None:
            y_true = arg.value
        elif key in _Y_PRED and y_pred is None:
            y_pred = arg.value
        elif key in form.ctor:
            ctor.append((key, arg.value))
        else:
            return None
    if y_true is None or y_pred is None or weight is None:
        return None
    return y_true, y_pred, weight, ctor

