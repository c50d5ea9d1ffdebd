// SPDX-License-Identifier: Apache-2.0
// Attention of a long prefill chunk through matrix products. Work items are (query head, tile of query rows),
// spread over the pool; each gathers the keys and values its rows can see from their blocks into contiguous rows,
// then S = Q·Kᵀ (single-threaded sgemm), a causal masked softmax, and O = S·V (sgemm).
#include "ferry_cpu_attention_internal.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include "ferry_cpu_math.h"

/// Query rows per work item.
#define ROWS_PER_ITEM 64

typedef struct {
    const float *q;
    float *out;
    const void *k_cache, *v_cache;
    int kv_type;
    const ferry_cpu_attention_batch *batch;
    int64_t s, num_heads, num_kv_heads, head_dim, sliding_window;
    float scale;
    int failed;  // set when a thread could not allocate its scratch
} prefill_task;

/// Causal softmax of one row of scores for the query at `position`; entries outside [lo, position] become 0.
static void masked_softmax(float *row, int64_t span, int64_t position, int64_t window, float scale) {
    const int64_t lo = window > 0 && position - window + 1 > 0 ? position - window + 1 : 0;
    const int64_t hi = position + 1;
    float maximum = -3.0e38f;
    for (int64_t j = lo; j < hi; j++) {
        row[j] *= scale;
        maximum = row[j] > maximum ? row[j] : maximum;
    }
    float sum = 0.0f;
    for (int64_t j = lo; j < hi; j++) {
        row[j] = ferry_expf(row[j] - maximum);
        sum += row[j];
    }
    const float inverse = 1.0f / sum;
    for (int64_t j = 0; j < lo; j++) row[j] = 0.0f;
    for (int64_t j = lo; j < hi; j++) row[j] *= inverse;
    for (int64_t j = hi; j < span; j++) row[j] = 0.0f;
}

static void prefill_worker(void *context, int thread_index, int num_threads) {
    prefill_task *task = context;
    const ferry_cpu_attention_batch *batch = task->batch;
    const int64_t s = task->s;
    const int64_t start = batch->query_start_loc[s];
    const int64_t q_len = batch->query_start_loc[s + 1] - start;
    const int64_t context_len = batch->context_lens[s];
    const int64_t hd = task->head_dim, nkv = task->num_kv_heads, bs = batch->block_size;
    const int64_t group = task->num_heads / nkv;
    const int32_t *blocks = batch->block_tables + s * batch->max_blocks_per_seq;
    const int64_t tiles = (q_len + ROWS_PER_ITEM - 1) / ROWS_PER_ITEM;
    int64_t begin, end;
    ferry_cpu_split_range(task->num_heads * tiles, 1, thread_index, num_threads, &begin, &end);
    if (begin >= end) return;
    float *keys = malloc((size_t)(context_len * hd) * sizeof(float));
    float *values = malloc((size_t)(context_len * hd) * sizeof(float));
    float *scores = malloc((size_t)(ROWS_PER_ITEM * context_len) * sizeof(float));
    if (!keys || !values || !scores) {
        task->failed = 1;
        free(keys), free(values), free(scores);
        return;
    }
    const int64_t q_stride = task->num_heads * hd;
    int64_t gathered_head = -1, gathered_span = 0;
    for (int64_t item = begin; item < end; item++) {
        // Items run head-major with tiles from the last: the longest spans are gathered first and reused.
        const int64_t h = item / tiles;
        const int64_t tile = tiles - 1 - item % tiles;
        const int64_t g = h / group;
        const int64_t row = tile * ROWS_PER_ITEM;
        const int64_t rows = q_len - row < ROWS_PER_ITEM ? q_len - row : ROWS_PER_ITEM;
        const int64_t first_position = context_len - q_len + row;
        const int64_t span = first_position + rows;  // keys this tile can see (causal)
        if (g != gathered_head || span > gathered_span) {
            for (int64_t p = 0; p < span; p++) {
                const int64_t slot = (int64_t)blocks[p / bs] * bs + p % bs;
                const float *k = ferry_cpu_kv_row_(task->k_cache, task->kv_type, slot, g, nkv, hd, keys + p * hd);
                const float *v = ferry_cpu_kv_row_(task->v_cache, task->kv_type, slot, g, nkv, hd, values + p * hd);
                if (k != keys + p * hd) memcpy(keys + p * hd, k, (size_t)hd * sizeof(float));
                if (v != values + p * hd) memcpy(values + p * hd, v, (size_t)hd * sizeof(float));
            }
            gathered_head = g;
            gathered_span = span;
        }
        const float *q_rows = task->q + (start + row) * q_stride + h * hd;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)span, (int)hd, 1.0f, q_rows,
                    (int)q_stride, keys, (int)hd, 0.0f, scores, (int)span);
        for (int64_t i = 0; i < rows; i++) {
            masked_softmax(scores + i * span, span, first_position + i, task->sliding_window, task->scale);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)hd, (int)span, 1.0f, scores,
                    (int)span, values, (int)hd, 0.0f, task->out + (start + row) * q_stride + h * hd, (int)q_stride);
    }
    free(keys), free(values), free(scores);
}

ferry_cpu_status ferry_cpu_prefill_attention_(ferry_cpu_pool *pool, const float *q, float *out,
                                              const void *k_cache, const void *v_cache, int kv_type,
                                              const ferry_cpu_attention_batch *batch, int64_t s, int64_t num_heads,
                                              int64_t num_kv_heads, int64_t head_dim, float scale,
                                              int64_t sliding_window) {
    prefill_task task = {
        .q = q, .out = out, .k_cache = k_cache, .v_cache = v_cache, .kv_type = kv_type, .batch = batch, .s = s,
        .num_heads = num_heads, .num_kv_heads = num_kv_heads, .head_dim = head_dim,
        .sliding_window = sliding_window, .scale = scale, .failed = 0,
    };
    ferry_cpu_pool_run(pool, prefill_worker, &task);
    return task.failed ? FERRY_CPU_ERR_OUT_OF_MEMORY : FERRY_CPU_OK;
}
