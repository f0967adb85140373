#!/usr/bin/env python3
"""Compiles an end-to-end test model with dr1c, links it with the C harness,
runs it (natively or under qemu-aarch64) and compares with numpy.

Tolerance: |out - ref| <= atol + rtol * scale with rtol = 1e-4, atol = 1e-5,
where scale is |ref|, except for outputs of matmul/linear, where it is
sum_k |a_ik * b_kj| (the quantity an f32 dot product's rounding error is
proportional to: about K * 6e-8 of it, within rtol up to K ~ 1600, while a
cancelled result near zero is not a meaningful scale). f32 accumulation
order and the polynomial exp/erf/tanh approximations stay well inside it; a
wrong index or a missed term does not. Outputs of int8 layers whose input is
itself computed add an allowance for inputs that round to a neighbouring
quantization step (see mlirgen's _quantized).
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import MODELS  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5
# int8 models (--calibrate) against the f32 reference: a share of each
# output's largest magnitude.
QTOL = 0.05
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"FAILED ({r.returncode}): {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return r.stdout


PTXAS = "/usr/local/cuda/bin/ptxas"


def check_ptx(args, w, name):
    """Every kernel of the model through ptxas, for sm_80 and sm_90."""
    for sm in ("sm_80", "sm_90"):
        ptx = w(f"{name}.{sm}.ptx")
        run([args.dr1c, w("model.mlir"), "-target=nvptx", f"-mcpu={sm}", "-emit=ptx",
             args.opt, "-o", ptx])
        with open(ptx) as f:
            text = f.read()
        modules = text.count("// gpu.module @")
        kernels = text.count(".visible .entry ")
        if modules != 1 or kernels == 0:
            sys.exit(f"FAILED: expected one PTX module with kernels, got {modules} "
                     f"modules and {kernels} kernels")
        # Each kernel's block (MLIR writes the launch's block size as
        # .maxntid): past CUDA's limits the launch fails at run time.
        for x, y, z in re.findall(r"\.maxntid (\d+), (\d+), (\d+)", text):
            x, y, z = int(x), int(y), int(z)
            if x > 1024 or y > 1024 or z > 64 or x * y * z > 1024:
                sys.exit(f"FAILED: a kernel's block is {x}x{y}x{z} threads, past CUDA's "
                         "1024 x 1024 x 64 (1024 in all)")
        run([PTXAS, f"-arch={sm}", ptx, "-o", w(f"{name}.{sm}.cubin")])
        print(f"ptxas -arch={sm}: {kernels} kernels accepted")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--dr1c", required=True)
    ap.add_argument("--target", default="host", choices=["host", "aarch64", "nvptx"],
                    help="nvptx: kernels for NVIDIA GPUs, PTX checked with ptxas "
                         "for sm_80 and sm_90, run on the GPU if there is one")
    ap.add_argument("--gpu-emulate", action="store_true",
                    help="compile with dr1c --gpu-emulate: the GPU strategy's mapped "
                         "loops run in order on the host CPU")
    ap.add_argument("--expect-no-gpu", action="store_true",
                    help="nvptx without a GPU: the run must fail with libdr1rt's "
                         "one-line explanation (exit 2), not crash")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--opt", default="-O3")
    ap.add_argument("--threads", type=int, default=1,
                    help="compile with --num-threads=N, link libomp, run on N threads")
    ap.add_argument("--sanitize", action="store_true",
                    help="compile the model with dr1c --sanitize=address and build the "
                         "harness and runtime with AddressSanitizer and UBSan")
    ap.add_argument("--short-workspace", action="store_true",
                    help="run on a workspace 64 bytes short (expects ASan to object)")
    ap.add_argument("--calibrate", type=int, default=0, metavar="N",
                    help="compile with --quantize=int8, calibrated on N random samples "
                         "drawn like the inputs; compare with the f32 reference within "
                         "QTOL of each output's largest magnitude")
    ap.add_argument("--dr1c-flag", action="append", default=[],
                    help="an extra dr1c option for the model's compile (repeatable)")
    ap.add_argument("--mlir-only", action="store_true",
                    help="only write model.mlir (and calibration.npz) to the workdir")
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    w = lambda name: os.path.join(args.workdir, name)  # noqa: E731
    graph, outputs = MODELS[args.model](np.random.default_rng(args.seed))
    with open(w("model.mlir"), "w") as f:
        f.write(graph.text(outputs))
    name = args.model
    sanitize = ["--sanitize=address"] if args.sanitize else []
    sanitize += ["--gpu-emulate"] if args.gpu_emulate else []
    target = [f"-target={args.target}"]
    if args.target == "nvptx" and not args.mlir_only:
        check_ptx(args, w, name)
        target.append("-mcpu=sm_80")
    quant = []
    if args.calibrate:
        crng = np.random.default_rng(args.seed + 1)
        samples = []
        for a in graph.args:
            if a.v.dtype.kind == "f":
                s = crng.normal(a.v.mean(), a.v.std(), (args.calibrate,) + a.v.shape)
            else:
                s = crng.integers(a.v.min(), a.v.max() + 1, (args.calibrate,) + a.v.shape)
            samples.append(s.astype(a.v.dtype))
        np.savez(w("calibration.npz"), *samples)
        quant = ["--quantize=int8", f"--calibration={w('calibration.npz')}"]
    if args.mlir_only:
        return
    run([args.dr1c, w("model.mlir"), args.opt, f"--num-threads={args.threads}",
         f"--name={name}", "-o", w(f"{name}.o")] + target + sanitize + quant +
        args.dr1c_flag)

    cc = "aarch64-linux-gnu-gcc" if args.target == "aarch64" else "cc"
    exe = w(f"{name}_{args.target}")
    extra = []
    if args.threads > 1:
        omp = "/usr/lib/llvm-22/lib"
        extra += [f"-L{omp}", "-lomp", f"-Wl,-rpath,{omp}"]
    if args.sanitize:
        extra += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"]
    run([cc, "-std=c11", "-O2", "-Wall", "-Werror", f"-DMODEL={name}",
         f'-DMODEL_HEADER="{name}.h"', "-I", args.workdir, "-I",
         os.path.join(ROOT, "include"), os.path.join(HERE, "harness.c"),
         os.path.join(ROOT, "runtime", "dr1rt.c"), os.path.join(ROOT, "runtime", "cuda.c"), os.path.join(ROOT, "runtime", "profile.c"),
         w(f"{name}.o"), "-o", exe] + extra)

    in_files, out_files = [], []
    for i, a in enumerate(graph.args):
        p = w(f"in{i}.bin")
        a.v.tofile(p)
        in_files.append(p)
    out_files = [w(f"out{i}.bin") for i in range(len(outputs))]
    prefix = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"] if args.target == "aarch64" else []
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    if args.sanitize:
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    if args.short_workspace:
        env["DR1_HARNESS_SHORT_WORKSPACE"] = "1"
    if args.expect_no_gpu:
        r = subprocess.run(prefix + [exe] + in_files + out_files, env=env,
                           capture_output=True, text=True)
        lines = r.stderr.strip().splitlines()
        if r.returncode != 2 or len(lines) != 1 or "CUDA" not in lines[0]:
            sys.exit(f"FAILED: expected exit 2 with one line about CUDA, got "
                     f"{r.returncode}:\n{r.stdout}{r.stderr}")
        print(f"no GPU: {lines[0]}")
        print("PASS")
        return
    print(run(prefix + [exe] + in_files + out_files, env=env).strip())

    ok = True
    for i, ref in enumerate(outputs):
        got = np.fromfile(out_files[i], dtype=ref.v.dtype).reshape(ref.v.shape)
        err = np.abs(got.astype(np.float64) - ref.v)
        scale = np.abs(ref.v) if ref.scale is None else np.maximum(np.abs(ref.v), ref.scale)
        bound = ATOL + RTOL * scale + ref.allow
        if args.calibrate:
            bound = np.full(err.shape, ATOL + QTOL * float(np.abs(ref.v).max()))
        worst = float((err / bound).max())
        print(f"output {i} {ref.v.shape}: max abs err {err.max():.3e}, "
              f"worst err/tolerance {worst:.3f}")
        if not np.all(err <= bound):
            idx = np.unravel_index(np.argmax(err / bound), err.shape)
            print(f"  MISMATCH at {idx}: got {got[idx]}, expected {ref.v[idx]}")
            ok = False
    if not ok:
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
