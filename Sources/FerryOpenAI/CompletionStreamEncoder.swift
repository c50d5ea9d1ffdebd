// SPDX-License-Identifier: Apache-2.0

/// Encodes the SSE events of one streaming completions response (`object: "text_completion"`, as vLLM's chunks).
///
/// Made once per response; the id/object/created/model prefix is encoded once and each chunk costs one buffer.
/// A value owned by the response's writer; call it from the thread that writes the stream.
public struct CompletionStreamEncoder: Sendable {
    private let frame: StreamChunkFrame

    public init(id: String, created: Int, model: String) {
        frame = StreamChunkFrame(id: id, object: "text_completion", created: created, model: model)
    }

    /// One chunk with one choice: `data: {…,"choices":[{index,text,logprobs,finish_reason,stop_reason}]}\n\n`.
    /// - Parameters:
    ///   - usage: with `continuous_usage_stats`, the running counts of this choice's prompt.
    ///   - systemFingerprint: on the terminal chunk only, and only when no usage chunk follows.
    public func chunk(_ choice: CompletionChoice, usage: Usage? = nil, systemFingerprint: String? = nil) -> [UInt8] {
        frame.event(usage: usage, systemFingerprint: systemFingerprint) { writer in
            choice.write(to: &writer)
        }
    }

    /// The last chunk with `include_usage`: `choices: []` and the totals.
    public func usageChunk(_ usage: Usage, systemFingerprint: String? = nil) -> [UInt8] {
        frame.event(usage: usage, systemFingerprint: systemFingerprint) { _ in }
    }
}
