// SPDX-License-Identifier: Apache-2.0
// Weight formats and the matrix product over them. Quantized weights stay quantized in memory; a product with a
// few tokens streams each weight row once for all tokens (decode is bound by bytes of weights read per token).
#ifndef FERRY_CPU_QUANT_H
#define FERRY_CPU_QUANT_H

#include <stddef.h>
#include <stdint.h>
#include "ferry_cpu_status.h"
#include "ferry_cpu_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Weight storage types. Values are GGUF's ggml_type numbers, so a GGUF tensor's type converts directly.
typedef enum {
    FERRY_CPU_F32 = 0,
    FERRY_CPU_F16 = 1,
    FERRY_CPU_Q4_0 = 2,   // blocks of 32: f16 d, 16 bytes of nibbles; w = d * (q - 8)
    FERRY_CPU_Q4_1 = 3,   // blocks of 32: f16 d, f16 m, 16 bytes of nibbles; w = d * q + m
    FERRY_CPU_Q8_0 = 8,   // blocks of 32: f16 d, 32 int8; w = d * q
    FERRY_CPU_BF16 = 30,
} ferry_cpu_type;

/// Elements per block (1 for plain float types), and bytes per block. 0 for an unknown type.
int64_t ferry_cpu_type_block_size(int type);
int64_t ferry_cpu_type_block_bytes(int type);
/// Bytes of one row of `cols` elements; 0 when `cols` is not a multiple of the block size or the type is unknown.
int64_t ferry_cpu_type_row_bytes(int type, int64_t cols);

/// Converts `rows` rows of `cols` elements of `type` at `src` into float32 at `dst` (rows x cols, contiguous).
ferry_cpu_status ferry_cpu_dequantize(int type, const void *src, float *dst, int64_t rows, int64_t cols);

/// Gathers rows `ids[0..<count]` of a [num_rows, cols] matrix of `type` into float32 `dst` [count, cols].
/// Fails with INVALID_ARGUMENT when an id is out of range.
ferry_cpu_status ferry_cpu_gather_rows(int type, const void *matrix, int64_t num_rows, int64_t cols,
                                       const int32_t *ids, int64_t count, float *dst);

/// y = x · Wᵀ. W: [rows, cols] of `type` (row-major, each row `ferry_cpu_type_row_bytes(type, cols)` bytes).
/// x: [num_tokens, cols] float32 (row stride cols). y: [num_tokens, rows] float32 (row stride rows).
/// Work is split over the pool's threads by weight rows. Quantized types quantize x to 8 bits per block of 32 (as
/// llama.cpp does) and use integer dot products; float types accumulate in float32.
ferry_cpu_status ferry_cpu_matmul(ferry_cpu_pool *pool, int type, const void *w, int64_t rows, int64_t cols,
                                  const float *x, int64_t num_tokens, float *y);

#ifdef __cplusplus
}
#endif
#endif
