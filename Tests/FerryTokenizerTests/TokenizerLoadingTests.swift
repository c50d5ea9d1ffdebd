// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import FerryTokenizer

/// Loading refuses bad or unsupported configuration with a typed error, never a crash.
@Suite struct TokenizerLoadingTests {
    /// A minimal byte-level tokenizer.json with `a`, `b`, `ab`.
    static let abModel = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#

    static func tokenizerJSON(model: String = abModel,
                              normalizer: String = "null", preTokenizer: String = "null",
                              decoder: String = "null") -> Data {
        let stages = "\"normalizer\": \(normalizer), \"pre_tokenizer\": \(preTokenizer), \"decoder\": \(decoder)"
        return Data("{\"added_tokens\": [], \(stages), \"post_processor\": null, \"model\": \(model)}".utf8)
    }

    static func loadError(_ json: Data, config: Data? = nil) -> TokenizerError? {
        do {
            _ = try Tokenizer(tokenizerJSON: json, tokenizerConfigJSON: config)
            return nil
        } catch {
            return error
        }
    }

    @Test("A minimal tokenizer.json loads and merges")
    func minimalTokenizerMerges() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Self.tokenizerJSON(), tokenizerConfigJSON: nil)
        #expect(tokenizer.encode("abab") == [2, 2])
        #expect(tokenizer.decode([2, 0]) == "ab a", "without a decoder, tokens are joined by spaces")
    }

    @Test("Merges may be written as pairs")
    func mergesAsPairs() throws {
        let model = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}"#
        let tokenizer = try Tokenizer(tokenizerJSON: Self.tokenizerJSON(model: model), tokenizerConfigJSON: nil)
        #expect(tokenizer.encode("ab") == [2])
    }

    @Test("Broken or unsupported configuration throws an error naming the problem")
    func rejectsBadConfiguration() {
        #expect(Self.loadError(Data("{\"model\": ".utf8)) == .invalidJSON(file: "tokenizer.json", offset: 10,
                                                                             reason: "unexpected end of input"))
        #expect(Self.loadError(Self.tokenizerJSON(model: #"{"type": "Unigram", "vocab": []}"#))
                == .unsupportedModel("Unigram"))
        #expect(Self.loadError(Self.tokenizerJSON(normalizer: #"{"type": "Precompiled"}"#))
                == .unsupportedNormalizer("Precompiled"))
        #expect(Self.loadError(Self.tokenizerJSON(preTokenizer: #"{"type": "Punctuation"}"#))
                == .unsupportedPreTokenizer("Punctuation"))
        #expect(Self.loadError(Self.tokenizerJSON(decoder: #"{"type": "CTC"}"#)) == .unsupportedDecoder("CTC"))
        let badMerge = #"{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}"#
        #expect(Self.loadError(Self.tokenizerJSON(model: badMerge))
                == .badMerge(rank: 0, reason: "\"ab\" is not in the vocabulary"))
        let badUnk = #"{"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}"#
        #expect(Self.loadError(Self.tokenizerJSON(model: badUnk)) == .unknownToken("<unk>"))
        #expect(Self.loadError(Self.tokenizerJSON(), config: Data("[1]".utf8))
                == .invalidValue(key: "tokenizer_config.json", reason: "expected an object"))
    }

    @Test("A missing tokenizer.json is reported as unreadable")
    func missingFileIsUnreadable() {
        #expect(throws: TokenizerError.self) {
            try Tokenizer.load(directory: URL(fileURLWithPath: "/nonexistent/model"))
        }
    }

    @Test("A GGUF vocabulary with an unknown model or pre-tokenizer throws")
    func rejectsUnknownGGUFVocabulary() {
        let merges = ["a b"]
        #expect(throws: TokenizerError.unsupportedModel("GGUF tokenizer.ggml.model bert")) {
            try Tokenizer(gguf: GGUFVocabulary(model: "bert", tokens: ["a"]))
        }
        #expect(throws: TokenizerError.unsupportedPreTokenizer("GGUF tokenizer.ggml.pre mystery")) {
            try Tokenizer(gguf: GGUFVocabulary(model: "gpt2", pre: "mystery", tokens: ["a", "b", "ab"], merges: merges))
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(gguf: GGUFVocabulary(model: "llama", tokens: ["a"]))  // no scores
        }
    }

    @Test("A chat template given as a list uses its default entry")
    func chatTemplateListUsesDefault() throws {
        let templates = #"[{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]"#
        let config = Data(#"{"chat_template": \#(templates)}"#.utf8)
        let tokenizer = try Tokenizer(tokenizerJSON: Self.tokenizerJSON(), tokenizerConfigJSON: config)
        #expect(tokenizer.chatTemplate == "D")
    }
}
