"""Modules: the PyTorch-style layer API over dr1's eager tensors."""
import math
from collections import OrderedDict

import numpy as np

from . import ops
from .tensor import Tensor, _rng


class Parameter(Tensor):
    """A tensor that is a learnable weight of a Module."""

    def __init__(self, data, requires_grad=True):
        super().__init__(np.asarray(data.data if isinstance(data, Tensor) else data),
                         requires_grad=requires_grad)


class Module:
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError("call Module.__init__() before assigning attributes")
        for d in (self._parameters, self._buffers, self._modules):
            d.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name, tensor):
        object.__setattr__(self, name, tensor)
        self._buffers[name] = tensor

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return [m for _, m in self.named_modules()]

    def children(self):
        return list(self._modules.values())

    def named_parameters(self, prefix=""):
        seen = set()
        for mp, m in self.named_modules(prefix):
            for n, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mp}.{n}" if mp else n), p

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def named_buffers(self):
        for mp, m in self.named_modules():
            for n, b in m._buffers.items():
                yield (f"{mp}.{n}" if mp else n), b

    def state_dict(self):
        out = OrderedDict()
        for n, p in self.named_parameters():
            out[n] = p.data.copy()
        for n, b in self.named_buffers():
            out[n] = b.data.copy()
        return out

    def load_state_dict(self, state, strict=True):
        own = dict(self.named_parameters())
        own.update(self.named_buffers())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing {missing}, unexpected {unexpected}")
        for k, v in state.items():
            if k in own:
                v = np.asarray(v.data if isinstance(v, Tensor) else v)
                if v.shape != own[k].data.shape:
                    raise ValueError(f"load_state_dict: {k} has shape {v.shape}, "
                                     f"expected {own[k].data.shape}")
                own[k].data[...] = v

    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for n, m in self._modules.items():
            lines.append(f"  ({n}): " + repr(m).replace("\n", "\n  "))
        return lines[0] + (")" if len(lines) == 1 else "\n" + "\n".join(lines[1:]) + "\n)")


def _uniform(shape, bound):
    return (_rng().random(shape) * 2 - 1).astype(np.float32) * np.float32(bound)


class Sequential(Module):
    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = layers[0]
        for i, layer in enumerate(layers):
            setattr(self, str(i), layer)

    def __iter__(self):
        return iter(self._modules.values())

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x


class Linear(Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(_uniform((out_features, in_features), bound))
        self.bias = Parameter(_uniform((out_features,), bound)) if bias else None

    def forward(self, x):
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}"


class Conv2d(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True):
        super().__init__()
        k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        if in_channels % groups or out_channels % groups:
            raise ValueError("groups must divide in_channels and out_channels")
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, k
        fan_in = in_channels // groups * k[0] * k[1]
        bound = 1 / math.sqrt(fan_in)
        self.weight = Parameter(_uniform((out_channels, in_channels // groups) + k, bound))
        self.bias = Parameter(_uniform((out_channels,), bound)) if bias else None

    def forward(self, x):
        return ops.conv2d(x, self.weight, self.bias, self.stride, self.padding,
                          self.dilation, self.groups)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"


class BatchNorm2d(Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = Parameter(np.ones(num_features, np.float32))
        self.bias = Parameter(np.zeros(num_features, np.float32))
        self.register_buffer("running_mean", Tensor(np.zeros(num_features, np.float32)))
        self.register_buffer("running_var", Tensor(np.ones(num_features, np.float32)))

    def forward(self, x):
        return ops.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training, self.momentum, self.eps)


class LayerNorm(Module):
    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.weight = Parameter(np.ones(shape, np.float32))
        self.bias = Parameter(np.zeros(shape, np.float32))

    def forward(self, x):
        return ops.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


class Embedding(Module):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.weight = Parameter(_rng().standard_normal((num_embeddings, embedding_dim))
                                .astype(np.float32))

    def forward(self, idx):
        return ops.embedding(idx, self.weight)


class _Act(Module):
    fn = None

    def forward(self, x):
        return type(self).fn(x)


class ReLU(_Act):
    fn = staticmethod(ops.relu)


class ReLU6(_Act):
    fn = staticmethod(ops.relu6)


class SiLU(_Act):
    fn = staticmethod(ops.silu)


class Sigmoid(_Act):
    fn = staticmethod(ops.sigmoid)


class Tanh(_Act):
    fn = staticmethod(ops.tanh)


class Hardswish(_Act):
    fn = staticmethod(ops.hardswish)


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return ops.gelu(x, self.approximate)


class Softmax(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ops.softmax(x, self.dim)


class LogSoftmax(Softmax):
    def forward(self, x):
        return ops.log_softmax(x, self.dim)


class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__()
        self.args = (kernel_size, stride, padding, dilation, ceil_mode)

    def forward(self, x):
        return ops.max_pool2d(x, *self.args)


class AvgPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.args = (kernel_size, stride, padding, ceil_mode, count_include_pad)

    def forward(self, x):
        return ops.avg_pool2d(x, *self.args)


class AdaptiveAvgPool2d(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return ops.adaptive_avg_pool2d(x, self.output_size)


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return ops.flatten(x, self.start_dim, self.end_dim)


class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        return ops.dropout(x, self.p, self.training)


class MultiheadAttention(Module):
    """Self-attention: softmax(Q K^T / sqrt(d) + mask) V over `num_heads`
    heads, with input and output projections. Input [batch, seq, embed_dim];
    `mask` broadcasts to [batch, heads, seq, seq] and is added to the scores
    (use large negative values to mask)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError("embed_dim must be divisible by num_heads")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.q_proj = Linear(embed_dim, embed_dim)
        self.k_proj = Linear(embed_dim, embed_dim)
        self.v_proj = Linear(embed_dim, embed_dim)
        self.out_proj = Linear(embed_dim, embed_dim)
        self.dropout = Dropout(dropout)

    def forward(self, x, mask=None):
        b, s, e = x.shape
        h, d = self.num_heads, e // self.num_heads

        def split(t):
            return ops.permute(ops.reshape(t, (b, s, h, d)), (0, 2, 1, 3))
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        scores = ops.mul(ops.matmul(q, ops.permute(k, (0, 1, 3, 2))), 1.0 / math.sqrt(d))
        if mask is not None:
            scores = ops.add(scores, mask)
        attn = self.dropout(ops.softmax(scores, -1))
        out = ops.reshape(ops.permute(ops.matmul(attn, v), (0, 2, 1, 3)), (b, s, e))
        return self.out_proj(out)
