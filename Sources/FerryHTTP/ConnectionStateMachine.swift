// SPDX-License-Identifier: Apache-2.0

/// How long a connection may take at each stage before the server closes it.
public struct HTTPTimeouts: Sendable, Equatable {
    /// From the first byte of a head (for a new connection: from accept) to its last byte. Trickling bytes does not
    /// extend it, so a slowloris client is closed after this long (with 408). Default 10 s.
    public var header: Duration = .seconds(10)
    /// How long a keep-alive connection may wait for its next request; closed silently after. Default 60 s.
    public var idle: Duration = .seconds(60)
    /// Longest gap between two reads of a request body (408 after). Default 60 s.
    public var body: Duration = .seconds(60)
    /// Longest time queued response bytes may wait for the client to read any of them. Default 60 s.
    public var write: Duration = .seconds(60)
    /// After the last response on a closing connection, how long to keep reading (and discarding) before closing,
    /// so the client is not reset before it has read the response. Default 2 s.
    public var linger: Duration = .seconds(2)

    public init(header: Duration = .seconds(10), idle: Duration = .seconds(60), body: Duration = .seconds(60),
                write: Duration = .seconds(60), linger: Duration = .seconds(2))
    {
        self.header = header
        self.idle = idle
        self.body = body
        self.write = write
        self.linger = linger
    }

    /// How often an event loop checks its connections' deadlines: a quarter of the shortest timeout, 5 ms to 1 s.
    var checkInterval: Duration {
        let shortest = [header, idle, body, write, linger].min()!
        return min(max(shortest / 4, .milliseconds(5)), .seconds(1))
    }
}

/// The life of one connection and its timeouts, as a value: events go in, actions come out, time is a parameter.
///
/// `HTTPConnection` feeds it on its event loop; tests feed it instants from a mock clock.
struct ConnectionStateMachine {
    typealias Instant = ContinuousClock.Instant

    enum State: Equatable {
        /// Waiting for the first byte of a request: a new connection (`isFirst`) or an idle keep-alive one.
        case awaitingRequest(since: Instant, isFirst: Bool)
        /// Part of a head has arrived; the whole head is due `header` after `since`.
        case readingHead(since: Instant)
        /// The head is complete; body bytes are due within `body` of `lastProgress`.
        case readingBody(lastProgress: Instant)
        /// A handler owns the current request; no read deadline (generation may take minutes).
        case responding
        /// The last response (or an error) is queued; close when it is written.
        case closingAfterWrite
        /// Our side is shut down; reading and discarding until the client closes or `linger` passes.
        case lingering(since: Instant)
        case closed
    }

    /// Why a deadline closed the connection.
    enum TimeoutReason: Equatable {
        case idle, header, body, write, linger
    }

    enum TimeoutAction: Equatable {
        case none
        /// Close without a response (idle keep-alive, new connection that never spoke, stalled writes, linger).
        case close(TimeoutReason)
        /// Answer 408 and close (the request was partly read).
        case respondRequestTimeoutAndClose(TimeoutReason)
    }

    enum ResponseFinishedAction: Equatable {
        /// Parse the next (possibly pipelined) request.
        case readNextRequest
        /// Close once the queued bytes are written.
        case closeAfterWrite
    }

    let timeouts: HTTPTimeouts
    private(set) var state: State
    /// When the socket last refused bytes while some were queued; nil when writes are flowing or none are queued.
    private var writeBlockedSince: Instant?

    init(timeouts: HTTPTimeouts, now: Instant) {
        self.timeouts = timeouts
        self.state = .awaitingRequest(since: now, isFirst: true)
    }

    /// True while received bytes should be parsed as requests.
    var isReadingRequest: Bool {
        switch state {
        case .awaitingRequest, .readingHead, .readingBody: return true
        default: return false
        }
    }

    var isIdle: Bool {
        if case .awaitingRequest = state { return true }
        return false
    }

    var isLingering: Bool {
        if case .lingering = state { return true }
        return false
    }

    var isClosed: Bool { state == .closed }

    // MARK: - Events

    /// The parser consumed what it could and reports where it stands (called after bytes arrive).
    mutating func parserAdvanced(to phase: HTTPParser.Phase, now: Instant) {
        switch (state, phase) {
        case (.awaitingRequest(let since, let isFirst), .head):
            state = .readingHead(since: isFirst ? since : now)
        case (.awaitingRequest, .body), (.readingHead, .body), (.readingBody, .body):
            state = .readingBody(lastProgress: now)
        default:
            break
        }
    }

    /// A whole request was parsed and handed to a handler.
    mutating func requestReceived() {
        precondition(isReadingRequest, "request received in state \(state)")
        state = .responding
    }

    /// The handler finished its response (its bytes are queued).
    /// - Parameter keepAlive: false when the request, the response or a drain asks to close.
    mutating func responseFinished(keepAlive: Bool, now: Instant) -> ResponseFinishedAction {
        guard state == .responding else { return .closeAfterWrite }
        if keepAlive {
            state = .awaitingRequest(since: now, isFirst: false)
            return .readNextRequest
        }
        state = .closingAfterWrite
        return .closeAfterWrite
    }

    /// A final response that ends the connection (a parse error, a timeout's 408) was queued.
    mutating func closingResponseQueued() {
        guard !isClosed, !isLingering else { return }
        state = .closingAfterWrite
    }

    /// The socket refused bytes; queued bytes now wait for the client.
    mutating func writeBlocked(now: Instant) {
        if writeBlockedSince == nil { writeBlockedSince = now }
    }

    /// The socket took bytes.
    mutating func writeProgressed() {
        writeBlockedSince = nil
    }

    /// Every queued byte is written.
    /// - Returns: true when the connection should now shut down its sending side and linger.
    mutating func allWritten(now: Instant) -> Bool {
        writeBlockedSince = nil
        guard state == .closingAfterWrite else { return false }
        state = .lingering(since: now)
        return true
    }

    /// The server began draining. - Returns: true when the connection should close now: it is an idle keep-alive
    /// connection. A new connection that has not sent its first request yet is left to send it (it gets
    /// `Connection: close`), since it was accepted to be served.
    func drainRequested() -> Bool {
        if case .awaitingRequest(_, isFirst: false) = state { return true }
        return false
    }

    mutating func closed() {
        state = .closed
    }

    // MARK: - Deadlines

    /// What to do at `now`, called periodically by the event loop.
    func checkDeadlines(now: Instant) -> TimeoutAction {
        if let blocked = writeBlockedSince, now - blocked >= timeouts.write, !isClosed {
            return .close(.write)
        }
        switch state {
        case .awaitingRequest(let since, let isFirst):
            if isFirst { return now - since >= timeouts.header ? .close(.header) : .none }
            return now - since >= timeouts.idle ? .close(.idle) : .none
        case .readingHead(let since):
            return now - since >= timeouts.header ? .respondRequestTimeoutAndClose(.header) : .none
        case .readingBody(let lastProgress):
            return now - lastProgress >= timeouts.body ? .respondRequestTimeoutAndClose(.body) : .none
        case .lingering(let since):
            return now - since >= timeouts.linger ? .close(.linger) : .none
        case .responding, .closingAfterWrite, .closed:
            return .none
        }
    }
}
