// SPDX-License-Identifier: Apache-2.0
import Dispatch
import Testing
@testable import FerryHTTP

@Suite(.serialized) struct HTTPServerDrainTests {
    /// A router whose `/stream` writes one chunk, then the rest when `release` fires.
    func streamingRouter(started: Signal, release: Signal) -> HTTPRouter {
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
        return router
    }

    @Test func drainRefusesNewConnectionsClosesIdleOnesAndLetsAStreamFinish() async throws {
        let started = Signal(), release = Signal()
        try await withServer(responder: streamingRouter(started: started, release: release)) { server, port in
            let idle = try RawClient(port: port)
            try idle.send("GET /live HTTP/1.1\r\n\r\n")
            _ = try idle.readResponse()

            let streaming = try RawClient(port: port)
            try streaming.send("GET /stream HTTP/1.1\r\n\r\n")
            _ = try streaming.readHead()
            #expect(started.wait())
            #expect(try streaming.readChunk() == Array("before".utf8))

            server.stopAccepting()
            server.startDraining()
            #expect(throws: RawClient.ClientError.self) { try RawClient(port: port) }
            #expect(idle.isClosedByServer())

            release.fire()
            #expect(try streaming.readChunk() == Array("after".utf8))
            #expect(try streaming.readChunk() == nil)
            #expect(streaming.isClosedByServer())  // closed after its response, being drained
            streaming.closeWrite()  // else the server lingers (reading) up to `timeouts.linger` for our FIN
            #expect(await server.waitForConnectionsToClose(timeout: .seconds(2)))
        }
    }

    @Test func responsesDuringDrainSayConnectionClose() async throws {
        try await withServer { server, port in
            let client = try RawClient(port: port)
            try client.send("GET /live HTTP/1.1\r\n\r\n")
            #expect(try client.readResponse().header("Connection") == nil)
            server.startDraining()  // still accepting: the app may keep serving /live during a drain
            let late = try RawClient(port: port)
            try late.send("GET /live HTTP/1.1\r\n\r\n")
            let response = try late.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(late.isClosedByServer())
            #expect(client.isClosedByServer())
        }
    }

    @Test func forcedCloseEndsInFlightStreamsAndFiresOnClose() async throws {
        let started = Signal(), release = Signal(), closed = Signal()
        var router = streamingRouter(started: started, release: release)
        router.add(.get, "/watched") { _, writer in
            writer.onClose { closed.fire() }
            let stream = try! writer.startStream()
            started.fire()
            DispatchQueue.global().async {
                _ = release.wait(seconds: 5)
                stream.finish()
            }
        }
        try await withServer(responder: router) { server, port in
            let client = try RawClient(port: port)
            try client.send("GET /watched HTTP/1.1\r\n\r\n")
            #expect(started.wait())
            let drained = await server.shutdown(drainTimeout: .milliseconds(100))
            #expect(!drained)
            #expect(closed.wait())
            #expect(server.stats.openConnections == 0)
            release.fire()
        }
    }
}
