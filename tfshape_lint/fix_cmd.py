"""``tfshape-lint fix`` (and ``check --fix`` / ``--diff``): apply the findings' fixes to files.

The file layer around :func:`tfshape_lint.fixer.fix_source`:

- text is decoded as Python does and written back in the same encoding; a file whose line
  endings are all CRLF is analysed with ``\\n`` and written back with CRLF;
- a file is replaced atomically (temporary file in the same folder, then ``os.replace``) and
  keeps its permission bits, so an interrupted run never leaves half a file;
- a file that does not parse, or whose fixes would not parse, is left untouched and the reason
  is reported;
- exit codes follow ruff's fix mode: 1 if findings remain (with ``--diff``: if a file would
  change), 0 otherwise, 2 on an error.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import io
import os
import stat
import tempfile
import tokenize
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Callable, TextIO

from tfshape_lint.cli import (
    COMMANDS,
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    add_selection_args,
    resolve_config,
)
from tfshape_lint.analysis.index import split_lines
from tfshape_lint.config import Config
from tfshape_lint.engine import SourceError, lint
from tfshape_lint.files import PARALLEL_THRESHOLD, ReadError, decode_source, iter_python_files
from tfshape_lint.finding import Finding, InternalError
from tfshape_lint.fixer import FixResult, fix_source
from tfshape_lint.formats import render

#: the rule whose Keras 3 migration fixes can leave ``import keras.backend as K`` unused
MIGRATION_RULE = "TFS501"


@dataclass
class FileFix:
    """What fixing one file did (or, with ``--diff``, would do)."""

    path: str
    applied: int = 0
    unsafe_skipped: int = 0
    changed: bool = False
    remaining: list[Finding] = field(default_factory=list)
    errors: list[InternalError] = field(default_factory=list)
    diff: str = ""
    #: the fixed text, only for stdin ('-'), which is written to stdout
    output: str | None = None


# -- text -------------------------------------------------------------------------------------
def is_crlf(text: str) -> bool:
    """True when every line ending is CRLF (mixed files are left as they are)."""
    crlf = text.count("\r\n")
    return crlf > 0 and crlf == text.count("\n")


def fix_text(source: str, path: str, config: Config, *, unsafe: bool) -> FixResult:
    """Fix one file's text: CRLF kept, unused legacy backend imports dropped after migration.

    Raises :class:`SourceError` when the text does not parse.
    """
    crlf = is_crlf(source)
    text = source.replace("\r\n", "\n") if crlf else source
    result = fix_source(text, path, config, unsafe=unsafe)
    if not result.changed or result.error is not None:
        return replace(result, source=source)
    if config.enabled(MIGRATION_RULE, path):
        result = _drop_unused_backend_imports(result, text, path, config)
    if crlf:
        result = replace(result, source=result.source.replace("\n", "\r\n"))
    return result


def _backend_import_cleaner() -> Callable[..., str] | None:
    """``migrate.remove_unused_backend_imports`` once the TFS501 migration module exists."""
    try:
        from tfshape_lint.migrate import remove_unused_backend_imports
    except ModuleNotFoundError as exc:
        if exc.name != "tfshape_lint.migrate":
            raise
        return None
    return remove_unused_backend_imports


def clean_backend_imports(cleaner: Callable[..., str], fixed: str, before: str) -> str:
    """Run the migration's import cleanup; ``before`` lets it keep imports that were unused already."""
    if "before" in inspect.signature(cleaner).parameters:
        return cleaner(fixed, before=before)
    return cleaner(fixed)


def _drop_unused_backend_imports(result: FixResult, before: str, path: str, config: Config) -> FixResult:
    cleaner = _backend_import_cleaner()
    if cleaner is None:
        return result
    cleaned = clean_backend_imports(cleaner, result.source, before)
    if cleaned == result.source or not _parses(cleaned):
        return result
    remaining = lint(cleaned, path, config, fixes=True).findings
    return replace(result, source=cleaned, remaining=remaining)


def _parses(text: str) -> bool:
    import libcst as cst

    try:
        ast.parse(text)
        cst.parse_module(text)
    except (SyntaxError, ValueError, cst.ParserSyntaxError):
        return False
    return True


def unified_diff(old: str, new: str, path: str) -> str:
    """A unified diff of two texts; a last line without newline is marked as git does."""
    lines = difflib.unified_diff(split_lines(old), split_lines(new),
                                 fromfile=path, tofile=path)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# -- files ------------------------------------------------------------------------------------
def read_python(path: str) -> tuple[str, str]:
    """(text, encoding) of a Python file; :class:`ReadError` with a clear reason otherwise."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ReadError(exc.strerror or str(exc)) from None
    text = decode_source(data)
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return text, encoding


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path``'s content in one step, keeping its permission bits.

    The temporary file lives in the same folder so ``os.replace`` is a rename on one file
    system; a symlink is followed so the link itself stays a link.
    """
    target = os.path.realpath(path)
    mode = stat.S_IMODE(os.stat(target).st_mode)
    folder = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tfshape-tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def fix_file(path: str, config: Config, *, unsafe: bool, diff: bool) -> FileFix:
    """Fix one file on disk (or only compute the diff); problems become errors, never raise."""
    try:
        source, encoding = read_python(path)
    except ReadError as exc:
        return FileFix(path, errors=[InternalError(path, str(exc))])
    outcome = _fix_checked(source, path, config, unsafe=unsafe, diff=diff)
    fixed, outcome.output = outcome.output, None
    if not outcome.changed or diff or fixed is None:
        return outcome
    try:
        write_atomic(path, fixed.encode(encoding))
    except (OSError, UnicodeError) as exc:
        return FileFix(path, remaining=outcome.remaining, errors=[InternalError(
            path, f"cannot write the fixed file, left unchanged: {exc}")])
    return outcome


def _fix_checked(source: str, path: str, config: Config, *, unsafe: bool, diff: bool) -> FileFix:
    """Run :func:`fix_text`, turning every failure into a reported error on an untouched file."""
    try:
        result = fix_text(source, path, config, unsafe=unsafe)
    except SourceError as exc:
        return FileFix(path, errors=[InternalError(path, f"{exc}; not fixed", "E999")])
    except RecursionError:
        return FileFix(path, errors=[InternalError(path, "file too deeply nested to analyse; not fixed")])
    except Exception as exc:  # a fixer bug must not stop the other files or corrupt this one
        return FileFix(path, errors=[InternalError(
            path, f"internal error while fixing, left unchanged: {type(exc).__name__}: {exc}")])
    if result.error is not None:
        return FileFix(path, remaining=result.remaining, errors=[InternalError(path, result.error)])
    changed = result.source != source
    return FileFix(path, applied=result.applied if changed else 0, unsafe_skipped=result.unsafe_skipped,
                   changed=changed, remaining=result.remaining,
                   diff=unified_diff(source, result.source, path) if diff and changed else "",
                   output=result.source)


def _fix_one(job: tuple[str, Config, bool, bool]) -> FileFix:
    path, config, unsafe, diff = job
    return fix_file(path, config, unsafe=unsafe, diff=diff)


def fix_files(paths: list[str], config: Config, *, unsafe: bool, diff: bool,
              jobs: int | None = None) -> list[FileFix]:
    """Fix many files, on all cores when there are enough of them (one file per task)."""
    jobs = jobs or os.cpu_count() or 1
    work = [(p, config, unsafe, diff) for p in paths]
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD:
        return [_fix_one(job) for job in work]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_fix_one, work, chunksize=max(1, len(work) // (jobs * 8))))


# -- command line -----------------------------------------------------------------------------
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


def add_fix_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``fix`` subcommand on the CLI's subparsers."""
    parser = sub.add_parser("fix", help="apply fixes to files (safe ones unless --unsafe-fixes)")
    add_selection_args(parser)
    add_fix_options(parser, alias=False)


def run_fix(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """``fix`` / ``check --fix``: fix, report what remains, print the summary line on stderr."""
    config = resolve_config(args)
    unsafe = config.unsafe_fixes if args.unsafe_fixes is None else bool(args.unsafe_fixes)
    results: list[FileFix] = []
    files: list[str] = []
    for raw in args.paths:
        if raw == "-":
            results.append(_fix_stdin(args, config, unsafe, stdin))
            continue
        for path, problem in iter_python_files([raw], config):
            if problem:
                results.append(FileFix(path, errors=[InternalError(path, problem)]))
            else:
                files.append(path)
    results.extend(fix_files(files, config, unsafe=unsafe, diff=args.diff, jobs=args.jobs))
    return _report(results, args, out, err)


def _fix_stdin(args: argparse.Namespace, config: Config, unsafe: bool, stdin: TextIO) -> FileFix:
    name = args.stdin_filename or "-"
    try:
        data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()
        source = decode_source(data)
    except ReadError as exc:
        return FileFix(name, errors=[InternalError(name, str(exc))])
    outcome = _fix_checked(source, name, config, unsafe=unsafe, diff=args.diff)
    if outcome.output is None:
        outcome.output = source
    return outcome


def _report(results: list[FileFix], args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    remaining = sorted((f for r in results for f in r.remaining), key=Finding.sort_key)
    errors = [e for r in results for e in r.errors]
    changed = [r for r in results if r.changed]
    stdin_mode = any(r.output is not None for r in results)
    if args.diff:
        out.write("".join(r.diff for r in results))
    elif stdin_mode:
        out.write("".join(r.output or "" for r in results))
    if not args.diff:
        report = render(remaining, getattr(args, "format", "text"), errors)
        if getattr(args, "output_file", None) is not None:
            args.output_file.write_text(report, encoding="utf-8")
        else:
            (err if stdin_mode else out).write(report)
    for error in errors:
        err.write(f"{error.path}: error: {error.message}\n")
    applied = sum(r.applied for r in changed)
    skipped = sum(r.unsafe_skipped for r in results)
    verb = "would be applied" if args.diff else "applied"
    err.write(f"{applied} fixes {verb} ({skipped} unsafe skipped) in {len(changed)} files\n")
    return _exit_code(args, remaining, errors, changed)


def _exit_code(args: argparse.Namespace, remaining: list[Finding], errors: list[InternalError],
               changed: list[FileFix]) -> int:
    if errors:
        return EXIT_ERROR
    if args.diff:
        return EXIT_FINDINGS if changed else EXIT_CLEAN
    if changed and args.exit_non_zero_on_fix:
        return EXIT_FINDINGS
    if remaining and not getattr(args, "exit_zero", False):
        return EXIT_FINDINGS
    return EXIT_CLEAN


COMMANDS["fix"] = run_fix
