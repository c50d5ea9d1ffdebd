// SPDX-License-Identifier: Apache-2.0

extension Scheduler {
    /// Applies the step from the last `schedule()` (vLLM `update_from_output`): advances each scheduled request's
    /// computed tokens by what was scheduled, appends the sampled token of each request whose scheduled tokens
    /// reached its end (a partial prefill chunk samples nothing), checks the stop conditions the scheduler owns
    /// (`maxTokens` and the length cap → length; EOS unless `ignoreEos`, stop token ids, after `minTokens` → stop),
    /// and frees the blocks of the requests that finished.
    ///
    /// Called on the engine thread after the forward pass and sampling of the step. A request aborted since
    /// `schedule()` is skipped. A call with no step in flight does nothing.
    /// - Parameter sampledTokenIds: the token sampled for each scheduled request whose `samplesToken` is true;
    ///   other entries are ignored.
    /// - Returns: one output per request that got a token or finished, in batch order.
    public mutating func update(sampledTokenIds: [RequestID: Int]) -> [RequestOutput] {
        guard let step = stepInFlight else { return [] }
        stepInFlight = nil
        var outputs: [RequestOutput] = []
        var finished: [RequestID] = []  // batch order: blocks return to the free queue deterministically
        for (requestId, numScheduledTokens) in step {
            guard requests[requestId]?.status == .running else { continue }
            // Mutate in place: a local copy would make the append copy the token arrays.
            requests[requestId]!.numComputedTokens += numScheduledTokens
            guard requests[requestId]!.numComputedTokens == requests[requestId]!.numTokens else { continue }
            guard let tokenId = sampledTokenIds[requestId] else {
                preconditionFailure("no sampled token for \(requestId), whose step reached its last token")
            }
            requests[requestId]!.appendOutputTokenIds(CollectionOfOne(tokenId))
            let stop = requests[requestId]!.stopCondition(maxNumTokens: maxNumTokensPerRequest)
            if let stop {
                requests[requestId]!.status = stop.status
                requests[requestId]!.stopReason = stop.stopReason
                finished.append(requestId)
            }
            outputs.append(RequestOutput(requestId: requestId, newTokenIds: [tokenId],
                                         finishReason: stop?.status.finishReason, stopReason: stop?.stopReason,
                                         numCachedTokens: requests[requestId]!.numCachedTokens))
        }
        if !finished.isEmpty {
            let finishedSet = Set(finished)
            runningRequestIds.removeAll { finishedSet.contains($0) }
            for requestId in finished { release(requestId) }
        }
        return outputs
    }

    /// Finishes the given unfinished requests with reason abort and frees their blocks at once; unknown or already
    /// finished ids are ignored.
    ///
    /// Called on the engine thread between steps (a client disconnected, a stop string matched, shutdown). Also
    /// safe between `schedule()` and `update`: the freed blocks cannot be reallocated before the next `schedule()`,
    /// the runner still computes the step as scheduled (see `SchedulerOutput`), and `update` skips the request.
    /// - Returns: the ids actually aborted, for the engine to close their streams with `finish_reason: "abort"`.
    @discardableResult
    public mutating func abort(_ requestIds: some Sequence<RequestID>) -> [RequestID] {
        var aborted: [RequestID] = []
        var abortedSet: Set<RequestID> = []
        for requestId in requestIds where requests[requestId] != nil && abortedSet.insert(requestId).inserted {
            requests[requestId]!.status = .finishedAborted
            aborted.append(requestId)
        }
        guard !aborted.isEmpty else { return [] }
        runningRequestIds.removeAll { abortedSet.contains($0) }
        waitingRequestIds.removeAll { abortedSet.contains($0) }
        for requestId in aborted { release(requestId) }
        return aborted
    }

    /// Frees a finished request's blocks, drops it, and reports it to the runner in the next step.
    private mutating func release(_ requestId: RequestID) {
        kvCacheManager.free(requestId)
        requests[requestId] = nil
        finishedSinceLastStep.append(requestId)
    }
}
