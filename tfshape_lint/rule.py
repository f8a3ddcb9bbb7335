"""The Rule base class: one subclass per module under ``tfshape_lint/rules/``.

A rule is a LibCST batchable visitor. The engine runs it either over each discovered loss
body (``scope = RuleScope.LOSS``; ``self.loss`` is the current loss's abstract values) or over
the module units it asks for (``scope = RuleScope.MODULE``; see :meth:`Rule.wants`). The engine
passes where the rule is looking through :meth:`Rule.bound`; ``loss`` and ``unit`` are read-only.
"""

from __future__ import annotations

import enum
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator, Mapping

import libcst as cst

from tfshape_lint.analysis.imports import cst_dotted
from tfshape_lint.analysis.values import Value
from tfshape_lint.finding import FixSafety, Severity

if TYPE_CHECKING:
    from tfshape_lint.analysis.index import ModuleIndex
    from tfshape_lint.analysis.tensors import ModuleFacts, Scope
    from tfshape_lint.config import Config

__all__ = ["DeferredFix", "Example", "FixSafety", "Recipe", "Report", "Rule", "RuleScope", "Severity",
           "UNSET"]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class RuleScope(str, enum.Enum):
    """Where a rule looks: inside each loss, or at chosen module units."""

    LOSS = "loss"
    MODULE = "module"


@dataclass(frozen=True)
class Example:
    """A code sample in a rule: the tests and the docs are generated from these.

    ``fixed``: exact output of the fixer (``None``: the fixer must leave it alone; ``UNSET``:
    not given, only allowed for rules without a fix). ``message``/``line``: expected values
    of the first finding, when given. ``config``: ``[tool.tfshape-lint]`` options for it.
    """

    code: str
    fixed: Any = UNSET
    message: str | None = None
    line: int | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Recipe:
    """How the verifier exposes this rule's bug at runtime (interpreted by ``verify/``).

    ``probe`` names a probe in ``tfshape_lint.verify.probes``; ``params`` are its settings.
    Plain data so that rules never import TensorFlow.
    """

    probe: str
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


ImportSpec = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class DeferredFix:
    """A fix whose replacement is built only when the caller asks for fixes.

    For fixes that are costly to build (a transformer over the flagged subtree) and certain to
    exist: report one only when ``build`` will succeed, since the finding's fix safety is set
    from it without building. ``build()`` returns the replacement and the imports it needs.
    """

    build: Callable[[], tuple[cst.CSTNode | cst.RemovalSentinel, tuple[ImportSpec, ...]]]


@dataclass
class Report:
    """A finding before positions are known: the node, the message and an optional fix."""

    rule: Rule
    node: cst.CSTNode
    message: str
    severity: Severity
    fix: cst.CSTNode | cst.RemovalSentinel | DeferredFix | None = None
    fix_imports: tuple[ImportSpec, ...] = ()
    scope: Scope | None = None
    unit: int = -1


class Rule(cst.BatchableCSTVisitor):
    """Base class of every rule. Subclasses set the class attributes and ``visit_*`` methods."""

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    fix_safety: ClassVar[FixSafety | None] = None
    scope: ClassVar[RuleScope] = RuleScope.LOSS
    #: gradient rules skip metrics
    losses_only: ClassVar[bool] = False
    #: also checks the loss terms a custom Layer hands Keras with ``self.add_loss`` (context
    #: ``add_loss``); the rest of a layer is model code, which most loss rules do not read
    add_loss_terms: ClassVar[bool] = False
    #: the finding is about the value a node gives the loss (a reduction, a broadcast, a NaN),
    #: not an error the node raises: a node whose value only reaches a ``print`` is not reported
    value_only: ClassVar[bool] = False
    recipe: ClassVar[Recipe | None] = None
    good: ClassVar[tuple[Example, ...]] = ()
    bad: ClassVar[tuple[Example, ...]] = ()
    #: per-rule options accepted under [tool.tfshape-lint.<code>] with their defaults
    options: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, index: ModuleIndex, facts: ModuleFacts, config: Config) -> None:
        super().__init__()
        self.index = index
        self.facts = facts
        self.config = config
        self._bound_to: tuple[Scope | None, int] = (None, -1)
        self.reports: list[Report] = []
        self._visitors: dict[str, Callable[[cst.CSTNode], None]] | None = None

    # -- where the rule is looking (set by the engine for one loss or unit at a time) -------------
    @property
    def loss(self) -> Scope | None:
        """The loss (or helper) scope being visited; None for module rules."""
        return self._bound_to[0]

    @property
    def unit(self) -> int:
        """The index of the unit being visited (-1 outside a visit)."""
        return self._bound_to[1]

    @contextmanager
    def bound(self, loss: Scope | None, unit: int) -> Iterator[Rule]:
        """Look at ``loss`` in ``unit`` for the duration of the block (the engine's context)."""
        before = self._bound_to
        self._bound_to = (loss, unit)
        try:
            yield self
        finally:
            self._bound_to = before

    # -- hooks ----------------------------------------------------------------------------
    @classmethod
    def wants(cls, index: ModuleIndex) -> Iterable[int]:
        """Module rules: the unit indices to visit (cheap checks on the ast index only)."""
        return ()

    def applies(self, loss: Scope) -> bool:
        """Loss rules: whether to visit this loss at all. Not a function found by its signature
        only whose body is numpy code: it receives arrays (an offline score), not tensors."""
        if self.losses_only and loss.role.value in ("metric", "reference"):
            return False
        if loss.context.value == "add_loss" and not self.add_loss_terms:
            return False
        if loss.context.value != "unknown" or loss.is_helper:
            return True
        from tfshape_lint.rules._numpy import numpy_code  # the rules package imports this module

        return not numpy_code(loss, self.wrapped, self.index)

    @cached_property
    def wrapped(self) -> set[str]:
        """Functions this file hands to ``tf.py_function``/``tf.numpy_function``: they run on
        arrays, eagerly and without a gradient, whatever their signature (a Hausdorff distance
        per image wrapped as a metric), so no loss rule is about them."""
        from tfshape_lint.rules._numpy import py_function_targets

        return py_function_targets(self.index)

    def check_loss(self, loss: Scope) -> None:
        """Loss rules: called once per loss (never for its helpers), before its body is visited.

        For checks on the loss as a whole (its returns, its signature) rather than on nodes.
        Not named ``visit_*``: libcst would take it for a node type's visitor.
        """

    def begin_module(self) -> None:
        """Called once before the first unit of a module rule."""

    def end_module(self) -> None:
        """Called once after the last unit of a module rule."""

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        """libcst's method table, with the names found once per class.

        libcst's own version runs ``inspect.getmembers`` on every ``visit_batched`` call (once
        per loss and unit): two thirds of a warm flake8 run on a 1,000-line file. The bound
        methods are kept on the instance, which walks every loss and unit of its file.
        """
        if self._visitors is None:
            self._visitors = {name: getattr(self, name) for name in _visitor_names(type(self))}
        return self._visitors

    # -- helpers for subclasses ---------------------------------------------------------------
    def report(self, node: cst.CSTNode, *, severity: Severity | None = None,
               fix: cst.CSTNode | cst.RemovalSentinel | DeferredFix | None = None,
               fix_imports: Iterable[tuple[str, str | None, str | None]] = (),
               message: str | None = None, **fmt: Any) -> None:
        """Record a finding at ``node``; ``fmt`` fills the ``message`` placeholders."""
        text = (message or self.message).format(**fmt)
        self.reports.append(Report(self, node, text, severity or self.severity,
                                   fix if self.fix_safety is not None else None,
                                   tuple(fix_imports), self.loss, self.unit))

    def value(self, node: cst.CSTNode) -> Value | None:
        """Abstract value of an expression in the current loss (None if not evaluated)."""
        return self.loss.value(node) if self.loss is not None else None

    def canonical(self, node: cst.BaseExpression) -> str | None:
        """Canonical name of a dotted expression (``tf.reduce_sum``, ``K.mean``, ``np.sum``)."""
        dotted, canon = self.index.dotted_and_canonical(node)
        if dotted is None:
            return None
        if self.loss is not None and dotted.split(".")[0] in self.loss.params:
            return None
        return canon

    def qualname(self, node: cst.BaseExpression) -> str | None:
        """Fully qualified (unnormalised) name of a dotted expression, via imports."""
        dotted = cst_dotted(node)
        return self.index.imports.resolve(dotted) if dotted is not None else None

    def option(self, key: str) -> Any:
        """A per-rule option from the config, else the rule's default."""
        return self.config.rule_option(self.code, key, self.options.get(key))

    @classmethod
    def doc(cls) -> str:
        """The rule's docstring, dedented."""
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")


@lru_cache(maxsize=None)
def _visitor_names(cls: type) -> tuple[str, ...]:
    """``visit_*``/``leave_*`` methods a rule class defines (libcst's no-op stubs excluded).

    Reads the ``__dict__`` of the classes above libcst's own in the MRO, not ``dir(cls)``:
    LibCST's visitor bases hold ~700 stub methods, and scanning them was a fifth of a fresh
    flake8 process's first file."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] == "libcst" or klass is object:
            continue
        names.update(name for name in vars(klass) if name.startswith(("visit_", "leave_")))
    return tuple(sorted(name for name in names
                        if callable(getattr(cls, name))
                        and not getattr(getattr(cls, name), "_is_no_op", False)))
