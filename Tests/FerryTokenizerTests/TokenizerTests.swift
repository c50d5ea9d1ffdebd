// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport
@testable import FerryTokenizer

/// `Tokenizer` against golden outputs of Hugging Face `tokenizers` and llama.cpp.
@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared (models and fixtures)"))
struct TokenizerTests {
    @Test("Encode and decode reproduce the Hugging Face fixtures exactly", arguments: SharedTokenizers.names)
    func matchesHuggingFaceFixtures(name: String) throws {
        let tokenizer = try SharedTokenizers.tokenizer(name)
        let cases = try SharedData.jsonLines("fixtures/tokenizer/\(name).jsonl").compactMap { $0 as? [String: Any] }
        #expect(cases.count > 50)
        var mismatches: [String: [String]] = [:]
        for (index, fixture) in cases.enumerated() {
            let text = fixture["text"] as? String ?? ""
            let ids = Fixture.ints(fixture["ids"])
            func check(_ field: String, _ same: Bool, _ detail: @autoclosure () -> String) {
                if !same { mismatches[field, default: []].append("#\(index) \(Fixture.show(text)): \(detail())") }
            }
            let encoded = tokenizer.encode(text, addSpecialTokens: false)
            check("ids", encoded == ids, "got \(encoded.prefix(24)) want \(ids.prefix(24))")
            let withSpecial = tokenizer.encode(text, addSpecialTokens: true)
            let wantWithSpecial = Fixture.ints(fixture["ids_with_special_tokens"])
            check("ids_with_special_tokens", withSpecial == wantWithSpecial,
                  "got \(withSpecial.prefix(8)) want \(wantWithSpecial.prefix(8))")
            for (field, skip) in [("decoded", false), ("decoded_skip_special", true)] {
                let decoded = tokenizer.decode(ids, skipSpecialTokens: skip)
                let want = fixture[field] as? String ?? ""
                check(field, decoded.utf8.elementsEqual(want.utf8),
                      "got \(Fixture.show(decoded)) want \(Fixture.show(want))")
            }
        }
        let summary = mismatches.sorted { $0.key < $1.key }
            .map { field, list in
                "\(field): \(list.count) of \(cases.count) differ; first: \(list.prefix(3).joined(separator: " | "))"
            }
        #expect(mismatches.isEmpty, "\(name).jsonl: \(summary.joined(separator: "\n"))")
    }

    @Test("Encoding reproduces llama.cpp's test vectors for the vocab-only tokenizers",
          arguments: ["gpt-2", "qwen2", "phi-3"])
    func matchesLlamaCppVectors(name: String) throws {
        let tokenizer = try SharedTokenizers.tokenizer(name)
        let vectors = try LlamaCppVectors.load(name)
        #expect(vectors.count > 40)
        var failures: [String] = []
        for (text, want) in vectors {
            let got = tokenizer.encode(text, addSpecialTokens: false)
            if got != want { failures.append("\(Fixture.show(text)): got \(got.prefix(16)) want \(want.prefix(16))") }
        }
        #expect(failures.isEmpty, "\(name): \(failures.count) of \(vectors.count) differ: \(failures.prefix(4))")
    }

    @Test("Encoding reproduces the reference vectors of stories260K and SmolLM2",
          arguments: ["stories260K", "SmolLM2-135M-Instruct"])
    func matchesReferenceVectors(name: String) throws {
        let tokenizer = try SharedTokenizers.tokenizer(name)
        let all = try SharedData.json("models/reference/tokenizer-vectors.json") as? [String: Any]
        let vectors = (all?[name] as? [[String: Any]]) ?? []
        #expect(vectors.count > 40)
        var failures: [String] = []
        for vector in vectors {
            let text = vector["text"] as? String ?? ""
            let want = Fixture.ints(vector["ids"])
            let got = tokenizer.encode(text, addSpecialTokens: false)
            if got != want { failures.append("\(Fixture.show(text)): got \(got.prefix(16)) want \(want.prefix(16))") }
        }
        #expect(failures.isEmpty, "\(name): \(failures.count) of \(vectors.count) differ: \(failures.prefix(4))")
    }

    @Test("Loading reports the BOS, EOS and chat template of tokenizer_config.json")
    func exposesSpecialTokensAndChatTemplate() throws {
        let smol = try SharedTokenizers.tokenizer("SmolLM2-135M-Instruct")
        #expect(smol.bosTokenId == 1 && smol.bosToken == "<|im_start|>")
        #expect(smol.eosTokenId == 2 && smol.eosToken == "<|im_end|>")
        #expect(smol.chatTemplate?.contains("<|im_start|>") == true)
        #expect(smol.vocabularySize == 49152)
        #expect(smol.isSpecial(2) && !smol.isSpecial(100))
        #expect(smol.id(forToken: "<|im_end|>") == 2 && smol.token(forId: 2) == "<|im_end|>")
        let stories = try SharedTokenizers.tokenizer("stories260K")
        #expect(stories.bosTokenId == 1 && stories.eosTokenId == 2 && stories.chatTemplate == nil)
        #expect(stories.encode("Once upon a time") == [1, 403, 407, 261, 378])
        let phi3 = try SharedTokenizers.tokenizer("phi-3")
        #expect(phi3.bosTokenId == 1, "without tokenizer_config.json, BOS comes from the post-processor template")
    }

    @Test("add_bos_token and add_eos_token in tokenizer_config.json rebuild the post-processor, as transformers does")
    func configFlagsRebuildPostProcessor() throws {
        let url = try #require(SharedData.path("models/stories260K/tokenizer.json"))
        let both = #"{"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true, "add_eos_token": true}"#
        let tokenizer = try Tokenizer(tokenizerJSON: Data(contentsOf: url), tokenizerConfigJSON: Data(both.utf8))
        #expect(tokenizer.encode("Once upon a time") == [1, 403, 407, 261, 378, 2])
        let none = #"{"bos_token": "<s>", "add_bos_token": false}"#
        let plain = try Tokenizer(tokenizerJSON: Data(contentsOf: url), tokenizerConfigJSON: Data(none.utf8))
        #expect(plain.encode("Once upon a time") == [403, 407, 261, 378])
    }

    @Test("Canonically equivalent vocabulary entries keep their own ids")
    func keepsCanonicallyEquivalentTokensApart() throws {
        let phi3 = try SharedTokenizers.tokenizer("phi-3")
        let tonos = phi3.id(forToken: "\u{3AF}")
        let oxia = phi3.id(forToken: "\u{1F77}")
        #expect(tonos != nil && oxia != nil && tonos != oxia)
    }

    @Test("Decoding skips ids outside the vocabulary instead of crashing")
    func decodingSkipsOutOfRangeIds() throws {
        let smol = try SharedTokenizers.tokenizer("SmolLM2-135M-Instruct")
        let hello = smol.encode("Hello", addSpecialTokens: false)
        #expect(smol.decode([-1] + hello + [1_000_000, Int.max]) == "Hello")
        #expect(smol.token(forId: -5) == nil && smol.token(forId: 49152) == nil)
    }
}

/// llama.cpp's tokenizer test vectors: `ggml-vocab-NAME.gguf.inp` / `.out`.
enum LlamaCppVectors {
    static func load(_ name: String) throws -> [(text: String, ids: [Int])] {
        guard let input = SharedData.path("models/gguf-vocab/ggml-vocab-\(name).gguf.inp"),
            let output = SharedData.path("models/gguf-vocab/ggml-vocab-\(name).gguf.out")
        else { throw SharedDataError.missing("models/gguf-vocab/ggml-vocab-\(name).gguf.inp") }
        var texts = try String(contentsOf: input, encoding: .utf8).components(separatedBy: "\n__ggml_vocab_test__\n")
        var lines = try String(contentsOf: output, encoding: .utf8).components(separatedBy: "\n")
        if texts.last == "" { texts.removeLast() }
        lines = Array(lines.prefix(texts.count))
        return zip(texts, lines).map { text, line in
            (text, line.split(separator: " ").compactMap { Int($0) })
        }
    }
}
