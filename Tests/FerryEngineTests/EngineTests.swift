// SPDX-License-Identifier: Apache-2.0
import FerryKernels
import FerryModel
import FerryScheduling
import Foundation
import TestSupport
import Testing
@testable import FerryEngine

/// Collects the events of many requests from the engine thread.
final class EventCollector: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var tokens: [RequestID: [SampledToken]] = [:]
    private var reasons: [RequestID: FinishReason] = [:]
    private let done: DispatchSemaphore = DispatchSemaphore(value: 0)

    func sink(for id: RequestID) -> Engine.Sink {
        { event in
            self.lock.lock()
            defer { self.lock.unlock() }
            switch event {
            case .token(let token, _): self.tokens[id, default: []].append(token)
            case .finished(let reason, _, _):
                self.reasons[id] = reason
                self.done.signal()
            case .rejected: self.reasons[id] = .abort; self.done.signal()
            }
        }
    }

    func wait(for count: Int, timeout: Double = 120) -> Bool {
        (0..<count).allSatisfy { _ in done.wait(timeout: .now() + timeout) == .success }
    }

    func result(_ id: RequestID) -> ([SampledToken], FinishReason?) {
        lock.lock()
        defer { lock.unlock() }
        return (tokens[id] ?? [], reasons[id])
    }
}

/// The backend these tests run on: the CPU, or the GPU named by `FERRY_TEST_DEVICE=cuda|hip` (the kernel library
/// from `FERRY_KERNELS_PATH`, e.g. `.build/gpu`), so the same fixtures and tolerances check a GPU backend.
func testBackend(threads: Int) throws -> any ComputeBackend {
    let name = ProcessInfo.processInfo.environment["FERRY_TEST_DEVICE"] ?? "cpu"
    let device = try #require(ComputeDevice(rawValue: name), "FERRY_TEST_DEVICE must be cpu, cuda or hip")
    return try DeviceSelection.open(device, threads: threads).backend
}

@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared/models/stories260K"))
struct EngineTests {
    let model: TransformerModel

    init() throws {
        model = try TransformerModel.load(path: try #require(SharedData.path("models/stories260K")).path,
                                          backend: testBackend(threads: 2))
    }

    /// 32 prompts of 1 to 150 tokens (some sharing a prefix) with 4 to 40 greedy tokens each.
    func requests() -> [GenerationRequest] {
        var generator = RandomGenerator(seed: 11)
        let shared = (0..<40).map { _ in Int.random(in: 3..<512, using: &generator) }
        return (0..<32).map { index in
            let length = [1, 5, 17, 33, 150][index % 5] + index
            var prompt = [1] + (1..<length).map { _ in Int.random(in: 3..<512, using: &generator) }
            if index % 4 == 0 { prompt = [1] + shared + prompt.dropFirst() }
            var parameters = SamplingParameters()
            parameters.temperature = 0
            parameters.ignoreEos = true
            parameters.logprobs = 2
            return GenerationRequest(requestId: "r\(index)", promptTokenIds: prompt, samplingParameters: parameters,
                                     maxTokens: 4 + (index * 7) % 37)
        }
    }

    /// Each request alone, one sequence at a time.
    func referenceOutputs(_ requests: [GenerationRequest]) throws -> [[SampledToken]] {
        try requests.map { request in
            var tokens: [SampledToken] = []
            _ = try BatchGenerator(model: model).generate([
                .init(promptTokenIds: request.promptTokenIds, parameters: request.samplingParameters,
                      maxTokens: request.maxTokens, stopTokenIds: []),
            ]) { _, token in tokens.append(token) }
            return tokens
        }
    }

    /// Tokens agree up to the first step where the reference's top two were a near-tie (batch shapes change fp
    /// rounding); after such a step the sequences may rightly differ.
    func expectSameTokens(_ got: [SampledToken], _ expected: [SampledToken], _ id: String) {
        #expect(got.count == expected.count, "\(id): \(got.count) tokens, expected \(expected.count)")
        for (step, (a, b)) in zip(got, expected).enumerated() where a.id != b.id {
            let margin = b.topLogprobs.count == 2 ? b.topLogprobs[0].logprob - b.topLogprobs[1].logprob : 0
            #expect(margin < 1e-3, "\(id) differs at step \(step) with a clear margin \(margin)")
            return
        }
    }

    func run(_ requests: [GenerationRequest], config: SchedulerConfig) throws -> (EventCollector, EngineStats) {
        let engine = try Engine(model: model, configuration: config)
        engine.start()
        let collector = EventCollector()
        for request in requests { engine.submit(request, sink: collector.sink(for: request.requestId)) }
        #expect(collector.wait(for: requests.count))
        engine.stop()  // publishes the stats of the last step
        return (collector, engine.stats)
    }

    @Test func concurrentGreedyRequestsProduceTheTokensOfEachRunAlone() throws {
        let requests = requests()
        let expected = try referenceOutputs(requests)
        var config = SchedulerConfig(numBlocks: 1024, maxModelLen: 512)
        config.maxNumBatchedTokens = 128  // long prompts prefill in chunks while others decode
        let (collector, stats) = try run(requests, config: config)
        for (request, reference) in zip(requests, expected) {
            let (tokens, reason) = collector.result(request.requestId)
            #expect(reason == .length)
            expectSameTokens(tokens, reference, request.requestId)
        }
        #expect(stats.scheduler.kvCacheUsage == 0)
    }

    @Test func aSmallCachePreemptsAndEveryRequestStillCompletesCorrectly() throws {
        let requests = Array(requests().prefix(16))
        let expected = try referenceOutputs(requests)
        var config = SchedulerConfig(numBlocks: 24, maxModelLen: 512)
        config.maxNumBatchedTokens = 256
        let (collector, stats) = try run(requests, config: config)
        #expect(stats.scheduler.numPreemptions > 0)
        for (request, reference) in zip(requests, expected) {
            let (tokens, reason) = collector.result(request.requestId)
            #expect(reason == .length)
            expectSameTokens(tokens, reference, request.requestId)
        }
    }
}
