// SPDX-License-Identifier: Apache-2.0
// Element-wise kernels and their entries: rmsnorm, rope, silu·mul, add, bias, embedding, gather, conversion, KV store.
// Grid-stride loops everywhere, 64-bit indices, float32 arithmetic.
#ifndef FERRY_GPU_ELEMENTWISE_CUH
#define FERRY_GPU_ELEMENTWISE_CUH

#define FERRY_THREADS 256

/// Sum of `value` over the block (blockDim.x a power of two ≤ 1024); every thread gets the result.
/// Shared-memory tree, so the same code serves 32-wide (NVIDIA) and 64-wide (AMD) warps.
__device__ float ferry_block_sum(float value, float *shared) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
        __syncthreads();
    }
    float total = shared[0];
    __syncthreads();
    return total;
}

/// One block per row.
__global__ void ferry_rmsnorm_kernel(const float *x, const float *weight, float *out, int64_t rows, int64_t dim,
                                     float epsilon) {
    __shared__ float shared[FERRY_THREADS];
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const float *in = x + row * dim;
        float sum = 0.0f;
        for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) sum += in[i] * in[i];
        const float scale = rsqrtf(ferry_block_sum(sum, shared) / (float)dim + epsilon);
        float *result = out + row * dim;
        for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) result[i] = in[i] * scale * weight[i];
    }
}

__global__ void ferry_rope_kernel(float *x, const float *table, int64_t num_tokens, int64_t num_heads,
                                  int64_t head_dim, int64_t half) {
    const int64_t total = num_tokens * num_heads * half;
    for (int64_t index = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; index < total;
         index += (int64_t)gridDim.x * blockDim.x) {
        const int64_t i = index % half;
        const int64_t head = (index / half) % num_heads;
        const int64_t token = index / (half * num_heads);
        const float c = table[token * 2 * half + i], s = table[token * 2 * half + half + i];
        float *v = x + (token * num_heads + head) * head_dim;
        const float a = v[i], b = v[i + half];
        v[i] = a * c - b * s;
        v[i + half] = b * c + a * s;
    }
}

__global__ void ferry_silu_mul_kernel(const float *gate, const float *up, float *out, int64_t count) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < count; i += (int64_t)gridDim.x * blockDim.x) {
        const float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

__global__ void ferry_add_kernel(float *x, const float *y, int64_t count) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < count; i += (int64_t)gridDim.x * blockDim.x)
        x[i] += y[i];
}

__global__ void ferry_add_bias_kernel(float *x, const float *bias, int64_t count, int64_t dim) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < count; i += (int64_t)gridDim.x * blockDim.x)
        x[i] += bias[i % dim];
}

__global__ void ferry_embedding_kernel(int table_type, const void *table, int64_t rows, int64_t dim,
                                       const int32_t *ids, int64_t num_ids, float *out) {
    const int64_t total = num_ids * dim;
    for (int64_t index = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; index < total;
         index += (int64_t)gridDim.x * blockDim.x) {
        const int64_t t = index / dim, i = index % dim;
        const int64_t id = ids[t];
        out[index] = (id >= 0 && id < rows) ? ferry_load(table, table_type, id * dim + i) : 0.0f;
    }
}

__global__ void ferry_gather_rows_kernel(const float *x, int64_t dim, const int32_t *indices, int64_t count,
                                         float *out) {
    const int64_t total = count * dim;
    for (int64_t index = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; index < total;
         index += (int64_t)gridDim.x * blockDim.x) {
        const int64_t r = index / dim, i = index % dim;
        out[index] = x[(int64_t)indices[r] * dim + i];
    }
}

__global__ void ferry_convert_f32_kernel(const float *in, uint16_t *out, int to_bf16, int64_t count) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < count; i += (int64_t)gridDim.x * blockDim.x)
        out[i] = to_bf16 ? ferry_float_to_bf16(in[i]) : ferry_float_to_f16(in[i]);
}

__global__ void ferry_kv_store_kernel(const float *k, const float *v, const int64_t *slots, int64_t num_tokens,
                                      void *k_cache, void *v_cache, int kv_type, int64_t num_slots, int64_t width) {
    const int64_t total = num_tokens * width;
    for (int64_t index = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; index < total;
         index += (int64_t)gridDim.x * blockDim.x) {
        const int64_t t = index / width, i = index % width;
        const int64_t slot = slots[t];
        if (slot < 0 || slot >= num_slots) continue;
        const int64_t target = slot * width + i;
        if (kv_type == FERRY_GPU_F16) {
            ((uint16_t *)k_cache)[target] = ferry_float_to_f16(k[index]);
            ((uint16_t *)v_cache)[target] = ferry_float_to_f16(v[index]);
        } else {
            ((float *)k_cache)[target] = k[index];
            ((float *)v_cache)[target] = v[index];
        }
    }
}

#if !defined(FERRY_GPU_EMULATION)  // host entries: launches, BLAS
// MARK: - Entries

#define FERRY_LAUNCH_CHECKED(kernel, blocks, name, ...)                                        \
    do {                                                                                       \
        kernel<<<(blocks), FERRY_THREADS, 0, context->stream>>>(__VA_ARGS__);                  \
        FERRY_CHECK_LAUNCH(name);                                                              \
        return FERRY_GPU_OK;                                                                   \
    } while (0)

static ferry_gpu_status ferry_rmsnorm(ferry_gpu_context *context, const float *x, const float *weight, float *out,
                                      int64_t rows, int64_t dim, float epsilon) {
    FERRY_REQUIRE(context && x && weight && out && rows >= 0 && dim > 0, "rmsnorm: bad arguments");
    if (rows == 0) return FERRY_GPU_OK;
    FERRY_LAUNCH_CHECKED(ferry_rmsnorm_kernel, rows < 65535 * 4 ? (unsigned)rows : 65535u * 4, "rmsnorm launch",
                         x, weight, out, rows, dim, epsilon);
}

static ferry_gpu_status ferry_rope(ferry_gpu_context *context, float *x, const float *table, int64_t num_tokens,
                                   int64_t num_heads, int64_t head_dim, int64_t half) {
    FERRY_REQUIRE(context && x && table && num_tokens >= 0 && num_heads > 0 && half > 0 && 2 * half <= head_dim,
                  "rope: bad arguments (half %lld, head_dim %lld)", (long long)half, (long long)head_dim);
    if (num_tokens == 0) return FERRY_GPU_OK;
    FERRY_LAUNCH_CHECKED(ferry_rope_kernel, ferry_blocks(num_tokens * num_heads * half, FERRY_THREADS), "rope launch",
                         x, table, num_tokens, num_heads, head_dim, half);
}

static ferry_gpu_status ferry_silu_mul(ferry_gpu_context *context, const float *gate, const float *up, float *out,
                                       int64_t count) {
    FERRY_REQUIRE(context && gate && up && out && count >= 0, "silu_mul: bad arguments");
    if (count == 0) return FERRY_GPU_OK;
    FERRY_LAUNCH_CHECKED(ferry_silu_mul_kernel, ferry_blocks(count, FERRY_THREADS), "silu_mul launch", gate, up, out,
                         count);
}

static ferry_gpu_status ferry_add(ferry_gpu_context *context, float *x, const float *y, int64_t count) {
    FERRY_REQUIRE(context && x && y && count >= 0, "add: bad arguments");
    if (count == 0) return FERRY_GPU_OK;
    FERRY_LAUNCH_CHECKED(ferry_add_kernel, ferry_blocks(count, FERRY_THREADS), "add launch", x, y, count);
}

static ferry_gpu_status ferry_add_bias(ferry_gpu_context *context, float *x, const float *bias, int64_t rows,
                                       int64_t dim) {
    FERRY_REQUIRE(context && x && bias && rows >= 0 && dim > 0, "add_bias: bad arguments");
    if (rows == 0) return FERRY_GPU_OK;
    FERRY_LAUNCH_CHECKED(ferry_add_bias_kernel, ferry_blocks(rows * dim, FERRY_THREADS), "add_bias launch", x, bias,
                         rows * dim, dim);
}

static int ferry_is_weight_type(ferry_gpu_dtype type) {
    return type == FERRY_GPU_F32 || type == FERRY_GPU_F16 || type == FERRY_GPU_BF16;
}

static ferry_gpu_status ferry_embedding(ferry_gpu_context *context, ferry_gpu_dtype table_type, const void *table,
                                        int64_t rows, int64_t dim, const int32_t *ids, int64_t num_ids, float *out) {
    FERRY_REQUIRE(context && table && ids && out && rows > 0 && dim > 0 && num_ids >= 0, "embedding: bad arguments");
    if (!ferry_is_weight_type(table_type)) {
        return ferry_fail(FERRY_GPU_ERR_UNSUPPORTED, "embedding: table type %d", (int)table_type);
    }
    if (num_ids == 0) return FERRY_GPU_OK;
    FERRY_LAUNCH_CHECKED(ferry_embedding_kernel, ferry_blocks(num_ids * dim, FERRY_THREADS), "embedding launch",
                         (int)table_type, table, rows, dim, ids, num_ids, out);
}

static ferry_gpu_status ferry_gather_rows(ferry_gpu_context *context, const float *x, int64_t dim,
                                          const int32_t *indices, int64_t count, float *out) {
    FERRY_REQUIRE(context && x && indices && out && dim > 0 && count >= 0, "gather_rows: bad arguments");
    if (count == 0) return FERRY_GPU_OK;
    FERRY_LAUNCH_CHECKED(ferry_gather_rows_kernel, ferry_blocks(count * dim, FERRY_THREADS), "gather_rows launch", x,
                         dim, indices, count, out);
}

static ferry_gpu_status ferry_convert_f32(ferry_gpu_context *context, const float *in, void *out,
                                          ferry_gpu_dtype dtype, int64_t count) {
    FERRY_REQUIRE(context && in && out && count >= 0, "convert_f32: bad arguments");
    if (dtype == FERRY_GPU_F32) return ferry_memcpy_d2d(context, out, in, (uint64_t)count * 4);
    if (dtype != FERRY_GPU_F16 && dtype != FERRY_GPU_BF16) {
        return ferry_fail(FERRY_GPU_ERR_UNSUPPORTED, "convert_f32: target type %d", (int)dtype);
    }
    if (count == 0) return FERRY_GPU_OK;
    FERRY_LAUNCH_CHECKED(ferry_convert_f32_kernel, ferry_blocks(count, FERRY_THREADS), "convert launch", in,
                         (uint16_t *)out, dtype == FERRY_GPU_BF16 ? 1 : 0, count);
}

static ferry_gpu_status ferry_kv_store(ferry_gpu_context *context, const float *k, const float *v,
                                       const int64_t *slots, int64_t num_tokens, void *k_cache, void *v_cache,
                                       ferry_gpu_dtype kv_type, int64_t num_slots, int64_t num_kv_heads,
                                       int64_t head_dim) {
    FERRY_REQUIRE(context && k && v && slots && k_cache && v_cache && num_tokens >= 0 && num_slots > 0 &&
                      num_kv_heads > 0 && head_dim > 0,
                  "kv_store: bad arguments");
    if (kv_type != FERRY_GPU_F32 && kv_type != FERRY_GPU_F16) {
        return ferry_fail(FERRY_GPU_ERR_UNSUPPORTED, "kv_store: cache type %d", (int)kv_type);
    }
    if (num_tokens == 0) return FERRY_GPU_OK;
    const int64_t width = num_kv_heads * head_dim;
    FERRY_LAUNCH_CHECKED(ferry_kv_store_kernel, ferry_blocks(num_tokens * width, FERRY_THREADS), "kv_store launch", k,
                         v, slots, num_tokens, k_cache, v_cache, (int)kv_type, num_slots, width);
}

#endif

#endif
