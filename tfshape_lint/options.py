"""What the commands share: exit codes, the selection options and the input loop's set-up.

``cli`` (the parser and the command table) and the command modules (``fix_cmd``, ``adopt``)
import this module, never each other, so there is no import cycle.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from tfshape_lint.config import ConfigResolver, Overrides, check_codes, clear_cache, resolver
from tfshape_lint.files import Input, gather
from tfshape_lint.finding import Finding, InternalError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A bad command line; printed as one line, exit 2."""


def _codes_arg(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def add_selection_args(parser: argparse.ArgumentParser) -> None:
    """Paths, rule selection, config and file discovery: shared by ``check`` and ``fix``."""
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="files, directories or notebooks to check, '-' for stdin (default: .)")
    parser.add_argument("--select", type=_codes_arg, help="comma-separated codes or prefixes to enable")
    parser.add_argument("--ignore", type=_codes_arg, help="comma-separated codes or prefixes to disable")
    parser.add_argument("--extend-select", type=_codes_arg, help="codes to enable on top of the selection")
    parser.add_argument("--config", type=Path,
                        help="use this pyproject.toml / tfshape-lint.toml for every file "
                             "(default: the nearest one above each file)")
    parser.add_argument("--target-keras", choices=("3", "tf-keras"), help="Keras flavour the code runs on")
    parser.add_argument("--stdin-filename", help="the name to report for '-' (stdin); also picks its config")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="processes to use (default: all cores)")
    parser.add_argument("--force-exclude", action=argparse.BooleanOptionalAction, default=None,
                        help="apply exclude (and .gitignore) to files named on the command line too, "
                             "as pre-commit needs (config: force-exclude)")
    parser.add_argument("--respect-gitignore", action=argparse.BooleanOptionalAction, default=None,
                        help="skip files that .gitignore ignores when walking folders (default: on; "
                             "config: respect-gitignore)")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")


def overrides(args: argparse.Namespace) -> Overrides:
    """The command line's settings, validated (unknown codes: ConfigError, exit 2)."""
    return Overrides(
        config_file=str(args.config) if args.config is not None else None,
        select=check_codes(args.select, "--select") if args.select else None,
        ignore=check_codes(args.ignore, "--ignore") if args.ignore else (),
        extend_select=check_codes(args.extend_select, "--extend-select") if args.extend_select else (),
        target_keras=getattr(args, "target_keras", None),
        unsafe_fixes=getattr(args, "unsafe_fixes", None),
        force_exclude=getattr(args, "force_exclude", None),
        respect_gitignore=getattr(args, "respect_gitignore", None),
    )


def make_resolver(args: argparse.Namespace) -> ConfigResolver:
    """The resolver behind :func:`tfshape_lint.config.config_for_path` for this command line.

    The cache is cleared once per command run: config files may change between two runs in
    one process (tests, an editor calling ``main``).
    """
    found = getattr(args, "_resolver", None)
    if not isinstance(found, ConfigResolver):
        clear_cache()
        found = resolver(overrides(args))
        args._resolver = found
    return found


def stdin_reader(stdin: TextIO) -> bytes:
    return stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()


def gather_inputs(args: argparse.Namespace, stdin: TextIO) -> tuple[list[Input], list[InternalError]]:
    """The inputs of the command line's paths (and stdin), and one error per bad path."""
    return gather(args.paths, make_resolver(args), stdin_text=lambda: stdin_reader(stdin),
                  stdin_filename=args.stdin_filename)


def warn_if_nothing(args: argparse.Namespace, inputs: list[Input], errors: list[InternalError], err: TextIO) -> None:
    """Say so when the folders named held nothing to check (as ruff does): every file excluded
    by the configuration or a ``.gitignore`` (a virtual environment ignores itself with ``*``).
    Files named one by one and excluded (pre-commit with ``force-exclude``) pass silently."""
    if not inputs and not errors and any(os.path.isdir(p) for p in args.paths):
        err.write("warning: no Python files or notebooks found under the given paths (excluded by the "
                  "configuration or a .gitignore; --no-respect-gitignore walks ignored folders)\n")


def write_errors(errors: list[InternalError], err: TextIO) -> None:
    for error in errors:
        err.write(f"{error.path}: error: {error.message}\n")


def default_streams(out: TextIO | None, err: TextIO | None,
                    stdin: TextIO | None) -> tuple[TextIO, TextIO, TextIO]:
    return out or sys.stdout, err or sys.stderr, stdin or sys.stdin


def emit(findings: list[Finding], errors: list[InternalError], args: argparse.Namespace,
         out: TextIO) -> None:
    """Write the report (or the statistics) in the chosen format, to ``out`` or --output-file."""
    from tfshape_lint.formats import format_statistics, render

    fmt = getattr(args, "format", "text")
    if getattr(args, "statistics", False):
        text = format_statistics(findings, fmt, errors)
    else:
        text = render(findings, fmt, errors)
    if getattr(args, "output_file", None):
        with open(args.output_file, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        out.write(text)
