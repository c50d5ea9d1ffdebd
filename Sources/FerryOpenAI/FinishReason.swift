// SPDX-License-Identifier: Apache-2.0

/// Why a choice ended (`finish_reason`).
public enum FinishReason: String, Sendable, Equatable {
    /// EOS, a stop token or a stop string.
    case stop
    /// `max_tokens` or the end of the context.
    case length
    /// The request was cancelled (client gone, or the server's drain timed out).
    case abort
    /// An engine failure; handlers turn it into a 500 (`APIError.internalError()`), as vLLM does.
    case error
    /// vLLM's repetition detection.
    case repetition
    /// A chat choice that ended in tool calls.
    case toolCalls = "tool_calls"
}

/// What stopped a choice (`stop_reason`): the stop string or stop-token id that matched. EOS and length give nil.
public enum StopReason: Sendable, Equatable {
    case string(String)
    case tokenId(Int)

    /// Writes the string or the integer.
    func write(to writer: inout JSONWriter) {
        switch self {
        case .string(let text): writer.string(text)
        case .tokenId(let id): writer.int(id)
        }
    }
}

extension JSONWriter {
    /// Writes `"finish_reason": …, "stop_reason": …` (both nullable).
    mutating func finish(_ finishReason: FinishReason?, _ stopReason: StopReason?) {
        key("finish_reason")
        string(orNull: finishReason?.rawValue)
        key("stop_reason")
        if let stopReason { stopReason.write(to: &self) } else { null() }
    }
}

/// Token counts of a request (`usage`), summed over all its prompts and choices.
public struct Usage: Sendable, Equatable {
    /// Prompt tokens, counted once per prompt (not per choice).
    public var promptTokens: Int
    /// Generated tokens of all choices.
    public var completionTokens: Int
    /// `prompt_tokens + completion_tokens`.
    public var totalTokens: Int { promptTokens + completionTokens }

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// Writes `{"prompt_tokens", "completion_tokens", "total_tokens"}` (OpenAI's key order).
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("prompt_tokens")
        writer.int(promptTokens)
        writer.key("completion_tokens")
        writer.int(completionTokens)
        writer.key("total_tokens")
        writer.int(totalTokens)
        writer.endObject()
    }
}
