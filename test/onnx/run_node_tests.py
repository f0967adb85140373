#!/usr/bin/env python3
"""Runs the ONNX package's own backend node tests through dr1.

Every node test whose operators the importer claims is compiled with dr1
(dr1.from_onnx: import, the full pipeline, native code) and run on the
stored inputs; outputs are compared with the stored expected outputs at the
test's own tolerance (ONNX's backend defaults: rtol 1e-3, atol 1e-7, widened
to atol 1e-5 for float32 since dr1 evaluates exp/erf/tanh with polynomial
approximations of ~1e-7 relative error).

dr1 compiles static shapes, so graph inputs that the ONNX spec uses as
shapes, axes, pads, scales or bounds (Reshape's shape, Slice's starts, ...)
are specialised on: their test values become compile-time constants
(dr1.from_onnx(constant_inputs=...)), as they are when real models carry
them as initializers. Every other input is a runtime input.

Each test ends as one of:
  pass      compiled, ran, matched;
  rejected  the importer refused it with a clear error (an attribute value,
            dtype or dynamic shape it does not implement);
  fail      wrong numbers, or a crash: these make the run fail.

    python3 test/onnx/run_node_tests.py [--report docs/onnx-coverage.md] [--jobs 2]
"""
import argparse
import collections
import multiprocessing
import os
import sys
import tempfile
import warnings

import numpy as np


# Input slots that must be known when compiling.
CONST_SLOTS = {
    "Reshape": {1}, "Slice": {1, 2, 3, 4}, "Split": {1}, "Squeeze": {1}, "Unsqueeze": {1},
    "ReduceSum": {1}, "ReduceMean": {1}, "ReduceMax": {1}, "Pad": {1, 2, 3},
    "Resize": {1, 2, 3}, "Expand": {1}, "ConstantOfShape": {0}, "Clip": {1, 2},
    # Quantization parameters (initializers in quantized models).
    "QuantizeLinear": {1, 2}, "DequantizeLinear": {1, 2},
    "QLinearConv": {1, 2, 4, 5, 6, 7, 8}, "QLinearMatMul": {1, 2, 4, 5, 6, 7},
    "Dropout": {1, 2},
}


def run_case(args):
    name, model_bytes, data_sets, rtol, atol, cache, frozen = args
    os.environ["DR1_CACHE_DIR"] = cache
    import dr1
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.onnx")
        with open(path, "wb") as f:
            f.write(model_bytes)
        inputs0 = data_sets[0][0]
        constants = {n: inputs0[i] for n, i in frozen.items()}
        try:
            model = dr1.from_onnx(path, constant_inputs=constants)
        except dr1.CompileError as e:
            msg = str(e).splitlines()[0].replace(path + ": ", "")
            return name, "rejected", msg[:200]
        except Exception as e:  # noqa: BLE001 - anything else is a bug
            return name, "fail", f"{type(e).__name__}: {e}"[:300]
        for inputs, outputs in data_sets:
            runtime = [x for i, x in enumerate(inputs) if i not in frozen.values()]
            try:
                got = model(*runtime)
            except Exception as e:  # noqa: BLE001
                return name, "fail", f"run: {type(e).__name__}: {e}"[:300]
            if len(got) != len(outputs):
                return name, "fail", f"{len(got)} outputs, expected {len(outputs)}"
            for i, (g, want) in enumerate(zip(got, outputs)):
                want = np.asarray(want)
                if g.shape != want.shape:
                    return name, "fail", f"output {i}: shape {g.shape}, expected {want.shape}"
                a = atol
                if want.dtype == np.float32:
                    a = max(a, 1e-5)
                if want.dtype.kind in "fc":
                    ok = np.allclose(g, want, rtol=rtol, atol=a, equal_nan=True)
                else:
                    ok = np.array_equal(g, want)
                if not ok:
                    err = np.abs(g.astype(np.float64) - want.astype(np.float64)).max()
                    return name, "fail", f"output {i}: max abs error {err:.3g}"
    return name, "pass", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", help="write the per-operator table here (markdown)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--filter", help="only tests whose name contains this")
    ap.add_argument("--check", help="fail if the report differs from this file")
    args = ap.parse_args()

    from dr1 import _dr1
    claimed = set(_dr1.supported_onnx_ops())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.case import node
        cases = node.collect_testcases(None)

    jobs, op_of = [], {}
    unclaimed = collections.Counter()
    cache = tempfile.mkdtemp(prefix="dr1-node-cache-")
    for c in cases:
        ops = {n.op_type for n in c.model.graph.node}
        if not ops or any(n.domain not in ("", "ai.onnx") for n in c.model.graph.node):
            continue
        if args.filter and args.filter not in c.name:
            continue
        if not ops <= claimed:
            for op in ops - claimed:
                unclaimed[op] += 1
            continue
        # The operator a test is about: the one in its name, else its first node.
        main_op = next((op for op in ops if c.name.lower().startswith(
            "test_" + op.lower())), c.model.graph.node[0].op_type)
        op_of[c.name] = main_op
        from onnx import numpy_helper

        def arr(x):
            return numpy_helper.to_array(x) if hasattr(x, "SerializeToString") else np.asarray(x)
        data = [([arr(x) for x in i], [arr(x) for x in o]) for i, o in c.data_sets]
        graph_inputs = [i.name for i in c.model.graph.input]
        frozen = {}
        for nd in c.model.graph.node:
            for slot in CONST_SLOTS.get(nd.op_type, ()):
                if slot < len(nd.input) and nd.input[slot] in graph_inputs:
                    frozen[nd.input[slot]] = graph_inputs.index(nd.input[slot])
        jobs.append((c.name, c.model.SerializeToString(), data,
                     getattr(c, "rtol", 1e-3), getattr(c, "atol", 1e-7), cache, frozen))

    with multiprocessing.Pool(args.jobs) as pool:
        results = pool.map(run_case, jobs, chunksize=4)

    per_op = collections.defaultdict(lambda: collections.Counter())
    details = collections.defaultdict(list)
    for name, status, msg in results:
        per_op[op_of[name]][status] += 1
        if status != "pass":
            details[op_of[name]].append((name, status, msg))
    fails = [(n, m) for n, s, m in results if s == "fail"]
    counts = collections.Counter(s for _, s, _ in results)
    summary = (f"{len(results)} node tests of claimed operators: {counts['pass']} pass, "
               f"{counts['rejected']} rejected with an error, {counts['fail']} fail")
    print(summary)
    for n, m in fails:
        print(f"FAIL {n}: {m}")

    if args.report or args.check:
        lines = ["# ONNX backend node tests through dr1", "",
                 "Generated by `python3 test/onnx/run_node_tests.py --report "
                 "docs/onnx-coverage.md` (run by the test suite) from the node tests of the",
                 "installed onnx package. Claimed operators are those the importer handles;",
                 "`rejected` means the importer refused the test with a clear error (an",
                 "attribute, dtype or shape it does not implement), `fail` means a wrong result.",
                 "Graph inputs that ONNX uses as shapes, axes, pads, scales or bounds are",
                 "specialised on (compile-time constants), since dr1 compiles static shapes.",
                 "", summary + ".", "",
                 "| operator | pass | rejected | fail |", "|---|---:|---:|---:|"]
        for op in sorted(per_op):
            c = per_op[op]
            lines.append(f"| {op} | {c['pass']} | {c['rejected']} | {c['fail']} |")
        lines += ["", "## Why tests were rejected", ""]
        for op in sorted(details):
            for n, s, m in details[op]:
                lines.append(f"- `{n}` ({s}): {m}")
        lines += ["", "## Operators not claimed (tests skipped)", "",
                  ", ".join(f"{op} ({k})" for op, k in sorted(unclaimed.items()))]
        text = "\n".join(lines) + "\n"
        if args.report:
            with open(args.report, "w") as f:
                f.write(text)
        if args.check and open(args.check).read() != text:
            print(f"{args.check} is out of date: rerun with --report {args.check}")
            sys.exit(1)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
