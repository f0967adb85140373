#!/usr/bin/env python3
"""Prepares everything a GPU machine needs to check dr1's CUDA target, built
here (the GPU machine has no LLVM or dr1 build): each e2e test model compiled
with -target=nvptx and linked with the harness and libdr1rt, its inputs and
numpy references, and N x N matmul models (f32, f16, bf16) linked with a
timer. The products' kernels (dr1-gpu-tile-matmul) are also built with each
tile of --tiles forced: the shapes of matmul_shapes and gpu_tiles against
numpy, the GEMMs timed per tile. Then, on the GPU machine,
bench/gpu/device_run.py runs them and compares.

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
from mlirgen import Graph  # noqa: E402
from models import MODELS  # noqa: E402

RUNTIME = [os.path.join(ROOT, "runtime", f) for f in ("dr1rt.c", "cuda.c", "profile.c")]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{r.stdout}{r.stderr}")


def gpu_tiles(rng):
    """Products for the tiled GPU kernels: exact tiles, edges in M, N and K
    (K below and just above the slice depth), batches, constant weights;
    convolutions as implicit GEMMs (padding, strides, dilation, 1x1, groups,
    batch > 1)."""
    g = Graph()
    outs = []
    for m, n, k in [(256, 256, 256), (600, 1030, 77), (130, 129, 17), (64, 640, 7),
                    (4, 4096, 128), (515, 33, 1024)]:
        a = g.arg(rng.standard_normal((m, k)).astype(np.float32))
        b = g.arg(rng.standard_normal((k, n)).astype(np.float32))
        outs.append(g.matmul(a, b))
    x = g.arg(rng.standard_normal((3, 200, 45)).astype(np.float32))
    y = g.arg(rng.standard_normal((3, 45, 70)).astype(np.float32))
    outs.append(g.matmul(x, y))
    w = g.const(rng.standard_normal((500, 64)).astype(np.float32))
    z = g.arg(rng.standard_normal((300, 64)).astype(np.float32))
    outs.append(g.linear(z, w, g.const(rng.standard_normal(500).astype(np.float32))))
    x = g.arg(rng.standard_normal((2, 19, 30, 29)).astype(np.float32))
    for co, ci, kh, kw, kwargs in [
            (37, 19, 3, 3, dict(padding=(1, 1, 1, 1))),
            (64, 19, 3, 2, dict(strides=(2, 3), dilations=(2, 1), padding=(0, 1, 2, 0))),
            (130, 19, 1, 1, {}),
            (20, 19, 5, 5, dict(padding=(2, 2, 2, 2), strides=(2, 2)))]:
        wt = g.const((rng.standard_normal((co, ci, kh, kw)) / np.sqrt(ci * kh * kw))
                     .astype(np.float32))
        outs.append(g.conv2d(x, wt, g.const(rng.standard_normal(co).astype(np.float32)),
                             **kwargs))
    y = g.arg(rng.standard_normal((1, 64, 20, 20)).astype(np.float32))
    wg = g.const((rng.standard_normal((96, 32, 3, 3)) / 17).astype(np.float32))
    outs.append(g.conv2d(y, wg, padding=(1, 1, 1, 1), groups=2))
    return g, outs


def build(args, name, mlir_text, main_c, defines, out_dir, flags=()):
    os.makedirs(out_dir, exist_ok=True)
    mlir = os.path.join(out_dir, f"{name}.mlir")
    with open(mlir, "w") as f:
        f.write(mlir_text)
    obj = os.path.join(out_dir, f"{name}.o")
    run([args.dr1c, mlir, "-target=nvptx", f"-mcpu={args.sm}", f"--name={name}", "-o", obj] +
        list(flags))
    run(["cc", "-std=c11", "-O2", "-Wall", "-Werror", f"-DMODEL={name}",
         f'-DMODEL_HEADER="{name}.h"', "-I", out_dir, "-I", os.path.join(ROOT, "include"),
         "-I", os.path.join(ROOT, "runtime")] +
        [f"-D{d}" for d in defines] + [main_c] + RUNTIME + [obj, "-lm", "-o",
                                                           os.path.join(out_dir, name)])
    os.remove(obj)
    os.remove(mlir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dr1c", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sm", default="sm_90")
    ap.add_argument("--gemm", default="1024,2048,4096")
    ap.add_argument("--gemm-types", default="f32,f16,bf16")
    ap.add_argument("--tiles", default="128x128x8x8,64x64x4x4,32x32x4x4",
                    help="tiles forced in extra builds (BMxBNxTMxTN, comma-separated)")
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    manifest = {"sm": args.sm, "models": [], "gemm": []}
    tiles = [t for t in args.tiles.split(",") if t]
    builds = [(name, MODELS[name], "", name) for name in sorted(MODELS)]
    builds.append(("gpu_tiles", gpu_tiles, "", "gpu_tiles"))
    for t in tiles:
        builds += [(f"matmul_shapes_t{t}", MODELS["matmul_shapes"], t, "matmul_shapes"),
                   (f"conv_shapes_t{t}", MODELS["conv_shapes"], t, "conv_shapes"),
                   (f"gpu_tiles_t{t}", gpu_tiles, t, "gpu_tiles")]
    for name, make, tile, data in builds:
        graph, outputs = make(np.random.default_rng(0))
        d = os.path.join(args.out, "e2e", name)
        build(args, name, graph.text(outputs), os.path.join(ROOT, "test", "e2e", "harness.c"),
              [], d, [f"--gpu-matmul-tile={tile}"] if tile else [])
        # Forced-tile builds share their model's inputs and references.
        if data == name:
            for i, a in enumerate(graph.args):
                a.v.tofile(os.path.join(d, f"in{i}.bin"))
            for i, o in enumerate(outputs):
                np.save(os.path.join(d, f"ref{i}.npy"), o.v)
                if o.scale is not None:
                    np.save(os.path.join(d, f"scale{i}.npy"),
                            np.asarray(o.scale, dtype=np.float32))
        manifest["models"].append({"name": name, "data": data, "inputs": len(graph.args),
                                   "outputs": len(outputs)})
        print(f"built {name}", flush=True)
    elem = {"f32": 0, "f16": 1, "bf16": 2}
    for ty in (t for t in args.gemm_types.split(",") if t):
        for n in (int(x) for x in args.gemm.split(",") if x):
            # Forced tiles for f32 only: the other types share the kernel.
            for tile in [""] + (tiles if ty == "f32" else []):
                name = f"gemm{n}_{ty}" + (f"_t{tile}" if tile else "")
                t = f"tensor<{n}x{n}x{ty}>"
                text = (f"func.func @forward(%a: {t}, %b: {t}) -> {t} {{\n"
                        f"  %c = dr1.matmul %a, %b : ({t}, {t}) -> {t}\n"
                        f"  return %c : {t}\n}}\n")
                build(args, name, text, os.path.join(ROOT, "bench", "gpu", "gemm_timer.c"),
                      [f"N={n}", f"ELEM={elem[ty]}"], os.path.join(args.out, "gemm"),
                      [f"--gpu-matmul-tile={tile}"] if tile else [])
                manifest["gemm"].append({"name": name, "n": n, "type": ty, "tile": tile or "auto"})
                print(f"built {name}", flush=True)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"bundle in {args.out}")


if __name__ == "__main__":
    main()
