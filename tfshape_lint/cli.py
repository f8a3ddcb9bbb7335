"""The ``tfshape-lint`` command: ``check``, ``fix``, ``rules``, ``rule CODE``.

Exit codes: 0 clean, 1 findings, 2 usage or internal error (bad path, unreadable or
unparsable file, bad config, unknown code). Never a traceback for bad input.

Start-up matters (pre-commit and editors start a process per run): this module imports only
argparse and the cheap front-end modules. ``--version``, ``rules``, ``rule CODE`` and a
``check`` of files that never name TensorFlow/Keras import neither LibCST nor the rules; the
verifier's options are added only when the command line asks for verification.
"""

from __future__ import annotations

import argparse
import importlib
import os
from typing import Callable, Mapping, Sequence, TextIO

from tfshape_lint import __version__
from tfshape_lint.config import ConfigError, show_settings
from tfshape_lint.files import FileResult, check_inputs, to_cells
from tfshape_lint.finding import Finding
from tfshape_lint.options import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    UsageError,
    add_selection_args,
    default_streams,
    emit,
    gather_inputs,
    make_resolver,
    warn_if_nothing,
    write_errors,
)

FORMATS = ("text", "json", "sarif", "github")
#: command-line words (or their argparse abbreviations) that need the verifier's options, whose
#: import costs ~80 ms
_VERIFY_WORDS = ("--verif", "--no-c", "--cache", "--show-r", "-h", "--help")

Command = Callable[[argparse.Namespace, TextIO, TextIO, TextIO], int]


def add_fix_options(parser: argparse.ArgumentParser, *, alias: bool) -> None:
    """Options shared by ``fix`` and ``check`` (where ``--fix`` switches to fixing)."""
    if alias:
        parser.add_argument("--fix", action="store_true", help="apply safe fixes (as `tfshape-lint fix`)")
    parser.add_argument("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
                        help="also apply unsafe fixes (may change loss values; config: unsafe-fixes)")
    parser.add_argument("--diff", action="store_true",
                        help="print a unified diff of the fixes and write nothing (exit 1 if any)")
    parser.add_argument("--exit-non-zero-on-fix", action="store_true",
                        help="exit 1 when a file was changed, even if no finding remains")
    parser.add_argument("--show-fixes", action="store_true",
                        help="list the fixes that were applied, per file and rule")


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--statistics", action="store_true",
                        help="print counts per rule instead of findings (text or json)")
    parser.add_argument("--output-file", "-o", help="write the report to a file")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfshape-lint",
        description="Find, confirm and fix silent shape, dtype and gradient bugs in TensorFlow/Keras losses.",
        epilog="Exit codes: 0 no findings, 1 findings (or, with --diff, fixes to apply), "
               "2 bad usage, bad config, or a file that could not be read or parsed.")
    parser.add_argument("--version", action="version", version=f"tfshape-lint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="report findings (Python files and Jupyter notebooks)")
    add_selection_args(check)
    add_output_options(check)
    check.add_argument("--show-settings", action="store_true",
                       help="print the settings used for the one named file, and where they came from")
    check.add_argument("--show-files", action="store_true", help="print the files that would be checked")
    check.add_argument("--add-noqa", action="store_true",
                       help="append `# noqa: CODE` to every line with a finding (adopting the tool "
                            "on existing code; running it again changes nothing)")
    if argv is None or any(word.startswith(_VERIFY_WORDS) for word in argv):
        from tfshape_lint.verify.frontend import add_options as add_verify_options

        add_verify_options(check)
        check.add_argument("--cache-dir", help="folder for cached verification results "
                                               "(default: $TFSHAPE_LINT_CACHE_DIR, else "
                                               "$XDG_CACHE_HOME/tfshape-lint or ~/.cache/tfshape-lint)")
    add_fix_options(check, alias=True)
    fix = sub.add_parser("fix", help="apply fixes to files and notebooks (safe ones unless --unsafe-fixes)")
    add_selection_args(fix)
    add_fix_options(fix, alias=False)
    add_output_options(fix)
    from tfshape_lint.server import add_server_parser  # light: pygls loads only when it runs

    add_server_parser(sub)
    rules = sub.add_parser("rules", help="list the rule catalogue")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", help="rule code (TFS102) or name (batch-axis-reduction)")
    return parser


# -- check ----------------------------------------------------------------------------------
def run_check(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    if args.fix or args.diff:  # `check --fix` is `fix`
        return _command("fix")(args, out, err, stdin)
    if args.add_noqa:
        return _command("add-noqa")(args, out, err, stdin)
    if args.show_settings:
        return _show_settings(args, out)
    inputs, errors = gather_inputs(args, stdin)
    warn_if_nothing(args, inputs, errors, err)
    if args.show_files:
        out.write("".join(f"{item.path}\n" for item in inputs))
        write_errors(errors, err)
        return EXIT_ERROR if errors else EXIT_CLEAN
    results = check_inputs(inputs, args.jobs, fixes=args.format == "json")  # JSON shows fixes
    results = verify_results(results, args, err)
    results = [to_cells(r) for r in results]
    findings = sorted((f for r in results for f in r.findings), key=Finding.sort_key)
    errors += [e for r in results for e in r.errors]
    write_errors(errors, err)
    from tfshape_lint.verdicts import counted, for_format  # refuted findings leave text and exit status

    shown, summary = for_format(findings, getattr(args, "format", "text"), getattr(args, "show_refuted", False))
    emit(shown, errors, args, out)
    err.write(summary)
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if counted(findings) and not args.exit_zero else EXIT_CLEAN


def _show_settings(args: argparse.Namespace, out: TextIO) -> int:
    if len(args.paths) != 1 or args.paths == ["-"]:
        raise UsageError("--show-settings takes exactly one file or folder")
    path = args.paths[0]
    out.write(show_settings(make_resolver(args).for_path(path), path))
    return EXIT_CLEAN


def verify_results(results: list[FileResult], args: argparse.Namespace, err: TextIO) -> list[FileResult]:
    """``--verify``: run the flagged losses (grouped by each file's Keras flavour)."""
    if not getattr(args, "verify", False):
        return results
    from tfshape_lint.verify import frontend

    available: Callable[[], bool] = getattr(frontend, "tensorflow_available")  # stubbed in tests
    if not available():
        raise UsageError('--verify needs TensorFlow, which is not installed; install tfshape-lint[verify] '
                         'the way you installed tfshape-lint (from a clone: pip install -e ".[verify]")')
    if getattr(args, "cache_dir", None):
        os.environ["TFSHAPE_LINT_CACHE_DIR"] = os.path.abspath(args.cache_dir)
    from tfshape_lint.verify import verify_findings

    flavours: dict[str, list[int]] = {}
    targets = {r.path: _target_keras(r, args) for r in results}
    for index, result in enumerate(results):
        if result.findings and result.source is not None:
            flavours.setdefault(targets[result.path], []).append(index)
    for flavour, indexes in flavours.items():
        findings = [f for i in indexes for f in results[i].findings]
        sources = {results[i].path: results[i].source or "" for i in indexes}
        verified = iter(verify_findings(findings, sources, timeout=args.verify_timeout,
                                        device=args.verify_device, use_cache=not args.no_cache,
                                        target_keras=flavour, progress=True))
        for i in indexes:
            results[i].findings = [next(verified) for _ in results[i].findings]
    return results


def _target_keras(result: FileResult, args: argparse.Namespace) -> str:
    return make_resolver(args).for_path(result.path if result.path != "-" else os.getcwd()).target_keras


# -- rules ----------------------------------------------------------------------------------
def run_rules(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    from tfshape_lint.catalogue import catalogue

    if args.format == "json":
        import json

        out.write(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "fix": r.fix,
                               "summary": r.summary, "message": r.message}
                              for r in catalogue()], indent=2) + "\n")
        return EXIT_CLEAN
    for r in catalogue():
        fix = f" (fix: {r.fix})" if r.fix else ""
        out.write(f"{r.code}  {r.name:34} {r.severity:7}{fix}\n")
    return EXIT_CLEAN


def run_rule(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    from tfshape_lint.catalogue import find

    info = find(args.code)
    if info is None:
        raise UsageError(f"unknown rule {args.code!r} (see `tfshape-lint rules`)")
    out.write(info.page)
    return EXIT_CLEAN


#: every subcommand: a function here, or "module:function" imported when the command runs
COMMANDS: Mapping[str, Command | str] = {
    "check": run_check,
    "fix": "tfshape_lint.fix_cmd:run_fix",
    "add-noqa": "tfshape_lint.adopt:run_add_noqa",
    "rules": run_rules,
    "rule": run_rule,
    "server": "tfshape_lint.server:run_server",
}


def _command(name: str) -> Command:
    target = COMMANDS[name]
    if callable(target):
        return target
    module, _, function = target.partition(":")
    command: Command = getattr(importlib.import_module(module), function)
    return command


def _silence_stdout(out: TextIO) -> None:
    """Point the real standard output at /dev/null so that the interpreter's flush at exit does
    not raise the broken pipe a second time (with a traceback)."""
    import os
    import sys

    if out is sys.stdout:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None, stdin: TextIO | None = None) -> int:
    out, err, stdin = default_streams(out, err, stdin)
    if argv is None:
        import sys

        argv = sys.argv[1:]
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the message
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    if args.command is None:
        parser.print_help(err)
        return EXIT_ERROR
    try:
        return _command(args.command)(args, out, err, stdin)
    except (ConfigError, UsageError) as exc:
        err.write(f"tfshape-lint: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write("tfshape-lint: interrupted\n")
        return 130
    except BrokenPipeError:  # ``check ... | head``: the reader left; stop quietly, as the docs advise
        _silence_stdout(out)
        return EXIT_ERROR
