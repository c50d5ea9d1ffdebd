// SPDX-License-Identifier: Apache-2.0
// libferry_cuda.so: the kernels of kernels/common compiled by nvcc against the CUDA runtime and cuBLAS.
#include "../common/ferry_gpu_kernels.cuh"
