// SPDX-License-Identifier: Apache-2.0
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import FerryHTTP

@Suite(.serialized) struct HTTPServerTests {
    @Test func aRequestGetsItsResponseWithDateAndContentLength() async throws {
        try await withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /live HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "ok")
            #expect(response.header("Content-Length") == "2")
            #expect(response.header("Date")?.hasSuffix("GMT") == true)
            #expect(response.header("Connection") == nil)
        }
    }

    static let badInputs: [(request: String, status: Int, type: String)] = [
        ("GET /\r\n\r\n", 400, "BadRequestError"),
        ("GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400, "BadRequestError"),
        ("POST /echo HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "BadRequestError"),
        ("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400, "BadRequestError"),
        ("GET / HTTP/1.1\r\nX: " + String(repeating: "h", count: 65 * 1024) + "\r\n\r\n", 431,
         "RequestHeaderFieldsTooLargeError"),
        ("GET /" + String(repeating: "u", count: 8 * 1024 + 1) + " HTTP/1.1\r\n\r\n", 414, "URITooLongError"),
        ("POST /echo HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", 413, "ContentTooLargeError"),
        ("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1001\r\n", 413, "ContentTooLargeError"),
        ("GET / HTTP/3.0\r\n\r\n", 505, "HTTPVersionNotSupportedError"),
        ("POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "NotImplementedError"),
    ]

    @Test(arguments: 0..<badInputs.count)
    func eachBadInputGetsItsStatusAndJSONErrorThenTheServerServesTheNextConnection(index: Int) async throws {
        let (request, status, type) = Self.badInputs[index]
        try await withServer(configure: { $0.limits.maxBodyBytes = 4096 }) { _, port in
            let client = try RawClient(port: port)
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Connection") == "close")
            #expect(response.bodyText.hasPrefix("{\"error\":{\"message\":\""))
            #expect(response.bodyText.hasSuffix("\"type\":\"\(type)\",\"param\":null,\"code\":\(status)}}"))
            #expect(client.isClosedByServer())

            let next = try RawClient(port: port)
            try next.send("GET /live HTTP/1.1\r\n\r\n")
            #expect(try next.readResponse().status == 200)
        }
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() async throws {
        try await withServer { server, port in
            let client = try RawClient(port: port)
            for index in 0..<5 {
                try client.send("POST /echo HTTP/1.1\r\nContent-Length: 1\r\n\r\n\(index)")
                let response = try client.readResponse()
                #expect(response.bodyText == "\(index)")
            }
            #expect(server.stats.acceptedConnections == 1)
            #expect(server.stats.responsesByStatus[200] == 5)
        }
    }

    @Test func http10ClosesAfterTheResponseUnlessAskedToKeepAlive() async throws {
        try await withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /live HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("Connection") == "close")
            #expect(client.isClosedByServer())

            let keepAlive = try RawClient(port: port)
            try keepAlive.send("GET /live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try keepAlive.readResponse().header("Connection") == "keep-alive")
            try keepAlive.send("GET /live HTTP/1.0\r\n\r\n")
            #expect(try keepAlive.readResponse().status == 200)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlowest() async throws {
        try await withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /delayed?ms=150 HTTP/1.1\r\n\r\nGET /delayed?ms=0 HTTP/1.1\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /live HTTP/1.1\r\n\r\n")
            #expect(try client.readResponse().bodyText == "ms=150")
            #expect(try client.readResponse().bodyText == "ms=0")
            #expect(try client.readResponse().bodyText == "abc")
            #expect(try client.readResponse().bodyText == "ok")
        }
    }

    @Test func aRequestSentOneByteAtATimeIsServed() async throws {
        try await withServer { _, port in
            let client = try RawClient(port: port)
            let request = "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"
            for byte in request.utf8 {
                try client.send([byte])
            }
            let response = try client.readResponse()
            #expect(response.bodyText == "abc")
        }
    }

    @Test func expectContinueGets100BeforeTheBodyIsSent() async throws {
        try await withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            #expect(try client.readHead().status == 100)
            try client.send("body")
            #expect(try client.readResponse().bodyText == "body")
        }
    }

    @Test func expectContinueWithATooLargeBodyGets413Instead() async throws {
        try await withServer(configure: { $0.limits.maxBodyBytes = 10 }) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
            #expect(try client.readResponse().status == 413)
        }
    }

    @Test func aSlowlorisClientIsClosedAfterTheHeaderTimeout() async throws {
        try await withServer(configure: { $0.timeouts.header = .milliseconds(300) }) { _, port in
            let client = try RawClient(port: port)
            let start = ContinuousClock.now
            for byte in "GET /live HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8 {
                try client.send([byte])
                if client.isReadable(withinMilliseconds: 40) { break }
            }
            let answeredAfter = ContinuousClock.now - start
            #expect(try client.readResponse().status == 408)
            #expect(client.isClosedByServer())
            #expect(answeredAfter >= .milliseconds(300))
            #expect(answeredAfter < .milliseconds(1000))
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await withServer(configure: { $0.timeouts.idle = .milliseconds(200) }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /live HTTP/1.1\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            let start = ContinuousClock.now
            #expect(client.isClosedByServer())
            #expect(ContinuousClock.now - start < .milliseconds(1000))
        }
    }

    @Test func aBodyThatStopsArrivingGets408() async throws {
        try await withServer(configure: { $0.timeouts.body = .milliseconds(200) }) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
            #expect(try client.readResponse().status == 408)
        }
    }

    @Test func theServerAnswersOverIPv6WhenAvailable() async throws {
        guard (try? SocketAddress.resolve(host: "::1", port: 0)) != nil else { return }
        do {
            try await withServer(host: "::1") { server, port in
                #expect(server.localAddress?.isIPv6 == true)
                let client = try RawClient(host: "::1", port: port)
                try client.send("GET /live HTTP/1.1\r\n\r\n")
                #expect(try client.readResponse().bodyText == "ok")
            }
        } catch let error as IOError where error.function == "bind" || error.function == "socket" {
            return  // no IPv6 loopback on this machine
        }
    }

    @Test func theRequestCarriesTheRemoteAddress() async throws {
        let seen = Signal()
        let address = LockedValue<String?>(nil)
        let responder = HTTPHandler { request, writer in
            address.set(request.remoteAddress?.host)
            seen.fire()
            try? writer.respond(HTTPResponse())
        }
        try await withServer(responder: responder) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\n\r\n")
            _ = try client.readResponse()
            #expect(seen.wait())
            #expect(address.get() == "127.0.0.1")
        }
    }
}

@Suite(.serialized) struct HTTPServerLifecycleTests {
    @Test func portZeroBindsAnEphemeralPortAndABusyPortThrowsEADDRINUSE() async throws {
        try await withServer { server, port in
            #expect(port > 0)
            #expect(server.localAddress?.host == "127.0.0.1")
            let second = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port),
                                    responder: testRouter())
            #expect(throws: IOError(errnoCode: EADDRINUSE, function: "bind")) { try second.start() }
        }
    }

    @Test func statsCountConnectionsAndResponsesByStatus() async throws {
        try await withServer { server, port in
            let client = try RawClient(port: port)
            try client.send("GET /live HTTP/1.1\r\n\r\nGET /missing HTTP/1.1\r\n\r\n")
            _ = try client.readResponse()
            _ = try client.readResponse()
            let stats = server.stats
            #expect(stats.openConnections == 1)
            #expect(stats.acceptedConnections == 1)
            #expect(stats.responsesByStatus == [200: 1, 404: 1])
        }
    }
}
