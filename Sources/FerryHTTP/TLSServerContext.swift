// SPDX-License-Identifier: Apache-2.0
import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TLS server's loaded credentials (an OpenSSL `SSL_CTX`), shared by every connection, and reloadable.
///
/// `reload()` reads the files again into a new `SSL_CTX` used by connections accepted from then on; connections
/// already open keep the one they started with (each `SSL` holds a reference to its context). A reload that
/// fails leaves the current credentials in place.
///
/// Settings every context gets: TLS 1.2 and 1.3 only; no renegotiation; no compression; a peer's EOF without
/// `close_notify` reads as a close; ALPN chooses `h2` (only for sessions made with `offeringHTTP2`) or
/// `http/1.1`, and a client offering neither gets a fatal `no_application_protocol` alert (RFC 7301 §3.2);
/// encrypted private keys are refused (no passphrase prompt).
public final class TLSServerContext: Sendable {
    public let configuration: TLSConfiguration
    private let current: Locked<SSLContextHandle>

    /// Loads the credentials.
    /// - Throws: `TLSError` naming the file that does not load (missing, unreadable, not PEM, encrypted), a key
    ///   that does not match the certificate, a cipher list OpenSSL rejects, or a client-certificate mode without
    ///   a CA file.
    public init(configuration: TLSConfiguration) throws(TLSError) {
        self.configuration = configuration
        current = Locked.make(try SSLContextHandle.load(configuration))
    }

    /// Reads the files again; new connections use the new credentials. On failure the old ones stay. Any thread.
    /// - Returns: the new certificate's serial number, in hexadecimal.
    @discardableResult
    public func reload() throws(TLSError) -> String {
        let handle = try SSLContextHandle.load(configuration)
        current.withLock { $0 = handle }
        return handle.serial
    }

    /// The serial number of the certificate served to new connections, in hexadecimal (e.g. `"1A2B"`).
    public var certificateSerial: String { current.withLock { $0.serial } }

    /// A server-side session on `fd` with the current credentials. Any thread.
    func makeSession(fd: Int32, offeringHTTP2: Bool) throws(TLSError) -> TLSSession {
        let ssl = current.withLock { SSL_new($0.pointer) }
        guard let ssl else { throw TLSError(.setup, "SSL_new failed: \(OpenSSLErrors.drain())") }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw TLSError(.setup, "SSL_set_fd failed: \(OpenSSLErrors.drain())")
        }
        ferry_ssl_set_offers_h2(ssl, offeringHTTP2 ? 1 : 0)
        SSL_set_accept_state(ssl)
        return TLSSession(ssl: ssl)
    }
}

/// Owns one `SSL_CTX` reference; sessions made from it hold their own.
///
/// Note: `@unchecked Sendable` because a configured `SSL_CTX` is only read (by `SSL_new`, which OpenSSL makes
/// thread-safe) and freed once, in `deinit`.
final class SSLContextHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The certificate's serial number in hexadecimal, for logs and tests.
    let serial: String

    private init(pointer: OpaquePointer, serial: String) {
        self.pointer = pointer
        self.serial = serial
    }

    deinit { SSL_CTX_free(pointer) }

    static func load(_ configuration: TLSConfiguration) throws(TLSError) -> SSLContextHandle {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError(.setup, "SSL_CTX_new failed: \(OpenSSLErrors.drain())")
        }
        do {
            try configure(context, configuration)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        return SSLContextHandle(pointer: context, serial: serialNumber(context))
    }

    private static func configure(_ context: OpaquePointer, _ configuration: TLSConfiguration) throws(TLSError) {
        guard ferry_ssl_ctx_set_tls12_and_13(context) == 1 else {
            throw TLSError(.setup, "cannot restrict TLS versions: \(OpenSSLErrors.drain())")
        }
        ferry_ssl_ctx_set_modes(context)
        ferry_ssl_ctx_refuse_passwords(context)
        ferry_ssl_ctx_enable_alpn(context)
        let sessionContext = Array("ferry".utf8)
        _ = SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))

        let certificateFile = configuration.certificateChainFile
        try checkReadable(certificateFile, kind: .certificateChain, what: "certificate file")
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
            throw TLSError(.certificateChain,
                           "cannot load the certificate chain from \(certificateFile): \(OpenSSLErrors.drain())")
        }
        let keyFile = configuration.privateKeyFile ?? certificateFile
        try checkReadable(keyFile, kind: .privateKey, what: "private key file")
        guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
            let reason = OpenSSLErrors.drain()
            if reason.contains("key values mismatch") {
                throw TLSError(.keyMismatch,
                               "the private key in \(keyFile) does not match the certificate in \(certificateFile)")
            }
            throw TLSError(.privateKey, "cannot load the private key from \(keyFile) (it must be an unencrypted "
                + "PEM key): \(reason)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError(.keyMismatch,
                           "the private key in \(keyFile) does not match the certificate in \(certificateFile)")
        }
        if let caFile = configuration.caCertificatesFile {
            try checkReadable(caFile, kind: .caCertificates, what: "CA certificates file")
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw TLSError(.caCertificates,
                               "cannot load CA certificates from \(caFile): \(OpenSSLErrors.drain())")
            }
            if let names = SSL_load_client_CA_file(caFile) { SSL_CTX_set_client_CA_list(context, names) }
            ERR_clear_error()
        } else if configuration.clientCertificates != .none {
            throw TLSError(.missingCACertificates,
                           "client certificates are asked for but no CA certificates file says which to trust")
        }
        switch configuration.clientCertificates {
        case .none: SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        case .optional: SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        case .required: SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        if let ciphers = configuration.ciphers {
            guard SSL_CTX_set_cipher_list(context, ciphers) == 1 else {
                throw TLSError(.ciphers, "no usable cipher in '\(ciphers)': \(OpenSSLErrors.drain())")
            }
        }
    }

    /// A clear "cannot read" before OpenSSL's terser messages.
    private static func checkReadable(_ path: String, kind: TLSError.Kind, what: String) throws(TLSError) {
        guard access(path, R_OK) == 0 else {
            throw TLSError(kind, "cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func serialNumber(_ context: OpaquePointer) -> String {
        guard let certificate = SSL_CTX_get0_certificate(context),
              let serial = X509_get0_serialNumber(certificate),
              let number = ASN1_INTEGER_to_BN(serial, nil)
        else { return "?" }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return "?" }
        defer { CRYPTO_free(hex, nil, 0) }
        return String(cString: hex)
    }
}

/// OpenSSL's thread-local error queue, as text.
enum OpenSSLErrors {
    /// Every queued error's text, oldest first, joined by "; "; the queue is left empty.
    static func drain() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            guard code != 0 else { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            messages.append(String(decoding: text, as: UTF8.self))
        }
        return messages.isEmpty ? "no OpenSSL error recorded" : messages.joined(separator: "; ")
    }
}
