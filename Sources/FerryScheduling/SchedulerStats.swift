// SPDX-License-Identifier: Apache-2.0

/// A snapshot of the scheduler for `/metrics` (vLLM `SchedulerStats`), taken by the engine thread after a step
/// through `Scheduler.stats` and published to the metrics handler.
public struct SchedulerStats: Sendable, Equatable {
    /// `vllm:num_requests_running`.
    public var numRunningRequests = 0
    /// `vllm:num_requests_waiting` (preempted requests included).
    public var numWaitingRequests = 0
    /// `vllm:kv_cache_usage_perc`, 0…1.
    public var kvCacheUsage = 0.0
    /// `vllm:num_preemptions_total`, cumulative.
    public var numPreemptions = 0
    /// `vllm:prefix_cache_queries_total` / `_hits_total` (tokens), cumulative.
    public var prefixCacheStats = PrefixCacheStats()
    /// Tokens scheduled by the latest `schedule()` (`vllm:iteration_tokens_total` observes this per step).
    public var numScheduledTokens = 0
    /// Tokens computed by all steps so far, prefill and decode (cumulative).
    public var totalNumScheduledTokens = 0

    public init() {}
}
