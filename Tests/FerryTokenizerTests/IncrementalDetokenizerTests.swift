// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport
@testable import FerryTokenizer

/// `IncrementalDetokenizer`: streaming text that adds up to the full decode.
@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared (models and fixtures)"))
struct IncrementalDetokenizerTests {
    /// Streams `ids` one at a time, returning the chunks (the last one from `finish()`).
    static func stream(_ tokenizer: Tokenizer, _ ids: [Int], skip: Bool, prompt: [Int] = []) -> [String] {
        var detokenizer = tokenizer.makeDetokenizer(skipSpecialTokens: skip, promptIds: prompt)
        return ids.map { detokenizer.append($0) } + [detokenizer.finish()]
    }

    @Test("Streaming every fixture token by token adds up to the full decode, with no U+FFFD",
          arguments: SharedTokenizers.names)
    func streamingMatchesFullDecode(name: String) throws {
        let tokenizer = try SharedTokenizers.tokenizer(name)
        let cases = try SharedData.jsonLines("fixtures/tokenizer/\(name).jsonl").compactMap { $0 as? [String: Any] }
        var failures: [String] = []
        for fixture in cases {
            let ids = Fixture.ints(fixture["ids"])
            for skip in [false, true] {
                let full = tokenizer.decode(ids, skipSpecialTokens: skip)
                let chunks = Self.stream(tokenizer, ids, skip: skip)
                let text = fixture["text"] as? String ?? ""
                if !chunks.joined().utf8.elementsEqual(full.utf8) {
                    failures.append("skip=\(skip) \(Fixture.show(text)): \(Fixture.show(chunks.joined()))")
                }
                let hasReplacement = chunks.contains { $0.unicodeScalars.contains("\u{FFFD}") }
                if hasReplacement && !full.unicodeScalars.contains("\u{FFFD}") {
                    failures.append("U+FFFD in a chunk for \(Fixture.show(text))")
                }
            }
        }
        #expect(failures.isEmpty, "\(name): \(failures.count) failures: \(failures.prefix(3))")
    }

    @Test("Detokenizer holds back an incomplete UTF-8 sequence of byte-fallback tokens")
    func holdsBackByteFallbackSequence() throws {
        let stories = try SharedTokenizers.tokenizer("stories260K")
        let bytes = ["<0xE2>", "<0x80>", "<0x99>"].compactMap { stories.id(forToken: $0) }
        #expect(bytes.count == 3)
        let chunks = Self.stream(stories, bytes, skip: true, prompt: stories.encode("It"))
        #expect(chunks == ["", "", "\u{2019}", ""])
    }

    @Test("Detokenizer holds back a character split across byte-level tokens")
    func holdsBackSplitByteLevelCharacter() throws {
        let smol = try SharedTokenizers.tokenizer("SmolLM2-135M-Instruct")
        let ids = smol.encode("🦙", addSpecialTokens: false)
        #expect(ids.count > 1, "the llama emoji should need several byte-level tokens")
        let chunks = Self.stream(smol, ids, skip: false)
        #expect(chunks.last(where: { !$0.isEmpty }) == "🦙")
        #expect(chunks.dropLast().filter { !$0.isEmpty }.count == 1)
    }

    @Test("A continuation after a prompt keeps its leading space despite the Strip decoder")
    func continuationKeepsLeadingSpace() throws {
        let stories = try SharedTokenizers.tokenizer("stories260K")
        let prompt = stories.encode("Lily and Tom went to the")
        let continuation = stories.encode("Lily and Tom went to the park.", addSpecialTokens: true)
            .dropFirst(prompt.count)
        #expect(stories.decode(Array(continuation)) == "park.", "a plain decode loses the first space")
        let chunks = Self.stream(stories, Array(continuation), skip: true, prompt: prompt)
        #expect(chunks.joined() == " park.")
    }

    @Test("Skipped special tokens produce no text while streaming")
    func skippedSpecialTokensProduceNoText() throws {
        let smol = try SharedTokenizers.tokenizer("SmolLM2-135M-Instruct")
        let ids = smol.encode("Hi there<|im_end|>", addSpecialTokens: false)
        #expect(Self.stream(smol, ids, skip: true).joined() == "Hi there")
        #expect(Self.stream(smol, ids, skip: false).joined() == "Hi there<|im_end|>")
    }
}
