// SPDX-License-Identifier: Apache-2.0

/// Misuse of an `HTTPResponseWriter` by a handler.
public enum HTTPResponseWriterError: Error, Sendable, Equatable {
    /// `respond` or `startStream` was called after a head was already written.
    case headAlreadyWritten
}

/// The outcome of one response, given to `onFinish` callbacks (for logs and metrics).
public struct HTTPResponseSummary: Sendable, Equatable {
    /// The status written, or nil when the connection closed before any head.
    public var status: HTTPStatus?
    /// Body bytes handed to the connection (before chunked framing).
    public var bodyBytes: Int
    /// True when the response was finished; false when the connection closed first.
    public var isComplete: Bool
}

/// Everything an `HTTPResponseWriter` tracks between threads, as a value guarded by the writer's mutex.
///
/// Writers append to `outbox` on any thread; the connection's event loop takes the outbox, writes it and reports
/// back how many bytes it still holds, which drives writability (high/low water marks).
struct ResponseWriterState {
    enum Phase: Equatable {
        case awaitingHead
        /// The head is claimed; body bytes may follow until the end is queued.
        case streaming
        /// The end of the response is queued.
        case finished
    }

    /// What the caller of `enqueue` must do next.
    enum EnqueueAction: Equatable {
        /// Nothing: a flush is already scheduled (or the loop flushes after the handler returns).
        case none
        /// Ask the event loop to take the outbox.
        case scheduleFlush
        /// The bytes were dropped: the connection is closed or the response finished.
        case dropped
        /// The bytes were dropped because the client reads too slowly; the connection must close.
        case overflow
    }

    let highWaterMark: Int
    let lowWaterMark: Int
    let maxBufferedBytes: Int

    private(set) var phase: Phase = .awaitingHead
    private(set) var isClosed = false
    private(set) var isWritable = true
    /// Decided when the head is written: false sends `Connection: close` and closes after the response.
    var keepAlive = true
    var status: HTTPStatus?
    private(set) var bodyBytes = 0
    /// The head as fields for an HTTP/2 sink, until the sink takes it.
    private var pendingHead: ResponseHead?

    private var outbox: [[UInt8]] = []
    private var outboxBytes = 0
    /// Bytes the connection still held when it last reported.
    private var queuedBytes = 0
    private var isFlushScheduled = false
    /// The response finished and the connection has not yet taken the outbox holding its end.
    private var isFinishPending = false

    private var writableWaiters: [@Sendable () -> Void] = []
    private var closeCallbacks: [@Sendable () -> Void] = []
    private var finishCallbacks: [@Sendable (HTTPResponseSummary) -> Void] = []

    init(highWaterMark: Int, lowWaterMark: Int, maxBufferedBytes: Int) {
        self.highWaterMark = highWaterMark
        self.lowWaterMark = lowWaterMark
        self.maxBufferedBytes = maxBufferedBytes
    }

    var unsentBytes: Int { outboxBytes + queuedBytes }

    // MARK: - Writing (any thread)

    /// Claims the right to write the head. - Throws: `.headAlreadyWritten` on a second call.
    mutating func beginHead(status: HTTPStatus, keepAlive: Bool, head: ResponseHead? = nil)
        throws(HTTPResponseWriterError)
    {
        guard phase == .awaitingHead else { throw .headAlreadyWritten }
        pendingHead = head
        phase = .streaming  // a whole response is enqueued with isEnd right after, under the same lock
        self.status = status
        self.keepAlive = keepAlive
    }

    /// Queues bytes of the response.
    /// - Parameters:
    ///   - bodyBytes: how many of them are body (for the summary).
    ///   - isEnd: these bytes end the response.
    ///   - isBounded: refuse them (`.overflow`) when they would take the buffer past `maxBufferedBytes`.
    ///   - flushFollows: the event loop flushes right after the handler returns, so no hop is needed.
    mutating func enqueue(_ chunks: [[UInt8]], bodyBytes: Int, isEnd: Bool, isBounded: Bool, flushFollows: Bool)
        -> EnqueueAction
    {
        guard !isClosed, phase == .streaming else { return .dropped }
        let count = chunks.reduce(0) { $0 + $1.count }
        if isBounded && unsentBytes + count > maxBufferedBytes { return .overflow }
        for chunk in chunks where !chunk.isEmpty { outbox.append(chunk) }
        outboxBytes += count
        self.bodyBytes += bodyBytes
        if isEnd {
            phase = .finished
            isFinishPending = true
        }
        if unsentBytes >= highWaterMark { isWritable = false }
        if isFlushScheduled { return .none }
        isFlushScheduled = true
        return flushFollows ? .none : .scheduleFlush
    }

    // MARK: - The event loop's side

    struct TakenOutbox {
        /// The head as fields (HTTP/2 sinks), the first time it is taken; nil for HTTP/1.1, whose head is bytes.
        var head: ResponseHead?
        var chunks: [[UInt8]]
        /// The response ended with these bytes; the connection may read the next request.
        var isEnd: Bool
        var keepAlive: Bool
        var finishCallbacks: [@Sendable (HTTPResponseSummary) -> Void]
    }

    /// Hands the queued bytes to the connection.
    mutating func takeOutbox() -> TakenOutbox {
        var taken = TakenOutbox(head: pendingHead, chunks: outbox, isEnd: isFinishPending, keepAlive: keepAlive,
                                finishCallbacks: [])
        pendingHead = nil
        outbox = []
        queuedBytes += outboxBytes
        outboxBytes = 0
        isFlushScheduled = false
        if isFinishPending {
            isFinishPending = false
            taken.finishCallbacks = finishCallbacks
            finishCallbacks = []
            closeCallbacks = []  // a finished response has no work left to abort
        }
        return taken
    }

    /// The connection now holds `queued` unsent bytes. - Returns: waiters to call now that it drained.
    mutating func connectionQueueChanged(to queued: Int) -> [@Sendable () -> Void] {
        queuedBytes = queued
        guard !isWritable, unsentBytes <= lowWaterMark else { return [] }
        isWritable = true
        defer { writableWaiters = [] }
        return writableWaiters
    }

    /// The connection closed. - Returns: callbacks to call (close, writability waiters, unfinished summaries).
    mutating func connectionClosed() -> (callbacks: [@Sendable () -> Void], summary: HTTPResponseSummary,
                                         finishCallbacks: [@Sendable (HTTPResponseSummary) -> Void])
    {
        guard !isClosed else { return ([], summary(complete: false), []) }
        isClosed = true
        isWritable = false
        outbox = []
        outboxBytes = 0
        defer {
            closeCallbacks = []
            writableWaiters = []
            finishCallbacks = []
        }
        return (closeCallbacks + writableWaiters, summary(complete: false), finishCallbacks)
    }

    func summary(complete: Bool) -> HTTPResponseSummary {
        HTTPResponseSummary(status: status, bodyBytes: bodyBytes, isComplete: complete)
    }

    // MARK: - Callbacks

    /// Registers a waiter. - Returns: false when it must be called now (writable or closed).
    mutating func addWritableWaiter(_ waiter: @escaping @Sendable () -> Void) -> Bool {
        guard !isWritable && !isClosed else { return false }
        writableWaiters.append(waiter)
        return true
    }

    /// - Returns: false when it must be called now (already closed), true when stored or no longer relevant.
    mutating func addCloseCallback(_ callback: @escaping @Sendable () -> Void) -> Bool {
        if isClosed { return false }
        if phase != .finished || isFinishPending { closeCallbacks.append(callback) }
        return true
    }

    /// - Returns: false when it must be called now (the response is already over).
    mutating func addFinishCallback(_ callback: @escaping @Sendable (HTTPResponseSummary) -> Void) -> Bool {
        if isClosed || (phase == .finished && !isFinishPending) { return false }
        finishCallbacks.append(callback)
        return true
    }
}
