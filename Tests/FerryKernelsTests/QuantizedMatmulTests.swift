// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU
import Foundation
import Testing

/// Matmul over every weight type, every SIMD level this machine has, and pool sizes 1 and 2. Serialized: the tests
/// switch the process-wide SIMD level.
extension SIMDLevelSuites {
@Suite struct QuantizedMatmulTests {
    /// (rows, cols): rows that are not a multiple of any tile, one-block rows, a partial last group of 8 blocks.
    static let quantizedShapes = [(37, 576), (5, 288), (19, 32), (3, 1536)]
    static let floatShapes = [(37, 576), (5, 40), (6, 100), (3, 7)]

    /// Checks every level and pool size against the scalar level on one pool, and the scalar level against a float64
    /// dot product of the dequantized weights.
    func check(_ type: WeightType, rows: Int, cols: Int, tokens: Int, seed: UInt64, referenceTolerance: Double) {
        var rng = SeededGenerator(seed: seed)
        let weights = type.quantize(rng.floats(rows * cols, scale: 0.5), rows: rows, cols: cols)
        let x = rng.floats(tokens * cols, scale: 2, spikeEvery: 5)
        let (dqStatus, dequantized) = type.dequantize(weights, rows: rows, cols: cols)
        #expect(dqStatus == FERRY_CPU_OK)

        let pools: [OpaquePointer?] = [nil, ferry_cpu_pool_create(1), ferry_cpu_pool_create(2)]
        defer { pools.forEach { ferry_cpu_pool_destroy($0) } }
        let (status, scalar) = withSIMDLevel(0) { matmul(pool: nil, type, weights, rows: rows, cols: cols, x, tokens: tokens) }
        #expect(status == FERRY_CPU_OK)

        var worstReference = 0.0, worstLevel = 0.0
        var results: [(Int32, Int, [Float])] = []
        for level in supportedSIMDLevels {
            for (p, pool) in pools.enumerated() {
                let (s, y) = withSIMDLevel(level) { matmul(pool: pool, type, weights, rows: rows, cols: cols, x, tokens: tokens) }
                #expect(s == FERRY_CPU_OK)
                results.append((level, p, y))
            }
        }
        for t in 0..<tokens {
            for r in 0..<rows {
                var dot = 0.0, wn = 0.0, xn = 0.0
                for c in 0..<cols {
                    let w = Double(dequantized[r * cols + c]), v = Double(x[t * cols + c])
                    dot += w * v
                    wn += w * w
                    xn += v * v
                }
                let norm = (wn * xn).squareRoot() + 1e-30
                let i = t * rows + r
                worstReference = max(worstReference, abs(Double(scalar[i]) - dot) / norm)
                for (_, _, y) in results { worstLevel = max(worstLevel, abs(Double(y[i] - scalar[i])) / norm) }
            }
        }
        #expect(worstReference <= referenceTolerance, "\(type) \(rows)x\(cols), \(tokens) tokens: scalar vs float64")
        #expect(worstLevel <= 1e-5, "\(type) \(rows)x\(cols), \(tokens) tokens: SIMD levels vs scalar")
    }

    @Test(arguments: [WeightType.q8_0, .q4_0, .q4_1], [1, 3, 8, 12, 17, 64])
    func quantizedMatmulAgreesAcrossSIMDLevelsAndPoolSizesAndWithAFloat64Dot(type: WeightType, tokens: Int) {
        for (i, (rows, cols)) in Self.quantizedShapes.enumerated() {
            // 8-bit activations: errors of about 1/254 of each block's largest |x|, relative to |w| |x|.
            check(type, rows: rows, cols: cols, tokens: tokens, seed: UInt64(100 * tokens + i), referenceTolerance: 1e-2)
        }
    }

    @Test(arguments: [WeightType.f32, .f16, .bf16], [1, 3, 8, 17, 64])
    func floatMatmulAgreesAcrossSIMDLevelsAndPoolSizesAndWithAFloat64Dot(type: WeightType, tokens: Int) {
        for (i, (rows, cols)) in Self.floatShapes.enumerated() {
            check(type, rows: rows, cols: cols, tokens: tokens, seed: UInt64(100 * tokens + i), referenceTolerance: 1e-5)
        }
    }

    @Test func quantizedActivationsOfAllZerosGiveZerosOnEveryLevel() {
        let rows = 9, cols = 288
        var rng = SeededGenerator(seed: 7)
        for type in [WeightType.q8_0, .q4_0, .q4_1] {
            let weights = type.quantize(rng.floats(rows * cols), rows: rows, cols: cols)
            for level in supportedSIMDLevels {
                let (status, y) = withSIMDLevel(level) {
                    matmul(pool: nil, type, weights, rows: rows, cols: cols, [Float](repeating: 0, count: 2 * cols), tokens: 2)
                }
                #expect(status == FERRY_CPU_OK)
                #expect(y.allSatisfy { $0 == 0 }, "\(type) level \(level)")
            }
        }
    }

    @Test func matmulRejectsColumnsThatAreNotAMultipleOfTheBlockAndUnknownTypes() {
        let x = [Float](repeating: 1, count: 48), w = [UInt8](repeating: 0, count: 64)
        for type in [WeightType.q8_0, .q4_0, .q4_1] {
            #expect(matmul(pool: nil, type, w, rows: 1, cols: 48, x, tokens: 1).0 == FERRY_CPU_ERR_INVALID_ARGUMENT)
        }
        var y: Float = 0
        let status = ferry_cpu_matmul(nil, 7, w, 1, 32, x, 1, &y)
        #expect(status == FERRY_CPU_ERR_UNSUPPORTED_TYPE)
        #expect(matmul(pool: nil, .q8_0, w, rows: 0, cols: 32, x, tokens: 1).0 == FERRY_CPU_OK)
    }

    @Test func forcingASIMDLevelClampsToWhatTheCPUSupports() {
        let best = ferry_cpu_simd_level_supported()
        #expect(ferry_cpu_set_simd_level(0) == 0)
        #expect(ferry_cpu_simd_level() == 0)
        #expect(ferry_cpu_set_simd_level(99) == best)
        #expect(ferry_cpu_set_simd_level(-1) == best)
        #expect(ferry_cpu_simd_level() == best)
    }
}
}
