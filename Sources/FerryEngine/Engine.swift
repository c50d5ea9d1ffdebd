// SPDX-License-Identifier: Apache-2.0
import Dispatch
import FerryKernels
import FerryModel
import FerryScheduling
import FoundationEssentials

/// The engine: one dedicated thread that owns the scheduler, the model runner and the KV cache, and loops
/// drain inbox → schedule → build batch → forward → sample → update → publish, sleeping when there is no work.
///
/// Other threads talk to it through `submit` and `abort`, which only append to a lock-protected inbox; every
/// `GenerationEvent` is delivered on the engine thread, so sinks must hand work elsewhere quickly.
/// `@unchecked Sendable`: `inbox`, `isStopping` and `latestStats` are guarded by `condition`; `scheduler`, `sinks`
/// and `runner` are touched only by the engine thread.
public final class Engine: @unchecked Sendable {
    public typealias Sink = @Sendable (GenerationEvent) -> Void

    enum Command {
        case add(GenerationRequest, Sink)
        case abort(RequestID)
    }

    public let configuration: SchedulerConfig
    private let condition = PosixLock()
    private var inbox: [Command] = []
    private var isStopping = false
    private var latestStats = EngineStats()
    private var isStarted = false
    private let finished = DispatchSemaphore(value: 0)

    // Engine thread only.
    private var scheduler: Scheduler
    private let runner: ModelRunner
    private var sinks: [RequestID: Sink] = [:]
    private var metrics: [RequestID: RequestMetrics] = [:]
    private var counters = EngineStats()
    /// Called on the engine thread after each step with the number of tokens it computed.
    private let onStep: (@Sendable (Int) -> Void)?

    /// - Parameters:
    ///   - model: the loaded model.
    ///   - configuration: scheduler limits; `numBlocks` KV blocks are allocated now.
    /// - Throws: `KernelError` when the KV cache cannot be allocated.
    public init(model: TransformerModel, configuration: SchedulerConfig,
                onStep: (@Sendable (_ numScheduledTokens: Int) -> Void)? = nil) throws
    {
        self.configuration = configuration
        self.onStep = onStep
        scheduler = try Scheduler(config: configuration)
        runner = ModelRunner(model: model, cache: try model.makeKVCache(numBlocks: configuration.numBlocks,
                                                                        blockSize: configuration.blockSize))
    }

    /// Starts the engine thread. Call once.
    public func start() {
        isStarted = true
        PosixThread.start(name: "ferry-engine") { [self] in
            run()
            finished.signal()
        }
    }

    /// Queues a request; its events arrive on `sink` from the engine thread. Callable from any thread.
    public func submit(_ request: GenerationRequest, sink: @escaping Sink) {
        condition.lock()
        defer { condition.unlock() }
        guard !isStopping else {
            sink(.finished(.abort, stopReason: nil, metrics: nil))
            return
        }
        inbox.append(.add(request, sink))
        condition.signal()
    }

    /// Aborts a request (client gone, stop string matched): its blocks are freed before the next step and its sink
    /// gets `.finished(.abort)`. Unknown or finished ids are ignored. Callable from any thread.
    public func abort(_ requestId: RequestID) {
        condition.lock()
        inbox.append(.abort(requestId))
        condition.signal()
        condition.unlock()
    }

    /// Aborts everything, stops the thread and waits for it. Callable from any thread but the engine's.
    public func stop() {
        condition.lock()
        isStopping = true
        condition.signal()
        condition.unlock()
        if isStarted { finished.wait() }
        isStarted = false
    }

    /// The figures of the last finished step. Callable from any thread.
    public var stats: EngineStats {
        condition.lock()
        defer { condition.unlock() }
        return latestStats
    }

    // MARK: - Engine thread

    private func run() {
        while true {
            condition.lock()
            while inbox.isEmpty && !isStopping && !scheduler.hasUnfinishedRequests { condition.wait() }
            let commands = inbox
            inbox.removeAll(keepingCapacity: true)
            let stopping = isStopping
            condition.unlock()

            apply(commands)
            if stopping {
                finish(scheduler.abort(scheduler.unfinishedRequestIds), reason: .abort)
                publishStats()
                return
            }
            step()
            publishStats()
        }
    }

    private func apply(_ commands: [Command]) {
        var aborted: [RequestID] = []
        for command in commands {
            switch command {
            case .add(let generation, let sink):
                let now = Self.now()
                let request = Request(requestId: generation.requestId, promptTokenIds: generation.promptTokenIds,
                                      samplingParameters: generation.samplingParameters,
                                      maxTokens: generation.maxTokens, eosTokenIds: generation.eosTokenIds,
                                      arrivalTime: now)
                do {
                    try scheduler.addRequest(request)
                    sinks[generation.requestId] = sink
                    metrics[generation.requestId] = RequestMetrics(
                        arrivalTime: generation.arrivalTime ?? now, numPromptTokens: generation.promptTokenIds.count,
                        maxTokens: generation.maxTokens)
                } catch {
                    sink(.rejected(error))
                }
            case .abort(let requestId):
                aborted.append(requestId)
            }
        }
        if !aborted.isEmpty { finish(scheduler.abort(aborted), reason: .abort) }
    }

    /// One step: schedule, run, sample, update, publish.
    private func step() {
        let output = scheduler.schedule()
        guard !output.isEmpty else {
            // Requests exist but none can run now (nothing fits): wait for an abort or a finish.
            condition.lock()
            if inbox.isEmpty && !isStopping { condition.wait(seconds: 0.005) }
            condition.unlock()
            return
        }
        let sampled: [RequestID: SampledToken]
        do {
            sampled = try runner.execute(output, requests: { self.scheduler.request($0) })
        } catch {
            // A kernel refused the batch: end the step's requests rather than loop on the same batch.
            finish(scheduler.abort(output.scheduledRequests.map(\.requestId)), reason: .abort)
            return
        }
        let now = Self.now()
        for scheduled in output.scheduledRequests where metrics[scheduled.requestId]?.firstScheduledTime == nil {
            metrics[scheduled.requestId]?.firstScheduledTime = now
        }
        counters.numSteps += 1
        counters.numScheduledTokens += output.totalNumScheduledTokens
        onStep?(output.totalNumScheduledTokens)
        for output in scheduler.update(sampledTokenIds: sampled.mapValues(\.id)) {
            guard let sink = sinks[output.requestId] else { continue }
            for tokenId in output.newTokenIds {
                let token = sampled[output.requestId].flatMap { $0.id == tokenId ? $0 : nil }
                    ?? SampledToken(id: tokenId, logprob: 0, topLogprobs: [])
                if metrics[output.requestId]?.firstTokenTime == nil {
                    metrics[output.requestId]?.firstTokenTime = Self.now()
                    metrics[output.requestId]?.numCachedTokens = output.numCachedTokens
                    counters.numPromptTokens += metrics[output.requestId]?.numPromptTokens ?? 0
                }
                metrics[output.requestId]?.numGenerationTokens += 1
                sink(.token(token, numCachedTokens: output.numCachedTokens))
                counters.numGenerationTokens += 1
            }
            if let reason = output.finishReason { finish([output.requestId], reason: reason, stopReason: output.stopReason) }
        }
    }

    private func finish(_ requestIds: [RequestID], reason: FinishReason, stopReason: Int? = nil) {
        let now = Self.now()
        for requestId in requestIds {
            var record = metrics.removeValue(forKey: requestId)
            record?.finishedTime = now
            sinks.removeValue(forKey: requestId)?(.finished(reason, stopReason: stopReason, metrics: record))
            runner.release(requestId)
            counters.numFinished[reason, default: 0] += 1
        }
    }

    /// Seconds on the monotonic clock.
    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private func publishStats() {
        var stats = counters
        stats.scheduler = scheduler.stats
        condition.lock()
        latestStats = stats
        condition.unlock()
    }
}
