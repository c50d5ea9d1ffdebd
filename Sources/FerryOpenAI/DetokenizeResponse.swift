// SPDX-License-Identifier: Apache-2.0

/// The `POST /detokenize` response: `{"prompt": text}`.
public struct DetokenizeResponse: Sendable, Equatable {
    public var prompt: String

    public init(prompt: String) {
        self.prompt = prompt
    }

    /// The response body.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(capacity: 16 + prompt.utf8.count)
        writer.beginObject()
        writer.key("prompt")
        writer.string(prompt)
        writer.endObject()
        return writer.bytes
    }
}
