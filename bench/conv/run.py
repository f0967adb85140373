#!/usr/bin/env python3
"""Single convolution layers of ResNet-50 and MobileNetV2 shapes (conv +
bias + relu, batch 1, NCHW f32), dr1 vs ONNX Runtime, one thread each,
measured in one run on the same inputs, timed in alternation.

    python3 bench/conv/run.py [--write-docs] [--layers r50-3x3-56,...]
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import dr1

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import interleaved_medians, write_docs_section  # noqa: E402


# name: (C, H, W, F, k, stride, groups)
LAYERS = {
    "r50-stem-7x7s2": (3, 224, 224, 64, 7, 2, 1),
    "r50-1x1-56-64": (64, 56, 56, 64, 1, 1, 1),
    "r50-3x3-56": (64, 56, 56, 64, 3, 1, 1),
    "r50-1x1-56-256": (64, 56, 56, 256, 1, 1, 1),
    "r50-1x1s2-256-512": (256, 56, 56, 512, 1, 2, 1),
    "r50-3x3-14": (256, 14, 14, 256, 3, 1, 1),
    "r50-1x1-7-2048": (512, 7, 7, 2048, 1, 1, 1),
    "r50-3x3-7": (512, 7, 7, 512, 3, 1, 1),
    "r50-3x3s2-14": (512, 14, 14, 512, 3, 2, 1),
    "r50-1x1s2-14-2048": (1024, 14, 14, 2048, 1, 2, 1),
    "mnv2-dw3x3-112": (32, 112, 112, 32, 3, 1, 32),
    "mnv2-dw3x3s2-56": (144, 56, 56, 144, 3, 2, 144),
    "mnv2-1x1-28-192": (32, 28, 28, 192, 1, 1, 1),
    "mnv2-dw3x3-14": (384, 14, 14, 384, 3, 1, 384),
}


def conv_model(c, h, w, f, k, s, g):
    rng = np.random.default_rng(0)
    wt = (rng.standard_normal((f, c // g, k, k)) / np.sqrt(c // g * k * k)).astype(np.float32)
    b = (rng.standard_normal(f) * 0.1).astype(np.float32)
    p = k // 2
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[k, k], strides=[s, s],
                         pads=[p, p, p, p], group=g),
        helper.make_node("Relu", ["y"], ["z"]),
    ]
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    graph = helper.make_graph(
        nodes, "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, h, w])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, f, oh, ow])],
        [numpy_helper.from_array(wt, "w"), numpy_helper.from_array(b, "b")])
    flops = 2.0 * f * oh * ow * (c // g) * k * k
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), flops


def bench(name, spec, work):
    model, flops = conv_model(*spec)
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    os.environ["DR1_CACHE_DIR"] = os.path.join(work, "cache")
    compiled = dr1.from_onnx(path)
    x = np.random.default_rng(1).standard_normal((1,) + spec[:1] + spec[1:3]).astype(np.float32)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so)
    ref = sess.run(None, {"x": x})[0]
    got = compiled(x=x)[0]
    err = float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))
    t_dr1, t_ort = interleaved_medians(
        [lambda: compiled(x=x), lambda: sess.run(None, {"x": x})], 20)
    return dict(name=name, dr1_ms=t_dr1 * 1e3, ort_ms=t_ort * 1e3,
                dr1_gf=flops / t_dr1 / 1e9, ort_gf=flops / t_ort / 1e9, err=err)


def table(rows):
    out = ["| layer (C,H,W -> F, k, stride, groups) | dr1 ms | ORT ms | dr1 GFLOP/s | "
           "ORT GFLOP/s | ORT / dr1 | max rel diff |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c, h, w, f, k, s, g = LAYERS[r["name"]]
        out.append(f"| {r['name']} ({c},{h},{w} -> {f}, {k}, {s}, {g}) | {r['dr1_ms']:.3f} | "
                   f"{r['ort_ms']:.3f} | {r['dr1_gf']:.1f} | {r['ort_gf']:.1f} | "
                   f"{r['ort_ms'] / r['dr1_ms']:.2f} | {r['err']:.1e} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--layers", help="comma-separated subset")
    args = ap.parse_args()
    names = args.layers.split(",") if args.layers else list(LAYERS)
    os.environ.pop("OPENBLAS_CORETYPE", None)
    with tempfile.TemporaryDirectory() as work:
        rows = []
        for n in names:
            rows.append(bench(n, LAYERS[n], work))
            print(rows[-1], flush=True)
    text = table(rows)
    print(text)
    if args.write_docs:
        write_docs_section("conv", "python3 bench/conv/run.py --write-docs", text,
                           "Convolution layers vs ONNX Runtime")

if __name__ == "__main__":
    main()
