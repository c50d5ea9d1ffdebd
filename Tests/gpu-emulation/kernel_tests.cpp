// SPDX-License-Identifier: Apache-2.0
// Runs the GPU kernels' bodies (kernels/common) on the CPU through gpu_emulation.h and checks them against plain
// double-precision references: paged attention over a mixed varlen batch (prefill chunk, decode, fresh prompt; GQA;
// sliding window; float32 and float16 caches; head_dim 64, 80, 256), the tiled GEMM with F32/F16/BF16 weights on
// shapes that are not tile multiples, and the element-wise kernels. Exit code 0 when every check passes.
// Build and run: scripts/test-gpu-kernels-on-cpu.sh
#include <cstdio>
#include <random>

#include "ferry_gpu_kernels.cuh"

static int failures = 0;

static void expect_close(const char *what, const std::vector<float> &got, const std::vector<double> &want,
                         double tolerance) {
    double worst = 0, scale = 1e-12;
    for (double w : want) scale = std::max(scale, std::fabs(w));
    for (size_t i = 0; i < got.size(); i++) worst = std::max(worst, std::fabs(got[i] - want[i]) / scale);
    const bool ok = got.size() == want.size() && worst <= tolerance;
    if (!ok) failures++;
    std::printf("%s %s: max relative error %.2e (tolerance %.0e)\n", ok ? "ok  " : "FAIL", what, worst, tolerance);
}

static std::mt19937 rng(1234);
static std::vector<float> random_floats(size_t count, float scale = 1) {
    std::uniform_real_distribution<float> uniform(-scale, scale);
    std::vector<float> values(count);
    for (auto &v : values) v = uniform(rng);
    return values;
}

static float round_f16(float v) { return (float)(_Float16)v; }
static float round_bf16(float v) { return ferry_bf16_to_float(ferry_float_to_bf16(v)); }

// MARK: - Paged attention

static void test_attention(int64_t head_dim, int kv_type, int64_t sliding_window) {
    const int64_t heads = 4, kv_heads = 2, block_size = 16, num_blocks = 64, max_blocks = 20;
    const std::vector<int32_t> query_lens = {12, 1, 5, 0}, context_lens = {187, 300, 5, 9};
    const int64_t seqs = (int64_t)query_lens.size();
    std::vector<int32_t> starts = {0}, tables(seqs * max_blocks, 0);
    for (int32_t q : query_lens) starts.push_back(starts.back() + q);
    const int64_t tokens = starts.back();
    // Blocks handed out in a scrambled order, as a long-running scheduler does.
    int32_t next = 1;
    for (int64_t s = 0; s < seqs; s++)
        for (int64_t b = 0; b < (context_lens[s] + block_size - 1) / block_size; b++) {
            tables[s * max_blocks + b] = (next * 37) % (num_blocks - 1) + 1;
            next++;
        }
    const int64_t width = kv_heads * head_dim, slots = num_blocks * block_size;
    std::vector<float> k_cache(slots * width, NAN), v_cache(slots * width, NAN);  // unwritten slots poison
    std::vector<uint16_t> k16(slots * width, 0x7e00), v16(slots * width, 0x7e00);
    // Per sequence, contiguous K/V for the reference, rounded as the cache stores them.
    std::vector<std::vector<float>> keys(seqs), values(seqs);
    for (int64_t s = 0; s < seqs; s++) {
        keys[s] = random_floats(context_lens[s] * width);
        values[s] = random_floats(context_lens[s] * width);
        for (int64_t p = 0; p < context_lens[s]; p++) {
            const int64_t slot = tables[s * max_blocks + p / block_size] * block_size + p % block_size;
            for (int64_t i = 0; i < width; i++) {
                float &k = keys[s][p * width + i], &v = values[s][p * width + i];
                if (kv_type == FERRY_GPU_F16) {
                    k = round_f16(k), v = round_f16(v);
                    k16[slot * width + i] = __half_as_ushort(__float2half_rn(k));
                    v16[slot * width + i] = __half_as_ushort(__float2half_rn(v));
                }
                k_cache[slot * width + i] = k, v_cache[slot * width + i] = v;
            }
        }
    }
    const std::vector<float> q = random_floats(tokens * heads * head_dim);
    std::vector<float> out(tokens * heads * head_dim, NAN);
    const float scale = 1.0f / std::sqrt((float)head_dim);
    ferry_gpu_attention_batch batch = {seqs, tokens, starts.data(), context_lens.data(), tables.data(),
                                       max_blocks, block_size, num_blocks};
    const void *kc = kv_type == FERRY_GPU_F16 ? (const void *)k16.data() : (const void *)k_cache.data();
    const void *vc = kv_type == FERRY_GPU_F16 ? (const void *)v16.data() : (const void *)v_cache.data();
    ferry_emulated_launch(dim3((unsigned)tokens, (unsigned)heads), FERRY_ATTN_THREADS, ferry_paged_attention_kernel,
                          q.data(), out.data(), kc, vc, kv_type, batch, heads, kv_heads, head_dim, scale,
                          sliding_window);
    std::vector<double> want(out.size());
    for (int64_t s = 0; s < seqs; s++) {
        for (int64_t i = 0; i < query_lens[s]; i++) {
            const int64_t t = starts[s] + i, pos = context_lens[s] - query_lens[s] + i;
            const int64_t lo = sliding_window > 0 ? std::max<int64_t>(0, pos - sliding_window + 1) : 0;
            for (int64_t h = 0; h < heads; h++) {
                const int64_t g = h / (heads / kv_heads);
                std::vector<double> scores;
                double best = -INFINITY;
                for (int64_t p = lo; p <= pos; p++) {
                    double dot = 0;
                    for (int64_t d = 0; d < head_dim; d++)
                        dot += (double)(q[(t * heads + h) * head_dim + d] * scale) * keys[s][p * width + g * head_dim + d];
                    scores.push_back(dot);
                    best = std::max(best, dot);
                }
                double sum = 0;
                for (double &x : scores) sum += (x = std::exp(x - best));
                for (int64_t d = 0; d < head_dim; d++) {
                    double acc = 0;
                    for (int64_t p = lo; p <= pos; p++) acc += scores[p - lo] * values[s][p * width + g * head_dim + d];
                    want[(t * heads + h) * head_dim + d] = acc / sum;
                }
            }
        }
    }
    char what[128];
    std::snprintf(what, sizeof what, "paged attention head_dim %lld, %s cache, window %lld", (long long)head_dim,
                  kv_type == FERRY_GPU_F16 ? "f16" : "f32", (long long)sliding_window);
    expect_close(what, out, want, 2e-5);
}

// MARK: - GEMM

static void test_gemm(int weight_type, int64_t m, int64_t n, int64_t k) {
    std::vector<float> x = random_floats(m * k), w = random_floats(n * k, 0.1f);
    std::vector<uint16_t> w16(n * k);
    for (int64_t i = 0; i < n * k; i++) {
        if (weight_type == FERRY_GPU_BF16) w16[i] = ferry_float_to_bf16(w[i]), w[i] = ferry_bf16_to_float(w16[i]);
        if (weight_type == FERRY_GPU_F16) w16[i] = ferry_float_to_f16(w[i]), w[i] = ferry_f16_to_float(w16[i]);
    }
    const void *weight = weight_type == FERRY_GPU_F32 ? (const void *)w.data() : (const void *)w16.data();
    std::vector<float> out(m * n, NAN);
    dim3 grid((unsigned)((n + FERRY_GEMM_TILE - 1) / FERRY_GEMM_TILE), (unsigned)((m + FERRY_GEMM_TILE - 1) / FERRY_GEMM_TILE));
    ferry_emulated_launch(grid, FERRY_GEMM_THREADS, ferry_gemm_tiled_kernel, weight_type, weight,
                          (const float *)x.data(), out.data(), m, n, k);
    std::vector<double> want(m * n);
    for (int64_t r = 0; r < m; r++)
        for (int64_t c = 0; c < n; c++) {
            double acc = 0;
            for (int64_t i = 0; i < k; i++) acc += (double)x[r * k + i] * w[c * k + i];
            want[r * n + c] = acc;
        }
    char what[96];
    std::snprintf(what, sizeof what, "tiled gemm type %d, %lldx%lldx%lld", weight_type, (long long)m, (long long)n,
                  (long long)k);
    expect_close(what, out, want, 1e-5);
}

// MARK: - Element-wise

static void test_elementwise() {
    const int64_t rows = 3, dim = 200, heads = 4, head_dim = 50, half = 25;
    std::vector<float> x = random_floats(rows * dim), weight = random_floats(dim), out(rows * dim);
    ferry_emulated_launch(dim3(2), FERRY_THREADS, ferry_rmsnorm_kernel, (const float *)x.data(),
                          (const float *)weight.data(), out.data(), rows, dim, 1e-5f);  // 2 blocks, 3 rows: stride
    std::vector<double> want(rows * dim);
    for (int64_t r = 0; r < rows; r++) {
        double ss = 0;
        for (int64_t i = 0; i < dim; i++) ss += (double)x[r * dim + i] * x[r * dim + i];
        const double inv = 1 / std::sqrt(ss / dim + 1e-5);
        for (int64_t i = 0; i < dim; i++) want[r * dim + i] = x[r * dim + i] * inv * weight[i];
    }
    expect_close("rmsnorm (grid-stride rows)", out, want, 1e-6);

    std::vector<float> table(rows * 2 * half), roped = x;
    for (int64_t t = 0; t < rows; t++)
        for (int64_t i = 0; i < half; i++) {
            const double angle = (t * 7 + 3) * std::pow(10000.0, -2.0 * i / head_dim);
            table[t * 2 * half + i] = (float)std::cos(angle), table[t * 2 * half + half + i] = (float)std::sin(angle);
        }
    ferry_emulated_launch(dim3(1), FERRY_THREADS, ferry_rope_kernel, roped.data(), (const float *)table.data(), rows,
                          heads, head_dim, half);
    for (int64_t t = 0; t < rows; t++)
        for (int64_t h = 0; h < heads; h++)
            for (int64_t i = 0; i < half; i++) {
                const int64_t base = (t * heads + h) * head_dim;
                const double c = table[t * 2 * half + i], s = table[t * 2 * half + half + i];
                want[base + i] = x[base + i] * c - x[base + i + half] * s;
                want[base + i + half] = x[base + i + half] * c + x[base + i] * s;
            }
    expect_close("rope (neox halves)", roped, want, 1e-6);

    std::vector<float> gate = random_floats(rows * dim, 4), up = random_floats(rows * dim), product(rows * dim);
    ferry_emulated_launch(dim3(1), FERRY_THREADS, ferry_silu_mul_kernel, (const float *)gate.data(),
                          (const float *)up.data(), product.data(), rows * dim);
    for (int64_t i = 0; i < rows * dim; i++) want[i] = gate[i] / (1 + std::exp(-(double)gate[i])) * up[i];
    expect_close("silu·mul", product, want, 1e-6);

    std::vector<float> biased = x;
    ferry_emulated_launch(dim3(1), FERRY_THREADS, ferry_add_bias_kernel, biased.data(), (const float *)weight.data(),
                          rows * dim, dim);
    for (int64_t i = 0; i < rows * dim; i++) want[i] = (double)x[i] + weight[i % dim];
    expect_close("add bias", biased, want, 1e-7);

    // Embedding from a BF16 table, an out-of-range id giving zeros; gather of rows 2, 0.
    const int64_t vocab = 10;
    std::vector<float> embeddings = random_floats(vocab * dim);
    std::vector<uint16_t> table16(vocab * dim);
    for (int64_t i = 0; i < vocab * dim; i++) table16[i] = ferry_float_to_bf16(embeddings[i]);
    const std::vector<int32_t> ids = {3, 9, 10};
    std::vector<float> embedded(ids.size() * dim, NAN);
    ferry_emulated_launch(dim3(2), FERRY_THREADS, ferry_embedding_kernel, (int)FERRY_GPU_BF16,
                          (const void *)table16.data(), vocab, dim, ids.data(), (int64_t)ids.size(), embedded.data());
    std::vector<double> want_embedded(ids.size() * dim, 0.0);
    for (size_t t = 0; t < 2; t++)
        for (int64_t i = 0; i < dim; i++) want_embedded[t * dim + i] = round_bf16(embeddings[ids[t] * dim + i]);
    expect_close("embedding (BF16, id out of range → 0)", embedded, want_embedded, 0);

    const std::vector<int32_t> picks = {2, 0};
    std::vector<float> gathered(2 * dim);
    ferry_emulated_launch(dim3(1), FERRY_THREADS, ferry_gather_rows_kernel, (const float *)x.data(), dim, picks.data(),
                          (int64_t)2, gathered.data());
    std::vector<double> want_gathered(2 * dim);
    for (int64_t i = 0; i < dim; i++) want_gathered[i] = x[2 * dim + i], want_gathered[dim + i] = x[i];
    expect_close("gather rows", gathered, want_gathered, 0);

    // KV store: slot −1 and a slot past the cache are skipped; F16 conversion rounds to nearest.
    const int64_t kv_width = 8, num_slots = 4;
    std::vector<float> k = random_floats(3 * kv_width), v = random_floats(3 * kv_width);
    const std::vector<int64_t> slot_mapping = {2, -1, 4};
    std::vector<uint16_t> kc(num_slots * kv_width, 0), vc(num_slots * kv_width, 0);
    ferry_emulated_launch(dim3(1), FERRY_THREADS, ferry_kv_store_kernel, (const float *)k.data(),
                          (const float *)v.data(), slot_mapping.data(), (int64_t)3, (void *)kc.data(), (void *)vc.data(),
                          (int)FERRY_GPU_F16, num_slots, kv_width);
    std::vector<float> stored(num_slots * kv_width);
    std::vector<double> want_stored(num_slots * kv_width, 0.0);
    for (int64_t i = 0; i < num_slots * kv_width; i++) stored[i] = ferry_f16_to_float(kc[i]);
    for (int64_t i = 0; i < kv_width; i++) want_stored[2 * kv_width + i] = round_f16(k[i]);
    expect_close("kv store (f16, skipped slots)", stored, want_stored, 0);

    // BF16 rounding: ties to even, NaN stays NaN.
    const std::vector<float> probes = {1.0f, std::bit_cast<float>(0x3f808000u), std::bit_cast<float>(0x3f818000u), NAN};
    std::vector<uint16_t> converted(probes.size());
    ferry_emulated_launch(dim3(1), FERRY_THREADS, ferry_convert_f32_kernel, probes.data(), converted.data(), 1,
                          (int64_t)probes.size());
    const bool rounding = converted[0] == 0x3f80 && converted[1] == 0x3f80 && converted[2] == 0x3f82 &&
                          (converted[3] & 0x7f80) == 0x7f80 && (converted[3] & 0x7f) != 0;
    if (!rounding) failures++;
    std::printf("%s bf16 conversion: ties to even, NaN kept\n", rounding ? "ok  " : "FAIL");
}

int main() {
    for (int64_t head_dim : {64, 80, 256}) test_attention(head_dim, FERRY_GPU_F32, 0);
    test_attention(64, FERRY_GPU_F16, 0);
    test_attention(64, FERRY_GPU_F32, 50);
    for (int type : {FERRY_GPU_F32, FERRY_GPU_F16, FERRY_GPU_BF16}) test_gemm(type, 7, 101, 163);
    test_gemm(FERRY_GPU_BF16, 1, 64, 64);
    test_gemm(FERRY_GPU_BF16, 130, 70, 40);
    test_elementwise();
    std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
