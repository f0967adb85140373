#!/usr/bin/env python3
"""Whole models on the GPU: dr1 (-target=nvptx) vs PyTorch eager on the same
ONNX graph, same weights, same inputs.

The GPU machine has no LLVM and no dr1 build, and only 64 MiB travel to it:
here, `build` compiles each model for the GPU, links it with
bench/gpu/model_timer.c and libdr1rt and writes its inputs (weights travel
inside the executables only). There, `run` times each executable, then
regenerates the same ONNX graph from the same generator and seed, runs it
node by node with PyTorch (bench/gpu/onnx_torch.py: one torch call per ONNX
node, as eager code would), checks that both give the same outputs (which
also proves the weights were the same) and times it. f32 throughout, TF32
off on the PyTorch side (dr1's kernels use f32 FMAs).

    python3 bench/gpu/models.py build --dr1c build/bin/dr1c --out build/gpu-models [--sm sm_90]
    # on the GPU machine (device tool, carry=["build/gpu-models"]):
    python3 bench/gpu/models.py run build/gpu-models [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "onnx"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_onnx import bert  # noqa: E402
from cnn_onnx import _G, efficientnet_b0, mobilenet_v2  # noqa: E402

RUNTIME = [os.path.join(ROOT, "runtime", f) for f in ("dr1rt.c", "cuda.c", "profile.c")]


def resnet18(batch=1, resolution=224, width=64, classes=1000, seed=0):
    """ResNet-18's graph (basic blocks 2-2-2-2, Conv + BatchNormalization +
    Relu, 1x1 projection shortcuts) with stage widths width * (1, 2, 4, 8)."""
    g = _G(seed, bn=True)
    x = g.node("Relu", [g.conv("input", 3, width, 7, stride=2)])
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = width
    for stage in range(4):
        cout = width << stage
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            y = g.node("Relu", [g.conv(x, cin, cout, 3, stride)])
            y = g.conv(y, cout, cout, 3)
            short = g.conv(x, cin, cout, 1, stride) if stride != 1 or cin != cout else x
            x = g.node("Relu", [g.node("Add", [y, short])])
            cin = cout
    out = g.classifier(x, cin, classes)
    return g.model("resnet18", [batch, 3, resolution, resolution], out, classes)


# name -> (generator, description). Sizes keep each executable (which holds
# the weights) small enough for the 64 MiB that travel to the GPU machine.
MODELS = {
    "resnet18-w32": (lambda: resnet18(width=32), "ResNet-18 graph, half width, 224x224, batch 1"),
    "resnet18-w32-b8": (lambda: resnet18(batch=8, width=32), "the same, batch 8"),
    "mobilenet_v2": (lambda: mobilenet_v2(), "MobileNetV2, 224x224, batch 1"),
    "efficientnet_b0": (lambda: efficientnet_b0(), "EfficientNet-B0 (squeeze-excitation), "
                        "224x224, batch 1"),
    "bert-4layer-256-b8": (lambda: bert(batch=8, seq=128, hidden=256, heads=4, layers=4,
                                        ffn=1024),
                           "BERT-style encoder, 4 layers, hidden 256, seq 128, batch 8"),
}


def feeds_for(model, rng):
    from onnx import TensorProto
    feeds = {}
    inits = {i.name for i in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        t = inp.type.tensor_type
        shape = [d.dim_value for d in t.shape.dim]
        if t.elem_type == TensorProto.INT64:
            feeds[inp.name] = (np.ones(shape, np.int64) if "mask" in inp.name
                               else rng.integers(0, 100, shape).astype(np.int64))
        else:
            feeds[inp.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def build(args):
    import shutil

    import onnx
    os.makedirs(args.out, exist_ok=True)
    mpath = os.path.join(args.out, "manifest.json")
    manifest = {"sm": args.sm, "models": []}
    if os.path.exists(mpath):  # a second build adds to the bundle
        with open(mpath) as f:
            manifest = json.load(f)
    for name, (make, desc) in MODELS.items():
        if args.models and name not in args.models.split(","):
            continue
        model = make()
        d = os.path.join(args.out, name + args.suffix)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        path = os.path.join(d, "model.onnx")
        onnx.save(model, path)
        sym = name.replace("-", "_")
        obj = os.path.join(d, sym + ".o")
        t = time.perf_counter()
        r = subprocess.run([args.dr1c, path, "-target=nvptx", f"-mcpu={args.sm}",
                            f"--name={sym}", "-o", obj] + args.flags.split(),
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"dr1c failed on {name}:\n{r.stderr}")
        compile_s = time.perf_counter() - t
        r = subprocess.run(["cc", "-std=c11", "-O2", "-Wall", "-Werror", f"-DMODEL={sym}",
                            f'-DMODEL_HEADER="{sym}.h"', "-I", d, "-I",
                            os.path.join(ROOT, "include"), "-I", os.path.join(ROOT, "runtime"),
                            os.path.join(ROOT, "bench", "gpu", "model_timer.c")] + RUNTIME +
                           [obj, "-lm", "-o", os.path.join(d, "model")],
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"link failed on {name}:\n{r.stderr}")
        os.remove(obj)
        os.remove(path)
        feeds = feeds_for(model, np.random.default_rng(0))
        for i, v in enumerate(feeds.values()):
            v.tofile(os.path.join(d, f"in{i}.bin"))
        manifest["models"].append({"name": name, "dir": name + args.suffix,
                                   "flags": args.flags, "desc": desc, "inputs": list(feeds),
                                   "outputs": len(model.graph.output),
                                   "compile_s": round(compile_s, 1)})
        print(f"built {name} ({compile_s:.1f} s)", flush=True)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def run(args):
    import torch
    from onnx_torch import OnnxTorch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    with open(os.path.join(args.bundle, "manifest.json")) as f:
        manifest = json.load(f)
    results, failed = {}, False
    print("| model | dr1 ms | PyTorch eager ms | PyTorch / dr1 | max err / max abs |")
    print("|---|---:|---:|---:|---:|")
    for m in manifest["models"]:
        name, d = m["name"], os.path.join(args.bundle, m.get("dir", m["name"]))
        model = MODELS[name][0]()
        feeds = feeds_for(model, np.random.default_rng(0))
        ins = [os.path.join(d, f"in{i}.bin") for i in range(len(feeds))]
        outs = [os.path.join(d, f"out{i}.bin") for i in range(m["outputs"])]
        r = subprocess.run([os.path.join(d, "model")] + ins + outs, capture_output=True,
                           text=True)
        if r.returncode:
            print(f"| {m.get('dir', name)} | failed: {r.stderr.strip()} | | | |", flush=True)
            failed = True
            continue
        dr1_ms = float(r.stdout.split("time:")[1].split("ms")[0])
        try:
            net = OnnxTorch(model, "cuda")
            tfeeds = {k: torch.from_numpy(v).cuda() for k, v in feeds.items()}
            with torch.inference_mode():
                for _ in range(3):
                    ref = net(tfeeds)
                torch.cuda.synchronize()
                t = time.perf_counter()
                for _ in range(20):
                    net(tfeeds)
                torch.cuda.synchronize()
                torch_ms = (time.perf_counter() - t) * 1e3 / 20
        except Exception as e:  # report, and go on with the other models
            print(f"| {m.get('dir', name)} | {dr1_ms:.3f} | PyTorch failed: {e!r} | | |", flush=True)
            failed = True
            continue
        # Relative to the output's largest magnitude; NaN anywhere (either
        # side) makes the error NaN, which fails `err <= 1e-3`.
        errs, notes = [], []
        for i, o in enumerate(ref):
            o = o.float().cpu().numpy()
            got = np.fromfile(outs[i], dtype=np.float32).reshape(o.shape)
            for side, v in (("dr1", got), ("PyTorch", o)):
                if not np.isfinite(v).all():
                    notes.append(f"{side} output {i}: {np.count_nonzero(~np.isfinite(v))} "
                                 "not finite")
            errs.append(float(np.abs(got - o).max()) / max(float(np.abs(o).max()), 1e-30))
            notes.append(f"output {i} max |PyTorch| {np.abs(o).max():.3g}")
        err = float(np.max(errs))  # propagates NaN
        ok = err <= 1e-3
        failed |= not ok
        results[m.get("dir", name)] = {"dr1_ms": dr1_ms, "torch_eager_ms": torch_ms, "rel_err": err,
                         "desc": m["desc"], "notes": notes}
        print(f"| {m.get('dir', name)} | {dr1_ms:.3f} | {torch_ms:.3f} | {torch_ms / dr1_ms:.2f} | "
              f"{err:.1e}{'' if ok else ' MISMATCH'} |  <!-- {'; '.join(notes)} -->", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    sys.exit(1 if failed else 0)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--dr1c", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--sm", default="sm_90")
    b.add_argument("--models", default="")
    b.add_argument("--flags", default="", help="extra dr1c flags (e.g. --disable-pass=...)")
    b.add_argument("--suffix", default="", help="appended to each model's folder")
    r = sub.add_parser("run")
    r.add_argument("bundle")
    r.add_argument("--json")
    args = ap.parse_args()
    build(args) if args.cmd == "build" else run(args)


if __name__ == "__main__":
    main()
