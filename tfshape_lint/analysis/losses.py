"""Loss discovery: which functions reach Keras as a loss, and in which context.

Runs on the stdlib ``ast`` tree (about 10x cheaper than a LibCST parse) so that files with no
loss never reach LibCST. The result names each loss by a path that the LibCST stage can find
again without positions: a chain of def/class names, or a lambda's ordinal in its unit.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import re
from dataclasses import dataclass, field, replace

from tfshape_lint.analysis.builtin_losses import LOSS_FUNCTIONS
from tfshape_lint.analysis.imports import ImportTable, ast_callee_name, ast_dotted, single_assignments
from tfshape_lint.analysis.names import mentions


class Context(str, enum.Enum):
    """How Keras calls the loss; decides which shape bugs are reachable (KERAS_FACTS §0)."""

    COMPILE = "compile"  # Keras aligns (B,) labels to (B,1) outputs and casts labels to float
    SUBCLASS = "subclass"  # Loss.call: no alignment, sample_weight applied after call
    DIRECT = "direct"  # custom loop or direct call: no alignment
    UNKNOWN = "unknown"  # found by signature only
    #: a method (a custom Layer's ``call``) that hands Keras loss terms with ``self.add_loss``:
    #: its parameters are the layer's inputs, batches; what it adds is the loss, as is
    ADD_LOSS = "add_loss"


class Role(str, enum.Enum):
    """Losses are differentiated; metrics are not, so gradient rules skip them."""

    LOSS = "loss"
    METRIC = "metric"
    #: defined in a test module: a reference implementation called eagerly to compare values,
    #: never trained with, so gradient and graph-mode rules do not apply
    REFERENCE = "reference"


#: Label parameter names seen in real losses (compared lower-cased: ``trueY`` is ``truey``).
LABEL_NAMES = frozenset(
    {"y_true", "labels", "label", "target", "targets", "y", "gt", "truth", "ground_truth",
     "true", "ytrue", "yt", "y_gt", "y_label", "y_target", "mask_true", "real", "y_real",
     "y_actual", "actual", "truey", "true_y", "y_true_", "gt_y", "y_labels", "gts", "ys"}
)
#: Prediction parameter names seen in real losses (lower-cased).
PRED_NAMES = frozenset(
    {"y_pred", "logits", "preds", "pred", "predictions", "prediction", "output", "outputs",
     "y_hat", "yhat", "yp", "ypred", "y_logits", "scores", "probs", "mask_pred", "y_pre",
     "predy", "pred_y", "y_predict", "y_predicted", "y_preds", "y_prediction", "y_out",
     "y_output", "pred_logits", "inputs", "embeddings", "embedding", "features"}
)
#: Names a prediction may also take when the file registers or compiles the function as a loss.
REGISTERED_PRED_NAMES = PRED_NAMES | {"x", "y_", "p"}
_METRIC_WORDS = ("metric", "accuracy", "acc", "score", "iou", "precision", "recall", "f1",
                 "coef", "coeff", "auc", "correlation", "psnr", "confusion", "sensitivity",
                 "specificity")
#: endings that name a metric in one word (``miou``, ``mIoU``, ``F1``)
_METRIC_ENDINGS = ("iou", "acc", "auc", "psnr", "f1", "coef", "coeff")
#: ``tf.losses`` is ``tf.keras.losses`` in TensorFlow 2 (measured: the same Loss class)
LOSS_BASES = frozenset({"keras.losses.Loss", "keras.losses.loss.Loss", "keras.losses.LossFunctionWrapper",
                        "tf.losses.Loss"})


#: the calls that apply a function to each element of a batch (one sample at a time)
MAPPING = frozenset({"tf.map_fn", "tf.vectorized_map", "K.map_fn"})
#: the last names of :data:`MAPPING`: a call named otherwise is none of them
_MAPPING_NAMES = frozenset(name.rsplit(".", 1)[1] for name in MAPPING)


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
    #: the def whose body holds the only direct call of this loss in the file (``()``: module
    #: level), so the analysis can bind the parameters to what that call passes; None when the
    #: file calls it never or more than once
    caller: tuple[str, ...] | None = None
    call_unit: int | None = None  # the unit holding that call
    #: the unit holding the factory call whose arguments the closure binds (``factory_call``)
    factory_unit: int | None = None
    #: what the loss returns goes to a model's ``add_loss`` (``vae.add_loss(vae_loss(inputs,
    #: outputs, (z_mean, z_log_var)))``): every parameter is a model tensor, a batch, and the
    #: result is added to the training loss as it is
    added: bool = False
    #: ``def loss_l2(y_hat, y, lens)`` found by its signature and never handed to Keras: its
    #: own caller passes the prediction first, as the names say (Keras would pass labels first)
    pred_first: bool = False
    #: ``def discriminator_loss(real_output, fake_output)``: a GAN loss whose every parameter is
    #: a discriminator's output for a batch (no labels), found by its name and parameter names
    adversarial: bool = False
    #: ``def loss(model, x, y, training)`` (TensorFlow's custom-loop tutorial): the helper calls
    #: its model on the inputs itself; the labels are the parameter named as labels
    model_first: bool = False
    #: the factory call's arguments that are names of the function around the call, each with
    #: the source of its one assignment there (``advantage = Input(shape=(1,))`` in the function
    #: that builds and compiles the model): what the closure receives, which the module alone
    #: does not show
    factory_locals: tuple[tuple[str, str], ...] = ()

    @property
    def labels(self) -> str | None:
        """The parameter holding the labels (the first, or the second of a prediction-first loss)."""
        if self.model_first:
            return next((p for p in self.params[1:] if p.lower() in LABEL_NAMES), None)
        if self.adversarial:
            return None
        index = 1 if self.pred_first else 0
        return self.params[index] if len(self.params) > index else None

    @property
    def predictions(self) -> str | None:
        """The parameter holding the predictions (an adversarial loss's first; none of a helper
        that calls its model itself)."""
        if self.model_first:
            return None
        if self.adversarial:
            return self.params[0] if self.params else None
        index = 0 if self.pred_first else 1
        return self.params[index] if len(self.params) >= 2 else None


@dataclass
class FunctionInfo:
    """A def anywhere in the module, with its dotted path."""

    node: ast.FunctionDef | ast.AsyncFunctionDef
    path: tuple[str, ...]
    unit: int
    in_class: str | None
    #: defined under an ``if``/``try``/``with``/loop of its scope: one of several alternatives
    conditional: bool = False

    @property
    def qualname(self) -> str:
        return ".".join(self.path)


def enclosing_defs(functions: dict[str, list[FunctionInfo]], node: ast.expr) -> list[FunctionInfo]:
    """The defs whose lines hold ``node`` (any expression), innermost first; [] at module level."""
    around = [info for infos in functions.values() for info in infos
              if info.node.lineno <= node.lineno <= (info.node.end_lineno or info.node.lineno)]
    return sorted(around, key=lambda info: -len(info.path))


def positional_params(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    """Positional parameter names, without a leading ``self``/``cls``."""
    names = [a.arg for a in node.args.posonlyargs + node.args.args]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return names


def looks_like_loss_signature(name: str, params: list[str], *, registered: bool = False,
                              compound: bool = True) -> bool:
    """The DESIGN.md fallback: ``(y_true, y_pred, ...)``, or a ``*loss*`` name (or a function the
    file registers as a custom object) whose first two parameters look like labels/predictions.

    Names compare lower-cased (``trueY``, ``predY``); ``x`` counts as a prediction only for a
    registered function, where the file itself says it is a loss.
    """
    if len(params) < 2:
        return False
    first, second = params[0].lower(), params[1].lower()
    if (_snake(params[0]), _snake(params[1])) == ("y_true", "y_pred"):
        return True  # Keras's own names, also in camelCase (``yTrue, yPred``)
    if first == "y_true" and (second == "y_pred" or "loss" in name.lower()):
        return True  # Keras's own name for the labels, in a function that says it is a loss
    if registered and "loss" in name.lower():
        return True  # the file registers it and its name says loss
    preds = REGISTERED_PRED_NAMES if registered else PRED_NAMES
    if (first == "y_true" and second in preds) or (first in LABEL_NAMES and second == "y_pred"):
        return True
    if not (says_loss(name) or registered):
        return False
    if compound:
        return _labels_like(_snake(params[0])) and _preds_like(_snake(params[1]), preds)
    return (first in LABEL_NAMES or _suffixed(first, "true")) and (second in preds or _suffixed(second, "pred"))


#: the built-in Loss classes (each computes one of the built-in loss functions)
BUILTIN_LOSS_CLASSES = frozenset(form.cls for form in LOSS_FUNCTIONS.values())


def _builtin_loss_class(canon: str | None) -> bool:
    """``tf.keras.losses.SparseCategoricalCrossentropy`` as a base: a subclass overriding
    ``call`` is a Loss whose ``Loss.__call__`` still reduces what the override returns."""
    if canon is None:
        return False
    head, _, name = canon.rpartition(".")
    return head in ("keras.losses", "tf.losses") and name in BUILTIN_LOSS_CLASSES


def _names_crossentropy(name: str) -> bool:
    lowered = name.lower()
    return "crossentropy" in lowered or "cross_entropy" in lowered


def says_loss(name: str) -> bool:
    """A function name that calls it a loss: ``loss`` anywhere, or ``cost`` as a word of it
    (``crps_cost_function``, ``costFn``), the other name papers and Theano-era code use."""
    return "loss" in name.lower() or "cost" in _snake(name).split("_")


#: words that, as the first or last part of a compound name (``target_data``, ``size_prediction``),
#: say a parameter of a ``*loss*`` function holds the labels or the predictions
_LABEL_WORDS = frozenset({"true", "target", "targets", "label", "labels", "gt", "truth"})
_PRED_WORDS = frozenset({"pred", "preds", "prediction", "predictions", "predicted", "logits", "p"})


#: a discriminator's output as a GAN loss names it: ``real_output``, ``fake_logit``,
#: ``disc_generated_output``, ``d_fake``, ``logits_real``
_ADVERSARIAL_PARAM = re.compile(r"^(?:(?:d|disc|discriminator)_)?(?:real|fake|generated|gen)"
                                r"(?:_(?:logits?|outputs?|out|scores?|preds?|validity))?$"
                                r"|^(?:logits?|outputs?|scores?)_(?:real|fake|generated)$")


#: the first parameter of a custom-loop loss helper that runs the model itself
_MODEL_PARAMS = frozenset({"model", "net", "network"})
#: what such a helper calls its inputs
MODEL_INPUT_NAMES = frozenset({"x", "inputs", "input", "images", "features", "data", "batch_x", "x_batch", "xs"})


def model_loop_signature(fn: ast.FunctionDef | ast.AsyncFunctionDef, params: list[str]) -> bool:
    """``def loss(model, x, y, training)`` / ``def vae_loss_fn(model, x, y)``: a function named
    as a loss that takes a model, its inputs and the labels, and calls the model (or a part of
    it: ``model.encoder(x)``) on the inputs in its own body."""
    if "loss" not in fn.name.lower() or len(params) < 3 or params[0].lower() not in _MODEL_PARAMS:
        return False
    rest = [p.lower() for p in params[1:]]
    if not any(p in MODEL_INPUT_NAMES for p in rest) or not any(p in LABEL_NAMES for p in rest):
        return False
    return any(isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Name)
               and n.args[0].id.lower() in MODEL_INPUT_NAMES and _head_is(n.func, params[0])
               and not (isinstance(n.func, ast.Attribute) and n.func.attr in _INFERENCE_METHODS) for n in ast.walk(fn))


#: Model methods that run it for evaluation and hand back numpy arrays (no gradient): a helper
#: that only calls ``model.predict(data)`` computes an evaluation loss (a membership-inference
#: attack's per-sample losses), not one a loop differentiates
_INFERENCE_METHODS = frozenset({"predict", "predict_on_batch", "predict_generator", "evaluate",
                                "evaluate_generator", "test_on_batch"})


def _head_is(func: ast.expr, name: str) -> bool:
    """``name(...)`` or ``name.part(...)``."""
    if isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id == name


def adversarial_signature(name: str, params: list[str]) -> bool:
    """``generator_loss(fake_output)``, ``discriminator_loss(real_logit, fake_logit)``: a
    function named as a loss whose parameters (one to three) all name a discriminator's output
    on real or generated data; with the labels a parameter (pix2pix's ``target``), it is not."""
    return "loss" in name.lower() and 1 <= len(params) <= 3 \
        and all(_ADVERSARIAL_PARAM.match(p.lower()) for p in params)


def _swapped_signature(names: tuple[str, ...], params: list[str]) -> bool:
    """``(y_pred, y_true, ...)``: a loss signature with its first two parameters traded, in a
    function (or a factory) that says it is a loss; Keras's own two names need no such name."""
    if len(params) >= 2 and (params[0].lower(), params[1].lower()) == ("y_pred", "y_true"):
        return True
    return len(params) >= 2 and any(
        "loss" in n.lower() and looks_like_loss_signature(n, [params[1], params[0], *params[2:]], compound=False)
        for n in names)


def _snake(name: str) -> str:
    """``groundTruth`` -> ``ground_truth``, ``depthsPredicted`` -> ``depths_predicted``: the parts
    of a camelCase name, lower-cased, as ``_compound_of`` reads them."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _labels_like(name: str) -> bool:
    """A label parameter name, or a compound of a label word (``img_true``, ``target_data``)."""
    return name in LABEL_NAMES or _compound_of(name, _LABEL_WORDS)


def _preds_like(name: str, preds: frozenset[str]) -> bool:
    """A prediction parameter name, or a compound of a prediction word (``size_prediction``)."""
    return name in preds or _compound_of(name, _PRED_WORDS)


def _compound_of(name: str, words: frozenset[str]) -> bool:
    """``name`` has two or more ``_``-separated parts and its first or last is one of ``words``."""
    parts = name.split("_")
    return len(parts) >= 2 and all(parts) and (parts[0] in words or parts[-1] in words)


def _suffixed(name: str, word: str) -> bool:
    """``name`` is ``<something>_<word>`` (``img_pred``): the pair spelling real losses use."""
    head, sep, tail = name.rpartition("_")
    return bool(sep and head) and tail == word


def looks_like_metric_name(name: str) -> bool:
    """Names such as ``dice_coef`` or ``iou_metric`` are metrics unless they say ``loss``: a
    word of the name starts with a metric word, or the name ends with one (``miou``, ``mIoU``,
    ``f1``). Words, not substrings: ``asymmetric`` holds "metric" and is no metric."""
    low = name.lower()
    if "loss" in low:
        return False
    return mentions(name, _METRIC_WORDS) or low.endswith(_METRIC_ENDINGS)


def _documented_as_metric(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    """A function whose docstring calls it a metric and never a loss ("for clipping in fit's
    metrics"): its author reports it, Keras does not train on it."""
    doc = (ast.get_docstring(fn, clean=False) or "").lower()
    return "metric" in doc and "loss" not in doc


def _documented_as_loss(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function whose docstring opens by calling it a loss ("hybrid loss function from dice
    loss and crossentropy") and never a metric: its name (``categorical_dicePcrossentroy``)
    need not say so. Only the first line counts: a later "returns the loss" is any helper's."""
    doc = (ast.get_docstring(fn) or "").strip().lower()
    first = doc.splitlines()[0] if doc else ""
    return "metric" not in doc and re.search(r"\bloss(es)?\b", first) is not None


def _own_returns(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Return]:
    """The ``return`` statements of ``fn`` itself (not of the defs inside it)."""
    return [node for node in _walk_own_body(fn) if isinstance(node, ast.Return)]


def _returns_mapping(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Every return of the function is a dict (``return {"mae": mae.numpy(), "mse": ...}``): an
    evaluation helper that reports several named results. Keras can neither train on nor
    report such a value (``compile`` needs one tensor per loss or metric), so a function found
    by its signature alone is not analysed as one; passed to ``compile``, it still is."""
    returns = _own_returns(fn)
    if not returns:
        return False
    # ``results = {...}; ...; return results``: a name every assignment of which is a dict
    bound: dict[str, list[ast.expr]] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            bound.setdefault(node.target.id, []).append(node.value)  # ``results: Dict[str, float] = {...}``
    return all(_is_dict(r.value) or (isinstance(r.value, ast.Name) and bound.get(r.value.id)
                                     and all(_is_dict(v) for v in bound[r.value.id])) for r in returns)


def _is_dict(node: ast.expr | None) -> bool:
    """``{...}`` or ``dict(...)``."""
    return isinstance(node, ast.Dict) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                                          and node.func.id == "dict")


def _returns_named_result(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Every return of the function is a tuple led by a string (``return 'r2', 1 - a / b``): a
    named evaluation result, the protocol of LightGBM's and XGBoost's ``feval`` and of
    scoring helpers. Keras can train on no such value, so the function is reported, not a loss."""
    returns = _own_returns(fn)
    return bool(returns) and all(isinstance(r.value, ast.Tuple) and r.value.elts
                                 and isinstance(r.value.elts[0], ast.Constant)
                                 and isinstance(r.value.elts[0].value, str) for r in returns)


@dataclass
class _Found:
    path: tuple[str, ...] | None
    lambda_node: ast.Lambda | None
    context: Context
    role: Role
    factory: FunctionInfo | None = None
    factory_call: str | None = None
    factory_line: int | None = None
    added: bool = False
    factory_locals: tuple[tuple[str, str], ...] = ()
    pred_first: bool = False
    adversarial: bool = False
    model_first: bool = False


#: the node classes loss discovery reads in its walk of the whole file (exact classes: ``ast``
#: node classes are never subclassed)
_DISCOVERY_NODES = frozenset({ast.Assign, ast.AugAssign, ast.Call, ast.Return})


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
    registered: list[ast.expr] = field(default_factory=list)
    _loss_classes: set[str] | None = None
    augmented: dict[str, list[ast.expr]] = field(default_factory=dict)
    _differentiated: list[ast.expr] = field(default_factory=list)
    #: uses of this module's functions in sibling modules: (expression, "loss"/"metric")
    external: list[tuple[str, str]] = field(default_factory=list)
    #: Loss subclass -> the roles its instances are handed to Keras in (``metrics=[MaxBCE()]``)
    class_roles: dict[str, set[Role]] = field(default_factory=dict)
    #: a test module: functions found by signature alone that never touch TF/Keras are numpy
    #: reference implementations, not losses
    test_file: bool = False
    #: a module named for metrics: functions found by signature alone are metrics unless named loss
    metrics_file: bool = False
    _metric_lists: frozenset[str] | None = None
    #: whether any import statement of the file imports PyTorch (see ``_pytorch``), read once
    _imports_torch: bool | None = None
    #: some ``return <lambda>`` exists in the file (else no factory can return a lambda loss)
    _returns_lambda: bool = False
    #: the file's calls (kept for :meth:`_mapped_only`), and those of them that map a function
    _calls: list[ast.Call] = field(default_factory=list)
    _mapping_calls: list[ast.Call] | None = None

    def run(self, units: list[ast.stmt], all_nodes: list[ast.AST] | None = None) -> list[LossSpec]:
        """Discover losses; ``all_nodes`` is the file's shared ``ast.walk`` list when available."""
        for idx, stmt in enumerate(units):
            self._collect(stmt, (), idx, None)
        calls: list[ast.Call] = []
        for node in all_nodes if all_nodes is not None else ast.walk(self.tree):
            if node.__class__ not in _DISCOVERY_NODES:
                continue  # most nodes: one set lookup, not four ``isinstance`` calls
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    self.assignments.setdefault(target.id, node.value)
                elif isinstance(target, ast.Subscript) and _is_custom_objects(target.value):
                    self.registered.append(node.value)  # get_custom_objects()["name"] = fn
                elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id == "self":
                    self.assignments.setdefault(f"self.{target.attr}", node.value)  # a table kept on the model
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self.augmented.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.Call):
                calls.append(node)
            elif isinstance(node, ast.Return) and isinstance(node.value, ast.Lambda):
                self._returns_lambda = True
        self._calls = calls
        # assignments first: a compile() may name a loss bound later in walk order
        for call in calls:
            self._visit_call(call)
        for expr in self.registered:
            self._register(expr)
        for target in self._differentiated:
            self._resolve_differentiated_later(target)
        for text, role in self.external:
            self._resolve(ast.parse(text, mode="eval").body, Context.COMPILE,
                          Role.METRIC if role == "metric" else Role.LOSS)
        self._subclass_losses()
        self._layer_losses(calls)
        self._signature_losses()
        self._drop_helpers_of_losses()
        specs = self._specs(units)
        return self._with_callers(specs, calls)

    # -- collection -------------------------------------------------------------------
    def _collect(self, node: ast.AST, path: tuple[str, ...], unit: int, in_class: str | None,
                 conditional: bool = False) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info = FunctionInfo(node, path + (node.name,), unit, in_class, conditional)
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
                    self._collect(sub, path, unit, in_class, True)
        elif isinstance(node, ast.ExceptHandler):
            for child in node.body:
                self._collect(child, path, unit, in_class, True)

    def function(self, name: str) -> FunctionInfo | None:
        """A module function (preferred) or any def of that name; of two module-level defs of
        one name, the last, which is the one the name holds once the module has run."""
        infos = self.functions.get(name, [])
        for info in _live_first([i for i in infos if len(i.path) == 1]):
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
            own = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"
            # a Layer's own ``self.add_loss(f(...))`` is checked as that method's term; a
            # model's ``vae.add_loss(f(...))`` gets model tensors for every parameter of f
            target = call.args[0].func
            info = self.function(target.id) if isinstance(target, ast.Name) and not own else None
            if info is not None:
                self.found.append(_Found(info.path, None, Context.DIRECT, Role.LOSS, added=True))
            else:
                self._resolve(target, Context.DIRECT, Role.LOSS)
        elif attr == "update" and isinstance(func, ast.Attribute) and _is_custom_objects(func.value):
            self.registered.extend(call.args)  # get_custom_objects().update({...})
            self.registered.extend(kw.value for kw in call.keywords if kw.arg is not None)
        else:
            if ast_callee_name(call) in ("CustomObjectScope", "custom_object_scope") and ast_dotted(func):
                self.registered.extend(call.args)
        for kw in call.keywords:
            if kw.arg == "custom_objects":  # load_model / model_from_json / from_config
                self.registered.append(kw.value)
        wrapper = self._wrapper_of(call, attr)
        if wrapper is not None:
            fn = _wrapped_function(call)
            if fn is not None:
                if wrapper == "MeanMetricWrapper":
                    self._resolve(fn, Context.COMPILE, Role.METRIC)
                else:
                    self._resolve(fn, Context.SUBCLASS, Role.LOSS)

    def _register(self, expr: ast.expr, depth: int = 0) -> None:
        """A custom object: Keras compiles it from a saved training config when it is a loss.

        Custom objects also hold layers, activations and metrics, so a function counts only
        when its own name or signature says loss (``x`` is then a fine prediction name).
        """
        if depth > 3:
            return
        if isinstance(expr, ast.Dict):
            for value in expr.values:
                self._register(value, depth + 1)
        elif isinstance(expr, ast.Name):
            info = self.function(expr.id)
            if info is not None:
                params = positional_params(info.node)
                if looks_like_loss_signature(info.node.name, params, registered=True):
                    role = Role.METRIC if looks_like_metric_name(info.node.name) else Role.LOSS
                    self.found.append(_Found(info.path, None, Context.COMPILE, role))
            elif expr.id in self.classes and self._loss_like_callable(expr.id):
                self._callable_instance(expr.id, Context.COMPILE, Role.LOSS)
            elif expr.id in self.assignments:
                self._register(self.assignments[expr.id], depth + 1)
        elif isinstance(expr, ast.Call):
            self._resolve(expr, Context.COMPILE, Role.LOSS, depth + 1)

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
        elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            self._resolve_bound_method(expr.attr, context, role)

    def _resolve_bound_method(self, name: str, context: Context, role: Role) -> None:
        """``compile(loss=self.reconstruction)``: the method of that name, when one class of
        the file defines it with (labels, predictions) after ``self``."""
        methods = [info for info in self.functions.get(name, []) if info.in_class is not None
                   and len(positional_params(info.node)) >= 2]
        if len(methods) == 1:
            self.found.append(_Found(methods[0].path, None, context, role))

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
            # a Loss subclass instance: its call() is found as a subclass loss; any other class
            # is a callable object whose __call__ Keras wraps like a function
            self._callable_instance(dotted, context, role)
            return
        factory = self.function(dotted)
        if factory is None:
            return
        local = self._call_locals(call)
        for inner in returned_callables(factory.node):
            text = ast.unparse(call)
            if isinstance(inner, ast.Lambda):
                self.found.append(_Found(None, inner, context, role, factory, text, call.lineno,
                                         factory_locals=local))
            else:
                self.found.append(_Found(factory.path + (inner,), None, context, role, factory, text,
                                         call.lineno, factory_locals=local))

    def _call_locals(self, call: ast.Call) -> tuple[tuple[str, str], ...]:
        """The call's name arguments that the innermost def around it assigns exactly once,
        each with the source of the assigned value."""
        around = self._enclosing_info(call)
        if around is None:
            return ()
        names = {a.id for a in (*call.args, *(k.value for k in call.keywords)) if isinstance(a, ast.Name)}
        return tuple((name, ast.unparse(value)) for name, value in sorted(single_assignments(around.node, names).items())
                     if not isinstance(value, ast.Name))

    def _callable_instance(self, class_name: str, context: Context, role: Role) -> None:
        if class_name in self.loss_classes():
            self.class_roles.setdefault(class_name, set()).add(role)
            return
        method = self.method(class_name, "__call__")
        if method is not None and len(positional_params(method.node)) >= 2:
            self.found.append(_Found(method.path, None, context, role))

    def _loss_like_callable(self, class_name: str) -> bool:
        """A registered class whose ``__call__`` name or signature says loss, as for a registered
        function: custom objects also hold initializers (``__call__(self, shape, dtype)``),
        regularizers and constraints."""
        method = self.method(class_name, "__call__")
        return method is not None and looks_like_loss_signature(
            class_name, positional_params(method.node), registered=True)

    def method(self, class_name: str, name: str) -> FunctionInfo | None:
        """The def ``name`` directly in class ``class_name``."""
        for info in self.functions.get(name, []):
            if info.in_class == class_name:
                return info
        return None

    def _resolve_differentiated(self, target: ast.expr) -> None:
        self._differentiated.append(target)

    def _resolve_differentiated_later(self, target: ast.expr) -> None:
        """What ``tape.gradient(target, ...)`` differentiates: the functions called to compute
        ``target`` (``loss = fn(y, p)``, ``total += table[k](y, p)``, ``a(y, p) + b(y, p)``)."""
        values: list[ast.expr] = [target]
        if isinstance(target, ast.Name):
            local = self._local_values(target)
            if local:
                values = local
            else:
                values = [v for v in (self.assignments.get(target.id),) if v is not None]
                values += self.augmented.get(target.id, [])
        for value in values:
            for node in ast.walk(value):
                if not isinstance(node, ast.Call) or self._prediction_elsewhere(node):
                    continue
                called = self._labels_passed_second(node)
                if called is not None:
                    self.found.append(_Found(called.path, None, Context.DIRECT, Role.LOSS, pred_first=True))
                else:
                    self._resolve(node.func, Context.DIRECT, Role.LOSS)

    def _labels_passed_second(self, call: ast.Call) -> FunctionInfo | None:
        """The file's function a differentiated call hands the labels second, by their name
        (``supervised_nt_xent_loss(b, labels)`` with ``b`` the model's output): what runs is
        prediction first, whatever the parameters are called (``(z, y)``)."""
        infos = self.functions.get(ast_callee_name(call), []) if isinstance(call.func, ast.Name) else []
        if len(infos) != 1 or infos[0].in_class is not None or len(call.args) < 2:
            return None
        first, second = call.args[0], call.args[1]
        if isinstance(second, ast.Name) and second.id.lower() in LABEL_NAMES and isinstance(first, ast.Name) \
                and first.id.lower() not in LABEL_NAMES and len(positional_params(infos[0].node)) >= 2:
            return infos[0]
        return None

    def _prediction_elsewhere(self, call: ast.Call) -> bool:
        """A differentiated helper whose prediction is not among its first two parameters
        (DeepHit's ``compute_loss(self, k, t, mask1, mask2, predictions, ...)``): read as
        (labels, predictions), its event times would pass for the predictions."""
        infos = self.functions.get(ast_callee_name(call), [])
        if len(infos) != 1:
            return False
        params = positional_params(infos[0].node)
        return not any(_preds_like(p, PRED_NAMES) for p in params[:2]) \
            and any(_preds_like(p, PRED_NAMES) for p in params[2:])

    def _local_values(self, target: ast.Name) -> list[ast.expr]:
        """What the function holding ``tape.gradient(loss, ...)`` binds ``loss`` to (assigned or
        added to), not the first ``loss = ...`` of the file: a helper
        defined earlier (``compute_loss`` ending in ``loss = on_diag + off_diag``) has its own."""
        owner = self._enclosing_info(target)
        if owner is None:
            return []
        name = target.id
        values: list[ast.expr] = []
        for node in ast.walk(owner.node):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                values.append(node.value)  # not ``loss, acc = step(...)``: the step also computes a metric
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name) \
                    and node.target.id == name and node.value is not None:
                values.append(node.value)
        return values

    # -- classes and signatures ---------------------------------------------------------
    def loss_classes(self) -> set[str]:
        """Classes deriving from a Keras Loss, directly or through classes in this file."""
        if self._loss_classes is not None:
            return self._loss_classes
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
                    if canon in LOSS_BASES or dotted in result or _builtin_loss_class(canon):
                        result.add(name)
                        changed = True
                        break
        self._loss_classes = result
        return result

    def _subclass_losses(self) -> None:
        for name in self.loss_classes():
            calls = [info for info in self.functions.get("call", []) if info.in_class == name]
            # a class whose instances Keras only ever gets as metrics is a metric (a batch
            # statistic reported beside the loss: ``metrics=[MaxBinaryCrossentropy()]``)
            role = Role.METRIC if self.class_roles.get(name) == {Role.METRIC} or self._unused_metric_class(name) \
                else Role.LOSS
            for info in calls:
                self.found.append(_Found(info.path, None, Context.SUBCLASS, role))
            if calls:
                continue
            # a Loss subclass that overrides __call__ instead of call: Keras calls it directly
            # and uses what it returns as is (no reduction of its own), like a plain function
            for info in self.functions.get("__call__", []):
                if info.in_class == name and len(positional_params(info.node)) >= 2:
                    self.found.append(_Found(info.path, None, Context.UNKNOWN, Role.LOSS))

    def _unused_metric_class(self, name: str) -> bool:
        """A Loss subclass nothing here hands to Keras whose name is a metric's
        (``BinaryProvableRobustAccuracy``) and that a metrics module holds or its docstrings call a
        metric: a Loss subclass is also how a metric is written (it can go in ``metrics=``), and
        a 0/1 accuracy there is no loss that fails to train."""
        if name in self.class_roles or not looks_like_metric_name(name):
            return False
        if self.metrics_file:
            return True
        cls = self.classes[name]
        init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        return any(_documented_as_metric(node) for node in (cls, init) if node is not None)

    def _layer_losses(self, calls: list[ast.Call]) -> None:
        """Methods of the file's classes (not Loss subclasses) that call ``self.add_loss(term)``:
        the term goes into the training loss as it is, summed with the compiled losses."""
        adds = [c for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr == "add_loss"
                and isinstance(c.func.value, ast.Name) and c.func.value.id == "self" and c.args]
        if not adds:
            return
        loss_classes = self.loss_classes()
        methods = [info for infos in self.functions.values() for info in infos
                   if info.in_class is not None and info.in_class not in loss_classes]
        found: set[tuple[str, ...]] = set()
        for call in adds:
            around = [m for m in methods if m.node.lineno <= call.lineno <= (m.node.end_lineno or m.node.lineno)]
            if not around:
                continue
            method = max(around, key=lambda m: m.node.lineno)  # the innermost def
            if method.path not in found and positional_params(method.node):
                found.add(method.path)
                self.found.append(_Found(method.path, None, Context.ADD_LOSS, Role.LOSS))

    def _pytorch(self, info: FunctionInfo) -> bool:
        """A function (or the factory that returns it) that imports PyTorch or calls it through a
        module-level ``torch`` import: a loss for PyTorch, which Keras never calls, in a file
        that serves both frameworks (DeepChem's ``Loss._create_pytorch_loss``)."""
        if self._imports_torch is None:
            # every import statement of the file, nested ones too, is in the table: most files
            # never import PyTorch, and then no function needs a walk
            self._imports_torch = any(q == "torch" or q.startswith("torch.") for q in self.imports.imported)
        if not self._imports_torch:
            return False
        roots = {local for local, target in self.imports.aliases.items()
                 if target == "torch" or target.startswith("torch.")}
        factory = self._enclosing_factory(info)
        for node in (info.node, factory.node if factory is not None else None):
            if node is None:
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import) and any(a.name.split(".")[0] == "torch" for a in sub.names):
                    return True
                if isinstance(sub, ast.ImportFrom) and (sub.module or "").split(".")[0] == "torch":
                    return True
                if roots and isinstance(sub, ast.Name) and sub.id in roots:
                    return True
        return False

    def _signature_losses(self) -> None:
        loss_classes = self.loss_classes()
        for infos in self.functions.values():
            for info in infos:
                if info.in_class is not None:
                    self._callable_signature(info, loss_classes)
                    continue
                name = info.node.name
                if self._pytorch(info):
                    continue  # ``def loss(output, labels)`` of a ``_create_pytorch_loss`` factory
                if self.test_file and not self._uses_tensor_api(info.node):
                    continue
                factory = self._enclosing_factory(info)
                names: tuple[str, ...] = (name,) if factory is None else (name, factory.node.name)
                if factory is not None and any(_names_crossentropy(n) for n in names):
                    # the inner function of ``bayesian_categorical_crossentropy(T, C)``: a factory
                    # named for a crossentropy returns a loss (a module-level ``categorical_
                    # crossentropy(target, output)`` is Keras's own, left to its name)
                    names += ("loss",)
                elif factory is None and _documented_as_loss(info.node):
                    names += ("loss",)  # ``categorical_dicePcrossentroy``: "hybrid loss function ..."
                params = positional_params(info.node)
                if (any(looks_like_loss_signature(n, params, compound=False) for n in names) or (
                        any(looks_like_loss_signature(n, params) for n in names) and self._uses_tensor_api(info.node))) \
                        and not (factory is None and self._mapped_only(name)) \
                        and not (factory is None and _scalar_math(info.node) and not self._uses_tensor_api(info.node)) \
                        and not _returns_mapping(info.node):
                    # compound parameter names (``target_data``) only where the body uses
                    # TensorFlow/Keras: a ``*_loss_dummy(target_data, size_prediction)`` in numpy
                    # is an evaluation helper
                    metric = looks_like_metric_name(name) or (self.metrics_file and "loss" not in name.lower()) \
                        or _documented_as_metric(info.node) or _returns_named_result(info.node) \
                        or (factory.node.name if factory is not None else name) in self._listed_as_metrics()
                    role = Role.METRIC if metric else Role.LOSS
                    # an inner loss its factory returns is analysed in the factory's closure,
                    # with unknown factory arguments when the file never calls the factory
                    self.found.append(_Found(info.path, None, Context.UNKNOWN, role, factory))
                elif factory is not None and _swapped_signature(names, params):
                    # ``def focal_loss_fixed(y_pred, y_true)`` returned by a loss factory: Keras
                    # will call it (y_true, y_pred) all the same
                    self.found.append(_Found(info.path, None, Context.UNKNOWN, Role.LOSS, factory))
                elif factory is None and model_loop_signature(info.node, params) and self._uses_tensor_api(info.node):
                    # ``def loss(model, x, y, training)``: a custom loop's helper runs the model
                    self.found.append(_Found(info.path, None, Context.DIRECT, Role.LOSS, model_first=True))
                elif factory is None and adversarial_signature(name, params) and self._uses_tensor_api(info.node):
                    # ``def discriminator_loss(real_output, fake_output)``: a GAN's custom loop
                    # differentiates it; each parameter is the discriminator's output for a batch
                    self.found.append(_Found(info.path, None, Context.DIRECT, Role.LOSS, adversarial=True))
                elif factory is None and _swapped_signature(names, params) and self._uses_tensor_api(info.node) \
                        and not self._mapped_only(name) and not _returns_mapping(info.node):
                    # ``def loss_l2(y_hat, y, lens)``, a PyTorch-style criterion its custom loop
                    # calls prediction first: the names give the roles (unless Keras gets it)
                    role = Role.METRIC if looks_like_metric_name(name) else Role.LOSS
                    self.found.append(_Found(info.path, None, Context.UNKNOWN, role, pred_first=True))
                if factory is None and self._returns_lambda:
                    self._returned_lambdas(info)  # a walk of the body: only when it can find one

    def _listed_as_metrics(self) -> frozenset[str]:
        """Functions the module lists in a module-level collection it names for metrics
        (``metrics = [rmse, log_loss, var_ratio]``, ``all_metrics``, ``METRICS = {...}``, and a
        factory's call in one, ``mse_var(10)``): the author's own word that they are metrics,
        where no visible ``compile`` says what they are."""
        if self._metric_lists is None:
            names: set[str] = set()
            for node in self.tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                    if isinstance(node, ast.AnnAssign) else []
                if not any(isinstance(t, ast.Name) and "metric" in t.id.lower() for t in targets):
                    continue
                value = getattr(node, "value", None)
                items = value.values if isinstance(value, ast.Dict) else value.elts \
                    if isinstance(value, (ast.List, ast.Tuple, ast.Set)) else []
                for item in items:
                    item = item.func if isinstance(item, ast.Call) else item
                    if isinstance(item, ast.Name):
                        names.add(item.id)
            self._metric_lists = frozenset(names)
        return self._metric_lists

    def _drop_helpers_of_losses(self) -> None:
        """A module function found by its name alone that takes more than labels and
        predictions (``get_pos_loss(y_true, y_pred, obj_mask, label_length)``) and that the file
        only ever calls from inside another loss is that loss's helper: it is analysed where it
        is called, with what its caller passes and does with its result (a sum the caller
        divides by the batch size is no batch sum), not as a loss of its own."""
        bodies = {f.path: info.node for f in self.found if f.path is not None and f.lambda_node is None
                  for info in self.functions.get(f.path[-1], []) if info.path == f.path}
        kept = []
        for found in self.found:
            node = bodies.get(found.path) if found.path is not None else None
            if found.context is Context.UNKNOWN and found.factory is None and node is not None \
                    and len(found.path or ()) == 1 and len(positional_params(node)) > 2 \
                    and self._called_only_inside(node.name, [b for path, b in bodies.items() if path != found.path]):
                continue
            if found.context is Context.UNKNOWN and found.factory is None and node is not None \
                    and len(found.path or ()) >= 2 and (found.path or ())[:-1] in bodies \
                    and self._called_only_inside(node.name, [bodies[(found.path or ())[:-1]]]):
                continue  # a def inside a loss that the loss only calls: its closure is the loss's body
            kept.append(found)
        self.found = kept

    def _called_only_inside(self, name: str, callers: list[ast.AST]) -> bool:
        """Whether every use of ``name`` in the file is a call inside one of ``callers`` (each call
        counted once, though a lambda inside one caller that is a caller itself is walked twice)."""
        inside = {id(n.func) for caller in callers for n in ast.walk(caller)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name}
        if not inside:
            return False  # before the walk of the whole file: most files map nothing
        return len(inside) == sum(1 for n in ast.walk(self.tree) if isinstance(n, ast.Name) and n.id == name)

    def _may_map(self, call: ast.Call) -> bool:
        """Whether ``call`` can be one of :data:`MAPPING` (its last name is, or it calls an
        imported alias): the canonical name is looked up for these calls only."""
        return ast_callee_name(call) in _MAPPING_NAMES or (
            isinstance(call.func, ast.Name) and call.func.id in self.imports.aliases)

    def _mapped_only(self, name: str) -> bool:
        """Whether every use of ``name`` in the file is a call inside the function that a
        ``tf.map_fn``/``tf.vectorized_map`` applies to each element (``lambda x: giou(x[0],
        x[1])``): it gets one box or one sample, not a batch, and is no batch loss."""
        if self._mapping_calls is None:  # once per file: a file with many losses asks per loss
            self._mapping_calls = [c for c in self._calls if self._may_map(c)
                                   and (self.imports.canonical(ast_dotted(c.func)) or "") in MAPPING]
        mapped_fns: list[ast.AST] = []
        for call in self._mapping_calls:
            fn = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "fn"), None)
            if isinstance(fn, ast.Name):
                local = self.function(fn.id)
                fn = local.node if local is not None else None  # type: ignore[assignment]
            if fn is not None:
                mapped_fns.append(fn)
        return self._called_only_inside(name, mapped_fns)

    def _callable_signature(self, info: FunctionInfo, loss_classes: set[str]) -> None:
        """``__call__(self, y_true, y_pred)`` of a plain class: a callable loss object; or a
        method named as a loss (``def loss(self, ytrue, ypred)``), which a file hands to Keras
        as a bound method (``compile(loss=obj.loss)``)."""
        cls = info.in_class
        if cls is None or cls in loss_classes:
            return
        params = positional_params(info.node)
        if info.node.name != "__call__":
            name = info.node.name
            if "loss" in name.lower() and looks_like_loss_signature(name, params):
                self.found.append(_Found(info.path, None, Context.UNKNOWN, Role.LOSS))
            elif _swapped_signature((name,), params) and self._uses_tensor_api(info.node):
                self.found.append(_Found(info.path, None, Context.UNKNOWN, Role.LOSS, pred_first=True))
            return
        if looks_like_loss_signature(cls, params):
            role = Role.METRIC if looks_like_metric_name(cls) else Role.LOSS
            self.found.append(_Found(info.path, None, Context.UNKNOWN, role))

    def _enclosing_factory(self, info: FunctionInfo) -> FunctionInfo | None:
        """The def that directly encloses ``info`` and returns it, if any."""
        if len(info.path) < 2:
            return None
        parent = self._info_for_path(info.path[:-1])
        if parent is None or info.node.name not in returned_callables(parent.node):
            return None
        return parent

    def _returned_lambdas(self, factory: FunctionInfo) -> None:
        """``def focal_loss(gamma): return lambda y_true, y_pred: ...`` never called in the file."""
        for inner in returned_callables(factory.node):
            if isinstance(inner, ast.Lambda) and looks_like_loss_signature(
                    factory.node.name, positional_params(inner)):
                self.found.append(_Found(None, inner, Context.UNKNOWN, Role.LOSS, factory))

    def _with_callers(self, specs: list[LossSpec], calls: list[ast.Call]) -> list[LossSpec]:
        """Record the def holding the only direct call of each loss (see ``LossSpec.caller``)."""
        wanted = {s.path[-1] for s in specs if s.lambda_ordinal is None and len(s.path) == 1}
        if not wanted:
            return specs
        sites: dict[str, list[ast.Call]] = {}
        for call in calls:
            if isinstance(call.func, ast.Name) and call.func.id in wanted and len(call.args) >= 2:
                sites.setdefault(call.func.id, []).append(call)
        if not sites:
            return specs
        out: list[LossSpec] = []
        for spec in specs:
            found = sites.get(spec.path[-1], []) if len(spec.path) == 1 and spec.lambda_ordinal is None else []
            caller = self._enclosing_def(found[0]) if len(found) == 1 else None
            if caller is not None and caller[:1] == spec.path[:1]:
                caller = None  # a recursive call tells nothing about the inputs
            unit = self.unit_of_line.get(found[0].lineno) if caller is not None else None
            out.append(replace(spec, caller=caller, call_unit=unit) if unit is not None else spec)
        return out

    def _enclosing_def(self, call: ast.Call) -> tuple[str, ...]:
        """Path of the innermost def around ``call`` (``()`` at module level)."""
        best = self._enclosing_info(call)
        return best.path if best is not None else ()

    def _enclosing_info(self, call: ast.expr) -> FunctionInfo | None:
        """The innermost def around ``call`` (or any expression; None at module level)."""
        return next(iter(enclosing_defs(self.functions, call)), None)

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
                            found.factory.qualname if found.factory else None, found.factory_call,
                            factory_unit=self._unit_at(found.factory_line), factory_locals=found.factory_locals)
        assert found.path is not None
        info = self._info_for_path(found.path)
        if info is None:
            return None
        return LossSpec(info.qualname, info.unit, info.path, None, found.context, found.role,
                        tuple(positional_params(info.node)), info.node.lineno,
                        found.factory.qualname if found.factory else None, found.factory_call,
                        factory_unit=self._unit_at(found.factory_line), added=found.added,
                        pred_first=found.pred_first, adversarial=found.adversarial, model_first=found.model_first,
                        factory_locals=found.factory_locals)

    def _unit_at(self, line: int | None) -> int | None:
        return self.unit_of_line.get(line) if line is not None else None

    def _info_for_path(self, path: tuple[str, ...]) -> FunctionInfo | None:
        """The def at ``path``; the last of several (a redefinition replaces the first, which
        never runs once the module is loaded)."""
        for info in _live_first([i for i in self.functions.get(path[-1], []) if i.path == path]):
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
    if old.factory_call or new.factory_call:
        base = old if old.factory_call else new
    else:
        base = old if old.factory or not new.factory else new
    caller = old if old.caller is not None else new
    # names decide the roles only where no Keras API passes the arguments
    by_names = context in (Context.UNKNOWN, Context.DIRECT)
    return LossSpec(base.qualname, base.unit, base.path, base.lambda_ordinal, context, role,
                    base.params, base.line, base.factory, base.factory_call,
                    caller.caller, caller.call_unit, base.factory_unit, added=old.added or new.added,
                    pred_first=(old.pred_first or new.pred_first) and by_names,
                    adversarial=(old.adversarial or new.adversarial) and by_names,
                    model_first=(old.model_first or new.model_first) and by_names,
                    factory_locals=base.factory_locals)


_WRAPPERS = frozenset({"MeanMetricWrapper", "LossFunctionWrapper"})


def _wrapped_function(call: ast.Call) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == "fn":
            return kw.value
    return call.args[0] if call.args else None


def _live_first(infos: list[FunctionInfo]) -> list[FunctionInfo]:
    """Defs of one name, the one that holds it first: of unconditional redefinitions the last
    (it replaces the others when the scope runs); alternatives under an ``if``/``else`` in the
    order written, since either may be the one that runs."""
    if len(infos) > 1 and not any(info.conditional for info in infos):
        return infos[::-1]
    return infos


def _scalar_math(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``fn`` calls a function of Python's ``math`` module (``math.log(y_pred[i] + 1)``):
    those take one number, so a batch tensor never reaches them; such a ``rmsle(y, y_pred)`` is
    an evaluation helper on NumPy arrays, found by its signature only, and no loss."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
               and n.func.value.id == "math" for n in ast.walk(fn))


def skips_base_init(cls: ast.ClassDef) -> bool:
    """Whether ``cls`` defines ``__init__`` and never runs its base's (no ``super().__init__``,
    no ``Base.__init__(self, ...)``): a Keras ``Loss`` built so has no ``name`` (Keras 3) or
    ``_name_scope`` (tf_keras), and its ``__call__`` raises ``AttributeError`` before any
    reduction or sample weight is applied (measured with both), so it only runs through a
    direct ``.call``."""
    init = next((s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and s.name == "__init__"), None)
    if init is None:
        return False
    for node in ast.walk(init):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__" \
                and (_is_super(node.func.value) or isinstance(node.func.value, (ast.Name, ast.Attribute))):
            return False
    return True


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


def _is_custom_objects(expr: ast.expr) -> bool:
    """``get_custom_objects()`` under any import path (the registry Keras loads names from)."""
    if not isinstance(expr, ast.Call):
        return False
    dotted = ast_dotted(expr.func)
    return dotted is not None and dotted.rsplit(".", 1)[-1] == "get_custom_objects"


def _walk_own_body(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Statements of ``fn`` (``return`` is one) without descending into nested defs, classes or
    any expression: no statement hides in an expression, and the expressions are most of the
    nodes. Same depth-first order as walking every node."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(fn.body)
    statement_like = (ast.stmt, ast.excepthandler, ast.match_case)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, statement_like))
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
