"""Plain data shared by the engine and every front-end.

Kept free of LibCST types so that formatters, the verifier and the flake8 plugin can use
findings without touching the parser.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Severity(str, enum.Enum):
    """`error`: the code raises; `warning`: it runs with a wrong value or does not learn."""

    ERROR = "error"
    WARNING = "warning"


class FixSafety(str, enum.Enum):
    """SAFE fixes keep loss values and gradients; UNSAFE ones may change them (opt-in)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Fix:
    """A replacement of source lines ``[start_line, end_line]`` (1-based, inclusive).

    The engine produces it from a LibCST node replacement inside one unit, so it can be
    applied to the file text without re-parsing the whole module.
    """

    start_line: int
    end_line: int
    replacement: str
    safety: FixSafety
    description: str = ""
    #: imports the replacement needs: (module, name or None, alias or None), added by the fixer
    imports: tuple[tuple[str, str | None, str | None], ...] = ()

    def allowed(self, unsafe: bool) -> bool:
        """Whether the fixer may apply this fix under the user's ``--unsafe-fixes`` choice."""
        return self.safety is FixSafety.SAFE or unsafe


@dataclass(frozen=True)
class LossRef:
    """Which loss a finding belongs to: enough for the verifier to extract and run it.

    ``qualname`` is a dotted path inside the module (``MyLoss.call``, ``make_loss.inner``,
    ``<lambda>@12`` for a lambda starting on line 12); ``factory_call`` is the source text of
    the call that built the loss (``make_loss(w)``) when it came from a factory.
    """

    qualname: str
    context: str
    role: str = "loss"
    line: int = 0
    factory_call: str | None = None
    params: tuple[str, ...] = ()
    #: what the loss returns goes to a model's ``add_loss`` (its other parameters are model tensors)
    added: bool = False
    #: ``loss_l2(y_hat, y, lens)`` found by its names and never handed to Keras: its own caller
    #: passes the prediction first
    pred_first: bool = False
    #: ``discriminator_loss(real_output, fake_output)``: every parameter a discriminator output
    adversarial: bool = False
    #: ``loss(model, x, y, training)``: a custom-loop helper that calls its model itself
    model_first: bool = False


@dataclass(frozen=True)
class Finding:
    """One diagnostic. ``line`` is 1-based, ``column`` 0-based (as flake8 expects)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    rule: str
    message: str
    severity: Severity
    fix: Fix | None = None
    loss: LossRef | None = None
    verification: Any = None
    #: the safety of the fix this finding has, whether or not it was computed (``fix`` is only
    #: filled when the caller asked for fixes); None when there is no fix
    fix_safety: FixSafety | None = None
    #: for a notebook: the 1-based position of the cell in its ``cells`` list; ``line`` and
    #: ``end_line`` are then lines within that cell
    cell: int | None = None

    def sort_key(self) -> tuple[str, int, int, int, str]:
        """Order used by every front-end: file, then cell and position, then code."""
        return (self.path, self.cell or 0, self.line, self.column, self.code)


@dataclass(frozen=True)
class InternalError:
    """A problem that stopped one rule or one file, reported instead of a traceback."""

    path: str
    message: str
    code: str = ""
