// SPDX-License-Identifier: Apache-2.0
import FerryTokenizer

/// A `POST /detokenize` body, `{model?, tokens: [int]}`, answered with `{"prompt": text}`.
public struct DetokenizeRequest: Sendable, Equatable {
    public var model: String?
    public var tokens: [Int]

    public init(model: String? = nil, tokens: [Int]) {
        self.model = model
        self.tokens = tokens
    }

    /// Decodes a request body.
    /// - Throws: `APIError` (400) when `tokens` is missing or not a list of integers.
    public init(body: [UInt8]) throws(APIError) {
        let body = try RequestObject(JSONValue.parse(body))
        model = try body.string("model")
        guard let tokens = try body.intList("tokens") else { throw .missingField("tokens") }
        self.tokens = tokens
    }

    /// Checks the model name and the ids, and decodes them (special tokens kept, as Hugging Face's `decode`).
    /// - Throws: `APIError.modelNotFound` (404) or `tokenOutOfVocabulary` (400, `param: "tokens"`).
    public func detokenize(tokenizer: Tokenizer, servedModelNames: [String]) throws(APIError) -> DetokenizeResponse {
        _ = try ServedModels.resolve(model, servedModelNames: servedModelNames)
        try ContextWindow.checkVocabulary(tokens, vocabularySize: tokenizer.vocabularySize, param: "tokens")
        return DetokenizeResponse(prompt: tokenizer.decode(tokens, skipSpecialTokens: false))
    }
}
