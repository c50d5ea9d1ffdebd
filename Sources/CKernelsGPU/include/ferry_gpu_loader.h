// SPDX-License-Identifier: Apache-2.0
// Opens a GPU kernel library (libferry_cuda.so / libferry_hip.so) and checks its ABI version: the only dlopen/dlsym
// in Ferry. A library stays loaded for the life of the process (never dlclose'd: the CUDA runtime inside it keeps
// state that does not survive unloading).
#ifndef FERRY_GPU_LOADER_H
#define FERRY_GPU_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include "ferry_gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    FERRY_GPU_LOAD_OK = 0,
    /// dlopen failed (no such file, or a dependency such as libcublas.so.13 is missing): message has dlerror().
    FERRY_GPU_LOAD_NOT_LOADABLE = 1,
    /// The file loaded but exports no ferry_gpu_get_api.
    FERRY_GPU_LOAD_NO_ENTRY = 2,
    /// ferry_gpu_get_api returned NULL for the version asked, or a table of another version or a smaller size.
    FERRY_GPU_LOAD_ABI_MISMATCH = 3,
} ferry_gpu_load_status;

/// Opens `path` (a file path, or a bare name for the default dlopen search) and returns the table of `abi_version`.
/// On failure writes a NUL-terminated explanation into `message` (`capacity` bytes).
ferry_gpu_load_status ferry_gpu_load(const char *path, uint32_t abi_version, const ferry_gpu_api **api,
                                     char *message, size_t capacity);

#ifdef __cplusplus
}
#endif
#endif
