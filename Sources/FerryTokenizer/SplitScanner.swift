// SPDX-License-Identifier: Apache-2.0

/// Hand-written matchers for the split regexes that real tokenizers use, over Unicode scalars.
///
/// Each `matchEnd` reproduces the regex's leftmost-first alternation and greedy backtracking at one position: it
/// returns where the match starting at `start` ends. Every scalar is a letter, a number, whitespace or "other", so
/// these patterns match at every position and a scan never leaves a gap.
enum SplitScanner: Sendable, Equatable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    /// `unicodeCaseFolding` is true for `(?i:...)`, where `ſ` (U+017F) folds to `s`, and false for llama.cpp's
    /// spelled-out `'[sS]|...`.
    case llama3(maxDigits: Int, unicodeCaseFolding: Bool)

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    private static let llamaCppContractions = #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"#

    /// The scanner for a regex string found in a tokenizer.json `Split`, or nil when the regex is not one we know.
    init?(regex: String) {
        switch regex {
        case Self.gpt2Pattern, String(Self.gpt2Pattern.dropLast(4)):
            self = .gpt2
        case Self.llama3Pattern:
            self = .llama3(maxDigits: 3, unicodeCaseFolding: true)
        case Self.qwen2Pattern:
            self = .llama3(maxDigits: 1, unicodeCaseFolding: true)
        case Self.llama3Pattern.replacingFirst("(?i:'s|'t|'re|'ve|'m|'ll|'d)", with: Self.llamaCppContractions):
            self = .llama3(maxDigits: 3, unicodeCaseFolding: false)
        case Self.qwen2Pattern.replacingFirst("(?i:'s|'t|'re|'ve|'m|'ll|'d)", with: Self.llamaCppContractions):
            self = .llama3(maxDigits: 1, unicodeCaseFolding: false)
        default:
            return nil
        }
    }

    /// Appends the ranges of all matches in `scalars[range]`, in order; together they cover the range.
    func split(_ scalars: [UInt32], _ range: Range<Int>, into matches: inout [Range<Int>]) {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = matchEnd(scalars, start, range.upperBound)
            matches.append(start..<end)
            start = end
        }
    }

    /// Where the match starting at `start` ends (always > `start`).
    func matchEnd(_ s: [UInt32], _ start: Int, _ end: Int) -> Int {
        switch self {
        case .gpt2: return Self.gpt2MatchEnd(s, start, end)
        case .llama3(let maxDigits, let folding): return Self.llama3MatchEnd(s, start, end, maxDigits, folding)
        }
    }

    // MARK: - GPT-2

    private static func gpt2MatchEnd(_ s: [UInt32], _ i: Int, _ end: Int) -> Int {
        let c = s[i]
        if c == apostrophe, let contraction = contractionEnd(s, i, end, caseInsensitive: false, folding: false) {
            return contraction
        }
        let j = c == space ? i + 1 : i
        if j < end {
            let flags = ScalarCategory.flags(s[j])
            if flags & ScalarCategory.letter != 0 { return run(s, j + 1, end, ScalarCategory.isLetter) }
            if flags & ScalarCategory.number != 0 { return run(s, j + 1, end, ScalarCategory.isNumber) }
            if flags & ScalarCategory.whitespace == 0 { return run(s, j + 1, end, ScalarCategory.isOther) }
        }
        return whitespaceEnd(s, i, end)
    }

    // MARK: - Llama 3 / Qwen2

    private static func llama3MatchEnd(_ s: [UInt32], _ i: Int, _ end: Int, _ maxDigits: Int, _ folding: Bool) -> Int {
        let c = s[i]
        if c == apostrophe, let contraction = contractionEnd(s, i, end, caseInsensitive: true, folding: folding) {
            return contraction
        }
        let flags = ScalarCategory.flags(c)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if flags & ScalarCategory.letter != 0 { return run(s, i + 1, end, ScalarCategory.isLetter) }
        if flags & ScalarCategory.number == 0, c != carriageReturn, c != lineFeed, i + 1 < end,
            ScalarCategory.isLetter(s[i + 1])
        {
            return run(s, i + 2, end, ScalarCategory.isLetter)
        }
        // \p{N}{1,maxDigits}
        if flags & ScalarCategory.number != 0 {
            var k = i + 1
            while k < end, k - i < maxDigits, ScalarCategory.isNumber(s[k]) { k += 1 }
            return k
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let j = c == space ? i + 1 : i
        if j < end, ScalarCategory.isOther(s[j]) {
            var k = run(s, j + 1, end, ScalarCategory.isOther)
            while k < end, s[k] == carriageReturn || s[k] == lineFeed { k += 1 }
            return k
        }
        // \s*[\r\n]+ : the whitespace run up to and including its last line break.
        let runEnd = run(s, i, end, ScalarCategory.isWhitespace)
        var k = runEnd
        while k > i {
            if s[k - 1] == carriageReturn || s[k - 1] == lineFeed { return k }
            k -= 1
        }
        return whitespaceEnd(s, i, end)
    }

    // MARK: - Shared pieces

    private static let apostrophe: UInt32 = 0x27
    private static let space: UInt32 = 0x20
    private static let carriageReturn: UInt32 = 0x0D
    private static let lineFeed: UInt32 = 0x0A

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i` (an apostrophe), or nil.
    private static func contractionEnd(
        _ s: [UInt32], _ i: Int, _ end: Int, caseInsensitive: Bool, folding: Bool
    ) -> Int? {
        guard i + 1 < end else { return nil }
        func letter(_ k: Int) -> UInt32? {
            guard k < end else { return nil }
            let value = s[k]
            if caseInsensitive {
                if folding && value == 0x17F { return 0x73 }  // ſ folds to s
                if (0x41...0x5A).contains(value) { return value + 0x20 }
            }
            return value
        }
        switch letter(i + 1) {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        case 0x72, 0x76: return letter(i + 2) == 0x65 ? i + 3 : nil  // re ve
        case 0x6C: return letter(i + 2) == 0x6C ? i + 3 : nil  // ll
        default: return nil
        }
    }

    /// `\s+(?!\S)|\s+` at `i`: a whitespace run, less its last scalar when a non-space follows and more than one
    /// remains.
    private static func whitespaceEnd(_ s: [UInt32], _ i: Int, _ end: Int) -> Int {
        let k = run(s, i, end, ScalarCategory.isWhitespace)
        if k == i { return i + 1 }  // not reached for these patterns; guarantees progress
        if k == end || k - 1 == i { return k }
        return k - 1
    }

    @inline(__always)
    private static func run(_ s: [UInt32], _ from: Int, _ end: Int, _ predicate: (UInt32) -> Bool) -> Int {
        var k = from
        while k < end, predicate(s[k]) { k += 1 }
        return k
    }
}

extension String {
    /// This string with the first occurrence of `target` replaced (literal, scalar by scalar).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        let bytes = Array(utf8)
        let pattern = Array(target.utf8)
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return self }
        for start in 0...(bytes.count - pattern.count)
        where bytes[start..<start + pattern.count].elementsEqual(pattern) {
            return String(decoding: bytes[..<start] + Array(replacement.utf8) + bytes[(start + pattern.count)...],
                          as: UTF8.self)
        }
        return self
    }
}
