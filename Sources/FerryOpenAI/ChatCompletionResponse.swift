// SPDX-License-Identifier: Apache-2.0

/// One choice of a non-streaming chat response.
public struct ChatChoice: Sendable, Equatable {
    public var index: Int
    /// `message.role` (see `ValidatedChat.responseRole`).
    public var role: String
    /// `message.content`: the generated text (after `echoText`, with `echo`).
    public var content: String
    public var logprobs: ChatLogprobs?
    public var finishReason: FinishReason
    public var stopReason: StopReason?
    /// `token_ids`, with `return_token_ids`.
    public var tokenIds: [Int]?

    public init(index: Int, role: String = "assistant", content: String, logprobs: ChatLogprobs? = nil,
                finishReason: FinishReason, stopReason: StopReason? = nil, tokenIds: [Int]? = nil) {
        self.index = index
        self.role = role
        self.content = content
        self.logprobs = logprobs
        self.finishReason = finishReason
        self.stopReason = stopReason
        self.tokenIds = tokenIds
    }

    /// Writes `{index, message: {role, content}, logprobs, finish_reason, stop_reason[, token_ids]}`.
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("index")
        writer.int(index)
        writer.key("message")
        writer.beginObject()
        writer.key("role")
        writer.string(role)
        writer.key("content")
        writer.string(content)
        writer.endObject()
        writer.key("logprobs")
        if let logprobs { logprobs.write(to: &writer) } else { writer.null() }
        writer.finish(finishReason, stopReason)
        if let tokenIds {
            writer.key("token_ids")
            writer.intArray(tokenIds)
        }
        writer.endObject()
    }
}

/// A non-streaming `POST /v1/chat/completions` response (`object: "chat.completion"`).
public struct ChatCompletionResponse: Sendable, Equatable {
    /// `chatcmpl-…` (see `RequestID`).
    public var id: String
    /// Unix seconds.
    public var created: Int
    public var model: String
    public var choices: [ChatChoice]
    public var usage: Usage
    /// vLLM's `system_fingerprint`; written as null when nil.
    public var systemFingerprint: String?
    /// `prompt_token_ids`, with `return_token_ids`.
    public var promptTokenIds: [Int]?

    public init(id: String, created: Int, model: String, choices: [ChatChoice], usage: Usage,
                systemFingerprint: String? = nil, promptTokenIds: [Int]? = nil) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.systemFingerprint = systemFingerprint
        self.promptTokenIds = promptTokenIds
    }

    /// The response body.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + choices.reduce(0) { $0 + $1.content.utf8.count })
        writer.beginObject()
        writer.key("id")
        writer.string(id)
        writer.key("object")
        writer.string("chat.completion")
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
        if let promptTokenIds {
            writer.key("prompt_token_ids")
            writer.intArray(promptTokenIds)
        }
        writer.endObject()
        return writer.bytes
    }
}
