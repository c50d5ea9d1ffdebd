// SPDX-License-Identifier: Apache-2.0

/// Size limits a request must respect, each with the status it is refused with.
public struct HTTPRequestLimits: Sendable, Equatable {
    /// Bytes of header fields after the request line, terminating empty line included (431 beyond). Default 64 KiB.
    public var maxHeadBytes: Int = 64 * 1024
    /// Bytes of the request target (414 beyond). Default 8 KiB.
    public var maxURIBytes: Int = 8 * 1024
    /// Bytes of body after chunked decoding (413 beyond; decided from `Content-Length` before any body byte is read
    /// when the request has one). Default 32 MiB.
    public var maxBodyBytes: Int = 32 * 1024 * 1024

    public init(maxHeadBytes: Int = 64 * 1024, maxURIBytes: Int = 8 * 1024, maxBodyBytes: Int = 32 * 1024 * 1024) {
        self.maxHeadBytes = maxHeadBytes
        self.maxURIBytes = maxURIBytes
        self.maxBodyBytes = maxBodyBytes
    }
}

/// An incremental HTTP/1.1 request parser: append bytes as they arrive, then call `next()` until `.needMoreData`.
///
/// The result does not depend on how the bytes were split: feeding a request whole or one byte at a time gives the
/// same events, and each byte is scanned a bounded number of times. Pipelined requests come out one at a time, in
/// order. After `.failed` the parser stays failed: the connection answers with the error's status and closes.
///
/// A value owned by one connection and used only on that connection's event loop.
struct HTTPParser {
    /// What `next()` found.
    enum Event {
        /// The buffered bytes end inside a request: append more.
        case needMoreData
        /// The head asked for `Expect: 100-continue` and passed every check; the body has not arrived yet.
        /// The connection sends `100 Continue` now. Emitted at most once per request.
        case continueExpected
        /// A whole request, body included.
        case request(HTTPRequest)
        /// The bytes are not a valid request, or break a limit.
        case failed(HTTPParserError)
    }

    /// Where the parser is inside the current request, for timeouts.
    enum Phase: Equatable {
        /// No byte of the next request is buffered.
        case idle
        /// Some of a head has arrived, not all.
        case head
        /// The head is complete, the body is not.
        case body
    }

    let limits: HTTPRequestLimits
    /// Copied into every request.
    var remoteAddress: SocketAddress?

    /// Received bytes; those before `readIndex` are consumed.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var state: State = .head(HeadScan())

    private enum State {
        case head(HeadScan)
        case fixedBody(HTTPRequest, length: Int)
        case chunkedBody(HTTPRequest, ChunkedBodyState)
        case failed(HTTPParserError)
    }

    /// Progress of the search for the end of a head. Offsets are relative to `readIndex`.
    struct HeadScan {
        /// Bytes already searched for line feeds.
        var scannedBytes = 0
        /// Start of the line being scanned.
        var lineStart = 0
        /// Start of the request line (after any empty lines before it).
        var requestLineStart = 0
        /// End of the request line, its CRLF included; nil until found.
        var requestLineEnd: Int?
    }

    init(limits: HTTPRequestLimits, remoteAddress: SocketAddress? = nil) {
        self.limits = limits
        self.remoteAddress = remoteAddress
    }

    /// Bytes received and not yet consumed by a returned request.
    var bufferedBytes: Int { buffer.count - readIndex }

    var phase: Phase {
        switch state {
        case .head: return bufferedBytes == 0 ? .idle : .head
        case .fixedBody, .chunkedBody: return .body
        case .failed: return .idle
        }
    }

    /// Appends received bytes. Consumed bytes are dropped first, so an idle parser holds no memory.
    mutating func append(_ bytes: ArraySlice<UInt8>) {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 16 * 1024)
            readIndex = 0
        } else if readIndex >= 4096 && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Frees the buffer's memory when everything in it has been consumed (a connection going idle).
    mutating func releaseMemoryIfEmpty() {
        if readIndex == buffer.count && buffer.capacity > 0 {
            buffer = []
            readIndex = 0
        }
    }

    /// Parses as far as the buffered bytes allow.
    mutating func next() -> Event {
        switch state {
        case .failed(let error):
            return .failed(error)
        case .head(var scan):
            switch scanHead(&scan) {
            case .incomplete:
                state = .head(scan)
                return .needMoreData
            case .failed(let error):
                return fail(error)
            case .complete(let headEnd):
                return headCompleted(scan: scan, headEnd: headEnd)
            }
        case .fixedBody(var request, let length):
            guard bufferedBytes >= length else { return .needMoreData }
            request.body = Array(buffer[readIndex..<readIndex + length])
            readIndex += length
            state = .head(HeadScan())
            return .request(request)
        case .chunkedBody(var request, var chunked):
            state = .failed(.invalidChunk)  // placeholder while `request` is mutated outside the enum
            switch decodeChunks(into: &request.body, state: &chunked) {
            case .needMoreData:
                state = .chunkedBody(request, chunked)
                return .needMoreData
            case .complete:
                state = .head(HeadScan())
                return .request(request)
            case .failed(let error):
                return fail(error)
            }
        }
    }

    private mutating func fail(_ error: HTTPParserError) -> Event {
        state = .failed(error)
        return .failed(error)
    }

    /// Parses a complete head and chooses how to read the body.
    private mutating func headCompleted(scan: HeadScan, headEnd: Int) -> Event {
        let requestLineEnd = scan.requestLineEnd!
        guard headEnd - requestLineEnd <= limits.maxHeadBytes else { return fail(.headerTooLarge) }
        let parsed = buffer.withUnsafeBufferPointer { bytes in
            HTTPRequestHeadParser.parse(bytes, start: readIndex + scan.requestLineStart,
                                        requestLineEnd: readIndex + requestLineEnd,
                                        headEnd: readIndex + headEnd, limits: limits)
        }
        var head: HTTPRequestHeadParser.Head
        switch parsed {
        case .success(let parsedHead): head = parsedHead
        case .failure(let error): return fail(error)
        }
        readIndex += headEnd
        head.request.remoteAddress = remoteAddress
        switch head.framing {
        case .none:
            state = .head(HeadScan())
            return .request(head.request)
        case .length(let length):
            guard length <= limits.maxBodyBytes else { return fail(.bodyTooLarge) }
            state = .fixedBody(head.request, length: length)
            if head.expectsContinue && bufferedBytes < length { return .continueExpected }
        case .chunked:
            state = .chunkedBody(head.request, ChunkedBodyState())
            if head.expectsContinue && bufferedBytes == 0 { return .continueExpected }
        }
        return next()
    }

    // MARK: - Buffer access for the body decoders

    /// The unconsumed byte at `offset`.
    @inline(__always) func byte(at offset: Int) -> UInt8 { buffer[readIndex + offset] }

    /// The first `count` unconsumed bytes.
    func bufferedSlice(_ count: Int) -> ArraySlice<UInt8> { buffer[readIndex..<readIndex + count] }

    mutating func consume(_ count: Int) { readIndex += count }

    // MARK: - Finding the end of the head

    private enum HeadScanResult {
        case incomplete
        /// The head ends at this offset from `readIndex` (after its empty line).
        case complete(headEnd: Int)
        case failed(HTTPParserError)
    }

    /// Scans new bytes for line feeds until the empty line that ends the head.
    ///
    /// Note: this is the parser's one byte-scanning loop over unsafe memory (house style, example 5).
    private func scanHead(_ scan: inout HeadScan) -> HeadScanResult {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        let base = readIndex
        let available = buffer.count - base
        let result: HeadScanResult = buffer.withUnsafeBufferPointer { bytes in
            var offset = scan.scannedBytes
            while offset < available {
                guard bytes[base + offset] == lf else {
                    offset += 1
                    continue
                }
                guard offset > scan.lineStart, bytes[base + offset - 1] == cr else {
                    return .failed(scan.requestLineEnd == nil ? .invalidRequestLine : .invalidHeader)
                }
                let lineIsEmpty = offset - 1 == scan.lineStart
                offset += 1
                if scan.requestLineEnd == nil {
                    if lineIsEmpty {
                        // RFC 9112 §2.2: ignore empty lines before the request line (a few of them).
                        guard offset <= 64 else { return .failed(.invalidRequestLine) }
                        scan.requestLineStart = offset
                    } else {
                        scan.requestLineEnd = offset
                    }
                } else if lineIsEmpty {
                    return .complete(headEnd: offset)
                }
                scan.lineStart = offset
            }
            scan.scannedBytes = offset
            return .incomplete
        }
        guard case .incomplete = result else { return result }
        if let requestLineEnd = scan.requestLineEnd {
            if available - requestLineEnd > limits.maxHeadBytes { return .failed(.headerTooLarge) }
        } else if available - scan.lineStart > limits.maxURIBytes + 64 {
            // The target may take maxURIBytes; the method, spaces and version a little more.
            return .failed(.uriTooLong)
        }
        return result
    }
}
