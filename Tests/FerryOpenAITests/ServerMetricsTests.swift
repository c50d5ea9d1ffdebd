// SPDX-License-Identifier: Apache-2.0
import FerryEngine
import FerryScheduling
import Testing
@testable import FerryOpenAI

@Suite struct ServerMetricsTests {
    @Test func oneTwoFiveBucketsStopAtTheMaximumModelLength() {
        #expect(ServerMetrics.oneTwoFiveBuckets(upTo: 512) == [1, 2, 5, 10, 20, 50, 100, 200, 500])
    }

    @Test func exportsVLLMNamesLabelsAndHistogramSeries() {
        let metrics = ServerMetrics(modelName: "smol", maxModelLen: 8192,
                                    cacheInfo: [("block_size", "16"), ("enable_prefix_caching", "True")])
        var request = RequestMetrics(arrivalTime: 10, numPromptTokens: 7, maxTokens: 16)
        request.firstScheduledTime = 10.25
        request.firstTokenTime = 10.5
        request.finishedTime = 11.5
        request.numGenerationTokens = 5
        metrics.requestFinished(request, reason: .stop)
        metrics.interTokenLatency(0.03)
        var stats = EngineStats()
        stats.scheduler.numRunningRequests = 3
        stats.numGenerationTokens = 42
        let text = metrics.render(stats: stats)
        let label = "model_name=\"smol\",engine=\"0\""
        #expect(text.contains("# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{\(label)} 3.0\n"))
        #expect(text.contains("vllm:generation_tokens_total{\(label)} 42.0\n"))
        #expect(text.contains("vllm:request_success_total{\(label),finished_reason=\"stop\"} 1.0\n"))
        #expect(text.contains("vllm:request_success_total{\(label),finished_reason=\"abort\"} 0.0\n"))
        #expect(text.contains("vllm:time_to_first_token_seconds_bucket{\(label),le=\"0.5\"} 1\n"))
        #expect(text.contains("vllm:time_to_first_token_seconds_bucket{\(label),le=\"0.25\"} 0\n"))
        #expect(text.contains("vllm:time_to_first_token_seconds_count{\(label)} 1\n"))
        #expect(text.contains("vllm:request_queue_time_seconds_sum{\(label)} 0.25\n"))
        #expect(text.contains("vllm:inter_token_latency_seconds_bucket{\(label),le=\"+Inf\"} 1\n"))
        #expect(text.contains("vllm:cache_config_info{block_size=\"16\",enable_prefix_caching=\"True\",engine=\"0\"} 1.0"))
        #expect(text.contains("# TYPE process_resident_memory_bytes gauge\n"))
    }
}
