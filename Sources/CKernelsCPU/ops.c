// SPDX-License-Identifier: Apache-2.0
// Element-wise and row-wise kernels. Written as plain loops the compiler vectorizes at -O3.
#include "ferry_cpu_ops.h"

#include <math.h>
#include "ferry_cpu_math.h"


// MARK: - Normalization

FERRY_HOT void ferry_cpu_rmsnorm(const float *x, const float *weight, float *out, int64_t rows, int64_t dim,
                                float eps) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * dim;
        float *outr = out + r * dim;
        float acc[8] = {0};
        int64_t i = 0;
        for (; i + 8 <= dim; i += 8) {
            for (int e = 0; e < 8; e++) acc[e] += xr[i + e] * xr[i + e];
        }
        float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; i < dim; i++) sum += xr[i] * xr[i];
        const float scale = 1.0f / sqrtf(sum / (float)dim + eps);
        for (int64_t i = 0; i < dim; i++) outr[i] = xr[i] * scale * weight[i];
    }
}

// MARK: - Rotary embedding

void ferry_cpu_rope_table(const int32_t *positions, const float *inv_freq, int64_t num_tokens, int64_t half,
                          float *table) {
    for (int64_t t = 0; t < num_tokens; t++) {
        float *row = table + t * 2 * half;
        for (int64_t i = 0; i < half; i++) {
            // Angles in double: float32 loses digits for positions in the thousands.
            const double angle = (double)positions[t] * (double)inv_freq[i];
            row[i] = (float)cos(angle);
            row[half + i] = (float)sin(angle);
        }
    }
}

FERRY_HOT void ferry_cpu_rope(float *x, const float *table, int64_t num_tokens, int64_t num_heads, int64_t head_dim,
                              int64_t half) {
    for (int64_t t = 0; t < num_tokens; t++) {
        const float *restrict cosines = table + t * 2 * half;
        const float *restrict sines = cosines + half;
        for (int64_t h = 0; h < num_heads; h++) {
            float *restrict v = x + (t * num_heads + h) * head_dim;
            for (int64_t i = 0; i < half; i++) {
                const float a = v[i], b = v[i + half];
                v[i] = a * cosines[i] - b * sines[i];
                v[i + half] = b * cosines[i] + a * sines[i];
            }
        }
    }
}

// MARK: - Activations

FERRY_HOT void ferry_cpu_silu_mul_split(const float *gate, const float *restrict up, float *out, int64_t count) {
    // out may be gate: each element is read before it is written, so no restrict on those two.
    for (int64_t i = 0; i < count; i++) {
        const float g = gate[i];
        out[i] = g / (1.0f + ferry_expf(-g)) * up[i];
    }
}

FERRY_HOT void ferry_cpu_add(float *restrict x, const float *restrict y, int64_t count) {
    for (int64_t i = 0; i < count; i++) x[i] += y[i];
}

void ferry_cpu_add_bias(float *x, const float *bias, int64_t num_tokens, int64_t dim) {
    for (int64_t t = 0; t < num_tokens; t++) {
        float *row = x + t * dim;
        for (int64_t i = 0; i < dim; i++) row[i] += bias[i];
    }
}

// MARK: - Parallel element-wise kernels

/// Elements below which a kernel runs on the caller alone: waking the pool costs more than the work.
#define PARALLEL_MIN_ELEMENTS 8192

typedef struct {
    const float *a, *b;
    float *out;
    int64_t count, dim;
    float eps;
} elementwise_task;

static void silu_worker(void *context, int thread_index, int num_threads) {
    const elementwise_task *task = context;
    int64_t begin, end;
    ferry_cpu_split_range(task->count, 256, thread_index, num_threads, &begin, &end);
    if (begin < end) ferry_cpu_silu_mul_split(task->a + begin, task->b + begin, task->out + begin, end - begin);
}

void ferry_cpu_silu_mul_parallel(ferry_cpu_pool *pool, const float *gate, const float *up, float *out,
                                 int64_t count) {
    if (count < PARALLEL_MIN_ELEMENTS || !pool) {
        ferry_cpu_silu_mul_split(gate, up, out, count);
        return;
    }
    elementwise_task task = {.a = gate, .b = up, .out = out, .count = count};
    ferry_cpu_pool_run(pool, silu_worker, &task);
}

static void rmsnorm_worker(void *context, int thread_index, int num_threads) {
    const elementwise_task *task = context;
    int64_t begin, end;
    ferry_cpu_split_range(task->count, 1, thread_index, num_threads, &begin, &end);
    if (begin < end) {
        ferry_cpu_rmsnorm(task->a + begin * task->dim, task->b, task->out + begin * task->dim, end - begin,
                          task->dim, task->eps);
    }
}

void ferry_cpu_rmsnorm_parallel(ferry_cpu_pool *pool, const float *x, const float *weight, float *out, int64_t rows,
                                int64_t dim, float eps) {
    if (rows * dim < PARALLEL_MIN_ELEMENTS || rows < 2 || !pool) {
        ferry_cpu_rmsnorm(x, weight, out, rows, dim, eps);
        return;
    }
    elementwise_task task = {.a = x, .b = weight, .out = out, .count = rows, .dim = dim, .eps = eps};
    ferry_cpu_pool_run(pool, rmsnorm_worker, &task);
}
