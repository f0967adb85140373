"""The onnx package's light model-zoo architectures (ResNet-50, DenseNet-121,
Inception v1/v2, ShuffleNet, SqueezeNet, VGG-19, AlexNet, ZFNet) compiled
with dr1 and compared with ONNX Runtime on random inputs.

The light models generate their weights with ConstantOfShape (all equal
values), which would make almost any output agree; each weight is replaced
by a seeded random initializer first, so the comparison can tell a wrong
kernel from a right one. Tolerance: max |dr1 - ort| <= 1e-4 * max |ort|
(f32 accumulation over up to 25088-long dot products in a different order).
"""
import glob
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

import dr1

DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
MODELS = sorted(glob.glob(os.path.join(DATA, "*.onnx")))


def randomized(path, seed=0):
    m = onnx.load(path)
    g = m.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consumers = {}
    for n in g.node:
        for i, name in enumerate(n.input):
            consumers.setdefault(name, []).append((n.op_type, i))
    rng = np.random.default_rng(seed)
    keep = []
    for n in g.node:
        if n.op_type != "ConstantOfShape" or n.input[0] not in inits:
            keep.append(n)
            continue
        shape = tuple(int(d) for d in inits[n.input[0]])
        uses = consumers.get(n.output[0], [])
        if ("BatchNormalization", 4) in uses:
            w = rng.uniform(0.5, 1.5, shape)
        elif ("BatchNormalization", 1) in uses:
            w = 1 + 0.1 * rng.standard_normal(shape)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else max(shape[0], 1)
            w = rng.standard_normal(shape) * (1.0 / np.sqrt(max(fan_in, 1)))
        g.initializer.append(numpy_helper.from_array(w.astype(np.float32), n.output[0]))
    del g.node[:]
    g.node.extend(keep)
    return m


@pytest.mark.parametrize("path", MODELS, ids=[os.path.basename(p)[6:-5] for p in MODELS])
def test_light_model_matches_onnxruntime(path, tmp_path):
    model = randomized(path)
    f = tmp_path / "model.onnx"
    onnx.save(model, str(f))
    compiled = dr1.from_onnx(str(f))
    rng = np.random.default_rng(1)
    feeds = {name: rng.standard_normal(shape).astype(dtype)
             for name, shape, dtype in compiled.inputs}
    so = ort.SessionOptions()
    so.log_severity_level = 3
    ref = ort.InferenceSession(str(f), so).run(None, feeds)
    got = compiled(**feeds)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.shape == r.shape
        scale = float(np.abs(r).max())
        assert scale > 0
        err = float(np.abs(g - r).max())
        assert err <= 1e-4 * scale, f"max abs error {err:.3g}, max |ref| {scale:.3g}"
