"""Whole-project resolution: follow imports into the project's own modules.

A file is linted alone, but in a repository its names often come from sibling modules:
``from keras_cv.src.backend import ops`` re-exports ``keras.ops``; ``from .common import K``
re-exports the backend; a loss defined in ``losses.py`` is compiled in ``train.py``; one module
patches ``keras.backend.name_scope = keras.name_scope`` for all others. This module answers
those questions with the stdlib ``ast`` only (no LibCST), reading each project module at most
once per process: a :class:`Project` per root folder, its module summaries memoised, so a
whole-repository run pays for each file once.

Only imports that resolve to files under the project are followed; anything else (site-packages,
the standard library) is left to the import table as before.
"""

from __future__ import annotations

import ast
import json
import os
import re
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from tfshape_lint.analysis.imports import ImportTable, ast_callee_name, ast_dotted

#: roots whose names the import table understands (a re-export of one of these is followed)
ML_ROOTS = frozenset({"tensorflow", "keras", "tf_keras", "numpy"})
#: how many re-export hops are followed (``a`` re-exports ``b`` re-exports ``keras.ops``)
_MAX_HOPS = 6
#: how far above a file the project's top folder may be
_MAX_UP = 6
_PROJECT_MARKERS = (".git", "setup.py", "setup.cfg", "pyproject.toml")
#: weaker signs of a repository's top folder, used when none of the above is found
_WEAK_MARKERS = ("LICENSE", "LICENSE.txt", "LICENSE.md", "requirements.txt", ".github")
#: a project scan stops after this many files (a folder of many repositories is not a project)
_MAX_FILES = 5000
_SKIP_DIRS = frozenset({".git", ".hg", ".tox", ".venv", "venv", "env", "node_modules", "build",
                        "dist", "__pycache__", "site-packages", ".eggs"})
#: text a file must contain before it is parsed for cross-module uses of losses and metrics
_USE_HINT = re.compile(r"\.compile\(|MeanMetricWrapper|metrics\s*=")
#: a module-level attribute assignment (``keras.backend.name_scope = ...``), not ``self.x = ...``
_PATCH_LINE = re.compile(r"^[ \t]{0,8}(?!self\.|cls\.)([A-Za-z_]\w*)\.[\w.]+[ \t]*=[^=]", re.MULTILINE)
_ML_TEXT = re.compile(r"tensorflow|keras|tf_keras")
_HOOK_DEF = re.compile(r"^[ \t]+def (compute_loss|train_step)\(\s*self", re.MULTILINE)
_TEST_FILE = re.compile(r"(^test_.*|.*_test)\.py$")
#: Keras calls that train or evaluate a compiled model with the data's weights
TRAINING_CALLS = frozenset({"fit", "evaluate", "train_on_batch", "test_on_batch", "fit_generator",
                            "evaluate_generator"})
_WEIGHT_KEYWORDS = frozenset({"sample_weight", "class_weight"})
#: text a file must contain before it is parsed for the weights its training calls pass
_WEIGHT_HINT = re.compile(r"\b(?:sample|class)_weight\s*=")
#: text by which a module may hand Keras per-sample weights: the weight arguments in any
#: spelling (``sample_weights``, ``class_weight_dict``), or a Keras mask, which Keras applies
#: to the loss as sample weights (``Embedding(mask_zero=True)``, ``Masking``, a layer's
#: ``compute_mask``/``supports_masking``)
WEIGHT_TEXT = re.compile(r"sample_weight|class_weight|mask_zero|Masking|compute_mask|supports_masking|_keras_mask")
#: files that make a folder a package others install and call with their own weights
_PACKAGE_MARKERS = ("setup.py", "setup.cfg", "pyproject.toml")


@dataclass
class ModuleSummary:
    """What one project module binds at module level, read from its ``ast``."""

    path: Path
    name: str
    is_package: bool
    #: local name -> qualified names it is bound to by imports (in source order, all branches)
    imports: dict[str, list[str]] = field(default_factory=dict)
    #: modules star-imported (``from .ops import *``), absolute names
    stars: list[str] = field(default_factory=list)
    #: names of module-level defs and classes
    defs: set[str] = field(default_factory=set)
    tree: ast.Module | None = None


class Project:
    """A folder of Python modules: resolves module names to files and re-exports to targets."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self._summaries: dict[Path, tuple[int, ModuleSummary | None]] = {}
        self.forget_facts()

    def forget_facts(self) -> None:
        """Drop what was gathered over all of the project's files (uses, patches, hooks,
        weights, the file list, which file a module name is), so that the next question reads
        them again. Module summaries stay: each is re-read when its file's modification time
        changes."""
        self._files: dict[tuple[Path, str], Path | None] = {}
        self._uses: dict[Path, list[tuple[str, str]]] | None = None
        self._patches: dict[str, set[str]] | None = None
        self._hooks: frozenset[str] | None = None
        self._weight_text = False  # set with ``_hooks`` by ``_scan_modules``
        self._ml: frozenset[str] | None = None
        self._weights: frozenset[str] | None = None
        self._weighs: bool | None = None
        self._file_list: list[Path] | None = None
        self._notebooks: list[Path] = []

    # -- module names and files --------------------------------------------------------------
    def module_name(self, path: Path) -> tuple[Path, str]:
        """(import root, dotted module name) of a file: packages are climbed while they have
        an ``__init__.py``; a plain script is a top-level module of its own folder."""
        folder = path.parent
        parts = [] if path.stem == "__init__" else [path.stem]
        while (folder / "__init__.py").is_file() and folder != folder.parent and folder != self.top.parent:
            parts.insert(0, folder.name)
            folder = folder.parent
        return folder, ".".join(parts)

    def find_module(self, dotted: str, near: Path) -> Path | None:
        """The file of module ``dotted`` under an import root at or above ``near``, in the project."""
        key = (near, dotted)
        if key not in self._files:
            self._files[key] = self._search(dotted, near)
        return self._files[key]

    def _search(self, dotted: str, near: Path) -> Path | None:
        rel = Path(*dotted.split("."))
        folder = near
        for _ in range(_MAX_UP + 1):
            for candidate in (folder / rel.with_suffix(".py"), folder / rel / "__init__.py"):
                if candidate.is_file():
                    return candidate
            if folder == self.top or folder == folder.parent:
                break  # never outside the project: a sibling repository is not importable
            folder = folder.parent
        return None

    # -- summaries -----------------------------------------------------------------------------
    def summary(self, path: Path) -> ModuleSummary | None:
        """The memoised summary of one project file (None when it cannot be read or parsed).

        Re-read when the file changed on disk, so a long-running front-end (the language
        server) sees an edited sibling module's re-exports."""
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return None
        cached = self._summaries.get(path)
        if cached is None or cached[0] != stamp:
            cached = self._summaries[path] = (stamp, self._summarise(path))
        return cached[1]

    def _summarise(self, path: Path) -> ModuleSummary | None:
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            return None
        return self._summary_of(path, tree)

    def _summary_of(self, path: Path, tree: ast.Module) -> ModuleSummary:
        root, name = self.module_name(path)
        out = ModuleSummary(path, name, path.name == "__init__.py", tree=tree)
        package = name if out.is_package else name.rpartition(".")[0]
        for node in _module_level(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                _record_import(out, node, package)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.defs.add(node.name)
            elif isinstance(node, ast.Assign):
                if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    value = ast_dotted(node.value)
                    if value is not None:
                        out.imports.setdefault(node.targets[0].id, []).append("=" + value)
        return out

    def _table(self, summary: ModuleSummary) -> ImportTable:
        table = ImportTable()
        for local, targets in summary.imports.items():
            for target in targets:
                if not target.startswith("="):
                    table.aliases[local] = target
        return table

    # -- following re-exports ---------------------------------------------------------------------
    def resolve(self, qualname: str, near: Path, hops: int = 0) -> str | None:
        """The external (TensorFlow/Keras/NumPy) name a project name stands for, if any.

        ``keras_cv.src.backend.ops`` -> ``keras.ops`` when ``keras_cv/src/backend/__init__.py``
        imports ``ops`` from Keras. None when the name is a project function or unknown.
        """
        if hops > _MAX_HOPS:
            return None
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            path = self.find_module(".".join(parts[:cut]), near)
            if path is None:
                continue
            rest = parts[cut:]
            summary = self.summary(path)
            if summary is None:
                return None
            if not rest:  # the module itself: a shim when it star-imports a TF/Keras namespace
                return _ml_star(summary)
            target = self._binding(summary, rest[0], hops)
            if target is None:
                return None
            return ".".join([target, *rest[1:]])
        return None

    def _binding(self, summary: ModuleSummary, name: str, hops: int) -> str | None:
        """What ``name`` in a project module is bound to, preferring a TensorFlow/Keras/NumPy
        import (compatibility shims import ``ops`` from two places; the ML one is the one the
        rules understand)."""
        if name in summary.defs:
            return None
        resolved: list[str] = []
        for target in summary.imports.get(name, []):
            if target.startswith("="):  # ``ops = keras.ops`` / ``K = backend``
                table = self._table(summary)
                qual = table.resolve(target[1:])
                target = qual if qual is not None else target[1:]
            if target.split(".")[0] in ML_ROOTS:
                resolved.append(target)
                continue
            followed = self.resolve(target, summary.path.parent, hops + 1)
            if followed is not None:
                resolved.append(followed)
        for star in summary.stars:
            if star.split(".")[0] in ML_ROOTS:
                continue  # ``from tensorflow import *`` cannot be enumerated without importing it
            followed = self.resolve(f"{star}.{name}", summary.path.parent, hops + 1)
            if followed is not None:
                resolved.append(followed)
        ml = [t for t in resolved if t.split(".")[0] in ML_ROOTS]
        if ml:
            return ml[0]
        shim = _ml_star(summary)
        return f"{shim}.{name}" if shim is not None and not name.startswith("_") else None

    def star_names(self, module: str, near: Path, hops: int = 0) -> dict[str, str]:
        """Names a ``from module import *`` brings in that stand for TF/Keras/NumPy names."""
        path = self.find_module(module, near)
        summary = self.summary(path) if path is not None else None
        if summary is None or hops > _MAX_HOPS:
            return {}
        out: dict[str, str] = {}
        for star in summary.stars:
            if star.split(".")[0] not in ML_ROOTS:
                out.update(self.star_names(star, summary.path.parent, hops + 1))
        for local in summary.imports:
            if local.startswith("_"):
                continue
            target = self._binding(summary, local, hops)
            if target is not None:
                out[local] = target
        return out

    # -- the hook the index calls -----------------------------------------------------------------
    def enrich(self, imports: ImportTable, statements: Iterable[ast.AST], path: Path,
               roots: set[str] | None = None) -> None:
        """Rewrite the aliases of one file that point into the project to the TF/Keras names
        they re-export; resolve relative imports; expand star imports of project modules.

        ``roots``: the local names the file uses as the root of an attribute (``ops`` in
        ``ops.log``); only those are followed (a class or function imported from a sibling
        module is called, not looked into). None follows every alias.
        """
        _, name = self.module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in statements:
            if isinstance(node, ast.ImportFrom) and node.level:
                base = _relative_base(package, node.level, node.module)
                if base is None:
                    continue
                for alias in node.names:
                    if alias.name != "*":
                        imports.aliases.setdefault(alias.asname or alias.name, f"{base}.{alias.name}")
                    else:
                        for local, target in self.star_names(base, path.parent).items():
                            imports.aliases.setdefault(local, target)
            elif isinstance(node, ast.ImportFrom) and node.module and any(a.name == "*" for a in node.names):
                if node.module.split(".")[0] not in ML_ROOTS:
                    for local, target in self.star_names(node.module, path.parent).items():
                        imports.aliases.setdefault(local, target)
        for local, target in list(imports.aliases.items()):
            if target.split(".")[0] in ML_ROOTS or target.startswith("builtins."):
                continue
            if roots is not None and local not in roots:
                continue
            external = self.resolve(target, path.parent)
            if external is not None:
                imports.aliases[local] = external

    # -- project-wide facts ---------------------------------------------------------------------------
    def patched_names(self, path: Path, imported: Iterable[str]) -> frozenset[str]:
        """TF/Keras names that project code assigns (``keras.backend.name_scope = ...``) and
        that exist for this file: the patching module is in the file's own top-level package,
        or in a package the file imports (importing it runs the patch)."""
        _, own = self.module_name(path)
        packages = {own.split(".")[0]} if "." in own else {own}
        for qualname in imported:
            head = qualname.split(".")[0]
            if head not in ML_ROOTS and self.find_module(head, path.parent) is not None:
                packages.add(head)
        return frozenset(q for q, owners in self._all_patches().items() if owners & packages)

    def _parsed_files(self, hint: Callable[[str], object]) -> Iterator[tuple[Path, ModuleSummary, ast.Module]]:
        """(path, summary, tree) of each project module whose text passes ``hint``, a cheap text
        test that spares parsing the modules that cannot hold what is looked for."""
        for path in self.files():
            text = _read(path)
            if text is None or not hint(text):
                continue
            summary = self.summary(path)
            if summary is not None and summary.tree is not None:
                yield path, summary, summary.tree

    def _parsed_notebooks(self, hint: Callable[[str], object]) -> Iterator[tuple[Path, ModuleSummary, ast.Module]]:
        """(path, summary, tree) of each project notebook whose text passes ``hint``, its code
        cells joined (IPython syntax masked, cells that are no Python left out): training often
        lives in a notebook (``model.compile(loss=metrics.iou_bce_loss, metrics=[metrics.focal_loss])``
        in ``train.ipynb`` says what ``metrics.py``'s functions are)."""
        self.files()  # lists the notebooks
        for path in self._notebooks:
            text = _read(path)
            tree = _notebook_tree(text) if text is not None and hint(text) else None
            if tree is not None:
                yield path, self._summary_of(path, tree), tree

    def _all_patches(self) -> dict[str, set[str]]:
        """Patched TF/Keras name -> top-level packages (or modules) whose code patches it."""
        if self._patches is None:
            out: dict[str, set[str]] = {}
            for path, summary, tree in self._parsed_files(_patches_ml_root):
                table = self._table(summary)
                self.enrich(table, _module_level(tree), path)
                for node in _module_level(tree):
                    if not isinstance(node, ast.Assign):
                        continue
                    for target in node.targets:
                        dotted = ast_dotted(target) if isinstance(target, ast.Attribute) else None
                        resolved = table.resolve(dotted) if dotted else None
                        if resolved is not None and resolved.split(".")[0] in ML_ROOTS:
                            out.setdefault(resolved, set()).add(summary.name.split(".")[0])
            self._patches = out
        return self._patches

    def ml_modules(self) -> frozenset[str]:
        """Dotted names of the project modules whose text names TensorFlow or Keras."""
        if self._ml is None:
            found: set[str] = set()
            for path in self.files():
                text = _read(path)
                if text is not None and _ML_TEXT.search(text):
                    found.add(self.module_name(path)[1])
            self._ml = frozenset(found)
        return self._ml

    def loss_hooks(self) -> frozenset[str]:
        """Which of the Model methods that take over loss computation (``compute_loss``,
        ``train_step``) some class of the project overrides."""
        if self._hooks is None:
            self._scan_modules()
        assert self._hooks is not None
        return self._hooks

    def _scan_modules(self) -> None:
        """One read of every module for the facts found in its text: the loss hooks classes
        override and whether any module mentions sample weights (:data:`WEIGHT_TEXT`). Every
        file of the project asks for the hooks, so the weights cost no read of their own."""
        hooks: set[str] = set()
        weighted = False
        for path in self.files():
            text = _read(path)
            if text is not None:
                hooks.update(_HOOK_DEF.findall(text))
                weighted = weighted or WEIGHT_TEXT.search(text) is not None
        self._hooks, self._weight_text = frozenset(hooks), weighted

    def training_weights(self) -> frozenset[str]:
        """Which of ``sample_weight``/``class_weight`` some module of the project passes to a
        Keras training call (``model.fit(..., class_weight=weights)`` in ``training.py``)."""
        if self._weights is None:
            found: set[str] = set()
            for _, _, tree in self._parsed_files(_WEIGHT_HINT.search):
                for node in ast.walk(tree):
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                            and node.func.attr in TRAINING_CALLS:
                        found.update(k.arg for k in node.keywords if k.arg in _WEIGHT_KEYWORDS)
            self._weights = frozenset(found)
        return self._weights

    def may_weigh_samples(self) -> bool:
        """Whether per-sample weights can reach this project's losses: False only for a
        repository that is no installable package (no ``setup.py``/``setup.cfg``/
        ``pyproject.toml``: nobody outside trains with its losses) and none of whose modules or
        notebooks mentions sample or class weights or a Keras mask (:data:`WEIGHT_TEXT`).

        A scalar from a ``Loss`` subclass is harmless there: without weights Keras' mean of one
        number is that number. A folder with no repository marker at all (a script on its own,
        a folder of downloaded files) is not known to weigh nothing."""
        if self._weighs is None:
            markers = (*_PROJECT_MARKERS, *_WEAK_MARKERS)
            if any((self.top / m).exists() for m in _PACKAGE_MARKERS) \
                    or not any((self.top / m).exists() for m in markers):
                self._weighs = True
            else:
                self.loss_hooks()  # the one read of the modules (it also lists the notebooks)
                self._weighs = self._weight_text or len(self.files()) + len(self._notebooks) > _MAX_FILES or any(
                    WEIGHT_TEXT.search(text) for text in map(_read, self._notebooks) if text is not None)
        return self._weighs

    def uses_of(self, path: Path) -> list[tuple[str, str]]:
        """How other project modules hand this module's functions to Keras: (expression in this
        module's own names, ``"loss"`` or ``"metric"``). ``model.compile(loss=losses.focal(2.0))``
        in ``train.py`` gives ``("focal(2.0)", "loss")`` for ``losses.py``."""
        if self._uses is None:
            self._uses = self._collect_uses()
        return self._uses.get(path.resolve(), [])

    def _collect_uses(self) -> dict[Path, list[tuple[str, str]]]:
        out: dict[Path, list[tuple[str, str]]] = {}
        for path, summary, tree in (*self._parsed_files(_USE_HINT.search), *self._parsed_notebooks(_USE_HINT.search)):
            table = self._table(summary)
            self.enrich(table, _module_level(tree), path, roots=set())
            for expr, role in _keras_uses(tree):
                self._attribute_use(out, table, path, expr, role)
        return out

    def _attribute_use(self, out: dict[Path, list[tuple[str, str]]], table: ImportTable, path: Path,
                       expr: ast.expr, role: str) -> None:
        callee = expr.func if isinstance(expr, ast.Call) else expr
        dotted = ast_dotted(callee)
        qualname = table.resolve(dotted) if dotted else None
        if qualname is None or qualname.split(".")[0] in ML_ROOTS or qualname.startswith("builtins."):
            return
        module, _, name = qualname.rpartition(".")
        target = self.find_module(module, path.parent) if module else None
        if target is None:
            return
        defined = self._defining_module(target, name, 0)
        if defined is None:
            return
        target, name = defined
        local = ast.Call(func=ast.Name(name), args=expr.args, keywords=expr.keywords) \
            if isinstance(expr, ast.Call) else ast.Name(name)
        out.setdefault(target.resolve(), []).append((ast.unparse(local), role))

    def _defining_module(self, module: Path, name: str, hops: int) -> tuple[Path, str] | None:
        """The project module that defines ``name`` (and the name it has there), starting at
        ``module`` and following the imports and star imports by which a package's
        ``__init__.py`` re-exports it: ``from keras_fsl.losses import TripletLoss`` names the
        class ``keras_fsl/losses/gram_matrix_losses.py`` defines."""
        summary = self.summary(module)
        if summary is None or hops > _MAX_HOPS:
            return None
        if name in summary.defs:
            return module, name
        for target in summary.imports.get(name, []):
            source, _, original = target.rpartition(".")
            found = self.find_module(source, module.parent) if source and not target.startswith("=") else None
            defined = self._defining_module(found, original, hops + 1) if found is not None else None
            if defined is not None:
                return defined
        for star in summary.stars:  # ``from .gram_matrix_losses import *``
            found = self.find_module(star, module.parent) if star.split(".")[0] not in ML_ROOTS else None
            defined = self._defining_module(found, name, hops + 1) if found is not None else None
            if defined is not None:
                return defined
        return None

    def files(self) -> list[Path]:
        """Every ``.py`` file of the project (hidden, build and virtual-env folders skipped).

        A folder without any project marker (a script dropped in ``/tmp`` or ``~/Downloads``)
        is no project: only its own files and the packages under it (folders with an
        ``__init__.py``, which its imports can reach) are read, not every folder below it,
        which in such places can be thousands of unrelated files (8.7 s for one flake8 run of a
        1,000-line file in a busy ``/tmp``, against 0.03 s)."""
        if self._file_list is not None:  # four memoised scans ask; the folder is walked once
            return self._file_list
        found: list[Path] = []
        loose = not any((self.top / m).exists() for m in (*_PROJECT_MARKERS, *_WEAK_MARKERS))
        for folder, dirs, names in os.walk(self.top):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")
                             and not (loose and not (Path(folder) / d / "__init__.py").is_file()))
            found.extend(Path(folder) / n for n in sorted(names) if n.endswith(".py"))
            self._notebooks.extend(Path(folder) / n for n in sorted(names) if n.endswith(".ipynb"))
            if len(found) > _MAX_FILES:
                break
        self._file_list = found
        return found


_TEST_IMPORT = re.compile(r"^\s*(?:import|from)\s+(?:pytest|unittest|absl\.testing)\b|tf\.test\.TestCase",
                          re.MULTILINE)


def is_test_module(source: str, path: str | None) -> bool:
    """A test: ``test_x.py``, ``x_test.py``, or a file that imports a test framework (pytest,
    unittest, absl.testing, ``tf.test.TestCase``). A ``tests/`` folder alone does not count:
    it also holds sample code written to be linted or trained."""
    if path is not None and not path.startswith("<") and _TEST_FILE.match(Path(path).name):
        return True
    return bool(_TEST_IMPORT.search(source))


def is_metrics_module(path: str | None) -> bool:
    """A module whose name says it holds metrics (``metrics.py``, ``keras_custom_metrics.py``):
    a ``(y_true, y_pred)`` function there that no ``compile`` call hands over as a loss, and
    whose own name does not say loss, is a metric."""
    if path is None or path.startswith("<"):
        return False
    return any(part in ("metric", "metrics") for part in Path(path).stem.lower().split("_"))


def _patches_ml_root(text: str) -> bool:
    """Cheap text test before parsing: an attribute assignment whose root name the file binds
    to TensorFlow/Keras (``import keras`` then ``keras.backend.x = ...``)."""
    roots = {m.group(1) for m in _PATCH_LINE.finditer(text)}
    for root in roots:
        bound = re.search(rf"^\s*(?:import\s+(?:tensorflow|keras|tf_keras)[\w.]*(?:\s+as\s+{root})?\b"
                          rf"|from\s+(?:tensorflow|keras|tf_keras)[\w.]*\s+import\s+.*\b{root}\b"
                          rf"|{root}\s*=\s*(?:tf|tensorflow|keras)\b)", text, re.MULTILINE)
        if bound is not None and (root in ("tf", "tensorflow", "keras", "tf_keras") or root in bound.group(0)):
            return True
    return False


def own_loss_hooks(source: str) -> set[str]:
    """``compute_loss``/``train_step`` methods one file defines."""
    return set(_HOOK_DEF.findall(source))


#: the Model methods that run a training or evaluation step the model's author writes
_STEP_METHODS = frozenset({"train_step", "test_step", "compute_loss"})


def self_loss_step_classes(tree: ast.Module) -> frozenset[str]:
    """Classes of a module that write their own ``train_step``/``test_step``/``compute_loss`` and
    call the compiled loss object themselves (``self.loss(y_true, y_pred)``, in the step or a
    helper method of the class): such a model reduces what that
    object returns by itself (the keras.io captioning model masks the per-token losses of
    ``reduction="none"`` and takes their mean), so the reduction given to ``compile`` is its own
    business."""
    out: set[str] = set()
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        methods = [m for m in cls.body if isinstance(m, ast.FunctionDef)]
        if any(m.name in _STEP_METHODS for m in methods) and any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "loss"
                and isinstance(n.func.value, ast.Name) and n.func.value.id == "self"
                for m in methods for n in ast.walk(m)):
            out.add(cls.name)  # the call may sit in a helper the step calls (``calculate_loss``)
    return frozenset(out)


def imported_self_loss_step_classes(project: Project, imports: dict[str, str], near: Path) -> frozenset[str]:
    """The local names this module imports (``from models import ImageCaptioningModel``) that
    name a :func:`self_loss_step_classes` class of another project module."""
    out: set[str] = set()
    for local, qualified in imports.items():
        module, _, name = qualified.rpartition(".")
        path = project.find_module(module, near) if module else None
        if path is not None and name in _step_classes_of(path):
            out.add(local)
    return frozenset(out)


#: file -> (modification time, its :func:`self_loss_step_classes`): every module of a project
#: that imports a model class asks again
_STEP_CLASSES: dict[Path, tuple[float, frozenset[str]]] = {}


def _step_classes_of(path: Path) -> frozenset[str]:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return frozenset()
    known = _STEP_CLASSES.get(path)
    if known is not None and known[0] == mtime:
        return known[1]
    text = _read(path)
    found: frozenset[str] = frozenset()
    if text is not None and "self.loss(" in text:
        try:
            found = self_loss_step_classes(ast.parse(text))
        except (SyntaxError, ValueError):
            found = frozenset()
    _STEP_CLASSES[path] = (mtime, found)
    return found


_PROJECTS: dict[Path, Project] = {}


_IMPORTED = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import|import[ \t]+([\w.]+))", re.MULTILINE)


def may_reexport(source: str, path: str) -> bool:
    """Whether a file that never names TensorFlow/Keras may still use them through a project
    module (``from myproject.backend import ops``): it imports a module of its project whose
    text names them. Projects without such modules cost one text scan, then nothing."""
    if "import" not in source:
        return False
    project = project_for(path)
    if project is None:
        return False
    ml = project.ml_modules()
    if not ml:
        return False
    for match in _IMPORTED.finditer(source):
        name = match.group(1) or match.group(2) or ""
        if name.startswith("."):
            return True  # a sibling module of a project that has TF/Keras modules
        if any(m == name or m.startswith(name + ".") or name.startswith(m + ".") for m in ml):
            return True
    return False


def project_for(path: str) -> Project | None:
    """The project a file on disk belongs to (memoised per top folder for the whole run)."""
    if path.startswith("<") or not path.endswith(".py"):
        return None
    folder = _folder_of(path)
    if folder is None:
        return None
    top = _top_folder(folder)
    project = _PROJECTS.get(top)
    if project is None:
        project = _PROJECTS[top] = Project(top)
    return project


@lru_cache(maxsize=4096)
def _folder_of(path: str) -> Path | None:
    """The resolved folder of a file on disk (None when ``path`` is not a file)."""
    file = Path(path).resolve()
    return file.parent if file.is_file() else None


@lru_cache(maxsize=4096)
def _top_folder(start: Path) -> Path:
    """The nearest folder at or above ``start`` with a project marker (``.git``, ``setup.py``,
    ``pyproject.toml``), else the top of ``start``'s package."""
    for markers in (_PROJECT_MARKERS, _WEAK_MARKERS):
        folder = start
        for _ in range(_MAX_UP + 1):
            if any((folder / marker).exists() for marker in markers):
                return folder
            if folder == folder.parent:
                break
            folder = folder.parent
    folder = start
    while (folder / "__init__.py").is_file() and folder != folder.parent:
        folder = folder.parent
    return folder


def _notebook_tree(text: str) -> ast.Module | None:
    """The ``ast`` of a notebook's code cells joined (None: no Python in it)."""
    from tfshape_lint.notebook import join_cells, raw_cells  # cheap: neither LibCST nor the rules

    try:
        raw = json.loads(text)
    except ValueError:
        raw = None  # an ``.ipynb`` that is plain Python text (some repositories save them so)
    try:
        if not isinstance(raw, dict):
            return ast.parse(text)
        cells = raw_cells(raw)
        return ast.parse(join_cells(cells).without_broken_cells()[0]) if cells else None
    except (ValueError, SyntaxError, RecursionError):
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _module_level(tree: ast.Module) -> list[ast.AST]:
    """Module-level statements, including those inside top-level ``if``/``try``/``with``."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (ast.If, ast.Try, ast.With)) or type(node).__name__ == "TryStar":
            children: list[ast.AST] = []
            for name in ("body", "orelse", "finalbody"):
                children.extend(getattr(node, name, []))
            for handler in getattr(node, "handlers", []):
                children.extend(handler.body)
            stack.extend(reversed(children))
    return out


def _ml_star(summary: ModuleSummary) -> str | None:
    """The TF/Keras namespace a shim module star-imports (``from keras.ops import *``), if any."""
    for star in summary.stars:
        if star.split(".")[0] in ML_ROOTS:
            return star
    return None


def _relative_base(package: str, level: int, module: str | None) -> str | None:
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    if module:
        base.append(module)
    return ".".join(base) or None


def _record_import(out: ModuleSummary, node: ast.Import | ast.ImportFrom, package: str) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            out.imports.setdefault(local, []).append(alias.name if alias.asname else local)
        return
    base = _relative_base(package, node.level, node.module) if node.level else node.module
    if base is None:
        return
    for alias in node.names:
        if alias.name == "*":
            out.stars.append(base)
        else:
            out.imports.setdefault(alias.asname or alias.name, []).append(f"{base}.{alias.name}")


def _keras_uses(tree: ast.Module) -> list[tuple[ast.expr, str]]:
    """(expression, role) for everything handed to ``compile(loss=/metrics=)`` or wrapped as a
    metric (``MeanMetricWrapper(fn)``), lists and dicts unpacked."""
    out: list[tuple[ast.expr, str]] = []
    nodes = list(ast.walk(tree))
    bound = _bound_once(nodes)
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        attr = ast_callee_name(node)
        if attr == "compile":
            for kw in node.keywords:
                if kw.arg == "loss":
                    out.extend((e, "loss") for e in _elements(kw.value))
                elif kw.arg in ("metrics", "weighted_metrics"):
                    out.extend((e, "metric") for e in _elements(kw.value))
            if len(node.args) > 1:
                out.extend((e, "loss") for e in _elements(node.args[1]))
        elif attr == "MeanMetricWrapper" and node.args:
            out.append((node.args[0], "metric"))
    return [(_through_names(expr, bound), role) for expr, role in out]


def _bound_once(nodes: list[ast.AST]) -> dict[str, ast.expr]:
    """Names the module assigns exactly once, anywhere (``psnr = PSNR(r)`` in ``main``), to
    their value: what ``compile(metrics=[psnr])`` hands to Keras."""
    seen: dict[str, list[ast.expr]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            seen.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            seen.setdefault(node.target.id, []).append(node.value or node.target)
    return {name: values[0] for name, values in seen.items() if len(values) == 1}


def _through_names(expr: ast.expr, bound: dict[str, ast.expr]) -> ast.expr:
    """``expr``, or what the local name it is was bound to (a call or a dotted name, followed a
    few steps): ``loss_fn = losses.Focal(2.0)`` then ``compile(loss=loss_fn)`` uses ``losses.Focal``."""
    for _ in range(3):
        if not isinstance(expr, ast.Name) or expr.id not in bound:
            return expr
        value = bound[expr.id]
        if not isinstance(value, (ast.Call, ast.Attribute, ast.Name)):
            return expr
        expr = value
    return expr


def _elements(expr: ast.expr) -> list[ast.expr]:
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return [e for elt in expr.elts for e in _elements(elt)]
    if isinstance(expr, ast.Dict):
        return [e for value in expr.values for e in _elements(value)]
    return [expr]


def project_files_changed() -> None:
    """A project file was saved: every project's whole-project facts are gathered again when
    next asked (a long-running front-end's view of ``train.py`` passing ``class_weight`` now)."""
    for project in _PROJECTS.values():
        project.forget_facts()


def clear_project_cache() -> None:
    """Forget every project read so far: for long-running front-ends (a language server)
    after files changed on disk. One-shot runs never need it."""
    _PROJECTS.clear()
    _folder_of.cache_clear()
    _top_folder.cache_clear()
