"""Pre-quantized ONNX models against ONNX Runtime: a small CNN and an MLP
quantized by onnxruntime.quantization.quantize_static (QDQ: QuantizeLinear /
DequantizeLinear pairs, per-channel int8 weights, uint8 activations), and
hand-written QLinearConv / QLinearMatMul graphs. dr1 runs the products on
its int8 kernels with the model's own int8 activations, weights, scales and
zero points.

ONNX Runtime as the reference: on x86 CPUs without VNNI (AVX2, AVX-512F
without VNNI) its uint8 x int8 kernels sum adjacent products in int16 with
saturation (vpmaddubsw), so a pair beyond 32767 is clipped and its results
are not ONNX's exact int32 sums. The models here therefore keep int8 weights
to 7 bits (255 * 64 * 2 < 32767; quantize_* with reduce_range=True, ONNX
Runtime's own remedy), and the full-range integer test checks dr1 against
exact numpy sums, with ONNX Runtime confirming numpy on inputs small enough
that no pair can saturate.

Tolerance: ONNX Runtime requantizes with its own integer arithmetic and
rounding; an output may land one quantization step (of the last
QuantizeLinear, or of the f32 output's scale) away. Bound: max |dr1 - ort|
<= 2 steps of the output's own scale, and at least 95% of the elements
exactly equal (QLinear outputs) or within 1e-3 relative (QDQ float outputs).
"""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import dr1

rng = np.random.default_rng(0)


def _save(graph, path, opset=17):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def _cnn(path):
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((16, 8, 3, 3)) * 0.2).astype(np.float32)
    b2 = (rng.standard_normal(16) * 0.1).astype(np.float32)
    w3 = (rng.standard_normal((10, 16 * 4 * 4)) * 0.1).astype(np.float32)
    b3 = (rng.standard_normal(10) * 0.1).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1],
                              strides=[2, 2]),
             helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
             helper.make_node("Flatten", ["r2"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], name="fc", transB=1)]
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"), (w3, "w3"), (b3, "b3")]]
    g = helper.make_graph(nodes, "cnn",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    return _save(g, path, 13)


class _Reader:
    def __init__(self, xs):
        self.it = iter([{"x": x} for x in xs])

    def get_next(self):
        return next(self.it, None)


def test_qdq_cnn_from_quantize_static(tmp_path):
    quant = pytest.importorskip("onnxruntime.quantization")
    f32 = _cnn(str(tmp_path / "cnn.onnx"))
    xs = [rng.standard_normal((1, 3, 8, 8)).astype(np.float32) for _ in range(16)]
    q = str(tmp_path / "cnn.qdq.onnx")
    quant.quantize_static(f32, q, _Reader(xs), quant_format=quant.QuantFormat.QDQ,
                          per_channel=True, reduce_range=True,
                          activation_type=quant.QuantType.QUInt8,
                          weight_type=quant.QuantType.QInt8)
    ops = {n.op_type for n in onnx.load(q).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    sess = ort.InferenceSession(q, providers=["CPUExecutionProvider"])
    model = dr1.from_onnx(q)
    # The products run on int8 with the model's activation parameters.
    mlir = dr1.compiled._dr1.compile_onnx(q, emit="mlir")[0].decode()
    assert mlir.count("xi8>) -> tensor<") >= 3, mlir
    ref32 = ort.InferenceSession(f32, providers=["CPUExecutionProvider"])
    for x in xs[:6]:
        want = sess.run(None, {"x": x})[0]
        got = model(x)
        # One quantization step of the last layer's input scale times the
        # largest weight bounds a flipped rounding; the outputs themselves
        # are f32 (the model's last DequantizeLinear).
        scale = float(np.abs(want).max())
        assert np.abs(got - want).max() <= 0.02 * scale, (got, want)
        # And the int8 model stays close to the float one.
        full = ref32.run(None, {"x": x})[0]
        assert np.abs(got - full).max() <= 0.1 * float(np.abs(full).max())


def _qlinear(path):
    x_s, x_z = 0.05, 128
    w = rng.integers(-64, 64, (6, 4, 3, 3)).astype(np.int8)  # 7 bits: see the top
    w_s = (rng.uniform(0.002, 0.01, 6)).astype(np.float32)
    bias = rng.integers(-500, 500, 6).astype(np.int32)
    y_s, y_z = 0.04, 100
    m = rng.integers(-30, 30, (6 * 4 * 4, 5)).astype(np.int8)
    m_s, o_s, o_z = 0.01, 0.05, 128
    inits = [numpy_helper.from_array(np.array(x_s, np.float32), "xs"),
             numpy_helper.from_array(np.array(x_z, np.uint8), "xz"),
             numpy_helper.from_array(w, "w"), numpy_helper.from_array(w_s, "ws"),
             numpy_helper.from_array(np.zeros(6, np.int8), "wz"),
             numpy_helper.from_array(np.array(y_s, np.float32), "ys"),
             numpy_helper.from_array(np.array(y_z, np.uint8), "yz"),
             numpy_helper.from_array(bias, "b"),
             numpy_helper.from_array(np.array([1, -1], np.int64), "shape"),
             numpy_helper.from_array(m, "m"),
             numpy_helper.from_array(np.array(m_s, np.float32), "ms"),
             numpy_helper.from_array(np.array(0, np.int8), "mz"),
             numpy_helper.from_array(np.array(o_s, np.float32), "os"),
             numpy_helper.from_array(np.array(o_z, np.uint8), "oz")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="q"),
             helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                              ["yq"], name="qconv", pads=[1, 1, 1, 1]),
             helper.make_node("Reshape", ["yq", "shape"], ["flat"], name="flat"),
             helper.make_node("QLinearMatMul", ["flat", "ys", "yz", "m", "ms", "mz", "os", "oz"],
                              ["oq"], name="qmm"),
             helper.make_node("DequantizeLinear", ["oq", "os", "oz"], ["y"], name="dq")]
    g = helper.make_graph(nodes, "qlinear",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
    return _save(g, path, 13), o_s


def test_qlinear_conv_and_matmul(tmp_path):
    path, out_scale = _qlinear(str(tmp_path / "qlinear.onnx"))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    model = dr1.from_onnx(path)
    mlir = dr1.compiled._dr1.compile_onnx(path, emit="mlir")[0].decode()
    assert "dr1.conv2d" in mlir and "(tensor<1x4x4x4xi8>, tensor<6x4x3x3xi8>) -> tensor<1x6x4x4xi32>" in mlir
    assert "(tensor<1x96xi8>, tensor<96x5xi8>) -> tensor<1x5xi32>" in mlir
    exact = total = 0
    for _ in range(8):
        x = rng.uniform(-6, 6, (1, 4, 4, 4)).astype(np.float32)
        want = sess.run(None, {"x": x})[0]
        got = model(x)
        steps = np.abs(got - want) / out_scale
        assert steps.max() <= 2.0 + 1e-3, (got, want)
        exact += int((steps < 1e-3).sum())
        total += steps.size
    assert exact >= 0.95 * total


def test_unsupported_quantization_is_reported(tmp_path):
    inits = [numpy_helper.from_array(np.array([0.1, 0.2], np.float32).reshape(1, 2), "s"),
             numpy_helper.from_array(np.zeros((1, 2), np.uint8), "z")]
    g = helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name="blockq", axis=1)],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.UINT8, [2, 2])], inits)
    path = str(tmp_path / "block.onnx")
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, path)
    with pytest.raises(dr1.CompileError, match="blockq.*block-wise scales are not supported"):
        dr1.from_onnx(path)


def _integer_graph(path, w_dtype):
    """x (float) -> QuantizeLinear (uint8, zero point 118) -> ConvInteger
    (padded, strided; weights int8 or uint8 with their zero point) -> Cast
    -> output; and the quantized x flattened -> MatMulInteger with constant
    weights -> Cast -> output. Integer results: exact."""
    w_np = np.int8 if w_dtype == TensorProto.INT8 else np.uint8
    lo, hi = (-128, 128) if w_np == np.int8 else (0, 256)
    wzp = 0 if w_np == np.int8 else 128
    wc = rng.integers(lo, hi, (6, 4, 3, 3)).astype(w_np)
    wm = rng.integers(lo, hi, (64, 5)).astype(w_np)
    inits = [numpy_helper.from_array(np.array(0.05, np.float32), "s"),
             numpy_helper.from_array(np.array(118, np.uint8), "zx"),
             numpy_helper.from_array(wc, "wc"), numpy_helper.from_array(wm, "wm"),
             numpy_helper.from_array(np.array(wzp, w_np), "zw")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zx"], ["q"], name="quant"),
             helper.make_node("ConvInteger", ["q", "wc", "zx", "zw"], ["ci"], name="convint",
                              pads=[1, 0, 2, 1], strides=[2, 1]),
             helper.make_node("Cast", ["ci"], ["yc"], name="castc", to=TensorProto.FLOAT),
             helper.make_node("Flatten", ["q"], ["qf"], name="flat"),
             helper.make_node("MatMulInteger", ["qf", "wm", "zx", "zw"], ["mi"], name="matint"),
             helper.make_node("Cast", ["mi"], ["ym"], name="castm", to=TensorProto.FLOAT)]
    g = helper.make_graph(nodes, "integer",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 4])],
                          [helper.make_tensor_value_info("yc", TensorProto.FLOAT, [1, 6, 3, 3]),
                           helper.make_tensor_value_info("ym", TensorProto.FLOAT, [1, 5])], inits)
    return _save(g, path, 13), wc, wm, wzp


def _integer_reference(q, wc, wm, wzp):
    """ONNX's definition of _integer_graph's outputs in exact integers, from
    the quantized input q (uint8 values): padding holds the zero point, so
    it contributes nothing once the zero points are subtracted."""
    xs = np.pad(q.astype(np.int64) - 118, ((0, 0), (0, 0), (1, 2), (0, 1)))
    ws = wc.astype(np.int64) - wzp
    conv = np.zeros((1, 6, 3, 3), np.int64)
    for i in range(3):
        for j in range(3):
            conv[0, :, i, j] = np.einsum("chw,ochw->o", xs[0, :, 2 * i:2 * i + 3, j:j + 3], ws)
    mm = (q.reshape(1, 64).astype(np.int64) - 118) @ (wm.astype(np.int64) - wzp)
    return conv.astype(np.float32), mm.astype(np.float32)


@pytest.mark.parametrize("w_dtype", [TensorProto.INT8, TensorProto.UINT8])
def test_conv_and_matmul_integer(tmp_path, w_dtype):
    """ConvInteger and MatMulInteger as dr1's int8 products (uint8 inputs
    shifted to int8, the input zero point's share subtracted): exactly the
    int32 sums ONNX defines, over the whole uint8 and int8 ranges."""
    path, wc, wm, wzp = _integer_graph(str(tmp_path / "integer.onnx"), w_dtype)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    model = dr1.from_onnx(path)
    mlir = dr1.compiled._dr1.compile_onnx(path, emit="mlir")[0].decode()
    assert "pad_value = -10" in mlir  # uint8 118 as int8
    assert "-> tensor<1x6x3x3xi32>" in mlir and "-> tensor<1x5xi32>" in mlir
    for hi in (256, 256, 256, 128):
        # x is q's dequantized value, so QuantizeLinear gives back q.
        q = rng.integers(0, hi, (1, 4, 4, 4))
        x = ((q - 118) * 0.05).astype(np.float32)
        want_c, want_m = _integer_reference(q, wc, wm, wzp)
        got_c, got_m = model(x)
        np.testing.assert_array_equal(got_c, want_c)
        np.testing.assert_array_equal(got_m, want_m)
    # ONNX Runtime agrees with the reference where its int16 pair sums cannot
    # saturate (q < 128: 127 * 128 * 2 < 32768; see the top).
    ort_c, ort_m = sess.run(None, {"x": x})
    np.testing.assert_array_equal(ort_c, want_c)
    np.testing.assert_array_equal(ort_m, want_m)


def test_matmul_integer_without_zero_points(tmp_path):
    """QuantizeLinear without a zero point gives uint8 (zero point 0), which
    MatMulInteger then reads as such."""
    w = rng.integers(-128, 128, (4, 3)).astype(np.int8)
    g = helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "s"], ["q"], name="quant"),
         helper.make_node("MatMulInteger", ["q", "w"], ["y"], name="matint")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [2, 3])],
        [numpy_helper.from_array(np.array(0.05, np.float32), "s"),
         numpy_helper.from_array(w, "w")])
    path = _save(g, str(tmp_path / "nozp.onnx"), 13)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    model = dr1.from_onnx(path)
    x = rng.uniform(-2, 6, (2, 4)).astype(np.float32)
    np.testing.assert_array_equal(model(x)[0], sess.run(None, {"x": x})[0])


def _mlp(path):
    w1 = (rng.standard_normal((64, 48)) * 0.2).astype(np.float32)
    b1 = (rng.standard_normal(48) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((48, 10)) * 0.2).astype(np.float32)
    b2 = (rng.standard_normal(10) * 0.1).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["m1"], name="fc1"),
             helper.make_node("Add", ["m1", "b1"], ["a1"], name="add1"),
             helper.make_node("Relu", ["a1"], ["r1"], name="relu1"),
             helper.make_node("MatMul", ["r1", "w2"], ["m2"], name="fc2"),
             helper.make_node("Add", ["m2", "b2"], ["y"], name="add2")]
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2")]]
    g = helper.make_graph(nodes, "mlp",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8, 10])], inits)
    return _save(g, path, 13)


@pytest.mark.parametrize("weight_type", ["QInt8", "QUInt8"])
def test_dynamic_quantization_from_quantize_dynamic(tmp_path, weight_type):
    """ONNX Runtime's quantize_dynamic: DynamicQuantizeLinear (scale and
    zero point from each activation's own range, at run time) ->
    MatMulInteger -> Cast -> Mul by the scales -> Add. dr1's int8 products
    match ONNX Runtime's: the integer sums are exact, so only a value that
    rounds to the other side of a step in DynamicQuantizeLinear (x / scale
    computed in another order) can differ, by that step times its weights."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    f32 = _mlp(str(tmp_path / "mlp.onnx"))
    q = str(tmp_path / "mlp.dyn.onnx")
    quantize_dynamic(f32, q, weight_type=getattr(QuantType, weight_type), reduce_range=True)
    ops = {node.op_type for node in onnx.load(q).graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= ops
    sess = ort.InferenceSession(q, providers=["CPUExecutionProvider"])
    model = dr1.from_onnx(q)
    mlir = dr1.compiled._dr1.compile_onnx(q, emit="mlir")[0].decode()
    assert "(tensor<8x64xi8>, tensor<64x48xi8>) -> tensor<8x48xi32>" in mlir
    close = total = 0
    for _ in range(8):
        x = rng.standard_normal((8, 64)).astype(np.float32)
        want = sess.run(None, {"x": x})[0]
        got = model(x)[0]
        scale = float(np.abs(want).max())
        assert np.abs(got - want).max() <= 0.02 * scale, (got, want)
        close += int((np.abs(got - want) <= 1e-5 * scale).sum())
        total += want.size
    assert close >= 0.9 * total
