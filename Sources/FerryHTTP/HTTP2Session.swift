// SPDX-License-Identifier: Apache-2.0
import CNghttp2

/// The HTTP/2 side of one connection: a libnghttp2 server session fed from the connection's read path, whose
/// frames go out through the connection's write queue, and the streams it carries.
///
/// Output is pulled from libnghttp2 (`nghttp2_session_mem_send`) only while the connection holds fewer than
/// `HTTP2Settings.maxQueuedOutputBytes` unsent bytes; the rest waits in the streams (and, beyond the peer's
/// flow-control windows, in libnghttp2), so a slow reader back-pressures each stream's writer.
///
/// Note: `@unchecked Sendable` because everything is used only on the connection's loop; libnghttp2 calls back
/// synchronously from `receive` and `sendPending`.
final class HTTP2Session: @unchecked Sendable {
    /// Unowned: the connection owns its session (`HTTPConnection.http2`).
    unowned let connection: HTTPConnection
    let settings: HTTP2Settings
    private var session: OpaquePointer?
    /// Open streams by id.
    var streams: [Int32: HTTP2Stream] = [:]
    /// Streams whose request completed during the current `nghttp2_session_mem_recv`; dispatched after it returns,
    /// so handlers never run inside libnghttp2's callbacks.
    var completedRequests: [HTTP2Stream] = []
    private var isSending = false
    private var isSendScheduled = false
    /// GOAWAY was submitted (drain or idle timeout): no new streams; close once the open ones end.
    private(set) var isGoingAway = false
    /// Nothing more will be sent or read: the connection closes once its queue is written.
    private var isFinished = false
    /// Since when no stream has been open (for the idle timeout).
    var idleSince: ContinuousClock.Instant

    init(connection: HTTPConnection) {
        self.connection = connection
        self.settings = connection.context.configuration.http2
        self.idleSince = .now
    }

    deinit {
        if let session { nghttp2_session_del(session) }
    }

    var limits: HTTPRequestLimits { connection.context.configuration.limits }

    /// Creates the libnghttp2 session and queues our SETTINGS. - Returns: false when libnghttp2 is out of memory.
    func start() -> Bool {
        guard let callbacks = HTTP2Callbacks.make() else { return false }
        defer { nghttp2_session_callbacks_del(callbacks) }
        var created: OpaquePointer?
        guard nghttp2_session_server_new(&created, callbacks, Unmanaged.passUnretained(self).toOpaque()) == 0,
              let created else { return false }
        session = created
        let entries = [
            (NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.maxConcurrentStreams),
            (NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initialStreamWindowBytes),
            (NGHTTP2_SETTINGS_MAX_FRAME_SIZE, settings.maxFrameBytes),
            (NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits.maxHeadBytes),
            (NGHTTP2_SETTINGS_ENABLE_PUSH, 0),
        ].map { nghttp2_settings_entry(settings_id: Int32($0.0.rawValue), value: UInt32(clamping: $0.1)) }
        guard nghttp2_submit_settings(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries, entries.count) == 0 else {
            return false
        }
        return nghttp2_session_set_local_window_size(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0,
                                                     Int32(clamping: settings.connectionWindowBytes)) == 0
    }

    // MARK: - Reading

    /// Feeds bytes read from the socket to libnghttp2, dispatches the requests they completed, and sends what
    /// that queued (SETTINGS ACKs, WINDOW_UPDATEs, responses). Called on the loop.
    func receive(_ bytes: ArraySlice<UInt8>) {
        guard let session, !isFinished else { return }
        let result = bytes.withUnsafeBufferPointer { buffer in
            nghttp2_session_mem_recv(session, buffer.baseAddress, buffer.count)
        }
        if result < 0 {
            // Fatal: not HTTP/2 (bad preface), a flood, or out of memory. Send the GOAWAY libnghttp2 may have
            // queued, then close.
            sendPending()
            finish()
            return
        }
        let ready = completedRequests
        completedRequests = []
        for stream in ready where !connection.machine.isClosed {
            stream.dispatch(context: connection.context, peer: connection.peer)
        }
        if connection.context.isDraining { drain() }
        sendPending()
    }

    // MARK: - Writing

    /// Sends at the end of this turn of the loop (writers' flushes coalesce into one write). Called on the loop.
    func scheduleSend() {
        guard !isSendScheduled, !isSending else { return }
        isSendScheduled = true
        let connection = self.connection  // kept alive until the block ran (`connection` is unowned here)
        connection.loop.execute { [self] in
            withExtendedLifetime(connection) {
                isSendScheduled = false
                sendPending()
            }
        }
    }

    /// Moves frames from libnghttp2 to the connection's write queue, up to `maxQueuedOutputBytes` queued, and
    /// writes them. Closes the connection when libnghttp2 has nothing left to read or write (after GOAWAY).
    func sendPending() {
        guard let session, !isSending, !connection.machine.isClosed else { return }
        isSending = true
        var isCapped = false
        repeat {
            var buffer: [UInt8] = []
            let room = settings.maxQueuedOutputBytes - connection.writeQueue.totalBytes
            while buffer.count < room {
                var data: UnsafePointer<UInt8>?
                let count = nghttp2_session_mem_send(session, &data)
                if count < 0 {
                    isSending = false
                    connection.close()
                    return
                }
                guard count > 0, let data else { break }
                buffer.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
            }
            isCapped = buffer.count >= room
            connection.writeQueue.append(buffer)
            connection.flushSocket()
        } while isCapped && connection.writeQueue.isEmpty && !connection.machine.isClosed
        isSending = false
        if !connection.machine.isClosed && nghttp2_session_want_read(session) == 0
            && nghttp2_session_want_write(session) == 0
        {
            finish()
        }
    }

    /// The connection's write queue drained to `queued` bytes: pull more frames once it is empty.
    func writeQueueDrained(to queued: Int) {
        if queued == 0 && !isFinished { sendPending() }
    }

    /// Writes what is queued, then shuts the connection down (it lingers, then closes).
    private func finish() {
        guard !isFinished else { return }
        isFinished = true
        connection.closeAfterQueuedBytes()
    }

    // MARK: - Streams

    /// Submits a response's HEADERS; with `hasBody`, DATA frames follow from the stream's data source.
    /// - Returns: false when libnghttp2 refused (the stream is gone or the fields are invalid).
    func submitResponse(streamID: Int32, head: ResponseHead, hasBody: Bool) -> Bool {
        guard let session else { return false }
        let fields = HTTP2ResponseFields.fields(of: head, serverName: connection.context.configuration.serverName)
        var storage: [UInt8] = []
        var ranges: [(name: Range<Int>, value: Range<Int>)] = []
        for field in fields {
            let nameStart = storage.count
            storage.append(contentsOf: field.name.utf8)
            let valueStart = storage.count
            storage.append(contentsOf: field.value.utf8)
            ranges.append((nameStart..<valueStart, valueStart..<storage.count))
        }
        return storage.withUnsafeMutableBufferPointer { buffer -> Bool in
            let base = buffer.baseAddress!
            let nva = ranges.map { range in
                nghttp2_nv(name: base + range.name.lowerBound, value: base + range.value.lowerBound,
                           namelen: range.name.count, valuelen: range.value.count,
                           flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            guard hasBody else { return nghttp2_submit_response(session, streamID, nva, nva.count, nil) == 0 }
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil),
                                                 read_callback: HTTP2Callbacks.readData)
            return nghttp2_submit_response(session, streamID, nva, nva.count, &provider) == 0
        }
    }

    /// The stream's data source had deferred and now has bytes (or its end).
    func resumeData(streamID: Int32) {
        guard let session else { return }
        _ = nghttp2_session_resume_data(session, streamID)
    }

    /// Resets a stream with RST_STREAM INTERNAL_ERROR (its response cannot go on: a writer overflowed or was
    /// dropped mid-stream).
    func resetStream(id: Int32) {
        guard let session else { return }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id,
                                      NGHTTP2_INTERNAL_ERROR.rawValue)
    }

    // MARK: - Lifecycle

    /// Graceful shutdown: GOAWAY NO_ERROR naming the last stream we took, so the client retries later ones on
    /// another connection; open streams run to their end, then the connection closes. Idempotent.
    func drain() {
        guard let session, !isGoingAway, !isFinished else { return }
        isGoingAway = true
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue),
                                  nghttp2_session_get_last_proc_stream_id(session), NGHTTP2_NO_ERROR.rawValue,
                                  nil, 0)
        sendPending()
    }

    /// Request timeouts (a stream whose header block or body stalls is answered 408) and the idle timeout (no
    /// open stream for `timeouts.idle` → GOAWAY and close). Called on the loop by its ticker.
    func checkDeadlines(now: ContinuousClock.Instant) {
        let timeouts = connection.context.configuration.timeouts
        let stalled = streams.values.filter { $0.requestTimedOut(now: now, timeouts: timeouts) }
        for stream in stalled where !connection.machine.isClosed {
            stream.dispatch(context: connection.context, peer: connection.peer)
        }
        guard streams.isEmpty, !isGoingAway else { return }
        if now - idleSince >= timeouts.idle { drain() }
    }

    /// The connection closed: every open stream's writer sees `onClose`.
    func connectionClosed() {
        isFinished = true
        let open = streams.values
        streams = [:]
        completedRequests = []
        for stream in open { stream.closed() }
    }

    /// libnghttp2 closed a stream (finished, reset by either side, or refused).
    func streamClosed(id: Int32) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        if streams.isEmpty { idleSince = .now }
        stream.closed()
    }
}
