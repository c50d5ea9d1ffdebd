// SPDX-License-Identifier: Apache-2.0

/// What a TLS transport adds to a connection's event handling; a plain transport never triggers any of it.
///
/// - A TLS read may need the socket writable first (a handshake flight or a protocol reply that did not fit):
///   reading pauses until the write source fires, so a readable socket does not spin.
/// - A TLS write may need a read first: the write source pauses and the read source (resumed if back-pressure
///   had paused it) retries the write when it fires.
/// - Decrypted bytes (or a TLS end) held inside OpenSSL are not announced by the socket: the loop schedules a read
///   for them itself.
extension HTTPConnection {
    /// A transport read returned `wouldBlock(.write)`. Called on the loop.
    func waitForWritableToRead() {
        readWaitsForWritable = true
        if !isReadSuspended {
            suspendReading()
            readSuspendedForWrite = true
        }
        enableWriteSource()
    }

    /// The write source fired while a read waited for it: read again. Called on the loop.
    func readWritableArrived() {
        readWaitsForWritable = false
        if readSuspendedForWrite {
            readSuspendedForWrite = false
            resumeReading()
        }
        readable()
    }

    /// A transport write returned `wouldBlock(.read)`: the next readable event retries the write. Called on the
    /// loop.
    func waitForReadableToWrite() {
        writeWaitsForReadable = true
        disableWriteSource()
        resumeReading()
    }

    /// Schedules a read when the transport holds input the socket will not announce. Called on the loop.
    func readBufferedInputLater() {
        guard transport.hasBufferedInput, !isReadSuspended, !isBufferedReadScheduled, !machine.isClosed else {
            return
        }
        isBufferedReadScheduled = true
        loop.execute { [self] in
            isBufferedReadScheduled = false
            guard !machine.isClosed, !isReadSuspended else { return }
            readable()
        }
    }

    /// A TLS handshake failed and OpenSSL wrote its alert: stop speaking TLS, shut our side down and linger
    /// (reading and discarding, at most `timeouts.linger`), so the client reads the alert rather than a reset
    /// caused by its unread bytes. Called on the loop.
    func handshakeFailed() {
        transport = .plain(fd: fd)
        machine.closingResponseQueued()
        resumeReading()
        flushSocket()
    }

    /// A client spoke plain HTTP to the TLS port: answer 400 in plain text, as nginx does, and close.
    func answerPlainHTTPOnTLSPort() {
        transport = .plain(fd: fd)
        respondAndClose(.error(.badRequest, message: "The plain HTTP request was sent to HTTPS port."))
    }
}
