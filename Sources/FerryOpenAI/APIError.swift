// SPDX-License-Identifier: Apache-2.0

/// An error answered to an API client: the HTTP status and the OpenAI error body
/// `{"error": {"message", "type", "param", "code"}}`, where `code` repeats the status (vLLM's `ErrorResponse`).
///
/// This is the one place where failures become HTTP: validation throws `APIError` values made by the constructors
/// in `APIError+Situations.swift`, and the HTTP layer writes `status`, `body` and, for 503, `Retry-After`.
/// After an SSE stream has started the status is already 200, so the same body goes out as one more event
/// (`ServerSentEvents.error(_:)`).
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status code, also written as `code` in the body.
    public var status: Int
    /// The error family: `BadRequestError`, `NotFoundError`, … (or `Bad Request` for schema failures, as vLLM's
    /// validation handler writes the HTTP phrase).
    public var type: String
    /// Human-readable, vLLM's wording where vLLM has one.
    public var message: String
    /// The request field at fault, when there is one.
    public var param: String?
    /// Seconds for the `Retry-After` header (503 only); nil for other errors.
    public var retryAfterSeconds: Int?

    public init(status: Int, type: String, message: String, param: String? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.type = type
        self.message = message
        self.param = param
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status) \(type): \(message)" + (param.map { " (param: \($0))" } ?? "") }

    // MARK: - Error families

    /// `type` of errors raised while serving a request (vLLM's `create_error_response` default).
    public static let badRequestType = "BadRequestError"
    /// `type` of request-schema failures (vLLM's `RequestValidationError` handler writes the HTTP phrase).
    public static let schemaType = "Bad Request"
    public static let notFoundType = "NotFoundError"
    public static let authenticationType = "AuthenticationError"
    public static let methodNotAllowedType = "MethodNotAllowedError"
    public static let payloadTooLargeType = "PayloadTooLargeError"
    public static let serviceUnavailableType = "ServiceUnavailableError"
    public static let internalServerType = "InternalServerError"
    public static let notImplementedType = "NotImplementedError"

    // MARK: - Encoding

    /// Writes `{"error": {...}}` as one JSON value.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("message")
        writer.string(message)
        writer.key("type")
        writer.string(type)
        writer.key("param")
        writer.string(orNull: param)
        writer.key("code")
        writer.int(status)
        writer.endObject()
        writer.endObject()
    }

    /// The response body, `{"error":{"message":…,"type":…,"param":…,"code":…}}`.
    public var body: [UInt8] {
        var writer = JSONWriter(capacity: 96 + message.utf8.count)
        write(to: &writer)
        return writer.bytes
    }

    /// The reason phrase for the status line.
    public var reasonPhrase: String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Payload Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        default: "Error"
        }
    }
}

extension APIError {
    /// A 400 raised while serving (`BadRequestError`).
    static func badRequest(_ message: String, param: String?) -> APIError {
        APIError(status: 400, type: badRequestType, message: message, param: param)
    }

    /// A 400 for a body that does not fit the request schema (`Bad Request`).
    static func schema(_ message: String, param: String?) -> APIError {
        APIError(status: 400, type: schemaType, message: message, param: param)
    }

    /// Python's `repr(float)` for messages that quote a value (`got -1.0.`): Swift's shortest round-trip form is the
    /// same string, `1e-05` and `1e+16` included.
    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }

    /// Python's `repr(str)` for the common cases: single quotes unless the text holds `'` and no `"`.
    static func pythonRepr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case quote: out += "\\" + String(quote)
            default: out.append(character)
            }
        }
        out.append(quote)
        return out
    }
}
