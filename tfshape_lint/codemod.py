"""LibCST codemod front-end: the same fixes as ``tfshape-lint fix``, run by ``libcst.tool``.

    python -m libcst.tool codemod -x tfshape_lint.codemod.TfshapeFixCommand --no-format src/

(``-x`` names the class by its import path; without it, list ``tfshape_lint`` under
``modules`` in ``.libcst.codemod.yaml`` and say ``codemod.TfshapeFixCommand``. ``--no-format``
keeps LibCST from running black, which the fixes do not need.) Files with nothing to fix are
skipped; a file whose fixes would not parse is skipped with a warning and left as it was.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from tfshape_lint.config import Config, Overrides, check_codes, config_for_path
from tfshape_lint.engine import SourceError
from tfshape_lint.fix_cmd import fix_text


class TfshapeFixCommand(CodemodCommand):
    """Apply tfshape-lint's fixes to each module (safe ones unless ``--unsafe-fixes``)."""

    DESCRIPTION: str = ("Apply tfshape-lint fixes to TensorFlow/Keras loss code "
                        "(safe fixes; --unsafe-fixes for the rest).")

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--unsafe-fixes", action="store_true", default=None,
                                help="also apply unsafe fixes (may change loss values)")
        arg_parser.add_argument("--select", default=None, help="comma-separated codes or prefixes to fix")
        arg_parser.add_argument("--ignore", default=None, help="comma-separated codes or prefixes not to fix")
        arg_parser.add_argument("--tfs-config", default=None,
                                help="pyproject.toml or TOML file with [tool.tfshape-lint] settings")

    def __init__(self, context: CodemodContext, unsafe_fixes: bool | None = None,
                 select: str | None = None, ignore: str | None = None,
                 tfs_config: str | None = None, **_: Any) -> None:
        super().__init__(context)
        self.overrides = _codemod_overrides(select, ignore, tfs_config, unsafe_fixes)
        self.config = config_for_path(Path.cwd(), self.overrides)
        self.unsafe = self.config.unsafe_fixes

    def _config_for(self, path: str) -> Config:
        """The same settings ``tfshape-lint fix`` uses for this file (nearest config above it)."""
        return config_for_path(path, self.overrides) if self.context.filename else self.config

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        path = self.context.filename or "<stdin>"
        config = self._config_for(path)
        try:
            result = fix_text(tree.code, path, config, unsafe=config.unsafe_fixes)
        except SourceError as exc:
            raise SkipFile(f"not fixed: {exc}") from None
        if result.error is not None:
            self.warn(result.error)
            raise SkipFile(result.error)
        if not result.changed or result.source == tree.code:
            raise SkipFile("nothing to fix")
        for finding in result.remaining:
            self.warn(f"{finding.line}:{finding.column + 1}: {finding.code} {finding.message}")
        return cst.parse_module(result.source, config=tree.config_for_parsing)


def _codemod_overrides(select: str | None, ignore: str | None, explicit: str | None,
                       unsafe_fixes: bool | None) -> Overrides:
    """The codemod's options as the overrides every front-end applies on top of the config."""
    return Overrides(config_file=explicit,
                     select=check_codes(_split(select), "--select") if select else None,
                     ignore=check_codes(_split(ignore), "--ignore") if ignore else (),
                     unsafe_fixes=unsafe_fixes)


def _split(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]
