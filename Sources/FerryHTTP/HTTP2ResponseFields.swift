// SPDX-License-Identifier: Apache-2.0

/// Turns a response head into the field list of an HTTP/2 HEADERS frame.
///
/// Stateless; called on the event loop by `HTTP2Session`.
enum HTTP2ResponseFields {
    /// `:status` first, then the head's fields with names in lowercase (HTTP/2 requires it), connection-specific
    /// fields dropped (RFC 9113 §8.2.2: `Connection`, `Keep-Alive`, `Proxy-Connection`, `Transfer-Encoding`,
    /// `Upgrade`), `content-length` from the head's body length only, and `date` / `server` added as HTTP/1.1 does.
    /// CR, LF and NUL in values become spaces, as `ResponseHeadEncoder` does.
    static func fields(of head: ResponseHead, serverName: String?) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [(":status", String(head.status.code))]
        fields.reserveCapacity(head.headers.count + 4)
        var hasDate = false
        for field in head.headers {
            let name = field.name.lowercased()
            if isConnectionSpecific(name) || name == "content-length" || name.hasPrefix(":") { continue }
            if name == "date" { hasDate = true }
            fields.append((name, sanitized(field.value)))
        }
        if let length = head.contentLength, !head.status.forbidsBody {
            fields.append(("content-length", String(length)))
        }
        if !hasDate {
            var date: [UInt8] = []
            HTTPDate.shared.append(to: &date)
            fields.append(("date", String(decoding: date, as: UTF8.self)))
        }
        if let serverName { fields.append(("server", sanitized(serverName))) }
        return fields
    }

    /// Fields that describe one HTTP/1.1 connection and must not appear in an HTTP/2 message.
    static func isConnectionSpecific(_ lowercasedName: String) -> Bool {
        switch lowercasedName {
        case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade": return true
        default: return false
        }
    }

    private static func sanitized(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { return value }
        return String(decoding: value.utf8.map { $0 == 13 || $0 == 10 || $0 == 0 ? UInt8(ascii: " ") : $0 },
                      as: UTF8.self)
    }
}
