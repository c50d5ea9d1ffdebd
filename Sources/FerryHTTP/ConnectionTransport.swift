// SPDX-License-Identifier: Apache-2.0

/// How a connection's bytes reach the socket: as they are, or through a TLS session.
///
/// `HTTPConnection` reads and writes only through this seam, so protocols above it (HTTP/1.1, HTTP/2) never see
/// whether TLS is in between. Used on the connection's event loop only.
enum ConnectionTransport {
    case plain(fd: Int32)
    case tls(TLSSession)

    /// A plain transport, or a TLS session with the server's current credentials when it serves TLS.
    /// - Throws: `TLSError` when OpenSSL cannot make a session (out of memory); the caller drops the connection.
    static func make(fd: Int32, context: ServerContext) throws(TLSError) -> ConnectionTransport {
        guard let tls = context.configuration.tls else { return .plain(fd: fd) }
        return .tls(try tls.makeSession(fd: fd, offeringHTTP2: context.configuration.http2.isEnabled))
    }

    /// Reads into the front of `buffer`. A TLS transport finishes its handshake first, so the first
    /// `.processed` comes after `applicationProtocol` is known.
    func read(into buffer: inout [UInt8]) throws(TransportError) -> TransportResult {
        switch self {
        case .plain(let fd):
            do {
                return TransportResult(try Posix.read(fd, into: &buffer), blockedOn: .read)
            } catch {
                throw .system(error)
            }
        case .tls(let session):
            return try session.read(into: &buffer)
        }
    }

    /// Writes from `chunks` (the first from `firstOffset`); at least one chunk.
    func write(_ chunks: ArraySlice<[UInt8]>, firstOffset: Int) throws(TransportError) -> TransportResult {
        switch self {
        case .plain(let fd):
            do {
                return TransportResult(try Posix.writev(fd, chunks, firstOffset: firstOffset), blockedOn: .write)
            } catch {
                throw .system(error)
            }
        case .tls(let session):
            return try session.write(chunks, firstOffset: firstOffset)
        }
    }

    /// Input already received and held above the socket (decrypted TLS records, or a TLS end not yet reported):
    /// the socket's readable event will not announce it.
    var hasBufferedInput: Bool {
        switch self {
        case .plain: return false
        case .tls(let session): return session.hasBufferedInput
        }
    }

    /// The ALPN protocol (`"h2"`, `"http/1.1"`) once a TLS handshake chose one; nil for plain connections and
    /// clients that offered no ALPN.
    var applicationProtocol: String? {
        switch self {
        case .plain: return nil
        case .tls(let session): return session.applicationProtocol
        }
    }

    /// True once bytes can flow: always for plain connections, after the handshake for TLS.
    var isEstablished: Bool {
        switch self {
        case .plain: return true
        case .tls(let session): return session.isHandshakeComplete
        }
    }

    /// Ends the sending direction politely before the socket shuts down: TLS sends `close_notify` (once).
    func closeOutput() {
        if case .tls(let session) = self { session.sendCloseNotify() }
    }
}

/// Which readiness a blocked transport call waits for. TLS may need the other direction than the call's own.
enum TransportInterest: Equatable {
    case read, write
}

/// The outcome of a transport read or write.
enum TransportResult: Equatable {
    /// The call moved this many application bytes (never 0).
    case processed(Int)
    case wouldBlock(TransportInterest)
    /// The peer closed its side (a read of 0 bytes, or TLS `close_notify`).
    case endOfFile

    init(_ result: IOResult, blockedOn interest: TransportInterest) {
        switch result {
        case .processed(let count): self = .processed(count)
        case .wouldBlock: self = .wouldBlock(interest)
        case .endOfFile: self = .endOfFile
        }
    }
}

/// Why a transport read or write failed; the connection closes (after a 400 for `plainHTTPRequest`).
enum TransportError: Error, Equatable {
    case system(IOError)
    case tls(TLSError)
    /// A client sent plain HTTP to the TLS port (OpenSSL's `SSL_R_HTTP_REQUEST`).
    case plainHTTPRequest
}
