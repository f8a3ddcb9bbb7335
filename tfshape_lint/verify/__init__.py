"""Runtime verifier behind ``tfshape-lint check --verify``: run each flagged loss and see.

Every finding whose rule declares a :class:`~tfshape_lint.rule.Recipe` is checked by
executing its loss on synthetic tensors in a subprocess, the way Keras (or a custom loop) runs
it, and gets a :class:`~tfshape_lint.verify.result.Verification`: ``confirmed`` (the bug
manifested: error text, a measured wrong value or gradient), ``refuted`` (every probe ran
cleanly and matched its reference) or ``inconclusive`` (with the reason).

How it works:

- **Extraction, never import** (:mod:`.extract`): the user's file is not imported (scripts call
  ``fit`` or ``sys.exit`` at top level). Its imports, the loss, its helpers and the module
  constants it reads are copied into a probe program.
- **Isolation** (:mod:`.runner`): one worker subprocess per run imports TensorFlow once; each
  finding has a wall-clock timeout, the worker's address space is capped and it runs in a
  temporary directory. A hang, crash or out-of-memory makes that finding inconclusive and a
  fresh worker carries on with the rest. This process never imports TensorFlow.
- **Probes** (:mod:`._child.probes`): the rule's recipe names one; the inputs follow
  KERAS_FACTS §5 (batch 1, B != T, B == T, a ``None`` batch dimension, float labels,
  predictions at exactly 0 and 1), run eagerly, as ``fit`` traces the loss (Keras's own compile
  loss objects; Keras 3 without autograph), or as one real ``fit`` step.
- **Device**: TensorFlow's GPU when visible, else the CPU (``--verify-device cpu`` hides GPUs
  with ``CUDA_VISIBLE_DEVICES=-1``); on a GPU every traced probe also runs with
  ``jit_compile=True``, Keras 3's default there. **Keras flavour**: Keras 3, or tf_keras
  (``TF_USE_LEGACY_KERAS=1``) when the file imports ``tf_keras`` or the config says
  ``target-keras = "tf-keras"``; Keras 2 code (backend names Keras 3 lacks, Keras 2 module
  paths) runs under tf_keras with ``import keras`` aliased to it; Keras 3 code that also reads
  Keras 2 backend names (``from keras import backend as K, ops``; ``K.mean``) runs under Keras 3
  with those names taken from tf_keras's backend. The evidence says which.
- **Cache** (:mod:`.cache`): verdicts are stored by a hash of the probe program and the
  installed TensorFlow/Keras versions; ``--no-cache`` bypasses it.

Installing: ``pip install "tfshape-lint[verify]"`` brings ``tensorflow-cpu`` (small, no CUDA
libraries; enough for every probe), ``numpy`` and ``tqdm`` (progress bar). To verify on a GPU
install the full ``tensorflow`` package instead (``pip install tfshape-lint tensorflow[and-cuda]
numpy tqdm`` on Linux); the verifier uses whichever provides ``import tensorflow``. Do not
install both in one environment: they ship the same modules. tf_keras targets also need
``pip install tf_keras``.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import tempfile
from dataclasses import replace
from functools import lru_cache
from typing import Any, Callable, Sequence

from tfshape_lint.analysis.losses import positional_params
from tfshape_lint.finding import Finding
from tfshape_lint.finding import LossRef
from tfshape_lint.rule import Recipe
from tfshape_lint.verify.extract import (
    ExtractionError,
    ProbeProgram,
    constructor_note,
    enclosing_loss,
    extract,
    extract_span,
    marker_values,
    parse,
    per_call_bindings,
    per_call_note,
    unbound_note,
)
from tfshape_lint.verify.realfiles import (
    KERAS22_BACKEND,
    adds_metrics,
    batch_parts,
    keras2_modules,
    extra_parts,
    extra_shapes,
    implicit_aliases,
    infer_layouts,
    keras2_names,
    keras2_ops_names,
    keras3_modules,
    keras22_names,
    legacy_reduction,
    positional_reduction,
    min_batch,
    packed_inputs,
    package_of,
    project_paths,
    tf_keras_removed_losses,
    unpacked_inputs,
    unpacking,
)
from tfshape_lint.verify.result import Status, Verification, inconclusive

__all__ = ["DEVICES", "Status", "Verification", "tensorflow_available", "verify_findings"]

DEVICES = ("auto", "cpu", "gpu")
INSTALL_HINT = 'TensorFlow is not installed; install tfshape-lint[verify] (pip install "tfshape-lint[verify]")'
#: probes that look at the flagged expression itself (``True``) or at its factors
DEFAULT_TAPS: dict[str, Any] = {"gradient": True, "mask_effect": "operands"}
#: findings to verify before a progress bar is worth showing
PROGRESS_MIN = 4


def tensorflow_available() -> bool:
    """Whether ``import tensorflow`` would work, without importing it."""
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def _tf_keras_available() -> bool:
    try:
        return importlib.util.find_spec("tf_keras") is not None
    except (ImportError, ValueError):
        return False


def verify_findings(findings: list[Finding], sources: dict[str, str], *, timeout: float = 30.0,
                    device: str = "auto", use_cache: bool = True, target_keras: str = "3",
                    progress: bool = False) -> list[Finding]:
    """Each finding with ``verification`` set (same order). Never raises for a bad loss.

    ``sources`` maps each finding's ``path`` to the file text; ``timeout`` is per finding.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    verdicts: dict[int, Verification] = {}
    planned: dict[int, tuple[str, dict[str, Any]]] = {}
    for i, finding in enumerate(findings):
        peers = _siblings(findings, i) if finding.code in GROUPED else ()
        plan = _plan(finding, sources, target_keras, group=peers)
        if isinstance(plan, Verification):
            verdicts[i] = plan
        else:
            planned[i] = plan
    verdicts.update(_run_planned(planned, device, timeout, use_cache, progress))
    _retry_with_siblings_neutralised(findings, sources, verdicts, target_keras, device, timeout, use_cache)
    return [replace(f, verification=verdicts[i]) for i, f in enumerate(findings)]


Span = tuple[int, int, int, int]
#: another finding in the same loss: its span, code and severity
Sibling = tuple[Span, str, str]


def _siblings(findings: list[Finding], i: int, any_code: bool = False) -> tuple[Sibling, ...]:
    """The other findings of the same code (with ``any_code``, of any code the verifier runs)
    in the same loss as ``findings[i]``: (span, code, severity) each."""
    me = findings[i]
    if me.loss is None:
        return ()
    return tuple(((f.line, f.column, f.end_line, f.end_column), f.code, f.severity.value)
                 for j, f in enumerate(findings)
                 if j != i and f.path == me.path and f.loss == me.loss and not _within(f, me)
                 and (f.code == me.code or any_code and f.code not in API_RULES))


def _within(inner: Finding, outer: Finding) -> bool:
    """``inner``'s span lies inside ``outer``'s (the flagged ``sqrt`` in the denominator of a
    flagged division): neutralising it would change the flagged node's own operand, so it is
    no sibling to neutralise around that node."""
    return (outer.line, outer.column) <= (inner.line, inner.column) \
        and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


def _retry_with_siblings_neutralised(findings: list[Finding], sources: dict[str, str],
                                     verdicts: dict[int, Verification], target_keras: str, device: str,
                                     timeout: float, use_cache: bool) -> None:
    """Second runs for inconclusive findings that share their loss with findings of the same code.

    Two ``len(y_pred)`` in one loss: neutralising one leaves the other's symptom, so the
    counterfactual cannot tell. Here the other flagged nodes are neutralised in *both* runs (as
    written and variant), so the pair differs in this finding's node alone; the evidence says
    so. Only inconclusive verdicts are retried, so a decided verdict never depends on siblings,
    and only a confirmation replaces one: "no symptom" with a sibling neutralised is no
    refutation of the loss as written.
    """
    for any_code in (False, True):
        # same-code siblings first; then, for what is still open, every other finding of the
        # loss (``np.sum(y_true) / y_true.shape[0]``: the numpy call fails before the static
        # batch size can, so TFS110 is shown only with the np.sum fixed in both runs)
        retry: dict[int, tuple[str, dict[str, Any]]] = {}
        for i, finding in enumerate(findings):
            verdict = verdicts.get(i)
            if verdict is None or verdict.status is not Status.INCONCLUSIVE or finding.code in API_RULES:
                continue
            siblings = _siblings(findings, i, any_code)
            if not siblings or (any_code and siblings == _siblings(findings, i)) \
                    or len(_peers(finding, sources.get(finding.path, ""))[1]) >= 2:
                # peers (y_pred[0], y_pred[1], y_pred[2]): one moved off the batch axis and the
                # others not pairs a column with a sample, which is neither reading of the loss
                continue
            plan = _plan(finding, sources, target_keras, siblings)
            if not isinstance(plan, Verification):
                retry[i] = plan
        for i, verdict in _run_planned(retry, device, timeout, use_cache, False).items():
            # with siblings neutralised only a confirmation is about this node: a refutation is
            # of another program (a clipped sibling ``sqrt`` breaks the tie of a triplet hinge at
            # which the flagged ``sqrt`` has its NaN; a neutralised batch sum makes a scalar loss
            # per-sample, so "weights apply" there says nothing about the loss as written)
            if verdict.status is Status.CONFIRMED:
                verdicts[i] = verdict


def _run_planned(planned: dict[int, tuple[str, dict[str, Any]]], device: str, timeout: float,
                 use_cache: bool, progress: bool) -> dict[int, Verification]:
    """The verdict of each planned (flavour, job), by finding index: identical jobs run once,
    cached verdicts are reused, and without TensorFlow every pending job is inconclusive."""
    jobs: dict[str, dict[str, Any]] = {}
    flavours: dict[str, str] = {}
    keys: dict[int, str] = {}
    for i, (flavour, job) in planned.items():
        digest = _cache_key(job, flavour, device)
        keys[i], flavours[digest] = digest, flavour
        jobs.setdefault(digest, job)
    done = _lookup_cache(jobs, use_cache)
    pending = [k for k in jobs if k not in done]
    if pending:
        if not tensorflow_available():
            done.update({k: inconclusive(INSTALL_HINT) for k in pending})
        else:
            done.update(_execute(pending, jobs, flavours, device, timeout, use_cache, progress))
    return {i: done[digest] for i, digest in keys.items()}


def _cache_key(job: dict[str, Any], flavour: str, device: str) -> str:
    from tfshape_lint.verify import cache

    return cache.key(job, flavour, device)


def _lookup_cache(jobs: dict[str, dict[str, Any]], use_cache: bool) -> dict[str, Verification]:
    if not use_cache:
        return {}
    from tfshape_lint.verify import cache

    found: dict[str, Verification] = {}
    for digest in jobs:
        hit = cache.get(digest)
        if hit is not None:
            found[digest] = hit
    return found


#: how each probe looks at the flagged node: the node itself, both operands of a flagged
#: binary op, or the flagged operand and its partner in the product it sits in
PROBE_TAPS: dict[str, Any] = {"gradient": True, "mask_effect": "operands", "boundary_values": "inputs",
                              "batch_scaling": True, "broadcast_rank": "operands", "weight_rank": "sibling",
                              "batch_permutation": True, "sample_weight": True, "swap_arguments": True,
                              "fit_int_labels": True}
#: probes for rules whose module declares no recipe (verifier metadata stays in verify/)
EXTRA_RECIPES: dict[str, Recipe] = {
    "TFS502": Recipe("from_logits", {"target": "span"}, "a small model with the file's final activation"),
    "TFS503": Recipe("swap_arguments", {}, "the loss as written vs with its arguments swapped back"),
}
#: rules whose verdict is a fact about the target Keras itself (never run under tf_keras for Keras 2 code)
API_RULES = frozenset({"TFS501", "TFS506"})


#: rules whose findings on peers (``y_pred[0]``, ``y_pred[1]``, ``y_pred[2]`` of one loss) are
#: neutralised together in the variant: one index moved off the batch axis and the others not
#: pairs a column with a sample, which no reading of the loss does
GROUPED = frozenset({"TFS105"})


def _plan(finding: Finding, sources: dict[str, str], target_keras: str,
          siblings: tuple[Sibling, ...] = (), group: tuple[Sibling, ...] = ()) -> tuple[str, dict[str, Any]] | Verification:
    """The job that verifies ``finding``, or the verdict when there is nothing to run.

    ``siblings``: spans of other findings of the same code in the same loss, neutralised in
    both programs (see ``_retry_with_siblings_neutralised``). ``group``: such spans that are
    the finding's peers, neutralised in the variant only (see ``GROUPED``)."""
    from tfshape_lint.registry import get
    from tfshape_lint.verify import variants

    rule = get(finding.code)
    recipe = getattr(rule, "recipe", None) if rule is not None else None
    recipe = recipe or EXTRA_RECIPES.get(finding.code)
    if recipe is None:
        return inconclusive(f"no runtime probe for {finding.code}")
    source = sources.get(finding.path)
    if source is None:
        return inconclusive(f"the source of {finding.path} was not given to the verifier")
    params = dict(recipe.params)
    span = (finding.line, finding.column, finding.end_line, finding.end_column)
    tap_mode = params.pop("tap", PROBE_TAPS.get(recipe.probe, DEFAULT_TAPS.get(recipe.probe, False)))
    if not tap_mode and params.get("target", "loss") == "loss":
        tap_mode = "reach"  # no taps to read: still mark whether the flagged node ran at all
    tap = span if tap_mode else None
    loss = finding.loss
    target = params.pop("target", "loss")
    if target in ("span", "callee"):
        loss = None
    elif loss is None:
        loss = enclosing_loss(source, finding.line)
    names = tuple(loss.params[:2]) if loss is not None and len(loss.params) > 1 else ("", "")
    if loss is not None and loss.pred_first:
        names = names[::-1]  # (labels, predictions), whatever order the signature has
    if loss is not None and loss.adversarial and loss.params:
        names = ("", loss.params[0])  # no labels; the discriminator's outputs are the predictions
    roles = model_loop_roles(loss.params) if loss is not None and loss.model_first else []
    if loss is not None and roles:  # the predictions are the model's call, no parameter
        names = (loss.params[roles.index("labels")] if "labels" in roles else "", "")
    ctx = variants.Context(finding.code, finding.severity.value, names[0], names[1])
    background = [(span_, variants.Context(code, severity, names[0], names[1]))
                  for span_, code, severity in siblings] if loss is not None else []
    try:
        program = _program(source, loss, span, tap, tap_mode, target, None, background)
    except ExtractionError as exc:
        return inconclusive(f"cannot extract the loss: {exc}")
    variant: ProbeProgram | None = None
    variant_error = ""
    peers = _peers(finding, source) if finding.code in GROUPED else ("", [])
    # peers of one name (``y_pred[0]``, ``y_pred[1]``) move together; so do indices on one line
    # (``cce(y_true[0, :, :], y_pred[0, :, :])``: one moved alone pairs a batch with a sample)
    together = [(span_, ctx) for span_, _, _ in group if len(peers[1]) >= 2 or span_[0] == finding.line] \
        if group and not background and loss is not None else []
    if finding.code in variants.TRANSFORMS:
        try:
            variant = _program(source, loss, span, tap, tap_mode, target, ctx, background or together)
        except ExtractionError as exc:
            variant_error = "" if finding.code in variants.AUTOGRAPH else str(exc)
    flavour, note = _flavour(finding.code, source, program, target_keras)
    if program.background:
        shown = "; ".join(program.background)
        which = f"other {finding.code}" if all(code == finding.code for _, code, _ in siblings) else "other"
        note = (note + "; " if note else "") + f"in both runs the {which} finding(s) in this loss neutralised: {shown}"
    if flavour != "keras" and not _tf_keras_available():
        return inconclusive("the file targets tf_keras, which is not installed (pip install tf_keras)")
    bindings = per_call_bindings(source, loss) if loss is not None else {}
    numbers = sorted({b.value for b in bindings.values() if b.kind == "number"})
    if numbers:  # structured, for probes that try them as label values (an all-padding batch)
        params["bound_numbers"] = numbers
    markers = marker_values(program.source)
    if markers:  # the loss's own marker constants (``PAD = -1``, a missing module's ``MAGIC_NUMBER``)
        params["marker_values"] = markers
    packed, packed_note = _packed(source, loss, program)
    alias_note = _alias_note(source, program)
    batch_cut = _batch_parts(source, loss, names) if loss is not None else 1
    if batch_cut > 1:
        params["batch_parts"] = batch_cut
    if recipe.probe == "batch_scaling" and loss is not None:
        # an index into a tuple the file passes picks a part, not a sample
        indexed = tuple(name if key not in packed else "" for key, name in zip(("true", "pred"), names))
        smallest = _min_batch(source, loss, indexed) if any(indexed) or not packed else 2
        if smallest > 2:
            params["min_batch"] = smallest
            params["peers"] = list(_loss_peers(source, finding.line, names))
    if finding.code in GROUPED:
        params["peers"] = list(peers)
    keras_fed = _keras_fed(source, loss)
    if recipe.probe == "unknown_batch" and loss is not None and _untraced_callable(source, loss, keras_fed):
        params["untraced"] = loss.qualname.rsplit(".", 1)[0]
    desc = variant.variant if variant is not None else ""
    if together and variant is not None and variant.background:
        desc += f", with its peers moved too ({'; '.join(variant.background)})"
    job = _job(finding, program, recipe.probe, params, names)
    if tap_mode == "reach":  # the marker is no tap: probes read no value from it
        job.update(tapped=False, reach=program.tapped)
    job.update(variant=variant.source if variant is not None else None,
               variant_desc=desc,
               variant_error=variant_error, flavour_note=note,
               mode=("autograph" if finding.code in variants.AUTOGRAPH else
                     "self" if finding.code in variants.SELF_CONTAINED else "edit"),
               severity=finding.severity.value, message=finding.message,
               layouts=_peer_layout(peers) + _layouts(source, loss, finding.path), paths=project_paths(finding.path),
               package=package_of(finding.path),
               flag_is_return=_flag_is_return(source, span),
               keras_fed=keras_fed,
               unbound=unbound_note(source, loss) if loss is not None else "",
               binding_note="; ".join(n for n in (per_call_note(source, loss) if loss is not None else "",
                                                   constructor_note(source, loss) if loss is not None else "",
                                                   packed_note, alias_note) if n),
               extra_shapes=_extra_shapes(source, loss))
    if loss is not None and roles:
        tree = _parsed(source)
        job.update(model_args=roles, context="direct",
                   model_parts=model_parts(tree, loss.params[0]) if tree is not None else {})
        _add_binding_note(job, f"called as {loss.qualname.rsplit('.', 1)[-1]}({', '.join(loss.params)}) with a "
                               "stand-in model that returns the probe's y_pred for any input, the labels as "
                               f"`{names[0] or '?'}`; the first value of a returned tuple is the loss")
    if loss is not None and loss.adversarial:
        job.update(adversarial=True, context="direct")
        _add_binding_note(job, f"called as {loss.qualname.rsplit('.', 1)[-1]}({', '.join(loss.params)}) with the "
                               "probe's predictions for every parameter (a GAN loss takes the discriminator's "
                               "outputs, no labels)")
    if loss is not None and loss.pred_first:
        # the file's own call order, no Keras wrapper: Keras would cast integer labels to float
        job.update(pred_first=True, context="direct")
        _add_binding_note(job, f"called as {loss.qualname.rsplit('.', 1)[-1]}({', '.join(loss.params[:2])}"
                               f"{', ...' if len(loss.params) > 2 else ''}), prediction first, as its "
                               "parameter names say (the file never hands it to Keras)")
    if loss is not None and loss.added:
        # a model's ``add_loss(f(...))``: called as the file calls it, every parameter a model
        # tensor, what it returns added to the loss as is
        tree = _parsed(source)
        parts = extra_parts(tree, loss.qualname) if tree is not None else []
        job.update(context="direct", extra_batches=parts)
        if parts and not any(job["extra_shapes"]):
            shown = ", ".join(f"a tuple of {k}" if k else "one" for k in parts)
            _add_binding_note(job, "the file hands what it returns to a model's add_loss: its parameters after the "
                                   f"first two got model tensors shaped like y_pred ({shown}, as the function uses them)")
    if packed:  # a tuple is no input Keras passes: the file's own call is how the loss runs
        job.update(packed=packed, context="direct")
    elif loss is not None and loss.context == "unknown" and _two_argument_call(source, loss):
        job.update(context="direct")
    return flavour, job


def _add_binding_note(job: dict[str, Any], note: str) -> None:
    """One more clause of the evidence's note on how the loss's parameters were bound."""
    job["binding_note"] = f"{job['binding_note']}; {note}" if job["binding_note"] else note


def _two_argument_call(source: str, loss: LossRef) -> bool:
    """A ``__call__(self, y_true, y_pred)`` that takes nothing more: Keras (3 and tf_keras) calls
    a loss object with ``sample_weight`` as well, and ``fit`` raises a TypeError, so a file
    that never hands it to Keras can only call it itself (a custom training loop)."""
    parts = loss.qualname.split(".")
    tree = _parsed(source)
    if parts[-1] != "__call__" or len(parts) != 2 or tree is None:
        return False
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef) and cls.name == parts[0]:
            for fn in cls.body:
                if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name == "__call__":
                    args = fn.args
                    return (len(args.posonlyargs + args.args) == 3 and args.vararg is None
                            and args.kwarg is None and not args.kwonlyargs)
    return False


def _alias_note(source: str, program: ProbeProgram) -> str:
    """Which conventional aliases the program binds because the file uses them unimported."""
    tree = _parsed(source)
    implicit = implicit_aliases(tree) if tree is not None else {}
    if not implicit:
        return ""
    used = {n.id for n in ast.walk(parse(program.source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    shown = [f"`{name}` (as `{text}`)" for name, text in implicit.items() if name in used]
    if not shown:
        return ""
    return f"the file uses {', '.join(shown)} without importing it; the probe imported it"


def _batch_parts(source: str, loss: LossRef, names: tuple[str, ...]) -> int:
    tree = _parsed(source)
    return batch_parts(tree, loss.qualname, names) if tree is not None else 1


def _min_batch(source: str, loss: LossRef, names: tuple[str, ...]) -> int:
    tree = _parsed(source)
    return min_batch(tree, loss.qualname, names) if tree is not None else 2


def _packed(source: str, loss: LossRef | None, program: ProbeProgram) -> tuple[dict[str, int], str]:
    """The tuples the file passes as y_true/y_pred when it calls the loss itself (a custom
    loop), and the note that says so; nothing for a loss Keras calls (it passes one tensor)."""
    tree = _parsed(source)
    if tree is None or loss is None:
        return {}, ""
    if program.kind != "function":
        unpacked = unpacked_inputs(tree, loss.qualname) if program.kind == "loss_object" else {}
        return _tuples(unpacked, "as the loss unpacks it on line {line} (called by the file's own loop)")
    if program.context == "add_loss":
        # a Layer's inputs: a list of batches when its call unpacks them (``a, p, n = inputs``),
        # itself or in a method it hands them to (``self.triplet_loss(inputs)``)
        parts = unpacked_inputs(tree, loss.qualname).get("true") or _unpacked_in_class(tree, loss.qualname)
        if parts is None:
            listed = _listed_layer_inputs(tree, loss.qualname)
            if listed is None:
                return {}, ""
            return {"pred": listed[0]}, (f"the layer's inputs a list of {listed[0]} batches, as the file calls "
                                         f"the layer on line {listed[1]}")
        return {"pred": parts[0]}, (f"the layer's inputs a list of {parts[0]} batches, as the layer unpacks "
                                    f"them on line {parts[1]}")
    if program.context not in ("direct", "unknown"):
        return {}, ""
    found = packed_inputs(tree, loss.qualname)
    if found:
        return _tuples(found, "as the file's call on line {line} passes it")
    # a function Keras is not shown to call that unpacks its own inputs (``flow, valid = y_true``)
    return _tuples(unpacked_inputs(tree, loss.qualname), "as the loss unpacks it on line {line} "
                                                         "(the file never hands it to Keras)")


def _listed_layer_inputs(tree: ast.Module, qualname: str) -> tuple[int, int] | None:
    """(n, line) where the file calls the layer of ``qualname`` on a list of n tensors
    (``AdversarialLoss()([classifier_outputs])``), whose ``call`` then indexes them (``x[0]``):
    one batch handed as is would be indexed by sample."""
    cls_name = qualname.rsplit(".", 2)[-2] if qualname.count(".") >= 1 else ""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and isinstance(node.func.func, ast.Name)
                and node.func.func.id == cls_name and len(node.args) == 1 and isinstance(node.args[0], ast.List)
                and node.args[0].elts and not any(isinstance(e, ast.Starred) for e in node.args[0].elts)):
            return len(node.args[0].elts), node.lineno
    return None


def _unpacked_in_class(tree: ast.Module, qualname: str) -> tuple[int, int] | None:
    """(parts, line) where a method of the layer's class unpacks a parameter named like the
    layer method's inputs (``anchor, positive, negative = inputs``), else None."""
    cls_name, _, method_name = qualname.rpartition(".")
    cls = next((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls_name.rpartition(".")[2]),
               None)
    if cls is None:
        return None
    method = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == method_name), None)
    params = positional_params(method) if method is not None else []
    if not params:
        return None
    for node in ast.walk(cls):
        parts = unpacking(node, params[:1])
        if parts is not None:
            return parts[1:]
    return None


def _tuples(found: dict[str, tuple[int, int]], how: str) -> tuple[dict[str, int], str]:
    """Part counts by input (``{"pred": 2}``) and the note that says so (``how`` names the line)."""
    if not found:
        return {}, ""
    shown = ", ".join(f"{'y_true' if key == 'true' else 'y_pred'} as a tuple of {size} tensors shaped like the batch"
                      for key, (size, _) in sorted(found.items(), reverse=True))
    line = min(at for _, at in found.values())
    return {key: size for key, (size, _) in found.items()}, f"{shown}, {how.format(line=line)}"


def _program(source: str, loss: LossRef | None, span: tuple[int, int, int, int],
             tap: tuple[int, int, int, int] | None, tap_mode: Any, target: str,
             ctx: Any, background: Sequence[tuple[Span, Any]] = ()) -> ProbeProgram:
    if loss is not None:
        return extract(source, loss, tap, tap_mode, variant=ctx, span=span, background=background)
    return extract_span(source, span, callee=target == "callee", variant=ctx, literal=target == "span")


def _flavour(code: str, source: str, program: ProbeProgram, target_keras: str) -> tuple[str, str]:
    """(``keras`` | ``tf_keras`` | ``keras2``, a note for the evidence)."""
    if program.uses_tf_keras or target_keras == "tf-keras":
        return "tf_keras", ""
    if code in API_RULES:
        return "keras", ""
    return _file_flavour(source)


@lru_cache(maxsize=8)
def _file_flavour(source: str) -> tuple[str, str]:
    """What the file's own code asks for, read once per file (every finding of it asks)."""
    tree = _parsed(source)
    if tree is None:
        return "keras", ""
    missing = keras2_names(tree)
    on_ops = keras2_ops_names(tree)
    newer = keras3_modules(tree) if missing or on_ops else []
    if newer:
        shown = ", ".join([f"K.{n}" for n in missing] + [f"ops.{n}" for n in on_ops][:3])
        return "keras3_k2", (f"run under Keras 3 with {shown} from tf_keras's backend (the file imports {newer[0]}, "
                             "which only Keras 3 has, and Keras 2 backend names Keras 3 lacks: TFS501)")
    if missing:
        shown = ", ".join(f"K.{n}" for n in missing[:3])
        shimmed = [n for n in missing if n in KERAS22_BACKEND]
        extra = f"; Keras 2.2's {', '.join(f'K.{n} as {KERAS22_BACKEND[n]}' for n in shimmed[:2])}" if shimmed else ""
        return "keras2", f"run under tf_keras (Keras 2 code: Keras 3's keras.backend lacks {shown}{extra})"
    moved = keras2_modules(tree)
    if moved:
        return "keras2", f"run under tf_keras (Keras 2 code: it imports {moved[0]}, which Keras 3 does not have)"
    if positional_reduction(tree):
        return "keras2", ("run under tf_keras (the Loss passes its reduction first, tf_keras's order, which Keras 3 "
                          "reads as the name)")
    if legacy_reduction(tree):
        return "keras2", "run under tf_keras (the Loss passes a legacy reduction that Keras 3 rejects)"
    removed = tf_keras_removed_losses(tree)
    if removed:
        shown = ", ".join(f"tf.keras.losses.{n}" for n in removed[:2])
        return "keras2", f"run under tf_keras (Keras 2 code: Keras 3's tf.keras lacks {shown})"
    if adds_metrics(tree):
        return "keras2", ("run under tf_keras (Keras 2 code: it calls add_metric, which Keras 3's Layer raises "
                          "NotImplementedError for)")
    old = keras22_names(tree)
    if old:
        shown = ", ".join(f"K.{n} as {KERAS22_BACKEND[n]}" for n in old[:2])
        return "keras2", f"run under tf_keras with Keras 2.2's backend names no Keras has now ({shown})"
    return "keras", ""


@lru_cache(maxsize=8)
def _parsed(source: str) -> ast.Module | None:
    try:
        return parse(source)
    except (SyntaxError, ValueError):
        return None


def _layouts(source: str, loss: LossRef | None, path: str = "") -> list[dict[str, Any]]:
    tree = _parsed(source)
    if tree is None or loss is None:
        return []
    return infer_layouts(tree, loss.qualname, path, pred_first=loss.pred_first)


def _extra_shapes(source: str, loss: LossRef | None) -> list[list[int] | None]:
    tree = _parsed(source)
    if tree is None or loss is None:
        return []
    return extra_shapes(tree, loss.qualname)


def model_parts(tree: ast.Module, model: str) -> dict[str, int]:
    """How many values the file unpacks from each call of the model or of a part of it
    (``z, m, v = model.encoder(x)``: ``{"encoder": 3}``; ``""`` for the model itself)."""
    out: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple) \
                and isinstance(node.value, ast.Call):
            func = node.value.func
            part = func.attr if isinstance(func, ast.Attribute) else ""
            head = func.value if isinstance(func, ast.Attribute) else func
            if isinstance(head, ast.Name) and head.id == model:
                out[part] = len(node.targets[0].elts)
    return out


def model_loop_roles(params: tuple[str, ...]) -> list[str]:
    """What a stand-in call of ``loss(model, x, y, training)`` passes for each parameter: the
    model, its inputs, the labels, ``training`` (False), or nothing (a default or None)."""
    from tfshape_lint.analysis.losses import LABEL_NAMES, MODEL_INPUT_NAMES

    roles = ["model"]
    labelled = False
    for name in params[1:]:
        low = name.lower()
        if low in LABEL_NAMES and not labelled:
            roles.append("labels")
            labelled = True
        elif low in MODEL_INPUT_NAMES:
            roles.append("input")
        else:
            roles.append("training" if low == "training" else "none")
    return roles


def _peers(finding: Finding, source: str) -> tuple[str, list[int]]:
    """For ``y_pred[0] indexes ...``: the indexed name and every constant index the innermost
    function around the finding takes of it (``y_pred[0]``, ``y_pred[1]``, ``y_pred[2]``: peers
    such as anchor, positive, negative), read from the file as written."""
    lines = source.splitlines()
    text = lines[finding.line - 1][finding.column:] if 0 < finding.line <= len(lines) else ""
    if finding.end_line == finding.line:
        text = text[:finding.end_column - finding.column]
    flagged = re.match(r"\s*(\w+)\[(\d+)\]", text)
    if flagged is None:
        return "", []
    return flagged.group(1), _constant_indices(source, finding.line, flagged.group(1))


def _loss_peers(source: str, line: int, names: tuple[str, ...]) -> tuple[str, list[int]]:
    """The loss parameter (of ``names``) that the function around ``line`` takes two or more
    constant indices of (``y_pred[0]``, ``y_pred[1]``, ``y_pred[2]``), with those indices: a
    batch-size probe then also tries the reading in which they are peers, each a batch."""
    for name in names:
        found = _constant_indices(source, line, name) if name else []
        if len(found) >= 2:
            return name, found
    return "", []


def _constant_indices(source: str, line: int, name: str) -> list[int]:
    """Every non-negative constant index the innermost function around ``line`` takes of ``name``."""
    tree = _parsed(source)
    if tree is None:
        return []
    body: ast.AST | None = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and \
                node.lineno <= line <= (node.end_lineno or node.lineno):
            if body is None or node.lineno >= getattr(body, "lineno", 0):
                body = node
    found: set[int] = set()
    for node in ast.walk(body if body is not None else tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == name and \
                isinstance(node.slice, ast.Constant) and type(node.slice.value) is int and node.slice.value >= 0:
            found.add(node.slice.value)
    return sorted(found)


def _peer_layout(peers: tuple[str, list[int]]) -> list[dict[str, Any]]:
    """``(B, K, 5)`` inputs first for a loss that takes ``K`` peers by index: the reading in
    which the finding is a bug (one tensor, the peers on axis 1, each a 5-vector), where moving
    an index off the batch axis gives ``y_pred[:, i]``, one peer per sample (with ``(B, K)``
    inputs it would be a column, and a sum over its last axis a sum over the batch)."""
    if len(peers[1]) < 2:
        return []
    k = max(peers[1]) + 1
    return [{"true": [k, 5], "pred": [k, 5], "labels": "float", "activation": "sigmoid"}]


#: a docstring saying the loss goes to ``compile`` ("applied to the network in the compile
#: statement", "use as model.compile(loss=...)"): the file's author says Keras calls it
_COMPILE_DOC = re.compile(r"\bcompile\b", re.IGNORECASE)


def _untraced_callable(source: str, loss: LossRef, keras_fed: bool) -> bool:
    """A plain object's ``__call__`` (no Keras Loss) that the file neither hands to Keras nor
    traces (no ``tf.function`` anywhere in it): a custom loop calls it, and whether that loop
    is traced, which decides whether static shapes are None, is not in the file."""
    return (loss.context == "unknown" and loss.qualname.endswith(".__call__") and "tf.function" not in source
            and not keras_fed)


def _documented_compile(tree: ast.Module, loss: LossRef) -> bool:
    """Whether the loss's own docstring (the function's, or for a ``Loss`` subclass the class's)
    says it is passed to ``compile``: as good as the file showing the call."""
    scope: ast.AST = tree
    for part in loss.qualname.split("."):
        found = next((n for n in ast.iter_child_nodes(scope) if isinstance(
            n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part), None)
        if found is None:
            return False
        if _COMPILE_DOC.search(ast.get_docstring(found) or ""):
            return True
        scope = found
    return False


def _keras_fed(source: str, loss: LossRef | None) -> bool:
    """Whether the file hands this loss to Keras (``compile(loss=...)``), so that Keras, not a
    caller of the file's own, decides what ``y_pred`` is: one tensor per model output, axis 0
    the batch. A Loss subclass counts when the file passes an instance of it to ``compile``."""
    if loss is None:
        return False
    if loss.context == "compile":
        return True
    tree = _parsed(source)
    if tree is not None and _documented_compile(tree, loss):
        return True
    if tree is None or loss.context != "subclass":
        return False
    cls = loss.qualname.split(".")[0]

    def builds(node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and \
            (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == cls

    instances = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and builds(node.value)
                 for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
            if any(builds(n) or (isinstance(n, ast.Name) and n.id in instances) for n in ast.walk(node)):
                return True
    return False


def _flag_is_return(source: str, span: tuple[int, int, int, int]) -> bool:
    """Whether the flagged expression is what a ``return`` hands back."""
    tree = _parsed(source)
    if tree is None:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None and \
                (node.value.lineno, node.value.col_offset, node.value.end_lineno, node.value.end_col_offset) == span:
            return True
    return False


def _job(finding: Finding, program: ProbeProgram, probe: str, params: dict[str, Any],
         names: tuple[str, ...]) -> dict[str, Any]:
    return {"program": program.source, "kind": program.kind, "context": program.context,
            "role": program.role, "qualname": program.qualname, "probe": probe, "params": params,
            "left_out": [list(p) for p in program.left_out], "tapped": program.tapped, "code": finding.code,
            "true_name": names[0], "pred_name": names[1]}


def _execute(pending: list[str], jobs: dict[str, dict[str, Any]], flavours: dict[str, str], device: str,
             timeout: float, use_cache: bool, progress: bool) -> dict[str, Verification]:
    from tfshape_lint.verify import cache, runner

    results: dict[str, Verification] = {}
    bar = _progress_bar(len(pending)) if progress else None

    def on_done(digest: str, verdict: Verification, clean: bool) -> None:
        results[digest] = verdict
        if clean and use_cache:
            cache.put(digest, verdict)
        if bar is not None:
            bar.update(1)

    try:
        with tempfile.TemporaryDirectory(prefix="tfshape-lint-verify-") as cwd:
            for flavour in runner.FLAVOURS:
                group = [(k, dict(jobs[k], id=i)) for i, k in enumerate(pending) if flavours[k] == flavour]
                if group:
                    runner.run_jobs(group, flavour=flavour, device=device, timeout=timeout, cwd=cwd,
                                    on_done=on_done)
    finally:
        if bar is not None:
            bar.close()
    return results


def _progress_bar(total: int) -> Any:
    """A tqdm bar on stderr, only for a terminal and more than a few findings."""
    if total < PROGRESS_MIN or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    bar: Callable[..., Any] = tqdm
    return bar(total=total, file=sys.stderr, desc="verifying", unit="finding", leave=False)
