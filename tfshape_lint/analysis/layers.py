"""What a Keras layer does to what reaches it: one table for every analysis that reads layers.

``analysis.models`` follows a model's layers to its final activation, output width and output
rank; ``analysis.tensors`` gives a layer call in the file's own code (``Dense(1)(x)`` next to a
direct call of a loss) the rank of its output. Both read :func:`layer_spec`, so a layer is
classified once: its role for the activation, which argument sets its output width, and what
it does to the rank.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import libcst as cst

from tfshape_lint.analysis.tensors import call_arg as _arg
from tfshape_lint.analysis.tensors import literal as literal_value


class LayerRole(enum.Enum):
    """How a layer acts on its input's activation."""

    AFFINE = "affine"  # Dense, Conv...: its own ``activation=`` decides (default linear)
    ACTIVATION = "activation"  # Activation, Softmax
    TRANSPARENT = "transparent"  # Dropout, Reshape...: keeps the values (hides the activation)
    INPUT = "input"  # Input / InputLayer
    OTHER = "other"  # changes the values in a way no rule follows (pooling, normalisation)


class RankEffect(enum.Enum):
    """What a layer does to the rank (batch axis included) of the tensor it is called on."""

    KEEP = "keep"  # Dense and Conv act on the last axes only; Dropout, Activation pass on
    FLAT = "flat"  # (B, n): Flatten (also of a (B,) input), global pooling
    TARGET = "target"  # Reshape(target_shape): 1 + len(target_shape)
    UNKNOWN = "unknown"  # EinsumDense: its equation decides


@dataclass(frozen=True)
class LayerSpec:
    """One layer class: its role, the argument naming its output width (``Dense(units)``,
    ``Conv2D(filters)``: the last axis; None when no argument does) and its rank effect."""

    role: LayerRole
    rank: RankEffect
    width: str | None = None


_AFFINE_KEEP = LayerSpec(LayerRole.AFFINE, RankEffect.KEEP)
_PASS = LayerSpec(LayerRole.TRANSPARENT, RankEffect.KEEP)
_OTHER_KEEP = LayerSpec(LayerRole.OTHER, RankEffect.KEEP)
_GLOBAL_POOL = LayerSpec(LayerRole.OTHER, RankEffect.FLAT)

#: canonical class name (``keras.layers.<Class>``) -> what it does
LAYERS: dict[str, LayerSpec] = {
    "Dense": LayerSpec(LayerRole.AFFINE, RankEffect.KEEP, "units"),
    "EinsumDense": LayerSpec(LayerRole.AFFINE, RankEffect.UNKNOWN),
    **{name: LayerSpec(LayerRole.AFFINE, RankEffect.KEEP, "filters") for name in (
        "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
        "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution2DTranspose",
        "Convolution3DTranspose", "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D",
        "SeparableConvolution2D", "LocallyConnected1D", "LocallyConnected2D")},
    # the first argument of a depthwise convolution is its kernel size, not a width
    "DepthwiseConv1D": _AFFINE_KEEP, "DepthwiseConv2D": _AFFINE_KEEP,
    "Activation": LayerSpec(LayerRole.ACTIVATION, RankEffect.KEEP),
    "Softmax": LayerSpec(LayerRole.ACTIVATION, RankEffect.KEEP),
    **{name: _PASS for name in (
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
        "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Permute")},
    "Flatten": LayerSpec(LayerRole.TRANSPARENT, RankEffect.FLAT),
    "Reshape": LayerSpec(LayerRole.TRANSPARENT, RankEffect.TARGET),
    "Input": LayerSpec(LayerRole.INPUT, RankEffect.TARGET),
    "InputLayer": LayerSpec(LayerRole.INPUT, RankEffect.TARGET),
    **{name: _OTHER_KEEP for name in (
        "BatchNormalization", "LayerNormalization", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
        "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "MaxPool1D", "MaxPool2D",
        "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "UpSampling1D", "UpSampling2D",
        "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D",
        "Cropping2D", "Cropping3D", "ReLU", "LeakyReLU", "PReLU", "ELU")},
    **{name: _GLOBAL_POOL for name in (
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAvgPool1D",
        "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D")},
}


def layer_spec(canonical: str | None) -> tuple[str, LayerSpec] | None:
    """The class name and spec of a canonical ``keras.layers.<Class>`` (or ``keras.Input``)."""
    if canonical is None or not canonical.startswith("keras."):
        return None
    cls = canonical.rsplit(".", 1)[-1]
    if canonical == "keras.Input":
        return cls, LAYERS["Input"]
    if not canonical.startswith("keras.layers."):
        return None
    spec = LAYERS.get(cls)
    return (cls, spec) if spec is not None else None


def _shape_rank(node: cst.BaseExpression | None) -> int | None:
    """``1 + len(shape)`` for a shape tuple written out (the batch axis is not part of it): its
    length, whatever its elements are (``(NUM_STATE,)``, ``(None, n_features)``)."""
    if isinstance(node, (cst.Tuple, cst.List)) and not any(isinstance(e, cst.StarredElement) for e in node.elements):
        return 1 + len(node.elements)
    shape = literal_value(node) if node is not None else None
    return 1 + len(shape) if isinstance(shape, tuple) else None


def width(spec: LayerSpec, call: cst.Call) -> int | None:
    """The output width (size of the last axis) a layer call sets, when an int literal."""
    if spec.width is None:
        return None
    value = literal_value(_arg(call, 0, spec.width))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def given_rank(cls: str, call: cst.Call) -> int | None:
    """The rank a layer fixes whatever reaches it: ``Input(shape=(8,))`` (2),
    ``Reshape((4, 2))`` (3), ``InputLayer(input_shape=...)``; None when it does not."""
    if cls == "Input":
        return _shape_rank(_arg(call, 0, "shape"))
    if cls == "InputLayer":
        return _shape_rank(_arg(call, 0, "input_shape", "shape"))
    if cls == "Reshape":
        return _shape_rank(_arg(call, 0, "target_shape"))
    return None


def input_rank(call: cst.Call) -> int | None:
    """The input rank a first Sequential layer declares (``input_shape=(8,)``, ``input_dim=8``)."""
    if not any(a.keyword is not None for a in call.args):
        return None
    if _arg(call, None, "input_dim") is not None:
        return 2
    return _shape_rank(_arg(call, None, "input_shape"))


@dataclass(frozen=True)
class RankChange:
    """What one layer call does to the rank: keeps its input's, or sets ``rank`` (None: unknown)."""

    keeps: bool = False
    rank: int | None = None

    def of(self, incoming: int | None) -> int | None:
        """The output rank for an input of rank ``incoming`` (None: unknown)."""
        return incoming if self.keeps else self.rank


def rank_change(cls: str, spec: LayerSpec, call: cst.Call) -> RankChange:
    """The rank change of the layer constructed by ``call`` (``Reshape((4, 2))``: rank 3)."""
    if spec.rank is RankEffect.KEEP:
        return RankChange(keeps=True)
    if spec.rank is RankEffect.FLAT:
        if cls.startswith("Global") and literal_value(_arg(call, None, "keepdims")) is True:
            return RankChange(keeps=True)
        return RankChange(rank=2)
    if spec.rank is RankEffect.TARGET:
        return RankChange(rank=given_rank(cls, call))
    return RankChange()
