// SPDX-License-Identifier: Apache-2.0
// The paged KV cache: storing new tokens by slot, and causal attention of a varlen batch over block tables.
#include "ferry_cpu_attention_internal.h"

#include <math.h>
#include "ferry_cpu_half.h"
#include "ferry_cpu_quant.h"
#include "ferry_cpu_math.h"
#include <stdlib.h>
#include <string.h>

// MARK: - KV store

ferry_cpu_status ferry_cpu_kv_store(const float *k, const float *v, const int64_t *slot_mapping, int64_t num_tokens,
                                    void *k_cache, void *v_cache, int kv_type, int64_t num_slots,
                                    int64_t num_kv_heads, int64_t head_dim) {
    const int64_t row = num_kv_heads * head_dim;
    if (kv_type != FERRY_CPU_KV_F32 && kv_type != FERRY_CPU_KV_F16) return FERRY_CPU_ERR_UNSUPPORTED_TYPE;
    for (int64_t t = 0; t < num_tokens; t++) {
        if (slot_mapping[t] >= num_slots) return FERRY_CPU_ERR_INVALID_ARGUMENT;
    }
    for (int64_t t = 0; t < num_tokens; t++) {
        const int64_t slot = slot_mapping[t];
        if (slot < 0) continue;
        if (kv_type == FERRY_CPU_KV_F32) {
            memcpy((float *)k_cache + slot * row, k + t * row, (size_t)row * sizeof(float));
            memcpy((float *)v_cache + slot * row, v + t * row, (size_t)row * sizeof(float));
        } else {
            ferry_cpu_float_to_half_row(k + t * row, (uint16_t *)k_cache + slot * row, row);
            ferry_cpu_float_to_half_row(v + t * row, (uint16_t *)v_cache + slot * row, row);
        }
    }
    return FERRY_CPU_OK;
}

const float *ferry_cpu_kv_row_(const void *cache, int kv_type, int64_t slot, int64_t g, int64_t num_kv_heads,
                               int64_t head_dim, float *buffer) {
    const int64_t offset = (slot * num_kv_heads + g) * head_dim;
    if (kv_type == FERRY_CPU_KV_F32) return (const float *)cache + offset;
    ferry_cpu_half_to_float_row((const uint16_t *)cache + offset, buffer, head_dim);
    return buffer;
}

// MARK: - Paged attention

typedef struct {
    const float *q;
    float *out;
    const void *k_cache;
    const void *v_cache;
    int kv_type;
    const ferry_cpu_attention_batch *batch;
    const int32_t *token_seq;  // [num_tokens]: the sequence of each query row
    int64_t num_tokens, num_heads, num_kv_heads, head_dim, sliding_window;
    float scale;
    int64_t max_context;
    float *scratch;  // per thread: scores [group, max_context] + row offsets [max_context] int64, by the caller
} attention_task;

/// The per-row attention kernels, one per cache element type. The loops are plain C over restrict pointers;
/// FERRY_HOT compiles them for AVX2/FMA/F16C next to the baseline, so float16 rows convert with vcvtph2ps inline.
#define ATTEND_FUNCTION(NAME, ELEMENT)                                                                            \
    FERRY_HOT static void NAME(const attention_task *task, int64_t t, int64_t g, float *restrict scores) {       \
        const ferry_cpu_attention_batch *batch = task->batch;                                                     \
        const int64_t s = task->token_seq[t];                                                                     \
        const int64_t q_len = batch->query_start_loc[s + 1] - batch->query_start_loc[s];                           \
        const int64_t position = batch->context_lens[s] - q_len + (t - batch->query_start_loc[s]);                 \
        const int64_t lo = task->sliding_window > 0 && position - task->sliding_window + 1 > 0                    \
            ? position - task->sliding_window + 1 : 0;                                                            \
        const int64_t span = position - lo + 1;                                                                   \
        const int64_t hd = task->head_dim, nkv = task->num_kv_heads, group = task->num_heads / nkv;               \
        const int32_t *blocks = batch->block_tables + s * batch->max_blocks_per_seq;                               \
        const int64_t bs = batch->block_size;                                                                     \
        const ELEMENT *restrict k_cache = task->k_cache;                                                          \
        const ELEMENT *restrict v_cache = task->v_cache;                                                          \
        /* Scores: scores[qi * span + j] = q_h · k_{lo + j} · scale, eight accumulators per dot. */               \
        for (int64_t j = 0; j < span; j++) {                                                                      \
            const int64_t p = lo + j;                                                                             \
            const ELEMENT *restrict k = k_cache + (((int64_t)blocks[p / bs] * bs + p % bs) * nkv + g) * hd;        \
            for (int64_t qi = 0; qi < group; qi++) {                                                              \
                const float *restrict q = task->q + (t * task->num_heads + g * group + qi) * hd;                  \
                float acc[8] = {0};                                                                               \
                for (int64_t d = 0; d + 8 <= hd; d += 8) {                                                        \
                    for (int e = 0; e < 8; e++) acc[e] += q[d + e] * (float)k[d + e];                             \
                }                                                                                                 \
                float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));    \
                for (int64_t d = hd / 8 * 8; d < hd; d++) sum += q[d] * (float)k[d];                              \
                scores[qi * span + j] = sum * task->scale;                                                        \
            }                                                                                                     \
        }                                                                                                         \
        for (int64_t qi = 0; qi < group; qi++) {                                                                  \
            float *restrict row = scores + qi * span;                                                             \
            float maximum = row[0];                                                                               \
            for (int64_t j = 1; j < span; j++) maximum = row[j] > maximum ? row[j] : maximum;                     \
            float sum = 0.0f;                                                                                     \
            for (int64_t j = 0; j < span; j++) {                                                                  \
                row[j] = ferry_expf(row[j] - maximum);                                                            \
                sum += row[j];                                                                                    \
            }                                                                                                     \
            const float inverse = 1.0f / sum;                                                                     \
            for (int64_t j = 0; j < span; j++) row[j] *= inverse;                                                 \
            memset(task->out + (t * task->num_heads + g * group + qi) * hd, 0, (size_t)hd * sizeof(float));       \
        }                                                                                                         \
        /* Weighted sum of values, each value row read once for the whole group. */                              \
        for (int64_t j = 0; j < span; j++) {                                                                      \
            const int64_t p = lo + j;                                                                             \
            const ELEMENT *restrict v = v_cache + (((int64_t)blocks[p / bs] * bs + p % bs) * nkv + g) * hd;        \
            for (int64_t qi = 0; qi < group; qi++) {                                                              \
                const float weight = scores[qi * span + j];                                                       \
                float *restrict o = task->out + (t * task->num_heads + g * group + qi) * hd;                      \
                for (int64_t d = 0; d < hd; d++) o[d] += weight * (float)v[d];                                    \
            }                                                                                                     \
        }                                                                                                         \
    }

ATTEND_FUNCTION(attend_f32, float)
ATTEND_FUNCTION(attend_f16, _Float16)

/// The float16 item through the intrinsics kernel.
static void attend_f16_fast(const attention_task *task, int64_t t, int64_t g, float *scores) {
    const ferry_cpu_attention_batch *batch = task->batch;
    const int64_t s = task->token_seq[t];
    const int64_t q_len = batch->query_start_loc[s + 1] - batch->query_start_loc[s];
    const int64_t position = batch->context_lens[s] - q_len + (t - batch->query_start_loc[s]);
    const int64_t lo = task->sliding_window > 0 && position - task->sliding_window + 1 > 0
        ? position - task->sliding_window + 1 : 0;
    const int64_t group = task->num_heads / task->num_kv_heads, hd = task->head_dim;
    ferry_cpu_attend_args args = {
        .k_cache = task->k_cache, .v_cache = task->v_cache,
        .blocks = batch->block_tables + s * batch->max_blocks_per_seq, .lo = lo, .span = position - lo + 1,
        .group = group, .head_dim = hd, .block_size = batch->block_size, .num_kv_heads = task->num_kv_heads,
        .kv_head = g, .scale = task->scale, .scores = scores,
        .row_offsets = (int64_t *)(scores + (group * task->max_context + 1) / 2 * 2),  // 8-byte aligned
    };
    for (int64_t qi = 0; qi < group; qi++) {
        args.q[qi] = task->q + (t * task->num_heads + g * group + qi) * hd;
        args.out[qi] = task->out + (t * task->num_heads + g * group + qi) * hd;
    }
#if defined(__x86_64__)
    ferry_cpu_attend_f16_avx2_(&args);
#endif
}

static void attention_worker(void *context, int thread_index, int num_threads) {
    const attention_task *task = context;
#if defined(__x86_64__)
    const int fast_f16 = ferry_cpu_simd_level() >= FERRY_CPU_SIMD_AVX2 && task->head_dim % 8 == 0 &&
                         task->num_heads / task->num_kv_heads <= 8;
#else
    const int fast_f16 = 0;
#endif
    const int64_t items = task->num_tokens * task->num_kv_heads;
    int64_t begin, end;
    ferry_cpu_split_range(items, 1, thread_index, num_threads, &begin, &end);
    if (begin >= end) return;
    const int64_t group = task->num_heads / task->num_kv_heads;
    // Per thread: scores [group, max_context] then row offsets [max_context] (int64, two floats each).
    float *scores = task->scratch + (int64_t)thread_index * ((group + 2) * task->max_context + 2);
    for (int64_t item = begin; item < end; item++) {
        if (task->token_seq[item / task->num_kv_heads] < 0) continue;  // done by the prefill path
        if (task->kv_type == FERRY_CPU_KV_F16 && fast_f16) {
            attend_f16_fast(task, item / task->num_kv_heads, item % task->num_kv_heads, scores);
        } else if (task->kv_type == FERRY_CPU_KV_F16) {
            attend_f16(task, item / task->num_kv_heads, item % task->num_kv_heads, scores);
        } else {
            attend_f32(task, item / task->num_kv_heads, item % task->num_kv_heads, scores);
        }
    }
}

ferry_cpu_status ferry_cpu_paged_attention(ferry_cpu_pool *pool, const float *q, float *out,
                                           const void *k_cache, const void *v_cache, int kv_type,
                                           const ferry_cpu_attention_batch *batch, int64_t num_heads,
                                           int64_t num_kv_heads, int64_t head_dim, float scale,
                                           int64_t sliding_window) {
    if (num_kv_heads <= 0 || num_heads % num_kv_heads != 0 || batch->num_seqs < 0 || batch->block_size <= 0 ||
        head_dim <= 0 || head_dim > 1024 || (kv_type != FERRY_CPU_KV_F32 && kv_type != FERRY_CPU_KV_F16)) {
        return FERRY_CPU_ERR_INVALID_ARGUMENT;
    }
    const int64_t num_tokens = batch->query_start_loc[batch->num_seqs];
    if (num_tokens <= 0) return FERRY_CPU_OK;
    int32_t *token_seq = malloc((size_t)num_tokens * sizeof(int32_t));
    if (!token_seq) return FERRY_CPU_ERR_OUT_OF_MEMORY;
    int64_t max_context = 1;
    // Validate every sequence before any thread reads the cache.
    for (int64_t s = 0; s < batch->num_seqs; s++) {
        const int64_t start = batch->query_start_loc[s], stop = batch->query_start_loc[s + 1];
        const int64_t context = batch->context_lens[s];
        const int64_t needed_blocks = (context + batch->block_size - 1) / batch->block_size;
        if (stop < start || stop - start > context || needed_blocks > batch->max_blocks_per_seq) {
            free(token_seq);
            return FERRY_CPU_ERR_INVALID_ARGUMENT;
        }
        for (int64_t b = 0; b < needed_blocks; b++) {
            const int32_t id = batch->block_tables[s * batch->max_blocks_per_seq + b];
            if (id < 0 || id >= batch->num_blocks) {
                free(token_seq);
                return FERRY_CPU_ERR_INVALID_ARGUMENT;
            }
        }
        const int by_gemm = stop - start >= FERRY_CPU_PREFILL_GEMM_MIN_ROWS;
        for (int64_t t = start; t < stop; t++) token_seq[t] = by_gemm ? -1 : (int32_t)s;
        if (context > max_context) max_context = context;
    }
    const int64_t threads = pool ? ferry_cpu_pool_size(pool) : 1;
    float *scratch = malloc((size_t)(threads * ((num_heads / num_kv_heads + 2) * max_context + 2)) * sizeof(float));
    if (!scratch) {
        free(token_seq);
        return FERRY_CPU_ERR_OUT_OF_MEMORY;
    }
    attention_task task = {
        .q = q, .out = out, .k_cache = k_cache, .v_cache = v_cache, .kv_type = kv_type, .batch = batch,
        .token_seq = token_seq,
        .num_tokens = num_tokens, .num_heads = num_heads, .num_kv_heads = num_kv_heads, .head_dim = head_dim,
        .sliding_window = sliding_window, .scale = scale, .max_context = max_context, .scratch = scratch,
    };
    ferry_cpu_status status = FERRY_CPU_OK;
    for (int64_t s = 0; s < batch->num_seqs && status == FERRY_CPU_OK; s++) {
        if (batch->query_start_loc[s + 1] - batch->query_start_loc[s] < FERRY_CPU_PREFILL_GEMM_MIN_ROWS) continue;
        status = ferry_cpu_prefill_attention_(pool, q, out, k_cache, v_cache, kv_type, batch, s, num_heads,
                                              num_kv_heads, head_dim, scale, sliding_window);
    }
    ferry_cpu_pool_run(pool, attention_worker, &task);
    free(scratch);
    free(token_seq);
    return status;
}
