// SPDX-License-Identifier: Apache-2.0

/// Finds added tokens in the input and cuts it into token and text segments (Hugging Face `AddedVocabulary`).
///
/// Tokens with `normalized: false` are matched in the raw text first; each text segment in between is normalized,
/// then tokens with `normalized: true` (whose patterns were normalized too) are matched in it. Matching is
/// leftmost-longest, as `tokenizers` configures Aho-Corasick.
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    private let byId: [Int32: Int]
    private let rawTrie: ScalarTrie
    private let normalizedTrie: ScalarTrie

    enum Segment {
        case token(Int32)
        /// Normalized text for the pre-tokenizer; `isAtTextStart` when it begins at offset 0 of the input.
        case text([UInt32], isAtTextStart: Bool)
    }

    init(tokens: [AddedToken], normalizer: Normalizer?) {
        self.tokens = tokens
        var byId: [Int32: Int] = [:]
        var raw = ScalarTrie()
        var normalized = ScalarTrie()
        for (index, token) in tokens.enumerated() {
            byId[token.id] = index
            if token.isNormalized {
                let pattern = normalizer?.normalize(token.content) ?? token.content
                normalized.insert(pattern.unicodeScalars.map(\.value), value: index)
            } else {
                raw.insert(token.content.unicodeScalars.map(\.value), value: index)
            }
        }
        self.byId = byId
        self.rawTrie = raw
        self.normalizedTrie = normalized
    }

    func token(withId id: Int32) -> AddedToken? { byId[id].map { tokens[$0] } }

    /// Cuts `text` into added tokens and normalized text, in order; empty text segments are dropped.
    func segments(of text: [UInt32], normalizer: Normalizer?) -> [Segment] {
        var result: [Segment] = []
        for (range, tokenIndex) in split(text, 0..<text.count, trie: rawTrie) {
            if let tokenIndex {
                result.append(.token(tokens[tokenIndex].id))
                continue
            }
            var normalized = Array(text[range])
            if let normalizer {
                let string = String(String.UnicodeScalarView(normalized.compactMap(Unicode.Scalar.init)))
                normalized = normalizer.normalize(string).unicodeScalars.map(\.value)
            }
            let isAtTextStart = range.lowerBound == 0
            for (part, innerIndex) in split(normalized, 0..<normalized.count, trie: normalizedTrie) {
                if let innerIndex {
                    result.append(.token(tokens[innerIndex].id))
                } else if part == 0..<normalized.count {
                    result.append(.text(normalized, isAtTextStart: isAtTextStart))
                } else {
                    result.append(.text(Array(normalized[part]), isAtTextStart: isAtTextStart && part.lowerBound == 0))
                }
            }
        }
        return result
    }

    /// Hugging Face `AddedVocabulary::find_matches`: matches with their `single_word`/`lstrip`/`rstrip` rules
    /// applied, and the text between them; token index nil for text. Empty ranges are dropped.
    private func split(_ text: [UInt32], _ range: Range<Int>, trie: ScalarTrie) -> [(Range<Int>, Int?)] {
        guard !trie.isEmpty, !range.isEmpty else { return range.isEmpty ? [] : [(range, nil)] }
        var result: [(Range<Int>, Int?)] = []
        var textStart = range.lowerBound
        var position = range.lowerBound
        while position < range.upperBound {
            guard let (length, tokenIndex) = trie.longestMatch(text, at: position, end: range.upperBound) else {
                position += 1
                continue
            }
            var start = position
            var stop = position + length
            position = stop
            let token = tokens[tokenIndex]
            if token.isSingleWord {
                let wordBefore = start > range.lowerBound && ScalarCategory.isWordCharacter(text[start - 1])
                let wordAfter = stop < range.upperBound && ScalarCategory.isWordCharacter(text[stop])
                if wordBefore || wordAfter { continue }
            }
            if token.stripsLeft {
                var newStart = start
                while newStart > range.lowerBound, ScalarCategory.isWhitespace(text[newStart - 1]) { newStart -= 1 }
                start = max(newStart, textStart)
            }
            if token.stripsRight {
                while stop < range.upperBound, ScalarCategory.isWhitespace(text[stop]) { stop += 1 }
                position = stop
            }
            if textStart < start { result.append((textStart..<start, nil)) }
            result.append((start..<stop, tokenIndex))
            textStart = stop
        }
        if textStart < range.upperBound { result.append((textStart..<range.upperBound, nil)) }
        return result
    }
}

/// A trie over Unicode scalars mapping patterns to values, for leftmost-longest matching.
struct ScalarTrie: Sendable {
    private var children: [[UInt32: Int32]] = [[:]]
    private var values: [Int] = [-1]
    /// Scalars that start some pattern, to skip most positions with one lookup.
    private var firstScalars: Set<UInt32> = []

    var isEmpty: Bool { firstScalars.isEmpty }

    mutating func insert(_ pattern: [UInt32], value: Int) {
        guard let first = pattern.first else { return }
        firstScalars.insert(first)
        var node = 0
        for scalar in pattern {
            if let child = children[node][scalar] {
                node = Int(child)
            } else {
                children.append([:])
                values.append(-1)
                children[node][scalar] = Int32(children.count - 1)
                node = children.count - 1
            }
        }
        if values[node] < 0 { values[node] = value }
    }

    /// The longest pattern starting at `position` (its length and value), if any.
    func longestMatch(_ text: [UInt32], at position: Int, end: Int) -> (length: Int, value: Int)? {
        guard firstScalars.contains(text[position]) else { return nil }
        var node = 0
        var best: (Int, Int)?
        var index = position
        while index < end, let child = children[node][text[index]] {
            node = Int(child)
            index += 1
            if values[node] >= 0 { best = (index - position, values[node]) }
        }
        return best
    }
}
