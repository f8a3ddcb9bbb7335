"""``tfshape-lint fix`` (and ``check --fix`` / ``--diff``): apply the findings' fixes to files.

The file layer around :func:`tfshape_lint.fixer.fix_source`:

- text is decoded as Python does and written back in the same encoding; a file whose line
  endings are all CRLF is analysed with ``\\n`` and written back with CRLF;
- a notebook's code cells are fixed together (magics masked) and only the cell sources that
  changed are written back; outputs, metadata and the JSON layout stay, and the result must
  pass nbformat's validation;
- a file is replaced atomically (temporary file in the same folder, then ``os.replace``) and
  keeps its permission bits, so an interrupted run never leaves half a file;
- a file that does not parse, or whose fixes would not parse, is left untouched and the reason
  is reported;
- the summary follows ruff: ``Found 12 errors (7 fixed, 5 remaining).``; ``--show-fixes``
  lists what was fixed per file and rule;
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
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Callable, TextIO

from tfshape_lint.analysis.index import split_lines
from tfshape_lint.config import Config
from tfshape_lint.engine import SourceError, lint
from tfshape_lint.files import (
    FileResult,
    Input,
    ReadError,
    check_text,
    needs_engine,
    read_bytes,
    read_notebook,
    run_pool,
    to_cells,
)
from tfshape_lint.finding import Finding, InternalError
from tfshape_lint.fixer import FixResult, fix_source
from tfshape_lint.options import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    emit,
    gather_inputs,
    warn_if_nothing,
    write_errors,
)

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
    #: how many fixes of each rule were applied (for --show-fixes)
    fixed_codes: dict[str, int] = field(default_factory=dict)


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
    from tfshape_lint.files import decode_source

    data = read_bytes(path)
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


@dataclass(frozen=True)
class FixJob:
    """One input to fix and how."""

    item: Input
    unsafe: bool
    diff: bool
    show_fixes: bool = False


def fix_input(job: FixJob) -> FileFix:
    """Fix one input (file, notebook or stdin) and write it back unless ``diff`` or stdin."""
    item = job.item
    try:
        if item.text is not None:
            source, encoding = item.text, "utf-8"
        else:
            source, encoding = read_python(item.path)
    except ReadError as exc:
        return FileFix(item.path, errors=[InternalError(item.path, str(exc))])
    if item.notebook:
        outcome = _fix_notebook(source, item.path, item.config, job)
    else:
        outcome = _fix_checked(source, item.path, item.config, unsafe=job.unsafe, diff=job.diff,
                               show_fixes=job.show_fixes)
    fixed = outcome.output
    if item.text is not None:  # stdin: the text goes to stdout
        outcome.output = fixed if fixed is not None else source
        return outcome
    outcome.output = None
    if not outcome.changed or job.diff or fixed is None:
        return outcome
    try:
        write_atomic(item.path, fixed.encode(encoding))
    except (OSError, UnicodeError) as exc:
        return FileFix(item.path, remaining=outcome.remaining, errors=[InternalError(
            item.path, f"cannot write the fixed file, left unchanged: {exc}")])
    return outcome


def _fixed_codes(before: list[Finding], after: list[Finding]) -> dict[str, int]:
    """Which rules' findings went away (``--show-fixes``)."""
    gone = Counter(f.code for f in before) - Counter(f.code for f in after)
    return dict(sorted(gone.items()))


def _fix_checked(source: str, path: str, config: Config, *, unsafe: bool, diff: bool,
                 show_fixes: bool = False) -> FileFix:
    """Run :func:`fix_text`, turning every failure into a reported error on an untouched file."""
    if not needs_engine(source, path):
        return FileFix(path, output=source)
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
    fixed_codes: dict[str, int] = {}
    if changed and show_fixes:
        fixed_codes = _fixed_codes(lint(source, path, config).findings, result.remaining)
    return FileFix(path, applied=result.applied if changed else 0, unsafe_skipped=result.unsafe_skipped,
                   changed=changed, remaining=result.remaining,
                   diff=unified_diff(source, result.source, path) if diff and changed else "",
                   output=result.source, fixed_codes=fixed_codes)


def _fix_notebook(text: str, path: str, config: Config, job: FixJob) -> FileFix:
    """Fix a notebook's code cells; only changed cell sources are written back."""
    from tfshape_lint.notebook import NotebookError, validate

    try:
        notebook = read_notebook(text)
    except ReadError as exc:
        return FileFix(path, errors=[InternalError(path, str(exc))])
    joined = notebook.join()
    outcome = _fix_checked(joined.marked_source(), path, config, unsafe=job.unsafe, diff=False,
                           show_fixes=job.show_fixes)
    if outcome.errors or not outcome.changed or outcome.output is None:
        checked = to_cells(_with_notebook(check_text(joined.source, path, config, fixes=True), joined))
        return replace(outcome, remaining=checked.findings, output=text, changed=False, applied=0)
    try:
        cells = joined.split_fixed(outcome.output)
        new_text = notebook.with_sources(cells)
        validate(new_text)
    except (ValueError, NotebookError) as exc:
        return FileFix(path, remaining=to_cells(_with_notebook(
            check_text(joined.source, path, config, fixes=True), joined)).findings,
            errors=[InternalError(path, f"fixes could not be mapped back to the cells, left unchanged: {exc}")])
    new_joined = read_notebook(new_text).join()
    remaining = to_cells(_with_notebook(check_text(new_joined.source, path, config, fixes=True), new_joined)).findings
    diff = ""
    if job.diff:
        old_cells = dict(enumerate((source for _, source in notebook.cells), start=1))
        diff = "".join(unified_diff(old_cells[index], new, f"{path}:cell {index}")
                       for index, new in sorted(cells.items()))
    return replace(outcome, remaining=remaining, output=new_text, diff=diff, changed=new_text != text)


def _with_notebook(result: FileResult, joined: object) -> FileResult:
    from tfshape_lint.notebook import JoinedNotebook

    assert isinstance(joined, JoinedNotebook)
    result.notebook = joined
    return result


# -- command line -----------------------------------------------------------------------------
def run_fix(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """``fix`` / ``check --fix``: fix, report what remains, print the summary line on stderr."""
    inputs, errors = gather_inputs(args, stdin)
    warn_if_nothing(args, inputs, errors, err)
    show = getattr(args, "show_fixes", False)
    work = [FixJob(item, item.config.unsafe_fixes, args.diff, show) for item in inputs]
    results = run_pool(fix_input, work, args.jobs)
    results = [FileFix(e.path, errors=[e]) for e in errors] + results
    return _report(results, args, out, err)


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
        emit(remaining, errors, args, err if stdin_mode else out)
    write_errors(errors, err)
    err.write(summary(results, remaining, diff=args.diff))
    if getattr(args, "show_fixes", False) and not args.diff:
        err.write(show_fixes(changed))
    return _exit_code(args, remaining, errors, changed)


def summary(results: list[FileFix], remaining: list[Finding], *, diff: bool) -> str:
    """ruff's summary: ``Found 12 errors (7 fixed, 5 remaining).`` and a hint on unsafe fixes."""
    applied = sum(r.applied for r in results if r.changed)
    skipped = sum(r.unsafe_skipped for r in results)
    total = applied + len(remaining)
    if diff:
        line = f"Would fix {_errors(applied)} ({len(remaining)} remaining).\n"
    elif total == 0:
        line = "All checks passed!\n"
    else:
        line = f"Found {_errors(total)} ({applied} fixed, {len(remaining)} remaining).\n"
    if skipped:
        line += f"{skipped} more fixable with --unsafe-fixes.\n"
    return line


def _errors(count: int) -> str:
    return f"{count} error" + ("" if count == 1 else "s")


def show_fixes(changed: list[FileFix]) -> str:
    """``--show-fixes``: what each changed file got, as ruff lists it."""
    if not changed:
        return ""
    total = sum(r.applied for r in changed)
    lines = [f"Fixed {_errors(total)}:\n"]
    for result in changed:
        lines.append(f"- {result.path}:\n")
        for code, count in (result.fixed_codes or {"": result.applied}).items():
            lines.append(f"    {count} × {code or 'fixes'}\n")
    return "".join(lines)


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
