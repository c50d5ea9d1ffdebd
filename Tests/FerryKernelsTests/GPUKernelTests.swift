// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

@testable import FerryKernels

/// The GPU kernels against the CPU backend on the same inputs. Runs only where a device and the library built by
/// scripts/build-gpu-kernels.sh are present (never in CI, which has no GPU).
@Suite struct GPUKernelTests {
    static let backend: GPUBackend? = {
        for platform in GPUPlatform.allCases {
            if let library = try? GPULibrary.load(platform, kernelsPath: GPURealLibraryTests.folder),
               let backend = try? GPUBackend(library: library)
            {
                return backend
            }
        }
        return nil
    }()

    static let hasDevice = backend != nil

    /// A weight of `type` from float values, through a temporary file (weights are always mapped regions).
    static func weight(_ values: [Float], rows: Int, columns: Int, type: FerryKernels.WeightType) throws -> WeightData {
        var bytes: [UInt8] = []
        for value in values {
            switch type {
            case .f32: withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            case .bf16:
                let bits = value.bitPattern
                let rounded = UInt16((bits &+ 0x7fff &+ ((bits >> 16) & 1)) >> 16)
                withUnsafeBytes(of: rounded.littleEndian) { bytes.append(contentsOf: $0) }
            default: Issue.record("unsupported test type \(type)")
            }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-gpu-w-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        let file = try MappedFile(path: url.path)
        return WeightData(type: type, rows: rows, columns: columns, bytes: file.region(offset: 0, count: bytes.count)!)
    }

    func upload(_ values: [Float], to backend: any ComputeBackend, shape: [Int]) throws -> Tensor {
        let vector = try backend.uploadVector(Self.weight(values, rows: 1, columns: values.count, type: .f32))
        return vector.reshaped(shape)
    }

    static func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map { abs($0) }.max() ?? 1, 1e-6)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    @Test(.enabled(if: hasDevice, "no GPU device with a Ferry kernel library"), arguments: [1, 7, 64, 300])
    func matmulMatchesTheCPU(tokens: Int) throws {
        let gpu = Self.backend!, cpu = CPUBackend(numThreads: 2)
        var random = SeededGenerator(seed: UInt64(tokens))
        let (n, k) = (96, 160)
        let x = random.floats(tokens * k), w = random.floats(n * k, scale: 0.1)
        for type in [FerryKernels.WeightType.bf16, .f32] {
            let data = try Self.weight(w, rows: n, columns: k, type: type)
            var results: [[Float]] = []
            for backend in [gpu, cpu] as [any ComputeBackend] {
                let out = try backend.allocate([tokens, n])
                try backend.matmul(try upload(x, to: backend, shape: [tokens, k]), try backend.upload(data), into: out)
                results.append(try backend.download(out))
            }
            // BF16 activations on the GPU (cuBLAS) against float32 activations on the CPU: ~2⁻⁸ relative.
            #expect(Self.maxRelativeError(results[0], results[1]) < (type == .f32 ? 1e-3 : 2e-2), "\(type)")
        }
    }

    @Test(.enabled(if: hasDevice, "no GPU device with a Ferry kernel library"))
    func pagedAttentionMatchesTheCPUOnAMixedBatch() throws {
        let gpu = Self.backend!, cpu = CPUBackend(numThreads: 2)
        var random = SeededGenerator(seed: 42)
        let (heads, kvHeads, headDim, blockSize, numBlocks) = (8, 2, 64, 16, 64)
        // Three sequences: a 37-token prefill chunk after 150 cached tokens, a decode at 300, a fresh 5-token prompt.
        let queryLens: [Int32] = [37, 1, 5], contextLens: [Int32] = [187, 300, 5]
        let maxBlocks = 20
        var tables = [Int32](repeating: 0, count: 3 * maxBlocks)
        var nextBlock: Int32 = 1
        for s in 0..<3 {
            for b in 0..<((Int(contextLens[s]) + blockSize - 1) / blockSize) {
                tables[s * maxBlocks + b] = nextBlock
                nextBlock += 1
            }
        }
        // Fill the caches: every cached token of every sequence is stored once through storeKV.
        var allSlots: [Int64] = []
        for s in 0..<3 {
            for position in 0..<Int(contextLens[s]) {
                allSlots.append(Int64(tables[s * maxBlocks + position / blockSize]) * Int64(blockSize)
                                + Int64(position % blockSize))
            }
        }
        let kvWidth = kvHeads * headDim
        let keys = random.floats(allSlots.count * kvWidth), values = random.floats(allSlots.count * kvWidth)
        let numTokens = Int(queryLens.reduce(0, +))
        let query = random.floats(numTokens * heads * headDim)
        let metadata = AttentionMetadata(slotMapping: allSlots, queryStartLoc: [0, 0, 0, 0], contextLens: [0, 0, 0],
                                         blockTables: tables, maxBlocksPerSeq: maxBlocks)
        let step = AttentionMetadata(slotMapping: Array(repeating: -1, count: numTokens),
                                     queryStartLoc: [0, queryLens[0], queryLens[0] + queryLens[1], Int32(numTokens)],
                                     contextLens: contextLens, blockTables: tables, maxBlocksPerSeq: maxBlocks)
        for dataType in [KVCacheDataType.float32, .float16] {
            var results: [[Float]] = []
            for backend in [gpu, cpu] as [any ComputeBackend] {
                let cache = try backend.makeKVCache(numLayers: 1, numBlocks: numBlocks, blockSize: blockSize,
                                                    numKVHeads: kvHeads, headDim: headDim, dataType: dataType)
                try backend.storeKV(key: try upload(keys, to: backend, shape: [allSlots.count, kvHeads, headDim]),
                                    value: try upload(values, to: backend, shape: [allSlots.count, kvHeads, headDim]),
                                    cache: cache, layer: 0, metadata: metadata)
                let out = try backend.allocate([numTokens, heads * headDim])
                try backend.attention(query: try upload(query, to: backend, shape: [numTokens, heads, headDim]),
                                      cache: cache, layer: 0, metadata: step, numHeads: heads, scale: 0.125,
                                      slidingWindow: nil, into: out)
                results.append(try backend.download(out))
            }
            #expect(Self.maxRelativeError(results[0], results[1]) < 1e-4, "\(dataType)")
        }
    }

    @Test(.enabled(if: hasDevice, "no GPU device with a Ferry kernel library"))
    func elementwiseKernelsMatchTheCPU() throws {
        let gpu = Self.backend!, cpu = CPUBackend(numThreads: 2)
        var random = SeededGenerator(seed: 7)
        let (rows, dim) = (5, 576)
        let x = random.floats(rows * dim), y = random.floats(rows * dim), weight = random.floats(dim)
        var results: [[Float]] = []
        for backend in [gpu, cpu] as [any ComputeBackend] {
            let a = try upload(x, to: backend, shape: [rows, dim]), b = try upload(y, to: backend, shape: [rows, dim])
            backend.rmsNorm(a, weight: try upload(weight, to: backend, shape: [dim]), epsilon: 1e-5, into: a)
            backend.siluMul(gate: a, up: b, into: a)
            backend.add(a, b)
            let table = try backend.rotaryTable(positions: [0, 3, 99, 1000, 4095],
                                                inverseFrequencies: (0..<32).map { powf(10000, -Float($0) / 32) })
            backend.rope(a, table: table, numHeads: dim / 64, headDim: 64)
            results.append(try backend.download(a))
        }
        #expect(Self.maxRelativeError(results[0], results[1]) < 1e-5)
    }
}
