// SPDX-License-Identifier: Apache-2.0
// The AVX2 + FMA + F16C level (x86-64 only; compiled with function-level target attributes, chosen at run time).
// Quantized weights: llama.cpp's ggml_vec_dot_q4_1_q8_1 / q4_0_q8_0 / q8_0_q8_0 scheme (vpmaddubsw, vpmaddwd), one
// weight row expanded once per block and dotted with up to 4 tokens at a time.
#include "ferry_cpu_quant.h"
#include "ferry_cpu_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c")))

AVX2_INLINE float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2_INLINE float f16(const uint8_t *p) { return _cvtsh_ss(ferry_load_u16(p)); }

/// The f16 pair at p (a block's d, and m for Q4_1) as floats in lanes 0 and 1. One 32-bit load: converting a lone
/// 16-bit value compiles to a vpinsrw that merges into whatever register is free, once the loop's accumulator, a
/// false dependency that made the Q4 loop 70% slower.
AVX2_INLINE __m128 f16x2(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_cvtph_ps(_mm_cvtsi32_si128(v));
}

/// 16 bytes of nibbles -> 32 bytes: low nibbles (weights 0..15), then high nibbles (weights 16..31).
AVX2_INLINE __m256i nibbles(const uint8_t *p) {
    __m128i t = _mm_loadu_si128((const __m128i *)p);
    __m256i b = _mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
    return _mm256_and_si256(b, _mm256_set1_epi8(0x0f));
}

// MARK: - Dequantize

AVX2 void ferry_dequant_row_avx2(int type, const uint8_t *src, float *dst, int64_t cols) {
    int64_t i = 0;
    switch (type) {
    case FERRY_CPU_F16:
        for (; i + 8 <= cols; i += 8)
            _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + 2 * i))));
        for (; i < cols; i++) dst[i] = f16(src + 2 * i);
        return;
    case FERRY_CPU_BF16:
        for (; i + 8 <= cols; i += 8) {
            __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + 2 * i)));
            _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
        }
        for (; i < cols; i++) dst[i] = ferry_bf16_to_f32(ferry_load_u16(src + 2 * i));
        return;
    case FERRY_CPU_Q8_0:
        for (int64_t b = 0; b < cols / 32; b++, src += 34, dst += 32) {
            __m256 d = _mm256_set1_ps(f16(src));
            for (int k = 0; k < 4; k++) {
                __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(src + 2 + 8 * k)));
                _mm256_storeu_ps(dst + 8 * k, _mm256_mul_ps(d, _mm256_cvtepi32_ps(q)));
            }
        }
        return;
    case FERRY_CPU_Q4_0:
    case FERRY_CPU_Q4_1: {
        int q41 = type == FERRY_CPU_Q4_1;
        int64_t bb = q41 ? 20 : 18;
        for (int64_t b = 0; b < cols / 32; b++, src += bb, dst += 32) {
            float df = f16(src);
            __m256 d = _mm256_set1_ps(df), m = _mm256_set1_ps(q41 ? f16(src + 2) : -8.0f * df);
            __m256i q = nibbles(src + (q41 ? 4 : 2));
            __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
            __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
            for (int k = 0; k < 4; k++) {
                __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(parts[k]));
                _mm256_storeu_ps(dst + 8 * k, _mm256_fmadd_ps(d, v, m));
            }
        }
        return;
    }
    default:
        ferry_dequant_row_scalar(type, src, dst, cols);
        return;
    }
}

// MARK: - Activations (plain layout, bit-identical to the scalar quantizer)

static AVX2 void quantize_plain_avx2(const ferry_mm *m, int part, int parts) {
    int64_t nb = m->cols / 32, t0, t1;
    ferry_cpu_split_range(m->num_tokens, 1, part, parts, &t0, &t1);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t t = t0; t < t1; t++) {
        const float *x = m->x + t * m->cols;
        uint8_t *tok = (uint8_t *)m->act + t * m->act_stride;
        int8_t *q = ferry_plain_q(tok);
        float *dd = ferry_plain_d(tok, m->cols), *ss = ferry_plain_s(tok, m->cols);
        for (int64_t b = 0; b < nb; b++, x += 32) {
            __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
            __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
            __m256 a = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                     _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
            __m128 h = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
            h = _mm_max_ps(h, _mm_movehl_ps(h, h));
            h = _mm_max_ss(h, _mm_movehdup_ps(h));
            float d = _mm_cvtss_f32(h) / 127.0f;
            float idf = d != 0.0f ? 1.0f / d : 0.0f;
            __m256 id = _mm256_set1_ps(idf);
            __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, id)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, id));
            __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, id)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, id));
            __m256i s = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
            __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
            p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(q + 32 * b), p);
            dd[b] = d;
            ss[b] = d * (float)_mm_cvtsi128_si32(s4);
        }
    }
}

// MARK: - Quantized kernels

#define TILE 4

/// Rows [r0, r1) against tokens [t0, t0 + NT). TYPE is a compile-time constant after inlining.
#define ROW_CHUNK 16

/// Rows [r0, r1) (at most ROW_CHUNK) against tokens [t0, t0 + NT); results to stage[t][r - r0].
AVX2_INLINE void q_tile(const ferry_mm *m, int64_t r0, int64_t r1, int64_t t0, const int NT, const int TYPE,
                        float (*stage)[ROW_CHUNK]) {
    const int64_t nb = m->cols / 32, cols = m->cols;
    const int8_t *xq[TILE];
    const float *xd[TILE], *xs[TILE];
    for (int t = 0; t < NT; t++) {
        const uint8_t *tok = m->act + (t0 + t) * m->act_stride;
        xq[t] = ferry_plain_q(tok);
        xd[t] = ferry_plain_d(tok, cols);
        xs[t] = ferry_plain_s(tok, cols);
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = m->w + r * m->row_bytes;
        __m256 acc[TILE];
        float macc[TILE];
        for (int t = 0; t < NT; t++) {
            acc[t] = _mm256_setzero_ps();
            macc[t] = 0.0f;
        }
        for (int64_t b = 0; b < nb; b++) {
            if (TYPE == FERRY_CPU_Q8_0) {
                const uint8_t *blk = row + 34 * b;
                __m256 dw = _mm256_broadcastss_ps(f16x2(blk));
                __m256i w = _mm256_loadu_si256((const __m256i *)(blk + 2));
                __m256i aw = _mm256_sign_epi8(w, w);
                for (int t = 0; t < NT; t++) {
                    __m256i x = _mm256_loadu_si256((const __m256i *)(xq[t] + 32 * b));
                    __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(x, w)), ones);
                    acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_broadcast_ss(xd[t] + b)), _mm256_cvtepi32_ps(p),
                                             acc[t]);
                }
            } else {
                const int q41 = TYPE == FERRY_CPU_Q4_1;
                const uint8_t *blk = row + (q41 ? 20 : 18) * b;
                __m128 dm = f16x2(blk);
                float dwf = _mm_cvtss_f32(dm), mf = q41 ? _mm_cvtss_f32(_mm_movehdup_ps(dm)) : -8.0f * dwf;
                __m256 dw = _mm256_broadcastss_ps(dm);
                __m256i w = nibbles(blk + (q41 ? 4 : 2));
                for (int t = 0; t < NT; t++) {
                    __m256i x = _mm256_loadu_si256((const __m256i *)(xq[t] + 32 * b));
                    __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), ones);
                    acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_broadcast_ss(xd[t] + b)), _mm256_cvtepi32_ps(p),
                                             acc[t]);
                    macc[t] += mf * xs[t][b];
                }
            }
        }
        for (int t = 0; t < NT; t++) stage[t][r - r0] = hsum8(acc[t]) + macc[t];
    }
}

/// Row chunks outside, token tiles inside: a chunk of weight rows stays in L1/L2 while every token tile passes.
/// Results are staged and written 16 rows per token at a time (scalar stores with a stride of a multiple of 4 KiB
/// alias in L1).
#define DEFINE_KERNEL(NAME, TILE_FN, TYPE)                                                        \
    static AVX2 void NAME(const ferry_mm *m, int64_t r0, int64_t r1) {                             \
        float stage[TILE][ROW_CHUNK];                                                              \
        for (int64_t rc = r0; rc < r1; rc += ROW_CHUNK) {                                         \
            int64_t re = rc + ROW_CHUNK < r1 ? rc + ROW_CHUNK : r1;                               \
            for (int64_t t = 0; t < m->num_tokens; t += TILE) {                                   \
                int nt = m->num_tokens - t < TILE ? (int)(m->num_tokens - t) : TILE;              \
                switch (nt) {                                                                     \
                case 4: TILE_FN(m, rc, re, t, 4, TYPE, stage); break;                             \
                case 3: TILE_FN(m, rc, re, t, 3, TYPE, stage); break;                             \
                case 2: TILE_FN(m, rc, re, t, 2, TYPE, stage); break;                             \
                default: TILE_FN(m, rc, re, t, 1, TYPE, stage); break;                            \
                }                                                                                 \
                for (int i = 0; i < nt; i++)                                                      \
                    memcpy(m->y + (t + i) * m->rows + rc, stage[i], (size_t)(re - rc) * sizeof(float)); \
            }                                                                                     \
        }                                                                                         \
    }

DEFINE_KERNEL(kernel_q8_0, q_tile, FERRY_CPU_Q8_0)
DEFINE_KERNEL(kernel_q4_0, q_tile, FERRY_CPU_Q4_0)
DEFINE_KERNEL(kernel_q4_1, q_tile, FERRY_CPU_Q4_1)

// MARK: - Float kernels

AVX2_INLINE __m256 load8(const uint8_t *row, int64_t c, const int TYPE) {
    if (TYPE == FERRY_CPU_F32) return _mm256_loadu_ps((const float *)row + c);
    __m128i h = _mm_loadu_si128((const __m128i *)(row + 2 * c));
    if (TYPE == FERRY_CPU_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

AVX2_INLINE float load1(const uint8_t *row, int64_t c, const int TYPE) {
    if (TYPE == FERRY_CPU_F32) return ((const float *)row)[c];
    if (TYPE == FERRY_CPU_F16) return f16(row + 2 * c);
    return ferry_bf16_to_f32(ferry_load_u16(row + 2 * c));
}

AVX2_INLINE void f_tile(const ferry_mm *m, int64_t r0, int64_t r1, int64_t t0, const int NT, const int TYPE,
                        float (*stage)[ROW_CHUNK]) {
    const int64_t cols = m->cols;
    const float *x[TILE];
    for (int t = 0; t < NT; t++) x[t] = m->x + (t0 + t) * cols;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = m->w + r * m->row_bytes;
        __m256 a0[TILE], a1[TILE];
        for (int t = 0; t < NT; t++) a0[t] = a1[t] = _mm256_setzero_ps();
        int64_t c = 0;
        for (; c + 16 <= cols; c += 16) {
            __m256 w0 = load8(row, c, TYPE), w1 = load8(row, c + 8, TYPE);
            for (int t = 0; t < NT; t++) {
                a0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x[t] + c), a0[t]);
                a1[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x[t] + c + 8), a1[t]);
            }
        }
        for (; c + 8 <= cols; c += 8) {
            __m256 w0 = load8(row, c, TYPE);
            for (int t = 0; t < NT; t++) a0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x[t] + c), a0[t]);
        }
        for (int t = 0; t < NT; t++) {
            float s = hsum8(_mm256_add_ps(a0[t], a1[t]));
            for (int64_t k = c; k < cols; k++) s += load1(row, k, TYPE) * x[t][k];
            stage[t][r - r0] = s;
        }
    }
}

DEFINE_KERNEL(kernel_f32, f_tile, FERRY_CPU_F32)
DEFINE_KERNEL(kernel_f16, f_tile, FERRY_CPU_F16)
DEFINE_KERNEL(kernel_bf16, f_tile, FERRY_CPU_BF16)

int ferry_plan_avx2(int type, int64_t cols, int64_t num_tokens, ferry_mm_plan *plan) {
    (void)num_tokens;
    plan->quantize = quantize_plain_avx2;
    plan->act_stride = ferry_plain_act_stride(cols);
    switch (type) {
    case FERRY_CPU_Q8_0: plan->kernel = kernel_q8_0; return 1;
    case FERRY_CPU_Q4_0: plan->kernel = kernel_q4_0; return 1;
    case FERRY_CPU_Q4_1: plan->kernel = kernel_q4_1; return 1;
    default: break;
    }
    plan->quantize = NULL;
    plan->act_stride = 0;
    switch (type) {
    case FERRY_CPU_F32: plan->kernel = kernel_f32; return 1;
    case FERRY_CPU_F16: plan->kernel = kernel_f16; return 1;
    case FERRY_CPU_BF16: plan->kernel = kernel_bf16; return 1;
    default: return 0;
    }
}

#else  // not x86-64

void ferry_dequant_row_avx2(int type, const uint8_t *src, float *dst, int64_t cols) {
    ferry_dequant_row_scalar(type, src, dst, cols);
}
int ferry_plan_avx2(int type, int64_t cols, int64_t num_tokens, ferry_mm_plan *plan) {
    (void)type, (void)cols, (void)num_tokens, (void)plan;
    return 0;
}

#endif
