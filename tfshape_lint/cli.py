"""The ``tfshape-lint`` command: ``check``, ``fix``, ``rules``, ``rule CODE``.

Exit codes: 0 clean, 1 findings, 2 usage or internal error (bad path, unreadable or
unparsable file, bad config, unknown code). Never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence, TextIO

from tfshape_lint import __version__
from tfshape_lint.config import Config, ConfigError, check_codes, find_pyproject, load_config
from tfshape_lint.files import FileResult, ReadError, check_files, check_text, decode_source, iter_python_files
from tfshape_lint.finding import Finding, InternalError
from tfshape_lint.formats import FORMATS, format_statistics, render
from tfshape_lint.registry import all_rules, get, known_codes

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A bad command line; printed as one line, exit 2."""


def _codes_arg(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def add_selection_args(parser: argparse.ArgumentParser) -> None:
    """--select/--ignore/--extend-select/--config: shared by check and fix."""
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="files or directories to check, '-' for stdin (default: .)")
    parser.add_argument("--select", type=_codes_arg, help="comma-separated codes or prefixes to enable")
    parser.add_argument("--ignore", type=_codes_arg, help="comma-separated codes or prefixes to disable")
    parser.add_argument("--extend-select", type=_codes_arg, help="codes to enable on top of the selection")
    parser.add_argument("--config", type=Path, help="a pyproject.toml or TOML file to read settings from")
    parser.add_argument("--target-keras", choices=("3", "tf-keras"), help="Keras flavour the code runs on")
    parser.add_argument("--stdin-filename", help="the name to report for '-' (stdin)")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="processes to use (default: all cores)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfshape-lint",
        description="Find, confirm and fix silent shape, dtype and gradient bugs in TensorFlow/Keras losses.")
    parser.add_argument("--version", action="version", version=f"tfshape-lint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="report findings")
    add_selection_args(check)
    check.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    check.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--output-file", "-o", type=Path, help="write the report to a file")
    from tfshape_lint.verify.frontend import add_options as add_verify_options

    add_verify_options(check)
    from tfshape_lint import fix_cmd  # imported here: it registers `fix` in COMMANDS and imports this module

    fix_cmd.add_fix_options(check, alias=True)
    fix_cmd.add_fix_parser(sub)
    rules = sub.add_parser("rules", help="list the rule catalogue")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", help="rule code (TFS102) or name (batch-axis-reduction)")
    return parser


def resolve_config(args: argparse.Namespace) -> Config:
    """Config file (``--config`` or nearest pyproject.toml), then command-line overrides."""
    known = known_codes()
    if args.config is not None:
        config = load_config(args.config, known, explicit=True)
    else:
        config = load_config(find_pyproject(Path.cwd()), known)
    changes: dict[str, object] = {}
    if args.select:
        changes["select"] = check_codes(args.select, "--select", known)
    if args.ignore:
        changes["ignore"] = config.ignore + check_codes(args.ignore, "--ignore", known)
    if args.extend_select:
        changes["extend_select"] = config.extend_select + check_codes(args.extend_select, "--extend-select", known)
    if getattr(args, "target_keras", None):
        changes["target_keras"] = args.target_keras
    return config.with_overrides(**changes) if changes else config


def collect(args: argparse.Namespace, config: Config, stdin: TextIO) -> list[FileResult]:
    """Check every named path; a bad path becomes an error result and the rest go on."""
    results: list[FileResult] = []
    files: list[str] = []
    for raw in args.paths:
        if raw == "-":
            name = args.stdin_filename or "-"
            try:
                text = decode_source(stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode())
            except ReadError as exc:
                results.append(FileResult(name, errors=[InternalError(name, str(exc))]))
                continue
            results.append(check_text(text, name, config))
            continue
        for path, problem in iter_python_files([raw], config):
            if problem:
                results.append(FileResult(path, errors=[InternalError(path, problem)]))
            else:
                files.append(path)
    results.extend(check_files(files, config, args.jobs))
    return results


def run_check(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    if getattr(args, "fix", False) or getattr(args, "diff", False):  # `check --fix` is `fix`
        return COMMANDS["fix"](args, out, err, stdin)
    config = resolve_config(args)
    results = collect(args, config, stdin)
    findings = sorted((f for r in results for f in r.findings), key=Finding.sort_key)
    errors = [e for r in results for e in r.errors]
    findings = postprocess(findings, results, args, config, err)
    for error in errors:
        err.write(f"{error.path}: error: {error.message}\n")
    text = format_statistics(findings) if args.statistics else render(findings, args.format, errors)
    if args.output_file is not None:
        args.output_file.write_text(text, encoding="utf-8")
    else:
        out.write(text)
    if errors:
        return EXIT_ERROR
    from tfshape_lint.verify.report import counted  # refuted findings never fail the run

    return EXIT_FINDINGS if counted(findings) and not args.exit_zero else EXIT_CLEAN


def postprocess(findings: list[Finding], results: list[FileResult], args: argparse.Namespace,
                config: Config, err: TextIO) -> list[Finding]:
    """Hook for steps after static analysis (the verifier adds itself here)."""
    from tfshape_lint.verify.frontend import VerifierUnavailable, verify_for_cli

    try:
        return verify_for_cli(findings, args, config, err)
    except VerifierUnavailable as exc:
        raise UsageError(str(exc)) from None


def run_rules(args: argparse.Namespace, out: TextIO) -> int:
    if args.format == "json":
        import json

        out.write(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.value,
                               "fix": r.fix_safety.value if r.fix_safety else None,
                               "message": r.message} for r in all_rules()], indent=2) + "\n")
        return EXIT_CLEAN
    for r in all_rules():
        fix = f" (fix: {r.fix_safety.value})" if r.fix_safety else ""
        out.write(f"{r.code}  {r.name:34} {r.severity.value:7}{fix}\n")
    return EXIT_CLEAN


def run_rule(args: argparse.Namespace, out: TextIO) -> int:
    from tfshape_lint.docs import render_rule

    rule = get(args.code)
    if rule is None:
        raise UsageError(f"unknown rule {args.code!r} (see `tfshape-lint rules`)")
    out.write(render_rule(rule))
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None, stdin: TextIO | None = None) -> int:
    out, err, stdin = out or sys.stdout, err or sys.stderr, stdin or sys.stdin
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the message
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    try:
        if args.command == "check":
            return run_check(args, out, err, stdin)
        if args.command == "rules":
            return run_rules(args, out)
        if args.command == "rule":
            return run_rule(args, out)
        if args.command is not None and args.command in COMMANDS:
            return COMMANDS[args.command](args, out, err, stdin)
        parser.print_help(err)
        return EXIT_ERROR
    except (ConfigError, UsageError) as exc:
        err.write(f"tfshape-lint: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write("tfshape-lint: interrupted\n")
        return 130


#: extra subcommands registered by other front-end modules (``fix``)
Command = Callable[[argparse.Namespace, TextIO, TextIO, TextIO], int]
COMMANDS: dict[str, Command] = {}
