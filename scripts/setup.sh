#!/usr/bin/env bash
# Installs qjit's build and test dependencies from Debian 12's packages,
# skipping those already installed. Safe to run repeatedly.
set -euo pipefail

packages=(
  cmake ninja-build g++ python3
  llvm-19-dev llvm-19-tools libzstd-dev
  libfmt-dev libgtest-dev libbenchmark-dev libopenblas-dev libdnnl-dev libtbb-dev
  libonnx-dev libprotobuf-dev # the ONNX importer (docs/onnx-import.md)
  clang-19 libclang-rt-19-dev # sanitizer builds and fuzzers (docs/hardening.md)
  # The Python module and its tests (docs/python.md); without them the
  # module and its tests are skipped.
  pybind11-dev python3-dev python3-pytest
  # The model tests' oracle: QAT models exported from PyTorch (docs/onnx-models.md).
  # The build never needs them; without them those tests skip.
  python3-numpy python3-torch python3-torchvision python3-onnx
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all dependencies present"
fi
