// SPDX-License-Identifier: Apache-2.0
import FerryEngine
import FerryScheduling
import FoundationEssentials

/// vLLM's Prometheus metrics (names, types, labels `model_name` and `engine`, buckets), plus process and HTTP
/// metrics, so existing dashboards, alerts and HPA adapters work unchanged.
///
/// Per-request histograms are observed as requests finish (any thread); gauges and engine counters are refreshed
/// from `EngineStats` at scrape time.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusRegistry()
    let labels: PrometheusRegistry.Labels
    let modelName: String

    static let ttftBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
                              20, 40, 80, 160, 640, 2560]
    static let interTokenBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5,
                                    10, 20, 40, 80]
    static let requestLatencyBuckets = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240,
                                        480, 960, 1920, 7680]
    static let iterationTokenBuckets: [Double] = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]

    /// vLLM's `build_1_2_5_buckets(max)`: 1, 2, 5, 10, 20, 50, … up to `maximum`.
    static func oneTwoFiveBuckets(upTo maximum: Int) -> [Double] {
        var buckets: [Double] = []
        var exponent = 1.0
        while true {
            for mantissa in [1.0, 2.0, 5.0] {
                let value = mantissa * exponent
                if value > Double(maximum) { return buckets }
                buckets.append(value)
            }
            exponent *= 10
        }
    }

    /// - Parameters:
    ///   - modelName: the first served model name (vLLM's `model_name` label).
    ///   - cacheInfo: `vllm:cache_config_info` labels (block_size, cache_dtype, enable_prefix_caching, num_gpu_blocks…).
    public init(modelName: String, maxModelLen: Int, cacheInfo: [(String, String)]) {
        self.modelName = modelName
        labels = .init([("model_name", modelName), ("engine", "0")])
        let r = registry
        let tokens125 = Self.oneTwoFiveBuckets(upTo: maxModelLen)
        r.register("vllm:num_requests_running", kind: .gauge, help: "Number of requests in model execution batches.")
        r.register("vllm:num_requests_waiting", kind: .gauge, help: "Number of requests waiting to be processed.")
        r.register("vllm:kv_cache_usage_perc", kind: .gauge, help: "KV-cache usage. 1 means 100 percent usage.")
        r.register("vllm:prefix_cache_queries", kind: .counter,
                   help: "Prefix cache queries, in terms of number of queried tokens.")
        r.register("vllm:prefix_cache_hits", kind: .counter,
                   help: "Prefix cache hits, in terms of number of cached tokens.")
        r.register("vllm:num_preemptions", kind: .counter, help: "Cumulative number of preemption from the engine.")
        r.register("vllm:prompt_tokens", kind: .counter, help: "Number of prefill tokens processed.")
        r.register("vllm:generation_tokens", kind: .counter, help: "Number of generation tokens processed.")
        r.register("vllm:request_success", kind: .counter, help: "Count of successfully processed requests.")
        r.register("vllm:request_prompt_tokens", kind: .histogram, help: "Number of prefill tokens processed.",
                   buckets: tokens125)
        r.register("vllm:request_generation_tokens", kind: .histogram,
                   help: "Number of generation tokens processed.", buckets: tokens125)
        r.register("vllm:request_params_max_tokens", kind: .histogram,
                   help: "Histogram of the max_tokens request parameter.", buckets: tokens125)
        r.register("vllm:request_params_n", kind: .histogram, help: "Histogram of the n request parameter.",
                   buckets: [1, 2, 5, 10, 20])
        r.register("vllm:iteration_tokens_total", kind: .histogram, help: "Histogram of number of tokens per engine_step.",
                   buckets: Self.iterationTokenBuckets)
        r.register("vllm:time_to_first_token_seconds", kind: .histogram,
                   help: "Histogram of time to first token in seconds.", buckets: Self.ttftBuckets)
        r.register("vllm:inter_token_latency_seconds", kind: .histogram,
                   help: "Histogram of inter-token latency in seconds.", buckets: Self.interTokenBuckets)
        r.register("vllm:request_time_per_output_token_seconds", kind: .histogram,
                   help: "Histogram of time_per_output_token_seconds per request.", buckets: Self.interTokenBuckets)
        for (name, help) in [
            ("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds."),
            ("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request."),
            ("vllm:request_inference_time_seconds", "Histogram of time spent in RUNNING phase for request."),
            ("vllm:request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request."),
            ("vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request."),
        ] {
            r.register(name, kind: .histogram, help: help, buckets: Self.requestLatencyBuckets)
        }
        r.register("vllm:cache_config_info", kind: .gauge, help: "Information of the LLMEngine CacheConfig")
        r.set("vllm:cache_config_info", 1, labels: .init(cacheInfo + [("engine", "0")]))
        for reason in FerryScheduling.FinishReason.allCases {
            r.increment("vllm:request_success", by: 0, labels: withReason(reason))
        }
        ProcessMetrics.register(in: r)
        r.register("http_requests", kind: .counter, help: "Total number of requests by method, status and handler.")
    }

    private func withReason(_ reason: FerryScheduling.FinishReason) -> PrometheusRegistry.Labels {
        .init(labels.pairs + [("finished_reason", reason.rawValue)])
    }

    /// Records a finished request's histograms and its success counter. Any thread.
    public func requestFinished(_ metrics: RequestMetrics, reason: FerryScheduling.FinishReason, n: Int = 1) {
        let r = registry
        r.increment("vllm:request_success", labels: withReason(reason))
        r.observe("vllm:request_prompt_tokens", Double(metrics.numPromptTokens), labels: labels)
        r.observe("vllm:request_generation_tokens", Double(metrics.numGenerationTokens), labels: labels)
        r.observe("vllm:request_params_max_tokens", Double(metrics.maxTokens), labels: labels)
        r.observe("vllm:request_params_n", Double(n), labels: labels)
        let timings: [(String, Double?)] = [
            ("vllm:time_to_first_token_seconds", metrics.timeToFirstToken),
            ("vllm:e2e_request_latency_seconds", metrics.endToEndLatency),
            ("vllm:request_queue_time_seconds", metrics.queueTime),
            ("vllm:request_inference_time_seconds", metrics.inferenceTime),
            ("vllm:request_prefill_time_seconds", metrics.prefillTime),
            ("vllm:request_decode_time_seconds", metrics.decodeTime),
            ("vllm:request_time_per_output_token_seconds", metrics.timePerOutputToken),
        ]
        for (name, value) in timings { if let value { r.observe(name, value, labels: labels) } }
    }

    /// Records the gap between two tokens of one request. Any thread.
    public func interTokenLatency(_ seconds: Double) {
        registry.observe("vllm:inter_token_latency_seconds", seconds, labels: labels)
    }

    /// Records one engine step's token count (engine thread).
    public func engineStep(numScheduledTokens: Int) {
        registry.observe("vllm:iteration_tokens_total", Double(numScheduledTokens), labels: labels)
    }

    /// Counts one HTTP response.
    public func httpRequest(handler: String, method: String, status: Int) {
        registry.increment("http_requests", labels: .init([("handler", handler), ("method", method),
                                                           ("status", "\(status)")]))
    }

    /// The exposition text, with gauges and engine counters refreshed from `stats`.
    public func render(stats: EngineStats) -> String {
        let r = registry
        r.set("vllm:num_requests_running", Double(stats.scheduler.numRunningRequests), labels: labels)
        r.set("vllm:num_requests_waiting", Double(stats.scheduler.numWaitingRequests), labels: labels)
        r.set("vllm:kv_cache_usage_perc", stats.scheduler.kvCacheUsage, labels: labels)
        r.set("vllm:prefix_cache_queries", Double(stats.scheduler.prefixCacheStats.queries), labels: labels)
        r.set("vllm:prefix_cache_hits", Double(stats.scheduler.prefixCacheStats.hits), labels: labels)
        r.set("vllm:num_preemptions", Double(stats.scheduler.numPreemptions), labels: labels)
        r.set("vllm:prompt_tokens", Double(stats.numPromptTokens), labels: labels)
        r.set("vllm:generation_tokens", Double(stats.numGenerationTokens), labels: labels)
        ProcessMetrics.refresh(in: r)
        return r.render()
    }
}
