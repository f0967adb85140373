"""Shared by the bench/ scripts: timing and writing a table into
docs/benchmarks.md between its <!-- KEY:begin --> / <!-- KEY:end --> markers."""
import os
import re
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median_latency(fn, repeat=10):
    """Seconds: the median of `repeat` calls of fn(), after one warm-up call."""
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def interleaved_medians(fns, repeat=10, gap_s=0.0):
    """Seconds per function: the median of `repeat` calls of each, after one
    warm-up call each, taken in rounds (one call of every function per
    round) so that a slow minute of the machine hits them all alike.

    With thread pools, give a gap: OpenMP's idle workers spin for 200 ms
    (KMP_BLOCKTIME) after a run and ONNX Runtime's spin too, so a call
    right after another contestant's would share its cores with them."""
    for fn in fns:
        fn()
    ts = [[] for _ in fns]
    for _ in range(repeat):
        for t, fn in zip(ts, fns):
            if gap_s:
                time.sleep(gap_s)
            t0 = time.perf_counter()
            fn()
            t.append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in ts]


def write_docs_section(key, command, text, heading):
    """Replaces the KEY section of docs/benchmarks.md with `text` under the
    command that produced it; appends it under `heading` the first time."""
    path = os.path.join(ROOT, "docs", "benchmarks.md")
    body = open(path).read()
    block = f"<!-- {key}:begin -->\nCommand: `{command}`\n\n{text}\n<!-- {key}:end -->"
    pattern = rf"<!-- {key}:begin -->.*?<!-- {key}:end -->"
    if re.search(pattern, body, flags=re.S):
        body = re.sub(pattern, lambda _: block, body, flags=re.S)
    else:
        body += f"\n## {heading}\n\n{block}\n"
    with open(path, "w") as f:
        f.write(body)
