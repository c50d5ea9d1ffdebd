// SPDX-License-Identifier: Apache-2.0
import Dispatch

/// One accepted TCP connection: reads and parses requests, dispatches them one at a time, and writes responses in
/// order (pipelined requests wait in the parser's buffer until the response before them finished).
///
/// Note: `@unchecked Sendable` because every stored property is used only on `loop.queue`: Dispatch sources fire
/// there and writers reach the connection through `loop.execute`.
final class HTTPConnection: @unchecked Sendable {
    let fd: Int32
    let peer: SocketAddress
    let loop: EventLoop

    var parser: HTTPParser
    var machine: ConnectionStateMachine
    var writeQueue = WriteQueue()
    /// The writer of the request being answered. Weak so a handler that drops it unfinished is noticed (its deinit
    /// calls `writerAbandoned`).
    weak var currentWriter: HTTPResponseWriter?
    /// True while the responder runs synchronously inside `dispatch`; writes then need no hop.
    private var isInsideResponder = false
    /// The HTTP/2 session once the connection speaks HTTP/2 (HTTPConnection+HTTP2.swift).
    var http2: HTTP2Session?
    /// A new connection's first bytes while they may still be the HTTP/2 preface; nil once decided.
    var prefaceCheck: [UInt8]?

    private var readSource: (any DispatchSourceRead)?
    private var isReadSuspended = false
    var writeSource: (any DispatchSourceWrite)?
    var isWriteSourceResumed = false
    /// Sources whose cancel handler has not run yet; the descriptor is closed after the last one.
    private var pendingCancellations = 0

    /// Called on the loop by `EventLoop.adopt`.
    init(fd: Int32, peer: SocketAddress, loop: EventLoop) {
        self.fd = fd
        self.peer = peer
        self.loop = loop
        self.parser = HTTPParser(limits: loop.context.configuration.limits, remoteAddress: peer)
        self.machine = ConnectionStateMachine(timeouts: loop.context.configuration.timeouts, now: .now)
        self.prefaceCheck = loop.context.configuration.http2.isEnabled ? [] : nil
    }

    var context: ServerContext { loop.context }

    /// True when `writer` belongs to the request whose responder is running right now on this loop.
    /// Called on the loop.
    func isDispatching(_ writer: HTTPResponseWriter) -> Bool {
        isInsideResponder && currentWriter === writer
    }

    // MARK: - Lifecycle

    func start() {
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: loop.queue)
        source.setEventHandler { [unowned self] in readable() }
        source.setCancelHandler { [self] in sourceCancelled() }
        pendingCancellations += 1
        readSource = source
        source.resume()
    }

    /// Closes at once: cancels the sources (the descriptor closes when both are gone), tells the current writer
    /// (its `onClose` callbacks run) and leaves the loop. Idempotent. Called on the loop.
    func close() {
        guard !machine.isClosed else { return }
        machine.closed()
        if let readSource {
            readSource.cancel()
            if isReadSuspended { readSource.resume() }
        }
        if let writeSource {
            writeSource.cancel()
            if !isWriteSourceResumed { writeSource.resume() }
        }
        if pendingCancellations == 0 { Posix.close(fd) }
        writeQueue.removeAll()
        let writer = currentWriter
        currentWriter = nil
        writer?.connectionClosed()
        http2?.connectionClosed()
        loop.connectionClosed(self)
    }

    /// A source was created; the descriptor now waits for its cancellation too.
    func addPendingCancellation() {
        pendingCancellations += 1
    }

    /// Runs on the loop as each source's cancel handler; the last one closes the descriptor, so a reused
    /// descriptor number can never meet a stale source.
    func sourceCancelled() {
        pendingCancellations -= 1
        if pendingCancellations == 0 { Posix.close(fd) }
    }

    /// The server started draining: an idle connection closes now; a busy one after its response.
    func drain() {
        if let http2 { return http2.drain() }
        if machine.drainRequested() { close() }
    }

    /// Checks this connection's deadlines. Called on the loop by its ticker.
    func checkDeadlines(now: ContinuousClock.Instant) {
        http2?.checkDeadlines(now: now)
        switch machine.checkDeadlines(now: now) {
        case .none:
            break
        case .close:
            close()
        case .respondRequestTimeoutAndClose:
            respondAndClose(.error(.requestTimeout, message: "The request was not received in time."))
        }
    }

    // MARK: - Reading

    /// Reads what the socket holds (up to 4 full buffers, then yields to other connections).
    private func readable() {
        for _ in 0..<4 {
            let result: IOResult
            do {
                result = try Posix.read(fd, into: &loop.readBuffer)
            } catch {
                close()
                return
            }
            guard case .processed(let count) = result else {
                // Note: end-of-file means the client is gone, or half-closed; both count as gone, so work for a
                // client that disconnected is aborted promptly (one that half-closes while its response is still
                // pending gets none).
                if result == .endOfFile {
                    close()
                    return
                }
                break
            }
            if !machine.isLingering { received(loop.readBuffer[0..<count]) }
            if machine.isClosed { return }
            if count < loop.readBuffer.count { break }
        }
        guard !machine.isLingering else { return }
        if machine.isReadingRequest {
            processBuffered(now: .now)
        } else if parser.bufferedBytes > context.configuration.maxPipelinedBytes {
            suspendReading()
        }
    }

    /// Parses and dispatches buffered requests until one is in flight or the bytes run out. Called on the loop.
    func processBuffered(now: ContinuousClock.Instant) {
        while machine.isReadingRequest {
            switch parser.next() {
            case .needMoreData:
                machine.parserAdvanced(to: parser.phase, now: now)
                if parser.phase == .idle { parser.releaseMemoryIfEmpty() }
                return
            case .continueExpected:
                machine.parserAdvanced(to: .body, now: now)
                writeQueue.append(Self.continueResponse)
                flushSocket()
            case .request(let request):
                machine.requestReceived()
                dispatch(request)
            case .failed(let error):
                respondAndClose(.error(error.status, message: error.message))
                return
            }
        }
    }

    private func dispatch(_ request: HTTPRequest) {
        let writer = HTTPResponseWriter(sink: self, request: request, context: context)
        currentWriter = writer
        isInsideResponder = true
        context.responder.respond(to: request, writer: writer)
        isInsideResponder = false
        flushWriter(writer, resumesParsing: false)
    }

    /// Queues a final response (an error, a 408) with `Connection: close`, then closes after writing it.
    func respondAndClose(_ response: HTTPResponse) {
        var bytes: [UInt8] = []
        ResponseHeadEncoder.encode(status: response.status, headers: response.headers,
                                   framing: .length(response.body.count), keepAlive: false, requestVersion: .http1_1,
                                   serverName: context.configuration.serverName, into: &bytes)
        bytes.append(contentsOf: response.body)
        context.stats.recordResponse(status: response.status.code)
        machine.closingResponseQueued()
        resumeReading()  // keep reading (and discarding) so the client is not reset before it reads this
        writeQueue.append(bytes)
        flushSocket()
    }

    func suspendReading() {
        guard !isReadSuspended, let readSource else { return }
        readSource.suspend()
        isReadSuspended = true
    }

    func resumeReading() {
        guard isReadSuspended, let readSource else { return }
        readSource.resume()
        isReadSuspended = false
    }

    private static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
