#!/usr/bin/env python3
"""Where a compiled model's time goes, layer by layer: compiles an ONNX or
dr1 MLIR model with dr1c --profile (each top-level loop nest or copy timed,
labelled with its ONNX node names), links it with the e2e harness and
libdr1rt, runs it on random inputs and prints libdr1rt's table (total time
per source, largest first), the time per ONNX op type and, where ONNX's
shape inference knows the shapes, the slowest Conv/Gemm/MatMul nodes with
their GFLOP/s.

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


def onnx_work(path):
    """{node name: (multiply-adds, description)} for the Conv, Gemm and
    MatMul nodes of an ONNX model, from its inferred shapes."""
    import onnx
    from onnx import shape_inference
    m = shape_inference.infer_shapes(onnx.load(path), data_prop=True)
    g = m.graph
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(g.value_info) + list(g.input) + list(g.output)}
    shapes.update({i.name: list(i.dims) for i in g.initializer})
    work = {}
    for n in g.node:
        if not n.name:
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        out = shapes.get(n.output[0])
        if n.op_type == "Conv" and out and n.input[1] in shapes:
            f, cg, kh, kw = shapes[n.input[1]]
            macs = out[0] * out[2] * out[3] * f * cg * kh * kw
            cin = shapes.get(n.input[0], [0, 0, 0, 0])
            desc = (f"{cin[1]}x{cin[2]}x{cin[3]} -> {f}, {kh}x{kw}/"
                    f"{attrs.get('strides', [1])[0]}, g{attrs.get('group', 1)}")
            work[n.name] = (macs, desc)
        elif n.op_type in ("Gemm", "MatMul") and out:
            a = shapes.get(n.input[0])
            if a:
                k = a[-1] if not attrs.get("transA") else a[-2]
                macs = int(np.prod(out)) * k
                work[n.name] = (macs, f"{'x'.join(map(str, out))}, K {k}")
    return work


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
        if args.model.endswith(".onnx"):
            # Time per product node (regions named first after it) against
            # its multiply-adds: the slow shapes stand out.
            work = onnx_work(args.model)
            per_node = {}
            for line in r.stderr.splitlines()[2:]:
                m = re.match(r"\s*[\d.]+% +([\d.]+) +\d+ +[\d.]+  ([^ ,]+)", line)
                if m and m.group(2) in work:
                    per_node[m.group(2)] = per_node.get(m.group(2), 0.0) + float(m.group(1))
            rows = sorted(per_node.items(), key=lambda kv: -kv[1])[:15]
            if not rows:
                print("\n(ONNX shape inference gave no product shapes for this model: "
                      "no GFLOP/s per node)")
            if rows:
                print(f"\nslowest products (ms per run, GFLOP/s):")
                for name, ms in rows:
                    macs, desc = work[name]
                    ms_run = ms / args.runs
                    print(f"  {name:20s} {ms_run:9.3f} {2 * macs / ms_run / 1e6:8.1f}  {desc}")


if __name__ == "__main__":
    main()
