"""The ``check --verify`` options (the CLI adds them to ``check``); nothing here imports TensorFlow.

``tensorflow_available`` is re-exported for the CLI, which asks it before verifying; how
verdicts shape the report lives in :mod:`tfshape_lint.verify.report`.
"""

from __future__ import annotations

import argparse

from tfshape_lint.verify import DEVICES, tensorflow_available

__all__ = ["DEFAULT_TIMEOUT", "add_options", "tensorflow_available"]

DEFAULT_TIMEOUT = 30.0


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--verify``, ``--verify-timeout``, ``--verify-device``, ``--no-cache``."""
    group = parser.add_argument_group("runtime verification (needs tfshape-lint[verify])")
    group.add_argument("--verify", action="store_true",
                       help="run each flagged loss on synthetic tensors to confirm or refute the finding")
    group.add_argument("--verify-timeout", type=_positive, default=DEFAULT_TIMEOUT, metavar="S",
                       help=f"seconds allowed per verified finding (default: {DEFAULT_TIMEOUT:g})")
    group.add_argument("--verify-device", choices=DEVICES, default="auto",
                       help="where probes run: the GPU when TensorFlow sees one (auto), or force cpu/gpu")
    group.add_argument("--no-cache", action="store_true",
                       help="neither read nor store cached verification results")
    group.add_argument("--show-refuted", action="store_true",
                       help="also list findings that --verify refuted (text output drops them by default)")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value
