// SPDX-License-Identifier: Apache-2.0

/// How one request's next tokens are chosen: vLLM's `SamplingParams` fields that affect sampling.
///
/// Defaults are vLLM's: temperature 1, no top-k/top-p/min-p cut, no penalties. `temperature == 0` is greedy.
/// `maxTokens` lives on `Request`, because the API layer resolves it against the prompt and `max_model_len`.
public struct SamplingParameters: Sendable, Equatable {
    /// Softmax temperature; 0 (or below 1e-5) means greedy.
    public var temperature: Float = 1
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches `topP` (1 = off).
    public var topP: Float = 1
    /// Keep the `topK` most likely tokens (0 or -1 = off).
    public var topK: Int = 0
    /// Drop tokens whose probability is below `minP` × the top probability (0 = off).
    public var minP: Float = 0
    /// Divides positive logits and multiplies negative ones of tokens seen in prompt or output (1 = off).
    public var repetitionPenalty: Float = 1
    /// Subtracted once from the logit of every token already generated (0 = off).
    public var presencePenalty: Float = 0
    /// Subtracted from a token's logit once per time it was generated (0 = off).
    public var frequencyPenalty: Float = 0
    /// Added to the logits of these token ids before sampling.
    public var logitBias: [Int: Float] = [:]
    /// Seed of this request's random generator: the same seed gives the same tokens. nil draws one.
    public var seed: UInt64?
    /// Number of top log-probabilities to return per token (nil: none; 0: only the chosen token's).
    public var logprobs: Int?

    // MARK: - Stop conditions the scheduler owns (vLLM `stop_token_ids`, `ignore_eos`, `min_tokens`)

    /// Token ids that finish the request with reason "stop"; the matched id becomes the choice's `stop_reason`.
    /// The sampled stop token stays in the output ids (the API layer decides whether to show it).
    public var stopTokenIds: Set<Int> = []
    /// Keep generating past the model's EOS token(s) (vLLM `ignore_eos`, default false).
    public var ignoreEos = false
    /// Neither EOS nor a stop token id finishes the request before this many output tokens (default 0).
    public var minTokens = 0

    public init() {}

    /// True when the choice is the argmax.
    public var isGreedy: Bool { temperature < 1e-5 }
}
