// SPDX-License-Identifier: Apache-2.0
// The whole library in one translation unit, shared by kernels/cuda/ferry_cuda.cu and kernels/hip/ferry_hip.cpp.
#ifndef FERRY_GPU_KERNELS_CUH
#define FERRY_GPU_KERNELS_CUH

#include <math.h>
#include <stdlib.h>
#include "ferry_gpu.h"
#include "gpu_compat.h"
#if !defined(FERRY_GPU_EMULATION)
#include "runtime.cuh"
#endif
#include "elementwise.cuh"
#include "attention.cuh"
#include "gemm.cuh"
#if !defined(FERRY_GPU_EMULATION)
#include "api.cuh"
#endif

#endif
