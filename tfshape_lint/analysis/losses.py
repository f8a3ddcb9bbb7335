"""Loss discovery: which functions reach Keras as a loss, and in which context.

Runs on the stdlib ``ast`` tree (about 10x cheaper than a LibCST parse) so that files with no
loss never reach LibCST. The result names each loss by a path that the LibCST stage can find
again without positions: a chain of def/class names, or a lambda's ordinal in its unit.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
from dataclasses import dataclass, field

from tfshape_lint.analysis.imports import ImportTable, ast_dotted


class Context(str, enum.Enum):
    """How Keras calls the loss; decides which shape bugs are reachable (KERAS_FACTS §0)."""

    COMPILE = "compile"  # Keras aligns (B,) labels to (B,1) outputs and casts labels to float
    SUBCLASS = "subclass"  # Loss.call: no alignment, sample_weight applied after call
    DIRECT = "direct"  # custom loop or direct call: no alignment
    UNKNOWN = "unknown"  # found by signature only


class Role(str, enum.Enum):
    """Losses are differentiated; metrics are not, so gradient rules skip them."""

    LOSS = "loss"
    METRIC = "metric"
    #: defined in a test module: a reference implementation called eagerly to compare values,
    #: never trained with, so gradient and graph-mode rules do not apply
    REFERENCE = "reference"


LABEL_NAMES = frozenset(
    {"y_true", "labels", "label", "target", "targets", "y", "gt", "truth", "ground_truth",
     "true", "ytrue", "yt", "y_gt", "y_label", "y_target", "mask_true"}
)
PRED_NAMES = frozenset(
    {"y_pred", "logits", "preds", "pred", "predictions", "prediction", "output", "outputs",
     "y_hat", "yhat", "yp", "ypred", "y_logits", "scores", "probs", "mask_pred", "embeddings"}
)
_METRIC_WORDS = ("metric", "accuracy", "acc", "score", "iou", "precision", "recall", "f1",
                 "coef", "coeff", "auc", "correlation")
LOSS_BASES = frozenset({"keras.losses.Loss", "keras.losses.loss.Loss", "keras.losses.LossFunctionWrapper"})


@dataclass(frozen=True)
class LossSpec:
    """A discovered loss (or metric) and where to find it again."""

    qualname: str
    unit: int
    path: tuple[str, ...]
    lambda_ordinal: int | None
    context: Context
    role: Role
    params: tuple[str, ...]
    line: int
    factory: str | None = None  # qualname of the factory whose inner function this is
    factory_call: str | None = None


@dataclass
class FunctionInfo:
    """A def anywhere in the module, with its dotted path."""

    node: ast.FunctionDef | ast.AsyncFunctionDef
    path: tuple[str, ...]
    unit: int
    in_class: str | None

    @property
    def qualname(self) -> str:
        return ".".join(self.path)


def positional_params(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    """Positional parameter names, without a leading ``self``/``cls``."""
    names = [a.arg for a in node.args.posonlyargs + node.args.args]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return names


def looks_like_loss_signature(name: str, params: list[str]) -> bool:
    """The DESIGN.md fallback: ``(y_true, y_pred, ...)`` or a ``*loss*`` name with label/pred params."""
    if len(params) < 2:
        return False
    if params[0] == "y_true" and params[1] == "y_pred":
        return True
    return "loss" in name.lower() and params[0] in LABEL_NAMES and params[1] in PRED_NAMES


def looks_like_metric_name(name: str) -> bool:
    """Names such as ``dice_coef`` or ``iou_metric`` are metrics unless they say ``loss``."""
    low = name.lower()
    return "loss" not in low and any(word in low for word in _METRIC_WORDS)


@dataclass
class _Found:
    path: tuple[str, ...] | None
    lambda_node: ast.Lambda | None
    context: Context
    role: Role
    factory: FunctionInfo | None = None
    factory_call: str | None = None


@dataclass
class LossDiscovery:
    """Walks an ast module once and yields :class:`LossSpec` for every loss and metric."""

    tree: ast.Module
    imports: ImportTable
    unit_of_line: dict[int, int]
    functions: dict[str, list[FunctionInfo]] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    assignments: dict[str, ast.expr] = field(default_factory=dict)
    found: list[_Found] = field(default_factory=list)
    augmented: dict[str, list[ast.expr]] = field(default_factory=dict)
    _differentiated: list[ast.expr] = field(default_factory=list)
    #: uses of this module's functions in sibling modules: (expression, "loss"/"metric")
    external: list[tuple[str, str]] = field(default_factory=list)
    #: a test module: functions found by signature alone that never touch TF/Keras are numpy
    #: reference implementations, not losses
    test_file: bool = False

    def run(self, units: list[ast.stmt], all_nodes: list[ast.AST] | None = None) -> list[LossSpec]:
        """Discover losses; ``all_nodes`` is the file's shared ``ast.walk`` list when available."""
        for idx, stmt in enumerate(units):
            self._collect(stmt, (), idx, None)
        for node in all_nodes if all_nodes is not None else ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    self.assignments.setdefault(target.id, node.value)
                elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id == "self":
                    self.assignments.setdefault(f"self.{target.attr}", node.value)  # a table kept on the model
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self.augmented.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.Call):
                self._visit_call(node)
        for target in self._differentiated:
            self._resolve_differentiated_later(target)
        for text, role in self.external:
            self._resolve(ast.parse(text, mode="eval").body, Context.COMPILE,
                          Role.METRIC if role == "metric" else Role.LOSS)
        self._subclass_losses()
        self._signature_losses()
        return self._specs(units)

    # -- collection -------------------------------------------------------------------
    def _collect(self, node: ast.AST, path: tuple[str, ...], unit: int, in_class: str | None) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info = FunctionInfo(node, path + (node.name,), unit, in_class)
            self.functions.setdefault(node.name, []).append(info)
            for child in node.body:
                self._collect(child, info.path, unit, None)
        elif isinstance(node, ast.ClassDef):
            self.classes.setdefault(node.name, node)
            for child in node.body:
                self._collect(child, path + (node.name,), unit, node.name)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for sub in ast.iter_child_nodes(node):
                if isinstance(sub, (ast.stmt, ast.ExceptHandler)):
                    self._collect(sub, path, unit, in_class)
        elif isinstance(node, ast.ExceptHandler):
            for child in node.body:
                self._collect(child, path, unit, in_class)

    def function(self, name: str) -> FunctionInfo | None:
        """A module function (preferred) or any def of that name."""
        infos = self.functions.get(name, [])
        for info in infos:
            if len(info.path) == 1:
                return info
        plain = [i for i in infos if i.in_class is None]
        return plain[0] if plain else None

    # -- calls that pass losses to Keras ----------------------------------------------
    def _visit_call(self, call: ast.Call) -> None:
        func = call.func
        attr = func.attr if isinstance(func, ast.Attribute) else None
        if attr == "compile":
            loss = _argument(call, "loss", 1)
            if loss is not None:
                self._resolve(loss, Context.COMPILE, Role.LOSS)
            for kw in call.keywords:
                if kw.arg in ("metrics", "weighted_metrics"):
                    self._resolve(kw.value, Context.COMPILE, Role.METRIC)
        elif attr == "gradient" and call.args:
            self._resolve_differentiated(call.args[0])
        elif attr == "add_loss" and call.args and isinstance(call.args[0], ast.Call):
            self._resolve(call.args[0].func, Context.DIRECT, Role.LOSS)
        wrapper = self._wrapper_of(call, attr)
        if wrapper is not None:
            fn = _wrapped_function(call)
            if fn is not None:
                if wrapper == "MeanMetricWrapper":
                    self._resolve(fn, Context.COMPILE, Role.METRIC)
                else:
                    self._resolve(fn, Context.SUBCLASS, Role.LOSS)

    def _wrapper_of(self, call: ast.Call, attr: str | None) -> str | None:
        """``MeanMetricWrapper``/``LossFunctionWrapper`` when ``call`` wraps a function in one:
        a direct construction, or ``super().__init__(fn, ...)`` in a subclass. The wrapped
        function is a metric (averaged, never differentiated) or the body of a Loss class."""
        name = attr if attr is not None else (call.func.id if isinstance(call.func, ast.Name) else None)
        if name == "__init__" and isinstance(call.func, ast.Attribute) and _is_super(call.func.value):
            return self._enclosing_wrapper_base(call)
        return name if name in _WRAPPERS else None

    def _enclosing_wrapper_base(self, call: ast.Call) -> str | None:
        for cls in self.classes.values():
            if not (cls.lineno <= call.lineno <= (cls.end_lineno or cls.lineno)):
                continue
            for base in cls.bases:
                last = (ast_dotted(base) or "").rpartition(".")[2]
                if last in _WRAPPERS:
                    return last
        return None

    def _resolve(self, expr: ast.expr, context: Context, role: Role, depth: int = 0) -> None:
        if depth > 4:
            return
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            for elt in expr.elts:
                self._resolve(elt, context, role, depth + 1)
        elif isinstance(expr, ast.Dict):
            for value in expr.values:
                self._resolve(value, context, role, depth + 1)
        elif isinstance(expr, ast.Lambda):
            self.found.append(_Found(None, expr, context, role))
        elif isinstance(expr, ast.Name):
            self._resolve_name(expr.id, context, role, depth)
        elif isinstance(expr, ast.Call):
            self._resolve_call(expr, context, role, depth)
        elif isinstance(expr, ast.Subscript):  # ``LOSSES[name](y, p)``: every entry of the table
            self._resolve(expr.value, context, role, depth + 1)
        elif isinstance(expr, ast.Attribute) and ast_dotted(expr) in self.assignments:
            self._resolve(self.assignments[ast_dotted(expr) or ""], context, role, depth + 1)

    def _resolve_name(self, name: str, context: Context, role: Role, depth: int) -> None:
        info = self.function(name)
        if info is not None:
            self.found.append(_Found(info.path, None, context, role))
        elif name in self.assignments:
            self._resolve(self.assignments[name], context, role, depth + 1)

    def _resolve_call(self, call: ast.Call, context: Context, role: Role, depth: int) -> None:
        dotted = ast_dotted(call.func)
        if dotted is None:
            return
        if self.imports.resolve(dotted) == "functools.partial" and call.args:
            self._resolve(call.args[0], context, role, depth + 1)
            return
        if dotted in self.classes:
            return  # a Loss subclass instance: its call() is found as a subclass loss
        factory = self.function(dotted)
        if factory is None:
            return
        for inner in returned_callables(factory.node):
            text = ast.unparse(call)
            if isinstance(inner, ast.Lambda):
                self.found.append(_Found(None, inner, context, role, factory, text))
            else:
                self.found.append(_Found(factory.path + (inner,), None, context, role, factory, text))

    def _resolve_differentiated(self, target: ast.expr) -> None:
        self._differentiated.append(target)

    def _resolve_differentiated_later(self, target: ast.expr) -> None:
        """What ``tape.gradient(target, ...)`` differentiates: the functions called to compute
        ``target`` (``loss = fn(y, p)``, ``total += table[k](y, p)``, ``a(y, p) + b(y, p)``)."""
        values: list[ast.expr] = [target]
        if isinstance(target, ast.Name):
            values = [v for v in (self.assignments.get(target.id),) if v is not None]
            values += self.augmented.get(target.id, [])
        for value in values:
            for node in ast.walk(value):
                if isinstance(node, ast.Call):
                    self._resolve(node.func, Context.DIRECT, Role.LOSS)

    # -- classes and signatures ---------------------------------------------------------
    def loss_classes(self) -> set[str]:
        """Classes deriving from a Keras Loss, directly or through classes in this file."""
        result: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, cls in self.classes.items():
                if name in result:
                    continue
                for base in cls.bases:
                    dotted = ast_dotted(base)
                    canon = self.imports.canonical(dotted) if dotted else None
                    if canon in LOSS_BASES or dotted in result:
                        result.add(name)
                        changed = True
                        break
        return result

    def _subclass_losses(self) -> None:
        for name in self.loss_classes():
            for info in self.functions.get("call", []):
                if info.in_class == name:
                    self.found.append(_Found(info.path, None, Context.SUBCLASS, Role.LOSS))

    def _signature_losses(self) -> None:
        for infos in self.functions.values():
            for info in infos:
                if info.in_class is not None:
                    continue
                name = info.node.name
                if self.test_file and not self._uses_tensor_api(info.node):
                    continue
                if looks_like_loss_signature(name, positional_params(info.node)):
                    role = Role.METRIC if looks_like_metric_name(name) else Role.LOSS
                    self.found.append(_Found(info.path, None, Context.UNKNOWN, role))

    def _uses_tensor_api(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Whether a function's body names anything from TensorFlow or Keras."""
        for node in ast.walk(fn):
            dotted = ast_dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
            qualname = self.imports.resolve(dotted) if dotted else None
            if qualname is not None and qualname.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
                return True
        return False

    # -- results --------------------------------------------------------------------------
    def _specs(self, units: list[ast.stmt]) -> list[LossSpec]:
        by_key: dict[object, LossSpec] = {}
        for found in self.found:
            spec = self._spec(found, units)
            if spec is None:
                continue
            key = (spec.path, spec.unit, spec.lambda_ordinal)
            old = by_key.get(key)
            by_key[key] = spec if old is None else _merge(old, spec)
        specs = sorted(by_key.values(), key=lambda s: s.line)
        if self.test_file:
            specs = [dataclasses.replace(s, role=Role.REFERENCE) for s in specs]
        return specs

    def _spec(self, found: _Found, units: list[ast.stmt]) -> LossSpec | None:
        if found.lambda_node is not None:
            lam = found.lambda_node
            unit = self.unit_of_line.get(lam.lineno)
            if unit is None:
                return None
            ordinal = lambda_ordinal(units[unit], lam)
            qual = f"<lambda>@{lam.lineno}"
            if found.factory is not None:
                qual = f"{found.factory.qualname}.{qual}"
            return LossSpec(qual, unit, found.factory.path if found.factory else (), ordinal,
                            found.context, found.role, tuple(positional_params(lam)), lam.lineno,
                            found.factory.qualname if found.factory else None, found.factory_call)
        assert found.path is not None
        info = self._info_for_path(found.path)
        if info is None:
            return None
        return LossSpec(info.qualname, info.unit, info.path, None, found.context, found.role,
                        tuple(positional_params(info.node)), info.node.lineno,
                        found.factory.qualname if found.factory else None, found.factory_call)

    def _info_for_path(self, path: tuple[str, ...]) -> FunctionInfo | None:
        for info in self.functions.get(path[-1], []):
            if info.path == path:
                return info
        return None


_CONTEXT_RANK = {Context.UNKNOWN: 0, Context.COMPILE: 1, Context.DIRECT: 2, Context.SUBCLASS: 3}


def _merge(old: LossSpec, new: LossSpec) -> LossSpec:
    """One function found twice: a loss role wins over metric; the stricter context wins."""
    known = [s for s in (old, new) if s.context != Context.UNKNOWN]
    # a signature guess says "loss"; a compile(metrics=...) use of the same function wins
    role = Role.LOSS if Role.LOSS in {s.role for s in (known or [old, new])} else Role.METRIC
    if old.context == Context.UNKNOWN or (
        new.context != Context.UNKNOWN and _CONTEXT_RANK[new.context] > _CONTEXT_RANK[old.context]
    ):
        context = new.context
    else:
        context = old.context
    base = old if old.factory_call or not new.factory_call else new
    return LossSpec(base.qualname, base.unit, base.path, base.lambda_ordinal, context, role,
                    base.params, base.line, base.factory, base.factory_call)


_WRAPPERS = frozenset({"MeanMetricWrapper", "LossFunctionWrapper"})


def _wrapped_function(call: ast.Call) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == "fn":
            return kw.value
    return call.args[0] if call.args else None


def _is_super(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "super"


def _argument(call: ast.Call, name: str, position: int) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[position]
    return None


def returned_callables(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str | ast.Lambda]:
    """What a factory returns: names of inner defs, or lambdas."""
    inner = {n.name for n in fn.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    result: list[str | ast.Lambda] = []
    for node in _walk_own_body(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Name) and node.value.id in inner:
                result.append(node.value.id)
            elif isinstance(node.value, ast.Lambda):
                result.append(node.value)
    return result


def _walk_own_body(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Nodes of ``fn`` without descending into nested defs and lambdas."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def lambda_ordinal(unit: ast.stmt, target: ast.Lambda) -> int:
    """Index of ``target`` among the unit's lambdas in source order (LibCST visits in that order)."""
    lambdas = sorted(
        (n for n in ast.walk(unit) if isinstance(n, ast.Lambda)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for i, lam in enumerate(lambdas):
        if lam is target:
            return i
    return -1
