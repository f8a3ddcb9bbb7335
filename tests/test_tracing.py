"""Where a custom-loop loss runs: ``static_batch_at_every_call`` on the call patterns TF 2.21
was measured with (an eager loop, a per-batch ``tf.function`` step, ``strategy.run``) and on
those that trace the batch axis as ``None``."""

from __future__ import annotations

import ast

import pytest

from tfshape_lint.analysis.index import build_index
from tfshape_lint.analysis.tracing import static_batch_at_every_call

LOSS = (
    "import tensorflow as tf\n\n\n"
    "def traj_loss(real, pred):\n"
    "    return tf.reduce_sum(tf.square(pred - real)) / real.shape[0]\n\n\n"
)

STEP = (
    "    with tf.GradientTape() as tape:\n"
    "        loss = traj_loss(tar, model(inp))\n"
    "    grads = tape.gradient(loss, model.trainable_variables)\n"
    "    return loss\n\n\n"
)

CASES = {
    "eager loop": (LOSS + "def train_step(inp, tar):\n" + STEP + "for inp, tar in data:\n    train_step(inp, tar)\n", True),
    "tf.function step": (LOSS + "@tf.function\ndef train_step(inp, tar):\n" + STEP, True),
    "tf.function(jit_compile=True)": (LOSS + "@tf.function(jit_compile=True)\ndef train_step(inp, tar):\n" + STEP, True),
    "strategy.run": (LOSS + "def step(inp, tar):\n" + STEP
                     + "@tf.function\ndef dist_step(inp, tar):\n    return strategy.run(step, args=(inp, tar))\n", True),
    "wrapped later": (LOSS + "def train_step(inp, tar):\n" + STEP + "train_step = tf.function(train_step)\n", True),
    "reduce_retracing": (LOSS + "@tf.function(reduce_retracing=True)\ndef train_step(inp, tar):\n" + STEP, False),
    "input_signature": (LOSS + "@tf.function(input_signature=[tf.TensorSpec([None, 3]), tf.TensorSpec([None, 2])])\n"
                        "def train_step(inp, tar):\n" + STEP, False),
    "wrapped with a signature": (LOSS + "def train_step(inp, tar):\n" + STEP
                                 + "step = tf.function(train_step, input_signature=[spec, spec])\n", False),
    "loop inside tf.function": (LOSS + "@tf.function\ndef epoch(data):\n    for inp, tar in data:\n"
                                "        loss = traj_loss(tar, model(inp))\n    return loss\n", False),
    "Model.train_step": (LOSS + "class Trainer(tf.keras.Model):\n    def train_step(self, data):\n"
                         "        inp, tar = data\n        return traj_loss(tar, self(inp))\n", False),
    "compiled too": (LOSS + "def train_step(inp, tar):\n" + STEP + "model.compile(loss=traj_loss)\n", False),
    "never called": (LOSS, False),
    "self-test under __main__": (LOSS + "if __name__ == '__main__':\n    print(traj_loss(y, p))\n", False),
    "TF 1 placeholders": (LOSS + "x = tf.compat.v1.placeholder(tf.float32, [None, 3])\n"
                          "loss = traj_loss(y, model(x))\n", False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_static_batch_at_every_call(name: str) -> None:
    source, expected = CASES[name]
    index = build_index(source, ast.parse(source), None)
    spec = next(s for s in index.losses if s.qualname == "traj_loss")
    assert static_batch_at_every_call(index, spec) is expected
