#!/usr/bin/env python3
"""Where a compiled model's time goes, layer by layer: compiles an ONNX or
dr1 MLIR model with dr1c --profile (each top-level loop nest or copy timed,
labelled with its ONNX node names), links it with the e2e harness and
libdr1rt, runs it on random inputs and prints libdr1rt's table (total time
per source, largest first).

    python3 bench/profile/run.py model.onnx [--runs 20] [--threads 1] [-- dr1c options]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DTYPES = {"f32": np.float32, "f64": np.float64, "i64": np.int64, "i32": np.int32,
          "i8": np.int8, "bool": np.bool_}


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--dr1c", default=os.path.join(ROOT, "build", "bin", "dr1c"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("extra", nargs="*", help="more dr1c options (after --)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        obj = os.path.join(d, "m.o")
        run([args.dr1c, args.model, "--profile", "--name=m", f"--num-threads={args.threads}",
             "-o", obj] + args.extra)
        exe = os.path.join(d, "m")
        omp = []
        if args.threads > 1:
            omp = ["-L/usr/lib/llvm-22/lib", "-lomp", "-Wl,-rpath,/usr/lib/llvm-22/lib"]
        run(["cc", "-std=c11", "-O2", "-DMODEL=m", '-DMODEL_HEADER="m.h"', "-I", d, "-I",
             os.path.join(ROOT, "include"), os.path.join(ROOT, "test", "e2e", "harness.c")] +
            [os.path.join(ROOT, "runtime", f) for f in ("dr1rt.c", "cuda.c", "profile.c")] +
            [obj, "-o", exe] + omp)
        with open(os.path.join(d, "m.h")) as f:
            header = f.read()
        rng = np.random.default_rng(0)
        files = []
        for i, (dt, dims) in enumerate(re.findall(r"/\* input \d+ '[^']*': (\w+)((?:\[\d+\])*) \*/",
                                                   header)):
            shape = [int(x) for x in re.findall(r"\d+", dims)]
            p = os.path.join(d, f"in{i}.bin")
            rng.standard_normal(shape).astype(DTYPES[dt]).tofile(p)
            files.append(p)
        outs = [os.path.join(d, f"out{i}.bin")
                for i in range(len(re.findall(r"/\* output \d+ ", header)))]
        env = dict(os.environ, DR1_HARNESS_RUNS=str(args.runs), OMP_NUM_THREADS=str(args.threads))
        r = run([exe] + files + outs, env=env)
        sys.stdout.write(r.stderr)
        # ONNX labels carry op types: totals per the first (fused regions
        # are named after the op they grew from first), per run.
        by_type, total = {}, 0.0
        for line in r.stderr.splitlines()[2:]:
            m = re.match(r"\s*[\d.]+% +([\d.]+) +\d+ +[\d.]+  (.*)$", line)
            t = m and re.search(r"\((\w+)\)", m.group(2))
            if t:
                by_type[t.group(1)] = by_type.get(t.group(1), 0.0) + float(m.group(1))
                total += float(m.group(1))
        if by_type:
            print(f"\nby ONNX op type (ms per run, {args.runs} runs):")
            for t, ms in sorted(by_type.items(), key=lambda kv: -kv[1]):
                print(f"  {t:24s} {ms / args.runs:9.3f}  {100 * ms / total:5.1f}%")


if __name__ == "__main__":
    main()
