// SPDX-License-Identifier: Apache-2.0

/// Writes the response to one request: a whole response, or a head followed by a chunked stream.
///
/// The same writer serves HTTP/1.1 and HTTP/2: it queues the response and its sink (`HTTPResponseSink`: the
/// connection, or an HTTP/2 stream) frames it for the wire, so handlers never see the protocol.
///
/// Thread-safe: a handler may call it from any thread (an engine thread producing tokens, a Task); bytes hop to
/// the connection's event loop, which writes them in order. A head is written once: a second `respond` or
/// `startStream` throws `headAlreadyWritten`. Writes after the connection closed, or after the response finished,
/// are dropped silently.
///
/// Back-pressure: `isWritable` turns false once `highWaterMark` bytes are unsent, and true again (calling
/// `whenWritable` callbacks and resuming `waitUntilWritable`) when they drain to `lowWaterMark`. A stream that keeps
/// writing past `maxBufferedBytes` has the connection closed, so a client that reads slowly can never make the
/// server buffer without bound.
///
/// A writer dropped without finishing its response is answered for: 500 if no head was written, else the
/// connection closes.
public final class HTTPResponseWriter: Sendable {
    let sink: any HTTPResponseSink
    private let wireFormat: HTTPWireFormat
    private let context: ServerContext
    private let requestVersion: HTTPVersion
    private let isHeadRequest: Bool
    private let requestWantsKeepAlive: Bool
    private let state: Locked<ResponseWriterState>
    /// Headers a middleware added for whatever head this writer sends (CORS, request ids).
    private let extraHeaders = Locked<[(String, String)]>.make([])

    /// Called by the sink (`HTTPConnection`, `HTTP2Stream`) on its event loop when it dispatches a request.
    init(sink: any HTTPResponseSink, request: HTTPRequest, context: ServerContext) {
        self.sink = sink
        self.wireFormat = sink.wireFormat
        self.context = context
        self.requestVersion = request.version
        self.isHeadRequest = request.method == .head
        self.requestWantsKeepAlive = request.wantsKeepAlive
        let configuration = context.configuration
        self.state = Locked.make(ResponseWriterState(highWaterMark: configuration.writeBufferHighWaterMark,
                                               lowWaterMark: configuration.writeBufferLowWaterMark,
                                               maxBufferedBytes: configuration.maxWriteBufferBytes))
    }

    deinit {
        let (isAbandoned, headWritten) = state.withLock { state in
            (!state.isClosed && state.phase != .finished, state.phase != .awaitingHead)
        }
        guard isAbandoned else { return }
        connectionClosed()  // the response is aborted: its onClose and onFinish callbacks run now
        let sink = self.sink
        sink.loop.execute { sink.writerAbandoned(headWritten: headWritten) }
    }

    // MARK: - Writing

    /// Adds a header to the response this writer will send, whatever handler writes its head (CORS, request ids).
    /// Called from any thread before the head is written; ignored after.
    public func addHeader(name: String, value: String) {
        extraHeaders.withLock { $0.append((name, value)) }
    }

    private func withExtraHeaders(_ headers: HTTPHeaders) -> HTTPHeaders {
        let extra = extraHeaders.withLock { $0 }
        guard !extra.isEmpty else { return headers }
        var merged = headers
        for (name, value) in extra where !merged.contains(name: name) { merged.add(name: name, value: value) }
        return merged
    }

    /// Writes a whole response: head and body in one go, with `Content-Length`.
    ///
    /// Called from any thread. For a HEAD request only the head is sent.
    /// - Throws: `HTTPResponseWriterError.headAlreadyWritten` when a head was written before.
    public func respond(_ response: HTTPResponse) throws(HTTPResponseWriterError) {
        var response = response
        response.headers = withExtraHeaders(response.headers)
        let keepAlive = decideKeepAlive(response.headers)
        let sendsBody = !isHeadRequest && !response.status.forbidsBody && !response.body.isEmpty
        if wireFormat == .http2 {
            let head = ResponseHead(status: response.status, headers: response.headers,
                                    contentLength: response.status.forbidsBody ? nil : response.body.count)
            let action = try enqueueHead(status: response.status, keepAlive: true, head: head,
                                         chunks: sendsBody ? [response.body] : [],
                                         bodyBytes: sendsBody ? response.body.count : 0, isEnd: true)
            perform(action)
            return
        }
        var head: [UInt8] = []
        head.reserveCapacity(192 + (sendsBody && response.body.count <= 4096 ? response.body.count : 0))
        ResponseHeadEncoder.encode(status: response.status, headers: response.headers,
                                   framing: .length(response.body.count), keepAlive: keepAlive,
                                   requestVersion: requestVersion, serverName: context.configuration.serverName,
                                   into: &head)
        var chunks = [head]
        if sendsBody {
            // Small bodies ride in the head's buffer: one iovec, one copy of a few bytes.
            if response.body.count <= 4096 {
                chunks[0].append(contentsOf: response.body)
            } else {
                chunks.append(response.body)
            }
        }
        let bodyBytes = sendsBody ? response.body.count : 0
        let action = try enqueueHead(status: response.status, keepAlive: keepAlive, head: nil, chunks: chunks,
                                     bodyBytes: bodyBytes, isEnd: true)
        perform(action)
    }

    /// Writes a head announcing a streamed body and returns the stream to write it with.
    ///
    /// Called from any thread. The body is sent with `Transfer-Encoding: chunked` (to an HTTP/1.0 client: raw, the
    /// connection closing at its end; over HTTP/2: as DATA frames, the last one flagged END_STREAM).
    /// - Throws: `HTTPResponseWriterError.headAlreadyWritten` when a head was written before.
    public func startStream(status: HTTPStatus = .ok, headers: HTTPHeaders = [:])
        throws(HTTPResponseWriterError) -> HTTPBodyStream
    {
        let headers = withExtraHeaders(headers)
        let sendsBody = !isHeadRequest && !status.forbidsBody
        if wireFormat == .http2 {
            let head = ResponseHead(status: status, headers: headers, contentLength: nil)
            perform(try enqueueHead(status: status, keepAlive: true, head: head, chunks: [], bodyBytes: 0,
                                    isEnd: false))
            return HTTPBodyStream(writer: self, framing: sendsBody ? .raw : .discard)
        }
        let isChunked = requestVersion == .http1_1
        let keepAlive = isChunked && decideKeepAlive(headers)
        var head: [UInt8] = []
        head.reserveCapacity(192)
        ResponseHeadEncoder.encode(status: status, headers: headers, framing: isChunked ? .chunked : .untilClose,
                                   keepAlive: keepAlive, requestVersion: requestVersion,
                                   serverName: context.configuration.serverName, into: &head)
        let action = try enqueueHead(status: status, keepAlive: keepAlive, head: nil, chunks: [head], bodyBytes: 0,
                                     isEnd: false)
        perform(action)
        return HTTPBodyStream(writer: self, framing: !sendsBody ? .discard : isChunked ? .chunked : .raw)
    }

    /// - Parameter head: the head as fields, for an HTTP/2 sink (nil when `chunks` start with the encoded head).
    private func enqueueHead(status: HTTPStatus, keepAlive: Bool, head: ResponseHead?, chunks: [[UInt8]],
                             bodyBytes: Int, isEnd: Bool)
        throws(HTTPResponseWriterError) -> ResponseWriterState.EnqueueAction
    {
        let flushFollows = sink.loop.inEventLoop && sink.isDispatching(self)
        let result: Result<ResponseWriterState.EnqueueAction, HTTPResponseWriterError> = state.withLock { state in
            do throws(HTTPResponseWriterError) {
                try state.beginHead(status: status, keepAlive: keepAlive, head: head)
            } catch {
                return .failure(error)
            }
            return .success(state.enqueue(chunks, bodyBytes: bodyBytes, isEnd: isEnd, isBounded: false,
                                          flushFollows: flushFollows))
        }
        let action = try result.get()
        context.stats.recordResponse(status: status.code)
        return action
    }

    /// Queues body bytes (already framed) of a stream. Called by `HTTPBodyStream` from any thread.
    /// - Returns: false when the bytes were dropped (closed, finished, or over `maxBufferedBytes`).
    func enqueueBody(_ chunks: [[UInt8]], bodyBytes: Int, isEnd: Bool) -> Bool {
        let flushFollows = sink.loop.inEventLoop && sink.isDispatching(self)
        let action = state.withLock { state in
            state.enqueue(chunks, bodyBytes: bodyBytes, isEnd: isEnd, isBounded: !isEnd, flushFollows: flushFollows)
        }
        perform(action)
        return action == .none || action == .scheduleFlush
    }

    private func perform(_ action: ResponseWriterState.EnqueueAction) {
        switch action {
        case .none, .dropped:
            break
        case .scheduleFlush:
            let sink = self.sink
            sink.loop.execute { sink.flush(self) }
        case .overflow:
            let sink = self.sink
            sink.loop.execute { sink.writerOverflowed(self) }
        }
    }

    /// Keep-alive unless the client, the response or a drain says otherwise.
    private func decideKeepAlive(_ headers: HTTPHeaders) -> Bool {
        requestWantsKeepAlive && !context.isDraining && !headers.contains(name: "connection", token: "close")
    }

    // MARK: - Back-pressure and lifecycle

    /// False once `highWaterMark` bytes are unsent; true again when they drain to `lowWaterMark`. Any thread.
    public var isWritable: Bool { state.withLock { $0.isWritable } }

    /// True once the connection has closed; writes are then dropped. Any thread.
    public var isClosed: Bool { state.withLock { $0.isClosed } }

    /// Calls `callback` once the writer can take more bytes, or the connection closed (check `isClosed`).
    ///
    /// Called from any thread. The callback runs right away on the caller's thread when writable now, otherwise
    /// on the event loop when the unsent bytes drain to the low-water mark.
    public func whenWritable(_ callback: @escaping @Sendable () -> Void) {
        if !state.withLock({ $0.addWritableWaiter(callback) }) { callback() }
    }

    /// Returns once the writer can take more bytes or the connection closed. Any task.
    public func waitUntilWritable() async {
        if isWritable || isClosed { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            whenWritable { continuation.resume() }
        }
    }

    /// Calls `callback` if the connection closes (client disconnect, reset, server force-close) before the
    /// response finished, so the handler can abort its work. Runs on the event loop, or right away on the
    /// caller's thread when already closed. Never called for a response that finished.
    public func onClose(_ callback: @escaping @Sendable () -> Void) {
        if !state.withLock({ $0.addCloseCallback(callback) }) { callback() }
    }

    /// Calls `callback` once the response is over: finished and handed to the socket, or cut short by a close.
    /// Runs on the event loop (or right away when already over). For access logs and metrics.
    public func onFinish(_ callback: @escaping @Sendable (HTTPResponseSummary) -> Void) {
        let (isStored, summary) = state.withLock { state in
            (state.addFinishCallback(callback), state.summary(complete: !state.isClosed))
        }
        if !isStored { callback(summary) }
    }

    // MARK: - Called by the connection on its event loop

    func takeOutbox() -> ResponseWriterState.TakenOutbox {
        state.withLock { $0.takeOutbox() }
    }

    func connectionQueueChanged(to queued: Int) {
        let waiters = state.withLock { $0.connectionQueueChanged(to: queued) }
        for waiter in waiters { waiter() }
    }

    func connectionClosed() {
        let (callbacks, summary, finishCallbacks) = state.withLock { $0.connectionClosed() }
        for callback in callbacks { callback() }
        for callback in finishCallbacks { callback(summary) }
    }

    func summary() -> HTTPResponseSummary {
        state.withLock { $0.summary(complete: true) }
    }
}
