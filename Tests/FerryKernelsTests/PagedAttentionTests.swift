// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU
import Foundation
import Testing

/// Causal attention computed directly over contiguous K/V, the reference for the paged kernel.
private func referenceAttention(q: [Float], keys: [[Float]], values: [[Float]], position: Int, numHeads: Int,
                                numKVHeads: Int, headDim: Int, window: Int) -> [Float]
{
    var out = [Float](repeating: 0, count: numHeads * headDim)
    let group = numHeads / numKVHeads
    let lo = window > 0 ? max(0, position - window + 1) : 0
    for h in 0..<numHeads {
        let g = h / group
        var scores: [Double] = []
        for p in lo...position {
            var dot = 0.0
            for d in 0..<headDim { dot += Double(q[h * headDim + d]) * Double(keys[p][g * headDim + d]) }
            scores.append(dot / Double(headDim).squareRoot())
        }
        let top = scores.max()!
        let weights = scores.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        for (j, p) in (lo...position).enumerated() {
            for d in 0..<headDim { out[h * headDim + d] += Float(weights[j] / total) * values[p][g * headDim + d] }
        }
    }
    return out
}

@Suite struct PagedAttentionTests {
    /// Two sequences in one varlen batch — a prefill chunk after 5 cached tokens (7 rows: the per-row kernel; 20
    /// rows: the sgemm path) and a 1-token decode at position 20 — over shuffled, non-contiguous blocks, checked
    /// against direct attention, with and without a sliding window.
    @Test(arguments: [(0, 7), (4, 7), (0, 20), (4, 20)], [FERRY_CPU_KV_F32, FERRY_CPU_KV_F16])
    func pagedAttentionOverScatteredBlocksMatchesDirectAttention(shape: (window: Int, chunk: Int),
                                                                 kvType: ferry_cpu_kv_type) throws
    {
        let (window, chunk) = shape
        let kv = Int32(kvType.rawValue)
        let numHeads = 6, numKVHeads = 2, headDim = 16, blockSize = 4, numBlocks = 16
        let row = numKVHeads * headDim
        var random = SeededGenerator(seed: 3)
        let contexts = [5 + chunk, 21]
        let queryLengths = [chunk, 1]
        let tables: [[Int32]] = [[9, 2, 14, 1, 15, 13, 10], [5, 11, 0, 7, 3, 12]]
        let keys = contexts.map { n in (0..<n).map { _ in random.floats(row) } }
        let values = contexts.map { n in (0..<n).map { _ in random.floats(row) } }
        var kCache = [Float](repeating: .nan, count: numBlocks * blockSize * row)
        var vCache = kCache
        // Store every token through the kernel, by slot.
        for s in 0..<2 {
            let slots = (0..<contexts[s]).map { p in Int64(tables[s][p / blockSize]) * Int64(blockSize) + Int64(p % blockSize) }
            let status = ferry_cpu_kv_store(keys[s].flatMap { $0 }, values[s].flatMap { $0 }, slots, Int64(slots.count),
                                            &kCache, &vCache, kv, Int64(numBlocks * blockSize), Int64(numKVHeads),
                                            Int64(headDim))
            #expect(status == FERRY_CPU_OK)
        }
        let numTokens = queryLengths.reduce(0, +)
        let q = random.floats(numTokens * numHeads * headDim)
        var out = [Float](repeating: 0, count: q.count)
        let width = 7
        let padded = tables.flatMap { $0 + Array(repeating: 0, count: width - $0.count) }
        let starts: [Int32] = [0, Int32(chunk), Int32(chunk + 1)]
        let lengths = contexts.map { Int32($0) }
        let pool = ferry_cpu_pool_create(2)
        defer { ferry_cpu_pool_destroy(pool) }
        let status = starts.withUnsafeBufferPointer { s in
            lengths.withUnsafeBufferPointer { l in
                padded.withUnsafeBufferPointer { t in
                    var batch = ferry_cpu_attention_batch(num_seqs: 2, query_start_loc: s.baseAddress,
                                                          context_lens: l.baseAddress, block_tables: t.baseAddress,
                                                          max_blocks_per_seq: Int64(width), block_size: Int64(blockSize),
                                                          num_blocks: Int64(numBlocks))
                    return ferry_cpu_paged_attention(pool, q, &out, kCache, vCache, kv, &batch, Int64(numHeads),
                                                     Int64(numKVHeads), Int64(headDim),
                                                     1 / Float(headDim).squareRoot(), Int64(window))
                }
            }
        }
        #expect(status == FERRY_CPU_OK)
        var worst: Float = 0
        for t in 0..<numTokens {
            let s = t < chunk ? 0 : 1
            let position = contexts[s] - queryLengths[s] + (t - Int(starts[s]))
            let slice = Array(q[(t * numHeads * headDim)..<((t + 1) * numHeads * headDim)])
            let expected = referenceAttention(q: slice, keys: keys[s], values: values[s], position: position,
                                              numHeads: numHeads, numKVHeads: numKVHeads, headDim: headDim,
                                              window: window)
            for i in 0..<expected.count { worst = max(worst, abs(expected[i] - out[t * numHeads * headDim + i])) }
        }
        #expect(worst < (kvType == FERRY_CPU_KV_F32 ? 1e-5 : 4e-3), "worst \(worst)")
    }

    @Test func aBlockIdOutsideTheCacheIsRejected() {
        var out = [Float](repeating: 0, count: 8)
        let cache = [Float](repeating: 0, count: 4 * 8)
        let starts: [Int32] = [0, 1], lengths: [Int32] = [3], table: [Int32] = [99]
        let status = starts.withUnsafeBufferPointer { s in
            lengths.withUnsafeBufferPointer { l in
                table.withUnsafeBufferPointer { t in
                    var batch = ferry_cpu_attention_batch(num_seqs: 1, query_start_loc: s.baseAddress,
                                                          context_lens: l.baseAddress, block_tables: t.baseAddress,
                                                          max_blocks_per_seq: 1, block_size: 4, num_blocks: 1)
                    return ferry_cpu_paged_attention(nil, [Float](repeating: 1, count: 8), &out, cache, cache, 0, &batch,
                                                     1, 1, 8, 1, 0)
                }
            }
        }
        #expect(status == FERRY_CPU_ERR_INVALID_ARGUMENT)
    }

    @Test func aSlotPastTheCacheIsRejectedByTheStore() {
        var cache = [Float](repeating: 0, count: 8)
        var other = cache
        let status = ferry_cpu_kv_store([Float](repeating: 1, count: 8), [Float](repeating: 1, count: 8), [1], 1,
                                        &cache, &other, 0, 1, 1, 8)
        #expect(status == FERRY_CPU_ERR_INVALID_ARGUMENT)
    }
}
