// SPDX-License-Identifier: Apache-2.0

/// Answers requests. The server calls one responder for every request; a router, a middleware chain and a single
/// handler are all responders.
public protocol HTTPResponder: Sendable {
    /// Answers `request` through `writer`, now or later.
    ///
    /// Called on the connection's event loop, one request at a time per connection. Must not block: start slow work
    /// elsewhere (a Task, the engine thread) and write from there; the writer is thread-safe.
    func respond(to request: HTTPRequest, writer: HTTPResponseWriter)
}

/// A responder made from a closure.
public struct HTTPHandler: HTTPResponder {
    private let body: @Sendable (HTTPRequest, HTTPResponseWriter) -> Void

    public init(_ body: @escaping @Sendable (HTTPRequest, HTTPResponseWriter) -> Void) {
        self.body = body
    }

    public func respond(to request: HTTPRequest, writer: HTTPResponseWriter) {
        body(request, writer)
    }
}

/// Wraps every request on its way to the next responder: logging, auth, CORS, metrics by route and status.
///
/// Called on the connection's event loop, like `HTTPResponder.respond`. Use `writer.onFinish` to see the status.
public protocol HTTPMiddleware: Sendable {
    func respond(to request: HTTPRequest, writer: HTTPResponseWriter, next: any HTTPResponder)
}

/// A middleware in front of a responder; itself a responder, so chains compose.
public struct HTTPMiddlewareResponder: HTTPResponder {
    let middleware: any HTTPMiddleware
    let next: any HTTPResponder

    public init(_ middleware: any HTTPMiddleware, next: any HTTPResponder) {
        self.middleware = middleware
        self.next = next
    }

    public func respond(to request: HTTPRequest, writer: HTTPResponseWriter) {
        middleware.respond(to: request, writer: writer, next: next)
    }
}

extension HTTPResponder {
    /// This responder behind `middleware`: `router.wrapped(in: Auth()).wrapped(in: AccessLog())` runs the
    /// access log first, then auth, then the router.
    public func wrapped(in middleware: any HTTPMiddleware) -> HTTPMiddlewareResponder {
        HTTPMiddlewareResponder(middleware, next: self)
    }
}

extension HTTPResponseWriter {
    /// Writes an error in OpenAI's JSON shape (`HTTPResponse.error`); does nothing if a head was already written.
    /// Called from any thread.
    public func respond(error status: HTTPStatus, message: String, headers: HTTPHeaders = [:]) {
        try? respond(.error(status, message: message, headers: headers))
    }
}
