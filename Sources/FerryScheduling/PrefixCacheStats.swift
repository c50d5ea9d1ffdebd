// SPDX-License-Identifier: Apache-2.0

/// Cumulative prefix-cache counters, in tokens (vLLM `PrefixCacheStats`; scraped as
/// `vllm:prefix_cache_queries_total` and `vllm:prefix_cache_hits_total`).
///
/// Recorded by `KVCacheManager.allocateSlots` when a request is admitted (once per admission, not per attempt),
/// only while prefix caching is on. As vLLM does, re-admissions after preemption are counted apart, so the main
/// counters describe what clients' prompts find in the cache.
public struct PrefixCacheStats: Sendable, Equatable {
    /// Admissions of requests that were never preempted.
    public var requests = 0
    /// Tokens those requests looked up: their whole `numTokens`.
    public var queries = 0
    /// Tokens of those lookups served from the cache.
    public var hits = 0
    /// The same three for re-admissions after preemption.
    public var preemptedRequests = 0
    public var preemptedQueries = 0
    public var preemptedHits = 0

    public init() {}

    /// Hits over queries, 0 when nothing was queried.
    public var hitRate: Double { queries == 0 ? 0 : Double(hits) / Double(queries) }

    mutating func record(numTokens: Int, numHits: Int, preempted: Bool) {
        if preempted {
            preemptedRequests += 1
            preemptedQueries += numTokens
            preemptedHits += numHits
        } else {
            requests += 1
            queries += numTokens
            hits += numHits
        }
    }
}
