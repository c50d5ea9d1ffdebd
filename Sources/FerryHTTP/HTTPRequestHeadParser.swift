// SPDX-License-Identifier: Apache-2.0

/// Parses one complete head (request line and header fields) that `HTTPParser` has found in its buffer.
///
/// Stateless; called by `HTTPParser` on the connection's event loop with the buffer's memory pinned.
enum HTTPRequestHeadParser {
    /// How the body that follows the head is framed.
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    struct Head {
        var request: HTTPRequest
        var framing: Framing
        var expectsContinue: Bool
    }

    /// - Parameters:
    ///   - bytes: the parser's whole buffer.
    ///   - start: index of the request line's first byte.
    ///   - requestLineEnd: index just after the request line's CRLF.
    ///   - headEnd: index just after the head's final empty line.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, requestLineEnd: Int, headEnd: Int,
                      limits: HTTPRequestLimits) -> Result<Head, HTTPParserError>
    {
        let line: (method: HTTPMethod, target: String, version: HTTPVersion)
        switch parseRequestLine(bytes, start, requestLineEnd - 2, limits: limits) {
        case .success(let parsed): line = parsed
        case .failure(let error): return .failure(error)
        }
        var headers = HTTPHeaders()
        var contentLength: Int?
        var transferCodings: [Substring] = []
        var expectsContinue = false
        var lineStart = requestLineEnd
        while lineStart < headEnd - 2 {
            var lineEnd = lineStart
            while bytes[lineEnd] != UInt8(ascii: "\r") || bytes[lineEnd + 1] != UInt8(ascii: "\n") { lineEnd += 1 }
            guard let field = parseField(bytes, lineStart, lineEnd) else { return .failure(.invalidHeader) }
            switch field.name.utf8.count {
            case 14 where HTTPHeaders.namesMatch(field.name, "content-length"):
                guard let length = parseContentLength(field.value) else { return .failure(.invalidContentLength) }
                guard contentLength == nil || contentLength == length else {
                    return .failure(.invalidContentLength)
                }
                contentLength = length
            case 17 where HTTPHeaders.namesMatch(field.name, "transfer-encoding"):
                for coding in field.value.split(separator: ",") {
                    let trimmed = coding.trimmingSpaces()
                    if !trimmed.isEmpty { transferCodings.append(trimmed) }
                }
            case 6 where HTTPHeaders.namesMatch(field.name, "expect"):
                guard HTTPHeaders.equalsIgnoringCase(field.value.utf8, "100-continue".utf8) else {
                    return .failure(.unsupportedExpectation)
                }
                expectsContinue = line.version == .http1_1
            default:
                break
            }
            headers.add(name: field.name, value: field.value)
            lineStart = lineEnd + 2
        }
        let framing: Framing
        switch framingOf(contentLength: contentLength, transferCodings: transferCodings, version: line.version) {
        case .success(let chosen): framing = chosen
        case .failure(let error): return .failure(error)
        }
        let request = HTTPRequest(method: line.method, target: line.target, version: line.version, headers: headers)
        return .success(Head(request: request, framing: framing,
                             expectsContinue: expectsContinue && framing != .none && framing != .length(0)))
    }

    private static func framingOf(contentLength: Int?, transferCodings: [Substring], version: HTTPVersion)
        -> Result<Framing, HTTPParserError>
    {
        if transferCodings.isEmpty { return .success(contentLength.map { $0 == 0 ? .none : .length($0) } ?? .none) }
        guard contentLength == nil else { return .failure(.contentLengthWithTransferEncoding) }
        guard version == .http1_1 else { return .failure(.invalidTransferEncoding) }
        let isChunked = { (coding: Substring) in HTTPHeaders.equalsIgnoringCase(coding.utf8, "chunked".utf8) }
        guard isChunked(transferCodings.last!) else {
            return .failure(transferCodings.contains(where: isChunked) ? .invalidTransferEncoding
                                                                       : .unsupportedTransferEncoding)
        }
        guard transferCodings.count == 1 else {
            // gzip, chunked and the like: we decode no content codings.
            return .failure(transferCodings.dropLast().contains(where: isChunked) ? .invalidTransferEncoding
                                                                                  : .unsupportedTransferEncoding)
        }
        return .success(.chunked)
    }

    // MARK: - Request line

    private static func parseRequestLine(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                                         limits: HTTPRequestLimits)
        -> Result<(method: HTTPMethod, target: String, version: HTTPVersion), HTTPParserError>
    {
        var index = start
        while index < end && isTokenByte(bytes[index]) { index += 1 }
        guard index > start, index < end, bytes[index] == UInt8(ascii: " ") else {
            return .failure(.invalidRequestLine)
        }
        let method = knownMethod(bytes, start, index)
            ?? HTTPMethod(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        let targetStart = index + 1
        index = targetStart
        while index < end && bytes[index] > 0x20 && bytes[index] < 0x7F { index += 1 }
        if index - targetStart > limits.maxURIBytes { return .failure(.uriTooLong) }
        guard index > targetStart, index < end, bytes[index] == UInt8(ascii: " ") else {
            return .failure(.invalidRequestLine)
        }
        let target = String(decoding: UnsafeBufferPointer(rebasing: bytes[targetStart..<index]), as: UTF8.self)
        let version = bytes[(index + 1)..<end]
        guard version.count == 8, version.starts(with: "HTTP/".utf8),
              let major = digit(version[index + 6]), version[index + 7] == UInt8(ascii: "."),
              let minor = digit(version[index + 8])
        else { return .failure(.invalidRequestLine) }
        guard major == 1 && minor <= 1 else { return .failure(.unsupportedVersion) }
        return .success((method, target, minor == 1 ? .http1_1 : .http1_0))
    }

    /// The shared constant for the common methods, so parsing them allocates nothing.
    private static func knownMethod(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> HTTPMethod? {
        let slice = bytes[start..<end]
        switch end - start {
        case 3: return slice.elementsEqual("GET".utf8) ? .get : slice.elementsEqual("PUT".utf8) ? .put : nil
        case 4: return slice.elementsEqual("POST".utf8) ? .post : slice.elementsEqual("HEAD".utf8) ? .head : nil
        case 7: return slice.elementsEqual("OPTIONS".utf8) ? .options : nil
        default: return nil
        }
    }

    // MARK: - Header fields

    /// Parses `name: value` in `bytes[start..<end]` (CRLF excluded); nil when malformed.
    private static func parseField(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int)
        -> (name: String, value: String)?
    {
        var colon = start
        while colon < end && isTokenByte(bytes[colon]) { colon += 1 }
        // No leading whitespace (obs-fold), no whitespace between name and colon (RFC 9112 §5.1).
        guard colon > start, colon < end, bytes[colon] == UInt8(ascii: ":") else { return nil }
        var valueStart = colon + 1
        var valueEnd = end
        while valueStart < valueEnd && isSpaceOrTab(bytes[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart && isSpaceOrTab(bytes[valueEnd - 1]) { valueEnd -= 1 }
        for index in valueStart..<valueEnd {
            let byte = bytes[index]
            if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F { return nil }
        }
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<colon]), as: UTF8.self)
        let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
        return (name, value)
    }

    /// A decimal `Content-Length`; nil when not all digits. A value beyond any body we could hold saturates, so it
    /// is refused as too large (413) rather than malformed.
    static func parseContentLength(_ value: String) -> Int? {
        guard !value.isEmpty else { return nil }
        var length = 0
        for byte in value.utf8 {
            guard let digit = digit(byte) else { return nil }
            length = length > (Int.max - 9) / 10 ? Int.max : length * 10 + digit
        }
        return length
    }

    @inline(__always) private static func digit(_ byte: UInt8) -> Int? {
        byte &- UInt8(ascii: "0") < 10 ? Int(byte &- UInt8(ascii: "0")) : nil
    }

    @inline(__always) private static func isSpaceOrTab(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// RFC 9110 `tchar`: the bytes of a method or a header name.
    @inline(__always) static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
