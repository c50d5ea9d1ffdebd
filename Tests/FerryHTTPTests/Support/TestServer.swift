// SPDX-License-Identifier: Apache-2.0
import Dispatch
import FerryHTTP
import Synchronization

/// Runs `body` against a server on 127.0.0.1 (or `host`), port 0, two event loops; shuts it down afterwards.
func withServer(host: String = "127.0.0.1", responder: any HTTPResponder = testRouter(),
                configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                _ body: (HTTPServer, Int) async throws -> Void) async throws
{
    var configuration = HTTPServerConfiguration(host: host, port: 0)
    configuration.numberOfEventLoops = 2
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, responder: responder)
    try server.start()
    do {
        try await body(server, server.localAddress!.port)
    } catch {
        await server.shutdown(drainTimeout: nil)
        throw error
    }
    await server.shutdown(drainTimeout: nil)
}

/// Routes most tests use.
///
/// - `GET /live`: `ok`.
/// - `POST /echo`: the body back, with `X-Body-Length`.
/// - `GET /delayed?ms=N`: answers after N ms from another thread, body = the query.
func testRouter() -> HTTPRouter {
    var router = HTTPRouter()
    router.add(.get, "/live") { _, writer in
        try? writer.respond(HTTPResponse(contentType: "text/plain", body: "ok"))
    }
    router.add(.post, "/echo") { request, writer in
        try? writer.respond(HTTPResponse(status: .ok, headers: ["X-Body-Length": "\(request.body.count)"],
                                         body: request.body))
    }
    router.add(.get, "/delayed") { request, writer in
        let milliseconds = Int(request.query?.split(separator: "=").last ?? "0") ?? 0
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
            try? writer.respond(HTTPResponse(contentType: "text/plain", body: request.query ?? ""))
        }
    }
    return router
}

/// A one-shot signal between a handler thread and the test.
final class Signal: @unchecked Sendable {  // DispatchSemaphore is thread-safe
    private let semaphore = DispatchSemaphore(value: 0)

    func fire() { semaphore.signal() }

    /// - Returns: false when `seconds` passed first.
    func wait(seconds: Double = 2) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }
}

/// A value shared between a handler thread and the test.
final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func get() -> Value { mutex.withLock { $0 } }
    func set(_ value: Value) { mutex.withLock { $0 = value } }
    func update(_ body: (inout Value) -> Void) { mutex.withLock { body(&$0) } }
}
