// SPDX-License-Identifier: Apache-2.0

/// The life of one request in the engine, for vLLM's per-request histograms. Times are seconds on the monotonic
/// clock (`DispatchTime.now().uptimeNanoseconds / 1e9`).
public struct RequestMetrics: Sendable, Equatable {
    /// When `Engine.submit` was called.
    public var arrivalTime: Double
    /// When the scheduler first ran the request (nil: never ran).
    public var firstScheduledTime: Double?
    /// When its first token was sampled.
    public var firstTokenTime: Double?
    /// When it finished.
    public var finishedTime: Double?
    public var numPromptTokens: Int
    public var numGenerationTokens = 0
    /// Prompt tokens served from the prefix cache.
    public var numCachedTokens = 0
    public var maxTokens: Int

    public init(arrivalTime: Double, numPromptTokens: Int, maxTokens: Int) {
        self.arrivalTime = arrivalTime
        self.numPromptTokens = numPromptTokens
        self.maxTokens = maxTokens
    }

    /// Time to first token.
    public var timeToFirstToken: Double? { firstTokenTime.map { $0 - arrivalTime } }
    /// Time waiting before the first schedule.
    public var queueTime: Double? { firstScheduledTime.map { $0 - arrivalTime } }
    /// From the first schedule to the first token.
    public var prefillTime: Double? { zip2(firstTokenTime, firstScheduledTime).map { $0 - $1 } }
    /// From the first token to the end.
    public var decodeTime: Double? { zip2(finishedTime, firstTokenTime).map { $0 - $1 } }
    /// From the first schedule to the end.
    public var inferenceTime: Double? { zip2(finishedTime, firstScheduledTime).map { $0 - $1 } }
    /// From arrival to the end.
    public var endToEndLatency: Double? { finishedTime.map { $0 - arrivalTime } }
    /// Mean time per output token after the first.
    public var timePerOutputToken: Double? {
        guard numGenerationTokens > 1, let decodeTime else { return nil }
        return decodeTime / Double(numGenerationTokens - 1)
    }

    private func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
        guard let a, let b else { return nil }
        return (a, b)
    }
}
