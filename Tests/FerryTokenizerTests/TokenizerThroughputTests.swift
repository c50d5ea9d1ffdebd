// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport
@testable import FerryTokenizer

/// Encode throughput on about 1 MB of mixed text (docs, templates, code, fixture JSON from `../shared`).
///
/// A measurement, not a pass/fail timing: it runs only with `FERRY_TOKENIZER_BENCH=1`, and is meaningful in a
/// release build: `FERRY_TOKENIZER_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter Throughput`.
@Suite(.enabled(if: SharedData.isAvailable && ProcessInfo.processInfo.environment["FERRY_TOKENIZER_BENCH"] == "1",
                "set FERRY_TOKENIZER_BENCH=1 (and build in release) to measure encode throughput"))
struct TokenizerThroughputTests {
    @Test("Report SmolLM2 encode throughput on 1 MB of text")
    func reportEncodeThroughput() throws {
        let tokenizer = try SharedTokenizers.tokenizer("SmolLM2-135M-Instruct")
        let root = try #require(SharedData.root)
        var corpus = ""
        let files = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
        for file in files where [".md", ".jinja", ".jsonl", ".inp"].contains(where: file.hasSuffix) {
            corpus += (try? String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)) ?? ""
        }
        var text = corpus
        while text.utf8.count < 1_000_000 { text += corpus }
        let clock = ContinuousClock()
        for run in 1...3 {
            var count = 0
            let elapsed = clock.measure { count = tokenizer.encode(text, addSpecialTokens: false).count }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let rate = Double(text.utf8.count) / seconds / 1e6
            print("SmolLM2 encode run \(run): \(text.utf8.count) bytes → \(count) ids in \(seconds) s = \(rate) MB/s")
        }
    }
}
