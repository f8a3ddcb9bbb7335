"""The cheap first pass over a file: stdlib ``ast`` only.

It builds the import table, splits the module into *units* (top-level statements), discovers
losses, and records which units mention which qualified names, method calls and keywords, so
that each rule can say which units it needs. Only those units are parsed with LibCST.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfshape_lint.analysis.imports import ImportTable, ast_dotted, name_uses, target_names
from tfshape_lint.analysis.losses import FunctionInfo, LossDiscovery, LossSpec
from tfshape_lint.analysis.project import (TRAINING_CALLS, WEIGHT_TEXT, Project, imported_self_loss_step_classes,
                                           is_metrics_module, is_test_module, own_loss_hooks, project_for,
                                           self_loss_step_classes)

@dataclass(frozen=True)
class Unit:
    """One top-level statement, decorators included; lines are 1-based and inclusive."""

    index: int
    start_line: int
    end_line: int


@dataclass
class ModuleIndex:
    """Facts about one module that the LibCST stage and the rules' ``wants`` read."""

    source: str
    lines: list[str]
    tree: ast.Module
    imports: ImportTable
    units: list[Unit]
    unit_nodes: list[ast.stmt]
    losses: list[LossSpec]
    functions: dict[str, list[FunctionInfo]]
    classes: dict[str, ast.ClassDef]
    loss_classes: set[str]
    #: canonical name (``tf.log``, ``K.mean``, ``keras.losses.MSE``) -> units mentioning it
    names: dict[str, set[int]] = field(default_factory=dict)
    #: raw qualified name (``tensorflow.keras.losses.mse``) -> units
    qualnames: dict[str, set[int]] = field(default_factory=dict)
    #: attribute name of a called method (``compile``, ``add``) -> units
    methods: dict[str, set[int]] = field(default_factory=dict)
    #: keyword argument name used in any call (``sample_weight``, ``from_logits``) -> units
    keywords: dict[str, set[int]] = field(default_factory=dict)
    #: keyword names passed to Keras training calls (fit, evaluate, train_on_batch, ...)
    training_keywords: set[str] = field(default_factory=set)
    #: ``sample_weight``/``class_weight`` passed to training calls in other modules of the
    #: project, when they compile this file's losses (a loss module trained in ``train.py``)
    project_weights: frozenset[str] = frozenset()
    _unit_walks: dict[int, list[ast.AST]] = field(default_factory=dict, repr=False)
    #: dotted name -> canonical name: rules ask for the same call's name once per scope they
    #: visit it in (a helper called 100 times), computed once per file (the import table is
    #: complete by the time rules run)
    _canonical_of: dict[str, str | None] = field(default_factory=dict, repr=False)
    #: every node of the file, in ``ast.walk`` order: walked once, shared by discovery and rules
    nodes: list[ast.AST] = field(default_factory=list)
    _assigns: list[ast.Assign] | None = field(default=None, repr=False)
    #: 1-based line -> unit index
    unit_of_line: dict[int, int] = field(default_factory=dict)
    #: module-level simple assignments: name -> unit
    globals: dict[str, int] = field(default_factory=dict)
    #: TF/Keras attributes some module of the project assigns (``keras.backend.name_scope = ...``)
    patched: frozenset[str] = frozenset()
    #: Model methods some class of the project overrides to compute the loss itself
    loss_hooks: frozenset[str] = frozenset()
    #: whether per-sample weights can reach this file's losses at all (False: the file and its
    #: repository never mention sample/class weights or a Keras mask; see
    #: :meth:`Project.may_weigh_samples`)
    may_weigh_samples: bool = True
    #: a test module (``x_test.py``, ``test_x.py``, one that imports a test framework): its
    #: ``compile`` calls build models to test something else, not to train (see
    #: :func:`~tfshape_lint.analysis.project.is_test_module`)
    test_file: bool = False
    #: local names of model classes whose own train_step/test_step/compute_loss calls
    #: ``self.loss(...)`` (in this file, or imported from the project): they reduce the compiled
    #: loss's values themselves (see :func:`~tfshape_lint.analysis.project.self_loss_step_classes`)
    self_reducing_models: frozenset[str] = frozenset()

    def assignments(self) -> list[ast.Assign]:
        """Every ``=`` assignment of the file, in ``ast.walk`` order (memoised): several rules
        scan them, and a file has about a tenth as many as it has nodes."""
        if self._assigns is None:
            self._assigns = [n for n in self.nodes if n.__class__ is ast.Assign]
        return self._assigns

    def dotted_and_canonical(self, node: Any) -> tuple[str | None, str | None]:
        """``(cst_dotted(node), imports.canonical(of it))``, memoised for this file."""
        dotted = self.imports.dotted_of(node)
        if dotted is None:
            return None, None
        if dotted in self._canonical_of:
            return dotted, self._canonical_of[dotted]
        canon = self._canonical_of[dotted] = self.imports.canonical(dotted)
        return dotted, canon

    def units_with_name(self, *prefixes: str) -> set[int]:
        """Units that mention a canonical name starting with any of ``prefixes``."""
        out: set[int] = set()
        for name, units in self.names.items():
            if name.startswith(prefixes):
                out |= units
        return out

    def unit_walk(self, unit: int) -> list[ast.AST]:
        """The nodes of one unit in ``ast.walk`` order (memoised)."""
        cached = self._unit_walks.get(unit)
        if cached is None:
            cached = self._unit_walks[unit] = walk(self.unit_nodes[unit])
        return cached

    def caller_losses(self, spec: LossSpec) -> list[LossSpec]:
        """The file's losses that call ``spec`` (a helper found by its signature and called by
        a loss of the file): whoever runs them runs the helper."""
        return [other for other in self.losses if spec.caller is not None and other.path == spec.caller]

    def unit_source(self, unit: Unit) -> str:
        """The unit's text, ready for ``libcst.parse_module``."""
        return "".join(self.lines[unit.start_line - 1 : unit.end_line])

    def uses_sample_weights(self) -> bool:
        """Whether the file passes per-sample or per-class weights to Keras training.

        Only keywords of ``fit``/``evaluate``/``train_on_batch``-style calls count: a
        ``sample_weight=`` given to a Loss object's own call weights that call alone.
        """
        return bool((self.training_keywords | self.project_weights) & {"sample_weight", "class_weight"})


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(source: str) -> list[str]:
    """Lines with their endings, numbered as Python numbers them (``ast`` line numbers).

    ``str.splitlines`` also breaks at form feeds, vertical tabs, ``\\x1c``-``\\x1e``, ``\\x85``
    and ``\\u2028``/``\\u2029``; a ``^L`` page break (common in older code) would shift every
    later line against ``ast``'s numbering and the fixer would edit the wrong lines.
    """
    return _LINE.findall(source)


def build_index(source: str, tree: ast.Module, path: str | None = None) -> ModuleIndex:
    """Build the index for an already parsed module.

    With the ``path`` of a file on disk, names imported from the file's own project are
    followed to what they re-export (:mod:`tfshape_lint.analysis.project`), and uses of its
    functions as losses or metrics in sibling modules count as uses here.
    """
    lines = split_lines(source)
    imports = ImportTable()
    units: list[Unit] = []
    nodes: list[ast.stmt] = []
    unit_of_line: dict[int, int] = {}
    for i, stmt in enumerate(tree.body):
        start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        end = stmt.end_lineno or stmt.lineno
        units.append(Unit(i, start, end))
        nodes.append(stmt)
        for line in range(start, end + 1):
            unit_of_line.setdefault(line, i)
    globals_: dict[str, int] = {}
    statements = _statements(tree)
    import_nodes = [n for n in statements if isinstance(n, (ast.Import, ast.ImportFrom))]
    for node in import_nodes:
        imports.add_import(node)
    for i, stmt in enumerate(nodes):
        if isinstance(stmt, ast.Assign):
            imports.add_assignment_alias(stmt)
            for target in stmt.targets:
                for name in target_names(target):
                    globals_[name] = i
    _bind_local_module_aliases(imports, tree, statements, globals_)
    project = project_for(path) if path is not None else None
    external: list[tuple[str, str]] = []
    patched: frozenset[str] = frozenset()
    all_nodes = walk(tree)
    _bind_conventional_aliases(imports, all_nodes)
    if project is not None and path is not None:
        file = Path(path).resolve()
        patched = project.patched_names(file, list(imports.aliases.values()))  # before re-exports resolve
        roots = {n.value.id for n in all_nodes if n.__class__ is ast.Attribute and n.value.__class__ is ast.Name}
        project.enrich(imports, import_nodes, file, roots)
        external = project.uses_of(file)
    test_file = is_test_module(source, path)
    discovery = LossDiscovery(tree, imports, unit_of_line, external=external,
                              test_file=test_file, metrics_file=is_metrics_module(path))
    losses = discovery.run(nodes, all_nodes)
    loss_classes = discovery.loss_classes()
    index = ModuleIndex(source, lines, tree, imports, units, nodes, losses, discovery.functions,
                        discovery.classes, loss_classes, globals=globals_,
                        nodes=all_nodes, unit_of_line=unit_of_line,
                        patched=patched,
                        loss_hooks=frozenset(own_loss_hooks(source)) | (
                            project.loss_hooks() if project is not None else frozenset()),
                        project_weights=project.training_weights() if project is not None and external
                        else frozenset(),
                        may_weigh_samples=project is None or not loss_classes
                        or bool(WEIGHT_TEXT.search(source)) or project.may_weigh_samples(),
                        test_file=test_file,
                        self_reducing_models=_self_reducing_models(source, tree, imports, project, path))
    _record_mentions(index)
    return index


#: names with one meaning in TensorFlow code, bound when a file reads them without binding them
CONVENTIONAL_MODULES = {"tf": "tensorflow", "np": "numpy"}


def _bind_local_module_aliases(imports: ImportTable, tree: ast.Module, statements: list[ast.AST],
                               globals_: dict[str, int]) -> None:
    """``K = tensorflow.keras.backend`` inside a function binds ``K`` like an import would
    there, when that is the only thing the file ever binds to the name: ``K.clip(y_pred,
    K.epsilon(), 1 - K.epsilon())`` is then a clip, not an unknown call."""
    if not imports.mentions_ml():
        return
    found: dict[str, set[str | None]] = {}
    counts: dict[str, int] = {}
    for stmt in statements:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Attribute):
            name = stmt.targets[0].id
            if name in imports.aliases or name in globals_:
                continue
            found.setdefault(name, set()).add(imports.module_alias(stmt))
            counts[name] = counts.get(name, 0) + 1
    wanted = {name: qualname for name, (qualname, *more) in found.items() if qualname is not None and not more}
    if not wanted:
        return
    bound = _bindings(tree, set(wanted))
    for name, qualname in wanted.items():
        if bound.get(name, 0) == counts[name]:
            imports.aliases[name] = qualname


def _bindings(tree: ast.Module, names: set[str]) -> dict[str, int]:
    """How many times each of ``names`` is bound anywhere (assignments, loop targets,
    parameters, imports, defs): a name bound once as a module alias and never otherwise."""
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        bound: list[str] = []
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.append(node.id)
        elif isinstance(node, ast.arg):
            bound.append(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.extend((a.asname or a.name).split(".")[0] for a in node.names)
        for name in bound:
            if name in names:
                counts[name] = counts.get(name, 0) + 1
    return counts


def _bind_conventional_aliases(imports: ImportTable, nodes: list[ast.AST]) -> None:
    """``tf``/``np`` read in a TensorFlow file that binds them nowhere (a notebook cell or a
    module that lost its import) mean what they always mean: without this, ``tf.where`` over a
    clipped value is an unknown call and a guarded ``log`` looks unguarded. The verifier runs
    such a loss with the same imports, so both see one program. A star import may bind them,
    so nothing is assumed then."""
    if not imports.mentions_ml():
        return
    wanted = {name for name in CONVENTIONAL_MODULES if name not in imports.aliases}
    if not wanted:
        return  # the usual file imports both: no walk over its nodes
    uses = name_uses(nodes)
    if uses.star:
        return
    for name in sorted((wanted - uses.bound) & uses.read):
        imports.aliases[name] = CONVENTIONAL_MODULES[name]


def _statements(tree: ast.Module) -> list[ast.AST]:
    """Statement-level nodes in ``ast.walk`` order, without descending into expressions.

    Imports are statements, so this finds the same imports in the same (breadth-first) order
    as walking the whole tree, at a fraction of the cost: the flake8 plugin pays it per file.
    """
    out: list[ast.AST] = []
    queue: list[ast.AST] = [tree]
    for node in queue:  # the list grows while iterating: a breadth-first walk
        out.append(node)
        queue.extend(child for child in ast.iter_child_nodes(node)
                     if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)))
    return out


def walk(root: ast.AST) -> list[ast.AST]:
    """The nodes of ``ast.walk(root)`` in the same breadth-first order, without the expression
    contexts (``Load``/``Store``) and operators (``Add``, ``Eq``), about 4x faster.

    ``ast.walk`` goes through two generators per node; the index walks every node of the file
    and the flake8 plugin pays for it on every file it checks. Contexts and operators are read
    through their parent (``node.ctx``, ``node.op``), never looked for in the list, and are a
    quarter of its nodes; the fields holding names and numbers are not looked into at all.
    """
    out = [root]
    fields_of = _WALK_FIELDS
    for node in out:  # the list grows while iterating: breadth-first, children in field order
        kind = node.__class__
        fields = fields_of.get(kind)
        if fields is None:
            fields = fields_of[kind] = tuple(f for f in kind._fields if f not in _NOT_WALKED)
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                out.extend([v for v in value if isinstance(v, ast.AST)])
            elif isinstance(value, ast.AST):
                out.append(value)
    return out


#: fields :func:`walk` does not enter: contexts and operators, and names, strings and flags
_NOT_WALKED = frozenset({"ctx", "op", "ops", "id", "attr", "arg", "name", "kind", "level", "module",
                         "asname", "type_comment", "is_async", "conversion", "simple", "tag"})
#: node class -> the fields :func:`walk` enters (in ``_fields`` order)
_WALK_FIELDS: dict[type, tuple[str, ...]] = {}


def _record_mentions(index: ModuleIndex) -> None:
    imports = index.imports
    unit_of_line = index.unit_of_line
    # the same dotted names recur all over a file: resolve each once (the table is complete here)
    seen: dict[str, tuple[str | None, str | None]] = {}
    for node in index.nodes:
        cls = node.__class__
        if cls is ast.Attribute or cls is ast.Name or cls is ast.Call:
            i = unit_of_line.get(node.lineno)  # type: ignore[attr-defined]
            if i is None:
                continue
            if cls is ast.Attribute and isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                dotted = ast_dotted(node)
                if dotted is not None:
                    _mention(index, imports, dotted, i, seen)
            elif cls is ast.Name and isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                _mention(index, imports, node.id, i, seen)  # type: ignore[attr-defined]
            elif cls is ast.Call:
                _record_call(index, node, i)  # type: ignore[arg-type]


def _record_call(index: ModuleIndex, node: ast.Call, unit: int) -> None:
    training = False
    if isinstance(node.func, ast.Attribute):
        index.methods.setdefault(node.func.attr, set()).add(unit)
        training = node.func.attr in TRAINING_CALLS
    for kw in node.keywords:
        if kw.arg:
            index.keywords.setdefault(kw.arg, set()).add(unit)
            if training:
                index.training_keywords.add(kw.arg)


def _mention(index: ModuleIndex, imports: ImportTable, dotted: str, unit: int,
             seen: dict[str, tuple[str | None, str | None]]) -> None:
    if dotted in seen:
        qualname, canon = seen[dotted]
    else:
        qualname = imports.resolve(dotted)
        canon = None
        if qualname is not None and not qualname.startswith("builtins."):
            canon = imports.canonical(dotted)
        seen[dotted] = (qualname, canon)
    if qualname is None or qualname.startswith("builtins."):
        return
    index.qualnames.setdefault(qualname, set()).add(unit)
    if canon is not None:
        index.names.setdefault(canon, set()).add(unit)


def helper_units(index: ModuleIndex, loss_units: set[int]) -> set[int]:
    """Units of module functions, globals and base classes read by the loss units, transitively
    (depth 3): a Loss subclass's ``self.counts(...)`` may be a method of its base in the file."""
    seen = set(loss_units)
    frontier = set(loss_units)
    for _ in range(3):
        found: set[int] = set()
        for u in frontier:
            for node in index.unit_walk(u):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    for info in index.functions.get(node.id, []):
                        if len(info.path) == 1:
                            found.add(info.unit)
                    if node.id in index.globals:
                        found.add(index.globals[node.id])
                elif isinstance(node, ast.ClassDef):
                    for base in node.bases:
                        cls = index.classes.get(base.id) if isinstance(base, ast.Name) else None
                        unit = index.unit_of_line.get(cls.lineno) if cls is not None else None
                        if unit is not None:
                            found.add(unit)
        frontier = found - seen
        seen |= found
        if not frontier:
            break
    return seen


def _self_reducing_models(source: str, tree: ast.Module, imports: ImportTable, project: Project | None,
                          path: str | None) -> frozenset[str]:
    """See ``ModuleIndex.self_reducing_models``; read only where a ``compile`` could pass a
    reduction (what asks for it needs both words in the file)."""
    if "compile" not in source or "reduction" not in source:
        return frozenset()
    own = self_loss_step_classes(tree) if "self.loss(" in source else frozenset()
    if project is None or path is None:
        return own
    local = {name: target for name, target in imports.aliases.items() if "." in target}
    return own | imported_self_loss_step_classes(project, local, Path(path).resolve().parent)

