// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU

extension CPUBackend {
    public func storeKV(key: Tensor, value: Tensor, cache: KVCache, layer: Int, metadata: AttentionMetadata)
        throws(KernelError)
    {
        let numTokens = metadata.slotMapping.count
        guard key.count == numTokens * cache.numKVHeads * cache.headDim, value.count == key.count else {
            throw .shapeMismatch("K/V \(key.shape) for \(numTokens) slots")
        }
        let status = metadata.slotMapping.withUnsafeBufferPointer { slots in
            ferry_cpu_kv_store(key.pointer, value.pointer, slots.baseAddress, Int64(numTokens),
                               cache.keys[layer].pointer, cache.values[layer].pointer, cache.dataType.rawValue,
                               Int64(cache.numSlots),
                               Int64(cache.numKVHeads), Int64(cache.headDim))
        }
        try check(status, "KV store: a slot lies past the cache's \(cache.numSlots) slots")
    }

    public func attention(query: Tensor, cache: KVCache, layer: Int, metadata: AttentionMetadata, numHeads: Int,
                          scale: Float, slidingWindow: Int?, into out: Tensor) throws(KernelError)
    {
        guard metadata.queryStartLoc.count == metadata.numSeqs + 1,
              metadata.blockTables.count == metadata.numSeqs * metadata.maxBlocksPerSeq,
              let numTokens = metadata.queryStartLoc.last, Int(numTokens) * numHeads * cache.headDim == query.count
        else {
            throw .shapeMismatch("attention metadata does not describe query \(query.shape)")
        }
        let status = metadata.queryStartLoc.withUnsafeBufferPointer { starts in
            metadata.contextLens.withUnsafeBufferPointer { lengths in
                metadata.blockTables.withUnsafeBufferPointer { tables in
                    var batch = ferry_cpu_attention_batch(
                        num_seqs: Int64(metadata.numSeqs), query_start_loc: starts.baseAddress,
                        context_lens: lengths.baseAddress, block_tables: tables.baseAddress,
                        max_blocks_per_seq: Int64(metadata.maxBlocksPerSeq), block_size: Int64(cache.blockSize),
                        num_blocks: Int64(cache.numBlocks))
                    return ferry_cpu_paged_attention(
                        pool, query.pointer, out.pointer, cache.keys[layer].pointer, cache.values[layer].pointer,
                        cache.dataType.rawValue, &batch, Int64(numHeads), Int64(cache.numKVHeads), Int64(cache.headDim), scale,
                        Int64(slidingWindow ?? 0))
                }
            }
        }
        try check(status, "paged attention: inconsistent sequence lengths or block tables")
    }
}
