// SPDX-License-Identifier: Apache-2.0

/// A word being merged: a linked list of symbols plus a min-heap of candidate merges (Hugging Face `Word::merge_all`).
///
/// The heap orders candidates by merge rank, then by position, so the result is "always apply the lowest-ranked pair,
/// leftmost first", in O(n log n) for a word of n symbols. One value is reused across the words of an `encode` call.
struct BPEWord {
    /// Symbol ids; a merged-away symbol keeps its slot with `next[i] == removed`.
    private var ids: [Int32] = []
    private var previous: [Int32] = []
    private var next: [Int32] = []
    /// Candidates packed as `rank << 32 | position`, so comparing integers compares (rank, position).
    private var heap: [UInt64] = []
    /// True once `previous`/`next` describe the current word.
    private var isLinked = false

    private static let removed: Int32 = -2
    private static let none: Int32 = -1

    var isEmpty: Bool { ids.isEmpty }

    mutating func reset() {
        ids.removeAll(keepingCapacity: true)
        isLinked = false
    }

    mutating func append(_ id: Int32) {
        ids.append(id)
    }

    /// Applies merges until none applies. `merges` maps `left << 32 | right` to `rank << 32 | newId`.
    mutating func mergeAll(_ merges: [UInt64: UInt64]) {
        let count = ids.count
        guard count > 1 else { return }
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        isLinked = true
        for index in 0..<count {
            previous.append(Int32(index - 1))
            next.append(index + 1 < count ? Int32(index + 1) : Self.none)
        }
        for index in 0..<(count - 1) {
            if let merge = merges[Self.pairKey(ids[index], ids[index + 1])] {
                push((merge >> 32) << 32 | UInt64(index))
            }
        }
        while let top = pop() {
            let position = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            let right = next[position]
            guard right >= 0 else { continue }  // removed, or the last symbol
            // Skip a stale candidate: the pair at `position` changed since it was pushed.
            guard let merge = merges[Self.pairKey(ids[position], ids[Int(right)])], merge >> 32 == rank else {
                continue
            }
            ids[position] = Int32(truncatingIfNeeded: merge & 0xFFFF_FFFF)
            let after = next[Int(right)]
            next[position] = after
            next[Int(right)] = Self.removed
            if after >= 0 { previous[Int(after)] = Int32(position) }
            let before = previous[position]
            if before >= 0, let candidate = merges[Self.pairKey(ids[Int(before)], ids[position])] {
                push((candidate >> 32) << 32 | UInt64(before))
            }
            if after >= 0, let candidate = merges[Self.pairKey(ids[position], ids[Int(after)])] {
                push((candidate >> 32) << 32 | UInt64(position))
            }
        }
    }

    /// Appends the surviving symbol ids, in order.
    func emit(into output: inout [Int32]) {
        guard !ids.isEmpty else { return }
        guard isLinked else {
            output.append(contentsOf: ids)
            return
        }
        var index: Int32 = 0
        while index >= 0 {
            output.append(ids[Int(index)])
            index = next[Int(index)]
        }
    }

    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    // MARK: - Binary min-heap

    private mutating func push(_ value: UInt64) {
        heap.append(value)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> UInt64? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let smaller = right < count && heap[right] < heap[left] ? right : left
            guard heap[smaller] < heap[parent] else { break }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
        return top
    }
}
