"""Writes fragile.mlir and samples.npz into the given folder: three linear
layers where the first reads inputs whose feature 0 sits near 500 (which
its weights ignore, being 0 there), so an int8 grid over its input range
has a step of 2 and the ordinary features (standard normal) keep one or
two levels; the other two layers see ordinary activations."""
import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(0)


def dense(a):
    return "dense<\"0x" + np.ascontiguousarray(a, np.float32).tobytes().hex().upper() + "\">"


w1 = (rng.standard_normal((32, 16)) / 4).astype(np.float32)
w1[:, 0] = 0
w2 = (rng.standard_normal((32, 32)) / np.sqrt(32)).astype(np.float32)
w3 = (rng.standard_normal((4, 32)) / np.sqrt(32)).astype(np.float32)
b1, b2, b3 = (rng.standard_normal(n).astype(np.float32) * 0.1 for n in (32, 32, 4))
text = f"""func.func @forward(%x: tensor<8x16xf32>) -> tensor<8x4xf32> {{
  %w1 = dr1.constant {dense(w1)} : tensor<32x16xf32>
  %b1 = dr1.constant {dense(b1)} : tensor<32xf32>
  %w2 = dr1.constant {dense(w2)} : tensor<32x32xf32>
  %b2 = dr1.constant {dense(b2)} : tensor<32xf32>
  %w3 = dr1.constant {dense(w3)} : tensor<4x32xf32>
  %b3 = dr1.constant {dense(b3)} : tensor<4xf32>
  %h1 = dr1.linear %x, %w1, %b1 : (tensor<8x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<8x32xf32> loc("fc1")
  %r1 = dr1.relu %h1 : tensor<8x32xf32>
  %h2 = dr1.linear %r1, %w2, %b2 : (tensor<8x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<8x32xf32> loc("fc2")
  %r2 = dr1.relu %h2 : tensor<8x32xf32>
  %y = dr1.linear %r2, %w3, %b3 : (tensor<8x32xf32>, tensor<4x32xf32>, tensor<4xf32>) -> tensor<8x4xf32> loc("fc3")
  return %y : tensor<8x4xf32>
}}
"""
with open(os.path.join(out, "fragile.mlir"), "w") as f:
    f.write(text)
x = rng.standard_normal((8, 8, 16)).astype(np.float32)
x[:, :, 0] += 500
np.savez(os.path.join(out, "samples.npz"), x)
