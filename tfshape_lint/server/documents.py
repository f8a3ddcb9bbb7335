"""What the server lints: one document (a ``.py`` file or a notebook's code cells) at one version.

A :class:`Snapshot` is immutable, so linting can run on a worker thread while the client keeps
editing; the result is published only if the document is still at that version. Notebooks are
joined into one Python text by :mod:`tfshape_lint.notebook`, so a loss defined in one cell and
compiled in another is seen as in a script, and each finding maps back to its cell.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote, urlparse

from tfshape_lint.analysis.index import split_lines
from tfshape_lint.config import CONFIG_FILES, Config, ConfigError, clear_cache, config_for_path
from tfshape_lint.engine import LintResult, SourceError, lint
from tfshape_lint.finding import Finding
from tfshape_lint.notebook import JoinedNotebook, join_cells


@dataclass(frozen=True)
class Cell:
    """A notebook cell as the client holds it: its document URI, kind and text."""

    uri: str
    kind: str  # "code" or "markdown" (any non-code kind adds no lines)
    text: str


@dataclass(frozen=True)
class Place:
    """Where a line of the linted source lives in the client's documents (0-based line)."""

    uri: str
    line: int
    text: str


@dataclass(frozen=True)
class SyntaxProblem:
    """The one diagnostic of a file that does not parse (1-based line, 0-based column)."""

    message: str
    line: int
    column: int


@dataclass(frozen=True)
class Outcome:
    """One lint of a snapshot: findings, or the syntax problem that stopped it."""

    findings: tuple[Finding, ...] = ()
    syntax: SyntaxProblem | None = None
    internal: tuple[str, ...] = ()
    #: a notebook's cells that are no Python by themselves, left out of the findings (which come
    #: from the other cells), as ``check`` reports them
    broken_cells: tuple[SyntaxProblem, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """One document at one version: the text the engine sees and the map back to the client."""

    uri: str
    path: str
    version: int | None
    source: str
    config: Config
    notebook: JoinedNotebook | None = None
    cells: tuple[Cell, ...] = ()
    _lines: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def text(cls, uri: str, version: int | None, text: str, config: Config) -> Snapshot:
        return cls(uri, uri_path(uri), version, text, config, _lines=tuple(split_lines(text)))

    @classmethod
    def notebook_cells(cls, uri: str, version: int | None, cells: Sequence[Cell], config: Config) -> Snapshot:
        joined = join_cells([(c.kind, c.text) for c in cells])
        return cls(uri, uri_path(uri), version, joined.source, config, joined, tuple(cells))

    def same_input(self, other: Snapshot) -> bool:
        """Whether linting ``other`` must give this snapshot's findings (same text, path, config;
        the cell layout too, since findings map to cells)."""
        return (self.source == other.source and self.path == other.path and self.config == other.config
                and [(c.uri, c.kind, c.text) for c in self.cells] == [(c.uri, c.kind, c.text) for c in other.cells])

    @property
    def targets(self) -> list[str]:
        """Every client document that gets diagnostics from this snapshot."""
        if self.notebook is None:
            return [self.uri]
        return [c.uri for c in self.cells if c.kind == "code"]

    def place(self, line: int) -> Place:
        """The client document and 0-based line for a 1-based line of :attr:`source`."""
        if self.notebook is None:
            index = min(max(line, 1), max(len(self._lines), 1)) - 1
            return Place(self.uri, index, self._lines[index] if self._lines else "")
        cell, cell_line = self.notebook.locate(line)
        lines = split_lines(self.cells[cell - 1].text)
        index = min(cell_line, max(len(lines), 1)) - 1
        return Place(self.cells[cell - 1].uri, index, lines[index] if lines else "")

    def document_text(self, uri: str) -> str | None:
        """The client's text of ``uri`` (the file, or one cell)."""
        if self.notebook is None:
            return self.source if uri == self.uri else None
        return next((c.text for c in self.cells if c.uri == uri), None)

    def source_line(self, uri: str, line: int) -> int | None:
        """The 1-based line of :attr:`source` for a 0-based line of a client document."""
        if self.notebook is None:
            return line + 1 if uri == self.uri else None
        for index, cell in enumerate(self.cells, start=1):
            if cell.uri == uri:
                try:
                    return self.notebook.line_of(index, line + 1)
                except ValueError:
                    return None
        return None


def uri_path(uri: str) -> str:
    """A filesystem path for a ``file:`` URI (the path part of any other URI)."""
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.path else uri


def lint_snapshot(snapshot: Snapshot, *, fixes: bool = False) -> Outcome:
    """Lint one snapshot; a syntax error becomes :class:`SyntaxProblem`, never an exception.

    ``fixes``: whether code actions need the fixes (diagnostics do not: they are only computed on demand).
    """
    try:
        result = _lint(snapshot, fixes)
    except SourceError as exc:
        return _without_broken_cells(snapshot, fixes) or Outcome(syntax=syntax_problem(snapshot.source, str(exc)))
    except RecursionError:
        return Outcome(internal=("file too deeply nested to analyse",))
    return Outcome(tuple(result.findings), None, tuple(e.message for e in result.errors))


def _without_broken_cells(snapshot: Snapshot, fixes: bool) -> Outcome | None:
    """A notebook whose cells that are no Python by themselves are left out: the other cells'
    findings, and one problem in each broken cell (None for a file, or when no single cell is
    to blame)."""
    if snapshot.notebook is None:
        return None
    source, broken = snapshot.notebook.without_broken_cells()
    if not broken:
        return None
    try:
        result = lint(source, snapshot.path, snapshot.config, fixes=fixes)
    except (SourceError, RecursionError):
        return None
    problems = tuple(SyntaxProblem(f"syntax error: {cell.reason}; the cell was not checked",
                                   snapshot.notebook.line_of(cell.index, cell.line), cell.column)
                     for cell in broken)
    return Outcome(tuple(result.findings), None, tuple(e.message for e in result.errors), problems)


def _lint(snapshot: Snapshot, fixes: bool) -> LintResult:
    return lint(snapshot.source, snapshot.path, snapshot.config, fixes=fixes)


def syntax_problem(source: str, fallback: str) -> SyntaxProblem:
    """Where the file stops parsing: stdlib ``ast`` gives the line and column."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            ast.parse(source)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = max((exc.offset or 1) - 1, 0)
        return SyntaxProblem(f"syntax error: {exc.msg}", line, column)
    except ValueError as exc:
        return SyntaxProblem(f"cannot parse: {exc}", 1, 0)
    return SyntaxProblem(fallback, 1, 0)


class ConfigCache:
    """Per-file settings exactly as every front-end finds them (:func:`config_for_path`: the
    nearest config file above the file, cached per folder). The server calls :meth:`forget`
    when a config file is saved or changes on disk; a bad config gives the defaults and its
    message is kept in :attr:`errors` for the server to show."""

    def __init__(self) -> None:
        self.errors: set[str] = set()

    def for_path(self, path: str) -> Config:
        try:
            return config_for_path(path)
        except ConfigError as exc:
            self.errors.add(str(exc))
            return Config()

    def forget(self) -> None:
        clear_cache()
        self.errors.clear()


def is_config_file(path: str) -> bool:
    """Whether saving this file can change the settings of other files."""
    return Path(path).name in CONFIG_FILES
