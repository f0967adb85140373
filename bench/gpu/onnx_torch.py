"""Runs an ONNX graph with PyTorch, one torch call per node, as eager PyTorch
code would: the PyTorch-eager baseline of bench/gpu/models.py. Covers the
operators of the ResNet-, MobileNet-, EfficientNet- and BERT-style graphs
there. Small integer tensors (shapes, indices of Reshape/Slice) stay on the
host, as eager code keeps Python lists; everything else lives on `device`.
"""
import numpy as np
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

_DTYPES = {1: torch.float32, 6: torch.int32, 7: torch.int64, 9: torch.bool, 10: torch.float16,
           11: torch.float64, 16: torch.bfloat16}


def _ints(t):
    return [int(v) for v in t.flatten().tolist()]


def _pads2d(pads):
    # ONNX: [top, left, bottom, right]; F.pad: (left, right, top, bottom).
    return (pads[1], pads[3], pads[0], pads[2])


def _conv(ins, a):
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    pads = a.get("pads", [0, 0, 0, 0])
    padding = (pads[0], pads[1])
    if pads[0] != pads[2] or pads[1] != pads[3]:
        x, padding = F.pad(x, _pads2d(pads)), (0, 0)
    return F.conv2d(x, w, b, a.get("strides", [1, 1]), padding, a.get("dilations", [1, 1]),
                    a.get("group", 1))


def _pool(ins, a, kind):
    pads = a.get("pads", [0, 0, 0, 0])
    x = ins[0]
    padding = (pads[0], pads[1])
    if pads[0] != pads[2] or pads[1] != pads[3]:
        x = F.pad(x, _pads2d(pads), value=-float("inf") if kind == "max" else 0.0)
        padding = (0, 0)
    k, s = a["kernel_shape"], a.get("strides", [1, 1])
    if kind == "max":
        return F.max_pool2d(x, k, s, padding, ceil_mode=bool(a.get("ceil_mode", 0)))
    return F.avg_pool2d(x, k, s, padding, ceil_mode=bool(a.get("ceil_mode", 0)),
                        count_include_pad=bool(a.get("count_include_pad", 0)))


def _axes(ins, a, i):
    if "axes" in a:
        return list(a["axes"])
    return _ints(ins[i]) if len(ins) > i and ins[i] is not None else None


def _reshape(ins, a):
    x, shape = ins[0], _ints(ins[1])
    shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _gemm(ins, a):
    A, B = ins[0], ins[1]
    if a.get("transA", 0):
        A = A.t()
    if a.get("transB", 0):
        B = B.t()
    y = a.get("alpha", 1.0) * (A @ B)
    if len(ins) > 2 and ins[2] is not None:
        y = y + a.get("beta", 1.0) * ins[2]
    return y


def _slice(ins, a):
    x = ins[0]
    starts, ends = _ints(ins[1]), _ints(ins[2])
    axes = _ints(ins[3]) if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
    steps = _ints(ins[4]) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    idx = [slice(None)] * x.dim()
    for s, e, ax, st in zip(starts, ends, axes, steps):
        n = x.shape[ax]
        idx[ax] = slice(max(min(s, n), -n), max(min(e, n), -n - 1), st)
    return x[tuple(idx)]


def _unsqueeze(ins, a):
    x = ins[0]
    for ax in sorted(_axes(ins, a, 1)):
        x = x.unsqueeze(ax)
    return x


def _squeeze(ins, a):
    axes = _axes(ins, a, 1)
    x = ins[0]
    if axes is None:
        return x.squeeze()
    for ax in sorted((ax % x.dim() for ax in axes), reverse=True):
        x = x.squeeze(ax)
    return x


def _gather(ins, a):
    x, i = ins[0], ins[1]
    ax = a.get("axis", 0)
    if i.device != x.device:
        i = i.to(x.device)
    flat = x.index_select(ax, i.reshape(-1))
    return flat.reshape(tuple(x.shape[:ax]) + tuple(i.shape) + tuple(x.shape[ax + 1:]))


def _clip(ins, a):
    lo = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("min")
    hi = ins[2] if len(ins) > 2 and ins[2] is not None else a.get("max")
    lo = float(lo) if lo is not None else None
    hi = float(hi) if hi is not None else None
    return torch.clamp(ins[0], lo, hi)


OPS = {
    "Conv": _conv,
    "BatchNormalization": lambda i, a: F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0,
                                                    a.get("epsilon", 1e-5)),
    "Relu": lambda i, a: torch.relu(i[0]),
    "Sigmoid": lambda i, a: torch.sigmoid(i[0]),
    "Tanh": lambda i, a: torch.tanh(i[0]),
    "Erf": lambda i, a: torch.erf(i[0]),
    "Sqrt": lambda i, a: torch.sqrt(i[0]),
    "Clip": _clip,
    "Add": lambda i, a: i[0] + i[1],
    "Sub": lambda i, a: i[0] - i[1],
    "Mul": lambda i, a: i[0] * i[1],
    "Div": lambda i, a: i[0] / i[1],
    "Pow": lambda i, a: torch.pow(i[0], i[1]),
    "Sum": lambda i, a: sum(i[1:], i[0]),
    "MaxPool": lambda i, a: _pool(i, a, "max"),
    "AveragePool": lambda i, a: _pool(i, a, "avg"),
    "GlobalAveragePool": lambda i, a: i[0].mean(dim=(2, 3), keepdim=True),
    "Flatten": lambda i, a: i[0].reshape(int(np.prod(i[0].shape[:a.get("axis", 1)])), -1),
    "Reshape": _reshape,
    "Gemm": _gemm,
    "MatMul": lambda i, a: torch.matmul(i[0], i[1]),
    "Softmax": lambda i, a: torch.softmax(i[0], a.get("axis", -1)),
    "Transpose": lambda i, a: i[0].permute(*a["perm"]),
    "Identity": lambda i, a: i[0],
    "Gather": _gather,
    "ReduceMean": lambda i, a: i[0].mean(dim=_axes(i, a, 1), keepdim=bool(a.get("keepdims", 1))),
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Cast": lambda i, a: i[0].to(_DTYPES[a["to"]]),
    "Shape": lambda i, a: torch.tensor(list(i[0].shape), dtype=torch.int64),
    "Concat": lambda i, a: torch.cat(i, a.get("axis", 0)),
    "Slice": _slice,
    "ConstantOfShape": lambda i, a: torch.full(
        _ints(i[0]), float(numpy_helper.to_array(a["value"]).item()) if "value" in a else 0.0),
}


class OnnxTorch:
    def __init__(self, model, device="cuda"):
        self.graph = model.graph
        self.device = device
        self.consts = {i.name: self._tensor(numpy_helper.to_array(i))
                       for i in self.graph.initializer}
        self.attrs = [{at.name: helper.get_attribute_value(at) for at in n.attribute}
                      for n in self.graph.node]
        for n, a in zip(self.graph.node, self.attrs):
            if n.op_type == "Constant":
                self.consts[n.output[0]] = self._tensor(numpy_helper.to_array(a["value"]))
            elif n.op_type not in OPS:
                raise NotImplementedError(f"onnx_torch: no {n.op_type}")

    def _tensor(self, arr):
        t = torch.from_numpy(np.array(arr))
        # Shapes and indices stay on the host; values go to the device.
        small_int = t.dtype in (torch.int64, torch.int32) and t.numel() <= 16
        return t if small_int else t.to(self.device)

    def __call__(self, feeds):
        env = dict(self.consts)
        env.update(feeds)
        for n, a in zip(self.graph.node, self.attrs):
            if n.op_type == "Constant":
                continue
            ins = [env[i] if i else None for i in n.input]
            out = OPS[n.op_type](ins, a)
            env[n.output[0]] = out
        return [env[o.name] for o in self.graph.output]
