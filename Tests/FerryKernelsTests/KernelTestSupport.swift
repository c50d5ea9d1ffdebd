// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU
import Testing

/// Suites that switch the process-wide SIMD level, nested here so that they never run at the same time.
@Suite(.serialized) enum SIMDLevelSuites {}

/// A small deterministic generator (SplitMix64) so kernel tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-scale, scale), with every `spikeEvery`-th value 4x larger (outliers, as real weights have).
    mutating func floats(_ count: Int, scale: Float = 1, spikeEvery: Int = 7) -> [Float] {
        (0..<count).map { i in
            Float.random(in: -scale..<scale, using: &self) * (i % spikeEvery == 0 ? 4 : 1)
        }
    }
}

/// A weight type as the C functions take it.
enum WeightType: Int32, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 8, bf16 = 30

    var isQuantized: Bool { self == .q4_0 || self == .q4_1 || self == .q8_0 }
    var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q8_0: "Q8_0"
        case .bf16: "BF16"
        }
    }

    func rowBytes(_ cols: Int) -> Int { Int(ferry_cpu_type_row_bytes(rawValue, Int64(cols))) }

    /// Quantizes row-major floats with the C reference quantizer (llama.cpp's for the block types).
    func quantize(_ values: [Float], rows: Int, cols: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * rowBytes(cols))
        let status = values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in
                ferry_cpu_quantize_rows(rawValue, src.baseAddress, dst.baseAddress, Int64(rows), Int64(cols))
            }
        }
        precondition(status == FERRY_CPU_OK)
        return out
    }

    func dequantize(_ bytes: [UInt8], rows: Int, cols: Int) -> (ferry_cpu_status, [Float]) {
        var out = [Float](repeating: .nan, count: rows * cols)
        let status = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                ferry_cpu_dequantize(rawValue, src.baseAddress, dst.baseAddress, Int64(rows), Int64(cols))
            }
        }
        return (status, out)
    }
}

/// y = x · Wᵀ through ferry_cpu_matmul.
func matmul(pool: OpaquePointer?, _ type: WeightType, _ w: [UInt8], rows: Int, cols: Int, _ x: [Float],
            tokens: Int) -> (ferry_cpu_status, [Float]) {
    var y = [Float](repeating: .nan, count: rows * tokens)
    let status = w.withUnsafeBytes { wp in
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                ferry_cpu_matmul(pool, type.rawValue, wp.baseAddress, Int64(rows), Int64(cols), xp.baseAddress,
                                 Int64(tokens), yp.baseAddress)
            }
        }
    }
    return (status, y)
}

/// The SIMD levels this machine can run, lowest first (always includes the scalar level).
var supportedSIMDLevels: [Int32] { Array(0...ferry_cpu_simd_level_supported()) }

/// Runs `body` with the kernels forced to `level`, restoring the best level afterwards.
func withSIMDLevel<T>(_ level: Int32, _ body: () throws -> T) rethrows -> T {
    let active = ferry_cpu_set_simd_level(level)
    precondition(active == level)
    defer { _ = ferry_cpu_set_simd_level(-1) }
    return try body()
}
