// SPDX-License-Identifier: Apache-2.0

/// Why a request could not be read. Each case carries the status the server answers with before closing.
public enum HTTPParserError: Error, Sendable, Equatable {
    /// The request line is not `METHOD SP target SP HTTP/x.y CRLF`.
    case invalidRequestLine
    /// The request line names a version other than HTTP/1.0 and HTTP/1.1.
    case unsupportedVersion
    /// The target is longer than `maxURIBytes`.
    case uriTooLong
    /// A header line is malformed (no colon, a bad name, a control character, obs-fold, a bare LF).
    case invalidHeader
    /// The header section (or a chunked trailer section) is longer than `maxHeadBytes`.
    case headerTooLarge
    /// `Content-Length` is not a decimal number, or two of them disagree.
    case invalidContentLength
    /// Both `Content-Length` and `Transfer-Encoding` are present (a request-smuggling shape).
    case contentLengthWithTransferEncoding
    /// `Transfer-Encoding` is present but `chunked` is not its final coding.
    case invalidTransferEncoding
    /// `Transfer-Encoding` lists a coding other than `chunked`.
    case unsupportedTransferEncoding
    /// The body (declared or received) is longer than `maxBodyBytes`.
    case bodyTooLarge
    /// A chunk size line is not hexadecimal, or chunk data is not followed by CRLF.
    case invalidChunk
    /// `Expect` holds something other than `100-continue`.
    case unsupportedExpectation

    /// The status this error is answered with.
    public var status: HTTPStatus {
        switch self {
        case .invalidRequestLine, .invalidHeader, .invalidContentLength, .contentLengthWithTransferEncoding,
             .invalidTransferEncoding, .invalidChunk:
            return .badRequest
        case .unsupportedVersion: return .httpVersionNotSupported
        case .uriTooLong: return .uriTooLong
        case .headerTooLarge: return .requestHeaderFieldsTooLarge
        case .unsupportedTransferEncoding: return .notImplemented
        case .bodyTooLarge: return .contentTooLarge
        case .unsupportedExpectation: return .expectationFailed
        }
    }

    /// A sentence for the error body's `message`.
    public var message: String {
        switch self {
        case .invalidRequestLine: return "Invalid HTTP request line."
        case .unsupportedVersion: return "Only HTTP/1.0 and HTTP/1.1 are supported."
        case .uriTooLong: return "The request target is too long."
        case .invalidHeader: return "Invalid HTTP header line."
        case .headerTooLarge: return "The request header fields are too large."
        case .invalidContentLength: return "Invalid Content-Length header."
        case .contentLengthWithTransferEncoding:
            return "A request must not carry both Content-Length and Transfer-Encoding."
        case .invalidTransferEncoding: return "Transfer-Encoding must end with chunked."
        case .unsupportedTransferEncoding: return "Only the chunked transfer coding is supported."
        case .bodyTooLarge: return "The request body is too large."
        case .invalidChunk: return "Invalid chunked request body."
        case .unsupportedExpectation: return "Only Expect: 100-continue is supported."
        }
    }
}
