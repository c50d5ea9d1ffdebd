// SPDX-License-Identifier: Apache-2.0
import FerryModel
import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: SharedData.isAvailable)) struct GGUFTokenizerFieldsTests {
    @Test func readsTheSentencePieceVocabularyOfStories260K() throws {
        let file = try GGUFFile(path: shared("models/stories260K-gguf/stories260K.gguf").path)
        let fields = try file.tokenizerFields()
        #expect(fields.model == "llama" && fields.pre == nil && fields.tokens.count == 512)
        #expect(fields.scores?.count == 512 && fields.tokenTypes?.prefix(4) == [2, 3, 3, 6] && fields.merges == nil)
        #expect(fields.bosTokenId == 1 && fields.eosTokenId == 2 && fields.unknownTokenId == 0)
        #expect(fields.paddingTokenId == nil, "0xFFFFFFFF means no padding token")
        #expect(fields.addBosToken == nil && fields.chatTemplate == nil)
    }

    @Test func readsTheByteLevelBPEVocabularyAndChatTemplateOfSmolLM2() throws {
        let file = try GGUFFile(path: #require(SharedData.smolLM2GGUF).path)
        let fields = try file.tokenizerFields()
        #expect(fields.model == "gpt2" && fields.pre == "smollm")
        #expect(fields.tokens.count == 49152 && fields.tokens[1] == "<|im_start|>")
        #expect(fields.merges?.count == 48900 && fields.merges?.first == "Ġ t" && fields.scores == nil)
        #expect(fields.bosTokenId == 1 && fields.eosTokenId == 2 && fields.unknownTokenId == 0)
        #expect(fields.paddingTokenId == 2)
        #expect(fields.addBosToken == false && fields.addSpacePrefix == false && fields.addEosToken == nil)
        #expect(fields.chatTemplate?.hasPrefix("{% for message in messages %}") == true)
    }

    @Test func readsTheVocabularyOfVocabOnlyGGUFs() throws {
        let expected = [("gpt-2", "gpt2", "gpt-2", 50257), ("phi-3", "llama", "default", 32064),
                        ("qwen2", "gpt2", "qwen2", 151_936)]
        for (name, model, pre, count) in expected {
            let file = try GGUFFile(path: shared("models/gguf-vocab/ggml-vocab-\(name).gguf").path)
            #expect(file.tensors.isEmpty && file.hasTokenizer)
            let fields = try file.tokenizerFields()
            #expect(fields.model == model && fields.pre == pre && fields.tokens.count == count, "\(name)")
            #expect((fields.chatTemplate != nil) == (name != "gpt-2"), "\(name)")
        }
    }
}
