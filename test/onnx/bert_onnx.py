"""A BERT-style encoder as ONNX, written node by node the way
torch.onnx.export writes one: Constant nodes, Identity chains, shape
arithmetic (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), Erf-based
GELU, layer norms as Pow / ReduceMean / Sqrt / Div, attention masks as
(1 - mask) * -10000."""
import numpy as np
from onnx import TensorProto, helper, numpy_helper


class _G:
    def __init__(self, rng, opset):
        self.nodes, self.inits, self.rng, self.k, self.opset = [], [], rng, 0, opset

    def name(self, p):
        self.k += 1
        return f"{p}_{self.k}"

    def node(self, op, inputs, n_out=1, **attrs):
        outs = [self.name(op) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.name(op + "_node"), **attrs))
        return outs[0] if n_out == 1 else outs

    def const(self, value, dtype=np.float32):
        """A Constant node, as the exporter emits for literals."""
        arr = np.asarray(value, dtype=dtype)
        out = self.name("const")
        self.nodes.append(helper.make_node("Constant", [], [out], name=self.name("Constant"),
                                           value=numpy_helper.from_array(arr)))
        return out

    def weight(self, shape, scale=None):
        n = self.name("w")
        s = scale if scale is not None else 1 / np.sqrt(shape[0])
        self.inits.append(numpy_helper.from_array(
            (self.rng.standard_normal(shape) * s).astype(np.float32), n))
        return self.node("Identity", [n])  # exporters love Identity chains

    def linear(self, x, din, dout):
        return self.node("Add", [self.node("MatMul", [x, self.weight((din, dout))]),
                                 self.weight((dout,), 0.1)])

    def axes(self, values, x):
        """ReduceMean / Unsqueeze axes as attribute or input, by opset."""
        return values

    def reduce_mean(self, x, axes):
        if self.opset >= 18:
            return self.node("ReduceMean", [x, self.const(axes, np.int64)], keepdims=1)
        return self.node("ReduceMean", [x], axes=axes, keepdims=1)

    def unsqueeze(self, x, axes):
        if self.opset >= 13:
            return self.node("Unsqueeze", [x, self.const(axes, np.int64)])
        return self.node("Unsqueeze", [x], axes=axes)

    def layer_norm(self, x, d):
        mean = self.reduce_mean(x, [-1])
        xc = self.node("Sub", [x, mean])
        var = self.reduce_mean(self.node("Pow", [xc, self.const(2.0)]), [-1])
        std = self.node("Sqrt", [self.node("Add", [var, self.const(1e-12)])])
        y = self.node("Div", [xc, std])
        return self.node("Add", [self.node("Mul", [y, self.weight((d,), 0.1)]), self.weight((d,), 0.1)])

    def gelu(self, x):
        e = self.node("Erf", [self.node("Div", [x, self.const(1.4142135623730951)])])
        return self.node("Mul", [self.node("Mul", [x, self.node("Add", [e, self.const(1.0)])]),
                                 self.const(0.5)])

    def dim(self, x, i):
        """Shape(x)[i] as a 1-element int64 tensor, the exporter's way."""
        s = self.node("Shape", [x])
        return self.unsqueeze(self.node("Gather", [s, self.const(i, np.int64)], axis=0), [0])


def bert(batch=2, seq=16, hidden=64, heads=4, layers=2, vocab=100, ffn=128, opset=14, seed=0):
    g = _G(np.random.default_rng(seed), opset)
    dh = hidden // heads
    ids, mask = "input_ids", "attention_mask"
    emb = g.node("Gather", [g.weight((vocab, hidden), 1.0), ids], axis=0)
    pos = g.node("Gather", [g.weight((seq, hidden), 0.1),
                            g.const(np.arange(seq)[None, :].repeat(batch, 0), np.int64)], axis=0)
    x = g.layer_norm(g.node("Add", [emb, pos]), hidden)
    m = g.node("Cast", [g.unsqueeze(g.unsqueeze(mask, [1]), [2])], to=TensorProto.FLOAT)
    m = g.node("Mul", [g.node("Sub", [g.const(1.0), m]), g.const(-10000.0)])
    for _ in range(layers):
        b, s = g.dim(x, 0), g.dim(x, 1)
        split_shape = g.node("Concat", [b, s, g.const([heads], np.int64), g.const([dh], np.int64)],
                             axis=0)

        def heads_of(t, perm):
            return g.node("Transpose", [g.node("Reshape", [t, split_shape])], perm=perm)
        q = heads_of(g.linear(x, hidden, hidden), [0, 2, 1, 3])
        k = heads_of(g.linear(x, hidden, hidden), [0, 2, 3, 1])
        v = heads_of(g.linear(x, hidden, hidden), [0, 2, 1, 3])
        scores = g.node("Div", [g.node("MatMul", [q, k]), g.const(np.sqrt(dh))])
        p = g.node("Softmax", [g.node("Add", [scores, m])], axis=-1)
        ctx = g.node("Transpose", [g.node("MatMul", [p, v])], perm=[0, 2, 1, 3])
        merged = g.node("Concat", [b, s, g.const([hidden], np.int64)], axis=0)
        ctx = g.node("Reshape", [ctx, merged])
        x = g.layer_norm(g.node("Add", [x, g.linear(ctx, hidden, hidden)]), hidden)
        f = g.linear(g.gelu(g.linear(x, hidden, ffn)), ffn, hidden)
        x = g.layer_norm(g.node("Add", [x, f]), hidden)
    cls = g.node("Squeeze", [g.node("Slice", [x, g.const([0], np.int64), g.const([1], np.int64),
                                              g.const([1], np.int64)]),
                             g.const([1], np.int64)]) if opset >= 13 else \
        g.node("Squeeze", [g.node("Slice", [x, g.const([0], np.int64), g.const([1], np.int64),
                                            g.const([1], np.int64)])], axes=[1])
    logits = g.linear(g.node("Tanh", [g.linear(cls, hidden, hidden)]), hidden, 2)
    graph = helper.make_graph(
        g.nodes, "bert",
        [helper.make_tensor_value_info(ids, TensorProto.INT64, [batch, seq]),
         helper.make_tensor_value_info(mask, TensorProto.INT64, [batch, seq])],
        [helper.make_tensor_value_info(logits, TensorProto.FLOAT, [batch, 2]),
         helper.make_tensor_value_info(x, TensorProto.FLOAT, [batch, seq, hidden])],
        g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
