// SPDX-License-Identifier: Apache-2.0
import CKernelsGPU

extension GPUBackend {
    /// Device memory bandwidth in GB/s: the best of `repeats` device-to-device copies of `megabytes` MiB, counting
    /// the read and the write (what a decode step's weight streaming can hope for).
    public func memoryBandwidth(megabytes: Int = 1024, repeats: Int = 5) throws(KernelError) -> Double {
        let bytes = megabytes << 20
        let source = try context.allocate(byteCount: bytes), target = try context.allocate(byteCount: bytes)
        try context.check(context.api.memset_zero!(context.handle, source.pointer, UInt64(bytes)))
        try context.check(context.api.memcpy_d2d!(context.handle, target.pointer, source.pointer, UInt64(bytes)))
        try context.synchronize()
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = clock.now
            try context.check(context.api.memcpy_d2d!(context.handle, target.pointer, source.pointer, UInt64(bytes)))
            try context.synchronize()
            let elapsed = clock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return 2 * Double(bytes) / best / 1e9
    }

    /// The library GEMM's throughput (cuBLAS on CUDA) in GFLOP/s over `shapes` (x [m, k] · W [n, k]ᵀ) with W of
    /// `type`: the yardstick for prefill.
    public func gemmThroughput(shapes: [(m: Int, n: Int, k: Int)], type: WeightType) throws(KernelError) -> Double {
        var flops = 0.0, seconds = 0.0
        for shape in shapes {
            let milliseconds = try gemmMilliseconds(type: type, m: shape.m, n: shape.n, k: shape.k)
            flops += 2 * Double(shape.m) * Double(shape.n) * Double(shape.k)
            seconds += milliseconds / 1000
        }
        return flops / seconds / 1e9
    }
}
