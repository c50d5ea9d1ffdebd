// SPDX-License-Identifier: Apache-2.0
import Dispatch
import Testing
@testable import FerryHTTP
#if canImport(Glibc)
import Glibc
#endif

/// HTTP/2 inside TLS (ALPN "h2"): handler threads writing through streams into TLS records, a large body through
/// partial TLS writes, a client's RST_STREAM, and drain (GOAWAY, the stream's end, then `close_notify`).
@Suite(.serialized) struct HTTP2OverTLSTests {
    let certificates = TestCertificates.shared

    /// SETTINGS_INITIAL_WINDOW_SIZE = 4 MiB, and the connection window opened as far: DATA is never held back by
    /// this client's flow control.
    static let openWindows = H2.frame(type: 4, flags: 0, stream: 0, payload: [0, 4, 0, 0x40, 0, 0])
        + H2.frame(type: 8, flags: 0, stream: 0, payload: [0, 0x40, 0, 0])

    func withH2Client(responder: any HTTPResponder,
                      _ body: (HTTPServer, TLSClient) async throws -> Void) async throws
    {
        let context = try TLSServerContext(configuration: TLSConfiguration(
            certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey))
        try await withServer(responder: responder, configure: { $0.tls = context }) { server, port in
            let client = try TLSClient(port: port, caFile: certificates.caCertificate, alpn: ["h2"])
            try client.handshake()
            #expect(client.negotiatedProtocol == "h2")
            try client.send(HTTPConnection.http2Preface + Self.openWindows)
            try await body(server, client)
        }
    }

    @Test func streamsWrittenFromHandlerThreadsArriveWholeThroughTLS() async throws {
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var router = HTTPRouter()
        router.add(.get, "/events") { _, writer in
            DispatchQueue.global().async {
                guard let stream = try? writer.startStream(headers: ["Content-Type": "text/event-stream"]) else {
                    return
                }
                for index in 0..<50 { stream.write("data: \(index)\n\n") }
                stream.finish()
            }
        }
        router.add(.get, "/big") { _, writer in
            DispatchQueue.global().async {
                guard let stream = try? writer.startStream() else { return }
                var offset = 0
                while offset < big.count {  // chunks that are not a multiple of a TLS record or a DATA frame
                    let end = min(offset + 5000, big.count)
                    if !stream.isWritable {
                        let drained = Signal()
                        writer.whenWritable { drained.fire() }
                        _ = drained.wait(seconds: 5)
                    }
                    stream.write(Array(big[offset..<end]))
                    offset = end
                }
                stream.finish()
            }
        }
        try await withH2Client(responder: router) { _, client in
            try client.send(H2.frame(type: 1, flags: 5, stream: 1, payload: H2.request("GET", "/events"))
                            + H2.frame(type: 1, flags: 5, stream: 3, payload: H2.request("GET", "/big"))
                            + H2.frame(type: 1, flags: 5, stream: 5, payload: H2.request("GET", "/events")))
            let responses = try H2.readResponses(client, streams: [1, 3, 5])
            let events = (0..<50).map { "data: \($0)\n\n" }.joined()
            #expect(String(decoding: responses[1]?.body ?? [], as: UTF8.self) == events)
            #expect(String(decoding: responses[5]?.body ?? [], as: UTF8.self) == events)
            #expect(responses[3]?.body == big)
        }
    }

    @Test func aStreamTheClientResetsIsAbortedAndTheConnectionServesOn() async throws {
        let aborted = Signal()
        var router = testRouter()
        router.add(.get, "/endless") { _, writer in
            writer.onClose { aborted.fire() }
            DispatchQueue.global().async {
                guard let stream = try? writer.startStream() else { return }
                while !writer.isClosed {
                    if stream.isWritable { stream.write("data: tick\n\n") }
                    usleep(1000)
                }
            }
        }
        try await withH2Client(responder: router) { _, client in
            try client.send(H2.frame(type: 1, flags: 5, stream: 1, payload: H2.request("GET", "/endless")))
            var sawData = false
            while !sawData {
                let frame = try H2.readFrame(client)
                sawData = frame.type == 0 && frame.stream == 1
            }
            try client.send(H2.frame(type: 3, flags: 0, stream: 1, payload: [0, 0, 0, 8]))  // RST_STREAM CANCEL
            #expect(aborted.wait())
            try client.send(H2.frame(type: 1, flags: 5, stream: 3, payload: H2.request("GET", "/live")))
            let response = try H2.readResponses(client, streams: [3])
            #expect(String(decoding: response[3]?.body ?? [], as: UTF8.self) == "ok")
        }
    }

    @Test func drainSendsGoawayFinishesTheStreamThenCloseNotify() async throws {
        let started = Signal(), release = Signal()
        var router = HTTPRouter()
        router.add(.get, "/stream") { _, writer in
            let stream = try! writer.startStream()
            stream.write("before ")
            started.fire()
            DispatchQueue.global().async {
                _ = release.wait(seconds: 5)
                stream.write("after")
                stream.finish()
            }
        }
        try await withH2Client(responder: router) { server, client in
            try client.send(H2.frame(type: 1, flags: 5, stream: 1, payload: H2.request("GET", "/stream")))
            #expect(started.wait())
            server.stopAccepting()
            server.startDraining()
            var goaway: [UInt8]?
            var body: [UInt8] = []
            while goaway == nil {
                let frame = try H2.readFrame(client)
                if frame.type == 7 { goaway = frame.payload }
                if frame.type == 0 && frame.stream == 1 { body += frame.payload }
            }
            #expect(goaway.map { Array($0[0..<8]) } == [0, 0, 0, 1, 0, 0, 0, 0])  // last stream 1, NO_ERROR
            release.fire()
            body += try H2.readResponses(client, streams: [1])[1]?.body ?? []
            #expect(String(decoding: body, as: UTF8.self) == "before after")
            #expect(client.isClosedByServer())
            #expect(client.sawCloseNotify)
            client.raw.closeWrite()
            #expect(await server.waitForConnectionsToClose(timeout: .seconds(3)))
        }
    }
}
