// SPDX-License-Identifier: Apache-2.0

/// One token's log-probability and its most likely alternatives, with token texts already decoded by the handler
/// (`tokenizer.decode([id])`, as vLLM does). The source for both the completions and the chat `logprobs` objects.
public struct TokenLogprob: Sendable, Equatable {
    /// The token's decoded text.
    public var token: String
    /// Its log-probability; nil for a prompt's first token, which has none (completions with `echo`).
    public var logprob: Double?
    /// The alternatives, most likely first, as many as the request asked for (the engine decides whether the
    /// chosen token is among them); nil together with `logprob`.
    public var topLogprobs: [TopLogprob]?

    public init(token: String, logprob: Double?, topLogprobs: [TopLogprob]?) {
        self.token = token
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }

    /// vLLM writes `-inf` as this value, which OpenAI also uses, so the JSON stays valid.
    public static let floor: Double = -9999.0

    /// `max(value, -9999.0)`.
    static func clamped(_ value: Double) -> Double {
        value.isNaN ? value : max(value, floor)
    }
}

/// One alternative token.
public struct TopLogprob: Sendable, Equatable {
    public var token: String
    public var logprob: Double

    public init(token: String, logprob: Double) {
        self.token = token
        self.logprob = logprob
    }
}

/// The completions `logprobs` object: `{text_offset, token_logprobs, tokens, top_logprobs}`.
public struct CompletionLogprobs: Sendable, Equatable {
    public var tokens: [TokenLogprob]
    /// Character offset of the first token in the choice's text (nonzero for later stream chunks).
    public var initialTextOffset: Int

    public init(tokens: [TokenLogprob], initialTextOffset: Int = 0) {
        self.tokens = tokens
        self.initialTextOffset = initialTextOffset
    }

    /// The offset just past these tokens: the next chunk's `initialTextOffset`.
    public var endTextOffset: Int {
        tokens.reduce(initialTextOffset) { $0 + $1.token.unicodeScalars.count }
    }

    /// Writes the object. Offsets count Unicode scalars (Python's `len`). `top_logprobs` entries are objects keyed
    /// by token text; a text that repeats keeps its first position and its last value, like a Python dict.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("text_offset")
        writer.beginArray()
        var offset = initialTextOffset
        for entry in tokens {
            writer.int(offset)
            offset += entry.token.unicodeScalars.count
        }
        writer.endArray()
        writer.key("token_logprobs")
        writer.beginArray()
        for entry in tokens {
            if let logprob = entry.logprob { writer.double(TokenLogprob.clamped(logprob)) } else { writer.null() }
        }
        writer.endArray()
        writer.key("tokens")
        writer.beginArray()
        for entry in tokens { writer.string(entry.token) }
        writer.endArray()
        writer.key("top_logprobs")
        writer.beginArray()
        for entry in tokens {
            guard let top = entry.topLogprobs else {
                writer.null()
                continue
            }
            // Few alternatives (≤ --max-logprobs), so a linear scan; texts compare by scalars, as Python's do.
            var unique: [TopLogprob] = []
            for alternative in top {
                let scalars = alternative.token.unicodeScalars
                if let at = unique.firstIndex(where: { $0.token.unicodeScalars.elementsEqual(scalars) }) {
                    unique[at].logprob = alternative.logprob
                } else {
                    unique.append(alternative)
                }
            }
            writer.beginObject()
            for alternative in unique {
                writer.key(alternative.token)
                writer.double(TokenLogprob.clamped(alternative.logprob))
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
    }
}

/// The chat `logprobs` object: `{"content": [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}`.
public struct ChatLogprobs: Sendable, Equatable {
    public var content: [TokenLogprob]

    public init(content: [TokenLogprob]) {
        self.content = content
    }

    /// Writes the object; `bytes` is the token text's UTF-8.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("content")
        writer.beginArray()
        for entry in content {
            writer.beginObject()
            Self.writeFields(token: entry.token, logprob: entry.logprob ?? TokenLogprob.floor, to: &writer)
            writer.key("top_logprobs")
            writer.beginArray()
            for alternative in entry.topLogprobs ?? [] {
                writer.beginObject()
                Self.writeFields(token: alternative.token, logprob: alternative.logprob, to: &writer)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
    }

    private static func writeFields(token: String, logprob: Double, to writer: inout JSONWriter) {
        writer.key("token")
        writer.string(token)
        writer.key("logprob")
        writer.double(TokenLogprob.clamped(logprob))
        writer.key("bytes")
        writer.beginArray()
        for byte in token.utf8 { writer.int(Int(byte)) }
        writer.endArray()
    }
}
