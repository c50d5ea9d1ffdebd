// SPDX-License-Identifier: Apache-2.0

/// One complete request as a handler sees it: request line, headers and the whole body.
///
/// Built by `HTTPParser` on the connection's event loop; a value, so handlers may pass it to any thread.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request target exactly as received, e.g. `/v1/models?limit=2`.
    public var target: String
    /// The target's path: everything before `?` (for an absolute-form target, the path after the authority).
    public var path: String
    /// The query string after `?`, without the `?`; nil when the target has none.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// The body with any chunked framing removed; empty when the request has none.
    public var body: [UInt8]
    /// The peer's address; nil for requests that did not come from a socket (tests).
    public var remoteAddress: SocketAddress?

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
                body: [UInt8] = [], remoteAddress: SocketAddress? = nil)
    {
        self.method = method
        self.target = target
        (self.path, self.query) = HTTPRequest.split(target: target)
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// True when the client asked to keep the connection open: the HTTP/1.1 default unless `Connection: close`,
    /// and for HTTP/1.0 only with `Connection: keep-alive`. Always true over HTTP/2 (streams share a connection).
    public var wantsKeepAlive: Bool {
        if version.major >= 2 { return true }
        if version.major == 1 && version.minor >= 1 {
            return !headers.contains(name: "connection", token: "close")
        }
        return headers.contains(name: "connection", token: "keep-alive")
    }

    /// Splits a request target into path and query.
    static func split(target: String) -> (path: String, query: String?) {
        var pathPart = Substring(target)
        if !pathPart.hasPrefix("/"), let colon = pathPart.firstIndex(of: ":"),
           pathPart[colon...].hasPrefix("://")
        {
            let afterAuthority = pathPart[pathPart.index(colon, offsetBy: 3)...]
            pathPart = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }
        guard let mark = pathPart.firstIndex(of: "?") else { return (String(pathPart), nil) }
        return (String(pathPart[..<mark]), String(pathPart[pathPart.index(after: mark)...]))
    }
}
