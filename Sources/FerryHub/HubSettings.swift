// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import FoundationEssentials

/// Where the hub is, who we are to it, where its cache lives, and the limits of every transfer.
///
/// `HubSettings(environment:)` reads the variables huggingface_hub reads, with its defaults, so a cache filled by
/// Python tools is found and reused (and the other way round).
public struct HubSettings: Sendable {
    /// `HF_ENDPOINT`, default `https://huggingface.co` (no trailing slash).
    public var endpoint: String
    /// `--hf-token`, else `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the file `$HF_TOKEN_PATH` (default
    /// `$HF_HOME/token`, where `huggingface-cli login` writes it).
    public var token: String?
    /// `--download-dir` (vLLM's flag), else `HF_HUB_CACHE`, else `$HF_HOME/hub`; `HF_HOME` defaults to
    /// `$XDG_CACHE_HOME/huggingface`, `XDG_CACHE_HOME` to `~/.cache`.
    public var cacheDirectory: URL
    /// `HF_HUB_OFFLINE` (or transformers' `TRANSFORMERS_OFFLINE`) set to 1/true/yes/on: no network at all.
    public var isOffline: Bool

    // MARK: Limits

    /// Attempts per transfer before a network failure is final (connect errors, timeouts, dropped connections,
    /// 5xx and 429 answers). Each retry of a download resumes with a Range request. Default 5.
    public var maxAttempts = 5
    /// Wait before the first retry, doubled after each (1, 2, 4, 8 s by default), capped at `maxRetryDelay`.
    public var retryDelay: Double = 1
    /// Longest wait between two attempts. Default 16 s.
    public var maxRetryDelay: Double = 16
    /// Seconds to open a connection (TCP and TLS). Default 10.
    public var connectTimeout = 10
    /// A transfer slower than `lowSpeedBytesPerSecond` for `lowSpeedSeconds` is treated as dropped (and resumed).
    /// Default: under 1 kB/s for 30 s.
    public var lowSpeedBytesPerSecond = 1000
    public var lowSpeedSeconds = 30
    /// Whole-request limit of metadata requests (the API, HEAD), seconds. Default 60. Downloads have none: a big
    /// file may take hours, the low-speed limit catches a stalled one.
    public var metadataTimeout = 60
    /// Largest JSON body read from the hub (model info, an index): 16 MiB; larger is a bad response.
    public var maxMetadataBytes = 16 << 20
    /// Most files a repo listing may hold: 100,000 (the hub's own limit per repo is lower).
    public var maxRepoFiles = 100_000
    /// Most redirects followed for one file (the hub redirects LFS files to its CDN, which may redirect again).
    public var maxRedirects = 10
    /// Seconds between two progress lines of one file. Default 5.
    public var progressInterval: Double = 5

    public init(endpoint: String = "https://huggingface.co", token: String? = nil, cacheDirectory: URL,
                isOffline: Bool = false)
    {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.token = token
        self.cacheDirectory = cacheDirectory
        self.isOffline = isOffline
    }

    /// The settings huggingface_hub would use in this environment, with the command line's overrides.
    /// - Parameters:
    ///   - token: `--hf-token`; wins over the environment.
    ///   - downloadDirectory: `--download-dir`; wins over `HF_HUB_CACHE`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, token: String? = nil,
                downloadDirectory: String? = nil)
    {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let home = value("HOME") ?? FileManager.default.homeDirectoryForCurrentUser.path
        func expanded(_ path: String) -> String {
            path.hasPrefix("~/") ? home + path.dropFirst() : path
        }
        let xdgCache = value("XDG_CACHE_HOME").map(expanded) ?? home + "/.cache"
        let hfHome = value("HF_HOME").map(expanded) ?? xdgCache + "/huggingface"
        let cache = downloadDirectory.map(expanded) ?? value("HF_HUB_CACHE").map(expanded) ?? hfHome + "/hub"
        let fileToken = (try? String(contentsOfFile: value("HF_TOKEN_PATH").map(expanded) ?? hfHome + "/token",
                                     encoding: .utf8))?.trimmingWhitespace()
        let resolvedToken = [token, value("HF_TOKEN"), value("HUGGING_FACE_HUB_TOKEN"), fileToken]
            .compactMap { $0?.trimmingWhitespace() }.first { !$0.isEmpty }
        let truthy: Set<String> = ["1", "on", "yes", "true"]
        let offline = [value("HF_HUB_OFFLINE"), value("TRANSFORMERS_OFFLINE")]
            .contains { $0.map { truthy.contains($0.lowercased()) } ?? false }
        self.init(endpoint: value("HF_ENDPOINT") ?? "https://huggingface.co", token: resolvedToken,
                  cacheDirectory: URL(fileURLWithPath: cache, isDirectory: true), isOffline: offline)
    }

    /// The wait before attempt `attempt` (1-based; the first attempt waits nothing).
    func delay(beforeAttempt attempt: Int) -> Double {
        attempt <= 1 ? 0 : min(maxRetryDelay, retryDelay * Double(1 << min(attempt - 2, 20)))
    }
}
