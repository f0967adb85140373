"""MobileNetV2- and EfficientNet-style CNNs as ONNX (random weights), node by
node as torchvision's exporter writes them: Conv (with bias, batch norm
already folded in by the exporter's eval mode, or as BatchNormalization
when `bn=True`), Clip(0, 6) for ReLU6, x * Sigmoid(x) for SiLU, squeeze-
excitation as GlobalAveragePool -> Conv 1x1 -> SiLU -> Conv 1x1 -> Sigmoid
-> Mul, Flatten + Gemm classifiers.

    mobilenet_v2(batch=1, resolution=224, width=1.0)
    efficientnet_b0(batch=1, resolution=224)
"""
import numpy as np
from onnx import TensorProto, helper, numpy_helper


class _G:
    def __init__(self, seed, bn):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.k, self.bn = [], [], 0, bn

    def name(self, p):
        self.k += 1
        return f"{p}_{self.k}"

    def node(self, op, inputs, **attrs):
        out = self.name(op)
        self.nodes.append(helper.make_node(op, inputs, [out], name=self.name(op + "_n"), **attrs))
        return out

    def init(self, arr):
        n = self.name("w")
        self.inits.append(numpy_helper.from_array(arr.astype(np.float32), n))
        return n

    def conv(self, x, cin, cout, k, stride=1, groups=1):
        fan_in = cin // groups * k * k
        w = self.init(self.rng.standard_normal((cout, cin // groups, k, k)) * np.sqrt(2 / fan_in))
        p = k // 2
        attrs = dict(kernel_shape=[k, k], strides=[stride, stride], pads=[p, p, p, p],
                     group=groups)
        if self.bn:
            y = self.node("Conv", [x, w], **attrs)
            scale = self.init(1 + 0.1 * self.rng.standard_normal(cout))
            bias = self.init(0.1 * self.rng.standard_normal(cout))
            mean = self.init(0.1 * self.rng.standard_normal(cout))
            var = self.init(1 + 0.1 * np.abs(self.rng.standard_normal(cout)))
            return self.node("BatchNormalization", [y, scale, bias, mean, var], epsilon=1e-5)
        b = self.init(0.1 * self.rng.standard_normal(cout))
        return self.node("Conv", [x, w, b], **attrs)

    def relu6(self, x):
        lo = self.init(np.array(0.0))
        hi = self.init(np.array(6.0))
        return self.node("Clip", [x, lo, hi])

    def silu(self, x):
        return self.node("Mul", [x, self.node("Sigmoid", [x])])

    def classifier(self, x, c, classes):
        x = self.node("Flatten", [self.node("GlobalAveragePool", [x])], axis=1)
        w = self.init(self.rng.standard_normal((classes, c)) / np.sqrt(c))
        b = self.init(np.zeros(classes))
        return self.node("Gemm", [x, w, b], transB=1)

    def model(self, name, x_shape, out, classes):
        graph = helper.make_graph(
            self.nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, x_shape)],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, [x_shape[0], classes])],
            self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _div8(v):
    return max(8, int(v + 4) // 8 * 8)


def mobilenet_v2(batch=1, resolution=224, width=1.0, classes=1000, bn=False, seed=0):
    g = _G(seed, bn)
    # (expansion t, channels c, repeats n, first stride s), as in the paper.
    cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
           (6, 160, 3, 2), (6, 320, 1, 1)]
    cin = _div8(32 * width)
    x = g.relu6(g.conv("input", 3, cin, 3, 2))
    for t, c, n, s in cfg:
        cout = _div8(c * width)
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = x
            if t != 1:
                y = g.relu6(g.conv(y, cin, hidden, 1))
            y = g.relu6(g.conv(y, hidden, hidden, 3, stride, groups=hidden))
            y = g.conv(y, hidden, cout, 1)
            if stride == 1 and cin == cout:
                y = g.node("Add", [x, y])
            x, cin = y, cout
    last = _div8(1280 * max(1.0, width))
    x = g.relu6(g.conv(x, cin, last, 1))
    out = g.classifier(x, last, classes)
    return g.model("mobilenet_v2", [batch, 3, resolution, resolution], out, classes)


def efficientnet_b0(batch=1, resolution=224, classes=1000, bn=False, seed=0):
    g = _G(seed, bn)
    # (expansion, channels, repeats, stride, kernel), EfficientNet-B0.
    cfg = [(1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 3, 2, 3),
           (6, 112, 3, 1, 5), (6, 192, 4, 2, 5), (6, 320, 1, 1, 3)]
    cin = 32
    x = g.silu(g.conv("input", 3, cin, 3, 2))
    for t, c, n, s, k in cfg:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = x
            if t != 1:
                y = g.silu(g.conv(y, cin, hidden, 1))
            y = g.silu(g.conv(y, hidden, hidden, k, stride, groups=hidden))
            # Squeeze-excitation on the depthwise output.
            squeezed = max(1, cin // 4)
            se = g.node("GlobalAveragePool", [y])
            se = g.silu(g.conv(se, hidden, squeezed, 1))
            se = g.node("Sigmoid", [g.conv(se, squeezed, hidden, 1)])
            y = g.node("Mul", [y, se])
            y = g.conv(y, hidden, c, 1)
            if stride == 1 and cin == c:
                y = g.node("Add", [x, y])
            x, cin = y, c
    x = g.silu(g.conv(x, cin, 1280, 1))
    out = g.classifier(x, 1280, classes)
    return g.model("efficientnet_b0", [batch, 3, resolution, resolution], out, classes)
