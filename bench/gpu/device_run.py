#!/usr/bin/env python3
"""Runs a bundle made by bench/gpu/bundle.py on a machine with an NVIDIA GPU:
every e2e model against its numpy reference (run_model.py's tolerance:
|out - ref| <= 1e-5 + 1e-4 * scale, scale = |ref| or, for products,
sum |a_ik b_kj|), then the f32 GEMM timers, side by side with
torch.matmul (cuBLAS SGEMM, TF32 off) where PyTorch is installed.

    python3 bench/gpu/device_run.py build/gpu-bundle [--json results.json]

Exit status: 0 if every model matched, 1 if one did not, 2 without a GPU.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

RTOL, ATOL = 1e-4, 1e-5


def torch_gemm_ms(n, ty, iters=20):
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    dt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[ty]
    a = (torch.rand(n, n, device="cuda") - 0.5).to(dt)
    b = (torch.rand(n, n, device="cuda") - 0.5).to(dt)
    for _ in range(3):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(iters):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    return (time.perf_counter() - t) * 1e3 / iters


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle")
    ap.add_argument("--json")
    args = ap.parse_args()
    with open(os.path.join(args.bundle, "manifest.json")) as f:
        manifest = json.load(f)
    results = {"sm": manifest["sm"], "models": {}, "gemm": {}}
    failed = False
    for m in manifest["models"]:
        name, exe_dir = m["name"], os.path.join(args.bundle, "e2e", m["name"])
        d = os.path.join(args.bundle, "e2e", m.get("data", name))
        ins = [os.path.join(d, f"in{i}.bin") for i in range(m["inputs"])]
        outs = [os.path.join(exe_dir, f"out{i}.bin") for i in range(m["outputs"])]
        r = subprocess.run([os.path.join(exe_dir, name)] + ins + outs, capture_output=True,
                           text=True)
        if r.returncode == 2 and "CUDA" in r.stderr:
            print(f"no GPU: {r.stderr.strip()}")
            sys.exit(2)
        if r.returncode:
            print(f"{name}: FAILED to run ({r.returncode}): {r.stderr.strip()}")
            results["models"][name] = "run failed"
            failed = True
            continue
        worst = 0.0
        for i in range(m["outputs"]):
            ref = np.load(os.path.join(d, f"ref{i}.npy"))
            got = np.fromfile(outs[i], dtype=ref.dtype).reshape(ref.shape)
            sp = os.path.join(d, f"scale{i}.npy")
            scale = np.maximum(np.abs(ref), np.load(sp)) if os.path.exists(sp) else np.abs(ref)
            err = np.abs(got.astype(np.float64) - ref)
            tol = ATOL + RTOL * scale
            # NaN never compares <= tol: a non-finite output fails.
            if not np.all(err <= tol):
                bad = int(np.count_nonzero(~(err <= tol)))
                print(f"{name}: output {i}: {bad} of {err.size} elements out of tolerance "
                      f"({int(np.count_nonzero(~np.isfinite(got)))} not finite)")
                worst = float("inf")
            else:
                worst = max(worst, float((err / tol).max()))
        ok = worst <= 1.0
        failed |= not ok
        results["models"][name] = {"worst_err_over_tolerance": worst, "pass": ok}
        print(f"{name}: worst err/tolerance {worst:.3f} {'PASS' if ok else 'FAIL'}", flush=True)
    print("| N | type | tile | dr1 ms | dr1 TFLOP/s | cuBLAS (torch) ms | dr1 / cuBLAS |")
    print("|---:|---|---|---:|---:|---:|---:|")
    refs = {}
    for g in manifest["gemm"]:
        n, ty = g["n"], g["type"]
        exe = os.path.join(args.bundle, "gemm", g["name"])
        r = subprocess.run([exe], capture_output=True, text=True)
        if r.returncode:
            print(f"{g['name']}: FAILED ({r.returncode}): {r.stderr.strip()}")
            results["gemm"][g["name"]] = "failed"
            failed = True
            continue
        ms = float(r.stdout.split(":")[1].split("ms")[0])
        if (n, ty) not in refs:
            refs[(n, ty)] = torch_gemm_ms(n, ty)
        ref = refs[(n, ty)]
        results["gemm"][g["name"]] = {"n": n, "type": ty, "tile": g["tile"], "dr1_ms": ms,
                                      "cublas_ms": ref}
        ratio = f"{ref / ms:.3f}" if ref else "n/a"
        ref_s = f"{ref:.3f}" if ref else "n/a"
        print(f"| {n} | {ty} | {g['tile']} | {ms:.3f} | {2 * n ** 3 / ms / 1e9:.1f} | {ref_s} | "
              f"{ratio} |", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
