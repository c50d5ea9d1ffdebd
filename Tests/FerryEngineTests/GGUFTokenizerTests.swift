// SPDX-License-Identifier: Apache-2.0
import FerryModel
import FerryTokenizer
import Foundation
import TestSupport
import Testing
@testable import FerryEngine

/// Tokenizers built from GGUF metadata alone (no tokenizer.json), against llama.cpp's own vectors.
@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared/models (GGUF vocabularies and llama.cpp vectors)"))
struct GGUFTokenizerTests {
    func tokenizer(_ relative: String) throws -> Tokenizer {
        let path = try #require(SharedData.path(relative)).path
        return try Tokenizer(gguf: GGUFVocabulary(try GGUFFile(path: path).tokenizerFields()))
    }

    /// `.inp` holds strings separated by `\n__ggml_vocab_test__\n`; line i of `.out` the ids of string i (no BOS).
    @Test("llama.cpp's vocabulary test vectors tokenize exactly", arguments: ["gpt-2", "qwen2", "phi-3"])
    func vocabularyVectors(name: String) throws {
        let base = "models/gguf-vocab/ggml-vocab-\(name).gguf"
        let tokenizer = try tokenizer(base)
        let inputs = try String(contentsOf: try #require(SharedData.path(base + ".inp")), encoding: .utf8)
            .components(separatedBy: "\n__ggml_vocab_test__\n")
        let outputs = try String(contentsOf: try #require(SharedData.path(base + ".out")), encoding: .utf8)
            .components(separatedBy: "\n")
        var mismatches: [String] = []
        for (index, text) in inputs.enumerated() where index < outputs.count {
            let expected = outputs[index].split(separator: " ").compactMap { Int($0) }
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            if ids != expected { mismatches.append("\(text.debugDescription): \(ids) ≠ \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(inputs.count) differ: \(mismatches.prefix(3))")
    }

    @Test("The model GGUFs' own vocabularies give llama.cpp's ids",
          arguments: [("stories260K", "models/stories260K-gguf/stories260K.gguf"),
                      ("SmolLM2-135M-Instruct",
                       "models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf")])
    func modelVocabularies(name: String, path: String) throws {
        let tokenizer = try tokenizer(path)
        let vectors = try #require(try SharedData.json("models/reference/tokenizer-vectors.json") as? [String: Any])
        let cases = try #require(vectors[name] as? [[String: Any]])
        var mismatches: [String] = []
        for item in cases {
            let text = item["text"] as! String
            let expected = item["ids"] as! [Int]
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            if ids != expected { mismatches.append("\(text.debugDescription): \(ids) ≠ \(expected)") }
            #expect(tokenizer.decode(ids) == text, "round trip of \(text.debugDescription)")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ: \(mismatches.prefix(3))")
    }
}
