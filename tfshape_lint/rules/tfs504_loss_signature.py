"""TFS504 loss-signature."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import Iterable

import libcst as cst

from tfshape_lint.analysis.imports import ast_dotted, cst_dotted
from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.analysis.losses import FunctionInfo, returned_callables
from tfshape_lint.rule import Example, Recipe, Rule, RuleScope, Severity
from tfshape_lint.source import code_of, visit_read_only

#: decorators that keep the wrapped function's signature
_TRANSPARENT_DECORATORS = frozenset({"tensorflow.function", "tensorflow.autograph.experimental.do_not_convert",
                                     "functools.wraps", "keras.saving.register_keras_serializable",
                                     "tensorflow.keras.utils.register_keras_serializable",
                                     "keras.utils.register_keras_serializable"})
_KERAS_ROOTS = ("tensorflow", "keras", "tf_keras")


@dataclass(frozen=True)
class Signature:
    """What a callable accepts: positional parameters (name, has default), *args, keyword-only."""

    label: str
    positional: tuple[tuple[str, bool], ...]
    varargs: bool
    kwonly: tuple[tuple[str, bool], ...]
    bound: frozenset[str] = frozenset()


class LossSignature(Rule):
    """## What it does
    Flags a function passed to `compile` as a loss (or metric) that cannot be called with
    exactly two positional arguments: too few parameters, a third parameter without a
    default, a keyword-only parameter without a default, or a `functools.partial` that binds
    `y_true`/`y_pred` by keyword. Module functions, lambdas, `functools.partial` objects and
    the inner functions that loss factories return are all checked. A `Loss` subclass instance
    passed as `loss` is flagged when its class overrides `__call__` without room for
    `sample_weight` (no third positional parameter, `*args` or `**kwargs`). Strings and
    anything defined elsewhere are not checked.

    ## Why is this bad?
    Keras calls every loss as `fn(y_true, y_pred)` (Keras 3 `LossFunctionWrapper.call`,
    tf_keras `LossFunctionWrapper.call`), so `fit` raises as soon as it traces the loss.
    Measured on TF 2.21 with Keras 3.15.1 and tf_keras 2.21: `TypeError: three() missing 1
    required positional argument: 'weights'`, `TypeError: <lambda>() takes 1 positional
    argument but 2 were given`, and for `partial(base, y_true=...)`
    `TypeError: base() got multiple values for argument 'y_true'`.

    A `Loss` object is called differently: Keras 3's compiled loss calls it as
    `loss(y_true, y_pred, sample_weight)` and tf_keras as `loss(y_true, y_pred,
    sample_weight=sw)`, with `sample_weight=None` when `fit` has no weights. A subclass that
    overrides `__call__(self, y_true, y_pred)` works when the file calls it by hand and fails in
    `fit`. Measured on TF 2.21: Keras 3.15.1 `TypeError: MyLoss.__call__() takes 3 positional
    arguments but 4 were given`, tf_keras 2.21 `TypeError: MyLoss.__call__() got an unexpected
    keyword argument 'sample_weight'`, in graph `fit` and with `run_eagerly=True` alike.

    ## Example
    ```python
    def weighted_mse(y_true, y_pred, weights):
        return tf.reduce_mean(tf.square(y_true - y_pred) * weights, axis=-1)

    model.compile(optimizer="adam", loss=weighted_mse)
    ```

    ## Use instead
    ```python
    model.compile(optimizer="adam", loss=functools.partial(weighted_mse, weights=w))
    ```

    ## Verification
    `--verify` compiles a one-layer model with the loss and runs one `fit` step; the
    `TypeError` confirms it.
    """

    code = "TFS504"
    name = "loss-signature"
    message = "{fn} {problem}, but Keras calls it as fn(y_true, y_pred); bind other arguments with a closure or partial"
    severity = Severity.ERROR
    scope = RuleScope.MODULE
    recipe = Recipe("call_error", {"errors": [r"positional", r"multiple values", r"keyword-only",
                                              r"unexpected keyword argument 'sample_weight'"]},
                    "call it as fn(y_true, y_pred)")

    good = (
        Example("import tensorflow as tf\n\n"
                "def weighted_mse(y_true, y_pred, weights=1.0):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * weights, axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=weighted_mse)\n",
                note="the third parameter has a default"),
        Example("import functools\nimport tensorflow as tf\n\n"
                "def weighted_mse(y_true, y_pred, weights):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * weights, axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=functools.partial(weighted_mse, weights=2.0))\n",
                note="partial binds the extra argument by keyword"),
        Example("import tensorflow as tf\n\n"
                "def make_loss(weights):\n"
                "    def loss(y_true, y_pred):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred) * weights, axis=-1)\n"
                "    return loss\n\n"
                "model.compile(optimizer='adam', loss=make_loss(2.0))\n",
                note="a factory returns a two-argument function"),
        Example("import tensorflow as tf\n\n"
                "class Focal(tf.keras.losses.Loss):\n"
                "    def __init__(self, gamma=2.0):\n"
                "        super().__init__()\n"
                "        self.gamma = gamma\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=Focal(3.0))\n",
                note="a Loss subclass instance"),
        Example("import tensorflow as tf\n\n"
                "def any_loss(*args):\n"
                "    return tf.reduce_mean(tf.square(args[0] - args[1]), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=[any_loss, 'mse'],\n"
                "              metrics=[lambda y_true, y_pred, **kw: y_pred])\n",
                note="*args and **kwargs accept the call"),
        Example("import tensorflow as tf\n\n"
                "class Scaled(tf.keras.losses.Loss):\n"
                "    def __call__(self, y_true, y_pred, sample_weight=None):\n"
                "        return super().__call__(y_true, y_pred, sample_weight) * 2.0\n\n"
                "    def call(self, y_true, y_pred):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=Scaled())\n",
                note="the overriding __call__ accepts sample_weight"),
        Example("import tensorflow as tf\n\n"
                "class PairLoss(tf.keras.losses.Loss):\n"
                "    def __call__(self, y_true, y_pred):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred))\n\n"
                "loss_fn = PairLoss()\n\n"
                "def train_step(x, y):\n"
                "    with tf.GradientTape() as tape:\n"
                "        loss = loss_fn(y, model(x))\n"
                "    return tape.gradient(loss, model.trainable_variables)\n\n"
                "model.compile(optimizer='adam', loss='mse')\n",
                note="a two-argument __call__ the file calls itself, never handed to compile"),
        Example("import re\nimport tensorflow as tf\n\n"
                "def flags(x):\n    return x\n\n"
                "pattern = re.compile('a+', flags)\n",
                note="not Keras compile"),
        Example("import tensorflow as tf\n\n"
                "def train(loss_fn):\n"
                "    model.compile(optimizer='adam', loss=loss_fn)\n\n"
                "def loss_fn(y_pred):\n"
                "    return y_pred\n",
                note="the compiled name is a parameter, not the module function"),
    )
    bad = (
        Example("import tensorflow as tf\n\n"
                "def weighted_mse(y_true, y_pred, weights):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred) * weights, axis=-1)\n\n"
                "model.compile(optimizer='adam', loss=weighted_mse)\n",
                line=6,
                message="weighted_mse requires argument 'weights' that Keras never passes, but Keras calls it as "
                        "fn(y_true, y_pred); bind other arguments with a closure or partial"),
        Example("import tensorflow as tf\n\n"
                "model.compile('adam', lambda y_pred: tf.reduce_mean(y_pred, axis=-1))\n",
                line=3, note="a lambda with one parameter, passed positionally"),
        Example("from functools import partial\nimport tensorflow as tf\n\n"
                "def base(y_true, y_pred, w):\n"
                "    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1) * w\n\n"
                "loss_fn = partial(base, y_true=0.0)\n\n"
                "def build():\n"
                "    model.compile(optimizer='adam', loss={'out': loss_fn})\n",
                line=10, note="partial binds y_true by keyword: 'got multiple values'"),
        Example("import tensorflow as tf\n\n"
                "def make_loss(alpha):\n"
                "    def loss(y_true, y_pred, *, mask):\n"
                "        return tf.reduce_mean(tf.square(y_true - y_pred) * mask, axis=-1)\n"
                "    return loss\n\n"
                "model.compile(optimizer='adam', loss=make_loss(0.5))\n",
                line=8, note="the factory's inner function needs a keyword-only argument"),
        Example("import tensorflow as tf\n\n"
                "def acc(y_pred):\n"
                "    return tf.reduce_mean(y_pred)\n\n"
                "model.compile(optimizer='adam', loss='mse', metrics=['mae', acc])\n",
                line=6, note="metrics are called the same way"),
        Example("import tensorflow as tf\n\n"
                "class ContrastiveLoss(tf.keras.losses.Loss):\n"
                "    def __init__(self, margin=1.0):\n"
                "        super().__init__()\n"
                "        self.margin = margin\n\n"
                "    def __call__(self, y_true, y_pred):\n"
                "        d = tf.maximum(self.margin - y_pred, 0.0)\n"
                "        return tf.reduce_mean(y_true * tf.square(y_pred) + (1.0 - y_true) * tf.square(d))\n\n"
                "model.compile(optimizer='adam', loss=ContrastiveLoss(margin=0.5))\n",
                line=12,
                message="ContrastiveLoss.__call__ takes no sample_weight, but Keras calls a Loss object as "
                        "loss(y_true, y_pred, sample_weight); override call(self, y_true, y_pred) instead",
                note="a Loss subclass overriding __call__ without sample_weight"),
    )

    @classmethod
    def wants(cls, index: ModuleIndex) -> Iterable[int]:
        """Units whose ``compile`` passes a lambda, a partial, or a name the file defines."""
        units = index.methods.get("compile", set())
        if not units:
            return set()
        defined = set(index.functions) | _callable_names(index)
        return {u for u in units if _compiles_candidate(index, index.unit_nodes[u], defined)}

    def begin_module(self) -> None:
        self._enclosing: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enclosing.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._enclosing.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if not self._is_keras_compile(node):
            return
        for arg_pos, names in ((1, ("loss",)), (None, ("metrics",)), (None, ("weighted_metrics",))):
            value = _argument(node, arg_pos, names)
            if value is not None:
                for element in _elements(value):
                    if names == ("loss",) and self._check_loss_object(element):
                        continue
                    self._check(element)

    # -- resolution ------------------------------------------------------------------------
    def _is_keras_compile(self, node: cst.Call) -> bool:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "compile":
            return False
        receiver = cst_dotted(func.value)
        if receiver is not None:
            qualname = self.index.imports.resolve(receiver)
            if qualname is not None and not qualname.startswith(_KERAS_ROOTS):
                return False  # re.compile, torch.compile, ...
        return True

    def _check(self, expr: cst.BaseExpression) -> None:
        sigs = self._signatures(expr, 0)
        if not sigs:
            return
        problems = [p for p in (_problem(s) for s in sigs) if p is not None]
        if len(problems) == len(sigs):
            self.report(expr, fn=sigs[0].label, problem=problems[0])

    def _check_loss_object(self, expr: cst.BaseExpression) -> bool:
        """``loss=MyLoss()`` where the file's ``Loss`` subclass overrides ``__call__`` without
        room for ``sample_weight``: reported here (True), else False."""
        if not isinstance(expr, cst.Call):
            return False
        name = cst_dotted(expr.func)
        if name is None or name not in self.index.loss_classes:
            return False
        method = _own_call(self.index.classes.get(name))
        if method is None or _takes_sample_weight(method):
            return False
        self.report(expr, message=_LOSS_CALL_MESSAGE, fn=f"{name}.__call__")
        return True

    def _signatures(self, expr: cst.BaseExpression, depth: int) -> list[Signature]:
        """Every signature ``expr`` may have; [] when any of them is unknown."""
        if depth > 4:
            return []
        if isinstance(expr, cst.Lambda):
            tree = _parse(expr)
            return [_signature(tree, "lambda")] if isinstance(tree, ast.Lambda) else []
        if isinstance(expr, cst.Name):
            return self._name_signatures(expr.value, depth)
        if isinstance(expr, cst.Call):
            return self._call_signatures(expr, depth)
        return []

    def _name_signatures(self, name: str, depth: int) -> list[Signature]:
        if any(name in _param_names(fn) for fn in self._enclosing):
            return []
        infos = self._functions(name)
        local = [fn for fn in self._enclosing if _assigns(fn, name)]
        if local:
            values = _assigned_values(local[-1], name)
            if len(values) != 1 or any(len(i.path) > 1 for i in infos):
                return []
            return self._signatures(values[0], depth + 1)
        if infos:
            sigs = [_function_signature(self.index, i) for i in infos]
            return [s for s in sigs if s is not None] if all(s is not None for s in sigs) else []
        assigned = _module_assignments(self.index.tree, name)
        if len(assigned) != 1:
            return []
        parsed = _to_cst(assigned[0])
        return self._signatures(parsed, depth + 1) if parsed is not None else []

    def _functions(self, name: str) -> list[FunctionInfo]:
        infos = self.index.functions.get(name, [])
        enclosing = tuple(fn.name.value for fn in self._enclosing)
        nested = [i for i in infos if i.in_class is None and len(i.path) > 1 and i.path[:-1] == enclosing[-len(i.path) + 1:]]
        if nested:
            return nested
        return [i for i in infos if len(i.path) == 1]

    def _call_signatures(self, call: cst.Call, depth: int) -> list[Signature]:
        dotted = cst_dotted(call.func)
        if dotted is None:
            return []
        if self.index.imports.resolve(dotted) == "functools.partial":
            return self._partial(call, depth)
        if dotted in self.index.classes:
            return []
        infos = self._functions(dotted)
        if len(infos) != 1:
            return []
        factory = infos[0]
        out: list[Signature] = []
        for inner in returned_callables(factory.node):
            if isinstance(inner, ast.Lambda):
                out.append(_signature(inner, f"the lambda {dotted}() returns"))
                continue
            node = _inner_def(factory.node, inner)
            sig = _def_signature(self.index, node, f"{dotted}.{inner}") if node is not None else None
            if sig is None:
                return []
            out.append(sig)
        return out

    def _partial(self, call: cst.Call, depth: int) -> list[Signature]:
        if not call.args or call.args[0].keyword is not None or call.args[0].star:
            return []
        bases = self._signatures(call.args[0].value, depth + 1)
        rest = call.args[1:]
        if not bases or any(a.star for a in rest):
            return []
        positional = sum(1 for a in rest if a.keyword is None)
        keywords = frozenset(a.keyword.value for a in rest if a.keyword is not None)
        out = []
        for base in bases:
            if positional > len(base.positional) and not base.varargs:
                return []
            out.append(replace(base, label=f"partial({base.label})", positional=base.positional[positional:],
                               bound=base.bound | keywords))
        return out


_LOSS_CALL_MESSAGE = ("{fn} takes no sample_weight, but Keras calls a Loss object as loss(y_true, y_pred, "
                      "sample_weight); override call(self, y_true, y_pred) instead")


def _own_call(cls: ast.ClassDef | None) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The class's own ``__call__`` (the last definition in its body), if any."""
    if cls is None:
        return None
    defs = [s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__call__"]
    return defs[-1] if defs else None


def _takes_sample_weight(method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``loss(y_true, y_pred, sw)`` (Keras 3) or ``loss(y_true, y_pred, sample_weight=sw)``
    (tf_keras) can bind: a third positional parameter after ``self``, ``*args`` or ``**kwargs``.
    A decorated method is given the benefit of the doubt."""
    args = method.args
    return (bool(method.decorator_list) or args.vararg is not None or args.kwarg is not None
            or len(args.posonlyargs + args.args) >= 4)


# -- cheap pre-selection (stdlib ast) -----------------------------------------------------------
def _callable_names(index: ModuleIndex) -> set[str]:
    """Names the file binds to a lambda, a ``partial`` or a factory call of its own."""
    out: set[str] = set()
    for node in index.assignments():
        if not isinstance(node.value, (ast.Lambda, ast.Call)):
            continue
        value = node.value
        if isinstance(value, ast.Call):
            dotted = ast_dotted(value.func)
            if dotted is None or not (dotted in index.functions or index.imports.resolve(dotted) == "functools.partial"):
                continue
        out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return out


def _compiles_candidate(index: ModuleIndex, unit: ast.stmt, defined: set[str]) -> bool:
    for node in ast.walk(unit):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile"):
            continue
        passed = [k.value for k in node.keywords if k.arg in ("loss", "metrics", "weighted_metrics")]
        passed += node.args[1:2]
        if any(_may_fail(index, item, defined) for expr in passed for item in _ast_elements(expr)):
            return True
    return False


def _ast_elements(expr: ast.expr) -> list[ast.expr]:
    if isinstance(expr, (ast.List, ast.Tuple)):
        return list(expr.elts)
    if isinstance(expr, ast.Dict):
        return list(expr.values)
    return [expr]


def _may_fail(index: ModuleIndex, expr: ast.expr, defined: set[str]) -> bool:
    """Worth a LibCST look: a lambda or module function with a bad signature, or anything
    (partial, factory, local binding) that only the full resolution can judge."""
    if isinstance(expr, ast.Lambda):
        return _problem(_signature(expr, "lambda")) is not None
    if isinstance(expr, ast.Name):
        if expr.id not in defined:
            return False
        infos = index.functions.get(expr.id, [])
        module_level = [i for i in infos if len(i.path) == 1]
        if not module_level or len(module_level) != len(infos):
            return True
        sigs = [_function_signature(index, i) for i in module_level]
        return any(sig is not None and _problem(sig) is not None for sig in sigs)
    if isinstance(expr, ast.Call):
        dotted = ast_dotted(expr.func)
        if dotted is not None and dotted in index.loss_classes:
            method = _own_call(index.classes.get(dotted))
            return method is not None and not _takes_sample_weight(method)
        return dotted is not None and (dotted in defined or index.imports.resolve(dotted) == "functools.partial")
    return False


# -- signatures ------------------------------------------------------------------------------
def _signature(node: ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef, label: str) -> Signature:
    args = node.args
    positional = args.posonlyargs + args.args
    first_default = len(positional) - len(args.defaults)
    pos = tuple((a.arg, i >= first_default) for i, a in enumerate(positional))
    kwonly = tuple((a.arg, d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults))
    return Signature(label, pos, args.vararg is not None, kwonly)


def _def_signature(index: ModuleIndex, node: ast.FunctionDef | ast.AsyncFunctionDef, label: str) -> Signature | None:
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        dotted = ast_dotted(target)
        qualname = index.imports.resolve(dotted) if dotted else None
        if qualname is None or not any(qualname == d or qualname.endswith("." + d.rsplit(".", 1)[-1])
                                       for d in _TRANSPARENT_DECORATORS):
            return None  # a decorator may change what the function accepts
    return _signature(node, label)


def _function_signature(index: ModuleIndex, info: FunctionInfo) -> Signature | None:
    if info.in_class is not None:
        return None
    return _def_signature(index, info.node, info.node.name)


def _problem(sig: Signature) -> str | None:
    """Why ``fn(y_true, y_pred)`` raises TypeError for this signature, or None when it does not."""
    params = sig.positional
    if len(params) < 2 and not sig.varargs:
        count = len(params)
        return f"accepts {count} positional argument{'s' if count != 1 else ''}"
    for name, _ in params[:2]:
        if name in sig.bound:
            return f"gets '{name}' twice (bound by keyword)"
    missing = [n for n, default in params[2:] if not default and n not in sig.bound]
    missing += [n for n, default in sig.kwonly if not default and n not in sig.bound]
    if missing:
        names = ", ".join(f"'{n}'" for n in missing)
        return f"requires argument{'s' if len(missing) > 1 else ''} {names} that Keras never passes"
    return None


# -- syntax helpers ------------------------------------------------------------------------------
def _argument(call: cst.Call, position: int | None, names: tuple[str, ...]) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in names:
            return arg.value
    if position is None or any(a.star for a in call.args):
        return None
    positional = [a for a in call.args if a.keyword is None]
    return positional[position].value if len(positional) > position else None


def _elements(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(expr, (cst.List, cst.Tuple)):
        return [e.value for e in expr.elements if isinstance(e, cst.Element)]
    if isinstance(expr, cst.Dict):
        return [e.value for e in expr.elements if isinstance(e, cst.DictElement)]
    return [expr]


def _parse(expr: cst.CSTNode) -> ast.expr | None:
    try:
        return ast.parse("(" + code_of(expr) + ")", mode="eval").body
    except SyntaxError:
        return None


def _to_cst(expr: ast.expr) -> cst.BaseExpression | None:
    try:
        return cst.parse_expression(ast.unparse(expr))
    except (cst.ParserSyntaxError, ValueError):
        return None


def _param_names(fn: cst.FunctionDef) -> set[str]:
    p = fn.params
    names = {x.name.value for x in list(p.params) + list(p.posonly_params) + list(p.kwonly_params)}
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


class _AssignFinder(cst.CSTVisitor):
    """Assignments to one name in a function body, not descending into nested scopes."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.values: list[cst.BaseExpression] = []
        self.other = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # nested defs are resolved through the index first

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value == self.name:
                self.values.append(node.value)
            elif _binds(target.target, self.name):
                self.other = True

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if _binds(node.target, self.name):
            self.other = True

    def visit_For(self, node: cst.For) -> None:
        if _binds(node.target, self.name):
            self.other = True

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        bound = node.asname.name if node.asname is not None else node.name
        if isinstance(bound, cst.Name) and bound.value == self.name:
            self.other = True


def _binds(target: cst.BaseExpression, name: str) -> bool:
    if isinstance(target, cst.Name):
        return target.value == name
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_binds(e.value, name) for e in target.elements)
    return False


def _assigns(fn: cst.FunctionDef, name: str) -> bool:
    finder = _AssignFinder(name)
    visit_read_only(fn.body, finder)
    return bool(finder.values) or finder.other


def _assigned_values(fn: cst.FunctionDef, name: str) -> list[cst.BaseExpression]:
    finder = _AssignFinder(name)
    visit_read_only(fn.body, finder)
    return [] if finder.other else finder.values


def _module_assignments(tree: ast.Module, name: str) -> list[ast.expr]:
    """Values assigned to ``name`` at module level; any other kind of binding makes it unknown."""
    out: list[ast.expr] = []
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # their own scopes
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    out.append(node.value)
                elif any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                    return []
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return []
        stack.extend(ast.iter_child_nodes(node))
    return out


def _inner_def(factory: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for stmt in factory.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return stmt
    return None
