// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport
@testable import FerryTokenizer

/// `AddedVocabulary` options (`lstrip`, `rstrip`, `single_word`, `normalized`, longest match) and the `Metaspace`
/// pre-tokenizer and decoder, on a synthetic tokenizer: stories260K's vocabulary with a Metaspace pipeline
/// (`prepend_scheme: first`) and five extra added tokens.
@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared (stories260K tokenizer.json)"))
struct AddedVocabularyTests {
    /// `(text, ids, decoded, decoded skipping specials)` from `tokenizers` 0.23 on the same tokenizer.json.
    static let goldens: [(String, [Int], String, String)] = [
        ("Hello world", [346, 306, 414, 263, 304, 341], "Hello world", "Hello world"),
        ("  two spaces", [410, 259, 424, 414, 262, 427, 412, 331, 419], " two spaces", " two spaces"),
        ("a <L>b", [261, 512, 430], "a<L>b", "ab"),
        ("a   <L>b", [261, 512, 430], "a<L>b", "ab"),
        ("x<R>   y", [410, 444, 513, 422], "x<R>y", "xy"),
        ("the cat sat", [265, 410, 514, 262, 294], "the cat sat", "the cat sat"),
        ("concatenate cat", [280, 289, 429, 294, 302, 294, 411, 410, 514], "concatenate cat", "concatenate cat"),
        ("cat", [514], "cat", "cat"),
        ("<LONG> and <LO>x", [515, 269, 410, 516, 505, 444], "<LONG> and <LO>x", "<LONG> and <LO>x"),
        ("<s>Once <s> upon", [1, 441, 416, 331, 410, 1, 407], "<s>Once <s> upon", "Once  upon"),
        ("tab\there", [259, 412, 430, 12, 260, 276], "tab<0x09>here", "tab<0x09>here"),
        ("cat_x cat", [280, 294, 98, 444, 410, 514], "cat<0x5F>x cat", "cat<0x5F>x cat"),
    ]

    static func syntheticTokenizer() throws -> Tokenizer {
        let url = try #require(SharedData.path("models/stories260K/tokenizer.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let metaspace: [String: Any] = ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first",
                                        "split": true]
        json["normalizer"] = NSNull()
        json["pre_tokenizer"] = metaspace
        json["decoder"] = metaspace
        func added(_ id: Int, _ content: String, lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false,
                   normalized: Bool = false, special: Bool) -> [String: Any] {
            ["id": id, "content": content, "lstrip": lstrip, "rstrip": rstrip, "single_word": singleWord,
             "normalized": normalized, "special": special]
        }
        json["added_tokens"] = (json["added_tokens"] as? [Any] ?? []) + [
            added(512, "<L>", lstrip: true, special: true),
            added(513, "<R>", rstrip: true, special: true),
            added(514, "cat", singleWord: true, normalized: true, special: false),
            added(515, "<LONG>", special: false),
            added(516, "<LO", special: false),
        ]
        return try Tokenizer(tokenizerJSON: JSONSerialization.data(withJSONObject: json), tokenizerConfigJSON: nil)
    }

    @Test("Added-token options and Metaspace match Hugging Face tokenizers")
    func matchesTokenizersOnSyntheticTokenizer() throws {
        let tokenizer = try Self.syntheticTokenizer()
        for (text, ids, decoded, decodedSkipping) in Self.goldens {
            #expect(tokenizer.encode(text, addSpecialTokens: false) == ids, "encode \(Fixture.show(text))")
            #expect(tokenizer.decode(ids) == decoded, "decode \(Fixture.show(text))")
            #expect(tokenizer.decode(ids, skipSpecialTokens: true) == decodedSkipping, "skip \(Fixture.show(text))")
        }
    }

    @Test("Special tokens written in the text are matched longest first")
    func matchesLongestAddedToken() throws {
        let tokenizer = try Self.syntheticTokenizer()
        #expect(tokenizer.encode("<LONG>", addSpecialTokens: false) == [515])
        #expect(tokenizer.encode("<LO", addSpecialTokens: false) == [516])
        #expect(tokenizer.isSpecial(512) && !tokenizer.isSpecial(515))
    }
}
