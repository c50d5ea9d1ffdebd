// SPDX-License-Identifier: Apache-2.0
// Private to CKernelsCPU: the two attention strategies behind ferry_cpu_paged_attention.
#ifndef FERRY_CPU_ATTENTION_INTERNAL_H
#define FERRY_CPU_ATTENTION_INTERNAL_H

#include "ferry_cpu_attention.h"

/// Query rows from which a sequence's attention goes through sgemm instead of the per-row kernel.
#define FERRY_CPU_PREFILL_GEMM_MIN_ROWS 16

/// Attention of sequence `s` of `batch` (a prefill chunk of ≥ FERRY_CPU_PREFILL_GEMM_MIN_ROWS rows) by sgemm.
/// Arguments as ferry_cpu_paged_attention's, already validated.
ferry_cpu_status ferry_cpu_prefill_attention_(ferry_cpu_pool *pool, const float *q, float *out,
                                              const void *k_cache, const void *v_cache, int kv_type,
                                              const ferry_cpu_attention_batch *batch, int64_t s, int64_t num_heads,
                                              int64_t num_kv_heads, int64_t head_dim, float scale,
                                              int64_t sliding_window);

/// Row `g` (kv head) of `slot` as float32: a pointer into a float32 cache, or `buffer` filled from a float16 one.
const float *ferry_cpu_kv_row_(const void *cache, int kv_type, int64_t slot, int64_t g, int64_t num_kv_heads,
                               int64_t head_dim, float *buffer);

/// One (query row, kv head) work item of the per-row kernel, resolved to pointers.
typedef struct {
    const float *q[8];    ///< the group's query heads, head_dim floats each
    float *out[8];        ///< their outputs
    const void *k_cache, *v_cache;
    const int32_t *blocks;
    int64_t lo, span, group, head_dim, block_size, num_kv_heads, kv_head;
    float scale;
    float *scores;        ///< [group, span] scratch
    int64_t *row_offsets; ///< [span] scratch: element offset of each position's row in the cache
} ferry_cpu_attend_args;

/// The float16 per-row kernel with AVX2/FMA/F16C; needs head_dim % 8 == 0 and group ≤ 8.
void ferry_cpu_attend_f16_avx2_(const ferry_cpu_attend_args *args);

#endif
