// SPDX-License-Identifier: Apache-2.0
// The per-row attention kernel over a float16 KV cache with AVX2/FMA/F16C intrinsics: each K and V row is
// converted 8 lanes at a time once for the whole query group (the compiler does not vectorize _Float16 loads).
#include "ferry_cpu_attention_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "ferry_cpu_math.h"

__attribute__((target("avx2,fma,f16c"))) static inline float horizontal_sum(__m256 v) {
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}

/// The kernel body for a compile-time `group`, so its accumulators live in registers (with a run-time count they
/// spill to the stack and every FMA waits on a store).
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline void attend(const ferry_cpu_attend_args *args, const int64_t group) {
    const int64_t hd = args->head_dim, span = args->span;
    const int64_t bs = args->block_size, nkv = args->num_kv_heads, g = args->kv_head;
    const uint16_t *k_cache = args->k_cache, *v_cache = args->v_cache;
    float *scores = args->scores;
    // Row offsets of the span's positions, walked block by block (no division per position).
    int64_t *rows = args->row_offsets;
    for (int64_t j = 0, p = args->lo; j < span;) {
        const int64_t block = args->blocks[p / bs], offset = p % bs;
        const int64_t run = bs - offset < span - j ? bs - offset : span - j;
        for (int64_t r = 0; r < run; r++) rows[j + r] = ((block * bs + offset + r) * nkv + g) * hd;
        j += run;
        p += run;
    }
    // Scores: one pass over the keys, each converted once and dotted with every query of the group.
    for (int64_t j = 0; j < span; j++) {
        const uint16_t *k = k_cache + rows[j];
        __m256 acc[8];
        for (int64_t qi = 0; qi < group; qi++) acc[qi] = _mm256_setzero_ps();
        for (int64_t d = 0; d < hd; d += 8) {
            const __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + d)));
            for (int64_t qi = 0; qi < group; qi++) {
                acc[qi] = _mm256_fmadd_ps(_mm256_loadu_ps(args->q[qi] + d), kv, acc[qi]);
            }
        }
        for (int64_t qi = 0; qi < group; qi++) scores[qi * span + j] = horizontal_sum(acc[qi]) * args->scale;
    }
    for (int64_t qi = 0; qi < group; qi++) {
        float *row = scores + qi * span;
        float maximum = row[0];
        for (int64_t j = 1; j < span; j++) maximum = row[j] > maximum ? row[j] : maximum;
        float sum = 0.0f;
        for (int64_t j = 0; j < span; j++) {
            row[j] = ferry_expf(row[j] - maximum);
            sum += row[j];
        }
        const float inverse = 1.0f / sum;
        for (int64_t j = 0; j < span; j++) row[j] *= inverse;
    }
    // Values: each row converted once, accumulated into every output of the group (kept in registers per
    // 8-lane slice of the head).
    for (int64_t d = 0; d < hd; d += 8) {
        __m256 out[8];
        for (int64_t qi = 0; qi < group; qi++) out[qi] = _mm256_setzero_ps();
        for (int64_t j = 0; j < span; j++) {
            const uint16_t *v = v_cache + rows[j];
            const __m256 vv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + d)));
            for (int64_t qi = 0; qi < group; qi++) {
                out[qi] = _mm256_fmadd_ps(_mm256_set1_ps(scores[qi * span + j]), vv, out[qi]);
            }
        }
        for (int64_t qi = 0; qi < group; qi++) _mm256_storeu_ps(args->out[qi] + d, out[qi]);
    }
}
__attribute__((target("avx2,fma,f16c")))
void ferry_cpu_attend_f16_avx2_(const ferry_cpu_attend_args *args) {
    switch (args->group) {
    case 1: attend(args, 1); break;
    case 2: attend(args, 2); break;
    case 3: attend(args, 3); break;
    case 4: attend(args, 4); break;
    case 5: attend(args, 5); break;
    case 6: attend(args, 6); break;
    case 7: attend(args, 7); break;
    default: attend(args, 8); break;
    }
}
#endif
