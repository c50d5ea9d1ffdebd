// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import Dispatch
import FerryEngine
import FerryHTTP
import FerryKernels
import FerryOpenAI
import FerryScheduling
import FerryTokenizer
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The life of `ferry serve`: bind first, load the model in the background (probes answer meanwhile), serve,
/// and on SIGTERM/SIGINT shut down immediately or by draining.
///
/// `@unchecked Sendable`: `isShuttingDown` is guarded by `lock`; everything else is set in `init`.
final class ServerRuntime: @unchecked Sendable {
    let modelPath: String
    let options: ServeOptions
    let hub: HubOptions
    let logger: Logger
    let context: ServingContext
    let server: HTTPServer
    private let lock = PosixLock()
    private var isShuttingDown = false
    private let signalQueue = DispatchQueue(label: "ferry.signals")
    private var signalSources: [any DispatchSourceSignal] = []
    private let tlsReloader: TLSReloader?

    init(modelPath: String, options: ServeOptions, hub: HubOptions, logger: Logger) throws {
        self.modelPath = modelPath
        self.options = options
        self.hub = hub
        self.logger = logger
        var settings = ServingSettings(servedModelNames: options.servedModelName.isEmpty ? [modelPath]
                                           : options.servedModelName)
        settings.apiKeys = options.apiKeys
        settings.allowedOrigins = try Self.jsonList(options.allowedOrigins, flag: "--allowed-origins")
        settings.allowedMethods = try Self.jsonList(options.allowedMethods, flag: "--allowed-methods")
        settings.allowedHeaders = try Self.jsonList(options.allowedHeaders, flag: "--allowed-headers")
        settings.allowCredentials = options.allowCredentials
        settings.sseKeepAliveInterval = options.sseKeepAliveInterval
        settings.logRequests = options.logRequests
        let metrics = ServerMetrics(
            modelName: settings.servedModelNames[0], maxModelLen: options.maxModelLen ?? 8192,
            cacheInfo: [("block_size", "\(options.blockSize)"), ("cache_dtype", "auto"),
                        ("enable_prefix_caching", options.prefixCaching ? "True" : "False")])
        let log = logger
        context = ServingContext(settings: settings, metrics: metrics) { level, message, fields in
            let metadata = fields.mapValues { Logger.MetadataValue.string($0) }
            log.log(level: Logger.Level(rawValue: level) ?? .info, "\(message)", metadata: metadata)
        }
        var configuration = HTTPServerConfiguration(host: options.host, port: options.port)
        configuration.limits.maxBodyBytes = options.maxRequestBodyBytes
        configuration.numberOfEventLoops = min(4, max(1, CPUBackend.availableCores()))
        configuration.serverName = "ferry"
        configuration.http2.isEnabled = options.http2
        configuration.http2.maxConcurrentStreams = options.http2MaxConcurrentStreams
        if let tls = options.tlsConfiguration {
            let context: TLSServerContext
            do {
                context = try TLSServerContext(configuration: tls)
            } catch {
                throw ValidationErrorMessage(Self.flagged(error))
            }
            configuration.tls = context
            tlsReloader = TLSReloader(context: context, logger: logger)
        } else {
            tlsReloader = nil
        }
        server = HTTPServer(configuration: configuration,
                            responder: APIRoutes.responder(context: context, version: FerryVersion.current))
    }

    /// A TLS setup error, prefixed with the flag whose file is at fault.
    static func flagged(_ error: TLSError) -> String {
        switch error.kind {
        case .certificateChain: return "--ssl-certfile: \(error)"
        case .privateKey: return "--ssl-keyfile: \(error)"
        case .keyMismatch: return "--ssl-keyfile / --ssl-certfile: \(error)"
        case .caCertificates: return "--ssl-ca-certs: \(error)"
        case .ciphers: return "--ssl-ciphers: \(error)"
        case .missingCACertificates: return "--ssl-cert-reqs needs --ssl-ca-certs: \(error)"
        case .setup, .connection: return "TLS: \(error)"
        }
    }

    static func jsonList(_ text: String, flag: String) throws -> [String] {
        let items = (try? JSONValue.parse(Array(text.utf8)))?.arrayValue
        guard let list = items?.compactMap(\.stringValue), list.count == items?.count else {
            throw ValidationErrorMessage("\(flag) must be a JSON list of strings, e.g. [\"*\"]")
        }
        return list
    }

    /// Binds, starts loading, and blocks until shutdown ends the process.
    func run() throws {
        installSignalHandlers()
        tlsReloader?.start(watchFiles: options.enableSslRefresh)
        try server.start()
        var metadata: Logger.Metadata = ["address": "\(server.localAddress.map { "\($0)" } ?? "?")"]
        if let tls = server.configuration.tls {
            metadata["tls"] = "on"
            metadata["serial"] = "\(tls.certificateSerial)"
        }
        logger.info("listening", metadata: metadata)
        PosixThread.start(name: "ferry-loader") { [self] in load() }
        dispatchMain()
    }

    // MARK: - Loading

    private func load() {
        if let delay = ProcessInfo.processInfo.environment["FERRY_TEST_LOAD_DELAY_SECONDS"].flatMap(Double.init) {
            pause(seconds: delay)  // tests of the load phase
        }
        do {
            let start = Engine.now()
            // A hub model downloads here, while /live answers 200 and /health 503.
            let localPath = try hub.localPath(for: modelPath, logger: logger)
            let model = try ModelLoading.load(modelPath: localPath, root: modelPath, options: options,
                                              logger: logger, metrics: context.metrics)
            context.model = model
            try ModelLoading.warmUp(model)
            lock.withLock { if !isShuttingDown { context.phase = .ready } }
            logger.info("ready", metadata: ["seconds": "\((Engine.now() - start).fixed(2))"])
        } catch {
            logger.error("cannot load the model: \(error)")
            context.phase = .failed
            exit(1)
        }
    }

    // MARK: - Shutdown

    private func installSignalHandlers() {
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: signalQueue)
            source.setEventHandler { @Sendable [self] in received(signalNumber) }
            source.resume()
            signalSources.append(source)
        }
    }

    private func received(_ signalNumber: Int32) {
        let second = lock.withLock {
            defer { isShuttingDown = true }
            return isShuttingDown
        }
        if second {
            logger.warning("second signal: exiting now")
            Self.exitNow(0)
        }
        guard let timeout = options.drainTimeout else {
            logger.info("shutting down (immediate): aborting \(context.numSessions) requests")
            context.phase = .draining
            context.abortAll()
            pause(seconds: 0.05)  // let the aborts reach their clients
            Self.exitNow(0)
        }
        // The drain waits on its own thread, so a second signal is still heard.
        PosixThread.start(name: "ferry-drain") { [self] in drain(timeout: timeout) }
    }

    private func drain(timeout: Double) {
        logger.info("draining", metadata: ["in_flight": "\(context.numSessions)", "timeout_s": "\(timeout)"])
        context.phase = .draining
        server.startDraining()
        let deadline = Engine.now() + timeout
        while context.numSessions > 0 && Engine.now() < deadline { pause(seconds: 0.02) }
        if context.numSessions > 0 {
            logger.warning("drain timeout: aborting \(context.numSessions) requests")
            context.abortAll()
            let abortDeadline = Engine.now() + 5
            while context.numSessions > 0 && Engine.now() < abortDeadline { pause(seconds: 0.02) }
        }
        server.stopAccepting()
        server.closeIdleConnections()
        pause(seconds: 0.05)  // the last bytes leave
        logger.info("drained: exiting")
        Self.exitNow(0)
    }
}

extension ServerRuntime {
    /// Ends the process without running atexit handlers or static destructors (the engine and pool threads are
    /// still running; nothing is left to save), after flushing what was logged (the log handler writes through
    /// FileHandle, unbuffered).
    static func exitNow(_ code: Int32) -> Never {
        fflush(nil)  // every open output stream
        _exit(code)
    }
}

/// A startup error with a message for the user.
struct ValidationErrorMessage: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
