// SPDX-License-Identifier: Apache-2.0
import FerryScheduling
import FerryTokenizer

/// A completions request ready for the engine: one `EnginePrompt` per prompt and the shared parameters.
///
/// Choice `i` of prompt `p` is choice index `i + p * parameters.n` in the response, as in vLLM.
public struct ValidatedCompletion: Sendable, Equatable {
    /// The name responses carry (`model`): the first served name, as vLLM writes it.
    public var modelName: String
    public var prompts: [EnginePrompt]
    public var parameters: GenerationParameters
    /// Prepend each prompt's text (and prompt log-probabilities) to its choices.
    public var echo: Bool
    /// How to stream; nil for a single JSON response.
    public var stream: StreamOptions?

    public init(modelName: String, prompts: [EnginePrompt], parameters: GenerationParameters, echo: Bool,
                stream: StreamOptions?) {
        self.modelName = modelName
        self.prompts = prompts
        self.parameters = parameters
        self.echo = echo
        self.stream = stream
    }
}

extension CompletionRequest {
    /// Validates the request against the served model and builds the engine's inputs.
    ///
    /// Called by the completions handler on the request's thread, after decoding. Checks, in order: model name,
    /// unsupported features, output length, sampling ranges, then tokenizes each prompt (text with
    /// `add_special_tokens`; ids checked against the vocabulary) and fits it in the context.
    /// - Parameters:
    ///   - maxModelLen: `--max-model-len`.
    ///   - servedModelNames: `--served-model-name` values (the first is the response's `model`).
    ///   - generationDefaults: sampling values used for fields the request leaves null.
    ///   - maxLogprobs: `--max-logprobs` (20; -1 = vocabulary size).
    /// - Throws: `APIError` — 404 for an unknown model, 400 otherwise, with vLLM's messages.
    public func validated(tokenizer: Tokenizer, maxModelLen: Int, servedModelNames: [String],
                          generationDefaults: SamplingParameters,
                          maxLogprobs: Int) throws(APIError) -> ValidatedCompletion {
        let modelName = try ServedModels.resolve(model, servedModelNames: servedModelNames)
        if suffix != nil { throw .suffixUnsupported }
        try sampling.checkSupportedFeatures()
        let window = ContextWindow(maxModelLen: maxModelLen)
        let echoOnly = echo && maxTokens == 0
        if !echoOnly { try window.checkRequested(maxTokens, param: "max_tokens") }
        let parameters = try sampling.validatedParameters(
            logprobs: logprobs, logprobsParam: "logprobs", defaults: generationDefaults, maxLogprobs: maxLogprobs,
            vocabularySize: tokenizer.vocabularySize)
        if !echoOnly, parameters.minTokens > maxTokens {
            throw .minTokensAboveMaxTokens(minTokens: parameters.minTokens, maxTokens: maxTokens)
        }

        var prompts: [EnginePrompt] = []
        prompts.reserveCapacity(prompt.count)
        switch prompt {
        case .texts(let texts):
            for text in texts {
                let ids = tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
                prompts.append(try fit(ids, text: text, window: window, echoOnly: echoOnly))
            }
        case .tokenIds(let lists):
            for ids in lists {
                try ContextWindow.checkVocabulary(ids, vocabularySize: tokenizer.vocabularySize, param: "prompt")
                let text = echo ? tokenizer.decode(ids, skipSpecialTokens: false) : nil
                prompts.append(try fit(ids, text: text, window: window, echoOnly: echoOnly))
            }
        }
        return ValidatedCompletion(modelName: modelName, prompts: prompts, parameters: parameters, echo: echo,
                                   stream: sampling.stream ? (sampling.streamOptions ?? StreamOptions()) : nil)
    }

    private func fit(_ ids: [Int], text: String?, window: ContextWindow,
                     echoOnly: Bool) throws(APIError) -> EnginePrompt {
        if ids.isEmpty { throw .emptyDecoderPrompt(param: "prompt") }
        if echoOnly {
            // Nothing is generated, but vLLM still runs one step, so the prompt must leave room for it.
            if ids.count >= window.maxModelLen {
                throw .promptFillsContext(promptTokens: ids.count, maxModelLen: window.maxModelLen)
            }
            return EnginePrompt(tokenIds: ids, text: text, maxTokens: 0)
        }
        let budget = try window.outputBudget(promptLength: ids.count, requested: maxTokens)
        return EnginePrompt(tokenIds: ids, text: text, maxTokens: budget)
    }
}
