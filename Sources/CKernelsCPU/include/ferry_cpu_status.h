// SPDX-License-Identifier: Apache-2.0
#ifndef FERRY_CPU_STATUS_H
#define FERRY_CPU_STATUS_H

/// Status of a kernel call. FerryKernels turns a non-zero status into a typed `KernelError`.
typedef enum {
    FERRY_CPU_OK = 0,
    FERRY_CPU_ERR_INVALID_ARGUMENT = 1,
    FERRY_CPU_ERR_UNSUPPORTED_TYPE = 2,
    FERRY_CPU_ERR_OUT_OF_MEMORY = 3,
} ferry_cpu_status;

#endif
