// SPDX-License-Identifier: Apache-2.0
#ifndef FERRY_CPU_SYSTEM_H
#define FERRY_CPU_SYSTEM_H

#include <stdint.h>
#include "ferry_cpu_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/// STREAM's triad a[i] = b[i] + s·c[i] over `count` floats, split over the pool: the memory-bandwidth probe of
/// `ferry bench` (it moves 12 bytes per element).
void ferry_cpu_stream_triad(ferry_cpu_pool *pool, float *a, const float *b, const float *c, int64_t count,
                            float scalar);

/// Cores this process may use: its CPU affinity mask, capped by a cgroup v2 CPU quota (`cpu.max`, as a container
/// CPU limit sets it), at least 1.
int ferry_cpu_available_cores(void);

/// 1 when the CPU has AVX-512F (OpenBLAS then runs its SkylakeX kernels when told to), else 0.
int ferry_cpu_has_avx512(void);

#ifdef __cplusplus
}
#endif
#endif
