// SPDX-License-Identifier: Apache-2.0
// A minimal stand-in for the CUDA/HIP device dialect on the host, so the kernels of kernels/common can run without a
// GPU: every block runs in turn on one set of std::threads meeting at a std::barrier for __syncthreads. Shared
// memory is a function-local static (one block at a time, so one instance is enough). Only what the kernels use.
#ifndef FERRY_GPU_EMULATION_H
#define FERRY_GPU_EMULATION_H

#include <barrier>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#define FERRY_PLATFORM "emulation"
#define FERRY_HAVE_BLAS 0
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(threads)

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;
inline thread_local std::barrier<> *ferry_emulated_barrier = nullptr;

inline void __syncthreads() { ferry_emulated_barrier->arrive_and_wait(); }

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __uint_as_float(uint32_t bits) { return std::bit_cast<float>(bits); }
inline uint32_t __float_as_uint(float value) { return std::bit_cast<uint32_t>(value); }

struct __half { uint16_t bits; };
inline __half __ushort_as_half(uint16_t bits) { return {bits}; }
inline uint16_t __half_as_ushort(__half h) { return h.bits; }
inline float __half2float(__half h) { return (float)std::bit_cast<_Float16>(h.bits); }
inline __half __float2half_rn(float value) { return {std::bit_cast<uint16_t>((_Float16)value)}; }

/// Runs `kernel` over `grid` blocks of `threads` threads: `threads` host threads take the blocks in turn, meeting at a
/// barrier after each (shared memory is one static instance). Kernels must reach the same barriers in every thread
/// of a block, as on a GPU; one that does not deadlocks here.
template <typename... Parameters, typename... Arguments>
void ferry_emulated_launch(dim3 grid, unsigned threads, void (*kernel)(Parameters...), Arguments... arguments) {
    std::barrier<> barrier((std::ptrdiff_t)threads);
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (unsigned t = 0; t < threads; t++) {
        workers.emplace_back([&, t] {
            threadIdx = dim3(t);
            blockDim = dim3(threads);
            gridDim = grid;
            ferry_emulated_barrier = &barrier;
            for (unsigned by = 0; by < grid.y; by++) {
                for (unsigned bx = 0; bx < grid.x; bx++) {
                    blockIdx = dim3(bx, by);
                    kernel(arguments...);
                    barrier.arrive_and_wait();  // the block is done before the next one reuses shared memory
                }
            }
        });
    }
    for (auto &worker : workers) worker.join();
}

#endif
