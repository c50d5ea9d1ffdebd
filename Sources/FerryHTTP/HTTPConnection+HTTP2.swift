// SPDX-License-Identifier: Apache-2.0

extension HTTPConnection {
    /// The HTTP/2 client connection preface (RFC 9113 §3.4); a cleartext connection that opens with it speaks h2c.
    static let http2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    // MARK: - Protocol selection

    /// Bytes read from the socket go to the HTTP/2 session, to the preface check (a new connection's first bytes
    /// while HTTP/2 is enabled), or to the HTTP/1.1 parser. Called on the loop by `readable()`.
    func received(_ bytes: ArraySlice<UInt8>) {
        if let http2 {
            http2.receive(bytes)
            return
        }
        guard var sniffed = prefaceCheck else {
            parser.append(bytes)
            return
        }
        sniffed.append(contentsOf: bytes)
        let compared = min(sniffed.count, Self.http2Preface.count)
        guard sniffed[..<compared].elementsEqual(Self.http2Preface[..<compared]) else {
            prefaceCheck = nil
            parser.append(sniffed[...])
            return
        }
        if compared < Self.http2Preface.count {
            prefaceCheck = sniffed  // a prefix so far: wait for the rest
        } else {
            startHTTP2(initialBytes: sniffed[...])
        }
    }

    /// Serves this connection as HTTP/2 from now on. The preface check calls it for h2c; the TLS layer calls it
    /// (`connection.startHTTP2()`) when ALPN selected "h2", before handing over any decrypted byte. The client's
    /// preface is then checked by libnghttp2 (a connection without it gets GOAWAY and closes). Called on the loop.
    func startHTTP2(initialBytes: ArraySlice<UInt8> = []) {
        guard http2 == nil, !machine.isClosed, machine.isReadingRequest else { return }
        prefaceCheck = nil
        machine.requestReceived()  // no HTTP/1.1 timeouts from now on; the session has its own idle timeout
        let session = HTTP2Session(connection: self)
        http2 = session
        guard session.start() else {
            close()
            return
        }
        if initialBytes.isEmpty {
            session.sendPending()  // our SETTINGS go first
        } else {
            session.receive(initialBytes)
        }
    }

    // MARK: - Hooks from the HTTP/1.1 paths

    /// The write queue now holds `queued` bytes: HTTP/1.1 tells the current writer (back-pressure), HTTP/2 pulls
    /// more frames. Called on the loop by `flushSocket()`.
    func writeQueueChanged(to queued: Int) {
        if let http2 {
            http2.writeQueueDrained(to: queued)
        } else {
            currentWriter?.connectionQueueChanged(to: queued)
        }
    }

    /// Writes what is queued, shuts down the sending side and lingers, then closes (HTTP/2 after GOAWAY).
    func closeAfterQueuedBytes() {
        guard !machine.isClosed else { return }
        machine.closingResponseQueued()
        resumeReading()
        flushSocket()
    }
}
