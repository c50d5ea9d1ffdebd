// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport
@testable import FerryTokenizer

/// `Tokenizer(gguf:)` on the vocabularies of real GGUF files, against the same goldens as tokenizer.json.
@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared (GGUF files and fixtures)"))
struct GGUFVocabularyTests {
    static let files: [String: String] = [
        "stories260K": "models/stories260K-gguf/stories260K.gguf",
        "SmolLM2-135M-Instruct": "models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf",
        "gpt-2": "models/gguf-vocab/ggml-vocab-gpt-2.gguf",
        "qwen2": "models/gguf-vocab/ggml-vocab-qwen2.gguf",
        "phi-3": "models/gguf-vocab/ggml-vocab-phi-3.gguf",
    ]

    private static let cache = LoadOnce<Tokenizer>()

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try cache.value(for: name) {
            guard let url = files[name].flatMap(SharedData.path) else { throw SharedDataError.missing(name) }
            return try Tokenizer(gguf: try GGUFMetadataReader.vocabulary(of: url))
        }
    }

    /// Fixture fields where llama.cpp's reading of the GGUF and the Hugging Face tokenizer.json legitimately differ.
    static let knownDifferences: [String: Set<String>] = [
        // Phi-3's GGUF types `</s>` (id 2) as user-defined, not control: llama.cpp (and so we) keep it when
        // skipping special tokens; the tokenizer.json rebuilt for the fixtures marks it special.
        "phi-3": ["decoded_skip_special #26"],
    ]

    @Test("A GGUF vocabulary encodes the Hugging Face fixtures like tokenizer.json", arguments: SharedTokenizers.names)
    func encodesFixtures(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let cases = try SharedData.jsonLines("fixtures/tokenizer/\(name).jsonl").compactMap { $0 as? [String: Any] }
        var mismatches: [String: [String]] = [:]
        for (index, fixture) in cases.enumerated() {
            let text = fixture["text"] as? String ?? ""
            let ids = Fixture.ints(fixture["ids"])
            let got = tokenizer.encode(text, addSpecialTokens: false)
            if got != ids {
                mismatches["ids", default: []].append(
                    "#\(index) \(Fixture.show(text)): \(got.prefix(12)) vs \(ids.prefix(12))")
            }
            let withSpecial = Fixture.ints(fixture["ids_with_special_tokens"])
            if tokenizer.encode(text) != withSpecial {
                mismatches["ids_with_special_tokens", default: []].append("#\(index) \(Fixture.show(text))")
            }
            for (field, skip) in [("decoded", false), ("decoded_skip_special", true)] {
                let decoded = tokenizer.decode(ids, skipSpecialTokens: skip)
                if !decoded.utf8.elementsEqual((fixture[field] as? String ?? "").utf8) {
                    mismatches[field, default: []].append("#\(index) \(Fixture.show(text)): \(Fixture.show(decoded))")
                }
            }
        }
        let known = Self.knownDifferences[name] ?? []
        for (field, list) in mismatches {
            mismatches[field] = list.filter { !known.contains("\(field) \($0.prefix { $0 != " " })") }
            if mismatches[field]?.isEmpty == true { mismatches[field] = nil }
        }
        let summary = mismatches.sorted { $0.key < $1.key }
            .map { "\($0.key): \($0.value.count) of \(cases.count) differ; first: \($0.value.prefix(3))" }
        #expect(mismatches.isEmpty, "\(name) from GGUF: \(summary.joined(separator: "\n"))")
    }

    @Test("A GGUF vocabulary reproduces llama.cpp's test vectors", arguments: ["gpt-2", "qwen2", "phi-3"])
    func matchesLlamaCppVectors(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let vectors = try LlamaCppVectors.load(name)
        let failures = vectors.filter { tokenizer.encode($0.text, addSpecialTokens: false) != $0.ids }
        #expect(failures.isEmpty, "\(name): \(failures.count) of \(vectors.count) differ: \(failures.prefix(3))")
    }
}
