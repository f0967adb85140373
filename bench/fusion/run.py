#!/usr/bin/env python3
"""What each optional pass buys, and how tight the memory plan is, on
ResNet-50 (ONNX model zoo architecture), MobileNetV2- and EfficientNet-B0-
style CNNs (with BatchNormalization nodes, as exported in training-mode
graphs) and BERT-style encoders (64 and 512 tokens); random weights,
batch 1, one thread.

  python3 bench/fusion/run.py [--write-docs] [--models resnet50,bert]

Table 1: latency with every pass on, and the slowdown (off / on) when one
pass is disabled (dr1c --disable-pass / from_onnx(disable_passes=...)),
each measured in this run on the same inputs, round-robin over the builds
(7 rounds of a 15-run median; the fastest round is reported: on this VM
interference comes in bursts that only ever add time). A
control column times a second, separately built and loaded copy of the
all-on model: same code, other addresses; its ratio is this run's noise
floor (on this VM placement and neighbours alone have moved it by up to
16% in a noisy hour).
Table 2: dr1c -emit=memory-plan: arena, lower bound (most bytes live at
once), size without reuse (sum of all intermediates).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

import dr1

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "onnx"))
from bert_onnx import bert  # noqa: E402
from cnn_onnx import efficientnet_b0, mobilenet_v2  # noqa: E402
from test_light_models import MODELS, randomized  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import median_latency, write_docs_section  # noqa: E402

PASSES = ["dr1-fold-batch-norm", "dr1-fuse-attention", "dr1-fuse-squeeze-excitation",
          "dr1-propagate-transposes", "dr1-fuse-elementwise", "dr1-fuse-epilogue",
          "dr1-row-padded-products", "dr1-fuse-rows", "dr1-vectorize-elementwise"]


def models():
    resnet = [p for p in MODELS if p.endswith("light_resnet50.onnx")][0]
    return {
        "resnet50": lambda: randomized(resnet),
        "mobilenet_v2": lambda: mobilenet_v2(bn=True),
        "efficientnet_b0": lambda: efficientnet_b0(bn=True),
        "bert-4layer-256": lambda: bert(batch=1, seq=64, hidden=256, heads=4, layers=4,
                                        ffn=1024, vocab=1000),
        "bert-2layer-256-seq512": lambda: bert(batch=1, seq=512, hidden=256, heads=4,
                                               layers=2, ffn=1024, vocab=1000),
    }


def memory_plan(dr1c, path):
    out = subprocess.run([dr1c, path, "-emit=memory-plan"], check=True, capture_output=True,
                         text=True).stdout
    num = lambda key: int(re.search(key + r": (\d+) bytes", out).group(1))  # noqa: E731
    return dict(arena=num("arena"), bound=num(r"lower bound \(most bytes live at once\)"),
                no_reuse=num("without reuse"))


def bench(name, model, work, dr1c, rounds=7):
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    os.environ["DR1_CACHE_DIR"] = os.path.join(work, "cache")
    builds = {"on": dr1.from_onnx(path)}
    for p in PASSES:
        builds[p] = dr1.from_onnx(path, disable_passes=(p,))
    # Its own cache directory: a second object file, not the first one's
    # handle again.
    os.environ["DR1_CACHE_DIR"] = os.path.join(work, "cache-control")
    builds["control"] = dr1.from_onnx(path)
    rng = np.random.default_rng(0)
    feeds = {n: (rng.integers(0, 100, s) if d.kind == "i" else rng.standard_normal(s)).astype(d)
             for n, s, d in builds["on"].inputs}
    ref = builds["on"](**feeds)
    r = dict(name=name)
    for p in PASSES:
        got = builds[p](**feeds)
        r[p + ":err"] = max(float(np.abs(g - x).max() / max(np.abs(x).max(), 1e-30))
                            for g, x in zip(got, ref))
    # Round-robin over the builds, so that clock drift on this machine
    # affects them alike; of each build, its fastest round (a 15-run median).
    times = {k: [] for k in builds}
    for _ in range(rounds):
        for k, c in builds.items():
            times[k].append(median_latency(lambda: c(**feeds), 15))
    r["on_ms"] = float(np.min(times["on"])) * 1e3
    for p in PASSES + ["control"]:
        r[p] = float(np.min(times[p])) * 1e3
    r.update(memory_plan(dr1c, path))
    return r


def tables(rows):
    head = ("| model | all on ms | control: all on, 2nd build | " +
            " | ".join(f"off: {p[4:]}" for p in PASSES) + " |")
    lines = [head, "|---|---:|---:|" + "---:|" * len(PASSES)]
    for r in rows:
        cells = [f"{r[p]:.2f} ms ({r[p] / r['on_ms']:.2f}x)" for p in ["control"] + PASSES]
        lines.append(f"| {r['name']} | {r['on_ms']:.2f} | " + " | ".join(cells) + " |")
    worst = max(r[p + ":err"] for r in rows for p in PASSES)
    lines.append("")
    lines.append(f"Largest relative difference between an all-on and a one-off build's "
                 f"outputs: {worst:.1e}.")
    lines.append("")
    lines.append("| model | arena bytes | lower bound | arena / bound | no reuse | "
                 "arena / no reuse |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        lines.append(f"| {r['name']} | {r['arena']} | {r['bound']} | "
                     f"{r['arena'] / r['bound']:.3f} | {r['no_reuse']} | "
                     f"{r['arena'] / r['no_reuse']:.3f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--models", help="comma-separated subset")
    ap.add_argument("--dr1c", default=os.path.join(ROOT, "build", "bin", "dr1c"))
    args = ap.parse_args()
    todo = models()
    names = args.models.split(",") if args.models else list(todo)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for n in names:
            rows.append(bench(n, todo[n](), work, args.dr1c))
            print(rows[-1], flush=True)
    text = tables(rows)
    print(text)
    if args.write_docs:
        write_docs_section("fusion", "python3 bench/fusion/run.py --write-docs", text,
                           "Optional passes on and off; memory plan vs its lower bound")

if __name__ == "__main__":
    main()
