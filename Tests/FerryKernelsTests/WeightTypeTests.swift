// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU
import Testing

private func f16Bytes(_ h: UInt16) -> [UInt8] { [UInt8(h & 0xff), UInt8(h >> 8)] }

/// Dequantization and row gathers. Serialized because the exactness tests visit every SIMD level.
extension SIMDLevelSuites {
@Suite struct WeightTypeTests {
    @Test func blockSizesAndRowBytesFollowGGUF() {
        #expect(ferry_cpu_type_block_size(WeightType.q4_1.rawValue) == 32)
        #expect(ferry_cpu_type_block_bytes(WeightType.q4_0.rawValue) == 18)
        #expect(ferry_cpu_type_block_bytes(WeightType.q4_1.rawValue) == 20)
        #expect(ferry_cpu_type_block_bytes(WeightType.q8_0.rawValue) == 34)
        #expect(WeightType.q4_1.rowBytes(576) == 360)
        #expect(WeightType.q8_0.rowBytes(576) == 612)
        #expect(WeightType.f16.rowBytes(7) == 14)
        #expect(WeightType.bf16.rowBytes(3) == 6)
        #expect(WeightType.f32.rowBytes(5) == 20)
        #expect(WeightType.q8_0.rowBytes(33) == 0)
        #expect(ferry_cpu_type_row_bytes(99, 32) == 0)
        #expect(ferry_cpu_type_block_size(99) == 0)
    }

    /// Two blocks per quantized row (the second with other scales), 19 values for the float types (SIMD body + tail).
    static func handMadeCases() -> [(WeightType, [UInt8], [Float])] {
        var cases: [(WeightType, [UInt8], [Float])] = []
        // Q8_0: d = 0.5 then d = -2, q = 8i - 128.
        var q8: [UInt8] = [], q8v: [Float] = []
        for (dh, d) in [(UInt16(0x3800), Float(0.5)), (0xC000, -2)] {
            q8 += f16Bytes(dh)
            for i in 0..<32 {
                let q = 8 * i - 128
                q8.append(UInt8(bitPattern: Int8(q)))
                q8v.append(d * Float(q))
            }
        }
        cases.append((.q8_0, q8, q8v))
        // Q4_0: d = 2 then d = 0.25; byte j = j | (15 - j) << 4, so w[j] = d (j - 8), w[j + 16] = d (7 - j).
        var q40: [UInt8] = [], q40v = [Float](repeating: 0, count: 64)
        for (b, (dh, d)) in [(UInt16(0x4000), Float(2)), (0x3400, 0.25)].enumerated() {
            q40 += f16Bytes(dh)
            for j in 0..<16 {
                q40.append(UInt8(j | (15 - j) << 4))
                q40v[32 * b + j] = d * Float(j - 8)
                q40v[32 * b + j + 16] = d * Float(7 - j)
            }
        }
        cases.append((.q4_0, q40, q40v))
        // Q4_1: d = 0.25, m = -1 then d = 3, m = 0.5; byte j = (15 - j) | j << 4.
        var q41: [UInt8] = [], q41v = [Float](repeating: 0, count: 64)
        for (b, (dh, mh, d, m)) in [(UInt16(0x3400), UInt16(0xBC00), Float(0.25), Float(-1)), (0x4200, 0x3800, 3, 0.5)]
            .enumerated() {
            q41 += f16Bytes(dh) + f16Bytes(mh)
            for j in 0..<16 {
                q41.append(UInt8((15 - j) | j << 4))
                q41v[32 * b + j] = d * Float(15 - j) + m
                q41v[32 * b + j + 16] = d * Float(j) + m
            }
        }
        cases.append((.q4_1, q41, q41v))
        // F16: normal, negative, largest finite, smallest subnormal, -0, a value that is not a short binary fraction.
        let halves: [(UInt16, Float)] = [(0x3C00, 1), (0xC100, -2.5), (0x7BFF, 65504), (0x0001, 0x1p-24),
                                         (0x8000, -0.0), (0x3555, 0.333251953125), (0x0400, 0x1p-14)]
        let f16 = (0..<19).map { halves[$0 % halves.count] }
        cases.append((.f16, f16.flatMap { f16Bytes($0.0) }, f16.map(\.1)))
        let bfs: [(UInt16, Float)] = [(0x3F80, 1), (0xC020, -2.5), (0x4049, 3.140625), (0x0000, 0), (0x7F7F, 0x1.FEp127)]
        let bf16 = (0..<19).map { bfs[$0 % bfs.count] }
        cases.append((.bf16, bf16.flatMap { f16Bytes($0.0) }, bf16.map(\.1)))
        let f32: [Float] = (0..<19).map { Float($0) * 0.75 - 3 }
        cases.append((.f32, f32.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }, f32))
        return cases
    }

    @Test func dequantizeReproducesHandComputedBlocksExactlyOnEveryLevel() {
        for (type, bytes, expected) in Self.handMadeCases() {
            for level in supportedSIMDLevels {
                let (status, values) = withSIMDLevel(level) { type.dequantize(bytes, rows: 1, cols: expected.count) }
                #expect(status == FERRY_CPU_OK)
                #expect(values == expected, "\(type) at level \(level)")
            }
        }
    }

    @Test func quantizeThenDequantizeStaysWithinHalfAStepPerBlock() {
        var rng = SeededGenerator(seed: 11)
        let rows = 3, cols = 256
        let values = rng.floats(rows * cols)
        for type in [WeightType.q8_0, .q4_0, .q4_1] {
            let (status, back) = type.dequantize(type.quantize(values, rows: rows, cols: cols), rows: rows, cols: cols)
            #expect(status == FERRY_CPU_OK)
            for b in 0..<(rows * cols / 32) {
                let block = values[(32 * b)..<(32 * b + 32)]
                let range = block.max()! - block.min()!, amax = block.map(abs).max()!
                // One quantization step: amax/127 (Q8_0), amax/8 (Q4_0, whose top code is clamped), range/15 (Q4_1).
                let step = type == .q8_0 ? amax / 127 : type == .q4_0 ? amax / 8 : range / 15
                let limit = (type == .q4_0 ? 1.0 : 0.5) * step + 2e-3 * amax
                for i in (32 * b)..<(32 * b + 32) { #expect(abs(back[i] - values[i]) <= limit, "\(type) at \(i)") }
            }
        }
        let (status, _) = WeightType.q4_1.dequantize([], rows: 1, cols: 33)
        #expect(status == FERRY_CPU_ERR_INVALID_ARGUMENT)
    }

    @Test func gatherRowsDequantizesTheSelectedRowsAndRejectsOutOfRangeIDs() {
        var rng = SeededGenerator(seed: 5)
        let rows = 4, cols = 64
        for type in WeightType.allCases {
            let matrix = type.quantize(rng.floats(rows * cols), rows: rows, cols: cols)
            let (_, all) = type.dequantize(matrix, rows: rows, cols: cols)
            func gather(_ ids: [Int32]) -> (ferry_cpu_status, [Float]) {
                var out = [Float](repeating: .nan, count: ids.count * cols)
                let status = matrix.withUnsafeBytes { m in
                    out.withUnsafeMutableBufferPointer { o in
                        ferry_cpu_gather_rows(type.rawValue, m.baseAddress, Int64(rows), Int64(cols), ids,
                                              Int64(ids.count), o.baseAddress)
                    }
                }
                return (status, out)
            }
            let (status, got) = gather([3, 0, 3])
            #expect(status == FERRY_CPU_OK)
            #expect(got == Array(all[(3 * cols)..<(4 * cols)] + all[0..<cols] + all[(3 * cols)..<(4 * cols)]), "\(type)")
            #expect(gather([1, 4]).0 == FERRY_CPU_ERR_INVALID_ARGUMENT)
            #expect(gather([-1]).0 == FERRY_CPU_ERR_INVALID_ARGUMENT)
        }
    }
}
}
