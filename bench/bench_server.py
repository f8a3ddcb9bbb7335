"""Benchmark: latency of ``tfshape-lint server`` from ``didChange`` to ``publishDiagnostics``.

Usage: python bench/bench_server.py [--runs N] [--lines N]

Generates a loss-dense file of about 1,000 lines (every block defines buggy and clean losses,
compiled at the end), starts the real server over stdio, opens the file, then sends ``--runs``
edits (one changed line each, as typing does) and times each from sending ``didChange`` to
receiving the ``publishDiagnostics`` for that document version. It prints the median and the
spread, once with the debounce off (the server's own work) and once with the default debounce
(what an editor waits), and the engine alone (``lint`` in this process) on the same text before
and after, for comparison. Benchmarks print figures; no test asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEAD = "import numpy as np\nimport tensorflow as tf\nfrom tensorflow import keras\n"
BLOCK = '''

def total_l1_{i}(y_true, y_pred):
    return tf.reduce_sum(tf.abs(y_true - y_pred))


def masked_mse_{i}(y_true, y_pred):
    mask = tf.cast(tf.not_equal(y_true, 0.0), y_pred.dtype)
    err = tf.square(y_true - y_pred) * mask
    return tf.reduce_sum(err, axis=-1) / tf.maximum(tf.reduce_sum(mask, axis=-1), 1.0)


class Focal{i}(keras.losses.Loss):
    def call(self, y_true, y_pred):
        p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
        return tf.reduce_mean(-y_true * tf.math.log(p) * (1.0 - p) ** 2, axis=-1)


def scaled_{i}(y_true, y_pred):
    n = y_true.shape[0]
    return tf.reduce_mean(tf.square(tf.squeeze(y_pred) - y_true), axis=-1) / n
'''
COMPILE = "model.compile(optimizer='adam', loss=total_l1_{i}, metrics=[masked_mse_{i}])\n"


def generate(lines: int) -> str:
    """About ``lines`` lines of loss code; the last line is a comment the edits change."""
    body, tail, i = HEAD, "\nmodel = keras.Sequential([keras.layers.Dense(1)])\n", 0
    while body.count("\n") + tail.count("\n") + 1 < lines:
        body += BLOCK.format(i=i)
        tail += COMPILE.format(i=i)
        i += 1
    return body + tail + "# edit 0\n"


class Timer:
    """Collects the arrival time of each document version's diagnostics."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.counts: dict[int, int] = {}
        self.event = asyncio.Event()

    def on_publish(self, params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            self.arrived[params.version] = time.perf_counter()
            self.counts[params.version] = len(params.diagnostics)
            self.event.set()

    async def wait(self, version: int, timeout: float = 60.0) -> float:
        async def poll() -> float:
            while version not in self.arrived:
                self.event.clear()
                await self.event.wait()
            return self.arrived[version]
        return await asyncio.wait_for(poll(), timeout)


async def measure(text: str, uri: str, runs: int, options: dict[str, Any]) -> tuple[list[float], int]:
    """Per-edit latencies in ms, and the number of diagnostics published."""
    client = LanguageClient("bench", "1")
    timer = Timer()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        timer.on_publish(params)

    await client.start_io(sys.executable, "-m", "tfshape_lint", "server", cwd=str(ROOT))
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), initialization_options=options))
    client.initialized(types.InitializedParams())
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    await timer.wait(1)
    last = len(text.splitlines()) - 1
    latencies = []
    for version in range(2, runs + 2):
        edit = types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(last, 0), types.Position(last + 1, 0)), text=f"# edit {version}\n")
        start = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version), [edit]))
        latencies.append((await timer.wait(version) - start) * 1000)
    count = timer.counts[runs + 1]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return latencies, count


def engine_ms(text: str, runs: int) -> float:
    from tfshape_lint.config import Config
    from tfshape_lint.engine import lint

    lint(text, "bench.py", Config())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        lint(text, "bench.py", Config())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def report(label: str, latencies: list[float], count: int) -> None:
    q = statistics.quantiles(latencies, n=10)
    print(f"{label:34} median {statistics.median(latencies):7.1f} ms   "
          f"p10 {q[0]:7.1f}   p90 {q[-1]:7.1f}   ({count} diagnostics)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    text = generate(args.lines)
    before = engine_ms(text, args.runs)  # again after the servers: the machine's load drifts
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "losses.py"
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        print(f"file: {text.count(chr(10))} lines, {args.runs} edits each")
        latencies, count = asyncio.run(measure(text, uri, args.runs, {"debounce": 0}))
        report("didChange -> diagnostics (no debounce)", latencies, count)
        latencies, count = asyncio.run(measure(text, uri, args.runs, {}))
        report("didChange -> diagnostics (default)", latencies, count)
    after = engine_ms(text, args.runs)
    print(f"{'engine alone (lint in process)':34} median {before:7.1f} ms before, {after:.1f} ms after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
