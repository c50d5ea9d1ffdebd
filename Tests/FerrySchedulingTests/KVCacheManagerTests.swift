// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryScheduling

@Suite struct KVCacheManagerTests {
    /// Admits `request` as the scheduler does: prefix hit, then slots for the rest of its tokens in one step.
    @discardableResult
    func admitAndCompute(_ request: inout Request, in manager: inout KVCacheManager) throws -> [Int] {
        let hit = manager.computedBlocks(for: request)
        let numNewTokens = request.numTokens - hit.numTokens
        let allocated = manager.allocateSlots(for: request, numNewTokens: numNewTokens, newComputedBlocks: hit)
        let newBlockIds = try #require(allocated)
        request.numComputedTokens = request.numTokens
        return newBlockIds
    }

    @Test func aRequestWhoseWholePromptIsCachedStillRecomputesItsLastToken() throws {
        var manager = KVCacheManager(numBlocks: 16, blockSize: 4)
        var first = makeRequest("a", prompt: tokens(9))
        try admitAndCompute(&first, in: &manager)
        // 9 tokens: two full blocks cached. The same prompt hits both and computes only token 8.
        let sameNine = manager.computedBlocks(for: makeRequest("b", prompt: tokens(9)))
        #expect(sameNine.numTokens == 8)
        #expect(sameNine.blockIds == Array(manager.blockIds(of: "a").prefix(2)))
        // 8 tokens, both blocks cached: the hit stops before the last token, so the last block is recomputed.
        let sameEight = manager.computedBlocks(for: makeRequest("c", prompt: tokens(8)))
        #expect(sameEight.numTokens == 4)
    }

    @Test func prefixCacheQueriesAndHitsAreCountedInTokens() throws {
        var manager = KVCacheManager(numBlocks: 16, blockSize: 4)
        var first = makeRequest("a", prompt: tokens(10))
        try admitAndCompute(&first, in: &manager)
        var second = makeRequest("b", prompt: tokens(8) + [1, 2, 3])
        try admitAndCompute(&second, in: &manager)
        #expect(manager.prefixCacheStats.requests == 2)
        #expect(manager.prefixCacheStats.queries == 10 + 11)
        #expect(manager.prefixCacheStats.hits == 8)
        #expect(manager.prefixCacheStats.preemptedRequests == 0)
    }

    @Test func twoPromptsWithDifferentTokensNeverShareABlock() throws {
        var manager = KVCacheManager(numBlocks: 16, blockSize: 4)
        // Same second block, different first block: a hash over the second block alone would collide.
        var first = makeRequest("a", prompt: [1, 1, 1, 1, 9, 9, 9, 9, 0])
        try admitAndCompute(&first, in: &manager)
        var second = makeRequest("b", prompt: [2, 2, 2, 2, 9, 9, 9, 9, 0])
        #expect(manager.computedBlocks(for: second) == .none)
        try admitAndCompute(&second, in: &manager)
        #expect(Set(manager.blockIds(of: "a")).isDisjoint(with: manager.blockIds(of: "b")))
        // Each prefix still finds its own blocks.
        let third = manager.computedBlocks(for: makeRequest("c", prompt: [2, 2, 2, 2, 9, 9, 9, 9, 5]))
        #expect(third.blockIds == Array(manager.blockIds(of: "b").prefix(2)))
    }

    @Test func freeingReturnsBlocksTailFirstSoTheTailIsEvictedFirst() throws {
        var manager = KVCacheManager(numBlocks: 4, blockSize: 4)
        var request = makeRequest("a", prompt: tokens(10))
        try admitAndCompute(&request, in: &manager)
        let table = manager.blockIds(of: "a")
        #expect(table == [1, 2, 3])
        manager.free("a")
        #expect(manager.blockPool.freeBlockIds == [3, 2, 1])
        #expect(manager.blockIds(of: "a").isEmpty)
        // A new request needing one block evicts the tail (block 3); the two cached head blocks survive.
        var other = makeRequest("b", prompt: [7, 7, 7])
        #expect(try admitAndCompute(&other, in: &manager) == [3])
        #expect(manager.computedBlocks(for: makeRequest("c", prompt: tokens(10))).numTokens == 8)
    }

    @Test func allocateSlotsReturnsNilAndChangesNothingWhenBlocksRunOut() throws {
        var manager = KVCacheManager(numBlocks: 4, blockSize: 4)
        var request = makeRequest("a", prompt: tokens(8))
        try admitAndCompute(&request, in: &manager)
        let freeBefore = manager.blockPool.freeBlockIds
        #expect(manager.allocateSlots(for: makeRequest("b", prompt: tokens(9, from: 0)), numNewTokens: 9) == nil)
        #expect(manager.blockPool.freeBlockIds == freeBefore)
        #expect(manager.blockIds(of: "b").isEmpty)
        #expect(manager.prefixCacheStats.requests == 1)
    }

    @Test func decodingAllocatesABlockOnlyWhenTheLastOneIsFull() throws {
        var manager = KVCacheManager(numBlocks: 8, blockSize: 4)
        var request = makeRequest("a", prompt: tokens(7))
        try admitAndCompute(&request, in: &manager)
        request.appendOutputTokenIds([1])  // token 7 fills block 1
        #expect(manager.allocateSlots(for: request, numNewTokens: 1) == [])
        request.numComputedTokens += 1
        request.appendOutputTokenIds([2])  // token 8 needs a third block
        #expect(manager.allocateSlots(for: request, numNewTokens: 1)?.count == 1)
        #expect(manager.blockIds(of: "a").count == 3)
    }

    @Test func aHitOnAFreeCachedBlockCostsAFreeBlock() throws {
        var manager = KVCacheManager(numBlocks: 4, blockSize: 4)
        var first = makeRequest("a", prompt: tokens(5))
        try admitAndCompute(&first, in: &manager)
        manager.free("a")
        // 3 free blocks, one of them the cached head. Hitting it and needing 3 more does not fit (4 > 3)…
        let tooLong = makeRequest("c", prompt: tokens(13))
        let hit = manager.computedBlocks(for: tooLong)
        #expect(hit.numTokens == 4)
        #expect(manager.allocateSlots(for: tooLong, numNewTokens: 9, newComputedBlocks: hit) == nil)
        #expect(manager.blockPool.numFreeBlocks == 3)
        // …while hitting it and needing 2 more fits exactly.
        var second = makeRequest("b", prompt: tokens(12))
        #expect(manager.computedBlocks(for: second).numTokens == 4)
        try admitAndCompute(&second, in: &manager)
        #expect(manager.blockPool.numFreeBlocks == 0)
        #expect(manager.blockPool.refCount(of: manager.blockIds(of: "b")[0]) == 1)
    }

    @Test func sharedPrefixBlocksAreRefCountedPerSharer() throws {
        var manager = KVCacheManager(numBlocks: 16, blockSize: 4)
        var first = makeRequest("a", prompt: tokens(9))
        try admitAndCompute(&first, in: &manager)
        var second = makeRequest("b", prompt: tokens(9))
        try admitAndCompute(&second, in: &manager)
        let shared = Array(manager.blockIds(of: "a").prefix(2))
        #expect(Array(manager.blockIds(of: "b").prefix(2)) == shared)
        #expect(shared.allSatisfy { manager.blockPool.refCount(of: $0) == 2 })
        manager.free("a")
        #expect(shared.allSatisfy { manager.blockPool.refCount(of: $0) == 1 })
        manager.free("b")
        #expect(manager.blockPool.numFreeBlocks == 15)
    }

    @Test func withPrefixCachingOffNothingIsCachedOrCounted() throws {
        var manager = KVCacheManager(numBlocks: 16, blockSize: 4, enablePrefixCaching: false)
        var first = makeRequest("a", prompt: tokens(9))
        try admitAndCompute(&first, in: &manager)
        #expect(manager.computedBlocks(for: makeRequest("b", prompt: tokens(9))) == .none)
        #expect(manager.blockPool.numCachedBlocks == 0)
        #expect(manager.prefixCacheStats == PrefixCacheStats())
    }
}
