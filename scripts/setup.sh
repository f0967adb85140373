#!/usr/bin/env bash
# Installs what dr1 needs (Debian + PyPI packages), then configures and
# builds it into build/. A no-op for anything already present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build ccache g++ pkg-config zlib1g-dev libzstd-dev libxml2-dev libffi-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22 libomp-22-dev
  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross libopenblas-dev file valgrind
)
# import name=pip name
PIP_PACKAGES=(numpy=numpy pytest=pytest scikit_build_core=scikit-build-core
              pybind11=pybind11 sklearn=scikit-learn onnx=onnx==1.23.2
              onnxruntime=onnxruntime==1.32.0)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
pip_missing=()
for entry in "${PIP_PACKAGES[@]}"; do
  "$PYTHON" -c "import ${entry%%=*}" 2>/dev/null || pip_missing+=("${entry#*=}")
done
if ((${#pip_missing[@]})); then
  echo "setup: pip installing ${pip_missing[*]}"
  "$PYTHON" -m pip install -q "${pip_missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release \
    -DPython3_EXECUTABLE="$(command -v "$PYTHON")" >/dev/null
fi
ninja -C build

# The Python package (the same compiler library, through pybind11), built by
# scikit-build-core in build/python-wheel and installed for this python3.
log=$(mktemp)
if ! "$PYTHON" -m pip install -q --no-build-isolation . >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "setup: installing the dr1 Python package failed" >&2
  exit 1
fi
rm -f "$log"
