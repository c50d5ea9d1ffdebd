// SPDX-License-Identifier: Apache-2.0
#include "ferry_gpu_loader.h"

#include <dlfcn.h>
#include <stdio.h>

ferry_gpu_load_status ferry_gpu_load(const char *path, uint32_t abi_version, const ferry_gpu_api **api,
                                     char *message, size_t capacity) {
    *api = NULL;
    if (capacity > 0) message[0] = '\0';
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        snprintf(message, capacity, "%s", reason ? reason : "dlopen failed");
        return FERRY_GPU_LOAD_NOT_LOADABLE;
    }
    dlerror();
    void *symbol = dlsym(handle, FERRY_GPU_GET_API_SYMBOL);
    if (symbol == NULL) {
        const char *reason = dlerror();
        snprintf(message, capacity, "%s", reason ? reason : "no " FERRY_GPU_GET_API_SYMBOL);
        dlclose(handle);  // not a Ferry library: nothing of it has run
        return FERRY_GPU_LOAD_NO_ENTRY;
    }
    const ferry_gpu_api *table = ((ferry_gpu_get_api_fn)symbol)(abi_version);
    if (table == NULL) {
        snprintf(message, capacity, "the library does not implement ABI version %u", abi_version);
        return FERRY_GPU_LOAD_ABI_MISMATCH;
    }
    if (table->abi_version != abi_version || table->struct_size < sizeof(ferry_gpu_api)) {
        snprintf(message, capacity, "the library returned ABI version %u (table of %u bytes) for version %u (%zu)",
                 table->abi_version, table->struct_size, abi_version, sizeof(ferry_gpu_api));
        return FERRY_GPU_LOAD_ABI_MISMATCH;
    }
    const void *entries[] = {
        (const void *)table->last_error, (const void *)table->device_count, (const void *)table->device_name,
        (const void *)table->memory_info, (const void *)table->context_create, (const void *)table->context_destroy,
        (const void *)table->synchronize, (const void *)table->alloc, (const void *)table->free,
        (const void *)table->memcpy_h2d, (const void *)table->memcpy_d2h, (const void *)table->memcpy_d2d,
        (const void *)table->memset_zero, (const void *)table->convert_f32, (const void *)table->gemm,
        (const void *)table->gemm_benchmark, (const void *)table->rmsnorm, (const void *)table->rope,
        (const void *)table->silu_mul, (const void *)table->add, (const void *)table->add_bias,
        (const void *)table->embedding, (const void *)table->gather_rows, (const void *)table->kv_store,
        (const void *)table->paged_attention,
    };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        if (entries[i] == NULL) {
            snprintf(message, capacity, "the library's ABI %u table has no entry %zu", abi_version, i);
            return FERRY_GPU_LOAD_ABI_MISMATCH;
        }
    }
    *api = table;
    return FERRY_GPU_LOAD_OK;
}
