// SPDX-License-Identifier: Apache-2.0
import FerryScheduling

/// Running totals of the engine, published after every step for `/metrics`.
public struct EngineStats: Sendable {
    /// Gauges and prefix-cache counters from the scheduler.
    public var scheduler = SchedulerStats()
    /// Forward passes run.
    public var numSteps = 0
    /// Tokens computed over all steps (prefill and decode).
    public var numScheduledTokens = 0
    /// Prompt tokens of requests that produced their first token.
    public var numPromptTokens = 0
    /// Tokens generated.
    public var numGenerationTokens = 0
    /// Finished requests by reason, aborts included.
    public var numFinished: [FinishReason: Int] = [:]

    public init() {}
}
