"""Jupyter notebooks as one Python text, and back.

Many Keras losses live in notebooks. The linter works on Python text, so a notebook's code cells
are joined into one source in which every cell line keeps its own line: IPython syntax that is
not Python (``%magic``, ``!shell``, ``x = !cmd``, ``obj?``, and whole ``%%cell`` magics) is
*masked* — replaced by ``pass`` or an empty line at the same place — so that LibCST parses it and
a finding's line maps back to (cell, line in cell). Markdown and raw cells add no lines but count
in the cell numbers, which are positions in the notebook's ``cells`` list (1-based), as Jupyter
and ruff show them.

Fixes run on :meth:`JoinedNotebook.marked_source` (the same text with a comment line between
cells) so that the fixed text can be cut back into cells even when a fix adds lines;
:meth:`JoinedNotebook.split_fixed` does that and puts the masked lines back.
:class:`NotebookFile` reads an ``.ipynb`` with nbformat and writes back only the cell sources
that changed, keeping outputs, metadata, key order and the file's JSON indentation.

This module imports neither LibCST nor the rules: it must stay cheap to import.
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

#: a comment line that cannot occur in user code by accident; put between cells for fixing
CELL_MARKER = "# tfshape-lint: cell boundary {index} 7c1e"
_MARKER_RE = re.compile(r"^[ \t]*# tfshape-lint: cell boundary (\d+) 7c1e[ \t]*$")

# IPython line syntax that is not Python: line magics, shell escapes (also as assignments),
# and help requests. Autocall prefixes (/ , ;) are off by default in IPython and not handled.
_LINE_MAGIC = re.compile(r"^([ \t]*)(%|!|\?)")
_ASSIGN_MAGIC = re.compile(r"^([ \t]*)[\w.\[\], ]+=[ \t]*(%|!)[^=]")
_HELP = re.compile(r"^([ \t]*)[\w.]+\?{1,2}[ \t]*$")
#: IPython's automagic (on by default): a line magic written without its ``%`` (``ls -lh *.h5``,
#: ``pip install x``, ``cd ..``); masked only where the line is no Python statement by itself
_AUTOMAGIC = re.compile(r"^([ \t]*)(?:ls|cd|pwd|pip|conda|mkdir|rmdir|rm|mv|cp|cat|env|set_env|load_ext|"
                        r"reload_ext|matplotlib|timeit|time|who|whos|history|alias|ll|lf|lx|ldir|sx|system)"
                        r"[ \t]+(?![=,:;]|[-+*/%&|^@<>!]=|\*\*=|//=)\S")


class NotebookError(Exception):
    """An ``.ipynb`` that cannot be read as a notebook; the message says why."""


@dataclass(frozen=True)
class _Cell:
    """One code cell: its position in ``cells`` and where its lines start in the joined text."""

    index: int  # 1-based position in the notebook's cells list
    first: int  # 1-based line of its first line in the joined source
    raw: str  # its source exactly as stored
    original: tuple[str, ...]  # its lines (with line ends; the last one gets a newline)
    masked: tuple[str, ...]  # the same lines with IPython syntax masked


def _lines(source: str) -> list[str]:
    """Lines with their ends; the last line gets a newline so cells join cleanly."""
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


def _is_cell_magic(lines: Sequence[str]) -> bool:
    for line in lines:
        if line.strip():
            return line.lstrip().startswith("%%")
    return False


def _mask_line(line: str) -> str | None:
    """The masked form of one IPython line, or None when the line is plain Python."""
    for pattern in (_LINE_MAGIC, _ASSIGN_MAGIC, _HELP):
        match = pattern.match(line)
        if match:
            return f"{match.group(1)}pass\n"
    match = _AUTOMAGIC.match(line)
    if match and not _scan(line, _Open()).continues and not _is_statement(line):
        return f"{match.group(1)}pass\n"
    return None


def _is_statement(line: str) -> bool:
    """Whether the line alone compiles as Python (``time.sleep(1)``, ``ls = []``: no magic)."""
    return _syntax_error(line.strip()) is None


def _syntax_error(text: str) -> SyntaxError | ValueError | None:
    """Why ``text`` is no Python (a null byte is a ValueError), or None; warnings silenced."""
    import ast  # only where a notebook needs it: this module stays cheap to import

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError) as exc:
            return exc
    return None


@dataclass(frozen=True)
class _Open:
    """What a line leaves open for the next one: a triple-quoted string, brackets, a backslash."""

    quote: str | None = None
    depth: int = 0
    backslash: bool = False

    @property
    def continues(self) -> bool:
        """The next line continues a Python statement: IPython reads no magic there
        (``print("%d done"`` then ``      % n)`` is a string format, not ``%`` magic)."""
        return self.quote is not None or self.depth > 0 or self.backslash


def _scan(line: str, before: _Open) -> _Open:
    """What stays open after ``line`` (strings, comments and escapes skipped; a cheap scan)."""
    quote, depth, i, end = before.quote, before.depth, 0, len(line.rstrip("\r\n"))
    while i < end:
        if quote is not None:
            found = line.find(quote, i, end)
            while found != -1 and _escaped(line, found):
                found = line.find(quote, found + 1, end)
            if found == -1:
                break
            i = found + len(quote)
            quote = None
            continue
        char = line[i]
        if char == "#":
            end = i
            break
        if char in "\"'":
            quote = char * 3 if line.startswith(char * 3, i) else char
            i += len(quote)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        i += 1
    if quote is not None and len(quote) == 1:
        quote = None  # a one-quote string ends with its line (or the line is an error anyway)
    backslash = quote is None and line[:end].endswith("\\")
    return _Open(quote, depth, backslash)


def _escaped(line: str, at: int) -> bool:
    """Whether the character at ``at`` follows an odd number of backslashes."""
    count = 0
    while at - count - 1 >= 0 and line[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def mask_cell(lines: Sequence[str]) -> list[str]:
    """The cell's lines with IPython syntax masked, line for line.

    A ``%%`` cell magic (``%%bash``, ``%%writefile``, ``%%time``) masks the whole cell: its body
    is often not Python. A masked line that ends in a backslash continues onto the next line,
    which is masked as well. Lines inside triple-quoted strings, open brackets or after a
    backslash are left alone: they continue a Python statement.
    """
    if _is_cell_magic(lines):
        return ["\n"] * len(lines)
    masked: list[str] = []
    state = _Open()
    continued = False
    for line in lines:
        replacement = None
        if continued:
            replacement = masked[-1]
        elif not state.continues:
            replacement = _mask_line(line)
        if replacement is None:
            masked.append(line)
            state = _scan(line, state)
            continued = False
        else:
            masked.append(replacement)
            continued = line.rstrip("\r\n").endswith("\\")
    return masked


@dataclass(frozen=True)
class BrokenCell:
    """A code cell that is no Python by itself: its position in ``cells`` (1-based), the line in
    the cell (1-based) and column (0-based) where parsing stopped, and why."""

    index: int
    line: int
    column: int
    reason: str

    def message(self) -> str:
        return f"cell {self.index}: syntax error at line {self.line}: {self.reason}; the cell was not checked"


class JoinedNotebook:
    """A notebook's code cells as one Python source, with the map back to cells."""

    def __init__(self, cells: Sequence[tuple[str, str]]) -> None:
        self._cells: list[_Cell] = []
        first = 1
        for index, (cell_type, source) in enumerate(cells, start=1):
            if cell_type != "code":
                continue
            original = _lines(source)
            self._cells.append(_Cell(index, first, source, tuple(original),
                                     tuple(mask_cell(original))))
            first += len(original)
        self.line_count = first - 1
        self.source: str = "".join("".join(cell.masked) for cell in self._cells)

    def without_broken_cells(self) -> tuple[str, list[BrokenCell]]:
        """The source with every code cell that is no Python by itself blanked (line for line),
        and what is wrong with each: Jupyter runs each cell on its own, so one broken cell (a
        Python 2 ``print``, a mis-indented magic) need not hide the others."""
        parts: list[str] = []
        broken: list[BrokenCell] = []
        for cell in self._cells:
            text = "".join(cell.masked)
            error = _syntax_error(text)
            if error is None:
                parts.append(text)
                continue
            if isinstance(error, SyntaxError):
                line = min(max(error.lineno or 1, 1), max(len(cell.original), 1))
                broken.append(BrokenCell(cell.index, line, max((error.offset or 1) - 1, 0), error.msg))
            else:
                broken.append(BrokenCell(cell.index, 1, 0, str(error)))
            parts.append("\n" * len(cell.masked))
        return "".join(parts), broken

    @property
    def code_cells(self) -> list[int]:
        """Positions (1-based, in the ``cells`` list) of the code cells."""
        return [cell.index for cell in self._cells]

    def locate(self, line: int) -> tuple[int, int]:
        """(cell, line in cell) of a 1-based line of :attr:`source`.

        A line past the end (an end-of-file position) maps to the last line of the last cell
        that has lines.
        """
        if self.line_count == 0:
            raise ValueError("the notebook has no code lines")
        line = min(max(line, 1), self.line_count)
        for cell in reversed(self._cells):
            if cell.original and cell.first <= line:
                return cell.index, line - cell.first + 1
        raise AssertionError("unreachable: some cell holds line 1")

    def line_of(self, cell: int, line: int) -> int:
        """The line of :attr:`source` for (cell, line in cell); the inverse of :meth:`locate`."""
        for candidate in self._cells:
            if candidate.index == cell:
                if not 1 <= line <= len(candidate.original):
                    raise ValueError(f"cell {cell} has no line {line}")
                return candidate.first + line - 1
        raise ValueError(f"cell {cell} is not a code cell of this notebook")

    # -- fixing ---------------------------------------------------------------------------------
    def marked_source(self) -> str:
        """:attr:`source` with a marker comment line before every code cell but the first."""
        parts: list[str] = []
        for position, cell in enumerate(self._cells):
            if position:
                parts.append(CELL_MARKER.format(index=cell.index) + "\n")
            parts.extend(cell.masked)
        return "".join(parts)

    def split_same_lines(self, source: str) -> dict[int, str]:
        """Like :meth:`split_fixed` for an edit of :attr:`source` that kept every line in place
        (``--add-noqa`` appends comments): {cell index: new source} for the changed cells."""
        lines = source.splitlines(keepends=True)
        if len(lines) != self.line_count:
            raise ValueError("the edit changed the number of lines")
        parts: list[str] = []
        for position, cell in enumerate(self._cells):
            if position:
                parts.append(CELL_MARKER.format(index=cell.index) + "\n")
            parts.extend(lines[cell.first - 1:cell.first - 1 + len(cell.original)])
        return self.split_fixed("".join(parts))

    def split_fixed(self, fixed: str) -> dict[int, str]:
        """Cut a fixed :meth:`marked_source` back into cells: {cell index: new source}.

        Only cells whose text changed are returned; masked lines that the fix left alone get
        their IPython text back. Raises ValueError when the markers did not survive the fix.
        """
        chunks = self._chunks(fixed)
        changed: dict[int, str] = {}
        for cell, chunk in zip(self._cells, chunks):
            if chunk == list(cell.masked):
                continue
            text = "".join(_unmask(cell, chunk))
            if cell.raw and not cell.raw.endswith(("\n", "\r")) and text.endswith("\n"):
                text = text[:-1]
            if text != cell.raw:
                changed[cell.index] = text
        return changed

    def _chunks(self, fixed: str) -> list[list[str]]:
        chunks: list[list[str]] = [[]]
        expected = [cell.index for cell in self._cells[1:]]
        seen: list[int] = []
        for line in fixed.splitlines(keepends=True):
            match = _MARKER_RE.match(line)
            if match:
                seen.append(int(match.group(1)))
                chunks.append([])
            else:
                chunks[-1].append(line)
        if seen != expected:
            raise ValueError("the fix moved or removed a cell boundary")
        return chunks


def _unmask(cell: _Cell, chunk: list[str]) -> list[str]:
    """The fixed cell lines, with unchanged masked lines restored to their original text."""
    matcher = difflib.SequenceMatcher(a=cell.masked, b=chunk, autojunk=False)
    out: list[str] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(cell.original[a0:a1])
        else:
            out.extend(chunk[b0:b1])
    return out


def join_cells(cells: Sequence[tuple[str, str]]) -> JoinedNotebook:
    """Join ``(cell_type, source)`` pairs; only code cells contribute lines."""
    return JoinedNotebook(cells)


# -- .ipynb files -------------------------------------------------------------------------------
def _source_text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def raw_cells(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """``(cell_type, source)`` of every cell of a notebook's JSON object, in order (no
    validation: what the whole-project scan reads from a notebook it only looks into)."""
    cells = raw.get("cells")
    return [(str(cell.get("cell_type", "")), _source_text(cell.get("source", "")))
            for cell in cells if isinstance(cell, dict)] if isinstance(cells, list) else []


class NotebookFile:
    """An ``.ipynb`` file's JSON, read once; cell sources can be replaced and written back.

    Reading goes through nbformat (``nbformat.reads`` with ``as_version=NO_CONVERT``) so a file
    that is not a notebook gets a clear error; writing keeps the original JSON object (key order,
    outputs, metadata, source as list-of-lines or string), only swapping the changed sources, and
    keeps the file's indentation, ASCII escaping and final newline.
    """

    def __init__(self, text: str) -> None:
        try:
            notebook = _nbformat_reads(text)
            self._raw: dict[str, Any] = json.loads(text)
        except Exception as exc:  # nbformat raises several unrelated types for bad files
            raise NotebookError(f"not a Jupyter notebook: {_first_line(exc)}") from None
        if int(notebook.get("nbformat", 0)) < 4 or not isinstance(self._raw.get("cells"), list):
            raise NotebookError("only nbformat 4 notebooks are supported; "
                                "convert with `jupyter nbconvert --to notebook`")
        self.text = text
        self._indent = _indent_of(text)
        self._ascii = not any(ord(ch) > 127 for ch in text) and "\\u" in text

    @property
    def cells(self) -> list[tuple[str, str]]:
        """``(cell_type, source)`` of every cell, in order."""
        return raw_cells(self._raw)

    def join(self) -> JoinedNotebook:
        return join_cells(self.cells)

    def with_sources(self, sources: dict[int, str]) -> str:
        """The file's text with the sources of the given cells (1-based) replaced."""
        if not sources:
            return self.text
        raw = json.loads(self.text)
        for index, source in sources.items():
            cell = raw["cells"][index - 1]
            if isinstance(cell.get("source"), list):
                cell["source"] = source.splitlines(keepends=True)
            else:
                cell["source"] = source
        out = json.dumps(raw, indent=self._indent, ensure_ascii=self._ascii)
        return out + "\n" if self.text.endswith("\n") else out


def validate(text: str) -> None:
    """Raise NotebookError unless the text is a valid notebook (nbformat's own schema)."""
    import nbformat  # noqa: PLC0415 - only notebook runs pay for it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # see _nbformat_reads
            nbformat.validate(_nbformat_reads(text))
    except Exception as exc:  # ValidationError and JSON errors alike
        raise NotebookError(f"not a valid notebook: {_first_line(exc)}") from None


def _nbformat_reads(text: str) -> Any:
    """nbformat.reads without conversion (nbformat has no type hints)."""
    import nbformat  # noqa: PLC0415 - only notebook runs pay for it

    reads: Callable[..., Any] = nbformat.reads
    with warnings.catch_warnings():
        # ``MissingIDFieldWarning`` for an nbformat 4.5 notebook whose cells have no ids (common
        # in real repositories): reading is right all the same, and the linter's output is no
        # place for it
        warnings.simplefilter("ignore")
        return reads(text, as_version=nbformat.NO_CONVERT)


def _indent_of(text: str) -> int | None:
    match = re.search(r"\n( +)\"", text)
    return len(match.group(1)) if match else None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
