// SPDX-License-Identifier: Apache-2.0

/// Response ids as vLLM makes them: `cmpl-` or `chatcmpl-` followed by the request's id.
///
/// The id part is, in order of preference: the `X-Request-Id` header, the body's `request_id`, or 32 random hex
/// digits (a uuid4's hex, as vLLM's `random_uuid()`). The generator is injected so tests are reproducible.
public enum RequestID {
    /// Which endpoint the id is for.
    public enum Kind: Sendable {
        case completion
        case chatCompletion

        /// `cmpl-` or `chatcmpl-`.
        public var prefix: String {
            switch self {
            case .completion: "cmpl-"
            case .chatCompletion: "chatcmpl-"
            }
        }
    }

    /// The response id for one request.
    /// - Parameters:
    ///   - header: the `X-Request-Id` header value, if sent (empty counts as absent).
    ///   - bodyRequestId: the body's `request_id`, if sent.
    ///   - generator: the source of the random part.
    public static func make(_ kind: Kind, header: String?, bodyRequestId: String? = nil,
                            using generator: inout some RandomNumberGenerator) -> String {
        if let header, !header.isEmpty { return kind.prefix + header }
        if let bodyRequestId, !bodyRequestId.isEmpty { return kind.prefix + bodyRequestId }
        return kind.prefix + randomHex(using: &generator)
    }

    /// `make` with the system's random generator.
    public static func make(_ kind: Kind, header: String?, bodyRequestId: String? = nil) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(kind, header: header, bodyRequestId: bodyRequestId, using: &generator)
    }

    /// 32 lowercase hex digits (128 random bits).
    public static func randomHex(using generator: inout some RandomNumberGenerator) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<2 {
            var word = generator.next()
            for _ in 0..<16 {
                bytes.append(digits[Int(word & 0xF)])
                word >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
