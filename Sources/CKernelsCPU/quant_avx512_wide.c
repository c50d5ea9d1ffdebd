// SPDX-License-Identifier: Apache-2.0
// The AVX-512 kernel for batches: "tokens in lanes", 16 tokens per vector.
//
// For batches of 16 tokens, lane t of every vector belongs to token t, so no horizontal sums are needed and each
// vpdpbusd is fully used: for block b and 4-byte chunk k, the activation vector A[b][k] holds bytes 4k..4k+3 of the
// 16 tokens' quantized block, and the weight operand is the matching 4 bytes of one weight row broadcast to every
// lane. Eight vpdpbusd give the block's 16 integer dot products, one convert + one multiply-add scales them by
// d_w * d_x (a second multiply-add adds Q4_1's m * s_x). Four weight rows are done together so that each activation
// vector loaded serves four rows. The weights are copied a group of 8 blocks at a time, one group ahead of use, into
// a small double buffer (Q4 nibbles split into bytes, Q8_0 biased by +128 so that the weights can be vpdpbusd's
// unsigned operand); row chunks of 16 are the outer loop, so a chunk is read from memory once for all tiles.
// On this machine (2 zmm vector ops per cycle) a block of 4 rows x 16 tokens takes ~35 cycles, ~75% of that limit.
//
// Activation tile layout, per block (640 bytes): [64 k, 64 k + 64) A[b][k] (int8, token t at 4 t), k = 0..7;
// [512, 576) float d_x per token; [576, 640) Q4_1: float s_x = d_x * sum(q) per token; Q4_0 / Q8_0: int32
// correction -8 * sum(q) / -128 * sum(q) per token (Q4_0's unsigned nibbles are w / d + 8, Q8_0's biased bytes
// w / d + 128). Padding tokens are all zero.
#include "ferry_cpu_quant.h"
#include "ferry_cpu_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "quant_avx512_group.h"

#define BLOCK_BYTES 640
#define ROWS 4          // weight rows per pass
#define STAGE_ROWS 16   // rows per call (the caller's row chunk)
#define STAGE_TILES 4   // tiles of 16 tokens per pass over the rows
#define HI 192          // copy_group's layout
#define SCALES 384
#define WBYTES 512

int64_t ferry_avx512_wide_tile_bytes(int64_t cols) { return cols / 32 * BLOCK_BYTES; }

// MARK: - Activations

/// Quantizes blocks [b0, b1) of token t into its lane of its tile.
AVX512_INLINE void quantize_token(const ferry_mm *m, int64_t t, int64_t b0, int64_t b1) {
    const int lane = (int)(t % 16);
    uint8_t *tile = (uint8_t *)m->wide + t / 16 * m->wide_tile_bytes;
    const float *x = m->x + t * m->cols + 32 * b0;
    for (int64_t b = b0; b < b1; b++, x += 32) {
        uint8_t *blk = tile + b * BLOCK_BYTES;
        __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
        float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        float d = amax / 127.0f, idf = d != 0.0f ? 1.0f / d : 0.0f;
        __m512 id = _mm512_set1_ps(idf);
        __m512i i0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, id)), i1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, id));
        int sum = _mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1));
        int32_t q[8];
        _mm_storeu_si128((__m128i *)q, _mm512_cvtepi32_epi8(i0));
        _mm_storeu_si128((__m128i *)(q + 4), _mm512_cvtepi32_epi8(i1));
        for (int k = 0; k < 8; k++) memcpy(blk + 64 * k + 4 * lane, &q[k], 4);
        memcpy(blk + 512 + 4 * lane, &d, 4);
        if (m->type == FERRY_CPU_Q4_1) {
            float s = d * (float)sum;
            memcpy(blk + 576 + 4 * lane, &s, 4);
        } else {
            int32_t c = (m->type == FERRY_CPU_Q4_0 ? -8 : -128) * sum;
            memcpy(blk + 576 + 4 * lane, &c, 4);
        }
    }
}

/// Blocks [b0, b1) of the 16 tokens of a full tile at once: the same arithmetic as quantize_token, ~4x faster (one
/// transposed max over the 16 tokens instead of 16 horizontal ones, and the bytes transposed in registers).
AVX512_INLINE void quantize_tile16(const ferry_mm *m, int64_t tile, int64_t b0, int64_t b1) {
    static const int32_t net[6][16] = {  // a vpermt2d network: z[p] (tokens 2p, 2p+1 packed) -> A[k] (lane = token)
        {0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30},
        {1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31},
        {0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27},
        {4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31},
        {0, 2, 1, 3, 4, 6, 5, 7, 16, 18, 17, 19, 20, 22, 21, 23},
        {8, 10, 9, 11, 12, 14, 13, 15, 24, 26, 25, 27, 28, 30, 29, 31},
    };
    static const int chunk_of_reg[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    const int64_t cols = m->cols;
    const float *x0 = m->x + tile * 16 * cols;
    uint8_t *base = (uint8_t *)m->wide + tile * m->wide_tile_bytes;
    const __m512i ones = _mm512_set1_epi8(1);
    for (int64_t b = b0; b < b1; b++) {
        const float *xb = x0 + 32 * b;
        uint8_t *blk = base + b * BLOCK_BYTES;
        // amax per token: 16 vectors of partial maxima, reduced in a transposing tree (lane l ends up holding token
        // 4 (l % 4) + l / 4, undone by the final permute).
        __m512 c[8], e[4], f[2];
        for (int i = 0; i < 8; i++) {
            const float *xa = xb + 2 * i * cols, *xc = xa + cols;
            __m512 mx = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xa)), _mm512_abs_ps(_mm512_loadu_ps(xa + 16)));
            __m512 my = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xc)), _mm512_abs_ps(_mm512_loadu_ps(xc + 16)));
            c[i] = _mm512_max_ps(_mm512_shuffle_f32x4(mx, my, 0x44), _mm512_shuffle_f32x4(mx, my, 0xEE));
        }
        for (int i = 0; i < 4; i++)
            e[i] = _mm512_max_ps(_mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], 0x88),
                                 _mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], 0xDD));
        for (int i = 0; i < 2; i++)
            f[i] = _mm512_max_ps(_mm512_unpacklo_ps(e[2 * i], e[2 * i + 1]), _mm512_unpackhi_ps(e[2 * i], e[2 * i + 1]));
        __m512 g = _mm512_max_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(f[0]), _mm512_castps_pd(f[1]))),
                                 _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(f[0]), _mm512_castps_pd(f[1]))));
        __m512 amax = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), g);
        __m512 d = _mm512_div_ps(amax, _mm512_set1_ps(127.0f));
        __m512 id = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(d, _mm512_setzero_ps(), _CMP_NEQ_OQ), _mm512_set1_ps(1.0f), d);
        _Alignas(64) float ids[16];
        _mm512_store_ps(ids, id);
        _mm512_store_ps((float *)(blk + 512), d);
        // q, packed two tokens per vector: lane j holds token 2p's chunks j and 4 + j, then token 2p + 1's.
        __m512i z[8];
        for (int p = 0; p < 8; p++) {
            const float *xa = xb + 2 * p * cols, *xc = xa + cols;
            __m512 ia = _mm512_set1_ps(ids[2 * p]), ic = _mm512_set1_ps(ids[2 * p + 1]);
            __m512i qa = _mm512_packs_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xa), ia)),
                                            _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xa + 16), ia)));
            __m512i qc = _mm512_packs_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xc), ic)),
                                            _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xc + 16), ic)));
            z[p] = _mm512_packs_epi16(qa, qc);
        }
        for (int s = 0; s < 3; s++) {
            const int bit = 1 << s;
            const __m512i i0 = _mm512_loadu_si512(net[2 * s]), i1 = _mm512_loadu_si512(net[2 * s + 1]);
            for (int r = 0; r < 8; r++) {
                if (r & bit) continue;
                __m512i lo = z[r], hi = z[r | bit];
                z[r] = _mm512_permutex2var_epi32(lo, i0, hi);
                z[r | bit] = _mm512_permutex2var_epi32(lo, i1, hi);
            }
        }
        __m512i sum = _mm512_setzero_si512();
        for (int r = 0; r < 8; r++) {
            _mm512_store_si512(blk + 64 * chunk_of_reg[r], z[r]);
            sum = _mm512_dpbusd_epi32(sum, ones, z[r]);
        }
        if (m->type == FERRY_CPU_Q4_1)
            _mm512_store_ps((float *)(blk + 576), _mm512_mul_ps(d, _mm512_cvtepi32_ps(sum)));
        else
            _mm512_store_si512(blk + 576, _mm512_mullo_epi32(sum, _mm512_set1_epi32(m->type == FERRY_CPU_Q4_0 ? -8 : -128)));
    }
}

/// Work is split in units of (tile, 8 blocks), so that threads never write the same cache line.
AVX512 void ferry_avx512_wide_quantize(const ferry_mm *m, int part, int parts) {
    const int64_t nb = m->cols / 32, chunks = (nb + 7) / 8, tiles = (m->wide_tokens + 15) / 16;
    int64_t u0, u1;
    ferry_cpu_split_range(tiles * chunks, 1, part, parts, &u0, &u1);
    for (int64_t u = u0; u < u1; u++) {
        const int64_t tile = u / chunks, b0 = u % chunks * 8, b1 = b0 + 8 < nb ? b0 + 8 : nb;
        const int64_t t_end = (tile + 1) * 16 < m->wide_tokens ? (tile + 1) * 16 : m->wide_tokens;
        if (t_end - tile * 16 == 16) {
            quantize_tile16(m, tile, b0, b1);
            continue;
        }
        for (int64_t t = tile * 16; t < t_end; t++) quantize_token(m, t, b0, b1);
        if (t_end - tile * 16 < 16) {  // zero the padding lanes
            uint8_t *base = (uint8_t *)m->wide + tile * m->wide_tile_bytes;
            const int l0 = (int)(t_end - tile * 16);
            for (int64_t b = b0; b < b1; b++)
                for (int k = 0; k < 10; k++) memset(base + b * BLOCK_BYTES + 64 * k + 4 * l0, 0, (size_t)(4 * (16 - l0)));
        }
    }
}

// MARK: - Kernel

/// One block (8 vpdpbusd per row) of R rows, for one tile. `w[i]` holds the group of row i as copy_group left it.
AVX512_INLINE void block_R(__m512 *acc, uint8_t (*w)[WBYTES], int j, const uint8_t *at, const int R, const int TYPE) {
    const int Q4_BB = TYPE == FERRY_CPU_Q4_1 ? 20 : 18, Q4_QOFF = TYPE == FERRY_CPU_Q4_1 ? 4 : 2;
    __m512i s[ROWS];
    for (int i = 0; i < R; i++) s[i] = TYPE == FERRY_CPU_Q4_1 ? _mm512_setzero_si512() : _mm512_load_si512(at + 576);
    for (int k = 0; k < 8; k++) {
        __m512i a = _mm512_load_si512(at + 64 * k);
        for (int i = 0; i < R; i++) {
            int32_t v;
            if (TYPE == FERRY_CPU_Q8_0) memcpy(&v, w[i] + 34 * j + 2 + 4 * k, 4);
            else memcpy(&v, w[i] + (k < 4 ? 0 : HI) + Q4_BB * j + Q4_QOFF + 4 * (k % 4), 4);
            s[i] = _mm512_dpbusd_epi32(s[i], _mm512_set1_epi32(v), a);
        }
    }
    __m512 dx = _mm512_load_ps((const float *)(at + 512));
    for (int i = 0; i < R; i++) {
        const float *d = (const float *)(w[i] + (TYPE == FERRY_CPU_Q8_0 ? 320 : SCALES));
        acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[i]), _mm512_mul_ps(dx, _mm512_set1_ps(d[2 * j])), acc[i]);
    }
    if (TYPE == FERRY_CPU_Q4_1) {
        __m512 sx = _mm512_load_ps((const float *)(at + 576));
        for (int i = 0; i < R; i++) {
            const float *mm = (const float *)(w[i] + SCALES + 64);
            acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(mm[2 * j]), sx, acc[i]);
        }
    }
}

/// This kernel needs each block's 32 weights as unsigned bytes, 4 at a time, and d (and m) as floats; no byte
/// rearranging. So a group of 8 blocks is copied in place: Q8_0 biased by +128 (block j's bytes 4k..4k+3 at
/// 34j + 2 + 4k; the f16 scales get flipped too but are not read there), Q4 as two copies of the raw bytes, low
/// nibbles at 0 and high nibbles at HI (block j's weights 4k..4k+3 at bb j + qoff + 4k, k < 4, and at HI + ...
/// for weights 16 + 4k..); the scales widened to floats at SCALES (Q8_0: 320) with block j's d in lane 2j, m 64 bytes on.
AVX512_INLINE void copy_group(uint8_t *dst, const gather_regs *gr, const uint8_t *p, int64_t n, const int TYPE,
                              const int FULL) {
    const int64_t gb = TYPE == FERRY_CPU_Q4_0 ? 144 : TYPE == FERRY_CPU_Q4_1 ? 160 : 272;
    if (TYPE == FERRY_CPU_Q8_0) {
        const __m512i bias = _mm512_set1_epi8((char)0x80);
        __m512i a0 = load_window(p, 0, n, FULL), a1 = load_window(p, 64, n, FULL);
        __m512i b0 = load_window(p, 128, n, FULL), b1 = load_window(p, 192, n, FULL);
        __m512i c = load_window(p, gb - 64, n, FULL);
        _mm512_store_si512(dst, _mm512_xor_si512(a0, bias));
        _mm512_store_si512(dst + 64, _mm512_xor_si512(a1, bias));
        _mm512_store_si512(dst + 128, _mm512_xor_si512(b0, bias));
        _mm512_store_si512(dst + 192, _mm512_xor_si512(b1, bias));
        _mm512_storeu_si512(dst + gb - 64, _mm512_xor_si512(c, bias));
        __m512i h = pick(gr, 4, a0, a1, b0, b1, c, 1);
        _mm512_store_ps(dst + 320, _mm512_cvtph_ps(_mm512_castsi512_si256(h)));
    } else {
        const __m512i lo = _mm512_set1_epi8(0x0f);
        __m512i a0 = load_window(p, 0, n, FULL), a1 = load_window(p, 64, n, FULL);
        __m512i c = load_window(p, gb - 64, n, FULL);
        _mm512_store_si512(dst, _mm512_and_si512(a0, lo));
        _mm512_store_si512(dst + 64, _mm512_and_si512(a1, lo));
        _mm512_storeu_si512(dst + gb - 64, _mm512_and_si512(c, lo));
        _mm512_store_si512(dst + HI, _mm512_and_si512(_mm512_srli_epi16(a0, 4), lo));
        _mm512_store_si512(dst + HI + 64, _mm512_and_si512(_mm512_srli_epi16(a1, 4), lo));
        _mm512_storeu_si512(dst + HI + gb - 64, _mm512_and_si512(_mm512_srli_epi16(c, 4), lo));
        __m512i h = pick(gr, 4, a0, a1, a0, a1, c, 0);
        _mm512_store_ps(dst + SCALES, _mm512_cvtph_ps(_mm512_castsi512_si256(h)));
        if (TYPE == FERRY_CPU_Q4_1) _mm512_store_ps(dst + SCALES + 64, _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1)));
    }
}

/// Copies group g of rows row..row+R-1 into w.
AVX512_INLINE void prep_rows(const ferry_mm *m, const gather_regs *gr, uint8_t (*w)[WBYTES], const uint8_t *row,
                             int64_t g, int64_t nb, const int R, const int TYPE) {
    const int64_t bb = TYPE == FERRY_CPU_Q4_0 ? 18 : TYPE == FERRY_CPU_Q4_1 ? 20 : 34;
    const int64_t n = nb - 8 * g < 8 ? nb - 8 * g : 8;
    for (int i = 0; i < R; i++) {
        const uint8_t *p = row + i * m->row_bytes + 8 * g * bb;
        if (n == 8) copy_group(w[i], gr, p, 8 * bb, TYPE, 1);
        else copy_group(w[i], gr, p, n * bb, TYPE, 0);
    }
}

/// Rows r..r+R-1 against tiles [tile0, tile1); results go to stage[(tile - tile0) * 16 + lane][r - r0]. Each group
/// of 8 blocks is rearranged (for the R rows) just before use, so the weight stream is read a little at a time
/// between the dot products, and the matching share of the next rows is prefetched.
AVX512_INLINE void rows_R(const ferry_mm *m, const gather_regs *gr, int64_t r, const int R, int64_t tile0,
                          int64_t tile1, float (*stage)[STAGE_ROWS], int64_t r0, const int TYPE) {
    const int64_t bb = TYPE == FERRY_CPU_Q4_0 ? 18 : TYPE == FERRY_CPU_Q4_1 ? 20 : 34;
    const int64_t nb = m->cols / 32, groups = (nb + 7) / 8;
    const uint8_t *row = m->w + r * m->row_bytes;
    const uint8_t *next = row + 2 * R * m->row_bytes, *end = m->w + m->rows * m->row_bytes;
    _Alignas(64) uint8_t w[2][ROWS][WBYTES];  // double-buffered: group g + 1 is rearranged before group g is used
    __m512 acc[STAGE_TILES][ROWS];
    for (int64_t tile = 0; tile < tile1 - tile0; tile++)
        for (int i = 0; i < R; i++) acc[tile][i] = _mm512_setzero_ps();
    prep_rows(m, gr, w[0], row, 0, nb, R, TYPE);
    for (int64_t g = 0; g < groups; g++) {
        const int64_t n = nb - 8 * g < 8 ? nb - 8 * g : 8;
        // Rearranging the next group now, not right before its use, lets its stores retire before the broadcasts
        // read them (a load that must wait for a just-issued store costs more than the whole dot product).
        if (g + 1 < groups) prep_rows(m, gr, w[(g + 1) & 1], row, g + 1, nb, R, TYPE);
        for (const uint8_t *p = next + g * R * 8 * bb, *e = p + R * 8 * bb; p < e && p < end; p += 64)
            _mm_prefetch((const char *)p, _MM_HINT_T0);
        for (int64_t tile = tile0; tile < tile1; tile++) {
            const uint8_t *at = m->wide + tile * m->wide_tile_bytes + 8 * g * BLOCK_BYTES;
            __m512 *a = acc[tile - tile0];
            if (n == 8)
                for (int j = 0; j < 8; j++) block_R(a, w[g & 1], j, at + j * BLOCK_BYTES, R, TYPE);
            else
                for (int j = 0; j < n; j++) block_R(a, w[g & 1], j, at + j * BLOCK_BYTES, R, TYPE);
        }
    }
    for (int64_t tile = 0; tile < tile1 - tile0; tile++) {
        float (*st)[STAGE_ROWS] = stage + tile * 16;
        if (R == 4) {  // transpose 4 rows x 16 tokens: token l's 4 results go out as one 16-byte store
            __m512 *a = acc[tile];
            __m512 t0 = _mm512_unpacklo_ps(a[0], a[1]), t1 = _mm512_unpackhi_ps(a[0], a[1]);
            __m512 t2 = _mm512_unpacklo_ps(a[2], a[3]), t3 = _mm512_unpackhi_ps(a[2], a[3]);
            __m512 u[4] = {
                _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2))),
                _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2))),
                _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3))),
                _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3))),
            };  // u[e] holds tokens 4q + e in 128-bit lane q
            for (int e = 0; e < 4; e++) {
                _mm_storeu_ps(st[e] + (r - r0), _mm512_extractf32x4_ps(u[e], 0));
                _mm_storeu_ps(st[4 + e] + (r - r0), _mm512_extractf32x4_ps(u[e], 1));
                _mm_storeu_ps(st[8 + e] + (r - r0), _mm512_extractf32x4_ps(u[e], 2));
                _mm_storeu_ps(st[12 + e] + (r - r0), _mm512_extractf32x4_ps(u[e], 3));
            }
            continue;
        }
        for (int i = 0; i < R; i++) {
            float out[16];
            _mm512_storeu_ps(out, acc[tile][i]);
            for (int l = 0; l < 16; l++) st[l][r - r0 + i] = out[l];
        }
    }
}

/// Rows [r0, r1), at most STAGE_ROWS of them, for every wide token; y is written a row chunk per token at a time.
AVX512_INLINE void wide_rows(const ferry_mm *m, int64_t r0, int64_t r1, const int TYPE) {
    _Alignas(64) float stage[STAGE_TILES * 16][STAGE_ROWS];
    gather_regs gr;
    load_gather_regs(&gr, TYPE);
    const int64_t tiles = (m->wide_tokens + 15) / 16;
    const __mmask16 k = (__mmask16)((1u << (r1 - r0)) - 1);
    for (int64_t tile0 = 0; tile0 < tiles; tile0 += STAGE_TILES) {
        const int64_t tile1 = tile0 + STAGE_TILES < tiles ? tile0 + STAGE_TILES : tiles;
        int64_t r = r0;
        for (; r + ROWS <= r1; r += ROWS) rows_R(m, &gr, r, ROWS, tile0, tile1, stage, r0, TYPE);
        switch (r1 - r) {
        case 3: rows_R(m, &gr, r, 3, tile0, tile1, stage, r0, TYPE); break;
        case 2: rows_R(m, &gr, r, 2, tile0, tile1, stage, r0, TYPE); break;
        case 1: rows_R(m, &gr, r, 1, tile0, tile1, stage, r0, TYPE); break;
        default: break;
        }
        const int64_t t_end = tile1 * 16 < m->wide_tokens ? tile1 * 16 : m->wide_tokens;
        for (int64_t t = tile0 * 16; t < t_end; t++)
            _mm512_mask_storeu_ps(m->y + t * m->rows + r0, k, _mm512_load_ps(stage[t - tile0 * 16]));
    }
}

static AVX512 void wide_q4_0(const ferry_mm *m, int64_t r0, int64_t r1) { wide_rows(m, r0, r1, FERRY_CPU_Q4_0); }
static AVX512 void wide_q4_1(const ferry_mm *m, int64_t r0, int64_t r1) { wide_rows(m, r0, r1, FERRY_CPU_Q4_1); }
static AVX512 void wide_q8_0(const ferry_mm *m, int64_t r0, int64_t r1) { wide_rows(m, r0, r1, FERRY_CPU_Q8_0); }

void ferry_avx512_wide_rows(const ferry_mm *m, int64_t r0, int64_t r1) {
    switch (m->type) {
    case FERRY_CPU_Q4_0: wide_q4_0(m, r0, r1); break;
    case FERRY_CPU_Q4_1: wide_q4_1(m, r0, r1); break;
    case FERRY_CPU_Q8_0: wide_q8_0(m, r0, r1); break;
    default: break;
    }
}

#else

int64_t ferry_avx512_wide_tile_bytes(int64_t cols) { return cols / 32 * 640; }
void ferry_avx512_wide_quantize(const ferry_mm *m, int part, int parts) { (void)m, (void)part, (void)parts; }
void ferry_avx512_wide_rows(const ferry_mm *m, int64_t r0, int64_t r1) { (void)m, (void)r0, (void)r1; }

#endif
