// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import FerryTokenizer

/// `SplitScanner` against the splits Hugging Face `tokenizers` (Oniguruma) makes with the same regexes.
@Suite struct SplitScannerTests {
    /// `pre_tokenizers.Split(Regex(pattern), "isolated").pre_tokenize_str(text)` from `tokenizers` 0.23.
    static let goldens = #"""
{"texts":[
  "Hello  world\n\n  x",
  "I'M he'S x'\u017f y'LL z'Re'veal'd it'",
  "a\u00a0\u2003b\t\tc \n \r\n d",
  "12345 \u0661\u0662\u0663\u0664 \u00bd\u2153 3.14",
  "e\u0301te\u0301 \u01c5x \ufb01",
  "(hello) [wo]rld?!\n\nnext",
  "\ud83e\udd99\ud83e\udd99 x\ud83e\udd99 \u200d",
  "  \n",
  "end  ",
  "$$$\r\n\r\nfoo",
  "\tword 'x"
],"splits":{
 "gpt2":[
  ["Hello", " ", " world", "\n\n ", " x"],
  ["I", "'", "M", " he", "'", "S", " x", "'", "\u017f", " y", "'", "LL", " z", "'", "Re", "'ve", "al", "'d", " it", "'"],
  ["a", "\u00a0", "\u2003", "b", "\t", "\t", "c", " \n \r\n", " d"],
  ["12345", " \u0661\u0662\u0663\u0664", " \u00bd\u2153", " 3", ".", "14"],
  ["e", "\u0301", "te", "\u0301", " \u01c5x", " \ufb01"],
  ["(", "hello", ")", " [", "wo", "]", "rld", "?!", "\n", "\n", "next"],
  ["\ud83e\udd99\ud83e\udd99", " x", "\ud83e\udd99", " \u200d"],
  ["  \n"],
  ["end", "  "],
  ["$$$", "\r\n\r", "\n", "foo"],
  ["\t", "word", " '", "x"]
 ],
 "llama3":[
  ["Hello", " ", " world", "\n\n", " ", " x"],
  ["I", "'M", " he", "'S", " x", "'\u017f", " y", "'LL", " z", "'Re", "'ve", "al", "'d", " it", "'"],
  ["a", "\u00a0", "\u2003b", "\t", "\tc", " \n \r\n", " d"],
  ["123", "45", " ", "\u0661\u0662\u0663", "\u0664", " ", "\u00bd\u2153", " ", "3", ".", "14"],
  ["e", "\u0301te", "\u0301", " \u01c5x", " \ufb01"],
  ["(hello", ")", " [", "wo", "]rld", "?!\n\n", "next"],
  ["\ud83e\udd99\ud83e\udd99", " x", "\ud83e\udd99", " \u200d"],
  ["  \n"],
  ["end", "  "],
  ["$$$\r\n\r\n", "foo"],
  ["\tword", " '", "x"]
 ],
 "qwen2":[
  ["Hello", " ", " world", "\n\n", " ", " x"],
  ["I", "'M", " he", "'S", " x", "'\u017f", " y", "'LL", " z", "'Re", "'ve", "al", "'d", " it", "'"],
  ["a", "\u00a0", "\u2003b", "\t", "\tc", " \n \r\n", " d"],
  ["1", "2", "3", "4", "5", " ", "\u0661", "\u0662", "\u0663", "\u0664", " ", "\u00bd", "\u2153", " ", "3", ".", "1", "4"],
  ["e", "\u0301te", "\u0301", " \u01c5x", " \ufb01"],
  ["(hello", ")", " [", "wo", "]rld", "?!\n\n", "next"],
  ["\ud83e\udd99\ud83e\udd99", " x", "\ud83e\udd99", " \u200d"],
  ["  \n"],
  ["end", "  "],
  ["$$$\r\n\r\n", "foo"],
  ["\tword", " '", "x"]
 ]
}}
"""#

    static let scanners: [String: SplitScanner] = [
        "gpt2": .gpt2,
        "llama3": .llama3(maxDigits: 3, unicodeCaseFolding: true),
        "qwen2": .llama3(maxDigits: 1, unicodeCaseFolding: true),
    ]

    @Test("Hand-written scanners split exactly like the regexes in Oniguruma", arguments: ["gpt2", "llama3", "qwen2"])
    func scannerMatchesOniguruma(pattern: String) throws {
        let json = try JSONSerialization.jsonObject(with: Data(Self.goldens.utf8)) as? [String: Any]
        let texts = json?["texts"] as? [String] ?? []
        let splits = (json?["splits"] as? [String: [[String]]])?[pattern] ?? []
        #expect(texts.count == splits.count && texts.count > 5)
        let scanner = try #require(Self.scanners[pattern])
        for (text, want) in zip(texts, splits) {
            let scalars = text.unicodeScalars.map(\.value)
            var ranges: [Range<Int>] = []
            scanner.split(scalars, 0..<scalars.count, into: &ranges)
            let got = ranges.map { String(String.UnicodeScalarView(scalars[$0].compactMap(Unicode.Scalar.init))) }
            #expect(got.map { Array($0.unicodeScalars) } == want.map { Array($0.unicodeScalars) },
                    "\(pattern) on \(Fixture.show(text))")
        }
    }

    @Test("Known regex strings select a scanner and unknown ones do not")
    func recognisesKnownRegexes() {
        #expect(SplitScanner(regex: SplitScanner.gpt2Pattern) == .gpt2)
        #expect(SplitScanner(regex: SplitScanner.llama3Pattern) == .llama3(maxDigits: 3, unicodeCaseFolding: true))
        #expect(SplitScanner(regex: SplitScanner.qwen2Pattern) == .llama3(maxDigits: 1, unicodeCaseFolding: true))
        #expect(SplitScanner(regex: #"\w+|[^\w\s]+"#) == nil)
    }
}
