#!/usr/bin/env python3
"""dr1 eager vs dr1.optimize(method='static'): latency and peak memory of
inference, side by side in one process on the same inputs.

    python3 bench/python/eager_vs_static.py [--write-docs]

Latency: median of 30 calls after a warm-up. Peak memory: Python's
tracemalloc (numpy reports its buffers to it) around one call: for eager,
every intermediate array; for static, what a call allocates (the outputs)
plus the model's workspace, which is allocated once and reused.
"""
import argparse
import os
import time
import tracemalloc

import numpy as np

import dr1

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class CNN(dr1.Module):
    def __init__(self):
        super().__init__()
        self.f = dr1.Sequential(
            dr1.Conv2d(3, 32, 3, padding=1), dr1.BatchNorm2d(32), dr1.ReLU(), dr1.MaxPool2d(2),
            dr1.Conv2d(32, 64, 3, padding=1), dr1.BatchNorm2d(64), dr1.ReLU(), dr1.MaxPool2d(2),
            dr1.Conv2d(64, 128, 3, padding=1), dr1.ReLU(), dr1.AdaptiveAvgPool2d(1),
            dr1.Flatten(), dr1.Linear(128, 10))

    def forward(self, x):
        return self.f(x)


def median_latency(fn, x, repeat=30):
    fn(x)
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(x)
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def peak_bytes(fn, x):
    fn(x)
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn(x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def measure(name, model, x):
    model.eval()
    fast = dr1.optimize(model, method="static")
    with dr1.no_grad():
        diff = float(np.abs(model(x).numpy() - fast(x).numpy()).max())
        te, ts = median_latency(model, x), median_latency(fast, x)
        me = peak_bytes(model, x)
        entry = next(iter(fast._entries.values()))[0]
        ms = peak_bytes(fast, x) + entry.workspace_size
    return dict(name=name, eager_ms=te * 1e3, static_ms=ts * 1e3, eager_mem=me, static_mem=ms,
                diff=diff)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    dr1.manual_seed(0)
    mlp = dr1.Sequential([dr1.Linear(784, 256), dr1.ReLU(), dr1.Linear(256, 10)])
    cnn = CNN()
    rows = [measure("MLP 784-256-10, batch 1", mlp, dr1.randn(1, 784)),
            measure("MLP 784-256-10, batch 64", mlp, dr1.randn(64, 784)),
            measure("CNN 3x32x32 (3 conv, BN, pools), batch 1", cnn, dr1.randn(1, 3, 32, 32)),
            measure("CNN 3x32x32 (3 conv, BN, pools), batch 8", cnn, dr1.randn(8, 3, 32, 32))]
    lines = ["| model | eager ms | static ms | speedup | eager peak KiB | static peak KiB | "
             "memory saved | max abs diff |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['eager_ms']:.3f} | {r['static_ms']:.3f} | "
                     f"{r['eager_ms'] / r['static_ms']:.1f}x | {r['eager_mem'] / 1024:.0f} | "
                     f"{r['static_mem'] / 1024:.0f} | "
                     f"{100 * (1 - r['static_mem'] / r['eager_mem']):.0f}% | {r['diff']:.1e} |")
    table = "\n".join(lines)
    print(table)
    if args.write_docs:
        path = os.path.join(ROOT, "docs", "benchmarks.md")
        doc = open(path).read()
        section = ("<!-- python:begin -->\nCommand: `python3 bench/python/eager_vs_static.py "
                   "--write-docs`\n\n" + table + "\n<!-- python:end -->")
        a, b = doc.index("<!-- python:begin -->"), doc.index("<!-- python:end -->")
        open(path, "w").write(doc[:a] + section + doc[b + len("<!-- python:end -->"):])


if __name__ == "__main__":
    main()
