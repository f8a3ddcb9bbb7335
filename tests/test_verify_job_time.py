"""What a verifier job's seconds count (issue 12's "time per job after the TensorFlow import"):

- the worker imports the installed packages a probe program imports at its top before it
  times the job, since such an import is paid once per worker as TensorFlow's is
  (``tensorflow_probability`` takes 0.8 s); the project's own modules (relative imports,
  modules on the job's paths) stay part of the job, and a failing import is left for the job
  to meet and report;
- the verdict carries those seconds apart (``import_seconds``), through the worker protocol,
  the cache and the JSON output.
"""

from __future__ import annotations

import ast
import sys

import pytest

from tfshape_lint.verify._child import worker
from tfshape_lint.verify.result import Status, Verification

PROGRAM = '''
try:
    import colorsys
except Exception as __tfs_exc:
    pass
try:
    from email import mime as m
except Exception as __tfs_exc:
    pass
try:
    from .helpers import smooth
except Exception as __tfs_exc:
    pass
import os.path


def loss(y_true, y_pred):
    import wave
    return y_pred
'''


def test_top_imports_are_the_module_level_and_try_wrapped_absolute_ones() -> None:
    assert worker._top_imports(ast.parse(PROGRAM)) == ["colorsys", "email", "os.path"]


def test_installed_packages_are_imported_before_the_job_and_failures_left_to_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    seconds = worker._import_installed(PROGRAM + "\nimport tfshape_lint_no_such_module\n")
    assert "colorsys" in sys.modules
    assert "tfshape_lint_no_such_module" not in sys.modules
    assert seconds >= 0.0


def test_unparsable_program_imports_nothing() -> None:
    assert worker._import_installed("def (:\n") == 0.0


def test_import_seconds_travel_with_the_verdict() -> None:
    verdict = Verification(Status.CONFIRMED, "x", "cpu", "keras 3", 0.2, import_seconds=0.81)
    data = verdict.to_dict()
    assert data["seconds"] == 0.2 and data["import_seconds"] == 0.81
    again = Verification.from_dict(data)
    assert again.import_seconds == 0.81 and again.seconds == 0.2
    assert Verification.from_dict({"status": "refuted"}).import_seconds == 0.0
