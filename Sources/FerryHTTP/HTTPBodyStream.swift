// SPDX-License-Identifier: Apache-2.0

/// The body of a streamed response, returned by `HTTPResponseWriter.startStream`: write chunks, then `finish()`.
///
/// Thread-safe and cheap to copy (it wraps the writer). Calls from several threads are written in the order they
/// take the writer's lock; a producer normally writes from one thread.
public struct HTTPBodyStream: Sendable {
    /// How body bytes are framed on the wire.
    enum Framing {
        /// `Transfer-Encoding: chunked` (HTTP/1.1).
        case chunked
        /// Raw bytes, the end marked by closing the connection (HTTP/1.0).
        case raw
        /// No body may be sent (a HEAD request, a 204/304 status): writes are accepted and dropped.
        case discard
    }

    public let writer: HTTPResponseWriter
    let framing: Framing

    /// Writes one chunk. Empty writes are skipped (an empty chunk would end the body).
    /// - Returns: false when dropped: the connection closed, the stream finished, or the client read so slowly that
    ///   `maxWriteBufferBytes` filled up (the connection is then closed). Check `isWritable` to avoid that.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return !writer.isClosed }
        switch framing {
        case .discard:
            return !writer.isClosed
        case .raw:
            return writer.enqueueBody([bytes], bodyBytes: bytes.count, isEnd: false)
        case .chunked:
            var prefix: [UInt8] = []
            prefix.reserveCapacity(bytes.count <= 2048 ? bytes.count + 12 : 12)
            ResponseHeadEncoder.appendHex(bytes.count, to: &prefix)
            prefix.append(contentsOf: Self.crlf)
            if bytes.count <= 2048 {
                // Small chunks (a token, an SSE event) go out as one buffer.
                prefix.append(contentsOf: bytes)
                prefix.append(contentsOf: Self.crlf)
                return writer.enqueueBody([prefix], bodyBytes: bytes.count, isEnd: false)
            }
            return writer.enqueueBody([prefix, bytes, Self.crlf], bodyBytes: bytes.count, isEnd: false)
        }
    }

    /// Writes `text` as UTF-8.
    @discardableResult
    public func write(_ text: String) -> Bool {
        write(Array(text.utf8))
    }

    /// Ends the body: the terminating chunk (with `trailers`, if any) for a chunked stream; for HTTP/1.0, the
    /// connection closes once the bytes are written. Later calls do nothing.
    public func finish(trailers: HTTPHeaders = [:]) {
        var end: [UInt8] = []
        if framing == .chunked {
            end.append(contentsOf: "0\r\n".utf8)
            for field in trailers {
                end.append(contentsOf: field.name.utf8.filter { $0 != 13 && $0 != 10 })
                end.append(contentsOf: ": ".utf8)
                end.append(contentsOf: field.value.utf8.filter { $0 != 13 && $0 != 10 })
                end.append(contentsOf: Self.crlf)
            }
            end.append(contentsOf: Self.crlf)
        }
        _ = writer.enqueueBody([end], bodyBytes: 0, isEnd: true)
    }

    /// See `HTTPResponseWriter.isWritable`.
    public var isWritable: Bool { writer.isWritable }

    /// See `HTTPResponseWriter.waitUntilWritable()`.
    public func waitUntilWritable() async { await writer.waitUntilWritable() }

    private static let crlf: [UInt8] = [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
}
