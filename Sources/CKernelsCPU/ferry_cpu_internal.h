// SPDX-License-Identifier: Apache-2.0
// Private to CKernelsCPU: shared between pool.c and the quant_*.c files. Not part of the module's interface.
#ifndef FERRY_CPU_INTERNAL_H
#define FERRY_CPU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ferry_cpu_pool.h"

/// A scratch buffer owned by the pool (64-byte aligned, grows, never shrinks); NULL for a NULL pool or when out of
/// memory. Only the pool's caller may use it, and only outside a run's task bodies.
void *ferry_cpu_pool_scratch_(ferry_cpu_pool *pool, size_t bytes);

// MARK: - Half floats (portable)

static inline float ferry_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else {  // subnormal: renormalize
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400u));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// Round to nearest even, as F16C's vcvtps2ph with rounding mode 0.
static inline uint16_t ferry_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  // rounds to >= 65520: infinity
    if (ax < 0x38800000u) {                                      // result is subnormal or zero
        if (ax < 0x33000000u) return (uint16_t)sign;             // below half the smallest subnormal
        uint32_t e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - e;                                // 14..24
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t r = ax - 0x38000000u;  // rebias exponent 127 -> 15
    uint32_t q = r >> 13, rem = r & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (q & 1))) q++;
    return (uint16_t)(sign | q);
}

static inline float ferry_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t ferry_load_u16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

// MARK: - Matmul plumbing shared by the SIMD levels

/// One matrix product, as each kernel sees it. `act` holds x quantized to 8 bits in the level's layout
/// (quantized types only); token t's data starts at act + t * act_stride.
typedef struct {
    int type;
    const uint8_t *w;
    int64_t rows, cols, row_bytes;
    const float *x;
    int64_t num_tokens;
    float *y;
    const uint8_t *act;
    int64_t act_stride;
    // AVX-512 only: tokens [0, wide_tokens) are quantized "tokens in lanes", in tiles of 16 tokens (tile i at
    // wide + i * wide_tile_bytes); act then holds tokens [wide_tokens, num_tokens) (still indexed by t).
    const uint8_t *wide;
    int64_t wide_tokens, wide_tile_bytes;
} ferry_mm;

/// Prefetches the first `bytes` of rows [r0, r1) of the weights (the start of a kernel's weight stream, which the
/// hardware prefetcher has not seen yet).
static inline void ferry_prefetch_rows_(const uint8_t *w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t bytes) {
    const uint8_t *p = w + r0 * row_bytes, *e = w + r1 * row_bytes;
    if (e > p + bytes) e = p + bytes;
    for (; p < e; p += 64) __builtin_prefetch(p, 0, 3);
}

/// Computes y[:, row_begin..<row_end].
typedef void (*ferry_mm_kernel)(const ferry_mm *m, int64_t row_begin, int64_t row_end);
/// Quantizes share `part` of `parts` of x (the level's layout) into m->act / m->wide; the shares write disjoint
/// cache lines, so they may run on different threads.
typedef void (*ferry_act_quantizer)(const ferry_mm *m, int part, int parts);

static inline void ferry_prefetch_rows(const ferry_mm *m, int64_t r0, int64_t r1, int64_t bytes) {
    ferry_prefetch_rows_(m->w, m->row_bytes, r0, r1, bytes);
}

typedef struct {
    ferry_mm_kernel kernel;
    ferry_act_quantizer quantize;  // NULL for float types
    int64_t act_stride;            // bytes per token of quantized activations (0 for float types)
    int64_t wide_tokens, wide_tile_bytes;  // see ferry_mm (0 except on the AVX-512 level)
} ferry_mm_plan;

// Plain activation layout (scalar and AVX2 levels), per token, 64-byte aligned parts:
//   int8 q[cols] | float d[nb] | float s[nb]      with nb = cols / 32, s = d * sum(q) of the block.
int64_t ferry_plain_act_stride(int64_t cols);
static inline int64_t ferry_align64(int64_t n) { return (n + 63) & ~(int64_t)63; }
static inline int8_t *ferry_plain_q(const uint8_t *tok) { return (int8_t *)tok; }
static inline float *ferry_plain_d(const uint8_t *tok, int64_t cols) { return (float *)(tok + ferry_align64(cols)); }
static inline float *ferry_plain_s(const uint8_t *tok, int64_t cols) {
    return (float *)(tok + ferry_align64(cols) + ferry_align64(cols / 32 * 4));
}

// Levels. Each returns 0 when it cannot plan this type (then the next lower level is used).
int ferry_plan_scalar(int type, int64_t cols, int64_t num_tokens, ferry_mm_plan *plan);
int ferry_plan_avx2(int type, int64_t cols, int64_t num_tokens, ferry_mm_plan *plan);
int ferry_plan_avx512(int type, int64_t cols, int64_t num_tokens, ferry_mm_plan *plan);

/// The AVX-512 kernel for F32/F16/BF16 weights (quant_avx512_float.c), NULL for other types.
ferry_mm_kernel ferry_avx512_float_kernel(int type);

// The AVX-512 "tokens in lanes" kernel (quant_avx512_wide.c), for tiles of 16 tokens.
int64_t ferry_avx512_wide_tile_bytes(int64_t cols);
void ferry_avx512_wide_quantize(const ferry_mm *m, int part, int parts);
void ferry_avx512_wide_rows(const ferry_mm *m, int64_t r0, int64_t r1);

/// The scalar quantization of one block of 32 activations (round half to even), shared by every level so that all
/// levels see bit-identical quantized activations. Returns sum(q).
static inline int ferry_quantize_block_q8(const float *x, int8_t *q, float *d_out) {
    float amax = 0.0f;
    for (int i = 0; i < 32; i++) {
        float a = x[i] < 0 ? -x[i] : x[i];
        amax = amax > a ? amax : a;
    }
    float d = amax / 127.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int i = 0; i < 32; i++) {
        float v = x[i] * id;
        // Round half to even without depending on the FP environment's rounding functions being inlined.
        float r = __builtin_rintf(v);
        int qi = (int)r;
        q[i] = (int8_t)qi;
        sum += qi;
    }
    *d_out = d;
    return sum;
}

// Row dequantizers (scalar), used by every level for dequantize/gather fallbacks.
void ferry_dequant_row_scalar(int type, const uint8_t *src, float *dst, int64_t cols);
void ferry_dequant_row_avx2(int type, const uint8_t *src, float *dst, int64_t cols);

#endif
