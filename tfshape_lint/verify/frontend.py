"""The ``check --verify`` options and the step the CLI runs after static analysis.

Kept apart from ``cli.py`` so the CLI only needs two calls; nothing here imports TensorFlow.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from tfshape_lint.config import Config
from tfshape_lint.finding import Finding
from tfshape_lint.verify import DEVICES, INSTALL_HINT, tensorflow_available, verify_findings
from tfshape_lint.verify.report import for_format

DEFAULT_TIMEOUT = 30.0


class VerifierUnavailable(Exception):
    """``--verify`` was asked for but TensorFlow is not installed (exit 2)."""


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


def verify_for_cli(findings: list[Finding], args: argparse.Namespace, config: Config,
                   err: TextIO) -> list[Finding]:
    """Verify the findings when ``--verify`` is on; raises :class:`VerifierUnavailable`."""
    if not getattr(args, "verify", False):
        return findings
    if not tensorflow_available():
        raise VerifierUnavailable(f"--verify: {INSTALL_HINT}")
    if not findings:
        return findings
    sources = _read_sources(findings)
    verified = verify_findings(findings, sources, timeout=args.verify_timeout, device=args.verify_device,
                               use_cache=not args.no_cache, target_keras=config.target_keras, progress=True)
    shown, summary = for_format(verified, str(getattr(args, "format", "text")),
                                bool(getattr(args, "show_refuted", False)))
    if summary and not getattr(args, "statistics", False):
        err.write(summary)
    return shown


def _read_sources(findings: list[Finding]) -> dict[str, str]:
    """File texts by path (a finding whose file cannot be re-read is left out: inconclusive)."""
    from tfshape_lint.files import ReadError, decode_source

    sources: dict[str, str] = {}
    for path in {f.path for f in findings}:
        try:
            sources[path] = decode_source(Path(path).read_bytes())
        except (OSError, ReadError):
            continue
    return sources
