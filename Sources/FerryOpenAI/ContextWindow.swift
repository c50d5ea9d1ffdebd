// SPDX-License-Identifier: Apache-2.0

/// The model's context length and the output-length rules that follow from it (vLLM's `TokenizeParams` checks and
/// `get_max_tokens`).
struct ContextWindow {
    /// `--max-model-len`: prompt plus output tokens, at most.
    let maxModelLen: Int

    /// Checks a requested output length before any prompt is tokenized.
    /// - Parameter param: the field named in errors (`max_tokens` or `max_completion_tokens`).
    /// - Throws: `APIError.maxTokensTooSmall` below 1, `maxTokensAboveContext` above `maxModelLen`.
    func checkRequested(_ requested: Int, param: String) throws(APIError) {
        if requested < 1 { throw .maxTokensTooSmall(requested, param: param) }
        if requested > maxModelLen { throw .maxTokensAboveContext(requested, param: param, maxModelLen: maxModelLen) }
    }

    /// The output tokens a prompt may have: `requested` when it fits, or all the room left when `requested` is nil
    /// (chat without `max_tokens`).
    /// - Throws: `APIError.contextLengthExceeded` when prompt plus `requested` overflow the context;
    ///   `APIError.promptFillsContext` when `requested` is nil and not one output token fits.
    func outputBudget(promptLength: Int, requested: Int?) throws(APIError) -> Int {
        guard let requested else {
            if promptLength >= maxModelLen {
                throw .promptFillsContext(promptTokens: promptLength, maxModelLen: maxModelLen)
            }
            return maxModelLen - promptLength
        }
        if promptLength > maxModelLen - requested {
            throw .contextLengthExceeded(maxModelLen: maxModelLen, requestedOutputTokens: requested,
                                         promptTokens: promptLength)
        }
        return requested
    }

    /// Checks token ids given by the client against the vocabulary.
    /// - Throws: `APIError.tokenOutOfVocabulary` for the first id that is negative or ≥ `vocabularySize`.
    static func checkVocabulary(_ ids: [Int], vocabularySize: Int, param: String) throws(APIError) {
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw .tokenOutOfVocabulary(bad, param: param)
        }
    }
}
