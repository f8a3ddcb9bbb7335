"""The worker's sandbox, installed after TensorFlow is imported and before any user code runs.

The verifier executes code copied from the user's repository, and imports the project's own
modules when the loss needs them. What Python can enforce from inside the process:

- **no network**: ``socket.socket``/``create_connection``/``getaddrinfo`` raise, and an audit hook
  refuses ``socket.*`` events (the parent also starts the worker under ``unshare -rn`` when the
  system allows it, which removes every network interface but loopback);
- **writes only in the temp dir**: an audit hook refuses ``open`` for writing, and file
  removal, renaming and directory creation, anywhere else (``/dev/null`` excepted);
- **no new processes**: ``subprocess``/``os.system``/``fork``/``exec``/``spawn`` are refused, and
  ``RLIMIT_NPROC`` caps what native code could start; ``RLIMIT_FSIZE`` caps any file's size;
- the environment was already cut down by the parent (no credentials; HOME is the temp dir).

Native code (TensorFlow ops, C extensions) is outside the audit hook's reach; the rlimits and
the network namespace are what bound it.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

#: largest file the worker may write (the probe program itself is a few KiB)
FILE_SIZE_LIMIT = 64 * 2**20
#: threads/processes the worker's user may add beyond those running now
NPROC_MARGIN = 512

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PROCESS_EVENTS = ("subprocess.Popen", "os.system", "os.fork", "os.forkpty", "os.exec", "os.posix_spawn",
                   "os.spawn", "os.startfile", "pty.spawn")
_PATH_EVENTS = {"os.remove": 0, "os.unlink": 0, "os.rmdir": 0, "os.mkdir": 0, "os.rename": 0, "os.replace": 0,
                "shutil.rmtree": 0, "os.truncate": 0, "os.symlink": 1, "os.link": 1, "os.chmod": 0}


class SandboxError(PermissionError):
    """A user-code action the verifier's sandbox refuses."""


def _refuse_network(*args: Any, **kwargs: Any) -> Any:
    raise SandboxError("network access is disabled in the tfshape-lint verifier")


class _NoSocket(socket.socket):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise SandboxError("network access is disabled in the tfshape-lint verifier")


def install(root: str) -> None:
    """Turn the sandbox on for the rest of the process (it cannot be turned off)."""
    root = os.path.realpath(root)
    socket.socket = _NoSocket  # type: ignore[misc]
    socket.create_connection = _refuse_network
    socket.getaddrinfo = _refuse_network
    socket.socketpair = _refuse_network
    _limits()
    sys.addaudithook(_hook(root))


def _limits() -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write raises EFBIG, not a kill
    _lower(resource, resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT)
    if hasattr(resource, "RLIMIT_NPROC"):
        _lower(resource, resource.RLIMIT_NPROC, _user_tasks() + NPROC_MARGIN)


def _lower(resource: Any, which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    if soft == resource.RLIM_INFINITY or soft > value:
        try:
            resource.setrlimit(which, (value, hard))
        except (ValueError, OSError):
            pass


def _user_tasks() -> int:
    """Threads owned by this user now (what RLIMIT_NPROC counts)."""
    uid = os.getuid()
    count = 0
    try:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                continue
    except OSError:
        return 4096
    return count


def _hook(root: str) -> Any:
    def inside(path: Any) -> bool:
        if isinstance(path, int):
            return True
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return real == os.devnull or real == root or real.startswith(root + os.sep)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event.startswith("socket.") and event not in ("socket.gethostname", "socket.__new__"):
            raise SandboxError(f"network access is disabled in the tfshape-lint verifier ({event})")
        if event.startswith(_PROCESS_EVENTS):
            raise SandboxError(f"starting processes is disabled in the tfshape-lint verifier ({event})")
        if event == "open" and len(args) >= 3:
            path, mode, flags = args[0], args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (isinstance(flags, int) and flags & _WRITE_FLAGS)
            if writing and path is not None and not inside(path):
                raise SandboxError(f"writing {path!r} outside the verifier's temp dir is refused")
        elif event in _PATH_EVENTS and args:
            paths = args[:2] if event in ("os.rename", "os.replace", "os.symlink", "os.link") else args[:1]
            for path in paths:
                if path is not None and not inside(path):
                    raise SandboxError(f"{event} on {path!r} outside the verifier's temp dir is refused")
    return hook


#: Keras 2.x modules whose names tf_keras no longer has, and where their public names live now
#: (``from keras.layers.merge import multiply``, ``from keras.engine.topology import Layer``)
KERAS2_MODULES = {
    **{f"keras.layers.{old}": "tf_keras.layers" for old in (
        "merge", "core", "convolutional", "recurrent", "pooling", "normalization", "embeddings",
        "wrappers", "advanced_activations", "noise", "local", "cudnn_recurrent")},
    # ``keras.engine`` itself (imported first for ``keras.engine.topology``; Keras 2.2 had
    # ``from keras.engine import Layer, InputSpec``)
    "keras.engine": "tf_keras.layers",
    "keras.engine.topology": "tf_keras.layers", "keras.engine.base_layer": "tf_keras.layers",
    "keras.engine.training": "tf_keras.models",
    # Keras 2.0-2.3's backend implementation modules: their functions are tf_keras.backend's
    "keras.backend.tensorflow_backend": "tf_keras.backend", "keras.backend.common": "tf_keras.backend",
    "keras.utils.np_utils": "tf_keras.utils", "keras.utils.generic_utils": "tf_keras.utils",
    # Keras 2.4-2.15's loss helpers (``import keras.utils.losses_utils``), private in tf_keras
    "keras.utils.losses_utils": "tf_keras.src.utils.losses_utils",
    # Keras 1's name for the losses module (keras-frcnn and its many copies import from it)
    "keras.objectives": "tf_keras.losses",
}


def alias_keras_to_tf_keras() -> None:
    """Make ``import keras`` / ``from keras import backend`` give tf_keras (Keras 2 files)."""
    import importlib

    import tf_keras  # type: ignore[import-untyped,unused-ignore]

    sys.modules["keras"] = tf_keras
    sys.meta_path.insert(0, _package_alias("keras", "tf_keras", KERAS2_MODULES))
    for path in ("tf_keras.backend", "tf_keras.api._v2.keras.backend"):  # ``keras.backend``, ``tf.keras.backend``
        try:
            _keras22_backend(importlib.import_module(path))
        except ImportError:
            continue
    _keras2_add_loss(tf_keras.layers.Layer)
    if not hasattr(tf_keras.utils, "losses_utils"):
        # ``from keras.utils import losses_utils`` reads an attribute of the package first
        tf_keras.utils.losses_utils = importlib.import_module("tf_keras.src.utils.losses_utils")
    if not hasattr(tf_keras.utils.losses_utils, "Reduction"):
        # Keras 2.2-2.3 named the enum ``Reduction`` (MatchZoo's losses read it)
        tf_keras.utils.losses_utils.Reduction = tf_keras.utils.losses_utils.ReductionV2


def keras2_backend_on_keras3() -> None:
    """Give Keras 3's ``keras.backend`` the Keras 2 functions it lacks, from tf_keras's backend
    (``K.mean`` is ``tf.reduce_mean`` there), and ``keras.ops`` the ones a port kept
    (``ops.pow``): a Keras 3 file that still reads ``K.mean`` next to ``keras.ops`` then runs as it would once TFS501's own finding is fixed, on the TensorFlow
    tensors Keras 3's TensorFlow backend hands a loss."""
    import keras  # type: ignore[import-untyped,unused-ignore]
    import tf_keras  # type: ignore[import-untyped,unused-ignore]

    for name in dir(tf_keras.backend):
        if not name.startswith("_") and not hasattr(keras.backend, name):
            setattr(keras.backend, name, getattr(tf_keras.backend, name))
        if not name.startswith("_") and not hasattr(keras.ops, name):
            # ``ops.pow`` of a port from ``K.pow`` that kept the Keras 2 name (TFS501 as well)
            setattr(keras.ops, name, getattr(tf_keras.backend, name))


def _keras2_add_loss(layer: Any) -> None:
    """Keras 2.0-2.2's ``Layer.add_loss(losses, inputs=None)`` on tf_keras's Layer, whose
    ``add_loss(losses, **kwargs)`` refuses the second positional argument Keras 2 code passes
    (``self.add_loss(loss, x)``): ``inputs`` only said which inputs the terms were conditional
    on, which a probe's single call does not need."""
    if getattr(layer.add_loss, "__tfs_keras2__", False):
        return
    original = layer.add_loss

    def add_loss(self: Any, losses: Any, inputs: Any = None, **kwargs: Any) -> Any:
        return original(self, losses, **kwargs)

    add_loss.__tfs_keras2__ = True  # type: ignore[attr-defined]
    layer.add_loss = add_loss


def alias_keras_core_to_keras() -> None:
    """Make ``from keras_core import ops`` give Keras 3 when the preview package (2023) is not
    installed: its API became Keras 3's unchanged."""
    import importlib.util

    if importlib.util.find_spec("keras_core") is not None:
        return
    import keras  # type: ignore[import-untyped,unused-ignore]

    sys.modules["keras_core"] = keras
    sys.meta_path.insert(0, _package_alias("keras_core", "keras", {}))


def _package_alias(alias: str, target: str, moved: dict[str, str]) -> Any:
    """A finder that imports ``<alias>.x`` as ``<target>.x`` (``moved``: modules the target
    keeps under another name)."""
    import importlib
    import importlib.abc
    import importlib.util

    class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name: str, path: Any = None, target_module: Any = None) -> Any:
            if name.startswith(alias + "."):
                return importlib.util.spec_from_loader(name, self)
            return None

        def create_module(self, spec: Any) -> Any:
            try:
                return importlib.import_module(target + spec.name[len(alias):])
            except ModuleNotFoundError:
                found = moved.get(spec.name)
                if found is None:
                    raise
                return importlib.import_module(found)

        def exec_module(self, module: Any) -> None:
            return None

    return _Alias()


def _keras22_backend(backend: Any) -> None:
    """Keras 2.2's backend names that tf_keras dropped (``KERAS22_BACKEND``), as TensorFlow
    gives them, on the backend the worker's Keras 2 code imports."""
    import tensorflow as tf  # type: ignore[import-untyped,unused-ignore]

    from tfshape_lint.verify.realfiles import KERAS22_BACKEND

    given: dict[str, Any] = {
        "logsumexp": lambda x, axis=None, keepdims=False: tf.reduce_logsumexp(x, axis=axis, keepdims=keepdims),
        "tf": tf, "control_flow_ops": tf, "size": tf.size, "slice": tf.slice, "identity": tf.identity,
        "image_dim_ordering": lambda: "tf", "set_image_dim_ordering": lambda ordering: None,
        "is_tensor": tf.is_tensor, "get_variable_shape": lambda x: x.shape,
        "control_dependencies": tf.control_dependencies}
    for name in KERAS22_BACKEND:
        if not hasattr(backend, name):
            setattr(backend, name, given[name])
