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
