// SPDX-License-Identifier: Apache-2.0
// The portable level: scalar dequantization and matmul kernels. Every SIMD level is tested against these, and they
// are what runs where no SIMD level applies (aarch64 included). Integer dot products per block of 32, as the SIMD
// levels do, so the levels differ only in the order of float additions.
#include "ferry_cpu_quant.h"
#include "ferry_cpu_internal.h"

void ferry_dequant_row_scalar(int type, const uint8_t *src, float *dst, int64_t cols) {
    switch (type) {
    case FERRY_CPU_F32:
        memcpy(dst, src, (size_t)cols * 4);
        break;
    case FERRY_CPU_F16:
        for (int64_t i = 0; i < cols; i++) dst[i] = ferry_f16_to_f32(ferry_load_u16(src + 2 * i));
        break;
    case FERRY_CPU_BF16:
        for (int64_t i = 0; i < cols; i++) dst[i] = ferry_bf16_to_f32(ferry_load_u16(src + 2 * i));
        break;
    case FERRY_CPU_Q8_0:
        for (int64_t b = 0; b < cols / 32; b++, src += 34, dst += 32) {
            float d = ferry_f16_to_f32(ferry_load_u16(src));
            for (int i = 0; i < 32; i++) dst[i] = d * (float)(int8_t)src[2 + i];
        }
        break;
    case FERRY_CPU_Q4_0:
        for (int64_t b = 0; b < cols / 32; b++, src += 18, dst += 32) {
            float d = ferry_f16_to_f32(ferry_load_u16(src));
            for (int i = 0; i < 16; i++) {
                dst[i] = d * (float)((src[2 + i] & 0x0f) - 8);
                dst[i + 16] = d * (float)((src[2 + i] >> 4) - 8);
            }
        }
        break;
    case FERRY_CPU_Q4_1:
        for (int64_t b = 0; b < cols / 32; b++, src += 20, dst += 32) {
            float d = ferry_f16_to_f32(ferry_load_u16(src)), m = ferry_f16_to_f32(ferry_load_u16(src + 2));
            for (int i = 0; i < 16; i++) {
                dst[i] = d * (float)(src[4 + i] & 0x0f) + m;
                dst[i + 16] = d * (float)(src[4 + i] >> 4) + m;
            }
        }
        break;
    default:
        break;
    }
}

// MARK: - Plain activation layout

int64_t ferry_plain_act_stride(int64_t cols) {
    return ferry_align64(cols) + 2 * ferry_align64(cols / 32 * 4);
}

static void quantize_plain(const ferry_mm *m, int part, int parts) {
    int64_t nb = m->cols / 32, t0, t1;
    ferry_cpu_split_range(m->num_tokens, 1, part, parts, &t0, &t1);
    for (int64_t t = t0; t < t1; t++) {
        const float *x = m->x + t * m->cols;
        uint8_t *tok = (uint8_t *)m->act + t * m->act_stride;
        int8_t *q = ferry_plain_q(tok);
        float *d = ferry_plain_d(tok, m->cols), *s = ferry_plain_s(tok, m->cols);
        for (int64_t b = 0; b < nb; b++) {
            int sum = ferry_quantize_block_q8(x + 32 * b, q + 32 * b, &d[b]);
            s[b] = d[b] * (float)sum;
        }
    }
}

// MARK: - Kernels

static void kernel_q8_0(const ferry_mm *m, int64_t r0, int64_t r1) {
    int64_t nb = m->cols / 32;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = m->w + r * m->row_bytes;
        for (int64_t t = 0; t < m->num_tokens; t++) {
            const uint8_t *tok = m->act + t * m->act_stride;
            const int8_t *q = ferry_plain_q(tok);
            const float *d = ferry_plain_d(tok, m->cols);
            float acc = 0.0f;
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *blk = row + 34 * b;
                const int8_t *wq = (const int8_t *)(blk + 2), *xq = q + 32 * b;
                int dot = 0;
                for (int i = 0; i < 32; i++) dot += wq[i] * xq[i];
                acc += ferry_f16_to_f32(ferry_load_u16(blk)) * d[b] * (float)dot;
            }
            m->y[t * m->rows + r] = acc;
        }
    }
}

static void kernel_q4_0(const ferry_mm *m, int64_t r0, int64_t r1) {
    int64_t nb = m->cols / 32;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = m->w + r * m->row_bytes;
        for (int64_t t = 0; t < m->num_tokens; t++) {
            const uint8_t *tok = m->act + t * m->act_stride;
            const int8_t *q = ferry_plain_q(tok);
            const float *d = ferry_plain_d(tok, m->cols);
            float acc = 0.0f;
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *blk = row + 18 * b;
                const int8_t *xq = q + 32 * b;
                int dot = 0;
                for (int i = 0; i < 16; i++)
                    dot += ((blk[2 + i] & 0x0f) - 8) * xq[i] + ((blk[2 + i] >> 4) - 8) * xq[i + 16];
                acc += ferry_f16_to_f32(ferry_load_u16(blk)) * d[b] * (float)dot;
            }
            m->y[t * m->rows + r] = acc;
        }
    }
}

static void kernel_q4_1(const ferry_mm *m, int64_t r0, int64_t r1) {
    int64_t nb = m->cols / 32;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = m->w + r * m->row_bytes;
        for (int64_t t = 0; t < m->num_tokens; t++) {
            const uint8_t *tok = m->act + t * m->act_stride;
            const int8_t *q = ferry_plain_q(tok);
            const float *d = ferry_plain_d(tok, m->cols), *s = ferry_plain_s(tok, m->cols);
            float acc = 0.0f;
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *blk = row + 20 * b;
                const int8_t *xq = q + 32 * b;
                int dot = 0;
                for (int i = 0; i < 16; i++) dot += (blk[4 + i] & 0x0f) * xq[i] + (blk[4 + i] >> 4) * xq[i + 16];
                acc += ferry_f16_to_f32(ferry_load_u16(blk)) * d[b] * (float)dot
                     + ferry_f16_to_f32(ferry_load_u16(blk + 2)) * s[b];
            }
            m->y[t * m->rows + r] = acc;
        }
    }
}

/// Float weights: converts a row at a time into a stack buffer, then dots it with every token.
static void kernel_float(const ferry_mm *m, int64_t r0, int64_t r1) {
    float buf[1024];
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = m->w + r * m->row_bytes;
        for (int64_t t = 0; t < m->num_tokens; t++) m->y[t * m->rows + r] = 0.0f;
        for (int64_t c0 = 0; c0 < m->cols; c0 += 1024) {
            int64_t n = m->cols - c0 < 1024 ? m->cols - c0 : 1024;
            const float *wr;
            if (m->type == FERRY_CPU_F32) {
                wr = (const float *)row + c0;
            } else {
                ferry_dequant_row_scalar(m->type, row + c0 * 2, buf, n);
                wr = buf;
            }
            for (int64_t t = 0; t < m->num_tokens; t++) {
                const float *x = m->x + t * m->cols + c0;
                float acc[8] = {0};
                int64_t i = 0;
                for (; i + 8 <= n; i += 8)
                    for (int k = 0; k < 8; k++) acc[k] += wr[i + k] * x[i + k];
                for (; i < n; i++) acc[0] += wr[i] * x[i];
                m->y[t * m->rows + r] += ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
            }
        }
    }
}

int ferry_plan_scalar(int type, int64_t cols, int64_t num_tokens, ferry_mm_plan *plan) {
    (void)num_tokens;
    plan->quantize = quantize_plain;
    plan->act_stride = ferry_plain_act_stride(cols);
    switch (type) {
    case FERRY_CPU_Q8_0: plan->kernel = kernel_q8_0; return 1;
    case FERRY_CPU_Q4_0: plan->kernel = kernel_q4_0; return 1;
    case FERRY_CPU_Q4_1: plan->kernel = kernel_q4_1; return 1;
    case FERRY_CPU_F32:
    case FERRY_CPU_F16:
    case FERRY_CPU_BF16:
        plan->kernel = kernel_float;
        plan->quantize = NULL;
        plan->act_stride = 0;
        return 1;
    default:
        return 0;
    }
}
