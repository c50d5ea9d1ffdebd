// SPDX-License-Identifier: Apache-2.0

/// A `Split`-style rule: find matches of a pattern in a piece, then keep, drop or merge them per `behavior`
/// (Hugging Face `SplitDelimiterBehavior`).
struct SplitRule: Sendable {
    enum Pattern: Sendable {
        /// One of the known regexes, matched by a hand-written scanner.
        case scanner(SplitScanner)
        /// A literal string, as scalars.
        case literal([UInt32])
        /// Every scalar with general category N* is a match of its own (the `Digits` pre-tokenizer).
        case numericScalar
        /// Any other regex, through the standard library's `Regex`; slower, used only for regexes we do not know.
        case regex(RegexBox)
    }

    enum Behavior: String, Sendable {
        case removed = "Removed"
        case isolated = "Isolated"
        case mergedWithPrevious = "MergedWithPrevious"
        case mergedWithNext = "MergedWithNext"
        case contiguous = "Contiguous"
    }

    var pattern: Pattern
    var behavior: Behavior
    var invert = false

    /// Appends the pieces this rule cuts `scalars[range]` into.
    func split(_ scalars: [UInt32], _ range: Range<Int>, into parts: inout [Range<Int>]) {
        // Fast path: a scanner covers everything with matches, so `Isolated` keeps exactly the matches.
        if case .scanner(let scanner) = pattern, behavior == .isolated, !invert {
            scanner.split(scalars, range, into: &parts)
            return
        }
        var marked = matches(scalars, range)
        if invert { marked = marked.map { ($0.range, !$0.isMatch) } }
        apply(marked, into: &parts)
    }

    /// The range cut into alternating non-matches and matches, covering it (Hugging Face `find_matches`).
    private func matches(_ scalars: [UInt32], _ range: Range<Int>) -> [(range: Range<Int>, isMatch: Bool)] {
        var found: [Range<Int>] = []
        switch pattern {
        case .scanner(let scanner):
            scanner.split(scalars, range, into: &found)
        case .numericScalar:
            for index in range where ScalarCategory.isNumber(scalars[index]) { found.append(index..<index + 1) }
        case .literal(let needle):
            guard !needle.isEmpty else { break }
            var index = range.lowerBound
            while index + needle.count <= range.upperBound {
                if scalars[index..<index + needle.count].elementsEqual(needle) {
                    found.append(index..<index + needle.count)
                    index += needle.count
                } else {
                    index += 1
                }
            }
        case .regex(let box):
            found = box.matches(scalars, range)
        }
        var result: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = range.lowerBound
        for match in found {
            if match.lowerBound > previous { result.append((previous..<match.lowerBound, false)) }
            result.append((match, true))
            previous = match.upperBound
        }
        if previous < range.upperBound { result.append((previous..<range.upperBound, false)) }
        return result
    }

    /// Hugging Face `NormalizedString::split` for one behavior.
    private func apply(_ marked: [(range: Range<Int>, isMatch: Bool)], into parts: inout [Range<Int>]) {
        switch behavior {
        case .isolated:
            parts.append(contentsOf: marked.map(\.range))
        case .removed:
            parts.append(contentsOf: marked.filter { !$0.isMatch }.map(\.range))
        case .contiguous:
            var previousMatch = false
            var merged: [Range<Int>] = []
            for (range, isMatch) in marked {
                if isMatch == previousMatch, let last = merged.last {
                    merged[merged.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    merged.append(range)
                }
                previousMatch = isMatch
            }
            parts.append(contentsOf: merged)
        case .mergedWithPrevious:
            var previousMatch = false
            var merged: [Range<Int>] = []
            for (range, isMatch) in marked {
                if isMatch && !previousMatch, let last = merged.last {
                    merged[merged.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    merged.append(range)
                }
                previousMatch = isMatch
            }
            parts.append(contentsOf: merged)
        case .mergedWithNext:
            var previousMatch = false
            var merged: [Range<Int>] = []
            for (range, isMatch) in marked.reversed() {
                if isMatch && !previousMatch, let last = merged.last {
                    merged[merged.count - 1] = range.lowerBound..<last.upperBound
                } else {
                    merged.append(range)
                }
                previousMatch = isMatch
            }
            parts.append(contentsOf: merged.reversed())
        }
    }
}

/// A split pattern without a hand-written scanner, run by the standard library's regex engine
/// (`_StringProcessing`, no ICU) with Unicode-scalar semantics, as Hugging Face's Oniguruma matches scalars rather
/// than grapheme clusters. Patterns in a syntax it does not accept fail at load with
/// `TokenizerError.unsupportedPreTokenizer` naming the pattern.
///
/// `@unchecked Sendable`: `Regex` is not declared `Sendable`, but its compiled program is immutable after the
/// first match and built with an atomic compare-and-exchange, so sharing one across threads is safe.
final class RegexBox: @unchecked Sendable {
    let expression: Regex<AnyRegexOutput>

    init(pattern: String) throws(TokenizerError) {
        do {
            expression = try Regex(pattern).matchingSemantics(.unicodeScalar)
        } catch {
            throw .unsupportedPreTokenizer("Split regex \(pattern) does not compile: \(error)")
        }
    }

    /// Non-empty match ranges in `scalars[range]`, as scalar indices.
    func matches(_ scalars: [UInt32], _ range: Range<Int>) -> [Range<Int>] {
        var text = String.UnicodeScalarView()
        for value in scalars[range] { text.append(Unicode.Scalar(value) ?? "\u{FFFD}") }
        let string = String(text)
        let view = string.unicodeScalars
        // Matches come in order, so one cursor walks the string once to turn indices into scalar offsets.
        var cursor = view.startIndex, offset = 0
        func scalarOffset(_ index: String.Index) -> Int {
            offset += view.distance(from: cursor, to: index)
            cursor = index
            return offset
        }
        var found: [Range<Int>] = []
        for match in string.matches(of: expression) where !match.range.isEmpty {
            let start = scalarOffset(match.range.lowerBound), end = scalarOffset(match.range.upperBound)
            found.append((range.lowerBound + start)..<(range.lowerBound + end))
        }
        return found
    }
}
