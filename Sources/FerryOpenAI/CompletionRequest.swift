// SPDX-License-Identifier: Apache-2.0

/// A `POST /v1/completions` body as the client sent it (vLLM's `CompletionRequest`), before validation.
///
/// Decoding checks JSON types and the schema-level rules (empty prompt, `stream_options` without `stream`,
/// negative `logprobs`); `validated(...)` checks everything that needs the model, tokenizer or server settings.
public struct CompletionRequest: Sendable, Equatable {
    /// `model`; nil means the served model.
    public var model: String?
    /// `prompt`, in any of its four forms.
    public var prompt: CompletionPrompt
    /// `echo`: prepend the prompt to the output (default false).
    public var echo = false
    /// `logprobs`: top alternatives per output token, -1 for the whole vocabulary (default nil = none).
    public var logprobs: Int?
    /// `max_tokens` (default 16; null also means 16, as vLLM normalises it).
    public var maxTokens = 16
    /// `suffix`; this server rejects any value, as vLLM does.
    public var suffix: String?
    /// `add_special_tokens`: let the tokenizer add BOS etc. to text prompts (default true).
    public var addSpecialTokens = true
    /// `request_id`: the id's random part when no `X-Request-Id` header is sent.
    public var requestId: String?
    /// Sampling and stopping fields shared with chat.
    public var sampling = SamplingOptions()

    public init(model: String? = nil, prompt: CompletionPrompt) {
        self.model = model
        self.prompt = prompt
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
        model = try body.string("model")
        prompt = try CompletionPrompt(body["prompt"])
        echo = try body.bool("echo") ?? false
        logprobs = try body.int("logprobs")
        if let logprobs, logprobs < -1 { throw .negativeLogprobs(param: "logprobs") }
        maxTokens = try body.int("max_tokens") ?? 16
        suffix = try body.string("suffix")
        addSpecialTokens = try body.bool("add_special_tokens") ?? true
        requestId = try body.string("request_id")
        sampling = try SamplingOptions(reading: body)
    }
}

/// The four forms of a completions `prompt`.
public enum CompletionPrompt: Sendable, Equatable {
    /// `"text"` or `["text", …]`: one prompt per string.
    case texts([String])
    /// `[1, 2, 3]` or `[[1, 2], [3]]`: one prompt per id list.
    case tokenIds([[Int]])

    /// The number of prompts.
    public var count: Int {
        switch self {
        case .texts(let texts): texts.count
        case .tokenIds(let lists): lists.count
        }
    }

    /// Reads the `prompt` field.
    /// - Throws: `APIError.emptyPrompt` when absent, `""` or `[]`; `wrongType` for any other shape; a schema
    ///   error for a negative id.
    init(_ value: JSONValue?) throws(APIError) {
        let expected = "a string, a list of strings, a list of token ids, or a list of token-id lists"
        guard let value else { throw .emptyPrompt }
        switch value {
        case .string(let text):
            guard !text.isEmpty else { throw .emptyPrompt }
            self = .texts([text])
        case .array(let elements):
            guard let first = elements.first else { throw .emptyPrompt }
            switch first {
            case .string:
                var texts: [String] = []
                texts.reserveCapacity(elements.count)
                for element in elements {
                    guard case .string(let text) = element else {
                        throw .wrongType(param: "prompt", expected: expected, got: element)
                    }
                    texts.append(text)
                }
                self = .texts(texts)
            case .number:
                self = .tokenIds([try Self.ids(elements)])
            case .array:
                var lists: [[Int]] = []
                lists.reserveCapacity(elements.count)
                for element in elements {
                    guard case .array(let inner) = element else {
                        throw .wrongType(param: "prompt", expected: expected, got: element)
                    }
                    lists.append(try Self.ids(inner))
                }
                self = .tokenIds(lists)
            default:
                throw .wrongType(param: "prompt", expected: expected, got: first)
            }
        default:
            throw .wrongType(param: "prompt", expected: expected, got: value)
        }
    }

    private static func ids(_ elements: [JSONValue]) throws(APIError) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(elements.count)
        for element in elements {
            let id = try RequestObject.int(element, param: "prompt", expected: "a list of token ids")
            if id < 0 { throw .schema("`prompt` token ids must be non-negative, got \(id).", param: "prompt") }
            ids.append(id)
        }
        return ids
    }
}
