"""Child side: the probe vocabulary that rules name in their ``Recipe``.

Each probe gets a :class:`~harness.Harness` around the extracted loss and the recipe's params
and returns an :class:`~harness.Outcome`. A probe confirms only on evidence that the bug
manifests (an error whose text is the rule's, a value that differs from a reference computed
from the same inputs, a gradient that is None/zero/NaN) and refutes only when every run was
clean and matched. The inputs follow KERAS_FACTS §5: batch 1, B != T, B == T, a ``None``
batch dimension (a partial last batch), float labels, predictions at exactly 0 and 1.
"""

from __future__ import annotations

import ast
import functools
import math
import os
import re
from dataclasses import replace
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from tfshape_lint.analysis.imports import ast_callee_name
from tfshape_lint.verify._child.harness import (
    JOB_ORDER,
    LADDER,
    SIGS,
    TINY_LOSS,
    Base,
    Harness,
    Outcome,
    Sig,
    close,
    confirmed,
    describe,
    fmt,
    inconclusive,
    layout,
    matches,
    negligible,
    order,
    refuted,
    round_up,
    reshape_layout,
    scalar,
    shape_of,
)

Probe = Callable[[Harness, dict[str, Any]], Outcome]
PROBES: dict[str, Probe] = {}

SHAPE_ERRORS = (r"Incompatible shapes", r"Dimensions must be equal", r"must have the same (shape|rank)",
                r"Shapes must be equal rank", r"Shapes of all inputs must match", r"broadcast")
DTYPE_ERRORS = (r"expected to be a \w+ tensor", r"does not match type", r"not in (the )?list of allowed values",
                r"cannot compute \w+ as input", r"No gradients provided", r"must be the same type",
                r"type bool", r"DataType bool")


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(fn: Probe) -> Probe:
        PROBES[name] = fn
        return fn
    return register


def run(name: str, h: Harness, params: dict[str, Any]) -> Outcome:
    """Run the named probe; an unknown name is inconclusive, not a crash."""
    fn = PROBES.get(name)
    if fn is None:
        return inconclusive(f"no probe named {name!r} in this version of tfshape-lint")
    return fn(h, params)


#: probes that run the counterfactual themselves: they compare the two runs side by side
PAIRED = frozenset({"update_norm", "swap_arguments", "from_logits"})


def counterfactual(name: str, h: Harness, hv: Harness | str | None, params: dict[str, Any]) -> Outcome:
    """The verdict on the flagged node: the symptom as written, and its absence in the variant.

    ``hv`` is the variant's harness (the flagged node neutralised), None when the probe's own
    runs are the counterfactual, or a string saying why no variant could be built.
    """
    fn = PROBES.get(name)
    if fn is None:
        return inconclusive(f"no probe named {name!r} in this version of tfshape-lint")
    if name in PAIRED:
        return fn(h, {**params, "_variant": hv})
    original = fn(h, params)
    scalar_note = ""
    if original.status != "confirmed" and h.subject.unbound_extras and not isinstance(hv, str):
        # refuted must hold for every binding of a parameter the file never passes, and a loss
        # that fails with per-sample weights there may run with a scalar: try one
        retried = _with_scalar_extras(fn, h, hv, params)
        if retried.status == "confirmed":
            original, scalar_note = retried, " (with the parameters the file never passes bound to a scalar 0.5)"
        elif original.status != "refuted":
            _reset_scalar(h, hv)
        elif retried.status != "refuted":
            return inconclusive(f"with per-sample weights for the parameters the file never passes: "
                                f"{original.evidence}; with a scalar for them: {retried.evidence}")
        else:
            _reset_scalar(h, hv)
    unreached = "was not reached" in original.evidence or (params.get("marked") and not h.subject.reached)
    if original.status != "confirmed" and unreached and not isinstance(hv, str):
        reached = h.subject.reached
        flipped, flips = _with_flipped_flags(fn, h, hv, params)
        if flipped is None or flipped.status != "confirmed":
            flipped, flips = _with_other_choices(fn, h, hv, params)
        if (flipped is None or flipped.status != "confirmed") and not params.get("only"):
            flipped, flips = _with_higher_rank(fn, h, params)
        if flipped is not None and flipped.status == "confirmed":
            original = flipped
            scalar_note += f" (with {flips}: the flagged op sits in that branch)"
        else:  # the verdict stays the defaults' run, and so does whether the node ran there
            h.subject.reached = reached
    if isinstance(hv, Harness) and _depends_unscaled(params, original):
        return _dependence_verdict(fn, h, hv, params, original)
    if original.status != "confirmed" or hv is None:
        return confirmed(f"{original.evidence}{scalar_note}") if scalar_note and original.status == "confirmed" \
            else original
    if isinstance(hv, str):
        return inconclusive(f"as written: {original.evidence}; but no counterfactual could be run ({hv})")
    pinned = _pinned(h, params)
    variant = fn(hv, pinned)
    original, variant = _other_inputs_when_elsewhere(fn, h, hv, params, pinned, original, variant)
    original, variant = _other_layout_when_variant_fails(fn, h, hv, params, pinned, original, variant)
    desc = hv.description
    if variant.status == "refuted" and variant.evidence.startswith(STILL_REORDERS):
        # the variant's node follows the samples, but the loss still depends on their order:
        # the symptom survives the neutralised node, so it is not shown to come from it
        return inconclusive(f"as written: {original.evidence}; with {desc} the symptom remains: {variant.evidence}")
    if _elsewhere(variant):
        # the neutralised node is finite, yet the loss is still not: the node's own non-finite
        # values were seen, but that they are what reaches the loss was not
        return inconclusive(f"as written: {original.evidence}; with {desc}: {variant.evidence}, so the "
                            "flagged op's values are not shown to be what makes the loss non-finite")
    if variant.status == "refuted" and params.get("code") == "TFS108" and h.weighted is not None \
            and hv.weighted is not None and close(h.weighted, hv.weighted):
        # the weighted loss is the same number with the flagged reduction kept per sample: the
        # inputs do not tell a scalar from per-sample values that are all alike
        return inconclusive(f"as written: {original.evidence}; with {desc} Keras computes the same "
                            f"{fmt(hv.weighted)}, so these inputs do not show the flagged reduction losing the weights")
    if variant.status == "refuted":
        return confirmed(f"as written{scalar_note}: {original.evidence}; with {desc}: {variant.evidence}")
    if variant.status == "confirmed" and params.get("code") == "TFS302" and \
            _failing_tensor(variant.evidence) != _failing_tensor(original.evidence) != "":
        return confirmed(f"as written: {original.evidence}; with {desc} the flagged call no longer fails "
                         f"(another numpy use does: {variant.evidence})")
    if variant.status == "inconclusive" and params.get("code") == "TFS302" and "which is not this rule's bug" in \
            variant.evidence and (_failing_tensor(original.evidence) or _only_numpy_method(h, original.evidence)):
        # numpy's failure is raised at the flagged call itself; a variant that gets past it and
        # stops on an error of another kind shows the flagged call was what failed
        return confirmed(f"as written: {original.evidence}; with {desc} the flagged call no longer fails "
                         f"(the loss then stops on another error: {variant.evidence})")
    share = _scaling_share(params, original, variant)
    if share:
        return confirmed(f"as written: {original.evidence}; with {desc}: {variant.evidence}, so {share}")
    gone = _scaling_gone(params, original, variant)
    if gone:
        return confirmed(f"as written: {original.evidence}; with {desc}: {variant.evidence}, so {gone}")
    moved = _failure_moved(params, original, variant)
    if moved:
        return confirmed(f"as written: {original.evidence}; with {desc} that error is gone: the loss gets past the "
                         f"flagged node and then fails on another construct ({moved})")
    if variant.status == "confirmed":
        return inconclusive(f"as written: {original.evidence}; with {desc} the symptom remains "
                            f"({variant.evidence}), so it does not come from the flagged node")
    return inconclusive(f"as written: {original.evidence}; with {desc} the loss did not run cleanly: "
                        f"{variant.evidence}")


def _pinned(h: Harness, params: dict[str, Any]) -> dict[str, Any]:
    """The variant's parameters: the original's, on the inputs its run decided on (layout, the
    weighted reference of TFS108, the edge case of TFS401)."""
    pinned = dict(params, counterfactual=True)
    if h.decided:
        pinned["only"] = [h.decided]
    if h.reference is not None:
        pinned["reference"] = h.reference
    if h.case:
        pinned["case"] = h.case
    return pinned


def _depends_unscaled(params: dict[str, Any], original: Outcome) -> bool:
    """A TFS102 run whose loss changed with the batch size, though not in proportion to it."""
    return params.get("code") == "TFS102" and original.status == "inconclusive" \
        and original.evidence.endswith(NOT_IN_PROPORTION)


def _dependence_verdict(fn: Probe, h: Harness, hv: Harness, params: dict[str, Any], original: Outcome) -> Outcome:
    """The batch-size symptom when the flagged sum sits in a nonlinear term (``p * log(p)`` of a
    batch sum) or in one term of several: the loss as written changes with the batch size on
    the same samples, not in proportion. Confirmed when, on the same inputs, the loss with
    only the flagged sum kept per sample gives the same value at both sizes (the dependence is
    the flagged node's); inconclusive otherwise, with both runs."""
    variant = fn(hv, _pinned(h, params))
    if variant.status == "refuted" and variant.evidence.startswith(SAME_AT_BOTH):
        return confirmed(f"as written: {original.evidence.removesuffix(NOT_IN_PROPORTION)}it depends on the batch "
                         f"size (not in proportion: the batch sum sits in a term that is not linear in it, or in one "
                         f"of several); with {hv.description}: {variant.evidence}")
    return inconclusive(f"as written: {original.evidence}; with {hv.description}: {variant.evidence}")


def _only_numpy_method(h: Harness, evidence: str) -> bool:
    """Whether the failure is ``.numpy()`` on a symbolic tensor and the program as run has one
    ``.numpy()`` call, the flagged one (the others neutralised in both runs): the error then
    names the flagged call, as a tensor's name does for a numpy function."""
    return "attribute 'numpy'" in evidence and h.subject.program.count(".numpy()") == 1


#: how a NaN probe's refutation starts when the flagged op is finite but the loss is not
ELSEWHERE_NAN = "the flagged op stays finite, in value and gradient"
#: how many more edge inputs a NaN verdict tries when the first one hits two hazards at once
_MORE_CASES = 3


def _other_inputs_when_elsewhere(fn: Probe, h: Harness, hv: Harness, params: dict[str, Any],
                                 pinned: dict[str, Any], original: Outcome,
                                 variant: Outcome) -> tuple[Outcome, Outcome]:
    """The original and variant runs on another edge input when, on the first one that showed
    the flagged op's NaN, the loss stays non-finite with the op neutralised.

    One input can trigger two hazards: predictions of exactly 0 and 1 make both ``1 / (1 - p)``
    (at 1) and ``pow(x, 1 / c)`` (at 0) non-finite, so guarding one leaves the loss NaN and says
    nothing. Another input (all 1) may show the flagged op alone, and then the counterfactual
    holds there; up to ``_MORE_CASES`` more inputs are tried, each as written then neutralised."""
    tried: list[str] = []
    while _elsewhere(variant) and h.case and len(tried) < _MORE_CASES:
        tried.append(h.case)
        again = fn(h, {**params, "exclude_cases": tuple(tried)})
        if again.status != "confirmed" or h.case in ("", *tried):
            break
        original, variant = again, fn(hv, {**pinned, "case": h.case})
    return original, variant


#: how many other layouts a counterfactual tries when the variant fails on the first one
_MORE_LAYOUTS = 3
#: a variant that failed for a reason of its own (not the symptom, not refuted)
_VARIANT_FAILED = re.compile(r"which is not this rule's bug|raised on every synthetic input")


def _other_layout_when_variant_fails(fn: Probe, h: Harness, hv: Harness, params: dict[str, Any],
                                     pinned: dict[str, Any], original: Outcome,
                                     variant: Outcome) -> tuple[Outcome, Outcome]:
    """Both runs again, each on the same other layout, when the variant failed on the layout
    the original decided on for a reason of its own: a Python ``if`` converted by autograph
    whose branches differ in rank on ``(B, T)`` labels (a ``boolean_mask`` in one) is fine on
    ``(B,)`` labels. Up to ``_MORE_LAYOUTS`` layouts the job would try anyway; the pair kept is
    the first whose original still shows the symptom and whose variant runs."""
    if variant.status != "inconclusive" or not _VARIANT_FAILED.search(variant.evidence) or not h.decided:
        return original, variant
    tried = [h.decided]
    for name in [n for n in order(None) if n not in tried][:_MORE_LAYOUTS]:
        h.exclusive, hv.exclusive = [name], [name]
        try:
            again = fn(h, dict(params))
            if again.status != "confirmed":
                continue
            other = fn(hv, {**pinned, "only": [name]})
        finally:
            h.exclusive, hv.exclusive = [], []
        if other.status == "refuted":
            first = variant.evidence if len(variant.evidence) <= 160 else variant.evidence[:157] + "..."
            return again, replace(other, evidence=f"{other.evidence} (y_true/y_pred {layout(SIGS[name])}; on "
                                                  f"{layout(SIGS[tried[0]])} the variant did not run cleanly: {first})")
    return original, variant


def _elsewhere(outcome: Outcome) -> bool:
    return outcome.status == "refuted" and outcome.evidence.startswith(ELSEWHERE_NAN)
#: rules whose symptom is an error raised at the flagged node when fit traces the loss
ERROR_SYMPTOMS = frozenset({"TFS110"})
#: errors of constructs that cannot be traced whatever the flagged value is (Python control
#: flow on a tensor, a recursion), never of the substitute itself (a shape or dtype error
#: downstream may be just that: then the variant is not the fix for this form)
_ELSEWHERE = frozenset({"OperatorNotAllowedInGraphError", "RecursionError"})
_ERROR_NAME = re.compile(r"\b([A-Z]\w*(?:Error|Exception))\b")


def _failure_moved(params: dict[str, Any], original: Outcome, variant: Outcome) -> str:
    """The variant's error, when it is of another kind than the original's: symptoms are
    compared by kind. The two programs differ only at the flagged node, so everything before
    it runs alike; an original that fails with ``TypeError: len is not well defined`` and a
    variant that fails with ``OperatorNotAllowedInGraphError`` (a Python ``if`` on the now
    symbolic batch size) show that the original failed at the flagged node and the variant
    got past it. "" when the kinds match, or the variant's error may come from the substitute."""
    if params.get("code") not in ERROR_SYMPTOMS or variant.status != "confirmed":
        return ""
    before, after = _ERROR_NAME.search(original.evidence), _ERROR_NAME.search(variant.evidence)
    if before is None or after is None or before.group(1) == after.group(1) or after.group(1) not in _ELSEWHERE:
        return ""
    start = variant.evidence.find(after.group(1))
    text = variant.evidence[start:].split("; eager at batch", 1)[0]
    return text if len(text) <= 200 else text[:197] + "..."


def _scaling_share(params: dict[str, Any], original: Outcome, variant: Outcome) -> str:
    """A batch-size symptom (TFS102) that the variant shrinks by exactly the batch ratio: the
    loss scales as ``(B_large / B_small) ** 2`` as written and ``B_large / B_small`` with the
    flagged sum kept per sample (a second sum over the batch, or a ``(B, B)`` broadcast, gives
    the other factor). The flagged node is then shown to contribute one factor of the batch
    size; "" otherwise."""
    if params.get("code") != "TFS102" or variant.status != "confirmed":
        return ""
    before, after = original.scaling, variant.scaling
    if before is None or after is None or before[:2] != after[:2] or not after[2]:
        return ""
    batches = before[0] / before[1]
    shrunk = before[2] / after[2]
    if batches <= 1 or abs(shrunk - batches) > 0.1 * batches:
        return ""
    return (f"the flagged reduction alone makes the loss {shrunk:.2f}x larger at batch {before[0]} than at "
            f"{before[1]} (the batch ratio); the rest of the scaling comes from elsewhere in the loss")


def _scaling_gone(params: dict[str, Any], original: Outcome, variant: Outcome) -> str:
    """A batch-size symptom (TFS102) that the variant removes though the loss still depends a
    little on the batch (a variance or mean over the whole batch elsewhere in it): as written
    the loss grows by about the batch ratio, with the flagged sum kept per sample it moves by
    less than a quarter of that ratio's excess over 1. The scaling was the flagged node's; ""
    otherwise (the variant's other ``inconclusive`` reasons stay inconclusive)."""
    if params.get("code") != "TFS102" or variant.status != "inconclusive" \
            or NOT_IN_PROPORTION not in variant.evidence:
        return ""
    before, after = original.scaling, variant.scaling
    if before is None or after is None or before[:2] != after[:2]:
        return ""
    batches = before[0] / before[1]
    if batches <= 1 or abs(before[2] - batches) > 0.25 * batches or abs(after[2] - 1) > 0.25 * (batches - 1):
        return ""
    return (f"the {before[2]:.2f}x scaling is gone ({after[2]:.2f}x, from batch statistics elsewhere in the loss, "
            "not from the batch size)")


def _with_scalar_extras(fn: Probe, h: Harness, hv: Harness | None, params: dict[str, Any]) -> Outcome:
    """The probe again with the unbound extra parameters as a scalar, in both harnesses."""
    for harness in (h, hv):
        if harness is not None:
            harness.subject.scalar_extras = True
            harness.failures.clear()
    h.decided = h.case = ""
    return fn(h, params)


def _with_flipped_flags(fn: Probe, h: Harness, hv: Harness | None,
                        params: dict[str, Any]) -> tuple[Outcome | None, str]:
    """The probe again with the loss's boolean defaults flipped (``cosine=True`` -> False), when
    the flagged op sits in a branch the defaults never take; (None, "") if there are none."""
    plan = _flip_plan(h.subject)
    if plan is None:
        return None, ""
    flips, rebuild = plan
    return _rebuilt_run(fn, h, hv, params, lambda subject: rebuild(subject, flips)), \
        ", ".join(f"{k}={v}" for k, v in flips.items())


def _rebuilt_run(fn: Probe, h: Harness, hv: Harness | None, params: dict[str, Any],
                 rebuild: Callable[[Any], Any]) -> Outcome | None:
    """The probe again on the loss built anew by ``rebuild`` (in both harnesses), from a fresh
    start; None when building it raises (the constructor or factory rejects the settings)."""
    for harness in (h, hv):
        if harness is None:
            continue
        try:
            harness.subject.obj = rebuild(harness.subject)
        except Exception:  # no second run with settings the loss's own code rejects
            return None
        harness.failures.clear()
    h.decided = h.case = ""
    h.subject.reached = False
    return fn(h, params)


def _flip_plan(subject: Any) -> tuple[dict[str, bool], Callable[[Any, dict[str, bool]], Any]] | None:
    """Whose boolean defaults to flip and how to build the loss again with them: a function's
    own; a method loss's constructor's (``Survival(iswtte=False).loss``); the factory's of a
    closure the file never builds (``make_loss(normalize=False)``); a ``Loss`` object's
    constructor's (``RMSE(sample_weights=False)``). None when there are none."""
    import inspect

    if subject.kind == "loss_object":
        flips = _bool_defaults(type(subject.obj))
        return (flips, lambda s, f: type(s.obj)(**f)) if flips else None
    if subject.kind != "function":
        return None
    flips = _bool_defaults(subject.obj)
    if flips:
        return flips, lambda s, f: functools.partial(s.obj, **f)
    if inspect.ismethod(subject.obj):
        flips = _bool_defaults(type(subject.obj.__self__))
        if flips:
            return flips, _rebuilt_owner
    if subject.factory is not None:
        flips = _bool_defaults(subject.factory)
        if flips:
            return flips, _rebuilt_by_factory
    return None


#: how many other string settings a flagged node in an untaken branch is tried with
_MORE_CHOICES = 3


def _with_higher_rank(fn: Probe, h: Harness, params: dict[str, Any]) -> tuple[Outcome | None, str]:
    """The probe again on the ladder's layouts of rank 3 and more only, when the flagged op sits
    in a branch for inputs of higher rank (``if len(shape) >= 3:``) that the first layouts did
    not take: the run if it confirms, else (None, "")."""
    higher = [n for n in LADDER if len(SIGS[n].true_shape) >= 2]
    if not higher:
        return None, ""
    h.subject.reached = False
    h.decided = ""  # the layout this run decides on is the one the variant must use
    outcome = fn(h, {**params, "only": higher})
    if outcome.status == "confirmed" and h.subject.reached:
        return outcome, "inputs of rank 3 or more"
    return None, ""


def _with_other_choices(fn: Probe, h: Harness, hv: Harness | None,
                        params: dict[str, Any]) -> tuple[Outcome | None, str]:
    """The probe again with a string setting of the loss's owner set to another value the loss
    compares it with (``if self.kind == 'discrete': ... elif self.kind == 'continuous':``),
    when the flagged op sits in a branch the built setting does not take: the first run that
    confirms, else (None, ""). The owner (a method loss's object, a ``Loss`` object) is built
    again with its other settings as they were."""
    subject = h.subject
    owner = _owner(subject)
    if owner is None:
        return None, ""
    settings = _settings_of(owner)
    if settings is None:
        return None, ""
    tried = 0
    for name, current in settings.items():
        if not isinstance(current, str):
            continue
        for other in _compared_strings(subject.program, name):
            if other == current or tried >= _MORE_CHOICES:
                continue
            tried += 1
            changed = {**settings, name: other}
            outcome = _rebuilt_run(fn, h, hv, params, lambda subject: _rebuilt_with(subject, changed))
            if outcome is not None and outcome.status == "confirmed":
                return outcome, f"{name}={other!r}"
    return None, ""


def _owner(subject: Any) -> Any:
    """The object whose settings build the loss: a method loss's ``self``, a ``Loss`` object."""
    import inspect

    if subject.kind == "loss_object":
        return subject.obj
    if subject.kind == "function" and inspect.ismethod(subject.obj):
        return subject.obj.__self__
    return None


def _settings_of(owner: Any) -> dict[str, Any] | None:
    """The owner's constructor arguments as it holds them (``self.kind = kind``), or None when a
    required one is not held under its own name."""
    import inspect

    try:
        sig = inspect.signature(type(owner).__init__)
    except (TypeError, ValueError):
        return None
    out: dict[str, Any] = {}
    for p in list(sig.parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        held = getattr(owner, p.name, getattr(owner, f"_{p.name}", p.default))
        if held is p.empty:
            return None
        out[p.name] = held
    return out


def _compared_strings(program: str, name: str) -> list[str]:
    """String literals the program compares ``name`` (or ``self.name``) with, in order."""
    pattern = re.compile(rf"\b(?:self\.)?_?{re.escape(name)}\s*[!=]=\s*(['\"])([^'\"\n]+)\1")
    return list(dict.fromkeys(m.group(2) for m in pattern.finditer(program)))


def _rebuilt_with(subject: Any, settings: dict[str, Any]) -> Any:
    """The loss again from an owner built with ``settings``."""
    return type(subject.obj)(**settings) if subject.kind == "loss_object" else _rebuilt_owner(subject, settings)


def _rebuilt_owner(subject: Any, flips: dict[str, Any]) -> Any:
    """The method loss of an owner built with ``flips`` (a plain function: the flags passed)."""
    import inspect

    obj = subject.obj
    if inspect.ismethod(obj):
        return getattr(type(obj.__self__)(**flips), obj.__name__)
    return functools.partial(obj, **flips)


def _rebuilt_by_factory(subject: Any, flips: dict[str, bool]) -> Any:
    """The closure the subject's factory builds with ``flips``."""
    if subject.factory is None:
        raise LookupError("no factory to build the loss again")
    return subject.factory(**flips)


def _bool_defaults(fn: Any) -> dict[str, bool]:
    """Each boolean default of ``fn``'s signature, flipped."""
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return {}
    return {p.name: not p.default for p in sig.parameters.values() if isinstance(p.default, bool)}


def _reset_scalar(h: Harness, hv: Harness | None) -> None:
    for harness in (h, hv):
        if harness is not None:
            harness.subject.scalar_extras = False


def _failing_tensor(evidence: str) -> str:
    """The symbolic tensor numpy failed on ("compile_loss/mae/sub:0"), or ""."""
    found = re.search(r"symbolic tf\.Tensor \(([^)]*)\)", evidence)
    return re.sub(r"_\d+/", "/", found.group(1)) if found else ""


def _signatures(params: dict[str, Any], default: Sequence[str] = ()) -> list[str]:
    if params.get("only"):
        return [n for n in params["only"] if n in SIGS]
    return order(list(params.get("signatures") or default))


def _patterns(params: dict[str, Any], default: Sequence[str]) -> list[str]:
    return list(params.get("errors") or default)


def _try(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return fn(), None
    except Exception as exc:  # the loss's own error is data for the probe
        return None, exc


# -- TFS102 / TFS109: scale with the batch size ----------------------------------------------------
@probe("batch_scaling")
def batch_scaling(h: Harness, params: dict[str, Any]) -> Outcome:
    """The same 8 samples in batches of 2 and of 8: a per-sample loss reports the same mean.
    With the flagged reduction tapped, it must scale too: the loss may scale through another
    term, which is not this finding's bug.

    ``min_batch`` (from the loss body: ``y_pred[2]`` on the batch axis needs 3 samples) raises
    the small batch to what the loss accepts, and the large one to 4 times it. Such a loss
    picks samples by position, so a different split of the same samples would change what it
    computes, not only how many samples it sums: there the large batch is the small one
    repeated 4 times (same samples at the same positions; a sum gives exactly 4x, a mean or a
    per-position pick the same value)."""
    parts = int(params.get("batch_parts") or 1)
    b_small = round_up(max(2, int(params.get("min_batch") or 2)), parts)
    b_large = 4 * b_small
    pinned = SIGS.get((params.get("only") or [""])[0])
    if pinned is not None and pinned.activation == "signed":
        # the layout of a retry with predictions of both signs (and of its counterfactual): the
        # baseline would try the job's own layouts first
        base = _forced_base(h, pinned, max(4, b_small))
        if base is None:
            return inconclusive("the loss does not run cleanly with predictions of both signs")
    else:
        base = h.baseline(_signatures(params), n=max(4, b_small), nonzero=True)
    if base is None:
        return h.no_baseline()
    if negligible(base.value):
        return _all_zero(base, "a sum of zeros does not show whether it grows with the batch")
    smalls, large, err = _scaling_runs(h, base, b_small, b_large, repeated=b_small > 2, parts=parts)
    odd = ""
    if err is not None and b_small == 2:
        # a loss that splits its batch (halves, pairs) can fail on even sizes only: the same
        # test on odd sizes
        retried = _scaling_runs(h, base, 3, 9, repeated=False)
        if retried[2] is None:
            odd = f" (batches of 2 and 8 raise: {describe(err)})"
            (smalls, large, err), b_small, b_large = retried, 3, 9
    if err is not None:
        return inconclusive(f"batch {b_small}/{b_large} run failed: {describe(err)}")
    small = float(np.mean([v[0] for v in smalls]))
    outcome = _scaling_verdict(small, large[0], b_small, b_large, repaired=bool(odd))
    if odd:
        outcome = replace(outcome, evidence=outcome.evidence + odd)
    elif outcome.status == "refuted" and b_small > 2:
        stacked = _stacked_peer_scaling(h, base, params)
        if stacked is not None:
            return stacked
    if parts > 1 and not odd and outcome.status != "inconclusive":
        outcome = replace(outcome, evidence=f"{outcome.evidence} (the loss cuts its batch into {parts} equal parts; "
                                            f"batch {b_large} = each part of the batch of {b_small} repeated 4 times "
                                            "in place)")
    elif b_small > 2 and not odd and outcome.status != "inconclusive":
        outcome = replace(outcome, evidence=f"{outcome.evidence} (batch {b_large} = the batch of {b_small} repeated "
                                            f"4 times: the loss indexes its inputs up to [{b_small - 1}] on the "
                                            "batch axis)")
    node_small = [v[1] for v in smalls]
    if outcome.status == "inconclusive" or large[1] is None or any(n is None for n in node_small):
        return outcome
    node_s, node_l = float(np.mean([float(n) for n in node_small if n is not None])), float(large[1])
    if node_s == 0.0 and node_l == 0.0:
        # a sum of nothing (a selection the synthetic inputs leave empty, a branch they never
        # take) shows nothing about how the flagged reduction scales; a selection by sign
        # (``y_pred <= 0``: sell or buy) is taken by predictions of both signs
        signed_note = ""
        if not params.get("signed_retry"):
            signed = replace(base.sig, name=f"{base.sig.name}_signed", activation="signed")
            SIGS[signed.name] = signed
            signed_run = batch_scaling(h, {**params, "only": [signed.name], "signed_retry": True})
            if signed_run.status != "inconclusive":
                h.decided = signed.name
                return Outcome(signed_run.status, f"{signed_run.evidence} (predictions of both signs: with predictions "
                                                  "in (0, 1) the flagged reduction sums nothing)")
            signed_note = f"; with predictions of both signs: {signed_run.evidence}"
        return inconclusive(f"{outcome.evidence}; but the flagged reduction is exactly 0 at batch {b_large} and at "
                            f"batch {b_small}: it sums nothing on these inputs (a selection they leave empty)"
                            f"{signed_note}")
    if outcome.status != "confirmed":
        return outcome
    if close(node_s, node_l, rtol=0.02) or not (math.isfinite(node_s) and math.isfinite(node_l)):
        return refuted(f"the loss scales with the batch size, but the flagged reduction does not "
                       f"({fmt(node_l)} at batch {b_large} vs {fmt(node_s)} at batch {b_small})")
    return replace(outcome, evidence=f"{outcome.evidence}; the flagged reduction gives {fmt(node_l)} at batch "
                                     f"{b_large} vs {fmt(node_s)} at batch {b_small}")


def _forced_base(h: Harness, sig: Sig, n: int) -> Base | None:
    """``sig``'s inputs as the baseline whatever the job's layouts are; None unless the loss
    runs on them with a finite value."""
    yt, yp = sig.make(n)
    value, err = _try(lambda: h.value(yt, yp))
    if err is not None or not math.isfinite(value):
        return None
    h.decided = sig.name
    return Base(sig, yt, yp, value)


def _scaling_runs(h: Harness, base: Any, b_small: int, b_large: int, repeated: bool, parts: int = 1
                  ) -> tuple[list[tuple[float, float | None]], tuple[float, float | None], BaseException | None]:
    """The value (and tap) of each small batch and of the large batch of the same samples, or
    the first error. ``repeated``: the large batch is the small one repeated (a loss that picks
    samples by position), else ``b_large`` samples split into small batches. With ``parts``
    (a batch the loss cuts into that many equal parts: anchors, positives, negatives), each
    part is repeated in place, so every part of the large batch holds the same samples in the
    same order as the small batch's part."""
    if repeated:
        yt_s, yp_s = base.sig.make(b_small, seed=1)
        times = b_large // b_small
        yt, yp = (np.concatenate([block for block in np.split(x, parts) for _ in range(times)])
                  for x in (yt_s, yp_s))
        batches = [(yt_s, yp_s)]
    else:
        yt, yp = base.sig.make(b_large, seed=1)
        batches = [(yt[i:i + b_small], yp[i:i + b_small]) for i in range(0, b_large, b_small)]
    smalls = [_try(functools.partial(_value_and_tap, h, t, p)) for t, p in batches]
    large, err = _try(lambda: _value_and_tap(h, yt, yp))
    err = next((e for _, e in smalls if e is not None), err)
    return [v for v, _ in smalls], large, err


def _stacked_peer_scaling(h: Harness, base: Any, params: dict[str, Any]) -> Outcome | None:
    """The batch-size test in the reading where ``y_pred[0]``, ``y_pred[1]``, ``y_pred[2]`` are
    peers, each a batch (``y_pred`` a stack of K batches, as a custom loop passes anchor,
    positive and negative): the same 8 samples per peer in batches of 2 and of 8. Tried only
    when the loss takes such peers, the file never hands it to Keras, and the plain reading
    (axis 0 the batch) showed no scaling because the loss picks its first K samples; None when
    this reading does not run, so the plain verdict stands."""
    reading = _stack_reading(h, params)
    if reading is None:
        return None
    name, indices, k, side = reading
    yt, yp = base.sig.make(8, seed=1)
    shape = tuple(base.sig.pred_shape if side else base.sig.true_shape)
    stack = np.random.default_rng(k).uniform(0.05, 0.95, size=(k, 8) + shape).astype("float32")

    def run(lo: int, hi: int) -> tuple[float, float | None]:
        part = stack[:, lo:hi]
        return _value_and_tap(h, yt[lo:hi], part) if side else _value_and_tap(h, part, yp[lo:hi])

    smalls = [_try(functools.partial(run, i, i + 2)) for i in range(0, 8, 2)]
    large, err = _try(lambda: run(0, 8))
    if err is not None or any(e is not None for _, e in smalls):
        return None
    small = float(np.mean([v[0] for v, _ in smalls]))
    outcome = _scaling_verdict(small, large[0], 2, 8)
    if outcome.status == "inconclusive":
        return None
    shown = ", ".join(f"{name}[{i}]" for i in indices)
    return Outcome(outcome.status, f"{outcome.evidence}, with {name} a stack of {k} batches ({shape_of(stack)}: "
                                   f"the loss takes {shown} as peers, each a batch, and the file never hands it "
                                   "to Keras)")


def _stack_reading(h: Harness, params: dict[str, Any]) -> tuple[str, list[int], int, int] | None:
    """The peers of the stacked reading, shared by the TFS102 and TFS105 probes: (parameter
    name, its constant indices, K = the number of stacked batches, 1 for ``y_pred`` / 0 for
    ``y_true``); None when Keras calls the loss or there are no two peers of a loss parameter."""
    if params.get("keras_fed"):
        return None
    name, indices = (list(params.get("peers") or ["", []]) + ["", []])[:2]
    indices = [int(i) for i in indices]
    if len(indices) < 2 or max(indices) > 7 or name not in (h.subject.pred_name, h.subject.true_name):
        return None
    return name, indices, max(indices) + 1, 1 if name == h.subject.pred_name else 0


def _value_and_tap(h: Harness, yt: np.ndarray, yp: np.ndarray) -> tuple[float, float | None]:
    """The reported value and the mean of the first tapped value (None when nothing was tapped)."""
    h.subject.taps.clear()
    value = h.value(yt, yp)
    taps = [t for t in h.subject.taps if t is not None]
    if not taps:
        return value, None
    return value, scalar(np.asarray(taps[0], dtype="float64"))


def _scaling_verdict(small: float, large: float, b_small: int, b_large: int, repaired: bool = False) -> Outcome:
    """Scaling = the large batch's loss about ``b_large / b_small`` times the small ones' (at
    least 1.5x); none = the same value. ``repaired``: a loss that pairs samples across its batch
    (halves, pairs) pairs other samples in a batch of another size, so there "the same value"
    is read as within 1.5x either way."""
    if not (math.isfinite(small) and math.isfinite(large)):
        return inconclusive(f"non-finite loss ({fmt(small)} at batch {b_small}, {fmt(large)} at {b_large})")
    if max(abs(small), abs(large)) <= _ROUNDING_ZERO:
        # an antisymmetric (B, B) matrix summed (``y_pred - log_risk`` broadcast): 0 up to float32
        # rounding at both sizes, which says nothing about how a nonzero sum would grow
        return inconclusive(f"the loss is 0 up to rounding at both batch sizes ({fmt(large)} at batch {b_large}, "
                            f"{fmt(small)} at batch {b_small}): a sum of zeros does not show whether it grows "
                            "with the batch")
    if close(small, large, rtol=0.02):
        return refuted(f"{SAME_AT_BOTH} {fmt(large)} at batch {b_large} = {fmt(small)} at batch "
                       f"{b_small}; it does not scale with the batch size")
    ratio = large / small if small else math.inf
    if repaired and 1 / 1.5 < ratio < 1.5:
        return refuted(f"loss {fmt(large)} at batch {b_large} vs {fmt(small)} at batch {b_small} ({ratio:.2f}x: "
                       f"the loss pairs samples across its batch, so a batch of another size pairs others; "
                       f"not the {b_large // b_small}x of a sum over the batch)")
    if abs(ratio) >= 1.5:
        return Outcome("confirmed", f"same {b_large} samples: loss {fmt(large)} at batch {b_large} vs {fmt(small)} at "
                                    f"batch {b_small} ({ratio:.2f}x): it scales with the batch size",
                       (b_large, b_small, ratio))
    return Outcome("inconclusive", f"loss {fmt(large)} at batch {b_large} vs {fmt(small)} at batch {b_small} "
                                   f"({ratio:.2f}x): {NOT_IN_PROPORTION}", (b_large, b_small, ratio))


#: a loss this close to 0 at both batch sizes is 0 up to float32 rounding (``close``'s atol)
_ROUNDING_ZERO = TINY_LOSS
#: how the batch-size probe's verdict ends when the loss depends on the batch size but does not
#: scale with it (a batch sum inside a log, or in one term of several)
NOT_IN_PROPORTION = "differs, but not in proportion to the batch size"
#: how its refutation starts: the same value at both batch sizes (not the pairing losses' 1.5x)
SAME_AT_BOTH = "same samples: loss"


# -- TFS104: batch of one, unknown batch dimension -------------------------------------------------
@probe("batch_one_and_partial")
def batch_one_and_partial(h: Harness, params: dict[str, Any]) -> Outcome:
    """``fit`` with a partial last batch (batch dim None) and a batch of 1."""
    base = h.baseline(_signatures(params, ("binary", "image", "regression")))
    if base is None:
        return h.no_baseline()
    found: list[str] = []
    _, err = _try(lambda: h.graph(base.y_true, base.y_pred))
    if err is not None:
        found.append(f"traced with batch dim None (a partial last batch in fit): {describe(err)}")
    yt1, yp1 = base.sig.make(1)
    _, err = _try(lambda: h.value(yt1, yp1))
    if err is not None:
        found.append(f"batch of 1: {describe(err)}")
    else:
        rank = _rank_change(h, base, yt1, yp1)
        if rank:
            found.append(rank)
    if not found:
        shrunk = _axis_of_one(h, base.sig)
        if shrunk:
            found.append(shrunk)
    if found:
        return confirmed("; ".join(found))
    return refuted(f"runs at batch 1, with batch dim None and with each inner axis of length 1 ({layout(base.sig)})")


def _axis_of_one(h: Harness, sig: Any) -> str:
    """A squeeze with no axis drops every axis of length 1, not only a batch of 1: one time step
    (``(B, 1, 1)`` forecasts), one row. With an inner axis of both tensors shrunk to 1, the loss of
    a batch must still be the mean of its samples' own losses (each alone); "" when it is,
    for every such axis, or when the loss cannot be run so (errors there are not read: the loss
    may well need that axis's length)."""
    if len(sig.true_shape) != len(sig.pred_shape) or len(sig.true_shape) < 2:
        return ""
    for axis in range(len(sig.true_shape) - 1):  # the last axis holds classes, quantiles, channels
        size = sig.true_shape[axis]
        if size <= 1 or sig.pred_shape[axis] != size:
            continue
        one = replace(sig, true_shape=sig.true_shape[:axis] + (1,) + sig.true_shape[axis + 1:],
                      pred_shape=sig.pred_shape[:axis] + (1,) + sig.pred_shape[axis + 1:])
        yt, yp = one.make(2)  # two samples are enough to pair one with the other
        whole, err = _try(lambda: h.value(yt, yp))
        if err is not None:
            # the loss needs this axis's length (``pred[:, :, 2]``, a gather by position): the
            # shrunk inputs are not ones it takes, and its error says nothing about the squeeze
            continue
        alone = [_try(functools.partial(h.value, yt[i:i + 1], yp[i:i + 1])) for i in range(2)]
        if any(e is not None for _, e in alone):
            continue
        mean = float(np.mean([v for v, _ in alone]))
        if math.isfinite(whole) and math.isfinite(mean) and not close(whole, mean, rtol=1e-3):
            return (f"with axis {axis + 1} of length 1 ({layout(one, 2)}): loss {fmt(whole)} for a batch of 2, "
                    f"but its samples' own losses average {fmt(mean)} (the axis is squeezed away with the "
                    f"batch's, and what is left broadcasts across samples)")
    return ""


def _rank_change(h: Harness, base: Any, yt1: np.ndarray, yp1: np.ndarray) -> str:
    out4, err4 = _try(lambda: h.raw(base.y_true, base.y_pred))
    out1, err1 = _try(lambda: h.raw(yt1, yp1))
    if err4 or err1 or isinstance(out4, list) or isinstance(out1, list):
        return ""
    if np.ndim(out4) >= 1 and np.shape(out4)[0] == 4 and np.ndim(out1) != np.ndim(out4):
        return f"batch of 1: output shape {shape_of(out1)} (rank {np.ndim(out1)}) vs {shape_of(out4)} at batch 4"
    return ""


# -- TFS101: list/tuple returned -------------------------------------------------------------------
@probe("fit_step")
def sequence_return(h: Harness, params: dict[str, Any]) -> Outcome:
    """Keras stacks a returned list: an error for mixed shapes, a silent average otherwise."""
    for name in _signatures(params):
        yt, yp = SIGS[name].make(4)
        out, err = _try(lambda: h.raw(yt, yp))
        if err is not None:
            h.failures.append((name, err))
            continue
        if not isinstance(out, list):
            return refuted(f"returns one tensor of shape {shape_of(out)}")
        if not h.subject.keras_context:
            return refuted(f"returns {len(out)} parts to its own caller (a custom loop), not to Keras")
        parts = ", ".join(shape_of(p) for p in out)
        intended = float(sum(scalar(p) for p in out))
        run, err = _try(lambda: h.graph(yt, yp))
        if err is not None:
            if matches(err, SHAPE_ERRORS + (r"rank",)):
                return confirmed(f"returns a list of {len(out)} parts [{parts}]; fit: {describe(err)}")
            return inconclusive(f"returns {len(out)} parts; fit raised {describe(err)}")
        if len(out) > 1 and not close(run.value, intended):
            return confirmed(f"returns {len(out)} parts [{parts}]; Keras averages them: loss {fmt(run.value)} "
                             f"instead of their sum {fmt(intended)}")
        return refuted(f"returns {len(out)} part(s); Keras reports {fmt(run.value)} = their sum")
    return h.no_baseline()


# -- TFS103: (B,) vs (B,1) broadcast ---------------------------------------------------------------
@probe("broadcast_rank")
def rank_broadcast(h: Harness, params: dict[str, Any]) -> Outcome:
    """The flagged op's operands (tapped) at batch 4 and 6: does axis 0 of the lower-rank one
    (tracking the batch size) line up with a non-batch axis of the other? Then the loss must
    show it: a shape error, or a batch value that differs from its samples taken one at a time."""
    names = list(params.get("signatures") or ())
    if not h.subject.keras_context or h.subject.kind == "loss_object":
        names.append("flat_binary")
    names += ["binary", "regression", "sequence", "image", "packed"]
    return _broadcast(h, names, params)


def _broadcast(h: Harness, names: list[str], params: dict[str, Any]) -> Outcome:
    """A misaligned broadcast confirms where the loss shows it (a shape error, a batch value that
    differs from its samples one at a time) on some layout; it is harmless only if no layout does."""
    aligned: list[str] = []
    harmless: list[str] = []
    unsure = ""
    #: a layout the loss body implies on which the flagged op broadcasts silently: then a shape
    #: error on a default layout (a prediction as wide as made-up labels) proves nothing
    silent_where_implied = ""
    for name in _with_reshaped(h, params.get("only") or order(names)):
        sig = SIGS[name]
        seen: list[tuple[int, tuple[int, ...], tuple[int, ...]]] = []
        errors: list[BaseException] = []
        values: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
        h.subject.seen.clear()  # the evidence quotes what this layout's runs saw
        for n in (4, 6):
            yt, yp = sig.make(n)
            h.subject.taps.clear()
            value, err = _try(lambda: h.value(yt, yp))
            taps = [t for t in h.subject.taps if t is not None][:2]
            if len(taps) == 2:
                seen.append((n, _shape(taps[0]), _shape(taps[1])))
            if err is not None:
                errors.append(err)
            else:
                values[n] = (yt, yp, value)
        if len(seen) < 2:
            if errors:
                h.failures.append((name, errors[0]))
            continue
        bad = [_misaligned(n, a, b) for n, a, b in seen]
        if not all(bad):
            aligned.append(f"{seen[0][1]} with {seen[0][2]}")
            if len(aligned) >= 2 and not harmless:
                break
            continue
        what = bad[0]
        shape_errors = [e for e in errors if matches(e, SHAPE_ERRORS)]
        if shape_errors and silent_where_implied:
            unsure = (f"the flagged op {what} and raises on {layout(sig)}, but on the layout the loss itself "
                      f"implies ({silent_where_implied}) it broadcasts without an error and the loss "
                      f"{'raised elsewhere' if errors else 'ran'}")
            continue
        if shape_errors:
            h.decided = name
            return confirmed(f"y_true/y_pred {layout(sig)}: the flagged op {what}: {describe(shape_errors[0])}")
        if 4 in values:
            yt, yp, value = values[4]
            reference, err = _try(lambda: h.singles(yt, yp))
            if err is None and math.isfinite(value) and not close(value, reference):
                h.decided = name
                return confirmed(f"y_true/y_pred {layout(sig)}{_seen(h)}: the flagged op {what}; batch of 4 gives "
                                 f"{fmt(value)}, the same samples one at a time {fmt(reference)}")
            if err is None and value == 0.0 and reference == 0.0:
                # a loss that is 0 both ways shows nothing about the broadcast
                unsure = f"the flagged op {what}, but the loss is 0 on {layout(sig)}, alone and in a batch"
                if name in JOB_ORDER:
                    silent_where_implied = silent_where_implied or layout(sig)
                continue
            if err is None:
                harmless.append(f"the flagged op {what}, but the loss equals its per-sample value ({fmt(value)}, "
                                f"{layout(sig)})")
                if name in JOB_ORDER:
                    silent_where_implied = silent_where_implied or layout(sig)
                continue
        if errors:
            unsure = f"the flagged op {what}; the loss raised {describe(errors[0])}"
        if name in JOB_ORDER:
            silent_where_implied = layout(sig)
    if harmless:
        where = "on the layout the loss itself implies" if unsure else "on every layout tried"
        return refuted(f"{harmless[0]}: the broadcast is harmless {where}")
    if aligned:
        return refuted("the flagged op's operands line up on the batch axis: " + "; ".join(aligned))
    if unsure:
        return inconclusive(unsure)
    if not h.subject.taps and not h.failures:
        return inconclusive("the flagged op was not reached on the synthetic inputs")
    return h.no_baseline(SHAPE_ERRORS)


def _shape(value: Any) -> tuple[int, ...]:
    shape = getattr(value, "shape", None)
    if shape is None:
        return tuple(np.shape(value))
    return tuple(-1 if d is None else int(d) for d in shape)


def _misaligned(batch: int, a: tuple[int, ...], b: tuple[int, ...]) -> str:
    """Why broadcasting ``a`` with ``b`` puts the batch axis of one against another axis, or ""."""
    low, high = (a, b) if len(a) < len(b) else (b, a)
    if len(low) == len(high) or not low or low[0] != batch:
        return ""
    axis = len(high) - len(low)
    if high[0] != batch:
        return ""
    return (f"broadcasts {_fmt_shape(low)} against {_fmt_shape(high)}: the batch axis of the first lines "
            f"up with axis {axis} of the second")


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _seen(h: Harness) -> str:
    if not h.subject.seen:
        return ""
    s = h.subject.seen[0]
    return f" (the loss saw y_true {s.y_true}, y_pred {s.y_pred} and returned {s.out})"


# -- TFS105: a sample picked by index --------------------------------------------------------------
@probe("batch_permutation")
def batch_permutation(h: Harness, params: dict[str, Any]) -> Outcome:
    """Reordering the samples must reorder a per-sample loss, not change it."""
    base = h.baseline(_signatures(params))
    if base is None:
        outcome = h.no_baseline(_BATCH_INDEX_ERRORS)
        peers = _stacked_peers_of_failures(h, params) if outcome.status == "confirmed" else ""
        if peers:
            return inconclusive(f"{outcome.evidence} (with one tensor whose axis 0 is the batch, as Keras passes it); "
                                f"but it is no bug if {peers}")
        return outcome
    perm = np.array([2, 0, 3, 1])
    out, err = _try(lambda: h.raw(base.y_true, base.y_pred))
    outp, err2 = _try(lambda: h.raw(base.y_true[perm], base.y_pred[perm]))
    failure = err or err2
    if failure is not None:
        return inconclusive(f"raw call failed: {describe(failure)}")
    if isinstance(out, list) or isinstance(outp, list):
        return inconclusive("the loss returns a list")
    if np.ndim(out) >= 1 and np.shape(out)[0] == 4 and np.shape(outp) == np.shape(out):
        same = np.allclose(outp, out[perm], rtol=1e-4, atol=1e-6)
        detail = f"sample 0's loss {fmt(scalar(out[0]))} becomes {fmt(scalar(outp[1]))} after reordering"
    else:
        same = close(scalar(out), scalar(outp), rtol=1e-4)
        detail = f"loss {fmt(scalar(out))} becomes {fmt(scalar(outp))} after reordering"
    node = _tap_follows(h, base, perm)
    if not same and node != "follows":
        found = (f"reordering the batch changes the per-sample losses ({detail}): an index on axis 0 picks "
                 f"one sample{node}")
        peers = _stacked_peers(h, base, params)
        if peers:
            # the symptom shows under one reading of what the loss receives (axis 0 the batch)
            # and not under the other the file leaves open (a list of batches, which a custom
            # loop or a multi-output model passes): which one the project uses decides the bug,
            # so neither confirmed nor refuted (refuted needs no symptom under every input)
            return inconclusive(f"{found} (with one tensor whose axis 0 is the batch, as Keras passes it); "
                                f"but it is no bug if {peers}")
        return confirmed(found)
    if not same:
        return refuted(f"{STILL_REORDERS} ({detail}), but the flagged index follows the "
                       "samples: the change comes from elsewhere")
    one, err = _try(lambda: h.value(*base.sig.make(1)))
    if err is not None and matches(err, (r"out of (bounds|range)", r"index")) and _names_flagged_index(err, params):
        return confirmed(f"batch of 1: {describe(err)}")
    return refuted("reordering the samples reorders the per-sample losses")


#: an index past the batch (``y_pred[4]`` of a batch of 4, ``gather(y, 4)``); never an input of
#: too few axes for the index ("Index out of range using input dim 2; input has only 2 dims"),
#: which a layout of higher rank gets past and which says nothing about the batch axis
_BATCH_INDEX_ERRORS = (r"of dimension 0 out of (bounds|range)", r"out of (bounds|range) for axis 0",
                       r"is not in \[0, \d+\)", r"index -?\d+ is out of (bounds|range)")


def _stacked_peers_of_failures(h: Harness, params: dict[str, Any]) -> str:
    """:func:`_stacked_peers` when no layout ran with one tensor (``y_pred[4]`` of a batch of 4
    raises): the reading is tried on the layouts that failed, in the order they were tried."""
    for name in dict.fromkeys(n for n, _ in h.failures):
        sig = SIGS[name]
        y_true, y_pred = sig.make(4)
        found = _stacked_peers(h, Base(sig, y_true, y_pred, float("nan")), params)
        if found:
            return found
    return ""


def _stacked_peers(h: Harness, base: Any, params: dict[str, Any]) -> str:
    """The other reading of a TFS105 finding on peers (``y_pred[0]``, ``y_pred[1]``, ... as
    anchor, positive, negative) of a loss the file never hands to Keras: the same code is a
    correct per-sample loss when ``y_pred`` is a list (or stack) of that many batches, as a
    custom loop or a multi-output model passes it. The probe runs that reading on the same
    samples and the text names it in the evidence; "" when it fails or also depends on the
    order of the samples, or when Keras is what calls the loss (one tensor, axis 0 the batch)."""
    reading = _stack_reading(h, params)
    if reading is None:
        return ""
    name, indices, k, side = reading
    shape = tuple(base.sig.pred_shape if side else base.sig.true_shape)
    # each peer a batch of the layout's samples, or (the (B, K, D) layout) of its last axes
    shapes = [shape] + ([shape[1:]] if shape and shape[0] == k and len(shape) > 1 else [])
    for peer_shape in reversed(shapes):
        stack = np.random.default_rng(k).uniform(0.05, 0.95, size=(k, 4) + peer_shape).astype("float32")
        how = _stack_is_per_sample(h, base, stack, side)
        if how:
            break
    else:
        return ""
    shown = ", ".join(f"{name}[{i}]" for i in indices)
    return (f"{name} is a stack of {k} batches ({shape_of(stack)}: {name}[i] the i-th batch, as a custom loop "
            f"or a list of model outputs passes them), where the loss takes {shown} as peers and is a correct "
            f"per-sample loss ({how}); the file never hands this loss to Keras, so which {name} it gets is "
            "not shown")


def _stack_is_per_sample(h: Harness, base: Any, stack: np.ndarray, side: int) -> str:
    """How the loss behaves as a correct per-sample loss with ``stack`` (K batches) as y_pred
    (``side`` 1) or y_true, the other side ``base``'s: "" when it raises or depends on the order."""
    perm = np.array([2, 0, 3, 1])
    yt, yp = (base.y_true, stack) if side else (stack, base.y_pred)
    ytp, ypp = (base.y_true[perm], stack[:, perm]) if side else (stack[:, perm], base.y_pred[perm])
    out, err = _try(lambda: h.raw(yt, yp))
    outp, err2 = _try(lambda: h.raw(ytp, ypp))
    if err is not None or err2 is not None or isinstance(out, list) or isinstance(outp, list):
        return ""
    if np.shape(outp) != np.shape(out) or not np.all(np.isfinite(np.asarray(out, dtype="float64"))):
        return ""
    if np.ndim(out) >= 1 and np.shape(out)[0] == 4 and np.allclose(outp, out[perm], rtol=1e-4, atol=1e-6):
        return "reordering the samples reorders its per-sample losses"
    if np.allclose(outp, out, rtol=1e-4, atol=1e-6):
        return f"reordering the samples leaves the loss at {fmt(scalar(out))}"
    return ""


#: batch_permutation's refutation when the loss still depends on the order of the samples
STILL_REORDERS = "reordering the batch changes the loss"


def _names_flagged_index(err: BaseException, params: dict[str, Any]) -> bool:
    """Whether a batch-of-1 index error can come from the flagged index: an error that names
    another index ("slice index 2" while the finding is about ``y_pred[0]``) comes from a
    second index in the same loss, not from this one. True when either is not known."""
    flagged = re.match(r"\s*\w+\[(-?\d+)\]", str(params.get("message") or ""))
    named = re.search(r"\bindex (-?\d+)\b", str(err))
    if flagged is None or named is None:
        return True
    return int(flagged.group(1)) == int(named.group(1))


def _tap_follows(h: Harness, base: Any, perm: np.ndarray) -> str:
    """"follows" when the tapped flagged value reorders with the samples; else a detail."""
    before = [np.asarray(t) for t in _base_taps(h, base) if t is not None]
    h.subject.taps.clear()
    _, err = _try(lambda: h.value(base.y_true[perm], base.y_pred[perm]))
    after = [np.asarray(t) for t in h.subject.taps if t is not None]
    if err or not before or not after or before[0].shape != after[0].shape:
        return ""
    a, b = before[0], after[0]
    if a.ndim >= 1 and a.shape[0] == len(perm) and np.allclose(b, a[perm], rtol=1e-5, atol=1e-7):
        return "follows"
    return f"; the flagged index gives {fmt(scalar(a))}, then {fmt(scalar(b))}"


# -- TFS106: per-sample weight times per-element loss ----------------------------------------------
#: a (B,) operand against a (B,T) one at B=4: "[4,3] vs. [4]", "are 3 and 4"
WEIGHT_ERRORS = (r"\[4,\s*\d+\] vs\. \[4\]", r"\[4\] vs\. \[4,\s*\d+\]", r"are \d+ and 4\b", r"are 4 and \d+")


@probe("weight_rank")
def weight_rank(h: Harness, params: dict[str, Any]) -> Outcome:
    """A (B,) weight on a (B,T) loss: the flagged weight and its partner (tapped) at batch 4
    and 6; for a Loss returning (B,T), Keras 3's own (B,) sample_weight."""
    if not params.get("flag_is_return"):
        return _broadcast(h, list(params.get("signatures") or ()) + ["regression", "packed", "sequence", "image"],
                          params)
    return _returned_weight_rank(h, params)


def _returned_weight_rank(h: Harness, params: dict[str, Any]) -> Outcome:
    ran = False
    for name in _signatures(params, ("regression", "packed", "sequence")):
        if name in ("binary", "sparse", "flat_binary", "flat", "square"):
            continue
        sig = SIGS[name]
        yt, yp = sig.make(4)
        value, err = _try(lambda: h.value(yt, yp))
        if err is not None:
            if matches(err, WEIGHT_ERRORS):
                return confirmed(f"T != B, y_true/y_pred {layout(sig)}: {describe(err)}")
            h.failures.append((name, err))
            continue
        ran = True
        if h.subject.keras_context:
            sw = np.array([1.0, 0.0, 1.0, 0.5], dtype="float32")
            _, err = _try(lambda: h.value(yt, yp, sw))
            if err is not None and matches(err, WEIGHT_ERRORS):
                return confirmed(f"sample_weight of shape (4,) with {layout(sig)}: {describe(err)}")
        break
    outcome = _square_case(h)
    if outcome is not None:
        return outcome
    if not ran:
        return h.no_baseline(SHAPE_ERRORS)
    return refuted("per-sample weights line up with the batch axis (T != B and T == B)")


def _square_case(h: Harness) -> Outcome | None:
    sig = SIGS["square"]
    yt, yp = sig.make(4)
    value, err = _try(lambda: h.value(yt, yp))
    if err is not None:
        if matches(err, SHAPE_ERRORS):
            return confirmed(f"T == B, y_true/y_pred {layout(sig)}: {describe(err)}")
        return None
    reference, err = _try(lambda: h.singles(yt, yp))
    if err is None and not close(value, reference):
        return confirmed(f"T == B == 4: batch gives {fmt(value)}, the same samples one at a time "
                         f"{fmt(reference)} (the weight runs along T)")
    if h.subject.keras_context:
        sw = np.array([1.0, 0.0, 0.0, 0.0], dtype="float32")
        got, err = _try(lambda: h.value(yt, yp, sw))
        ref, err2 = _try(lambda: h.singles(yt, yp, sw))
        if err is None and err2 is None and not close(got, ref):
            return confirmed(f"T == B == 4 with sample_weight [1,0,0,0]: {fmt(got)} instead of {fmt(ref)} "
                             "(the weight runs along T)")
    return None


# -- TFS107: constant sized like one batch ---------------------------------------------------------
@probe("batch_size_mismatch")
def batch_size_mismatch(h: Harness, params: dict[str, Any]) -> Outcome:
    """Batch sizes 1..16: a constant along the batch axis fits only one of them.

    A layout shaped after the constant itself (a ``(5, 3)`` weight read as ``(B, 5, 3)``
    inputs) always fits it: it is the rival reading of the constant, not evidence against the
    finding, so a clean run there decides only when no other layout shows the mismatch."""
    fitted: tuple[Sig, list[int]] | None = None
    for name in _signatures(params):
        sig = SIGS[name]
        ok: list[int] = []
        bad: list[tuple[int, BaseException]] = []
        other: BaseException | None = None
        sizes = list(range(1, 9))
        for b in sizes:
            _, err = _try(lambda: h.value(*sig.make(b)))
            if err is None:
                ok.append(b)
            elif matches(err, SHAPE_ERRORS):
                bad.append((b, err))
                sizes.extend(n for n in _sizes_named(err, b) if n not in sizes and n <= 4096)
            else:
                other = err
        if bad and ok:
            b, err = next(((b, e) for b, e in bad if b == 4), bad[0])
            shown = [n for n in ok if n != 1] or ok
            h.decided = name
            rival = f" (inputs shaped {layout(fitted[0])} would fit the constant; nothing in the loss " \
                    "body asks for them)" if fitted is not None else ""
            return confirmed(f"y_true/y_pred {layout(sig)}, batch {b}: {describe(err)}; only batch "
                             f"{', '.join(map(str, shown[:3]))} runs{rival}")
        if ok and not bad:
            if name.startswith("constant:") and not params.get("only"):
                fitted = fitted or (sig, ok)
                continue
            return _position_weights(h, sig, ok)
        if other is not None:
            h.failures.append((name, other))
    if fitted is not None:
        return _position_weights(h, *fitted)
    return h.no_baseline(SHAPE_ERRORS)


def _sizes_named(err: BaseException, batch: int) -> list[int]:
    """The other length in "Incompatible shapes: [4] vs. [32]": the constant's size."""
    return [int(n) for n in re.findall(r"\b(\d+)\b", str(err)) if int(n) != batch and int(n) > 0][:4]


def _position_weights(h: Harness, sig: Sig, sizes: list[int]) -> Outcome:
    perm = np.array([2, 0, 3, 1])
    yt, yp = sig.make(4)
    out, err = _try(lambda: h.raw(yt, yp))
    outp, err2 = _try(lambda: h.raw(yt[perm], yp[perm]))
    if err or err2 or isinstance(out, list):
        return inconclusive("runs at every batch size; the raw output could not be compared")
    if np.ndim(out) >= 1 and np.shape(out)[0] == 4 and np.shape(outp) == np.shape(out) \
            and not np.allclose(outp, out[perm], rtol=1e-4, atol=1e-6):
        return confirmed("runs at every batch size, but weights follow the position in the batch: "
                         "reordering the samples changes their losses")
    return refuted(f"runs at batch sizes {sizes[0]}..{sizes[-1]} and is independent of sample order")


# -- TFS108: scalar loss with sample_weight --------------------------------------------------------
@probe("sample_weight")
def sample_weight_effect(h: Harness, params: dict[str, Any]) -> Outcome:
    """sample_weight [1,0,0,0] must give the first sample's loss / 4, not scalar x mean(sw)."""
    if not h.subject.keras_context and h.subject.kind != "loss_object":
        # a Loss object takes sample_weight in its own ``__call__`` whoever calls it: a
        # function called by the file's loop gets none
        return inconclusive("called directly: Keras's sample_weight does not reach this loss")
    base = h.baseline(_signatures(params, ("onehot", "sparse") if _over_classes(h) else ()), nonzero=True)
    if base is None:
        return h.no_baseline()
    if negligible(base.value):
        # weights times zeros are zeros whichever way Keras applies them
        return _all_zero(base, "a weighting of zeros does not show how sample_weight is applied")
    sw = np.array([1.0, 0.0, 0.0, 0.0], dtype="float32")
    got, err = _try(lambda: h.value(base.y_true, base.y_pred, sw))
    traced = ""
    if err is not None and _legacy_squeeze(err):
        # tf_keras called eagerly cannot fit a (B,) weight to a scalar loss ("Can not squeeze
        # dim[0]"); fit traces the step, where it is silently scalar x mean(sw) when it expands
        # the weight to the (B, 1) predictions, and raises the same way otherwise
        run, err = _try(lambda: h.graph(base.y_true, base.y_pred, sw))
        if err is not None and _legacy_squeeze(err):
            return confirmed(f"sample_weight [1,0,0,0], traced as tf_keras's fit runs it: {describe(err)}: the "
                             "scalar the loss returns has no batch axis to weight")
        got, traced = (run.value, " (traced, as tf_keras's fit runs it)") if err is None else (got, "")
    if err is not None:
        return inconclusive(f"with sample_weight: {describe(err)}")
    h.weighted = got
    given = params.get("reference")
    if isinstance(given, float):
        # the variant is compared with the loss as written, each sample alone (at batch 1 the
        # per-sample variant and the original are the same loss): four runs saved
        reference, err = given, None
    else:
        reference, err = _try(lambda: h.singles(base.y_true, base.y_pred, sw))
    h.reference = reference if err is None else None
    if err is not None or not math.isfinite(reference):
        # a loss defined over the batch (pairs of samples, a ranking): no sample has a loss of
        # its own, so there is no weighted per-sample value to compare Keras's with
        alone = describe(err) if err is not None else f"gives {fmt(reference)}"
        return _weight_selection(h, base, got, f"the loss has no per-sample reference (each sample alone "
                                               f"{alone}: the loss is defined over the batch)")
    singles = h.single_values if not isinstance(given, float) else []
    if singles and all(negligible(v) for v in singles) and not negligible(base.value):
        # NT-Xent over the batch's pairs: one sample alone has no pair, a loss of 0, which says
        # nothing about how the batch's own per-sample values are weighted
        return _weight_selection(h, base, got, f"each sample alone gives 0 and the batch {fmt(base.value)}: the "
                                               "loss is defined over the batch")
    if singles and close(singles[0], base.value):
        # Keras's scalar x mean(sw) and sample 0's weighted loss are then the same number: the
        # inputs cannot tell how the weights are applied
        return inconclusive(f"sample 0's loss alone ({fmt(singles[0])}) equals the loss of the batch "
                            f"({fmt(base.value)}) on {layout(base.sig)}: weighting it alone cannot show how "
                            "sample_weight is applied")
    if close(got, reference):
        return refuted(f"sample_weight [1,0,0,0] weights each sample: {fmt(got)} = reference")
    node = [np.asarray(t) for t in _base_taps(h, base) if t is not None]
    if node and node[0].ndim >= 1 and node[0].shape[0] == len(base.y_true):
        return refuted(f"the flagged reduction keeps the batch axis ({shape_of(node[0])}); the weighting is "
                       f"lost elsewhere ({fmt(got)} instead of {fmt(reference)})")
    scaled = base.value * float(np.mean(sw))
    why = (f" (= unweighted {fmt(base.value)} x mean(sw) {fmt(float(np.mean(sw)))})" if close(got, scaled) else "")
    return confirmed(f"sample_weight [1,0,0,0]: Keras computes {fmt(got)}{why}{traced} instead of the per-sample "
                     f"weighted {fmt(reference)}")


def _legacy_squeeze(err: BaseException) -> bool:
    from tfshape_lint.verify._child.harness import LEGACY

    return LEGACY and "Can not squeeze dim[0]" in str(err)


def _base_taps(h: Harness, base: Any) -> list[Any]:
    """The flagged node's values on the baseline's inputs: those its run kept, else a run for
    them (a loss as slow as an eager CTC pays 40 ms a run); none when that run fails."""
    if base.taps:
        return list(base.taps)
    h.subject.taps.clear()
    _, err = _try(lambda: h.value(base.y_true, base.y_pred))
    return list(h.subject.taps) if err is None else []


def _weight_selection(h: Harness, base: Any, got: float, why: str) -> Outcome:
    """Without a per-sample reference (a loss over pairs of samples, a ranking, a loss that
    indexes its batch), whether the weights select samples at all: a per-sample loss weighted
    [1,0,0,0] and [0,1,0,0] gives two different samples' losses, a scalar gives Keras's
    unweighted x mean(sw) for both. The variant (the flagged reduction kept per sample) must
    then select them."""
    sw = np.array([0.0, 1.0, 0.0, 0.0], dtype="float32")
    other, err = _try(lambda: h.value(base.y_true, base.y_pred, sw))
    if err is not None or not (math.isfinite(got) and math.isfinite(other)):
        return inconclusive(f"sample_weight [1,0,0,0]: Keras computes {fmt(got)}, but {why}")
    if not close(got, other):
        return refuted(f"sample_weight [1,0,0,0] gives {fmt(got)} and [0,1,0,0] {fmt(other)}: the weights select "
                       f"samples ({why})")
    scaled = base.value * 0.25
    if close(got, scaled) and not close(base.value, 0.0):
        return confirmed(f"sample_weight [1,0,0,0] and [0,1,0,0] both give {fmt(got)} (= unweighted "
                         f"{fmt(base.value)} x mean(sw) 0.25): the weights select no sample ({why})")
    return inconclusive(f"sample_weight [1,0,0,0] and [0,1,0,0] both give {fmt(got)}, not the unweighted "
                        f"{fmt(base.value)} x mean(sw) 0.25 ({why})")


# -- TFS109: reduction none / sum ------------------------------------------------------------------
@probe("update_norm")
def reduction_scale(h: Harness, params: dict[str, Any]) -> Outcome:
    """The gradient norm as written vs with the default reduction, on the same batch: fit
    shows a mean, but a ``none``/``sum`` reduction makes the update the sum's."""
    hv = params.get("_variant")
    base = h.baseline(_signatures(params))
    if base is None:
        return h.no_baseline()
    if not isinstance(hv, Harness):
        return inconclusive(f"no counterfactual with the default reduction: {hv}")
    run, err = _try(lambda: h.eager(base.y_true, base.y_pred))
    ref, err2 = _try(lambda: hv.eager(base.y_true, base.y_pred))
    failure = err or err2
    if failure is not None or run.grad is None or ref.grad is None:
        return inconclusive(f"gradient runs failed: {describe(failure) if failure is not None else 'no gradient'}")
    g_o, g_v = float(np.linalg.norm(run.grad)), float(np.linalg.norm(ref.grad))
    if not (math.isfinite(g_o) and math.isfinite(g_v)) or g_v == 0:
        return inconclusive(f"gradient norms {fmt(g_o)} and {fmt(g_v)} cannot be compared")
    ratio = g_o / g_v
    shown = f"fit shows {fmt(run.value)} as written, {fmt(ref.value)} with {hv.description}"
    if ratio >= 1.5:
        return confirmed(f"batch of 4 {layout(base.sig)}: the gradient norm as written is {fmt(g_o)}, "
                         f"{ratio:.3g}x the {fmt(g_v)} with {hv.description} ({shown})")
    if close(g_o, g_v, rtol=0.02):
        return refuted(f"the gradient norm as written ({fmt(g_o)}) equals that with {hv.description}")
    return inconclusive(f"gradient norm {fmt(g_o)} as written vs {fmt(g_v)} with {hv.description}: "
                        "differs, but not by a batch-size factor")


# -- TFS110: static batch size ---------------------------------------------------------------------
@probe("unknown_batch")
def unknown_batch(h: Harness, params: dict[str, Any]) -> Outcome:
    """Traced as ``fit`` traces it, the batch dimension is None."""
    outcome = _unknown_batch(h, params)
    owner = params.get("untraced")
    if outcome.status == "confirmed" and owner and not params.get("counterfactual"):
        # seen only in a trace that nothing in the file is shown to make
        return inconclusive(f"{outcome.evidence}; but `{owner}` is a plain callable object the file neither hands "
                            "to Keras nor calls inside a tf.function: a custom loop that runs it eagerly gets the "
                            "static batch size, so whether that loop is traced decides")
    return outcome


def _unknown_batch(h: Harness, params: dict[str, Any]) -> Outcome:
    base = h.baseline(_signatures(params))
    if base is None:
        return _unknown_batch_failing(h, bool(params.get("counterfactual")))
    run, err = _try(lambda: h.graph(base.y_true, base.y_pred))
    if err is not None:
        return confirmed(f"traced with batch dim None (as fit does): {describe(err)}; eager at batch 4 runs")
    if not close(run.value, base.value):
        return confirmed(f"traced with batch dim None: loss {fmt(run.value)} vs {fmt(base.value)} eagerly")
    return refuted("traced with batch dim None: runs and matches the eager value")


def _unknown_batch_failing(h: Harness, variant: bool) -> Outcome:
    """A loss that fails eagerly on every input (a name its Keras lacks, further down): traced
    with the batch dimension None it may fail *earlier*, with an error of another kind, which
    is then the flagged node's. In the counterfactual run (the flagged size read from
    ``tf.shape``) the trace must get as far as the eager call does, stopping on the same error."""
    for name, eager_err in list(h.failures)[:3]:
        if name not in SIGS:
            continue
        yt, yp = SIGS[name].make(4)
        _, graph_err = _try(lambda: h.graph(yt, yp))
        if graph_err is None:
            continue
        h.decided = h.decided or name
        if _same_kind(graph_err, eager_err):
            if variant:
                return refuted(f"traced with batch dim None it gets as far as the eager call and stops on the "
                               f"same error ({describe(eager_err)})")
            break
        return confirmed(f"traced with batch dim None (as fit does): {describe(graph_err)}; eagerly the loss gets "
                         f"past that point and stops later, on {describe(eager_err)} (y_true/y_pred {layout(SIGS[name])})")
    return h.no_baseline()


def _same_kind(a: BaseException, b: BaseException) -> bool:
    """The same error raised eagerly and in a trace (whose messages name graph nodes, so only
    the type and the start of the cleaned message are compared)."""
    return type(a) is type(b) and describe(a)[:80] == describe(b)[:80]


def _with_reshaped(h: Harness, names: list[str]) -> Iterator[str]:
    """``names``, then the flat layout a failed reshape asked for (see ``Harness.baseline``)
    when every one of them failed that way."""
    yield from names
    flat = reshape_layout(h.failures)
    if flat is not None and flat not in names:
        yield flat


# -- TFS111: mask after reduction ------------------------------------------------------------------
@probe("mask_effect")
def mask_effect(h: Harness, params: dict[str, Any]) -> Outcome:
    """The flagged product's factors (tapped): a scalar times a mask cannot mask elements.
    Where the mask lines up with y_pred, moving y_pred only where the mask is 0 must leave a
    working masked loss unchanged."""
    per_element = ""
    structural = ""
    names = _signatures(params, ("sparse_seq", "regression", "sequence", "image", "binary"))
    for name in _with_reshaped(h, names):
        sig = SIGS[name]
        for pad in (0.0, -1.0):
            yt, yp = sig.make(4)
            yt = _pad_labels(yt, pad)
            run, err = _try(lambda: h.eager(yt, yp))
            if err is not None:
                h.failures.append((name, err))
                continue
            factors = [np.asarray(t) for t in run.taps if t is not None]
            if len(factors) < 2:
                return inconclusive("the flagged product could not be observed")
            scalars = [f for f in factors if f.size == 1]
            masks = [f for f in factors if f.size > 1]
            if not scalars or not masks:
                per_element = " x ".join(shape_of(f) for f in factors)
                continue
            mask, value = masks[0], float(scalars[0].reshape(()))
            zero = mask == 0
            if not zero.any():
                if np.ptp(mask) > 0 and not structural:
                    structural = (f"the per-element weight ({shape_of(mask)}, from {fmt(float(mask.min()))} to "
                                  f"{fmt(float(mask.max()))}) multiplies a scalar {fmt(value)}: it only rescales "
                                  "the loss")
                continue
            structural = (f"the mask ({shape_of(mask)}, {int(zero.sum())} zeros) multiplies a scalar "
                          f"{fmt(value)}: it only rescales the loss")
            outcome = _masked_move(h, yt, yp, zero, run.value, value)
            if outcome is not None:
                return outcome
    if structural:
        return confirmed(structural)
    if per_element:
        return refuted(f"the mask multiplies per-element values ({per_element})")
    return h.no_baseline()


def _pad_labels(yt: np.ndarray, pad: float) -> np.ndarray:
    out = yt.astype("float32") if yt.dtype.kind != "f" else yt.copy()
    flat = out.reshape(-1)
    flat[::3] = pad
    return out.astype(yt.dtype) if yt.dtype.kind != "f" and pad >= 0 else out


def _masked_move(h: Harness, yt: np.ndarray, yp: np.ndarray, zero: np.ndarray, before: float,
                 scalar_before: float) -> Outcome | None:
    """Move y_pred only where the mask is 0. An unchanged loss refutes only when the scalar the
    mask multiplies moved: when the scalar itself ignores those positions (a crossentropy of
    all-zero label rows), the unchanged loss says nothing about the mask (None)."""
    if yp.shape[:zero.ndim] != zero.shape:
        return None
    moved = yp.copy()
    moved[zero] = np.clip(1.0 - yp[zero], 0.05, 0.95)
    run, err = _try(lambda: h.eager(yt, moved))
    if err is not None or not math.isfinite(before):
        return None
    after = run.value
    scalars = [np.asarray(t) for t in run.taps if t is not None and np.asarray(t).size == 1]
    if close(before, after, rtol=1e-5, atol=1e-7):
        if not scalars or close(float(scalars[0].reshape(())), scalar_before, rtol=1e-5, atol=1e-7):
            return None
        return refuted(f"changing y_pred only where the mask is 0 leaves the loss at {fmt(before)}")
    return confirmed(f"changing y_pred only where the mask is 0 ({int(zero.sum())} positions) moves the loss "
                     f"{fmt(before)} -> {fmt(after)}: the mask multiplies an already reduced scalar")


# -- TFS201: int/bool masks ------------------------------------------------------------------------
#: the loss as written raised a dtype error: its variant is judged on that error alone
DTYPE_ERROR_CASE = "dtype_error"


@probe("dtype_mask")
def dtype_check(h: Harness, params: dict[str, Any]) -> Outcome:
    """Int masks raise; bool masks with ``*`` give bool results and no gradient. When the loss
    as written raised a dtype error, the variant is judged on that error alone: a gradient the
    cast does not bring back belongs to another construct (a comparison on the only path is
    TFS301's finding), not to the mask's dtype."""
    patterns = _patterns(params, DTYPE_ERRORS)
    errors_only = params.get("case") == DTYPE_ERROR_CASE
    ran = ""
    for name in _signatures(params):
        sig = SIGS[name]
        yt, yp = sig.make(4)
        run, err = _try(lambda: h.eager(yt, yp))
        if err is not None:
            if matches(err, patterns):
                h.case = DTYPE_ERROR_CASE
                return confirmed(f"{describe(err)} (y_true/y_pred {layout(sig)})")
            h.failures.append((name, err))
            continue
        raw, _ = _try(lambda: h.raw(yt, yp))
        if not errors_only and raw is not None and not isinstance(raw, list) and np.asarray(raw).dtype == bool:
            return confirmed("the loss returns a bool tensor (float * bool mask is a logical AND)")
        if not errors_only and run.grad is None and h.subject.role != "metric":
            return confirmed("gradient w.r.t. y_pred is None: fit raises 'No gradients provided for any variable'")
        graph, err = _try(lambda: h.graph(yt, yp))
        if err is not None and matches(err, patterns):
            h.case = DTYPE_ERROR_CASE
            return confirmed(f"in fit (graph): {describe(err)}")
        ran = layout(sig)
        break
    if not ran:
        return h.no_baseline(patterns)
    if errors_only:
        return refuted(f"runs without a dtype error ({ran})")
    if h.subject.role == "metric":
        return refuted(f"runs with float results ({ran}; a metric needs no gradient)")
    return refuted(f"runs with float results and a gradient ({ran})")


# -- TFS202: labels used as indices ----------------------------------------------------------------
@probe("fit_int_labels")
def float_labels(h: Harness, params: dict[str, Any]) -> Outcome:
    """Keras 3 fit hands integer labels over as float32; index ops then refuse them."""
    patterns = _patterns(params, (r"DataType (b?float|half|double)\w* not in (the )?list of allowed values",
                                  r"must be (an )?integer", r"expected to be a u?int\w* tensor but is a float",
                                  r"type float\w* that does not match type u?int"))
    # a Keras 2 file run under tf_keras only because Keras 3 lacks its backend names keeps the
    # Keras 3 claim: labels as float32, as Keras 3 fit (and tf_keras, for float label arrays) gives them
    dtype = params.get("labels_dtype") or ("int64" if _legacy_compile(h) and not _keras2_alias() else "float32")
    unreached: list[str] = []
    for name in _signatures(params, ("sparse", "binary", "onehot")):
        sig = SIGS[name]
        yt, yp = sig.make(4, labels_dtype=dtype)
        h.subject.taps.clear()
        run, err = _try(lambda: h.graph(yt, yp))
        if err is not None:
            if matches(err, patterns):
                return confirmed(f"labels arrive as {_label_dtype(h, dtype)}: {describe(err)}")
            h.failures.append((name, err))
            continue
        if h.subject.tapped and not h.subject.taps:
            # a branch the layout does not take (``if len(tf.shape(y_pred)) > 2``): no evidence
            unreached.append(f"{shape_of(yt)}/{shape_of(yp)}")
            continue
        return refuted(f"runs with {_label_dtype(h, dtype)} labels of shape {shape_of(yt)}")
    if unreached:
        return inconclusive(f"the flagged op was not reached on the layouts that run ({', '.join(unreached[:3])}): "
                            "a branch the probe inputs do not take")
    return h.no_baseline(patterns)


def _legacy_compile(h: Harness) -> bool:
    from tfshape_lint.verify._child.harness import LEGACY

    return LEGACY and h.subject.keras_context


def _keras2_alias() -> bool:
    """Whether this worker runs Keras 2 code under tf_keras only because Keras 3 lacks its
    backend names (the runner's ``keras2`` flavour): such a file's Keras 3 claims still hold."""
    return os.environ.get("TFSHAPE_LINT_KERAS_ALIAS") == "1"


def _label_dtype(h: Harness, dtype: str) -> str:
    from tfshape_lint.verify._child.harness import LEGACY

    if h.subject.keras_context and not LEGACY:
        return "float32 (Keras 3 casts y_true to the loss dtype)"
    if LEGACY and dtype == "float32" and _keras2_alias():
        return "float32 (as Keras 3 fit passes them; run under tf_keras for the Keras 2 backend names)"
    return dtype


# -- TFS301: no gradient ---------------------------------------------------------------------------
@probe("gradient")
def gradient(h: Harness, params: dict[str, Any]) -> Outcome:
    """An error-level finding claims the loss has no gradient at all: look at the loss's
    gradient w.r.t. y_pred. A warning claims the flagged term never trains: its value must
    change with y_pred while its gradient (tapped) is None or zero."""
    base = h.baseline(_signatures(params))
    if base is None:
        return h.no_baseline((r"No gradients provided",))
    run, err = _try(lambda: h.eager(base.y_true, base.y_pred, taps=True))
    if err is not None:
        return inconclusive(f"gradient run failed: {describe(err)}")
    if params.get("severity") != "warning":
        if run.grad is None:
            return confirmed(f"gradient w.r.t. y_pred is None{_fit_error(h, base.sig)}")
        if not np.any(run.grad):
            return confirmed("gradient w.r.t. y_pred is zero everywhere: the weights never change")
        graph, err = _try(lambda: h.graph(base.y_true, base.y_pred))
        if err is not None and matches(err, (r"No gradients",)):
            return confirmed(f"in fit: {describe(err)}")
        return refuted(f"the loss's gradient w.r.t. y_pred flows (mean |g| {fmt(float(np.abs(run.grad).mean()))})")
    if not run.taps:
        return inconclusive("the flagged term was not reached on the synthetic inputs")
    tapped, grad = run.taps[0], run.tap_grads[0] if run.tap_grads else None
    if grad is not None and np.any(grad):
        return refuted(f"the flagged term passes a gradient to y_pred (mean |g| {fmt(float(np.abs(grad).mean()))})")
    moved = _term_moves(h, base, np.asarray(tapped))
    what = "None" if grad is None else "zero"
    if not moved:
        return refuted("the flagged term does not change with y_pred, so it has nothing to train")
    return confirmed(f"the flagged term (shape {shape_of(tapped)}) changes with y_pred ({moved}) but gets a {what} "
                     "gradient: it shows in the loss but never trains")


#: predictions beyond (0, 1) that a term of a comparison with a threshold of the regression's
#: own scale may need to move (``pred < 3``, ``a + b - 10 >= 0``): uniform in 0 to 10, then in
#: -20 to 20 (drawn anew, not scaled from the probe's: a softmax row sums to 1 at any scale)
_WIDER = ((0.0, 10.0), (-20.0, 20.0))


def _term_moves(h: Harness, base: Any, before: np.ndarray) -> str:
    """How the tapped term's value changes when y_pred changes ("" if it never does); also
    with labels equal to the rounded predictions, where a count of mistakes is not constant,
    and with predictions spread beyond (0, 1) (``_WIDER``), where a comparison with a threshold
    of the outputs' own scale flips: a refutation must hold for every input tried."""
    yp = np.asarray(base.y_pred)
    labels = [np.asarray(base.y_true)]
    if labels[0].shape == yp.shape and labels[0].dtype.kind == "f":
        labels.append(np.round(yp).astype(labels[0].dtype))
    spread = np.random.default_rng(7)
    wider = [(spread.uniform(lo, hi, yp.shape).astype(yp.dtype), f" with predictions drawn in [{lo:g}, {hi:g}]")
             for lo, hi in _WIDER] if yp.dtype.kind == "f" else []
    changes = [(yp[..., ::-1].copy(), ""), ((1.0 - yp).astype(yp.dtype), ""), (yp[::-1].copy(), ""), *wider]
    for yt in labels:
        first, err = _try(lambda: h.eager(yt, yp, taps=True))
        if err is not None or not first.taps:
            continue
        start = np.asarray(first.taps[0])
        for changed, how in changes:
            run, err = _try(lambda: h.eager(yt, changed, taps=True))
            if err is not None or not run.taps:
                continue
            after = np.asarray(run.taps[0])
            if after.shape != start.shape or not np.allclose(after, start, rtol=1e-5, atol=1e-7):
                return f"mean {fmt(scalar(start))} -> {fmt(scalar(after))}{how}"
    return ""


def _fit_error(h: Harness, sig: Sig) -> str:
    if not h.subject.keras_context:
        return ""
    result = h.fit(sig)
    if result.error is not None:
        return f"; fit: {describe(result.error)}"
    return ""


# -- TFS302 / TFS303: graph mode -------------------------------------------------------------------
@probe("graph_trace")
def graph_trace(h: Harness, params: dict[str, Any]) -> Outcome:
    """TFS302: numpy on a symbolic tensor fails when fit traces the loss; numpy inside
    ``py_function`` runs but gives the tape nothing (a None or zero gradient)."""
    merged = {"errors": [r"symbolic", r"numpy", r"NotImplementedError"], "zero_grad": True}
    return graph_mode(h, {**merged, **params})


@probe("keras3_fit")
def keras3_fit(h: Harness, params: dict[str, Any]) -> Outcome:
    """TFS303: Keras 3 traces the loss without autograph, so Python ``if``/``for`` on a tensor
    raises; tf_keras (autograph) and custom loops under ``tf.function`` run it."""
    merged = {"errors": [r"OperatorNotAllowedInGraph", r"not allowed"]}
    return graph_mode(h, {**merged, **params})


@probe("graph_mode")
def graph_mode(h: Harness, params: dict[str, Any]) -> Outcome:
    """``fit`` traces the loss (no autograph in Keras 3): numpy and Python control flow fail.
    ``zero_grad``: a None/zero gradient w.r.t. y_pred also confirms (numpy hidden in
    ``py_function`` runs but the tape sees nothing)."""
    patterns = _patterns(params, (r"OperatorNotAllowedInGraph", r"symbolic", r"numpy", r"NotImplementedError",
                                  r"not allowed"))
    base = h.baseline(_signatures(params))
    if base is None:
        return h.no_baseline(patterns)
    _, graph_err = _try(lambda: h.graph(base.y_true, base.y_pred))
    if graph_err is not None and matches(graph_err, patterns):
        return confirmed(f"in fit (graph mode): {describe(graph_err)}")
    if params.get("zero_grad") and h.subject.role != "metric":
        run, err = _try(lambda: h.eager(base.y_true, base.y_pred))
        if err is not None and matches(err, patterns):
            return confirmed(f"eager gradient: {describe(err)}")
        if err is None and run.grad is None:
            return confirmed("the gradient w.r.t. y_pred is None: the tape cannot see through numpy")
        if err is None and not np.any(run.grad):
            return confirmed("the gradient w.r.t. y_pred is zero: the tape cannot see through numpy")
    if graph_err is not None:
        return inconclusive(f"in fit (graph mode) it raised {describe(graph_err)}, which is not this rule's bug")
    return refuted("runs in graph mode (as fit traces it) with a gradient")


# -- TFS401 / TFS402: exact 0 and 1 ----------------------------------------------------------------
@probe("boundary_values")
def edge_values(h: Harness, params: dict[str, Any]) -> Outcome:
    """Predictions at exactly 0 and 1 (ReLU outputs, saturated sigmoids), or logits of +-100
    when the loss takes logits; with ``nan_labels`` also labels that contain NaN.
    ``finite_value``: confirm only a finite loss whose gradient is NaN/inf (TFS402)."""
    logits = "logit" in h.subject.pred_name.lower()
    # a loss that applies sigmoid/softmax/exp itself takes scores: saturate them too (exp of a
    # score of -100 is 0 in float32, the log of a sum of them -inf)
    squashes = re.search(r"\b(sigmoid|softmax|exp)\(", h.subject.program) is not None
    # over classes (a softmax, a categorical crossentropy) a one-column layout is degenerate:
    # the softmax of one score is 1 whatever it is, so nothing reaches the flagged op's gradient
    preferred = ("onehot", "binary") if logits or _over_classes(h) else ("binary", "onehot", "regression", "image")
    base = h.baseline(_signatures(params, preferred))
    ordinary: list[tuple[str, np.ndarray, np.ndarray]] = []
    if base is None:
        # a loss that is already NaN/inf on ordinary inputs: that run is the first edge case
        nan_sig = next((SIGS[n] for n, e in h.failures if isinstance(e, FloatingPointError)), None)
        if nan_sig is None:
            return h.no_baseline()
        yt0, yp0 = nan_sig.make(4)
        base = Base(nan_sig, yt0, yp0, float("nan"))
        h.decided = h.decided or nan_sig.name
        ordinary = [("ordinary inputs", yt0, yp0)]
    if params.get("case") == "ordinary inputs" and not ordinary:
        ordinary = [("ordinary inputs", *base.sig.make(4))]
    cases = ordinary + (_logit_inputs(base.sig) if logits else _edge_inputs(base.sig, _takes_cosines(h.subject.program)))
    if squashes and not logits:
        cases += _logit_inputs(base.sig)
    yt, yp = base.sig.make(4)
    if yt.dtype.kind == "f":
        for pad in _padding_values(h.subject.program, params.get("bound_numbers") or (),
                                   params.get("marker_values") or ()):
            # one sample made entirely of padding (a sample with every label missing), the others
            # ordinary: a data pipeline yields that, never a whole batch of padding, so a count
            # of valid labels over the whole batch is not 0 here, a per-sample count is
            padded = yt.copy()
            padded[0] = pad
            cases.append((f"y_true of sample 0 all {pad:g} (padding)", padded, yp))
    nan_mode = _nan_label_mode(h.subject.program, h.subject.true_name) if params.get("nan_labels") else ""
    sentinel = _label_sentinel(h.subject.program, h.subject.true_name) if nan_mode == "guarded" else ""
    note = ""
    if sentinel:
        note = (f"; NaN labels were not tried: the loss marks missing labels with a value of its own (`{sentinel}`), "
                f"and its NaN test has a NaN source of its own upstream ({nan_source(h)})")
    elif nan_mode == "labels" and params.get("finite_value"):
        # TFS402 on a test of the labels for NaN: missing labels are the input the finding is
        # about, tried first (a costly loss, multi-scale SSIM, then runs once, not once per case)
        cases = _nan_label_inputs(base.sig) + cases
    elif nan_mode:
        cases += _nan_label_inputs(base.sig)
    checked = 0
    node_clean = 0
    inherited = 0
    skipped = 0  # inputs with a loss-level symptom not pinned on the flagged op
    reached = False
    if params.get("case"):
        cases = [c for c in cases if c[0] == params["case"]]
    elif params.get("exclude_cases"):  # a retry after an input that hit two hazards at once
        cases = [c for c in cases if c[0] not in params["exclude_cases"]]
    non_float: tuple[str, str, str] | None = None  # (input, dtype, flagged op's problem) of a non-float loss
    valueless = ""  # the first input on which the value itself was non-finite (TFS402), in words
    gradient_seen = False  # a gradient w.r.t. y_pred on some input: a finite one then means something
    op_values: list[list[np.ndarray]] = []  # what the flagged op gave on each input that ran
    for label, yt, yp in cases:
        run, err = _try(lambda: h.eager(yt, yp, taps=True, taps_if_nonfinite=True))
        if err is not None:
            continue
        checked += 1
        reached = reached or bool(run.taps)
        if run.taps:
            op_values.append([np.asarray(t) for t in run.taps if t is not None])
        gradient_seen = gradient_seen or run.grad is not None
        kind = _non_float_kind(run.out)
        if kind:
            problem = _node_problem(run) or ""
            if non_float is None or (not non_float[2] and problem):
                non_float = (label, kind, problem)
            continue
        outcome = _edge_verdict(label, run, bool(params.get("finite_value")))
        if outcome is None:
            if params.get("finite_value") and not math.isfinite(run.value) and not valueless:
                # TFS402's symptom is a NaN gradient behind a finite value: an input on which the
                # value itself is non-finite (an unguarded count of the missing labels elsewhere)
                # cannot show it, so it is no evidence against the finding
                valueless = f"with {label} the loss itself is {fmt(run.value)}"
            continue
        if nan_mode == "guarded" and label.startswith(NAN_LABELS):
            finite = "" if skipped else " (every finite input tried leaves the loss and its gradient finite)"
            return inconclusive(f"{outcome.evidence}; but only NaN labels show it, and the value the NaN test looks "
                                f"at has a NaN source of its own upstream ({nan_source(h)}), which the test may be "
                                f"there for: whether the labels can hold NaN is not shown{finite}")
        skipped += 1
        node = _node_problem(run)
        if node is None:
            if h.subject.tapped:  # the flagged op did not run on this input: no evidence about it
                continue
            h.case = label  # a program without a tap: the loss-level symptom is all there is
            return outcome
        if node == "inherited":
            inherited += 1
            continue
        if node:
            h.case = label
            return confirmed(f"{outcome.evidence}; the flagged op {node}")
        node_clean += 1
    if not checked:
        return inconclusive("the loss did not run on the edge inputs")
    what = "logits of +-100" if logits else "predictions at exactly 0 and 1"
    if params.get("case"):
        what = f"the same inputs ({params['case']})"
    if h.subject.tapped and not reached:
        return inconclusive(f"the flagged op was not reached with {what} ({layout(base.sig)}): a branch or "
                            "argument the probe inputs do not take")
    if non_float is not None:
        label, kind, node = non_float
        seen = f"; the flagged op {node} with {label}" if node else ""
        return inconclusive(f"the loss returns {kind} values (e.g. with {label}){seen}: another construct turns its "
                            f"float result into {kind}, which cannot show NaN/inf and has no gradient, so what the "
                            "flagged op does to training is not shown")
    if inherited and not node_clean:
        # NaN made upstream hides what the op would do with finite operands: the retry with the
        # loss's other findings neutralised (an upstream division guarded) can decide
        return inconclusive(f"the flagged op only passes on NaN/inf made upstream with {what} "
                            f"({layout(base.sig)}): whether it makes its own is not shown{note}")
    if not gradient_seen and h.subject.role != "metric" and not params.get("counterfactual"):
        # (in a counterfactual run the variant may cut the gradient itself: TFS402's stop_gradient)
        return inconclusive(f"the loss stays finite with {what} ({layout(base.sig)}), but it has no gradient "
                            "w.r.t. y_pred at all (a NumPy call or a non-differentiable op cuts the tape), so a "
                            f"NaN gradient from the flagged op cannot show{note}")
    if _same_everywhere(op_values):
        return inconclusive(f"the flagged op gives the same values on every input tried ({layout(base.sig)}): "
                            "in this layout its operand does not see the inputs (a slice past their width?), "
                            f"so its finite result says nothing{note}")
    if valueless:
        return inconclusive(f"{valueless} (made elsewhere in the loss), which hides whether the flagged op's "
                            f"gradient is NaN behind a finite value; the other inputs ({what}, "
                            f"{layout(base.sig)}) leave the loss and its gradient finite{note}")
    if node_clean:
        return refuted(f"{ELSEWHERE_NAN}, with {what} ({layout(base.sig)}); "
                       f"the loss's non-finite values come from elsewhere{note}")
    return refuted(f"finite loss and gradient with {what} ({layout(base.sig)}){note}")


def _same_everywhere(seen: list[list[np.ndarray]]) -> bool:
    """Whether the flagged op gave identical values on every input (two at least) that ran:
    an operand cut off from the inputs (``y_pred[:, 128:256]`` of a narrow probe input is
    empty, its sum 0 whatever the predictions), not evidence that the op is safe."""
    if len(seen) < 2 or not seen[0]:
        return False
    first = seen[0]
    return all(len(taps) == len(first) and all(_identical(a, b) for a, b in zip(taps, first)) for taps in seen[1:])


def _identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape and values, NaN equal to NaN where the values are floats."""
    if a.shape != b.shape:
        return False
    floats = np.issubdtype(a.dtype, np.floating) and np.issubdtype(b.dtype, np.floating)
    return bool(np.array_equal(a, b, equal_nan=floats))


def _all_zero(base: Base, why: str) -> Outcome:
    """Inconclusive: the baseline (asked for a nonzero loss) is exactly 0 on every layout."""
    return inconclusive(f"the loss is 0 on every layout tried (e.g. {layout(base.sig)}): {why}")


def _over_classes(h: Harness) -> bool:
    """The loss takes a softmax or a categorical crossentropy over its last axis: a layout of one
    column is degenerate there (the softmax of one score is 1 whatever it is)."""
    return re.search(r"softmax|categorical_crossentropy", h.subject.program) is not None


def _non_float_kind(out: Any) -> str:
    """The dtype name of a loss output that is not floating point (``bool``: a float loss
    multiplied by an uncast comparison; ``int32``); "" for a float output or one without a
    dtype. Such an output cannot be NaN, so a finite one refutes nothing."""
    dtype = getattr(out, "dtype", None)
    if dtype is None or getattr(dtype, "is_floating", True) or getattr(dtype, "is_complex", False):
        return ""
    return str(getattr(dtype, "name", dtype))


def _label_sentinel(program: str, true_name: str) -> str:
    """The comparison by which the loss marks missing labels with a value (``not_equal(y_true,
    0)``, ``y_true != -1``), as written; "" if none. Such a loss gets its missing labels as that
    value, not as NaN."""
    name = re.escape(true_name or "y_true")
    number = r"-?\s*\d+(?:\.\d*)?"
    found = re.search(rf"\b(?:not_equal|equal)\(\s*{name}\s*,\s*{number}\s*\)|\b{name}\s*[!=]=\s*{number}", program)
    return found.group(0) if found else ""


def _nonfinite(value: Any) -> bool:
    try:
        arr = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        return False
    return bool(arr.size) and not bool(np.all(np.isfinite(arr)))


def _node_problem(run: Any) -> str | None:
    """What is non-finite about the tapped flagged op ("" if nothing; None if it was not tapped)."""
    if not run.taps:
        return None
    if any(_nonfinite(v) for v in getattr(run, "inputs", [])):
        return "inherited"  # the op's operand already was NaN/inf: made upstream, not here
    for value, grad in zip(run.taps, run.tap_grads or [None] * len(run.taps)):
        arr = np.asarray(value, dtype="float64") if value is not None else np.zeros(())
        if not np.all(np.isfinite(arr)):
            return f"gives {int(np.sum(~np.isfinite(arr)))} non-finite values"
        if grad is not None and not np.all(np.isfinite(grad)):
            return f"has {int(np.sum(~np.isfinite(grad)))} non-finite gradient entries"
    return ""


@probe("nan_gradient")
def nan_gradient(h: Harness, params: dict[str, Any]) -> Outcome:
    """TFS402: the edge inputs plus NaN labels; only a finite loss with a NaN/inf gradient
    (the NaN hidden from the value, not from the weights) confirms."""
    return edge_values(h, {"nan_labels": True, "finite_value": True, **params})


#: the label of the NaN-label input (see ``_nan_label_inputs``)
NAN_LABELS = "y_true with NaN entries"
_NAN_TESTS = ("is_nan", "isnan", "is_finite", "isfinite", "is_inf", "isinf")
#: operations that make NaN/inf from finite inputs (0/0, log 0, sqrt of a negative)
_NAN_MAKERS = frozenset({"log", "sqrt", "rsqrt", "divide", "div", "truediv", "realdiv", "reciprocal", "pow",
                         "power", "log1p", "xdivy"})


def _nan_label_mode(program: str, true_name: str) -> str:
    """Whether NaN labels are an input the loss is written for (KERAS_FACTS 8f: ``tf.where`` is
    harmful only when the hidden branch's derivative is NaN/inf, so only such inputs show it).

    "labels": the loss tests ``y_true`` itself for NaN, or a value computed from it
    (``err = square(y_true - y_pred)``, then ``is_nan(err)``) with no NaN source of its own:
    missing labels are what the test is there for. "guarded": the tested value also has a
    NaN source upstream (``mask /= reduce_mean(mask)``, 0/0 on a batch of padding), which the
    test may be there for instead, so NaN labels alone cannot confirm. "": no such test."""
    name = true_name or "y_true"
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError):
        return ""
    derived = _label_derived(program, name)
    mode = ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and ast_callee_name(node) in _NAN_TESTS:
            tested = {n.id for n in ast.walk(node.args[0]) if isinstance(n, ast.Name)}
            if name in tested:
                return "labels"
            if tested & derived:
                if not _nan_source_upstream(tree, tested):
                    return "labels"
                mode = "guarded"
    return mode


def nan_source(h: Harness) -> str:
    """The upstream NaN source of ``_nan_label_mode``'s "guarded" case, in words."""
    try:
        tree = ast.parse(h.subject.program)
    except (SyntaxError, ValueError):
        return "a division or log"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and ast_callee_name(node) in _NAN_TESTS:
            found = _nan_source_upstream(tree, {n.id for n in ast.walk(node.args[0]) if isinstance(n, ast.Name)})
            if found:
                return f"`{found}`"
    return "a division or log"


def _nan_source_upstream(tree: ast.Module, tested: set[str]) -> str:
    """The first statement upstream of the tested names that can itself make NaN from finite
    inputs (a division, a fractional power, a log or sqrt), as source text; "" if none."""
    values: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        values.setdefault(n.id, []).append(node)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name):
            values.setdefault(node.target.id, []).append(node)
    seen: set[str] = set()
    todo = list(tested)
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for stmt in values.get(current, []):
            if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, (ast.Div, ast.FloorDiv, ast.Pow)):
                return _snippet(stmt)
            value = getattr(stmt, "value", None)
            for n in ast.walk(value) if value is not None else ():
                if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Div, ast.FloorDiv, ast.Pow)):
                    return _snippet(stmt)
                if isinstance(n, ast.Call) and ast_callee_name(n) in _NAN_MAKERS:
                    return _snippet(stmt)
                if isinstance(n, ast.Name) and n.id not in seen:
                    todo.append(n.id)
    return ""


def _snippet(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _label_derived(program: str, true_name: str) -> set[str]:
    """``true_name`` and every name assigned (transitively) from an expression that reads it."""
    names = {true_name}
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return names
    assigns: list[tuple[list[str], set[str]]] = []
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            stored = [t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)]
            read = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            assigns.append((stored, read))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            # a helper of the file called with a label-derived argument (``_reduce_mean(err)``):
            # its parameter holds labels too (``def _nan2zero(x): ... is_nan(x)``)
            params = [a.arg for a in functions[node.func.id].args.args]
            for param, arg in zip(params, node.args):
                assigns.append(([param], {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}))
    grown = True
    while grown:
        grown = False
        for stored, read in assigns:
            if read & names and not set(stored) <= names:
                names.update(stored)
                grown = True
    return names


_COMPARED_WITH = r"(?:!=|==|>=|<=|>|<|equal\([^()]*,)\s*"


def _padding_values(program: str, bound: Sequence[float] = (), markers: Sequence[float] = ()) -> list[float]:
    """Label values a batch may consist of entirely, making a label-derived count 0: -1 or 0
    when the loss compares labels with them (padding), the numbers the job bound the
    parameters the file never passes to (``mask_value`` = 0.5, see ``extract.param_bindings``)
    when the loss compares, and the value a missing module's marker constant ran as
    (``MAGIC_NUMBER``, see ``extract.compared_only``)."""
    found: list[float] = []
    if re.search(_COMPARED_WITH + r"-\s*1(?:\.0*)?\b", program):
        found.append(-1.0)
    if re.search(_COMPARED_WITH + r"0(?:\.0*)?(?![.\d])", program):
        found.append(0.0)
    if re.search(r"equal\(", program):
        found.extend(float(v) for v in bound if float(v) not in found)
    found.extend(float(v) for v in markers if float(v) not in found)
    return found


def _edge_verdict(label: str, run: Any, finite_value: bool) -> Outcome | None:
    value_ok = math.isfinite(run.value)
    grad = run.grad
    bad_grad = grad is not None and not np.all(np.isfinite(grad))
    if not value_ok and not finite_value:
        extra = f", gradient has {int(np.sum(~np.isfinite(grad)))} non-finite entries" if bad_grad else ""
        return confirmed(f"{label}: loss {fmt(run.value)}{extra}")
    if value_ok and bad_grad:
        count = int(np.sum(~np.isfinite(grad)))
        kind = "NaN" if np.any(np.isnan(grad)) else "inf"
        return confirmed(f"{label}: loss {fmt(run.value)} is finite but the gradient has {count} {kind} "
                         "entries (the weights become NaN after one step)")
    return None


#: a clip of the prediction down to -1 (``clip_by_value(cos, -1 + eps, 1 - eps)``): a cosine
_COSINE_CLIP = re.compile(r"clip\w*\([^(),]+,\s*(?:\w+\s*=\s*)?-\s*1(?:\.0*)?\b")
#: ``1 - x ** 2`` / ``1 - square(x)``: the sine of an angle from its cosine (ArcFace, CosFace)
_SINE_FROM_COSINE = re.compile(r"\b1(?:\.0*)?\s*-\s*(?:[\w.]*square\(|[\w.\[\]]+\s*\*\*\s*2\b)")


def _takes_cosines(program: str) -> bool:
    """The loss reads its prediction as a cosine in [-1, 1] (a margin loss on an embedding head),
    so -1 is an edge input as natural as 0 and 1 are for probabilities."""
    return bool(_COSINE_CLIP.search(program) or _SINE_FROM_COSINE.search(program))


def _edge_inputs(sig: Sig, cosines: bool = False) -> list[tuple[str, np.ndarray, np.ndarray]]:
    yt, yp = sig.make(4)
    if sig.labels in ("binary", "onehot", "float"):
        hard = (np.asarray(yt, dtype="float32") > 0.5).astype("float32")
    else:
        hard = np.zeros_like(yp)
    out = []
    if hard.shape == yp.shape:
        out.append(("y_pred == y_true exactly (0s and 1s)", _labels_like(yt, hard), hard.copy()))
        out.append(("y_pred = 1 - y_true exactly", _labels_like(yt, hard), (1.0 - hard).astype("float32")))
    if yt.dtype.kind == "f" and yt.shape == yp.shape:
        # a perfect prediction away from 0 and 1: a norm or variance of y_true - y_pred is exactly
        # 0 there (its sqrt has an infinite gradient) while logs of either stay finite
        out.append(("y_pred == y_true exactly, strictly inside (0, 1)", yp.astype(yt.dtype), yp.copy()))
    if sig.labels == "onehot" and hard.shape == yp.shape and yp.ndim == 2:
        # a batch of one class, predicted exactly: per-class statistics of the batch (a kappa's
        # expected-agreement matrix, a per-class count) are 0 off that class
        one = np.zeros_like(yp)
        one[:, 0] = 1.0
        out.append(("every sample of one class, predicted exactly", _labels_like(yt, one), one.copy()))
    if yt.ndim == 2 and yp.ndim == 2 and yt.dtype.kind == "f" and sig.labels in ("onehot", "binary", "float"):
        # every sample of a class of its own (one-hot over as many classes as samples): a count
        # of the batch's positive pairs (labels equal across samples, a semi-hard triplet loss's
        # denominator) is 0 there; the predictions as wide, ordinary
        own = np.eye(len(yt), dtype=yt.dtype)
        wide = np.random.default_rng(7).uniform(0.1, 0.9, size=own.shape).astype(yp.dtype)
        out.append(("every sample of a class of its own (4 classes)", own, wide))
    out.append(("y_pred all 0", yt, np.zeros_like(yp)))
    out.append(("y_pred all 1", yt, np.ones_like(yp)))
    single = np.zeros_like(yp)
    single.reshape(-1)[0] = 1.0
    out.append(("y_pred 0 but for one entry of 1 in the batch (one active ReLU unit)", yt, single))
    if cosines:
        out.append(("y_pred all -1 (cosines at the lower end of [-1, 1])", yt, -np.ones_like(yp)))
        if hard.shape == yp.shape:
            out.append(("y_pred = 2 * y_true - 1 exactly (cosines of -1 and 1)", _labels_like(yt, hard),
                        (2.0 * hard - 1.0).astype("float32")))
    out.append(("y_true all 0", np.zeros_like(yt), yp))
    out.append(("y_true and y_pred all 0", np.zeros_like(yt), np.zeros_like(yp)))
    if sig.labels in ("binary", "float"):
        # a batch without negatives: the denominator sum(1 - y_true) of a rate is 0
        out.append(("y_true all 1 (no negatives in the batch)", np.ones_like(yt), yp))
    if yt.dtype.kind == "f" and yt.shape == yp.shape:
        # labels on where predictions are off: a term that only counts where a label column is 1
        # (YOLO's object cells, gathered with tf.where) meets a prediction of exactly 0 there,
        # with a nonzero error (0s and 1s on both sides never put a 0 under a selected 1 here)
        out.append(("y_true all 1 and y_pred all 0", np.ones_like(yt), np.zeros_like(yp)))
    return out


def _logit_inputs(sig: Sig) -> list[tuple[str, np.ndarray, np.ndarray]]:
    yt, yp = sig.make(4)
    hard = (np.asarray(yt, dtype="float32") > 0.5).astype("float32")
    out = []
    if hard.shape == yp.shape:
        agreeing = (200.0 * hard - 100.0).astype("float32")
        out.append(("logits +-100 agreeing with y_true", _labels_like(yt, hard), agreeing))
        out.append(("logits +-100 against y_true", _labels_like(yt, hard), (100.0 - 200.0 * hard).astype("float32")))
    out.append(("logits all +100", yt, np.full_like(yp, 100.0)))
    out.append(("logits all -100", yt, np.full_like(yp, -100.0)))
    if yp.ndim >= 2 and yp.shape[-1] >= 2 and hard.shape != yp.shape:
        # class-index labels: a confident prediction of class 0, whose softmax is exactly 0 on
        # every other class in float32 (uniform logits above give no zero)
        peaked = np.full_like(yp, -100.0)
        peaked[..., 0] = 100.0
        out.append(("logits +100 on class 0, -100 on the others", yt, peaked))
    return out


def _nan_label_inputs(sig: Sig) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Labels with NaN entries; for a one-column layout, where a NaN entry is a whole sample's
    labels missing (a per-sample count of the present ones is then 0, and its own division
    makes the value NaN before the flagged op's gradient can show), also three columns with
    one missing per sample, as multi-target data has them."""
    yt, yp = sig.make(4)
    if yt.dtype.kind != "f":
        return []
    yt = yt.copy()
    yt.reshape(-1)[::3] = np.nan
    cases = [("y_true with NaN entries (missing labels)", yt, yp)]
    if yt.ndim == 2 and yt.shape[1] == 1 and yp.shape == yt.shape and sig.labels in ("float", "binary"):
        wide_true, wide_pred = SIGS["regression"].make(4)
        wide_true = wide_true.copy()
        wide_true[:, 0] = np.nan
        cases.append(("y_true (4, 3), the first of its 3 columns NaN (labels partly missing)", wide_true, wide_pred))
    return cases


def _labels_like(yt: np.ndarray, hard: np.ndarray) -> np.ndarray:
    return hard.astype(yt.dtype) if yt.shape == hard.shape else yt


# -- TFS505 and friends: the call itself fails -----------------------------------------------------
@probe("call_error")
def call_error(h: Harness, params: dict[str, Any]) -> Outcome:
    """Run the loss eagerly and in fit: the error the rule predicts, or a clean run."""
    patterns = _patterns(params, (r"unexpected keyword argument", r"has no attribute", r"takes \d+ positional"))
    base = h.baseline(_signatures(params))
    if base is None:
        return h.no_baseline(patterns)
    _, err = _try(lambda: h.graph(base.y_true, base.y_pred))
    if err is not None and matches(err, patterns):
        return confirmed(f"in fit: {describe(err)}")
    return refuted(f"runs eagerly and in fit ({layout(base.sig)})")


# -- TFS501 / TFS506: names the target Keras/TensorFlow no longer has ------------------------------
API_ERRORS = (r"has no attribute", r"No module named", r"cannot import name", r"unexpected keyword argument",
              r"takes \d+ positional")


def api_exists(obj: Any, build_error: BaseException | None, job: dict[str, Any]) -> Outcome:
    """Evaluate the flagged name (or replay the flagged call): AttributeError/ImportError/
    TypeError confirm; a name that resolves, or a call that runs, refutes."""
    if build_error is not None:
        if matches(build_error, API_ERRORS):
            return confirmed(describe(build_error))
        return inconclusive(f"evaluating it raised {describe(build_error)}")
    if job.get("context") == "direct" and callable(obj):
        yt, yp = SIGS["regression"].make(4)
        from tfshape_lint.verify._child.harness import tensors

        t, p, _ = tensors(yt, yp)
        _, err = _try(lambda: obj(t, p))
        if err is not None:
            if matches(err, API_ERRORS):
                return confirmed(describe(err))
            return inconclusive(f"the call raised {describe(err)}")
        return refuted("the flagged call runs")
    if isinstance(obj, str) and "Reduction." in str(job.get("message", "")):
        return _reduction_value(obj)
    name = getattr(obj, "__qualname__", None) or type(obj).__name__
    module = getattr(obj, "__module__", "") or ""
    return refuted(f"resolves to {module + '.' if module else ''}{name}")


def _reduction_value(value: str) -> Outcome:
    """A ``Reduction`` constant that exists: what the target Keras's ``Loss`` does with its value."""
    import keras  # type: ignore[import-untyped,unused-ignore]

    _, err = _try(lambda: keras.losses.MeanSquaredError(reduction=value))
    if err is not None:
        return confirmed(f"resolves to {value!r}, which keras {keras.__version__}'s Loss rejects: {describe(err)}")
    return refuted(f"resolves to {value!r}, which keras {keras.__version__}'s Loss accepts")


# -- TFS503: arguments swapped --------------------------------------------------------------------------
@probe("swap_arguments")
def swap_arguments(h: Harness, params: dict[str, Any]) -> Outcome:
    """The loss as written vs with its arguments swapped back, on the same inputs: a symmetric
    loss gives the same value either way (harmless), an asymmetric one does not."""
    hv = params.get("_variant")
    if not isinstance(hv, Harness):
        return inconclusive(f"no variant with the arguments swapped back: {hv}")
    ran = zero = ""
    for name in _signatures(params, ("onehot", "binary", "sparse")):
        yt, yp = SIGS[name].make(4)
        got, err = _try(lambda: _value_kind_and_node(h, yt, yp))
        got_v, err2 = _try(lambda: _value_kind_and_node(hv, yt, yp))
        if err2 is not None:
            h.failures.append((name, err2))
            continue
        if err is not None:
            return confirmed(f"y_true/y_pred {layout(SIGS[name])}: as written it raises {describe(err)}; with "
                             f"{hv.description} it gives {fmt(got_v[0])}")
        (v_o, dtype, node_o), (v_v, _, node_v) = got, got_v
        if dtype in ("bool", "int32", "int64"):
            return _swap_at_node(name, dtype, node_o, node_v, hv.description)
        if not (math.isfinite(v_o) and math.isfinite(v_v)) or not close(v_o, v_v, rtol=1e-4):
            return confirmed(f"y_true/y_pred {layout(SIGS[name])}: loss {fmt(v_o)} as written, {fmt(v_v)} with "
                             f"{hv.description}")
        if v_o == 0.0 and v_v == 0.0:
            # a loss that is 0 both ways says nothing about symmetry: a neutral binding of an
            # unbound parameter (or a mask it builds) can switch the whole loss off
            zero = f"0 either way ({layout(SIGS[name])})"
            continue
        ran = f"{fmt(v_o)} either way ({layout(SIGS[name])})"
        break
    if ran:
        return refuted(f"the loss is symmetric in its arguments: {ran}")
    if zero:
        return inconclusive(f"the loss is {zero} on every probe input, so it shows nothing about the "
                            "order of its arguments")
    return h.no_baseline()


def _value_kind_and_node(h: Harness, yt: np.ndarray, yp: np.ndarray) -> tuple[float, str, Any]:
    """The reported value, the dtype of what the loss returned, and the flagged call's value
    (its first tap; None when it was not tapped)."""
    from tfshape_lint.verify._child.harness import tensors, to_numpy

    h.subject.taps.clear()
    t, p, _ = tensors(yt, yp)
    out = h.subject.reported_fn()(t, p, None)
    dtype = getattr(getattr(out, "dtype", None), "name", "") or ""
    taps = [x for x in h.subject.taps if x is not None and getattr(getattr(x, "dtype", None), "is_floating", False)]
    return scalar(to_numpy(out)), dtype, (np.asarray(taps[0]) if taps else None)


def _swap_at_node(name: str, dtype: str, node_o: Any, node_v: Any, description: str) -> Outcome:
    """A loss that returns a ``bool``/int tensor (a mask's logical AND ate the value): its value
    says nothing about the order, so the flagged call's own value decides, when it was tapped."""
    where = f"y_true/y_pred {layout(SIGS[name])}"
    if node_o is None or node_v is None or np.shape(node_o) != np.shape(node_v):
        return inconclusive(f"{where}: the loss returns a {dtype} tensor, whose value shows nothing about "
                            "the order of the flagged call's arguments")
    a, b = float(np.mean(node_o)), float(np.mean(node_v))
    if np.allclose(node_o, node_v, rtol=1e-4, atol=1e-6):
        return refuted(f"{where}: the flagged call gives {fmt(a)} either way (the loss itself returns a "
                       f"{dtype} tensor)")
    return confirmed(f"{where}: the flagged call gives {fmt(a)} as written, {fmt(b)} with {description} "
                     f"(the loss itself returns a {dtype} tensor, which hides the difference)")


# -- TFS502: from_logits against the model's last activation --------------------------------------------
@probe("from_logits")
def from_logits(h: Harness, params: dict[str, Any]) -> Outcome:
    """A small model with the file's final activation: the compiled loss as written, the same
    loss with ``from_logits`` flipped, and the crossentropy of the logits (the intended value)."""
    from tfshape_lint.verify._child.harness import KERAS

    message = str(params.get("message") or "")
    # a loss of the file that hands the outputs to TensorFlow's crossentropy of logits reads
    # them as from_logits=True does, with no Keras Loss to recover the logits
    nn_logits = READS_LOGITS in message
    written_true = "sets from_logits=True" in message or nn_logits
    act = _activation_named(message) or ("softmax" if "softmax" in message else "sigmoid" if "sigmoid" in message
                                          else None)
    if written_true and act is None:
        return inconclusive("cannot tell the model's final activation from the finding")
    hidden = "hides it" in message
    units = _units(message, act)
    loss = h.subject.obj
    flipped = _flip_logits(loss, written_true, message)
    logits_loss = loss if written_true else flipped
    if flipped is None:
        return inconclusive(f"cannot flip from_logits on a {type(loss).__name__}")
    sparse = "sparse" in (getattr(loss, "name", "") or getattr(loss, "__name__", "") or type(loss).__name__).lower() \
        or "sparse_softmax_cross_entropy" in message
    x, y = _logit_data(units, sparse, act)
    shown_act = act if written_true else None
    as_written, err = _try(lambda: _evaluate(KERAS, loss, units, shown_act, hidden, x, y))
    variant, err2 = _try(lambda: _evaluate(KERAS, flipped, units, shown_act, hidden, x, y))
    intended, err3 = _try(lambda: _evaluate(KERAS, logits_loss, units, None, False, x, y))
    failure = err or err2 or err3
    if failure is not None:
        return inconclusive(f"the model probe failed: {describe(failure)}")
    model = f"Dense({units}{', ' + str(act) if shown_act else ''}){' + Reshape' if hidden else ''}"
    if close(as_written, intended, rtol=1e-3):
        if written_true and not hidden and "only the TensorFlow backend" in message:
            # the finding itself says TensorFlow undoes the activation: its symptom is on the
            # JAX and PyTorch backends, which the probe does not run
            return inconclusive(f"on {model}: loss {fmt(as_written)} as written = {fmt(intended)}, the crossentropy "
                                "of the logits: the TensorFlow backend recovers the logits, as the finding says; "
                                "the JAX and PyTorch backends, where it applies the activation twice, are not run")
        return refuted(f"on {model}: loss {fmt(as_written)} as written = {fmt(intended)}, the crossentropy of "
                       "the logits (Keras recovers the logits from the activation)")
    if close(variant, intended, rtol=1e-3):
        flip = "given the logits its activation squashed" if nn_logits else "with from_logits flipped"
        return confirmed(f"on {model}: loss {fmt(as_written)} as written; {flip} "
                         f"{fmt(variant)} = the crossentropy of the logits {fmt(intended)}")
    return inconclusive(f"on {model}: loss {fmt(as_written)} as written, {fmt(variant)} flipped, "
                        f"{fmt(intended)} from the logits")


#: how TFS502 words a loss that hands the outputs to TensorFlow's crossentropy of logits
READS_LOGITS = "reads the outputs as logits"


def _activation_named(message: str) -> str:
    """The last layer's activation the finding names (``applies softmax``), or ""."""
    named = re.search(r"applies (softmax|sigmoid)", message)
    return named.group(1) if named else ""


def _units(message: str, act: str | None) -> int:
    found = re.search(r"Dense\((\d+)", message) or re.search(r"Reshape\(\((\d+),", message)
    if found:
        return max(1, int(found.group(1)))
    return 1 if act == "sigmoid" else 3


def _flip_logits(loss: Any, current: bool, message: str = "") -> Any:
    import functools
    import inspect

    get_config = getattr(loss, "get_config", None)
    if callable(get_config) and hasattr(type(loss), "from_config"):
        config = dict(get_config())
        config["from_logits"] = not current
        try:
            return type(loss).from_config(config)
        except Exception:  # a Loss subclass whose config does not round-trip
            return None
    if not callable(loss):
        return None
    try:
        takes_flag = "from_logits" in inspect.signature(loss).parameters
    except (TypeError, ValueError):
        takes_flag = True
    import tensorflow as tf  # type: ignore[import-untyped,unused-ignore]

    if current and READS_LOGITS in message and not takes_flag:
        # TensorFlow's crossentropy of logits inside the loss: given back the logits that the
        # layer's activation squashed (their log-odds, or log-probabilities for a softmax),
        # which is what the loss expects to be given
        def logits_of(p: Any) -> Any:
            p = tf.clip_by_value(p, 1e-7, 1 - 1e-7)
            return tf.math.log(p) if "softmax" in _activation_named(message) else tf.math.log(p) - tf.math.log1p(-p)
        return lambda y_true, y_pred, *args, **kwargs: loss(y_true, logits_of(y_pred), *args, **kwargs)
    if takes_flag or current:
        return functools.partial(loss, from_logits=not current)
    # a loss of the file that hands its prediction to a crossentropy (``through
    # categorical_crossentropy`` in the finding): the activation that crossentropy expects,
    # applied to the logits first, is what from_logits=True would do inside it
    activate = tf.nn.softmax if "categorical" in message else tf.math.sigmoid
    return lambda y_true, y_pred, *args, **kwargs: loss(y_true, activate(y_pred), *args, **kwargs)


def _logit_data(units: int, sparse: bool, act: str | None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(8, 4)).astype("float32") * 3.0
    if sparse:
        return x, rng.integers(0, max(units, 2), size=(8, 1)).astype("int64")
    if units == 1 or act == "sigmoid":
        return x, (rng.uniform(size=(8, units)) > 0.5).astype("float32")
    return x, np.eye(units, dtype="float32")[rng.integers(0, units, size=8)]


def _evaluate(keras: Any, loss: Any, units: int, act: str | None, hidden: bool, x: np.ndarray,
              y: np.ndarray) -> float:
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    out = keras.layers.Dense(units, activation=act)(inp)
    if hidden:
        out = keras.layers.Reshape((units,))(out)
    model = keras.Model(inp, out)
    model.compile(optimizer="sgd", loss=loss)
    # the compiled test step on one batch: evaluate's own step, without its dataset and epoch
    # iterator (a third of the probe's time)
    out = model.test_on_batch(x, y)
    return float(out[0] if isinstance(out, (list, tuple)) else out)
