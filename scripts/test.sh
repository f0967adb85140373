#!/usr/bin/env bash
# Sets up, builds and runs every test (lit + FileCheck, end-to-end numerics
# on x86-64 and AArch64 under qemu, unit tests) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cd build
ctest --output-on-failure "$@"
