// SPDX-License-Identifier: Apache-2.0
// The exported table: `ferry_gpu_get_api(abi_version)` is the library's only public symbol.
#ifndef FERRY_GPU_API_CUH
#define FERRY_GPU_API_CUH

static const ferry_gpu_api ferry_api_v1 = {
    FERRY_GPU_ABI_VERSION,
    (uint32_t)sizeof(ferry_gpu_api),
    FERRY_PLATFORM,
    ferry_last_error,
    ferry_device_count,
    ferry_device_name,
    ferry_memory_info,
    ferry_context_create,
    ferry_context_destroy,
    ferry_synchronize,
    ferry_alloc,
    ferry_free,
    ferry_memcpy_h2d,
    ferry_memcpy_d2h,
    ferry_memcpy_d2d,
    ferry_memset_zero,
    ferry_convert_f32,
    ferry_gemm,
    ferry_gemm_benchmark,
    ferry_rmsnorm,
    ferry_rope,
    ferry_silu_mul,
    ferry_add,
    ferry_add_bias,
    ferry_embedding,
    ferry_gather_rows,
    ferry_kv_store,
    ferry_paged_attention,
};

extern "C" __attribute__((visibility("default"))) const ferry_gpu_api *ferry_gpu_get_api(uint32_t abi_version) {
    if (abi_version != FERRY_GPU_ABI_VERSION) {
        ferry_fail(FERRY_GPU_ERR_INVALID_ARGUMENT, "this library implements ABI %d, not %u", FERRY_GPU_ABI_VERSION,
                   abi_version);
        return NULL;
    }
    return &ferry_api_v1;
}

#endif
