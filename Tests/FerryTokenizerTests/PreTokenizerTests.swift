// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import FerryTokenizer

/// `PreTokenizer` stages against `tokenizers` 0.23's `pre_tokenize_str` on the same configurations: every `Split`
/// behavior, `invert`, a regex without a scanner (the stdlib `Regex` fallback), `Digits`, `ByteLevel` with a prefix space,
/// `Metaspace` schemes and `Sequence`.
@Suite struct PreTokenizerTests {
    static let goldens = #"""
{"texts": ["a-b--c-", "--x 12-345y", "Hello world 2024!", "  lead and trail  "],
 "cases": [
  {"config": {"type": "Split", "pattern": {"String": "-"}, "behavior": "Removed", "invert": false},
   "splits": [["a", "b", "c"], ["x 12", "345y"], ["Hello world 2024!"], ["  lead and trail  "]]},
  {"config": {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithPrevious", "invert": false},
   "splits": [["a-", "b-", "-", "c-"], ["-", "-", "x 12-", "345y"], ["Hello world 2024!"], ["  lead and trail  "]]},
  {"config": {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithNext", "invert": false},
   "splits": [["a", "-b", "-", "-c", "-"], ["-", "-x 12", "-345y"], ["Hello world 2024!"], ["  lead and trail  "]]},
  {"config": {"type": "Split", "pattern": {"String": "-"}, "behavior": "Contiguous", "invert": false},
   "splits": [["a", "-", "b", "--", "c", "-"], ["--", "x 12", "-", "345y"], ["Hello world 2024!"], ["  lead and trail  "]]},
  {"config": {"type": "Split", "pattern": {"String": "-"}, "behavior": "Isolated", "invert": true},
   "splits": [["a", "-", "b", "-", "-", "c", "-"], ["-", "-", "x 12", "-", "345y"], ["Hello world 2024!"], ["  lead and trail  "]]},
  {"config": {"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated", "invert": false},
   "splits": [["a-b--c-"], ["--x ", "12", "-", "345", "y"], ["Hello world ", "2024", "!"], ["  lead and trail  "]]},
  {"config": {"type": "Digits", "individual_digits": false},
   "splits": [["a-b--c-"], ["--x ", "12", "-", "345", "y"], ["Hello world ", "2024", "!"], ["  lead and trail  "]]},
  {"config": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
   "splits": [["\u0120a", "-", "b", "--", "c", "-"], ["\u0120--", "x", "\u012012", "-", "345", "y"], ["\u0120Hello", "\u0120world", "\u01202024", "!"], ["\u0120", "\u0120lead", "\u0120and", "\u0120trail", "\u0120\u0120"]]},
  {"config": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": false},
   "splits": [["\u2581a-b--c-"], ["\u2581--x\u258112-345y"], ["\u2581Hello\u2581world\u25812024!"], ["\u2581\u2581lead\u2581and\u2581trail\u2581\u2581"]]},
  {"config": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": true},
   "splits": [["a-b--c-"], ["--x", "\u258112-345y"], ["Hello", "\u2581world", "\u25812024!"], ["\u2581", "\u2581lead", "\u2581and", "\u2581trail", "\u2581", "\u2581"]]},
  {"config": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "Split", "pattern": {"String": " "}, "behavior": "Removed", "invert": false}]},
   "splits": [["a-b--c-"], ["--x", "1", "2", "-", "3", "4", "5", "y"], ["Hello", "world", "2", "0", "2", "4", "!"], ["lead", "and", "trail"]]}
]}
"""#

    /// The piece strings `stage` cuts `text` into.
    static func pieces(_ stage: PreTokenizer, _ text: String) -> [String] {
        var pre = PreTokenizedText(scalars: text.unicodeScalars.map(\.value), isAtTextStart: true)
        stage.apply(to: &pre)
        return pre.pieces.map { piece in
            String(String.UnicodeScalarView(pre.scalars[piece.range].compactMap(Unicode.Scalar.init)))
        }
    }

    @Test("Each pre-tokenizer configuration cuts text like Hugging Face tokenizers")
    func matchesTokenizers() throws {
        let json = try JSONValue.parse(Array(Self.goldens.utf8), file: "goldens")
        let texts = (json["texts"]?.arrayValue ?? []).compactMap(\.stringValue)
        let cases = try #require(json["cases"]?.arrayValue)
        #expect(cases.count > 8 && texts.count == 4)
        for testCase in cases {
            let config = try #require(testCase["config"])
            let stage = try PreTokenizer(json: config)
            let expected = try #require(testCase["splits"]?.arrayValue)
            for (text, want) in zip(texts, expected) {
                let wantPieces = want.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(Self.pieces(stage, text) == wantPieces,
                        "\(config.typeName ?? "") \(config["behavior"]?.stringValue ?? "") on \(Fixture.show(text))")
            }
        }
    }

    @Test("A split regex the standard library's engine rejects fails at load with the pattern named")
    func rejectedRegexNamesThePattern() throws {
        // A character-class range whose upper bound is a precomposed Greek letter (U+1F7D is canonically U+03CE,
        // which sorts below U+1F5F): Oniguruma accepts it, Swift's `Regex` does not.
        let config = try JSONValue.parse(Array(#"""
            {"type": "Split", "pattern": {"Regex": "\\s?[A-Za-z\u1F5F-\u1F7D]+"}, "behavior": "Isolated",
             "invert": false}
            """#.utf8), file: "config")
        #expect {
            _ = try PreTokenizer(json: config)
        } throws: { error in
            guard case TokenizerError.unsupportedPreTokenizer(let message) = error else { return false }
            return message.contains("Split regex") && message.contains("A-Za-z")
        }
    }
}
