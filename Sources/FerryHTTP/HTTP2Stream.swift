// SPDX-License-Identifier: Apache-2.0

/// One HTTP/2 stream: the request as its HEADERS and DATA frames arrive, then the response sink its writer writes
/// to. The writer's bytes wait here (`pending`) until libnghttp2 pulls them into DATA frames, as far as the peer's
/// flow-control windows allow; what waits here is what the writer's back-pressure counts, so a client that reads
/// slowly makes `whenWritable` wait instead of growing a buffer.
///
/// Note: `@unchecked Sendable` because every stored property is used only on `loop`: libnghttp2's callbacks run
/// there, and writers reach the stream through `loop.execute`.
final class HTTP2Stream: HTTPResponseSink, @unchecked Sendable {
    let id: Int32
    let loop: EventLoop
    /// Weak: a writer may outlive the connection; a closed stream never touches its session again.
    private weak var session: HTTP2Session?

    // MARK: Request
    private var method = ""
    private var path = ""
    private var authority: String?
    private var headers = HTTPHeaders()
    /// Header list size as SETTINGS_MAX_HEADER_LIST_SIZE counts it: name + value + 32 per field.
    private var headerListBytes = 0
    private var body: [UInt8] = []
    /// Why the request is refused without reaching the responder (431, 413), if it is.
    private var refusal: (status: HTTPStatus, message: String)?
    /// The request went to the responder (or was refused); later DATA is ignored.
    private(set) var isDispatched = false
    /// The client's header block ended (request body or END_STREAM may follow).
    private var isHeadComplete = false
    /// The client ended its side (END_STREAM): the request is whole.
    var isRequestEnded = false
    /// When the request last made progress (a header block, a DATA frame), for the header and body timeouts.
    private var lastProgress = ContinuousClock.now

    // MARK: Response
    /// The writer of this stream's response. Weak, so a handler dropping it unfinished is noticed (its deinit calls
    /// `writerAbandoned`).
    private weak var writer: HTTPResponseWriter?
    private var isInsideResponder = false
    private var isResponseSubmitted = false
    private var isResponseFinished = false
    /// Body bytes the writer handed over that libnghttp2 has not framed yet.
    private var pending: [[UInt8]] = []
    private var pendingOffset = 0
    private(set) var pendingBytes = 0
    private var isEndQueued = false
    /// The data source answered NGHTTP2_ERR_DEFERRED; resume it when bytes or the end arrive.
    private var isDeferred = false
    private(set) var isClosed = false

    init(id: Int32, session: HTTP2Session, loop: EventLoop) {
        self.id = id
        self.session = session
        self.loop = loop
    }

    var wireFormat: HTTPWireFormat { .http2 }

    // MARK: - Request frames (called from libnghttp2's callbacks)

    /// One header field of the request's HEADERS (or trailing HEADERS) block.
    func receivedHeader(name: String, value: String, limits: HTTPRequestLimits) {
        lastProgress = .now
        headerListBytes += name.utf8.count + value.utf8.count + 32
        guard refusal == nil else { return }
        guard headerListBytes <= limits.maxHeadBytes else {
            refusal = (.requestHeaderFieldsTooLarge, "The request's header fields are too large.")
            return
        }
        switch name {
        case ":method": method = value
        case ":path": path = value
        case ":authority": authority = value
        case ":scheme", ":protocol": break
        default: headers.add(name: name, value: value)
        }
    }

    /// The request's header block ended: refuse now when its `content-length` is over the body limit.
    /// - Returns: true when the stream is ready to dispatch (refused early).
    func headersEnded(limits: HTTPRequestLimits) -> Bool {
        isHeadComplete = true
        lastProgress = .now
        if refusal == nil, let length = headers["content-length"].flatMap(Int.init), length > limits.maxBodyBytes {
            refusal = (.contentTooLarge, "The request body is too large.")
        }
        return refusal?.status == .contentTooLarge
    }

    /// Body bytes of a DATA frame. - Returns: true when they broke the body limit (the stream is refused now).
    func receivedBody(_ bytes: UnsafeBufferPointer<UInt8>, limits: HTTPRequestLimits) -> Bool {
        lastProgress = .now
        guard !isDispatched, refusal == nil else { return false }
        guard body.count + bytes.count <= limits.maxBodyBytes else {
            refusal = (.contentTooLarge, "The request body is too large.")
            body = []
            return true
        }
        body.append(contentsOf: bytes)
        return false
    }

    /// True when the request stalled: its header block took longer than `timeouts.header`, or no body byte came
    /// for `timeouts.body`. The stream is then answered 408 (as HTTP/1.1 does).
    func requestTimedOut(now: ContinuousClock.Instant, timeouts: HTTPTimeouts) -> Bool {
        guard !isDispatched, !isClosed, refusal == nil else { return false }
        guard now - lastProgress >= (isHeadComplete ? timeouts.body : timeouts.header) else { return false }
        refusal = (.requestTimeout, "The request was not received in time.")
        body = []
        return true
    }

    // MARK: - Dispatch (on the loop, outside libnghttp2's callbacks)

    /// Hands the complete request to the responder (or answers its refusal), then sends what it wrote.
    func dispatch(context: ServerContext, peer: SocketAddress) {
        guard !isDispatched, !isClosed else { return }
        isDispatched = true
        var requestHeaders = headers
        if let authority, !requestHeaders.contains(name: "host") { requestHeaders.add(name: "host", value: authority) }
        let request = HTTPRequest(method: HTTPMethod(method), target: path.isEmpty ? "*" : path, version: .http2,
                                  headers: requestHeaders, body: body, remoteAddress: peer)
        body = []
        let writer = HTTPResponseWriter(sink: self, request: request, context: context)
        self.writer = writer
        isInsideResponder = true
        if let refusal {
            writer.respond(error: refusal.status, message: refusal.message)
        } else {
            context.responder.respond(to: request, writer: writer)
        }
        isInsideResponder = false
        flush(writer)
    }

    // MARK: - HTTPResponseSink

    func isDispatching(_ writer: HTTPResponseWriter) -> Bool {
        isInsideResponder && self.writer === writer
    }

    func flush(_ writer: HTTPResponseWriter) {
        guard !isClosed, writer === self.writer, let session else { return }
        let taken = writer.takeOutbox()
        for chunk in taken.chunks {
            pending.append(chunk)
            pendingBytes += chunk.count
        }
        if taken.isEnd { isEndQueued = true }
        if let head = taken.head, !isResponseSubmitted {
            isResponseSubmitted = true
            let hasBody = !(taken.isEnd && pendingBytes == 0)
            if !session.submitResponse(streamID: id, head: head, hasBody: hasBody) {
                session.resetStream(id: id)
            }
        } else if isDeferred && (pendingBytes > 0 || isEndQueued) {
            isDeferred = false
            session.resumeData(streamID: id)
        }
        if taken.isEnd {
            isResponseFinished = true
            if !taken.finishCallbacks.isEmpty {
                let summary = writer.summary()
                for callback in taken.finishCallbacks { callback(summary) }
            }
        }
        writer.connectionQueueChanged(to: pendingBytes)
        session.scheduleSend()
    }

    func writerOverflowed(_ writer: HTTPResponseWriter) {
        guard !isClosed, writer === self.writer else { return }
        session?.resetStream(id: id)
        session?.scheduleSend()
    }

    func writerAbandoned(headWritten: Bool) {
        guard !isClosed, !isResponseFinished, writer == nil, let session else { return }
        if headWritten || isResponseSubmitted {
            session.resetStream(id: id)
        } else {
            isResponseSubmitted = true
            isResponseFinished = true
            isEndQueued = true
            let response = HTTPResponse.error(.internalServerError, message: "The handler produced no response.")
            pending = [response.body]
            pendingBytes = response.body.count
            let head = ResponseHead(status: response.status, headers: response.headers, contentLength: pendingBytes)
            if !session.submitResponse(streamID: id, head: head, hasBody: true) { session.resetStream(id: id) }
        }
        session.scheduleSend()
    }

    // MARK: - libnghttp2's side

    /// What the data source callback gets: bytes copied into a DATA frame's payload.
    enum ReadResult {
        /// `count` bytes were copied; `isEnd` when they are the last (END_STREAM).
        case data(count: Int, isEnd: Bool)
        /// Nothing to send yet: the writer has not written more.
        case deferred
    }

    /// Copies up to `buffer.count` pending bytes into `buffer`, and reports the drained amount to the writer.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        var copied = 0
        while copied < buffer.count, !pending.isEmpty {
            let chunk = pending[0]
            let count = min(chunk.count - pendingOffset, buffer.count - copied)
            chunk.withUnsafeBytes { bytes in
                buffer.baseAddress!.advanced(by: copied)
                    .copyMemory(from: bytes.baseAddress!.advanced(by: pendingOffset), byteCount: count)
            }
            copied += count
            pendingOffset += count
            if pendingOffset == chunk.count {
                pending.removeFirst()
                pendingOffset = 0
            }
        }
        pendingBytes -= copied
        if copied == 0 && !isEndQueued {
            isDeferred = true
            return .deferred
        }
        if copied > 0 { writer?.connectionQueueChanged(to: pendingBytes) }
        return .data(count: copied, isEnd: isEndQueued && pending.isEmpty)
    }

    /// libnghttp2 closed the stream: the response was sent, or the peer reset it (RST_STREAM CANCEL), or the
    /// connection ended. An unfinished response's `onClose` callbacks run, so its work is aborted.
    func closed() {
        guard !isClosed else { return }
        isClosed = true
        pending = []
        pendingBytes = 0
        body = []
        writer?.connectionClosed()
    }
}
