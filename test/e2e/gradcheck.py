"""Checks every dr1 gradient rule against central finite differences.

Each case is a small function of trainable arguments whose result is
reduced to a scalar loss (sum of the result times a fixed random tensor).
dr1-autodiff adds its gradient function, dr1c compiles that for the host,
and the compiled loss itself, evaluated at x +- eps per element, gives the
finite differences. Computed in f64, so that both sides are accurate to
far below the tolerance: |analytic - numeric| <= ATOL + RTOL * |numeric|.
erf has no f64 expansion (no libm in compiled models), so erf and exact
GELU are checked in f32 with a step and tolerance to match f32 rounding.
"""
import argparse
import concurrent.futures
import ctypes
import os
import re
import subprocess
import sys

import numpy as np

# (atol, rtol, finite-difference step) per element type.
TOLERANCE = {"f64": (1e-7, 1e-6, 1e-5), "f32": (1e-3, 1e-2, 1e-2)}
# f32 against f64, relative to the gradient's largest magnitude: sums of a
# few thousand f32 products.
F32_RTOL = 1e-4


def ty(shape, elt="f64"):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elt + ">"


class Case:
    """`body` uses %a0, %a1, ... (the arguments) and defines %out."""

    def __init__(self, name, args, body, out_shape, trainable=None, elt="f64", exact=None,
                 against_f64=False):
        self.name, self.args, self.body, self.out_shape = name, args, body, out_shape
        self.elt = elt
        # Where the function is not differentiable (ties), the convention
        # replaces finite differences: exact(args, r) -> expected gradients.
        self.exact = exact
        # Shapes too large for finite differences: the f32 build against
        # the f64 one.
        self.against_f64 = against_f64
        self.trainable = trainable if trainable is not None else [
            i for i, a in enumerate(args) if a.dtype == np.float64]

    def mlir(self):
        params = []
        for i, a in enumerate(self.args):
            elt = {np.float64: "f64", np.int64: "i64"}[a.dtype.type]
            attr = " {dr1.trainable}" if i in self.trainable else ""
            params.append(f"%a{i}: {ty(a.shape, elt)}{attr}")
        r = len(self.args)
        params.append(f"%r: {ty(self.out_shape)}")
        o = ty(self.out_shape)
        text = (f"func.func @f({', '.join(params)}) -> tensor<f64> {{\n"
                f"{self.body}\n"
                f"  %p = dr1.mul %out, %r : ({o}, {o}) -> {o}\n"
                f"  %l = dr1.reduce_sum %p : ({o}) -> tensor<f64>\n"
                f"  return %l : tensor<f64>\n}}\n")
        return text.replace("f64", self.elt), r


def cases(rng):
    n = lambda *s: rng.standard_normal(s)  # noqa: E731
    pos = lambda *s: rng.uniform(0.5, 2.0, s)  # noqa: E731
    # Away from the kinks at 0 (relu, abs, leaky_relu) and of clip / hard ops.
    off = lambda *s: np.sign(n(*s)) * rng.uniform(0.1, 4.0, s)  # noqa: E731
    t35 = ty((3, 5))
    out = []

    def unary(op, x, attrs="", elt="f64"):
        body = f"  %out = dr1.{op} %a0 {attrs}: {t35}"
        out.append(Case(op + (attrs and "-attrs"), [x], body, (3, 5), elt=elt))

    for op in ["relu", "sigmoid", "tanh", "silu", "exp", "neg", "abs"]:
        unary(op, off(3, 5))
    unary("erf", n(3, 5), elt="f32")
    unary("leaky_relu", off(3, 5), "{alpha = 0.2 : f32} ")
    unary("clip", off(3, 5) * 0.5 + 0.5, "{min = 0.0 : f32, max = 1.2 : f32} ")
    unary("hard_sigmoid", off(3, 5), "{alpha = 0.3 : f32, beta = 0.4 : f32} ")
    unary("gelu", n(3, 5), elt="f32")
    unary("gelu", n(3, 5), '{approximate = "tanh"} ')
    x = off(3, 5) * 1.5
    x[np.abs(np.abs(x) - 3) < 0.1] += 0.3  # hardswish's kinks at +-3
    unary("hardswish", x)
    for op in ["log", "sqrt", "rsqrt", "reciprocal"]:
        unary(op, pos(3, 5))

    def binary(op, a, b):
        s = np.broadcast_shapes(a.shape, b.shape)
        body = f"  %out = dr1.{op} %a0, %a1 : ({ty(a.shape)}, {ty(b.shape)}) -> {ty(s)}"
        out.append(Case(f"{op}{a.shape}{b.shape}", [a, b], body, s))

    binary("add", n(3, 5), n(5))
    binary("sub", n(3, 1, 5), n(4, 1))
    binary("mul", n(2, 3), n(3))
    binary("div", n(3, 5), pos(1, 5))
    binary("pow", pos(3, 5), n(5))
    a, b = n(2, 3), n(3)
    a[np.abs(a - b) < 0.05] += 0.1
    binary("max", a, b)
    binary("min", a, b)

    c = n(3, 5)
    out.append(Case("where", [n(3, 5), n(5), c],
                    f"  %zero = dr1.constant dense<0.0> : tensor<f64>\n"
                    f"  %c = dr1.greater %a2, %zero : ({t35}, tensor<f64>) -> {ty((3, 5), 'i1')}\n"
                    f"  %out = dr1.where %c, %a0, %a1 : ({ty((3, 5), 'i1')}, {t35}, "
                    f"{ty((5,))}) -> {t35}", (3, 5), trainable=[0, 1]))
    out.append(Case("broadcast", [n(4, 1)],
                    f"  %out = dr1.broadcast %a0 : {ty((4, 1))} -> {ty((2, 4, 3))}",
                    (2, 4, 3)))

    def mm(a, b, name="matmul"):
        s = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
        body = f"  %out = dr1.matmul %a0, %a1 : ({ty(a.shape)}, {ty(b.shape)}) -> {ty(s)}"
        out.append(Case(f"{name}{a.shape}{b.shape}", [a, b], body, s))

    mm(n(3, 4), n(4, 5))
    mm(n(2, 3, 4), n(4, 5))
    mm(n(2, 1, 3, 4), n(3, 4, 2))
    out.append(Case("linear", [n(2, 3, 4), n(5, 4), n(5)],
                    f"  %out = dr1.linear %a0, %a1, %a2 : ({ty((2, 3, 4))}, {ty((5, 4))}, "
                    f"{ty((5,))}) -> {ty((2, 3, 5))}", (2, 3, 5)))
    out.append(Case("linear-nobias", [n(3, 4), n(5, 4)],
                    f"  %out = dr1.linear %a0, %a1 : ({ty((3, 4))}, {ty((5, 4))}) -> "
                    f"{ty((3, 5))}", (3, 5)))
    out.append(Case("gemm", [n(4, 3), n(5, 4), n(5)],
                    f"  %out = dr1.gemm %a0, %a1, %a2 {{trans_a = true, trans_b = true, "
                    f"alpha = 0.5 : f32, beta = 2.0 : f32}} : ({ty((4, 3))}, {ty((5, 4))}, "
                    f"{ty((5,))}) -> {ty((3, 5))}", (3, 5)))
    bn = [n(2, 3, 4, 4), n(3), n(3), n(3), pos(3)]
    out.append(Case("batch_norm", bn,
                    f"  %out = dr1.batch_norm %a0, %a1, %a2, %a3, %a4 {{epsilon = 0.01 : f32}} : "
                    f"({ty((2, 3, 4, 4))}, {ty((3,))}, {ty((3,))}, {ty((3,))}, {ty((3,))}) -> "
                    f"{ty((2, 3, 4, 4))}", (2, 3, 4, 4)))
    out.append(Case("global_avg_pool", [n(2, 3, 4, 5)],
                    f"  %out = dr1.global_avg_pool %a0 : ({ty((2, 3, 4, 5))}) -> "
                    f"{ty((2, 3, 1, 1))}", (2, 3, 1, 1)))
    out.append(Case("layer_norm", [n(2, 3, 8), n(8), n(8)],
                    f"  %out = dr1.layer_norm %a0, %a1, %a2 {{axis = -1 : i64}} : "
                    f"({ty((2, 3, 8))}, {ty((8,))}, {ty((8,))}) -> {ty((2, 3, 8))}",
                    (2, 3, 8)))
    out.append(Case("layer_norm-axis1", [n(2, 3, 4), n(3, 4)],
                    f"  %out = dr1.layer_norm %a0, %a1 {{axis = 1 : i64, epsilon = 0.001 : f32}} : "
                    f"({ty((2, 3, 4))}, {ty((3, 4))}) -> {ty((2, 3, 4))}", (2, 3, 4)))
    s345 = ty((3, 4, 5))
    # The fused attention (its rule recomputes the probabilities), with and
    # without a broadcast additive mask; every operand trainable.
    q, kt, v = n(2, 3, 4, 5), n(2, 3, 5, 6), n(2, 3, 6, 4)
    att_t = f"({ty(q.shape)}, {ty(kt.shape)}, {ty(v.shape)}"
    out.append(Case("attention", [q, kt, v],
                    f"  %out = dr1.attention %a0, %a1, %a2 {{scale = 0.5 : f32}} : "
                    f"{att_t}) -> {ty((2, 3, 4, 4))}", (2, 3, 4, 4)))
    mask = n(2, 1, 1, 6)
    out.append(Case("attention-mask", [q, kt, v, mask],
                    f"  %out = dr1.attention %a0, %a1, %a2 mask %a3 {{scale = 0.5 : f32}} : "
                    f"{att_t}, {ty(mask.shape)}) -> {ty((2, 3, 4, 4))}", (2, 3, 4, 4)))
    out.append(Case("softmax", [n(3, 4, 5)],
                    f"  %out = dr1.softmax %a0 {{axis = 1 : i64}} : {s345}", (3, 4, 5)))
    out.append(Case("log_softmax", [n(3, 4, 5)],
                    f"  %out = dr1.log_softmax %a0 {{axis = -1 : i64}} : {s345}", (3, 4, 5)))
    out.append(Case("reduce_sum", [n(3, 4, 5)],
                    f"  %out = dr1.reduce_sum %a0 {{axes = array<i64: 1>}} : ({s345}) -> "
                    f"{ty((3, 5))}", (3, 5)))
    out.append(Case("reduce_mean", [n(3, 4, 5)],
                    f"  %out = dr1.reduce_mean %a0 {{axes = array<i64: 0, 2>, keepdims = true}} : "
                    f"({s345}) -> {ty((1, 4, 1))}", (1, 4, 1)))
    out.append(Case("reduce_max", [n(3, 4, 5)],
                    f"  %out = dr1.reduce_max %a0 {{axes = array<i64: -1>}} : ({s345}) -> "
                    f"{ty((3, 4))}", (3, 4)))
    out.append(Case("reshape", [n(3, 4, 5)],
                    f"  %out = dr1.reshape %a0 : {s345} -> {ty((6, 10))}", (6, 10)))
    out.append(Case("flatten", [n(3, 4, 5)],
                    f"  %out = dr1.flatten %a0 {{axis = 1 : i64}} : ({s345}) -> {ty((3, 20))}",
                    (3, 20)))
    out.append(Case("transpose", [n(3, 4, 5)],
                    f"  %out = dr1.transpose %a0 {{perm = array<i64: 2, 0, 1>}} : ({s345}) -> "
                    f"{ty((5, 3, 4))}", (5, 3, 4)))
    out.append(Case("concat", [n(3, 2), n(3, 4)],
                    f"  %out = dr1.concat %a0, %a1 {{axis = 1 : i64}} : ({ty((3, 2))}, "
                    f"{ty((3, 4))}) -> {ty((3, 6))}", (3, 6)))
    out.append(Case("slice", [n(5, 7)],
                    f"  %out = dr1.slice %a0 {{starts = array<i64: 1, 0>, ends = array<i64: 5, 7>, "
                    f"steps = array<i64: 2, 3>}} : ({ty((5, 7))}) -> {ty((2, 3))}", (2, 3)))
    out.append(Case("pad", [n(2, 3)],
                    f"  %out = dr1.pad %a0 {{low = array<i64: 1, 0>, strides = array<i64: 1, 2>}} : "
                    f"{ty((2, 3))} -> {ty((4, 6))}", (4, 6)))
    ids = np.array([[3, 0, 3], [-1, 2, 3]], np.int64)  # repeated and negative
    out.append(Case("gather", [n(5, 4), ids],
                    f"  %out = dr1.gather %a0, %a1 {{axis = 0 : i64}} : ({ty((5, 4))}, "
                    f"{ty((2, 3), 'i64')}) -> {ty((2, 3, 4))}", (2, 3, 4)))

    def conv(x, w, b=None, strides=(1, 1), padding=(0, 0, 0, 0), dil=(1, 1), groups=1,
             big=False):
        nn_, _, h, wd = x.shape
        f, _, kh, kw = w.shape
        oh = (h + padding[0] + padding[2] - dil[0] * (kh - 1) - 1) // strides[0] + 1
        ow = (wd + padding[1] + padding[3] - dil[1] * (kw - 1) - 1) // strides[1] + 1
        args = [x, w] + ([b] if b is not None else [])
        operands = ", ".join(f"%a{i}" for i in range(len(args)))
        types = ", ".join(ty(a.shape) for a in args)
        attrs = (f"strides = array<i64: {strides[0]}, {strides[1]}>, padding = array<i64: "
                 f"{', '.join(map(str, padding))}>, dilations = array<i64: {dil[0]}, {dil[1]}>, "
                 f"groups = {groups} : i64")
        shape = (nn_, f, oh, ow)
        out.append(Case(f"conv2d{x.shape}{w.shape}s{strides}p{padding}d{dil}g{groups}", args,
                        f"  %out = dr1.conv2d {operands} {{{attrs}}} : ({types}) -> {ty(shape)}",
                        shape, against_f64=big))

    conv(n(2, 3, 6, 5), n(4, 3, 3, 3), n(4), padding=(1, 1, 1, 1))
    conv(n(1, 2, 7, 8), n(3, 2, 3, 2), strides=(2, 3), padding=(1, 0, 2, 1))
    conv(n(2, 4, 6, 6), n(6, 2, 2, 3), n(6), dil=(2, 1), groups=2, padding=(0, 1, 1, 0))
    conv(n(1, 3, 7, 7), n(3, 1, 3, 3), strides=(2, 2), padding=(1, 1, 1, 1), groups=3)
    conv(n(2, 4, 5, 5), n(5, 4, 1, 1), n(5))
    # Shapes of real layers, through the f32 kernels.
    conv(n(2, 16, 18, 18), n(32, 16, 3, 3), n(32), padding=(1, 1, 1, 1), big=True)
    conv(n(2, 16, 17, 17), n(24, 16, 3, 3), strides=(2, 2), padding=(1, 1, 1, 1), big=True)
    conv(n(2, 32, 14, 14), n(32, 1, 3, 3), padding=(1, 1, 1, 1), groups=32, big=True)
    conv(n(2, 32, 14, 14), n(64, 32, 1, 1), n(64), big=True)
    conv(n(1, 3, 32, 32), n(16, 3, 7, 7), strides=(2, 2), padding=(3, 3, 3, 3), big=True)
    out.append(Case("linear-f32", [n(24, 96), n(80, 96), n(80)],
                    f"  %out = dr1.linear %a0, %a1, %a2 : ({ty((24, 96))}, {ty((80, 96))}, "
                    f"{ty((80,))}) -> {ty((24, 80))}", (24, 80), against_f64=True))

    def pool(op, x, k, s, p, extra="", oshape=None, big=False):
        attrs = (f"kernel_shape = array<i64: {k[0]}, {k[1]}>, strides = array<i64: {s[0]}, "
                 f"{s[1]}>, padding = array<i64: {', '.join(map(str, p))}>{extra}")
        out.append(Case(f"{op}{x.shape}k{k}s{s}p{p}{extra}", [x],
                        f"  %out = dr1.{op} %a0 {{{attrs}}} : ({ty(x.shape)}) -> {ty(oshape)}",
                        oshape, against_f64=big))

    pool("max_pool2d", n(2, 3, 7, 6), (3, 3), (2, 2), (1, 1, 1, 1), oshape=(2, 3, 4, 3))
    pool("max_pool2d", n(1, 2, 5, 5), (2, 2), (2, 2), (0, 0, 0, 0), ", ceil_mode = true",
         oshape=(1, 2, 3, 3))
    relu_like = np.maximum(n(1, 2, 4, 4), 0)  # ties at zero: the first one takes it
    relu_like[0, 0] = 0.0

    def first_max(args, r):
        x, g = args[0], np.zeros_like(args[0])
        for idx in np.ndindex(r.shape):
            n_, c_, i, j = idx
            win = x[n_, c_, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            a, b = np.unravel_index(np.argmax(win), win.shape)  # the first maximum
            g[n_, c_, 2 * i + a, 2 * j + b] += r[idx]
        return [g]
    out.append(Case("max_pool2d-ties", [relu_like],
                    f"  %out = dr1.max_pool2d %a0 {{kernel_shape = array<i64: 2, 2>, strides = "
                    f"array<i64: 2, 2>}} : ({ty((1, 2, 4, 4))}) -> {ty((1, 2, 2, 2))}",
                    (1, 2, 2, 2), exact=first_max))
    pool("avg_pool2d", n(2, 3, 7, 6), (3, 3), (2, 2), (1, 1, 1, 1), oshape=(2, 3, 4, 3))
    pool("max_pool2d", n(2, 16, 32, 32), (3, 3), (2, 2), (1, 1, 1, 1), oshape=(2, 16, 16, 16),
         big=True)
    pool("avg_pool2d", n(1, 2, 5, 5), (3, 2), (1, 2), (1, 0, 1, 1), ", count_include_pad = true",
         oshape=(1, 2, 5, 3))
    # A value used twice, an op off the gradient path and a chain of rules.
    out.append(Case("mlp-cross-entropy", [n(6, 4), n(6), n(3, 6), n(5, 4),
                                          rng.integers(0, 3, (5,)).astype(np.int64)],
                    f"""  %h = dr1.linear %a3, %a0, %a1 : ({ty((5, 4))}, {ty((6, 4))}, {ty((6,))}) -> {ty((5, 6))}
  %t = dr1.tanh %h : {ty((5, 6))}
  %u = dr1.add %t, %h : ({ty((5, 6))}, {ty((5, 6))}) -> {ty((5, 6))}
  %z = dr1.linear %u, %a2 : ({ty((5, 6))}, {ty((3, 6))}) -> {ty((5, 3))}
  %lp = dr1.log_softmax %z {{axis = -1 : i64}} : {ty((5, 3))}
  %y = dr1.reshape %a4 : {ty((5,), 'i64')} -> {ty((5, 1), 'i64')}
  %iota = dr1.constant dense<[[0, 1, 2]]> : {ty((1, 3), 'i64')}
  %eq = dr1.equal %y, %iota : ({ty((5, 1), 'i64')}, {ty((1, 3), 'i64')}) -> {ty((5, 3), 'i1')}
  %oh = dr1.cast %eq : {ty((5, 3), 'i1')} to {ty((5, 3))}
  %pk = dr1.mul %lp, %oh : ({ty((5, 3))}, {ty((5, 3))}) -> {ty((5, 3))}
  %s = dr1.reduce_mean %pk {{axes = array<i64: 0>}} : ({ty((5, 3))}) -> {ty((3,))}
  %out = dr1.neg %s : {ty((3,))}""", (3,), trainable=[0, 1, 2]))
    return out


def variants(case):
    """The element types a case is compiled for."""
    return ["f64", "f32"] if case.against_f64 else [case.elt]


def build(case, i, dr1c, dr1opt, workdir):
    for elt in variants(case):
        d = os.path.join(workdir, f"{i:02d}{elt}")
        os.makedirs(d, exist_ok=True)
        text, _ = case.mlir()
        src, grad = os.path.join(d, "f.mlir"), os.path.join(d, "grad.mlir")
        with open(src, "w") as f:
            f.write(text.replace(case.elt, elt))
        name = f"g{i:02d}"
        for cmd in ([dr1opt, "--dr1-autodiff", src, "-o", grad],
                    [dr1c, grad, "--entry=f_grad", f"--name={name}", "-o",
                     os.path.join(d, "g.o")],
                    ["cc", "-shared", "-o", os.path.join(d, "g.so"), os.path.join(d, "g.o")]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                return f"{' '.join(cmd)}: exit {r.returncode}\n{r.stdout}{r.stderr}"
    return None


def load(case, i, workdir, elt, args, outs):
    """A function that runs the compiled gradient on `args` into `outs`
    and returns the loss."""
    d = os.path.join(workdir, f"{i:02d}{elt}")
    name = f"g{i:02d}"
    header = open(os.path.join(d, "g.h")).read()
    ws = int(re.search(rf"#define {name.upper()}_WORKSPACE_SIZE (\d+)u", header).group(1))
    run = getattr(ctypes.CDLL(os.path.join(d, "g.so")), f"{name}_run_packed")
    workspace = ctypes.create_string_buffer(max(ws, 1) + 64)
    ptr = lambda a: ctypes.c_void_p(a.ctypes.data)  # noqa: E731

    def call():
        ins = (ctypes.c_void_p * len(args))(*[ptr(a) for a in args])
        os_ = (ctypes.c_void_p * len(outs))(*[ptr(o) for o in outs])
        run(ins, os_, workspace)
        return float(outs[0])
    return call


def inputs(case, elt, r):
    ft = np.float32 if elt == "f32" else np.float64
    conv = lambda a: a.astype(ft) if a.dtype == np.float64 else a  # noqa: E731
    args = [np.ascontiguousarray(conv(a)) for a in case.args] + [conv(r)]
    outs = [np.zeros((), ft)] + [np.zeros_like(args[t]) for t in case.trainable]
    return args, outs


def check(case, i, workdir, rng):
    r = rng.standard_normal(case.out_shape)
    if case.against_f64:
        # The f32 kernels (tiled, vectorized) against the f64 build of the
        # same gradient, itself checked against finite differences on small
        # shapes: relative to each gradient's largest magnitude.
        grads = {}
        for elt in ("f64", "f32"):
            args, outs = inputs(case, elt, r)
            load(case, i, workdir, elt, args, outs)()
            grads[elt] = outs[1:]
        worst = 0.0
        for t, g32, g64 in zip(case.trainable, grads["f32"], grads["f64"]):
            err = np.abs(g32.astype(np.float64) - g64)
            bound = F32_RTOL * max(float(np.abs(g64).max()), 1e-30)
            worst = max(worst, float(err.max()) / bound)
            if err.max() > bound:
                idx = np.unravel_index(np.argmax(err), err.shape)
                return (f"gradient of argument {t} at {idx}: f32 {g32[idx]!r}, "
                        f"f64 {g64[idx]!r}"), worst
        return None, worst
    atol, rtol, eps = TOLERANCE[case.elt]
    args, outs = inputs(case, case.elt, r)
    call = load(case, i, workdir, case.elt, args, outs)
    call()
    analytic = [o.copy() for o in outs[1:]]
    worst = 0.0
    if case.exact:
        for t, g, want in zip(case.trainable, analytic, case.exact(args, r)):
            if not np.array_equal(g, want):
                idx = np.unravel_index(np.argmax(np.abs(g - want)), g.shape)
                return (f"gradient of argument {t} at {idx}: dr1 {g[idx]!r}, "
                        f"expected {want[idx]!r}"), 1.0
        return None, 0.0
    for t, g in zip(case.trainable, analytic):
        a = args[t]
        numeric = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            keep = a[idx]
            a[idx] = keep + eps
            up = call()
            a[idx] = keep - eps
            down = call()
            a[idx] = keep
            numeric[idx] = (up - down) / (2 * eps)
        err = np.abs(g.astype(np.float64) - numeric)
        bound = atol + rtol * np.abs(numeric)
        worst = max(worst, float((err / bound).max()))
        if not np.all(err <= bound):
            idx = np.unravel_index(np.argmax(err / bound), err.shape)
            return (f"gradient of argument {t} at {idx}: dr1 {g[idx]!r}, "
                    f"finite differences {numeric[idx]!r}"), worst
    return None, worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dr1c", required=True)
    ap.add_argument("--dr1-opt", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--filter", default="")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    rng = np.random.default_rng(0)
    all_cases = [c for c in cases(rng) if args.filter in c.name]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        errors = list(pool.map(lambda ic: build(ic[1], ic[0], args.dr1c, args.dr1_opt,
                                                args.workdir), enumerate(all_cases)))
    failed = 0
    for i, (case, err) in enumerate(zip(all_cases, errors)):
        if err is None:
            err, worst = check(case, i, args.workdir, rng)
        if err is None:
            print(f"ok {case.name}: worst err/tolerance {worst:.3f}")
        else:
            failed += 1
            print(f"FAIL {case.name}: {err}")
    print(f"{len(all_cases) - failed} of {len(all_cases)} gradient checks pass (finite differences; exact where ties)")
    if failed:
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
