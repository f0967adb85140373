#!/usr/bin/env bash
# Installs what dr1 needs (Debian + PyPI packages), then configures and
# builds it into build/. A no-op for anything already present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build ccache g++ pkg-config zlib1g-dev libzstd-dev libxml2-dev libffi-dev
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22 libomp-22-dev
  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross libopenblas-dev file
)
PIP_PACKAGES=(numpy)

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
for p in "${PIP_PACKAGES[@]}"; do
  "$PYTHON" -c "import $p" 2>/dev/null || {
    echo "setup: pip installing $p"
    "$PYTHON" -m pip install -q "$p"
  }
done

if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release \
    -DPython3_EXECUTABLE="$(command -v "$PYTHON")" >/dev/null
fi
ninja -C build
