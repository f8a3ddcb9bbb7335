"""``check --add-noqa``: adopt the linter on existing code by suppressing what it finds today.

Each finding gets ``# noqa: CODE`` at the end of its logical line (where flake8 and the engine
look for it: the physical line that ends the statement, never inside a string); codes already
in a ``# noqa: ...`` there are kept and the new ones added. Running it again changes nothing,
because suppressed findings are no longer reported. Notebooks get the comment in their cells.
"""

from __future__ import annotations

import argparse
import io
import re
import tokenize
from dataclasses import dataclass
from typing import TextIO

from tfshape_lint.files import FileResult, Input, ReadError, check_text, read_input, run_pool
from tfshape_lint.options import EXIT_CLEAN, EXIT_ERROR, gather_inputs, write_errors

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)


@dataclass
class NoqaResult:
    path: str
    added: int = 0
    error: str | None = None


def logical_line_ends(source: str) -> dict[int, int]:
    """Line -> the last physical line of its logical line (where a comment can go)."""
    ends: dict[int, int] = {}
    first = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT, tokenize.INDENT):
                continue
            first = tok.start[0] if first is None else first
            if tok.type in (tokenize.NEWLINE, tokenize.NL):
                ends.update(dict.fromkeys(range(first, tok.start[0] + 1), tok.start[0]))
                first = None
    except (tokenize.TokenError, SyntaxError):
        return {}
    return ends


def add_noqa(source: str, codes_by_line: dict[int, set[str]]) -> tuple[str, int]:
    """The text with ``# noqa: CODES`` on the given lines' logical-line ends; (text, lines changed)."""
    ends = logical_line_ends(source)
    wanted: dict[int, set[str]] = {}
    for line, codes in codes_by_line.items():
        wanted.setdefault(ends.get(line, line), set()).update(codes)
    lines = source.splitlines(keepends=True)
    changed = 0
    for line, codes in sorted(wanted.items()):
        if not 1 <= line <= len(lines):
            continue
        new = _with_codes(lines[line - 1], codes)
        if new != lines[line - 1]:
            lines[line - 1] = new
            changed += 1
    return "".join(lines), changed


def _with_codes(line: str, codes: set[str]) -> str:
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    match = _NOQA.search(body)
    if match is None:
        return f"{body}  # noqa: {', '.join(sorted(codes))}{ending}"
    if match.group("codes") is None:  # a bare noqa already silences everything
        return line
    present = re.findall(r"[A-Z]+[0-9]+", match.group("codes"), re.I)
    merged = ", ".join(present + sorted(codes - set(present)))
    return f"{body[:match.start()]}# noqa: {merged}{body[match.end():]}{ending}"


def add_noqa_to_input(item: Input) -> NoqaResult:
    """Lint one input and write the comments into it (Python file or notebook cells)."""
    from tfshape_lint.fix_cmd import read_python, write_atomic

    try:
        text, encoding = read_python(item.path)
        source, notebook = read_input(Input(item.path, item.config, item.notebook, text))
    except ReadError as exc:
        return NoqaResult(item.path, error=str(exc))
    result: FileResult = check_text(source, item.path, item.config)
    if result.errors:
        return NoqaResult(item.path, error=result.errors[0].message)
    codes: dict[int, set[str]] = {}
    for finding in result.findings:
        codes.setdefault(finding.line, set()).add(finding.code)
    if not codes:
        return NoqaResult(item.path)
    new_source, added = add_noqa(source, codes)
    if notebook is not None:
        new_text = notebook.with_sources(notebook.join().split_same_lines(new_source))
    else:
        new_text = new_source
    if new_text != text:
        write_atomic(item.path, new_text.encode(encoding))
    return NoqaResult(item.path, added)


def run_add_noqa(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """``check --add-noqa``: exit 0 when every finding is now suppressed, 2 on errors."""
    inputs, errors = gather_inputs(args, stdin)
    if any(item.text is not None for item in inputs):
        err.write("tfshape-lint: error: --add-noqa writes files; it cannot read stdin ('-')\n")
        return EXIT_ERROR
    results = run_pool(add_noqa_to_input, inputs, args.jobs)
    write_errors(errors, err)
    for result in results:
        if result.error:
            err.write(f"{result.path}: error: {result.error}; no noqa added\n")
    added = sum(r.added for r in results)
    files = sum(1 for r in results if r.added)
    err.write(f"Added {added} noqa comment{'s' if added != 1 else ''} to {files} "
              f"file{'s' if files != 1 else ''}.\n")
    return EXIT_ERROR if errors or any(r.error for r in results) else EXIT_CLEAN
