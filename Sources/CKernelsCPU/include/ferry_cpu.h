// SPDX-License-Identifier: Apache-2.0
// CKernelsCPU: the C kernels BLAS lacks. Plain C, vectorizable, every symbol prefixed `ferry_cpu_`.
// Every entry that can fail returns a ferry_cpu_status; none exits or aborts.
#ifndef FERRY_CPU_H
#define FERRY_CPU_H

#include "ferry_cpu_pool.h"
#include "ferry_cpu_quant.h"
#include "ferry_cpu_ops.h"
#include "ferry_cpu_attention.h"
#include "ferry_cpu_system.h"

#endif
