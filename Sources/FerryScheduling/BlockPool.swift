// SPDX-License-Identifier: Apache-2.0

/// The KV cache's blocks as bookkeeping: ref counts, the LRU free queue and the prefix cache's key → block map
/// (vLLM `vllm/v1/core/block_pool.py`). Block ids are the only currency between it and the KV tensors.
///
/// Block 0 is the null block: never handed out, never freed (a padding entry for block tables). A block is in one
/// of three states: in use (ref count ≥ 1, not in the free queue); free and cached (ref count 0, in the free queue,
/// still has its `BlockHash`, so a prefix hit can revive it); free and empty. `allocateBlocks` takes blocks from the
/// free queue's head and evicts the cached contents of each; `free` puts blocks back at the tail; `touch` revives
/// cached blocks. Every operation is O(1) per block.
///
/// Owned by `KVCacheManager`, used on the engine thread only. A struct: it has no identity of its own, and the
/// manager holds the only copy.
public struct BlockPool: Sendable {
    /// The id of the null block, which is never allocated.
    public static let nullBlockId = 0

    /// Blocks in the pool, the null block included.
    public let numBlocks: Int
    /// Tokens per block.
    public let blockSize: Int

    private var refCounts: [Int]
    private var freeQueue: FreeBlockQueue
    /// `blockHashes[id]`: the key of block `id`'s cached contents; set once when the block fills, cleared on eviction.
    private var blockHashes: [BlockHash?]
    /// Cached full blocks by key. Several blocks may hold the same contents (two requests computed it at once);
    /// they share one content id, which lives while any of them stays cached.
    private var cachedBlocks: [BlockHash: CachedContent] = [:]
    private var nextContentId: UInt64 = BlockHash.noParent + 1

    private struct CachedContent: Sendable {
        let contentId: UInt64
        /// The blocks holding this content; the first one answers lookups.
        var blockIds: [Int]
    }

    /// Creates a pool whose free queue holds blocks 1..<numBlocks in id order.
    /// - Precondition: `numBlocks >= 2`, `blockSize >= 1` (validated by `SchedulerConfig` before this is built).
    public init(numBlocks: Int, blockSize: Int) {
        precondition(numBlocks >= 2 && blockSize >= 1, "BlockPool needs at least 2 blocks of at least 1 token")
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        refCounts = Array(repeating: 0, count: numBlocks)
        blockHashes = Array(repeating: nil, count: numBlocks)
        freeQueue = FreeBlockQueue(numBlocks: numBlocks, blockIds: 1..<numBlocks)
    }

    // MARK: - Queries

    /// Blocks that can ever be allocated: all but the null block.
    public var numUsableBlocks: Int { numBlocks - 1 }
    /// Blocks in the free queue, cached ones included (they are evicted on demand).
    public var numFreeBlocks: Int { freeQueue.count }
    /// Fraction of usable blocks in use, 0…1 (`vllm:kv_cache_usage_perc`). Cached free blocks count as free.
    public var usage: Double { 1 - Double(numFreeBlocks) / Double(numUsableBlocks) }
    /// Free block ids from the next to be handed out to the last (LRU order). O(n); for tests and metrics.
    public var freeBlockIds: [Int] { freeQueue.blockIds }
    /// Blocks whose contents are in the prefix cache, in use or free.
    public var numCachedBlocks: Int { cachedBlocks.values.reduce(0) { $0 + $1.blockIds.count } }

    /// How many block tables hold `blockId`.
    public func refCount(of blockId: Int) -> Int { refCounts[blockId] }
    /// The key of `blockId`'s cached contents, or nil when it holds none.
    public func blockHash(of blockId: Int) -> BlockHash? { blockHashes[blockId] }

    /// The cached block holding `hash`'s contents and their content id (the next block's `parentContentId`), or nil
    /// on a miss. Does not change ref counts: `touch` the block to use it.
    public func cachedBlock(for hash: BlockHash) -> (blockId: Int, contentId: UInt64)? {
        guard let content = cachedBlocks[hash], let blockId = content.blockIds.first else { return nil }
        return (blockId, content.contentId)
    }

    // MARK: - Allocation

    /// Takes `count` blocks from the head of the free queue (least recently freed first), evicts their cached
    /// contents, and gives each a ref count of 1.
    /// - Returns: the block ids in order, or nil (and no change) when fewer than `count` blocks are free.
    public mutating func allocateBlocks(count: Int) -> [Int]? {
        guard count <= numFreeBlocks else { return nil }
        var blockIds: [Int] = []
        blockIds.reserveCapacity(count)
        for _ in 0..<count {
            let blockId = freeQueue.popFirst()!
            evict(blockId)
            refCounts[blockId] = 1
            blockIds.append(blockId)
        }
        return blockIds
    }

    /// Adds one reference to each of `blockIds` (prefix-cache hits), taking free ones out of the free queue.
    public mutating func touch(_ blockIds: some Sequence<Int>) {
        for blockId in blockIds {
            precondition(blockId != Self.nullBlockId, "the null block cannot be touched")
            if refCounts[blockId] == 0 { freeQueue.remove(blockId) }
            refCounts[blockId] += 1
        }
    }

    /// Drops one reference to each of `blockIds`, in order; a block whose count reaches 0 goes to the free queue's
    /// tail, keeping its cached contents. Pass a sequence tail-first so its last blocks are evicted first.
    public mutating func free(_ blockIds: some Sequence<Int>) {
        for blockId in blockIds {
            precondition(blockId != Self.nullBlockId, "the null block cannot be freed")
            precondition(refCounts[blockId] > 0, "block \(blockId) freed more often than referenced")
            refCounts[blockId] -= 1
            if refCounts[blockId] == 0 { freeQueue.append(blockId) }
        }
    }

    // MARK: - Prefix cache

    /// Records that `blockId`, in use and now full, holds `hash`'s contents. Write-once: the block must hold no
    /// contents yet.
    /// - Returns: the content id of `hash` (shared with blocks already holding the same contents).
    public mutating func cacheBlock(_ blockId: Int, hash: BlockHash) -> UInt64 {
        precondition(blockHashes[blockId] == nil, "block \(blockId) already holds cached contents")
        precondition(refCounts[blockId] > 0, "block \(blockId) is cached while not in use")
        precondition(hash.tokenIds.count == blockSize, "a cached block holds exactly blockSize tokens")
        blockHashes[blockId] = hash
        if var content = cachedBlocks[hash] {
            content.blockIds.append(blockId)
            cachedBlocks[hash] = content
            return content.contentId
        }
        let contentId = nextContentId
        nextContentId += 1
        cachedBlocks[hash] = CachedContent(contentId: contentId, blockIds: [blockId])
        return contentId
    }

    /// Forgets `blockId`'s cached contents, if any; the last block of a content retires its content id for good.
    private mutating func evict(_ blockId: Int) {
        guard let hash = blockHashes[blockId] else { return }
        blockHashes[blockId] = nil
        guard var content = cachedBlocks[hash] else { return }
        content.blockIds.removeAll { $0 == blockId }
        cachedBlocks[hash] = content.blockIds.isEmpty ? nil : content
    }
}
