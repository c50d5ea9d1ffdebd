// SPDX-License-Identifier: Apache-2.0
import Synchronization

/// Settings of an `HTTPServer`; every field has a production default.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind: `0.0.0.0`, `::` (IPv6 and IPv4), `127.0.0.1`, `::1`, or a name. Default `0.0.0.0`.
    public var host: String = "0.0.0.0"
    /// TCP port; 0 binds an ephemeral port (read it back from `HTTPServer.localAddress`). Default 8000.
    public var port: Int = 8000
    /// Event loops (serial queues) connections are spread over. Default: the number of online cores.
    public var numberOfEventLoops: Int = Posix.onlineCoreCount()
    /// Pending connections the kernel queues before we accept them. Default 1024.
    public var backlog: Int = 1024
    /// Size limits of a request (431, 414, 413).
    public var limits = HTTPRequestLimits()
    /// Header, idle, body, write and linger timeouts.
    public var timeouts = HTTPTimeouts()
    /// Unsent bytes at which a writer stops being writable. Default 1 MiB.
    public var writeBufferHighWaterMark: Int = 1 << 20
    /// Unsent bytes at which a writer becomes writable again. Default 256 KiB.
    public var writeBufferLowWaterMark: Int = 256 << 10
    /// Unsent bytes beyond which a stream write closes the connection instead of buffering. Default 16 MiB.
    public var maxWriteBufferBytes: Int = 16 << 20
    /// Bytes of pipelined requests buffered while a response is in flight before reading pauses. Default 1 MiB.
    public var maxPipelinedBytes: Int = 1 << 20
    /// Value of the `Server` header, or nil for none. Default nil.
    public var serverName: String?
    /// HTTP/2 (h2c with prior knowledge, h2 through ALPN) and its limits. Enabled by default.
    public var http2 = HTTP2Settings()

    public init(host: String = "0.0.0.0", port: Int = 8000) {
        self.host = host
        self.port = port
    }
}

/// Counters an app exports as metrics; a snapshot taken by `HTTPServer.stats`.
public struct HTTPServerStats: Sendable, Equatable {
    /// Connections open now.
    public var openConnections: Int
    /// Connections accepted since start.
    public var acceptedConnections: Int
    /// Responses started (heads written), by status code, parse errors and timeouts included.
    public var responsesByStatus: [Int: Int]

    /// All responses counted in `responsesByStatus`.
    public var totalResponses: Int { responsesByStatus.values.reduce(0, +) }
}

/// The live counters behind `HTTPServerStats`. Updated from event loops and handler threads.
final class HTTPServerStatsCollector: Sendable {
    let openConnections = Atomic<Int>(0)
    let acceptedConnections = Atomic<Int>(0)
    private let byStatus = Locked<[Int: Int]>.make([:])

    func recordResponse(status: Int) {
        byStatus.withLock { $0[status, default: 0] += 1 }
    }

    func snapshot() -> HTTPServerStats {
        HTTPServerStats(openConnections: openConnections.load(ordering: .relaxed),
                        acceptedConnections: acceptedConnections.load(ordering: .relaxed),
                        responsesByStatus: byStatus.withLock { $0 })
    }
}

/// What every connection of one server shares: settings, the responder, the drain flag and the counters.
final class ServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let stats = HTTPServerStatsCollector()
    private let draining = Atomic<Bool>(false)

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder) {
        self.configuration = configuration
        self.responder = responder
    }

    /// True once `HTTPServer.startDraining()` was called: responses say `Connection: close`.
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func startDraining() { draining.store(true, ordering: .relaxed) }
}
