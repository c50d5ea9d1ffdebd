// SPDX-License-Identifier: Apache-2.0
// Rows of float16 ↔ float32 for the KV cache: F16C where the CPU has it, portable C otherwise.
#include "ferry_cpu_half.h"

#include "ferry_cpu_internal.h"
#include "ferry_cpu_quant.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,f16c"))) static void to_float_f16c(const uint16_t *src, float *dst, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    }
    for (; i < count; i++) dst[i] = ferry_f16_to_f32(src[i]);
}

__attribute__((target("avx2,f16c"))) static void to_half_f16c(const float *src, uint16_t *dst, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    for (; i < count; i++) dst[i] = ferry_f32_to_f16(src[i]);
}
#endif

void ferry_cpu_half_to_float_row(const uint16_t *src, float *dst, int64_t count) {
#if defined(__x86_64__)
    if (ferry_cpu_simd_level() >= FERRY_CPU_SIMD_AVX2) {
        to_float_f16c(src, dst, count);
        return;
    }
#endif
    for (int64_t i = 0; i < count; i++) dst[i] = ferry_f16_to_f32(src[i]);
}

void ferry_cpu_float_to_half_row(const float *src, uint16_t *dst, int64_t count) {
#if defined(__x86_64__)
    if (ferry_cpu_simd_level() >= FERRY_CPU_SIMD_AVX2) {
        to_half_f16c(src, dst, count);
        return;
    }
#endif
    for (int64_t i = 0; i < count; i++) dst[i] = ferry_f32_to_f16(src[i]);
}
