// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryScheduling

/// A seeded random workload against a small cache, checking the scheduler's invariants after every call.
extension SchedulerTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var seed: UInt64
        var enablePrefixCaching = true
        var longPrefillTokenThreshold = 0
        var testDescription: String {
            "seed \(seed), prefix caching \(enablePrefixCaching), threshold \(longPrefillTokenThreshold)"
        }
    }

    static let scenarios = [
        Scenario(seed: 1), Scenario(seed: 2, longPrefillTokenThreshold: 6),
        Scenario(seed: 3, enablePrefixCaching: false), Scenario(seed: 4),
    ]

    /// The fake model's "KV" at a slot: a digest of the whole prefix up to and including that position, so a block
    /// shared between different prefixes (a collision) or overwritten while shared reads back wrong.
    static func prefixDigests(_ tokenIds: [Int], count: Int) -> [UInt64] {
        var digest: UInt64 = 0xCBF2_9CE4_8422_2325
        return tokenIds.prefix(count).map { token in
            digest = (digest ^ UInt64(token + 1)) &* 0x100_0000_01B3
            digest ^= digest >> 29
            return digest
        }
    }

    @Test(arguments: scenarios)
    func randomizedWorkloadKeepsEveryInvariantAndEndsWithEveryBlockFree(_ scenario: Scenario) throws {
        var random = SplitMix64(seed: scenario.seed)
        let vocabulary = 5, eosTokenId = 4
        var scheduler = try makeScheduler(numBlocks: 33, blockSize: 4, maxNumSeqs: 6, maxNumBatchedTokens: 20,
                                          maxModelLen: 72, enablePrefixCaching: scenario.enablePrefixCaching,
                                          maxNumQueuedRequests: 10,
                                          longPrefillTokenThreshold: scenario.longPrefillTokenThreshold)
        let config = scheduler.config
        let sharedPrefixes = (0..<4).map { _ in
            (0..<Int.random(in: 3...24, using: &random)).map { _ in Int.random(in: 0..<vocabulary, using: &random) }
        }
        func randomPrompt() -> [Int] {
            let suffix = (0..<Int.random(in: 0...12, using: &random)).map { _ in
                Int.random(in: 0..<vocabulary, using: &random)
            }
            let prompt = Bool.random(using: &random) ? sharedPrefixes.randomElement(using: &random)! + suffix : suffix
            return prompt.isEmpty ? [0] : prompt
        }
        var kvSlots = Array(repeating: UInt64.max, count: config.numBlocks * config.blockSize)
        var nextId = 0, numRejected = 0, numFinished = 0, numAborted = 0

        func addRandomRequests(count: Int) {
            let prompt = randomPrompt()  // siblings (n > 1) share one prompt
            var parameters = SamplingParameters()
            parameters.ignoreEos = Int.random(in: 0..<5, using: &random) == 0
            parameters.minTokens = Int.random(in: 0...3, using: &random)
            if Int.random(in: 0..<5, using: &random) == 0 { parameters.stopTokenIds = [3] }
            let maxTokens = Int.random(in: 1...30, using: &random)
            for _ in 0..<count {
                let request = Request(requestId: "r\(nextId)", promptTokenIds: prompt, samplingParameters: parameters,
                                      maxTokens: maxTokens, eosTokenIds: [eosTokenId])
                nextId += 1
                do { try scheduler.addRequest(request) } catch .queueFull { numRejected += 1 } catch {
                    Issue.record("unexpected rejection \(error)")
                }
            }
        }
        func abortOneAtRandom() {
            guard let victim = scheduler.unfinishedRequestIds.randomElement(using: &random) else { return }
            numAborted += scheduler.abort([victim]).count
        }

        /// One step with the fake model; false when nothing was scheduled.
        func step(allowAborts: Bool) throws -> Bool {
            let output = scheduler.schedule()
            try checkStep(output, of: scheduler)
            // Store every scheduled token's "KV" first (as a layer stores K/V before attention), then read back.
            var digests: [RequestID: [UInt64]] = [:]
            for scheduled in output.scheduledRequests {
                let request = try #require(scheduler.request(scheduled.requestId))
                let prefix = Self.prefixDigests(request.allTokenIds, count: scheduled.contextLength)
                digests[scheduled.requestId] = prefix
                for position in scheduled.numComputedTokens..<scheduled.contextLength {
                    kvSlots[slot(position, scheduled.blockIds, config.blockSize)] = prefix[position]
                }
            }
            for scheduled in output.scheduledRequests {
                let prefix = digests[scheduled.requestId]!
                for position in 0..<scheduled.contextLength
                where kvSlots[slot(position, scheduled.blockIds, config.blockSize)] != prefix[position] {
                    Issue.record("\(scheduled.requestId) reads wrong KV at position \(position)")
                    return false
                }
            }
            if allowAborts && Int.random(in: 0..<50, using: &random) == 0 { abortOneAtRandom() }  // mid-step abort
            var sampled: [RequestID: Int] = [:]
            for scheduled in output.scheduledRequests where scheduled.samplesToken {
                sampled[scheduled.requestId] = Int.random(in: 0..<vocabulary, using: &random)
            }
            for result in scheduler.update(sampledTokenIds: sampled) {
                #expect(result.newTokenIds == [sampled[result.requestId]!])
                if result.isFinished {
                    numFinished += 1
                    #expect(scheduler.request(result.requestId) == nil)
                }
            }
            try checkState(of: scheduler)
            return !output.isEmpty
        }

        for _ in 0..<3000 {
            switch Int.random(in: 0..<20, using: &random) {
            case 0..<8: addRandomRequests(count: 1)
            case 8: addRandomRequests(count: 3)
            case 9: abortOneAtRandom()
            default: break
            }
            _ = try step(allowAborts: true)
        }
        var drainSteps = 0
        while scheduler.hasUnfinishedRequests {
            #expect(try step(allowAborts: false), "an unfinished request can never be scheduled")
            drainSteps += 1
            try #require(drainSteps < 10_000)
        }

        let pool = scheduler.kvCacheManager.blockPool
        #expect(pool.numFreeBlocks == pool.numUsableBlocks)
        #expect((0..<pool.numBlocks).allSatisfy { pool.refCount(of: $0) == 0 })
        #expect(scheduler.kvCacheManager.requestIds.isEmpty)
        #expect(numFinished + numAborted + numRejected == nextId)
        #expect(scheduler.stats.numPreemptions > 0, "the cache is small enough to force preemption")
        #expect(numRejected > 0, "the queue limit is small enough to reject")
        if scenario.enablePrefixCaching { #expect(scheduler.stats.prefixCacheStats.hits > 0) }
    }
}

private func slot(_ position: Int, _ blockIds: [Int], _ blockSize: Int) -> Int {
    blockIds[position / blockSize] * blockSize + position % blockSize
}

/// Budget, seats and shape of one `SchedulerOutput`.
private func checkStep(_ output: SchedulerOutput, of scheduler: Scheduler) throws {
    let config = scheduler.config
    #expect(output.totalNumScheduledTokens <= config.maxNumBatchedTokens)
    #expect(output.scheduledRequests.count <= config.maxNumSeqs)
    #expect(Set(output.scheduledIds).count == output.scheduledRequests.count)
    for scheduled in output.scheduledRequests {
        #expect(scheduled.numScheduledTokens >= 1)
        #expect(scheduled.tokenIds.count == scheduled.numScheduledTokens)
        #expect(scheduled.blockIds.count * config.blockSize >= scheduled.contextLength)
        #expect(!scheduled.blockIds.contains(BlockPool.nullBlockId))
        if config.longPrefillTokenThreshold > 0 {
            #expect(scheduled.numScheduledTokens <= config.longPrefillTokenThreshold)
        }
    }
    try checkState(of: scheduler)
}

/// Queues, statuses, block ownership and ref counts.
private func checkState(of scheduler: Scheduler) throws {
    let running = scheduler.runningRequestIds, waiting = scheduler.waitingRequestIds
    #expect(running.count <= scheduler.config.maxNumSeqs)
    #expect(Set(running).isDisjoint(with: waiting))
    #expect(Set(running + waiting) == Set(scheduler.requests.keys))
    for requestId in waiting {
        let request = try #require(scheduler.request(requestId))
        #expect(request.status == .waiting || request.status == .preempted)
        #expect(request.numComputedTokens == 0)
    }
    let manager = scheduler.kvCacheManager
    #expect(Set(manager.requestIds) == Set(running), "only running requests hold blocks")
    var owners = Array(repeating: 0, count: manager.blockPool.numBlocks)
    for requestId in running {
        let request = try #require(scheduler.request(requestId))
        let table = manager.blockIds(of: requestId)
        #expect(request.status == .running)
        #expect(Set(table).count == table.count)
        #expect(table.count * manager.blockSize >= request.numComputedTokens)
        for blockId in table { owners[blockId] += 1 }
    }
    let pool = manager.blockPool
    for blockId in 1..<pool.numBlocks {
        #expect(pool.refCount(of: blockId) == owners[blockId], "block \(blockId)")
        if owners[blockId] > 1 { #expect(pool.blockHash(of: blockId) != nil, "shared block \(blockId) is cached") }
    }
    let free = pool.freeBlockIds
    #expect(free.count == pool.numFreeBlocks)
    #expect(Set(free) == Set((1..<pool.numBlocks).filter { owners[$0] == 0 }))
}
