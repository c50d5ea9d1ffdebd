// SPDX-License-Identifier: Apache-2.0
import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TLS client for tests, on a `RawClient` socket: verifies the server against the test CA, offers
/// `alpn`, and reads responses with a Content-Length.
final class TLSClient {
    struct TLSClientError: Error, CustomStringConvertible {
        let description: String
    }

    let raw: RawClient
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private var buffer: [UInt8] = []

    init(port: Int, caFile: String, alpn: [String] = ["http/1.1"], certificate: (file: String, key: String)? = nil,
         receiveBuffer: Int32? = nil) throws
    {
        raw = try RawClient(port: port, receiveBuffer: receiveBuffer, timeoutSeconds: 5)
        context = SSL_CTX_new(TLS_client_method())!
        SSL_CTX_load_verify_locations(context, caFile, nil)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let certificate {
            SSL_CTX_use_certificate_file(context, certificate.file, SSL_FILETYPE_PEM)
            SSL_CTX_use_PrivateKey_file(context, certificate.key, SSL_FILETYPE_PEM)
        }
        ssl = SSL_new(context)!
        SSL_set_fd(ssl, raw.fd)
        if !alpn.isEmpty {
            let wire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            SSL_set_alpn_protos(ssl, wire, UInt32(wire.count))
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Runs the handshake. - Throws: when the server refuses it (the error names OpenSSL's reason).
    func handshake() throws {
        ERR_clear_error()
        guard SSL_connect(ssl) == 1 else { throw TLSClientError(description: "handshake: \(Self.errors())") }
    }

    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The server certificate's serial number in hexadecimal.
    var peerSerial: String? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        let number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nil)
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return nil }
        defer { CRYPTO_free(hex, nil, 0) }
        return String(cString: hex)
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            var written = 0
            let result = bytes[sent...].withUnsafeBytes { SSL_write_ex(ssl, $0.baseAddress, $0.count, &written) }
            guard result == 1 else { throw TLSClientError(description: "SSL_write: \(Self.errors())") }
            sent += written
        }
    }

    /// Reads more. - Returns: false at the end; `sawCloseNotify` tells whether it was a clean TLS close.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var count = 0
        ERR_clear_error()
        let result = chunk.withUnsafeMutableBytes { SSL_read_ex(ssl, $0.baseAddress, $0.count, &count) }
        if result == 1 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        let error = SSL_get_error(ssl, 0)
        if error == SSL_ERROR_ZERO_RETURN {
            sawCloseNotify = true
            return false
        }
        if error == SSL_ERROR_SYSCALL || error == SSL_ERROR_SSL { return false }
        throw TLSClientError(description: "SSL_read: error \(error) \(Self.errors())")
    }

    private(set) var sawCloseNotify = false

    /// Reads one response with a Content-Length body. - Returns: status, head text and body.
    func readResponse() throws -> (status: Int, head: String, body: [UInt8]) {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if buffer.count >= 4 {
                headEnd = (0...(buffer.count - 4)).first { Array(buffer[$0..<($0 + 4)]) == separator }
            }
            if headEnd == nil { guard try fill() else { throw TLSClientError(description: "closed in the head") } }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        let status = Int(head.split(separator: " ")[1]) ?? 0
        let lengthLine = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
        let length = lengthLine.flatMap { Int($0.split(separator: ":")[1].filter { $0 != " " }) } ?? 0
        buffer.removeSubrange(..<(headEnd! + 4))
        if head.lowercased().contains("transfer-encoding: chunked") {
            var body: [UInt8] = []
            while true {
                guard let size = Int(try readLine(), radix: 16) else { throw TLSClientError(description: "chunk") }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    return (status, head, body)
                }
                body += try readExactly(size)
                _ = try readLine()
            }
        }
        while buffer.count < length {
            guard try fill() else { throw TLSClientError(description: "closed in the body") }
        }
        defer { buffer.removeSubrange(..<length) }
        return (status, head, Array(buffer[..<length]))
    }

    private func readLine() throws -> String {
        while true {
            if let lf = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<lf], as: UTF8.self)
                buffer.removeSubrange(...lf)
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            guard try fill() else { throw TLSClientError(description: "closed inside a line") }
        }
    }

    func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw TLSClientError(description: "closed after \(buffer.count)/\(count)") }
        }
        defer { buffer.removeSubrange(..<count) }
        return Array(buffer[..<count])
    }

    /// True when the server ended the connection (reading more returns the end).
    func isClosedByServer() -> Bool {
        buffer.isEmpty && (try? fill()) == false
    }

    private static func errors() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            messages.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.joined(separator: "; ")
    }
}
