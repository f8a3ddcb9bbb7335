"""``lint_source(source, path, config) -> list[Finding]``: the pure core every front-end shares.

Pipeline (DESIGN.md): text prefilter; one stdlib ``ast`` parse for imports, units and loss
discovery; LibCST parses only of the units a selected rule needs; abstract interpretation of
each loss; one batched visit per loss (loss rules) and per unit (module rules); positions
computed only for the reported nodes, from the ``ast`` position of their statement
(:mod:`tfshape_lint.anchors`; a counting codegen pass over the unit only for what cannot be
paired). Fixes are computed only when the caller asks (``fixes=True``), each as a splice of
the flagged node's own range.
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import tokenize
import warnings
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Iterable, Sequence

import libcst as cst

from tfshape_lint.analysis import may_use_ml
from tfshape_lint.analysis.index import (
    ModuleIndex,
    build_index,
    helper_units,
    split_lines,
)
from tfshape_lint.analysis.imports import ast_callee_name
from tfshape_lint.analysis.callsites import bound_inputs, find_call, passed_values
from tfshape_lint.analysis.models import (
    branch_bodies,
    called_model_ranks,
    compiled_output_ranks,
    fit_label_ranks,
    passed_function_key,
    passed_method_key,
)
from tfshape_lint.analysis.losses import Context, LossSpec
from tfshape_lint.analysis.tensors import (
    FunctionNode,
    ModuleFacts,
    Scope,
    evaluate_factory_closure,
    evaluate_loss,
    evaluate_module_globals,
    input_values,
    literal_flags,
    passed_arguments,
)
from tfshape_lint.analysis.values import Env, Value
from tfshape_lint.anchors import locate_from_statements
from tfshape_lint.config import Config
from tfshape_lint.finding import Finding, Fix, InternalError, LossRef
from tfshape_lint.registry import all_rules
from tfshape_lint.rule import DeferredFix, Report, Rule, RuleScope
from tfshape_lint.source import Located, LineTable, assigned_names, code_in_place, locate as locate_nodes
from tfshape_lint.source import walk_batched as visit_batched
from tfshape_lint.source import visit_read_only

# flake8's own pattern and matching rules (codes compared case-sensitively, a comment at the end
# of a backslash continuation or multi-line string covers all its lines), so `# noqa` means the
# same in every front-end
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_NOQA_CODES = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


class SourceError(Exception):
    """The file cannot be analysed (syntax error); the message is ready for the user."""


@dataclass
class LintResult:
    """Findings plus the internal errors that did not stop the run."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InternalError] = field(default_factory=list)


def lint_source(source: str, path: str = "<string>", config: Config | None = None) -> list[Finding]:
    """Findings for one file's text; raises :class:`SourceError` when it cannot be parsed."""
    return lint(source, path, config or Config()).findings


def selected_rules(config: Config, path: str | None = None) -> list[type[Rule]]:
    return [rule for rule in all_rules() if config.enabled(rule.code, path)]


def lint(source: str, path: str, config: Config,
         rules: Sequence[type[Rule]] | None = None, *, fixes: bool = False) -> LintResult:
    """Full result for one file (findings sorted, internal errors kept separately).

    ``fixes=True`` fills ``Finding.fix`` (for ``fix``, ``--diff``, JSON); otherwise only
    ``Finding.fix_safety`` says that a fix exists, and none is computed.
    """
    if not may_use_ml(source, path):
        return LintResult()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise SourceError(f"syntax error at line {exc.lineno}: {exc.msg}") from None
    except ValueError as exc:  # e.g. NUL bytes
        raise SourceError(f"cannot parse: {exc}") from None
    return lint_index(build_index(source, tree, path), path, config, rules, fixes=fixes)


def lint_index(index: ModuleIndex, path: str, config: Config,
               rules: Sequence[type[Rule]] | None = None, *, noqa: bool = True,
               fixes: bool = False) -> LintResult:
    """The LibCST stage for an index the caller built (the flake8 plugin reuses flake8's tree).

    ``noqa=False`` leaves ``# noqa`` comments to the caller (flake8 applies its own).
    """
    if not index.imports.mentions_ml():
        return LintResult()
    chosen = list(rules) if rules is not None else selected_rules(config, path)
    run = _Run(index, path, config, chosen, noqa=noqa, fixes=fixes)
    try:
        return run.execute()
    except RecursionError:  # LibCST parsing or writing a deeply nested unit
        run.result.errors.append(InternalError(path, "internal error: code nested too deeply to analyse"))
        return run.result


class _Run:
    """One file's LibCST stage: parse needed units, evaluate losses, visit, collect."""

    def __init__(self, index: ModuleIndex, path: str, config: Config, rules: list[type[Rule]],
                 noqa: bool = True, fixes: bool = False) -> None:
        self.index = index
        self.noqa = noqa
        self.fixes = fixes
        self.path = path
        self.config = config
        self.rule_classes = rules
        self.parsed: dict[int, cst.Module | None] = {}
        self.texts: dict[int, str] = {}
        self.result = LintResult()
        self._noqa_map: dict[int, str] | None = None
        self._printed: list[tuple[int, int, int, int]] | None = None
        self._fit_units: set[int] = set()
        self._fit_ranks: list[int | None] | None = None
        self._model_calls: dict[int, dict[cst.Call, int]] = {}
        self._compiled_ranks: dict[str, list[int | None]] | None = None
        self.line_tables: dict[int, LineTable] = {}
        #: units parsed with their tab indentation expanded: unit line -> (indent width, added)
        self.expanded: dict[int, dict[int, tuple[int, int]]] = {}

    # -- orchestration ------------------------------------------------------------------------
    def execute(self) -> LintResult:
        loss_rules = [r for r in self.rule_classes if r.scope is RuleScope.LOSS]
        module_rules = [r for r in self.rule_classes if r.scope is RuleScope.MODULE]
        specs = self.index.losses if loss_rules else []
        wanted = {rule: set(self._safe_wants(rule)) for rule in module_rules}
        # the units that call a loss or its factory too: what they pass is read as globals
        loss_units = {s.unit for s in specs} | {u for s in specs for u in (s.call_unit, s.factory_unit)
                                                if u is not None}
        if any(s.context is Context.SUBCLASS for s in specs):
            # the labels fit passes reach a Loss subclass's call unaligned: read them
            self._fit_units = set(self.index.methods.get("fit", set()))
            loss_units |= self._fit_units
        needed = set().union(*wanted.values()) if wanted else set()
        if loss_units:
            needed |= helper_units(self.index, loss_units)
        if not needed:
            return self.result
        facts = self._facts(needed)
        instances = [rule(self.index, facts, self.config) for rule in self.rule_classes]
        by_class = {type(r): r for r in instances}
        loss_instances = [by_class[r] for r in loss_rules]
        for spec in specs:
            self._lint_loss(spec, facts, loss_instances)
        # nothing to visit, nothing to report: skip begin_module's set-up work
        self._lint_units({by_class[r]: units for r, units in wanted.items() if units})
        reports = [rep for inst in instances for rep in inst.reports]
        self.result.findings = self._findings(reports)
        for inst in instances:
            inst.reports = []  # a report points back at its rule: free the file's trees now, not at the next GC
        return self.result

    def _safe_wants(self, rule: type[Rule]) -> Iterable[int]:
        try:
            return list(rule.wants(self.index))
        except Exception as exc:  # a rule bug must not stop the file
            self._internal(rule.code, exc)
            return []

    def _internal(self, code: str, exc: BaseException) -> None:
        self.result.errors.append(InternalError(
            self.path, f"internal error in rule {code}: {type(exc).__name__}: {exc}", code))

    # -- units ----------------------------------------------------------------------------------
    def unit_module(self, unit: int) -> cst.Module | None:
        if unit not in self.parsed:
            text = self.index.unit_source(self.index.units[unit])
            self.texts[unit] = text
            try:
                self.parsed[unit] = cst.parse_module(text)
            except cst.ParserSyntaxError as exc:
                self.parsed[unit] = self._parse_expanded(unit, text)
                if self.parsed[unit] is None:
                    self.result.errors.append(InternalError(
                        self.path, f"LibCST cannot parse lines {self.index.units[unit].start_line}-"
                                   f"{self.index.units[unit].end_line}: {exc.message}"))
        return self.parsed[unit]

    def _parse_expanded(self, unit: int, text: str) -> cst.Module | None:
        """The unit parsed with the tabs of its indentation expanded, where that is what made
        LibCST fail: CPython reads a tab followed by spaces as consistent indentation (Python 2
        era files mix them), LibCST's tokenizer does not. Findings there get their columns mapped
        back; the unit gets no fixes (its whitespace is not the file's)."""
        expanded, shifts = expand_indent_tabs(text)
        if not shifts:
            return None
        try:
            module = cst.parse_module(expanded)
        except cst.ParserSyntaxError:
            return None
        self.texts[unit] = expanded
        self.expanded[unit] = shifts
        return module

    def _facts(self, needed: set[int]) -> ModuleFacts:
        functions: dict[str, cst.FunctionDef] = {}
        methods: dict[tuple[str, str], cst.FunctionDef] = {}
        lambdas: dict[str, cst.Lambda] = {}
        bases: dict[str, tuple[str, ...]] = {}
        statements: list[cst.CSTNode] = []
        for unit in sorted(needed):
            module = self.unit_module(unit)
            if module is None:
                continue
            for stmt in module.body:
                if isinstance(stmt, cst.FunctionDef):
                    functions[stmt.name.value] = stmt
                elif isinstance(stmt, cst.ClassDef):
                    methods.update(((stmt.name.value, item.name.value), item) for item in stmt.body.body
                                   if isinstance(item, cst.FunctionDef))
                    bases[stmt.name.value] = tuple(arg.value.value for arg in stmt.bases
                                                   if isinstance(arg.value, cst.Name))
                else:
                    statements.append(stmt)
                    lambdas.update(_module_lambdas(stmt))
        facts = ModuleFacts(self.index.imports, functions, set(self.index.loss_classes), methods=methods,
                            lambdas=lambdas, bases=bases,
                            mentions_one_hot=any("one_hot" in self.texts.get(unit, "one_hot") for unit in needed))
        if self.index.losses:
            facts.globals = evaluate_module_globals(facts, statements, self.index.losses[0])
        return facts

    # -- losses ---------------------------------------------------------------------------------
    def _lint_loss(self, spec: LossSpec, facts: ModuleFacts, rules: list[Rule]) -> None:
        module = self.unit_module(spec.unit)
        if module is None:
            return
        node = locate(module, spec)
        if node is None:
            return
        try:
            closure = self._closure(module, spec, facts)
            site = self._call_site(spec, facts)
            inputs = bound_inputs(spec, node, site[0], site[1]) if site is not None else \
                self._fit_inputs(spec, facts) or self._compiled_inputs(spec)
            flags = self._call_flags(spec, node)
            passed = passed_arguments(node, site[0]) if site is not None else {}
            if site is not None and inputs is not None:
                # a parameter the call gives a tensor is not None there: ``if avg_factor is not None``
                assigned = assigned_names(node)
                flags.update({f"{name} is None": False for name, value in inputs.items()
                              if value.tensor and name not in assigned})
                # nor one it gives a required parameter of the caller (``avg_factor=num_boxes``)
                caller = site[2].node
                required = _required_params(caller) if isinstance(caller, cst.FunctionDef) else set()
                flags.update({f"{name} is None": False for name, expr in passed.items()
                              if isinstance(expr, cst.Name) and expr.value in required and name not in assigned})
            scope = evaluate_loss(facts, spec, node, closure, inputs, flags=flags)
            if site is not None:
                scope.call_site = (site[2], passed)
        except RecursionError:
            self._internal("analysis", RecursionError(
                f"{spec.qualname} is nested too deeply to analyse"))
            return
        except Exception as exc:
            self._internal("analysis", exc)
            return
        # a rule that does not apply to the loss (a metric, numpy code found by its signature,
        # a tf.py_function target) does not apply to the helpers only it reaches either
        rooted = [r for r in rules if self._applies(r, scope)]
        visited: dict[int, list[tuple[Scope, list[Rule]]]] = {}
        for sub in scope.all_scopes():
            active = [r for r in rooted if sub is scope or self._applies(r, sub)]
            if not active or _seen_before(sub, active, visited.setdefault(id(sub.node), [])):
                continue
            with ExitStack() as stack:
                for rule in active:
                    stack.enter_context(rule.bound(sub, spec.unit))
                    if not sub.is_helper:
                        self._check_loss(rule, sub)
                self._visit(sub.node, active)

    def _call_flags(self, spec: LossSpec, node: cst.CSTNode) -> dict[str, bool]:
        """The True/False parameters of a loss at the file's only call of it
        (``batch_all(labels, y_pred, squared=True)`` in a Keras wrapper): its other branch is
        not what the file runs."""
        if spec.caller is None or spec.call_unit is None or not isinstance(node, cst.FunctionDef) \
                or spec.context not in (Context.DIRECT, Context.UNKNOWN):
            return {}  # a loss Keras calls gets its defaults, whatever else the file does with it
        module = self.unit_module(spec.call_unit)
        root = find_def(module, spec.caller) if module is not None and spec.caller else module
        call = find_call(root, node.name.value) if root is not None else None
        return literal_flags(node, call, {}) if call is not None else {}

    def _applies(self, rule: Rule, loss: Scope) -> bool:
        try:
            return rule.applies(loss)
        except Exception as exc:  # a rule bug must not stop the file
            self._internal(rule.code, exc)
            return False

    def _fit_inputs(self, spec: LossSpec, facts: ModuleFacts) -> dict[str, Value] | None:
        """A Loss subclass in a file whose every ``fit`` passes labels of one known rank gets
        them unaligned: against the output rank of the models compiled with it when the file
        shows it (``(N, 1)`` labels against a ``Reshape(())`` head: one axis more), else
        ``(N,)`` labels are one rank below a prediction of at least two axes (a Dense output)."""
        if spec.context is not Context.SUBCLASS or not self._fit_units or len(spec.params) < 2:
            return None
        if self._fit_ranks is None:
            modules = [m for m in (self.unit_module(u) for u in sorted(self._fit_units)) if m is not None]
            self._fit_ranks = fit_label_ranks(facts, modules, spec)
        ranks = self._fit_ranks
        if not ranks or None in ranks or len(set(ranks)) != 1:
            return None
        output = self._compiled_output(spec.path[0])
        labels_rank = ranks[0]
        assert labels_rank is not None
        if output is None and labels_rank != 1:
            return None
        rel = labels_rank - output if output is not None else -1
        if rel == 0:
            return None
        inputs = input_values(spec)
        labels = spec.params[0]
        inputs[labels] = inputs[labels].evolve(rel=rel)
        return inputs

    def _compiled_inputs(self, spec: LossSpec) -> dict[str, Value] | None:
        """A loss function ``compile`` receives by name (``loss=triplet_loss``) for models of the
        file whose output rank is one known ``R``: its prediction is that output, of rank ``R``
        (``y_pred[:, 0]`` of a ``Dense(128)`` embedding is then one value per sample). The labels
        keep an unknown rank: ``fit`` may pass class ids one axis shorter."""
        if spec.context is not Context.COMPILE or spec.factory is not None or spec.lambda_ordinal is not None \
                or len(spec.params) < 2 or spec.pred_first \
                or not (len(spec.path) == 1 or len(spec.path) == 2 and spec.path[0] in self.index.classes):
            return None
        # ``loss=self.loss``: a method of the class, compiled on the class's model
        key = passed_function_key(spec.path[0]) if len(spec.path) == 1 else passed_method_key(spec.path[1])
        rank = self._compiled_output(key)
        predictions = spec.predictions
        if rank is None or rank < 1 or predictions is None:
            return None
        inputs = input_values(spec)
        if predictions not in inputs:
            return None
        inputs[predictions] = inputs[predictions].evolve(rank=rank)
        return inputs

    def _call_site(self, spec: LossSpec, facts: ModuleFacts) -> tuple[cst.Call, list[Value], Scope] | None:
        """The file's only call of a custom-loop or signature-found loss, what it passes and the
        scope that evaluated it."""
        if spec.caller is None or spec.call_unit is None or spec.context not in (Context.DIRECT, Context.UNKNOWN):
            return None
        if any(other.path == spec.caller and other.context is not Context.ADD_LOSS for other in self.index.losses):
            return None  # called by another loss: analysed there as its helper (a Layer's add_loss
            # method is checked by few rules: what it passes still binds the loss's inputs)
        module = self.unit_module(spec.call_unit)
        if module is None:
            return None
        caller = find_def(module, spec.caller) if spec.caller else None
        if spec.caller and not isinstance(caller, cst.FunctionDef):
            return None
        calls = self._model_calls.get(spec.call_unit)
        if calls is None:  # what the file's models output, where the call passes it
            calls = called_model_ranks(self.index, spec.call_unit, set(self.parsed), self.unit_module)
            self._model_calls[spec.call_unit] = calls
        if calls:
            # only for the call's arguments: a loss calling a model (a feature extractor) is unchanged
            facts = replace(facts, model_outputs=calls)
        return passed_values(facts, spec, caller if isinstance(caller, cst.FunctionDef) else None, module)

    def _check_loss(self, rule: Rule, loss: Scope) -> None:
        try:
            rule.check_loss(loss)
        except Exception as exc:  # a rule bug must not stop the file
            self._internal(rule.code, exc)

    def _closure(self, module: cst.Module, spec: LossSpec, facts: ModuleFacts) -> Env | None:
        if spec.factory is None:
            return None
        factory_path = spec.path if spec.lambda_ordinal is not None else spec.path[:-1]
        factory = find_def(module, factory_path)
        if not isinstance(factory, cst.FunctionDef):
            return None
        call = None
        if spec.factory_call:
            parsed = cst.parse_expression(spec.factory_call)
            call = parsed if isinstance(parsed, cst.Call) else None
        env = evaluate_factory_closure(facts, factory, spec, call)
        if spec.factory_locals:
            self._relative_to_output(spec, factory, env)
        return env

    def _compiled_output(self, name: str) -> int | None:
        """The one output rank of the models ``compile`` receives ``name(...)`` for (a Loss
        subclass of the file, a loss factory); None when unknown or when they differ."""
        if self._compiled_ranks is None:
            self._compiled_ranks = compiled_output_ranks(self.index, set(self.parsed), self.unit_module)
        outputs = set(self._compiled_ranks.get(name, []))
        return outputs.pop() if len(outputs) == 1 else None

    def _relative_to_output(self, spec: LossSpec, factory: cst.FunctionDef, env: Env) -> None:
        """A batch the factory receives (``advantage = Input(shape=(1,))``) has an absolute rank;
        where the model compiled with the factory's loss has one known output rank, the
        closure's batch gets its rank relative to the loss inputs, as the loss's own values have."""
        output = self._compiled_output(spec.factory or "")
        if output is None:
            return
        for param in factory.params.params:
            value = env.names.get(param.name.value)
            if value is not None and value.tensor and value.batch and value.rank is not None and value.rel is None:
                env.names[param.name.value] = value.evolve(rel=value.rank - output, rank=None)

    def _visit(self, node: cst.CSTNode, rules: list[Rule]) -> set[Rule]:
        """Visit ``node`` with ``rules`` batched; the rules that raised (recorded) come back."""
        try:
            visit_batched(node, rules)
            return set()
        except RecursionError:
            self._internal("visitor", RecursionError("code nested too deeply to visit"))
            return set(rules)
        except Exception as exc:
            # batched visiting cannot tell which rule raised: retry one by one to name it
            # (repeated reports of the rules that passed are merged in _findings)
            failed: set[Rule] = set()
            for rule in rules:
                try:
                    visit_batched(node, [rule])
                except Exception as inner:
                    self._internal(rule.code, inner)
                    failed.add(rule)
            if not failed:
                self._internal("visitor", exc)
            return failed

    def _lint_units(self, wanted: dict[Rule, set[int]]) -> None:
        """Module rules: every unit visited once, by all the rules that want it (batched)."""
        live = [rule for rule in wanted if self._call(rule, rule.begin_module)]
        for unit in sorted(set().union(*wanted.values())) if wanted else []:
            rules = [rule for rule in live if unit in wanted[rule]]
            module = self.unit_module(unit) if rules else None
            if module is None:
                continue
            with ExitStack() as stack:
                for rule in rules:
                    stack.enter_context(rule.bound(None, unit))
                failed = self._visit(module, rules)
            live = [rule for rule in live if rule not in failed]
        for rule in live:
            self._call(rule, rule.end_module)

    def _call(self, rule: Rule, hook: Callable[[], None]) -> bool:
        try:
            hook()
            return True
        except Exception as exc:  # a rule bug must not stop the file
            self._internal(rule.code, exc)
            return False

    # -- positions and findings -------------------------------------------------------------------
    def _locate(self, reports: list[Report]) -> dict[int, dict[cst.CSTNode, Located]]:
        """Positions of the reported nodes, per unit (:meth:`_locate_in`)."""
        wanted: dict[int, list[cst.CSTNode]] = {}
        for report in reports:
            if report.unit >= 0 and self.parsed.get(report.unit) is not None:
                wanted.setdefault(report.unit, []).append(report.node)
        # a fix is a splice of the node's whitespace-inclusive range: only those need it
        fixed = [r.node for r in reports if r.fix is not None] if self.fixes else []
        found: dict[int, dict[cst.CSTNode, Located]] = {}
        for unit, nodes in wanted.items():
            found[unit] = self._locate_in(unit, nodes, fixed)
        # a node reported from another unit than its own (rare): look for it in the others
        lost = [r for r in reports if r.node not in found.get(r.unit, {})]
        for unit in self.parsed:
            if not lost:
                break
            if self.parsed[unit] is None:
                continue
            extra = self._locate_in(unit, [r.node for r in lost], fixed)
            found.setdefault(unit, {}).update(extra)
            lost = [r for r in lost if r.node not in extra]
        return found

    def _locate_in(self, unit: int, nodes: list[cst.CSTNode],
                   inclusive: list[cst.CSTNode]) -> dict[cst.CSTNode, Located]:
        """Nodes of the unit placed from their statement's ``ast`` position
        (:mod:`tfshape_lint.anchors`), the few that cannot be with one counting pass over the
        unit; nodes not in the unit are left out. ``inclusive``: the nodes that need their
        whitespace-inclusive range (for a fix)."""
        module = self.parsed[unit]
        assert module is not None
        text, table = self.texts[unit], self._line_table(unit)
        first = self.index.units[unit].start_line
        statements = unit_statements(self.index, unit)
        if unit in self.expanded:  # the file's ast columns are not the expanded text's
            statements, first = ast.parse(text).body, 1
        found, rest = locate_from_statements(module, nodes, text, table, statements, first, inclusive)
        if rest:
            found.update(locate_nodes(module, rest, text, table))
        return found

    def _line_table(self, unit: int) -> LineTable:
        if unit not in self.line_tables:
            self.line_tables[unit] = LineTable(self.texts[unit])
        return self.line_tables[unit]

    def _findings(self, reports: list[Report]) -> list[Finding]:
        out: dict[tuple[str, int, int, int, int], Finding] = {}
        located = self._locate(reports) if reports else {}
        for report in reports:
            unit, where = _where(located, report)
            if where is None:
                continue
            offset = self.index.units[unit].start_line - 1
            if unit in self.expanded:
                where = _unexpanded(where, self.expanded[unit])
            line = where.line + offset
            if self.noqa and _suppressed(self._noqa_text(line), report.rule.code):
                continue
            if report.rule.value_only and self._only_printed(line, where.column, where.end_line + offset,
                                                             where.end_column):
                continue
            # one finding per rule and node: a loss compiled twice (two lambdas around it) is
            # analysed twice and may word the same finding two ways; the first wording is kept
            key = (report.rule.code, line, where.column, where.end_line + offset, where.end_column)
            if key in out:
                continue
            safety = report.rule.fix_safety if report.fix is not None else None
            fixable = self.fixes and safety is not None and unit not in self.expanded
            fix = self._fix(report, unit, where) if fixable else None
            out[key] = Finding(
                path=self.path, line=line, column=where.column,
                end_line=where.end_line + offset, end_column=where.end_column,
                code=report.rule.code, rule=report.rule.name, message=report.message,
                severity=report.severity, fix=fix, loss=_loss_ref(report.scope),
                fix_safety=safety,
            )
        return sorted(out.values(), key=Finding.sort_key)

    def _only_printed(self, line: int, column: int, end_line: int, end_column: int) -> bool:
        """Whether the span lies inside the arguments of a ``print(...)``/``tf.print(...)``
        statement: a debug print's value never reaches the loss."""
        if self._printed is None:
            self._printed = printed_spans(self.index.nodes)
        return any((first, col) <= (line, column) and (end_line, end_column) <= (last, end)
                   for first, col, last, end in self._printed)

    def _noqa_text(self, line: int) -> str:
        """The text flake8 searches for ``# noqa`` for a finding on ``line``."""
        if self._noqa_map is None:
            self._noqa_map = noqa_lines(self.index.source)
        if line in self._noqa_map:
            return self._noqa_map[line]
        return self.index.lines[line - 1] if 1 <= line <= len(self.index.lines) else ""

    def _fix(self, report: Report, unit: int, where: Located) -> Fix | None:
        """The fix as a replacement of the unit's changed lines: the flagged node's own range
        spliced with the replacement's code (the whole unit is transformed only where a node's
        code depends on its parent: a removal, commas and semicolons the parent supplies)."""
        module = self.parsed[unit]
        assert module is not None and report.fix is not None and report.rule.fix_safety is not None
        text = self.texts[unit]
        replacement, imports = report.fix, report.fix_imports
        try:
            if isinstance(replacement, DeferredFix):
                replacement, imports = replacement.build()
            new_text = _splice(module, text, report.node, replacement, where)
            if new_text is None:
                new_text = module.visit(_Replace(report.node, replacement)).code
        except Exception as exc:
            self._internal(report.rule.code, exc)
            return None
        old_lines = split_lines(text)
        new_lines = split_lines(new_text)
        start, old_end, new_end = _changed_region(old_lines, new_lines)
        offset = self.index.units[unit].start_line - 1
        return Fix(start_line=start + 1 + offset, end_line=old_end + offset,
                   replacement="".join(new_lines[start:new_end]),
                   safety=report.rule.fix_safety, imports=imports)


def _seen_before(sub: Scope, active: list[Rule], earlier: list[tuple[Scope, list[Rule]]]) -> bool:
    """Whether the same rules already visited a scope of ``sub``'s body that tells them the same
    (see :meth:`Scope.same_as`): a helper called several times with the same inputs is visited
    once, its reports being the same (recorded in ``earlier`` otherwise)."""
    if any(set(active) <= set(rules) and sub.same_as(scope) for scope, rules in earlier):
        return True
    earlier.append((sub, active))
    return False


def expand_indent_tabs(text: str) -> tuple[str, dict[int, tuple[int, int]]]:
    """``text`` with the tabs of each line's indentation expanded as CPython reads them (to the
    next multiple of 8), and per changed line (1-based) its new indentation width and how many
    characters it gained."""
    out: list[str] = []
    shifts: dict[int, tuple[int, int]] = {}
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.lstrip(" \t\f")
        indent = line[:len(line) - len(body)]
        if "\t" in indent:
            width = 0
            for char in indent:
                width = (width // 8 + 1) * 8 if char == "\t" else width + 1
            shifts[number] = (width, width - len(indent))
            line = " " * width + body
        out.append(line)
    return "".join(out), shifts


def _unexpanded(where: Located, shifts: dict[int, tuple[int, int]]) -> Located:
    """A position in a unit whose indentation tabs were expanded, in the file's own columns
    (a column inside the expanded indentation maps to the end of the original one)."""
    def column(line: int, col: int) -> int:
        width, added = shifts.get(line, (0, 0))
        return col - added if col >= width else min(col, width - added)
    return replace(where, column=column(where.line, where.column),
                   end_column=column(where.end_line, where.end_column))


def unit_statements(index: ModuleIndex, unit: int) -> list[ast.stmt]:
    """The file's top-level ``ast`` statements that lie in the unit's text (more than the
    unit's own where statements share a line: ``a = 1; b = 2``)."""
    units = index.units
    start, end = units[unit].start_line, units[unit].end_line
    first = unit
    while first > 0 and units[first - 1].start_line >= start:
        first -= 1
    last = unit
    while last + 1 < len(units) and units[last + 1].start_line <= end:
        last += 1
    return [index.unit_nodes[i] for i in range(first, last + 1)
            if units[i].start_line >= start and units[i].end_line <= end]


def _where(located: dict[int, dict[cst.CSTNode, Located]], report: Report) -> tuple[int, Located | None]:
    """The unit and position of a reported node (its own unit first)."""
    own = located.get(report.unit, {}).get(report.node)
    if own is not None:
        return report.unit, own
    for unit, nodes in located.items():
        if report.node in nodes:
            return unit, nodes[report.node]
    return -1, None


def _splice(module: cst.Module, text: str, node: cst.CSTNode,
            replacement: cst.CSTNode | cst.RemovalSentinel, where: Located) -> str | None:
    """The unit's text with ``node`` replaced, by writing only the replacement; None where the
    parent's code would change too (then the caller transforms the whole unit)."""
    if not isinstance(replacement, cst.CSTNode) or _context_dependent(type(node)) \
            or _context_dependent(type(replacement)) or where.start_offset < 0:
        return None
    old = text[where.start_offset:where.end_offset]
    if code_in_place(node, module, where.indent) != old:
        return None  # the node's code depends on where it is: do not guess
    new = code_in_place(replacement, module, where.indent)
    return text[:where.start_offset] + new + text[where.end_offset:]


@lru_cache(maxsize=None)
def _context_dependent(kind: type) -> bool:
    """Node types whose code takes a default from the parent (a comma, a semicolon, ...)."""
    impl = getattr(kind, "_codegen_impl", None)
    if impl is None:
        return True
    return len(inspect.signature(impl).parameters) > 2


class _Replace(cst.CSTTransformer):
    """Swap exactly one node (by identity) for its replacement."""

    def __init__(self, target: cst.CSTNode, replacement: cst.CSTNode | cst.RemovalSentinel) -> None:
        super().__init__()
        self.target = target
        self.replacement = replacement

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[no-untyped-def]
        if original_node is self.target:
            return self.replacement
        return updated_node


def _changed_region(old: list[str], new: list[str]) -> tuple[int, int, int]:
    """(first changed line, end in old, end in new), 0-based half-open, by common affixes."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    old_end, new_end = len(old), len(new)
    while old_end > start and new_end > start and old[old_end - 1] == new[new_end - 1]:
        old_end -= 1
        new_end -= 1
    return start, old_end, new_end


def printed_spans(nodes: Iterable[ast.AST]) -> list[tuple[int, int, int, int]]:
    """(line, column, end line, end column) of each ``print(...)`` or ``<module>.print(...)``
    call that is a statement of its own (its result unused), among the file's ``nodes`` (the
    index's single walk of the tree)."""
    spans: list[tuple[int, int, int, int]] = []
    for node in nodes:
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        if ast_callee_name(node.value) == "print":
            call = node.value
            spans.append((call.lineno, call.col_offset, call.end_lineno or call.lineno, call.end_col_offset or 0))
    return spans


def noqa_lines(source: str) -> dict[int, str]:
    """Line -> the text searched for ``# noqa``: flake8's mapping (lines between two newline
    tokens are joined). Empty when the file has no ``noqa`` at all or cannot be tokenised."""
    if "noqa" not in source.lower():
        return {}
    lines = split_lines(source)
    out: dict[int, str] = {}
    first, last = len(lines) + 2, -1
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first, last = min(first, tok.start[0]), max(last, tok.end[0])
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[first - 1:last])
                out.update(dict.fromkeys(range(first, last + 1), joined))
                first, last = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return out


def _suppressed(text: str, code: str) -> bool:
    match = NOQA.search(text)
    if match is None:
        return False
    codes = match.group("codes")
    if not codes:
        return True
    found = tuple(_NOQA_CODES.findall(codes))
    return code in found or code.startswith(found)


def _loss_ref(scope: Scope | None) -> LossRef | None:
    if scope is None:
        return None
    spec = scope.spec
    return LossRef(qualname=spec.qualname, context=spec.context.value, role=spec.role.value,
                   line=spec.line, factory_call=spec.factory_call, params=spec.params, added=spec.added,
                   pred_first=spec.pred_first, adversarial=spec.adversarial, model_first=spec.model_first)


def find_def(module: cst.Module, path: Sequence[str]) -> cst.FunctionDef | cst.ClassDef | None:
    """The def/class at a dotted path (``("MyLoss", "call")``), searching nested blocks."""
    body: Sequence[cst.CSTNode] = module.body
    found: cst.FunctionDef | cst.ClassDef | None = None
    for name in path:
        found = _find_in(body, name)
        if found is None:
            return None
        body = found.body.body if isinstance(found.body, cst.IndentedBlock) else []
    return found


def _find_in(body: Sequence[cst.CSTNode], name: str) -> cst.FunctionDef | cst.ClassDef | None:
    for stmt in body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value == name:
            return stmt
    for stmt in body:
        if isinstance(stmt, (cst.If, cst.Try, cst.With, cst.For, cst.While)):
            nested = [inner for block in branch_bodies(stmt) for inner in block]
            found = _find_in(nested, name)
            if found is not None:
                return found
    return None


class _LambdaCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.Lambda] = []

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.found.append(node)


def locate(module: cst.Module, spec: LossSpec) -> FunctionNode | None:
    """The LibCST node of a discovered loss inside its unit."""
    if spec.lambda_ordinal is not None:
        root: cst.CSTNode = module
        collector = _LambdaCollector()
        visit_read_only(root, collector)
        if 0 <= spec.lambda_ordinal < len(collector.found):
            return collector.found[spec.lambda_ordinal]
        return None
    found = find_def(module, spec.path)
    return found if isinstance(found, cst.FunctionDef) else None


def _module_lambdas(stmt: cst.CSTNode) -> dict[str, cst.Lambda]:
    """``name = lambda ...`` at module level (one plain target)."""
    out: dict[str, cst.Lambda] = {}
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                    and isinstance(small.targets[0].target, cst.Name) and isinstance(small.value, cst.Lambda):
                out[small.targets[0].target.value] = small.value
    return out


def _required_params(fn: cst.FunctionDef) -> set[str]:
    """The parameters of ``fn`` without a default: whatever its callers pass, never an omitted
    argument's ``None``."""
    return {p.name.value for p in list(fn.params.posonly_params) + list(fn.params.params) + list(fn.params.kwonly_params)
            if p.default is None}
