"""TFS501 / TFS506: the generated API tables, the fixtures, the fixes and the migration helper."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from tests.conftest import FIXTURES, ROOT, example_config
from tfshape_lint.analysis.imports import cst_dotted
from tfshape_lint.analysis.index import build_index
from tfshape_lint.engine import lint_source
from tfshape_lint.fixer import fix_source
from tfshape_lint.migrate import remove_unused_backend_imports
from tfshape_lint.rules._api import ApiRewriter, Rewrite, Roots, keras_table, tf1_table
from tfshape_lint.rules.tfs501_removed_keras_api import RemovedKerasApi
from tfshape_lint.rules.tfs506_removed_tf1_api import RemovedTf1Api

CODES = ("TFS501", "TFS506")
EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9 ,]+)")
API_FIXTURES = sorted(FIXTURES.glob("api_*.py"))
PACKAGES = ("tensorflow", "keras", "tf_keras")


def _expected(text: str) -> set[tuple[int, str]]:
    out = set()
    for number, line in enumerate(text.splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            out |= {(number, code) for code in re.split(r"[,\s]+", match.group(1).strip()) if code in CODES}
    return out


def _found(text: str, **options: object) -> set[tuple[int, str]]:
    findings = lint_source(text, "fixture.py", example_config(dict(options)))
    return {(f.line, f.code) for f in findings if f.code in CODES}


# -- fixtures ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", API_FIXTURES, ids=[p.name for p in API_FIXTURES])
def test_fixture_findings_match_expect_comments(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _found(text) == _expected(text)


def test_fixtures_exist() -> None:
    assert {p.name for p in API_FIXTURES} >= {"api_keras2_losses.py", "api_tf1_script.py",
                                              "api_lookalikes.py", "api_tf1_compat_file.py"}


def test_target_tf_keras_silences_tfs501() -> None:
    text = (FIXTURES / "api_keras2_losses.py").read_text(encoding="utf-8")
    assert {code for _, code in _found(text, **{"target-keras": "tf-keras"})} == set()


@pytest.mark.parametrize("path", API_FIXTURES, ids=[p.name for p in API_FIXTURES])
def test_fixture_fix_is_valid_and_idempotent(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    config = example_config({}).with_overrides(select=CODES)
    result = fix_source(text, path.name, config)
    assert result.error is None
    ast.parse(result.source)
    left = [f for f in lint_source(result.source, path.name, config) if f.fix is not None]
    assert left == []
    assert fix_source(result.source, path.name, config).source == result.source


# -- wants() stays on the ast index ------------------------------------------------------------
def _index(text: str):  # type: ignore[no-untyped-def]
    return build_index(text, ast.parse(text))


def test_wants_is_empty_without_removed_names() -> None:
    for name in ("api_lookalikes.py", "api_tf1_compat_file.py"):
        index = _index((FIXTURES / name).read_text(encoding="utf-8"))
        assert not list(RemovedTf1Api.wants(index))
    index = _index((FIXTURES / "api_lookalikes.py").read_text(encoding="utf-8"))
    assert not list(RemovedKerasApi.wants(index))


def test_wants_finds_import_units() -> None:
    text = "import os\n\ntry:\n    from keras.backend import mean\nexcept KeyError:\n    pass\n"
    assert list(RemovedKerasApi.wants(_index(text))) == [1]
    assert _found(text) == {(4, "TFS501")}


@pytest.mark.parametrize("text, expected", [
    ("import tensorflow\nimport tensorflow.contrib.slim as slim\n", {(2, "TFS506")}),
    ("import tensorflow\nfrom tensorflow.contrib import slim\n", {(2, "TFS506")}),
    ("import keras\nimport keras.backend\nfrom keras.backend import mean, epsilon\n", {(3, "TFS501")}),
    ("import tensorflow as tf\n\ntry:\n    x = tf.log(2.0)\nexcept Exception:\n    x = None\n", {(4, "TFS506")}),
], ids=["import-as", "import-from-module", "import-from-names", "broad-except-is-not-a-probe"])
def test_imports_reported_once(text: str, expected: set[tuple[int, str]]) -> None:
    findings = [f for f in lint_source(text, "x.py") if f.code in CODES]
    assert {(f.line, f.code) for f in findings} == expected and len(findings) == len(expected)


def test_linter_never_imports_tensorflow() -> None:
    code = ("import sys\nfrom pathlib import Path\nfrom tfshape_lint.engine import lint_source\n"
            f"for p in sorted(Path({str(FIXTURES)!r}).glob('api_*.py')):\n"
            "    lint_source(p.read_text(), str(p))\n"
            "bad = [m for m in ('tensorflow', 'keras', 'tf_keras') if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- the tables ---------------------------------------------------------------------------------------
def test_tables_have_the_measured_facts() -> None:
    keras_api = keras_table()
    # tf_keras's 148 TF 2 backend names plus the two only its TF 1 API exported
    assert len(keras_api["names"]["tf_keras.backend"]) == 150
    assert "mean" not in keras_api["names"]["keras.backend"]
    assert "mean" in keras_api["names"]["keras._tf_keras.keras.backend"]
    lost = set(keras_api["names"]["tf_keras.backend"]) - set(keras_api["names"]["keras._tf_keras.keras.backend"])
    assert len(lost - {"get_session", "set_session"}) == 15 and "learning_phase" in lost
    same_name = set(keras_api["names"]["tf_keras.backend"]) & set(keras_api["names"]["keras.ops"])
    assert len(same_name) == 67
    assert keras_api["aliases"]["keras._tf_keras.keras.losses"]["mean_squared_error"] == "mse"
    assert keras_api["aliases"]["keras.losses"]["mse"] == "mean_squared_error"
    assert keras_api["spellings"]["tensorflow.losses"] == "keras._tf_keras.keras.losses"
    backend = keras_api["backend"]
    assert backend["switch"]["to"] == "{keras}.ops.where" and backend["switch"]["verified"]
    assert backend["epsilon"]["to"] == "{keras}.config.epsilon"
    assert not backend["hard_sigmoid"]["verified"] and not backend["learning_phase"]["verified"]
    # Keras 2.x backend names tf_keras no longer exports (read from the keras-team/keras tags)
    keras2 = set(keras_api["keras2"]["backend"])
    assert {"image_dim_ordering", "slice", "logsumexp", "pattern_broadcast", "normalize_data_format"} <= keras2
    assert not keras2 & set(keras_api["names"]["tf_keras.backend"])
    assert all(name in backend and backend[name]["advice"] for name in keras2)
    names = tf1_table()["names"]
    assert names["log"]["v2"] == "math.log"
    assert names["matrix_diag"]["v2"] == "linalg.diag"
    assert names["random_normal"]["v2"] == "random.normal"
    assert names["to_float"]["to"] == "{tf}.cast" and names["to_float"]["verified"]
    assert names["Session"]["to"] == "{tf}.compat.v1.Session"
    assert "reduce_sum" not in names and "math.log" not in names
    assert tf1_table()["keywords"]["reduce_sum"]["keep_dims"] == "keepdims"


def test_recorded_rewrites_replay_without_tensorflow() -> None:
    """The generator recorded what the rewriter made of each sample; it must not drift."""
    backend = keras_table()["backend"]
    rewrites = {name: Rewrite.from_json(entry) for name, entry in backend.items()}

    def lookup(node: cst.CSTNode) -> Rewrite | None:
        dotted = cst_dotted(node)
        return rewrites.get(dotted[2:]) if dotted and dotted.startswith("K.") else None

    replayed = 0
    for entry in backend.values():
        if not entry.get("verified"):
            continue
        for sample in entry.get("checked", []):
            new = cst.parse_module(sample["call"]).visit(ApiRewriter(lookup, Roots({"keras": "keras"})))
            assert new.code == sample["new"], sample
            replayed += 1
    assert replayed > 100


def _packages_importable() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in PACKAGES)


@pytest.mark.tf
@pytest.mark.skipif(not _packages_importable(),
                    reason="tensorflow, keras and tf_keras are needed to regenerate the API tables")
def test_tables_match_installed_packages() -> None:
    """``tools/gen_api_tables.py --check`` rebuilds both tables from the installed packages."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_api_tables.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _upgrade_renames() -> dict[str, str] | None:
    """TensorFlow's own ``tf_upgrade_v2`` rename map, read as data (TensorFlow is not imported)."""
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "tools" / "compatibility" / "renames_v2.py"
    if not path.is_file():
        return None
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "renames":
            value: dict[str, str] = ast.literal_eval(node.value)
            return value
    return None


@pytest.mark.tf
@pytest.mark.skipif(_upgrade_renames() is None, reason="tensorflow's tools/compatibility/renames_v2.py is not installed")
def test_tf1_table_agrees_with_tf_upgrade_v2() -> None:
    """Where TF's upgrade script and the table both rename a name, they agree, or the table
    is the conservative choice: the same object under ``tf.compat.v1`` (the TF 2 function
    has another signature), ``tf.cast`` for ``tf.to_*``, or the same leaf name elsewhere."""
    renames = _upgrade_renames() or {}
    names = tf1_table()["names"]
    agree = 0
    for old, new in renames.items():
        entry = names.get(old.removeprefix("tf."))
        if entry is None or not entry.get("to"):
            continue
        ours = str(entry["to"]).replace("{tf}", "tf")
        if ours == new:
            agree += 1
            continue
        assert (ours.startswith("tf.compat.v1.") or ours == "tf.cast"
                or ours.rsplit(".", 1)[1] == old.rsplit(".", 1)[1]), (old, new, ours)
    assert agree > 500


# -- migration helper ------------------------------------------------------------------------------
def test_migration_end_to_end() -> None:
    before = ("import keras.backend as K\n\ndef loss(y_true, y_pred):\n"
              "    p = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())\n"
              "    return K.mean(K.square(y_true - p), axis=-1)\n")
    config = example_config({}).with_overrides(select=("TFS501",))
    fixed = fix_source(before, "m.py", config).source
    assert remove_unused_backend_imports(fixed, before) == (
        "import keras\n\ndef loss(y_true, y_pred):\n"
        "    p = keras.ops.clip(y_pred, keras.config.epsilon(), 1.0 - keras.config.epsilon())\n"
        "    return keras.ops.mean(keras.ops.square(y_true - p), axis=-1)\n")


@pytest.mark.parametrize("source", [
    "import keras.backend as K\nimport keras\n\nEPS = K.epsilon()\n",
    "from keras import backend\n\nprint(backend.floatx())\n",
    "import keras.backend\n\nx = keras.ops.ones(3)\n",
    "import keras.backend as K\n\n__all__ = ['K']\n",
    "import numpy as np\n",
], ids=["still-used", "from-import-used", "binds-keras", "exported", "no-backend"])
def test_migration_keeps_needed_imports(source: str) -> None:
    assert remove_unused_backend_imports(source) == source


@pytest.mark.parametrize("source, expected", [
    ("import keras.backend as K\nimport keras\n\nx = keras.ops.ones(3)\n", "import keras\n\nx = keras.ops.ones(3)\n"),
    ("from keras import backend as K, layers\n\nd = layers.Dense(1)\n",
     "from keras import layers\n\nd = layers.Dense(1)\n"),
    ("from tensorflow.keras import backend\nimport tensorflow as tf\n\nx = tf.ones(3)\n",
     "import tensorflow as tf\n\nx = tf.ones(3)\n"),
    ("import keras.backend as K\nimport keras.backend as KB\n\nx = 1  # comment kept\n", "\nx = 1  # comment kept\n"),
], ids=["alias", "from-import-part", "tf-keras-spelling", "two-aliases"])
def test_migration_removes_unused_backend_imports(source: str, expected: str) -> None:
    assert remove_unused_backend_imports(source) == expected


def test_migration_leaves_previously_unused_import_alone() -> None:
    text = "import keras.backend as K\nimport keras\n\nx = keras.ops.ones(3)\n"
    assert remove_unused_backend_imports(text, before=text) == text
