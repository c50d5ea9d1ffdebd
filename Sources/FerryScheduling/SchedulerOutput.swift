// SPDX-License-Identifier: Apache-2.0

/// What one step computes: returned by `Scheduler.schedule()` to the engine thread, which builds the forward batch
/// from it (vLLM `SchedulerOutput`, flattened: Ferry's runner is in-process, so each entry carries its whole block
/// table and its token ids instead of diffs against a persistent batch).
///
/// For each scheduled request the runner feeds `tokenIds` at positions `numComputedTokens ..<
/// numComputedTokens + numScheduledTokens`, stores their K/V at slots `blockIds[p / blockSize] * blockSize +
/// p % blockSize`, attends over context length `numComputedTokens + numScheduledTokens`, and samples from the last
/// position only where `samplesToken` is true (a partial prefill chunk yields no token). Query start offsets are
/// the running sum of `numScheduledTokens` in `scheduledRequests` order.
///
/// Contract: the runner computes every scheduled request of the output, one aborted after `schedule()` included,
/// and stores a layer's K/V for all tokens before attention reads them. The prefix-cache keys of the blocks this
/// step fills are recorded at scheduling time, and a request admitted later in the same step may read them.
public struct SchedulerOutput: Sendable {
    /// Requests to run this step: continuing ones (oldest first), then newly admitted ones (FCFS).
    public var scheduledRequests: [ScheduledRequest] = []
    /// Requests preempted while scheduling this step (their blocks are gone; the runner drops their state).
    public var preemptedRequestIds: [RequestID] = []
    /// Requests that finished or were aborted since the previous step (the runner drops their state).
    public var finishedRequestIds: [RequestID] = []

    public init() {}

    /// Sum of `numScheduledTokens`: the step's batch size in tokens, at most `maxNumBatchedTokens`.
    public var totalNumScheduledTokens: Int { scheduledRequests.reduce(0) { $0 + $1.numScheduledTokens } }
    public var isEmpty: Bool { scheduledRequests.isEmpty }
}

/// One request's share of a step.
public struct ScheduledRequest: Sendable, Equatable {
    public let requestId: RequestID
    /// True when the request was admitted from the waiting queue this step (first run, or resumed after
    /// preemption and recomputed from its prefix hit); false when it continues from the previous step.
    public let isNew: Bool
    /// Tokens already in the KV cache (prefix hit and earlier steps): the position of the first scheduled token.
    public let numComputedTokens: Int
    /// Tokens to compute this step: a whole or partial prompt chunk, or 1 for a decode. ≥ 1.
    public let numScheduledTokens: Int
    /// The token ids to feed: `allTokenIds[numComputedTokens ..< numComputedTokens + numScheduledTokens]`.
    /// Shape: [numScheduledTokens].
    public let tokenIds: [Int]
    /// The request's whole block table after this step's allocation, in sequence order.
    public let blockIds: [Int]
    /// True when this step reaches the request's last token, so its logits give the next output token.
    public let samplesToken: Bool

    /// Context length after this step: `numComputedTokens + numScheduledTokens`.
    public var contextLength: Int { numComputedTokens + numScheduledTokens }
}
