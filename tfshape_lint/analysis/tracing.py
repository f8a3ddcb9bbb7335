"""How the file runs a loss it calls itself: with the batch size known, or traced without it.

Keras traces a compiled loss (and a ``train_step``) with the batch axis ``None``; a custom
loop usually does not. Measured on TF 2.21 / Keras 3.15 with 9 samples in batches of 4 (a
partial last batch): a loss dividing by ``y_true.shape[0]`` runs when an eager ``for`` over
the dataset calls it, directly or through a ``@tf.function`` step (traced once per batch shape,
the batch size static each time), also through ``strategy.run`` of a MirroredStrategy; it
raises ``None values not supported`` when the ``for`` over the dataset sits inside the
``tf.function``, when the step is ``tf.function(reduce_retracing=True)``, and in a
``train_step`` that ``fit`` calls. This module states which of those the file shows; the
rules decide what it means for them.
"""

from __future__ import annotations

import ast

from tfshape_lint.analysis.imports import ast_callee_name, ast_dotted
from tfshape_lint.analysis.index import ModuleIndex
from tfshape_lint.analysis.losses import FunctionInfo, LossSpec, enclosing_defs

#: Model methods Keras itself calls inside its traced training and evaluation functions
KERAS_TRACED_METHODS = frozenset({"train_step", "test_step", "predict_step", "compute_loss", "call",
                                  "compute_metrics", "model_fn"})
#: ``tf.function`` arguments that trace with ``None`` dimensions
_RELAXING_KEYWORDS = frozenset({"input_signature", "reduce_retracing", "experimental_relax_shapes"})
#: calls that take a step function and run it on concrete per-replica values
_RUNNERS = frozenset({"run", "experimental_run_v2"})


def static_batch_at_every_call(index: ModuleIndex, spec: LossSpec) -> bool:
    """Whether every use of the loss's name in the file is a call made where the batch size is
    a Python number: at module level or in functions that run eagerly or in a ``tf.function``
    traced per concrete batch, none of them a method Keras calls from ``fit``.

    False when the file never calls it (another module may compile it), passes it as a value
    (to ``compile``, a dict, a Keras layer), or builds TF 1 graphs with placeholders."""
    if "placeholder" in index.source:
        return False
    name = spec.path[-1]
    method = len(spec.path) > 1 and spec.path[0] in index.classes
    refs = [n for n in index.nodes if _names(n, name, method)]
    calls = [n for n in index.nodes if isinstance(n, ast.Call) and _names(n.func, name, method)]
    if not calls or len(calls) != len(refs):
        return False
    return all(_static_at(index, call) for call in calls)


def _names(node: ast.AST, name: str, method: bool) -> bool:
    """``node`` reads the loss: ``name`` itself, or ``self.name``/``obj.name`` for a method."""
    if method:
        return isinstance(node, ast.Attribute) and node.attr == name
    return isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)


def _static_at(index: ModuleIndex, call: ast.Call) -> bool:
    if _under_main_guard(index, call):
        return False  # a self-test of a loss meant for ``compile`` elsewhere, not its training
    for info in enclosing_defs(index.functions, call):
        fn = info.node
        if info.in_class is not None and fn.name in KERAS_TRACED_METHODS or fn.name == "model_fn":
            return False
        traced = [_tf_function(index, d) for d in fn.decorator_list]
        if any(t is not None and t & _RELAXING_KEYWORDS for t in traced):
            return False
        if any(t is not None for t in traced) and _in_loop(fn, call):
            return False  # iterating a dataset inside the graph: its element spec has batch None
        if not _only_called(index, info):
            return False
    return True


def _under_main_guard(index: ModuleIndex, call: ast.Call) -> bool:
    """``call`` sits in the module's ``if __name__ == "__main__":`` block."""
    for stmt in index.tree.body:
        if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare) and \
                isinstance(stmt.test.left, ast.Name) and stmt.test.left.id == "__name__" and \
                stmt.lineno <= call.lineno <= (stmt.end_lineno or stmt.lineno):
            return True
    return False


def _tf_function(index: ModuleIndex, decorator: ast.expr) -> frozenset[str] | None:
    """The keywords of a ``tf.function`` decorator (empty when it has none), None for others."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    dotted = ast_dotted(target)
    qualname = index.imports.resolve(dotted) if dotted else None
    if qualname is None or not qualname.startswith("tensorflow") or not qualname.endswith(".function"):
        return None
    if not isinstance(decorator, ast.Call):
        return frozenset()
    return frozenset(kw.arg for kw in decorator.keywords if kw.arg is not None and _true_or_value(kw))


def _true_or_value(kw: ast.keyword) -> bool:
    """``reduce_retracing=True`` or ``input_signature=[...]``, not ``...=False``/``None``."""
    return not (isinstance(kw.value, ast.Constant) and kw.value.value in (False, None))


def _in_loop(fn: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)) and \
                node.lineno <= call.lineno <= (node.end_lineno or node.lineno):
            return True
    return False


def _only_called(index: ModuleIndex, info: FunctionInfo) -> bool:
    """Every reference to the enclosing def is a call of it, its decorator-free wrapping, or a
    distribution strategy's ``run`` of it: not a value handed to Keras (``Lambda(fn)``) or a
    ``tf.function(fn, input_signature=...)``."""
    name = info.node.name
    method = info.in_class is not None
    for node in index.nodes:
        if isinstance(node, ast.Call):
            for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                if _names(arg, name, method) and ast_callee_name(node) not in _RUNNERS:
                    if _tf_function(index, node) == frozenset():
                        continue  # ``step = tf.function(step)``: traced per concrete batch
                    return False
    return True
