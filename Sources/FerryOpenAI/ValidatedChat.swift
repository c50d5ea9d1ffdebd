// SPDX-License-Identifier: Apache-2.0
import FerryScheduling
import FerryTokenizer

/// Renders a conversation with the model's chat template: messages, `add_generation_prompt`,
/// `continue_final_message`, and the template variables (`chat_template_kwargs`, plus `tools` and `documents`
/// when the request has them). Supplied by the server so this module does not depend on the template engine.
/// An `APIError` it throws passes through; any other error becomes a 400 naming `messages`.
public typealias ChatTemplateRenderer =
    @Sendable (_ messages: [ChatMessage], _ addGenerationPrompt: Bool, _ continueFinalMessage: Bool,
               _ kwargs: [String: JSONValue]) throws -> String

/// A chat request ready for the engine.
public struct ValidatedChat: Sendable, Equatable {
    /// The name responses carry (`model`): the first served name, as vLLM writes it.
    public var modelName: String
    /// The rendered prompt (`text` is the template's output) and its output budget.
    public var prompt: EnginePrompt
    public var parameters: GenerationParameters
    /// How to stream; nil for a single JSON response.
    public var stream: StreamOptions?
    /// The response message's role: "assistant" with `add_generation_prompt`, else the last message's role.
    public var responseRole: String
    /// With `echo`: the last message's content when its role is `responseRole`, to prepend to the output.
    public var echoText: String?

    public init(modelName: String, prompt: EnginePrompt, parameters: GenerationParameters, stream: StreamOptions?,
                responseRole: String, echoText: String?) {
        self.modelName = modelName
        self.prompt = prompt
        self.parameters = parameters
        self.stream = stream
        self.responseRole = responseRole
        self.echoText = echoText
    }
}

extension ChatCompletionRequest {
    /// Validates the request, renders and tokenizes the conversation, and builds the engine's inputs.
    ///
    /// Called by the chat handler on the request's thread. Checks, in order: model name, unsupported features,
    /// the requested output length, sampling ranges; then renders, tokenizes with `add_special_tokens` (default
    /// false: the template writes BOS itself) and fits the prompt in the context. Without `max_tokens` or
    /// `max_completion_tokens` the output may fill the rest of the context.
    /// - Parameters:
    ///   - maxModelLen: `--max-model-len`.
    ///   - servedModelNames: `--served-model-name` values (the first is the response's `model`).
    ///   - generationDefaults: sampling values used for fields the request leaves null.
    ///   - maxLogprobs: `--max-logprobs` (20; -1 = vocabulary size).
    ///   - render: the chat template.
    /// - Throws: `APIError` — 404 for an unknown model, 400 otherwise, with vLLM's messages.
    public func validated(tokenizer: Tokenizer, maxModelLen: Int, servedModelNames: [String],
                          generationDefaults: SamplingParameters, maxLogprobs: Int,
                          render: ChatTemplateRenderer) throws(APIError) -> ValidatedChat {
        let modelName = try ServedModels.resolve(model, servedModelNames: servedModelNames)
        try sampling.checkSupportedFeatures()
        let window = ContextWindow(maxModelLen: maxModelLen)
        let requested = maxCompletionTokens ?? maxTokens
        if let requested {
            try window.checkRequested(requested, param: maxCompletionTokens != nil ? "max_completion_tokens"
                                                                                    : "max_tokens")
        }
        let parameters = try sampling.validatedParameters(
            logprobs: logprobs ? topLogprobs : nil, logprobsParam: "top_logprobs", defaults: generationDefaults,
            maxLogprobs: maxLogprobs, vocabularySize: tokenizer.vocabularySize)
        if let requested, parameters.minTokens > requested {
            throw .minTokensAboveMaxTokens(minTokens: parameters.minTokens, maxTokens: requested)
        }

        let text = try renderPrompt(render)
        let ids = tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
        if ids.isEmpty { throw .emptyDecoderPrompt(param: "messages") }
        let budget = try window.outputBudget(promptLength: ids.count, requested: requested)
        if parameters.minTokens > budget {
            throw .minTokensAboveMaxTokens(minTokens: parameters.minTokens, maxTokens: budget)
        }

        let role = addGenerationPrompt ? "assistant" : (messages.last?.role ?? "assistant")
        var echoText: String?
        if echo, let last = messages.last, last.role == role, let content = last.content, !content.isEmpty {
            echoText = content
        }
        return ValidatedChat(
            modelName: modelName, prompt: EnginePrompt(tokenIds: ids, text: text, maxTokens: budget),
            parameters: parameters, stream: sampling.stream ? (sampling.streamOptions ?? StreamOptions()) : nil,
            responseRole: role, echoText: echoText)
    }

    /// The template's output; `tools` and `documents` join the kwargs unless `chat_template_kwargs` sets them.
    func renderPrompt(_ render: ChatTemplateRenderer) throws(APIError) -> String {
        var kwargs = chatTemplateKwargs
        if let tools, kwargs["tools"] == nil { kwargs["tools"] = tools }
        if let documents, kwargs["documents"] == nil { kwargs["documents"] = documents }
        do {
            return try render(messages, addGenerationPrompt, continueFinalMessage, kwargs)
        } catch let error as APIError {
            throw error
        } catch {
            throw .chatTemplate(String(describing: error))
        }
    }
}
