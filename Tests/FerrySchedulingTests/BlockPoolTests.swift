// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryScheduling

@Suite struct BlockPoolTests {
    func hash(_ tokens: [Int], parent: UInt64 = BlockHash.noParent) -> BlockHash {
        BlockHash(parentContentId: parent, tokenIds: tokens)
    }

    @Test func poolNeverHandsOutTheNullBlock() throws {
        var pool = BlockPool(numBlocks: 5, blockSize: 2)
        #expect(pool.numUsableBlocks == 4)
        let allocated = pool.allocateBlocks(count: 4)
        let blockIds = try #require(allocated)
        #expect(blockIds == [1, 2, 3, 4])
        #expect(pool.allocateBlocks(count: 1) == nil)
        #expect(pool.refCount(of: BlockPool.nullBlockId) == 0)
    }

    @Test func allocationBeyondTheFreeBlocksFailsWithoutChangingAnything() throws {
        var pool = BlockPool(numBlocks: 5, blockSize: 2)
        #expect(pool.allocateBlocks(count: 2) != nil)
        #expect(pool.allocateBlocks(count: 3) == nil)
        #expect(pool.numFreeBlocks == 2)
        #expect(pool.freeBlockIds == [3, 4])
    }

    @Test func freedBlocksAreHandedOutAgainLeastRecentlyFreedFirst() throws {
        var pool = BlockPool(numBlocks: 5, blockSize: 2)
        #expect(pool.allocateBlocks(count: 4) != nil)
        pool.free([3, 1])
        pool.free([4, 2])
        #expect(pool.freeBlockIds == [3, 1, 4, 2])
        #expect(pool.allocateBlocks(count: 2) == [3, 1])
        #expect(pool.allocateBlocks(count: 2) == [4, 2])
    }

    @Test func usageIsTheFractionOfUsableBlocksInUse() throws {
        var pool = BlockPool(numBlocks: 5, blockSize: 2)
        #expect(pool.usage == 0)
        let allocated = pool.allocateBlocks(count: 3)
        let blockIds = try #require(allocated)
        #expect(pool.usage == 0.75)
        pool.free(blockIds)
        #expect(pool.usage == 0)
    }

    @Test func aBlockStaysInUseUntilEveryReferenceIsDropped() throws {
        var pool = BlockPool(numBlocks: 3, blockSize: 2)
        let allocated = pool.allocateBlocks(count: 1)?.first
        let blockId = try #require(allocated)
        pool.touch([blockId])
        #expect(pool.refCount(of: blockId) == 2)
        pool.free([blockId])
        #expect(pool.refCount(of: blockId) == 1)
        #expect(!pool.freeBlockIds.contains(blockId))
        pool.free([blockId])
        #expect(pool.refCount(of: blockId) == 0)
        #expect(pool.freeBlockIds.last == blockId)
    }

    @Test func aFreedCachedBlockKeepsItsContentsUntilItIsReused() throws {
        var pool = BlockPool(numBlocks: 3, blockSize: 2)
        let allocated = pool.allocateBlocks(count: 1)?.first
        let blockId = try #require(allocated)
        _ = pool.cacheBlock(blockId, hash: hash([1, 2]))
        pool.free([blockId])
        #expect(pool.cachedBlock(for: hash([1, 2]))?.blockId == blockId)
        #expect(pool.blockHash(of: blockId) == hash([1, 2]))
        // Block 2 was freed earlier than `blockId` (never used), so it goes first; then `blockId` is evicted.
        #expect(pool.allocateBlocks(count: 1) == [2])
        #expect(pool.cachedBlock(for: hash([1, 2])) != nil)
        #expect(pool.allocateBlocks(count: 1) == [blockId])
        #expect(pool.cachedBlock(for: hash([1, 2])) == nil)
        #expect(pool.blockHash(of: blockId) == nil)
        #expect(pool.numCachedBlocks == 0)
    }

    @Test func touchRevivesACachedFreeBlockOutOfTheFreeQueue() throws {
        var pool = BlockPool(numBlocks: 4, blockSize: 2)
        let allocated = pool.allocateBlocks(count: 3)
        let blockIds = try #require(allocated)
        _ = pool.cacheBlock(blockIds[1], hash: hash([5, 6]))
        pool.free(blockIds)
        pool.touch([blockIds[1]])
        #expect(pool.refCount(of: blockIds[1]) == 1)
        #expect(pool.numFreeBlocks == 2)
        #expect(pool.allocateBlocks(count: 2) == [blockIds[0], blockIds[2]])
        #expect(pool.cachedBlock(for: hash([5, 6]))?.blockId == blockIds[1])
    }

    @Test func blocksWithTheSameContentsShareOneContentIdWhileAnyOfThemIsCached() throws {
        var pool = BlockPool(numBlocks: 5, blockSize: 2)
        let allocated = pool.allocateBlocks(count: 3)
        let blockIds = try #require(allocated)
        let first = pool.cacheBlock(blockIds[0], hash: hash([1, 2]))
        let duplicate = pool.cacheBlock(blockIds[1], hash: hash([1, 2]))
        let other = pool.cacheBlock(blockIds[2], hash: hash([1, 2], parent: first))
        #expect(first == duplicate)
        #expect(other != first)
        #expect(pool.numCachedBlocks == 3)
        // Evict the first holder: the content survives in the duplicate, with the same id.
        pool.free([blockIds[0]])
        #expect(pool.allocateBlocks(count: 1) != nil)  // the never-used block 4
        #expect(pool.allocateBlocks(count: 1) == [blockIds[0]])
        let survivor = try #require(pool.cachedBlock(for: hash([1, 2])))
        #expect(survivor.blockId == blockIds[1])
        #expect(survivor.contentId == first)
    }

    @Test func aContentIdIsNeverReusedAfterItsLastBlockIsEvicted() throws {
        var pool = BlockPool(numBlocks: 2, blockSize: 2)
        let allocated = pool.allocateBlocks(count: 1)?.first
        let blockId = try #require(allocated)
        let before = pool.cacheBlock(blockId, hash: hash([1, 2]))
        pool.free([blockId])
        #expect(pool.allocateBlocks(count: 1) != nil)
        let after = pool.cacheBlock(blockId, hash: hash([1, 2]))
        #expect(after != before)
    }
}
