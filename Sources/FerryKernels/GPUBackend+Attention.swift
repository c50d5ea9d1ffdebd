// SPDX-License-Identifier: Apache-2.0
import CKernelsGPU

/// One step's attention metadata on the device, with the host arrays it was copied from: every layer of the step
/// passes the same arrays, so the copy (and its validation) happens once per step.
struct UploadedAttentionMetadata {
    let source: AttentionMetadata
    let numSlots: Int
    let slots: DeviceBuffer
    let queryStartLoc: DeviceBuffer
    let contextLens: DeviceBuffer
    let blockTables: DeviceBuffer

    func describes(_ metadata: AttentionMetadata, numSlots: Int) -> Bool {
        // Array == is O(1) when both share storage, the case for the layers of one step.
        self.numSlots == numSlots && source.maxBlocksPerSeq == metadata.maxBlocksPerSeq
            && source.slotMapping == metadata.slotMapping && source.queryStartLoc == metadata.queryStartLoc
            && source.contextLens == metadata.contextLens && source.blockTables == metadata.blockTables
    }
}

extension KVCacheDataType {
    var gpuType: ferry_gpu_dtype { self == .float32 ? FERRY_GPU_F32 : FERRY_GPU_F16 }
}

extension GPUBackend {
    public func storeKV(key: Tensor, value: Tensor, cache: KVCache, layer: Int, metadata: AttentionMetadata)
        throws(KernelError)
    {
        try throwPending()
        let numTokens = metadata.slotMapping.count
        guard key.count == numTokens * cache.numKVHeads * cache.headDim, value.count == key.count else {
            throw .shapeMismatch("K/V \(key.shape) for \(numTokens) slots")
        }
        let device = try deviceMetadata(metadata, cache: cache)
        try context.check(context.api.kv_store!(
            context.handle, key.devicePointer, value.devicePointer, device.slots.pointer.assumingMemoryBound(to: Int64.self),
            Int64(numTokens), cache.keys[layer].pointer, cache.values[layer].pointer, cache.dataType.gpuType,
            Int64(cache.numSlots), Int64(cache.numKVHeads), Int64(cache.headDim)))
    }

    public func attention(query: Tensor, cache: KVCache, layer: Int, metadata: AttentionMetadata, numHeads: Int,
                          scale: Float, slidingWindow: Int?, into out: Tensor) throws(KernelError)
    {
        try throwPending()
        guard metadata.queryStartLoc.count == metadata.numSeqs + 1, metadata.numSeqs > 0,
              let numTokens = metadata.queryStartLoc.last, Int(numTokens) * numHeads * cache.headDim == query.count,
              out.count == query.count
        else {
            throw .shapeMismatch("attention metadata does not describe query \(query.shape)")
        }
        let device = try deviceMetadata(metadata, cache: cache)
        var batch = ferry_gpu_attention_batch(
            num_seqs: Int64(metadata.numSeqs), num_tokens: Int64(numTokens),
            query_start_loc: UnsafePointer(device.queryStartLoc.pointer.assumingMemoryBound(to: Int32.self)),
            context_lens: UnsafePointer(device.contextLens.pointer.assumingMemoryBound(to: Int32.self)),
            block_tables: UnsafePointer(device.blockTables.pointer.assumingMemoryBound(to: Int32.self)),
            max_blocks_per_seq: Int64(metadata.maxBlocksPerSeq), block_size: Int64(cache.blockSize),
            num_blocks: Int64(cache.numBlocks))
        try context.check(context.api.paged_attention!(
            context.handle, query.devicePointer, out.devicePointer, cache.keys[layer].pointer,
            cache.values[layer].pointer, cache.dataType.gpuType, &batch, Int64(numHeads), Int64(cache.numKVHeads),
            Int64(cache.headDim), scale, Int64(slidingWindow ?? 0)))
    }

    /// The step's metadata on the device: validated and copied on the first layer, reused by the others.
    func deviceMetadata(_ metadata: AttentionMetadata, cache: KVCache) throws(KernelError) -> UploadedAttentionMetadata {
        if let uploaded = uploadedMetadata, uploaded.describes(metadata, numSlots: cache.numSlots) { return uploaded }
        try Self.validate(metadata, cache: cache)
        let uploaded = UploadedAttentionMetadata(
            source: metadata, numSlots: cache.numSlots,
            slots: try scratchCopy(metadata.slotMapping, key: "slot mapping"),
            queryStartLoc: try scratchCopy(metadata.queryStartLoc, key: "query start"),
            contextLens: try scratchCopy(metadata.contextLens, key: "context lengths"),
            blockTables: try scratchCopy(metadata.blockTables, key: "block tables"))
        uploadedMetadata = uploaded
        return uploaded
    }

    /// The host-side checks the CPU kernel makes, so the device kernels never see an id outside the cache.
    static func validate(_ metadata: AttentionMetadata, cache: KVCache) throws(KernelError) {
        if let bad = metadata.slotMapping.first(where: { $0 >= cache.numSlots }) {
            throw .invalidArgument("KV store: slot \(bad) lies past the cache's \(cache.numSlots) slots")
        }
        let seqs = metadata.numSeqs
        guard metadata.queryStartLoc.count == seqs + 1, metadata.queryStartLoc.first == 0,
              metadata.blockTables.count == seqs * metadata.maxBlocksPerSeq
        else {
            throw .shapeMismatch("attention metadata: \(seqs) sequences, \(metadata.queryStartLoc.count) starts, "
                + "\(metadata.blockTables.count) table entries")
        }
        for s in 0..<seqs {
            let queryLen = Int(metadata.queryStartLoc[s + 1]) - Int(metadata.queryStartLoc[s])
            let contextLen = Int(metadata.contextLens[s])
            let blocks = (contextLen + cache.blockSize - 1) / cache.blockSize
            guard queryLen >= 0, contextLen >= queryLen, blocks <= metadata.maxBlocksPerSeq else {
                throw .invalidArgument("paged attention: sequence \(s) has \(queryLen) queries over \(contextLen) "
                    + "cached tokens in \(metadata.maxBlocksPerSeq) blocks")
            }
            for b in 0..<blocks {
                let block = metadata.blockTables[s * metadata.maxBlocksPerSeq + b]
                guard block >= 0, Int(block) < cache.numBlocks else {
                    throw .invalidArgument("paged attention: block \(block) outside the cache's \(cache.numBlocks)")
                }
            }
        }
    }
}
