// SPDX-License-Identifier: Apache-2.0
import FerryScheduling

/// What the API layer asks the engine to generate: one sequence.
public struct GenerationRequest: Sendable {
    public var requestId: RequestID
    public var promptTokenIds: [Int]
    public var samplingParameters: SamplingParameters
    /// Most tokens to generate (≥ 1).
    public var maxTokens: Int
    /// End-of-sequence tokens: they stop the request unless `samplingParameters.ignoreEos` (and report no stop
    /// reason, unlike `stopTokenIds`).
    public var eosTokenIds: Set<Int> = []
    /// When the request reached the server (monotonic seconds, as `Engine.now()`); nil: when submitted.
    public var arrivalTime: Double?

    public init(requestId: RequestID, promptTokenIds: [Int], samplingParameters: SamplingParameters,
                maxTokens: Int, arrivalTime: Double? = nil)
    {
        self.arrivalTime = arrivalTime
        self.requestId = requestId
        self.promptTokenIds = promptTokenIds
        self.samplingParameters = samplingParameters
        self.maxTokens = maxTokens
    }
}

/// What the engine tells a request's sink, in order, from the engine thread.
public enum GenerationEvent: Sendable {
    /// The scheduler refused the request (queue full, too long for the model or the cache).
    case rejected(SchedulingError)
    /// A new token. `numCachedTokens`: prompt tokens served from the prefix cache (known from the first token on).
    case token(SampledToken, numCachedTokens: Int)
    /// The request ended. `stopReason`: the stop token id that ended it, nil for EOS, length or abort.
    /// `metrics`: its timings and token counts (for the per-request histograms).
    case finished(FinishReason, stopReason: Int?, metrics: RequestMetrics?)
}
