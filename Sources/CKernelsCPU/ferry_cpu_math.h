// SPDX-License-Identifier: Apache-2.0
// Private to CKernelsCPU: branch-free math the compiler vectorizes (libm's expf does not vectorize without
// -ffast-math).
#ifndef FERRY_CPU_MATH_H
#define FERRY_CPU_MATH_H

#include <stdint.h>
#include <string.h>

/// Hot loops compiled twice, for x86-64-v3 (AVX2, FMA, F16C) and the baseline, chosen at load time (ifunc).
#if defined(__x86_64__) && defined(__linux__)
#define FERRY_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define FERRY_HOT
#endif

/// e^x with a relative error below 2e-7 over [-87, 88]; smaller inputs give 0, larger +inf-free 2^127-ish values.
/// Cephes' method: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n through the exponent bits.
static inline float ferry_expf(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    // Round to nearest with the 1.5·2^23 trick (exact for |v| < 2^22): vectorizes on every target, where
    // roundevenf becomes a libm call without SSE4.1.
    const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#endif
