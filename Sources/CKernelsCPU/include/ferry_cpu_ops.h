// SPDX-License-Identifier: Apache-2.0
// Element-wise and row-wise kernels of a transformer layer. Shapes are row-major and contiguous.
#ifndef FERRY_CPU_OPS_H
#define FERRY_CPU_OPS_H

#include <stdint.h>
#include "ferry_cpu_status.h"
#include "ferry_cpu_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/// out[r] = x[r] / sqrt(mean(x[r]²) + eps) * weight. x, out: [rows, dim] (out may equal x); weight: [dim].
void ferry_cpu_rmsnorm(const float *x, const float *weight, float *out, int64_t rows, int64_t dim, float eps);

/// The rotary table of one step: table[t] = cos(position_t · inv_freq[i]) for i < half, then the sines.
/// positions: [num_tokens]; inv_freq: [half]; table: [num_tokens, 2 · half]. Angles are computed in double.
void ferry_cpu_rope_table(const int32_t *positions, const float *inv_freq, int64_t num_tokens, int64_t half,
                          float *table);

/// Rotary embedding in the rotate-half layout (Hugging Face Llama), in place, from a table of
/// ferry_cpu_rope_table. x: [num_tokens, num_heads, head_dim]. The first 2·half elements of each head rotate:
/// pair (i, i + half) by the token's angle i.
void ferry_cpu_rope(float *x, const float *table, int64_t num_tokens, int64_t num_heads, int64_t head_dim,
                    int64_t half);

/// out[t, i] = silu(gate[t, i]) * up[t, i], gate and up: [num_tokens, inter] (out may equal gate).
void ferry_cpu_silu_mul_split(const float *gate, const float *up, float *out, int64_t count);

/// ferry_cpu_silu_mul_split over the pool's threads when `count` is large enough to pay for it.
void ferry_cpu_silu_mul_parallel(ferry_cpu_pool *pool, const float *gate, const float *up, float *out,
                                 int64_t count);

/// ferry_cpu_rmsnorm with the rows split over the pool's threads when there are enough of them.
void ferry_cpu_rmsnorm_parallel(ferry_cpu_pool *pool, const float *x, const float *weight, float *out, int64_t rows,
                                int64_t dim, float eps);

/// x[i] += y[i] for i in [0, count).
void ferry_cpu_add(float *x, const float *y, int64_t count);

/// x[t, i] += bias[i] for a [num_tokens, dim] matrix.
void ferry_cpu_add_bias(float *x, const float *bias, int64_t num_tokens, int64_t dim);

#ifdef __cplusplus
}
#endif
#endif
