// SPDX-License-Identifier: Apache-2.0

/// Serializes a response head (status line and header fields) into bytes.
///
/// Stateless; called on whatever thread writes the response (a handler's thread or an event loop).
enum ResponseHeadEncoder {
    /// How the body after the head is delimited.
    enum Framing: Equatable {
        /// `Content-Length: n` (omitted for statuses that forbid a body).
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// No length: the body ends when the connection closes (streams to HTTP/1.0 clients).
        case untilClose
    }

    /// Header names the encoder owns; values a caller sets for them are dropped.
    private static func isFramingHeader(_ name: String) -> Bool {
        switch name.utf8.count {
        case 10: return HTTPHeaders.namesMatch(name, "connection")
        case 14: return HTTPHeaders.namesMatch(name, "content-length")
        case 17: return HTTPHeaders.namesMatch(name, "transfer-encoding")
        default: return false
        }
    }

    /// Appends the head to `bytes`.
    /// - Parameters:
    ///   - keepAlive: false adds `Connection: close`; true adds `Connection: keep-alive` for HTTP/1.0 clients.
    ///   - requestVersion: the request's version (the status line always says HTTP/1.1).
    static func encode(status: HTTPStatus, headers: HTTPHeaders, framing: Framing, keepAlive: Bool,
                       requestVersion: HTTPVersion, serverName: String?, into bytes: inout [UInt8])
    {
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status.code, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        appendSanitized(status.reasonPhrase, to: &bytes)
        bytes.append(contentsOf: "\r\n".utf8)
        var hasDate = false
        for field in headers {
            if isFramingHeader(field.name) { continue }
            if field.name.utf8.count == 4 && HTTPHeaders.namesMatch(field.name, "date") { hasDate = true }
            appendSanitized(field.name, to: &bytes)
            bytes.append(contentsOf: ": ".utf8)
            appendSanitized(field.value, to: &bytes)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        if !status.forbidsBody {
            switch framing {
            case .length(let count):
                bytes.append(contentsOf: "Content-Length: ".utf8)
                appendDecimal(count, to: &bytes)
                bytes.append(contentsOf: "\r\n".utf8)
            case .chunked:
                bytes.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
            case .untilClose:
                break
            }
        }
        if !keepAlive {
            bytes.append(contentsOf: "Connection: close\r\n".utf8)
        } else if requestVersion == .http1_0 {
            bytes.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        if !hasDate {
            bytes.append(contentsOf: "Date: ".utf8)
            HTTPDate.shared.append(to: &bytes)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        if let serverName {
            bytes.append(contentsOf: "Server: ".utf8)
            appendSanitized(serverName, to: &bytes)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        bytes.append(contentsOf: "\r\n".utf8)
    }

    /// Appends `text`, with CR and LF turned into spaces so no caller can inject a header line.
    private static func appendSanitized(_ text: String, to bytes: inout [UInt8]) {
        for byte in text.utf8 {
            bytes.append(byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") ? UInt8(ascii: " ") : byte)
        }
    }

    /// Appends `value` (≥ 0) in decimal without going through `String`.
    static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        appendNumber(value, radix: 10, to: &bytes)
    }

    /// Appends `value` (≥ 0) in lowercase hexadecimal, as chunk sizes are written.
    static func appendHex(_ value: Int, to bytes: inout [UInt8]) {
        appendNumber(value, radix: 16, to: &bytes)
    }

    private static func appendNumber(_ value: Int, radix: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / radix { divisor *= radix }
        var rest = value
        while divisor > 0 {
            let digit = UInt8(rest / divisor)
            bytes.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
            rest %= divisor
            divisor /= radix
        }
    }
}

/// The `Date` header value (IMF-fixdate), formatted at most once per second for the whole process.
final class HTTPDate: Sendable {
    static let shared = HTTPDate()

    /// The second last formatted and its text.
    private let cache = Locked<(second: Int, text: [UInt8])>.make((-1, []))

    /// Appends the current date, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. Called on any thread.
    func append(to bytes: inout [UInt8]) {
        let now = Posix.wallClockSeconds()
        let text = cache.withLock { cached -> [UInt8] in
            if cached.second != now { cached = (now, HTTPDate.format(now)) }
            return cached.text
        }
        bytes.append(contentsOf: text)
    }

    static func format(_ seconds: Int) -> [UInt8] {
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let time = Posix.utcCalendar(seconds)
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let text = "\(days[time.weekday]), \(twoDigits(time.day)) \(months[time.month]) \(time.year) "
            + "\(twoDigits(time.hour)):\(twoDigits(time.minute)):\(twoDigits(time.second)) GMT"
        return Array(text.utf8)
    }
}
