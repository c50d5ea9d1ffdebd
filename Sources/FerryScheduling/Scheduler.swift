// SPDX-License-Identifier: Apache-2.0

/// Continuous batching over the paged KV cache: which requests compute how many tokens each step (nano-vllm's
/// `scheduler.py` with vLLM v1's semantics, `vllm/v1/core/sched/scheduler.py`).
///
/// There is no prefill or decode phase. Each step has a budget of `maxNumBatchedTokens`: every running request,
/// oldest first, gets `min(tokens still to compute, budget left)` (a decode is 1 token, a long prompt is computed
/// in chunks over several steps while the others keep decoding); then waiting requests are admitted first come,
/// first served, while budget, seats (`maxNumSeqs`) and blocks allow. When a running request's blocks cannot be
/// allocated, the newest running request is preempted by recompute: its blocks are freed and it goes back to the
/// front of the queue, to find its prefix in the cache when readmitted.
///
/// The engine thread owns the scheduler and calls it in this order every step: `schedule()` → forward pass →
/// `update(sampledTokenIds:)`; `addRequest` and `abort` between steps. A struct: it has no identity and one owner;
/// it is not shared between threads (the clock need not be `Sendable`).
public struct Scheduler {
    public let config: SchedulerConfig
    public internal(set) var kvCacheManager: KVCacheManager
    let clock: any SchedulerClock
    /// Most prompt + output tokens a request may reach: `min(maxModelLen, numCacheTokens)`, so one request alone
    /// always fits in the cache and preemption can never starve it.
    let maxNumTokensPerRequest: Int

    /// Unfinished requests by id; the only mutable copies.
    var requests: [RequestID: Request] = [:]
    /// Waiting and preempted request ids, FCFS; preempted ones are put back at the front.
    public internal(set) var waitingRequestIds: [RequestID] = []
    /// Running request ids, in admission order; preemption takes the last (newest).
    public internal(set) var runningRequestIds: [RequestID] = []
    /// The step between `schedule()` and `update`: each scheduled request and its token count, in batch order.
    var stepInFlight: [(requestId: RequestID, numScheduledTokens: Int)]?
    /// Requests finished or aborted since the last `schedule()`, reported in the next `SchedulerOutput`.
    var finishedSinceLastStep: [RequestID] = []
    var numPreemptions = 0
    var numScheduledTokensLastStep = 0
    var totalNumScheduledTokens = 0

    /// Creates an idle scheduler over a cache of `config.numBlocks` blocks.
    /// - Throws: `SchedulingError.invalidConfig` when a field of `config` is out of range.
    public init(config: SchedulerConfig, clock: any SchedulerClock = MonotonicSchedulerClock())
        throws(SchedulingError)
    {
        try config.validate()
        self.config = config
        self.clock = clock
        kvCacheManager = KVCacheManager(numBlocks: config.numBlocks, blockSize: config.blockSize,
                                        enablePrefixCaching: config.enablePrefixCaching)
        maxNumTokensPerRequest = min(config.maxModelLen, config.numCacheTokens)
    }

    // MARK: - Queries

    public var numRunningRequests: Int { runningRequestIds.count }
    public var numWaitingRequests: Int { waitingRequestIds.count }
    public var hasUnfinishedRequests: Bool { !requests.isEmpty }
    /// Every unfinished request id (for an immediate shutdown: `abort(unfinishedRequestIds)`).
    public var unfinishedRequestIds: [RequestID] { runningRequestIds + waitingRequestIds }
    /// A snapshot of an unfinished request (sampling parameters, token ids for penalties); nil once finished.
    /// Holding a snapshot across steps makes the next append copy its token arrays.
    public func request(_ requestId: RequestID) -> Request? { requests[requestId] }
    /// The block table of `requestId` (empty while waiting or preempted).
    public func blockIds(of requestId: RequestID) -> [Int] { kvCacheManager.blockIds(of: requestId) }

    /// Counters and gauges for `/metrics`.
    public var stats: SchedulerStats {
        var stats = SchedulerStats()
        stats.numRunningRequests = numRunningRequests
        stats.numWaitingRequests = numWaitingRequests
        stats.kvCacheUsage = kvCacheManager.usage
        stats.numPreemptions = numPreemptions
        stats.prefixCacheStats = kvCacheManager.prefixCacheStats
        stats.numScheduledTokens = numScheduledTokensLastStep
        stats.totalNumScheduledTokens = totalNumScheduledTokens
        return stats
    }

    // MARK: - Admission

    /// Queues `request` at the back of the waiting queue.
    ///
    /// Called on the engine thread while it drains its inbox, between steps.
    /// - Throws: `.emptyPrompt`, `.invalidMaxTokens`, `.duplicateRequestId`, `.promptTooLong` (no room for one
    ///   output token within `maxModelLen`), `.promptExceedsCache` (nor within the whole cache), and, for a valid
    ///   request, `.queueFull` when `maxNumQueuedRequests` requests already wait (the server answers 503).
    public mutating func addRequest(_ request: Request) throws(SchedulingError) {
        let numTokens = request.numPromptTokens
        guard numTokens > 0 else { throw .emptyPrompt }
        guard request.maxTokens >= 1 else { throw .invalidMaxTokens(request.maxTokens) }
        guard requests[request.requestId] == nil else { throw .duplicateRequestId(request.requestId) }
        guard numTokens < config.maxModelLen else {
            throw .promptTooLong(numTokens: numTokens, maxModelLen: config.maxModelLen)
        }
        guard numTokens < config.numCacheTokens else {
            throw .promptExceedsCache(numTokens: numTokens, numCacheTokens: config.numCacheTokens)
        }
        if let limit = config.maxNumQueuedRequests, waitingRequestIds.count >= limit {
            throw .queueFull(maxNumQueuedRequests: limit)
        }
        requests[request.requestId] = request
        waitingRequestIds.append(request.requestId)
    }

    // MARK: - Scheduling

    /// Picks this step's requests and token counts and allocates their KV slots.
    ///
    /// Called on the engine thread once per step; the next call must wait for `update(sampledTokenIds:)`, unless
    /// the output is empty.
    /// - Returns: the step for the model runner; empty when nothing can run.
    public mutating func schedule() -> SchedulerOutput {
        precondition(stepInFlight == nil, "schedule() called again before update(sampledTokenIds:)")
        var output = SchedulerOutput()
        output.finishedRequestIds = finishedSinceLastStep
        finishedSinceLastStep = []
        var tokenBudget = config.maxNumBatchedTokens

        // Running requests, oldest first; preempt the newest until the current one fits.
        var index = 0
        while index < runningRequestIds.count && tokenBudget > 0 {
            let request = requests[runningRequestIds[index]]!
            let numNewTokens = numTokensToSchedule(request, from: request.numComputedTokens, budget: tokenBudget)
            var isAllocated = false
            while !isAllocated {
                if kvCacheManager.allocateSlots(for: request, numNewTokens: numNewTokens) != nil {
                    isAllocated = true
                } else {
                    let victim = runningRequestIds.removeLast()
                    preempt(victim)
                    output.preemptedRequestIds.append(victim)
                    if victim == request.requestId { break }
                }
            }
            guard isAllocated else { break }
            output.scheduledRequests.append(scheduled(request, numNewTokens: numNewTokens, isNew: false))
            tokenBudget -= numNewTokens
            index += 1
        }

        // Waiting requests, FCFS, with their prefix hits; none after a preemption (the cache is full).
        while output.preemptedRequestIds.isEmpty, tokenBudget > 0, runningRequestIds.count < config.maxNumSeqs,
              let requestId = waitingRequestIds.first
        {
            var request = requests[requestId]!
            let hit = kvCacheManager.computedBlocks(for: request)
            let numNewTokens = numTokensToSchedule(request, from: hit.numTokens, budget: tokenBudget)
            guard kvCacheManager.allocateSlots(for: request, numNewTokens: numNewTokens, newComputedBlocks: hit) != nil
            else { break }
            waitingRequestIds.removeFirst()
            runningRequestIds.append(requestId)
            request.status = .running
            request.numComputedTokens = hit.numTokens
            if request.firstScheduledTime == nil {
                request.firstScheduledTime = clock.now()
                request.numCachedTokens = hit.numTokens
            }
            requests[requestId] = request
            output.scheduledRequests.append(scheduled(request, numNewTokens: numNewTokens, isNew: true))
            tokenBudget -= numNewTokens
        }

        numScheduledTokensLastStep = config.maxNumBatchedTokens - tokenBudget
        totalNumScheduledTokens += numScheduledTokensLastStep
        if !output.isEmpty {
            stepInFlight = output.scheduledRequests.map { ($0.requestId, $0.numScheduledTokens) }
        }
        return output
    }

    /// Tokens `request` computes this step when `numComputedTokens` are in its cache: the rest of its tokens,
    /// capped by `longPrefillTokenThreshold` and the budget left.
    private func numTokensToSchedule(_ request: Request, from numComputedTokens: Int, budget: Int) -> Int {
        var numNewTokens = request.numTokens - numComputedTokens
        if config.longPrefillTokenThreshold > 0 {
            numNewTokens = min(numNewTokens, config.longPrefillTokenThreshold)
        }
        return min(numNewTokens, budget)
    }

    /// The runner's view of `request` scheduled for `numNewTokens` tokens after its computed ones.
    private func scheduled(_ request: Request, numNewTokens: Int, isNew: Bool) -> ScheduledRequest {
        let start = request.numComputedTokens
        return ScheduledRequest(
            requestId: request.requestId, isNew: isNew, numComputedTokens: start, numScheduledTokens: numNewTokens,
            tokenIds: Array(request.allTokenIds[start..<(start + numNewTokens)]),
            blockIds: kvCacheManager.blockIds(of: request.requestId),
            samplesToken: start + numNewTokens == request.numTokens)
    }

    /// Preemption by recompute: frees the request's blocks, forgets its computed tokens and puts it at the front
    /// of the waiting queue. The caller has removed it from `runningRequestIds`.
    private mutating func preempt(_ requestId: RequestID) {
        kvCacheManager.free(requestId)
        requests[requestId]!.status = .preempted
        requests[requestId]!.numComputedTokens = 0
        requests[requestId]!.numPreemptions += 1
        waitingRequestIds.insert(requestId, at: 0)
        numPreemptions += 1
    }
}
