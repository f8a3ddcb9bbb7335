"""What a real file needs before its loss can run: the Keras flavour, input shapes, its project.

Public losses are written for Keras 2 (``from keras import backend as K; K.sum``), for
``(B,H,W,C)`` images or ``(B,T,C)`` sequences, inside projects that import their own modules.
Run them as written under Keras 3 and most die before reaching the bug. This module reads the
file (stdlib ``ast``, no import) and says: which flavour to run (tf_keras when Keras 3 lacks the
backend names the file uses, or when a Loss constructor passes a legacy reduction), which
per-sample shapes the loss body implies (slices, axes, reshape targets, channel indexing) and
where the project root is, so the worker can put it on ``sys.path``; also the smallest batch
the loss accepts (``y_pred[2]`` on the batch axis), the tuples the file's own call passes as
``y_pred`` and the conventional aliases (``tf``, ``np``, ``K``) it uses without importing.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from tfshape_lint.analysis.imports import NameUses, name_uses
from tfshape_lint.analysis.losses import positional_params
from tfshape_lint.rules._api_tables import keras_table
from tfshape_lint.verify._child.sandbox import KERAS2_MODULES
from tfshape_lint.verify.variants import call_name, int_literal as _int

#: the names Keras 3's ``keras.backend`` still has (KERAS_FACTS §4.11)
KERAS3_BACKEND = frozenset({
    "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format", "is_float_dtype",
    "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon", "set_floatx",
    "set_image_data_format", "standardize_dtype"})
#: Keras 2.0-2.3 backend names that tf_keras dropped too, and what TensorFlow gives for them:
#: the tf_keras worker adds them to its backend, so Keras 2.2 code runs (``K.logsumexp`` was
#: ``tf.reduce_logsumexp``; ``K.tf`` and ``K.control_flow_ops`` were re-exported modules)
KERAS22_BACKEND = {"logsumexp": "tf.reduce_logsumexp", "tf": "tensorflow", "control_flow_ops": "tensorflow",
                   "size": "tf.size", "slice": "tf.slice", "identity": "tf.identity",
                   # Keras 2.0-2.2's image ordering ("tf" is channels last, tf_keras's default)
                   "image_dim_ordering": "'tf'", "set_image_dim_ordering": "no-op",
                   "is_tensor": "tf.is_tensor", "get_variable_shape": "x.shape",
                   "control_dependencies": "tf.control_dependencies"}
_ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
_LEGACY_REDUCTIONS = ("AUTO", "auto")
#: middle dimension of inferred layouts: not 4, so that it never equals the probe batch size
MIDDLE = 5


def keras2_modules(tree: ast.Module) -> list[str]:
    """Keras 2 module paths the file imports that Keras 3 does not have
    (``import keras.backend.tensorflow_backend as KTF``, ``from keras.engine.topology import
    Layer``): the file is Keras 2 code, which tf_keras runs."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if a.name in KERAS2_MODULES)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module in KERAS2_MODULES:
            found.append(node.module)
    return found


#: Keras 3 modules tf_keras does not have (measured: ``hasattr(tf_keras, name)`` is False)
KERAS3_MODULES = frozenset({"ops", "config", "random", "tree", "quantizers", "dtype_policies", "distribution"})


def keras3_modules(tree: ast.Module) -> list[str]:
    """Keras 3-only modules the file imports (``from keras import backend as K, ops``,
    ``import keras.ops``, ``keras.ops.mean`` after ``import keras``): a file that also reads
    Keras 2 backend names is Keras 3 code with a TFS501 bug, not Keras 2 code, so tf_keras
    cannot import it."""
    found: list[str] = []
    keras_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                head, _, rest = alias.name.partition(".")
                if head == "keras" and rest.split(".")[0] in KERAS3_MODULES:
                    found.append(alias.name)
                elif alias.name == "keras":
                    keras_names.add(alias.asname or "keras")
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module == "keras":
                found.extend(f"keras.{a.name}" for a in node.names if a.name in KERAS3_MODULES)
            elif node.module.split(".")[0] == "keras" and node.module.split(".")[1:2] and \
                    node.module.split(".")[1] in KERAS3_MODULES:
                found.append(node.module)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in keras_names and node.attr in KERAS3_MODULES:
            found.append(f"keras.{node.attr}")
    return sorted(set(found))


def keras2_names(tree: ast.Module) -> list[str]:
    """``K.<name>`` uses that Keras 3's ``keras.backend`` lacks, where K is Keras 3's backend."""
    aliases, keras_names = _keras_aliases(tree, "backend")
    direct: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module == "keras.backend":
            direct.extend(a.name for a in node.names if a.name not in KERAS3_BACKEND and a.name != "*")
        elif isinstance(node, ast.Assign) and _dotted(node.value) == "keras.backend":
            aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))
    if star_backend(tree) or "K" in implicit_aliases(tree):
        aliases.add("K")
    missing = list(direct)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases \
                and node.attr not in KERAS3_BACKEND:
            missing.append(node.attr)
        elif isinstance(node, ast.Attribute) and node.attr not in KERAS3_BACKEND and (
                _dotted(node.value) == "keras.backend" and _imports_keras(tree)
                or _dotted(node.value) in {f"{name}.backend" for name in keras_names}):
            missing.append(node.attr)
    return sorted(set(missing))


def _keras_aliases(tree: ast.Module, submodule: str) -> tuple[set[str], set[str]]:
    """The names the file binds Keras 3's ``keras.<submodule>`` to (``from keras import
    backend as K``, ``import keras.ops as ops``), and those it binds ``keras`` itself to
    (``import keras as k``: then ``k.backend.int_shape``)."""
    aliases: set[str] = set()
    keras_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == f"keras.{submodule}" and alias.asname:
                    aliases.add(alias.asname)
                elif alias.name == "keras":
                    keras_names.add(alias.asname or "keras")
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module == "keras":
            aliases.update(a.asname or a.name for a in node.names if a.name == submodule)
    return aliases, keras_names


def keras2_ops_names(tree: ast.Module) -> list[str]:
    """``ops.<name>`` uses of Keras 2 backend names that Keras 3's ``keras.ops`` never had
    (``from keras import ops``; ``ops.pow``): a port from ``K.*`` that kept the old name
    (TFS501). tf_keras's backend has each, so the keras3_k2 flavour fills them in."""
    aliases, keras_names = _keras_aliases(tree, "ops")
    table = keras_table()
    have = frozenset(table["names"]["keras.ops"])
    found = {node.attr for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr not in have and node.attr in table["backend"]
             and (isinstance(node.value, ast.Name) and node.value.id in aliases
                  or _dotted(node.value) in {f"{name}.ops" for name in keras_names})}
    return sorted(found)


def keras22_names(tree: ast.Module) -> list[str]:
    """Keras 2.2 backend names (see ``KERAS22_BACKEND``) the file reads from a backend it binds,
    ``keras.backend`` or ``tensorflow.keras.backend`` (``from tensorflow.keras import backend as
    K; K.logsumexp``): no Keras at hand has them, the tf_keras worker's shim does."""
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update(a.asname for a in node.names
                           if a.asname and a.name in ("keras.backend", "tensorflow.keras.backend"))
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module in ("keras", "tensorflow.keras"):
            aliases.update(a.asname or a.name for a in node.names if a.name == "backend")
    found = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr in KERAS22_BACKEND
             and (isinstance(node.value, ast.Name) and node.value.id in aliases
                  or _dotted(node.value) in ("keras.backend", "tf.keras.backend", "tensorflow.keras.backend"))}
    return sorted(found)


#: the loss functions ``tf.keras.losses``/``tf.keras.metrics`` had under Keras 2 and lack under
#: Keras 3 (measured on TF 2.21 with Keras 3.15 against tf_keras 2.21)
TF_KERAS_REMOVED_LOSSES = frozenset({"kl_divergence", "log_cosh", "mean_absolute_error",
                                     "mean_absolute_percentage_error", "mean_squared_error",
                                     "mean_squared_logarithmic_error"})


def tf_keras_removed_losses(tree: ast.Module) -> list[str]:
    """``tf.keras.losses.mean_squared_error`` and the like: names the file reads from
    ``tf.keras.losses``/``tf.keras.metrics`` (spelled so, or through ``from tensorflow.keras
    import losses``) that Keras 3 lacks and tf_keras has."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in TF_KERAS_REMOVED_LOSSES:
            owner = _dotted(node.value) or ""
            if owner.endswith(("keras.losses", "keras.metrics")) and owner.startswith(("tf.", "tensorflow.")):
                found.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and (node.module or "") in (
                "tensorflow.keras.losses", "tensorflow.keras.metrics"):
            found.update(a.name for a in node.names if a.name in TF_KERAS_REMOVED_LOSSES)
    return sorted(found)


def adds_metrics(tree: ast.Module) -> bool:
    """``self.add_metric(...)`` / ``model.add_metric(...)``: Keras 2's ``Layer.add_metric``, which
    Keras 3 keeps only to raise ``NotImplementedError`` (a layer that adds a loss and a metric
    in its ``call`` stops there before its loss is ever used)."""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_metric"
               for node in ast.walk(tree))


#: conventional aliases a file may use without importing them (a snippet cut out of a notebook or
#: a module whose imports were lost), and the import each conventionally stands for
CONVENTIONAL_ALIASES = {"tf": "import tensorflow as tf", "np": "import numpy as np",
                        "K": "from keras import backend as K"}


def implicit_aliases(tree: ast.Module) -> dict[str, str]:
    """``tf``/``np``/``K`` read in the file but bound nowhere in it (no import, assignment,
    definition or parameter of that name), with the import to run for each: run as written the
    loss stops on a ``NameError`` before it reaches any finding, and these names have one
    meaning in TensorFlow code. ``K`` given by a Keras 2 star import is left to that rule."""
    uses = name_uses(ast.walk(tree))
    if uses.star:
        return {}  # a star import may bind any of them
    return _unbound_aliases(uses)


def star_aliases(tree: ast.Module) -> dict[str, str]:
    """As :func:`implicit_aliases`, for a file with a star import (``from layers.feed_forward
    import *``): the names it reads and binds nowhere, which the star import probably gave. The
    probe binds them only where that import failed (a project module not at hand); ``K`` of a
    Keras 2 star import is left to :func:`star_backend`."""
    uses = name_uses(ast.walk(tree))
    if not uses.star:
        return {}
    found = _unbound_aliases(uses)
    if "K" in found and star_backend(tree):
        del found["K"]
    return found


def _unbound_aliases(uses: NameUses) -> dict[str, str]:
    """The conventional aliases the file reads and binds nowhere, with the import for each."""
    return {name: stmt for name, stmt in CONVENTIONAL_ALIASES.items() if name in uses.read and name not in uses.bound}


def star_backend(tree: ast.Module) -> bool:
    """``from keras.layers import *`` (or ``keras.models``) with ``K`` used but never bound:
    Keras 2.2's layer modules did ``from .. import backend as K``, so the star import gave ``K``."""
    stars = any(isinstance(n, ast.ImportFrom) and not n.level and (n.module or "").startswith("keras.")
                and n.module != "keras.backend" and any(a.name == "*" for a in n.names) for n in tree.body)
    if not stars:
        return False
    bound = any(isinstance(n, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name) == "K" for a in n.names)
                or isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "K" for t in n.targets)
                for n in ast.walk(tree))
    used = any(isinstance(n, ast.Name) and n.id == "K" for n in ast.walk(tree))
    return used and not bound


def _imports_keras(tree: ast.Module) -> bool:
    """Whether the file binds the name ``keras`` to Keras itself: ``import keras``, or
    ``import keras.backend`` (which binds ``keras`` too)."""
    return any(isinstance(n, ast.Import) and any(a.name == "keras" or (a.name.startswith("keras.") and not a.asname)
                                                 for a in n.names) for n in ast.walk(tree))


def legacy_reduction(tree: ast.Module) -> bool:
    """A ``Reduction.AUTO`` / ``reduction='auto'`` / ``losses_utils`` use: Keras 3's Loss rejects it.

    A legacy default of a parameter the function never reads (``__init__(self,
    reduction=Reduction.AUTO)`` that passes ``reduction=None`` on) reaches no Loss: Keras 3
    builds that class, so it does not count."""
    unread = _unread_defaults(tree)
    for node in ast.walk(tree):
        if id(node) in unread:
            continue
        if isinstance(node, ast.Attribute) and node.attr in _LEGACY_REDUCTIONS and \
                isinstance(node.value, ast.Attribute | ast.Name) and _last(node.value) in ("Reduction", "ReductionV2"):
            return True
        if isinstance(node, ast.keyword) and node.arg == "reduction" and isinstance(node.value, ast.Constant) \
                and node.value.value in _LEGACY_REDUCTIONS:
            return True
        if isinstance(node, ast.Name) and node.id == "losses_utils":
            return True
    return False


def positional_reduction(tree: ast.Module) -> bool:
    """``super().__init__(reduction, name)``: tf_keras's Loss takes the reduction first, Keras 3's
    takes the name first and then rejects the name as a reduction (``Invalid value for argument
    `reduction```)."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"
                and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name)
                and node.func.value.func.id == "super" and node.args):
            continue
        first = node.args[0]
        if isinstance(first, ast.Name) and first.id == "reduction" or \
                isinstance(first, ast.Attribute) and _last(first.value) in ("Reduction", "ReductionV2"):
            return True
    return False


def _unread_defaults(tree: ast.Module) -> set[int]:
    """The ids of every node inside the defaults of parameters their function never reads."""
    found: set[int] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        read = {n.id for stmt in fn.body for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        positional = fn.args.posonlyargs + fn.args.args
        pairs = list(zip(positional[len(positional) - len(fn.args.defaults):], fn.args.defaults))
        pairs += [(a, d) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None]
        for arg, default in pairs:
            if arg.arg not in read or _stored_then_reset(fn, arg.arg):
                found.update(id(n) for n in ast.walk(default))
    return found


def _stored_then_reset(fn: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> bool:
    """``self.reduction = reduction`` and then ``super().__init__(**kwargs)`` with no reduction:
    the base ``Loss`` constructor sets ``self.reduction`` again, so the default reaches no Loss
    (TFS501 reads it the same way)."""
    if fn.name != "__init__":
        return False
    reads = [n for stmt in fn.body for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == param]
    stored = [i for i, stmt in enumerate(fn.body) if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
              and isinstance(stmt.value, ast.Name) and stmt.value.id == param and _dotted(stmt.targets[0]) == "self.reduction"]
    resets = [i for i, stmt in enumerate(fn.body) if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
              and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "__init__"
              and not any(k.arg == "reduction" for k in stmt.value.keywords)
              and not any(isinstance(n, ast.Name) and n.id == param for n in ast.walk(stmt))]
    return bool(stored) and len(reads) == len(stored) and bool(resets) and max(stored) < min(resets)


def _last(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _dotted(node: ast.AST) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def project_paths(path: str) -> list[str]:
    """The file's folder, the folder above its top package (so that the package imports by its
    own name) and its project root (nearest pyproject.toml/setup.cfg/.git above it)."""
    try:
        here = Path(path).resolve().parent
    except (OSError, RuntimeError):
        return []
    if not here.is_dir():
        return []
    out = [str(here)]
    package, top = _package(here)
    if package and str(top) not in out:
        out.append(str(top))
    for folder in [here, *here.parents]:
        if any((folder / marker).exists() for marker in _ROOT_MARKERS):
            if str(folder) not in out:
                out.append(str(folder))
            break
    return out


def package_of(path: str) -> str:
    """The dotted package the file belongs to (``proj.losses`` for ``proj/losses/focal.py`` when
    both folders hold an ``__init__.py``), "" outside a package: the probe program runs as a
    module of it, so that the file's relative imports (``from .base import BaseLoss``) resolve."""
    try:
        here = Path(path).resolve().parent
    except (OSError, RuntimeError):
        return ""
    return _package(here)[0]


def _package(folder: Path) -> tuple[str, Path]:
    """(dotted package name, the folder above its top level) for the folder of a file."""
    names: list[str] = []
    while (folder / "__init__.py").is_file() and folder.name.isidentifier() and folder.parent != folder:
        names.insert(0, folder.name)
        folder = folder.parent
    return ".".join(names), folder


# -- shapes ----------------------------------------------------------------------------------------
@dataclass
class _Needs:
    rank: int = 2
    last: int = 0
    #: how wide the middle (spatial, time) axes must be: ``x[:, :img_rows - 1, ...]`` with a
    #: module-level ``img_rows = 128`` pairs with ``x[:, 1:, ...]`` only at exactly 128
    middle: int = 0
    reshapes: list[tuple[int, ...]] | None = None
    #: ints the scope binds by name (parameter defaults, ``ind = int(size * 2)``), for slice bounds
    names: dict[str, int] | None = None
    #: ``tf.split(y_pred, k, axis=-1)``: predictions packing k parameters per value
    split: int = 0
    #: the loss compares images (``tf.image.ssim``): float images of three channels, or of one
    #: for ``ssim_multiscale`` (it filters every channel at five scales of 161x161)
    images: bool = False
    #: names bound to a last-axis slice of another name from a column on (``cov = p[:, 8:]``):
    #: that column, so ``cov[:, 5]`` asks ``p`` for 8 + 6 columns
    offsets: dict[str, int] | None = None


def infer_layouts(tree: ast.Module, qualname: str, path: str = "", pred_first: bool = False) -> list[dict[str, Any]]:
    """Per-sample layouts the loss body implies, best first, then a ladder of ranks up to 5.

    Each is ``{"true": shape, "pred": shape, "labels": kind, "activation": act}`` without the
    batch axis. Empty when the body asks for nothing beyond the default ``(B, C)`` layouts.
    ``path`` (the file's place in its project) lets integers the file imports from the
    project's own modules (``from config import embedding_size``) size the slices too.
    ``pred_first``: the signature names the prediction first (``loss(logits, labels)``).
    """
    scope = _scope_node(tree, qualname)
    if scope is None:
        return []
    module = _module_ints(tree, imported_ints(tree, path) if path else {})
    outer = module | _enclosing_ints(tree, qualname) | _self_ints(tree, qualname)
    needs = _Needs(reshapes=[], names=_int_names(scope, outer))
    parts = [scope, *_called_helpers(tree, scope)]
    needs.offsets = _column_offsets(parts, needs.names or {})
    shapes = {t.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Assign) and _is_shape(n.value)
              for t in n.targets if isinstance(t, ast.Name)}
    ranks: list[int] = []
    for node in (n for part in parts for n in ast.walk(part)):
        if isinstance(node, ast.Subscript):
            _from_subscript(node, needs)
            _from_shape_index(node, shapes, needs)
        elif isinstance(node, ast.Call):
            _from_call(node, needs)
        elif isinstance(node, ast.Compare):
            ranks.extend(_rank_tests(node))
        elif isinstance(node, ast.Assign):
            needs.rank = max(needs.rank, _unpacked_rank(node))
    if ranks:
        # ``if len(shape) == 4: ... elif len(shape) == 5: ... else: raise``: the smallest rank
        # the loss (or a helper it calls) accepts, and the ladder above it
        needs.rank = max(needs.rank, min(ranks))
    out: list[dict[str, Any]] = []
    if _ctc(scope):
        # a CTC loss: label sequences (shorter than half the frames) against per-frame scores
        # over the classes and a blank
        out.append({"true": [2], "pred": [MIDDLE + 3, 5], "labels": "ctc", "activation": "softmax"})
    if _sparse_crossentropy(scope):
        # integer class labels, one rank below the scores: per token (a sequence, where a
        # padding mask of the labels has the loss's own shape), then per sample
        out.append({"true": [MIDDLE], "pred": [MIDDLE, 3], "labels": "sparse", "activation": "softmax"})
        out.append({"true": [1], "pred": [3], "labels": "sparse", "activation": "softmax"})
    names = _label_and_prediction(scope)[::-1] if pred_first else _label_and_prediction(scope)
    hot = _one_hot_depth(scope, names[0], needs.names or {}) if names else None
    if hot is not None:
        # ``tf.one_hot(labels, depth)``: the labels are class indices (int32, TensorFlow's own
        # integer: ``tf.bincount`` of TF 1 takes no other), one rank below the scores: per
        # sample, per token, per pixel; ``one_hot(squeeze(labels))``: with a trailing axis of 1,
        # an image's pixels first (a squeeze without axis then also drops a batch of one)
        depth, squeezed = hot
        spatials = ([MIDDLE, MIDDLE], [MIDDLE], []) if squeezed else ([], [MIDDLE], [MIDDLE, MIDDLE])
        for spatial in spatials:
            true = [*spatial, 1] if squeezed else spatial
            out.append({"true": true, "pred": [*spatial, depth], "labels": "sparse32", "activation": "softmax"})
        if not squeezed:
            out.append({"true": [1], "pred": [depth], "labels": "sparse32", "activation": "softmax"})
    if any(_pairwise_equality(part) for part in parts):
        # ``tf.equal(tf.expand_dims(labels, 0), tf.expand_dims(labels, 1))``: a batch-hard or
        # batch-all triplet loss over embeddings, whose labels are one class id per sample
        out.append({"true": [], "pred": [3], "labels": "sparse", "activation": "signed"})
    body = _loss_body(scope, qualname)
    label_parts = _label_split(scope, names[0]) if names else 0
    if label_parts:
        # ``target, mask = tf.split(y_true, 2, axis=-1)``: the labels pack k parts (a target
        # and its mask) per predicted channel, at the rank the loss and its helpers need
        spatial = [MIDDLE] * (max(needs.rank, 2) - 2)
        out.append({"true": [*spatial, label_parts], "pred": [*spatial, 1], "labels": "float",
                    "activation": "sigmoid"})
    columns = _label_columns(body)
    if columns:
        # labels that pack several columns (a return, a volatility, a sign) against one output
        out.append({"true": [columns], "pred": [1], "labels": "float", "activation": "sigmoid"})
    for grid_true, grid_pred in _sliced_reshapes(body, names, needs.names or {}):
        # ``pre = y_pred[..., 3:11]`` reshaped to ``[-1, 7, 7, 2, 4]`` (YOLO's boxes per cell): the
        # inputs are (7, 7, C) grids, each as wide as the columns the loss slices from it
        out.append({"true": list(grid_true), "pred": list(grid_pred), "labels": "float", "activation": "sigmoid"})
    for shape in needs.reshapes or []:
        out.append(_layout(shape, "float", "sigmoid"))
    extra = _packed_columns(body)
    if extra:
        # the prediction carries ``extra`` columns more than the labels (a variance, a weight)
        for width in (1, 3):
            out.append({"true": [width], "pred": [width + extra], "labels": "float", "activation": "sigmoid"})
    if needs.split:
        # one label value against k predicted parameters of it (an evidential or Gaussian head)
        out.append({"true": [1], "pred": [needs.split], "labels": "float", "activation": "sigmoid"})
    trailing = _trailing_label_columns(body)
    if trailing:
        # the labels carry ``trailing`` channels after the values the prediction reconstructs
        # (an anomaly flag concatenated to an autoencoder's inputs, a coverage map after an image)
        spatial = [MIDDLE] * (max(needs.rank, 2) - 2)
        for width in (3, 1):
            out.append({"true": [*spatial, width + trailing], "pred": [*spatial, width], "labels": "float",
                        "activation": "sigmoid"})
    for rank, axis, width in _halved_labels(body, needs.names or {}):
        # ``y_true[:, :, :, :4 * k]`` weights and ``y_true[:, :, :, 4 * k:]`` targets against a
        # prediction as wide as one half (Faster R-CNN's region-proposal losses, either axis)
        true, pred = [MIDDLE] * (max(rank, needs.rank) - 1), [MIDDLE] * (max(rank, needs.rank) - 1)
        true[axis - 1], pred[axis - 1] = 2 * width, width
        out.append({"true": true, "pred": pred, "labels": "float", "activation": "sigmoid"})
    rows = _trailing_label_rows(body)
    if rows:
        # the labels carry ``rows`` extra time steps after the values (a sequence length in the
        # last row) that the loss slices off before comparing them with the prediction
        for width in (3, 1):
            out.append({"true": [MIDDLE + rows, width], "pred": [MIDDLE, width], "labels": "float",
                        "activation": "sigmoid"})
    if needs.rank <= 2 and needs.last <= 3:
        return out
    # one middle axis (a sequence) may be as long as the file asks; several multiply
    size = needs.middle if 2 <= needs.middle <= (MAX_SEQUENCE if needs.rank <= 3 else MAX_MIDDLE) else MIDDLE
    # a last-axis need as wide as the image is the channels-first spelling of the same slices
    channels = max(needs.last, 3) if not (needs.middle and needs.last >= needs.middle - 1) else 3
    if needs.images:
        # colour images where they are cheap (ssim's 11x11), one channel at ssim_multiscale's
        # 161x161: a per-image term against per-pixel ones only shows with channels != batch
        channels = max(needs.last, 1 if needs.middle > 64 else 3)
    for rank in range(max(needs.rank, 2), 6):
        # the file's own size only at the rank its slices ask for (a 128-wide rank-5 input is
        # 25M values: the probe's time budget, not a layout the loss needs)
        middle = (size if rank == max(needs.rank, 2) else MIDDLE,) * (rank - 2)
        if needs.images:
            out.append(_layout(middle + (channels,), "float", "sigmoid"))
            continue
        out.append(_layout(middle + (channels,), "onehot", "softmax"))
        if needs.last <= 1:
            out.append(_layout(middle + (1,), "binary", "sigmoid"))
        out.append(_layout(middle + (channels,), "float", "sigmoid"))
    return out + _packed_maps(body, needs.rank)


def _pairwise_equality(scope: ast.AST) -> bool:
    """Whether ``scope`` compares a name with itself across two expanded axes
    (``tf.equal(tf.expand_dims(labels, 0), tf.expand_dims(labels, 1))``, or ``==``): the pairwise
    comparison of a batch of class ids that batch-hard/batch-all triplet losses build. A pairwise
    distance of predictions (``expand_dims(y_pred, 0) - expand_dims(y_pred, 1)``) is no such test."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Call) and call_name(node) in ("equal", "not_equal") and len(node.args) >= 2:
            pair = node.args[:2]
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            pair = [node.left, node.comparators[0]]
        else:
            continue
        expanded = [_expanded_name(operand) for operand in pair]
        if expanded[0] is not None and expanded[1] is not None and expanded[0][0] == expanded[1][0] \
                and {expanded[0][1], expanded[1][1]} == {0, 1}:
            return True
    return False


def _expanded_name(node: ast.AST) -> tuple[str, int] | None:
    """(name, axis) for ``expand_dims(name, axis)`` with axis 0 or 1, else None."""
    if not (isinstance(node, ast.Call) and call_name(node) == "expand_dims" and node.args
            and isinstance(node.args[0], ast.Name)):
        return None
    axis = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "axis"), None)
    if isinstance(axis, ast.Constant) and isinstance(axis.value, int) and axis.value in (0, 1):
        return node.args[0].id, int(axis.value)
    return None


def _label_and_prediction(scope: ast.AST) -> list[str]:
    """The loss function's (labels, prediction) parameter names; [] for anything else."""
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    params = positional_params(scope)
    return params[:2] if len(params) >= 2 else []


def _sliced_reshapes(body: ast.AST, names: list[str],
                     ints: dict[str, int]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Per-sample (labels, prediction) shapes when the loss reshapes a last-axis slice of an
    input (``loc = y_pred[..., 3:11]``, then ``reshape(loc, [-1, 7, 7, 2, 4])``): the leading
    target axes whose product times the slice's width makes the target's size are the input's
    own axes (7, 7), and its last axis is as wide as the widest slice the loss takes of it
    (11 columns). Where axes of 1 follow the grid in the target (``[-1, 50, 1, 1, 4]``: 50 cells
    of one row, one box each), the grid with them is as consistent, and follows. Empty unless
    that gives a grid for at least one input."""
    if len(names) < 2:
        return []
    slices: dict[str, tuple[str, int, int | None]] = {}  # local name -> (input, start, stop)
    widest = {name: 0 for name in names}
    grids: dict[str, tuple[int, ...]] = {}
    ones = 0  # axes of 1 after the first grid found, in its reshape target
    for node in ast.walk(body):
        cut = _last_axis_cut(node, names, ints)
        if cut is not None:
            # ``y[..., 3:11]`` needs 11 columns; ``y[..., 8:]`` at least one past its start
            widest[cut[0]] = max(widest[cut[0]], cut[2] if cut[2] is not None else cut[1] + 1)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            cut = _last_axis_cut(node.value, names, ints)
            if cut is not None:
                slices[node.targets[0].id] = cut
    open_ended: list[tuple[str, int, list[int]]] = []  # (input, start, reshape target) of ``y[..., 22:]``
    for node in ast.walk(body):
        if not (isinstance(node, ast.Call) and call_name(node) == "reshape" and len(node.args) >= 2
                and isinstance(node.args[1], (ast.List, ast.Tuple))):
            continue
        # the slice bound to a name first (``boxes = y_pred[..., 22:]``) or reshaped as it is taken
        cut = slices.get(node.args[0].id) if isinstance(node.args[0], ast.Name) \
            else _last_axis_cut(node.args[0], names, ints)
        if cut is None:
            continue
        source, start, stop = cut
        dims = [_int_of(e, ints) for e in node.args[1].elts]
        if len(dims) < 3 or dims[0] != -1 or any(d is None or d <= 0 for d in dims[1:]):
            continue
        target = [int(d) for d in dims[1:] if d is not None]
        if stop is None:
            open_ended.append((source, start, target))
            continue
        grid_of = _reshaped_grid(target, stop - start)
        if grid_of is not None:
            if not grids:
                rest = target[len(grid_of):-1]
                ones = min(next((i for i, d in enumerate(rest) if d != 1), len(rest)), 3 - len(grid_of))
            grids.setdefault(source, grid_of)
    if not grids:
        return []
    grid = next(iter(grids.values()))
    for source, start, target in open_ended:
        # ``y_pred[..., 22:]`` reshaped to ``[-1, 7, 7, 2, 4]`` on the (7, 7) grid: the slice holds
        # 2 * 4 columns, so the input is 22 + 8 wide
        lead, size = math.prod(grid), math.prod(target)
        if target[:len(grid)] == list(grid) and size % lead == 0:
            widest[source] = max(widest[source], start + size // lead)
    out = []
    for extra in range(ones + 1):
        true = (*grids.get(names[0], grid), *(1,) * extra, max(widest[names[0]], 1))
        pred = (*grids.get(names[1], grid), *(1,) * extra, max(widest[names[1]], 1))
        if len(true) == len(pred):
            out.append((true, pred))
    return out


def _reshaped_grid(target: list[int], width: int) -> tuple[int, ...] | None:
    """The leading axes of a reshape ``target`` (at most 3) whose product times ``width``
    columns makes the target's size: the grid a slice of that many columns spreads over."""
    size, lead = math.prod(target), 1
    for j in range(len(target) - 1):
        lead *= target[j]
        if lead * width == size and 1 <= j + 1 <= 3:
            return tuple(target[:j + 1])
    return None


def _last_axis_cut(node: ast.AST, names: list[str], ints: dict[str, int]) -> tuple[str, int, int | None] | None:
    """(input, start, stop) for ``y[..., a:b]`` / ``y[:, :, :, a:b]`` of an input with its start
    known (stop None for ``y[..., a:]``), or (input, k, k + 1) for the column ``y[..., k]``."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in names):
        return None
    *leading, last = _indices(node)
    column = _int_of(last, ints) if not isinstance(last, ast.Slice) else None
    if (column is None or column < 0) and (not isinstance(last, ast.Slice) or last.step is not None):
        return None
    if not leading or not all(isinstance(e, ast.Constant) and e.value is Ellipsis or isinstance(e, ast.Slice)
                              and e.lower is None and e.upper is None for e in leading):
        return None
    if column is not None:
        return node.value.id, column, column + 1
    assert isinstance(last, ast.Slice)
    start = _int_of(last.lower, ints) if last.lower is not None else 0
    if last.upper is None:
        return (node.value.id, start, None) if start is not None and start > 0 else None
    stop = _int_of(last.upper, ints)
    if start is None or stop is None or not 0 <= start < stop:
        return None
    return node.value.id, start, stop


def _packed_columns(scope: ast.AST) -> int:
    """``k`` when the loss takes ``y_pred[:, k:]`` (or ``[..., k:]``) and never slices its labels
    so: a prediction that packs ``k`` extra columns (an uncertainty, mixture weights) before
    the values compared with the labels, so it is ``k`` columns wider than ``y_true``."""
    params = _label_and_prediction(scope)
    if not params:
        return 0
    starts: dict[str, set[int]] = {params[0]: set(), params[1]: set()}
    for node in ast.walk(scope):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in starts:
            elts = _indices(node)
            last = elts[-1] if len(elts) == 2 else None
            if isinstance(last, ast.Slice) and last.upper is None and last.step is None:
                start = _int(last.lower) if last.lower is not None else None
                if start:
                    starts[node.value.id].add(start)
    found = starts[params[1]]
    return min(found) if found and not starts[params[0]] and len(found) == 1 else 0


def _trailing_label_columns(scope: ast.AST) -> int:
    """``k`` when the loss takes ``y_true[:, :-k]`` (or ``[:, :, :, :-k]``: the values) and never
    slices its prediction's last axis: labels ``k`` channels wider than the prediction, the
    extra ones after it."""
    params = _label_and_prediction(scope)
    if not params:
        return 0
    found: set[int] = set()
    for node in ast.walk(scope):
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                and node.value.id in params[:2] and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) >= 2):
            continue
        last = node.slice.elts[-1]
        if not isinstance(last, ast.Slice):
            continue
        if node.value.id == params[1]:
            return 0
        upper = _int(last.upper) if last.upper is not None and last.lower is None and last.step is None else None
        if upper is not None and upper < 0:
            found.add(-upper)
    return found.pop() if len(found) == 1 else 0


def _halved_labels(scope: ast.AST, names: dict[str, int]) -> list[tuple[int, int, int]]:
    """(rank, axis, width) for each axis the loss cuts its labels at one bound into a head and a
    tail (``y_true[:, :, :, :4 * k]`` and ``y_true[:, :, :, 4 * k:]``): labels packing two parts of
    ``width`` each (a weight mask and the targets) where the prediction holds one. A bound's
    names unknown here (a factory argument the file never passes) count 1, as the parameter
    binding for a never-called factory binds a slice bound."""
    params = _label_and_prediction(scope)
    if not params:
        return []
    heads: dict[tuple[int, int, str], ast.expr] = {}
    tails: set[tuple[int, int, str]] = set()
    for node in ast.walk(scope):
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == params[0]
                and isinstance(node.slice, ast.Tuple)):
            continue
        elts = node.slice.elts
        if any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elts):
            continue
        for i, elt in enumerate(elts):
            if i == 0 or not isinstance(elt, ast.Slice) or elt.step is not None or (elt.lower is None) == (elt.upper is None):
                continue
            bound = elt.upper if elt.lower is None else elt.lower
            if bound is None:
                continue
            key = (len(elts), i, ast.dump(bound))
            if elt.lower is None:
                heads[key] = bound
            else:
                tails.add(key)
    out = []
    for key, bound in heads.items():
        if key not in tails:
            continue
        unknown = {n.id: 1 for n in ast.walk(bound) if isinstance(n, ast.Name) and n.id not in names}
        width = _int_of(bound, {**names, **unknown})
        if width is not None and 1 <= width <= 16:
            out.append((key[0], key[1], width))
    return out


def _trailing_label_rows(scope: ast.AST) -> int:
    """``k`` when the loss takes ``tf.slice(y_true, [0, 0, ...], [-1, t - k, ...])`` with
    ``t = tf.shape(y_true)[1]`` (or that expression itself): its labels hold ``k`` time steps
    more than the values it compares, the extra ones last; 0 otherwise."""
    params = _label_and_prediction(scope)
    if not params:
        return 0
    lengths = {t.id for n in ast.walk(scope) if isinstance(n, ast.Assign) and _axis_one_of(n.value, params[0])
               for t in n.targets if isinstance(t, ast.Name)}
    for node in ast.walk(scope):
        if not (isinstance(node, ast.Call) and _last(node.func) == "slice" and len(node.args) >= 3
                and isinstance(node.args[0], ast.Name) and node.args[0].id == params[0]
                and isinstance(node.args[2], (ast.List, ast.Tuple)) and len(node.args[2].elts) >= 2):
            continue
        size = node.args[2].elts[1]
        if isinstance(size, ast.BinOp) and isinstance(size.op, ast.Sub) and (
                isinstance(size.left, ast.Name) and size.left.id in lengths or _axis_one_of(size.left, params[0])):
            k = _int(size.right)
            if k is not None and 1 <= k <= 3:
                return k
    return 0


def _axis_one_of(node: ast.AST, name: str) -> bool:
    """``tf.shape(name)[1]`` / ``name.shape[1]``: the length of axis 1 of ``name``."""
    return isinstance(node, ast.Subscript) and _int(node.slice) == 1 and _is_shape(node.value) and (
        isinstance(node.value, ast.Call) and bool(node.value.args) and isinstance(node.value.args[0], ast.Name)
        and node.value.args[0].id == name
        or isinstance(node.value, ast.Attribute) and isinstance(node.value.value, ast.Name) and node.value.value.id == name)


def _label_columns(scope: ast.AST, channels: bool = False) -> int:
    """``k + 1`` for the largest ``k`` of ``y_true[:, k]`` when the loss picks its labels'
    columns one by one and never indexes its prediction: labels that carry several values per
    sample against a one-column prediction; 0 otherwise. With ``channels``, a prediction
    indexed only by its last axis (``y_pred[..., 0]``) counts too: labels that pack a target
    and a weight map on axis 1 against a one-channel image (see ``_packed_maps``)."""
    params = _label_and_prediction(scope)
    if not params:
        return 0
    picked: list[int] = []
    # ``output = output[..., 0]``: later subscripts of the name index the picked channel
    rebound = channels and any(
        isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
        and n.targets[0].id == params[1] and isinstance(n.value, ast.Subscript)
        and isinstance(n.value.value, ast.Name) and n.value.value.id == params[1] and _last_axis_pick(n.value.slice)
        for n in ast.walk(scope))
    for node in ast.walk(scope):
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)):
            continue
        if node.value.id == params[1]:
            if rebound or (channels and _last_axis_pick(node.slice)):
                continue
            return 0
        if node.value.id == params[0] and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2:
            column = _int(node.slice.elts[1])
            if column is not None and column >= 0:
                picked.append(column)
    return max(picked) + 1 if len(picked) >= 2 else 0


def _last_axis_pick(index: ast.AST) -> bool:
    """``[..., k]``: one channel of the last axis."""
    return (isinstance(index, ast.Tuple) and len(index.elts) == 2 and isinstance(index.elts[0], ast.Constant)
            and index.elts[0].value is Ellipsis and _int(index.elts[1]) is not None)


def _packed_maps(scope: ast.AST, rank: int) -> list[dict[str, Any]]:
    """Labels ``(B, k, H, W)`` that stack a target and its weight map on axis 1 (``label,
    weight = y_true[:, 0], y_true[:, 1]``) against a ``(B, H, W, 1)`` prediction, when the loss
    reduces maps of ``rank`` axes (``axis=[1, 2]``): the last layout tried."""
    columns = _label_columns(scope, channels=True) if rank >= 3 else 0
    if not columns:
        return []
    maps = [MIDDLE] * (rank - 1)
    return [{"true": [columns, *maps], "pred": [*maps, 1], "labels": "float", "activation": "sigmoid"}]


def _called_helpers(tree: ast.Module, scope: ast.AST, depth: int = 2) -> list[ast.FunctionDef]:
    """The file's top-level functions the loss calls by name (and those they call, ``depth``
    levels): ``rmse(y_true, y_pred) + total_variation(y_true, y_pred)`` takes its inputs' rank
    from what the helpers index and reduce."""
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    found: list[ast.FunctionDef] = []
    frontier: list[ast.AST] = [scope]
    for _ in range(depth):
        called = [defs[n.func.id] for part in frontier for n in ast.walk(part)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in defs]
        new = [d for d in dict.fromkeys(called) if d is not scope and d not in found]
        found.extend(new)
        frontier = list(new)
    return found


def _ctc(scope: ast.AST) -> bool:
    """The loss calls a CTC loss (``tf.nn.ctc_loss``, ``K.ctc_batch_cost``, ``ops.ctc_loss``)."""
    return any(isinstance(node, ast.Call) and "ctc" in _dotted(node.func).rsplit(".", 1)[-1].lower()
               for node in ast.walk(scope))


def _one_hot_depth(scope: ast.AST, labels: str, ints: dict[str, int]) -> tuple[int, bool] | None:
    """(the depth of a ``one_hot`` of the labels (or of a value computed from them: a reshape, a
    cast), 3 where the depth is not a number the file gives; whether its indices squeeze them);
    None if no ``one_hot`` reads them. Such labels are class indices: float labels make
    ``one_hot`` raise before the bug is reached."""
    derived = {labels}
    assigns = [n for n in ast.walk(scope) if isinstance(n, ast.Assign)]
    grew = True
    while grew:
        grew = False
        for assign in assigns:
            if _reads_any(assign.value, derived):
                for target in assign.targets:
                    if isinstance(target, ast.Name) and target.id not in derived:
                        derived.add(target.id)
                        grew = True
    for node in ast.walk(scope):
        if not (isinstance(node, ast.Call) and call_name(node) == "one_hot"):
            continue
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        indices = node.args[0] if node.args else keywords.get("indices")
        if indices is None or not _reads_any(indices, derived):
            continue
        depth = node.args[1] if len(node.args) > 1 else keywords.get("depth", keywords.get("num_classes"))
        value = _int(depth) if depth is not None else None
        if value is None and isinstance(depth, ast.Name):
            value = ints.get(depth.id)
        squeezed = any(isinstance(n, ast.Call) and call_name(n) == "squeeze" for n in ast.walk(indices))
        return (value if value is not None and 2 <= value <= 64 else 3), squeezed
    return None


def _reads_any(node: ast.AST, names: set[str]) -> bool:
    """Whether ``node`` reads one of ``names`` as a value; reading its shape or dtype alone
    (``tf.shape(labels)[0]``, ``labels.shape``) does not count."""
    shape_reads = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr in ("shape", "dtype"):
            shape_reads.add(id(sub.value))
        elif isinstance(sub, ast.Call) and call_name(sub) in ("shape", "int_shape", "rank", "size") and sub.args:
            shape_reads.add(id(sub.args[0]))
    return any(isinstance(sub, ast.Name) and sub.id in names and id(sub) not in shape_reads for sub in ast.walk(node))


def _sparse_crossentropy(scope: ast.AST) -> bool:
    """The loss (or its class, ``__init__`` included) computes a sparse categorical
    crossentropy: its labels are class indices, not scores shaped like the prediction. A
    subclass of ``SparseCategoricalCrossentropy`` (``super().call(y_true, y_pred)``) too."""
    return any((isinstance(node, ast.Call) and _names_sparse_crossentropy(node.func))
               or (isinstance(node, ast.ClassDef) and any(_names_sparse_crossentropy(b) for b in node.bases))
               for node in ast.walk(scope))


def _names_sparse_crossentropy(node: ast.expr) -> bool:
    return "sparse_categorical" in _dotted(node).lower().replace("sparsecategorical", "sparse_categorical")


def ladder() -> list[dict[str, Any]]:
    """Ranks 3 to 5 for a loss whose body says nothing about its inputs (tried last)."""
    return [_layout((MIDDLE, 3), "onehot", "softmax"), _layout((MIDDLE, MIDDLE, 1), "binary", "sigmoid"),
            _layout((MIDDLE, MIDDLE, 3), "onehot", "softmax"), _layout((3, MIDDLE, MIDDLE, 2), "binary", "sigmoid")]


def _layout(shape: tuple[int, ...], labels: str, activation: str) -> dict[str, Any]:
    return {"true": list(shape), "pred": list(shape), "labels": labels, "activation": activation}


def _loss_body(scope: ast.AST, qualname: str) -> ast.AST:
    """The loss's own function: the method itself when the scope is its class."""
    if isinstance(scope, ast.ClassDef):
        name = qualname.split(".")[-1]
        return next((n for n in scope.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and n.name == name), scope)
    return scope


def _scope_node(tree: ast.Module, qualname: str) -> ast.AST | None:
    parts = qualname.split(".")
    if parts and parts[-1].startswith("<lambda>"):
        try:
            line = int(parts[-1].split("@", 1)[1])
        except (IndexError, ValueError):
            return None
        return next((n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == line), None)
    node: ast.AST = tree
    for i, part in enumerate(parts):
        found = next((n for n in _defs(node) if n.name == part), None)
        if found is None:
            return node if i else None
        node = found
        if isinstance(node, ast.ClassDef):
            return node
    return node


def _defs(node: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    for child in ast.walk(node):
        if child is not node and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child


def _from_subscript(node: ast.Subscript, needs: _Needs) -> None:
    if not isinstance(node.value, ast.Name):
        return
    elts = _indices(node)
    if any(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elts):
        return
    has_ellipsis = any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elts)
    plain = [e for e in elts if not (isinstance(e, ast.Constant) and e.value is Ellipsis)]
    if not has_ellipsis and len(plain) >= 2:
        needs.rank = max(needs.rank, len(plain))
    last = elts[-1]
    if has_ellipsis or len(plain) >= 2:
        offset = (needs.offsets or {}).get(node.value.id, 0)
        needs.last = max(needs.last, offset + _index_need(last, needs.names or {}))
    if not has_ellipsis and len(plain) >= 3:
        for middle in plain[1:-1]:
            if isinstance(middle, ast.Slice) and middle.lower is not None:
                # [:, 365:, :]: a spin-up period cut off the time axis, which must be longer
                needs.middle = max(needs.middle, _index_need(middle, needs.names or {}))
            upper = middle.upper if isinstance(middle, ast.Slice) else None
            if isinstance(upper, ast.BinOp) and isinstance(upper.op, ast.Sub) and isinstance(upper.left, ast.Name):
                size = (needs.names or {}).get(upper.left.id)  # [:, :rows - 1]: the axis is `rows` wide
                if size is not None:
                    needs.middle = max(needs.middle, size)


def _indices(node: ast.Subscript) -> list[ast.expr]:
    """The index of each axis a subscript names (``x[:, 0]``: two; ``x[0]``: one)."""
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def _column_offsets(parts: Iterable[ast.AST], names: dict[str, int]) -> dict[str, int]:
    """``cov = p[:, 8:]`` (or ``p[..., 8:]``): ``{"cov": 8}``, chained through slices of slices
    (``b = a[:, 2:]`` with ``a = p[:, 8:]`` is 10); a name bound twice is left out (its
    columns are not known to start anywhere in particular)."""
    found: dict[str, tuple[str, int]] = {}
    twice: set[str] = set()
    for node in (n for part in parts for n in ast.walk(part)):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        if name in found:
            twice.add(name)
        value = node.value
        if not (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name)):
            continue
        elts = _indices(value)
        ellipsis = any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elts)
        last = elts[-1]
        if not (ellipsis or len(elts) >= 2) or not isinstance(last, ast.Slice) or last.lower is None:
            continue
        start = _int_of(last.lower, names)
        if start and start > 0 and last.step is None:
            found[name] = (value.value.id, start)
    out: dict[str, int] = {}
    for name, (base, start) in found.items():
        if name in twice:
            continue
        seen = {name}
        while base in found and base not in seen and base not in twice:
            seen.add(base)
            base, more = found[base]
            start += more
        out[name] = start
    return out


def _rank_tests(node: ast.Compare) -> list[int]:
    """``len(shape) == 4`` (or ``x.ndim == 4``, ``len(K.int_shape(x)) == 5``): the ranks of 3 to 5
    a test of a length or rank asks for; [] for anything else."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq):
        return []
    left, right = node.left, node.comparators[0]
    sized = isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "len" \
        or isinstance(left, ast.Attribute) and left.attr in ("ndim", "rank")
    value = _int(right)
    return [value] if sized and value is not None and 3 <= value <= 5 else []


def _unpacked_rank(node: ast.Assign) -> int:
    """``b, h, w = y_true.shape`` (or ``K.int_shape(y_true)``): the rank the unpacking needs,
    3 to 5; 0 for anything else."""
    target = node.targets[0] if len(node.targets) == 1 else None
    if not isinstance(target, (ast.Tuple, ast.List)) or not _is_shape(node.value) \
            or any(isinstance(el, ast.Starred) for el in target.elts):
        return 0
    return len(target.elts) if 3 <= len(target.elts) <= 5 else 0


def _builds_axes(node: ast.AST | None) -> bool:
    """``tf.stack([...])`` (or ``expand_dims``): a value whose axes the loss made, so a permutation
    of it says nothing of the rank of the inputs (a 4x4 matrix stacked from per-sample values)."""
    return node is not None and call_name(node) in ("stack", "expand_dims")


def _is_shape(node: ast.AST) -> bool:
    """``x.shape``, ``K.int_shape(x)``, ``tf.shape(x)``, ``x.get_shape()`` (``.as_list()``)."""
    if isinstance(node, ast.Attribute) and node.attr == "shape":
        return True
    if isinstance(node, ast.Call):
        name = call_name(node)
        if name in ("int_shape", "shape") and node.args:
            return True
        if name in ("get_shape", "as_list") and isinstance(node.func, ast.Attribute):
            return True
    return False


def _from_shape_index(node: ast.Subscript, shapes: set[str], needs: _Needs) -> None:
    """``szp = K.int_shape(y_pred)`` then ``szp[3]`` (or ``y.shape[3]`` directly): the inputs
    have at least 4 axes (an index of 2 or more: smaller ones every layout has)."""
    base = node.value
    if not (_is_shape(base) or isinstance(base, ast.Name) and base.id in shapes):
        return
    index = _int(node.slice)
    if index is not None and index >= 2:
        needs.rank = max(needs.rank, min(index + 1, 5))


def _index_need(node: ast.AST, names: dict[str, int] | None = None) -> int:
    """How wide the indexed axis must be: ``[..., 2]`` needs 3, ``[:, :k]`` k, ``[:, k:]`` k + 1
    (an empty slice would hide whatever the loss computes from it); names resolve through
    ``names`` (``y_pred[:, :embedding_size]`` with ``embedding_size=128``)."""
    value = _int_of(node, names or {})
    if value is not None:
        return value + 1 if value >= 0 else -value
    if isinstance(node, ast.Slice):
        lower = _int_of(node.lower, names or {}) if node.lower else None
        upper = _int_of(node.upper, names or {}) if node.upper else None
        needs = [abs(upper) if upper is not None else 0]
        if lower is not None:
            needs.append(lower + 1 if lower >= 0 and upper is None else abs(lower))
        return min(max(needs), 1024)
    return 0


def _int_of(node: ast.AST, names: dict[str, int]) -> int | None:
    """A small integer expression: literals, bound names, + - * //, ``int(...)``."""
    value = _int(node)
    if value is not None:
        return value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return names.get(f"self.{node.attr}")
    if isinstance(node, ast.Subscript):
        # an item of a list of ints (``self.m[0]``, ``S[1]``), keyed as :func:`_item_ints` keys it
        base, index = _dotted(node.value), _int(node.slice)
        return names.get(f"{base}[{index}]") if base and index is not None else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int" and len(node.args) == 1:
        return _int_of(node.args[0], names)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
        a, b = _int_of(node.left, names), _int_of(node.right, names)
        if a is None or b is None or (isinstance(node.op, ast.FloorDiv) and b == 0):
            return None
        ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
        return ops.get(type(node.op), a // b if b else 0)
    return None


#: the widest middle axis a layout takes from the file's own sizes (an image of 256x256 at most)
MAX_MIDDLE = 256
MAX_SEQUENCE = 1024


def _module_ints(tree: ast.Module, imported: dict[str, int] | None = None) -> dict[str, int]:
    """Module-level integer constants, in order (``W = 128``, ``img_cols = W``), after the ones
    the module imports (``imported``)."""
    return _bind_ints(tree.body, dict(imported or {}))


def imported_ints(tree: ast.Module, path: str) -> dict[str, int]:
    """Integer constants the module imports by name from the project's own modules
    (``from config import embedding_size, margin`` with ``embedding_size = 128`` in the
    project's ``config.py``): a triplet loss slicing ``y_pred[:, s:2 * s]`` needs predictions
    that wide, or its slices come out empty and its distances constant. Modules are looked up
    where the worker imports them from (``project_paths``); only their top-level assignments
    are read, never run."""
    names: dict[str, int] = {}
    folders = [Path(p) for p in project_paths(path)]
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
            continue
        source = _module_file(node.module, folders)
        if source is None:
            continue
        try:
            values = _module_ints(ast.parse(source.read_text(encoding="utf-8", errors="replace")))
        except (SyntaxError, ValueError, OSError, RecursionError):
            continue
        for alias in node.names:
            if alias.name in values:
                names[alias.asname or alias.name] = values[alias.name]
    return names


def _module_file(module: str, folders: list[Path]) -> Path | None:
    """The project file ``module`` names (``pkg/mod.py`` or ``pkg/mod/__init__.py``) in the
    first folder holding it."""
    relative = Path(*module.split("."))
    for folder in folders:
        for candidate in (folder / relative.with_suffix(".py"), folder / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _enclosing_ints(tree: ast.Module, qualname: str) -> dict[str, int]:
    """Integer parameter defaults of the defs around a nested loss (a factory's
    ``num_negative_samples=10``): the values the loss closes over when the factory runs with
    its defaults."""
    names: dict[str, int] = {}
    parts = qualname.split(".")
    node: ast.AST = tree
    for part in parts[:-1]:
        found = next((n for n in _defs(node) if n.name == part), None)
        if not isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return names
        names.update(_default_ints(found))
        node = found
    return names


def _positional_defaults(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    """Each positional parameter of ``fn`` that has a default, with it."""
    positional = fn.args.posonlyargs + fn.args.args
    return {a.arg: d for a, d in zip(positional[len(positional) - len(fn.args.defaults):], fn.args.defaults)}


def _default_ints(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, int]:
    """The positional parameters of ``fn`` whose default is an int literal, and the items of a
    default tuple of them (``S=(7, 7)``: keyed ``"S[0]"``, ``"S[1]"`` for :func:`_int_of`)."""
    out: dict[str, int] = {}
    for name, default in _positional_defaults(fn).items():
        value = _int(default)
        if value is not None:
            out[name] = value
        else:
            out.update(_item_ints(name, default))
    return out


def _self_ints(tree: ast.Module, qualname: str) -> dict[str, int]:
    """``self.<attr>`` ints (and ``self.<attr>[i]`` of int lists) a loss method reads, as the
    class's ``__init__`` sets them from literals or its parameter defaults (``m=[32, 64]``,
    ``self.m = m``): keyed ``"self.m[0]"`` for :func:`_int_of`."""
    parts = qualname.split(".")
    if len(parts) < 2:
        return {}
    cls = _scope_node(tree, ".".join(parts[:-1]))
    if not isinstance(cls, ast.ClassDef):
        return {}
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        return {}
    defaults = _positional_defaults(init)
    defaults.update({a.arg: d for a, d in zip(init.args.kwonlyargs, init.args.kw_defaults) if d is not None})
    out: dict[str, int] = {}
    for node in ast.walk(init):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute)
                and isinstance(node.targets[0].value, ast.Name) and node.targets[0].value.id == "self"):
            continue
        key = f"self.{node.targets[0].attr}"
        value = defaults.get(node.value.id, node.value) if isinstance(node.value, ast.Name) else node.value
        if (number := _int(value)) is not None:
            out[key] = number
        else:
            out.update(_item_ints(key, value))
    return out


def _item_ints(key: str, value: ast.expr) -> dict[str, int]:
    """The int items of a list or tuple literal bound to ``key``, keyed ``"<key>[<i>]"`` for
    :func:`_int_of` (``m=[32, 64]`` stored as ``self.m``; a default ``S=(7, 7)``)."""
    if not isinstance(value, (ast.List, ast.Tuple)):
        return {}
    return {f"{key}[{i}]": n for i, element in enumerate(value.elts) if (n := _int(element)) is not None}


def _int_names(scope: ast.AST, outer: dict[str, int] | None = None) -> dict[str, int]:
    """``outer`` (the module's and enclosing scopes' integers), then the integer parameter
    defaults and single integer assignments in the loss's scope, which may read them
    (``s = embedding_size``)."""
    names = dict(outer or {})
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        names.update(_default_ints(scope))
    return _bind_ints(ast.walk(scope), names)


def _bind_ints(nodes: Iterable[ast.AST], names: dict[str, int]) -> dict[str, int]:
    """``names`` with each ``name = <small int expression>`` among ``nodes``, in order."""
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _int_of(node.value, names)
            if value is not None:
                names[node.targets[0].id] = value
    return names


def _label_split(scope: ast.AST, labels: str) -> int:
    """k of ``tf.split(labels, k, axis=-1)`` in the loss (2 <= k <= 8), else 0."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Call) and _dotted(node.func).rsplit(".", 1)[-1] == "split" and node.args \
                and isinstance(node.args[0], ast.Name) and node.args[0].id == labels:
            parts = _last_axis_parts(node)
            if parts:
                return parts
    return 0


def _last_axis_parts(call: ast.Call, count_keyword: str | None = None) -> int:
    """k of ``split(x, k, axis=-1)`` or ``unstack(x, k, axis=-1)`` (2 <= k <= 8), else 0; with
    ``count_keyword`` the count may be passed by that name too (``unstack(x, num=k, axis=-1)``)."""
    count = next((kw.value for kw in call.keywords if count_keyword and kw.arg == count_keyword),
                 call.args[1] if len(call.args) > 1 else None)
    axis = next((kw.value for kw in call.keywords if kw.arg == "axis"), call.args[2] if len(call.args) > 2 else None)
    parts = _int(count) if count is not None else None
    return parts if parts is not None and 2 <= parts <= 8 and axis is not None and _int(axis) == -1 else 0


def _from_call(node: ast.Call, needs: _Needs) -> None:
    for kw in node.keywords:
        if kw.arg in ("axis", "axes"):
            needs.rank = max(needs.rank, _axis_need(kw.value))
    name = call_name(node)
    if name.startswith(("reduce_", "sum", "mean", "max", "min")) and len(node.args) >= 2:
        needs.rank = max(needs.rank, _axis_need(node.args[1]))
    if name in ("ssim", "ssim_multiscale"):
        # images at least as wide as the filter at every scale: 11 (SSIM's default filter) for
        # ssim, (11 - 1) * 2**4 + 1 = 161 for the five scales of ssim_multiscale
        size = next((_int(kw.value) for kw in node.keywords if kw.arg == "filter_size"), None) or 11
        needs.rank = max(needs.rank, 4)
        needs.middle = max(needs.middle, (size - 1) * 16 + 1 if name == "ssim_multiscale" else size)
        needs.images = True
    if name in _RANK4_OPS:
        # ops of (B, H, W, C) images only ("'images' must have either 3 or 4 dimensions")
        needs.rank = max(needs.rank, 4)
    if name in ("transpose", "permute_dimensions"):
        perm = next((kw.value for kw in node.keywords if kw.arg == "perm"),
                    node.args[1] if len(node.args) >= 2 else None)
        if isinstance(perm, (ast.List, ast.Tuple)) and not _builds_axes(node.args[0] if node.args else None):
            # a permutation names every axis: (0, 2, 3, 1) is a rank-4 input; one axis more for
            # what an integer index took off first (``transpose(y_pred[0], (0, 2, 1))``)
            picked = node.args and isinstance(node.args[0], ast.Subscript) and _int(node.args[0].slice) is not None
            needs.rank = max(needs.rank, min(len(perm.elts) + (1 if picked else 0), 5))
    if name == "split":
        # ``mu, v, alpha, beta = tf.split(y_pred, 4, axis=-1)``: the last axis holds 4 parts
        needs.split = max(needs.split, _last_axis_parts(node))
    if name == "unstack":
        # ``ymin, xmin, ymax, xmax = ops.unstack(y_true, 4, axis=-1)``: boxes as wide as the
        # parts on both sides (an unstack of a (B, 1) input fails before any box arithmetic)
        needs.last = max(needs.last, _last_axis_parts(node, "num"))
    if name == "Reshape" and node.args and isinstance(node.args[0], (ast.List, ast.Tuple)):
        # a Keras Reshape layer the loss applies: its target is the per-sample shape
        dims = [_int_of(e, needs.names or {}) for e in node.args[0].elts]
        if dims and all(d is not None and d > 0 for d in dims):
            _note_reshape(needs, dims)
    if name == "reshape" and len(node.args) >= 2 and isinstance(node.args[1], (ast.List, ast.Tuple)) \
            and not _of_self(node.args[0]):
        dims = [_int_of(e, needs.names or {}) for e in node.args[1].elts]
        # [-1, k] too: k values per sample (a prediction of k scores per row); k a literal or a
        # name the file binds (``num_negative_samples + 1`` with the factory's default 10)
        if len(dims) >= 2 and all(d is not None for d in dims) and all(d is not None and d > 0 for d in dims[1:]) \
                and (len(dims) >= 3 or dims[0] == -1):
            _note_reshape(needs, dims[1:])


#: image ops that take (B, H, W, C) tensors only
_RANK4_OPS = frozenset({"resize", "resize_images", "resize_bilinear", "resize_nearest_neighbor", "resize_bicubic",
                        "image_gradients", "total_variation", "sobel_edges", "psnr", "extract_patches",
                        "extract_image_patches", "depth_to_space", "space_to_depth", "rgb_to_grayscale",
                        "rgb_to_yuv", "rgb_to_hsv", "central_crop", "crop_to_bounding_box", "pad_to_bounding_box"})


def _note_reshape(needs: _Needs, dims: list[int | None]) -> None:
    """A per-sample shape the loss reshapes to (at most 4 axes: a layout the probe can afford)."""
    shape = tuple(int(d) for d in dims if d is not None)
    if needs.reshapes is not None and shape not in needs.reshapes and len(shape) <= 4:
        needs.reshapes.append(shape)


def _of_self(node: ast.AST) -> bool:
    """``self.<attr>``: a constant the loss keeps (``reshape(self.m_list, (-1, 1))``), which
    says nothing about the inputs."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _axis_need(node: ast.AST) -> int:
    values = [_int(e) for e in node.elts] if isinstance(node, (ast.List, ast.Tuple)) else [_int(node)]
    need = 0
    for v in values:
        if v is not None:
            need = max(need, v + 1 if v >= 0 else -v)
    return min(need, 5)


# -- extra parameters ------------------------------------------------------------------------------
def extra_shapes(tree: ast.Module, qualname: str) -> list[list[int] | None]:
    """Per-sample shapes of a loss's parameters after ``(y_true, y_pred)``, read from the call
    site the file shows: ``weighted(labels, probs, w)`` with ``w = Input(shape=(1,))`` means
    ``w`` is ``(B, 1)``, not the ``(B,)`` weights the probe passes by default. ``None`` where
    the file does not say. Only a plain function name called with positional arguments counts."""
    if "." in qualname or qualname.startswith("<"):
        return []
    inputs: dict[str, list[int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            shape = _input_shape(node.value)
            if shape is not None:
                inputs[node.targets[0].id] = shape
    if not inputs:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == qualname \
                and len(node.args) > 2:
            out = [inputs.get(a.id) if isinstance(a, ast.Name) else None for a in node.args[2:]]
            if any(s is not None for s in out):
                return out
    return []


def _input_shape(node: ast.expr) -> list[int] | None:
    """The ``shape`` of ``Input(shape=(1,))`` / ``keras.Input((4,))`` as a list of ints, or None."""
    if not isinstance(node, ast.Call) or _last(node.func) != "Input":
        return None
    given = next((kw.value for kw in node.keywords if kw.arg == "shape"), node.args[0] if node.args else None)
    if not isinstance(given, (ast.Tuple, ast.List)):
        return None
    dims = [_int(e) for e in given.elts]
    if any(d is None or d <= 0 or d > 64 for d in dims) or len(dims) > 4:
        return None
    return [int(d) for d in dims if d is not None]


# -- batch sizes and packed inputs -------------------------------------------------------------------
def min_batch(tree: ast.Module, qualname: str, names: tuple[str, ...]) -> int:
    """The smallest batch the loss runs on: one more than the largest constant index it takes on
    axis 0 of its inputs (``y_pred[2]`` needs 3 samples, ``y_pred[-3]`` 3 too), at least 2.

    A batch-size probe that runs batches of 2 on such a loss only learns that index 2 is out of
    bounds; with the smallest batch the loss accepts it reaches the reduction it is about."""
    scope = _scope_node(tree, qualname)
    if scope is None:
        return 2
    inputs = {n for n in names if n} or {"y_true", "y_pred"}
    need = 2
    for node in ast.walk(scope):
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in inputs):
            continue
        first = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) and node.slice.elts else node.slice
        index = _int(first)
        if index is not None:
            need = max(need, index + 1 if index >= 0 else -index)
    return min(need, 16)


def batch_parts(tree: ast.Module, qualname: str, names: tuple[str, ...]) -> int:
    """k when the loss cuts its batch into k equal parts by dividing the batch size of an input
    by k (``elements = int(K.int_shape(y_pred)[0] / 3)``, ``tf.shape(y_pred)[0] // 2``): a
    triplet loss whose batch stacks anchors, positives and negatives. Its probes need batches
    of a multiple of k (at 4 samples, ``y_pred[2 * elements:]`` holds 2 rows against 1 anchor);
    1 otherwise."""
    scope = _scope_node(tree, qualname)
    if scope is None:
        return 1
    inputs = {n for n in names if n} or {"y_true", "y_pred"}
    for node in ast.walk(scope):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv)) \
                and _batch_size_of(node.left, inputs):
            parts = _int(node.right)
            if parts is not None and 2 <= parts <= 4:
                return parts
    return 1


def _batch_size_of(node: ast.expr, inputs: set[str]) -> bool:
    """``K.int_shape(y)[0]``, ``y.shape[0]``, ``tf.shape(y)[0]``, ``y.get_shape()[0]``,
    ``y.shape.as_list()[0]`` or ``len(y)`` of an input ``y`` (inside ``int(...)`` too)."""
    if isinstance(node, ast.Call) and _last(node.func) == "int" and node.args:
        node = node.args[0]
    if isinstance(node, ast.Call) and _last(node.func) == "len" and node.args:
        return isinstance(node.args[0], ast.Name) and node.args[0].id in inputs
    if not (isinstance(node, ast.Subscript) and _int(node.slice) == 0):
        return False
    shape = node.value
    if isinstance(shape, ast.Call) and _last(shape.func) in ("int_shape", "shape", "get_shape", "as_list"):
        target = shape.args[0] if shape.args else shape.func.value if isinstance(shape.func, ast.Attribute) else None
    elif isinstance(shape, ast.Attribute) and shape.attr == "shape":
        target = shape.value
    else:
        return False
    if isinstance(target, ast.Attribute) and target.attr == "shape":
        target = target.value  # ``y.shape.as_list()``
    return isinstance(target, ast.Name) and target.id in inputs


def packed_inputs(tree: ast.Module, qualname: str) -> dict[str, tuple[int, int]]:
    """``{"pred": (3, line)}`` when the file calls the loss with a tuple or list of 3 tensors as
    ``y_pred`` (a literal, or a name assigned one in the calling scope); the same for ``true``.

    A triplet loss called as ``loss(y_true, (anchor, positive, negative))`` indexes ``y_pred[0]``
    for the anchors of the whole batch: probed with one ``(B, C)`` tensor, its ``y_pred[0]`` is
    one sample, and the probe would study a loss the file never runs. Only plain functions the
    file calls by name count; a tuple of ``None`` (an unused argument) is left as a tensor."""
    if "." in qualname or qualname.startswith("<"):
        return {}
    found: dict[str, tuple[int, int]] = {}
    for scope in ast.walk(tree):
        if not isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        literals = _tuple_names(scope)
        for node in _own_nodes(scope):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == qualname):
                continue
            for key, arg in zip(("true", "pred"), node.args[:2]):
                size = _tuple_size(arg, literals)
                if size and key not in found:
                    found[key] = (size, node.lineno)
    return found


def unpacked_inputs(tree: ast.Module, qualname: str) -> dict[str, tuple[int, int]]:
    """``{"pred": (2, line)}`` when the loss itself unpacks its prediction into parts
    (``mean, var = y_pred``): a loss over a tuple of tensors, called by the file's own loop
    (Keras hands a single-output loss one tensor, which that line cannot unpack)."""
    found_scope = _scope_node(tree, qualname)
    scope = _loss_body(found_scope, qualname) if found_scope is not None else None  # Class.call: the method
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {}
    params = positional_params(scope)[:2]
    found: dict[str, tuple[int, int]] = {}
    guarded = _sequence_branches(scope, params)
    for node in _own_nodes(scope):
        parts = unpacking(node, params)
        if parts is not None and id(node) not in guarded:
            found.setdefault("true" if parts[0] == params[0] else "pred", parts[1:])
    return found


def _sequence_branches(scope: ast.AST, params: list[str]) -> set[int]:
    """The ids of the nodes in a branch that runs only when an input is a list or tuple
    (``if isinstance(y_true, (list, tuple)): y_true, lengths = y_true``): code kept for custom
    calls, which says nothing about the one tensor Keras hands the loss."""
    out: set[int] = set()
    for node in _own_nodes(scope):
        if not isinstance(node, ast.If):
            continue
        test, negated = node.test, False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, negated = test.operand, True
        if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
                and len(test.args) == 2 and isinstance(test.args[0], ast.Name) and test.args[0].id in params):
            continue
        kinds = test.args[1].elts if isinstance(test.args[1], (ast.Tuple, ast.List)) else [test.args[1]]
        if not kinds or not all(isinstance(k, ast.Name) and k.id in ("list", "tuple") for k in kinds):
            continue
        for stmt in node.orelse if negated else node.body:
            out.update(id(n) for n in ast.walk(stmt))
    return out


def extra_parts(tree: ast.Module, qualname: str) -> list[int]:
    """For each parameter after the first two: how many parts the function unpacks it into
    (``z_mean, z_log_var = z_args``: 2), 0 where it uses it whole. A function whose result a
    model's ``add_loss`` takes gets one model tensor per such parameter, or a tuple of them."""
    scope = _scope_node(tree, qualname)
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    extras = positional_params(scope)[2:]
    parts = {name: 0 for name in extras}
    for node in _own_nodes(scope):
        found = unpacking(node, extras)
        if found is not None:
            parts[found[0]] = found[1]
    return [parts[name] for name in extras]


def unpacking(node: ast.AST, names: list[str]) -> tuple[str, int, int] | None:
    """(name, parts, line) for ``a, b, c = name`` with ``name`` one of ``names`` (2 to 8 plain
    targets): the value is a tuple of that many tensors, not one tensor."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], (ast.Tuple, ast.List)) \
            and isinstance(node.value, ast.Name) and node.value.id in names \
            and 2 <= len(node.targets[0].elts) <= 8 and not any(isinstance(e, ast.Starred) for e in node.targets[0].elts):
        return node.value.id, len(node.targets[0].elts), node.lineno
    return None


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``scope`` outside the functions and classes nested in it."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _tuple_names(scope: ast.AST) -> dict[str, int]:
    """Names the scope assigns a tuple/list literal of tensors to, with its length."""
    out: dict[str, int] = {}
    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            size = _tuple_size(node.value, {})
            if size:
                out[node.targets[0].id] = size
    return out


def _tuple_size(node: ast.expr, literals: dict[str, int]) -> int:
    if isinstance(node, ast.Name):
        return literals.get(node.id, 0)
    if not isinstance(node, (ast.Tuple, ast.List)) or not 2 <= len(node.elts) <= 8:
        return 0
    if any(isinstance(e, ast.Starred) or isinstance(e, ast.Constant) for e in node.elts):
        return 0  # (None, None, None) or numbers: not tensors the loss computes with
    return len(node.elts)
