"""``.gitignore`` matching, so directory walks skip what git ignores (as ruff does by default).

Inside a git work tree (a folder above holds ``.git``), a path is ignored when the last
matching pattern of the ``.gitignore`` files from the repository root down to its folder
(deeper files win; ``.git/info/exclude`` comes first) ignores it, or when one of its folders
is ignored (git cannot re-include a file below an ignored folder). Outside a git work tree
nothing is ignored. The global git excludes file is not read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _translate(glob: str) -> str:
    """A gitignore glob (already stripped of ``!``, leading and trailing ``/``) as a regex."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and "]" in glob[i + 2:]:
            end = glob.index("]", i + 2)
            body = glob[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def parse(lines: list[str]) -> list[_Pattern]:
    """The patterns of one ``.gitignore`` file, in order."""
    patterns: list[_Pattern] = []
    for raw in lines:
        line = raw.rstrip("\n").rstrip("\r")
        if not line.endswith("\\ "):
            line = line.rstrip(" ")
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate or line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        line = line.lstrip("/")
        if not line:
            continue
        prefix = "" if anchored else "(?:.*/)?"
        patterns.append(_Pattern(re.compile(f"^{prefix}{_translate(line)}$", re.S), negate, dir_only))
    return patterns


class GitIgnore:
    """Answers ``ignored(path)``; ``.gitignore`` files and repository roots cached per folder."""

    def __init__(self) -> None:
        self._roots: dict[str, str | None] = {}
        self._patterns: dict[str, list[_Pattern]] = {}
        self._verdicts: dict[str, bool] = {}

    def ignored(self, path: str, *, is_dir: bool | None = None) -> bool:
        absolute = os.path.abspath(path)
        if is_dir is None:
            is_dir = os.path.isdir(absolute)
        root = self._root(absolute if is_dir else os.path.dirname(absolute))
        if root is None or absolute == root:
            return False
        parent = os.path.dirname(absolute)
        if parent != root and self._dir_ignored(parent, root):
            return True
        return self._matches(absolute, is_dir, root)

    def _dir_ignored(self, folder: str, root: str) -> bool:
        if folder not in self._verdicts:
            parent = os.path.dirname(folder)
            above = parent != root and len(parent) > len(root) and self._dir_ignored(parent, root)
            self._verdicts[folder] = above or self._matches(folder, True, root)
        return self._verdicts[folder]

    def _matches(self, absolute: str, is_dir: bool, root: str) -> bool:
        verdict = False
        folder = root
        rel_parts = os.path.relpath(absolute, root).split(os.sep)
        sources = [(root, self._load(os.path.join(root, ".git", "info", "exclude")))]
        for depth in range(len(rel_parts)):
            if depth:
                folder = os.path.join(folder, rel_parts[depth - 1])
            sources.append((folder, self._load(os.path.join(folder, ".gitignore"))))
        for base, patterns in sources:
            rel = os.path.relpath(absolute, base).replace(os.sep, "/")
            for pattern in patterns:
                if pattern.dir_only and not is_dir:
                    continue
                if pattern.regex.match(rel):
                    verdict = not pattern.negate
        return verdict

    def _load(self, file: str) -> list[_Pattern]:
        if file not in self._patterns:
            try:
                with open(file, encoding="utf-8", errors="replace") as handle:
                    self._patterns[file] = parse(handle.readlines())
            except OSError:
                self._patterns[file] = []
        return self._patterns[file]

    def _root(self, folder: str) -> str | None:
        chain: list[str] = []
        current = folder
        found: str | None = None
        while current not in self._roots:
            chain.append(current)
            if os.path.exists(os.path.join(current, ".git")):
                found = current
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        else:
            found = self._roots[current]
        for seen in chain:
            self._roots[seen] = found
        return found
