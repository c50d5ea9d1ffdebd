// SPDX-License-Identifier: Apache-2.0
// The AVX-512 kernel for batches: "tokens in lanes", 16 tokens per vector.
//
// For batches of 16 tokens, lane t of every vector belongs to token t, so no horizontal sums are needed and each
// vpdpbusd is fully used: for block b and 4-byte chunk k, the activation vector A[b][k] holds bytes 4k..4k+3 of the
// 16 tokens' quantized block, and the weight operand is the matching 4 bytes of one weight row broadcast to every
// lane. Eight vpdpbusd give the block's 16 integer dot products, one convert + one multiply-add scales them by
// d_w * d_x. Four weight rows are done together so every activation vector loaded serves four rows, and the weight
// rows are first unpacked (nibbles to bytes, Q8_0 biased by +128 so that the weights are vpdpbusd's unsigned
// operand) into a small buffer that stays in L1 for every tile of 16 tokens.
//
// Activation tile layout, per block (640 bytes): [64 k, 64 k + 64) A[b][k] (int8, token t at 4 t), k = 0..7;
// [512, 576) float d_x per token; [576, 640) Q4_1: float s_x = d_x * sum(q) per token; Q4_0 / Q8_0: int32
// correction -8 * sum(q) / -128 * sum(q) per token (the weights' +8 / +128 bias). Padding tokens are all zero.
#include "ferry_cpu_quant.h"
#include "ferry_cpu_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "quant_avx512_group.h"

#define BLOCK_BYTES 640
#define ROWS 4          // weight rows per pass
#define STAGE_ROWS 16   // rows per call (the caller's row chunk)
#define STAGE_TILES 4   // tiles of 16 tokens per pass over the rows
#ifndef PREFETCH_ROWS
#define PREFETCH_ROWS 2
#endif
#define CHUNK 64        // blocks of a row unpacked at a time (a multiple of 8)

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

/// Work is split in units of (tile, 8 blocks), so that threads never write the same cache line.
AVX512 void ferry_avx512_wide_quantize(const ferry_mm *m, int part, int parts) {
    const int64_t nb = m->cols / 32, chunks = (nb + 7) / 8, tiles = (m->wide_tokens + 15) / 16;
    int64_t u0, u1;
    ferry_cpu_split_range(tiles * chunks, 1, part, parts, &u0, &u1);
    for (int64_t u = u0; u < u1; u++) {
        const int64_t tile = u / chunks, b0 = u % chunks * 8, b1 = b0 + 8 < nb ? b0 + 8 : nb;
        const int64_t t_end = (tile + 1) * 16 < m->wide_tokens ? (tile + 1) * 16 : m->wide_tokens;
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

/// Up to CHUNK blocks of ROWS weight rows, rearranged by prep_group: per group of 8 blocks W0..W3, then d and m
/// with block j's value in float lane 2j. Block 8g + j's bytes 4k..4k+3 are at W[k / 2] + 8j + 4 (k % 2).
typedef struct {
    uint8_t g[ROWS][CHUNK / 8][384];
} unpacked;

/// Unpacks blocks [cb, cb + n) of rows r..r+R-1 into u, and prefetches the next R rows' blocks.
AVX512_INLINE void unpack(const ferry_mm *m, const gather_regs *gr, unpacked *u, int64_t r, const int R, int64_t cb,
                          int64_t n, const int TYPE) {
    const int64_t bb = TYPE == FERRY_CPU_Q4_0 ? 18 : TYPE == FERRY_CPU_Q4_1 ? 20 : 34;
    for (int i = 0; i < R; i++) {
        const uint8_t *row = m->w + (r + i) * m->row_bytes + cb * bb;
        for (int64_t g = 0; 8 * g < n; g++) {
            wgroup wg;
            if (n - 8 * g >= 8) prep_group(&wg, gr, row + 8 * g * bb, 8 * bb, TYPE, 1);
            else prep_group(&wg, gr, row + 8 * g * bb, (n - 8 * g) * bb, TYPE, 0);
            uint8_t *dst = u->g[i][g];
            for (int k = 0; k < 4; k++) _mm512_store_si512(dst + 64 * k, wg.w[k]);
            _mm512_store_ps(dst + 256, wg.d);
            if (TYPE == FERRY_CPU_Q4_1) _mm512_store_ps(dst + 320, wg.m);
        }
    }
    // The compute that follows reads no weights, so the hardware prefetcher would idle: fetch the next rows now.
    if (r + (PREFETCH_ROWS + 1) * R <= m->rows) {
        const uint8_t *next = m->w + (r + PREFETCH_ROWS * R) * m->row_bytes + cb * bb;
        for (int64_t off = 0; off < R * m->row_bytes && off < R * n * bb + 64; off += 64) _mm_prefetch((const char *)next + off, _MM_HINT_T0);
    }
}

/// Rows r..r+R-1 against tiles [tile0, tile1); results go to stage[(tile - tile0) * 16 + lane][r - r0].
AVX512_INLINE void rows_R(const ferry_mm *m, const gather_regs *gr, unpacked *u, int64_t r, const int R,
                          int64_t tile0, int64_t tile1, float (*stage)[STAGE_ROWS], int64_t r0, const int TYPE) {
    const int64_t nb = m->cols / 32;
    for (int64_t cb = 0; cb < nb; cb += CHUNK) {
        const int64_t n = nb - cb < CHUNK ? nb - cb : CHUNK;
        unpack(m, gr, u, r, R, cb, n, TYPE);
        for (int64_t tile = tile0; tile < tile1; tile++) {
            const uint8_t *at = m->wide + tile * m->wide_tile_bytes + cb * BLOCK_BYTES;
            __m512 acc[ROWS];
            for (int i = 0; i < R; i++) acc[i] = _mm512_setzero_ps();
            for (int64_t b = 0; b < n; b++, at += BLOCK_BYTES) {
                const int64_t g = b / 8, j = b % 8;
                __m512i s[ROWS];
                for (int i = 0; i < R; i++)
                    s[i] = TYPE == FERRY_CPU_Q4_1 ? _mm512_setzero_si512() : _mm512_load_si512(at + 576);
                for (int k = 0; k < 8; k++) {
                    __m512i a = _mm512_load_si512(at + 64 * k);
                    for (int i = 0; i < R; i++) {
                        int32_t w;
                        memcpy(&w, u->g[i][g] + 64 * (k / 2) + 8 * j + 4 * (k % 2), 4);
                        s[i] = _mm512_dpbusd_epi32(s[i], _mm512_set1_epi32(w), a);
                    }
                }
                __m512 dx = _mm512_load_ps((const float *)(at + 512));
                for (int i = 0; i < R; i++) {
                    const float *d = (const float *)(u->g[i][g] + 256);
                    acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[i]), _mm512_mul_ps(dx, _mm512_set1_ps(d[2 * j])), acc[i]);
                }
                if (TYPE == FERRY_CPU_Q4_1) {
                    __m512 sx = _mm512_load_ps((const float *)(at + 576));
                    for (int i = 0; i < R; i++) {
                        const float *mm = (const float *)(u->g[i][g] + 320);
                        acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(mm[2 * j]), sx, acc[i]);
                    }
                }
            }
            for (int i = 0; i < R; i++) {
                float out[16];
                _mm512_storeu_ps(out, acc[i]);
                float (*st)[STAGE_ROWS] = stage + (tile - tile0) * 16;
                const int64_t c = r - r0 + i;
                if (cb == 0)
                    for (int l = 0; l < 16; l++) st[l][c] = out[l];
                else
                    for (int l = 0; l < 16; l++) st[l][c] += out[l];
            }
        }
    }
}

/// Rows [r0, r1), at most STAGE_ROWS of them, for every wide token; y is written a row chunk per token at a time.
AVX512_INLINE void wide_rows(const ferry_mm *m, int64_t r0, int64_t r1, const int TYPE) {
    _Alignas(64) unpacked u;
    _Alignas(64) float stage[STAGE_TILES * 16][STAGE_ROWS];
    gather_regs gr;
    load_gather_regs(&gr, TYPE);
    const int64_t tiles = (m->wide_tokens + 15) / 16;
    const __mmask16 k = (__mmask16)((1u << (r1 - r0)) - 1);
    for (int64_t tile0 = 0; tile0 < tiles; tile0 += STAGE_TILES) {
        const int64_t tile1 = tile0 + STAGE_TILES < tiles ? tile0 + STAGE_TILES : tiles;
        int64_t r = r0;
        for (; r + ROWS <= r1; r += ROWS) rows_R(m, &gr, &u, r, ROWS, tile0, tile1, stage, r0, TYPE);
        switch (r1 - r) {
        case 3: rows_R(m, &gr, &u, r, 3, tile0, tile1, stage, r0, TYPE); break;
        case 2: rows_R(m, &gr, &u, r, 2, tile0, tile1, stage, r0, TYPE); break;
        case 1: rows_R(m, &gr, &u, r, 1, tile0, tile1, stage, r0, TYPE); break;
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
