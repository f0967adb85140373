#!/usr/bin/env python3
"""Regenerates mlp.mlir: a 64-128-10 MLP with seeded random weights stored as
binary dense_resource blobs (what the Python tracer and the ONNX importer
produce too)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "e2e"))
from mlirgen import Graph  # noqa: E402

rng = np.random.default_rng(2026)
g = Graph()
x = g.arg(np.zeros((1, 64), np.float32))
h = g.relu(g.linear(x, g.const((rng.standard_normal((128, 64)) / 8).astype(np.float32), True),
                    g.const((rng.standard_normal(128) / 10).astype(np.float32), True)))
y = g.softmax(g.linear(h, g.const((rng.standard_normal((10, 128)) / 11).astype(np.float32), True),
                       g.const(np.zeros(10, np.float32), True)))
with open(os.path.join(os.path.dirname(__file__), "mlp.mlir"), "w") as f:
    f.write("// A 64-128-10 MLP; regenerate with generate.py.\n" + g.text([y]))
