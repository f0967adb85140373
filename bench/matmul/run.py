#!/usr/bin/env python3
"""f32 matmul: dr1 vs OpenBLAS on 1 and 2 threads, side by side in one run.

  python3 bench/matmul/run.py [--shapes 256x256x256,...] [--threads 1,2] [--write-docs]

Each shape is compiled with dr1c for the host, linked with bench_matmul.c
and OpenBLAS, checked against OpenBLAS (|err| <= 1e-4 * K * max|ref| / 100),
and timed (medians of 15 samples of >= 20 ms each, dr1's and OpenBLAS's taken
in turns). OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are unset for the run so OpenBLAS picks its best kernel for
this CPU; the kernel it picked is reported. Where OpenBLAS does not know the
CPU (a VM's generic "Intel Xeon Processor" with a CPUID model newer than the
OpenBLAS release) it falls back to the SSE3 Prescott kernel; the run then
forces the kernel for the widest vectors peak.c found (SkylakeX for AVX-512,
Haswell for AVX2) and says so, rather than compare against a crippled BLAS.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SQUARES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048)]
OTHERS = [(1, 256, 784), (64, 256, 784), (197, 768, 768), (1000, 1000, 1000)]


def model(m, n, k):
    return (f"func.func @forward(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32> {{\n"
            f"  %0 = dr1.matmul %a, %b : (tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32>\n"
            f"  return %0 : tensor<{m}x{n}xf32>\n}}\n")


def peak_gflops(work):
    """Peak f32 FMA GFLOP/s of one core and the FMA width in bits, from bench/peak/peak.c."""
    exe = os.path.join(work, "peak")
    subprocess.run(["cc", "-O2", "-march=native", os.path.join(ROOT, "bench", "peak", "peak.c"),
                    "-o", exe], check=True)
    r = json.loads(subprocess.run([exe], check=True, capture_output=True, text=True).stdout)
    return r["gflops"], {"avx512": 512, "avx2": 256, "neon": 128}.get(r["isa"], 0)


# OpenBLAS's generic fallbacks when its CPUID tables do not know the CPU.
FALLBACK_CORES = {"Prescott", "Core2", "Katmai", "Coppermine", "Northwood", "Nehalem"}
# The kernel for the widest vectors peak.c found.
CORE_FOR_BITS = {512: "SkylakeX", 256: "Haswell"}


def bench(m, n, k, dr1c, work, threads=1, coretype=None):
    name = f"mm_{m}x{n}x{k}_t{threads}"
    src = os.path.join(work, name + ".mlir")
    with open(src, "w") as f:
        f.write(model(m, n, k))
    obj = os.path.join(work, name + ".o")
    subprocess.run([dr1c, src, f"--name={name}", f"--num-threads={threads}", "-o", obj],
                   check=True)
    omp = ["-L/usr/lib/llvm-22/lib", "-lomp", "-Wl,-rpath,/usr/lib/llvm-22/lib"] if threads > 1 else []
    exe = os.path.join(work, name)
    subprocess.run(["cc", "-O2", "-std=c11", f"-DMODEL={name}", f'-DMODEL_HEADER="{name}.h"',
                    "-I", work, "-I", "/usr/include/x86_64-linux-gnu/openblas-pthread",
                    os.path.join(ROOT, "bench", "matmul", "bench_matmul.c"), obj,
                    "-lopenblas", "-lm", "-o", exe] + omp, check=True)
    env = {k_: v for k_, v in os.environ.items()
           if k_ not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = env["BENCH_THREADS"] = str(threads)
    out = subprocess.run([exe], check=True, capture_output=True, text=True, env=env).stdout
    r = json.loads(out)
    r["threads"] = threads
    r["ok"] = r["max_abs_err"] <= 1e-6 * k * max(r["max_ref"], 1.0)
    return r


def table(rows, peak):
    lines = ["| M x N x K | threads | dr1 GFLOP/s | OpenBLAS GFLOP/s | dr1 / OpenBLAS | "
             "dr1 % of peak | max abs err vs OpenBLAS |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['m']} x {r['n']} x {r['k']} | {r['threads']} | {r['dr1_gflops']:.1f} | "
                     f"{r['blas_gflops']:.1f} | {r['dr1_gflops'] / r['blas_gflops']:.2f} | "
                     f"{100 * r['dr1_gflops'] / (peak * r['threads']):.0f}% | "
                     f"{r['max_abs_err']:.1e}{'' if r['ok'] else ' WRONG'} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dr1c", default=os.path.join(ROOT, "build", "bin", "dr1c"))
    ap.add_argument("--shapes", help="comma-separated MxNxK list")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--write-docs", action="store_true",
                    help="replace the matmul section of docs/benchmarks.md")
    args = ap.parse_args()
    shapes = SQUARES + OTHERS
    if args.shapes:
        shapes = [tuple(int(x) for x in s.split("x")) for s in args.shapes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        peak, bits = peak_gflops(work)
        print(f"peak per core: {peak:.1f} GFLOP/s", flush=True)
        coretype = None
        probe = bench(64, 64, 64, args.dr1c, work)["blas_core"]
        if probe in FALLBACK_CORES and bits in CORE_FOR_BITS:
            coretype = CORE_FOR_BITS[bits]
            print(f"OpenBLAS picked {probe} on this CPU; forcing OPENBLAS_CORETYPE={coretype}",
                  flush=True)
        for t in [int(x) for x in args.threads.split(",")]:
            for m, n, k in shapes:
                r = bench(m, n, k, args.dr1c, work, t, coretype)
                rows.append(r)
                print(json.dumps(r), flush=True)
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    text = table(rows, peak)
    print(text)
    if args.write_docs:
        path = os.path.join(ROOT, "docs", "benchmarks.md")
        forced = (f" (forced with OPENBLAS_CORETYPE: on its own OpenBLAS picked {probe}, "
                  f"its fallback for CPUs it does not know)" if coretype else "")
        section = (f"<!-- matmul:begin -->\nCPU: {cpu}; OpenBLAS kernel: {rows[0]['blas_core']}"
                   f"{forced}; "
                   f"dr1 and OpenBLAS on the same number of threads. Peak: {peak:.0f} GFLOP/s "
                   f"per core, measured by bench/peak/peak.c (24 independent chains of "
                   f"{bits}-bit FMAs; 2 flops per lane per FMA); % of peak is against threads "
                   f"x that.\nCommand: `python3 bench/matmul/run.py --write-docs`\n\n"
                   f"{text}\n<!-- matmul:end -->")
        doc = open(path).read()
        start, end = doc.index("<!-- matmul:begin -->"), doc.index("<!-- matmul:end -->")
        doc = doc[:start] + section + doc[end + len("<!-- matmul:end -->"):]
        open(path, "w").write(doc)
    if not all(r["ok"] for r in rows):
        sys.exit("some results were wrong")


if __name__ == "__main__":
    main()
