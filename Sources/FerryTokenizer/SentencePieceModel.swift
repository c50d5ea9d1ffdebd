// SPDX-License-Identifier: Apache-2.0

/// SentencePiece BPE by token scores, for GGUF `llama` vocabularies that carry scores but no merges
/// (llama.cpp `llm_tokenizer_spm`).
///
/// Start from one symbol per UTF-8 character; repeatedly merge the adjacent pair whose concatenation is a token
/// with the highest score (leftmost on ties); finally emit each symbol's token, or its `<0xNN>` byte tokens when it
/// is a single character missing from the vocabulary. (llama.cpp's `rev_merge` re-split never fires: a merged
/// symbol is a token by construction.)
struct SentencePieceModel: Sendable {
    let vocabulary: Vocabulary
    /// Score by id (higher merges first).
    let scores: [Float]
    let unknownId: Int32?

    private struct Symbol {
        var start: Int  // byte offset into the piece
        var length: Int  // bytes; 0 once merged into its left neighbour
        var previous: Int
        var next: Int
    }

    private struct Bigram {
        var left: Int
        var right: Int
        var score: Float
        var length: Int

        /// True when `self` should be merged before `other`.
        func precedes(_ other: Bigram) -> Bool {
            score > other.score || (score == other.score && left < other.left)
        }
    }

    /// Appends the ids of one piece (already with `▁` for spaces).
    func tokenize(_ scalars: [UInt32], _ range: Range<Int>, into ids: inout [Int32]) {
        let text = BPEModel.utf8(scalars[range])
        guard !text.isEmpty else { return }
        var symbols: [Symbol] = []
        var offset = 0
        while offset < text.count {
            let length = min(Self.utf8Length(leadingByte: text[offset]), text.count - offset)
            symbols.append(Symbol(start: offset, length: length, previous: symbols.count - 1,
                                  next: offset + length == text.count ? -1 : symbols.count + 1))
            offset += length
        }
        var queue: [Bigram] = []

        func tryAddBigram(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let bytes = text[symbols[left].start..<(symbols[left].start + symbols[left].length + symbols[right].length)]
            guard let id = vocabulary.id(forUTF8: bytes), Int(id) < scores.count else { return }
            push(&queue, Bigram(left: left, right: right, score: scores[Int(id)], length: bytes.count))
        }

        for index in 1..<symbols.count { tryAddBigram(index - 1, index) }
        while let bigram = pop(&queue) {
            let left = symbols[bigram.left]
            let right = symbols[bigram.right]
            // Skip a stale bigram: one side was merged since.
            guard left.length > 0, right.length > 0, left.length + right.length == bigram.length else { continue }
            symbols[bigram.left].length += right.length
            symbols[bigram.right].length = 0
            symbols[bigram.left].next = right.next
            if right.next >= 0 { symbols[right.next].previous = bigram.left }
            tryAddBigram(symbols[bigram.left].previous, bigram.left)
            tryAddBigram(bigram.left, symbols[bigram.left].next)
        }

        var index = 0
        while index != -1 {
            let bytes = text[symbols[index].start..<(symbols[index].start + symbols[index].length)]
            if let id = vocabulary.id(forUTF8: bytes) {
                ids.append(id)
            } else {
                for byte in bytes {
                    let id = vocabulary.byteIds[Int(byte)]
                    if id >= 0 { ids.append(id) } else if let unknownId { ids.append(unknownId) }
                }
            }
            index = symbols[index].next
        }
    }

    private static func utf8Length(leadingByte byte: UInt8) -> Int {
        switch byte {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }

    // MARK: - Priority queue (binary heap, best bigram on top)

    private func push(_ heap: inout [Bigram], _ bigram: Bigram) {
        heap.append(bigram)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop(_ heap: inout [Bigram]) -> Bigram? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            let right = left + 1
            let best = right < heap.count && heap[right].precedes(heap[left]) ? right : left
            guard heap[best].precedes(heap[parent]) else { break }
            heap.swapAt(best, parent)
            parent = best
        }
        return top
    }
}
