// SPDX-License-Identifier: Apache-2.0

/// One choice of a completions response or stream chunk.
public struct CompletionChoice: Sendable, Equatable {
    /// `output_index + prompt_index * n`.
    public var index: Int
    /// The text (with `echo`, the prompt text first); in a stream, this chunk's new text.
    public var text: String
    /// Log-probabilities of the tokens in `text`, when requested.
    public var logprobs: CompletionLogprobs?
    /// nil until the choice ends (stream chunks).
    public var finishReason: FinishReason?
    public var stopReason: StopReason?
    /// `token_ids`, with `return_token_ids` (the tokens of `text`).
    public var tokenIds: [Int]?
    /// `prompt_token_ids`, with `return_token_ids` (first chunk or the full response).
    public var promptTokenIds: [Int]?

    public init(index: Int, text: String, logprobs: CompletionLogprobs? = nil, finishReason: FinishReason? = nil,
                stopReason: StopReason? = nil, tokenIds: [Int]? = nil, promptTokenIds: [Int]? = nil) {
        self.index = index
        self.text = text
        self.logprobs = logprobs
        self.finishReason = finishReason
        self.stopReason = stopReason
        self.tokenIds = tokenIds
        self.promptTokenIds = promptTokenIds
    }

    /// Writes `{index, text, logprobs, finish_reason, stop_reason[, prompt_token_ids][, token_ids]}`.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("index")
        writer.int(index)
        writer.key("text")
        writer.string(text)
        writer.key("logprobs")
        if let logprobs { logprobs.write(to: &writer) } else { writer.null() }
        writer.finish(finishReason, stopReason)
        if let promptTokenIds {
            writer.key("prompt_token_ids")
            writer.intArray(promptTokenIds)
        }
        if let tokenIds {
            writer.key("token_ids")
            writer.intArray(tokenIds)
        }
        writer.endObject()
    }
}

/// A non-streaming `POST /v1/completions` response (`object: "text_completion"`).
public struct CompletionResponse: Sendable, Equatable {
    /// `cmpl-…` (see `RequestID`).
    public var id: String
    /// Unix seconds.
    public var created: Int
    public var model: String
    public var choices: [CompletionChoice]
    public var usage: Usage
    /// vLLM's `system_fingerprint`; written as null when nil.
    public var systemFingerprint: String?

    public init(id: String, created: Int, model: String, choices: [CompletionChoice], usage: Usage,
                systemFingerprint: String? = nil) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.systemFingerprint = systemFingerprint
    }

    /// The response body.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + choices.reduce(0) { $0 + $1.text.utf8.count })
        writer.beginObject()
        writer.key("id")
        writer.string(id)
        writer.key("object")
        writer.string("text_completion")
        writer.key("created")
        writer.int(created)
        writer.key("model")
        writer.string(model)
        writer.key("choices")
        writer.beginArray()
        for choice in choices { choice.write(to: &writer) }
        writer.endArray()
        writer.key("usage")
        usage.write(to: &writer)
        writer.key("system_fingerprint")
        writer.string(orNull: systemFingerprint)
        writer.endObject()
        return writer.bytes
    }
}
