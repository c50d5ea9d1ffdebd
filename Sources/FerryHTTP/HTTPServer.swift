// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An HTTP/1.1 server: a listener, N event loops, and one responder for every request.
///
/// Lifecycle: `start()` binds and begins accepting. To stop, the app drives the pieces it needs (or calls
/// `shutdown`): `stopAccepting()` closes the listener; `startDraining()` makes responses say `Connection: close`,
/// closes idle keep-alive connections and closes busy ones after their response; `waitForConnectionsToClose` waits
/// for in-flight responses (streams included) to finish; `closeAllConnections()` force-closes the rest.
///
/// Every method may be called from any thread.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    private let context: ServerContext
    private let loops: [EventLoop]
    private let state = Locked<State>.make(.initial)

    /// initial → listening → stopped (the listener closed; connections may live on while draining).
    private enum State {
        case initial
        case listening(HTTPListener)
        case stopped(SocketAddress?)
    }

    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), responder: any HTTPResponder) {
        self.configuration = configuration
        let context = ServerContext(configuration: configuration, responder: responder)
        self.context = context
        self.loops = (0..<max(1, configuration.numberOfEventLoops)).map { EventLoop(index: $0, context: context) }
    }

    /// Binds `configuration.host:port`, starts the event loops and accepts connections. Returns once listening.
    ///
    /// Ignores SIGPIPE process-wide (a reset client must not kill the server).
    /// - Throws: `IOError` when the address does not resolve or bind (e.g. `EADDRINUSE`), or when already started.
    public func start() throws(IOError) {
        Posix.ignoreSIGPIPE()
        let addresses = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
        let listener = try HTTPListener(addresses: addresses, backlog: configuration.backlog)
        let started = state.withLock { state -> Bool in
            guard case .initial = state else { return false }
            state = .listening(listener)
            return true
        }
        guard started else {
            listener.close()
            throw IOError(errnoCode: EALREADY, function: "HTTPServer.start")
        }
        for loop in loops { loop.startTicker(interval: configuration.timeouts.checkInterval) }
        listener.start(loops: loops)
    }

    /// The bound address (with the real port when port 0 was asked for); nil before `start()`.
    public var localAddress: SocketAddress? {
        state.withLock { state in
            switch state {
            case .initial: return nil
            case .listening(let listener): return listener.address
            case .stopped(let address): return address
            }
        }
    }

    /// Counters for metrics: open and accepted connections, responses by status.
    public var stats: HTTPServerStats { context.stats.snapshot() }

    /// True once `startDraining()` was called.
    public var isDraining: Bool { context.isDraining }

    // MARK: - Shutdown primitives

    /// Closes the listening socket: new connections are refused; open ones carry on. Idempotent.
    public func stopAccepting() {
        let listener = state.withLock { state -> HTTPListener? in
            guard case .listening(let listener) = state else { return nil }
            state = .stopped(listener.address)
            return listener
        }
        listener?.close()
    }

    /// Enters drain mode: every response from now on says `Connection: close` and its connection closes after it;
    /// idle keep-alive connections close now. In-flight responses and streams run on. Idempotent.
    public func startDraining() {
        context.startDraining()
        closeIdleConnections()
    }

    /// Closes keep-alive connections waiting for their next request. Busy ones, and new ones that have not sent
    /// their first request yet, are untouched.
    public func closeIdleConnections() {
        for loop in loops {
            loop.execute { loop.forEachConnection { $0.drain() } }
        }
    }

    /// Closes every connection now; in-flight writers see `onClose`. Accepting is not affected.
    public func closeAllConnections() {
        for loop in loops {
            loop.execute { loop.forEachConnection { $0.close() } }
        }
    }

    /// Waits until no connection is open, or `timeout` passes.
    /// - Returns: true when every connection closed in time.
    public func waitForConnectionsToClose(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while context.stats.openConnections.load(ordering: .relaxed) > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Stops the server: stop accepting; with a `drainTimeout`, drain and wait up to that long for in-flight
    /// responses; then force-close what is left and stop the event loops' timers.
    /// - Returns: true when every connection finished on its own (always false for an immediate shutdown that
    ///   found open connections).
    @discardableResult
    public func shutdown(drainTimeout: Duration?) async -> Bool {
        stopAccepting()
        var drained = context.stats.openConnections.load(ordering: .relaxed) == 0
        if let drainTimeout {
            startDraining()
            drained = await waitForConnectionsToClose(timeout: drainTimeout)
        }
        closeAllConnections()
        _ = await waitForConnectionsToClose(timeout: .seconds(1))
        for loop in loops { loop.stopTicker() }
        return drained
    }
}
