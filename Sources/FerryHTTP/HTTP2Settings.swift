// SPDX-License-Identifier: Apache-2.0

/// HTTP/2 settings of an `HTTPServer`: whether it speaks HTTP/2, and the limits it advertises and enforces.
///
/// Limits shared with HTTP/1.1 come from `HTTPServerConfiguration`: the request body limit (`limits.maxBodyBytes`,
/// 413), the header limit (`limits.maxHeadBytes`, advertised as SETTINGS_MAX_HEADER_LIST_SIZE, 431), the header and
/// body timeouts (per stream: a stalled request gets 408), the idle timeout (`timeouts.idle`: a connection with no
/// open stream for that long gets GOAWAY NO_ERROR and closes) and the
/// writers' buffer limits (a stream that would buffer past `maxWriteBufferBytes` is reset).
public struct HTTP2Settings: Sendable, Equatable {
    /// Serve HTTP/2: cleartext h2c when a connection opens with the client preface (`PRI * HTTP/2.0`), and h2
    /// when TLS negotiates it through ALPN. Default true.
    public var isEnabled = true
    /// SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once. Streams beyond it in the client's
    /// first flight (before it acknowledged our SETTINGS) get RST_STREAM REFUSED_STREAM; a client that exceeds
    /// the acknowledged value gets GOAWAY PROTOCOL_ERROR (libnghttp2's rule). Default 100.
    public var maxConcurrentStreams = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: bytes of request body a client may send on one stream before we grant more.
    /// Default 1 MiB.
    public var initialStreamWindowBytes = 1 << 20
    /// The connection's receive window (all streams' request bodies together). Default 4 MiB.
    public var connectionWindowBytes = 4 << 20
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload we accept. Default 16 KiB (the protocol's minimum,
    /// so every client's frames fit without a renegotiation).
    public var maxFrameBytes = 16 << 10
    /// Encoded frames taken from libnghttp2 onto the connection's write queue before waiting for the socket to
    /// drain; the rest waits in the streams, whose writers then report back-pressure. Default 256 KiB.
    public var maxQueuedOutputBytes = 256 << 10

    public init(isEnabled: Bool = true, maxConcurrentStreams: Int = 100) {
        self.isEnabled = isEnabled
        self.maxConcurrentStreams = maxConcurrentStreams
    }
}
