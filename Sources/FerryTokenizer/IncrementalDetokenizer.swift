// SPDX-License-Identifier: Apache-2.0

/// Streams text for generated tokens one id at a time, returning only text that is final.
///
/// Each step decodes a short window twice, `decode(window + new)` against `decode(window)`, and returns the
/// difference (vLLM's `prefix_offset`/`read_offset`). The window keeps the tokens of the last emitted chunk as
/// context, so a SentencePiece `Strip` decoder or a `Metaspace` first-token rule never eats a space in the middle of
/// the text. Text that ends in U+FFFD (a UTF-8 character split across byte tokens) is held back until the
/// character completes. Cost per token is proportional to the window, which stays a few tokens long.
///
/// A value type owned by one request; call it from the thread that handles that request's output.
public struct IncrementalDetokenizer: Sendable {
    private let tokenizer: Tokenizer
    private let skipsSpecialTokens: Bool
    /// Token ids from `prefixOffset - dropped` on; older ids are dropped to bound memory.
    private var ids: [Int]
    /// Start of the context window (index into `ids`).
    private var prefixOffset: Int
    /// End of the text already returned (index into `ids`).
    private var readOffset: Int

    /// How many prompt tokens serve as context for the first generated token (vLLM's
    /// `INITIAL_INCREMENTAL_DETOKENIZATION_OFFSET`).
    private static let initialContextTokens = 5

    init(tokenizer: Tokenizer, skipSpecialTokens: Bool, promptIds: [Int]) {
        self.tokenizer = tokenizer
        self.skipsSpecialTokens = skipSpecialTokens
        let prompt = skipSpecialTokens ? promptIds.filter { !tokenizer.isSpecial($0) } : promptIds
        let context = Array(prompt.suffix(Self.initialContextTokens))
        self.ids = context
        self.prefixOffset = 0
        self.readOffset = context.count
    }

    /// Adds one generated token and returns the text that became final (often empty).
    public mutating func append(_ id: Int) -> String {
        if skipsSpecialTokens && tokenizer.isSpecial(id) { return "" }
        ids.append(id)
        return emit(flushing: false)
    }

    /// Returns any text still held back (an incomplete character decodes to U+FFFD here, as in a full decode).
    public mutating func finish() -> String {
        emit(flushing: true)
    }

    private mutating func emit(flushing: Bool) -> String {
        guard readOffset < ids.count else { return "" }
        let prefixText = tokenizer.decode(ids[prefixOffset..<readOffset], skipSpecialTokens: skipsSpecialTokens)
        let newText = tokenizer.decode(ids[prefixOffset...], skipSpecialTokens: skipsSpecialTokens)
        if !flushing && newText.unicodeScalars.last == "\u{FFFD}" { return "" }
        guard let delta = Self.suffix(of: newText, after: prefixText) else { return "" }
        prefixOffset = readOffset
        readOffset = ids.count
        if prefixOffset > 64 {  // drop ids that can no longer be in a window
            ids.removeFirst(prefixOffset)
            readOffset -= prefixOffset
            prefixOffset = 0
        }
        return delta
    }

    /// The text `newText` adds after `prefixText`, or nil when it adds nothing.
    private static func suffix(of newText: String, after prefixText: String) -> String? {
        let newUTF8 = newText.utf8
        let prefixUTF8 = prefixText.utf8
        if newUTF8.count > prefixUTF8.count && newUTF8.starts(with: prefixUTF8) {
            return String(decoding: newUTF8.dropFirst(prefixUTF8.count), as: UTF8.self)
        }
        // The window's text changed shape; fall back to vLLM's rule: cut by length in scalars.
        let prefixCount = prefixText.unicodeScalars.count
        guard newText.unicodeScalars.count > prefixCount else { return nil }
        return String(String.UnicodeScalarView(newText.unicodeScalars.dropFirst(prefixCount)))
    }
}
