// SPDX-License-Identifier: Apache-2.0

/// Where the decoder is inside a chunked body (RFC 9112 §7.1).
struct ChunkedBodyState {
    enum Step {
        /// Reading `chunk-size [; extensions] CRLF`; `scannedBytes` of the line were searched already.
        case sizeLine(scannedBytes: Int)
        /// Copying this many more bytes of chunk data.
        case data(remaining: Int)
        /// Expecting the CRLF after chunk data.
        case dataEnd
        /// After the last chunk: trailer lines until an empty one.
        case trailers(scannedBytes: Int, lineStart: Int)
    }

    var step: Step = .sizeLine(scannedBytes: 0)
    /// Bytes of chunk-size lines and trailers read so far, bounded by `maxHeadBytes`.
    var framingBytes = 0
}

extension HTTPParser {
    enum ChunkedResult {
        case needMoreData
        case complete
        case failed(HTTPParserError)
    }

    /// Longest chunk-size line accepted, extensions included.
    static let maxChunkSizeLineBytes = 4096

    /// Decodes as many chunks as are buffered, appending their data to `body`.
    mutating func decodeChunks(into body: inout [UInt8], state: inout ChunkedBodyState) -> ChunkedResult {
        while true {
            switch state.step {
            case .sizeLine(let scanned):
                guard let lineEnd = findLineEnd(from: scanned) else {
                    if bufferedBytes > Self.maxChunkSizeLineBytes { return .failed(.invalidChunk) }
                    state.step = .sizeLine(scannedBytes: bufferedBytes)
                    return .needMoreData
                }
                guard lineEnd >= 0, let size = chunkSize(lineEnd: lineEnd) else { return .failed(.invalidChunk) }
                guard size <= limits.maxBodyBytes - body.count else { return .failed(.bodyTooLarge) }
                consume(lineEnd + 2)
                state.framingBytes += lineEnd + 2
                state.step = size == 0 ? .trailers(scannedBytes: 0, lineStart: 0) : .data(remaining: size)
            case .data(let remaining):
                let take = min(remaining, bufferedBytes)
                guard take > 0 else { return .needMoreData }
                body.append(contentsOf: bufferedSlice(take))
                consume(take)
                state.step = take == remaining ? .dataEnd : .data(remaining: remaining - take)
            case .dataEnd:
                guard bufferedBytes >= 2 else { return .needMoreData }
                guard bufferedSlice(2).elementsEqual([UInt8(ascii: "\r"), UInt8(ascii: "\n")]) else {
                    return .failed(.invalidChunk)
                }
                consume(2)
                state.step = .sizeLine(scannedBytes: 0)
            case .trailers(let scanned, let lineStart):
                guard let lineEnd = findLineEnd(from: scanned) else {
                    if state.framingBytes + bufferedBytes > limits.maxHeadBytes { return .failed(.headerTooLarge) }
                    state.step = .trailers(scannedBytes: bufferedBytes, lineStart: lineStart)
                    return .needMoreData
                }
                guard lineEnd >= lineStart else { return .failed(.invalidHeader) }
                if lineEnd == lineStart {
                    consume(lineEnd + 2)
                    return .complete
                }
                // A trailer field: checked for shape and dropped (handlers get headers only from the head).
                guard isTrailerField(lineStart, lineEnd) else { return .failed(.invalidHeader) }
                state.framingBytes += lineEnd + 2 - lineStart
                if state.framingBytes > limits.maxHeadBytes { return .failed(.headerTooLarge) }
                state.step = .trailers(scannedBytes: lineEnd + 2, lineStart: lineEnd + 2)
            }
        }
    }

    // MARK: - Lines inside the body

    /// The offset (from the first unconsumed byte) of the next CRLF at or after `from`; nil when none is buffered,
    /// -1 when a bare LF comes first.
    private func findLineEnd(from: Int) -> Int? {
        var offset = from
        let count = bufferedBytes
        while offset < count {
            if byte(at: offset) == UInt8(ascii: "\n") {
                return offset > 0 && byte(at: offset - 1) == UInt8(ascii: "\r") ? offset - 1 : -1
            }
            offset += 1
        }
        return nil
    }

    /// Parses `1*HEXDIG [BWS ; extension]` in the first `lineEnd` unconsumed bytes.
    private func chunkSize(lineEnd: Int) -> Int? {
        var size = 0
        var digits = 0
        var offset = 0
        while offset < lineEnd, let value = hexValue(byte(at: offset)) {
            guard digits < 15 else { return nil }  // > 2^60: no body is that large
            size = size << 4 | value
            digits += 1
            offset += 1
        }
        guard digits > 0 else { return nil }
        while offset < lineEnd && (byte(at: offset) == UInt8(ascii: " ") || byte(at: offset) == UInt8(ascii: "\t")) {
            offset += 1
        }
        guard offset == lineEnd || byte(at: offset) == UInt8(ascii: ";") else { return nil }
        while offset < lineEnd {
            let byte = byte(at: offset)
            if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F { return nil }
            offset += 1
        }
        return size
    }

    private func isTrailerField(_ start: Int, _ end: Int) -> Bool {
        var offset = start
        while offset < end && HTTPRequestHeadParser.isTokenByte(byte(at: offset)) { offset += 1 }
        guard offset > start, offset < end, byte(at: offset) == UInt8(ascii: ":") else { return false }
        while offset < end {
            let byte = byte(at: offset)
            if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F { return false }
            offset += 1
        }
        return true
    }

    @inline(__always) private func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
