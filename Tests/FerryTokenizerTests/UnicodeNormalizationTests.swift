// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import FerryTokenizer

/// `UnicodeNormalization` against Python's `unicodedata.normalize` on the sample committed in
/// `Fixtures/unicode-normalization.jsonl` (written by `scripts/gen-unicode-tables.py --cases`, from the same
/// Unicode version as the tables): every 8th scalar that decomposes or has a combining class, alone; bases with two
/// marks in both orders (reordering, blocking, composition past a mark); Hangul jamo and syllable sequences.
///
/// When the tables were generated, all 1,112,064 scalars alone were also checked in all four forms (no mismatch);
/// the sample keeps the committed file small.
@Suite struct UnicodeNormalizationTests {
    static let sample: [[String: String]] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/unicode-normalization.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
    }()

    @Test("NFC, NFD, NFKC and NFKD match Python's unicodedata on the committed sample",
          arguments: [("NFC", UnicodeNormalization.Form.nfc), ("NFD", .nfd), ("NFKC", .nfkc), ("NFKD", .nfkd)])
    func matchesPython(name: String, form: UnicodeNormalization.Form) {
        #expect(Self.sample.count > 1900)
        var failures: [String] = []
        for row in Self.sample {
            guard let text = row["text"], let want = row[name] else { continue }
            let got = UnicodeNormalization.normalize(text, form)
            if !got.unicodeScalars.elementsEqual(want.unicodeScalars) {
                let hex = { (s: String) in s.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ") }
                failures.append("\(hex(text)): got \(hex(got)) want \(hex(want))")
            }
        }
        #expect(failures.isEmpty, "\(name): \(failures.count) differ: \(failures.prefix(5))")
    }

    @Test("The Normalizer stages use these forms; ASCII comes back untouched")
    func normalizerStages() {
        #expect(Normalizer.nfkc.normalize("ﬁ ½ Ⅻ ①").unicodeScalars.map(\.value)
            == "fi 1⁄2 XII 1".unicodeScalars.map(\.value))
        #expect(Normalizer.nfc.normalize("e\u{301}\u{1100}\u{1161}\u{11A8}").unicodeScalars.map(\.value)
            == [0xE9, 0xAC01])
        #expect(Normalizer.nfd.normalize("é각").unicodeScalars.map(\.value) == [0x65, 0x301, 0x1100, 0x1161, 0x11A8])
        #expect(Normalizer.nfkd.normalize("plain ascii") == "plain ascii")
    }
}
