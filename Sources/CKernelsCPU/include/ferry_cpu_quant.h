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

/// Quantizes `rows` rows of `cols` float32 at `src` into `type` at `dst` (rows x row_bytes): Q8_0, Q4_0 and Q4_1 as
/// llama.cpp's reference quantizers do; F16 and BF16 round to nearest even; F32 copies. For tests and tools.
ferry_cpu_status ferry_cpu_quantize_rows(int type, const float *src, void *dst, int64_t rows, int64_t cols);

/// SIMD levels of the matmul and dequantize kernels, chosen at run time from the CPU's features.
typedef enum {
    FERRY_CPU_SIMD_SCALAR = 0,  // portable C (the reference; the only level off x86-64)
    FERRY_CPU_SIMD_AVX2 = 1,    // AVX2 + FMA + F16C
    FERRY_CPU_SIMD_AVX512 = 2,  // AVX-512 F/BW/VL/VNNI/VBMI (Ice Lake, Zen 4 and later)
} ferry_cpu_simd;

/// The best level this CPU supports.
int ferry_cpu_simd_level_supported(void);
/// The level the kernels use now.
int ferry_cpu_simd_level(void);
/// Makes the kernels use `level`, clamped to what the CPU supports (a negative level: the best supported), and returns
/// the level now in use. Process-wide; meant for tests and benchmarks (not to be changed while kernels run).
int ferry_cpu_set_simd_level(int level);

/// y = x · Wᵀ for many tokens (prefill): each pool thread takes a share of W's rows, dequantizes them to float32
/// in tiles of its own and multiplies each tile with a single-threaded OpenBLAS sgemm, so one thread pool owns the
/// cores (OpenBLAS must run with one thread). Shapes as ferry_cpu_matmul.
ferry_cpu_status ferry_cpu_gemm(ferry_cpu_pool *pool, int type, const void *w, int64_t rows, int64_t cols,
                                const float *x, int64_t num_tokens, float *y);

#ifdef __cplusplus
}
#endif
#endif
