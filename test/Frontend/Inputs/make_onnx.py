"""Writes small ONNX models for the importer's lit tests: make_onnx.py KIND OUT."""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def c(name, value, dtype=np.int64):
    return helper.make_node("Constant", [], [name], name=name,
                            value=numpy_helper.from_array(np.asarray(value, dtype)))


def shape_chain():
    # torch.onnx.export's reshape: x.view(x.size(0), -1) through shape arithmetic.
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape"),
             c("zero", 0), c("minus1", [-1]),
             helper.make_node("Gather", ["s", "zero"], ["b"], axis=0, name="gather"),
             c("axes", [0]),
             helper.make_node("Unsqueeze", ["b", "axes"], ["b1"], name="unsqueeze"),
             helper.make_node("Concat", ["b1", "minus1"], ["shape2"], axis=0, name="concat"),
             helper.make_node("Identity", ["shape2"], ["shape3"], name="identity"),
             helper.make_node("Reshape", ["x", "shape3"], ["y"], name="reshape"),
             helper.make_node("Relu", ["y"], ["z"], name="relu")]
    return helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
                             [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 12])])


def conv_same():
    w = numpy_helper.from_array(np.ones((8, 3, 3, 3), np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[2, 2],
                              name="conv"),
             helper.make_node("Softmax", ["y"], ["z"], axis=1, name="softmax")]
    return helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 7, 7])],
                             [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 8, 4, 4])], [w])


kind, out = sys.argv[1], sys.argv[2]
opset = int(sys.argv[3]) if len(sys.argv) > 3 else 17
graph = {"shape_chain": shape_chain, "conv_same": conv_same}[kind]()
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), out)
