// SPDX-License-Identifier: Apache-2.0
import FerryKernels
import FerryModel
import FerryScheduling
import FerryTokenizer
import FoundationEssentials

/// A model ready to generate: weights on a backend, its tokenizer, and the defaults of its generation config.
public struct LoadedModel: @unchecked Sendable {
    public let files: ModelFiles
    public let model: TransformerModel
    public let tokenizer: Tokenizer
    /// Tokens that end a sequence: generation_config.json's eos ids, else config.json's, else the tokenizer's.
    public let eosTokenIds: Set<Int>
    /// Sampling defaults from generation_config.json (vLLM applies them the same way).
    public let defaultSamplingParameters: SamplingParameters
    /// Bytes of the weight files.
    public let fileBytes: Int

    /// Loads the model at `path` (a Hugging Face folder or a `.gguf` file) and its tokenizer.
    /// - Throws: `ModelError`, `TokenizerError`, `KernelError`, or `LoadedModelError.noTokenizer`.
    public static func load(path: String, backend: any ComputeBackend) throws -> LoadedModel {
        let files = try ModelFiles.load(path: path)
        let tokenizer = try makeTokenizer(files)
        let model = try TransformerModel(config: files.config, store: files.weights, backend: backend)
        var eos = Set(files.eosTokenIds)
        if eos.isEmpty, let id = tokenizer.eosTokenId { eos.insert(id) }
        var parameters = SamplingParameters()
        if let generation = files.generationConfig {
            if let temperature = generation.temperature { parameters.temperature = Float(temperature) }
            if let topP = generation.topP { parameters.topP = Float(topP) }
            if let topK = generation.topK { parameters.topK = topK }
            if let penalty = generation.repetitionPenalty { parameters.repetitionPenalty = Float(penalty) }
        }
        let bytes = Set(files.weights.tensors.values.map { $0.storage.file.path }).reduce(0) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
        return LoadedModel(files: files, model: model, tokenizer: tokenizer, eosTokenIds: eos,
                           defaultSamplingParameters: parameters, fileBytes: bytes)
    }

    /// The tokenizer from tokenizer.json beside the model, else from the GGUF vocabulary.
    static func makeTokenizer(_ files: ModelFiles) throws -> Tokenizer {
        switch files.tokenizer {
        case .huggingFace(let json, let config):
            let configData = try config.map { try Data(contentsOf: $0) }
            return try Tokenizer(tokenizerJSON: Data(contentsOf: json), tokenizerConfigJSON: configData)
        case .gguf(let gguf):
            return try Tokenizer(gguf: GGUFVocabulary(try gguf.tokenizerFields()))
        case nil:
            throw LoadedModelError.noTokenizer(path: files.folder.path)
        }
    }
}

extension GGUFVocabulary {
    /// The tokenizer module's view of a GGUF file's `tokenizer.ggml.*` fields.
    init(_ fields: GGUFTokenizerFields) {
        self.init(
            model: fields.model, pre: fields.pre, tokens: fields.tokens, scores: fields.scores,
            tokenTypes: fields.tokenTypes?.map { Int32(truncatingIfNeeded: $0) }, merges: fields.merges,
            bosTokenId: fields.bosTokenId, eosTokenId: fields.eosTokenId, unknownTokenId: fields.unknownTokenId,
            paddingTokenId: fields.paddingTokenId, addBosToken: fields.addBosToken, addEosToken: fields.addEosToken,
            addSpacePrefix: fields.addSpacePrefix, chatTemplate: fields.chatTemplate)
    }
}

/// Why a model could not be made ready.
public enum LoadedModelError: Error, Equatable, CustomStringConvertible {
    case noTokenizer(path: String)

    public var description: String {
        switch self {
        case .noTokenizer(let path): "\(path) has no tokenizer.json and no GGUF vocabulary"
        }
    }
}
