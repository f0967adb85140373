"""device='cuda': compiled for NVIDIA GPUs through NVVM. With a GPU, the
compiled model must match eager within the CPU build's tolerance (rtol 1e-5
of the output's largest magnitude, f32); without one (as on CI), loading
raises dr1.DeviceError with libdr1rt's reason, and writing an object for
deployment still works."""
import ctypes
import os

import numpy as np
import pytest

import dr1


def cuda_present():
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    n = ctypes.c_int(0)
    return cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(n)) == 0 and n.value > 0


GPU = cuda_present()


def model():
    return dr1.Sequential([dr1.Linear(64, 32), dr1.GELU(), dr1.Linear(32, 10),
                           dr1.Softmax(-1)])


def onnx_file(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    w = np.random.default_rng(0).standard_normal((64, 32)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"]), helper.make_node("Relu", ["y"], ["z"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [4, 32])],
        [numpy_helper.from_array(w, "w")])
    path = str(tmp_path / "mm.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path, w


@pytest.mark.skipif(GPU, reason="checks the error path of machines without a GPU")
def test_without_gpu_loading_raises_device_error(tmp_path):
    m = model()
    with pytest.raises(dr1.DeviceError, match="CUDA"):
        dr1.optimize(m, method="static", device="cuda")
    path, _ = onnx_file(tmp_path)
    with pytest.raises(dr1.DeviceError, match="CUDA"):
        dr1.from_onnx(path, device="cuda")
    with pytest.raises(dr1.DeviceError, match="CUDA"):
        dr1.optimize(path, device="cuda")


@pytest.mark.skipif(not GPU, reason="needs an NVIDIA GPU and driver")
def test_gpu_matches_eager(tmp_path):
    m = model()
    fast = dr1.optimize(m, method="static", device="cuda")
    x = dr1.randn(8, 64)
    got, want = fast(x).numpy(), m(x).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * max(1.0, np.abs(want).max()))
    path, w = onnx_file(tmp_path)
    xs = np.random.default_rng(1).standard_normal((4, 64)).astype(np.float32)
    out = dr1.from_onnx(path, device="cuda")(xs)[0]
    ref = np.maximum(xs @ w, 0)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5 * np.abs(ref).max())


def test_object_for_a_gpu_is_written_without_one(tmp_path):
    m = model()
    out = str(tmp_path / "gpu_mlp.o")
    art = dr1.optimize(m, example_inputs=[dr1.randn(2, 64)], output=out, device="cuda",
                       cpu="sm_90")
    assert os.path.getsize(art.object_path) > 0
    with open(art.header_path) as f:
        header = f.read()
    assert "CUDA model" in header and "void gpu_mlp_run(" in header
    with open(art.object_path, "rb") as f:
        blob = f.read()
    assert b".target sm_90" in blob and b"mgpuLaunchKernel" in blob


def test_bad_device_options():
    m = model()
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        dr1.optimize(m, device="tpu")
    with pytest.raises(ValueError, match="threads applies to CPU devices"):
        dr1.optimize(m, device="cuda", threads=2)
    with pytest.raises(ValueError, match="names a CPU"):
        dr1.optimize(m, device="cuda", target="aarch64")
