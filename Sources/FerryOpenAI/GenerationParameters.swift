// SPDX-License-Identifier: Apache-2.0
import FerryScheduling

/// Everything about one request's generation that is the same for all its prompts, validated and with defaults
/// applied: the engine's sampling parameters plus vLLM's stopping and detokenization options.
///
/// Note: these fields live here rather than in `FerryScheduling.SamplingParameters` so that the scheduler's type
/// stays the sampler's alone; the per-prompt output limit is `EnginePrompt.maxTokens`.
public struct GenerationParameters: Sendable, Equatable {
    /// Temperature, top-p/k, min-p, penalties, logit bias (clamped to [-100, 100]), seed, and `logprobs` (the
    /// number of top alternatives per token; nil when log-probabilities were not asked for).
    public var sampling: SamplingParameters
    /// Choices per prompt, 1...`maxN`.
    public var n: Int
    /// Stop strings; the output ends before (or, with `includeStopStrInOutput`, after) the first one to complete.
    public var stop: [String]
    /// Token ids that end the output besides EOS, deduplicated in order.
    public var stopTokenIds: [Int]
    /// Keep generating past EOS.
    public var ignoreEos: Bool
    /// EOS and stop tokens are not honoured before this many output tokens.
    public var minTokens: Int
    /// Keep the matched stop string in the output text.
    public var includeStopStrInOutput: Bool
    /// Drop special tokens when detokenizing the output.
    public var skipSpecialTokens: Bool
    /// vLLM's `spaces_between_special_tokens` (default true).
    public var spacesBetweenSpecialTokens: Bool
    /// Add `token_ids` (and `prompt_token_ids`) to the response choices.
    public var returnTokenIds: Bool

    /// vLLM's `VLLM_MAX_N_SEQUENCES` default.
    public static let maxN = 16384

    public init(sampling: SamplingParameters = SamplingParameters(), n: Int = 1, stop: [String] = [],
                stopTokenIds: [Int] = [], ignoreEos: Bool = false, minTokens: Int = 0,
                includeStopStrInOutput: Bool = false, skipSpecialTokens: Bool = true,
                spacesBetweenSpecialTokens: Bool = true, returnTokenIds: Bool = false) {
        self.sampling = sampling
        self.n = n
        self.stop = stop
        self.stopTokenIds = stopTokenIds
        self.ignoreEos = ignoreEos
        self.minTokens = minTokens
        self.includeStopStrInOutput = includeStopStrInOutput
        self.skipSpecialTokens = skipSpecialTokens
        self.spacesBetweenSpecialTokens = spacesBetweenSpecialTokens
        self.returnTokenIds = returnTokenIds
    }
}

/// One prompt ready for the engine.
public struct EnginePrompt: Sendable, Equatable {
    /// The prompt's token ids (never empty, each below the vocabulary size).
    public var tokenIds: [Int]
    /// The prompt text: as sent for a text prompt, decoded for a token prompt when `echo` needs it, else nil.
    public var text: String?
    /// Output tokens to generate at most: min(requested, max_model_len − prompt length). 0 only for
    /// completions with `echo` and `max_tokens: 0`, which return the prompt and generate nothing.
    public var maxTokens: Int

    public init(tokenIds: [Int], text: String?, maxTokens: Int) {
        self.tokenIds = tokenIds
        self.text = text
        self.maxTokens = maxTokens
    }
}
