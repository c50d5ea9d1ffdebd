// SPDX-License-Identifier: Apache-2.0
// Private to the AVX-512 level: rearranging a group of 8 quantized blocks (see quant_avx512.c) into four vectors whose
// 32-bit lanes 2j and 2j+1 hold block j's weights 0..7 (W0), 8..15 (W1), 16..23 (W2), 24..31 (W3), plus f16 scales
// widened to one float per lane pair. Shared by the grouped kernel and the tokens-in-lanes kernel.
#ifndef FERRY_QUANT_AVX512_GROUP_H
#define FERRY_QUANT_AVX512_GROUP_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#include "ferry_cpu_quant.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx2,fma,f16c")))
#define AVX512_INLINE \
    static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx2,fma,f16c")))

// MARK: - Byte-gather tables

/// How to pick the bytes of one output vector out of a group of 8 blocks: windows [0,128) (two-table permute),
/// [128,256) (two-table permute, Q8_0 only) and [gbytes-64, gbytes) (one-table permute); `idx` holds each lane's
/// source offset within its window.
typedef struct {
    uint8_t idx[64];
    uint64_t from_w1, from_w2;
} gather_spec;

typedef struct {
    int64_t block_bytes, group_bytes;
    gather_spec out[4];  // Q4: nibble bytes 0..7 and 8..15 of each block; Q8_0: W0..W3
    gather_spec halves;  // f16 d per lane pair (bytes 0..31), Q4_1: f16 m per lane pair (bytes 32..63)
} group_tables;

/// The tables for Q4_0, Q4_1 or Q8_0 (built once, thread-safely).
const group_tables *ferry_avx512_group_tables(int type);

// MARK: - Weight group preparation

typedef struct {
    __m512i w[4];
    __m512 d, m;
} wgroup;

typedef struct {
    __m512i idx[5];
    __mmask64 w1[5], w2[5];
} gather_regs;

AVX512_INLINE __m512i load_window(const uint8_t *p, int64_t off, int64_t n, const int FULL) {
    if (FULL) return _mm512_loadu_si512(p + off);
    if (off >= n) return _mm512_setzero_si512();
    int64_t k = n - off;
    __mmask64 mask = k >= 64 ? ~0ull : (1ull << k) - 1;
    return _mm512_maskz_loadu_epi8(mask, p + off);
}

AVX512_INLINE __m512i pick(const gather_regs *g, int o, __m512i a0, __m512i a1, __m512i b0, __m512i b1, __m512i c,
                           const int Q8) {
    __m512i r = _mm512_permutex2var_epi8(a0, g->idx[o], a1);
    if (Q8) r = _mm512_mask_blend_epi8(g->w1[o], r, _mm512_permutex2var_epi8(b0, g->idx[o], b1));
    return _mm512_mask_permutexvar_epi8(r, g->w2[o], g->idx[o], c);
}

/// Rearranges the group at p (n valid bytes when !FULL) into W0..W3 and the scale vectors.
AVX512_INLINE void prep_group(wgroup *wg, const gather_regs *g, const uint8_t *p, int64_t n, const int TYPE,
                              const int FULL) {
    const int Q8 = TYPE == FERRY_CPU_Q8_0;
    const int64_t gb = TYPE == FERRY_CPU_Q4_0 ? 144 : TYPE == FERRY_CPU_Q4_1 ? 160 : 272;
    __m512i a0 = load_window(p, 0, n, FULL), a1 = load_window(p, 64, n, FULL);
    __m512i b0 = _mm512_setzero_si512(), b1 = _mm512_setzero_si512();
    if (Q8) {
        b0 = load_window(p, 128, n, FULL);
        b1 = load_window(p, 192, n, FULL);
    }
    __m512i c = load_window(p, gb - 64, n, FULL);
    __m512i h = pick(g, 4, a0, a1, b0, b1, c, Q8);
    wg->d = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
    if (TYPE == FERRY_CPU_Q4_1) wg->m = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
    if (Q8) {
        const __m512i bias = _mm512_set1_epi8((char)0x80);
        for (int k = 0; k < 4; k++) wg->w[k] = _mm512_xor_si512(pick(g, k, a0, a1, b0, b1, c, 1), bias);
    } else {
        const __m512i lo = _mm512_set1_epi8(0x0f);
        __m512i na = pick(g, 0, a0, a1, b0, b1, c, 0), nb = pick(g, 1, a0, a1, b0, b1, c, 0);
        wg->w[0] = _mm512_and_si512(na, lo);
        wg->w[1] = _mm512_and_si512(nb, lo);
        wg->w[2] = _mm512_and_si512(_mm512_srli_epi16(na, 4), lo);
        wg->w[3] = _mm512_and_si512(_mm512_srli_epi16(nb, 4), lo);
    }
}

AVX512_INLINE void load_gather_regs(gather_regs *g, int type) {
    const group_tables *tb = ferry_avx512_group_tables(type);
    for (int o = 0; o < 5; o++) {
        const gather_spec *s = o < 4 ? &tb->out[o] : &tb->halves;
        g->idx[o] = _mm512_loadu_si512(s->idx);
        g->w1[o] = s->from_w1;
        g->w2[o] = s->from_w2;
    }
}

#endif
#endif
