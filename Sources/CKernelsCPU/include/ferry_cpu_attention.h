// SPDX-License-Identifier: Apache-2.0
// The paged KV cache and attention over it. One layer's cache is K and V, each
// [num_blocks, block_size, num_kv_heads, head_dim] of float32 or float16 (ferry_cpu_kv_type); a token's slot is
// block_id * block_size + offset. Attention always computes in float32.
#ifndef FERRY_CPU_ATTENTION_H
#define FERRY_CPU_ATTENTION_H

#include <stdint.h>
#include "ferry_cpu_status.h"
#include "ferry_cpu_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Element type of the KV cache.
typedef enum {
    FERRY_CPU_KV_F32 = 0,
    FERRY_CPU_KV_F16 = 1,
} ferry_cpu_kv_type;

/// Writes each token's K and V into its slot, converting to the cache's type. k, v: [num_tokens, num_kv_heads, head_dim]; slot_mapping:
/// [num_tokens], a negative slot skips the token. Fails with INVALID_ARGUMENT on a slot past the cache.
ferry_cpu_status ferry_cpu_kv_store(const float *k, const float *v, const int64_t *slot_mapping, int64_t num_tokens,
                                    void *k_cache, void *v_cache, int kv_type, int64_t num_slots,
                                    int64_t num_kv_heads, int64_t head_dim);

/// One flat batch of sequences for attention: prefill chunks and decodes together (varlen).
typedef struct {
    int64_t num_seqs;
    const int32_t *query_start_loc;  ///< [num_seqs + 1]: sequence s owns query rows [start[s], start[s+1]).
    const int32_t *context_lens;     ///< [num_seqs]: tokens in the cache for s after this step's store.
    const int32_t *block_tables;     ///< [num_seqs, max_blocks_per_seq]: block ids of s, in order.
    int64_t max_blocks_per_seq;
    int64_t block_size;
    int64_t num_blocks;              ///< blocks in the cache, to check block ids.
} ferry_cpu_attention_batch;

/// Causal attention of each query row over its sequence's cached K/V (the new tokens already stored).
/// Query row i of sequence s sits at position context_len - q_len + i and attends to positions [lo, pos], where
/// lo = max(0, pos - sliding_window + 1) when sliding_window > 0, else 0. GQA: head h reads kv head
/// h / (num_heads / num_kv_heads). q, out: [num_tokens, num_heads, head_dim].
ferry_cpu_status ferry_cpu_paged_attention(ferry_cpu_pool *pool, const float *q, float *out,
                                           const void *k_cache, const void *v_cache, int kv_type,
                                           const ferry_cpu_attention_batch *batch, int64_t num_heads,
                                           int64_t num_kv_heads, int64_t head_dim, float scale,
                                           int64_t sliding_window);

#ifdef __cplusplus
}
#endif
#endif
