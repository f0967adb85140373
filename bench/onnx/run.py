#!/usr/bin/env python3
"""dr1 vs ONNX Runtime on the light model-zoo architectures (with random
weights) and a BERT-style encoder: compile time, and inference latency with
one thread each, measured in one script on the same inputs.

    python3 bench/onnx/run.py [--write-docs] [--models resnet50,squeezenet]
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "onnx"))
from bert_onnx import bert  # noqa: E402
from test_light_models import MODELS, randomized  # noqa: E402


def median_latency(fn, repeat=10):
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def bench(name, model, work):
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    os.environ["DR1_CACHE_DIR"] = os.path.join(work, "cache-" + name)  # measure a cold compile
    t0 = time.perf_counter()
    compiled = dr1.from_onnx(path)
    compile_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    feeds = {}
    for n, shape, dtype in compiled.inputs:
        feeds[n] = (rng.integers(0, 100, shape) if dtype.kind == "i" else
                    rng.standard_normal(shape)).astype(dtype)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    t0 = time.perf_counter()
    sess = ort.InferenceSession(path, so)
    ort_load_s = time.perf_counter() - t0
    ref = sess.run(None, feeds)
    got = compiled(**feeds)
    err = max(float(np.abs(g - r).max() / max(np.abs(r).max(), 1e-30)) for g, r in zip(got, ref))
    t_dr1 = median_latency(lambda: compiled(**feeds))
    t_ort = median_latency(lambda: sess.run(None, feeds))
    return dict(name=name, compile_s=compile_s, ort_load_s=ort_load_s, dr1_ms=t_dr1 * 1e3,
                ort_ms=t_ort * 1e3, err=err)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--models", help="comma-separated subset")
    args = ap.parse_args()
    todo = [(os.path.basename(p)[6:-5], lambda p=p: randomized(p)) for p in MODELS]
    todo.append(("bert-2layer-64", lambda: bert(batch=1, seq=32, hidden=64)))
    todo.append(("bert-4layer-256", lambda: bert(batch=1, seq=64, hidden=256, heads=4, layers=4,
                                                  ffn=1024, vocab=1000)))
    if args.models:
        keep = args.models.split(",")
        todo = [t for t in todo if t[0] in keep]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, make in todo:
            r = bench(name, make(), work)
            rows.append(r)
            print(r, flush=True)
    lines = ["| model | dr1 compile s | ORT session s | dr1 ms | ORT ms | ORT / dr1 | max rel diff |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['compile_s']:.1f} | {r['ort_load_s']:.2f} | "
                     f"{r['dr1_ms']:.2f} | {r['ort_ms']:.2f} | {r['ort_ms'] / r['dr1_ms']:.2f} | "
                     f"{r['err']:.1e} |")
    table = "\n".join(lines)
    print(table)
    if args.write_docs:
        path = os.path.join(ROOT, "docs", "benchmarks.md")
        doc = open(path).read()
        section = ("<!-- onnx:begin -->\nCommand: `python3 bench/onnx/run.py --write-docs`\n\n" +
                   table + "\n<!-- onnx:end -->")
        if "<!-- onnx:begin -->" in doc:
            a, b = doc.index("<!-- onnx:begin -->"), doc.index("<!-- onnx:end -->")
            doc = doc[:a] + section + doc[b + len("<!-- onnx:end -->"):]
        open(path, "w").write(doc)


if __name__ == "__main__":
    main()
