"""Builds dr1-dialect MLIR and its numpy reference side by side.

Every op method emits one dr1 op and computes the same math independently in
numpy (float64 internally where it matters), so a test compares the compiled
model against semantics written here, not against the compiler's own output.
"""
import math

import numpy as np

_DTYPES = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
           np.dtype(np.int64): "i64", np.dtype(np.int32): "i32"}


def tensor_type(arr):
    shape = "x".join(str(d) for d in arr.shape)
    elt = _DTYPES[arr.dtype]
    return f"tensor<{shape}x{elt}>" if shape else f"tensor<{elt}>"


class Val:
    def __init__(self, name, value):
        self.name = name
        self.v = value
        # Magnitude that rounding errors scale with: |ref| for most ops; for
        # products, sum |a_ik * b_kj| (a dot product's rounding error grows
        # with the sum of |terms|, not with the possibly cancelled result).
        self.scale = None
        # Absolute error allowed on top of the relative tolerance.
        self.allow = 0.0

    @property
    def type(self):
        return tensor_type(self.v)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def round_bf16(a):
    """f32 values rounded to the nearest bf16 (ties to even), as f32."""
    u = np.asarray(a, np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return r.astype(np.uint32).view(np.float32)


def _narrow(x, w, precision):
    """The operands a product of `precision` (dr1-quantize) computes with:
    bf16 rounds activation and weight, f16 the weight only."""
    if precision == "bf16":
        return round_bf16(x), round_bf16(w)
    if precision == "f16":
        return x, np.asarray(w, np.float32).astype(np.float16).astype(np.float32)
    return x, w


def _precision_attr(precision):
    return f'dr1.precision = "{precision}"' if precision else ""


class Graph:
    def __init__(self, name="forward"):
        self.name = name
        self.args = []
        self.lines = []
        self.resources = {}
        self.count = 0

    # -- plumbing ---------------------------------------------------------
    def _fresh(self):
        self.count += 1
        return f"%v{self.count}"

    def _emit(self, text, value):
        name = self._fresh()
        self.lines.append(f"    {name} = {text}")
        return Val(name, value)

    def arg(self, value):
        v = Val(f"%arg{len(self.args)}", value)
        v.exact = True
        self.args.append(v)
        return v

    def const(self, value, resource=False):
        """A weight: a dense_resource blob (binary) or a hex dense literal."""
        value = np.ascontiguousarray(value)
        hexdata = value.tobytes().hex().upper()
        if resource:
            key = f"w{len(self.resources)}"
            align = value.dtype.itemsize.to_bytes(4, "little").hex().upper()
            self.resources[key] = "0x" + align + hexdata
            attr = f"dense_resource<{key}>"
        else:
            attr = f'dense<"0x{hexdata}">'
        return self._emit(f"dr1.constant {attr} : {tensor_type(value)}", value)

    def _fn(self, mnemonic, operands, result, attrs=""):
        ops = ", ".join(o.name for o in operands)
        types = ", ".join(o.type for o in operands)
        attr = f" {{{attrs}}}" if attrs else ""
        text = f"dr1.{mnemonic} {ops}{attr} : ({types}) -> {tensor_type(result)}"
        return self._emit(text, result)

    def _unary(self, mnemonic, x, result, attrs=""):
        attr = f" {{{attrs}}}" if attrs else ""
        return self._emit(f"dr1.{mnemonic} {x.name}{attr} : {x.type}",
                          result.astype(x.v.dtype))

    def text(self, outputs):
        args = ", ".join(f"{a.name}: {a.type}" for a in self.args)
        res = ", ".join(o.type for o in outputs)
        body = "\n".join(self.lines)
        ret = ", ".join(o.name for o in outputs)
        out = (f"module {{\n  func.func @{self.name}({args}) -> ({res}) {{\n"
               f"{body}\n    return {ret} : {res}\n  }}\n}}\n")
        if self.resources:
            blobs = ",\n".join(f"      {k}: \"{v}\"" for k, v in self.resources.items())
            out += ("{-#\n  dialect_resources: {\n    builtin: {\n" + blobs +
                    "\n    }\n  }\n#-}\n")
        return out

    # -- ops ----------------------------------------------------------------
    def linear(self, x, w, b=None, input_range=None, precision=None):
        """precision "bf16" / "f16": dr1-quantize's rounding of the operands
        (see _narrow), products and sums exact in the reference."""
        if input_range is not None:
            return self._quantized(x, w, b, input_range, "linear")
        xv, wv = _narrow(x.v, w.v, precision)
        r = xv.astype(np.float64) @ wv.T.astype(np.float64)
        scale = np.abs(xv.astype(np.float64)) @ np.abs(wv.T.astype(np.float64))
        if b is not None:
            r = r + b.v
            scale = scale + np.abs(b.v)
        ops = [x, w] + ([b] if b is not None else [])
        out = self._fn("linear", ops, r.astype(np.float32), _precision_attr(precision))
        out.scale = scale
        return out

    def matmul(self, a, b, input_range=None, precision=None):
        if input_range is not None:
            return self._quantized(a, b, None, input_range, "matmul")
        av, bv = _narrow(a.v, b.v, precision)
        r = np.matmul(av.astype(np.float64), bv.astype(np.float64))
        out = self._fn("matmul", [a, b], r.astype(np.float32), _precision_attr(precision))
        out.scale = np.matmul(np.abs(av.astype(np.float64)), np.abs(bv.astype(np.float64)))
        return out

    def gemm(self, a, b, c=None, trans_a=False, trans_b=False, alpha=1.0, beta=1.0):
        av = a.v.T if trans_a else a.v
        bv = b.v.T if trans_b else b.v
        r = alpha * (av.astype(np.float64) @ bv)
        if c is not None:
            r = r + beta * c.v
        attrs = (f"trans_a = {str(trans_a).lower()}, trans_b = {str(trans_b).lower()}, "
                 f"alpha = {alpha:e} : f32, beta = {beta:e} : f32")
        ops = [a, b] + ([c] if c is not None else [])
        return self._fn("gemm", ops, r.astype(np.float32), attrs)

    def binary(self, mnemonic, a, b):
        f = {"add": np.add, "sub": np.subtract, "mul": np.multiply,
             "div": np.divide, "pow": np.power, "max": np.maximum,
             "min": np.minimum}[mnemonic]
        return self._fn(mnemonic, [a, b], f(a.v, b.v).astype(a.v.dtype))

    def add(self, a, b):
        return self.binary("add", a, b)

    def mul(self, a, b):
        return self.binary("mul", a, b)

    def _exact_lipschitz(self, out, x):
        # relu and clip are exact and move no value further than their input
        # moved: an error in x passes through at most as large, so the
        # output keeps x's error scale (a product's sum |a_ik * b_kj|, not
        # the clipped result, which near zero is no scale at all).
        out.scale = x.scale
        out.allow = x.allow
        return out

    def relu(self, x):
        return self._exact_lipschitz(self._unary("relu", x, np.maximum(x.v, 0)), x)

    def clip(self, x, lo, hi):
        return self._exact_lipschitz(
            self._unary("clip", x, np.clip(x.v, lo, hi),
                        f"min = {lo:e} : f32, max = {hi:e} : f32"), x)

    def sigmoid(self, x):
        return self._unary("sigmoid", x, 1 / (1 + np.exp(-x.v.astype(np.float64))))

    def tanh(self, x):
        return self._unary("tanh", x, np.tanh(x.v.astype(np.float64)))

    def gelu(self, x, approximate="none"):
        v = x.v.astype(np.float64)
        if approximate == "tanh":
            r = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))
        else:
            r = 0.5 * v * (1 + _erf(v / math.sqrt(2)))
        return self._unary("gelu", x, r, f'approximate = "{approximate}"')

    def silu(self, x):
        v = x.v.astype(np.float64)
        return self._unary("silu", x, v / (1 + np.exp(-v)))

    def hardswish(self, x):
        v = x.v.astype(np.float64)
        return self._unary("hardswish", x, v * np.clip(v + 3, 0, 6) / 6)

    def unary(self, mnemonic, x):
        v = x.v.astype(np.float64)
        f = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt,
             "rsqrt": lambda t: 1 / np.sqrt(t), "erf": _erf, "neg": np.negative,
             "abs": np.abs, "reciprocal": lambda t: 1 / t}[mnemonic]
        return self._unary(mnemonic, x, f(v))

    def softmax(self, x, axis=-1, log=False):
        v = x.v.astype(np.float64)
        m = v.max(axis=axis, keepdims=True)
        e = np.exp(v - m)
        s = e.sum(axis=axis, keepdims=True)
        r = (v - m - np.log(s)) if log else e / s
        return self._unary("log_softmax" if log else "softmax", x, r,
                           f"axis = {axis} : i64")

    def layer_norm(self, x, scale=None, bias=None, axis=-1, eps=1e-5):
        v = x.v.astype(np.float64)
        ax = axis % v.ndim
        dims = tuple(range(ax, v.ndim))
        mean = v.mean(axis=dims, keepdims=True)
        var = ((v - mean) ** 2).mean(axis=dims, keepdims=True)
        r = (v - mean) / np.sqrt(var + eps)
        ops = [x]
        if scale is not None:
            r = r * scale.v
            ops.append(scale)
        if bias is not None:
            r = r + bias.v
            ops.append(bias)
        return self._fn("layer_norm", ops, r.astype(np.float32),
                        f"axis = {axis} : i64, epsilon = {eps:e} : f32")

    def batch_norm(self, x, scale, bias, mean, var, eps=1e-5):
        shape = (1, -1) + (1,) * (x.v.ndim - 2)
        r = ((x.v.astype(np.float64) - mean.v.reshape(shape)) /
             np.sqrt(var.v.reshape(shape) + eps) * scale.v.reshape(shape) +
             bias.v.reshape(shape))
        return self._fn("batch_norm", [x, scale, bias, mean, var],
                        r.astype(np.float32), f"epsilon = {eps:e} : f32")

    @staticmethod
    def _conv_ref(xv, wv, strides, padding, dilations, groups, pad_value=0.0):
        xv = np.pad(xv.astype(np.float64),
                    ((0, 0), (0, 0), (padding[0], padding[2]), (padding[1], padding[3])),
                    constant_values=pad_value)
        n, c, h, wd = xv.shape
        f, cg, kh, kw = wv.shape
        oh = (h - dilations[0] * (kh - 1) - 1) // strides[0] + 1
        ow = (wd - dilations[1] * (kw - 1) - 1) // strides[1] + 1
        out = np.zeros((n, f, oh, ow))
        fg = f // groups
        for g in range(groups):
            xs = xv[:, g * cg:(g + 1) * cg]
            ws = wv[g * fg:(g + 1) * fg].astype(np.float64)
            for i in range(kh):
                for j in range(kw):
                    patch = xs[:, :, i * dilations[0]: i * dilations[0] + strides[0] * (oh - 1) + 1: strides[0],
                               j * dilations[1]: j * dilations[1] + strides[1] * (ow - 1) + 1: strides[1]]
                    out[:, g * fg:(g + 1) * fg] += np.einsum("nchw,fc->nfhw", patch, ws[:, :, i, j])
        return out

    def conv2d(self, x, w, b=None, strides=(1, 1), padding=(0, 0, 0, 0),
               dilations=(1, 1), groups=1, input_range=None, precision=None):
        attrs = (f"strides = array<i64: {strides[0]}, {strides[1]}>, "
                 f"padding = array<i64: {', '.join(map(str, padding))}>, "
                 f"dilations = array<i64: {dilations[0]}, {dilations[1]}>, groups = {groups} : i64")
        if input_range is not None:
            return self._quantized(x, w, b, input_range, "conv2d", attrs,
                                   (strides, padding, dilations, groups))
        xv, wv = _narrow(x.v, w.v, precision)
        out = self._conv_ref(xv, wv, strides, padding, dilations, groups)
        if b is not None:
            out += b.v.reshape(1, -1, 1, 1)
        if precision:
            attrs += ", " + _precision_attr(precision)
        ops = [x, w] + ([b] if b is not None else [])
        r = self._fn("conv2d", ops, out.astype(np.float32), attrs)
        if precision:
            # A convolution's sum of |terms|, as for products (a tap-by-tap
            # f32 sum of bf16 products rounds like a dot product).
            r.scale = self._conv_ref(np.abs(xv), np.abs(wv), strides, padding,
                                     dilations, groups)
            if b is not None:
                r.scale = r.scale + np.abs(b.v).reshape(1, -1, 1, 1)
        return r

    def _quantized(self, x, w, b, input_range, mnemonic, attrs="", conv=None):
        """The op with a calibrated range (dr1-quantize makes it int8); the
        reference follows the int8 scheme of dr1-quantize's description:
        asymmetric per-tensor activations with 0 exact, symmetric weights
        per output channel, exact integer sums, dequantize in f32."""
        f32 = np.float32
        lo, hi = min(f32(input_range[0]), f32(0)), max(f32(input_range[1]), f32(0))
        sx = f32(hi - lo) / f32(255)
        zx = int(np.clip(np.rint(-128 - np.float64(lo) / np.float64(sx)), -128, 127))
        xq = np.clip(np.rint(x.v.astype(f32) / sx) + f32(zx), -128, 127)
        # Output channels first: a matmul's [K, N] weight is transposed.
        wv = w.v.T if mnemonic == "matmul" else w.v
        wflat = wv.reshape(wv.shape[0], -1).astype(f32)
        sw = np.abs(wflat).max(axis=1) / f32(127)
        sw[sw == 0] = 1
        wq = np.clip(np.rint(wflat / sw[:, None]), -128, 127)
        if conv is None:
            acc = (xq.astype(np.float64) - zx) @ wq.T.astype(np.float64)
            shape = (-1,)
        else:
            acc = self._conv_ref(xq - zx, wq.reshape(wv.shape), *conv)
            shape = (1, -1, 1, 1)
        out = acc.astype(f32) * (sx * sw).astype(f32).reshape(shape)
        if b is not None:
            out = out + b.v.reshape(shape)
        rng_attr = (f"dr1.input_range = array<f32: {float(input_range[0]):.9e}, "
                    f"{float(input_range[1]):.9e}>")
        attrs = f"{attrs}, {rng_attr}" if attrs else rng_attr
        ops = [x, w] + ([b] if b is not None else [])
        r = self._fn(mnemonic, ops, out.astype(f32), attrs)
        # An input that is itself computed may round to the other side of a
        # quantization step than its reference: allow that for 1% of the
        # terms of a sum, at the largest weight.
        if not hasattr(x, "exact") or not x.exact:
            terms = wflat.shape[1]
            r.allow = max(1.0, 0.01 * terms) * float(sx) * float(np.abs(wflat).max())
        return r

    def _pool(self, x, k, s, p, fill, reduce, ceil_mode=False):
        n, c, h, w = x.v.shape

        def osize(i, kk, ss, pb, pa):
            span = i + pb + pa - kk
            o = (-(-span // ss) if ceil_mode else span // ss) + 1
            if ceil_mode and (o - 1) * ss >= i + pb:
                o -= 1
            return o
        oh, ow = osize(h, k[0], s[0], p[0], p[2]), osize(w, k[1], s[1], p[1], p[3])
        out = np.zeros((n, c, oh, ow))
        for i in range(oh):
            for j in range(ow):
                hs, ws = i * s[0] - p[0], j * s[1] - p[1]
                out[:, :, i, j] = reduce(x.v, hs, ws, k, h, w, p)
        return out

    def max_pool2d(self, x, k, s=(1, 1), p=(0, 0, 0, 0), ceil_mode=False):
        def red(v, hs, ws, k, h, w, p):
            win = v[:, :, max(hs, 0):min(hs + k[0], h), max(ws, 0):min(ws + k[1], w)]
            return win.max(axis=(2, 3))
        r = self._pool(x, k, s, p, -np.inf, red, ceil_mode)
        attrs = (f"kernel_shape = array<i64: {k[0]}, {k[1]}>, strides = array<i64: {s[0]}, {s[1]}>, "
                 f"padding = array<i64: {', '.join(map(str, p))}>, ceil_mode = {str(ceil_mode).lower()}")
        return self._fn("max_pool2d", [x], r.astype(np.float32), attrs)

    def avg_pool2d(self, x, k, s=(1, 1), p=(0, 0, 0, 0), count_include_pad=False,
                   ceil_mode=False):
        def red(v, hs, ws, k, h, w, p):
            he, we = min(hs + k[0], h + p[2]), min(ws + k[1], w + p[3])
            win = v[:, :, max(hs, 0):min(he, h), max(ws, 0):min(we, w)]
            cnt = (he - hs) * (we - ws) if count_include_pad else win.shape[2] * win.shape[3]
            return win.astype(np.float64).sum(axis=(2, 3)) / cnt
        r = self._pool(x, k, s, p, 0, red, ceil_mode)
        attrs = (f"kernel_shape = array<i64: {k[0]}, {k[1]}>, strides = array<i64: {s[0]}, {s[1]}>, "
                 f"padding = array<i64: {', '.join(map(str, p))}>, ceil_mode = {str(ceil_mode).lower()}, "
                 f"count_include_pad = {str(count_include_pad).lower()}")
        return self._fn("avg_pool2d", [x], r.astype(np.float32), attrs)

    def global_avg_pool(self, x):
        r = x.v.astype(np.float64).mean(axis=tuple(range(2, x.v.ndim)), keepdims=True)
        return self._fn("global_avg_pool", [x], r.astype(np.float32))

    def reduce(self, mnemonic, x, axes=(), keepdims=False):
        f = {"reduce_sum": np.sum, "reduce_mean": np.mean, "reduce_max": np.max}[mnemonic]
        ax = tuple(axes) if axes else None
        r = f(x.v.astype(np.float64), axis=ax, keepdims=keepdims)
        attrs = f"axes = array<i64: {', '.join(map(str, axes))}>, keepdims = {str(keepdims).lower()}"
        if not axes:
            attrs = f"keepdims = {str(keepdims).lower()}"
        return self._fn(mnemonic, [x], np.asarray(r).astype(x.v.dtype), attrs)

    def reshape(self, x, shape):
        r = x.v.reshape(shape)
        return self._emit(f"dr1.reshape {x.name} : {x.type} -> {tensor_type(r)}", r)

    def flatten(self, x, axis=1):
        r = x.v.reshape(int(np.prod(x.v.shape[:axis])), -1)
        return self._fn("flatten", [x], r, f"axis = {axis} : i64")

    def transpose(self, x, perm):
        r = np.ascontiguousarray(np.transpose(x.v, perm))
        return self._fn("transpose", [x], r, f"perm = array<i64: {', '.join(map(str, perm))}>")

    def concat(self, xs, axis):
        r = np.concatenate([x.v for x in xs], axis=axis)
        return self._fn("concat", xs, r, f"axis = {axis} : i64")

    def slice(self, x, starts, ends, steps):
        r = x.v[tuple(slice(a, b, c) for a, b, c in zip(starts, ends, steps))]
        attrs = (f"starts = array<i64: {', '.join(map(str, starts))}>, "
                 f"ends = array<i64: {', '.join(map(str, ends))}>, "
                 f"steps = array<i64: {', '.join(map(str, steps))}>")
        return self._fn("slice", [x], np.ascontiguousarray(r), attrs)

    def gather(self, data, indices, axis=0):
        r = np.take(data.v, indices.v, axis=axis)
        return self._fn("gather", [data, indices], r, f"axis = {axis} : i64")

    def cast(self, x, dtype):
        r = x.v.astype(dtype)
        return self._emit(f"dr1.cast {x.name} : {x.type} to {tensor_type(r)}", r)
