"""Whole-project resolution: a file's names followed into its sibling modules on disk.

Each test writes a small project of its own (the code is written for these tests) and checks
the files with the CLI's path, so the engine sees real paths as in a repository run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tfshape_lint.analysis.index import build_index
from tfshape_lint.analysis.losses import Context, Role
from tfshape_lint.config import Config
from tfshape_lint.files import check_file


def _write(root: Path, files: dict[str, str]) -> None:
    (root / "setup.py").write_text("", encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _findings(root: Path) -> set[tuple[str, int, str]]:
    paths = sorted(str(p) for p in root.rglob("*.py"))
    out = set()
    for result in (check_file(p, Config()) for p in paths):
        assert result.errors == []
        for f in result.findings:
            out.add((str(Path(f.path).relative_to(root)), f.line, f.code))
    return out


def _index(path: Path):  # type: ignore[no-untyped-def]
    text = path.read_text(encoding="utf-8")
    return build_index(text, ast.parse(text), str(path))


SHIM = {
    "geo/__init__.py": "",
    "geo/backend/__init__.py": "from geo.backend import ops\n",
    "geo/backend/ops.py": "try:\n    from keras.ops import *\nexcept ImportError:\n    from keras_core.ops import *\n",
    "geo/losses/__init__.py": "",
    "geo/losses/overlap.py": (
        "from geo.backend import ops\n\n\n"
        "def overlap_loss(y_true, y_pred):\n"
        "    inter = ops.sum(ops.minimum(y_true, y_pred), axis=-1)\n"
        "    union = ops.sum(ops.maximum(y_true, y_pred), axis=-1)\n"
        "    return -ops.log(inter / union)\n"),
}


def test_reexported_ops_module_is_followed(tmp_path: Path) -> None:
    _write(tmp_path, SHIM)
    index = _index(tmp_path / "geo/losses/overlap.py")
    assert index.imports.aliases["ops"] == "keras.ops"
    found = _findings(tmp_path)
    # the file never names keras: only the project's shim says what `ops` is
    assert ("geo/losses/overlap.py", 7, "TFS401") in found


def test_without_the_project_the_shim_is_invisible(tmp_path: Path) -> None:
    _write(tmp_path, {"overlap.py": SHIM["geo/losses/overlap.py"]})
    assert _findings(tmp_path) == set()


def test_relative_and_star_imports(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/common.py": "from keras import backend as K\nimport tensorflow as tf\n",
        "pkg/compat.py": "from .common import *\n",
        "pkg/loss.py": "from .compat import K\n\ndef sq(y_true, y_pred):\n    return K.mean(K.square(y_true - y_pred))\n",
        "pkg/loss2.py": "from pkg.compat import *\n\ndef sq2(y_true, y_pred):\n    return tf.reduce_sum(y_true - y_pred)\n",
    })
    assert _index(tmp_path / "pkg/loss.py").imports.aliases["K"] == "keras.backend"
    assert _index(tmp_path / "pkg/loss2.py").imports.aliases["tf"] == "tensorflow"
    found = _findings(tmp_path)
    assert ("pkg/loss.py", 4, "TFS501") in found  # keras.backend.mean is gone in Keras 3


def test_loss_compiled_in_another_module(tmp_path: Path) -> None:
    _write(tmp_path, {
        "app/__init__.py": "",
        "app/objectives.py": (
            "import tensorflow as tf\n\n\n"
            "def make_weighted(weight):\n"
            "    def inner(a, b):\n"
            "        return weight * tf.reduce_sum(tf.square(a - b))\n"
            "    return inner\n\n\n"
            "def hits(a, b):\n"
            "    return tf.reduce_mean(tf.cast(tf.equal(tf.round(a), tf.round(b)), tf.float32))\n"),
        "app/train.py": (
            "import tensorflow as tf\n"
            "from app import objectives\n"
            "from app.objectives import hits\n\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
            "model.compile(loss=objectives.make_weighted(0.5), metrics=[hits])\n"),
    })
    # the inner loss sums over the batch; `hits` is a metric (its round has no gradient: no TFS301)
    _compiled_elsewhere(tmp_path, "app/objectives.py", "make_weighted", "hits", 6, "TFS301")


def _compiled_elsewhere(root: Path, module: str, factory: str, metric: str, sum_line: int, silent: str) -> None:
    """``module``'s ``factory(0.5)`` builds the compiled loss (context COMPILE, its call read for
    the closure), whose batch sum on ``sum_line`` is TFS102; ``metric`` is a metric, so the loss
    rule ``silent`` says nothing about it."""
    specs = {s.qualname: s for s in _index(root / module).losses}
    assert specs[f"{factory}.inner"].context is Context.COMPILE
    assert specs[f"{factory}.inner"].factory_call == f"{factory}(0.5)"
    assert specs[metric].role is Role.METRIC
    found = _findings(root)
    assert (module, sum_line, "TFS102") in found
    assert not any(code == silent for _, _, code in found)


def test_loss_and_metric_bound_to_a_name_before_compile(tmp_path: Path) -> None:
    # ``psnr = PSNR(r)`` in a function, then ``metrics=[psnr]``: the class is a metric; the
    # factory's result kept in a variable is the compiled loss
    _write(tmp_path, {
        "sr/__init__.py": "",
        "sr/functions.py": (
            "import tensorflow.keras.backend as kb\n\n\n"
            "class PSNR:\n"
            "    def __init__(self, r):\n"
            "        self.r = r\n\n"
            "    def __call__(self, y_true, y_pred):\n"
            "        return 10 * kb.log(self.r / kb.mean(kb.square(y_true - y_pred))) / kb.log(10.0)\n\n\n"
            "def make_sse(weight):\n"
            "    def inner(a, b):\n"
            "        return weight * kb.sum(kb.square(a - b))\n"
            "    return inner\n"),
        "sr/train.py": (
            "import tensorflow as tf\n"
            "from sr.functions import PSNR, make_sse\n\n\n"
            "def main(r):\n"
            "    psnr = PSNR(r)\n"
            "    objective = make_sse(0.5)\n"
            "    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
            "    model.compile(loss=objective, optimizer='adam', metrics=[psnr])\n"),
    })
    # PSNR is a metric: its log and division are not trained on (no TFS401)
    _compiled_elsewhere(tmp_path, "sr/functions.py", "make_sse", "PSNR.__call__", 14, "TFS401")


def test_attribute_patched_by_another_module(tmp_path: Path) -> None:
    _write(tmp_path, {
        "lib/__init__.py": "import keras\n\nkeras.backend.name_scope = keras.name_scope\n",
        "lib/layer.py": "from keras import backend\n\n\ndef scoped():\n    return backend.name_scope('x')\n",
        "lib/other.py": "from keras import backend\n\n\ndef cast(x):\n    return backend.cast_to_floatx(x)\n",
    })
    found = _findings(tmp_path)
    assert ("lib/layer.py", 5, "TFS501") not in found
    assert ("lib/other.py", 5, "TFS501") in found  # patching one name says nothing of others


def test_numpy_reference_in_a_test_module_is_not_a_loss(tmp_path: Path) -> None:
    _write(tmp_path, {
        "proj/__init__.py": "",
        "proj/dist_test.py": (
            "import numpy as np\nimport tensorflow as tf\n\n\n"
            "def ref_loss(y_true, y_pred):\n"
            "    return np.log(np.sum(y_true * y_pred) / np.sum(y_pred))\n\n\n"
            "def test_ref():\n"
            "    assert tf.constant(1.0) is not None and ref_loss(np.ones(2), np.ones(2)) == 0.0\n"),
    })
    assert _index(tmp_path / "proj/dist_test.py").losses == []
    assert _findings(tmp_path) == set()


def test_sibling_repositories_are_not_one_project(tmp_path: Path) -> None:
    """A folder holding several repositories: a module of one is never imported by another."""
    for repo in ("one", "two"):
        (tmp_path / repo).mkdir()
        (tmp_path / repo / "LICENSE").write_text("", encoding="utf-8")
    (tmp_path / "one/shim.py").write_text("from keras import ops\n", encoding="utf-8")
    (tmp_path / "two/use.py").write_text("from shim import ops\n", encoding="utf-8")
    assert _index(tmp_path / "two/use.py").imports.aliases["ops"] == "shim.ops"


def test_patch_applies_only_where_the_patching_package_is_imported(tmp_path: Path) -> None:
    _write(tmp_path, {
        "lib/__init__.py": "import keras\n\nkeras.backend.name_scope = keras.name_scope\n",
        "uses_lib.py": "import lib\nfrom keras import backend\n\nwith backend.name_scope('a'):\n    pass\n",
        "alone.py": "from keras import backend\n\nwith backend.name_scope('b'):\n    pass\n",
    })
    found = _findings(tmp_path)
    assert ("uses_lib.py", 4, "TFS501") not in found
    assert ("alone.py", 3, "TFS501") in found  # nothing it imports runs the patch


def test_plain_projects_stay_on_the_fast_path(tmp_path: Path) -> None:
    from tfshape_lint.analysis.project import may_reexport

    _write(tmp_path, {"app/__init__.py": "", "app/util.py": "def f():\n    return 1\n",
                      "app/main.py": "from app.util import f\n\nprint(f())\n"})
    main = tmp_path / "app/main.py"
    assert not may_reexport(main.read_text(encoding="utf-8"), str(main))
    (tmp_path / "app/util.py").write_text("from keras import ops\n", encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    _write(other, {"app/__init__.py": "", "app/util.py": "from keras import ops\n",
                   "app/main.py": "from app.util import ops\n"})
    main = other / "app/main.py"
    assert may_reexport(main.read_text(encoding="utf-8"), str(main))


def test_a_folder_without_project_markers_reads_only_its_packages(tmp_path: Path) -> None:
    from tfshape_lint.analysis.project import Project

    loose = tmp_path / "downloads"
    for name in ("script.py", "pkg/__init__.py", "pkg/helpers.py", "other_stuff/unrelated.py"):
        (loose / name).parent.mkdir(parents=True, exist_ok=True)
        (loose / name).write_text("x = 1\n", encoding="utf-8")
    names = {p.relative_to(loose).as_posix() for p in Project(loose).files()}
    assert names == {"script.py", "pkg/__init__.py", "pkg/helpers.py"}
    (loose / "requirements.txt").write_text("tensorflow\n", encoding="utf-8")  # a (weak) project marker
    assert "other_stuff/unrelated.py" in {p.relative_to(loose).as_posix() for p in Project(loose).files()}


WEIGHTED_ELSEWHERE = {
    "fer/__init__.py": "",
    "fer/loss.py": (
        "from tensorflow.keras import backend as K\n\n\n"
        "def focal_loss(gamma, alpha):\n"
        "    def loss(y_true, y_pred):\n"
        "        y_pred = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())\n"
        "        return K.mean(alpha * K.pow(1 - y_pred, gamma) * -y_true * K.log(y_pred))\n"
        "    return loss\n"),
    "fer/main.py": (
        "from tensorflow import keras\n"
        "from fer.loss import focal_loss\n\n"
        "model = keras.Sequential([keras.layers.Dense(7, activation='softmax')])\n"
        "model.compile(optimizer='adam', loss=focal_loss(2.0, 0.25))\n"),
    "fer/training.py": "def train(model, x, y, weights):\n    model.fit(x, y, epochs=10, class_weight=weights)\n",
}


def test_weights_a_sibling_module_trains_with_reach_the_loss_compiled_there(tmp_path: Path) -> None:
    _write(tmp_path, WEIGHTED_ELSEWHERE)
    assert ("fer/loss.py", 7, "TFS108") in _findings(tmp_path)
    assert _index(tmp_path / "fer/loss.py").project_weights == {"class_weight"}


def test_weights_of_the_project_do_not_reach_a_loss_no_module_compiles(tmp_path: Path) -> None:
    files = {**WEIGHTED_ELSEWHERE, "fer/main.py": "from tensorflow import keras\n"}
    _write(tmp_path, files)
    assert not any(code == "TFS108" for _, _, code in _findings(tmp_path))


def test_without_weights_in_the_project_the_scalar_loss_is_not_reported(tmp_path: Path) -> None:
    files = {**WEIGHTED_ELSEWHERE, "fer/training.py": "def train(model, x, y):\n    model.fit(x, y, epochs=10)\n"}
    _write(tmp_path, files)
    assert not any(code == "TFS108" for _, _, code in _findings(tmp_path))


SCALAR_LOSS_REPOSITORY = {
    "losses.py": (
        "import tensorflow as tf\n\n\n"
        "class NMSELoss(tf.keras.losses.Loss):\n"
        "    def call(self, y_true, y_pred):\n"
        "        return tf.reduce_mean(tf.square(y_true - y_pred)) / tf.reduce_mean(tf.square(y_true))\n"),
    "train.py": (
        "import tensorflow as tf\nfrom losses import NMSELoss\n\n"
        "model = tf.keras.Sequential([tf.keras.layers.Dense(8)])\n"
        "model.compile(optimizer='adam', loss=NMSELoss())\n"
        "model.fit(x, y, epochs=3)\n"),
}
SCALAR_LOSS_FINDING = ("losses.py", 6, "TFS108")


def _repository(root: Path, files: dict[str, str], *markers: str) -> set[tuple[str, int, str]]:
    """``files`` in a folder with ``markers`` (``.git`` a folder, the others empty files)."""
    for marker in markers:
        (root / marker).mkdir() if marker == ".git" else (root / marker).write_text("", encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return _findings(root)


def test_a_repository_that_never_weights_samples_gets_no_scalar_loss_finding(tmp_path: Path) -> None:
    assert SCALAR_LOSS_FINDING not in _repository(tmp_path, SCALAR_LOSS_REPOSITORY, ".git")


def test_a_weight_mentioned_anywhere_in_the_repository_brings_the_finding_back(tmp_path: Path) -> None:
    notebook = '{"cells": [{"cell_type": "code", "source": ["model.fit(x, y, class_weight=cw)"]}]}'
    files = {**SCALAR_LOSS_REPOSITORY, "explore.ipynb": notebook}
    assert SCALAR_LOSS_FINDING in _repository(tmp_path, files, "requirements.txt")


def test_a_keras_mask_in_the_repository_counts_as_weights(tmp_path: Path) -> None:
    model = "import tensorflow as tf\n\nembed = tf.keras.layers.Embedding(100, 8, mask_zero=True)\n"
    files = {**SCALAR_LOSS_REPOSITORY, "model.py": model}
    assert SCALAR_LOSS_FINDING in _repository(tmp_path, files, ".git")


def test_an_installable_package_keeps_the_finding_for_its_users_weights(tmp_path: Path) -> None:
    assert SCALAR_LOSS_FINDING in _repository(tmp_path, SCALAR_LOSS_REPOSITORY, ".git", "pyproject.toml")


def test_a_folder_that_is_no_repository_keeps_the_finding(tmp_path: Path) -> None:
    assert SCALAR_LOSS_FINDING in _repository(tmp_path, SCALAR_LOSS_REPOSITORY)


METRIC_CLASS_REEXPORTED = {
    "fsl/__init__.py": "",
    "fsl/losses/__init__.py": "from .gram import *  # noqa\n",
    "fsl/losses/gram.py": (
        "import tensorflow as tf\n\n\n"
        "class MaxBinaryCrossentropy(tf.keras.losses.Loss):\n"
        "    def call(self, y_true, y_pred):\n"
        "        return tf.reduce_max(tf.keras.losses.binary_crossentropy(y_true, y_pred))\n"),
    "train.py": (
        "from fsl.losses import MaxBinaryCrossentropy\n\n"
        "model.compile(optimizer='adam', loss='binary_crossentropy', metrics=[MaxBinaryCrossentropy()])\n"
        "model.fit(x, y, sample_weight=w)\n"),
}


def test_a_loss_class_a_package_reexports_and_another_module_uses_as_a_metric_is_a_metric(tmp_path: Path) -> None:
    _write(tmp_path, METRIC_CLASS_REEXPORTED)
    assert not any(code == "TFS108" for _, _, code in _findings(tmp_path))
    assert _index(tmp_path / "fsl/losses/gram.py").losses[0].role is Role.METRIC


def test_the_same_class_handed_over_as_a_loss_is_still_reported(tmp_path: Path) -> None:
    train = METRIC_CLASS_REEXPORTED["train.py"].replace("loss='binary_crossentropy'", "loss=MaxBinaryCrossentropy()")
    _write(tmp_path, {**METRIC_CLASS_REEXPORTED, "train.py": train})
    assert ("fsl/losses/gram.py", 6, "TFS108") in _findings(tmp_path)


def test_a_saved_module_is_read_again_for_the_whole_project_facts(tmp_path: Path) -> None:
    from tfshape_lint.analysis.project import project_files_changed, project_for

    assert SCALAR_LOSS_FINDING not in _repository(tmp_path, SCALAR_LOSS_REPOSITORY, ".git")
    project = project_for(str(tmp_path / "losses.py"))
    assert project is not None and not project.may_weigh_samples()
    (tmp_path / "train.py").write_text(SCALAR_LOSS_REPOSITORY["train.py"].replace(
        "epochs=3)", "epochs=3, class_weight={0: 1.0, 1: 5.0})"), encoding="utf-8")
    assert not project.may_weigh_samples()  # remembered until a front-end says files changed
    project_files_changed()
    assert project.may_weigh_samples()
    assert SCALAR_LOSS_FINDING in _findings(tmp_path)


_NOTEBOOK_LOSSES = (
    "import tensorflow as tf\n\n\n"
    "def weighted_sse(y_true, y_pred):\n"
    "    return tf.reduce_sum(tf.square(y_true - y_pred))\n\n\n"
    "def overlap(y_true, y_pred):\n"
    "    return tf.reduce_sum(y_pred * y_true)\n")


def _notebook(*cells: str) -> str:
    import json
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": cell}
        for cell in cells]})


@pytest.mark.parametrize("text", [
    _notebook("%matplotlib inline\nimport tensorflow as tf\nimport losses", "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
              "model.compile(loss=losses.weighted_sse, metrics=[losses.overlap])"),
    # an ``.ipynb`` saved as plain Python text (some repositories do)
    "import tensorflow as tf\nimport losses\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
    "model.compile(loss=losses.weighted_sse, metrics=[losses.overlap])\n",
])
def test_a_notebook_that_compiles_says_what_the_module_functions_are(tmp_path: Path, text: str) -> None:
    """train.ipynb compiles ``losses.overlap`` as a metric: its batch sum is no finding;
    ``weighted_sse`` is the loss, its batch sum TFS102. Without the notebook both are reported."""
    _write(tmp_path, {"losses.py": _NOTEBOOK_LOSSES, "train.ipynb": text})
    specs = {s.qualname: s for s in _index(tmp_path / "losses.py").losses}
    assert specs["overlap"].role is Role.METRIC and specs["weighted_sse"].role is Role.LOSS
    assert {f for f in _findings(tmp_path) if f[0] == "losses.py"} == {("losses.py", 5, "TFS102")}
    (tmp_path / "train.ipynb").unlink()
    from tfshape_lint.analysis.project import clear_project_cache
    clear_project_cache()
    assert ("losses.py", 9, "TFS102") in _findings(tmp_path)


CAPTIONER = {
    "models.py": (
        "import tensorflow as tf\n\n\n"
        "class Captioner(tf.keras.Model):\n"
        "    def masked_loss(self, y_true, y_pred, mask):\n"
        "        loss = self.loss(y_true, y_pred) * tf.cast(mask, tf.float32)\n"
        "        return tf.reduce_sum(loss) / tf.reduce_sum(tf.cast(mask, tf.float32))\n\n"
        "    def train_step(self, data):\n"
        "        x, y = data\n"
        "        with tf.GradientTape() as tape:\n"
        "            loss = self.masked_loss(y, self(x, training=True), tf.not_equal(y, 0))\n"
        "        grads = tape.gradient(loss, self.trainable_variables)\n"
        "        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))\n"
        "        return {'loss': loss}\n"),
    "train.py": (
        "import tensorflow as tf\nfrom models import Captioner\n\n"
        "model = Captioner()\n"
        "model.compile(optimizer='adam', loss=tf.keras.losses.SparseCategoricalCrossentropy(reduction='none'))\n"
        "plain = tf.keras.Sequential([tf.keras.layers.Dense(3)])\n"
        "plain.compile(optimizer='adam', loss=tf.keras.losses.SparseCategoricalCrossentropy(reduction='none'))\n"),
}


def test_compile_of_a_model_whose_own_step_reduces_the_compiled_loss(tmp_path: Path) -> None:
    # the keras.io captioning model: its train_step masks the per-token losses of
    # reduction="none" (through self.loss, in a helper method) and takes their mean itself, so
    # only the plain model's compile is a TFS109; the class sits in another module
    _write(tmp_path, CAPTIONER)
    found = {f for f in _findings(tmp_path) if f[2] == "TFS109"}
    assert found == {("train.py", 7, "TFS109")}
