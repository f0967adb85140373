"""dr1.quantization.AutoQuantizer: calibration, per-layer sensitivity, the
mixed-precision choice, the report and export. Numerics: int8 outputs
within 5% of the f32 model's largest output magnitude (the error int8
activations and weights cost on these small layers); bf16 / f16 outputs
against numpy on the same rounded operands, rtol 1e-4 of sum |terms| (f32
summation order)."""
import os

import numpy as np
import pytest

import dr1
from dr1.quantization import AutoQuantizer

rng = np.random.default_rng(0)


class Fragile(dr1.Module):
    """fc1 reads inputs whose feature 0 sits near 500 (and which fc1 ignores,
    its weights being 0): its int8 range is [-3, 500], a step of 2, so the
    ordinary features (standard normal) keep one or two levels. fc2 and fc3
    see ordinary activations."""

    def __init__(self):
        super().__init__()
        self.fc1 = dr1.Linear(16, 32)
        self.fc1.weight.data[:, 0] = 0.0
        self.fc2 = dr1.Linear(32, 32)
        self.fc3 = dr1.Linear(32, 4)

    def forward(self, x):
        return self.fc3(dr1.relu(self.fc2(dr1.relu(self.fc1(x)))))


def batches(n=8, outlier=True):
    out = []
    for _ in range(n):
        x = rng.standard_normal((8, 16)).astype(np.float32)
        if outlier:
            x[:, 0] += 500.0
        out.append(x)
    return out


def test_fragile_layer_stays_in_float():
    model = Fragile()
    q = AutoQuantizer(model, dataset=batches(), verbose=False).quantize(method="mixed-precision")
    chosen = {r["name"]: r["precision"] for r in q.report.rows}
    # fc1 is too fragile for int8 but loses nothing measurable in f16.
    assert chosen == {"fc1": "f16", "fc2": "int8", "fc3": "int8"}
    sens = {r["name"]: r["sensitivity"] for r in q.report.rows}
    assert sens["fc1"] > 10 * max(sens["fc2"], sens["fc3"], 1e-6)
    assert q.report.metric == "output agreement"
    assert q.report.metric_after >= q.report.metric_before * 0.99
    # The result is a compiled model with those precisions.
    x = batches(1)[0]
    ref = model(dr1.tensor(x)).numpy()
    got = q(x)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=0, atol=0.05 * float(np.abs(ref).max()))
    text = str(q.report)
    assert "fc1" in text and "int8" in text and "f16" in text
    rows = {r["name"]: r for r in q.report.rows}
    assert rows["fc1"]["weight_bytes"] == 2 * 16 * 32


def test_fragile_layer_without_fallback_stays_f32():
    q = AutoQuantizer(Fragile(), dataset=batches(), fallback="f32",
                      verbose=False).quantize(method="mixed-precision")
    chosen = {r["name"]: r["precision"] for r in q.report.rows}
    assert chosen == {"fc1": "f32", "fc2": "int8", "fc3": "int8"}


def _round_bf16(a):
    u = np.asarray(a, np.float32).view(np.uint32).astype(np.uint64)
    return ((((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16).astype(np.uint32)
            .view(np.float32))


@pytest.mark.parametrize("method", ["bf16", "f16"])
def test_uniform_16_bit(method):
    """Every layer in bf16 (operands rounded, f32 sums) or f16 (weights
    rounded); checked layer by layer against numpy on the same operands."""
    model = Fragile()
    xs = batches(4, outlier=False)
    q = AutoQuantizer(model, dataset=xs, verbose=False).quantize(method=method)
    assert [r["precision"] for r in q.report.rows] == [method] * 3
    assert all(r["weight_bytes"] == 2 * r["weight_elements"] for r in q.report.rows)
    if method == "bf16":
        narrow = lambda x, w: (_round_bf16(x), _round_bf16(w))  # noqa: E731
    else:
        narrow = lambda x, w: (x, w.astype(np.float16).astype(np.float32))  # noqa: E731
    h = xs[0].astype(np.float32)
    scale = None
    for i, fc in enumerate((model.fc1, model.fc2, model.fc3)):
        w, b = np.asarray(fc.weight.data), np.asarray(fc.bias.data)
        x, wn = narrow(h, w)
        out = x.astype(np.float64) @ wn.T.astype(np.float64) + b
        scale = np.abs(x.astype(np.float64)) @ np.abs(wn.T.astype(np.float64)) + np.abs(b)
        h = (np.maximum(out, 0) if i < 2 else out).astype(np.float32)
    got = q(xs[0])
    # The hidden activations are computed, so a value near a rounding
    # boundary may round the other way: allow one bf16 step (2^-8
    # relative) on the last layer's sum of |terms| for that.
    allow = 2.0 ** -8 * scale if method == "bf16" else 1e-4 * scale
    assert np.all(np.abs(got - out) <= 1e-5 + 1e-4 * scale + allow)


@pytest.mark.parametrize("method", ["bf16", "f16"])
def test_16_bit_halves_the_weights(method):
    # 256 KiB of f32 weights: the object shrinks by about half of that (a
    # tiny model's object is mostly code).
    x = rng.standard_normal((4, 256)).astype(np.float32)
    q = AutoQuantizer(dr1.Linear(256, 256), dataset=[x], verbose=False).quantize(method=method)
    saved = q.report.size_before - q.report.size_after
    assert 0.4 * 256 * 256 * 4 < saved < 0.55 * 256 * 256 * 4


def test_int8_everywhere_and_labels():
    model = Fragile()
    xs = batches(outlier=False)
    ys = [model(dr1.tensor(x)).numpy().argmax(axis=1) for x in xs]
    q = AutoQuantizer(model, dataset=list(zip(xs, ys)), verbose=False).quantize(method="int8")
    assert [r["precision"] for r in q.report.rows] == ["int8"] * 3
    assert q.report.metric == "accuracy"
    assert q.report.metric_before == 1.0  # the labels are the f32 model's own
    assert q.report.metric_after >= 0.9
    d = q.report.as_dict()
    assert d["layers"][0]["weight_bytes"] == 16 * 32 + 4 * 32


def test_export_writes_object_and_header(tmp_path):
    model = Fragile()
    q = AutoQuantizer(model, dataset=batches(3, outlier=False), calibration_method="mse",
                      verbose=False).quantize(method="int8")
    out = q.export(str(tmp_path / "qmodel.o"), target="aarch64")
    assert os.path.getsize(out) > 0
    header = (tmp_path / "qmodel.h").read_text()
    assert "qmodel_run" in header


def test_bad_arguments():
    model = Fragile()
    with pytest.raises(ValueError, match="empty"):
        AutoQuantizer(model, dataset=[])
    with pytest.raises(TypeError, match="Module or the path"):
        AutoQuantizer(42, dataset=batches(1))
    q = AutoQuantizer(model, dataset=batches(1), verbose=False)
    with pytest.raises(ValueError, match="unknown method"):
        q.quantize(method="int3")
    with pytest.raises(ValueError, match="fallback must be"):
        AutoQuantizer(model, dataset=batches(1), fallback="int4")


def test_onnx_file(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    w = rng.standard_normal((6, 12)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc", transB=1),
         helper.make_node("Relu", ["y"], ["z"], name="relu")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 12])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [4, 6])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    path = str(tmp_path / "fc.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    xs = [rng.standard_normal((4, 12)).astype(np.float32) for _ in range(4)]
    q = AutoQuantizer(path, dataset=xs, verbose=False).quantize(method="mixed-precision")
    assert [(r["name"], r["precision"]) for r in q.report.rows] == [("fc", "int8")]
    ref = np.maximum(xs[0] @ w.T + b, 0)
    np.testing.assert_allclose(q(xs[0]), ref, rtol=0, atol=0.05 * float(np.abs(ref).max()))


def test_latency_objective_measures_each_layer():
    model = Fragile()
    q = AutoQuantizer(model, dataset=batches(2), objective="latency",
                      verbose=False).quantize(method="mixed-precision")
    rows = {r["name"]: r for r in q.report.rows}
    assert all(r["saving_s"] is not None for r in rows.values())
    # Whatever the timings, the fragile layer is never chosen, and only
    # layers whose int8 form was measured faster are.
    assert rows["fc1"]["precision"] != "int8"
    for r in rows.values():
        if r["precision"] == "int8":
            assert r["saving_s"] > 0


class TwoInputs(dr1.Module):
    def __init__(self):
        super().__init__()
        self.a = dr1.Linear(8, 4)
        self.b = dr1.Linear(6, 4)

    def forward(self, x, y):
        return self.a(x) + self.b(y)


def test_two_input_model_is_not_read_as_labels():
    model = TwoInputs()
    data = [(rng.standard_normal((3, 8)).astype(np.float32),
             rng.standard_normal((3, 6)).astype(np.float32)) for _ in range(4)]
    q = AutoQuantizer(model, dataset=data, verbose=False).quantize(method="int8")
    assert q.report.metric == "output agreement"
    assert [r["precision"] for r in q.report.rows] == ["int8", "int8"]
    x, y = data[0]
    ref = model(dr1.tensor(x), dr1.tensor(y)).numpy()
    np.testing.assert_allclose(q(x, y), ref, rtol=0, atol=0.05 * float(np.abs(ref).max()))
