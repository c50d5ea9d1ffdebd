// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryScheduling

@Suite struct SchedulerTests {
    @Test func schedulerNeverExceedsTheTokenBudget() throws {
        var scheduler = try makeScheduler(maxNumBatchedTokens: 32)
        for index in 0..<5 { try scheduler.addRequest(makeRequest("r\(index)", prompt: tokens(20, from: 100 * index))) }
        let first = scheduler.step().output
        #expect(first.scheduledIds == ["r0", "r1"])
        #expect(first.scheduledRequests.map(\.numScheduledTokens) == [20, 12])
        let second = scheduler.step().output
        #expect(second.scheduledRequests.map(\.numScheduledTokens) == [1, 8, 20, 3])
        for _ in 0..<20 {
            let output = scheduler.step().output
            #expect(output.totalNumScheduledTokens <= 32)
            #expect(output.scheduledRequests.allSatisfy { $0.numScheduledTokens >= 1 })
        }
    }

    @Test func longPromptIsChunkedWhileOthersKeepDecoding() throws {
        var scheduler = try makeScheduler(maxNumBatchedTokens: 16)
        try scheduler.addRequest(makeRequest("short", prompt: tokens(4)))
        scheduler.step()
        try scheduler.addRequest(makeRequest("long", prompt: tokens(40, from: 0)))
        var chunks: [Int] = []
        for _ in 0..<3 {
            let (output, results) = scheduler.step()
            #expect(output.numScheduledTokens("short") == 1)
            let long = try #require(output.scheduledRequests.first { $0.requestId == "long" })
            chunks.append(long.numScheduledTokens)
            #expect(long.samplesToken == (chunks.reduce(0, +) == 40))
            #expect(results.contains { $0.requestId == "long" } == long.samplesToken)
        }
        #expect(chunks == [15, 15, 10])
        #expect(scheduler.request("long")?.numOutputTokens == 1)
        #expect(scheduler.request("short")?.numOutputTokens == 4)
    }

    @Test func aPartialPrefillChunkSamplesNothingEvenWhenGivenAToken() throws {
        var scheduler = try makeScheduler(maxNumBatchedTokens: 8)
        try scheduler.addRequest(makeRequest("a", prompt: tokens(12)))
        let output = scheduler.schedule()
        #expect(output.scheduledRequests.first?.samplesToken == false)
        #expect(scheduler.update(sampledTokenIds: ["a": 3]).isEmpty)
        #expect(scheduler.request("a")?.outputTokenIds == [])
        #expect(scheduler.request("a")?.numComputedTokens == 8)
    }

    @Test func longPrefillTokenThresholdCapsEachChunk() throws {
        var scheduler = try makeScheduler(maxNumBatchedTokens: 32, longPrefillTokenThreshold: 6)
        try scheduler.addRequest(makeRequest("a", prompt: tokens(20)))
        let chunks = (0..<4).map { _ in scheduler.step().output.numScheduledTokens("a") }
        #expect(chunks == [6, 6, 6, 2])
    }

    @Test func schedulerPreemptsNewestRunningRequestWhenBlocksRunOut() throws {
        // 6 usable blocks of 4 tokens: three 8-token prompts fill them; each first decode needs a third block.
        var scheduler = try makeScheduler(numBlocks: 7, maxNumBatchedTokens: 64)
        for (index, id) in ["a", "b", "c"].enumerated() {
            try scheduler.addRequest(makeRequest(id, prompt: tokens(8, from: 100 * (index + 1))))
        }
        #expect(scheduler.step().output.scheduledIds == ["a", "b", "c"])
        let (output, _) = scheduler.step()
        #expect(output.preemptedRequestIds == ["c"])
        #expect(output.scheduledIds == ["a", "b"])
        let preempted = try #require(scheduler.request("c"))
        #expect(preempted.status == .preempted)
        #expect(preempted.numComputedTokens == 0)
        #expect(preempted.numPreemptions == 1)
        #expect(preempted.outputTokenIds.count == 1)
        #expect(scheduler.waitingRequestIds == ["c"])
        #expect(scheduler.blockIds(of: "c").isEmpty)
        #expect(scheduler.stats.numPreemptions == 1)
    }

    @Test func preemptedRequestGoesToTheFrontOfTheQueueAndResumesFromItsCachedPrefix() throws {
        // 7 usable blocks: after the first step one is free; "b"'s decode preempts "c", taking c's tail block.
        var scheduler = try makeScheduler(numBlocks: 8, maxNumBatchedTokens: 64)
        for (index, id) in ["a", "b", "c"].enumerated() {
            try scheduler.addRequest(makeRequest(id, prompt: tokens(8, from: 100 * (index + 1))))
        }
        scheduler.step()
        try scheduler.addRequest(makeRequest("d", prompt: tokens(4, from: 0)))
        #expect(scheduler.step().output.preemptedRequestIds == ["c"])
        #expect(scheduler.waitingRequestIds == ["c", "d"])
        scheduler.abort(["a", "b"])
        let output = scheduler.step().output
        let resumed = try #require(output.scheduledRequests.first)
        #expect(resumed.requestId == "c")
        #expect(resumed.isNew)
        #expect(resumed.numComputedTokens == 4)  // c's head block survived; 8 prompt + 1 output - 4 to compute
        #expect(resumed.numScheduledTokens == 5)
        #expect(resumed.samplesToken)
        #expect(scheduler.stats.prefixCacheStats.preemptedHits == 4)
        #expect(scheduler.request("c")?.numOutputTokens == 2)
    }

    @Test func waitingRequestsAreAdmittedFirstComeFirstServedWithoutSkipping() throws {
        var scheduler = try makeScheduler(numBlocks: 6, maxNumBatchedTokens: 16)
        try scheduler.addRequest(makeRequest("a", prompt: tokens(12)))
        scheduler.step()
        try scheduler.addRequest(makeRequest("b", prompt: tokens(12, from: 0)))  // needs 3 blocks, 1 is free
        try scheduler.addRequest(makeRequest("c", prompt: [1, 2]))  // would fit, but waits behind b
        #expect(scheduler.step().output.scheduledIds == ["a"])
        #expect(scheduler.waitingRequestIds == ["b", "c"])
    }

    @Test func maxNumSeqsLimitsTheRunningRequests() throws {
        var scheduler = try makeScheduler(maxNumSeqs: 2)
        for id in ["a", "b", "c"] { try scheduler.addRequest(makeRequest(id, prompt: [1, 2, 3])) }
        #expect(scheduler.step().output.scheduledIds == ["a", "b"])
        #expect(scheduler.numRunningRequests == 2)
        #expect(scheduler.numWaitingRequests == 1)
    }

    @Test func siblingsWithTheSamePromptShareItsFullBlocksThroughThePrefixCache() throws {
        var scheduler = try makeScheduler()
        for index in 0..<3 { try scheduler.addRequest(makeRequest("cmpl-0-\(index)", prompt: tokens(10))) }
        let output = scheduler.step().output
        #expect(output.scheduledRequests.map(\.numComputedTokens) == [0, 8, 8])
        #expect(output.scheduledRequests.map(\.numScheduledTokens) == [10, 2, 2])
        let shared = Array(scheduler.blockIds(of: "cmpl-0-0").prefix(2))
        for index in 1..<3 { #expect(Array(scheduler.blockIds(of: "cmpl-0-\(index)").prefix(2)) == shared) }
        #expect(shared.allSatisfy { scheduler.kvCacheManager.blockPool.refCount(of: $0) == 3 })
        #expect(scheduler.request("cmpl-0-1")?.numCachedTokens == 8)
    }

    @Test func abortFreesTheBlocksOfRunningAndWaitingRequests() throws {
        var scheduler = try makeScheduler(maxNumSeqs: 1)
        try scheduler.addRequest(makeRequest("a", prompt: tokens(9)))
        try scheduler.addRequest(makeRequest("b", prompt: tokens(9, from: 0)))
        scheduler.step()
        #expect(scheduler.stats.kvCacheUsage > 0)
        #expect(scheduler.abort(["a", "b", "unknown"]) == ["a", "b"])
        #expect(scheduler.stats.kvCacheUsage == 0)
        #expect(!scheduler.hasUnfinishedRequests)
        #expect(scheduler.request("a") == nil)
        #expect(scheduler.schedule().finishedRequestIds == ["a", "b"])
    }

    @Test func abortBetweenScheduleAndUpdateSkipsTheRequestAndFreesItsBlocks() throws {
        var scheduler = try makeScheduler()
        try scheduler.addRequest(makeRequest("a", prompt: tokens(9)))
        try scheduler.addRequest(makeRequest("b", prompt: tokens(9, from: 0)))
        _ = scheduler.schedule()
        scheduler.abort(["a"])
        #expect(scheduler.blockIds(of: "a").isEmpty)
        let results = scheduler.update(sampledTokenIds: ["a": 1, "b": 2])
        #expect(results.map(\.requestId) == ["b"])
        #expect(scheduler.runningRequestIds == ["b"])
    }

    @Test func finishedRequestsFreeTheirBlocksAndReportTheirReason() throws {
        var scheduler = try makeScheduler()
        try scheduler.addRequest(makeRequest("a", prompt: tokens(6), maxTokens: 2))
        #expect(scheduler.step().results.first?.finishReason == nil)
        let results = scheduler.step().results
        #expect(results == [RequestOutput(requestId: "a", newTokenIds: [7], finishReason: .length, stopReason: nil,
                                          numCachedTokens: 0)])
        #expect(scheduler.kvCacheManager.blockPool.numFreeBlocks == 63)
        #expect(scheduler.schedule().finishedRequestIds == ["a"])
    }

    @Test func aRequestThatFillsTheWholeCacheFinishesWithLength() throws {
        var scheduler = try makeScheduler(numBlocks: 3, maxModelLen: 128)  // 8 slots
        try scheduler.addRequest(makeRequest("a", prompt: tokens(5)))
        var reasons: [FinishReason?] = []
        for _ in 0..<3 { reasons += scheduler.step().results.map(\.finishReason) }
        #expect(reasons == [nil, nil, .length])
        #expect(!scheduler.hasUnfinishedRequests)
    }

    @Test func admissionControlRejectsRequestsPastTheQueueLimit() throws {
        var scheduler = try makeScheduler(maxNumQueuedRequests: 2)
        try scheduler.addRequest(makeRequest("a", prompt: [1]))
        try scheduler.addRequest(makeRequest("b", prompt: [2]))
        #expect(throws: SchedulingError.queueFull(maxNumQueuedRequests: 2)) {
            try scheduler.addRequest(makeRequest("c", prompt: [3]))
        }
        scheduler.step()
        try scheduler.addRequest(makeRequest("c", prompt: [3]))
    }

    @Test func promptsLongerThanTheModelOrTheCacheAreRejected() throws {
        var scheduler = try makeScheduler(numBlocks: 5, maxModelLen: 12)  // 16 cache slots
        #expect(throws: SchedulingError.promptTooLong(numTokens: 12, maxModelLen: 12)) {
            try scheduler.addRequest(makeRequest("a", prompt: tokens(12)))
        }
        try scheduler.addRequest(makeRequest("b", prompt: tokens(11)))
        var large = try makeScheduler(numBlocks: 5, maxModelLen: 128)
        #expect(throws: SchedulingError.promptExceedsCache(numTokens: 16, numCacheTokens: 16)) {
            try large.addRequest(makeRequest("c", prompt: tokens(16)))
        }
        #expect(throws: SchedulingError.emptyPrompt) { try large.addRequest(makeRequest("d", prompt: [])) }
        #expect(throws: SchedulingError.duplicateRequestId("b")) {
            try scheduler.addRequest(makeRequest("b", prompt: [1]))
        }
    }

    @Test func anInvalidConfigThrowsInsteadOfCrashing() {
        #expect(throws: SchedulingError.self) { try makeScheduler(numBlocks: 1) }
        #expect(throws: SchedulingError.self) { try makeScheduler(maxNumBatchedTokens: 0) }
    }

    @Test func firstScheduledTimeComesFromTheInjectedClock() throws {
        let clock = ManualClock()
        var scheduler = try makeScheduler(maxNumSeqs: 1, clock: clock)
        try scheduler.addRequest(Request(requestId: "a", promptTokenIds: [1], maxTokens: 1, arrivalTime: 1))
        try scheduler.addRequest(Request(requestId: "b", promptTokenIds: [1], maxTokens: 5, arrivalTime: 1))
        clock.seconds = 3
        scheduler.step()
        clock.seconds = 4.5
        _ = scheduler.schedule()
        #expect(scheduler.request("b")?.queueTime == 3.5)
    }

    @Test func statsReportQueueLengthsUsageAndScheduledTokens() throws {
        var scheduler = try makeScheduler(numBlocks: 9, maxNumSeqs: 1)
        try scheduler.addRequest(makeRequest("a", prompt: tokens(8)))
        try scheduler.addRequest(makeRequest("b", prompt: [1]))
        _ = scheduler.step()
        let stats = scheduler.stats
        #expect(stats.numRunningRequests == 1)
        #expect(stats.numWaitingRequests == 1)
        #expect(stats.kvCacheUsage == 0.25)
        #expect(stats.numScheduledTokens == 8)
        #expect(stats.prefixCacheStats.queries == 8)
    }
}
