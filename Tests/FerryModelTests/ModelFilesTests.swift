// SPDX-License-Identifier: Apache-2.0
import FerryKernels
import FerryModel
import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: SharedData.isAvailable)) struct ModelFilesTests {
    /// Checks the stories260K config and that every expected tensor has `type`.
    private func checkStories(_ model: ModelFiles, type: WeightType, tied: Bool) throws {
        #expect(model.config.hiddenSize == 64 && model.config.numHiddenLayers == 5 && model.config.vocabSize == 512)
        #expect(model.config.numAttentionHeads == 8 && model.config.numKeyValueHeads == 4 && model.config.headDim == 8)
        #expect(model.config.tieWordEmbeddings == tied)
        for spec in model.config.expectedWeights() {
            let tensor = try model.weights.tensor(spec.name)
            #expect(tensor.shape == spec.shape && tensor.type == type, "\(spec.name)")
            #expect(tensor.storage.count == type.byteCount(shape: spec.shape))
        }
    }

    @Test func loadsTheF32SingleFileFolder() throws {
        let model = try ModelFiles.load(path: shared("models/stories260K").path)
        #expect(model.config.modelType == .llama && model.weights.format == .safetensors && model.gguf == nil)
        try checkStories(model, type: .f32, tied: true)
        #expect(model.generationConfig?.eosTokenIds == [2, 1] && model.eosTokenIds == [2, 1])
        guard case .huggingFace(let json, let config) = model.tokenizer else {
            Issue.record("expected tokenizer.json"); return
        }
        #expect(json.lastPathComponent == "tokenizer.json" && config?.lastPathComponent == "tokenizer_config.json")
    }

    @Test func loadsTheBF16ShardsWithAnUntiedLmHead() throws {
        let model = try ModelFiles.load(path: shared("models/stories260K-bf16-sharded").path)
        try checkStories(model, type: .bf16, tied: false)
        #expect(model.weights.tensors.count == 48)
        #expect(try model.weights.tensor("lm_head.weight").file.hasSuffix("model-00002-of-00002.safetensors"))
        let up = try model.weights.tensor("model.layers.0.mlp.up_proj.weight")
        #expect(up.file.hasSuffix("model-00001-of-00002.safetensors"))
    }

    @Test func loadsTheQwen2FolderWithItsZeroBiases() throws {
        let model = try ModelFiles.load(path: shared("models/stories260K-as-qwen2").path)
        #expect(model.config.modelType == .qwen2 && model.config.attentionBias && model.config.slidingWindow == nil)
        try checkStories(model, type: .f32, tied: true)
        let bias = try model.weights.tensor("model.layers.4.self_attn.k_proj.bias", shape: [32])
        #expect(bias.storage.bytes(at: 0, count: bias.storage.count) == [UInt8](repeating: 0, count: 128))
    }

    @Test func loadsTheMistralFolder() throws {
        let model = try ModelFiles.load(path: shared("models/stories260K-as-mistral").path)
        #expect(model.config.modelType == .mistral && model.config.slidingWindow == 4096)
        try checkStories(model, type: .f32, tied: true)
    }

    @Test func loadsTheStories260KGGUFWithItsOwnVocabulary() throws {
        let model = try ModelFiles.load(path: shared("models/stories260K-gguf/stories260K.gguf").path)
        #expect(model.weights.format == .gguf && model.config.maxPositionEmbeddings == 2048)
        try checkStories(model, type: .f32, tied: false)
        #expect(model.generationConfig == nil && model.eosTokenIds == [2])
        guard case .gguf(let file) = model.tokenizer else { Issue.record("expected the GGUF vocabulary"); return }
        #expect(try file.tokenizerFields().tokens.count == 512)
    }

    @Test func loadsTheSmolLM2Q4_1GGUFWithItsSideFiles() throws {
        let path = try #require(SharedData.smolLM2GGUF).path
        var loaded: ModelFiles?
        let elapsed = try ContinuousClock().measure { loaded = try ModelFiles.load(path: path) }
        print("ModelFiles.load of SmolLM2-135M Q4_1 (parse, rename, validate 272 tensors): \(elapsed)")
        let model = try #require(loaded)
        let config = model.config
        #expect(config.hiddenSize == 576 && config.numHiddenLayers == 30 && config.intermediateSize == 1536)
        #expect(config.numAttentionHeads == 9 && config.numKeyValueHeads == 3 && config.headDim == 64)
        #expect(config.vocabSize == 49152 && config.ropeTheta == 100000 && config.tieWordEmbeddings)
        #expect(!model.weights.contains("lm_head.weight"))
        for spec in config.expectedWeights() {
            let tensor = try model.weights.tensor(spec.name)
            let expected: WeightType = spec.name == "model.embed_tokens.weight" ? .q8_0
                : spec.shape.count == 1 ? .f32 : .q4_1
            #expect(tensor.type == expected && tensor.shape == spec.shape, "\(spec.name)")
        }
        #expect(try model.weights.tensor("model.layers.7.self_attn.k_proj.weight").rowOrder?.count == 192)
        #expect(try model.weights.tensor("model.embed_tokens.weight").rowBytes == 576 / 32 * 34)
        if SharedData.path("models/SmolLM2-135M-Instruct-Q4_1-gguf/tokenizer.json") != nil {
            #expect(model.tokenizer?.tokenizerConfigURL != nil, "tokenizer.json beside the GGUF wins")
        }
    }

    @Test func loadsAFolderWithOneGGUFAndConfigButNoSafetensors() throws {
        let scratch = try ScratchFolder()
        try scratch.link("model.gguf", to: "models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf")
        try FileManager.default.copyItem(at: shared("models/SmolLM2-135M-Instruct-Q4_1-gguf/config.json"),
                                         to: scratch.url.appendingPathComponent("config.json"))
        let model = try ModelFiles.load(path: scratch.url.path)
        #expect(model.weights.format == .gguf && model.config.numKeyValueHeads == 3)
        guard case .gguf = model.tokenizer else { Issue.record("expected the GGUF vocabulary"); return }
    }

    @Test func rejectsAnUnknownConfigArchitecture() throws {
        let scratch = try ScratchFolder()
        try scratch.copyFolder("models/stories260K", excluding: ["config.json"])
        try scratch.writeConfig(from: "models/stories260K", changing: ["model_type": "gpt_neox"])
        let expected = ModelError.unsupportedArchitecture(file: scratch.path("config.json"), architecture: "gpt_neox")
        #expect(throws: expected) {
            try ModelFiles.load(path: scratch.url.path)
        }
    }

    @Test func rejectsAnUnknownGGUFArchitecture() throws {
        let scratch = try ScratchFolder()
        let bytes = try sharedBytes("models/stories260K-gguf/stories260K.gguf")
        let key = try #require(bytes.offset(of: "general.architecture"))
        // After the key: u32 type (string), u64 length 5, then "llama".
        let path = try scratch.write("mamba.gguf", bytes.patched(at: key + 20 + 12, with: Array("mamba".utf8)))
        #expect(throws: ModelError.unsupportedArchitecture(file: path, architecture: "mamba")) {
            try ModelFiles.load(path: path)
        }
        #expect(throws: ModelError.unsupportedArchitecture(file: path, architecture: "mamba")) {
            try ModelConfig(gguf: GGUFFile(path: path))
        }
    }

    @Test func rejectsFoldersWithoutWeightsOrConfig() throws {
        let scratch = try ScratchFolder()
        let reason = "no model.safetensors, model.safetensors.index.json or .gguf file"
        #expect(throws: ModelError.noWeights(path: scratch.url.path, reason: reason)) {
            try ModelFiles.load(path: scratch.url.path)
        }
        try scratch.copyFolder("models/stories260K", excluding: ["config.json"])
        #expect(throws: ModelError.missingFile(path: scratch.path("config.json"))) {
            try ModelFiles.load(path: scratch.url.path)
        }
        #expect(throws: ModelError.missingFile(path: "/nonexistent/model")) {
            try ModelFiles.load(path: "/nonexistent/model")
        }
    }
}
