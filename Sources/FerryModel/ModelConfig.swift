// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// A model's hyper-parameters, in Hugging Face's vocabulary (config.json), or read from GGUF metadata
/// (`ModelConfig(gguf:)`).
///
/// Made by `ModelFiles.load`; read by `WeightStore.validate(against:)` for expected shapes and by the compute layer
/// to size buffers. Defaults for absent keys follow the Hugging Face config class of `modelType`.
public struct ModelConfig: Sendable, Equatable {
    /// config.json `model_type`.
    public var modelType: ModelArchitecture
    /// Width of the residual stream (`hidden_size`).
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    /// Key/value heads for grouped-query attention; defaults to `numAttentionHeads`.
    public var numKeyValueHeads: Int
    /// Dimension of one attention head; defaults to `hiddenSize / numAttentionHeads` (qwen3: 128, as in HF).
    public var headDim: Int
    /// Width of the MLP's gate/up projections.
    public var intermediateSize: Int
    public var vocabSize: Int
    /// Epsilon inside RMSNorm's square root; default 1e-6.
    public var rmsNormEps: Double
    /// RoPE base frequency; default 10000.
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling?
    /// Longest context the model was trained for, in tokens.
    public var maxPositionEmbeddings: Int
    /// True when `lm_head.weight` is absent and the output projection reuses `model.embed_tokens.weight`.
    public var tieWordEmbeddings: Bool
    /// True when q/k/v projections have biases (`self_attn.{q,k,v}_proj.bias`); always true for qwen2.
    public var attentionBias: Bool
    /// Sliding attention window in tokens, or nil for full attention. Mistral: `sliding_window`; qwen2/qwen3: only
    /// when `use_sliding_window` is true (HF then applies it from layer `max_window_layers` on).
    public var slidingWindow: Int?
    public var bosTokenId: Int?
    /// config.json `eos_token_id` (an int or a list); empty when absent.
    public var eosTokenIds: [Int]

    /// Loads and validates `config.json`.
    /// - Throws: `ModelError.missingFile`, `.invalidConfig`, `.unsupportedArchitecture`, `.unsupportedRopeScaling`.
    public static func load(contentsOf url: URL) throws(ModelError) -> ModelConfig {
        try decode(readSideFile(url), file: url.path)
    }

    /// Decodes and validates config.json bytes; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws(ModelError) -> ModelConfig {
        let config = try decodeConfig(ModelConfig.self, from: data, file: file)
        try config.validate(file: file)
        return config
    }

    /// Checks that the numbers describe a buildable model (positive sizes, heads divisible, even head dimension).
    /// Called by both loaders (JSON and GGUF).
    func validate(file: String) throws(ModelError) {
        let positive: [(String, Int)] = [
            ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
            ("num_attention_heads", numAttentionHeads), ("num_key_value_heads", numKeyValueHeads),
            ("head_dim", headDim), ("intermediate_size", intermediateSize), ("vocab_size", vocabSize),
            ("max_position_embeddings", maxPositionEmbeddings),
        ]
        for (key, value) in positive where value <= 0 {
            throw .invalidConfig(file: file, reason: "\(key) must be positive, got \(value)")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw .invalidConfig(file: file, reason: "num_attention_heads \(numAttentionHeads) is not a multiple "
                + "of num_key_value_heads \(numKeyValueHeads)")
        }
        guard headDim % 2 == 0 else {
            throw .invalidConfig(file: file, reason: "head_dim \(headDim) must be even for RoPE")
        }
        guard rmsNormEps > 0, ropeTheta > 0 else {
            throw .invalidConfig(file: file, reason: "rms_norm_eps and rope_theta must be positive")
        }
        if let window = slidingWindow, window <= 0 {
            throw .invalidConfig(file: file, reason: "sliding_window must be positive, got \(window)")
        }
    }
}

extension ModelConfig: Decodable {
    enum Keys: String, CodingKey {
        case modelType = "model_type", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim", intermediateSize = "intermediate_size", vocabSize = "vocab_size"
        case rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta", ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters"
        case maxPositionEmbeddings = "max_position_embeddings", tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias", slidingWindow = "sliding_window"
        case useSlidingWindow = "use_sliding_window", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let typeName = try c.decode(String.self, forKey: .modelType)
        guard let type = ModelArchitecture(rawValue: typeName) else {
            throw ConfigDecodingFailure.unsupportedArchitecture(typeName)
        }
        modelType = type
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? numAttentionHeads
        if let explicit = try c.decodeIfPresent(Int.self, forKey: .headDim) {
            headDim = explicit
        } else if type == .qwen3 {
            headDim = 128
        } else {
            guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
                throw ConfigDecodingFailure.invalid(
                    "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
            }
            headDim = hiddenSize / numAttentionHeads
        }
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6

        // Newer transformers write `rope_parameters` {rope_type, rope_theta, ...} instead of the two keys.
        var theta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta)
        ropeScaling = nil
        for key in [Keys.ropeScaling, .ropeParameters] {
            guard c.contains(key), try !c.decodeNil(forKey: key) else { continue }
            let scaling = try c.nestedContainer(keyedBy: RopeScaling.RopeScalingKeys.self, forKey: key)
            theta = try theta ?? scaling.decodeIfPresent(Double.self, forKey: .ropeTheta)
            ropeScaling = try ropeScaling ?? RopeScaling.decode(from: scaling)
        }
        ropeTheta = theta ?? 10000

        let defaultContext = [ModelArchitecture.llama: 2048, .mistral: 131_072, .qwen2: 32768, .qwen3: 32768]
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings)
            ?? defaultContext[type] ?? 2048
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        switch type {
        case .qwen2: attentionBias = true
        case .mistral: attentionBias = false
        case .llama, .qwen3: attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        }
        let window = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        switch type {
        case .mistral:
            slidingWindow = c.contains(.slidingWindow) ? window : 4096
        case .qwen2, .qwen3:
            slidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) == true ? window : nil
        case .llama:
            slidingWindow = nil
        }
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        eosTokenIds = try c.decodeIfPresent(TokenIDList.self, forKey: .eosTokenId)?.ids ?? []
    }
}
