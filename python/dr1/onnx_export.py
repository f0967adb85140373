"""ONNX export: the model is traced exactly as dr1.optimize traces it (same
ops, same shapes, checked by the compiler's own op builders), and every
dr1 op is written as the ONNX node(s) with the same meaning (opset 17).
Weights become initializers named after their parameters."""
import numpy as np

from . import _dr1
from .compiled import _trace
from .nn import Module
from .tensor import Tensor

OPSET = 17

_UNARY = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "exp": "Exp", "log": "Log",
          "sqrt": "Sqrt", "neg": "Neg", "abs": "Abs", "erf": "Erf", "reciprocal": "Reciprocal",
          "hardswish": "HardSwish"}
_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow", "max": "Max",
           "min": "Min", "equal": "Equal", "less": "Less", "greater": "Greater"}


class _Recorder:
    """Stands in for _dr1.Graph during the trace: the real graph checks
    each op and infers shapes; the recorder writes the ONNX nodes."""

    def __init__(self):
        import onnx  # noqa: F401  (a clear ImportError before tracing)
        self.graph = _dr1.Graph("forward")
        self.names, self.inputs, self.inits, self.nodes, self.outputs = {}, [], [], [], []
        self.dtypes = {}
        self.count = 0

    def _fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def _const(self, arr, hint="const"):
        from onnx import numpy_helper
        name = self._fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def add_input(self, shape, dtype, name="", trainable=False):
        vid = self.graph.add_input(shape, dtype, name)
        self.names[vid] = name or f"input{len(self.inputs)}"
        self.inputs.append((self.names[vid], shape, dtype))
        self.dtypes[vid] = np.dtype(dtype)
        return vid

    def add_constant(self, array, dtype, name=""):
        vid = self.graph.add_constant(array, dtype, name)
        self.names[vid] = self._const(np.asarray(array, dtype=dtype), name or "const")
        self.dtypes[vid] = np.dtype(dtype)
        return vid

    def shape(self, vid):
        return self.graph.shape(vid)

    def text(self):
        return self.graph.text()

    def set_outputs(self, ids, names):
        self.graph.set_outputs(ids, names)
        for vid, n in zip(ids, names):
            self.nodes.append(("Identity", [self.names[vid]], [n], {}))
            self.outputs.append((n, self.graph.shape(vid), self.dtypes[vid]))

    def add_op(self, op, operands, attrs, name, result_shape, result_dtype):
        vid = self.graph.add_op(op, operands, attrs, name, result_shape, result_dtype)
        ins = ["" if o is None else self.names[o] for o in operands]
        out = self._fresh(op)
        self.names[vid] = out
        first = next(o for o in operands if o is not None)
        self.dtypes[vid] = np.dtype(result_dtype) if result_dtype is not None else \
            self.dtypes[first]
        self._emit(op, ins, out, dict(attrs), self.graph.shape(vid), operands,
                   self.dtypes[vid])
        return vid

    def _node(self, op, ins, outs, **attrs):
        self.nodes.append((op, ins, outs, attrs))

    def _emit(self, op, ins, out, attrs, shape, operands, dtype):
        node = self._node
        if op in _UNARY:
            return node(_UNARY[op], ins, [out])
        if op in _BINARY:
            return node(_BINARY[op], ins, [out])
        if op == "rsqrt":
            t = self._fresh("sqrt")
            node("Sqrt", ins, [t])
            return node("Reciprocal", [t], [out])
        if op == "gelu":
            if attrs.get("approximate", "none") == "tanh":
                raise ValueError("ONNX export: tanh-approximated GELU needs opset 20")
            # 0.5 x (1 + erf(x / sqrt 2)), opset 17 has no Gelu.
            a, b, c = self._fresh("g"), self._fresh("g"), self._fresh("g")
            dt = self.dtypes[operands[0]]
            node("Div", [ins[0], self._const(np.asarray(np.sqrt(2.0), dt))], [a])
            node("Erf", [a], [b])
            node("Add", [b, self._const(np.asarray(1.0, dt))], [c])
            d = self._fresh("g")
            node("Mul", [ins[0], c], [d])
            return node("Mul", [d, self._const(np.asarray(0.5, dt))], [out])
        if op == "silu":
            t = self._fresh("sig")
            node("Sigmoid", ins, [t])
            return node("Mul", [ins[0], t], [out])
        if op == "leaky_relu":
            return node("LeakyRelu", ins, [out], alpha=attrs["alpha"])
        if op == "clip":
            dt = self.dtypes[operands[0]]
            return node("Clip", ins + [self._const(np.asarray(attrs["min"], dt)),
                                       self._const(np.asarray(attrs["max"], dt))], [out])
        if op == "cast":
            from onnx import helper
            return node("Cast", ins, [out],
                        to=helper.np_dtype_to_tensor_dtype(dtype))
        if op == "matmul":
            return node("MatMul", ins, [out])
        if op == "linear":
            # x W^T + b; for any rank of x.
            wt = self._fresh("wt")
            node("Transpose", [ins[1]], [wt], perm=[1, 0])
            if len(ins) < 3 or not ins[2]:
                return node("MatMul", [ins[0], wt], [out])
            t = self._fresh("mm")
            node("MatMul", [ins[0], wt], [t])
            return node("Add", [t, ins[2]], [out])
        if op in ("softmax", "log_softmax"):
            return node("Softmax" if op == "softmax" else "LogSoftmax", ins, [out],
                        axis=int(attrs.get("axis", -1)))
        if op == "layer_norm":
            ins = [i for i in ins if i]
            if len(ins) == 1:
                dt = self.dtypes[operands[0]]
                n = int(np.prod(self.graph.shape(operands[0])[int(attrs["axis"]):]))
                ins.append(self._const(np.ones(n, dt)))
            return node("LayerNormalization", ins, [out], axis=int(attrs["axis"]),
                        epsilon=float(attrs["epsilon"]))
        if op == "batch_norm":
            return node("BatchNormalization", ins, [out], epsilon=float(attrs["epsilon"]))
        if op == "reshape":
            return node("Reshape", [ins[0], self._const(np.asarray(shape, np.int64), "shape")],
                        [out])
        if op == "transpose":
            return node("Transpose", ins, [out], perm=list(attrs["perm"]))
        if op == "gather":
            return node("Gather", ins, [out], axis=int(attrs.get("axis", 0)))
        if op == "concat":
            return node("Concat", ins, [out], axis=int(attrs["axis"]))
        if op == "slice":
            k = len(attrs["starts"])
            return node("Slice", [ins[0], self._const(np.asarray(attrs["starts"], np.int64)),
                                  self._const(np.asarray(attrs["ends"], np.int64)),
                                  self._const(np.arange(k, dtype=np.int64)),
                                  self._const(np.asarray(attrs["steps"], np.int64))], [out])
        if op in ("reduce_sum", "reduce_mean", "reduce_max"):
            onnx_op = {"reduce_sum": "ReduceSum", "reduce_mean": "ReduceMean",
                       "reduce_max": "ReduceMax"}[op]
            rank = len(self.graph.shape(operands[0]))
            axes = attrs.get("axes", list(range(rank)))
            keep = int(bool(attrs.get("keepdims", False)))
            if onnx_op == "ReduceSum":  # axes an input since opset 13
                return node(onnx_op, [ins[0], self._const(np.asarray(axes, np.int64))], [out],
                            keepdims=keep)
            return node(onnx_op, ins, [out], axes=list(axes), keepdims=keep)
        if op == "conv2d":
            return node("Conv", [i for i in ins if i], [out], strides=list(attrs["strides"]),
                        pads=list(attrs["padding"]), dilations=list(attrs["dilations"]),
                        group=int(attrs["groups"]))
        if op == "max_pool2d":
            return node("MaxPool", ins, [out], kernel_shape=list(attrs["kernel_shape"]),
                        strides=list(attrs["strides"]), pads=list(attrs["padding"]),
                        dilations=list(attrs["dilations"]), ceil_mode=int(attrs["ceil_mode"]))
        if op == "avg_pool2d":
            return node("AveragePool", ins, [out], kernel_shape=list(attrs["kernel_shape"]),
                        strides=list(attrs["strides"]), pads=list(attrs["padding"]),
                        ceil_mode=int(attrs["ceil_mode"]),
                        count_include_pad=int(attrs["count_include_pad"]))
        if op == "global_avg_pool":
            return node("GlobalAveragePool", ins, [out])
        if op == "where":
            return node("Where", ins, [out])
        raise ValueError(f"ONNX export: dr1.{op} has no ONNX equivalent in this exporter")

    def model(self, producer="dr1"):
        from onnx import helper
        nodes = [helper.make_node(op, ins, outs, **attrs) for op, ins, outs, attrs in self.nodes]

        def vinfo(name, shape, dtype):
            return helper.make_tensor_value_info(
                name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), list(shape))
        graph = helper.make_graph(nodes, "dr1", [vinfo(*i) for i in self.inputs],
                                  [vinfo(*o) for o in self.outputs], self.inits)
        m = helper.make_model(graph, producer_name=producer,
                              opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = 8
        return m


def export(model, example_input, path):
    """Writes `model` (a dr1.Module, traced in inference mode on
    `example_input`, an array or a tuple of arrays) to `path` as ONNX;
    returns the onnx.ModelProto. The batch size is the example's."""
    import onnx
    if not isinstance(model, Module):
        raise TypeError("dr1 ONNX export takes a dr1.Module")
    inputs = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    arrays = [np.ascontiguousarray(x.data if isinstance(x, Tensor) else np.asarray(x))
              for x in inputs]
    names = {id(p): n for n, p in model.named_parameters()}
    names.update({id(b): n for n, b in model.named_buffers()})
    rec = _Recorder()
    _trace(model, arrays, names, graph=rec)
    proto = rec.model()
    onnx.checker.check_model(proto)
    tmp = path + ".tmp"
    onnx.save(proto, tmp)
    import os
    os.replace(tmp, path)
    return proto
