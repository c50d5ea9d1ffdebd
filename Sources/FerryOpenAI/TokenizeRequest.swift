// SPDX-License-Identifier: Apache-2.0
import FerryTokenizer

/// A `POST /tokenize` body: the prompt form `{model?, prompt, add_special_tokens, return_token_strs}` or the chat
/// form `{model?, messages, add_generation_prompt, continue_final_message, add_special_tokens, chat_template_kwargs,
/// tools, return_token_strs}`. A body with `prompt` is the prompt form; otherwise `messages` is required.
public struct TokenizeRequest: Sendable, Equatable {
    /// What to tokenize.
    public enum Input: Sendable, Equatable {
        case prompt(String)
        case messages([ChatMessage])
    }

    public var model: String?
    public var input: Input
    /// `add_special_tokens`: default true for a prompt, false for messages (the template writes them).
    public var addSpecialTokens: Bool
    /// Chat form: `add_generation_prompt` (default true).
    public var addGenerationPrompt = true
    /// Chat form: `continue_final_message` (default false).
    public var continueFinalMessage = false
    /// Chat form: template variables, with `tools` merged in as for chat completions.
    public var chatTemplateKwargs: [String: JSONValue] = [:]
    /// `return_token_strs`: add each token's vocabulary spelling (default false).
    public var returnTokenStrs = false

    public init(model: String? = nil, input: Input) {
        self.model = model
        self.input = input
        if case .messages = input { addSpecialTokens = false } else { addSpecialTokens = true }
    }

    /// Decodes a request body.
    /// - Throws: `APIError` (400) naming the field at fault.
    public init(body: [UInt8]) throws(APIError) {
        let body = try RequestObject(JSONValue.parse(body))
        model = try body.string("model")
        if let prompt = try body.string("prompt") {
            input = .prompt(prompt)
            addSpecialTokens = try body.bool("add_special_tokens") ?? true
        } else if body["messages"] != nil {
            let chat = try ChatCompletionRequest(json: Self.chatFields(of: body))
            input = .messages(chat.messages)
            addSpecialTokens = chat.addSpecialTokens
            addGenerationPrompt = chat.addGenerationPrompt
            continueFinalMessage = chat.continueFinalMessage
            chatTemplateKwargs = chat.chatTemplateKwargs
            if let tools = chat.tools, chatTemplateKwargs["tools"] == nil { chatTemplateKwargs["tools"] = tools }
        } else {
            throw .missingField("prompt")
        }
        returnTokenStrs = try body.bool("return_token_strs") ?? false
    }

    /// The chat fields only, so sampling fields that mean nothing here cannot fail the request.
    private static func chatFields(of body: RequestObject) -> JSONValue {
        let names = ["messages", "add_generation_prompt", "continue_final_message", "add_special_tokens",
                     "chat_template_kwargs", "tools"]
        return .object(names.compactMap { name in body[name].map { (key: name, value: $0) } })
    }

    /// Checks the model name, renders (chat form) and tokenizes.
    /// - Parameter render: the chat template, for the chat form.
    /// - Throws: `APIError.modelNotFound` (404), or a 400 from the chat template.
    public func tokenize(tokenizer: Tokenizer, maxModelLen: Int, servedModelNames: [String],
                         render: ChatTemplateRenderer) throws(APIError) -> TokenizeResponse {
        _ = try ServedModels.resolve(model, servedModelNames: servedModelNames)
        let text: String
        switch input {
        case .prompt(let prompt):
            text = prompt
        case .messages(let messages):
            var chat = ChatCompletionRequest(messages: messages)
            chat.addGenerationPrompt = addGenerationPrompt
            chat.continueFinalMessage = continueFinalMessage
            chat.chatTemplateKwargs = chatTemplateKwargs
            text = try chat.renderPrompt(render)
        }
        let ids = tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
        let strings = returnTokenStrs ? ids.map { tokenizer.token(forId: $0) ?? "" } : nil
        return TokenizeResponse(tokens: ids, maxModelLen: maxModelLen, tokenStrs: strings)
    }
}
