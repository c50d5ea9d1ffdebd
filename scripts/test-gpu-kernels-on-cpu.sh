#!/usr/bin/env bash
# Runs the GPU kernels' bodies (kernels/common) on the CPU, std::threads standing in for GPU threads
# (Tests/gpu-emulation/gpu_emulation.h), against double-precision references: the numerics and indexing check that
# needs no GPU. A few seconds (one host thread per emulated GPU thread of a block). Needs g++ 12 (C++20).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/.build/gpu"
g++ -std=c++20 -O1 -pthread -Wall -Wno-unused-function -DFERRY_GPU_EMULATION \
    -I"$root/Tests/gpu-emulation" -I"$root/Sources/CKernelsGPU/include" -I"$root/kernels/common" \
    "$root/Tests/gpu-emulation/kernel_tests.cpp" -o "$root/.build/gpu/kernel-emulation-tests"
"$root/.build/gpu/kernel-emulation-tests"
