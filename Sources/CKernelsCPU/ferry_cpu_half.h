// SPDX-License-Identifier: Apache-2.0
// Private to CKernelsCPU: float16 rows of the KV cache.
#ifndef FERRY_CPU_HALF_H
#define FERRY_CPU_HALF_H

#include <stdint.h>

void ferry_cpu_half_to_float_row(const uint16_t *src, float *dst, int64_t count);
void ferry_cpu_float_to_half_row(const float *src, uint16_t *dst, int64_t count);

#endif
