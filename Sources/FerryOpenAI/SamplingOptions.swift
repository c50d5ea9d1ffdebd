// SPDX-License-Identifier: Apache-2.0

/// The sampling and stopping fields that completions and chat requests share, as the client sent them.
///
/// nil means "not sent": the validator then takes the server default (generation_config.json, else vLLM's).
/// Ranges are not checked here; `validatedParameters` checks them and builds the engine's values.
public struct SamplingOptions: Sendable, Equatable {
    /// `temperature`; nil → generation-config default, else 1.
    public var temperature: Double?
    /// `top_p`; nil → default, else 1.
    public var topP: Double?
    /// `top_k`; nil → default, else 0 (off).
    public var topK: Int?
    /// `min_p`; nil → default, else 0.
    public var minP: Double?
    /// `repetition_penalty`; nil → default, else 1.
    public var repetitionPenalty: Double?
    /// `presence_penalty`; nil → default, else 0.
    public var presencePenalty: Double?
    /// `frequency_penalty`; nil → default, else 0.
    public var frequencyPenalty: Double?
    /// `logit_bias` in the order sent, keys still strings (validated into token ids later).
    public var logitBias: [LogitBiasEntry] = []
    /// `seed`; nil or -1 draws one.
    public var seed: Int?
    /// `n`: choices per prompt (default 1).
    public var n: Int = 1
    /// `stop`: a string or a list, normalised to a list (default empty).
    public var stop: [String] = []
    /// `stop_token_ids` (default empty).
    public var stopTokenIds: [Int] = []
    /// `include_stop_str_in_output` (default false).
    public var includeStopStrInOutput = false
    /// `ignore_eos` (default false).
    public var ignoreEos = false
    /// `min_tokens` (default 0).
    public var minTokens = 0
    /// `skip_special_tokens` (default true).
    public var skipSpecialTokens = true
    /// `spaces_between_special_tokens` (default true).
    public var spacesBetweenSpecialTokens = true
    /// `stream` (default false).
    public var stream = false
    /// `stream_options` when sent as a non-empty object.
    public var streamOptions: StreamOptions?
    /// `return_token_ids` (default false): add `token_ids` (and `prompt_token_ids`) to choices.
    public var returnTokenIds = false
    /// `use_beam_search` (default false); this server has no beam search and rejects true.
    public var useBeamSearch = false
    /// `response_format.type` when sent; only `text` is supported.
    public var responseFormatType: String?

    public init() {}

    /// Reads the shared fields of a completions or chat body.
    /// - Throws: `APIError` (400) naming the first field with a wrong type, or `stream_options` without `stream`.
    init(reading body: RequestObject) throws(APIError) {
        temperature = try body.double("temperature")
        topP = try body.double("top_p")
        topK = try body.int("top_k")
        minP = try body.double("min_p")
        repetitionPenalty = try body.double("repetition_penalty")
        presencePenalty = try body.double("presence_penalty")
        frequencyPenalty = try body.double("frequency_penalty")
        if let pairs = try body.object("logit_bias") {
            for pair in pairs {
                guard case .number(let number) = pair.value else {
                    throw .wrongType(param: "logit_bias", expected: "an object of numbers", got: pair.value)
                }
                logitBias.append(LogitBiasEntry(key: pair.key, bias: number.double))
            }
        }
        seed = try body.int("seed")
        n = try body.int("n") ?? 1
        stop = try body.stringOrStringList("stop") ?? []
        stopTokenIds = try body.intList("stop_token_ids") ?? []
        includeStopStrInOutput = try body.bool("include_stop_str_in_output") ?? false
        ignoreEos = try body.bool("ignore_eos") ?? false
        minTokens = try body.int("min_tokens") ?? 0
        skipSpecialTokens = try body.bool("skip_special_tokens") ?? true
        spacesBetweenSpecialTokens = try body.bool("spaces_between_special_tokens") ?? true
        stream = try body.bool("stream") ?? false
        returnTokenIds = try body.bool("return_token_ids") ?? false
        useBeamSearch = try body.bool("use_beam_search") ?? false
        if let format = try body.object("response_format") {
            let type = format.last { $0.key == "type" }?.value
            guard let name = type?.stringValue else {
                throw .wrongType(param: "response_format.type", expected: "a string", got: type ?? .null)
            }
            responseFormatType = name
        }
        if let options = try body.object("stream_options"), !options.isEmpty {
            // vLLM tests `data.get("stream_options")`, so an empty object passes without `stream`.
            guard stream else { throw .streamOptionsWithoutStream }
            streamOptions = try StreamOptions(reading: options)
        }
    }
}

/// One `logit_bias` entry as sent: the key is a token id written as a string.
public struct LogitBiasEntry: Sendable, Equatable {
    public var key: String
    public var bias: Double

    public init(key: String, bias: Double) {
        self.key = key
        self.bias = bias
    }
}

/// `stream_options`: what the end of a stream reports.
public struct StreamOptions: Sendable, Equatable {
    /// `include_usage`: a final chunk with `choices: []` and `usage` (default false).
    public var includeUsage = false
    /// `continuous_usage_stats`: `usage` on every chunk, only together with `include_usage` (default false).
    public var continuousUsageStats = false

    public init(includeUsage: Bool = false, continuousUsageStats: Bool = false) {
        self.includeUsage = includeUsage
        self.continuousUsageStats = continuousUsageStats
    }

    init(reading pairs: [(key: String, value: JSONValue)]) throws(APIError) {
        let object = try RequestObject(.object(pairs))
        for name in ["include_usage", "continuous_usage_stats"] {
            if let value = object[name], case .bool = value {} else if let value = object[name] {
                throw .wrongType(param: "stream_options.\(name)", expected: "a boolean", got: value)
            }
        }
        includeUsage = try object.bool("include_usage") ?? false
        continuousUsageStats = try object.bool("continuous_usage_stats") ?? false
    }
}
