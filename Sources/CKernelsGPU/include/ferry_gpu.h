// SPDX-License-Identifier: Apache-2.0
// The C ABI of libferry_cuda.so and libferry_hip.so, the GPU kernel libraries `ferry` loads at run time.
//
// A library exports one symbol, `ferry_gpu_get_api`, returning a table of function pointers for the ABI version the
// caller asks for (NULL when it does not implement that version), so a single dlsym checks the version. Every entry
// returns a ferry_gpu_status; nothing exits or aborts. After a failure, `last_error` returns a message naming the call
// and the runtime's own error string (thread-local, valid until the thread's next failing call).
//
// Memory: device pointers are plain `void *` from `alloc`. Tensors are row-major. Activations are float32; weights
// are F32, F16 or BF16 (ferry_gpu_dtype, the GGUF type numbers). Kernels run in the context's stream, in call order;
// `memcpy_d2h` and `synchronize` wait for it. Integer metadata (token ids, slots, block tables) is copied to the device
// by the caller and validated by the caller on the host first: kernels treat out-of-range values as "skip", they do
// not trap.
#ifndef FERRY_GPU_H
#define FERRY_GPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The ABI this header describes. Bumped on any change to the table's layout or an entry's meaning.
#define FERRY_GPU_ABI_VERSION 1

/// The one exported symbol's name.
#define FERRY_GPU_GET_API_SYMBOL "ferry_gpu_get_api"

typedef enum {
    FERRY_GPU_OK = 0,
    FERRY_GPU_ERR_INVALID_ARGUMENT = 1,
    FERRY_GPU_ERR_OUT_OF_MEMORY = 2,
    /// No device, or no driver (the runtime loaded but found nothing to run on).
    FERRY_GPU_ERR_NO_DEVICE = 3,
    /// Any other runtime/driver failure (launch, copy, synchronize).
    FERRY_GPU_ERR_RUNTIME = 4,
    /// cuBLAS / hipBLAS failure.
    FERRY_GPU_ERR_BLAS = 5,
    /// A type or shape this library does not implement (e.g. head_dim > 256).
    FERRY_GPU_ERR_UNSUPPORTED = 6,
} ferry_gpu_status;

/// Element types, numbered like GGUF's ggml_type (and Ferry's WeightType).
typedef enum {
    FERRY_GPU_F32 = 0,
    FERRY_GPU_F16 = 1,
    FERRY_GPU_BF16 = 30,
} ferry_gpu_dtype;

/// One device's execution context: its stream, BLAS handle and scratch memory. Opaque.
typedef struct ferry_gpu_context ferry_gpu_context;

/// One flat batch of sequences for paged attention: prefill chunks and decodes together (varlen), exactly the
/// fields of Ferry's AttentionMetadata. The arrays are DEVICE pointers.
typedef struct {
    int64_t num_seqs;
    int64_t num_tokens;              ///< query rows: query_start_loc[num_seqs].
    const int32_t *query_start_loc;  ///< [num_seqs + 1]: sequence s owns query rows [start[s], start[s+1]).
    const int32_t *context_lens;     ///< [num_seqs]: tokens in the cache for s after this step's store.
    const int32_t *block_tables;     ///< [num_seqs, max_blocks_per_seq]: block ids of s, in order.
    int64_t max_blocks_per_seq;
    int64_t block_size;
    int64_t num_blocks;              ///< blocks in the cache; larger ids are skipped.
} ferry_gpu_attention_batch;

/// The entry points of one ABI version. `struct_size` is sizeof(ferry_gpu_api) as the library was built.
typedef struct {
    uint32_t abi_version;
    uint32_t struct_size;
    /// "cuda" or "hip".
    const char *platform;

    /// The message of the calling thread's last failure ("" when none).
    const char *(*last_error)(void);

    // MARK: Devices
    ferry_gpu_status (*device_count)(int32_t *count);
    /// Writes the device's name, NUL-terminated and truncated to `capacity`.
    ferry_gpu_status (*device_name)(int32_t device, char *name, size_t capacity);
    ferry_gpu_status (*memory_info)(int32_t device, uint64_t *free_bytes, uint64_t *total_bytes);

    // MARK: Contexts (one stream each)
    ferry_gpu_status (*context_create)(int32_t device, ferry_gpu_context **context);
    ferry_gpu_status (*context_destroy)(ferry_gpu_context *context);
    /// Waits for every kernel and copy queued in the context's stream.
    ferry_gpu_status (*synchronize)(ferry_gpu_context *context);

    // MARK: Memory
    ferry_gpu_status (*alloc)(ferry_gpu_context *context, uint64_t bytes, void **pointer);
    ferry_gpu_status (*free)(ferry_gpu_context *context, void *pointer);
    /// Queues a copy from pageable host memory; `source` may be reused as soon as the call returns.
    ferry_gpu_status (*memcpy_h2d)(ferry_gpu_context *context, void *destination, const void *source,
                                   uint64_t bytes);
    /// Copies to host memory after everything queued before it; returns when the bytes are there.
    ferry_gpu_status (*memcpy_d2h)(ferry_gpu_context *context, void *destination, const void *source,
                                   uint64_t bytes);
    ferry_gpu_status (*memcpy_d2d)(ferry_gpu_context *context, void *destination, const void *source,
                                   uint64_t bytes);
    ferry_gpu_status (*memset_zero)(ferry_gpu_context *context, void *destination, uint64_t bytes);

    // MARK: Conversion
    /// out[i] = (dtype) in[i], round to nearest even. For weights uploaded as float32 and stored as F16/BF16.
    ferry_gpu_status (*convert_f32)(ferry_gpu_context *context, const float *in, void *out, ferry_gpu_dtype dtype,
                                    int64_t count);

    // MARK: Matrix product
    /// out[m, n] = x[m, k] · W[n, k]ᵀ, float32 accumulation. W is row-major [n, k] of `weight_type` (Hugging Face's
    /// [out_features, in_features], as stored); x and out are float32 row-major. CUDA: x is converted to W's type
    /// in scratch memory and cuBLAS multiplies (TN, tensor cores); F32 weights use a float32 GEMM.
    ferry_gpu_status (*gemm)(ferry_gpu_context *context, ferry_gpu_dtype weight_type, const void *weight,
                             const float *x, float *out, int64_t m, int64_t n, int64_t k);
    /// Times `iterations` products of the `gemm` entry's shapes on scratch data; *milliseconds is the mean.
    ferry_gpu_status (*gemm_benchmark)(ferry_gpu_context *context, ferry_gpu_dtype weight_type, int64_t m, int64_t n,
                                       int64_t k, int32_t iterations, float *milliseconds);

    // MARK: Element-wise
    /// out = x / sqrt(mean(x²) + eps) · weight per row of `dim`; out may be x.
    ferry_gpu_status (*rmsnorm)(ferry_gpu_context *context, const float *x, const float *weight, float *out,
                                int64_t rows, int64_t dim, float epsilon);
    /// Rotary embedding in place (neox halves): table [num_tokens, 2 · half] holds cos then sin per token.
    /// x: [num_tokens, num_heads, head_dim], half ≤ head_dim / 2.
    ferry_gpu_status (*rope)(ferry_gpu_context *context, float *x, const float *table, int64_t num_tokens,
                             int64_t num_heads, int64_t head_dim, int64_t half);
    /// out = silu(gate) ⊙ up; out may be gate.
    ferry_gpu_status (*silu_mul)(ferry_gpu_context *context, const float *gate, const float *up, float *out,
                                 int64_t count);
    /// x += y.
    ferry_gpu_status (*add)(ferry_gpu_context *context, float *x, const float *y, int64_t count);
    /// x[r] += bias for each of `rows` rows of `dim`.
    ferry_gpu_status (*add_bias)(ferry_gpu_context *context, float *x, const float *bias, int64_t rows, int64_t dim);
    /// out[t] = (float) table[ids[t]]; table: [rows, dim] of `table_type`; ids (device) out of range give zeros.
    ferry_gpu_status (*embedding)(ferry_gpu_context *context, ferry_gpu_dtype table_type, const void *table,
                                  int64_t rows, int64_t dim, const int32_t *ids, int64_t num_ids, float *out);
    /// out[i] = x[indices[i]] for rows of `dim` floats; indices (device) must be < x's rows.
    ferry_gpu_status (*gather_rows)(ferry_gpu_context *context, const float *x, int64_t dim, const int32_t *indices,
                                    int64_t count, float *out);

    // MARK: Paged KV cache and attention
    /// Writes each token's K and V ([num_tokens, num_kv_heads, head_dim] float32) into its slot of the layer's cache
    /// ([num_blocks · block_size, num_kv_heads, head_dim] of kv_type: F32 or F16). slots (device int64): negative
    /// or ≥ num_slots skips the token.
    ferry_gpu_status (*kv_store)(ferry_gpu_context *context, const float *k, const float *v, const int64_t *slots,
                                 int64_t num_tokens, void *k_cache, void *v_cache, ferry_gpu_dtype kv_type,
                                 int64_t num_slots, int64_t num_kv_heads, int64_t head_dim);
    /// Causal paged attention of every query row over its sequence's cached K/V, decodes and prefill chunks in one
    /// launch. Row i of sequence s sits at position context_len − q_len + i and attends to [lo, pos], lo =
    /// max(0, pos − sliding_window + 1) when sliding_window > 0. GQA: head h reads kv head h / (heads / kv_heads).
    /// q, out: [num_tokens, num_heads, head_dim] float32; head_dim ≤ 256. Float32 scores, softmax and sums.
    ferry_gpu_status (*paged_attention)(ferry_gpu_context *context, const float *q, float *out, const void *k_cache,
                                        const void *v_cache, ferry_gpu_dtype kv_type,
                                        const ferry_gpu_attention_batch *batch, int64_t num_heads,
                                        int64_t num_kv_heads, int64_t head_dim, float scale, int64_t sliding_window);
} ferry_gpu_api;

/// The exported entry: the table for `abi_version`, or NULL when this library does not implement it.
typedef const ferry_gpu_api *(*ferry_gpu_get_api_fn)(uint32_t abi_version);

#ifdef __cplusplus
}
#endif
#endif
