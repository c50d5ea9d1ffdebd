#!/usr/bin/env bash
# Builds the GPU kernel libraries `ferry` loads at run time (--device cuda|hip|auto):
#   .build/gpu/libferry_cuda.so  nvcc from the CUDA 13 PyPI wheels (no GPU needed), sm_80 + sm_90 SASS and sm_90 PTX,
#                                CUDA runtime linked statically, cuBLAS (libcublas.so.13) dynamically.
#   .build/gpu/libferry_hip.so   Debian's hipcc (ROCm 5.2), gfx90a + gfx908; no BLAS (Debian packages none).
# Usage: scripts/build-gpu-kernels.sh [cuda] [hip]   (default: both). Installs what it needs: the wheels into
# .cache/gpu-venv (≈1.1 GB), hipcc with apt. Heavy compiles take /tmp/ferry-build.lock when it exists.
#
# Finding cuBLAS at run time: libferry_cuda.so's RUNPATH is $ORIGIN, $ORIGIN/../nvidia/cu13/lib (installed next to
# the wheels' site-packages/nvidia) and this checkout's .cache/gpu-venv wheel folder, so the build here loads without
# LD_LIBRARY_PATH. Installed elsewhere, put libcublas.so.13 and libcublasLt.so.13 beside it or on LD_LIBRARY_PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(cuda hip)
out="$root/.build/gpu"
mkdir -p "$out"
lock=()
[ -e /tmp/ferry-build.lock ] && lock=(flock /tmp/ferry-build.lock)
common=(-std=c++17 -O3 -I"$root/Sources/CKernelsGPU/include" -I"$root/kernels/common")

seconds() { echo $(( $(date +%s) - $1 )); }

build_cuda() {
    local venv="$root/.cache/gpu-venv"
    local wheels=(nvidia-cuda-nvcc==13.5.37 nvidia-cuda-runtime==13.5.37 nvidia-cuda-crt==13.5.37
                  nvidia-cuda-cccl==13.3.5.0.6 nvidia-cublas==13.10.0.20)
    local cuda
    if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
    cuda=$("$venv/bin/python" -c 'import os, nvidia; print(os.path.join(list(nvidia.__path__)[0], "cu13"))' \
        2>/dev/null || true)
    if [ -z "$cuda" ] || [ ! -x "$cuda/bin/nvcc" ]; then
        local start; start=$(date +%s)
        "$venv/bin/pip" install --quiet --disable-pip-version-check "${wheels[@]}"
        echo "build-gpu-kernels: pip install of the CUDA wheels took $(seconds "$start") s" >&2
        cuda=$("$venv/bin/python" -c 'import os, nvidia; print(os.path.join(list(nvidia.__path__)[0], "cu13"))')
    fi
    local start; start=$(date +%s)
    "${lock[@]}" "$cuda/bin/nvcc" "${common[@]}" -shared -Xcompiler -fPIC,-fvisibility=hidden,-Wall \
        -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
        -gencode arch=compute_90,code=compute_90 \
        "$root/kernels/cuda/ferry_cuda.cu" -o "$out/libferry_cuda.so" \
        -L"$cuda/lib" -l:libcublas.so.13 \
        -Xlinker "-rpath,\$ORIGIN:\$ORIGIN/../nvidia/cu13/lib:$cuda/lib"
    echo "build-gpu-kernels: nvcc built $out/libferry_cuda.so in $(seconds "$start") s" >&2
}

build_hip() {
    if ! command -v hipcc >/dev/null; then
        local start; start=$(date +%s)
        local sudo_cmd=""
        [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq hipcc >/dev/null
        echo "build-gpu-kernels: apt install of hipcc took $(seconds "$start") s" >&2
    fi
    local start; start=$(date +%s)
    "${lock[@]}" hipcc "${common[@]}" -shared -fPIC -fvisibility=hidden -Wall \
        --offload-arch=gfx90a --offload-arch=gfx908 \
        "$root/kernels/hip/ferry_hip.cpp" -o "$out/libferry_hip.so"
    echo "build-gpu-kernels: hipcc built $out/libferry_hip.so in $(seconds "$start") s" >&2
}

for target in "${targets[@]}"; do
    case "$target" in
        cuda) build_cuda ;;
        hip) build_hip ;;
        *) echo "build-gpu-kernels: unknown target $target (cuda, hip)" >&2; exit 2 ;;
    esac
done
