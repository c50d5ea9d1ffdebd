// SPDX-License-Identifier: Apache-2.0
import FerryHTTP
import FerryScheduling

/// Engine errors as API errors, and API errors as HTTP responses: the one place errors meet HTTP.
enum ServingErrors {
    static func map(_ error: SchedulingError) -> APIError {
        switch error {
        case .queueFull: .queueFull(retryAfterSeconds: 1)
        case .promptTooLong(let numTokens, let maxModelLen):
            .promptFillsContext(promptTokens: numTokens, maxModelLen: maxModelLen)
        case .promptExceedsCache(let numTokens, let numCacheTokens):
            APIError(status: 400, type: APIError.badRequestType,
                     message: "The prompt (\(numTokens) tokens) does not fit in the KV cache of this server "
                        + "(\(numCacheTokens) tokens). Please reduce the length of the prompt.",
                     param: "input_tokens")
        case .emptyPrompt: .emptyDecoderPrompt(param: "prompt")
        case .invalidMaxTokens(let value): .maxTokensTooSmall(value, param: "max_tokens")
        case .duplicateRequestId(let id):
            APIError(status: 400, type: APIError.badRequestType, message: "Request id \(id) is already in use.",
                     param: "request_id")
        case .invalidConfig(let reason): .internalError(reason)
        }
    }
}

enum ServingResponses {
    /// The OpenAI error body with its status, and `Retry-After` where it has one.
    static func error(_ error: APIError) -> HTTPResponse {
        var headers = HTTPHeaders()
        if let seconds = error.retryAfterSeconds { headers.add(name: "Retry-After", value: "\(seconds)") }
        return .json(error.body, status: HTTPStatus(code: error.status), headers: headers)
    }
}
