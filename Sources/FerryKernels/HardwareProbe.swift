// SPDX-License-Identifier: Apache-2.0
import CBLAS
import CKernelsCPU

/// Measures this machine's limits in the same run as a benchmark, so figures can be given as ratios to them.
public enum HardwareProbe {
    /// Memory bandwidth in GB/s from STREAM's triad over arrays far larger than the caches (best of `repeats`).
    public static func memoryBandwidth(backend: CPUBackend, megabytesPerArray: Int = 256, repeats: Int = 5)
        throws(KernelError) -> Double
    {
        let count = megabytesPerArray * (1 << 20) / 4
        let a = try backend.allocate([count]), b = try backend.allocate([count]), c = try backend.allocate([count])
        for i in stride(from: 0, to: count, by: 1024) { b.pointer[i] = 1; c.pointer[i] = 2 }
        ferry_cpu_stream_triad(backend.pool, a.pointer, b.pointer, c.pointer, Int64(count), 3)  // touch every page
        var best = Double.infinity
        let clock = ContinuousClock()
        for _ in 0..<repeats {
            let start = clock.now
            ferry_cpu_stream_triad(backend.pool, a.pointer, b.pointer, c.pointer, Int64(count), 3)
            best = min(best, (clock.now - start).inSeconds)
        }
        return Double(count * 12) / best / 1e9
    }

    /// OpenBLAS sgemm throughput in GFLOP/s on the shapes `(m, n, k)` (x[m, k] · W[n, k]ᵀ), best of `repeats`,
    /// with OpenBLAS's own threading over `threads` threads (the library's best case on this machine).
    public static func sgemmThroughput(shapes: [(m: Int, n: Int, k: Int)], threads: Int, repeats: Int = 3)
        throws(KernelError) -> Double
    {
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        var buffers: [(x: DeviceBuffer, w: DeviceBuffer, y: DeviceBuffer)] = []
        for shape in shapes {
            let x = try DeviceBuffer(byteCount: shape.m * shape.k * 4)
            let w = try DeviceBuffer(byteCount: shape.n * shape.k * 4)
            for i in 0..<(shape.n * shape.k) { w.floats[i] = Float(i % 7) * 0.01 }
            for i in 0..<(shape.m * shape.k) { x.floats[i] = Float(i % 5) * 0.01 }
            buffers.append((x, w, try DeviceBuffer(byteCount: shape.m * shape.n * 4)))
        }
        let flops = shapes.reduce(0.0) { $0 + 2.0 * Double($1.m * $1.n * $1.k) }
        var best = Double.infinity
        let clock = ContinuousClock()
        for _ in 0..<repeats {
            let start = clock.now
            for (shape, buffer) in zip(shapes, buffers) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(shape.m), blasint(shape.n),
                            blasint(shape.k), 1, buffer.x.floats, blasint(shape.k), buffer.w.floats,
                            blasint(shape.k), 0, buffer.y.floats, blasint(shape.n))
            }
            best = min(best, (clock.now - start).inSeconds)
        }
        return flops / best / 1e9
    }
}

extension Duration {
    /// The duration in seconds.
    public var inSeconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) * 1e-18
    }
}
