// SPDX-License-Identifier: Apache-2.0

/// Encodes the SSE events of one streaming chat response (`object: "chat.completion.chunk"`).
///
/// The first chunk of each choice carries `delta: {role, content: ""}`, later ones `delta: {content}`; the
/// terminal one adds `finish_reason` and `stop_reason`. A value owned by the response's writer.
public struct ChatStreamEncoder: Sendable {
    private let frame: StreamChunkFrame

    public init(id: String, created: Int, model: String) {
        frame = StreamChunkFrame(id: id, object: "chat.completion.chunk", created: created, model: model)
    }

    /// The opening chunk of choice `index`: `delta: {"role": role, "content": ""}`.
    public func roleChunk(index: Int, role: String = "assistant", usage: Usage? = nil) -> [UInt8] {
        frame.event(usage: usage, systemFingerprint: nil) { writer in
            writer.beginObject()
            writer.key("index")
            writer.int(index)
            writer.key("delta")
            writer.beginObject()
            writer.key("role")
            writer.string(role)
            writer.key("content")
            writer.string("")
            writer.endObject()
            writer.key("logprobs")
            writer.null()
            writer.key("finish_reason")
            writer.null()
            writer.endObject()
        }
    }

    /// A content chunk of choice `index`. A non-nil `finishReason` makes it the terminal chunk of that choice and
    /// adds `stop_reason`.
    /// - Parameters:
    ///   - content: new text; nil writes an empty `delta: {}`.
    ///   - logprobs: log-probabilities of the tokens in `content`, when requested.
    ///   - tokenIds: with `return_token_ids`, the tokens of `content`.
    ///   - usage: with `continuous_usage_stats`, the running counts.
    ///   - systemFingerprint: on the terminal chunk only, and only when no usage chunk follows.
    public func contentChunk(index: Int, content: String?, logprobs: ChatLogprobs? = nil,
                             finishReason: FinishReason? = nil, stopReason: StopReason? = nil,
                             tokenIds: [Int]? = nil, usage: Usage? = nil,
                             systemFingerprint: String? = nil) -> [UInt8] {
        frame.event(usage: usage, systemFingerprint: systemFingerprint) { writer in
            writer.beginObject()
            writer.key("index")
            writer.int(index)
            writer.key("delta")
            writer.beginObject()
            if let content {
                writer.key("content")
                writer.string(content)
            }
            writer.endObject()
            writer.key("logprobs")
            if let logprobs { logprobs.write(to: &writer) } else { writer.null() }
            if let finishReason {
                writer.finish(finishReason, stopReason)
            } else {
                writer.key("finish_reason")
                writer.null()
            }
            if let tokenIds {
                writer.key("token_ids")
                writer.intArray(tokenIds)
            }
            writer.endObject()
        }
    }

    /// The last chunk with `include_usage`: `choices: []` and the totals.
    public func usageChunk(_ usage: Usage, systemFingerprint: String? = nil) -> [UInt8] {
        frame.event(usage: usage, systemFingerprint: systemFingerprint) { _ in }
    }
}
