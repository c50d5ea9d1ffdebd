// SPDX-License-Identifier: Apache-2.0
import FerryScheduling

extension SamplingOptions {
    /// Checks every range vLLM's `SamplingParams` checks and builds the engine's parameters, taking unset
    /// fields from `defaults` (the server's generation-config defaults).
    ///
    /// Order follows vLLM's `_verify_args`: n, penalties, temperature, top_p, top_k, min_p, min_tokens, stop; then
    /// greedy with n > 1, the log-probability cap and `logit_bias` ids. Called by the request validators on the
    /// request's thread.
    /// - Parameters:
    ///   - logprobs: top alternatives per token (completions `logprobs`, chat `top_logprobs` when `logprobs` is
    ///     true); -1 means the whole vocabulary; nil means none.
    ///   - logprobsParam: the field named in errors about `logprobs`.
    ///   - maxLogprobs: `--max-logprobs` (20; -1 = vocabulary size).
    /// - Throws: `APIError` (400 `BadRequestError`) naming the parameter.
    func validatedParameters(logprobs: Int?, logprobsParam: String, defaults: SamplingParameters, maxLogprobs: Int,
                             vocabularySize: Int) throws(APIError) -> GenerationParameters {
        if n < 1 || n > GenerationParameters.maxN { throw .n(n, maxN: GenerationParameters.maxN) }
        let presence = presencePenalty ?? Double(defaults.presencePenalty)
        if !(-2...2).contains(presence) { throw .penalty("presence_penalty", presence) }
        let frequency = frequencyPenalty ?? Double(defaults.frequencyPenalty)
        if !(-2...2).contains(frequency) { throw .penalty("frequency_penalty", frequency) }
        let repetition = repetitionPenalty ?? Double(defaults.repetitionPenalty)
        if !repetition.isFinite || repetition <= 0 { throw .repetitionPenalty(repetition) }
        let temperature = temperature ?? Double(defaults.temperature)
        if !temperature.isFinite || temperature < 0 { throw .temperature(temperature) }
        let topP = topP ?? Double(defaults.topP)
        if !(topP > 0 && topP <= 1) { throw .topP(topP) }
        let topK = topK ?? defaults.topK
        if topK < -1 { throw .topK(topK) }
        let minP = minP ?? Double(defaults.minP)
        if !(minP >= 0 && minP <= 1) { throw .minP(minP) }
        if minTokens < 0 { throw .minTokensNegative(minTokens) }
        if stop.contains(where: \.isEmpty) { throw .emptyStopString }

        var sampling = SamplingParameters()
        sampling.temperature = Float(temperature)
        sampling.topP = Float(topP)
        sampling.topK = topK == -1 ? 0 : topK
        sampling.minP = Float(minP)
        sampling.repetitionPenalty = Float(repetition)
        sampling.presencePenalty = Float(presence)
        sampling.frequencyPenalty = Float(frequency)
        if sampling.isGreedy {
            // vLLM resets the cut-offs for greedy requests and refuses several identical choices.
            sampling.topP = 1
            sampling.topK = 0
            sampling.minP = 0
            if n > 1 { throw .greedyWithSeveralChoices(n: n) }
        }
        if let seed, seed != -1 { sampling.seed = UInt64(bitPattern: Int64(seed)) }

        if let logprobs {
            let requested = logprobs == -1 ? vocabularySize : logprobs
            let cap = maxLogprobs == -1 ? vocabularySize : maxLogprobs
            if requested > cap { throw .tooManyLogprobs(requested: requested, maxAllowed: cap, param: logprobsParam) }
            sampling.logprobs = requested
        }
        sampling.logitBias = try validatedLogitBias(vocabularySize: vocabularySize)

        var seen = Set<Int>()
        return GenerationParameters(
            sampling: sampling, n: n, stop: stop, stopTokenIds: stopTokenIds.filter { seen.insert($0).inserted },
            ignoreEos: ignoreEos, minTokens: minTokens, includeStopStrInOutput: includeStopStrInOutput,
            skipSpecialTokens: skipSpecialTokens, spacesBetweenSpecialTokens: spacesBetweenSpecialTokens,
            returnTokenIds: returnTokenIds)
    }

    /// Rejects the features this server does not implement, before any work is done.
    /// - Throws: `APIError.unsupportedFeature` naming the field.
    func checkSupportedFeatures() throws(APIError) {
        if useBeamSearch {
            throw .unsupportedFeature(param: "use_beam_search", "Beam search is not supported by this server.")
        }
        if let responseFormatType, responseFormatType != "text" {
            throw .unsupportedFeature(
                param: "response_format",
                "response_format of type `\(responseFormatType)` is not supported by this server; only `text` is.")
        }
    }

    /// `logit_bias` keyed by token id, biases clamped to [-100, 100] as vLLM does.
    /// - Throws: `APIError.logitBiasKeys` for keys that are not integers, then `logitBiasOutOfVocabulary`.
    private func validatedLogitBias(vocabularySize: Int) throws(APIError) -> [Int: Float] {
        var bias: [Int: Float] = [:]
        var badKeys: [String] = []
        var outOfVocabulary: [Int] = []
        for entry in logitBias {
            guard let id = Self.pythonInt(entry.key) else {
                badKeys.append(entry.key)
                continue
            }
            if id < 0 || id >= vocabularySize { outOfVocabulary.append(id) }
            bias[id] = Float(min(100, max(-100, entry.bias)))
        }
        if !badKeys.isEmpty { throw .logitBiasKeys(badKeys) }
        if !outOfVocabulary.isEmpty { throw .logitBiasOutOfVocabulary(outOfVocabulary, vocabularySize: vocabularySize) }
        return bias
    }

    /// Python's `int(str)` for ASCII input: surrounding whitespace, an optional sign, then digits with single
    /// underscores between them. nil for anything else, or beyond 64 bits.
    static func pythonInt(_ text: String) -> Int? {
        var body = Substring(text)
        while let first = body.first, first.isWhitespace { body.removeFirst() }
        while let last = body.last, last.isWhitespace { body.removeLast() }
        var sign = ""
        if let first = body.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            body.removeFirst()
        }
        guard let first = body.first, let last = body.last, first != "_", last != "_", !body.contains("__"),
              body.allSatisfy({ $0 == "_" || ("0"..."9").contains($0) })
        else { return nil }
        return Int(sign + body.filter { $0 != "_" })
    }
}
