// SPDX-License-Identifier: Apache-2.0

/// Every request's block table, and the prefix cache on top of `BlockPool` (vLLM `kv_cache_manager.py` with its
/// single-group coordinator, and nano-vllm's `block_manager.py`).
///
/// The scheduler asks, then acts: `computedBlocks(for:)` looks up a waiting request's cached prefix without
/// changing anything; `allocateSlots` either fits the step's tokens (reviving the hits, allocating new blocks,
/// recording the contents of blocks that this step fills) or returns nil with nothing changed, and the scheduler
/// preempts; `free` returns a finished or preempted request's blocks.
///
/// Prefix caching keys each full block on its tokens and its parent's content id (`BlockHash`). Keys are recorded
/// when a block is scheduled to be filled, as vLLM does, so a request admitted later in the same step already hits
/// the blocks of an earlier one. That relies on the forward pass storing a layer's K/V for all of the step's tokens
/// before any attention of that layer reads them (`TransformerModel+Forward` does: `storeKV`, then `attention`).
/// `n > 1` gets its prompt sharing from this: the siblings are separate requests with the same prompt, and all
/// but the first hit the first one's full prompt blocks (ref counts = number of sharers). With prefix caching off,
/// siblings compute the prompt each.
///
/// Owned by `Scheduler`; engine thread only.
public struct KVCacheManager: Sendable {
    public private(set) var blockPool: BlockPool
    /// Look up and record full blocks in the prefix cache (`--enable-prefix-caching`).
    public let enablePrefixCaching: Bool
    /// Cumulative prefix-cache queries and hits, in tokens.
    public private(set) var prefixCacheStats = PrefixCacheStats()

    /// Block ids of each request holding blocks, in sequence order: token `i` lives in slot
    /// `table[i / blockSize] * blockSize + i % blockSize`.
    private var blockTables: [RequestID: [Int]] = [:]
    /// Content ids of each request's cached leading blocks; `count` = how many of its blocks are cached so far.
    private var contentIds: [RequestID: [UInt64]] = [:]

    /// A request's prefix-cache hit: full blocks already holding its leading tokens.
    public struct ComputedBlocks: Sendable, Equatable {
        /// Hit block ids, in sequence order.
        public let blockIds: [Int]
        /// Their content ids, the chain the request's next blocks extend.
        let contentIds: [UInt64]
        /// Tokens covered: `blockIds.count × blockSize`.
        public let numTokens: Int

        /// No hit.
        public static let none = ComputedBlocks(blockIds: [], contentIds: [], numTokens: 0)
    }

    public init(numBlocks: Int, blockSize: Int, enablePrefixCaching: Bool = true) {
        blockPool = BlockPool(numBlocks: numBlocks, blockSize: blockSize)
        self.enablePrefixCaching = enablePrefixCaching
    }

    public var blockSize: Int { blockPool.blockSize }
    /// Fraction of usable blocks in use, 0…1 (`vllm:kv_cache_usage_perc`).
    public var usage: Double { blockPool.usage }
    /// The block table of `requestId` (empty when it holds no blocks).
    public func blockIds(of requestId: RequestID) -> [Int] { blockTables[requestId] ?? [] }
    /// Ids of the requests holding blocks.
    public var requestIds: Dictionary<RequestID, [Int]>.Keys { blockTables.keys }

    // MARK: - Ask

    /// The longest run of `request`'s leading full blocks already in the prefix cache. Changes nothing.
    ///
    /// Called by `Scheduler.schedule` for a waiting request (which holds no blocks).
    /// - Note: the hit stops short of the last token, so a request whose whole prompt is cached still computes at
    ///   least one token and the step yields the logits for its first output token. When `numTokens` is a multiple
    ///   of `blockSize`, the whole last block is recomputed (vLLM's rule too: only full blocks are cached).
    public func computedBlocks(for request: Request) -> ComputedBlocks {
        guard enablePrefixCaching else { return .none }
        let maxHitBlocks = (request.numTokens - 1) / blockSize
        var blockIds: [Int] = []
        var contentIds: [UInt64] = []
        var parent = BlockHash.noParent
        for index in 0..<max(0, maxHitBlocks) {
            let tokens = Array(request.allTokenIds[(index * blockSize)..<((index + 1) * blockSize)])
            guard let hit = blockPool.cachedBlock(for: BlockHash(parentContentId: parent, tokenIds: tokens)) else {
                break
            }
            blockIds.append(hit.blockId)
            contentIds.append(hit.contentId)
            parent = hit.contentId
        }
        return ComputedBlocks(blockIds: blockIds, contentIds: contentIds, numTokens: blockIds.count * blockSize)
    }

    // MARK: - Act

    /// Makes room for `numNewTokens` more tokens of `request` after its computed ones (and after
    /// `newComputedBlocks`, a hit from `computedBlocks(for:)` on admission).
    ///
    /// Called by `Scheduler.schedule` for each request it schedules, on the engine thread. On success it revives
    /// the hit blocks (ref count + 1), appends them and the new blocks to the request's table, records the prefix
    /// stats on the request's first allocation, and caches the blocks this step will fill.
    /// - Parameters:
    ///   - request: the request as it is before this step (`numComputedTokens` not yet counting the hit).
    ///   - numNewTokens: tokens to compute this step.
    ///   - newComputedBlocks: the prefix hit to take over; only for a request that holds no blocks yet.
    /// - Returns: the newly allocated block ids (possibly empty), or nil, changing nothing, when the free blocks do
    ///   not suffice; the caller then preempts a request and retries, or stops admitting.
    public mutating func allocateSlots(for request: Request, numNewTokens: Int,
                                       newComputedBlocks: ComputedBlocks = .none) -> [Int]?
    {
        let requestId = request.requestId
        let existing = blockTables[requestId]
        precondition(newComputedBlocks.blockIds.isEmpty || existing == nil, "a prefix hit for a request with blocks")
        let numComputedTokens = request.numComputedTokens + newComputedBlocks.numTokens
        let numTokensNeedingSlots = numComputedTokens + numNewTokens
        let numHeldBlocks = (existing?.count ?? 0) + newComputedBlocks.blockIds.count
        let numNewBlocks = max(0, ceilDiv(numTokensNeedingSlots, blockSize) - numHeldBlocks)
        // A hit on a free block takes it out of the free queue, so it costs a free block too.
        let numRevivedBlocks = newComputedBlocks.blockIds.count { blockPool.refCount(of: $0) == 0 }
        guard numNewBlocks + numRevivedBlocks <= blockPool.numFreeBlocks else { return nil }

        blockPool.touch(newComputedBlocks.blockIds)
        let newBlockIds = blockPool.allocateBlocks(count: numNewBlocks)!
        blockTables[requestId, default: []].append(contentsOf: newComputedBlocks.blockIds + newBlockIds)
        if existing == nil && enablePrefixCaching {
            prefixCacheStats.record(numTokens: request.numTokens, numHits: newComputedBlocks.numTokens,
                                    preempted: request.numPreemptions > 0)
        }
        if enablePrefixCaching {
            contentIds[requestId, default: []].append(contentsOf: newComputedBlocks.contentIds)
            cacheFullBlocks(of: request, numTokens: min(numTokensNeedingSlots, request.numTokens))
        }
        return newBlockIds
    }

    /// Returns all of `requestId`'s blocks to the pool, last block first, so that under LRU a sequence's tail is
    /// evicted before its head (which other requests are likelier to share). No-op for a request without blocks.
    ///
    /// Called by `Scheduler` when a request finishes, is aborted or is preempted.
    public mutating func free(_ requestId: RequestID) {
        contentIds[requestId] = nil
        guard let blockIds = blockTables.removeValue(forKey: requestId) else { return }
        blockPool.free(blockIds.reversed())
    }

    /// Records the contents of `request`'s blocks that are full within its first `numTokens` tokens and not yet
    /// cached, each keyed on its predecessor's content id.
    private mutating func cacheFullBlocks(of request: Request, numTokens: Int) {
        let requestId = request.requestId
        guard let table = blockTables[requestId] else { return }
        var chain = contentIds[requestId] ?? []
        let numFullBlocks = numTokens / blockSize
        guard chain.count < numFullBlocks else { return }
        for index in chain.count..<numFullBlocks {
            let tokens = Array(request.allTokenIds[(index * blockSize)..<((index + 1) * blockSize)])
            let hash = BlockHash(parentContentId: chain.last ?? BlockHash.noParent, tokenIds: tokens)
            chain.append(blockPool.cacheBlock(table[index], hash: hash))
        }
        contentIds[requestId] = chain
    }
}

/// `⌈numerator / denominator⌉` for non-negative numerator and positive denominator.
@inline(__always)
func ceilDiv(_ numerator: Int, _ denominator: Int) -> Int { (numerator + denominator - 1) / denominator }
