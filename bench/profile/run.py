#!/usr/bin/env python3
"""Where a compiled model's time goes, layer by layer: compiles an ONNX or
dr1 MLIR model with dr1c --profile (each top-level loop nest or copy timed,
labelled with its ONNX node names), links it with the e2e harness and
libdr1rt, runs it on random inputs and prints libdr1rt's table (total time
per source, largest first), the time per ONNX op type and, where ONNX's
shape inference knows the shapes, the slowest Conv/Gemm/MatMul nodes with
their GFLOP/s.

With --vs-ort (ONNX models), ONNX Runtime's per-node profile on the same
number of threads is set beside dr1's: the graph is cut where dr1's regions
begin, each ORT kernel (fused ones are named after a node's output) is
counted in the cut holding its node, and the cuts where dr1 loses most time
are listed with ORT's time, the ratio and the node's shapes.

    python3 bench/profile/run.py model.onnx [--runs 20] [--threads 1] [--vs-ort] [-- dr1c options]
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


PRODUCTS = ("Conv", "FusedConv", "Gemm", "FusedGemm", "MatMul", "FusedMatMul")


def named_copy(path, d):
    """`path` with every unnamed node named node<i> (dr1's profile and ORT's
    both label nodes by name), written to `d`; returns its path."""
    import onnx
    m = onnx.load(path)
    for i, n in enumerate(m.graph.node):
        if not n.name or n.name == n.op_type:
            n.name = f"node{i}"
    out = os.path.join(d, "named.onnx")
    onnx.save(m, out)
    return out


def ort_node_ms(path, threads, runs):
    """{ORT kernel name: (ms per run, op, input shapes, output shapes)}."""
    import json
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.enable_profiling = True
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so)
    rng = np.random.default_rng(0)
    feeds = {}
    for i in sess.get_inputs():
        dt = np.int64 if "int64" in i.type else np.float32
        feeds[i.name] = rng.standard_normal(i.shape).astype(dt)
    for _ in range(runs):
        sess.run(None, feeds)
    trace = sess.end_profiling()
    with open(trace) as f:
        events = json.load(f)
    os.remove(trace)
    out = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            name = e["name"][:-len("_kernel_time")]
            ms, *_ = out.get(name, (0.0,))
            a = e["args"]
            shapes = lambda k: [list(x.values())[0] for x in a.get(k, [])]
            out[name] = (ms + e["dur"] / 1e3 / runs, a.get("op_name"),
                         shapes("input_type_shape")[:2], shapes("output_type_shape"))
    return out


def compare_with_ort(path, dr1_regions, threads, runs):
    import onnx
    nodes = onnx.load(path).graph.node
    index = {n.name: i for i, n in enumerate(nodes)}
    produced = {o: i for i, n in enumerate(nodes) for o in n.output}
    # (Regions that took no time are ops folded into others' code.)
    starts = sorted({index[r[0]] for r in dr1_regions if r[0] in index and r[1] > 0})
    if not starts:
        print("\n(no dr1 region is named after an ONNX node: nothing to compare)")
        return
    def cut(i):
        c = None
        for s in starts:
            if s <= i:
                c = s
        return c
    dr1_ms = {}
    for name, ms in ((r[0], r[1]) for r in dr1_regions if r[0] in index):
        c = cut(index[name])
        if c is not None:
            dr1_ms[c] = dr1_ms.get(c, 0.0) + ms / runs
    ort_ms, info = {}, {}
    for key, (ms, op, ins, outs) in ort_node_ms(path, threads, runs).items():
        i = index.get(key, produced.get(re.sub(r"_nchwc$", "", key)))
        # A fused product kernel is named after its last op (conv, batch
        # norm, add, relu): count it where its product is.
        while (i is not None and op in PRODUCTS and nodes[i].op_type not in PRODUCTS
               and nodes[i].input and nodes[i].input[0] in produced):
            i = produced[nodes[i].input[0]]
        c = cut(i) if i is not None else None
        if c is None:
            continue
        ort_ms[c] = ort_ms.get(c, 0.0) + ms
        if op in PRODUCTS or c not in info:
            info[c] = f"{op} {ins} -> {outs}"
    rows = sorted(starts, key=lambda c: -(dr1_ms.get(c, 0.0) - ort_ms.get(c, 0.0)))
    print(f"\ndr1 vs ONNX Runtime per cut of the graph ({threads} thread(s), ms per run): "
          f"dr1 {sum(dr1_ms.values()):.2f}, ORT {sum(ort_ms.values()):.2f}")
    print(f"  {'first node':20s} {'dr1':>8s} {'ORT':>8s} {'ORT/dr1':>8s}  ORT kernel")
    for c in rows[:25]:
        d, o = dr1_ms.get(c, 0.0), ort_ms.get(c, 0.0)
        ratio = f"{o / d:8.2f}" if d > 0 else f"{'-':>8s}"
        print(f"  {nodes[c].name:20s} {d:8.3f} {o:8.3f} {ratio}  {info.get(c, '')}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--dr1c", default=os.path.join(ROOT, "build", "bin", "dr1c"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--vs-ort", action="store_true",
                    help="set ONNX Runtime's per-node profile beside dr1's (ONNX models)")
    # (argparse gives a trailing nargs="*" positional nothing once the
    # model has been matched: options after "--" are split off here.)
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:len(argv) - len(extra) - (1 if extra else 0)])
    args.extra = extra
    with tempfile.TemporaryDirectory() as d:
        if args.vs_ort:
            if not args.model.endswith(".onnx"):
                sys.exit("--vs-ort needs an ONNX model")
            args.model = named_copy(args.model, d)
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
        if args.vs_ort:
            regions = []
            for line in r.stderr.splitlines()[2:]:
                m = re.match(r"\s*[\d.]+% +([\d.]+) +\d+ +[\d.]+  ([^ ,]+) \(", line)
                if m:
                    regions.append((m.group(2), float(m.group(1))))
            compare_with_ort(args.model, regions, args.threads, args.runs)
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
