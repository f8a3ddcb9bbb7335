"""Benchmark: what the tfshape-lint flake8 plugin adds to an editor's flake8 run.

Usage: python bench/bench_flake8.py [--runs N] [--lines N]

Generates three files of about 1,000 lines: TensorFlow code with a few losses, TensorFlow
model code with no loss, and plain Python with no TensorFlow import. For each it times (median
of ``--runs`` fresh processes, as an editor runs flake8 once per file):

- ``flake8 --select E999`` with the plugin hidden from flake8 (the baseline: flake8 without
  tfshape-lint; flake8 runs every installed plugin whatever ``--select`` says, so the plugin has
  to be hidden, not deselected, for a baseline),
- ``flake8 --select E999`` as installed, and ``flake8 --select TFS`` (both run the plugin),

and prints ms per file and the ms the plugin adds. It then times the plugin in one warm process
(LibCST and the rules already imported; what flake8 -j pays per file after the first) and the
one-time import. Target: <= 30 ms added per TF file past the one-time import, ~0
for files without a TensorFlow import.

Byte-code is cached as an installed package has it (see ``_procenv``); each command runs once
before timing.
"""

from __future__ import annotations

import argparse
import ast
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _procenv import cached_bytecode_env

#: the fresh processes' environment (set in main: byte-code cached as an installed package has it)
ENV: dict[str, str] = {}

#: runs flake8 with the tfshape-lint plugin removed from the discovered plugins
HIDE_PLUGIN = """
import sys
from flake8.plugins import finder
_find = finder.find_plugins
finder.find_plugins = lambda *a, **k: [p for p in _find(*a, **k) if p.package != "tfshape-lint"]
from flake8.main.cli import main
sys.exit(main())
"""

LOSSES = '''

def masked_mse(y_true, y_pred):
    mask = tf.cast(tf.not_equal(y_true, 0.0), y_pred.dtype)
    err = tf.square(y_true - y_pred) * mask
    return tf.reduce_sum(err, axis=-1) / tf.maximum(tf.reduce_sum(mask, axis=-1), 1.0)


def total_l1(y_true, y_pred):
    return tf.reduce_sum(tf.abs(y_true - y_pred))


class FocalLoss(keras.losses.Loss):
    def __init__(self, gamma=2.0, **kwargs):
        super().__init__(**kwargs)
        self.gamma = gamma

    def call(self, y_true, y_pred):
        p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
        ce = -y_true * tf.math.log(p)
        return tf.reduce_mean(tf.pow(1.0 - p, self.gamma) * ce, axis=-1)


def make_weighted(weight):
    def loss(y_true, y_pred):
        return weight * tf.reduce_mean(tf.square(tf.squeeze(y_true) - y_pred), axis=-1)
    return loss
'''

TF_BLOCK = '''

def block_{i}(x, filters={f}, training=False):
    """Conv block {i}."""
    y = keras.layers.Conv2D(filters, 3, padding="same")(x)
    y = keras.layers.BatchNormalization()(y, training=training)
    y = tf.nn.relu(y)
    y = keras.layers.Conv2D(filters, 3, padding="same")(y)
    if x.shape[-1] != filters:
        x = keras.layers.Conv2D(filters, 1)(x)
    y = tf.add(x, y)
    return tf.nn.relu(y)


def preprocess_{i}(image, label):
    image = tf.image.resize(tf.cast(image, tf.float32) / 255.0, (64, 64))
    image = tf.image.random_flip_left_right(image)
    label = tf.one_hot(tf.cast(label, tf.int32), depth=10)
    stats = np.array([0.5, 0.25, 0.125])
    return image * float(stats[{i} % 3]), label
'''

PLAIN_BLOCK = '''

def parse_record_{i}(line, sep=","):
    """Parse one CSV record {i}."""
    fields = [f.strip() for f in line.split(sep)]
    if len(fields) < 3:
        raise ValueError("short record")
    name, value, unit = fields[:3]
    return {{"name": name, "value": float(value) * {f}, "unit": unit}}


def summarise_{i}(records):
    total = sum(r["value"] for r in records)
    mean = total / max(len(records), 1)
    spread = math.sqrt(sum((r["value"] - mean) ** 2 for r in records) / max(len(records), 1))
    return json.dumps({{"total": total, "mean": mean, "spread": spread}})
'''

TF_HEAD = "import numpy as np\nimport tensorflow as tf\nfrom tensorflow import keras\n"
TF_TAIL = '''

def build_model():
    inputs = keras.Input((64, 64, 3))
    x = block_0(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10)(x)
    return keras.Model(inputs, outputs)


model = build_model()
model.compile(optimizer="adam", loss=total_l1, metrics=[masked_mse])
other = build_model()
other.compile(optimizer="adam", loss=make_weighted(0.5))
third = build_model()
third.compile(optimizer="adam", loss=FocalLoss())
'''


def generate(head: str, block: str, lines: int, extra: str = "", tail: str = "") -> str:
    text = head + extra
    i = 0
    while text.count("\n") + tail.count("\n") < lines:
        text += block.format(i=i, f=16 * (i % 4 + 1))
        i += 1
    return text + tail


def median_ms(cmd: list[str], runs: int) -> float:
    """Median CPU time (user + system) of ``cmd`` in fresh processes, in ms.

    CPU time rather than wall time: other processes on a busy machine inflate wall time, not
    the work a run does. On an idle machine the two agree within a few ms.
    """
    subprocess.run(cmd, capture_output=True, check=False, env=ENV)  # writes the byte-code cache
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, capture_output=True, check=False, env=ENV)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return statistics.median(times)


def median_wall_ms(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False, env=ENV)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def flake8_cmd(select: str, path: Path, hide: bool) -> list[str]:
    prefix = [sys.executable, "-c", HIDE_PLUGIN] if hide else [sys.executable, "-m", "flake8"]
    return [*prefix, "--isolated", "-j1", "--select", select, str(path)]


def warm_plugin_ms(path: Path, repeat: int = 20) -> tuple[float, int]:
    from tfshape_lint.flake8_plugin import TfshapePlugin

    source = path.read_text()
    lines = source.splitlines(keepends=True)
    found = len(list(TfshapePlugin(ast.parse(source), lines, str(path)).run()))  # warm-up
    times = []
    for _ in range(repeat):
        tree = ast.parse(source)  # flake8 parses the tree anyway; not the plugin's cost
        start = time.process_time()
        list(TfshapePlugin(tree, lines, str(path)).run())
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times), found


def import_ms(code: str, runs: int) -> float:
    base = median_ms([sys.executable, "-c", "import flake8.main.cli"], runs)
    full = median_ms([sys.executable, "-c", f"import flake8.main.cli; {code}"], runs)
    return full - base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ENV.update(cached_bytecode_env(tmp))
        files = {
            "TF file with losses": generate(TF_HEAD, TF_BLOCK, args.lines, LOSSES, TF_TAIL),
            "TF file, no loss": generate(TF_HEAD, TF_BLOCK, args.lines),
            "no TF import": generate("import json\nimport math\n", PLAIN_BLOCK, args.lines),
        }
        print(f"flake8 per file, median CPU ms of {args.runs} fresh processes (wall ms of TFS in brackets):")
        print(f"{'file':22} {'lines':>5} {'E999 w/o plugin':>16} {'E999':>8} {'TFS':>8} {'added':>7} "
              f"{'TFS wall':>9} {'findings':>9}")
        for i, (label, text) in enumerate(files.items()):
            path = Path(tmp) / f"f{i}.py"
            path.write_text(text)
            base = median_ms(flake8_cmd("E999", path, hide=True), args.runs)
            e999 = median_ms(flake8_cmd("E999", path, hide=False), args.runs)
            tfs = median_ms(flake8_cmd("TFS", path, hide=False), args.runs)
            wall = median_wall_ms(flake8_cmd("TFS", path, hide=False), args.runs)
            found = subprocess.run(flake8_cmd("TFS", path, hide=False), capture_output=True, text=True, env=ENV)
            count = len(found.stdout.splitlines())
            print(f"{label:22} {text.count(chr(10)):5d} {base:16.1f} {e999:8.1f} {tfs:8.1f} {tfs - base:7.1f} "
                  f"{wall:9.1f} {count:9d}")
        print("\nplugin in a warm process, median CPU ms (one-time imports done: flake8 -j workers, daemons):")
        for i, label in enumerate(files):
            ms, count = warm_plugin_ms(Path(tmp) / f"f{i}.py")
            print(f"  {label:22} {ms:7.2f} ms per file ({count} findings)")
        print("\none-time imports on top of flake8's own (median of fresh processes):")
        print(f"  tfshape_lint.flake8_plugin: {import_ms('import tfshape_lint.flake8_plugin', args.runs):6.1f} ms")
        print(f"  + engine, LibCST and rules: {import_ms('import tfshape_lint.flake8_plugin, tfshape_lint.engine; tfshape_lint.engine.all_rules()', args.runs):6.1f} ms")


if __name__ == "__main__":
    main()
