// SPDX-License-Identifier: Apache-2.0
// AVX-512 matmul for F32, F16 and BF16 weights (x86-64 only, chosen at run time), float32 accumulation.
//
// A register tile of 4 weight rows x 4 tokens: per 16 columns, 4 weight loads (F16 widened with vcvtph2ps, BF16
// shifted into the high half) and 4 activation loads feed 16 FMAs. Row chunks of 16 are the outer loop, so a chunk
// of weights stays in L1/L2 while every token tile passes over it, and y is written 16 rows per token at a time.
#include "ferry_cpu_quant.h"
#include "ferry_cpu_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "quant_avx512_group.h"

#define FR 4       // rows per register tile
#define FT 4       // tokens per register tile
#define CHUNK 16   // rows per chunk

AVX512_INLINE __m512 wload(const uint8_t *row, int64_t c, __mmask16 k, const int TYPE) {
    if (TYPE == FERRY_CPU_F32)
        return k == 0xffff ? _mm512_loadu_ps((const float *)row + c) : _mm512_maskz_loadu_ps(k, (const float *)row + c);
    __m256i h = k == 0xffff ? _mm256_loadu_si256((const __m256i *)(row + 2 * c)) : _mm256_maskz_loadu_epi16(k, row + 2 * c);
    if (TYPE == FERRY_CPU_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/// The sums of four vectors, in lanes 0..3.
AVX512_INLINE __m128 reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
    __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
    __m512 e = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
    e = _mm512_add_ps(e, _mm512_permute_ps(e, 0x4E));
    e = _mm512_add_ps(e, _mm512_permute_ps(e, 0xB1));
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), e));
}

/// Rows r..r+R-1 against tokens t0..t0+NT-1; results to stage[t][r - rc].
AVX512_INLINE void f_tile(const ferry_mm *m, int64_t r, const int R, int64_t t0, const int NT, const int TYPE,
                          float (*stage)[CHUNK], int64_t rc) {
    const int64_t cols = m->cols;
    const uint8_t *row[FR];
    const float *x[FT];
    for (int i = 0; i < R; i++) row[i] = m->w + (r + i) * m->row_bytes;
    for (int t = 0; t < NT; t++) x[t] = m->x + (t0 + t) * cols;
    __m512 acc[FR][FT];
    for (int i = 0; i < R; i++)
        for (int t = 0; t < NT; t++) acc[i][t] = _mm512_setzero_ps();
    // The R rows are R interleaved streams, which the hardware prefetcher follows poorly: prefetch the next R rows
    // (one contiguous region) a few lines per step.
    const char *pf = (const char *)(m->w + (r + R) * m->row_bytes), *pf_end = pf + R * m->row_bytes;
    if ((const uint8_t *)pf_end > m->w + m->rows * m->row_bytes) pf_end = (const char *)(m->w + m->rows * m->row_bytes);
    const int64_t pf_step = (R * m->row_bytes / (cols / 16 + 1) + 63) / 64 * 64;
    int64_t c = 0;
    for (; c + 16 <= cols; c += 16) {
        for (int64_t o = 0; o < pf_step && pf < pf_end; o += 64, pf += 64) _mm_prefetch(pf, _MM_HINT_T0);
        __m512 w[FR];
        for (int i = 0; i < R; i++) w[i] = wload(row[i], c, 0xffff, TYPE);
        for (int t = 0; t < NT; t++) {
            __m512 xv = _mm512_loadu_ps(x[t] + c);
            for (int i = 0; i < R; i++) acc[i][t] = _mm512_fmadd_ps(w[i], xv, acc[i][t]);
        }
    }
    if (c < cols) {
        const __mmask16 k = (__mmask16)((1u << (cols - c)) - 1);
        __m512 w[FR];
        for (int i = 0; i < R; i++) w[i] = wload(row[i], c, k, TYPE);
        for (int t = 0; t < NT; t++) {
            __m512 xv = _mm512_maskz_loadu_ps(k, x[t] + c);
            for (int i = 0; i < R; i++) acc[i][t] = _mm512_fmadd_ps(w[i], xv, acc[i][t]);
        }
    }
    const __m512 z = _mm512_setzero_ps();
    for (int i = 0; i < R; i++) {
        float s[4];
        _mm_storeu_ps(s, reduce4(acc[i][0], NT > 1 ? acc[i][1] : z, NT > 2 ? acc[i][2] : z, NT > 3 ? acc[i][3] : z));
        for (int t = 0; t < NT; t++) stage[t][r - rc + i] = s[t];
    }
}

/// One token: one row at a time (a single sequential weight stream, which the hardware prefetcher follows best),
/// four accumulators for the FMA latency.
AVX512_INLINE void rows_1(const ferry_mm *m, int64_t rc, int64_t re, int64_t t0, const int TYPE, float (*stage)[CHUNK]) {
    const int64_t cols = m->cols;
    const float *x = m->x + t0 * cols;
    for (int64_t r = rc; r < re; r++) {
        const uint8_t *row = m->w + r * m->row_bytes;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int64_t c = 0;
        for (; c + 64 <= cols; c += 64) {
            a0 = _mm512_fmadd_ps(wload(row, c, 0xffff, TYPE), _mm512_loadu_ps(x + c), a0);
            a1 = _mm512_fmadd_ps(wload(row, c + 16, 0xffff, TYPE), _mm512_loadu_ps(x + c + 16), a1);
            a2 = _mm512_fmadd_ps(wload(row, c + 32, 0xffff, TYPE), _mm512_loadu_ps(x + c + 32), a2);
            a3 = _mm512_fmadd_ps(wload(row, c + 48, 0xffff, TYPE), _mm512_loadu_ps(x + c + 48), a3);
        }
        for (; c < cols; c += 16) {
            const __mmask16 k = cols - c >= 16 ? 0xffff : (__mmask16)((1u << (cols - c)) - 1);
            a0 = _mm512_fmadd_ps(wload(row, c, k, TYPE), _mm512_maskz_loadu_ps(k, x + c), a0);
        }
        stage[0][r - rc] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    }
}

AVX512_INLINE void rows_nt(const ferry_mm *m, int64_t rc, int64_t re, int64_t t0, const int NT, const int TYPE,
                           float (*stage)[CHUNK]) {
    int64_t r = rc;
    for (; r + FR <= re; r += FR) f_tile(m, r, FR, t0, NT, TYPE, stage, rc);
    for (; r < re; r++) f_tile(m, r, 1, t0, NT, TYPE, stage, rc);
}

AVX512_INLINE void f_kernel(const ferry_mm *m, int64_t r0, int64_t r1, const int TYPE) {
    _Alignas(64) float stage[FT][CHUNK];
    for (int64_t rc = r0; rc < r1; rc += CHUNK) {
        const int64_t re = rc + CHUNK < r1 ? rc + CHUNK : r1;
        const __mmask16 k = (__mmask16)((1u << (re - rc)) - 1);
        for (int64_t t0 = 0; t0 < m->num_tokens; t0 += FT) {
            const int nt = m->num_tokens - t0 < FT ? (int)(m->num_tokens - t0) : FT;
            switch (nt) {
            case 4: rows_nt(m, rc, re, t0, 4, TYPE, stage); break;
            case 3: rows_nt(m, rc, re, t0, 3, TYPE, stage); break;
            case 2: rows_nt(m, rc, re, t0, 2, TYPE, stage); break;
            default: rows_1(m, rc, re, t0, TYPE, stage); break;
            }
            for (int t = 0; t < nt; t++) _mm512_mask_storeu_ps(m->y + (t0 + t) * m->rows + rc, k, _mm512_load_ps(stage[t]));
        }
    }
}

static AVX512 void kernel_f32(const ferry_mm *m, int64_t r0, int64_t r1) { f_kernel(m, r0, r1, FERRY_CPU_F32); }
static AVX512 void kernel_f16(const ferry_mm *m, int64_t r0, int64_t r1) { f_kernel(m, r0, r1, FERRY_CPU_F16); }
static AVX512 void kernel_bf16(const ferry_mm *m, int64_t r0, int64_t r1) { f_kernel(m, r0, r1, FERRY_CPU_BF16); }

ferry_mm_kernel ferry_avx512_float_kernel(int type) {
    switch (type) {
    case FERRY_CPU_F32: return kernel_f32;
    case FERRY_CPU_F16: return kernel_f16;
    case FERRY_CPU_BF16: return kernel_bf16;
    default: return NULL;
    }
}

#else

ferry_mm_kernel ferry_avx512_float_kernel(int type) {
    (void)type;
    return NULL;
}

#endif
