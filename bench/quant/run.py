#!/usr/bin/env python3
"""int8, bf16 and f16 against f32, and dr1 against ONNX Runtime's static
quantization,
measured in one run on this machine (layers on 1 and 2 threads, models on
one).

    python3 bench/quant/run.py [--write-docs] [--models resnet50,mobilenet_v2]
        [--samples 8] [--skip-layers] [--skip-models]

Layers: one dr1 layer (Linear, Conv2d) compiled f32 (dr1.optimize), int8
(AutoQuantizer method='int8', calibrated on its input), bf16 and f16
(method='bf16' / 'f16'), median latency of each, including the layer's
quantize / dequantize (int8) or activation rounding (bf16). Models: ResNet-50 (the
onnx package's light model, randomized weights) and a MobileNetV2-style CNN,
calibrated on `--samples` standard normal inputs; top-1 agreement and
relative error against the f32 model measured on 16 other inputs of that
distribution; object / model file sizes; latency. ONNX Runtime quantizes the
same f32 model with quantize_static (QDQ, per-channel int8 weights, uint8
activations, MinMax calibration on the same samples).
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

import dr1
from dr1.quantization import AutoQuantizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "onnx"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from cnn_onnx import mobilenet_v2  # noqa: E402
from common import median_latency, write_docs_section  # noqa: E402
from test_light_models import randomized  # noqa: E402

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")


def opset13(model):
    """The light models are opset 9 with IR 3 (initializers must be inputs),
    which quantize_static's own opset update rejects: IR 7, opset 13."""
    model.ir_version = 7
    # Initializers listed as graph inputs are not constants to ONNX Runtime
    # (no constant folding, no prepacked weights): drop them from the inputs.
    inits = {i.name for i in model.graph.initializer}
    keep = [i for i in model.graph.input if i.name not in inits]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    return onnx.version_converter.convert_version(model, 13)


def peaks(work):
    """One core's peak for f32 FMAs, vdpbf16ps and vpdpbusd (bench/quant/peak.c),
    or None where it cannot be built or run (no AVX-512 BF16 / VNNI)."""
    import shutil
    import subprocess
    cc = shutil.which("clang-22") or shutil.which("clang") or shutil.which("cc")
    exe = os.path.join(work, "peak")
    try:
        subprocess.run([cc, "-O2", "-march=native", os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "peak.c"), "-o", exe], check=True,
            capture_output=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    except (subprocess.CalledProcessError, OSError, TypeError):
        return None
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def layers(rng, threads=(1, 2)):
    rows = []
    cases = [("Linear 256x256x256", dr1.Linear(256, 256), (256, 256), 2 * 256 ** 3),
             ("Linear 1024x1024x1024", dr1.Linear(1024, 1024), (1024, 1024), 2 * 1024 ** 3),
             ("Linear 197x768x768 (BERT)", dr1.Linear(768, 768), (197, 768), 2 * 197 * 768 * 768),
             ("Conv 3x3 64->64 @56", dr1.Conv2d(64, 64, 3, padding=1), (1, 64, 56, 56),
              2 * 64 * 64 * 9 * 56 * 56),
             ("Conv 3x3 128->128 @28", dr1.Conv2d(128, 128, 3, padding=1), (1, 128, 28, 28),
              2 * 128 * 128 * 9 * 28 * 28),
             ("Conv 3x3/2 64->128 @56", dr1.Conv2d(64, 128, 3, stride=2, padding=1),
              (1, 64, 56, 56), 2 * 64 * 128 * 9 * 28 * 28),
             ("Conv 1x1 256->64 @56", dr1.Conv2d(256, 64, 1), (1, 256, 56, 56),
              2 * 256 * 64 * 56 * 56),
             ("Conv 7x7/2 3->64 @224", dr1.Conv2d(3, 64, 7, stride=2, padding=3),
              (1, 3, 224, 224), 2 * 3 * 64 * 49 * 112 * 112)]
    for name, model, shape, ops in cases:
        x = rng.standard_normal(shape).astype(np.float32)
        xt = dr1.tensor(x)
        for t in threads:
            q = AutoQuantizer(model, [x], threads=t, verbose=False).quantize("int8")
            f = dr1.optimize(model, method="static", threads=t)
            tf = median_latency(lambda: f(xt))
            tq = median_latency(lambda: q(x))
            r = dict(name=name, threads=t, f32=tf, int8=tq, gflops=ops / tf / 1e9,
                     gops=ops / tq / 1e9)
            for p in ("bf16", "f16"):
                qp = AutoQuantizer(model, [x], threads=t, verbose=False).quantize(p)
                r[p] = median_latency(lambda: qp(x))
            print(r, flush=True)
            rows.append(r)
    return rows


def layer_table(rows):
    one = {r["name"]: r for r in rows if r["threads"] == 1}
    lines = ["| layer | threads | f32 ms | int8 ms | bf16 ms | f16 ms | f32 GFLOP/s | "
             "int8 Gop/s | int8 speed-up | bf16 speed-up | f16 speed-up | "
             "int8 vs its 1 thread |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        scale = one[r["name"]]["int8"] / r["int8"] if r["name"] in one else float("nan")
        lines.append(f"| {r['name']} | {r['threads']} | {r['f32'] * 1e3:.3f} | "
                     f"{r['int8'] * 1e3:.3f} | {r['bf16'] * 1e3:.3f} | {r['f16'] * 1e3:.3f} | "
                     f"{r['gflops']:.0f} | {r['gops']:.0f} | "
                     f"{r['f32'] / r['int8']:.2f}x | {r['f32'] / r['bf16']:.2f}x | "
                     f"{r['f32'] / r['f16']:.2f}x | {scale:.2f}x |")
    return "\n".join(lines)


class _Reader:
    def __init__(self, name, xs):
        self.it = iter([{name: x} for x in xs])

    def get_next(self):
        return next(self.it, None)

    def rewind(self):
        pass


def ort_session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def first(out):
    return np.asarray(out[0] if isinstance(out, (list, tuple)) else out)


def agreement(outs, refs):
    top1 = np.mean([int(o.argmax() == r.argmax()) for o, r in zip(outs, refs)])
    err = np.mean([np.linalg.norm(o - r) / max(np.linalg.norm(r), 1e-30)
                   for o, r in zip(outs, refs)])
    return float(top1), float(err)


def model_row(name, model, work, samples):
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    inp = model.graph.input[0]
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    rng = np.random.default_rng(1)
    calib = [rng.standard_normal(shape).astype(np.float32) for _ in range(samples)]
    test = [rng.standard_normal(shape).astype(np.float32) for _ in range(16)]

    f32_ort = ort_session(path)
    refs = [f32_ort.run(None, {inp.name: x})[0] for x in test]
    t0 = time.perf_counter()
    q = AutoQuantizer(path, calib, verbose=False).quantize("int8")
    dr1_quant_s = time.perf_counter() - t0
    f32_dr1 = dr1.from_onnx(path)
    dr1_f32_outs = [first(f32_dr1(x)) for x in test]
    dr1_outs = [first(q(x)) for x in test]
    qb = AutoQuantizer(path, calib, verbose=False).quantize("bf16")
    bf16_outs = [first(qb(x)) for x in test]
    qpath = os.path.join(work, name + ".int8.onnx")
    t0 = time.perf_counter()
    quantize_static(path, qpath, _Reader(inp.name, calib), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)
    ort_quant_s = time.perf_counter() - t0
    q_ort = ort_session(qpath)
    ort_outs = [q_ort.run(None, {inp.name: x})[0] for x in test]
    x = test[0]
    r = dict(name=name,
             dr1_f32_ms=1e3 * median_latency(lambda: f32_dr1(x)),
             dr1_int8_ms=1e3 * median_latency(lambda: q(x)),
             dr1_bf16_ms=1e3 * median_latency(lambda: qb(x)),
             dr1_bf16_bytes=qb.report.size_after,
             dr1_bf16_agree=agreement(bf16_outs, dr1_f32_outs),
             ort_f32_ms=1e3 * median_latency(lambda: f32_ort.run(None, {inp.name: x})),
             ort_int8_ms=1e3 * median_latency(lambda: q_ort.run(None, {inp.name: x})),
             dr1_f32_bytes=q.report.size_before, dr1_int8_bytes=q.report.size_after,
             ort_f32_bytes=os.path.getsize(path), ort_int8_bytes=os.path.getsize(qpath),
             dr1_agree=agreement(dr1_outs, dr1_f32_outs),
             ort_agree=agreement(ort_outs, refs),
             dr1_quant_s=dr1_quant_s, ort_quant_s=ort_quant_s,
             int8_layers=sum(row["precision"] == "int8" for row in q.report.rows),
             layers=len(q.report.rows))
    print(r, flush=True)
    return r


def model_table(rows):
    lines = ["| model | | f32 ms | int8 ms | int8 speed-up | f32 MB | int8 MB | int8 size | "
             "top-1 agreement | rel. L2 error | quantize s |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        for who in ("dr1", "ort"):
            label = "dr1" if who == "dr1" else "ONNX Runtime"
            f, i = r[f"{who}_f32_ms"], r[f"{who}_int8_ms"]
            fb, ib = r[f"{who}_f32_bytes"], r[f"{who}_int8_bytes"]
            top1, err = r[f"{who}_agree"]
            lines.append(f"| {r['name']} | {label} | {f:.1f} | {i:.1f} | {f / i:.2f}x | "
                         f"{fb / 1e6:.1f} | {ib / 1e6:.1f} | {ib / fb:.0%} | {top1:.0%} | "
                         f"{err:.3f} | {r[f'{who}_quant_s']:.0f} |")
    lines += ["", "| model | dr1 f32 ms | dr1 bf16 ms | bf16 speed-up | bf16 size | "
              "top-1 agreement | rel. L2 error |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        top1, err = r["dr1_bf16_agree"]
        lines.append(f"| {r['name']} | {r['dr1_f32_ms']:.1f} | {r['dr1_bf16_ms']:.1f} | "
                     f"{r['dr1_f32_ms'] / r['dr1_bf16_ms']:.2f}x | "
                     f"{r['dr1_bf16_bytes'] / r['dr1_f32_bytes']:.0%} | {top1:.0%} | {err:.4f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--models", default="resnet50,mobilenet_v2")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--skip-layers", action="store_true")
    ap.add_argument("--skip-models", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    text = []
    with tempfile.TemporaryDirectory() as work:
        os.environ["DR1_CACHE_DIR"] = os.path.join(work, "cache")
        p = peaks(work)
        if p:
            text.append("One core's peak, 16 independent zmm accumulator chains "
                        "(bench/quant/peak.c, clang -O2 -march=native): f32 FMA "
                        f"{p['f32_fma_gflops']:.0f} GFLOP/s, vdpbf16ps "
                        f"{p['bf16_dot_gflops']:.0f} GFLOP/s "
                        f"({p['bf16_dot_gflops'] / p['f32_fma_gflops']:.2f}x), vpdpbusd "
                        f"{p['int8_dot_gops']:.0f} Gop/s "
                        f"({p['int8_dot_gops'] / p['f32_fma_gflops']:.2f}x).")
        if not args.skip_layers:
            text.append("Layers, batch as shown, 1 and 2 threads (f32, int8, bf16 and f16 each "
                        "compiled for that many):\n\n" + layer_table(layers(rng)))
        if not args.skip_models:
            builders = {"resnet50": lambda: opset13(randomized(os.path.join(LIGHT,
                                                                            "light_resnet50.onnx"))),
                        "mobilenet_v2": lambda: mobilenet_v2()}
            rows = [model_row(n, builders[n](), work, args.samples)
                    for n in args.models.split(",")]
            text.append("Models, batch 1, one thread (dr1's agreement is against dr1 f32, "
                        "ONNX Runtime's against ONNX Runtime f32):\n\n" + model_table(rows))
    out = "\n\n".join(text)
    print(out)
    if args.write_docs:
        write_docs_section("quantization", "python3 bench/quant/run.py --write-docs", out,
                           "Quantization: int8, bf16, f16")


if __name__ == "__main__":
    main()
