// SPDX-License-Identifier: Apache-2.0

/// Where a TLS server's credentials come from, with uvicorn's (and so vLLM's) semantics.
public struct TLSConfiguration: Sendable, Equatable {
    /// Whether clients must present a certificate (vLLM's `--ssl-cert-reqs`: 0, 1, 2 as Python's `ssl.CERT_*`).
    public enum ClientCertificates: Int, Sendable, Equatable {
        /// `CERT_NONE`: none is asked for.
        case none = 0
        /// `CERT_OPTIONAL`: asked for; one that is sent must verify against `caCertificatesFile`.
        case optional = 1
        /// `CERT_REQUIRED`: a client without a verifying certificate fails the handshake.
        case required = 2
    }

    /// PEM certificate chain: the server's certificate first, then intermediates.
    public var certificateChainFile: String
    /// PEM private key; nil reads the key from `certificateChainFile` (as Python's `load_cert_chain`).
    public var privateKeyFile: String?
    /// PEM CA certificates that client certificates are verified against.
    public var caCertificatesFile: String?
    public var clientCertificates: ClientCertificates
    /// OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites keep OpenSSL's defaults, as with Python's `set_ciphers`);
    /// nil keeps OpenSSL's default list.
    public var ciphers: String?

    public init(certificateChainFile: String, privateKeyFile: String? = nil, caCertificatesFile: String? = nil,
                clientCertificates: ClientCertificates = .none, ciphers: String? = nil)
    {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.caCertificatesFile = caCertificatesFile
        self.clientCertificates = clientCertificates
        self.ciphers = ciphers
    }
}

/// A TLS setup failure (credentials that do not load) or a connection's TLS failure, with OpenSSL's reason.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which part failed; the app maps it to the flag the user gave.
    public enum Kind: Sendable, Equatable {
        case certificateChain
        case privateKey
        /// The private key does not belong to the certificate.
        case keyMismatch
        case caCertificates
        case ciphers
        /// A client certificate is asked for but no CA file says which to trust.
        case missingCACertificates
        /// OpenSSL could not set up a context or a session (out of memory).
        case setup
        /// A connection's handshake, read or write failed.
        case connection
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
