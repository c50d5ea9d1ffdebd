// SPDX-License-Identifier: Apache-2.0

/// What one step did to one request, returned by `Scheduler.update` (vLLM `EngineCoreOutput`): the tokens to
/// publish and, when it finished, why. The engine forwards these to the request's stream.
public struct RequestOutput: Sendable, Equatable {
    public let requestId: RequestID
    /// Tokens appended this step (empty for a partial prefill chunk, which is not reported).
    public let newTokenIds: [Int]
    /// Set when the request finished this step: `.stop` or `.length` (aborts come from `Scheduler.abort`).
    public let finishReason: FinishReason?
    /// The stop token id that finished it (OpenAI `stop_reason`); nil for EOS and length.
    public let stopReason: Int?
    /// Prompt tokens served from the prefix cache (OpenAI `usage.prompt_tokens_details.cached_tokens`).
    public let numCachedTokens: Int

    public var isFinished: Bool { finishReason != nil }
}
