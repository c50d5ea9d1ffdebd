// SPDX-License-Identifier: Apache-2.0
// One dialect for the CUDA and HIP builds: `gpu*` names map to cuda* or hip*, and the BLAS (cuBLAS on CUDA; the HIP
// build has none, see gemm.cuh) to cublas*. The kernels use only what both dialects share.
#ifndef FERRY_GPU_COMPAT_H
#define FERRY_GPU_COMPAT_H

#if defined(FERRY_GPU_EMULATION)
// Host threads standing in for a GPU: tests/gpu-emulation runs the kernels' bodies on the CPU.
#include "gpu_emulation.h"
#elif defined(FERRY_HIP)
#include <hip/hip_runtime.h>
#include <hip/hip_fp16.h>
#define FERRY_PLATFORM "hip"
#define FERRY_HAVE_BLAS 0
#define FERRY_WARP_SIZE warpSize
typedef hipError_t gpuError_t;
typedef hipStream_t gpuStream_t;
typedef hipEvent_t gpuEvent_t;
#define gpuSuccess hipSuccess
#define gpuErrorNoDevice hipErrorNoDevice
#define gpuErrorInsufficientDriver hipErrorInsufficientDriver
#define gpuErrorMemoryAllocation hipErrorOutOfMemory
#define gpuGetErrorString hipGetErrorString
#define gpuGetErrorName hipGetErrorName
#define gpuGetLastError hipGetLastError
#define gpuGetDeviceCount hipGetDeviceCount
#define gpuSetDevice hipSetDevice
#define gpuGetDeviceProperties hipGetDeviceProperties
typedef hipDeviceProp_t gpuDeviceProp;
#define gpuMemGetInfo hipMemGetInfo
#define gpuMalloc hipMalloc
#define gpuFree hipFree
#define gpuMemcpyAsync hipMemcpyAsync
#define gpuMemsetAsync hipMemsetAsync
#define gpuMemcpyHostToDevice hipMemcpyHostToDevice
#define gpuMemcpyDeviceToHost hipMemcpyDeviceToHost
#define gpuMemcpyDeviceToDevice hipMemcpyDeviceToDevice
#define gpuStreamCreateWithFlags hipStreamCreateWithFlags
#define gpuStreamNonBlocking hipStreamNonBlocking
#define gpuStreamDestroy hipStreamDestroy
#define gpuStreamSynchronize hipStreamSynchronize
#define gpuEventCreate hipEventCreate
#define gpuEventRecord hipEventRecord
#define gpuEventSynchronize hipEventSynchronize
#define gpuEventElapsedTime hipEventElapsedTime
#define gpuEventDestroy hipEventDestroy
#else
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cublas_v2.h>
#define FERRY_PLATFORM "cuda"
#define FERRY_HAVE_BLAS 1
#define FERRY_WARP_SIZE 32
typedef cudaError_t gpuError_t;
typedef cudaStream_t gpuStream_t;
typedef cudaEvent_t gpuEvent_t;
#define gpuSuccess cudaSuccess
#define gpuErrorNoDevice cudaErrorNoDevice
#define gpuErrorInsufficientDriver cudaErrorInsufficientDriver
#define gpuErrorMemoryAllocation cudaErrorMemoryAllocation
#define gpuGetErrorString cudaGetErrorString
#define gpuGetErrorName cudaGetErrorName
#define gpuGetLastError cudaGetLastError
#define gpuGetDeviceCount cudaGetDeviceCount
#define gpuSetDevice cudaSetDevice
#define gpuGetDeviceProperties cudaGetDeviceProperties
typedef cudaDeviceProp gpuDeviceProp;
#define gpuMemGetInfo cudaMemGetInfo
#define gpuMalloc cudaMalloc
#define gpuFree cudaFree
#define gpuMemcpyAsync cudaMemcpyAsync
#define gpuMemsetAsync cudaMemsetAsync
#define gpuMemcpyHostToDevice cudaMemcpyHostToDevice
#define gpuMemcpyDeviceToHost cudaMemcpyDeviceToHost
#define gpuMemcpyDeviceToDevice cudaMemcpyDeviceToDevice
#define gpuStreamCreateWithFlags cudaStreamCreateWithFlags
#define gpuStreamNonBlocking cudaStreamNonBlocking
#define gpuStreamDestroy cudaStreamDestroy
#define gpuStreamSynchronize cudaStreamSynchronize
#define gpuEventCreate cudaEventCreate
#define gpuEventRecord cudaEventRecord
#define gpuEventSynchronize cudaEventSynchronize
#define gpuEventElapsedTime cudaEventElapsedTime
#define gpuEventDestroy cudaEventDestroy
#endif

#include <stdint.h>

// MARK: - Element conversions (bit-exact, no dependence on either dialect's bf16 type)

/// BF16 bits → float: the top 16 bits of a float32.
__device__ __forceinline__ float ferry_bf16_to_float(uint16_t bits) {
    return __uint_as_float(((uint32_t)bits) << 16);
}

/// float → BF16 bits, round to nearest even; NaN stays a quiet NaN.
__device__ __forceinline__ uint16_t ferry_float_to_bf16(float value) {
    uint32_t bits = __float_as_uint(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

__device__ __forceinline__ float ferry_f16_to_float(uint16_t bits) {
    return __half2float(__ushort_as_half(bits));
}

__device__ __forceinline__ uint16_t ferry_float_to_f16(float value) {
    return __half_as_ushort(__float2half_rn(value));
}

/// Element `i` of a weight row of `dtype` (F32, F16 or BF16) as float.
__device__ __forceinline__ float ferry_load(const void *base, int dtype, int64_t i) {
    if (dtype == FERRY_GPU_BF16) return ferry_bf16_to_float(((const uint16_t *)base)[i]);
    if (dtype == FERRY_GPU_F16) return ferry_f16_to_float(((const uint16_t *)base)[i]);
    return ((const float *)base)[i];
}

#endif
