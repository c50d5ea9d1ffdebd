// SPDX-License-Identifier: Apache-2.0
// Attention of a long prefill chunk through matrix products: per kv head the sequence's K and V are gathered from
// their blocks into contiguous rows, then S = Q·Kᵀ (sgemm), a causal masked softmax (on the pool), and O = S·V
// (sgemm). Scores live in a tile of query rows so memory stays bounded for long contexts.
#include "ferry_cpu_attention_internal.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include "ferry_cpu_math.h"

/// Query rows per score tile: the tile holds rows × context floats, at most ~16 MB.
static int64_t tile_rows(int64_t context) {
    int64_t rows = (int64_t)(4 << 20) / (context > 0 ? context : 1);
    return rows < 1 ? 1 : rows;
}

typedef struct {
    float *scores;          // [rows, context]
    int64_t rows, context;
    int64_t first_position; // position of the tile's first query row
    int64_t sliding_window;
    float scale;
} softmax_task;

static void masked_softmax_worker(void *context, int thread_index, int num_threads) {
    const softmax_task *task = context;
    int64_t begin, end;
    ferry_cpu_split_range(task->rows, 8, thread_index, num_threads, &begin, &end);
    for (int64_t i = begin; i < end; i++) {
        float *row = task->scores + i * task->context;
        const int64_t position = task->first_position + i;
        const int64_t lo = task->sliding_window > 0 && position - task->sliding_window + 1 > 0
            ? position - task->sliding_window + 1 : 0;
        const int64_t hi = position + 1;  // exclusive
        float maximum = -3.0e38f;
        for (int64_t j = lo; j < hi; j++) {
            row[j] *= task->scale;
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
        for (int64_t j = hi; j < task->context; j++) row[j] = 0.0f;
    }
}

ferry_cpu_status ferry_cpu_prefill_attention_(ferry_cpu_pool *pool, const float *q, float *out,
                                              const float *k_cache, const float *v_cache,
                                              const ferry_cpu_attention_batch *batch, int64_t s, int64_t num_heads,
                                              int64_t num_kv_heads, int64_t head_dim, float scale,
                                              int64_t sliding_window) {
    const int64_t start = batch->query_start_loc[s];
    const int64_t q_len = batch->query_start_loc[s + 1] - start;
    const int64_t context = batch->context_lens[s];
    const int64_t bs = batch->block_size, hd = head_dim, group = num_heads / num_kv_heads;
    const int32_t *blocks = batch->block_tables + s * batch->max_blocks_per_seq;
    const int64_t rows_per_tile = tile_rows(context);
    const int64_t tile = rows_per_tile < q_len ? rows_per_tile : q_len;
    float *keys = malloc((size_t)(context * hd) * sizeof(float));
    float *values = malloc((size_t)(context * hd) * sizeof(float));
    float *scores = malloc((size_t)(tile * context) * sizeof(float));
    if (!keys || !values || !scores) {
        free(keys), free(values), free(scores);
        return FERRY_CPU_ERR_OUT_OF_MEMORY;
    }
    const int64_t q_stride = num_heads * hd;  // floats between consecutive tokens of q and out
    for (int64_t g = 0; g < num_kv_heads; g++) {
        // Gather this kv head's rows: keys, values: [context, head_dim].
        for (int64_t p = 0; p < context; p++) {
            const int64_t slot = (int64_t)blocks[p / bs] * bs + p % bs;
            memcpy(keys + p * hd, k_cache + (slot * num_kv_heads + g) * hd, (size_t)hd * sizeof(float));
            memcpy(values + p * hd, v_cache + (slot * num_kv_heads + g) * hd, (size_t)hd * sizeof(float));
        }
        for (int64_t h = g * group; h < (g + 1) * group; h++) {
            for (int64_t row = 0; row < q_len; row += tile) {
                const int64_t rows = q_len - row < tile ? q_len - row : tile;
                const float *q_rows = q + (start + row) * q_stride + h * hd;
                // Only keys up to the tile's last position matter (causal).
                const int64_t first_position = context - q_len + row;
                const int64_t span = first_position + rows;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)span, (int)hd, 1.0f, q_rows,
                            (int)q_stride, keys, (int)hd, 0.0f, scores, (int)span);
                softmax_task task = {scores, rows, span, first_position, sliding_window, scale};
                ferry_cpu_pool_run(pool, masked_softmax_worker, &task);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)hd, (int)span, 1.0f, scores,
                            (int)span, values, (int)hd, 0.0f, out + (start + row) * q_stride + h * hd,
                            (int)q_stride);
            }
        }
    }
    free(keys), free(values), free(scores);
    return FERRY_CPU_OK;
}
