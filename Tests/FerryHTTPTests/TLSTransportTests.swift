// SPDX-License-Identifier: Apache-2.0
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import FerryHTTP

/// The TLS transport end to end: a real OpenSSL client against `HTTPServer` with credentials made by `openssl`.
@Suite(.serialized) struct TLSTransportTests {
    let certificates = TestCertificates.shared

    func tlsServer(clientCertificates: TLSConfiguration.ClientCertificates = .none, http2: Bool = false,
                   configure: @escaping (inout HTTPServerConfiguration) -> Void = { _ in },
                   _ body: (HTTPServer, Int) async throws -> Void) async throws
    {
        let context = try TLSServerContext(configuration: TLSConfiguration(
            certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey,
            caCertificatesFile: certificates.caCertificate, clientCertificates: clientCertificates))
        try await withServer(configure: {
            $0.tls = context
            $0.http2.isEnabled = http2
            configure(&$0)
        }, body)
    }

    @Test func credentialsThatDoNotLoadAreTypedErrorsNamingTheFile() {
        let certs = certificates
        let cases: [(TLSConfiguration, TLSError.Kind)] = [
            (TLSConfiguration(certificateChainFile: certs.serverCertificate, privateKeyFile: "/nonexistent.key"),
             .privateKey),
            (TLSConfiguration(certificateChainFile: "/nonexistent.pem", privateKeyFile: certs.serverKey),
             .certificateChain),
            (TLSConfiguration(certificateChainFile: certs.serverCertificate, privateKeyFile: certs.clientKey),
             .keyMismatch),
            (TLSConfiguration(certificateChainFile: certs.serverCertificate, privateKeyFile: certs.serverKey,
                              caCertificatesFile: certs.serverKey), .caCertificates),
            (TLSConfiguration(certificateChainFile: certs.serverCertificate, privateKeyFile: certs.serverKey,
                              ciphers: "NO-SUCH-CIPHER"), .ciphers),
            (TLSConfiguration(certificateChainFile: certs.serverCertificate, privateKeyFile: certs.serverKey,
                              clientCertificates: .required), .missingCACertificates),
            // The certificate file holds no key: Python's load_cert_chain would look for it there too.
            (TLSConfiguration(certificateChainFile: certs.serverCertificate), .privateKey),
        ]
        for (configuration, kind) in cases {
            #expect(throws: TLSError.self) { try TLSServerContext(configuration: configuration) }
            do {
                _ = try TLSServerContext(configuration: configuration)
            } catch {
                #expect(error.kind == kind, "\(error)")
            }
        }
    }

    @Test func aTLSClientIsServedOverHTTP11WithALPN() async throws {
        try await tlsServer { _, port in
            let client = try TLSClient(port: port, caFile: certificates.caCertificate, alpn: ["h2", "http/1.1"])
            try client.handshake()
            #expect(client.negotiatedProtocol == "http/1.1")
            #expect(client.peerSerial == "1001")
            for index in 0..<3 {
                try client.send("POST /echo HTTP/1.1\r\nContent-Length: 1\r\n\r\n\(index)")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(String(decoding: response.body, as: UTF8.self) == "\(index)")
            }
        }
    }

    @Test func h2IsOfferedOnlyWhenHTTP2IsEnabled() async throws {
        try await tlsServer(http2: true) { _, port in
            let client = try TLSClient(port: port, caFile: certificates.caCertificate, alpn: ["h2", "http/1.1"])
            try client.handshake()
            #expect(client.negotiatedProtocol == "h2")
        }
        try await tlsServer { _, port in
            let onlyH2 = try TLSClient(port: port, caFile: certificates.caCertificate, alpn: ["h2"])
            #expect(throws: TLSClient.TLSClientError.self) { try onlyH2.handshake() }
            let noALPN = try TLSClient(port: port, caFile: certificates.caCertificate, alpn: [])
            try noALPN.handshake()
            #expect(noALPN.negotiatedProtocol == nil)
            try noALPN.send("GET /live HTTP/1.1\r\n\r\n")
            #expect(try noALPN.readResponse().status == 200)
        }
    }

    @Test func pipelinedRequestsInOneRecordAreAllAnswered() async throws {
        try await tlsServer { _, port in
            let client = try TLSClient(port: port, caFile: certificates.caCertificate)
            try client.handshake()
            try client.send(String(repeating: "GET /live HTTP/1.1\r\n\r\n", count: 20))
            for _ in 0..<20 { #expect(try client.readResponse().body == Array("ok".utf8)) }
        }
    }

    @Test func megabytesFlowBothWaysThroughPartialWrites() async throws {
        try await tlsServer(configure: { $0.limits.maxBodyBytes = 8 << 20 }) { _, port in
            let client = try TLSClient(port: port, caFile: certificates.caCertificate, receiveBuffer: 4096)
            try client.handshake()
            let body = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
            try client.send(Array("POST /echo HTTP/1.1\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.body == body)
        }
    }

    @Test func plainHTTPToTheTLSPortGets400AndTheServerKeepsServing() async throws {
        try await tlsServer { server, port in
            let plain = try RawClient(port: port)
            try plain.send("GET /live HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try plain.readResponse()
            #expect(response.status == 400)
            #expect(response.bodyText.contains("The plain HTTP request was sent to HTTPS port."))
            #expect(plain.isClosedByServer())

            let client = try TLSClient(port: port, caFile: certificates.caCertificate)
            try client.handshake()
            try client.send("GET /live HTTP/1.1\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func garbageAndAbandonedHandshakesCloseWithoutHarm() async throws {
        try await tlsServer(configure: { $0.timeouts.header = .milliseconds(300) }) { _, port in
            // Not a ClientHello: the server answers with an alert record (type 21) and shuts its side down.
            let garbage = try RawClient(port: port)
            try garbage.send([0x16, 0x03, 0x01, 0x00, 0x05, 0x63, 0x00, 0x00, 0x01, 0x00])
            let alert = try garbage.readToEnd()
            #expect(alert.first == 21)
            // A slowloris handshake: the record header of a ClientHello, then nothing.
            let slow = try RawClient(port: port)
            try slow.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
            let start = ContinuousClock.now
            #expect(slow.isClosedByServer())
            #expect(ContinuousClock.now - start < .seconds(2))

            let client = try TLSClient(port: port, caFile: certificates.caCertificate)
            try client.handshake()
            try client.send("GET /live HTTP/1.1\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func requiredClientCertificatesRejectClientsWithoutOne() async throws {
        try await tlsServer(clientCertificates: .required) { _, port in
            let anonymous = try TLSClient(port: port, caFile: certificates.caCertificate)
            // TLS 1.3: the client finishes first; the server's alert arrives on the first read.
            let refused: Bool
            do {
                try anonymous.handshake()
                try anonymous.send("GET /live HTTP/1.1\r\n\r\n")
                _ = try anonymous.readResponse()
                refused = false
            } catch {
                refused = true
            }
            #expect(refused)

            let identified = try TLSClient(port: port, caFile: certificates.caCertificate,
                                           certificate: (certificates.clientCertificate, certificates.clientKey))
            try identified.handshake()
            try identified.send("GET /live HTTP/1.1\r\n\r\n")
            #expect(try identified.readResponse().status == 200)
        }
    }

    @Test func reloadServesTheNewCertificateToNewConnectionsOnly() async throws {
        let directory = certificates.directory
        let certificate = directory + "/reload.pem", key = directory + "/reload.key"
        try copy(certificates.serverCertificate, to: certificate)
        try copy(certificates.serverKey, to: key)
        let context = try TLSServerContext(configuration: TLSConfiguration(certificateChainFile: certificate,
                                                                           privateKeyFile: key))
        try await withServer(configure: { $0.tls = context }) { _, port in
            let old = try TLSClient(port: port, caFile: certificates.caCertificate)
            try old.handshake()
            #expect(old.peerSerial == "1001")

            // A half-replaced pair (new certificate, old key) does not load: the old credentials stay.
            try copy(certificates.secondServerCertificate, to: certificate)
            #expect(throws: TLSError.self) { try context.reload() }
            #expect(context.certificateSerial == "1001")
            try copy(certificates.secondServerKey, to: key)
            #expect(try context.reload() == "1002")

            let new = try TLSClient(port: port, caFile: certificates.caCertificate)
            try new.handshake()
            #expect(new.peerSerial == "1002")
            try old.send("GET /live HTTP/1.1\r\n\r\n")
            #expect(try old.readResponse().status == 200)
        }
    }

    @Test func aClosingConnectionSendsCloseNotify() async throws {
        try await tlsServer { _, port in
            let client = try TLSClient(port: port, caFile: certificates.caCertificate)
            try client.handshake()
            try client.send("GET /live HTTP/1.1\r\nConnection: close\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            #expect(client.isClosedByServer())
            #expect(client.sawCloseNotify)
        }
    }

    private func copy(_ source: String, to destination: String) throws {
        let bytes = try RawFile.read(source)
        try RawFile.write(bytes, to: destination)
    }
}

/// Whole-file reads and writes through libc (the HTTP tests do not import Foundation).
enum RawFile {
    static func read(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw RawClient.ClientError(description: "fopen \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while case let count = fread(&chunk, 1, chunk.count, file), count > 0 { bytes += chunk[0..<count] }
        return bytes
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard let file = fopen(path, "wb") else { throw RawClient.ClientError(description: "fopen \(path)") }
        defer { fclose(file) }
        _ = fwrite(bytes, 1, bytes.count, file)
    }
}
