// SPDX-License-Identifier: Apache-2.0

/// The `POST /tokenize` response: `{count, max_model_len, tokens[, token_strs]}`.
public struct TokenizeResponse: Sendable, Equatable {
    public var tokens: [Int]
    public var maxModelLen: Int
    /// Each token's vocabulary spelling (`Ġhello`), with `return_token_strs`.
    public var tokenStrs: [String]?

    public init(tokens: [Int], maxModelLen: Int, tokenStrs: [String]? = nil) {
        self.tokens = tokens
        self.maxModelLen = maxModelLen
        self.tokenStrs = tokenStrs
    }

    /// The response body.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + tokens.count * 6)
        writer.beginObject()
        writer.key("count")
        writer.int(tokens.count)
        writer.key("max_model_len")
        writer.int(maxModelLen)
        writer.key("tokens")
        writer.intArray(tokens)
        if let tokenStrs {
            writer.key("token_strs")
            writer.beginArray()
            for token in tokenStrs { writer.string(token) }
            writer.endArray()
        }
        writer.endObject()
        return writer.bytes
    }
}
