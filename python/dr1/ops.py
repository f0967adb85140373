"""dr1's operations: each computes eagerly on numpy with a gradient rule, or,
when an operand is being traced, records the matching dr1-dialect op."""
import math

import numpy as np

from .tensor import Tensor, _rng, is_grad_enabled

try:
    from math import erf as _erf_scalar
except ImportError:  # pragma: no cover
    _erf_scalar = None
_erf = np.vectorize(_erf_scalar, otypes=[np.float64])


def _tracing(*args):
    for a in args:
        if isinstance(a, Tensor) and a._trace is not None:
            return a._trace.ctx
    return None


def _t(x, like=None):
    if isinstance(x, Tensor):
        return x
    dtype = like.dtype if isinstance(like, Tensor) else None
    return Tensor(np.asarray(x, dtype=dtype))


def _make(data, parents, backward):
    """The result of an eager op; records `backward` when gradients flow."""
    out = Tensor._wrap(data)
    if is_grad_enabled() and any(p.requires_grad for p in parents):
        out.requires_grad = True
        out._parents = tuple(parents)
        out._backward = backward
    return out


def _norm_dims(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted(d % ndim for d in dims))


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# -- elementwise binary ------------------------------------------------------------
def _binary(name, a, b, fwd, grad_a, grad_b):
    ctx = _tracing(a, b)
    if ctx:
        return ctx.binary(name, a, b)
    a, b = _t(a, b), _t(b, a)
    out = fwd(a.data, b.data)
    return _make(out.astype(np.result_type(a.data, b.data), copy=False), (a, b),
                 lambda g: (grad_a(g, a.data, b.data, out), grad_b(g, a.data, b.data, out)))


def add(a, b):
    return _binary("add", a, b, np.add, lambda g, x, y, o: g, lambda g, x, y, o: g)


def sub(a, b):
    return _binary("sub", a, b, np.subtract, lambda g, x, y, o: g, lambda g, x, y, o: -g)


def mul(a, b):
    return _binary("mul", a, b, np.multiply, lambda g, x, y, o: g * y, lambda g, x, y, o: g * x)


def div(a, b):
    return _binary("div", a, b, np.divide, lambda g, x, y, o: g / y,
                   lambda g, x, y, o: -g * x / (y * y))


def pow(a, b):
    return _binary("pow", a, b, np.power, lambda g, x, y, o: g * y * np.power(x, y - 1),
                   lambda g, x, y, o: g * o * np.log(np.where(x > 0, x, 1)))


def maximum(a, b):
    return _binary("max", a, b, np.maximum, lambda g, x, y, o: g * (x >= y),
                   lambda g, x, y, o: g * (x < y))


def minimum(a, b):
    return _binary("min", a, b, np.minimum, lambda g, x, y, o: g * (x <= y),
                   lambda g, x, y, o: g * (x > y))


def compare(a, b, fn):
    if _tracing(a, b):
        from .tracer import TracingError
        raise TracingError.here("comparisons of traced tensors are not supported")
    a, b = _t(a, b), _t(b, a)
    return Tensor._wrap(fn(a.data, b.data))


# -- elementwise unary ---------------------------------------------------------------
def _unary(name, x, fwd, grad, attrs=None):
    ctx = _tracing(x)
    if ctx:
        return ctx.op(name, [x], attrs or {})
    x = _t(x)
    out = np.asarray(fwd(x.data)).astype(x.data.dtype, copy=False)
    return _make(out, (x,), lambda g: (grad(g, x.data, out),))


def neg(x):
    return _unary("neg", x, np.negative, lambda g, x, o: -g)


def exp(x):
    return _unary("exp", x, np.exp, lambda g, x, o: g * o)


def log(x):
    return _unary("log", x, np.log, lambda g, x, o: g / x)


def sqrt(x):
    return _unary("sqrt", x, np.sqrt, lambda g, x, o: g / (2 * o))


def rsqrt(x):
    return _unary("rsqrt", x, lambda v: 1 / np.sqrt(v), lambda g, x, o: -0.5 * g * o / x)


def abs(x):
    return _unary("abs", x, np.abs, lambda g, x, o: g * np.sign(x))


def tanh(x):
    return _unary("tanh", x, np.tanh, lambda g, x, o: g * (1 - o * o))


def _sigmoid(v):
    return 0.5 * (1 + np.tanh(0.5 * v))  # overflow-free


def sigmoid(x):
    return _unary("sigmoid", x, _sigmoid, lambda g, x, o: g * o * (1 - o))


def relu(x):
    return _unary("relu", x, lambda v: np.maximum(v, 0), lambda g, x, o: g * (x > 0))


def clip(x, lo, hi):
    return _unary("clip", x, lambda v: np.clip(v, lo, hi),
                  lambda g, x, o: g * ((x > lo) & (x < hi)),
                  {"min": float(lo), "max": float(hi)})


def relu6(x):
    return clip(x, 0.0, 6.0)


def leaky_relu(x, negative_slope=0.01):
    return _unary("leaky_relu", x, lambda v: np.where(v >= 0, v, negative_slope * v),
                  lambda g, x, o: g * np.where(x >= 0, 1, negative_slope),
                  {"alpha": float(negative_slope)})


def erf(x):
    return _unary("erf", x, _erf,
                  lambda g, x, o: g * 2 / math.sqrt(math.pi) * np.exp(-x * x))


def gelu(x, approximate="none"):
    if approximate == "tanh":
        c = math.sqrt(2 / math.pi)

        def f(v):
            return 0.5 * v * (1 + np.tanh(c * (v + 0.044715 * v ** 3)))

        def df(g, v, o):
            t = np.tanh(c * (v + 0.044715 * v ** 3))
            return g * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v))
    elif approximate == "none":
        def f(v):
            return 0.5 * v * (1 + _erf(v / math.sqrt(2)))

        def df(g, v, o):
            return g * (0.5 * (1 + _erf(v / math.sqrt(2))) +
                        v * np.exp(-0.5 * v * v) / math.sqrt(2 * math.pi))
    else:
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return _unary("gelu", x, f, df, {"approximate": approximate})


def silu(x):
    return _unary("silu", x, lambda v: v * _sigmoid(v),
                  lambda g, x, o: g * (_sigmoid(x) * (1 + x * (1 - _sigmoid(x)))))


def hardswish(x):
    return _unary("hardswish", x, lambda v: v * np.clip(v + 3, 0, 6) / 6,
                  lambda g, x, o: g * np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6)))


def cast(x, dtype):
    ctx = _tracing(x)
    if ctx:
        return ctx.cast(x, np.dtype(dtype))
    x = _t(x)
    out = x.data.astype(dtype)
    return _make(out, (x,), lambda g: (g.astype(x.data.dtype),))


# -- linear algebra --------------------------------------------------------------------
def matmul(a, b):
    ctx = _tracing(a, b)
    if ctx:
        return ctx.op("matmul", [a, b])
    a, b = _t(a), _t(b)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"matmul needs operands of rank >= 2, got {a.shape} and {b.shape}")
    out = np.matmul(a.data, b.data)
    return _make(out, (a, b), lambda g: (np.matmul(g, np.swapaxes(b.data, -1, -2)),
                                        np.matmul(np.swapaxes(a.data, -1, -2), g)))


def linear(x, weight, bias=None):
    ctx = _tracing(x, weight, bias)
    if ctx:
        return ctx.op("linear", [x, weight, bias])
    x, w = _t(x), _t(weight)
    out = x.data @ w.data.T
    parents = [x, w]
    if bias is not None:
        out = out + bias.data
        parents.append(bias)

    def back(g):
        gx = g @ w.data
        gw = g.reshape(-1, g.shape[-1]).T @ x.data.reshape(-1, x.shape[-1])
        grads = [gx, gw]
        if bias is not None:
            grads.append(g.reshape(-1, g.shape[-1]).sum(axis=0))
        return grads
    return _make(out, parents, back)


# -- reductions ----------------------------------------------------------------------
def _reduce_shape(shape, dims, keepdim):
    return tuple(1 if i in dims else d for i, d in enumerate(shape)) if keepdim else \
        tuple(d for i, d in enumerate(shape) if i not in dims)


def sum(x, dim=None, keepdim=False):
    ctx = _tracing(x)
    dims = _norm_dims(dim, len(x.shape))
    if ctx:
        return ctx.op("reduce_sum", [x], {"axes": list(dims), "keepdims": bool(keepdim)})
    out = x.data.sum(axis=dims, keepdims=keepdim)
    kept = _reduce_shape(x.shape, dims, True)
    return _make(np.asarray(out), (x,),
                 lambda g: (np.broadcast_to(g.reshape(kept), x.shape),))


def mean(x, dim=None, keepdim=False):
    ctx = _tracing(x)
    dims = _norm_dims(dim, len(x.shape))
    if ctx:
        return ctx.op("reduce_mean", [x], {"axes": list(dims), "keepdims": bool(keepdim)})
    n = int(np.prod([x.shape[d] for d in dims]))
    out = x.data.mean(axis=dims, keepdims=keepdim)
    kept = _reduce_shape(x.shape, dims, True)
    return _make(np.asarray(out, dtype=x.data.dtype), (x,),
                 lambda g: (np.broadcast_to(g.reshape(kept) / n, x.shape),))


def amax(x, dim=None, keepdim=False):
    ctx = _tracing(x)
    dims = _norm_dims(dim, len(x.shape))
    if ctx:
        return ctx.op("reduce_max", [x], {"axes": list(dims), "keepdims": bool(keepdim)})
    out = x.data.max(axis=dims, keepdims=keepdim)
    kept = _reduce_shape(x.shape, dims, True)

    def back(g):
        mask = x.data == out.reshape(kept)
        return (mask * (g.reshape(kept) / mask.sum(axis=dims, keepdims=True)),)
    return _make(np.asarray(out), (x,), back)


def argmax(x, dim=None):
    if _tracing(x):
        from .tracer import TracingError
        raise TracingError.here("argmax of a traced tensor is not supported")
    return Tensor._wrap(np.argmax(x.data, axis=dim))


# -- shapes ---------------------------------------------------------------------------
def reshape(x, shape):
    shape = tuple(int(s) for s in shape)
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        shape = tuple(x.numel() // known if s == -1 else s for s in shape)
    if int(np.prod(shape)) != x.numel():
        raise ValueError(f"cannot reshape {tuple(x.shape)} into {shape}")
    ctx = _tracing(x)
    if ctx:
        if tuple(shape) == tuple(x.shape):
            return x
        return ctx.op("reshape", [x], {}, result_shape=shape, result_dtype=x.dtype)
    return _make(x.data.reshape(shape), (x,), lambda g: (g.reshape(x.shape),))


def flatten(x, start_dim=1, end_dim=-1):
    shape = x.shape
    end = end_dim % len(shape)
    new = shape[:start_dim] + (int(np.prod(shape[start_dim:end + 1])),) + shape[end + 1:]
    return reshape(x, new)


def permute(x, perm):
    perm = tuple(p % x.ndim for p in perm)
    ctx = _tracing(x)
    if ctx:
        return ctx.op("transpose", [x], {"perm": list(perm)})
    inv = np.argsort(perm)
    return _make(np.ascontiguousarray(np.transpose(x.data, perm)), (x,),
                 lambda g: (np.transpose(g, inv),))


def transpose(x, d0, d1):
    perm = list(range(x.ndim))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return permute(x, perm)


def unsqueeze(x, dim):
    shape = list(x.shape)
    shape.insert(dim % (len(shape) + 1), 1)
    return reshape(x, shape)


def squeeze(x, dim):
    shape = list(x.shape)
    if shape[dim] != 1:
        return x
    del shape[dim]
    return reshape(x, shape)


def getitem(x, idx):
    if not isinstance(idx, tuple):
        idx = (idx,)
    if any(i is Ellipsis for i in idx):
        k = idx.index(Ellipsis)
        idx = idx[:k] + (slice(None),) * (x.ndim - len(idx) + 1) + idx[k + 1:]
    ctx = _tracing(x, *[i for i in idx if isinstance(i, Tensor)])
    if ctx:
        return ctx.getitem(x, idx)
    if any(isinstance(i, Tensor) for i in idx):
        idx = tuple(i.data if isinstance(i, Tensor) else i for i in idx)
    out = x.data[idx]

    def back(g):
        full = np.zeros_like(x.data)
        np.add.at(full, idx, g)
        return (full,)
    return _make(np.array(out), (x,), back)


def cat(tensors, dim=0):
    ctx = _tracing(*tensors)
    if ctx:
        return ctx.op("concat", list(tensors), {"axis": dim % tensors[0].ndim})
    tensors = [_t(t) for t in tensors]
    out = np.concatenate([t.data for t in tensors], axis=dim)
    splits = np.cumsum([t.shape[dim] for t in tensors])[:-1]
    return _make(out, tensors, lambda g: tuple(np.split(g, splits, axis=dim)))


# -- neural-network ops -------------------------------------------------------------------
def softmax(x, dim=-1):
    ctx = _tracing(x)
    if ctx:
        return ctx.op("softmax", [x], {"axis": dim})
    v = x.data - x.data.max(axis=dim, keepdims=True)
    e = np.exp(v)
    out = e / e.sum(axis=dim, keepdims=True)
    return _make(out, (x,), lambda g: (out * (g - (g * out).sum(axis=dim, keepdims=True)),))


def log_softmax(x, dim=-1):
    ctx = _tracing(x)
    if ctx:
        return ctx.op("log_softmax", [x], {"axis": dim})
    v = x.data - x.data.max(axis=dim, keepdims=True)
    out = v - np.log(np.exp(v).sum(axis=dim, keepdims=True))
    return _make(out, (x,), lambda g: (g - np.exp(out) * g.sum(axis=dim, keepdims=True),))


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    k = len(tuple(normalized_shape))
    ctx = _tracing(x, weight, bias)
    if ctx:
        return ctx.op("layer_norm", [x, weight, bias if weight is not None else None],
                      {"axis": -k, "epsilon": float(eps)})
    dims = tuple(range(x.ndim - k, x.ndim))
    n = int(np.prod(x.shape[-k:]))
    mu = x.data.mean(axis=dims, keepdims=True)
    xc = x.data - mu
    rstd = 1 / np.sqrt((xc * xc).mean(axis=dims, keepdims=True) + eps)
    xhat = xc * rstd
    out = xhat
    parents = [x]
    if weight is not None:
        out = out * weight.data
        parents.append(weight)
    if bias is not None:
        out = out + bias.data
        parents.append(bias)
    lead = tuple(range(x.ndim - k))

    def back(g):
        gh = g * weight.data if weight is not None else g
        gx = rstd * (gh - gh.mean(axis=dims, keepdims=True) -
                     xhat * (gh * xhat).mean(axis=dims, keepdims=True))
        grads = [gx]
        if weight is not None:
            grads.append((g * xhat).sum(axis=lead))
        if bias is not None:
            grads.append(g.sum(axis=lead))
        return grads
    del n
    return _make(out.astype(x.data.dtype, copy=False), parents, back)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    c = x.shape[1]
    if not training:
        ctx = _tracing(x)
        if ctx:
            one = Tensor(np.ones(c, np.float32))
            zero = Tensor(np.zeros(c, np.float32))
            return ctx.op("batch_norm", [x, weight if weight is not None else one,
                                         bias if bias is not None else zero,
                                         running_mean, running_var], {"epsilon": float(eps)})
    elif _tracing(x):
        # Compiled training (dr1.Trainer): batch statistics, from dr1 ops
        # so they differentiate. Running statistics are not updated here
        # (the trainer re-estimates them eagerly before evaluating).
        shape = (1, c) + (1,) * (x.ndim - 2)
        dims = (0,) + tuple(range(2, x.ndim))
        mu = mean(x, dims, keepdim=True)
        xc = sub(x, mu)
        var = mean(mul(xc, xc), dims, keepdim=True)
        xhat = mul(xc, rsqrt(add(var, float(eps))))
        if weight is not None:
            xhat = mul(xhat, reshape(weight, shape))
        if bias is not None:
            xhat = add(xhat, reshape(bias, shape))
        return xhat
    shape = (1, c) + (1,) * (x.ndim - 2)
    dims = (0,) + tuple(range(2, x.ndim))
    if training:
        mu = x.data.mean(axis=dims)
        var = x.data.var(axis=dims)
        n = x.numel() // c
        running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * mu
        running_var.data[...] = (1 - momentum) * running_var.data + momentum * var * n / max(n - 1, 1)
    else:
        mu, var = running_mean.data, running_var.data
    rstd = 1 / np.sqrt(var + eps)
    xhat = (x.data - mu.reshape(shape)) * rstd.reshape(shape)
    w = weight.data.reshape(shape) if weight is not None else 1
    out = xhat * w + (bias.data.reshape(shape) if bias is not None else 0)
    parents = [x] + [p for p in (weight, bias) if p is not None]

    def back(g):
        gh = g * w
        if training:
            gx = rstd.reshape(shape) * (gh - gh.mean(axis=dims, keepdims=True) -
                                        xhat * (gh * xhat).mean(axis=dims, keepdims=True))
        else:
            gx = gh * rstd.reshape(shape)
        grads = [gx]
        if weight is not None:
            grads.append((g * xhat).sum(axis=dims))
        if bias is not None:
            grads.append(g.sum(axis=dims))
        return grads
    return _make(out.astype(x.data.dtype, copy=False), parents, back)


def _windows(xp, k, s, d, oh, ow):
    """[N, C, OH, OW, KH, KW] view of the (padded) input's sliding windows."""
    n, c = xp.shape[:2]
    sn, sc, sh, sw = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, c, oh, ow, k[0], k[1]),
        (sn, sc, sh * s[0], sw * s[1], sh * d[0], sw * d[1]), writeable=False)


def _out_size(i, k, s, p0, p1, d, ceil_mode=False):
    span = i + p0 + p1 - d * (k - 1) - 1
    o = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= i + p0:
        o -= 1
    return o


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    s, d = _pair(stride), _pair(dilation)
    p = _pair(padding)
    pads = (p[0], p[1], p[0], p[1])
    ctx = _tracing(x, weight, bias)
    if ctx:
        return ctx.op("conv2d", [x, weight, bias],
                      {"strides": list(s), "padding": list(pads), "dilations": list(d),
                       "groups": int(groups)})
    x, w = _t(x), _t(weight)
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    if c != cg * groups:
        raise ValueError(f"conv2d: input has {c} channels, weight expects {cg * groups}")
    oh, ow = _out_size(h, kh, s[0], p[0], p[0], d[0]), _out_size(wd, kw, s[1], p[1], p[1], d[1])
    xp = np.pad(x.data, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    win = _windows(xp, (kh, kw), s, d, oh, ow)
    fg = f // groups
    out = np.empty((n, f, oh, ow), x.data.dtype)
    for gi in range(groups):
        out[:, gi * fg:(gi + 1) * fg] = np.einsum(
            "nchwij,fcij->nfhw", win[:, gi * cg:(gi + 1) * cg], w.data[gi * fg:(gi + 1) * fg],
            optimize=True)
    if bias is not None:
        out += bias.data.reshape(1, -1, 1, 1)
    parents = [x, w] + ([bias] if bias is not None else [])

    def back(g):
        gw = np.empty_like(w.data)
        gxp = np.zeros_like(xp)
        for gi in range(groups):
            gs = g[:, gi * fg:(gi + 1) * fg]
            gw[gi * fg:(gi + 1) * fg] = np.einsum("nchwij,nfhw->fcij",
                                                  win[:, gi * cg:(gi + 1) * cg], gs, optimize=True)
            wg = w.data[gi * fg:(gi + 1) * fg]
            for i in range(kh):
                for j in range(kw):
                    hs, ws_ = i * d[0], j * d[1]
                    gxp[:, gi * cg:(gi + 1) * cg,
                        hs:hs + s[0] * (oh - 1) + 1:s[0],
                        ws_:ws_ + s[1] * (ow - 1) + 1:s[1]] += np.einsum(
                            "nfhw,fc->nchw", gs, wg[:, :, i, j], optimize=True)
        gx = gxp[:, :, p[0]:p[0] + h, p[1]:p[1] + wd]
        grads = [gx, gw]
        if bias is not None:
            grads.append(g.sum(axis=(0, 2, 3)))
        return grads
    return _make(out, parents, back)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    k = _pair(kernel_size)
    s = _pair(stride if stride is not None else kernel_size)
    p, d = _pair(padding), _pair(dilation)
    ctx = _tracing(x)
    if ctx:
        return ctx.op("max_pool2d", [x], {"kernel_shape": list(k), "strides": list(s),
                                          "padding": [p[0], p[1], p[0], p[1]],
                                          "dilations": list(d), "ceil_mode": bool(ceil_mode)})
    n, c, h, w = x.shape
    oh = _out_size(h, k[0], s[0], p[0], p[0], d[0], ceil_mode)
    ow = _out_size(w, k[1], s[1], p[1], p[1], d[1], ceil_mode)
    eh = max(0, (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1 - (h + 2 * p[0]))
    ew = max(0, (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1 - (w + 2 * p[1]))
    xp = np.pad(x.data, ((0, 0), (0, 0), (p[0], p[0] + eh), (p[1], p[1] + ew)),
                constant_values=-np.inf)
    win = _windows(xp, k, s, d, oh, ow).reshape(n, c, oh, ow, -1)
    arg = win.argmax(axis=-1)
    out = np.take_along_axis(win, arg[..., None], -1)[..., 0]

    def back(g):
        gxp = np.zeros_like(xp)
        for i in range(k[0]):
            for j in range(k[1]):
                m = (arg == i * k[1] + j)
                hs, ws_ = i * d[0], j * d[1]
                gxp[:, :, hs:hs + s[0] * (oh - 1) + 1:s[0],
                    ws_:ws_ + s[1] * (ow - 1) + 1:s[1]] += g * m
        return (gxp[:, :, p[0]:p[0] + h, p[1]:p[1] + w],)
    return _make(out, (x,), back)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    k = _pair(kernel_size)
    s = _pair(stride if stride is not None else kernel_size)
    p = _pair(padding)
    ctx = _tracing(x)
    if ctx:
        return ctx.op("avg_pool2d", [x], {"kernel_shape": list(k), "strides": list(s),
                                          "padding": [p[0], p[1], p[0], p[1]],
                                          "ceil_mode": bool(ceil_mode),
                                          "count_include_pad": bool(count_include_pad)})
    n, c, h, w = x.shape
    oh = _out_size(h, k[0], s[0], p[0], p[0], 1, ceil_mode)
    ow = _out_size(w, k[1], s[1], p[1], p[1], 1, ceil_mode)
    eh = max(0, (oh - 1) * s[0] + k[0] - (h + 2 * p[0]))
    ew = max(0, (ow - 1) * s[1] + k[1] - (w + 2 * p[1]))
    xp = np.pad(x.data, ((0, 0), (0, 0), (p[0], p[0] + eh), (p[1], p[1] + ew)))
    counts = np.empty((oh, ow), np.float64)
    for i in range(oh):
        hs, he = i * s[0] - p[0], min(i * s[0] - p[0] + k[0], h + p[0])
        for j in range(ow):
            ws_, we = j * s[1] - p[1], min(j * s[1] - p[1] + k[1], w + p[1])
            if count_include_pad:
                counts[i, j] = (he - hs) * (we - ws_)
            else:
                counts[i, j] = (min(he, h) - max(hs, 0)) * (min(we, w) - max(ws_, 0))
    out = (_windows(xp, k, s, (1, 1), oh, ow).sum(axis=(-1, -2)) / counts).astype(x.data.dtype)

    def back(g):
        gxp = np.zeros_like(xp)
        gc = g / counts
        for i in range(k[0]):
            for j in range(k[1]):
                gxp[:, :, i:i + s[0] * (oh - 1) + 1:s[0], j:j + s[1] * (ow - 1) + 1:s[1]] += gc
        return (gxp[:, :, p[0]:p[0] + h, p[1]:p[1] + w],)
    return _make(out, (x,), back)


def adaptive_avg_pool2d(x, output_size):
    o = _pair(output_size)
    h, w = x.shape[2], x.shape[3]
    if o == (1, 1):
        ctx = _tracing(x)
        if ctx:
            return ctx.op("global_avg_pool", [x])
        return mean(x, dim=(2, 3), keepdim=True)
    if h % o[0] or w % o[1]:
        raise ValueError(f"adaptive_avg_pool2d: {h}x{w} is not a multiple of {o[0]}x{o[1]}")
    k = (h // o[0], w // o[1])
    return avg_pool2d(x, k, k)


def dropout(x, p=0.5, training=True):
    if not training or p == 0:
        return x
    if _tracing(x):
        from .tracer import TracingError
        raise TracingError.here("dropout in training mode cannot be compiled; call model.eval()")
    mask = (_rng().random(x.shape) >= p).astype(x.data.dtype) / (1 - p)
    return _make(x.data * mask, (x,), lambda g: (g * mask,))


def embedding(indices, weight):
    ctx = _tracing(indices, weight)
    if ctx:
        return ctx.op("gather", [weight, indices], {"axis": 0})
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)

    def back(g):
        gw = np.zeros_like(weight.data)
        np.add.at(gw, idx, g)
        return (gw,)
    return _make(weight.data[idx], (weight,), back)


# -- losses ---------------------------------------------------------------------------
def nll_loss(log_probs, target, reduction="mean"):
    ctx = _tracing(log_probs, target)
    if ctx:
        # Compiled (dr1.Trainer): a one-hot mask from the integer labels;
        # the labels' path carries no gradient.
        n, c = log_probs.shape
        tgt = target if isinstance(target, Tensor) else Tensor(np.asarray(target, np.int64))
        col = ctx.op("reshape", [tgt], {}, result_shape=(n, 1), result_dtype=tgt.dtype)
        classes = Tensor(np.arange(c, dtype=np.dtype(tgt.dtype)).reshape(1, c))
        hot = ctx.op("equal", [col, classes], result_dtype=np.bool_)
        hot = ctx.cast(hot, log_probs.dtype)
        picked = sum(mul(log_probs, hot), 1)
        return neg(mean(picked, 0) if reduction == "mean" else sum(picked, 0))
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    n = log_probs.shape[0]
    picked = log_probs.data[np.arange(n), t]
    scale = 1.0 / n if reduction == "mean" else 1.0
    out = -picked.sum() * scale

    def back(g):
        gl = np.zeros_like(log_probs.data)
        gl[np.arange(n), t] = -g * scale
        return (gl,)
    return _make(np.asarray(out, dtype=log_probs.data.dtype), (log_probs,), back)


def cross_entropy(logits, target, reduction="mean"):
    return nll_loss(log_softmax(logits, dim=-1), target, reduction)


def mse_loss(input, target, reduction="mean"):
    diff = sub(input, target)
    sq = mul(diff, diff)
    return mean(sq) if reduction == "mean" else sum(sq)
