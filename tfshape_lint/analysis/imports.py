"""Import-alias resolution without whole-tree metadata.

Names resolve through a module-level table built once from the import statements (and simple
``K = tf.keras.backend`` aliases). This replaces LibCST's QualifiedNameProvider, which costs
about 8x the parse (DESIGN.md, performance budget).
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator

if TYPE_CHECKING:  # libcst is imported lazily: the flake8 plugin's cheap pre-check uses this module
    import libcst as cst

_BUILTINS = frozenset(dir(builtins))

#: Prefixes of the legacy backend namespaces, all canonicalised to ``K.<name>``.
BACKEND_PREFIXES: tuple[str, ...] = (
    "keras._tf_keras.keras.backend",
    "keras.src.legacy.backend",
    "keras.src.backend",
    "tensorflow.python.keras.backend",
    "tensorflow.compat.v1.python.keras.backend",
    "tensorflow.keras.backend",
    "tf_keras.src.backend",
    "tf_keras.backend",
    "keras.backend",
)
#: Keras 3 ops namespaces, canonicalised to ``ops.<name>``.
OPS_PREFIXES: tuple[str, ...] = (
    "keras.src.ops.numpy",
    "keras.src.ops.math",
    "keras.src.ops.nn",
    "keras.src.ops.core",
    "keras.src.ops",
    "keras.ops.numpy",
    "keras.ops.nn",
    "keras.ops.math",
    "keras.ops.core",
    "keras.ops",
    "tensorflow.keras.ops",
    "keras._tf_keras.keras.ops",
    # Keras 3's preview package (2023), whose ops became keras.ops unchanged
    "keras_core.ops",
)
#: The Keras API under its many spellings, canonicalised to ``keras.<rest>``.
KERAS_PREFIXES: tuple[str, ...] = (
    "keras._tf_keras.keras",
    "tensorflow.python.keras",
    # TensorFlow 1.15's private path to the same package (TensorFlow Privacy's losses import it)
    "tensorflow.compat.v1.python.keras",
    "tensorflow.keras",
    "tf_keras.src",
    "tf_keras",
    "keras.src",
    "keras",
)
#: TensorFlow namespaces whose members are the same ops as ``tf.<name>``.
TF_FLAT_PREFIXES: tuple[str, ...] = (
    "tensorflow.compat.v2.math",
    "tensorflow.compat.v2",
    # TensorFlow 1's names kept under compat.v1 (``tf.compat.v1.is_nan``, ``import
    # tensorflow.compat.v1 as tf``): the same ops, under their TF 1 names the table also knows
    "tensorflow.compat.v1.math",
    "tensorflow.compat.v1",
    "tensorflow.math",
    # the modules behind tf.* and tf.math.* that old code imports directly
    "tensorflow.python.ops.array_ops",
    "tensorflow.python.ops.math_ops",
    "tensorflow.python.ops.clip_ops",
    "tensorflow.python.framework.ops",
    "tensorflow.python.framework.constant_op",  # ``constant_op.constant`` is ``tf.constant``
    "tensorflow",
)
#: the modules behind ``tf.nn.*`` that old code imports directly (``from tensorflow.python.ops
#: import nn``)
TF_NN_PREFIXES: tuple[str, ...] = (
    "tensorflow.python.ops.nn_impl",
    "tensorflow.python.ops.nn_ops",
    "tensorflow.python.ops.nn",
)


#: canonical key of each namespace family, first match wins (the backend before keras, ...)
_CANONICAL_ROOTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (BACKEND_PREFIXES, "K"),
    (OPS_PREFIXES, "ops"),
    (("numpy",), "np"),
    (KERAS_PREFIXES, "keras"),
    (TF_NN_PREFIXES, "tf.nn"),
    (TF_FLAT_PREFIXES, "tf"),
)


#: Keras 2 modules whose star import binds ``K`` (their namespace holds ``backend as K``).
_STAR_EXPORTS_K = [["keras", m] for m in ("layers", "models", "losses", "objectives", "optimizers",
                                           "callbacks", "engine", "metrics")]


def _strip(qualname: str, prefixes: tuple[str, ...]) -> str | None:
    for prefix in prefixes:
        if qualname == prefix:
            return ""
        if qualname.startswith(prefix + "."):
            return qualname[len(prefix) + 1 :]
    return None


@lru_cache(maxsize=8192)
def canonical(qualname: str) -> str:
    """Map a qualified name to the key the transfer table and rules use.

    ``tensorflow.math.reduce_sum`` -> ``tf.reduce_sum``; any legacy backend -> ``K.sum``;
    ``keras.ops.numpy.sum`` -> ``ops.sum``; ``numpy.sum`` -> ``np.sum``;
    ``tensorflow.keras.losses.MSE`` -> ``keras.losses.MSE``.
    """
    for prefixes, key in _CANONICAL_ROOTS:
        rest = _strip(qualname, prefixes)
        if rest is not None:
            return f"{key}.{rest}" if rest else key
    return qualname


@dataclass
class ImportTable:
    """Local name -> fully qualified name, for one module."""

    aliases: dict[str, str] = field(default_factory=dict)
    #: every qualified name an import statement binds, also those a later import of the same
    #: local name replaces (``from tensorflow import erf`` in one branch of a backend test,
    #: ``from theano.tensor import erf`` in the other): the removed-API rules look at each
    imported: set[str] = field(default_factory=set)
    #: LibCST node -> its dotted name (:func:`cst_dotted`, a pure function of the node): the
    #: analysis and the rules ask for the same call's name once per scope that evaluates it;
    #: the keys keep the nodes alive for as long as the table (one file)
    _dotted: dict[Any, str | None] = field(default_factory=dict, repr=False, compare=False)

    def dotted_of(self, node: Any) -> str | None:
        """``cst_dotted(node)``, memoised."""
        try:
            return self._dotted[node]
        except KeyError:
            dotted = self._dotted[node] = cst_dotted(node)
            return dotted

    def canonical_of(self, node: Any) -> str | None:
        """``canonical(cst_dotted(node))`` with the node's dotted name memoised."""
        return self.canonical(self.dotted_of(node))

    def resolve(self, dotted: str) -> str | None:
        """Qualified name of a dotted expression whose root is an import, else None.

        Unbound names that are Python builtins resolve to ``builtins.<name>``.
        """
        head, _, tail = dotted.partition(".")
        target = self.aliases.get(head)
        if target is None:
            if head in _BUILTINS and not tail:
                return "builtins." + head
            return None
        return f"{target}.{tail}" if tail else target

    def canonical(self, dotted: str | None) -> str | None:
        """``resolve`` followed by :func:`canonical`."""
        if dotted is None:
            return None
        qualname = self.resolve(dotted)
        return canonical(qualname) if qualname is not None else None

    def mentions_ml(self) -> bool:
        """Whether anything imported comes from TensorFlow, Keras or NumPy."""
        roots = ("tensorflow", "keras", "tf_keras", "numpy", "keras_core")
        return any(q.split(".")[0] in roots for q in self.aliases.values())

    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        """Record the bindings one import statement makes."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imported.add(alias.name)
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    self.aliases[root] = root
            return
        if node.level or not node.module:
            return
        for alias in node.names:
            if alias.name != "*":
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                self.imported.add(f"{node.module}.{alias.name}")
            elif node.module.split(".")[:2] in _STAR_EXPORTS_K:
                # Keras 2 modules did ``from .. import backend as K`` without ``__all__``, so a
                # star import of them binds K (scripts then call K.mean with no other import)
                self.aliases.setdefault("K", "keras.backend")

    def add_assignment_alias(self, node: ast.Assign) -> None:
        """``K = tf.keras.backend`` (or ``tfd = tfp.distributions``) at module level binds the
        name like an import would."""
        qualname = self.module_alias(node)
        if qualname is not None and isinstance(node.targets[0], ast.Name):
            self.aliases[node.targets[0].id] = qualname

    def module_alias(self, node: ast.Assign) -> str | None:
        """The TensorFlow/Keras module or name that ``name = <dotted>`` binds ``name`` to, read
        through the imports (None for any other assignment)."""
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return None
        dotted = ast_dotted(node.value)
        qualname = self.resolve(dotted) if dotted is not None else None
        if qualname is not None and qualname.split(".")[0] in ("tensorflow", "keras", "tf_keras",
                                                               "tensorflow_probability"):
            return qualname
        return None


def ast_callee_name(call: ast.Call) -> str:
    """The last name of what ``call`` calls (``compile`` of ``model.compile(...)``), "" for
    anything but a name or an attribute: the stdlib-ast twin of ``source.callee_name``."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def ast_dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for an ast Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def target_names(target: ast.expr) -> Iterator[str]:
    """The names an assignment target binds (``H, W = 64, 64`` binds both, ``*rest`` its name)."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from target_names(element)
    elif isinstance(target, ast.Starred):
        yield from target_names(target.value)


def single_assignments(scope: ast.AST, names: set[str]) -> dict[str, ast.expr]:
    """Of ``names``, those ``scope`` binds exactly once, by a plain ``name = value`` (or
    ``name: T = value``), each with its value: the value a call in that scope passes when it
    passes the name. A name also bound by an unpacking, an augmented assignment, a loop or a
    ``with ... as`` has no one value and is left out."""
    bound: dict[str, list[ast.expr | None]] = {}
    for node in ast.walk(scope):
        pairs: list[tuple[ast.expr, ast.expr | None]]
        if isinstance(node, ast.Assign):
            pairs = [(t, node.value if isinstance(t, ast.Name) else None) for t in node.targets]
        elif isinstance(node, ast.AnnAssign):
            pairs = [(node.target, node.value)]
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension)):
            pairs = [(node.target, None)]
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            pairs = [(node.optional_vars, None)]
        else:
            continue
        for target, value in pairs:
            for name in target_names(target):
                if name in names:
                    bound.setdefault(name, []).append(value)
    return {name: value for name, (value, *more) in bound.items() if value is not None and not more}


def cst_dotted(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for a LibCST Name/Attribute chain, else None.

    Exact type tests: LibCST nodes have an ABC metaclass, so a failing ``isinstance`` goes
    through ``ABCMeta.__instancecheck__`` (rules call this for every call they visit)."""
    attribute, name = _cst_name_types()
    parts: list[str] = []
    while type(node) is attribute:
        parts.append(node.attr.value)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
    if type(node) is not name:
        return None
    parts.append(node.value)  # type: ignore[attr-defined]
    return ".".join(reversed(parts)) if len(parts) > 1 else parts[0]


@lru_cache(maxsize=None)
def _cst_name_types() -> tuple[type, type]:
    """``(cst.Attribute, cst.Name)``, imported on first use (the flake8 plugin's ast-only path
    must not import LibCST); neither class has subclasses."""
    import libcst as cst

    return cst.Attribute, cst.Name


@dataclass(frozen=True)
class NameUses:
    """Which plain names a stretch of code reads and which it binds (assignment target,
    import, definition, parameter, ``global``); ``star`` when a star import may bind any name."""

    read: frozenset[str]
    bound: frozenset[str]
    star: bool


def name_uses(nodes: Iterable[ast.AST]) -> NameUses:
    """The names ``nodes`` (an ``ast.walk``) read and bind: what tells a name used without
    an import (``tf`` in a notebook cell) from one the file defines itself."""
    read: set[str] = set()
    bound: set[str] = set()
    star = False
    for node in nodes:
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*")
            star = star or any(a.name == "*" for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return NameUses(frozenset(read), frozenset(bound), star)


_OTHER_BACKENDS = frozenset({"theano", "cntk", "mxnet", "plaidml", "jax", "torch", "numpy"})


def dead_backend_branch(test: cst.BaseExpression) -> str | None:
    """``K.backend() == 'theano'``: "body" (the body never runs under TensorFlow); ``==
    'tensorflow'``: "orelse"; ``!=`` swaps them. None for any other test. Shared by the
    removed-API guards and the loss evaluator (a theano branch is no code TensorFlow runs)."""
    return _dead_branch(test, ("backend",))


def dead_ordering_branch(test: cst.BaseExpression) -> str | None:
    """``dead_backend_branch``, and Keras 2's ``K.image_dim_ordering() == 'th'`` (channels
    first, Theano's ordering; "tf" was TensorFlow's default, and the verifier's tf_keras shim
    answers "tf"): for the loss evaluator. Not for the removed-API rules: under Keras 3 the test
    itself raises, so it guards nothing there."""
    return _dead_branch(test, ("backend", "image_dim_ordering"))


def _dead_branch(test: cst.BaseExpression, functions: tuple[str, ...]) -> str | None:
    import libcst as cst  # lazily, like the rest of this module's LibCST helpers

    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    left, comp = test.left, test.comparisons[0]
    called = cst_dotted(left.func) or "" if isinstance(left, cst.Call) else ""
    if not (called.endswith(functions) and isinstance(left, cst.Call)
            and not left.args and isinstance(comp.comparator, cst.SimpleString)):
        return None
    name = comp.comparator.raw_value
    if called.endswith("image_dim_ordering"):
        name = {"tf": "tensorflow", "th": "theano"}.get(name, "")
    if name == "tensorflow":
        dead = "orelse"
    elif name in _OTHER_BACKENDS:
        dead = "body"
    else:
        return None
    if isinstance(comp.operator, cst.NotEqual):
        return "orelse" if dead == "body" else "body"
    return dead if isinstance(comp.operator, cst.Equal) else None
