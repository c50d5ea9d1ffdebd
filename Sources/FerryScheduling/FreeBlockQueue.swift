// SPDX-License-Identifier: Apache-2.0

/// The LRU queue of free KV blocks: a doubly linked list threaded through two arrays indexed by block id
/// (vLLM `FreeKVCacheBlockQueue` in `kv_cache_utils.py`).
///
/// Every operation is O(1), removal from the middle included, which is what a prefix-cache hit on a free block
/// needs. The head is the next block handed out (least recently freed); freed blocks go to the tail. Owned by
/// `BlockPool` on the engine thread.
struct FreeBlockQueue: Sendable {
    /// `next[id]`, `previous[id]`: neighbours of block `id`; `head` and `tail` are two sentinel slots past the last
    /// block id. `notQueued` marks a block that is not in the queue.
    private var next: [Int32]
    private var previous: [Int32]
    private let head: Int
    private let tail: Int
    private static let notQueued: Int32 = -1
    /// Blocks in the queue.
    private(set) var count = 0

    /// Creates a queue of `blockIds` in the given order (the first is handed out first), among `numBlocks` ids.
    init(numBlocks: Int, blockIds: some Sequence<Int>) {
        head = numBlocks
        tail = numBlocks + 1
        next = Array(repeating: Self.notQueued, count: numBlocks + 2)
        previous = next
        next[head] = Int32(tail)
        previous[tail] = Int32(head)
        for blockId in blockIds { append(blockId) }
    }

    /// True when `blockId` is in the queue.
    func contains(_ blockId: Int) -> Bool { next[blockId] != Self.notQueued }

    /// The block at the head (the one `popFirst` would return), or nil when empty.
    var first: Int? { count == 0 ? nil : Int(next[head]) }

    /// The block ids from head to tail. O(n); for tests and invariant checks.
    var blockIds: [Int] {
        var result: [Int] = []
        result.reserveCapacity(count)
        var cursor = Int(next[head])
        while cursor != tail {
            result.append(cursor)
            cursor = Int(next[cursor])
        }
        return result
    }

    /// Removes and returns the head block: the least recently freed one.
    mutating func popFirst() -> Int? {
        guard let blockId = first else { return nil }
        remove(blockId)
        return blockId
    }

    /// Unlinks `blockId`, wherever it is.
    mutating func remove(_ blockId: Int) {
        precondition(contains(blockId), "block \(blockId) is not in the free queue")
        let before = Int(previous[blockId])
        let after = Int(next[blockId])
        next[before] = Int32(after)
        previous[after] = Int32(before)
        next[blockId] = Self.notQueued
        previous[blockId] = Self.notQueued
        count -= 1
    }

    /// Links `blockId` at the tail: it will be handed out after every block already queued.
    mutating func append(_ blockId: Int) {
        precondition(!contains(blockId), "block \(blockId) is already in the free queue")
        let last = Int(previous[tail])
        next[last] = Int32(blockId)
        previous[blockId] = Int32(last)
        next[blockId] = Int32(tail)
        previous[tail] = Int32(blockId)
        count += 1
    }
}
