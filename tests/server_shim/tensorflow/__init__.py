"""Stand-in for TensorFlow in the language server's tests: records the importing process, then
fails the import, so a test can assert that the server process never imports TensorFlow."""

import os

_log = os.environ.get("TFSHAPE_SHIM_LOG")
if _log:
    try:
        with open(_log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
    except OSError:
        pass
raise ImportError("tensorflow is blocked in the language server's tests")
