"""The ONNX importer: a BERT-style encoder in torch.onnx.export's style,
external data, and the error paths of dr1c on ONNX input."""
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import dr1

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_onnx import bert  # noqa: E402

DR1C = os.environ.get("DR1C", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin", "dr1c"))


def ort_run(path, feeds):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(path, so).run(None, feeds)


@pytest.mark.parametrize("opset", [13, 14, 17, 18])
def test_bert_encoder_matches_onnxruntime(tmp_path, opset):
    path = str(tmp_path / "bert.onnx")
    onnx.save(bert(opset=opset), path)
    rng = np.random.default_rng(0)
    mask = np.ones((2, 16), np.int64)
    mask[1, 11:] = 0
    feeds = {"input_ids": rng.integers(0, 100, (2, 16)).astype(np.int64), "attention_mask": mask}
    got = dr1.from_onnx(path)(**feeds)
    for g, r in zip(got, ort_run(path, feeds)):
        np.testing.assert_allclose(g, r, rtol=0, atol=1e-4 * float(np.abs(r).max()))


def test_external_data(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((64, 32)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 32])],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = str(tmp_path / "ext.onnx")
    onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    assert os.path.exists(tmp_path / "weights.bin")
    x = rng.standard_normal((4, 64)).astype(np.float32)
    (got,) = dr1.from_onnx(path)(x)
    np.testing.assert_allclose(got, x @ w, rtol=1e-5, atol=1e-5)
    # dr1c compiles it too, for another target.
    subprocess.run([DR1C, path, "-target=aarch64", "-o", str(tmp_path / "ext.o")], check=True)
    assert (tmp_path / "ext.h").exists()


def dr1c_error(*args):
    r = subprocess.run([DR1C, *args], capture_output=True, text=True)
    assert r.returncode == 1, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_dr1c_onnx_errors(tmp_path):
    g = helper.make_graph(
        [helper.make_node("FooBar", ["x"], ["y"], name="n1"),
         helper.make_node("Relu", ["y"], ["z"], name="n2"),
         helper.make_node("Baz", ["z"], ["w"], name="n3"),
         helper.make_node("FooBar", ["w"], ["v"], name="n4")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("v", TensorProto.FLOAT, [2])])
    bad = str(tmp_path / "bad.onnx")
    onnx.save(helper.make_model(g), bad)
    msg = dr1c_error(bad, "-o", str(tmp_path / "bad.o"))
    assert "unsupported ONNX operators: FooBar (node 'n1'), Baz (node 'n3')" in msg
    assert not (tmp_path / "bad.o").exists()

    good = str(tmp_path / "good.onnx")
    onnx.save(bert(), good)
    data = open(good, "rb").read()
    trunc = str(tmp_path / "trunc.onnx")
    open(trunc, "wb").write(data[: len(data) // 3])
    assert "is not a valid ONNX model" in dr1c_error(trunc, "-o", str(tmp_path / "t.o"))
    garbage = str(tmp_path / "garbage.onnx")
    open(garbage, "wb").write(b"\x00\xff" * 100)
    assert "is not a valid ONNX model" in dr1c_error(garbage, "-o", str(tmp_path / "t.o"))

    dyn = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
                            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])])
    dyn_path = str(tmp_path / "dyn.onnx")
    onnx.save(helper.make_model(dyn), dyn_path)
    assert "dynamic dimension 'N'" in dr1c_error(dyn_path, "-o", str(tmp_path / "d.o"))
    subprocess.run([DR1C, dyn_path, "--input-shape=x:4x3", "-o", str(tmp_path / "d.o")],
                   check=True)

    attr = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="c",
                                               auto_pad="NOTSET", foo=3)], "g",
                             [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
                             [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 2, 2])],
                             [numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")])
    attr_path = str(tmp_path / "attr.onnx")
    onnx.save(helper.make_model(attr), attr_path)
    assert "node 'c' (Conv): attribute 'foo' is not supported" in dr1c_error(attr_path)
    with pytest.raises(dr1.CompileError, match="unsupported ONNX operators"):
        dr1.from_onnx(bad)
    with pytest.raises(FileNotFoundError):
        dr1.from_onnx(str(tmp_path / "missing.onnx"))


def test_optimize_accepts_onnx_path(tmp_path):
    path = str(tmp_path / "bert.onnx")
    onnx.save(bert(), path)
    m = dr1.optimize(path)
    assert isinstance(m, dr1.OnnxModel)
    art = dr1.optimize(path, output=str(tmp_path / "bert_arm.o"), target="aarch64")
    assert open(art.object_path, "rb").read()[18] == 183  # EM_AARCH64
