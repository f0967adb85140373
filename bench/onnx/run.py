#!/usr/bin/env python3
"""dr1 vs ONNX Runtime on the light model-zoo architectures (with random
weights) and a BERT-style encoder: compile time, and inference latency with
one and with two threads each (dr1 compiled with threads=1 and threads=2),
measured in one script on the same inputs. dr1 and ONNX Runtime are timed in
alternation, and so is a control: a second ONNX Runtime session on the same
model, whose ratio to the first is the noise floor of the run.

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
from cnn_onnx import efficientnet_b0, mobilenet_v2  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import interleaved_medians, write_docs_section  # noqa: E402
from test_light_models import MODELS, randomized  # noqa: E402


def bench(name, model, work, thread_counts=(1, 2)):
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    rng = np.random.default_rng(0)
    r = dict(name=name)
    feeds = None
    for threads in thread_counts:
        # A cold compile per thread count (different code).
        os.environ["DR1_CACHE_DIR"] = os.path.join(work, f"cache-{name}-{threads}")
        t0 = time.perf_counter()
        compiled = dr1.from_onnx(path, threads=threads)
        compile_s = time.perf_counter() - t0
        if feeds is None:
            feeds = {}
            for n, shape, dtype in compiled.inputs:
                feeds[n] = (rng.integers(0, 100, shape) if dtype.kind == "i" else
                            rng.standard_normal(shape)).astype(dtype)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        t0 = time.perf_counter()
        sess = ort.InferenceSession(path, so)
        ort_load_s = time.perf_counter() - t0
        control = ort.InferenceSession(path, so)
        ref = sess.run(None, feeds)
        got = compiled(**feeds)
        err = max(float(np.abs(g - x).max() / max(np.abs(x).max(), 1e-30))
                  for g, x in zip(got, ref))
        dr1_s, ort_s, control_s = interleaved_medians(
            [lambda: compiled(**feeds), lambda: sess.run(None, feeds),
             lambda: control.run(None, feeds)], gap_s=0.3 if threads > 1 else 0.0)
        r[threads] = dict(compile_s=compile_s, ort_load_s=ort_load_s, err=err,
                          dr1_ms=dr1_s * 1e3, ort_ms=ort_s * 1e3,
                          control=control_s / ort_s)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--models", help="comma-separated subset")
    args = ap.parse_args()
    todo = [(os.path.basename(p)[6:-5], lambda p=p: randomized(p)) for p in MODELS]
    todo.append(("mobilenet_v2", lambda: mobilenet_v2()))
    todo.append(("mobilenet_v2-b8", lambda: mobilenet_v2(batch=8)))
    todo.append(("efficientnet_b0", lambda: efficientnet_b0()))
    todo.append(("efficientnet_b0-b8", lambda: efficientnet_b0(batch=8)))
    todo.append(("bert-2layer-64", lambda: bert(batch=1, seq=32, hidden=64)))
    todo.append(("bert-4layer-256", lambda: bert(batch=1, seq=64, hidden=256, heads=4, layers=4,
                                                  ffn=1024, vocab=1000)))
    todo.append(("bert-4layer-256-b8", lambda: bert(batch=8, seq=64, hidden=256, heads=4,
                                                     layers=4, ffn=1024, vocab=1000)))
    todo.append(("bert-2layer-256-seq512", lambda: bert(batch=1, seq=512, hidden=256, heads=4,
                                                         layers=2, ffn=1024, vocab=1000)))
    if args.models:
        keep = args.models.split(",")
        todo = [t for t in todo if t[0] in keep]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, make in todo:
            r = bench(name, make(), work)
            rows.append(r)
            print(r, flush=True)
    lines = ["| model | dr1 compile s | ORT session s | dr1 ms 1T | ORT ms 1T | ORT / dr1 1T | "
             "dr1 ms 2T | ORT ms 2T | ORT / dr1 2T | dr1 2T speed-up | control 1T / 2T | "
             "max rel diff |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        a, b = r[1], r[2]
        lines.append(f"| {r['name']} | {a['compile_s']:.1f} | {a['ort_load_s']:.2f} | "
                     f"{a['dr1_ms']:.2f} | {a['ort_ms']:.2f} | {a['ort_ms'] / a['dr1_ms']:.2f} | "
                     f"{b['dr1_ms']:.2f} | {b['ort_ms']:.2f} | {b['ort_ms'] / b['dr1_ms']:.2f} | "
                     f"{a['dr1_ms'] / b['dr1_ms']:.2f} | {a['control']:.2f} / {b['control']:.2f} | "
                     f"{max(a['err'], b['err']):.1e} |")
    table = "\n".join(lines)
    print(table)
    if args.write_docs:
        write_docs_section("onnx", "python3 bench/onnx/run.py --write-docs", table,
                           "ONNX models: dr1 vs ONNX Runtime, 1 and 2 threads")

if __name__ == "__main__":
    main()
