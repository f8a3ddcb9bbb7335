"""Static analysis shared by the rules: import resolution, loss discovery, abstract values."""

import re

#: Fast path shared by the engine and the flake8 plugin: text that never names these is skipped.
#: Defined here, not in ``index``, so the plugin can apply it without importing the analysis.
PREFILTER = re.compile(r"tensorflow|keras|tf_keras")


def may_use_ml(source: str, path: str) -> bool:
    """The fast path of every front-end: whether a file can hold anything to lint. It names
    TensorFlow/Keras, or imports a module of its own project that does (a re-export such as
    ``from myproject.backend import ops``); the project scan loads only for files that fail the
    text test."""
    if PREFILTER.search(source):
        return True
    from tfshape_lint.analysis.project import may_reexport

    return may_reexport(source, path)
