// SPDX-License-Identifier: Apache-2.0
// Errors, devices, contexts and memory: the host half of the ABI that every other entry builds on.
#ifndef FERRY_GPU_RUNTIME_CUH
#define FERRY_GPU_RUNTIME_CUH

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/// Scratch memory a context keeps for converted activations and benchmarks; grown on demand, never shrunk.
struct ferry_gpu_context {
    int32_t device;
    gpuStream_t stream;
#if FERRY_HAVE_BLAS
    cublasHandle_t blas;
#endif
    void *scratch;
    uint64_t scratch_bytes;
};

// MARK: - Errors

/// The calling thread's last failure message (the ABI's `last_error`).
static thread_local char ferry_error_message[512];

static const char *ferry_last_error(void) { return ferry_error_message; }

/// Records a formatted message and returns `status`.
static ferry_gpu_status ferry_fail(ferry_gpu_status status, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(ferry_error_message, sizeof ferry_error_message, format, arguments);
    va_end(arguments);
    return status;
}

/// The status for a runtime error, with its name and text in the message.
static ferry_gpu_status ferry_runtime_fail(gpuError_t error, const char *operation) {
    ferry_gpu_status status = FERRY_GPU_ERR_RUNTIME;
    if (error == gpuErrorNoDevice || error == gpuErrorInsufficientDriver) status = FERRY_GPU_ERR_NO_DEVICE;
    if (error == gpuErrorMemoryAllocation) status = FERRY_GPU_ERR_OUT_OF_MEMORY;
    const char *hint = error == gpuErrorInsufficientDriver
                           ? "; no GPU driver was found, or it is older than this runtime needs"
#if !defined(FERRY_HIP)
                             " (CUDA 13: NVIDIA driver R580 or newer)"
#endif
                           : "";
    return ferry_fail(status, "%s: %s (%s %s)%s", operation, gpuGetErrorString(error), FERRY_PLATFORM,
                      gpuGetErrorName(error), hint);
}

#define FERRY_TRY(call, operation)                                                       \
    do {                                                                                 \
        gpuError_t ferry_error_ = (call);                                                \
        if (ferry_error_ != gpuSuccess) return ferry_runtime_fail(ferry_error_, operation); \
    } while (0)

/// Checks the launch just queued (bad configuration, missing kernel image for this architecture).
#define FERRY_CHECK_LAUNCH(operation) FERRY_TRY(gpuGetLastError(), operation)

#define FERRY_REQUIRE(condition, ...)                                                   \
    do {                                                                                \
        if (!(condition)) return ferry_fail(FERRY_GPU_ERR_INVALID_ARGUMENT, __VA_ARGS__); \
    } while (0)

/// Blocks of `threads` covering `count` items, capped at the grid's x limit (kernels loop with a grid stride).
static unsigned ferry_blocks(int64_t count, unsigned threads) {
    int64_t blocks = (count + threads - 1) / threads;
    if (blocks < 1) blocks = 1;
    if (blocks > 65535 * 4) blocks = 65535 * 4;
    return (unsigned)blocks;
}

// MARK: - Devices

static ferry_gpu_status ferry_device_count(int32_t *count) {
    FERRY_REQUIRE(count != NULL, "device_count: NULL count");
    int n = 0;
    gpuError_t error = gpuGetDeviceCount(&n);
    *count = 0;
    if (error != gpuSuccess) return ferry_runtime_fail(error, "device count");
    *count = n;
    return FERRY_GPU_OK;
}

static ferry_gpu_status ferry_device_name(int32_t device, char *name, size_t capacity) {
    FERRY_REQUIRE(name != NULL && capacity > 0, "device_name: no buffer");
    gpuDeviceProp properties;
    FERRY_TRY(gpuGetDeviceProperties(&properties, device), "device properties");
    snprintf(name, capacity, "%s", properties.name);
    return FERRY_GPU_OK;
}

static ferry_gpu_status ferry_memory_info(int32_t device, uint64_t *free_bytes, uint64_t *total_bytes) {
    FERRY_REQUIRE(free_bytes != NULL && total_bytes != NULL, "memory_info: NULL output");
    FERRY_TRY(gpuSetDevice(device), "select device");
    size_t available = 0, total = 0;
    FERRY_TRY(gpuMemGetInfo(&available, &total), "device memory info");
    *free_bytes = available;
    *total_bytes = total;
    return FERRY_GPU_OK;
}

// MARK: - Contexts

static ferry_gpu_status ferry_context_destroy(ferry_gpu_context *context) {
    if (context == NULL) return FERRY_GPU_OK;
    (void)gpuSetDevice(context->device);
    if (context->stream) (void)gpuStreamSynchronize(context->stream);
#if FERRY_HAVE_BLAS
    if (context->blas) cublasDestroy(context->blas);
#endif
    if (context->scratch) (void)gpuFree(context->scratch);
    if (context->stream) (void)gpuStreamDestroy(context->stream);
    free(context);
    return FERRY_GPU_OK;
}

static ferry_gpu_status ferry_context_create(int32_t device, ferry_gpu_context **out) {
    FERRY_REQUIRE(out != NULL, "context_create: NULL output");
    *out = NULL;
    int32_t count = 0;
    ferry_gpu_status status = ferry_device_count(&count);
    if (status != FERRY_GPU_OK) return status;
    if (device < 0 || device >= count) {
        return ferry_fail(FERRY_GPU_ERR_NO_DEVICE, "device %d does not exist (%d %s device(s))", device, count,
                          FERRY_PLATFORM);
    }
    FERRY_TRY(gpuSetDevice(device), "select device");
    ferry_gpu_context *context = (ferry_gpu_context *)calloc(1, sizeof(ferry_gpu_context));
    if (context == NULL) return ferry_fail(FERRY_GPU_ERR_OUT_OF_MEMORY, "context_create: host allocation");
    context->device = device;
    gpuError_t error = gpuStreamCreateWithFlags(&context->stream, gpuStreamNonBlocking);
    if (error != gpuSuccess) {
        ferry_context_destroy(context);
        return ferry_runtime_fail(error, "create stream");
    }
#if FERRY_HAVE_BLAS
    cublasStatus_t blas = cublasCreate(&context->blas);
    if (blas == CUBLAS_STATUS_SUCCESS) blas = cublasSetStream(context->blas, context->stream);
    if (blas != CUBLAS_STATUS_SUCCESS) {
        ferry_context_destroy(context);
        return ferry_fail(FERRY_GPU_ERR_BLAS, "create cuBLAS handle: %s", cublasGetStatusString(blas));
    }
#endif
    *out = context;
    return FERRY_GPU_OK;
}

static ferry_gpu_status ferry_synchronize(ferry_gpu_context *context) {
    FERRY_REQUIRE(context != NULL, "synchronize: NULL context");
    FERRY_TRY(gpuStreamSynchronize(context->stream), "synchronize stream");
    return FERRY_GPU_OK;
}

// MARK: - Memory

static ferry_gpu_status ferry_alloc(ferry_gpu_context *context, uint64_t bytes, void **pointer) {
    FERRY_REQUIRE(context != NULL && pointer != NULL, "alloc: NULL argument");
    *pointer = NULL;
    FERRY_TRY(gpuSetDevice(context->device), "select device");
    gpuError_t error = gpuMalloc(pointer, bytes > 0 ? bytes : 256);
    if (error != gpuSuccess) {
        (void)gpuGetLastError();  // clear the (non-sticky) allocation error so later launch checks do not see it
        *pointer = NULL;
        return ferry_fail(error == gpuErrorMemoryAllocation ? FERRY_GPU_ERR_OUT_OF_MEMORY : FERRY_GPU_ERR_RUNTIME,
                          "allocate %llu bytes on %s device %d: %s", (unsigned long long)bytes, FERRY_PLATFORM,
                          context->device, gpuGetErrorString(error));
    }
    return FERRY_GPU_OK;
}

static ferry_gpu_status ferry_free(ferry_gpu_context *context, void *pointer) {
    FERRY_REQUIRE(context != NULL, "free: NULL context");
    if (pointer == NULL) return FERRY_GPU_OK;
    FERRY_TRY(gpuFree(pointer), "free device memory");
    return FERRY_GPU_OK;
}

/// Makes the context's scratch at least `bytes` long (waits for the stream before freeing the old one).
__attribute__((unused)) static ferry_gpu_status ferry_scratch(ferry_gpu_context *context, uint64_t bytes) {
    if (context->scratch_bytes >= bytes) return FERRY_GPU_OK;
    FERRY_TRY(gpuStreamSynchronize(context->stream), "synchronize before growing scratch");
    if (context->scratch) (void)gpuFree(context->scratch);
    context->scratch = NULL;
    context->scratch_bytes = 0;
    uint64_t grown = bytes + bytes / 4;
    ferry_gpu_status status = ferry_alloc(context, grown, &context->scratch);
    if (status == FERRY_GPU_OK) context->scratch_bytes = grown;
    return status;
}

static ferry_gpu_status ferry_memcpy_h2d(ferry_gpu_context *context, void *destination, const void *source,
                                         uint64_t bytes) {
    FERRY_REQUIRE(context != NULL && (bytes == 0 || (destination && source)), "memcpy_h2d: NULL argument");
    if (bytes == 0) return FERRY_GPU_OK;
    FERRY_TRY(gpuMemcpyAsync(destination, source, bytes, gpuMemcpyHostToDevice, context->stream), "copy to device");
    return FERRY_GPU_OK;
}

static ferry_gpu_status ferry_memcpy_d2h(ferry_gpu_context *context, void *destination, const void *source,
                                         uint64_t bytes) {
    FERRY_REQUIRE(context != NULL && (bytes == 0 || (destination && source)), "memcpy_d2h: NULL argument");
    if (bytes > 0) {
        FERRY_TRY(gpuMemcpyAsync(destination, source, bytes, gpuMemcpyDeviceToHost, context->stream),
                  "copy to host");
    }
    FERRY_TRY(gpuStreamSynchronize(context->stream), "synchronize after copy to host");
    return FERRY_GPU_OK;
}

static ferry_gpu_status ferry_memcpy_d2d(ferry_gpu_context *context, void *destination, const void *source,
                                         uint64_t bytes) {
    FERRY_REQUIRE(context != NULL && (bytes == 0 || (destination && source)), "memcpy_d2d: NULL argument");
    if (bytes == 0) return FERRY_GPU_OK;
    FERRY_TRY(gpuMemcpyAsync(destination, source, bytes, gpuMemcpyDeviceToDevice, context->stream),
              "copy on device");
    return FERRY_GPU_OK;
}

static ferry_gpu_status ferry_memset_zero(ferry_gpu_context *context, void *destination, uint64_t bytes) {
    FERRY_REQUIRE(context != NULL && (bytes == 0 || destination), "memset_zero: NULL argument");
    if (bytes == 0) return FERRY_GPU_OK;
    FERRY_TRY(gpuMemsetAsync(destination, 0, bytes, context->stream), "zero device memory");
    return FERRY_GPU_OK;
}

#endif
