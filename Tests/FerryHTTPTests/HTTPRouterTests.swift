// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryHTTP

@Suite(.serialized) struct HTTPRouterTests {
    @Test func anUnknownPathGets404InOpenAIErrorShape() async throws {
        try await withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /nope HTTP/1.1\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 404)
            #expect(response.bodyText
                == #"{"error":{"message":"Not Found: GET /nope","type":"NotFoundError","param":null,"code":404}}"#)
            try client.send("GET /live HTTP/1.1\r\n\r\n")  // an error answer keeps the connection
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func aKnownPathWithAnotherMethodGets405WithAllow() async throws {
        try await withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("DELETE /live HTTP/1.1\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 405)
            #expect(response.header("Allow") == "GET, HEAD, OPTIONS")
            #expect(response.bodyText.contains(#""code":405"#))
        }
    }

    @Test func optionsOnAKnownPathIs204WithAllowUnlessARouteTakesIt() async throws {
        var router = testRouter()
        router.add(.options, "/echo") { _, writer in
            try? writer.respond(HTTPResponse(status: .noContent, headers: ["Access-Control-Allow-Origin": "*"]))
        }
        try await withServer(responder: router) { _, port in
            let client = try RawClient(port: port)
            try client.send("OPTIONS /live HTTP/1.1\r\n\r\n")
            let plain = try client.readResponse()
            #expect(plain.status == 204)
            #expect(plain.header("Allow") == "GET, HEAD, OPTIONS")
            try client.send("OPTIONS /echo HTTP/1.1\r\n\r\n")
            #expect(try client.readResponse().header("Access-Control-Allow-Origin") == "*")
        }
    }

    @Test func headUsesTheGetRouteAndSendsNoBody() async throws {
        try await withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("HEAD /live HTTP/1.1\r\n\r\nGET /live HTTP/1.1\r\n\r\n")
            let head = try client.readResponse(isHead: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "2")
            #expect(try client.readResponse().bodyText == "ok")  // no stray body bytes in between
        }
    }

    @Test func middlewareWrapsEveryRequestAndSeesTheStatus() async throws {
        struct Recorder: HTTPMiddleware {
            let log: LockedValue<[String]>
            func respond(to request: HTTPRequest, writer: HTTPResponseWriter, next: any HTTPResponder) {
                let path = request.path
                writer.onFinish { summary in log.update { $0.append("\(path) \(summary.status?.code ?? 0)") } }
                next.respond(to: request, writer: writer)
            }
        }
        struct Auth: HTTPMiddleware {
            func respond(to request: HTTPRequest, writer: HTTPResponseWriter, next: any HTTPResponder) {
                guard request.headers["authorization"] == "Bearer k" else {
                    writer.respond(error: .unauthorized, message: "Unauthorized")
                    return
                }
                next.respond(to: request, writer: writer)
            }
        }
        let log = LockedValue<[String]>([])
        let responder = testRouter().wrapped(in: Auth()).wrapped(in: Recorder(log: log))
        try await withServer(responder: responder) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /live HTTP/1.1\r\n\r\n")
            #expect(try client.readResponse().status == 401)
            try client.send("GET /live HTTP/1.1\r\nAuthorization: Bearer k\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            try await Task.sleep(for: .milliseconds(20))
            #expect(log.get() == ["/live 401", "/live 200"])
        }
    }
}
