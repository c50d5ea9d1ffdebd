// SPDX-License-Identifier: Apache-2.0

/// Routes a request by method and exact path to a responder.
///
/// An unknown path gets 404; a known path with another method gets 405 with an `Allow` header; both carry OpenAI's
/// JSON error body. `HEAD` falls back to the `GET` route (the writer sends no body). `OPTIONS` reaches a route
/// registered for it; without one, a known path answers 204 with `Allow`, so a CORS middleware in front can add
/// its headers.
///
/// Built once before the server starts, then read-only: safe to call from every event loop.
public struct HTTPRouter: HTTPResponder {
    private var routes: [String: [HTTPMethod: any HTTPResponder]] = [:]

    public init() {}

    /// Sends `method` requests for exactly `path` (no query string) to `responder`, replacing an earlier route.
    public mutating func add(_ method: HTTPMethod, _ path: String, _ responder: any HTTPResponder) {
        routes[path, default: [:]][method] = responder
    }

    /// Sends `method` requests for exactly `path` to a closure.
    public mutating func add(_ method: HTTPMethod, _ path: String,
                             handler: @escaping @Sendable (HTTPRequest, HTTPResponseWriter) -> Void)
    {
        add(method, path, HTTPHandler(handler))
    }

    /// Methods `path` answers, `HEAD` and `OPTIONS` included where implied, sorted; empty for an unknown path.
    public func allowedMethods(for path: String) -> [HTTPMethod] {
        guard let byMethod = routes[path] else { return [] }
        var methods = Set(byMethod.keys)
        if methods.contains(.get) { methods.insert(.head) }
        methods.insert(.options)
        return methods.sorted { $0.rawValue < $1.rawValue }
    }

    /// Called on the connection's event loop.
    public func respond(to request: HTTPRequest, writer: HTTPResponseWriter) {
        guard let byMethod = routes[request.path] else {
            writer.respond(error: .notFound, message: "Not Found: \(request.method) \(request.path)")
            return
        }
        if let responder = byMethod[request.method] ?? (request.method == .head ? byMethod[.get] : nil) {
            responder.respond(to: request, writer: writer)
            return
        }
        let allow = allowedMethods(for: request.path).map(\.rawValue).joined(separator: ", ")
        if request.method == .options {
            try? writer.respond(HTTPResponse(status: .noContent, headers: ["Allow": allow]))
            return
        }
        writer.respond(error: .methodNotAllowed, message: "Method Not Allowed: \(request.method) \(request.path)",
                       headers: ["Allow": allow])
    }
}
