#!/usr/bin/env python3
"""Training step time: dr1's compiled step (dr1.Trainer: forward, backward
and AdamW update in one native function) against the same step run by
dr1's eager autograd, on a deep MLP, a ResNet-style CNN and a BERT-style
encoder; one thread, random data, fixed shapes.

  python3 bench/train/run.py [--write-docs] [--models mlp,cnn,bert]

Per model: the median of 10 steps (after one warm-up step) for each mode,
in one process; the compile time of the step; and its workspace (every
intermediate of forward and backward, planned into one arena), against
the parameters' bytes. Table 2: the same compiled step with gradient
checkpointing (rematerialize='sqrt'): workspace and step time against
the plain step's. numpy's BLAS runs on one thread (OPENBLAS_NUM_THREADS=1,
set here) like the compiled code. PyTorch is compared where it is
installed (it is not on the machine these tables come from).
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import dr1

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import median_latency, write_docs_section  # noqa: E402


def models():
    rng = np.random.default_rng(0)
    yield ("deep MLP 784-8x1024-10, batch 512",
           lambda: dr1.models.MLP([784] + [1024] * 8 + [10]),
           rng.standard_normal((512, 784)).astype(np.float32),
           rng.integers(0, 10, 512).astype(np.int64), "mlp")
    yield ("ResNet-style CNN (3 stages x 2 blocks, 32-128 ch), 32x32, batch 32",
           lambda: dr1.models.ResNetCNN(3, 10, (32, 64, 128), blocks_per_stage=2),
           rng.standard_normal((32, 3, 32, 32)).astype(np.float32),
           rng.integers(0, 10, 32).astype(np.int64), "cnn")
    yield ("BERT-style encoder (4 layers, hidden 256, 4 heads), 128 tokens, batch 8",
           lambda: dr1.models.BERTForSequenceClassification(
               dr1.models.BERTConfig(vocab_size=1000, hidden_size=256, num_layers=4,
                                     num_heads=4), num_labels=2),
           rng.integers(0, 1000, (8, 128)).astype(np.int64),
           rng.integers(0, 2, 8).astype(np.int64), "bert")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--models", default="mlp,cnn,bert")
    args = ap.parse_args()
    wanted = args.models.split(",")
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    rows, remat_rows = [], []
    for desc, make, x, y, key in models():
        if key not in wanted:
            continue
        dr1.manual_seed(0)
        m_c = make()
        m_e = make()
        t_c = dr1.Trainer(m_c, [(x, y)], lr=1e-4, optimizer="adamw", log=False)
        t_e = dr1.Trainer(m_e, [(x, y)], lr=1e-4, optimizer="adamw", compiled=False,
                          log=False)
        t0 = time.perf_counter()
        t_c.step(x, y)
        first = time.perf_counter() - t0
        step = next(iter(t_c._steps.values()))
        ws = step.loaded.workspace_size
        params = sum(p.data.nbytes for _, p in m_c.named_parameters())
        c = median_latency(lambda: t_c.step(x, y), repeat=10)
        e = median_latency(lambda: t_e.step(x, y), repeat=10 if key != "bert" else 5)
        rows.append((desc, c * 1e3, e * 1e3, e / c, first, ws / 2**20, params / 2**20))
        dr1.manual_seed(0)
        t_r = dr1.Trainer(make(), [(x, y)], lr=1e-4, optimizer="adamw", log=False,
                          rematerialize="sqrt")
        t_r.step(x, y)
        ws_r = next(iter(t_r._steps.values())).loaded.workspace_size
        r = median_latency(lambda: t_r.step(x, y), repeat=10)
        remat_rows.append((desc, ws / 2**20, ws_r / 2**20, 1 - ws_r / ws, c * 1e3, r * 1e3,
                           r / c - 1))
        print(f"  checkpointed: workspace {ws_r / 2**20:.1f} MiB ({1 - ws_r / ws:.0%} less), "
              f"step {r * 1e3:.1f} ms ({r / c - 1:+.0%})", flush=True)
        print(f"{desc}: compiled {c * 1e3:.1f} ms, eager {e * 1e3:.1f} ms "
              f"({e / c:.2f}x), first step incl. compile {first:.1f} s, workspace "
              f"{ws / 2**20:.1f} MiB, parameters {params / 2**20:.1f} MiB", flush=True)
    lines = ["| model | compiled step (ms) | dr1 eager step (ms) | eager / compiled | "
             "first step incl. compile (s) | step workspace (MiB) | parameters (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]:.1f} | {r[2]:.1f} | {r[3]:.2f}x | {r[4]:.1f} | "
                     f"{r[5]:.1f} | {r[6]:.1f} |")
    note = ("AdamW, one thread, f32. The compiled step includes the optimizer update "
            "and writes parameters and optimizer state in place; the eager step is dr1's "
            "numpy autograd plus dr1.AdamW. " +
            ("" if have_torch else "PyTorch is not installed on this machine, so there is "
             "no PyTorch column (the goal \"faster than PyTorch eager\" is unmeasured). ") +
            "Checkpointed: dr1-rematerialize with sqrt(m) runs. The workspace is all of "
            "the step's scratch memory (activations, gradients in flight, recomputed "
            "values, the optimizer's temporaries), so the activations alone shrink more "
            "than the workspace does. Step times of one run; the CNN's vary by about 10% "
            "between runs on this machine, hence a checkpointed step measured faster "
            "than the plain one.")
    lines += ["", "| model | workspace (MiB) | checkpointed (MiB) | less memory | step (ms) | "
              "checkpointed step (ms) | more time |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in remat_rows:
        lines.append(f"| {r[0]} | {r[1]:.1f} | {r[2]:.1f} | {r[3]:.0%} | {r[4]:.1f} | "
                     f"{r[5]:.1f} | {r[6]:+.0%} |")
    text = "\n".join(lines) + "\n\n" + note
    print(text)
    if args.write_docs:
        write_docs_section("train-step", "python3 bench/train/run.py --write-docs", text,
                           "Training steps: compiled vs eager")


if __name__ == "__main__":
    main()
