// SPDX-License-Identifier: Apache-2.0
// The prefill product: row shares of W per pool thread, dequantized tile by tile into thread-local scratch and
// multiplied with single-threaded sgemm (OpenBLAS's own threads would fight the pool for the cores).
#include "ferry_cpu_quant.h"

#include <cblas.h>
#include <stdlib.h>

/// Rows per dequantized tile: ~256 KB of float32, so a tile stays in L2 while sgemm streams x past it.
static int64_t tile_rows(int64_t cols) {
    int64_t rows = (int64_t)(64 << 10) / (cols > 0 ? cols : 1);
    rows = rows < 16 ? 16 : rows;
    return rows / 16 * 16;
}

typedef struct {
    int type;
    const unsigned char *w;
    int64_t rows, cols, row_bytes, num_tokens;
    const float *x;
    float *y;
    ferry_cpu_status status[64];
} gemm_task;

static void gemm_worker(void *context, int thread_index, int num_threads) {
    gemm_task *task = context;
    int64_t begin, end;
    ferry_cpu_split_range(task->rows, 16, thread_index, num_threads, &begin, &end);
    if (begin >= end) return;
    const int64_t cols = task->cols;
    if (task->type == FERRY_CPU_F32) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)task->num_tokens, (int)(end - begin), (int)cols,
                    1.0f, task->x, (int)cols, (const float *)(task->w + begin * task->row_bytes), (int)cols, 0.0f,
                    task->y + begin, (int)task->rows);
        return;
    }
    const int64_t tile = tile_rows(cols);
    float *scratch = malloc((size_t)(tile * cols) * sizeof(float));
    if (!scratch) {
        task->status[thread_index % 64] = FERRY_CPU_ERR_OUT_OF_MEMORY;
        return;
    }
    for (int64_t row = begin; row < end; row += tile) {
        const int64_t count = end - row < tile ? end - row : tile;
        ferry_cpu_status status = ferry_cpu_dequantize(task->type, task->w + row * task->row_bytes, scratch, count,
                                                       cols);
        if (status != FERRY_CPU_OK) {
            task->status[thread_index % 64] = status;
            break;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)task->num_tokens, (int)count, (int)cols, 1.0f,
                    task->x, (int)cols, scratch, (int)cols, 0.0f, task->y + row, (int)task->rows);
    }
    free(scratch);
}

ferry_cpu_status ferry_cpu_gemm(ferry_cpu_pool *pool, int type, const void *w, int64_t rows, int64_t cols,
                                const float *x, int64_t num_tokens, float *y) {
    const int64_t row_bytes = ferry_cpu_type_row_bytes(type, cols);
    if (row_bytes <= 0 || rows <= 0 || num_tokens <= 0) return FERRY_CPU_ERR_INVALID_ARGUMENT;
    gemm_task task = {.type = type, .w = w, .rows = rows, .cols = cols, .row_bytes = row_bytes,
                      .num_tokens = num_tokens, .x = x, .y = y};
    ferry_cpu_pool_run(pool, gemm_worker, &task);
    for (int i = 0; i < 64; i++) {
        if (task.status[i] != FERRY_CPU_OK) return task.status[i];
    }
    return FERRY_CPU_OK;
}
