"""flake8 front-end: ``flake8 --select TFS`` runs the same engine as ``tfshape-lint check``.

Editors run flake8 once per file, so start-up cost matters. Importing this module imports
nothing but the text prefilter: a file that never names TensorFlow/Keras costs a regex search.
The stdlib-``ast`` index (built from the tree flake8 already parsed) comes next, and only a
file that imports TensorFlow/Keras/NumPy loads the engine, LibCST (about 0.15 s) and the rules.

Settings: each file gets the same ``[tool.tfshape-lint]`` settings as ``tfshape-lint check``
(the nearest config above the file: ``select``, ``ignore``, ``per-file-ignores``,
``target-keras``, rule options), so both report the same findings; flake8's own
``--select``/``--ignore``, ``per-file-ignores`` and ``# noqa`` then apply on top (the engine's
``# noqa`` handling is off, flake8 does it). An unexpected exception never escapes (it would
abort the user's whole flake8 run): it is logged and the file yields nothing.
"""

from __future__ import annotations

import ast
import logging
from typing import TYPE_CHECKING, Any, ClassVar, Iterator

from tfshape_lint import __version__
from tfshape_lint.analysis import may_use_ml

if TYPE_CHECKING:
    from tfshape_lint.config import Config
    from tfshape_lint.finding import Finding

LOG = logging.getLogger(__name__)

#: ``config.TARGETS``, spelled out so that flake8's start-up imports nothing else (a test checks)
TARGETS = ("3", "tf-keras")

#: what flake8 expects a tree checker's ``run`` to yield
Result = tuple[int, int, str, type[Any]]


class TfshapePlugin:
    """The ``TFS`` checker registered under the ``flake8.extension`` entry point."""

    name = "tfshape-lint"
    version = __version__

    #: ``--tfs-target-keras`` (or ``tfs-target-keras`` in the flake8 config), None: pyproject/default
    target_keras: ClassVar[str | None] = None

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    # -- flake8 option hooks ----------------------------------------------------------------
    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        """Register ``--tfs-target-keras`` (also read from setup.cfg / tox.ini / .flake8)."""
        option_manager.add_option(
            "--tfs-target-keras", choices=TARGETS, default=None, parse_from_config=True,
            help="Keras flavour the checked code runs on: 3 (default) or tf-keras "
                 "(overrides target-keras from [tool.tfshape-lint] in pyproject.toml)")

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.target_keras = getattr(options, "tfs_target_keras", None)

    # -- checking ---------------------------------------------------------------------------
    def run(self) -> Iterator[Result]:
        """Yield ``(line, column0, "TFSxxx message", type)`` for each finding; never raise."""
        try:
            findings = self._findings()
        except Exception as exc:  # an escaping exception aborts the user's flake8 run
            LOG.warning("tfshape-lint: %s: skipped after an internal error: %s: %s",
                        self.filename, type(exc).__name__, exc)
            return
        for finding in findings:
            yield finding.line, finding.column, f"{finding.code} {finding.message}", type(self)

    def _findings(self) -> list[Finding]:
        if not isinstance(self.tree, ast.Module):
            return []
        source = "".join(self.lines)
        if not may_use_ml(source, self.filename):  # text and ast only, as `check` does
            return []
        from tfshape_lint.analysis.index import build_index  # the ast stage: no LibCST

        index = build_index(source, self.tree, self.filename)  # with the file's project, as `check`
        if not index.imports.mentions_ml():
            return []
        from tfshape_lint.engine import lint_index  # first ML file: LibCST and the rules load here

        result = lint_index(index, self.filename, self.config(), noqa=False)
        for error in result.errors:
            LOG.warning("tfshape-lint: %s: %s", error.path, error.message)
        return result.findings

    def config(self) -> Config:
        """This file's settings: the nearest config above it, ``--tfs-target-keras`` on top."""
        from tfshape_lint.config import Config, ConfigError, Overrides, config_for_path

        try:
            return config_for_path(self.filename, Overrides(target_keras=self.target_keras))
        except ConfigError as exc:
            LOG.warning("tfshape-lint: %s; using the defaults", exc)
            return Config(target_keras=self.target_keras or "3")
