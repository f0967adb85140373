#!/usr/bin/env bash
# Sets up, builds, then compiles the bundled example model with dr1c for the
# host and for AArch64, links each with a small C program and runs it
# (AArch64 under qemu), printing the model's output.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
out=build/demo
mkdir -p "$out"
ex=examples/mlp

mkdir -p $out/host $out/aarch64
echo "== dr1c $ex/mlp.mlir -target=host"
build/bin/dr1c $ex/mlp.mlir -target=host --name=mlp -o $out/host/mlp.o
cc -std=c11 -O2 -I $out/host -I include $ex/main.c $out/host/mlp.o -o $out/mlp_host
$out/mlp_host

echo "== dr1c $ex/mlp.mlir -target=aarch64"
build/bin/dr1c $ex/mlp.mlir -target=aarch64 --name=mlp -o $out/aarch64/mlp.o
file $out/aarch64/mlp.o
aarch64-linux-gnu-gcc -std=c11 -O2 -I $out/aarch64 -I include $ex/main.c $out/aarch64/mlp.o -o $out/mlp_aarch64
qemu-aarch64 -L /usr/aarch64-linux-gnu $out/mlp_aarch64
