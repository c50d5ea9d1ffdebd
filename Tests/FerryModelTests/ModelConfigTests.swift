// SPDX-License-Identifier: Apache-2.0
import FerryModel
import Foundation
import TestSupport
import Testing

@Suite struct ModelConfigTests {
    /// A config.json body with the required keys and `extra` keys spliced in.
    private func config(_ modelType: String, _ extra: String = "") throws -> ModelConfig {
        let json = """
            {"model_type": "\(modelType)", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 8,
             "intermediate_size": 172, "vocab_size": 512\(extra.isEmpty ? "" : ", " + extra)}
            """
        return try ModelConfig.decode(Data(json.utf8), file: "config.json")
    }

    @Test(.enabled(if: SharedData.isAvailable))
    func readsStories260KConfigValues() throws {
        let config = try ModelConfig.load(contentsOf: shared("models/stories260K/config.json"))
        #expect(config.modelType == .llama)
        #expect(config.hiddenSize == 64 && config.numHiddenLayers == 5 && config.intermediateSize == 172)
        #expect(config.numAttentionHeads == 8 && config.numKeyValueHeads == 4 && config.headDim == 8)
        #expect(config.vocabSize == 512 && config.maxPositionEmbeddings == 512)
        #expect(config.rmsNormEps == 1e-5 && config.ropeTheta == 10000 && config.ropeScaling == nil)
        #expect(config.tieWordEmbeddings && !config.attentionBias && config.slidingWindow == nil)
        #expect(config.bosTokenId == 1 && config.eosTokenIds == [2])
    }

    @Test func absentKeysTakeTheHuggingFaceDefaults() throws {
        let llama = try config("llama")
        #expect(llama.numKeyValueHeads == 8 && llama.headDim == 8)
        #expect(llama.ropeTheta == 10000 && llama.rmsNormEps == 1e-6 && llama.maxPositionEmbeddings == 2048)
        #expect(!llama.tieWordEmbeddings && !llama.attentionBias && llama.eosTokenIds.isEmpty)
        #expect(try config("qwen3").headDim == 128)
        #expect(try config("mistral").slidingWindow == 4096)
    }

    @Test func qwen2AlwaysHasAttentionBiasAndUsesTheWindowOnlyWhenEnabled() throws {
        let plain = try config("qwen2", #""attention_bias": false, "sliding_window": 4096"#)
        #expect(plain.attentionBias && plain.slidingWindow == nil)
        let windowed = try config("qwen2", #""use_sliding_window": true, "sliding_window": 4096"#)
        #expect(windowed.slidingWindow == 4096)
        #expect(try config("mistral", #""sliding_window": null"#).slidingWindow == nil)
    }

    @Test func qwen3ExpectsPerHeadQueryAndKeyNorms() throws {
        let qwen3 = try config("qwen3", #""head_dim": 16, "num_key_value_heads": 2"#)
        let names = qwen3.expectedWeights().map(\.name)
        #expect(names.contains("model.layers.1.self_attn.q_norm.weight"))
        let query = qwen3.expectedWeights().first { $0.name == "model.layers.0.self_attn.q_proj.weight" }
        #expect(query?.shape == [128, 64])
        #expect(qwen3.expectedWeights().first { $0.name == "model.layers.0.self_attn.k_norm.weight" }?.shape == [16])
    }

    @Test func eosTokenIdMayBeAnIntOrAList() throws {
        #expect(try config("llama", #""eos_token_id": [2, 7]"#).eosTokenIds == [2, 7])
        #expect(try config("llama", #""eos_token_id": 5, "bos_token_id": 4"#).eosTokenIds == [5])
    }

    @Test func decodesLlama3AndLinearRopeScalingUnderEitherTypeKey() throws {
        let llama3 = try config("llama", """
            "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
            """)
        #expect(llama3.ropeScaling == .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4,
                                              originalMaxPositionEmbeddings: 8192))
        #expect(llama3.ropeTheta == 500000)
        #expect(try config("llama", #""rope_scaling": {"type": "linear", "factor": 2}"#).ropeScaling
            == .linear(factor: 2))
        #expect(try config("llama", #""rope_scaling": {"rope_type": "default"}"#).ropeScaling == nil)
    }

    @Test func rejectsUnsupportedRopeScalingNamingTheType() {
        #expect(throws: ModelError.unsupportedRopeScaling(file: "config.json", type: "yarn")) {
            try config("llama", #""rope_scaling": {"rope_type": "yarn", "factor": 4.0}"#)
        }
    }

    @Test func rejectsAnUnknownModelTypeAsUnsupportedArchitecture() {
        #expect(throws: ModelError.unsupportedArchitecture(file: "config.json", architecture: "gpt_neox")) {
            try config("gpt_neox")
        }
    }

    @Test func rejectsAMissingRequiredKeyOrImpossibleHeadCounts() {
        let missing = #expect(throws: ModelError.self) {
            try ModelConfig.decode(Data(#"{"model_type": "llama"}"#.utf8), file: "c.json")
        }
        #expect(missing == .invalidConfig(file: "c.json", reason: "missing key 'hidden_size'"))
        let uneven = #expect(throws: ModelError.self) { try config("llama", #""num_key_value_heads": 3"#) }
        guard case .invalidConfig(let file, _) = uneven else { Issue.record("\(String(describing: uneven))"); return }
        #expect(file == "config.json")
        #expect(throws: ModelError.self) { try ModelConfig.decode(Data("not json".utf8), file: "c.json") }
    }

    @Test(.enabled(if: SharedData.isAvailable))
    func readsTheLlamaHyperParametersFromGGUFMetadata() throws {
        let stories = try ModelConfig(gguf: GGUFFile(path: shared("models/stories260K-gguf/stories260K.gguf").path))
        #expect(stories.hiddenSize == 64 && stories.numHiddenLayers == 5 && stories.intermediateSize == 172)
        #expect(stories.numAttentionHeads == 8 && stories.numKeyValueHeads == 4 && stories.headDim == 8)
        #expect(stories.vocabSize == 512 && stories.maxPositionEmbeddings == 2048 && stories.ropeTheta == 10000)
        #expect(abs(stories.rmsNormEps - 1e-5) < 1e-9)
        #expect(!stories.tieWordEmbeddings, "stories260K.gguf has its own output.weight")
        #expect(stories.bosTokenId == 1 && stories.eosTokenIds == [2])

        let smol = try ModelConfig(gguf: GGUFFile(path: #require(SharedData.smolLM2GGUF).path))
        #expect(smol.hiddenSize == 576 && smol.numHiddenLayers == 30 && smol.intermediateSize == 1536)
        #expect(smol.numAttentionHeads == 9 && smol.numKeyValueHeads == 3 && smol.headDim == 64)
        #expect(smol.vocabSize == 49152 && smol.maxPositionEmbeddings == 8192 && smol.ropeTheta == 100000)
        #expect(smol.tieWordEmbeddings)
    }
}
