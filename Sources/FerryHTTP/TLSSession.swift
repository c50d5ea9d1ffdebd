// SPDX-License-Identifier: Apache-2.0
import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One connection's server-side TLS state (an OpenSSL `SSL` on the non-blocking socket): the handshake, then
/// records in both directions. Every call returns at once; `wouldBlock` says which readiness to wait for, which
/// may be the opposite direction (a read that must first flush a pending write, and the reverse).
///
/// Note: used only on its connection's event loop. OpenSSL's error queue is per thread and Dispatch moves a loop
/// between threads, so every call clears the queue first.
final class TLSSession {
    private let ssl: OpaquePointer
    /// True once the handshake finished; records carry application data from then on.
    private(set) var isHandshakeComplete = false
    /// The protocol ALPN chose (`"h2"`, `"http/1.1"`), nil when the client offered no ALPN; set with
    /// `isHandshakeComplete`.
    private(set) var applicationProtocol: String?
    /// How the session ended; no more I/O is attempted after.
    private enum Terminal: Equatable {
        /// The peer closed (`close_notify` or TCP EOF).
        case closed
        case failed(TransportError)
    }

    private var terminal: Terminal?
    private var sentCloseNotify = false

    /// Largest TLS record payload: one `SSL_write` gathers up to this many queued bytes.
    static let maxRecordPayload = 16 * 1024

    init(ssl: OpaquePointer) {
        self.ssl = ssl
    }

    deinit { SSL_free(ssl) }

    /// Bytes decrypted (or an end) already held inside OpenSSL: no readable event will announce them.
    /// An end already seen (after the bytes before it were returned) counts too: the next read reports it.
    var hasBufferedInput: Bool {
        terminal != nil || (isHandshakeComplete && SSL_has_pending(ssl) == 1)
    }

    // MARK: - Reading

    /// Finishes the handshake if needed, then reads application data into the front of `buffer` until it is full
    /// or OpenSSL has no more.
    /// - Returns: `.processed(n)` (only after the handshake), `.wouldBlock` with the readiness to wait for, or
    ///   `.endOfFile` once the peer closed (`close_notify` or TCP EOF).
    /// - Throws: `TransportError.plainHTTPRequest` for a client speaking plain HTTP to the TLS port, else
    ///   `.tls`/`.system` for a failed handshake or record; the session is then unusable.
    func read(into buffer: inout [UInt8]) throws(TransportError) -> TransportResult {
        if let terminal { return try end(terminal) }
        if !isHandshakeComplete {
            if let blocked = try handshake() { return blocked }
        }
        var filled = 0
        var stop: TransportResult?
        buffer.withUnsafeMutableBytes { bytes in
            while filled < bytes.count {
                ERR_clear_error()
                var count = 0
                if SSL_read_ex(ssl, bytes.baseAddress! + filled, bytes.count - filled, &count) == 1 {
                    filled += count
                    continue
                }
                stop = outcome(of: 0, operation: "SSL_read", direction: .read)
                return
            }
        }
        if filled > 0 { return .processed(filled) }
        if let stop { return try end(stop) }
        return .wouldBlock(.read)
    }

    /// Drives the handshake. - Returns: nil once complete, else what it waits for.
    private func handshake() throws(TransportError) -> TransportResult? {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isHandshakeComplete = true
            applicationProtocol = negotiatedProtocol()
            return nil
        }
        if SSL_get_error(ssl, result) == SSL_ERROR_SSL, ferry_err_peek_reason() == ferry_ssl_r_http_request() {
            ERR_clear_error()
            terminal = .failed(.plainHTTPRequest)
            throw .plainHTTPRequest
        }
        return try end(outcome(of: result, operation: "TLS handshake", direction: .read))
    }

    private func negotiatedProtocol() -> String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    // MARK: - Writing

    /// Encrypts and sends queued bytes, gathering small chunks into records of up to `maxRecordPayload`.
    ///
    /// A retry after `wouldBlock` starts from the same queued byte (the queue only drops what was written), which
    /// is what OpenSSL asks of a retried `SSL_write`; the gathered copy may move and grow
    /// (`SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER`).
    func write(_ chunks: ArraySlice<[UInt8]>, firstOffset: Int) throws(TransportError) -> TransportResult {
        if let terminal { return try end(terminal) }
        guard isHandshakeComplete else { return .wouldBlock(.read) }
        let first = chunks[chunks.startIndex]
        let firstLength = first.count - firstOffset
        var written = 0
        var wrote: Int32 = 0
        if firstLength >= Self.maxRecordPayload || chunks.count == 1 {
            first.withUnsafeBytes { bytes in
                ERR_clear_error()
                wrote = SSL_write_ex(ssl, bytes.baseAddress! + firstOffset, firstLength, &written)
            }
        } else {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maxRecordPayload) { record in
                var gathered = 0
                for (index, chunk) in zip(chunks.indices, chunks) where gathered < record.count {
                    let offset = index == chunks.startIndex ? firstOffset : 0
                    let take = min(chunk.count - offset, record.count - gathered)
                    chunk.withUnsafeBytes { bytes in
                        UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(record)[gathered...])
                            .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
                    }
                    gathered += take
                }
                ERR_clear_error()
                wrote = SSL_write_ex(ssl, record.baseAddress!, gathered, &written)
            }
        }
        if wrote == 1 { return .processed(written) }
        return try end(outcome(of: wrote, operation: "SSL_write", direction: .write))
    }

    /// Sends `close_notify` once, best effort (a full socket or a gone peer just skips it).
    func sendCloseNotify() {
        guard isHandshakeComplete, terminal == nil || terminal == .closed, !sentCloseNotify else { return }
        sentCloseNotify = true
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    // MARK: - Errors

    /// Classifies a failed OpenSSL call (`result` ≤ 0).
    /// - Parameter direction: the call's own direction, waited for when the socket itself said `EAGAIN` without
    ///   OpenSSL naming one (a write must wait for writable: waiting for readable could wait forever).
    private func outcome(of result: Int32, operation: String, direction: TransportInterest) -> TransportResult {
        let savedErrno = errno
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .wouldBlock(.read)
        case SSL_ERROR_WANT_WRITE:
            return .wouldBlock(.write)
        case SSL_ERROR_ZERO_RETURN:
            terminal = .closed
            return .endOfFile
        case SSL_ERROR_SYSCALL:
            ERR_clear_error()
            if savedErrno == 0 {
                terminal = .closed
                return .endOfFile
            }
            if savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || savedErrno == EINTR {
                return .wouldBlock(direction)
            }
            terminal = .failed(.system(IOError(errnoCode: savedErrno, function: operation)))
            return .endOfFile
        default:
            terminal = .failed(.tls(TLSError(.connection, "\(operation) failed: \(OpenSSLErrors.drain())")))
            return .endOfFile
        }
    }

    /// Turns a stored end into its result: `.endOfFile` for a clean close, else the error.
    private func end(_ result: TransportResult) throws(TransportError) -> TransportResult {
        guard result == .endOfFile, let terminal else { return result }
        return try end(terminal)
    }

    private func end(_ terminal: Terminal) throws(TransportError) -> TransportResult {
        switch terminal {
        case .closed: return .endOfFile
        case .failed(let error): throw error
        }
    }
}
