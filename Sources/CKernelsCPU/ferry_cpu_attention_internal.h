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

#endif
