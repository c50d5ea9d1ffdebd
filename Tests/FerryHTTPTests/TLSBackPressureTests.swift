// SPDX-License-Identifier: Apache-2.0
import Dispatch
import Testing
@testable import FerryHTTP

/// The serving guarantees hold over TLS: back-pressure from a slow reader, the write-buffer limit, and drain.
@Suite(.serialized) struct TLSBackPressureTests {
    let certificates = TestCertificates.shared

    func withTLSServer(responder: any HTTPResponder, configure: @escaping (inout HTTPServerConfiguration) -> Void,
                       _ body: (HTTPServer, Int) async throws -> Void) async throws
    {
        let context = try TLSServerContext(configuration: TLSConfiguration(
            certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey))
        try await withServer(responder: responder, configure: {
            $0.tls = context
            configure(&$0)
        }, body)
    }

    @Test func aSlowTLSReaderMakesTheWriterNotWritableAndLosesNothing() async throws {
        let total = 4 << 20
        let sawBackPressure = LockedValue(false)
        let responder = HTTPHandler { _, writer in
            let stream = try! writer.startStream()
            DispatchQueue(label: "producer").async {
                var sent = 0
                var counter: UInt8 = 0
                while sent < total {
                    if !stream.isWritable {
                        sawBackPressure.set(true)
                        let drained = Signal()
                        writer.whenWritable { drained.fire() }
                        _ = drained.wait(seconds: 10)
                    }
                    var chunk = [UInt8](repeating: 0, count: 5000)  // not a multiple of a TLS record
                    for index in chunk.indices {
                        chunk[index] = counter
                        counter &+= 1
                    }
                    guard stream.write(chunk) else { return }
                    sent += chunk.count
                }
                stream.finish()
            }
        }
        try await withTLSServer(responder: responder, configure: {
            $0.writeBufferHighWaterMark = 128 << 10
            $0.writeBufferLowWaterMark = 32 << 10
            $0.maxWriteBufferBytes = 1 << 20
        }) { _, port in
            let client = try TLSClient(port: port, caFile: certificates.caCertificate, receiveBuffer: 4096)
            try client.handshake()
            try client.send("GET /big HTTP/1.1\r\n\r\n")
            try await Task.sleep(for: .milliseconds(300))  // read nothing while the producer runs into the mark
            #expect(sawBackPressure.get())
            let response = try client.readResponse()
            #expect(response.body.count >= total)
            var counter: UInt8 = 0
            var intact = true
            for byte in response.body.prefix(total) {
                if byte != counter { intact = false }
                counter &+= 1
            }
            #expect(intact)
        }
    }

    @Test func aTLSStreamThatIgnoresBackPressurePastTheLimitClosesTheConnection() async throws {
        let closed = Signal()
        let responder = HTTPHandler { _, writer in
            writer.onClose { closed.fire() }
            let stream = try! writer.startStream()
            DispatchQueue.global().async {
                let chunk = [UInt8](repeating: 7, count: 64 << 10)
                while stream.write(chunk) {}
            }
        }
        try await withTLSServer(responder: responder, configure: { $0.maxWriteBufferBytes = 1 << 20 }) { _, port in
            let client = try TLSClient(port: port, caFile: certificates.caCertificate, receiveBuffer: 4096)
            try client.handshake()
            try client.send("GET /flood HTTP/1.1\r\n\r\n")
            #expect(closed.wait(seconds: 5))
        }
    }

    @Test func drainClosesIdleTLSConnectionsAndLetsAStreamFinish() async throws {
        let started = Signal(), release = Signal()
        var router = testRouter()
        router.add(.get, "/stream") { _, writer in
            let stream = try! writer.startStream()
            stream.write("before")
            started.fire()
            DispatchQueue.global().async {
                _ = release.wait(seconds: 5)
                stream.write("after")
                stream.finish()
            }
        }
        try await withTLSServer(responder: router, configure: { _ in }) { server, port in
            let idle = try TLSClient(port: port, caFile: certificates.caCertificate)
            try idle.handshake()
            try idle.send("GET /live HTTP/1.1\r\n\r\n")
            _ = try idle.readResponse()

            let streaming = try TLSClient(port: port, caFile: certificates.caCertificate)
            try streaming.handshake()
            try streaming.send("GET /stream HTTP/1.1\r\n\r\n")
            #expect(started.wait())
            server.stopAccepting()
            server.startDraining()
            #expect(idle.isClosedByServer())
            #expect(idle.sawCloseNotify)

            release.fire()
            let response = try streaming.readResponse()
            #expect(String(decoding: response.body, as: UTF8.self) == "beforeafter")
            #expect(streaming.isClosedByServer())
            streaming.raw.closeWrite()
            #expect(await server.waitForConnectionsToClose(timeout: .seconds(3)))
        }
    }
}
