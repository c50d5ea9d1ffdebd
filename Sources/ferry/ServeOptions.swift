// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import FerryHTTP
import FerryKernels
import FoundationEssentials

/// `ferry serve`'s flags, with vLLM's names and defaults (VLLM-COMPAT §2) where vLLM has the flag.
struct ServeOptions: ParsableArguments {
    // MARK: Frontend
    @Option(help: "Address to listen on (all interfaces by default, IPv4 and IPv6).")
    var host = "0.0.0.0"

    @Option(help: "Port to listen on.")
    var port = 8000

    @Option(parsing: .upToNextOption, help: "Names the model is served under; the first labels the metrics.")
    var servedModelName: [String] = []

    @Option(parsing: .upToNextOption,
            help: "API keys required as 'Authorization: Bearer KEY' on /v1 routes (else $VLLM_API_KEY or $FERRY_API_KEY).")
    var apiKey: [String] = []

    @Option(help: "CORS allowed origins, a JSON list (vLLM's default [\"*\"]).")
    var allowedOrigins = "[\"*\"]"

    @Option(help: "CORS allowed methods, a JSON list.")
    var allowedMethods = "[\"*\"]"

    @Option(help: "CORS allowed headers, a JSON list.")
    var allowedHeaders = "[\"*\"]"

    @Flag(help: "Allow credentials in CORS responses.")
    var allowCredentials = false

    @Option(help: "A Jinja chat template file (or inline template) used instead of the model's.")
    var chatTemplate: String?

    @Option(help: "Where sampling defaults come from: 'auto' (the model's generation_config.json), 'vllm' (none), or a folder.")
    var generationConfig = "auto"

    @Flag(inversion: .prefixedEnableDisable, help: "Log every request's prompt and parameters.")
    var logRequests = false

    @Option(help: "Log format: text or json.")
    var logFormat = "text"

    @Option(help: "Seconds between SSE keep-alive comments while a stream waits (0 = off).")
    var sseKeepAliveInterval: Double = 0

    @Option(help: "Largest request body accepted, in bytes (larger gets 413).")
    var maxRequestBodyBytes = 32 << 20

    @Flag(inversion: .prefixedEnableDisable,
          help: "Serve HTTP/2 besides HTTP/1.1: h2c with prior knowledge on the same port (h2 through ALPN with TLS).")
    var http2 = true

    @Option(help: "HTTP/2 streams a client may have open on one connection (SETTINGS_MAX_CONCURRENT_STREAMS).")
    var http2MaxConcurrentStreams = 100

    // MARK: TLS
    @Option(help: "PEM private key file; serve HTTPS (default: the key inside --ssl-certfile).")
    var sslKeyfile: String?

    @Option(help: "PEM certificate chain file; given, the server speaks HTTPS (TLS 1.2 and 1.3).")
    var sslCertfile: String?

    @Option(help: "PEM CA certificates that client certificates are verified against.")
    var sslCaCerts: String?

    @Option(help: "Client certificates: 0 = not asked (CERT_NONE), 1 = optional, 2 = required.")
    var sslCertReqs = 0

    @Option(help: "OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites keep OpenSSL's defaults).")
    var sslCiphers: String?

    @Flag(help: "Reload the certificate when its files change (SIGHUP reloads in any case).")
    var enableSslRefresh = false

    // MARK: Engine
    @Option(help: "Context length (default: the model's max_position_embeddings).")
    var maxModelLen: Int?

    @Option(help: "Most sequences in one batch.")
    var maxNumSeqs = 128

    @Option(help: "Token budget of one engine step (prefill chunks and decodes together).")
    var maxNumBatchedTokens = 2048

    @Option(help: "Tokens per KV-cache block.")
    var blockSize = 16

    @Option(help: "KV-cache size in bytes (default: --kv-cache-memory-fraction of available memory).")
    var kvCacheMemoryBytes: Int?

    @Option(help: "Fraction of available memory for the KV cache when --kv-cache-memory-bytes is not given.")
    var kvCacheMemoryFraction = 0.25

    @Option(help: "Most requests waiting for a seat; beyond it new requests get 503 with Retry-After.")
    var maxNumQueuedRequests = 1024

    @Flag(inversion: .prefixedEnableDisable, help: "Automatic prefix caching.")
    var prefixCaching = true

    @Option(help: "Default seed of requests that give none.")
    var seed = 0

    @Option(help: "Weights dtype: auto, float32 (others are accepted and run as auto on CPU).")
    var dtype = "auto"

    @Option(help: "Compute threads (default: the cores available to the process).")
    var threads: Int?

    @Option(help: "Where the model runs: auto (a GPU when its kernel library and a device are present, else the CPU), cpu, cuda or hip.")
    var device: ComputeDevice = .auto

    @Option(help: "On a GPU: the fraction of the device's memory this server may use (weights, activations, KV cache); the KV cache gets what is left (default 0.9).")
    var gpuMemoryUtilization: Double?

    // MARK: Shutdown
    @Option(help: "On SIGTERM/SIGINT: 'immediate' aborts in-flight requests; 'drain' lets them finish.")
    var shutdownMode = "immediate"

    @Option(help: "Seconds a drain waits for in-flight requests before aborting them.")
    var shutdownDrainTimeout: Double = 120

    @Option(help: "vLLM's spelling: 0 = immediate, N > 0 = drain for N seconds.")
    var shutdownTimeout: Double?

    // MARK: vLLM flags accepted for compatibility
    @Flag(help: .hidden) var trustRemoteCode = false
    @Option(help: .hidden) var tensorParallelSize = 1
    @Flag(help: .hidden) var enforceEager = false
    @Flag(help: .hidden) var disableLogStats = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535") }
        guard ["immediate", "drain"].contains(shutdownMode) else {
            throw ValidationError("--shutdown-mode must be 'immediate' or 'drain'")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        guard tensorParallelSize == 1 else {
            throw ValidationError("--tensor-parallel-size \(tensorParallelSize): Ferry runs one model replica per "
                + "process on one device; run more replicas instead")
        }
        if let shutdownTimeout, shutdownTimeout < 0 { throw ValidationError("--shutdown-timeout must be ≥ 0") }
        guard shutdownDrainTimeout >= 0 else { throw ValidationError("--shutdown-drain-timeout must be ≥ 0") }
        guard blockSize > 0, blockSize <= 256 else { throw ValidationError("--block-size must be in 1...256") }
        guard maxNumSeqs > 0, maxNumBatchedTokens > 0 else {
            throw ValidationError("--max-num-seqs and --max-num-batched-tokens must be positive")
        }
        if let maxModelLen, maxModelLen < 1 { throw ValidationError("--max-model-len must be positive") }
        guard kvCacheMemoryFraction > 0, kvCacheMemoryFraction <= 1 else {
            throw ValidationError("--kv-cache-memory-fraction must be in (0, 1]")
        }
        if let gpuMemoryUtilization, !(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1) {
            throw ValidationError("--gpu-memory-utilization must be in (0, 1]")
        }
        guard (1...1_000_000).contains(http2MaxConcurrentStreams) else {
            throw ValidationError("--http2-max-concurrent-streams must be in 1...1000000")
        }
        guard (0...2).contains(sslCertReqs) else { throw ValidationError("--ssl-cert-reqs must be 0, 1 or 2") }
        if sslCertfile == nil {
            for (flag, given) in [("--ssl-keyfile", sslKeyfile != nil), ("--ssl-ca-certs", sslCaCerts != nil),
                                  ("--ssl-ciphers", sslCiphers != nil), ("--enable-ssl-refresh", enableSslRefresh),
                                  ("--ssl-cert-reqs", sslCertReqs != 0)] where given {
                throw ValidationError("\(flag) needs --ssl-certfile (the server's certificate)")
            }
        }
        guard maxRequestBodyBytes > 0 else { throw ValidationError("--max-request-body-bytes must be positive") }
        guard ["auto", "float32", "float", "float16", "half", "bfloat16"].contains(dtype) else {
            throw ValidationError("--dtype must be auto, float32, float16 or bfloat16")
        }
    }

    /// The effective shutdown behaviour: `--shutdown-timeout` (vLLM) wins when given.
    var drainTimeout: Double? {
        if let shutdownTimeout { return shutdownTimeout > 0 ? shutdownTimeout : nil }
        return shutdownMode == "drain" ? shutdownDrainTimeout : nil
    }

    /// The TLS credentials' files, or nil to serve plain HTTP.
    var tlsConfiguration: TLSConfiguration? {
        guard let sslCertfile else { return nil }
        return TLSConfiguration(certificateChainFile: sslCertfile, privateKeyFile: sslKeyfile,
                                caCertificatesFile: sslCaCerts,
                                clientCertificates: .init(rawValue: sslCertReqs) ?? .none, ciphers: sslCiphers)
    }

    /// API keys from the flag, else the environment.
    var apiKeys: [String] {
        if !apiKey.isEmpty { return apiKey }
        let environment = ProcessInfo.processInfo.environment
        return [environment["VLLM_API_KEY"], environment["FERRY_API_KEY"]].compactMap { $0 }.filter { !$0.isEmpty }
    }
}
