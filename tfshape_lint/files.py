"""The input loop every front-end shares: which files, read how, checked where.

- :func:`gather` turns the command line's paths (files, folders, ``-`` for stdin) into
  :class:`Input` items, each with the settings of the nearest config above it
  (:func:`tfshape_lint.config.config_for_path`). Folder walks skip default and configured
  excludes and what ``.gitignore`` ignores; explicitly named files are always checked unless
  ``force-exclude`` is on (pre-commit names files explicitly). An explicitly named file that is
  neither Python nor a notebook is an error.
- :func:`read_input` decodes Python like Python does and joins a notebook's code cells
  (:mod:`tfshape_lint.notebook`).
- :func:`run_pool` is the one process pool (used by ``check``, ``fix`` and ``--add-noqa``).

Every failure becomes a one-line message naming the file; nothing here raises to the user.
Importing this module imports neither LibCST nor the rules: a file that never names
TensorFlow/Keras is answered without them.
"""

from __future__ import annotations

import io
import os
import tokenize
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TypeVar

from tfshape_lint.analysis import PREFILTER, may_use_ml
from tfshape_lint.config import Config, ConfigResolver
from tfshape_lint.finding import Finding, InternalError
from tfshape_lint.gitignore import GitIgnore

if TYPE_CHECKING:
    from tfshape_lint.notebook import JoinedNotebook, NotebookFile

PARALLEL_THRESHOLD = 16
PYTHON_SUFFIXES = (".py", ".pyi")
NOTEBOOK_SUFFIX = ".ipynb"

T = TypeVar("T")
R = TypeVar("R")


class ReadError(Exception):
    """A file that cannot be read as Python source or a notebook; the message says why."""


@dataclass(frozen=True)
class Input:
    """One thing to check: a file (or stdin, with its text already read) and its settings."""

    path: str
    config: Config
    notebook: bool = False
    #: the text of stdin ('-'); None for files, which are read where they are checked
    text: str | None = None


@dataclass
class FileResult:
    """What checking one input produced.

    ``source`` is the text that was linted (a notebook's joined cells) and ``notebook`` the map
    back to cells; findings keep lines of ``source`` until :func:`to_cells` maps them.
    """

    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[InternalError] = field(default_factory=list)
    source: str | None = None
    notebook: JoinedNotebook | None = None


# -- which files --------------------------------------------------------------------------------
@dataclass
class Walker:
    """Finds the inputs under the command line's paths, with their configs."""

    resolver: ConfigResolver
    gitignore: GitIgnore = field(default_factory=GitIgnore)

    def inputs(self, raw: str) -> Iterator[Input | InternalError]:
        path = Path(raw)
        if not path.exists():
            yield InternalError(raw, "no such file or directory")
        elif path.is_file():
            yield from self._explicit_file(raw)
        elif path.is_dir():
            yield from self._walk(path)
        else:
            yield InternalError(raw, "not a regular file or directory")

    def _explicit_file(self, raw: str) -> Iterator[Input | InternalError]:
        config = self.resolver.for_path(raw)
        if config.force_exclude and self._excluded(raw, config, is_dir=False, whole_path=True):
            return
        notebook = raw.endswith(NOTEBOOK_SUFFIX)
        if not notebook and not raw.endswith(PYTHON_SUFFIXES) and not _python_shebang(raw):
            yield InternalError(raw, "not a Python file or Jupyter notebook "
                                     "(.py, .pyi, .ipynb or a python shebang); not checked")
            return
        yield Input(raw, config, notebook)

    def _excluded(self, path: str, config: Config, *, is_dir: bool, whole_path: bool) -> bool:
        if config.is_excluded(path, is_dir=is_dir, whole_path=whole_path):
            return True
        return config.respect_gitignore and self.gitignore.ignored(path, is_dir=is_dir)

    def _walk(self, root: Path) -> Iterator[Input]:
        for folder, dirs, files in os.walk(root):
            config = self.resolver.for_path(folder)
            dirs[:] = sorted(d for d in dirs if not self._excluded(
                os.path.join(folder, d), config, is_dir=True, whole_path=False))
            for name in sorted(files):
                if not name.endswith(PYTHON_SUFFIXES + (NOTEBOOK_SUFFIX,)):
                    continue
                candidate = os.path.normpath(os.path.join(folder, name))
                if not self._excluded(candidate, config, is_dir=False, whole_path=False):
                    yield Input(candidate, config, name.endswith(NOTEBOOK_SUFFIX))


def iter_python_files(paths: Sequence[str], config: Config, *,
                      notebooks: bool = False) -> Iterator[tuple[str, str | None]]:
    """(path, problem) for every Python file under ``paths`` (with ``notebooks``, the Jupyter
    notebooks ``check`` reads instead), with one config for all of them (for scripts and
    benchmarks that choose the config; the commands use :func:`gather`)."""
    walker = Walker(ConfigResolver(fixed=config))
    for raw in paths:
        for item in walker.inputs(raw):
            if isinstance(item, InternalError):
                yield item.path, item.message
            elif item.notebook == notebooks:
                yield item.path, None


def _python_shebang(path: str) -> bool:
    """A script without a suffix that runs Python (pre-commit's ``types: [python]`` has it)."""
    if Path(path).suffix:
        return False
    try:
        with open(path, "rb") as handle:
            first = handle.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def gather(paths: Sequence[str], resolver: ConfigResolver, *, stdin_text: Callable[[], bytes],
           stdin_filename: str | None = None) -> tuple[list[Input], list[InternalError]]:
    """Every input named on the command line, and one error per bad path (in order)."""
    walker = Walker(resolver)
    inputs: list[Input] = []
    errors: list[InternalError] = []
    for raw in paths:
        if raw == "-":
            name = stdin_filename or "-"
            config = resolver.for_path(stdin_filename or os.getcwd())
            try:
                text = decode_source(stdin_text())
            except ReadError as exc:
                errors.append(InternalError(name, str(exc)))
                continue
            if config.force_exclude and stdin_filename and walker._excluded(
                    stdin_filename, config, is_dir=False, whole_path=True):
                continue
            inputs.append(Input(name, config, name.endswith(NOTEBOOK_SUFFIX), text))
            continue
        for item in walker.inputs(raw):
            (errors if isinstance(item, InternalError) else inputs).append(item)  # type: ignore[arg-type]
    return inputs, errors


# -- reading ------------------------------------------------------------------------------------
def decode_source(data: bytes) -> str:
    """Decode like Python does (PEP 263 coding line, BOM), with a clear error otherwise."""
    if b"\x00" in data:
        raise ReadError("binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError) as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise ReadError(f"not valid UTF-8 text (byte {bad.start}): save the file as UTF-8 "
                            "or declare its encoding") from None
        raise ReadError(f"cannot determine the encoding: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ReadError(f"not valid {exc.encoding.upper()} text (byte {exc.start}): "
                        "save the file as UTF-8 or declare its encoding") from None


def read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ReadError(exc.strerror or str(exc)) from None


def read_source(path: str) -> str:
    return decode_source(read_bytes(path))


def read_notebook(text: str) -> NotebookFile:
    """Parse an ``.ipynb``'s text; :class:`ReadError` when it is not a notebook."""
    from tfshape_lint.notebook import NotebookError, NotebookFile

    try:
        return NotebookFile(text)
    except NotebookError as exc:
        raise ReadError(str(exc)) from None


def read_input(item: Input) -> tuple[str, NotebookFile | None]:
    """(text to lint, the notebook it came from or None); raises :class:`ReadError`."""
    text = item.text if item.text is not None else read_source(item.path)
    if not item.notebook:
        return text, None
    if not PREFILTER.search(text):  # nothing to lint: skip nbformat's import (about 90 ms)
        _check_json(text)
        return "", None
    notebook = read_notebook(text)
    return notebook.join().source, notebook


def _check_json(text: str) -> None:
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReadError(f"not a Jupyter notebook: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ReadError("not a Jupyter notebook: no list of cells")


# -- checking -----------------------------------------------------------------------------------
def needs_engine(source: str, path: str) -> bool:
    """Whether linting can find anything: the engine's own fast path, answered without
    importing the engine (LibCST and the rules load only for files that need them).

    A file that never names TensorFlow/Keras still needs it when a module of its own project
    re-exports them (``from mypkg.backend import ops``): the stdlib-``ast`` index says so.
    """
    if not may_use_ml(source, path):
        return False
    if PREFILTER.search(source):
        return True
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError):
        return True  # the engine reports it
    from tfshape_lint.analysis.index import build_index

    return build_index(source, tree, path).imports.mentions_ml()


def check_text(source: str, path: str, config: Config, *, fixes: bool = False) -> FileResult:
    """Lint already-read text; syntax errors and rule crashes become InternalErrors.

    ``fixes=True`` computes each finding's fix (``fix``, ``--diff``, the JSON report)."""
    if not needs_engine(source, path):
        return FileResult(path, source=source)
    from tfshape_lint.engine import SourceError, lint

    try:
        result = lint(source, path, config, fixes=fixes)
    except SourceError as exc:
        return FileResult(path, errors=[InternalError(path, str(exc), "E999")], source=source)
    except RecursionError:
        return FileResult(path, errors=[InternalError(path, "file too deeply nested to analyse")],
                          source=source)
    return FileResult(path, list(result.findings), list(result.errors), source=source)


def check_input(item: Input, fixes: bool = False) -> FileResult:
    """Read and lint one input; a notebook's findings still have lines of the joined text.

    ``fixes=True`` computes each finding's fix (for the outputs that show it)."""
    try:
        text, notebook = read_input(item)
    except ReadError as exc:
        return FileResult(item.path, errors=[InternalError(item.path, str(exc))])
    result = check_text(text, item.path, item.config, fixes=fixes)
    if notebook is not None:
        joined = notebook.join()
        if any(error.code == "E999" for error in result.errors):
            result = _without_broken_cells(joined, item, fixes) or result
        result.notebook = joined
    return result


def _without_broken_cells(joined: JoinedNotebook, item: Input, fixes: bool) -> FileResult | None:
    """A notebook LibCST cannot parse whole: the cells that are no Python by themselves are
    reported (E999, with their cell number) and left out, and the others are checked. None when
    every cell parses alone (the error is the engine's own, and stands)."""
    source, broken = joined.without_broken_cells()
    if not broken:
        return None
    result = check_text(source, item.path, item.config, fixes=fixes)
    result.errors = [*result.errors, *(InternalError(item.path, cell.message(), "E999") for cell in broken)]
    return result


def check_file(path: str, config: Config) -> FileResult:
    """Lint one file on disk (Python or notebook, by its suffix) with the given config; a
    notebook's findings are mapped to their cells."""
    return to_cells(check_input(Input(path, config, path.endswith(NOTEBOOK_SUFFIX))))


def check_inputs(inputs: list[Input], jobs: int | None = None, fixes: bool = False) -> list[FileResult]:
    return run_pool(partial(check_input, fixes=fixes) if fixes else check_input, inputs, jobs)


def to_cells(result: FileResult) -> FileResult:
    """Map a notebook result's findings from joined-text lines to (cell, line in cell)."""
    notebook = result.notebook
    if notebook is None:
        return result
    mapped = []
    for finding in result.findings:
        cell, line = notebook.locate(finding.line)
        end_cell, end_line = notebook.locate(finding.end_line)
        if end_cell != cell:
            end_line = line
        mapped.append(replace(finding, line=line, end_line=end_line, cell=cell))
    return replace(result, findings=mapped)


def run_pool(work: Callable[[T], R], items: Sequence[T], jobs: int | None = None) -> list[R]:
    """``[work(item) for item in items]``, on all cores when there are enough items.

    The one process pool of the front-ends; results keep the order of ``items``.
    """
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(items) < PARALLEL_THRESHOLD:
        return [work(item) for item in items]
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(items) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(work, items, chunksize=chunk))
