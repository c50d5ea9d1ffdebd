// SPDX-License-Identifier: Apache-2.0
import CNghttp2

/// libnghttp2's callbacks: C function pointers that find their `HTTP2Session` through `user_data` and forward
/// to it and its streams. They run synchronously inside `nghttp2_session_mem_recv` / `mem_send`, on the loop.
enum HTTP2Callbacks {
    /// A callbacks object with every callback set; the caller deletes it.
    static func make() -> OpaquePointer? {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)
        return callbacks
    }

    private static func owner(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static func isRequestHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
        frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue)
    }

    /// A client opened a stream: track it.
    static let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
        guard let frame, isRequestHeaders(frame), frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST else { return 0 }
        let session = owner(userData)
        let id = frame.pointee.hd.stream_id
        session.streams[id] = HTTP2Stream(id: id, session: session, loop: session.connection.loop)
        return 0
    }

    /// One decoded header field (libnghttp2 has already checked names, pseudo-headers and their order).
    static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let frame, isRequestHeaders(frame) else { return 0 }
        let session = owner(userData)
        guard let stream = session.streams[frame.pointee.hd.stream_id] else { return 0 }
        let nameText = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
        let valueText = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
        stream.receivedHeader(name: nameText, value: valueText, limits: session.limits)
        return 0
    }

    /// A whole frame arrived: a request is complete at END_STREAM (or refused early by its content-length).
    static let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame else { return 0 }
        let type = frame.pointee.hd.type
        guard type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue) else { return 0 }
        let session = owner(userData)
        guard let stream = session.streams[frame.pointee.hd.stream_id] else { return 0 }
        let endsStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        if endsStream { stream.isRequestEnded = true }
        guard !stream.isDispatched else { return 0 }
        let refusedEarly = type == UInt8(NGHTTP2_HEADERS.rawValue) && stream.headersEnded(limits: session.limits)
        if endsStream || refusedEarly { session.completedRequests.append(stream) }
        return 0
    }

    /// Request body bytes. libnghttp2 has already charged them to the flow-control windows (and sends
    /// WINDOW_UPDATE as they are consumed here).
    static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
        let session = owner(userData)
        guard let stream = session.streams[streamID] else { return 0 }
        if stream.receivedBody(UnsafeBufferPointer(start: data, count: length), limits: session.limits) {
            session.completedRequests.append(stream)  // 413 now, not after the client sent it all
        }
        return 0
    }

    /// A response that ended before its request did (413, 408, a handler answering early): RST_STREAM NO_ERROR
    /// tells the client to stop sending the body (RFC 9113 §8.1).
    static let onFrameSent: nghttp2_on_frame_send_callback = { session, frame, userData in
        guard let session, let frame, frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 else {
            return 0
        }
        let type = frame.pointee.hd.type
        guard type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue),
              let stream = owner(userData).streams[frame.pointee.hd.stream_id], !stream.isRequestEnded else { return 0 }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, NGHTTP2_NO_ERROR.rawValue)
        return 0
    }

    static let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, _, userData in
        owner(userData).streamClosed(id: streamID)
        return 0
    }

    /// The data source of every response: copies the stream's pending bytes into a DATA frame, or defers until
    /// the writer writes more (`HTTP2Stream.flush` resumes it).
    static let readData: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        let session = owner(userData)
        guard let stream = session.streams[streamID], let buffer else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        switch stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: length)) {
        case .deferred:
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        case .data(let count, let isEnd):
            if isEnd { flags?.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
            return count
        }
    }
}
