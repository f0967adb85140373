#!/usr/bin/env python3
"""Prepares everything a GPU machine needs to check dr1's CUDA target, built
here (the GPU machine has no LLVM or dr1 build): each e2e test model compiled
with -target=nvptx and linked with the harness and libdr1rt, its inputs and
numpy references, and N x N f32 matmul models linked with a timer. Then, on
the GPU machine, bench/gpu/device_run.py runs them and compares.

    python3 bench/gpu/bundle.py --dr1c build/bin/dr1c --out build/gpu-bundle [--sm sm_90]
    # on the GPU machine, from the repository root:
    python3 bench/gpu/device_run.py build/gpu-bundle [--json out.json]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
from models import MODELS  # noqa: E402

RUNTIME = [os.path.join(ROOT, "runtime", f) for f in ("dr1rt.c", "cuda.c", "profile.c")]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{r.stdout}{r.stderr}")


def build(args, name, mlir_text, main_c, defines, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    mlir = os.path.join(out_dir, f"{name}.mlir")
    with open(mlir, "w") as f:
        f.write(mlir_text)
    obj = os.path.join(out_dir, f"{name}.o")
    run([args.dr1c, mlir, "-target=nvptx", f"-mcpu={args.sm}", f"--name={name}", "-o", obj])
    run(["cc", "-std=c11", "-O2", "-Wall", "-Werror", f"-DMODEL={name}",
         f'-DMODEL_HEADER="{name}.h"', "-I", out_dir, "-I", os.path.join(ROOT, "include")] +
        [f"-D{d}" for d in defines] + [main_c] + RUNTIME + [obj, "-lm", "-o",
                                                           os.path.join(out_dir, name)])
    os.remove(obj)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dr1c", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sm", default="sm_90")
    ap.add_argument("--gemm", default="1024,2048,4096")
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    manifest = {"sm": args.sm, "models": [], "gemm": []}
    for name in sorted(MODELS):
        graph, outputs = MODELS[name](np.random.default_rng(0))
        d = os.path.join(args.out, "e2e", name)
        build(args, name, graph.text(outputs), os.path.join(ROOT, "test", "e2e", "harness.c"),
              [], d)
        for i, a in enumerate(graph.args):
            a.v.tofile(os.path.join(d, f"in{i}.bin"))
        for i, o in enumerate(outputs):
            np.save(os.path.join(d, f"ref{i}.npy"), o.v)
            if o.scale is not None:
                np.save(os.path.join(d, f"scale{i}.npy"), np.asarray(o.scale))
        manifest["models"].append({"name": name, "inputs": len(graph.args),
                                   "outputs": len(outputs)})
        print(f"built {name}", flush=True)
    for n in (int(x) for x in args.gemm.split(",")):
        name = f"gemm{n}"
        text = (f"func.func @forward(%a: tensor<{n}x{n}xf32>, %b: tensor<{n}x{n}xf32>) -> "
                f"tensor<{n}x{n}xf32> {{\n  %c = dr1.matmul %a, %b : (tensor<{n}x{n}xf32>, "
                f"tensor<{n}x{n}xf32>) -> tensor<{n}x{n}xf32>\n  return %c : tensor<{n}x{n}xf32>\n}}\n")
        build(args, name, text, os.path.join(ROOT, "bench", "gpu", "gemm_timer.c"), [f"N={n}"],
              os.path.join(args.out, "gemm"))
        manifest["gemm"].append(n)
        print(f"built {name}", flush=True)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"bundle in {args.out}")


if __name__ == "__main__":
    main()
