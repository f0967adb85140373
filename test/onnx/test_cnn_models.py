"""MobileNetV2- and EfficientNet-B0-style ONNX models (test/onnx/cnn_onnx.py:
inverted residuals, depthwise convs, ReLU6 as Clip, SiLU, squeeze-excitation,
BatchNormalization nodes) compiled with dr1 and compared with ONNX Runtime,
on one and two threads and with each optional pass disabled in turn.
Tolerance: max |dr1 - ort| <= 1e-4 * max |ort| (f32 sums in another order).
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import dr1

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnn_onnx import efficientnet_b0, mobilenet_v2  # noqa: E402

CASES = {
    "mobilenet_v2": lambda: mobilenet_v2(batch=2, resolution=64, width=0.5, classes=10, bn=True),
    "efficientnet_b0": lambda: efficientnet_b0(batch=1, resolution=64, classes=10, bn=True),
}


def check(path, **options):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so)
    inp = sess.get_inputs()[0]
    x = np.random.default_rng(1).standard_normal(inp.shape).astype(np.float32)
    ref = sess.run(None, {inp.name: x})[0]
    got = dr1.from_onnx(path, **options)(x)[0]
    assert got.shape == ref.shape
    err = np.abs(got - ref).max()
    assert err <= 1e-4 * np.abs(ref).max(), f"max abs err {err} vs max |ref| {np.abs(ref).max()}"


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("threads", [1, 2])
def test_matches_onnxruntime(name, threads, tmp_path):
    path = str(tmp_path / f"{name}.onnx")
    model = CASES[name]()
    onnx.checker.check_model(model)
    onnx.save(model, path)
    check(path, threads=threads)


@pytest.mark.parametrize("name,disabled", [
    ("mobilenet_v2", "dr1-fold-batch-norm"), ("mobilenet_v2", "dr1-propagate-transposes"),
    ("mobilenet_v2", "dr1-fuse-elementwise"), ("mobilenet_v2", "dr1-fuse-epilogue"),
    ("efficientnet_b0", "dr1-fuse-squeeze-excitation")])
def test_each_pass_off_still_matches(name, disabled, tmp_path):
    path = str(tmp_path / f"{name}.onnx")
    onnx.save(CASES[name](), path)
    check(path, disable_passes=(disabled,))
