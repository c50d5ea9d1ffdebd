// SPDX-License-Identifier: Apache-2.0

/// The server options the handlers and middleware read. Set once at startup.
public struct ServingSettings: Sendable {
    /// `--served-model-name` values; the first names responses and metrics.
    public var servedModelNames: [String]
    /// `--api-key` values (or `VLLM_API_KEY` / `FERRY_API_KEY`); empty: no authentication.
    public var apiKeys: [String] = []
    /// `--allowed-origins` (["*"] = any).
    public var allowedOrigins: [String] = ["*"]
    public var allowedMethods: [String] = ["*"]
    public var allowedHeaders: [String] = ["*"]
    public var allowCredentials = false
    /// Seconds between `: keep-alive` SSE comments; 0 = off.
    public var sseKeepAliveInterval: Double = 0
    /// `--max-logprobs`.
    public var maxLogprobs = 20
    /// `--enable-log-requests`.
    public var logRequests = false
    /// Seconds clients are told to wait (`Retry-After`) while loading or draining.
    public var retryAfterSeconds = 5

    public init(servedModelNames: [String]) {
        self.servedModelNames = servedModelNames
    }
}
