// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// `generation_config.json`: the model author's stop tokens and sampling defaults. Every field is optional.
///
/// Made by `ModelFiles.load` when the file exists; the server uses `eosTokenIds` as extra stop tokens and the
/// sampling values as defaults for requests that leave them out.
public struct GenerationConfig: Sendable, Equatable, Decodable {
    public var bosTokenId: Int?
    /// `eos_token_id`, an int or a list in the file; empty when absent.
    public var eosTokenIds: [Int]
    public var padTokenId: Int?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var repetitionPenalty: Double?
    public var doSample: Bool?
    /// `max_length`: prompt plus generated tokens.
    public var maxLength: Int?
    public var maxNewTokens: Int?

    public init(bosTokenId: Int? = nil, eosTokenIds: [Int] = [], padTokenId: Int? = nil, temperature: Double? = nil,
                topP: Double? = nil, topK: Int? = nil, repetitionPenalty: Double? = nil, doSample: Bool? = nil,
                maxLength: Int? = nil, maxNewTokens: Int? = nil)
    {
        self.bosTokenId = bosTokenId
        self.eosTokenIds = eosTokenIds
        self.padTokenId = padTokenId
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.repetitionPenalty = repetitionPenalty
        self.doSample = doSample
        self.maxLength = maxLength
        self.maxNewTokens = maxNewTokens
    }

    /// Loads `generation_config.json`.
    /// - Throws: `ModelError.missingFile`, `.invalidConfig` (bad JSON or a field of the wrong type).
    public static func load(contentsOf url: URL) throws(ModelError) -> GenerationConfig {
        try decode(readSideFile(url), file: url.path)
    }

    /// Decodes generation_config.json bytes; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws(ModelError) -> GenerationConfig {
        try decodeConfig(GenerationConfig.self, from: data, file: file)
    }

    enum Keys: String, CodingKey {
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", padTokenId = "pad_token_id"
        case temperature, topP = "top_p", topK = "top_k", repetitionPenalty = "repetition_penalty"
        case doSample = "do_sample", maxLength = "max_length", maxNewTokens = "max_new_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        eosTokenIds = try c.decodeIfPresent(TokenIDList.self, forKey: .eosTokenId)?.ids ?? []
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        repetitionPenalty = try c.decodeIfPresent(Double.self, forKey: .repetitionPenalty)
        doSample = try c.decodeIfPresent(Bool.self, forKey: .doSample)
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
        maxNewTokens = try c.decodeIfPresent(Int.self, forKey: .maxNewTokens)
    }
}
