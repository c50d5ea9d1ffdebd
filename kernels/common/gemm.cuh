// SPDX-License-Identifier: Apache-2.0
// out[m, n] = x[m, k] · W[n, k]ᵀ with float32 accumulation.
//
// Layout: W stays as Hugging Face stores it, row-major [out_features, in_features]; read column-major by BLAS it is
// Wᵀ, so the product is one "TN" GEMM (C[n×m] = Wᵀᵀ·x) with no transpose at upload, and C column-major [n×m] is
// exactly the row-major [m, n] the model wants.
//
// CUDA: cuBLAS GemmEx. x is converted to W's type (BF16/F16) in the context's scratch, then A/B in 16 bits, C in
// float32, CUBLAS_COMPUTE_32F (tensor cores); F32 weights run a float32 GEMM.
// HIP: Debian's ROCm 5.2 packages no hipBLAS or rocBLAS, so a portable tiled kernel (64×64 tiles, 4×4 outputs per
// thread, float32 FMA, W converted while loading the tile) does the product. It is correct everywhere and much
// slower than a vendor BLAS; linking rocBLAS is the first performance step on AMD.
#ifndef FERRY_GPU_GEMM_CUH
#define FERRY_GPU_GEMM_CUH

#define FERRY_GEMM_TILE 64
#define FERRY_GEMM_TILE_K 16
#define FERRY_GEMM_THREADS 256

__global__ void __launch_bounds__(FERRY_GEMM_THREADS)
ferry_gemm_tiled_kernel(int weight_type, const void *weight, const float *x, float *out, int64_t m, int64_t n,
                        int64_t k) {
    __shared__ float x_tile[FERRY_GEMM_TILE_K][FERRY_GEMM_TILE + 1];
    __shared__ float w_tile[FERRY_GEMM_TILE_K][FERRY_GEMM_TILE + 1];
    const int64_t row0 = (int64_t)blockIdx.y * FERRY_GEMM_TILE;  // rows of x and out
    const int64_t col0 = (int64_t)blockIdx.x * FERRY_GEMM_TILE;  // rows of W, columns of out
    const unsigned tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

    for (int64_t k0 = 0; k0 < k; k0 += FERRY_GEMM_TILE_K) {
        for (unsigned e = threadIdx.x; e < FERRY_GEMM_TILE * FERRY_GEMM_TILE_K; e += FERRY_GEMM_THREADS) {
            const unsigned r = e / FERRY_GEMM_TILE_K, kk = e % FERRY_GEMM_TILE_K;
            const int64_t kIndex = k0 + kk;
            x_tile[kk][r] = (row0 + r < m && kIndex < k) ? x[(row0 + r) * k + kIndex] : 0.0f;
            w_tile[kk][r] = (col0 + r < n && kIndex < k) ? ferry_load(weight, weight_type, (col0 + r) * k + kIndex)
                                                         : 0.0f;
        }
        __syncthreads();
        for (int kk = 0; kk < FERRY_GEMM_TILE_K; kk++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) a[i] = x_tile[kk][ty * 4 + i];
            for (int j = 0; j < 4; j++) b[j] = w_tile[kk][tx * 4 + j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        const int64_t row = row0 + ty * 4 + i;
        if (row >= m) break;
        for (int j = 0; j < 4; j++) {
            const int64_t col = col0 + tx * 4 + j;
            if (col < n) out[row * n + col] = acc[i][j];
        }
    }
}

#if !defined(FERRY_GPU_EMULATION)  // host entries: launches, BLAS
__attribute__((unused)) static ferry_gpu_status ferry_gemm_tiled(ferry_gpu_context *context, ferry_gpu_dtype weight_type, const void *weight,
                                         const float *x, float *out, int64_t m, int64_t n, int64_t k) {
    const int64_t tiles_m = (m + FERRY_GEMM_TILE - 1) / FERRY_GEMM_TILE;
    const int64_t tiles_n = (n + FERRY_GEMM_TILE - 1) / FERRY_GEMM_TILE;
    FERRY_REQUIRE(tiles_m <= 65535 && tiles_n <= 0x7fffffff, "gemm: %lld rows is too many for one launch",
                  (long long)m);
    dim3 grid((unsigned)tiles_n, (unsigned)tiles_m);
    ferry_gemm_tiled_kernel<<<grid, FERRY_GEMM_THREADS, 0, context->stream>>>((int)weight_type, weight, x, out, m, n,
                                                                              k);
    FERRY_CHECK_LAUNCH("gemm launch");
    return FERRY_GPU_OK;
}

#if FERRY_HAVE_BLAS
static ferry_gpu_status ferry_gemm_blas(ferry_gpu_context *context, ferry_gpu_dtype weight_type, const void *weight,
                                        const float *x, float *out, int64_t m, int64_t n, int64_t k) {
    FERRY_REQUIRE(m <= 0x7fffffff && n <= 0x7fffffff && k <= 0x7fffffff, "gemm: dimensions past 2³¹");
    const float alpha = 1.0f, beta = 0.0f;
    cudaDataType_t ab_type = CUDA_R_32F;
    const void *b = x;
    if (weight_type != FERRY_GPU_F32) {
        ab_type = weight_type == FERRY_GPU_BF16 ? CUDA_R_16BF : CUDA_R_16F;
        ferry_gpu_status status = ferry_scratch(context, (uint64_t)(m * k) * 2);
        if (status != FERRY_GPU_OK) return status;
        status = ferry_convert_f32(context, x, context->scratch, weight_type, m * k);
        if (status != FERRY_GPU_OK) return status;
        b = context->scratch;
    }
    cublasStatus_t result = cublasGemmEx(context->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)m, (int)k, &alpha,
                                         weight, ab_type, (int)k, b, ab_type, (int)k, &beta, out, CUDA_R_32F, (int)n,
                                         CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (result != CUBLAS_STATUS_SUCCESS) {
        return ferry_fail(FERRY_GPU_ERR_BLAS, "cublasGemmEx %lldx%lldx%lld: %s", (long long)m, (long long)n,
                          (long long)k, cublasGetStatusString(result));
    }
    return FERRY_GPU_OK;
}
#endif

static ferry_gpu_status ferry_gemm(ferry_gpu_context *context, ferry_gpu_dtype weight_type, const void *weight,
                                   const float *x, float *out, int64_t m, int64_t n, int64_t k) {
    FERRY_REQUIRE(context && weight && x && out && m >= 0 && n > 0 && k > 0, "gemm: bad arguments");
    if (!ferry_is_weight_type(weight_type)) {
        return ferry_fail(FERRY_GPU_ERR_UNSUPPORTED, "gemm: weight type %d", (int)weight_type);
    }
    if (m == 0) return FERRY_GPU_OK;
#if FERRY_HAVE_BLAS
    return ferry_gemm_blas(context, weight_type, weight, x, out, m, n, k);
#else
    return ferry_gemm_tiled(context, weight_type, weight, x, out, m, n, k);
#endif
}

static ferry_gpu_status ferry_gemm_benchmark(ferry_gpu_context *context, ferry_gpu_dtype weight_type, int64_t m,
                                             int64_t n, int64_t k, int32_t iterations, float *milliseconds) {
    FERRY_REQUIRE(context && milliseconds && m > 0 && n > 0 && k > 0 && iterations > 0, "gemm_benchmark: bad "
                  "arguments");
    const uint64_t weight_bytes = (uint64_t)(n * k) * (weight_type == FERRY_GPU_F32 ? 4 : 2);
    void *weight = NULL, *x = NULL, *out = NULL;
    gpuEvent_t begin = NULL, end = NULL;
    ferry_gpu_status status = ferry_alloc(context, weight_bytes, &weight);
    if (status == FERRY_GPU_OK) status = ferry_alloc(context, (uint64_t)(m * k) * 4, &x);
    if (status == FERRY_GPU_OK) status = ferry_alloc(context, (uint64_t)(m * n) * 4, &out);
    if (status == FERRY_GPU_OK) status = ferry_memset_zero(context, weight, weight_bytes);
    if (status == FERRY_GPU_OK) status = ferry_memset_zero(context, x, (uint64_t)(m * k) * 4);
    if (status == FERRY_GPU_OK) status = ferry_gemm(context, weight_type, weight, (float *)x, (float *)out, m, n, k);
    if (status == FERRY_GPU_OK && (gpuEventCreate(&begin) != gpuSuccess || gpuEventCreate(&end) != gpuSuccess)) {
        status = ferry_fail(FERRY_GPU_ERR_RUNTIME, "gemm_benchmark: create events");
    }
    if (status == FERRY_GPU_OK) {
        (void)gpuEventRecord(begin, context->stream);
        for (int32_t i = 0; i < iterations && status == FERRY_GPU_OK; i++) {
            status = ferry_gemm(context, weight_type, weight, (float *)x, (float *)out, m, n, k);
        }
        (void)gpuEventRecord(end, context->stream);
        gpuError_t error = gpuEventSynchronize(end);
        float elapsed = 0.0f;
        if (error == gpuSuccess) error = gpuEventElapsedTime(&elapsed, begin, end);
        if (status == FERRY_GPU_OK && error != gpuSuccess) status = ferry_runtime_fail(error, "gemm_benchmark timing");
        *milliseconds = elapsed / (float)iterations;
    }
    if (begin) (void)gpuEventDestroy(begin);
    if (end) (void)gpuEventDestroy(end);
    ferry_synchronize(context);
    ferry_free(context, weight);
    ferry_free(context, x);
    ferry_free(context, out);
    return status;
}

#endif

#endif
