// SPDX-License-Identifier: Apache-2.0

/// A `POST /v1/chat/completions` body as the client sent it (vLLM's `ChatCompletionRequest`), before validation.
public struct ChatCompletionRequest: Sendable, Equatable {
    /// `messages`, in order.
    public var messages: [ChatMessage]
    /// `model`; nil means the served model.
    public var model: String?
    /// `logprobs`: return log-probabilities of the output tokens (default false).
    public var logprobs = false
    /// `top_logprobs`: alternatives per token, needs `logprobs` (default 0; -1 = whole vocabulary).
    public var topLogprobs = 0
    /// `max_tokens` (deprecated by OpenAI); nil = fill the context.
    public var maxTokens: Int?
    /// `max_completion_tokens`; wins over `max_tokens`; nil = fill the context.
    public var maxCompletionTokens: Int?
    /// `add_generation_prompt` (default true).
    public var addGenerationPrompt = true
    /// `continue_final_message` (default false); exclusive with `add_generation_prompt`.
    public var continueFinalMessage = false
    /// `add_special_tokens`: special tokens added on top of the template's (default false for chat).
    public var addSpecialTokens = false
    /// `chat_template_kwargs`: extra template variables (default none).
    public var chatTemplateKwargs: [String: JSONValue] = [:]
    /// `tools`, passed to the template as `tools`.
    public var tools: JSONValue?
    /// `documents`, passed to the template as `documents`.
    public var documents: JSONValue?
    /// `echo`: prepend the last message's content when it has the response's role (default false).
    public var echo = false
    /// `request_id`: the id's random part when no `X-Request-Id` header is sent.
    public var requestId: String?
    /// Sampling and stopping fields shared with completions.
    public var sampling = SamplingOptions()

    public init(messages: [ChatMessage], model: String? = nil) {
        self.messages = messages
        self.model = model
    }

    /// Decodes a request body.
    /// - Throws: `APIError` (400) for invalid JSON, a wrong field type, or a schema rule.
    public init(body: [UInt8]) throws(APIError) {
        try self.init(json: JSONValue.parse(body))
    }

    /// Decodes an already-parsed body.
    /// - Throws: `APIError` (400) naming the field at fault.
    public init(json: JSONValue) throws(APIError) {
        let body = try RequestObject(json)
        messages = try Self.messages(body["messages"])
        model = try body.string("model")
        logprobs = try body.bool("logprobs") ?? false
        topLogprobs = try body.int("top_logprobs") ?? 0
        if topLogprobs < -1 { throw .negativeLogprobs(param: "top_logprobs") }
        if topLogprobs != 0, !logprobs { throw .topLogprobsWithoutLogprobs }
        maxTokens = try body.int("max_tokens")
        maxCompletionTokens = try body.int("max_completion_tokens")
        addGenerationPrompt = try body.bool("add_generation_prompt") ?? true
        continueFinalMessage = try body.bool("continue_final_message") ?? false
        if addGenerationPrompt, continueFinalMessage { throw .continueFinalMessageWithGenerationPrompt }
        addSpecialTokens = try body.bool("add_special_tokens") ?? false
        for pair in try body.object("chat_template_kwargs") ?? [] { chatTemplateKwargs[pair.key] = pair.value }
        tools = body["tools"]
        documents = body["documents"]
        echo = try body.bool("echo") ?? false
        requestId = try body.string("request_id")
        sampling = try SamplingOptions(reading: body)
    }

    private static func messages(_ value: JSONValue?) throws(APIError) -> [ChatMessage] {
        guard let value else { throw .missingField("messages") }
        guard case .array(let elements) = value else {
            throw .wrongType(param: "messages", expected: "a list of messages", got: value)
        }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            messages.append(try ChatMessage(json: element, index: index))
        }
        return messages
    }
}
