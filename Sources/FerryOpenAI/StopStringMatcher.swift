// SPDX-License-Identifier: Apache-2.0

/// Finds stop strings in streamed output text and decides how much text is safe to send now.
///
/// Feed each piece of detokenized text to `append(_:)`. It returns the text that can go to the client and, when a
/// stop string completes, which one; the output then ends there (before the stop string, or after it with
/// `include_stop_str_in_output`). Text that could still be the start of a stop string is held back until it can
/// no longer match; `finish()` returns it when generation ends without a match.
///
/// The match that counts is the one that *completes* first in the text (ties: the longest, i.e. the one that
/// started first), so the result does not depend on how the text was split into pieces — one token at a time or
/// all at once. vLLM scans a window per token and takes the first stop string in list order that occurs there;
/// the two agree whenever one token completes at most one stop string.
///
/// Matching is on UTF-8 bytes, which for valid strings is matching by Unicode scalars (Python's `str.find`),
/// with no canonical equivalence. Each stop string runs a Knuth–Morris–Pratt automaton whose state persists across
/// pieces, so a piece costs O(piece length × number of stop strings) however long the stop strings are.
///
/// A value owned by one choice of one request; call it from the thread that handles that request's output.
public struct StopStringMatcher: Sendable {
    /// The result of one `append(_:)`.
    public struct Output: Sendable, Equatable {
        /// Text to send now (may be empty).
        public var text: String
        /// The stop string that ended the output, if one completed in this piece.
        public var matchedStop: String?

        public init(text: String, matchedStop: String? = nil) {
            self.text = text
            self.matchedStop = matchedStop
        }
    }

    private struct Automaton: Sendable {
        let stop: String
        let pattern: [UInt8]
        /// `failure[i]`: length of the longest proper border of `pattern[0...i]`.
        let failure: [Int]
        /// Bytes of `pattern` matched by the end of the text so far.
        var state = 0

        init(_ stop: String) {
            self.stop = stop
            pattern = Array(stop.utf8)
            var failure = [Int](repeating: 0, count: pattern.count)
            var border = 0
            for i in 1..<max(pattern.count, 1) {
                while border > 0 && pattern[i] != pattern[border] { border = failure[border - 1] }
                if pattern[i] == pattern[border] { border += 1 }
                failure[i] = border
            }
            self.failure = failure
        }

        /// Advances over one byte; true when the whole pattern has just matched.
        mutating func advance(_ byte: UInt8) -> Bool {
            if state == pattern.count { state = failure[state - 1] }
            while state > 0 && pattern[state] != byte { state = failure[state - 1] }
            if pattern[state] == byte { state += 1 }
            return state == pattern.count
        }
    }

    private var automata: [Automaton]
    private let includesStopString: Bool
    /// Text received but not yet returned: a suffix that may begin a stop string (never with
    /// `includesStopString`, which has nothing to hold back).
    private var pending: [UInt8] = []

    /// True once a stop string has matched; later pieces are ignored.
    public private(set) var isStopped = false

    /// - Parameters:
    ///   - stops: stop strings, none empty (validation rejects `""`).
    ///   - includeStopStringInOutput: end the output after the stop string instead of before it.
    public init(stops: [String], includeStopStringInOutput: Bool) {
        automata = stops.filter { !$0.isEmpty }.map(Automaton.init)
        includesStopString = includeStopStringInOutput
    }

    /// True when there are stop strings to look for.
    public var isActive: Bool { !automata.isEmpty }

    /// Takes the next piece of output text.
    /// - Returns: the text safe to send now and, if a stop string completed, which one.
    public mutating func append(_ piece: String) -> Output {
        guard !isStopped else { return Output(text: "") }
        guard isActive else { return Output(text: piece) }
        let bytes = Array(piece.utf8)
        for (offset, byte) in bytes.enumerated() {
            var matched: Int?
            for index in automata.indices where automata[index].advance(byte) {
                if matched.map({ automata[index].pattern.count > automata[$0].pattern.count }) ?? true {
                    matched = index
                }
            }
            if let matched {
                isStopped = true
                let stop = automata[matched]
                let end = offset + 1
                var text = pending
                text.append(contentsOf: bytes[..<end])
                if !includesStopString { text.removeLast(stop.pattern.count) }
                pending = []
                return Output(text: String(decoding: text, as: UTF8.self), matchedStop: stop.stop)
            }
        }
        if includesStopString { return Output(text: piece) }
        // Hold back the longest suffix that is still a prefix of some stop string.
        let hold = automata.reduce(0) { max($0, $1.state) }
        pending.append(contentsOf: bytes)
        let releasable = pending.count - hold
        guard releasable > 0 else { return Output(text: "") }
        let text = String(decoding: pending[..<releasable], as: UTF8.self)
        pending.removeFirst(releasable)
        return Output(text: text)
    }

    /// The held-back text, when the output ended without a stop string (EOS, length, abort).
    public mutating func finish() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }
}
