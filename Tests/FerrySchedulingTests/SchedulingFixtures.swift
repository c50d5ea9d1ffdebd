// SPDX-License-Identifier: Apache-2.0
@testable import FerryScheduling

/// A clock the test moves by hand.
final class ManualClock: SchedulerClock {
    var seconds = 0.0
    func now() -> Double { seconds }
}

/// SplitMix64: a tiny seeded generator, so a failing randomized run can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A request with defaults that never stop early: no EOS, generous `maxTokens`.
func makeRequest(_ requestId: RequestID, prompt: [Int], maxTokens: Int = 100, eosTokenIds: Set<Int> = [],
                 configure: (inout SamplingParameters) -> Void = { _ in }) -> Request
{
    var parameters = SamplingParameters()
    configure(&parameters)
    return Request(requestId: requestId, promptTokenIds: prompt, samplingParameters: parameters,
                   maxTokens: maxTokens, eosTokenIds: eosTokenIds)
}

/// Token ids `start ..< start + count`: prompts whose blocks are all distinct.
func tokens(_ count: Int, from start: Int = 1000) -> [Int] { Array(start..<(start + count)) }

func makeScheduler(numBlocks: Int = 64, blockSize: Int = 4, maxNumSeqs: Int = 8, maxNumBatchedTokens: Int = 32,
                   maxModelLen: Int = 128, enablePrefixCaching: Bool = true, maxNumQueuedRequests: Int? = nil,
                   longPrefillTokenThreshold: Int = 0, clock: any SchedulerClock = ManualClock()) throws -> Scheduler
{
    var config = SchedulerConfig(numBlocks: numBlocks, maxModelLen: maxModelLen)
    config.blockSize = blockSize
    config.maxNumSeqs = maxNumSeqs
    config.maxNumBatchedTokens = maxNumBatchedTokens
    config.enablePrefixCaching = enablePrefixCaching
    config.maxNumQueuedRequests = maxNumQueuedRequests
    config.longPrefillTokenThreshold = longPrefillTokenThreshold
    return try Scheduler(config: config, clock: clock)
}

extension Scheduler {
    /// One step with a "model" that samples `token` for every request that samples.
    @discardableResult
    mutating func step(sampling token: Int = 7) -> (output: SchedulerOutput, results: [RequestOutput]) {
        let output = schedule()
        var sampled: [RequestID: Int] = [:]
        for scheduled in output.scheduledRequests where scheduled.samplesToken { sampled[scheduled.requestId] = token }
        return (output, update(sampledTokenIds: sampled))
    }
}

extension SchedulerOutput {
    /// Tokens scheduled for `requestId` this step (0 when not scheduled).
    func numScheduledTokens(_ requestId: RequestID) -> Int {
        scheduledRequests.first { $0.requestId == requestId }?.numScheduledTokens ?? 0
    }
    var scheduledIds: [RequestID] { scheduledRequests.map(\.requestId) }
}
