// SPDX-License-Identifier: Apache-2.0

/// Where an `HTTPResponseWriter`'s response goes: an HTTP/1.1 connection (`HTTPConnection`), or one stream of an
/// HTTP/2 connection (`HTTP2Stream`). The writer keeps the thread-safe part (its outbox, water marks, callbacks);
/// the sink lives on an event loop, takes the outbox there and frames it for its protocol.
///
/// Every method but `loop` and `wireFormat` is called on `loop`.
protocol HTTPResponseSink: AnyObject, Sendable {
    /// The event loop the sink lives on; writers hop there to hand over what they queued.
    var loop: EventLoop { get }

    /// How a writer encodes heads and frames bodies for this sink. Constant.
    var wireFormat: HTTPWireFormat { get }

    /// True when `writer` belongs to the request whose responder runs right now on the loop (the sink flushes
    /// after the responder returns, so writes need no hop).
    func isDispatching(_ writer: HTTPResponseWriter) -> Bool

    /// Takes what `writer` queued (`writer.takeOutbox()`) and sends it; when the response ended, runs its finish
    /// callbacks.
    func flush(_ writer: HTTPResponseWriter)

    /// `writer` would buffer more than `maxWriteBufferBytes`: the client reads too slowly. The sink ends the
    /// response (HTTP/1.1: closes the connection; HTTP/2: resets the stream).
    func writerOverflowed(_ writer: HTTPResponseWriter)

    /// The writer was dropped before its response finished: answer 500 when no head went out, else abort.
    func writerAbandoned(headWritten: Bool)
}

/// The framing a writer produces for its sink.
enum HTTPWireFormat: Equatable {
    /// HTTP/1.x bytes: the head serialized by `ResponseHeadEncoder`, bodies with `Content-Length` or chunked.
    case http1
    /// HTTP/2: the head handed over as fields (`ResponseWriterState.TakenOutbox.head`), body bytes unframed; the
    /// stream turns them into HEADERS and DATA frames.
    case http2
}

/// A response head as an HTTP/2 stream receives it: the status and the fields to send, connection-specific ones
/// removed.
struct ResponseHead: Equatable {
    var status: HTTPStatus
    var headers: HTTPHeaders
    /// The body's length when known (`respond`), nil for a stream.
    var contentLength: Int?
}

extension HTTPConnection: HTTPResponseSink {
    var wireFormat: HTTPWireFormat { .http1 }

    func flush(_ writer: HTTPResponseWriter) {
        flushWriter(writer, resumesParsing: true)
    }

    func writerOverflowed(_ writer: HTTPResponseWriter) {
        close()
    }
}
