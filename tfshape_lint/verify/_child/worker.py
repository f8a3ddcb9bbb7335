"""Entry point of the verifier subprocess: ``python -m tfshape_lint.verify._child.worker``.

Protocol: after importing TensorFlow once it writes one JSON line ``{"ready": ...}`` (device,
Keras flavour) to its original stdout, then reads one JSON job per line on stdin and answers
each with one JSON result line. The user's code may print: fd 1 is pointed at /dev/null and
the protocol uses a private duplicate of the original stdout. Address space is capped with
``RLIMIT_AS`` once TensorFlow (and the GPU context) is up, so a loss that allocates without
bound fails with ``MemoryError`` or kills only this process.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import os
import re
import sys
import time
import types
from typing import Any, Callable, ContextManager, TextIO


def _protocol_streams() -> tuple[TextIO, TextIO]:
    """(jobs in, results out) on private duplicates of fds 0 and 1, which now point at
    /dev/null: a loss that prints or calls ``input()`` cannot touch the protocol."""
    jobs = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    return jobs, proto


def _send(proto: TextIO, data: dict[str, Any]) -> None:
    proto.write(json.dumps(data) + "\n")
    proto.flush()


def _vm_size() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cap_memory(extra_mb: int) -> str:
    """Limit the address space to what TensorFlow already mapped plus ``extra_mb``."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return "no memory cap (no resource module)"
    current = _vm_size()
    if not current or extra_mb <= 0:
        return "no memory cap"
    limit = current + extra_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return f"address space capped at {limit // 2**20} MiB"


def _setup_device(tf: Any) -> tuple[str, bool]:
    """(device description, whether it is a GPU). Memory growth keeps other users' GPU free."""
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):
            pass
    if not gpus:
        return "CPU", False
    try:
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "")
    except Exception:  # device details are best-effort
        name = ""
    return (f"GPU ({name})" if name else "GPU"), True


def _warm_up(harness: Any) -> None:
    """Pay the first trace and Keras import costs before the first finding is timed."""
    def mse(y_true: Any, y_pred: Any) -> Any:
        return harness.tf.reduce_mean(harness.tf.square(y_true - y_pred), axis=-1)

    h = harness.Harness(harness.Subject(mse, "function", "compile"))
    yt, yp = harness.SIGS["regression"].make(4)
    h.eager(yt, yp)
    h.graph(yt, yp)


def main() -> int:
    jobs, proto = _protocol_streams()
    start = time.perf_counter()
    try:
        import tensorflow as tf  # type: ignore[import-untyped,unused-ignore]

        from tfshape_lint.verify._child import harness, probes, sandbox
        if os.environ.get("TFSHAPE_LINT_KERAS_ALIAS") == "1":
            sandbox.alias_keras_to_tf_keras()
        else:
            sandbox.alias_keras_core_to_keras()
        if os.environ.get("TFSHAPE_LINT_KERAS2_BACKEND") == "1":
            sandbox.keras2_backend_on_keras3()
        device, is_gpu = _setup_device(tf)
        if is_gpu:
            tf.zeros((1,)).numpy()  # create the CUDA context before capping the address space
        _warm_up(harness)
        _restore_private_tf()
        _summaries_without_tensorboard()
    except BaseException as exc:  # report why the worker cannot start, then stop
        _send(proto, {"ready": False, "error": f"{type(exc).__name__}: {exc}"[:500]})
        return 3
    keras_name = f"{'tf_keras' if harness.LEGACY else 'keras'} {harness.KERAS.__version__}"
    memory = _cap_memory(int(os.environ.get("TFSHAPE_LINT_VERIFY_MEMORY_MB", "4096")))
    sandbox.install(os.environ.get("TFSHAPE_LINT_SANDBOX_DIR") or os.getcwd())
    _send(proto, {"ready": True, "device": device, "gpu": is_gpu, "keras": keras_name,
                  "tensorflow": tf.__version__, "memory": memory,
                  "startup_seconds": round(time.perf_counter() - start, 3)})
    for count, line in enumerate(jobs, 1):
        if not line.strip():
            continue
        job = json.loads(line)
        if count % 64 == 0:  # clear_session runs gc.collect (~0.15 s): not after every job
            harness.KERAS.backend.clear_session()
        imported = _import_installed(job.get("program") or "")
        began = time.perf_counter()
        status, evidence = run_job(job, harness, probes, is_gpu)
        _send(proto, {"id": job.get("id"), "status": status, "evidence": evidence,
                      "seconds": round(time.perf_counter() - began, 4), "import_seconds": round(imported, 4)})
    return 0


def _import_installed(program: str) -> float:
    """Import the installed packages a probe program imports at its top (``tensorflow_probability``,
    ``scipy``) that this worker has not imported yet; the seconds it took.

    Such an import is paid once per worker, as TensorFlow's own is (``tensorflow_probability``
    takes 0.8 s), so it is timed apart from the job: a job's seconds are the verification's
    own work. The project's own modules are not imported here (the job's paths are not on
    ``sys.path`` yet): they are part of the job. A failed import is left for the job to meet
    and report."""
    import ast
    import importlib
    import importlib.util

    began = time.perf_counter()
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError):
        return 0.0
    for name in _top_imports(tree):
        if name in sys.modules:
            continue
        try:
            if importlib.util.find_spec(name.partition(".")[0]) is not None:
                importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - the job meets the same failure and reports it
            continue
    return time.perf_counter() - began


def _top_imports(tree: Any) -> list[str]:
    """Absolute module names the program imports at module level, directly or in the ``try``
    blocks that wrap each of the file's imports."""
    import ast

    names: list[str] = []
    stack = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.Try):
            stack[:0] = node.body
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.append(node.module)
    return names


def run_job(job: dict[str, Any], harness: Any, probes: Any, is_gpu: bool) -> tuple[str, str]:
    """Build the loss (as written and with the flagged node neutralised) and run the probe."""
    added = [p for p in job.get("paths") or [] if p not in sys.path]
    sys.path[:0] = added
    harness.set_job_layouts(job.get("layouts") or [])
    _PRIVATE_USED.clear()
    _SUMMARIES_USED.clear()
    state = _global_state(harness)
    try:
        status, evidence = _run_job(job, harness, probes, is_gpu)
        if status == "inconclusive" and harness.wants_float64(evidence):
            status, evidence = _in_float64(job, harness, probes, is_gpu, (status, evidence))
        if status == "inconclusive" and _UNREACHED.search(evidence) and _DATA_FORMAT.search(job["program"]):
            status, evidence = _in_other_data_format(job, harness, probes, is_gpu, (status, evidence))
        if status == "inconclusive" and job.get("context") == "unknown" and _FLOAT_INDICES.search(evidence):
            status, evidence = _in_direct_call(job, harness, probes, is_gpu, (status, evidence))
    finally:
        for path in added:
            while path in sys.path:
                sys.path.remove(path)
        _restore_global_state(harness, state)
    if status == "inconclusive" and job.get("unbound"):
        evidence = f"{job['unbound']}: {evidence}"
    if job.get("binding_note"):
        evidence = f"{evidence} [{job['binding_note']}]"
    note = job.get("flavour_note") or ""
    if note:
        evidence = f"{evidence} [{note}]"
    return status, harness.clean_text(evidence)


def _global_state(harness: Any) -> dict[str, Any]:
    """The process-wide TensorFlow and Keras settings a loss's own code may change while it is
    built (``tf.config.run_functions_eagerly(True)`` in a factory, ``K.set_floatx``,
    ``K.set_epsilon``): the next job in this worker must not inherit them (a later "graph mode"
    run would be eager and show nothing)."""
    return {name: get() for name, (get, _) in _settings(harness).items()}


def _restore_global_state(harness: Any, state: dict[str, Any]) -> None:
    for name, (get, put) in _settings(harness).items():
        if get() != state[name]:
            put(state[name])


def _settings(harness: Any) -> dict[str, tuple[Any, Any]]:
    """Each process-wide setting a job must not leave behind: (getter, setter)."""
    backend, config = harness.KERAS.backend, harness.tf.config
    return {"eager": (config.functions_run_eagerly, config.run_functions_eagerly),
            "floatx": (backend.floatx, backend.set_floatx),
            "epsilon": (backend.epsilon, backend.set_epsilon),
            "image_data_format": (backend.image_data_format, backend.set_image_data_format)}


def _in_float64(job: dict[str, Any], harness: Any, probes: Any, is_gpu: bool,
                first: tuple[str, str]) -> tuple[str, str]:
    """The job again with float64 inputs and ``floatx`` float64, for a loss whose float64
    constants met the float32 inputs: the project it comes from sets ``floatx`` to float64
    (Keras 2 survival code does); ``first`` when the retry fails the same way."""
    return _again(job, harness, probes, is_gpu, first, harness.float64_mode(), harness.wants_float64,
                  "run in float64, with Keras's floatx float64: the loss's float64 constants raise on float32 "
                  "inputs, so its project computes in float64")


#: evidence saying an index op refused the float labels Keras 3 hands a loss (``one_hot`` of
#: ``y_true``: "Value for attr 'TI' of float is not in the list of allowed values: uint8, ...")
_FLOAT_INDICES = re.compile(r"(of float|DataType float\d*) (is )?not in (the )?list of allowed values: [^\n]*int")


def _in_direct_call(job: dict[str, Any], harness: Any, probes: Any, is_gpu: bool,
                    first: tuple[str, str]) -> tuple[str, str]:
    """The job again as a direct call with the integer labels as they are, for a loss nothing
    in the file hands to Keras whose labels are indices (``sparse_entmax15_loss_with_logits(labels,
    logits)``): in Keras 3 ``fit`` it fails before the flagged node (TFS202's finding, not this
    one), a custom loop passes it integers; ``first`` when it fails the same way."""
    return _again(dict(job, context="direct"), harness, probes, is_gpu, first, contextlib.nullcontext(),
                  _FLOAT_INDICES.search,
                  "run as a direct call with integer labels: nothing here hands the loss to Keras, and Keras 3's "
                  "float labels fail at its index op before the flagged node")


def _again(job: dict[str, Any], harness: Any, probes: Any, is_gpu: bool, first: tuple[str, str],
           setting: ContextManager[Any], fails_alike: Callable[[str], object], note: str) -> tuple[str, str]:
    """The job again under ``setting``, its evidence noting why; ``first`` when it stays
    inconclusive for the same reason (``fails_alike`` of its evidence)."""
    with setting:
        status, evidence = _run_job(job, harness, probes, is_gpu)
    if status == "inconclusive" and fails_alike(evidence):
        return first
    return status, f"{evidence} [{note}]"


#: evidence saying the flagged node never ran on the probe's inputs
_UNREACHED = re.compile(r"the flagged (?:node never ran|op was not reached)")
#: a test of Keras's image data format in the program (``if K.image_data_format() == ...``)
_DATA_FORMAT = re.compile(r"\bimage_data_format\(\)")


def _in_other_data_format(job: dict[str, Any], harness: Any, probes: Any, is_gpu: bool,
                          first: tuple[str, str]) -> tuple[str, str]:
    """The job again with Keras's ``image_data_format`` switched, for a flagged node that never
    ran and a loss that branches on the format (Faster R-CNN's ``if K.image_data_format() ==
    'channels_first':`` losses): a project configured the other way runs that branch. ``first``
    when the node stays unreached there too (the setting is restored after the job)."""
    backend = harness.KERAS.backend
    other = "channels_first" if backend.image_data_format() == "channels_last" else "channels_last"
    backend.set_image_data_format(other)
    return _again(job, harness, probes, is_gpu, first, contextlib.nullcontext(), _UNREACHED.search,
                  f"run with Keras's image_data_format {other!r}: the flagged node sits in the branch for it")


def _run_job(job: dict[str, Any], harness: Any, probes: Any, is_gpu: bool) -> tuple[str, str]:
    namespace = _namespace(job)
    try:
        harness.KERAS.utils.set_random_seed(0)
        obj, build_error = _build(job, namespace, job["program"], "")
        if job["probe"] == "api_exists":
            outcome = probes.api_exists(obj, build_error, job)
            return outcome.status, outcome.evidence
        if build_error is not None:
            raise build_error
        h = _harness(job, harness, obj, namespace, is_gpu)
        if isinstance(h, str):
            return "inconclusive", h
        hv = _variant_harness(job, harness, is_gpu)
        params = dict(job.get("params") or {})
        for each in (h, hv):
            if each is not None and not isinstance(each, str):
                each.batch_parts = int(params.get("batch_parts") or 1)
        params.update(severity=job.get("severity", ""), message=job.get("message", ""),
                      flag_is_return=bool(job.get("flag_is_return")), code=job.get("code", ""),
                      keras_fed=bool(job.get("keras_fed")), marked=bool(job.get("tapped") or job.get("reach")))
        outcome = probes.counterfactual(job["probe"], h, hv, params)
        status, evidence = outcome.status, outcome.evidence
        if status == "refuted" and (job.get("tapped") or job.get("reach")) and not h.subject.reached:
            # no symptom, but the flagged node never ran: nothing about it was observed
            status, evidence = "inconclusive", (
                f"the flagged node never ran on the probe's inputs (a branch or argument they do not take), so "
                f"its absence of symptoms says nothing: {evidence}")
        extra = [n for n in harness.extra_required_names(obj) if not harness.CLASS_COUNT.match(n)] \
            if getattr(h.subject, "extra_args", 0) else []
        if status == "inconclusive" and extra:
            evidence = (f"the loss needs {', '.join(f'`{n}`' for n in extra)} beyond (y_true, y_pred), which the "
                        f"file never passes; the probe gave per-sample weights (B,): {evidence}")
        if getattr(h.subject, "unpacked", False):
            evidence += " [the loss returns a tuple; its first element was taken as the loss, as a custom loop unpacks it]"
        aliased = namespace.get("__tfs_star_aliases__") or []
        if aliased:
            evidence += (f" [the file reads names its failed star import would give; the probe ran "
                         f"{', '.join(f'`{text}`' for text in aliased)}]")
        used = sorted(set(namespace.get("__tfs_tf1_used__") or []))
        if used:
            evidence += f" [TF 1 names run through tf.compat.v1: {', '.join('tf.' + n for n in used[:3])}]"
        if _SUMMARIES_USED:
            evidence += (f" [{', '.join(sorted(set(_SUMMARIES_USED)))} ran as a no-op: TensorBoard, which writes "
                         "summaries, is not installed, and a summary does not change the loss]")
        if _PRIVATE_USED:
            evidence += (f" [TensorFlow's private {', '.join(sorted(set(_PRIVATE_USED)))}, gone in this TensorFlow, "
                         "ran as its public replacement]")
        evidence += _stand_in_note(namespace)
        evidence += _bare_note(namespace)
        evidence += _base_note(h.subject)
    except SystemExit as exc:
        status, evidence = "inconclusive", f"the loss called sys.exit({exc.code!r})"
    except BaseException as exc:  # a crash in building or probing is this finding's verdict
        status, evidence = "inconclusive", f"building the loss raised {harness.describe(exc)}"
    if status == "inconclusive":
        evidence = _explain_missing(evidence, job, namespace)
    return status, evidence


def _bare_note(namespace: dict[str, Any]) -> str:
    """Which class was built without its constructor (it failed on the probe's arguments), and
    why; "" when none was."""
    bare = namespace.get("__tfs_bare__") or []
    if not bare:
        return ""
    name, error = bare[0]
    return (f" [`{name}` was built without running its constructor, which failed on placeholder "
            f"arguments ({str(error).split('(')[0]}); the loss method does not need what it sets]")


def _stand_in_note(namespace: dict[str, Any]) -> str:
    """Which names of a missing module ran as stand-ins (a do-nothing one for a name the file
    only calls for its effect, such as a logger; a record of neutral settings for one it only
    reads settings of), and why; "" when none did."""
    notes = []
    for helper, role, use in (("__tfs_absent__", "a do-nothing stand-in", "calls it for its effect or enters it as a context"),
                              ("__tfs_record__", "a record whose every setting is 0.5", "reads named settings of it"),
                              ("__tfs_pass_through__", "the identity",
                               "calls it as `a, b = f(a, b)`, handing its arguments back"),
                              ("__tfs_decorator__", "a decorator handing back what it decorates",
                               "uses it as a decorator"),
                              ("__tfs_base__", "a bare base class (its constructor does nothing)",
                               "derives classes from it"),
                              ("__tfs_sentinel__", "-9999, a value no probe input holds unless a probe puts it there",
                               "tests values for equality with it")):
        kind = namespace.get(helper)
        names = sorted(n for n, v in namespace.items() if isinstance(kind, type) and (
            isinstance(v, kind) or isinstance(v, type) and vars(v).get("__tfs_stands_for__") is kind))
        if not names:
            continue
        imports = dict.fromkeys(found for found in (_failed_import(namespace, n) for n in names) if found is not None)
        failed = "; ".join(f"`{stmt}` failed ({error.split('(')[0]})" for stmt, error in imports)
        shown = ", ".join(f"`{n}`" for n in names)
        notes.append(f" [{shown} ran as {role}: {failed}, and the file only {use}]")
    return "".join(notes)


def _harness(job: dict[str, Any], harness: Any, obj: Any, namespace: dict[str, Any], is_gpu: bool,
             rebuild: str | None = None) -> Any:
    """A harness around the built loss, or a string saying why the object cannot be probed
    (``rebuild``: the variant's program, when it is not the job's)."""
    subject = harness.Subject(obj, job.get("kind", "function"), job.get("context", "compile"),
                              pred_name=str(job.get("pred_name") or ""),
                              true_name=str(job.get("true_name") or ""),
                              program=str(job.get("program") or ""), role=str(job.get("role") or "loss"),
                              tapped=bool(job.get("tapped")),
                              extra_shapes=[tuple(x) if x is not None else None
                                            for x in job.get("extra_shapes") or []],
                              unpack_tuple=job.get("code") != "TFS101",
                              extra_batches=[int(k) for k in job.get("extra_batches") or []],
                              pred_first=bool(job.get("pred_first")), adversarial=bool(job.get("adversarial")),
                              model_args=list(job.get("model_args") or []),
                              model_parts={str(k): int(v) for k, v in (job.get("model_parts") or {}).items()},
                              packed={str(k): int(v) for k, v in (job.get("packed") or {}).items()})
    namespace["__tfs_tap__"] = subject.tap
    namespace["__tfs_tap_in__"] = subject.tap_in
    namespace["__tfs_reach__"] = subject.reach
    subject.factory = _defaults_factory(namespace, str(job.get("program") if rebuild is None else rebuild),
                                        job.get("mode") == "autograph" and rebuild is not None, harness)
    problem = _check_subject(harness, subject)
    if problem:
        return problem
    harness.add_constant_layouts(subject.obj, namespace)
    return harness.Harness(subject, jit=is_gpu and bool(job.get("jit", True)))


def _variant_harness(job: dict[str, Any], harness: Any, is_gpu: bool) -> Any:
    """The counterfactual's harness; None when the probe needs none; a string saying why not."""
    mode = job.get("mode", "edit")
    if mode == "self":
        return None
    if mode == "autograph":
        program = job.get("variant") or job["program"]
        description = "the Python control flow converted by autograph (as tf.function does)"
        if job.get("variant"):
            description = f"{job.get('variant_desc')} and {description}"
    else:
        program, description = job.get("variant"), str(job.get("variant_desc") or "the flagged node neutralised")
    if not program:
        return job.get("variant_error") or "no neutral variant of the flagged node"
    namespace = _namespace(job)
    harness.KERAS.utils.set_random_seed(0)
    obj, error = _build(job, namespace, program, "_v")
    if error is not None:
        return f"the variant could not be built: {harness.describe(error)}"
    if mode == "autograph":
        obj = _autographed(harness, obj)
    # the loss itself is a tf.function with autograph now: the step around it needs no conversion
    h = _harness(job, harness, obj, namespace, is_gpu, rebuild=program)
    if not isinstance(h, str):
        h.description = description
    return h


_DEFAULTS_BUILD = re.compile(r"def __tfs_build__\(\):\n    return ([A-Za-z_]\w*)\(\)\n*$")


def _defaults_factory(namespace: dict[str, Any], program: str, autograph: bool, harness: Any) -> Any:
    """The module-level factory when the program builds the loss as ``factory()`` (a factory the
    file never calls, run with its defaults), as ``(**flags) -> loss``; None otherwise."""
    found = _DEFAULTS_BUILD.search(program)
    factory = namespace.get(found.group(1)) if found else None
    if not isinstance(factory, types.FunctionType):
        return None
    if not autograph:
        return factory
    return lambda **flags: _autographed(harness, factory(**flags))


class _TF1Fallback:
    """A view of a TensorFlow module whose missing TF 1 names come from ``tf.compat.v1``, so a
    loss written for TF 1 reaches its own bug (TFS506 itself is verified on the real module)."""

    def __init__(self, module: Any, legacy: Any, used: list[str]) -> None:
        self._module, self._legacy, self._used = module, legacy, used

    def __getattr__(self, name: str) -> Any:
        try:
            value = getattr(self._module, name)
        except AttributeError:
            value = getattr(self._legacy, name)  # AttributeError again when TF 1 lacks it too
            self._used.append(name)
            return value
        legacy = getattr(self._legacy, name, None)
        if isinstance(value, types.ModuleType) and isinstance(legacy, types.ModuleType):
            return _TF1Fallback(value, legacy, self._used)
        if isinstance(value, types.FunctionType) and callable(legacy) and legacy is not value:
            return _tf1_keywords(name, value, legacy, self._used)
        return value


def _tf1_keywords(name: str, modern: Any, legacy: Any, used: list[str]) -> Any:
    """``modern`` that hands a call with a keyword only TF 1 knew (``tf.reduce_sum(x,
    keep_dims=True)``, ``tf.nn.dropout(x, keep_prob=0.5)``) to the ``tf.compat.v1`` function,
    which still takes it; TensorFlow rejects the keyword before computing anything."""

    @functools.wraps(modern)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return modern(*args, **kwargs)
        except TypeError as exc:
            keyword = next((k for k in kwargs if f"keyword argument '{k}'" in str(exc)), None)
            if keyword is None:
                raise
            used.append(f"{name}({keyword}=)")
            return legacy(*args, **kwargs)

    return call


#: TensorFlow's private names that code written for TF 2.0-2.15 imports and TF 2.21 dropped,
#: with the public function that replaces each (CORAL's ordinal losses call
#: ``tensorflow.python.ops.convert_to_tensor_v2``; box losses of ``from tensorflow.python import
#: ops`` call ``ops.convert_to_tensor``): without them the loss dies before its bug
_PRIVATE_TF = (("tensorflow.python.ops", "convert_to_tensor_v2", "convert_to_tensor"),
               ("tensorflow.python.ops", "convert_to_tensor", "convert_to_tensor"),
               ("tensorflow.python.framework.ops", "convert_to_tensor_v2", "convert_to_tensor"))
#: the private names the current job called (cleared per job), for its evidence
_PRIVATE_USED: list[str] = []


#: TensorFlow's summary ops: without TensorBoard installed each raises TBNotInstalledError
_SUMMARY_OPS = ("scalar", "histogram", "image", "text", "audio")
#: the summary ops the current job called (cleared per job), for its evidence
_SUMMARIES_USED: list[str] = []


def _summaries_without_tensorboard() -> None:
    """``tf.summary.scalar(...)`` inside a loss (logging its terms) as a no-op when TensorBoard
    is not installed in the verifier's environment: TensorFlow then raises TBNotInstalledError
    on the call, before the loss computes anything, although a summary never changes the loss.
    Once per worker, at start-up; each call is recorded for the evidence."""
    import importlib.util

    if importlib.util.find_spec("tensorboard") is not None:
        return
    import tensorflow as tf  # type: ignore[import-untyped,unused-ignore]

    for name in _SUMMARY_OPS:
        def skipped(*args: Any, _shown: str = f"tf.summary.{name}", **kwargs: Any) -> bool:
            _SUMMARIES_USED.append(_shown)
            return False  # what TensorFlow returns when no writer is set
        setattr(tf.summary, name, skipped)


def _restore_private_tf() -> None:
    """Give the modules of ``_PRIVATE_TF`` the names they lack, as their public replacements
    that record each call; a name the installed TensorFlow still has is left alone. Once per
    worker, at start-up (no rule's table names these, so no API probe asks for them)."""
    import importlib

    import tensorflow as tf  # type: ignore[import-untyped,unused-ignore]

    for module_name, name, public in _PRIVATE_TF:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, name):
            continue
        replacement = getattr(tf, public)

        def recorded(*args: Any, _shown: str = f"{module_name}.{name}", _fn: Any = replacement, **kwargs: Any) -> Any:
            _PRIVATE_USED.append(_shown)
            return _fn(*args, **kwargs)

        setattr(module, name, recorded)


def _tf1_names(namespace: dict[str, Any]) -> None:
    import tensorflow as tf  # type: ignore[import-untyped,unused-ignore]

    used: list[str] = namespace.setdefault("__tfs_tf1_used__", [])
    for name, value in list(namespace.items()):
        if value is tf and not name.startswith("__"):
            namespace[name] = _TF1Fallback(tf, tf.compat.v1, used)
    _route_local_imports()


_REAL_IMPORT: Any = None


def _route_local_imports() -> None:
    """``import tensorflow as tf`` run *inside* the loss (a function-local import) gets the same
    TF 1 fallback view as the module's own ``tf``: only for code whose globals are a probe
    namespace that uses the fallback; every other import is untouched."""
    global _REAL_IMPORT
    if _REAL_IMPORT is not None:
        return
    import builtins

    _REAL_IMPORT = builtins.__import__

    def routed(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        module = _REAL_IMPORT(name, globals, locals, fromlist, level)
        used = globals.get("__tfs_tf1_used__") if isinstance(globals, dict) else None
        if used is not None and name == "tensorflow" and not fromlist and not level:
            return _TF1Fallback(module, module.compat.v1, used)
        return module

    builtins.__import__ = routed


def _autographed(harness: Any, obj: Any) -> Any:
    """The loss with its Python control flow converted by autograph (a ``tf.function``)."""
    tf = harness.tf
    if isinstance(obj, harness.KERAS.losses.Loss):
        obj.call = tf.function(obj.call, autograph=True)
        return obj
    return tf.function(obj, autograph=True) if callable(obj) else obj


def _added_losses(layer: Any) -> Any:
    """A custom Layer that hands Keras loss terms with ``add_loss``, as a loss function of its
    inputs: the layer runs on them (the probe's prediction, packed as its ``call`` unpacks it:
    the model's activations, which the gradient probes differentiate) and the sum of the terms
    it added is the loss, as Keras adds them to the training loss. Keras 3 and tf_keras keep
    only the terms of the latest call in ``layer.losses``."""
    import tensorflow as tf

    def added(_labels: Any, inputs: Any) -> Any:
        layer(inputs)
        terms = [tf.cast(term, tf.float32) for term in layer.losses]
        return tf.add_n(terms) if terms else tf.constant(0.0)
    added.__name__ = f"{type(layer).__name__}.losses"
    return added


def _namespace(job: dict[str, Any]) -> dict[str, Any]:
    """Globals of a probe program: a module of the file's own package when it has one, so that
    its relative imports resolve (the package's ``__init__`` modules run, as they would in the
    project)."""
    namespace: dict[str, Any] = {"__name__": "__tfs_probe__", "__builtins__": builtins,
                                 "__tfs_added_losses__": _added_losses}
    if job.get("package"):
        namespace["__package__"] = job["package"]
    return namespace


def _build(job: dict[str, Any], namespace: dict[str, Any], program: str,
           suffix: str) -> tuple[Any, BaseException | None]:
    """Execute a probe program and call ``__tfs_build__``: (object, error)."""
    # a real file, so that autograph (tf.function, tf_keras) can read the loss's source
    path = os.path.join(os.getcwd(), f"tfshape_probe_{job.get('id', 0)}{suffix}.py")
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(program)
    except OSError:
        path = f"<tfshape-lint probe of {job.get('qualname', 'loss')}>"
    code = compile(program, path, "exec")
    namespace["__file__"] = path
    try:
        exec(code, namespace)  # noqa: S102 - the extracted loss program, in this sandbox process
        if job.get("probe") != "api_exists":
            _tf1_names(namespace)
        return namespace["__tfs_build__"](), None
    except SystemExit:
        raise
    except Exception as exc:  # the evidence of a removed API, or why the loss cannot be built
        return None, exc


def _check_subject(harness: Any, subject: Any) -> str:
    if isinstance(subject.obj, str):  # a loss given to compile by name
        try:
            subject.obj = harness.KERAS.losses.get(subject.obj)
        except (ValueError, TypeError) as exc:
            return f"`{subject.obj}` is not a loss this Keras knows: {harness.describe(exc)}"
    obj = subject.obj
    if subject.kind == "loss_object":
        base = harness.KERAS.losses.Loss
        if not isinstance(obj, base):
            return f"the built object is a {type(obj).__name__}, not a {harness.KERAS.__name__}.losses.Loss"
        subject.base_initialised = _initialise_base(base, obj)
        return ""
    if isinstance(obj, harness.KERAS.losses.Loss):
        subject.kind = "loss_object"
        subject.base_initialised = _initialise_base(harness.KERAS.losses.Loss, obj)
        return ""
    if not callable(obj):
        return f"the loss expression built a {type(obj).__name__}, which is not callable"
    return ""


def _initialise_base(base: Any, obj: Any) -> bool:
    """Run ``Loss.__init__`` (its defaults) on a subclass instance whose constructor never called
    it: Keras fails on such a loss's first call (no ``name``, no ``reduction``), before any finding
    in its ``call`` can show; what the subclass's constructor set is kept. True when it was needed."""
    try:
        obj.name, obj.reduction  # noqa: B018 - the attributes Loss.__init__ sets
        return False
    except AttributeError:
        pass
    own = dict(vars(obj))
    try:
        base.__init__(obj)
    except Exception:  # a base that needs arguments: leave the loss as written
        return False
    vars(obj).update(own)
    return True


def _base_note(subject: Any) -> str:
    """Says that the probe initialised the Loss base class the subclass's constructor skipped."""
    if not getattr(subject, "base_initialised", False):
        return ""
    name = type(subject.obj).__name__
    return (f" [`{name}.__init__` never calls `Loss.__init__`, so Keras raises AttributeError on the loss's "
            f"first call; the probe initialised the base with its defaults to reach the finding]")


_NAME_ERROR = re.compile(r"name '(\w+)' is not defined")


def _failed_import(namespace: dict[str, Any], name: str) -> tuple[str, str] | None:
    """(import statement, error) of the failed import of the probe program that names ``name``."""
    for stmt, error in namespace.get("__tfs_import_errors__", []):
        if re.search(rf"\b{re.escape(name)}\b", stmt):
            return stmt, error
    return None


def _explain_missing(evidence: str, job: dict[str, Any], namespace: dict[str, Any]) -> str:
    """Turn a NameError into the reason that name was not extracted."""
    match = _NAME_ERROR.search(evidence)
    if match is None:
        return evidence
    name = match.group(1)
    for left, why in job.get("left_out") or []:
        if left == name:
            return f"needs {why}"
    failed = _failed_import(namespace, name)
    if failed is not None:
        return f"needs `{name}` from `{failed[0]}`, which failed: {failed[1]}"
    star = next(((stmt, error) for stmt, error in namespace.get("__tfs_import_errors__", [])
                 if stmt.endswith("import *")), None)
    if star is not None:
        # ``from data_gen import *`` of a project module not at hand: the likeliest home of the name
        return f"needs `{name}`, defined nowhere in this file; `{star[0]}` may hold it, and it failed: {star[1]}"
    return f"needs `{name}`, which the verifier cannot extract from this file"


if __name__ == "__main__":
    sys.exit(main())
