// SPDX-License-Identifier: Apache-2.0

/// One constructor per situation of VLLM-COMPAT §1.5, with vLLM's message where vLLM has one.
///
/// Messages quoting vLLM are kept byte for byte (clients and dashboards match on them). Where vLLM has no
/// parameter we still name the field in `param`, so every 400 says which input to fix.
extension APIError {
    // MARK: - Body and schema (400, "Bad Request")

    /// The body is not JSON.
    public static func invalidJSON(offset: Int, reason: String) -> APIError {
        schema("Invalid JSON in the request body at byte \(offset): \(reason).", param: nil)
    }

    /// The body is JSON but not an object.
    public static func bodyNotAnObject(got value: JSONValue) -> APIError {
        schema("The request body must be a JSON object, got \(value.kindDescription).", param: nil)
    }

    /// A field has the wrong JSON type: "`max_tokens` must be an integer, got a string."
    public static func wrongType(param: String, expected: String, got value: JSONValue) -> APIError {
        schema("`\(param)` must be \(expected), got \(value.kindDescription).", param: param)
    }

    /// An integer field holds a value beyond 64 bits.
    public static func integerOutOfRange(param: String) -> APIError {
        schema("`\(param)` must be an integer between \(Int.min) and \(Int.max).", param: param)
    }

    /// A required field is absent.
    public static func missingField(_ param: String) -> APIError {
        schema("`\(param)` is required.", param: param)
    }

    /// `Content-Type` is not `application/json` (vLLM answers 400, not 415).
    public static func unsupportedContentType(_ contentType: String?) -> APIError {
        schema("Unsupported Media Type: Only 'application/json' is allowed", param: nil)
    }

    /// `prompt` missing, `""` or `[]`.
    public static var emptyPrompt: APIError {
        schema("Either prompt or prompt_embeds must be provided and non-empty.", param: "prompt")
    }

    /// `stream_options` set without `stream: true`.
    public static var streamOptionsWithoutStream: APIError {
        schema("Stream options can only be defined when `stream=True`.", param: "stream_options")
    }

    /// `logprobs` / `top_logprobs` / `prompt_logprobs` below 0 and not -1.
    public static func negativeLogprobs(param: String) -> APIError {
        schema("`\(param)` must be a positive value or -1.", param: param)
    }

    /// Chat `top_logprobs` without `logprobs: true`.
    public static var topLogprobsWithoutLogprobs: APIError {
        schema("when using `top_logprobs`, `logprobs` must be set to true.", param: "top_logprobs")
    }

    /// Chat `continue_final_message` and `add_generation_prompt` both true.
    public static var continueFinalMessageWithGenerationPrompt: APIError {
        schema("Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
               param: "continue_final_message")
    }

    /// A chat content part other than text.
    public static func unsupportedContentPart(type: String, messageIndex: Int) -> APIError {
        schema("Content part type `\(type)` in messages[\(messageIndex)] is not supported: this server accepts "
               + "only `text` parts.", param: "messages")
    }

    /// A request feature this server does not implement (beam search, structured output, …).
    public static func unsupportedFeature(param: String, _ message: String) -> APIError {
        badRequest(message, param: param)
    }

    // MARK: - Sampling parameters (400, "BadRequestError")

    public static func temperature(_ value: Double) -> APIError {
        value.isFinite
            ? badRequest("temperature must be non-negative, got \(pythonFloat(value)).", param: "temperature")
            : badRequest("temperature must be a finite number, got \(pythonFloat(value)).", param: "temperature")
    }

    public static func topP(_ value: Double) -> APIError {
        badRequest("top_p must be in (0, 1], got \(pythonFloat(value)).", param: "top_p")
    }

    public static func topK(_ value: Int) -> APIError {
        badRequest("top_k must be 0 (disable), or at least 1, got \(value).", param: "top_k")
    }

    public static func minP(_ value: Double) -> APIError {
        badRequest("min_p must be in [0, 1], got \(pythonFloat(value)).", param: "min_p")
    }

    /// `presence_penalty` or `frequency_penalty` outside [-2, 2].
    public static func penalty(_ param: String, _ value: Double) -> APIError {
        badRequest("\(param) must be in [-2, 2], got \(pythonFloat(value)).", param: param)
    }

    public static func repetitionPenalty(_ value: Double) -> APIError {
        value.isFinite
            ? badRequest("repetition_penalty must be greater than zero, got \(pythonFloat(value)).",
                         param: "repetition_penalty")
            : badRequest("repetition_penalty must be a finite number, got \(pythonFloat(value)).",
                         param: "repetition_penalty")
    }

    /// `n` below 1 or above `maxN` (vLLM's `VLLM_MAX_N_SEQUENCES`, 16384).
    public static func n(_ value: Int, maxN: Int) -> APIError {
        value < 1
            ? badRequest("n must be at least 1, got \(value).", param: "n")
            : badRequest("n must be at most \(maxN), got \(value). To increase this limit, set the "
                         + "VLLM_MAX_N_SEQUENCES environment variable.", param: "n")
    }

    /// `n > 1` with temperature 0.
    public static func greedyWithSeveralChoices(n: Int) -> APIError {
        badRequest("n must be 1 when using greedy sampling, got \(n).", param: "n")
    }

    /// More top log-probabilities than `--max-logprobs`.
    public static func tooManyLogprobs(requested: Int, maxAllowed: Int, param: String) -> APIError {
        badRequest("Requested sample logprobs of \(requested), which is greater than max allowed: \(maxAllowed)",
                   param: param)
    }

    public static var emptyStopString: APIError {
        badRequest("stop cannot contain an empty string.", param: "stop")
    }

    public static var suffixUnsupported: APIError {
        badRequest("suffix is not currently supported", param: "suffix")
    }

    public static func minTokensNegative(_ value: Int) -> APIError {
        badRequest("min_tokens must be greater than or equal to 0, got \(value).", param: "min_tokens")
    }

    public static func minTokensAboveMaxTokens(minTokens: Int, maxTokens: Int) -> APIError {
        badRequest("min_tokens must be less than or equal to max_tokens=\(maxTokens), got \(minTokens).",
                   param: "min_tokens")
    }

    /// `logit_bias` keys that are not integers (Python's list repr, as vLLM prints it).
    public static func logitBiasKeys(_ keys: [String]) -> APIError {
        let list = keys.map(pythonRepr).joined(separator: ", ")
        return badRequest("logit_bias contains key(s) that cannot be converted to integer token IDs: [\(list)]",
                          param: "logit_bias")
    }

    /// `logit_bias` token ids outside the vocabulary.
    public static func logitBiasOutOfVocabulary(_ ids: [Int], vocabularySize: Int) -> APIError {
        let list = ids.map(String.init).joined(separator: ", ")
        return badRequest("token_id(s) [\(list)] in logit_bias contain out-of-vocab token ids. "
                          + "Vocabulary size: \(vocabularySize)", param: "logit_bias")
    }

    // MARK: - Lengths (400, "BadRequestError")

    /// `max_tokens` (or `max_completion_tokens`) below 1.
    public static func maxTokensTooSmall(_ value: Int, param: String) -> APIError {
        badRequest("\(param) must be at least 1, got \(value).", param: param)
    }

    /// `max_tokens` larger than the whole context.
    public static func maxTokensAboveContext(_ value: Int, param: String, maxModelLen: Int) -> APIError {
        badRequest("\(param)=\(value) cannot be greater than max_model_len=\(maxModelLen). "
                   + "Please request fewer output tokens.", param: param)
    }

    /// Prompt plus requested output longer than the context.
    public static func contextLengthExceeded(maxModelLen: Int, requestedOutputTokens: Int,
                                             promptTokens: Int) -> APIError {
        badRequest("This model's maximum context length is \(maxModelLen) tokens. However, you requested "
                   + "\(requestedOutputTokens) output tokens and your prompt contains \(promptTokens) input tokens, "
                   + "for a total of \(requestedOutputTokens + promptTokens) tokens. Please reduce the length of the "
                   + "input prompt or the number of requested output tokens.", param: "input_tokens")
    }

    /// A chat prompt (no `max_tokens`) that leaves no room for one output token.
    public static func promptFillsContext(promptTokens: Int, maxModelLen: Int) -> APIError {
        if promptTokens > maxModelLen {
            return badRequest("The decoder prompt (length \(promptTokens)) is longer than the maximum model length "
                              + "of \(maxModelLen). Make sure that `max_model_len` is no smaller than the number "
                              + "of text tokens.", param: "input_tokens")
        }
        return badRequest("The decoder prompt (length \(promptTokens)) plus the number of requested output tokens "
                          + "(at least 1) is longer than the maximum model length of \(maxModelLen). Make sure "
                          + "that `max_model_len` is no smaller than the number of text tokens (prompt + "
                          + "requested output tokens).", param: "input_tokens")
    }

    /// A prompt that tokenizes to nothing.
    public static func emptyDecoderPrompt(param: String) -> APIError {
        badRequest("The decoder prompt cannot be empty", param: param)
    }

    /// A token id at or above the vocabulary size (or negative).
    public static func tokenOutOfVocabulary(_ id: Int, param: String) -> APIError {
        badRequest("Token id \(id) is out of vocabulary", param: param)
    }

    /// The chat template failed (vLLM maps Jinja `TemplateError` to 400).
    public static func chatTemplate(_ message: String) -> APIError {
        badRequest(message, param: "messages")
    }

    // MARK: - Other statuses

    /// 404 for a `model` that is not served.
    public static func modelNotFound(_ name: String) -> APIError {
        APIError(status: 404, type: notFoundType, message: "The model `\(name)` does not exist.", param: "model")
    }

    /// 404 for an unknown route.
    public static func routeNotFound(path: String) -> APIError {
        APIError(status: 404, type: notFoundType, message: "Not Found: \(path)")
    }

    /// 401 for a missing or wrong API key (OpenAI's shape; vLLM sends `{"error":"Unauthorized"}`).
    public static var unauthorized: APIError {
        APIError(status: 401, type: authenticationType, message: "Unauthorized")
    }

    /// 405 for a known route with the wrong method.
    public static func methodNotAllowed(method: String, path: String, allowed: [String]) -> APIError {
        APIError(status: 405, type: methodNotAllowedType,
                 message: "Method \(method) is not allowed for \(path). Allowed: \(allowed.joined(separator: ", ")).")
    }

    /// 413 for a body over the server's limit.
    public static func payloadTooLarge(limitBytes: Int) -> APIError {
        APIError(status: 413, type: payloadTooLargeType,
                 message: "The request body is larger than the limit of \(limitBytes) bytes.")
    }

    /// 503 while the model loads.
    public static func loading(retryAfterSeconds: Int) -> APIError {
        APIError(status: 503, type: serviceUnavailableType,
                 message: "The model is still loading. Please try again later.", retryAfterSeconds: retryAfterSeconds)
    }

    /// 503 once a drain has begun.
    public static func draining(retryAfterSeconds: Int) -> APIError {
        APIError(status: 503, type: serviceUnavailableType,
                 message: "The server is shutting down and is not accepting new requests.",
                 retryAfterSeconds: retryAfterSeconds)
    }

    /// 503 when the waiting queue is full.
    public static func queueFull(retryAfterSeconds: Int) -> APIError {
        APIError(status: 503, type: serviceUnavailableType,
                 message: "The server is overloaded: the request queue is full. Please try again later.",
                 retryAfterSeconds: retryAfterSeconds)
    }

    /// 500; `finish_reason == "error"` uses the default message, as vLLM does.
    public static func internalError(_ message: String = "Internal server error") -> APIError {
        APIError(status: 500, type: internalServerType, message: message)
    }

    /// 501 for a task this server does not implement.
    public static func notImplemented(_ message: String) -> APIError {
        APIError(status: 501, type: notImplementedType, message: message)
    }
}
