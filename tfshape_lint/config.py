"""Settings: ``[tool.tfshape-lint]`` (or a ``tfshape-lint.toml``), found per checked file.

Like ruff, each file gets the settings of the **nearest configuration above it**: a
``tfshape-lint.toml`` / ``.tfshape-lint.toml`` (top-level keys), or a ``pyproject.toml`` that
has a ``[tool.tfshape-lint]`` table — a ``pyproject.toml`` without the table does not count, so
a nested package's ``pyproject.toml`` does not hide the project's settings. Globs in
``exclude`` / ``per-file-ignores`` are relative to the folder of the file that wrote them.
``extend = "../base.toml"`` reads another configuration first and overrides it key by key.
``--config FILE`` replaces the search for every file; command-line options override both.

Every front-end (CLI, flake8 plugin, codemod, language server) asks
:func:`config_for_path` and gets the same :class:`Config`; lookups are cached per folder.
Nothing here imports LibCST or the rules: the codes come from the generated catalogue.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

CODE_PREFIX_RE = re.compile(r"^TFS\d{0,3}$")
TARGETS = ("3", "tf-keras")
DEFAULT_EXCLUDES = (".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env",
                    "__pycache__", "build", "dist", "node_modules", ".mypy_cache",
                    ".pytest_cache", "site-packages", ".eggs", "*.egg-info",
                    ".ipynb_checkpoints")
#: file names holding settings, most specific first (in one folder the first one found wins)
CONFIG_FILES = ("tfshape-lint.toml", ".tfshape-lint.toml", "pyproject.toml")
_KEYS = {"select", "ignore", "extend-select", "exclude", "extend-exclude", "per-file-ignores",
         "extend-per-file-ignores", "target-keras", "unsafe-fixes", "force-exclude",
         "respect-gitignore", "extend"}


class ConfigError(ValueError):
    """A bad configuration value; the message names the file and the key."""


@dataclass(frozen=True)
class Glob:
    """A pattern from a config file, matched relative to that file's folder (``root``).

    A pattern without ``/`` (``*.egg-info``, ``legacy``, ``test_*.py``) matches any path
    component, as in ``.gitignore``; one with ``/`` (``experiments/*``, ``src/old/**``) is
    anchored at ``root``. ``*`` also matches ``/``.
    """

    pattern: str
    root: str

    def matches(self, path: str | Path, *, is_dir: bool = False, whole_path: bool = True) -> bool:
        """Whether ``path`` matches; ``whole_path=False`` tests only its last component against
        an unanchored pattern (a folder walk already tested the folders above)."""
        pattern = self.pattern.removeprefix("./").rstrip("/") or "."
        absolute = os.path.abspath(path)
        rel = _relative(absolute, self.root)
        if "/" not in pattern:
            return any(fnmatch.fnmatch(part, pattern) for part in _parts(absolute, rel, whole_path))
        if rel is None:
            return False
        candidates = (rel, rel + "/") if is_dir else (rel,)
        return any(fnmatch.fnmatch(c, pattern) or fnmatch.fnmatch(c, pattern + "/*")
                   for c in candidates)


def _parts(absolute: str, rel: str | None, whole_path: bool) -> list[str]:
    """The components an unanchored pattern is tested against."""
    if whole_path and rel is not None and rel != ".":
        return rel.split("/")
    return [os.path.basename(absolute)]


def _relative(absolute: str, root: str) -> str | None:
    """``absolute`` relative to ``root`` in POSIX form, None when it lies outside."""
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        return None
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return Path(rel).as_posix()


@dataclass(frozen=True)
class Config:
    """Everything a run needs to know about the user's settings for one file."""

    select: tuple[str, ...] = ("TFS",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[Glob, ...] = ()
    extend_exclude: tuple[Glob, ...] = ()
    per_file_ignores: tuple[tuple[Glob, tuple[str, ...]], ...] = ()
    extend_per_file_ignores: tuple[tuple[Glob, tuple[str, ...]], ...] = ()
    target_keras: str = "3"
    unsafe_fixes: bool = False
    force_exclude: bool = False
    respect_gitignore: bool = True
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the file(s) the settings came from ("defaults" when none), for --show-settings
    source: str = "defaults"
    #: the folder relative globs are anchored at (the config file's folder)
    root: str = ""

    def enabled(self, code: str, path: str | None = None) -> bool:
        """Whether ``code`` is on: the most specific matching prefix decides (as in ruff)."""
        best_len, on = -1, False
        for prefix in self.select + self.extend_select:
            if code.startswith(prefix) and len(prefix) > best_len:
                best_len, on = len(prefix), True
        for prefix in self.ignore + self._file_ignores(path):
            if code.startswith(prefix) and len(prefix) >= best_len:
                best_len, on = len(prefix), False
        return on

    def _file_ignores(self, path: str | None) -> tuple[str, ...]:
        if path is None or path == "-":
            return ()
        out: list[str] = []
        for glob, codes in self.per_file_ignores + self.extend_per_file_ignores:
            if glob.matches(path):
                out.extend(codes)
        return tuple(out)

    def is_excluded(self, path: str | Path, *, is_dir: bool = False, whole_path: bool = True) -> bool:
        """Whether a file or folder matches a default or configured exclude glob.

        ``whole_path``: also test the folders between the config's folder and ``path`` (an
        explicitly named file); a folder walk passes False, having tested them on the way.
        """
        absolute = os.path.abspath(path)
        parts = _parts(absolute, _relative(absolute, self.root or os.getcwd()), whole_path)
        if any(fnmatch.fnmatch(part, pattern) for part in parts for pattern in DEFAULT_EXCLUDES):
            return True
        return any(glob.matches(absolute, is_dir=is_dir, whole_path=whole_path)
                   for glob in self.exclude + self.extend_exclude)

    def rule_option(self, code: str, key: str, default: Any) -> Any:
        return self.rule_options.get(code, {}).get(key, default)

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)


# -- parsing ------------------------------------------------------------------------------------
def known_codes() -> tuple[str, ...]:
    """Every rule code, from the generated catalogue (no rule module is imported)."""
    from tfshape_lint.catalogue import codes

    return codes()


def _codes(value: Any, where: str, known: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes, got {value!r}")
    known = tuple(known)
    for code in value:
        if code == "ALL":
            continue
        if not CODE_PREFIX_RE.match(code) or not any(k.startswith(code) for k in known):
            raise ConfigError(f"{where}: unknown rule code {code!r} (see `tfshape-lint rules`)")
    return tuple("TFS" if c == "ALL" else c for c in value)


def check_codes(codes: Iterable[str], where: str, known: Iterable[str] | None = None) -> tuple[str, ...]:
    """Validate a user-given list of codes or prefixes (CLI or config)."""
    return _codes(list(codes), where, known_codes() if known is None else known)


def parse_table(table: Mapping[str, Any], where: str, known: Iterable[str] | None = None,
                *, root: str = "", base: Config | None = None) -> Config:
    """Build a Config from a ``[tool.tfshape-lint]`` table (already parsed TOML).

    ``root``: the folder globs are relative to; ``base``: the settings this table overrides
    (from ``extend``), key by key; ``extend-*`` keys add to the base's lists.
    """
    known = tuple(known_codes() if known is None else known)
    root = root or os.getcwd()
    base = base or Config(root=root)
    options: dict[str, dict[str, Any]] = {code: dict(v) for code, v in base.rule_options.items()}
    changes: dict[str, Any] = {"source": where if base.source == "defaults" else f"{where} (extends {base.source})",
                               "root": root}
    for key, value in table.items():
        if key in known and isinstance(value, dict):
            options.setdefault(key, {}).update(value)
            continue
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} in [tool.tfshape-lint] "
                              f"(allowed: {', '.join(sorted(_KEYS))})")
        if key != "extend":
            changes.update(_parse_key(key, value, where, known, root, base))
    changes["rule_options"] = options
    return replace(base, **changes)


def _globs(value: Any, loc: str, root: str) -> tuple[Glob, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{loc}: expected a list of glob patterns")
    return tuple(Glob(v, root) for v in value)


def _parse_key(key: str, value: Any, where: str, known: tuple[str, ...], root: str,
               base: Config) -> dict[str, Any]:
    loc = f"{where}: [tool.tfshape-lint] {key}"
    if key in ("select", "ignore"):
        return {key: _codes(value, loc, known)}
    if key == "extend-select":
        return {"extend_select": base.extend_select + _codes(value, loc, known)}
    if key == "exclude":
        return {"exclude": _globs(value, loc, root)}
    if key == "extend-exclude":
        return {"extend_exclude": base.extend_exclude + _globs(value, loc, root)}
    if key in ("per-file-ignores", "extend-per-file-ignores"):
        if not isinstance(value, dict):
            raise ConfigError(f"{loc}: expected a table of glob = [codes]")
        pairs = tuple((Glob(g, root), _codes(c, f"{loc}.{g}", known)) for g, c in value.items())
        if key == "per-file-ignores":
            return {"per_file_ignores": pairs}
        return {"extend_per_file_ignores": base.extend_per_file_ignores + pairs}
    if key == "target-keras":
        if str(value) not in TARGETS:
            raise ConfigError(f"{loc}: expected one of {', '.join(TARGETS)}, got {value!r}")
        return {"target_keras": str(value)}
    if not isinstance(value, bool):
        raise ConfigError(f"{loc}: expected true or false, got {value!r}")
    return {key.replace("-", "_"): value}


# -- files --------------------------------------------------------------------------------------
def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # imported here: most runs find no config file
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _table_of(path: Path, data: dict[str, Any], *, explicit: bool) -> dict[str, Any] | None:
    """The settings table of a file: ``[tool.tfshape-lint]``, or the whole file when it is a
    ``tfshape-lint.toml`` (or was named explicitly and is not a pyproject.toml)."""
    tool = data.get("tool", {})
    table = tool.get("tfshape-lint") if isinstance(tool, dict) else None
    if table is None and path.name != "pyproject.toml" and (explicit or path.name in CONFIG_FILES):
        table = {k: v for k, v in data.items() if k != "tool"}
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.tfshape-lint] must be a table")
    return table


def has_settings(path: Path) -> bool:
    """Whether this file configures tfshape-lint (a pyproject.toml needs the table)."""
    if path.name != "pyproject.toml":
        return path.is_file()
    if not path.is_file():
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "tfshape-lint" not in text:  # cheap: most pyproject.toml files never mention us
        return False
    return _table_of(path, _read_toml(path), explicit=False) is not None


def load_config(path: Path | None, known: Iterable[str] | None = None, *, explicit: bool = False,
                _seen: tuple[Path, ...] = ()) -> Config:
    """Read the settings in ``path`` (following ``extend``); defaults when ``path`` is None.

    ``explicit``: the user named the file (``--config``), so a missing file is an error and a
    file without a ``[tool.tfshape-lint]`` table is read as the table itself.
    """
    if path is None:
        return Config(root=os.getcwd())
    path = Path(os.path.abspath(path))
    if path in _seen:
        raise ConfigError(f"{path}: `extend` loops back to this file")
    table = _table_of(path, _read_toml(path), explicit=explicit)
    root = str(path.parent)
    if table is None:
        return Config(source=str(path), root=root)
    base = None
    if "extend" in table:
        target = table["extend"]
        if not isinstance(target, str):
            raise ConfigError(f"{path}: [tool.tfshape-lint] extend: expected a path to a TOML file")
        base = load_config(Path(root) / os.path.expanduser(target), known, explicit=True,
                           _seen=_seen + (path,))
    return parse_table(table, str(path), known, root=root, base=base)


def find_config_file(folder: Path) -> Path | None:
    """The nearest file with settings at or above ``folder`` (uncached; see ConfigResolver)."""
    folder = Path(os.path.abspath(folder))
    for candidate_folder in [folder, *folder.parents]:
        for name in CONFIG_FILES:
            candidate = candidate_folder / name
            if has_settings(candidate):
                return candidate
    return None


def find_pyproject(start: Path) -> Path | None:
    """Kept for callers of the old API: the nearest file with settings (see find_config_file)."""
    return find_config_file(start)


# -- resolution ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Overrides:
    """What the command line says, on top of (or instead of) the config files.

    ``None`` leaves the file's value; ``config_file`` replaces the search (``--config``).
    """

    config_file: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    target_keras: str | None = None
    unsafe_fixes: bool | None = None
    force_exclude: bool | None = None
    respect_gitignore: bool | None = None

    def apply(self, config: Config) -> Config:
        changes: dict[str, Any] = {}
        if self.select is not None:
            changes["select"] = self.select
        if self.ignore:
            changes["ignore"] = config.ignore + self.ignore
        if self.extend_select:
            changes["extend_select"] = config.extend_select + self.extend_select
        for name in ("target_keras", "unsafe_fixes", "force_exclude", "respect_gitignore"):
            if getattr(self, name) is not None:
                changes[name] = getattr(self, name)
        return replace(config, **changes) if changes else config


class ConfigResolver:
    """Config per folder, each folder's answer cached (a run asks once per file)."""

    def __init__(self, overrides: Overrides = Overrides(), *, fixed: Config | None = None) -> None:
        """``fixed``: answer this config for every path (a caller that chose it)."""
        self.overrides = overrides
        self._files: dict[str, Path | None] = {}
        self._configs: dict[Path | None, Config] = {}
        self._fixed: Config | None = fixed
        if overrides.config_file is not None and fixed is None:
            self._fixed = overrides.apply(load_config(Path(overrides.config_file), explicit=True))

    def for_path(self, path: str | Path) -> Config:
        """The settings for a file (or a folder: its own settings)."""
        if self._fixed is not None:
            return self._fixed
        absolute = os.path.abspath(path)
        folder = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
        config_file = self._config_file(folder)
        if config_file not in self._configs:
            self._configs[config_file] = self.overrides.apply(load_config(config_file))
        return self._configs[config_file]

    def _config_file(self, folder: str) -> Path | None:
        chain: list[str] = []
        found: Path | None = None
        current = folder
        while current not in self._files:
            chain.append(current)
            found = next((Path(current) / n for n in CONFIG_FILES
                          if has_settings(Path(current) / n)), None)
            parent = os.path.dirname(current)
            if found is not None or parent == current:
                break
            current = parent
        else:
            found = self._files[current]
        for seen in chain:
            self._files[seen] = found
        return found


@lru_cache(maxsize=8)
def resolver(overrides: Overrides = Overrides()) -> ConfigResolver:
    """One cached resolver per set of command-line overrides (process-wide)."""
    return ConfigResolver(overrides)


def config_for_path(path: str | Path, overrides: Overrides | None = None) -> Config:
    """The settings every front-end uses for ``path``: nearest config above it + overrides.

    Cached per folder for the life of the process; a long-running process (the language
    server) calls :func:`clear_cache` when a config file changes. Raises :class:`ConfigError`.
    """
    return resolver(overrides or Overrides()).for_path(path)


def clear_cache() -> None:
    """Forget every cached lookup (config files were edited)."""
    resolver.cache_clear()


def show_settings(config: Config, path: str) -> str:
    """``check --show-settings FILE``: where the settings came from and every value."""
    lines = [f"Settings for {path}", f"  config file: {config.source}", f"  root: {config.root}"]
    for item in fields(config):
        if item.name in ("source", "root"):
            continue
        value = getattr(config, item.name)
        lines.append(f"  {item.name.replace('_', '-')}: {_show(value)}")
    return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, Glob):
        return f"{value.pattern!r} (in {value.root})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {dict(v) if isinstance(v, Mapping) else v!r}"
                               for k, v in value.items()) + "}"
    return repr(value).lower() if isinstance(value, bool) else repr(value)
