// SPDX-License-Identifier: Apache-2.0
import FerryEngine
import FerryHTTP

/// In front of every route: CORS (with preflight), the API key on API routes, the access log line, and the
/// `http_requests_total` counter. Runs on the connection's event loop.
struct APIMiddleware: HTTPMiddleware {
    let context: ServingContext

    /// Routes that stay open without a key: probes and metrics.
    static let openPaths: Set<String> = ["/health", "/live", "/metrics"]

    func respond(to request: HTTPRequest, writer: HTTPResponseWriter, next: any HTTPResponder) {
        let start = Engine.now()
        let settings = context.settings
        let context = self.context
        writer.onFinish { summary in
            let status = summary.status?.code ?? 499
            let handler = APIMiddleware.handlerLabel(request.path)
            context.metrics.httpRequest(handler: handler, method: request.method.rawValue, status: status)
            if !APIMiddleware.openPaths.contains(request.path) {
                context.log("info", "\(request.method.rawValue) \(request.path) \(status)", [
                    "method": request.method.rawValue, "path": request.path, "status": "\(status)",
                    "duration_ms": String(Int(((Engine.now() - start) * 1000).rounded())),
                    "bytes": "\(summary.bodyBytes)",
                ])
            }
        }
        if let origin = request.headers["origin"], CORS.allows(origin, settings.allowedOrigins) {
            writer.addHeader(name: "Access-Control-Allow-Origin",
                             value: settings.allowedOrigins.contains("*") && !settings.allowCredentials ? "*" : origin)
            if settings.allowCredentials { writer.addHeader(name: "Access-Control-Allow-Credentials", value: "true") }
            writer.addHeader(name: "Vary", value: "Origin")
            if request.method == .options, let method = request.headers["access-control-request-method"] {
                CORS.preflight(writer, method: method, requestedHeaders: request.headers["access-control-request-headers"],
                               settings: settings)
                return
            }
        }
        if !settings.apiKeys.isEmpty, request.method != .options, !Self.openPaths.contains(request.path),
           !APIKeys.authorizes(request.headers["authorization"], keys: settings.apiKeys)
        {
            try? writer.respond(ServingResponses.error(.unauthorized))
            return
        }
        next.respond(to: request, writer: writer)
    }

    /// The route as the metrics label: known paths as they are, anything else "other" (bounded cardinality).
    static func handlerLabel(_ path: String) -> String {
        let known: Set<String> = ["/health", "/live", "/metrics", "/version", "/v1/models", "/tokenize",
                                  "/detokenize", "/v1/completions", "/v1/chat/completions"]
        return known.contains(path) ? path : "other"
    }
}

/// `Authorization: Bearer KEY` against the configured keys, compared in constant time.
enum APIKeys {
    static func authorizes(_ header: String?, keys: [String]) -> Bool {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let given = Array(header.dropFirst(7).utf8)
        var matched = false
        for key in keys { matched = constantTimeEqual(given, Array(key.utf8)) || matched }
        return matched
    }

    /// Equal bytes, in time that depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0xff)
        }
        return difference == 0
    }
}

/// Cross-origin requests as `--allowed-origins/-methods/-headers` allow.
enum CORS {
    static func allows(_ origin: String, _ allowed: [String]) -> Bool {
        allowed.contains("*") || allowed.contains(origin)
    }

    static func preflight(_ writer: HTTPResponseWriter, method: String, requestedHeaders: String?,
                          settings: ServingSettings)
    {
        var headers = HTTPHeaders()
        let methods = settings.allowedMethods.contains("*")
            ? "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT" : settings.allowedMethods.joined(separator: ", ")
        headers.add(name: "Access-Control-Allow-Methods", value: methods)
        if settings.allowedHeaders.contains("*") {
            if let requestedHeaders { headers.add(name: "Access-Control-Allow-Headers", value: requestedHeaders) }
        } else {
            headers.add(name: "Access-Control-Allow-Headers", value: settings.allowedHeaders.joined(separator: ", "))
        }
        headers.add(name: "Access-Control-Max-Age", value: "600")
        try? writer.respond(HTTPResponse(status: .ok, headers: headers, body: Array("OK".utf8)))
    }
}
