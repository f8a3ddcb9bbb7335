"""Facts about Keras's built-in losses that several rules share (loss forms, modules, argument names).

Signatures checked against the installed Keras 3.15.1 and tf_keras 2.21 (``inspect.signature``
of every public ``keras.losses`` function and ``Loss`` class), so that a fix never passes an
argument a class does not accept.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfshape_lint.analysis.imports import ImportTable


@dataclass(frozen=True)
class LossForm:
    """A built-in loss function and the Loss class that computes the same per-sample value.

    ``ctor``: the function's keyword arguments that the class constructor also takes, under
    the same name. ``third``: the name of the function's third positional parameter where
    every Keras version agrees on it (``from_logits`` for the crossentropies), else None.
    ``per_sample``: the function returns one value per sample, as the class with
    ``reduction="none"`` does (the legacy ``K.binary_crossentropy`` is elementwise instead).
    """

    cls: str
    ctor: frozenset[str] = frozenset()
    third: str | None = None
    per_sample: bool = True
    symmetric: bool = False


_CE = frozenset({"from_logits", "label_smoothing", "axis"})
_FOCAL = frozenset({"from_logits", "label_smoothing", "axis", "alpha", "gamma"})

#: function name (last component) -> its class form, for ``keras.losses`` / ``tf.keras.losses``
LOSS_FUNCTIONS: dict[str, LossForm] = {
    "binary_crossentropy": LossForm("BinaryCrossentropy", _CE, "from_logits"),
    "categorical_crossentropy": LossForm("CategoricalCrossentropy", _CE, "from_logits"),
    # the class has no ``axis`` under tf_keras, so an axis argument gets no fix
    "sparse_categorical_crossentropy": LossForm("SparseCategoricalCrossentropy",
                                                frozenset({"from_logits", "ignore_class"}), "from_logits"),
    "binary_focal_crossentropy": LossForm("BinaryFocalCrossentropy", _FOCAL | {"apply_class_balancing"}),
    "categorical_focal_crossentropy": LossForm("CategoricalFocalCrossentropy", _FOCAL),
    "mean_squared_error": LossForm("MeanSquaredError", symmetric=True),
    "mse": LossForm("MeanSquaredError", symmetric=True),
    "MSE": LossForm("MeanSquaredError", symmetric=True),
    "mean_absolute_error": LossForm("MeanAbsoluteError", symmetric=True),
    "mae": LossForm("MeanAbsoluteError", symmetric=True),
    "MAE": LossForm("MeanAbsoluteError", symmetric=True),
    "mean_absolute_percentage_error": LossForm("MeanAbsolutePercentageError"),
    "mape": LossForm("MeanAbsolutePercentageError"),
    "MAPE": LossForm("MeanAbsolutePercentageError"),
    "mean_squared_logarithmic_error": LossForm("MeanSquaredLogarithmicError"),
    "msle": LossForm("MeanSquaredLogarithmicError"),
    "MSLE": LossForm("MeanSquaredLogarithmicError"),
    "kl_divergence": LossForm("KLDivergence"),
    "kld": LossForm("KLDivergence"),
    "KLD": LossForm("KLDivergence"),
    "kullback_leibler_divergence": LossForm("KLDivergence"),
    "hinge": LossForm("Hinge"),
    "squared_hinge": LossForm("SquaredHinge"),
    "categorical_hinge": LossForm("CategoricalHinge"),
    "poisson": LossForm("Poisson"),
    "log_cosh": LossForm("LogCosh", symmetric=True),
    "logcosh": LossForm("LogCosh", symmetric=True),
    "huber": LossForm("Huber", frozenset({"delta"}), symmetric=True),
    "cosine_similarity": LossForm("CosineSimilarity", frozenset({"axis"}), symmetric=True),
}

#: the legacy backend (``K.``) and ``keras.ops`` crossentropies: ``(target, output, from_logits)``
BACKEND_LOSS_FUNCTIONS: dict[str, LossForm] = {
    "categorical_crossentropy": LossForm("CategoricalCrossentropy", frozenset({"from_logits"}), "from_logits"),
    "sparse_categorical_crossentropy": LossForm("SparseCategoricalCrossentropy",
                                                frozenset({"from_logits"}), "from_logits"),
    # elementwise, no mean over the last axis: the class form would change the shape
    "binary_crossentropy": LossForm("BinaryCrossentropy", frozenset({"from_logits"}), "from_logits",
                                    per_sample=False),
}

#: Loss classes whose value does not change when y_true and y_pred trade places
SYMMETRIC_CLASSES = frozenset({"MeanSquaredError", "MeanAbsoluteError", "LogCosh", "Huber",
                               "CosineSimilarity"})

#: crossentropy Loss classes -> (activation they pair with, ``from_logits`` position or None)
CROSSENTROPY_CLASSES: dict[str, tuple[str, int | None]] = {
    "BinaryCrossentropy": ("sigmoid", 0),
    "CategoricalCrossentropy": ("softmax", 0),
    "SparseCategoricalCrossentropy": ("softmax", 0),
    "BinaryFocalCrossentropy": ("sigmoid", None),
    "CategoricalFocalCrossentropy": ("softmax", None),
}
#: loss identifiers ``compile`` accepts as strings, all with ``from_logits=False``
CROSSENTROPY_STRINGS: dict[str, str] = {
    "binary_crossentropy": "BinaryCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
    "BinaryCrossentropy": "BinaryCrossentropy",
    "CategoricalCrossentropy": "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy": "SparseCategoricalCrossentropy",
    "bce": "BinaryCrossentropy",
}


def loss_function_form(canonical: str | None) -> tuple[LossForm, str] | None:
    """(class form, namespace kind) of a canonical callee name that is a built-in loss function.

    Namespace kind: ``"losses"`` (``keras.losses.x``), ``"metrics"`` (``keras.metrics.x``, the
    same functions), ``"backend"`` (``K.x``) or ``"ops"`` (``keras.ops.x``).
    """
    if canonical is None:
        return None
    head, _, name = canonical.rpartition(".")
    if head in ("keras.losses", "keras.losses.losses") and name in LOSS_FUNCTIONS:
        return LOSS_FUNCTIONS[name], "losses"
    if head == "keras.metrics" and name in LOSS_FUNCTIONS:
        return LOSS_FUNCTIONS[name], "metrics"
    if head in ("K", "ops", "ops.nn") and name in BACKEND_LOSS_FUNCTIONS:
        return BACKEND_LOSS_FUNCTIONS[name], "backend" if head == "K" else "ops"
    return None


def loss_class_name(canonical: str | None) -> str | None:
    """The class name of a canonical ``keras.losses.<Class>`` reference, else None."""
    if canonical is None or not canonical.startswith("keras.losses."):
        return None
    name = canonical.rsplit(".", 1)[-1]
    return name if name[:1].isupper() and name.lower() != name and name not in LOSS_FUNCTIONS else None


def losses_module_for(qualname: str) -> str:
    """The ``losses`` module of the Keras family a qualified name comes from.

    ``tensorflow.keras.backend.x`` -> ``tensorflow.keras.losses``; ``keras.ops.x`` and
    ``keras.src...`` -> ``keras.losses``; ``tf_keras.backend.x`` -> ``tf_keras.losses``.
    """
    for family in ("tensorflow.keras", "tf_keras"):
        if qualname == family or qualname.startswith(family + "."):
            return family + ".losses"
    if qualname.startswith(("tensorflow.python.keras", "keras._tf_keras.keras")):
        return "tensorflow.keras.losses"
    return "keras.losses"


def spell_module(imports: ImportTable, module: str) -> str | None:
    """The shortest local spelling of a module through the file's imports, else None.

    With ``import tensorflow as tf``, ``tensorflow.keras.losses`` is ``tf.keras.losses``.
    """
    best: str | None = None
    for local, target in imports.aliases.items():
        if module == target:
            spelled = local
        elif module.startswith(target + "."):
            spelled = local + module[len(target):]
        else:
            continue
        if best is None or len(spelled) < len(best):
            best = spelled
    return best
