// SPDX-License-Identifier: Apache-2.0
// Paged attention over block tables: every query row of a flat varlen batch (prefill chunks and decodes together)
// in one launch, the same metadata as the CPU kernel (ferry_cpu_paged_attention).
//
// One block of FERRY_ATTN_THREADS threads per (query row, head). Keys are visited in chunks of FERRY_ATTN_THREADS:
// each thread scores one key (q·k in float32), the block takes the chunk's max and the exponentials, rescales its
// running output (online softmax, as FlashAttention does) and adds the chunk's p·V with threads spread over head_dim,
// so V reads are coalesced. Limits: head_dim ≤ FERRY_ATTN_MAX_HEAD_DIM; a prefill row re-reads its keys from L2
// (no tensor-core tiling across query rows yet).
#ifndef FERRY_GPU_ATTENTION_CUH
#define FERRY_GPU_ATTENTION_CUH

#define FERRY_ATTN_THREADS 128
#define FERRY_ATTN_MAX_HEAD_DIM 256
#define FERRY_ATTN_DIMS_PER_THREAD (FERRY_ATTN_MAX_HEAD_DIM / FERRY_ATTN_THREADS)

__device__ float ferry_block_max(float value, float *shared) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) shared[threadIdx.x] = fmaxf(shared[threadIdx.x], shared[threadIdx.x + stride]);
        __syncthreads();
    }
    float result = shared[0];
    __syncthreads();
    return result;
}

/// The sequence owning query row `token`: the last s with query_start_loc[s] ≤ token.
__device__ int64_t ferry_sequence_of(const int32_t *starts, int64_t num_seqs, int64_t token) {
    int64_t lo = 0, hi = num_seqs - 1;
    while (lo < hi) {
        const int64_t mid = (lo + hi + 1) / 2;
        if (starts[mid] <= token) lo = mid; else hi = mid - 1;
    }
    return lo;
}

__global__ void __launch_bounds__(FERRY_ATTN_THREADS)
ferry_paged_attention_kernel(const float *q, float *out, const void *k_cache, const void *v_cache, int kv_type,
                             ferry_gpu_attention_batch batch, int64_t num_heads, int64_t num_kv_heads,
                             int64_t head_dim, float scale, int64_t sliding_window) {
    __shared__ float query[FERRY_ATTN_MAX_HEAD_DIM];
    __shared__ float probabilities[FERRY_ATTN_THREADS];
    __shared__ int64_t key_slots[FERRY_ATTN_THREADS];
    __shared__ float reduce[FERRY_ATTN_THREADS];

    const int64_t token = blockIdx.x;
    const int64_t head = blockIdx.y;
    const unsigned tid = threadIdx.x;
    float *result = out + (token * num_heads + head) * head_dim;

    const int64_t s = ferry_sequence_of(batch.query_start_loc, batch.num_seqs, token);
    const int64_t start = batch.query_start_loc[s];
    const int64_t query_len = batch.query_start_loc[s + 1] - start;
    const int64_t context_len = batch.context_lens[s];
    const int64_t position = context_len - query_len + (token - start);
    if (position < 0 || position >= context_len) {  // inconsistent metadata: the host checks, the kernel stays safe
        for (int64_t d = tid; d < head_dim; d += blockDim.x) result[d] = 0.0f;
        return;
    }
    const int64_t first = sliding_window > 0 && position - sliding_window + 1 > 0 ? position - sliding_window + 1 : 0;
    const int64_t kv_head = head / (num_heads / num_kv_heads);
    const int64_t row_width = num_kv_heads * head_dim;
    const int32_t *table = batch.block_tables + s * batch.max_blocks_per_seq;

    const float *q_row = q + (token * num_heads + head) * head_dim;
    for (int64_t d = tid; d < head_dim; d += blockDim.x) query[d] = q_row[d] * scale;

    float running_max = -INFINITY, running_sum = 0.0f;
    float accumulator[FERRY_ATTN_DIMS_PER_THREAD];
    for (int i = 0; i < FERRY_ATTN_DIMS_PER_THREAD; i++) accumulator[i] = 0.0f;
    __syncthreads();

    for (int64_t chunk = first; chunk <= position; chunk += FERRY_ATTN_THREADS) {
        // Score one key per thread.
        const int64_t j = chunk + tid;
        float score = -INFINITY;
        int64_t slot = -1;
        if (j <= position) {
            const int64_t block_index = j / batch.block_size;
            const int64_t block = block_index < batch.max_blocks_per_seq ? table[block_index] : -1;
            if (block >= 0 && block < batch.num_blocks) {
                slot = block * batch.block_size + j % batch.block_size;
                const int64_t base = slot * row_width + kv_head * head_dim;
                float dot = 0.0f;
                if (kv_type == FERRY_GPU_F16) {
                    const uint16_t *k = (const uint16_t *)k_cache + base;
                    for (int64_t d = 0; d < head_dim; d++) dot += query[d] * ferry_f16_to_float(k[d]);
                } else {
                    const float *k = (const float *)k_cache + base;
                    for (int64_t d = 0; d < head_dim; d++) dot += query[d] * k[d];
                }
                score = dot;
            }
        }
        key_slots[tid] = slot;

        // Online softmax update.
        const float chunk_max = ferry_block_max(score, reduce);
        const float new_max = fmaxf(running_max, chunk_max);
        const float p = (slot >= 0 && new_max != -INFINITY) ? expf(score - new_max) : 0.0f;
        probabilities[tid] = p;
        const float chunk_sum = ferry_block_sum(p, reduce);  // its barriers also publish probabilities and key_slots
        const float correction = running_max == -INFINITY ? 0.0f : expf(running_max - new_max);
        running_sum = running_sum * correction + chunk_sum;
        running_max = new_max;

        // Accumulate p·V, threads over head_dim.
        const int64_t keys = position - chunk + 1 < FERRY_ATTN_THREADS ? position - chunk + 1 : FERRY_ATTN_THREADS;
        for (int i = 0; i < FERRY_ATTN_DIMS_PER_THREAD; i++) {
            const int64_t d = tid + (int64_t)i * FERRY_ATTN_THREADS;
            if (d >= head_dim) break;
            float sum = accumulator[i] * correction;
            for (int64_t jj = 0; jj < keys; jj++) {
                const int64_t key_slot = key_slots[jj];
                if (key_slot < 0) continue;
                const int64_t index = key_slot * row_width + kv_head * head_dim + d;
                const float value = kv_type == FERRY_GPU_F16 ? ferry_f16_to_float(((const uint16_t *)v_cache)[index])
                                                             : ((const float *)v_cache)[index];
                sum += probabilities[jj] * value;
            }
            accumulator[i] = sum;
        }
        __syncthreads();  // before the next chunk overwrites probabilities and key_slots
    }

    const float inverse = running_sum > 0.0f ? 1.0f / running_sum : 0.0f;
    for (int i = 0; i < FERRY_ATTN_DIMS_PER_THREAD; i++) {
        const int64_t d = tid + (int64_t)i * FERRY_ATTN_THREADS;
        if (d < head_dim) result[d] = accumulator[i] * inverse;
    }
}

#if !defined(FERRY_GPU_EMULATION)  // host entries: launches, BLAS
static ferry_gpu_status ferry_paged_attention(ferry_gpu_context *context, const float *q, float *out,
                                              const void *k_cache, const void *v_cache, ferry_gpu_dtype kv_type,
                                              const ferry_gpu_attention_batch *batch, int64_t num_heads,
                                              int64_t num_kv_heads, int64_t head_dim, float scale,
                                              int64_t sliding_window) {
    FERRY_REQUIRE(context && q && out && k_cache && v_cache && batch, "paged_attention: NULL argument");
    FERRY_REQUIRE(batch->num_seqs > 0 && batch->num_tokens >= 0 && batch->query_start_loc && batch->context_lens &&
                      batch->block_tables && batch->max_blocks_per_seq > 0 && batch->block_size > 0 &&
                      batch->num_blocks > 0,
                  "paged_attention: empty or inconsistent batch");
    FERRY_REQUIRE(num_heads > 0 && num_kv_heads > 0 && num_heads % num_kv_heads == 0 && num_heads <= 65535,
                  "paged_attention: %lld heads over %lld KV heads", (long long)num_heads, (long long)num_kv_heads);
    if (head_dim <= 0 || head_dim > FERRY_ATTN_MAX_HEAD_DIM) {
        return ferry_fail(FERRY_GPU_ERR_UNSUPPORTED, "paged_attention: head_dim %lld (supported: 1 to %d)",
                          (long long)head_dim, FERRY_ATTN_MAX_HEAD_DIM);
    }
    if (kv_type != FERRY_GPU_F32 && kv_type != FERRY_GPU_F16) {
        return ferry_fail(FERRY_GPU_ERR_UNSUPPORTED, "paged_attention: cache type %d", (int)kv_type);
    }
    if (batch->num_tokens == 0) return FERRY_GPU_OK;
    FERRY_REQUIRE(batch->num_tokens <= 0x7fffffff, "paged_attention: %lld query rows", (long long)batch->num_tokens);
    dim3 grid((unsigned)batch->num_tokens, (unsigned)num_heads);
    ferry_paged_attention_kernel<<<grid, FERRY_ATTN_THREADS, 0, context->stream>>>(
        q, out, k_cache, v_cache, (int)kv_type, *batch, num_heads, num_kv_heads, head_dim, scale, sliding_window);
    FERRY_CHECK_LAUNCH("paged_attention launch");
    return FERRY_GPU_OK;
}

#endif

#endif
