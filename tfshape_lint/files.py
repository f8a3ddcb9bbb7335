"""Finding, reading and checking files: shared by the CLI commands (check, fix).

Every failure becomes a one-line message naming the file; nothing here raises to the user.
"""

from __future__ import annotations

import io
import os
import tokenize
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from tfshape_lint.config import Config
from tfshape_lint.engine import SourceError, lint
from tfshape_lint.finding import Finding, InternalError

PARALLEL_THRESHOLD = 16


class ReadError(Exception):
    """A file that cannot be read as Python source; the message names the reason."""


@dataclass
class FileResult:
    """What checking one file produced."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[InternalError] = field(default_factory=list)


def iter_python_files(paths: Iterable[str], config: Config) -> Iterator[tuple[str, str | None]]:
    """(path, problem) pairs: every .py file under the given paths; problem set for bad paths.

    Explicitly named files are always checked; directory walks skip excluded folders.
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield raw, "no such file or directory"
        elif path.is_file():
            yield raw, None
        elif path.is_dir():
            yield from ((p, None) for p in _walk(path, config))
        else:
            yield raw, "not a regular file or directory"


def _walk(root: Path, config: Config) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        dirs[:] = sorted(d for d in dirs if not config.is_excluded(_rel(base / d, root)))
        for name in sorted(files):
            if name.endswith((".py", ".pyi")):
                candidate = base / name
                if not config.is_excluded(_rel(candidate, root)):
                    yield str(candidate)


def _rel(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return path


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


def read_source(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ReadError(exc.strerror or str(exc)) from None
    return decode_source(data)


def check_text(source: str, path: str, config: Config, *, fixes: bool = False) -> FileResult:
    """Lint already-read text; syntax errors and rule crashes become InternalErrors.

    ``fixes=True`` computes each finding's fix (for outputs that show it)."""
    try:
        result = lint(source, path, config, fixes=fixes)
    except SourceError as exc:
        return FileResult(path, errors=[InternalError(path, str(exc), "E999")])
    except RecursionError:
        return FileResult(path, errors=[InternalError(path, "file too deeply nested to analyse")])
    return FileResult(path, result.findings, result.errors)


def check_file(path: str, config: Config, fixes: bool = False) -> FileResult:
    try:
        source = read_source(path)
    except ReadError as exc:
        return FileResult(path, errors=[InternalError(path, str(exc))])
    return check_text(source, path, config, fixes=fixes)


def _check_one(args: tuple[str, Config, bool]) -> FileResult:
    return check_file(*args)


def check_files(paths: list[str], config: Config, jobs: int | None = None,
                fixes: bool = False) -> list[FileResult]:
    """Check many files, on all cores when there are enough of them."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD:
        return [check_file(p, config, fixes) for p in paths]
    chunk = max(1, len(paths) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_check_one, [(p, config, fixes) for p in paths], chunksize=chunk))
