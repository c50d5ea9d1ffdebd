// SPDX-License-Identifier: Apache-2.0
// The AVX-512 level (F/BW/VL/VNNI/VBMI; x86-64 only, chosen at run time): the plan, activation quantization, and the
// "grouped" kernel for quantized weights and up to 8 tokens at a time (one token is the decode case: it streams the
// weights at ~95% of DRAM bandwidth). Batches of 16 tokens: quant_avx512_wide.c; float weights: quant_avx512_float.c.
//
// Quantized weights are consumed in groups of 8 blocks (256 weights). A group is rearranged in registers (VBMI byte
// permutes) into four vectors W0..W3 where 32-bit lanes 2j and 2j+1 hold weights of block j: W0 weights 0..7 of every
// block, W1 8..15, W2 16..23, W3 24..31. The activations are quantized once per call into the same arrangement, so
// four vpdpbusd leave each block's integer dot product in two lanes, and one convert + one multiply-add applies the
// per-block scales d_w * d_x to 8 blocks at once. The rearrangement is done once per weight row and token tile and
// reused for every token of the tile.
//
// Activation layout, per token, per group of 8 blocks (384 bytes, zero for blocks past the row's end):
//   [0, 256)   A0..A3: q of block j, bytes 8k..8k+7 at A_k + 8j (int8)
//   [256, 320) float d_x of block j in lanes 2j and 2j+1
//   [320, 384) Q4_1: float s_x = d_x * sum(q) in lane 2j (lane 2j+1 zero)
//              Q4_0 / Q8_0: int32 correction -8 * sum(q) / -128 * sum(q) in lane 2j: Q4_0 nibbles and Q8_0 bytes
//              biased by +128 are unsigned (vpdpbusd's unsigned operand), and the correction makes the sum exact.
#include "ferry_cpu_quant.h"
#include "ferry_cpu_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <pthread.h>
#include "quant_avx512_group.h"

#define GROUP_ACT_BYTES 384
#define ROW_CHUNK 16  // rows per chunk (the stage holds a chunk per token)
#define PREFETCH_AHEAD 8192

// MARK: - Byte-gather tables

static group_tables g_tables[3];  // Q4_0, Q4_1, Q8_0
static pthread_once_t g_tables_once = PTHREAD_ONCE_INIT;

static void set_lane(gather_spec *g, int lane, int64_t src, int64_t group_bytes) {
    if (src < 128) {
        g->idx[lane] = (uint8_t)src;
    } else if (group_bytes > 256 && src < 256) {
        g->idx[lane] = (uint8_t)(src - 128);
        g->from_w1 |= 1ull << lane;
    } else {  // the last 64 bytes of the group (every source past 128 for Q4, past 256 for Q8_0)
        g->idx[lane] = (uint8_t)(src - (group_bytes - 64));
        g->from_w2 |= 1ull << lane;
    }
}

static void build_tables(void) {
    const int types[3] = {FERRY_CPU_Q4_0, FERRY_CPU_Q4_1, FERRY_CPU_Q8_0};
    for (int ti = 0; ti < 3; ti++) {
        int type = types[ti];
        group_tables *t = &g_tables[ti];
        memset(t, 0, sizeof *t);
        int64_t bb = type == FERRY_CPU_Q4_0 ? 18 : type == FERRY_CPU_Q4_1 ? 20 : 34;
        int64_t qoff = type == FERRY_CPU_Q4_1 ? 4 : 2;
        t->block_bytes = bb;
        t->group_bytes = 8 * bb;
        int nout = type == FERRY_CPU_Q8_0 ? 4 : 2;
        for (int k = 0; k < nout; k++)
            for (int lane = 0; lane < 64; lane++)
                set_lane(&t->out[k], lane, bb * (lane / 8) + qoff + 8 * k + lane % 8, t->group_bytes);
        for (int lane = 0; lane < 64; lane++) {
            int half = lane / 2 % 16, which = lane / 32;  // which 0: d, 1: m
            set_lane(&t->halves, lane, bb * (half / 2) + 2 * which + lane % 2, t->group_bytes);
        }
    }
}

const group_tables *ferry_avx512_group_tables(int type) {
    pthread_once(&g_tables_once, build_tables);
    return &g_tables[type == FERRY_CPU_Q4_0 ? 0 : type == FERRY_CPU_Q4_1 ? 1 : 2];
}

AVX512_INLINE void consume(__m512 *acc, const wgroup *wg, const uint8_t *a, const int TYPE) {
    __m512i s = TYPE == FERRY_CPU_Q4_1 ? _mm512_setzero_si512() : _mm512_load_si512(a + 320);
    s = _mm512_dpbusd_epi32(s, wg->w[0], _mm512_load_si512(a));
    s = _mm512_dpbusd_epi32(s, wg->w[1], _mm512_load_si512(a + 64));
    s = _mm512_dpbusd_epi32(s, wg->w[2], _mm512_load_si512(a + 128));
    s = _mm512_dpbusd_epi32(s, wg->w[3], _mm512_load_si512(a + 192));
    __m512 scale = _mm512_mul_ps(wg->d, _mm512_load_ps((const float *)(a + 256)));
    *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, *acc);
    if (TYPE == FERRY_CPU_Q4_1) *acc = _mm512_fmadd_ps(wg->m, _mm512_load_ps((const float *)(a + 320)), *acc);
}

#define TILE 8

/// Rows [r0, r1) (at most ROW_CHUNK) against tokens [t0, t0 + NT); results go to stage[t][r - r0].
AVX512_INLINE void q_tile(const ferry_mm *m, const gather_regs *g, int64_t r0, int64_t r1, int64_t t0, const int NT,
                          const int TYPE, float (*stage)[ROW_CHUNK]) {
    const int64_t bb = TYPE == FERRY_CPU_Q4_0 ? 18 : TYPE == FERRY_CPU_Q4_1 ? 20 : 34;
    const int64_t nb = m->cols / 32, full = nb / 8, tail_bytes = (nb % 8) * bb;
    const uint8_t *act = m->act + t0 * m->act_stride;
    const int64_t stride = m->act_stride;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = m->w + r * m->row_bytes;
        // The hardware prefetcher alone leaves one token at ~75% of DRAM bandwidth; running PREFETCH_AHEAD bytes
        // ahead of the weight stream brings it to ~95%.
        for (int64_t o = 0; o < m->row_bytes; o += 64) _mm_prefetch((const char *)row + PREFETCH_AHEAD + o, _MM_HINT_T0);
        __m512 acc[TILE];
        for (int t = 0; t < NT; t++) acc[t] = _mm512_setzero_ps();
        wgroup wg;
        int64_t gi = 0;
        for (; gi < full; gi++) {
            prep_group(&wg, g, row + gi * 8 * bb, 8 * bb, TYPE, 1);
            for (int t = 0; t < NT; t++) consume(&acc[t], &wg, act + t * stride + gi * GROUP_ACT_BYTES, TYPE);
        }
        if (tail_bytes) {
            prep_group(&wg, g, row + gi * 8 * bb, tail_bytes, TYPE, 0);
            for (int t = 0; t < NT; t++) consume(&acc[t], &wg, act + t * stride + gi * GROUP_ACT_BYTES, TYPE);
        }
        for (int t = 0; t < NT; t++) stage[t][r - r0] = _mm512_reduce_add_ps(acc[t]);
    }
}

/// Row chunks outside, token tiles inside: a chunk of weight rows stays in L1/L2 while every token tile passes.
/// Results are staged so that y is written a row chunk (64 bytes) at a time per token: scalar stores with a stride
/// of `rows` floats alias in L1 when rows is a multiple of 1024 (lm_head: 49152).
AVX512_INLINE void q_kernel(const ferry_mm *m, int64_t r0, int64_t r1, const int TYPE) {
    gather_regs g;
    load_gather_regs(&g, TYPE);
    if (m->wide_tokens < m->num_tokens) ferry_prefetch_rows(m, r0, r1, PREFETCH_AHEAD);
    _Alignas(64) float stage[TILE][ROW_CHUNK];
    for (int64_t rc = r0; rc < r1; rc += ROW_CHUNK) {
        int64_t re = rc + ROW_CHUNK < r1 ? rc + ROW_CHUNK : r1, t = m->wide_tokens;
        if (t > 0) ferry_avx512_wide_rows(m, rc, re);
        for (; t < m->num_tokens; t += TILE) {
            int nt = m->num_tokens - t < TILE ? (int)(m->num_tokens - t) : TILE;
            switch (nt) {
            case 8: q_tile(m, &g, rc, re, t, 8, TYPE, stage); break;
            case 7: q_tile(m, &g, rc, re, t, 7, TYPE, stage); break;
            case 6: q_tile(m, &g, rc, re, t, 6, TYPE, stage); break;
            case 5: q_tile(m, &g, rc, re, t, 5, TYPE, stage); break;
            case 4: q_tile(m, &g, rc, re, t, 4, TYPE, stage); break;
            case 3: q_tile(m, &g, rc, re, t, 3, TYPE, stage); break;
            case 2: q_tile(m, &g, rc, re, t, 2, TYPE, stage); break;
            default: q_tile(m, &g, rc, re, t, 1, TYPE, stage); break;
            }
            __mmask16 k = (__mmask16)((1u << (re - rc)) - 1);
            for (int i = 0; i < nt; i++) _mm512_mask_storeu_ps(m->y + (t + i) * m->rows + rc, k, _mm512_load_ps(stage[i]));
        }
    }
}

static AVX512 void kernel_q8_0(const ferry_mm *m, int64_t r0, int64_t r1) { q_kernel(m, r0, r1, FERRY_CPU_Q8_0); }
static AVX512 void kernel_q4_0(const ferry_mm *m, int64_t r0, int64_t r1) { q_kernel(m, r0, r1, FERRY_CPU_Q4_0); }
static AVX512 void kernel_q4_1(const ferry_mm *m, int64_t r0, int64_t r1) { q_kernel(m, r0, r1, FERRY_CPU_Q4_1); }

// MARK: - Activations

AVX512_INLINE void quantize_grouped(const ferry_mm *m, int64_t t0, int64_t t1, const int TYPE) {
    const int64_t nb = m->cols / 32, groups = (nb + 7) / 8;
    for (int64_t t = t0; t < t1; t++) {
        const float *x = m->x + t * m->cols;
        uint8_t *tok = (uint8_t *)m->act + t * m->act_stride;
        if (nb % 8) memset(tok + (groups - 1) * GROUP_ACT_BYTES, 0, GROUP_ACT_BYTES);
        for (int64_t b = 0; b < nb; b++, x += 32) {
            uint8_t *grp = tok + (b / 8) * GROUP_ACT_BYTES;
            int j = (int)(b % 8);
            __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
            float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
            float d = amax / 127.0f, idf = d != 0.0f ? 1.0f / d : 0.0f;
            __m512 id = _mm512_set1_ps(idf);
            __m512i i0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, id)), i1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, id));
            int sum = _mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1));
            __m128i q0 = _mm512_cvtepi32_epi8(i0), q1 = _mm512_cvtepi32_epi8(i1);
            _mm_storel_epi64((__m128i *)(grp + 8 * j), q0);
            _mm_storel_epi64((__m128i *)(grp + 64 + 8 * j), _mm_unpackhi_epi64(q0, q0));
            _mm_storel_epi64((__m128i *)(grp + 128 + 8 * j), q1);
            _mm_storel_epi64((__m128i *)(grp + 192 + 8 * j), _mm_unpackhi_epi64(q1, q1));
            float *dp = (float *)(grp + 256);
            dp[2 * j] = dp[2 * j + 1] = d;
            if (TYPE == FERRY_CPU_Q4_1) {
                float *sp = (float *)(grp + 320);
                sp[2 * j] = d * (float)sum;
                sp[2 * j + 1] = 0.0f;
            } else {
                int32_t *cp = (int32_t *)(grp + 320);
                cp[2 * j] = (TYPE == FERRY_CPU_Q4_0 ? -8 : -128) * sum;
                cp[2 * j + 1] = 0;
            }
        }
    }
}

static AVX512 void quantize_q4_0(const ferry_mm *m, int part, int parts) {
    int64_t t0, t1;
    ferry_cpu_split_range(m->num_tokens - m->wide_tokens, 1, part, parts, &t0, &t1);
    quantize_grouped(m, m->wide_tokens + t0, m->wide_tokens + t1, FERRY_CPU_Q4_0);
    if (m->wide_tokens) ferry_avx512_wide_quantize(m, part, parts);
}
static AVX512 void quantize_q4_1(const ferry_mm *m, int part, int parts) {
    int64_t t0, t1;
    ferry_cpu_split_range(m->num_tokens - m->wide_tokens, 1, part, parts, &t0, &t1);
    quantize_grouped(m, m->wide_tokens + t0, m->wide_tokens + t1, FERRY_CPU_Q4_1);
    if (m->wide_tokens) ferry_avx512_wide_quantize(m, part, parts);
}
static AVX512 void quantize_q8_0(const ferry_mm *m, int part, int parts) {
    int64_t t0, t1;
    ferry_cpu_split_range(m->num_tokens - m->wide_tokens, 1, part, parts, &t0, &t1);
    quantize_grouped(m, m->wide_tokens + t0, m->wide_tokens + t1, FERRY_CPU_Q8_0);
    if (m->wide_tokens) ferry_avx512_wide_quantize(m, part, parts);
}


/// Batches of 16 tokens go "tokens in lanes" (quant_avx512_wide.c); a remainder of at least WIDE_MIN_REMAINDER tokens
/// goes there too (in a tile padded to 16: 9 tokens that way cost about what 16 do, and less than 8 + 1 through the
/// grouped kernel), a smaller one through the grouped kernel.
#define WIDE_MIN_REMAINDER 9

int ferry_plan_avx512(int type, int64_t cols, int64_t num_tokens, ferry_mm_plan *plan) {
    plan->act_stride = (cols / 32 + 7) / 8 * GROUP_ACT_BYTES;
    plan->wide_tokens = num_tokens % 16 >= WIDE_MIN_REMAINDER ? num_tokens : num_tokens / 16 * 16;
    plan->wide_tile_bytes = ferry_avx512_wide_tile_bytes(cols);
    switch (type) {
    case FERRY_CPU_Q8_0: plan->kernel = kernel_q8_0; plan->quantize = quantize_q8_0; return 1;
    case FERRY_CPU_Q4_0: plan->kernel = kernel_q4_0; plan->quantize = quantize_q4_0; return 1;
    case FERRY_CPU_Q4_1: plan->kernel = kernel_q4_1; plan->quantize = quantize_q4_1; return 1;
    default: break;
    }
    plan->quantize = NULL;
    plan->act_stride = 0;
    plan->wide_tokens = plan->wide_tile_bytes = 0;
    plan->kernel = ferry_avx512_float_kernel(type);
    return plan->kernel != NULL;
}

#else  // not x86-64

int ferry_plan_avx512(int type, int64_t cols, int64_t num_tokens, ferry_mm_plan *plan) {
    (void)type, (void)cols, (void)num_tokens, (void)plan;
    return 0;
}

#endif
