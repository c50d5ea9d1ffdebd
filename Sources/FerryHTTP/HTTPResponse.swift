// SPDX-License-Identifier: Apache-2.0

/// A whole response: status, headers and body, written at once by `HTTPResponseWriter.respond(_:)`.
///
/// The writer owns the framing headers: it sets `Content-Length`, `Connection` and `Date`, and drops any
/// `Content-Length`, `Transfer-Encoding` or `Connection` given here (`Connection: close` is honoured by closing).
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a text body and its content type, e.g. `text/plain; charset=utf-8`.
    public init(status: HTTPStatus = .ok, contentType: String, body: String) {
        self.init(status: status, headers: ["Content-Type": contentType], body: Array(body.utf8))
    }

    /// A JSON response from already encoded bytes.
    public static func json(_ body: [UInt8], status: HTTPStatus = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`, `code` being the status.
    ///
    /// - Parameters:
    ///   - type: the error's type; by default the OpenAI client's name for the status (`BadRequestError`, ...).
    ///   - param: the request field at fault, or nil.
    public static func error(_ status: HTTPStatus, message: String, type: String? = nil, param: String? = nil,
                             headers: HTTPHeaders = [:]) -> HTTPResponse
    {
        let type = type ?? errorType(for: status)
        var json = "{\"error\":{\"message\":\"\(jsonEscaped(message))\",\"type\":\"\(jsonEscaped(type))\",\"param\":"
        json += param.map { "\"\(jsonEscaped($0))\"" } ?? "null"
        json += ",\"code\":\(status.code)}}"
        return .json(Array(json.utf8), status: status, headers: headers)
    }

    /// The error type OpenAI's Python client raises for a status (as vLLM names them), else the reason phrase
    /// without spaces followed by `Error`.
    public static func errorType(for status: HTTPStatus) -> String {
        switch status.code {
        case 400: return "BadRequestError"
        case 401: return "AuthenticationError"
        case 403: return "PermissionDeniedError"
        case 404: return "NotFoundError"
        case 409: return "ConflictError"
        case 422: return "UnprocessableEntityError"
        case 429: return "RateLimitError"
        case 500: return "InternalServerError"
        case 501: return "NotImplementedError"
        default:
            let words = status.reasonPhrase.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
            return words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() + "Error"
        }
    }

    /// `text` as the inside of a JSON string literal.
    public static func jsonEscaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
