#!/usr/bin/env bash
# Builds the GPU kernel libraries `ferry` loads at run time (--device cuda|hip|auto):
#   .build/gpu/libferry_cuda.so  nvcc from the CUDA 13 PyPI wheels (no GPU needed), sm_80 + sm_90 SASS and sm_90 PTX,
#                                CUDA runtime linked statically, cuBLAS (libcublas.so.13) dynamically.
#   .build/gpu/libferry_hip.so   Debian's hipcc (ROCm 5.2), gfx90a + gfx908; no BLAS (Debian packages none).
# Usage: scripts/build-gpu-kernels.sh [cuda] [hip]
#   default: cuda, and hip when hipcc is on PATH. Naming a target installs its compiler when missing.
# CUDA toolkit: $CUDA_HOME, else an nvcc on PATH or in /usr/local/cuda (NVIDIA's devel images, Dockerfile.cuda), else
# the CUDA 13 wheels pip-installed into .cache/gpu-venv (≈1.1 GB). hipcc: apt (Debian).
#
# Finding cuBLAS at run time: libferry_cuda.so's RUNPATH is $ORIGIN, $ORIGIN/../nvidia/cu13/lib (installed next to
# the wheels' site-packages/nvidia) and this checkout's .cache/gpu-venv wheel folder, so the build here loads without
# LD_LIBRARY_PATH. Installed elsewhere, put libcublas.so.13 and libcublasLt.so.13 beside it or on LD_LIBRARY_PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(cuda)
    command -v hipcc >/dev/null && targets+=(hip)
fi
out="$root/.build/gpu"
mkdir -p "$out"
common=(-std=c++17 -O3 -I"$root/Sources/CKernelsGPU/include" -I"$root/kernels/common")

seconds() { echo $(( $(date +%s) - $1 )); }

# Prints the CUDA toolkit folder (bin/nvcc, include, lib or lib64), installing the wheels when there is none.
cuda_toolkit() {
    local candidate
    for candidate in "${CUDA_HOME:-}" "$(dirname "$(dirname "$(command -v nvcc 2>/dev/null || echo /x/x)")")" \
                     /usr/local/cuda; do
        if [ -n "$candidate" ] && [ -x "$candidate/bin/nvcc" ]; then echo "$candidate"; return; fi
    done
    local venv="$root/.cache/gpu-venv"
    local wheels=(nvidia-cuda-nvcc==13.5.37 nvidia-cuda-runtime==13.5.37 nvidia-cuda-crt==13.5.37
                  nvidia-cuda-cccl==13.3.5.0.6 nvidia-cublas==13.10.0.20)
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    candidate=$("$venv/bin/python" -c 'import os, nvidia; print(os.path.join(list(nvidia.__path__)[0], "cu13"))' \
        2>/dev/null || true)
    if [ -z "$candidate" ] || [ ! -x "$candidate/bin/nvcc" ]; then
        local start; start=$(date +%s)
        "$venv/bin/pip" install --quiet --disable-pip-version-check "${wheels[@]}" >&2
        echo "build-gpu-kernels: pip install of the CUDA wheels took $(seconds "$start") s" >&2
        candidate=$("$venv/bin/python" -c 'import os, nvidia; print(os.path.join(list(nvidia.__path__)[0], "cu13"))')
    fi
    echo "$candidate"
}

build_cuda() {
    local cuda lib cublas
    cuda=$(cuda_toolkit)
    lib="$cuda/lib64"
    [ -d "$lib" ] || lib="$cuda/lib"
    # The wheels ship only libcublas.so.13; a toolkit also has the unversioned link.
    cublas=-lcublas
    [ -e "$lib/libcublas.so" ] || cublas=-l:libcublas.so.13
    local start; start=$(date +%s)
    "$cuda/bin/nvcc" "${common[@]}" -shared -Xcompiler -fPIC,-fvisibility=hidden,-Wall \
        -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
        -gencode arch=compute_90,code=compute_90 \
        "$root/kernels/cuda/ferry_cuda.cu" -o "$out/libferry_cuda.so" \
        -L"$lib" "$cublas" \
        -Xlinker "-rpath,\$ORIGIN:\$ORIGIN/../nvidia/cu13/lib:$lib"
    echo "build-gpu-kernels: nvcc ($cuda) built $out/libferry_cuda.so in $(seconds "$start") s" >&2
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
    hipcc "${common[@]}" -shared -fPIC -fvisibility=hidden -Wall \
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
