// SPDX-License-Identifier: Apache-2.0
import FerryEngine
import FerryHTTP

/// Writing the response: SSE chunks as tokens come, or one JSON body at the end. On the session queue.
extension GenerationSession {
    var usage: Usage {
        Usage(promptTokens: prompts.reduce(0) { $0 + $1.tokenIds.count },
              completionTokens: choices.reduce(0) { $0 + $1.tokenIds.count })
    }

    /// Sends the stream's head and, for chat, each choice's opening role chunk; for completions with echo, the
    /// prompt text first.
    func openStream() {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: ServerSentEvents.contentType)
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "X-Accel-Buffering", value: "no")
        guard let stream = try? writer.startStream(status: .ok, headers: headers) else { return }
        self.stream = stream
        switch kind {
        case .chat(let role, let echoText):
            let encoder = chatEncoder
            for choice in choices {
                _ = stream.write(encoder.roleChunk(index: choice.index, role: role))
                if let echoText { _ = stream.write(encoder.contentChunk(index: choice.index, content: echoText)) }
            }
        case .completion(let echoPrefixes):
            let encoder = completionEncoder
            for choice in choices {
                if let prefix = echoPrefixes[choice.index / parameters.n] {
                    _ = stream.write(encoder.chunk(CompletionChoice(index: choice.index, text: prefix)))
                }
            }
        }
        context.keepAlive(stream, every: context.settings.sseKeepAliveInterval, while: { [weak self] in
            self.map { !$0.isDone } ?? false
        })
    }

    /// Streams one delta of choice `index` (nothing for a JSON response until the end).
    func emit(_ index: Int, _ delta: ChoiceState.Delta, final: Bool) {
        guard let stream, !isDone else { return }
        let choice = choices[index]
        if delta.text.isEmpty && delta.logprobs.isEmpty && !final { return }  // e.g. a held-back UTF-8 prefix
        let usage = streamOptions?.continuousUsageStats == true && streamOptions?.includeUsage == true
            ? Usage(promptTokens: prompts[index / parameters.n].tokenIds.count,
                    completionTokens: choice.tokenIds.count) : nil
        let tokenIds = parameters.returnTokenIds ? delta.tokenIds : nil
        switch kind {
        case .chat:
            let encoder = chatEncoder
            let logprobs = choice.wantsLogprobs && !delta.logprobs.isEmpty ? ChatLogprobs(content: delta.logprobs) : nil
            _ = stream.write(encoder.contentChunk(
                index: index, content: final && delta.text.isEmpty ? nil : delta.text, logprobs: logprobs,
                finishReason: final ? choice.finishReason : nil, stopReason: final ? choice.stopReason : nil,
                tokenIds: tokenIds, usage: usage))
        case .completion:
            let encoder = completionEncoder
            let logprobs = choice.wantsLogprobs ? CompletionLogprobs(tokens: delta.logprobs) : nil
            _ = stream.write(encoder.chunk(
                CompletionChoice(index: index, text: delta.text, logprobs: logprobs,
                                 finishReason: final ? choice.finishReason : nil,
                                 stopReason: final ? choice.stopReason : nil, tokenIds: tokenIds),
                usage: usage))
        }
    }

    /// Every choice finished: the usage chunk and `[DONE]`, or the whole JSON body.
    func complete() {
        isDone = true
        defer { context.untrack(self) }
        let totals = usage
        context.log("info", "request finished", [
            "request_id": responseId, "prompt_tokens": "\(totals.promptTokens)",
            "completion_tokens": "\(totals.completionTokens)",
            "finish_reasons": choices.map { $0.finishReason?.rawValue ?? "none" }.joined(separator: ","),
            "duration_ms": String(Int(((Engine.now() - arrivalTime) * 1000).rounded())),
        ])
        if choices.contains(where: { $0.finishReason == .error }) {
            fail(APIError.internalError())
            return
        }
        if let stream {
            if streamOptions?.includeUsage == true {
                let bytes: [UInt8]
                switch kind {
                case .chat: bytes = chatEncoder.usageChunk(usage)
                case .completion: bytes = completionEncoder.usageChunk(usage)
                }
                _ = stream.write(bytes)
            }
            _ = stream.write(ServerSentEvents.done)
            stream.finish()
            return
        }
        let body: [UInt8]
        switch kind {
        case .chat(let role, let echoText):
            let result = choices.map { choice in
                ChatChoice(index: choice.index, role: role, content: (echoText ?? "") + choice.text,
                           logprobs: choice.wantsLogprobs ? ChatLogprobs(content: choice.logprobs) : nil,
                           finishReason: choice.finishReason ?? .abort, stopReason: choice.stopReason,
                           tokenIds: parameters.returnTokenIds ? choice.tokenIds : nil)
            }
            body = ChatCompletionResponse(id: responseId, created: created, model: modelName, choices: result,
                                          usage: usage).encoded()
        case .completion(let echoPrefixes):
            let result = choices.map { choice in
                let prefix = echoPrefixes[choice.index / parameters.n] ?? ""
                return CompletionChoice(
                    index: choice.index, text: prefix + choice.text,
                    logprobs: choice.wantsLogprobs
                        ? CompletionLogprobs(tokens: choice.logprobs, initialTextOffset: prefix.utf16.count) : nil,
                    finishReason: choice.finishReason ?? .abort, stopReason: choice.stopReason,
                    tokenIds: parameters.returnTokenIds ? choice.tokenIds : nil)
            }
            body = CompletionResponse(id: responseId, created: created, model: modelName, choices: result,
                                      usage: usage).encoded()
        }
        try? writer.respond(.json(body))
    }
}
