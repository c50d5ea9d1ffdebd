// SPDX-License-Identifier: Apache-2.0
// Weight formats, the run-time choice of SIMD level, and the matmul driver that splits rows over the pool. The
// kernels themselves live in quant_ref.c (portable), quant_avx2.c and quant_avx512*.c.
#include "ferry_cpu_quant.h"
#include "ferry_cpu_internal.h"

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

// MARK: - Types

int64_t ferry_cpu_type_block_size(int type) {
    switch (type) {
    case FERRY_CPU_F32: case FERRY_CPU_F16: case FERRY_CPU_BF16: return 1;
    case FERRY_CPU_Q4_0: case FERRY_CPU_Q4_1: case FERRY_CPU_Q8_0: return 32;
    default: return 0;
    }
}

int64_t ferry_cpu_type_block_bytes(int type) {
    switch (type) {
    case FERRY_CPU_F32: return 4;
    case FERRY_CPU_F16: case FERRY_CPU_BF16: return 2;
    case FERRY_CPU_Q4_0: return 18;
    case FERRY_CPU_Q4_1: return 20;
    case FERRY_CPU_Q8_0: return 34;
    default: return 0;
    }
}

int64_t ferry_cpu_type_row_bytes(int type, int64_t cols) {
    int64_t bs = ferry_cpu_type_block_size(type);
    if (bs == 0 || cols < 0 || cols % bs != 0) return 0;
    return cols / bs * ferry_cpu_type_block_bytes(type);
}

// MARK: - SIMD level

static _Atomic int g_supported = -1;
static _Atomic int g_level = -1;

int ferry_cpu_simd_level_supported(void) {
    int s = atomic_load_explicit(&g_supported, memory_order_relaxed);
    if (s >= 0) return s;
    s = FERRY_CPU_SIMD_SCALAR;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
        s = FERRY_CPU_SIMD_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
            __builtin_cpu_supports("avx512vbmi"))
            s = FERRY_CPU_SIMD_AVX512;
    }
#endif
    atomic_store_explicit(&g_supported, s, memory_order_relaxed);
    return s;
}

int ferry_cpu_simd_level(void) {
    int l = atomic_load_explicit(&g_level, memory_order_relaxed);
    if (l >= 0) return l;
    l = ferry_cpu_simd_level_supported();
    atomic_store_explicit(&g_level, l, memory_order_relaxed);
    return l;
}

int ferry_cpu_set_simd_level(int level) {
    int s = ferry_cpu_simd_level_supported();
    int l = level < 0 || level > s ? s : level;
    atomic_store_explicit(&g_level, l, memory_order_relaxed);
    return l;
}

static void dequant_row(int level, int type, const uint8_t *src, float *dst, int64_t cols) {
    if (level >= FERRY_CPU_SIMD_AVX2) ferry_dequant_row_avx2(type, src, dst, cols);
    else ferry_dequant_row_scalar(type, src, dst, cols);
}

// MARK: - Conversions

ferry_cpu_status ferry_cpu_dequantize(int type, const void *src, float *dst, int64_t rows, int64_t cols) {
    int64_t rb = ferry_cpu_type_row_bytes(type, cols);
    if (ferry_cpu_type_block_size(type) == 0) return FERRY_CPU_ERR_UNSUPPORTED_TYPE;
    if (rows < 0 || cols < 0 || (rb == 0 && cols != 0) || ((!src || !dst) && rows * cols > 0))
        return FERRY_CPU_ERR_INVALID_ARGUMENT;
    int level = ferry_cpu_simd_level();
    for (int64_t r = 0; r < rows; r++) dequant_row(level, type, (const uint8_t *)src + r * rb, dst + r * cols, cols);
    return FERRY_CPU_OK;
}

ferry_cpu_status ferry_cpu_gather_rows(int type, const void *matrix, int64_t num_rows, int64_t cols,
                                       const int32_t *ids, int64_t count, float *dst) {
    int64_t rb = ferry_cpu_type_row_bytes(type, cols);
    if (ferry_cpu_type_block_size(type) == 0) return FERRY_CPU_ERR_UNSUPPORTED_TYPE;
    if (num_rows < 0 || cols < 0 || count < 0 || (rb == 0 && cols != 0)) return FERRY_CPU_ERR_INVALID_ARGUMENT;
    if (count > 0 && (!ids || !dst || (!matrix && cols > 0))) return FERRY_CPU_ERR_INVALID_ARGUMENT;
    for (int64_t i = 0; i < count; i++)
        if (ids[i] < 0 || ids[i] >= num_rows) return FERRY_CPU_ERR_INVALID_ARGUMENT;
    int level = ferry_cpu_simd_level();
    for (int64_t i = 0; i < count; i++)
        dequant_row(level, type, (const uint8_t *)matrix + (int64_t)ids[i] * rb, dst + i * cols, cols);
    return FERRY_CPU_OK;
}

static void quantize_row(int type, const float *x, uint8_t *out, int64_t cols) {
    switch (type) {
    case FERRY_CPU_F32:
        memcpy(out, x, (size_t)cols * 4);
        return;
    case FERRY_CPU_F16:
        for (int64_t i = 0; i < cols; i++) {
            uint16_t h = ferry_f32_to_f16(x[i]);
            memcpy(out + 2 * i, &h, 2);
        }
        return;
    case FERRY_CPU_BF16:
        for (int64_t i = 0; i < cols; i++) {
            uint32_t b;
            memcpy(&b, &x[i], 4);
            uint16_t h = (b & 0x7fffffffu) > 0x7f800000u ? (uint16_t)((b >> 16) | 0x40u)
                                                        : (uint16_t)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
            memcpy(out + 2 * i, &h, 2);
        }
        return;
    default:
        break;
    }
    for (int64_t b = 0; b < cols / 32; b++, x += 32) {
        if (type == FERRY_CPU_Q8_0) {  // llama.cpp quantize_row_q8_0_ref
            float amax = 0.0f;
            for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
            float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
            uint16_t dh = ferry_f32_to_f16(d);
            memcpy(out, &dh, 2);
            for (int j = 0; j < 32; j++) out[2 + j] = (uint8_t)(int8_t)roundf(x[j] * id);
            out += 34;
        } else if (type == FERRY_CPU_Q4_0) {  // quantize_row_q4_0_ref
            float amax = 0.0f, max = 0.0f;
            for (int j = 0; j < 32; j++)
                if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
            float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
            uint16_t dh = ferry_f32_to_f16(d);
            memcpy(out, &dh, 2);
            for (int j = 0; j < 16; j++) {
                int q0 = (int8_t)(x[j] * id + 8.5f), q1 = (int8_t)(x[16 + j] * id + 8.5f);
                q0 = q0 < 15 ? q0 : 15;
                q1 = q1 < 15 ? q1 : 15;
                out[2 + j] = (uint8_t)(q0 | (q1 << 4));
            }
            out += 18;
        } else {  // Q4_1, quantize_row_q4_1_ref
            float min = FLT_MAX, max = -FLT_MAX;
            for (int j = 0; j < 32; j++) {
                min = x[j] < min ? x[j] : min;
                max = x[j] > max ? x[j] : max;
            }
            float d = (max - min) / 15.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
            uint16_t dh = ferry_f32_to_f16(d), mh = ferry_f32_to_f16(min);
            memcpy(out, &dh, 2);
            memcpy(out + 2, &mh, 2);
            for (int j = 0; j < 16; j++) {
                int q0 = (int8_t)((x[j] - min) * id + 0.5f), q1 = (int8_t)((x[16 + j] - min) * id + 0.5f);
                q0 = q0 < 15 ? q0 : 15;
                q1 = q1 < 15 ? q1 : 15;
                out[4 + j] = (uint8_t)(q0 | (q1 << 4));
            }
            out += 20;
        }
    }
}

ferry_cpu_status ferry_cpu_quantize_rows(int type, const float *src, void *dst, int64_t rows, int64_t cols) {
    int64_t rb = ferry_cpu_type_row_bytes(type, cols);
    if (ferry_cpu_type_block_size(type) == 0) return FERRY_CPU_ERR_UNSUPPORTED_TYPE;
    if (rows < 0 || cols < 0 || (rb == 0 && cols != 0) || ((!src || !dst) && rows * cols > 0))
        return FERRY_CPU_ERR_INVALID_ARGUMENT;
    for (int64_t r = 0; r < rows; r++) quantize_row(type, src + r * cols, (uint8_t *)dst + r * rb, cols);
    return FERRY_CPU_OK;
}

// MARK: - Matmul

typedef struct {
    ferry_mm m;
    ferry_mm_plan plan;
    int64_t granule;
} mm_task;

/// Prefetches the start of this thread's share of the weights, so that it arrives while x is quantized.
static void prefetch_share(const mm_task *k, int ti, int nt) {
    int64_t b, e;
    ferry_cpu_split_range(k->m.rows, k->granule, ti, nt, &b, &e);
    ferry_prefetch_rows(&k->m, b, e, 4096);
}

static void quantize_task(void *ctx, int ti, int nt) {
    mm_task *k = ctx;
    prefetch_share(k, ti, nt);
    k->plan.quantize(&k->m, ti, nt);
}

static void matmul_task(void *ctx, int ti, int nt) {
    mm_task *k = ctx;
    int64_t b, e;
    ferry_cpu_split_range(k->m.rows, k->granule, ti, nt, &b, &e);
    if (b < e) k->plan.kernel(&k->m, b, e);
}

ferry_cpu_status ferry_cpu_matmul(ferry_cpu_pool *pool, int type, const void *w, int64_t rows, int64_t cols,
                                  const float *x, int64_t num_tokens, float *y) {
    if (ferry_cpu_type_block_size(type) == 0) return FERRY_CPU_ERR_UNSUPPORTED_TYPE;
    int64_t rb = ferry_cpu_type_row_bytes(type, cols);
    if (rows < 0 || cols <= 0 || num_tokens < 0 || rb == 0) return FERRY_CPU_ERR_INVALID_ARGUMENT;
    if (rows == 0 || num_tokens == 0) return FERRY_CPU_OK;
    if (!w || !x || !y) return FERRY_CPU_ERR_INVALID_ARGUMENT;

    mm_task task = {
        .m = {.type = type, .w = w, .rows = rows, .cols = cols, .row_bytes = rb, .x = x, .num_tokens = num_tokens,
              .y = y},
        .granule = 16,
    };
    int level = ferry_cpu_simd_level(), planned = 0;
    if (level >= FERRY_CPU_SIMD_AVX512) planned = ferry_plan_avx512(type, cols, num_tokens, &task.plan);
    if (!planned && level >= FERRY_CPU_SIMD_AVX2) planned = ferry_plan_avx2(type, cols, num_tokens, &task.plan);
    if (!planned) planned = ferry_plan_scalar(type, cols, num_tokens, &task.plan);
    if (!planned) return FERRY_CPU_ERR_UNSUPPORTED_TYPE;

    void *heap = NULL;
    if (task.plan.quantize) {
        int64_t wide_tiles = (task.plan.wide_tokens + 15) / 16;
        size_t bytes = (size_t)(task.plan.act_stride * num_tokens + task.plan.wide_tile_bytes * wide_tiles);
        uint8_t *act = ferry_cpu_pool_scratch_(pool, bytes);
        if (!act) {
            if (pool) return FERRY_CPU_ERR_OUT_OF_MEMORY;
            act = heap = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
            if (!act) return FERRY_CPU_ERR_OUT_OF_MEMORY;
        }
        task.m.act = act;
        task.m.act_stride = task.plan.act_stride;
        task.m.wide = act + task.plan.act_stride * num_tokens;
        task.m.wide_tokens = task.plan.wide_tokens;
        task.m.wide_tile_bytes = task.plan.wide_tile_bytes;
        if (num_tokens * cols >= 8192 && ferry_cpu_pool_size(pool) > 1)
            ferry_cpu_pool_run(pool, quantize_task, &task);
        else {
            prefetch_share(&task, 0, ferry_cpu_pool_size(pool));
            task.plan.quantize(&task.m, 0, 1);
        }
    }
    ferry_cpu_pool_run(pool, matmul_task, &task);
    free(heap);
    return FERRY_CPU_OK;
}
