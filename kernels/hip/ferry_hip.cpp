// SPDX-License-Identifier: Apache-2.0
// libferry_hip.so: the kernels of kernels/common compiled by hipcc (ROCm) with the HIP dialect selected.
#define FERRY_HIP 1
#include "../common/ferry_gpu_kernels.cuh"
