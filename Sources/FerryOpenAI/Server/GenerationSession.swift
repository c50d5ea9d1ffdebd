// SPDX-License-Identifier: Apache-2.0
import Dispatch
import FoundationEssentials
import FerryEngine
import FerryHTTP
import FerryScheduling
import FerryTokenizer

/// One completions or chat request in flight: its choices go to the engine as separate sequences, their tokens
/// come back on the engine thread, hop to this session's serial queue, and leave as one JSON body or as SSE.
///
/// A client that disconnects aborts every choice; a stop string aborts its choice. `@unchecked Sendable`: all
/// mutable state is touched only on `queue`.
final class GenerationSession: @unchecked Sendable {
    enum Kind {
        case completion(echoPrefixes: [String?])
        case chat(role: String, echoText: String?)
    }

    struct Prompt {
        let tokenIds: [Int]
        let maxTokens: Int
    }

    let queue = DispatchQueue(label: "ferry.session")
    let context: ServingContext
    let model: ServingModel
    let kind: Kind
    let responseId: String
    let modelName: String
    let created: Int
    let prompts: [Prompt]
    let parameters: GenerationParameters
    let streamOptions: StreamOptions?
    let writer: HTTPResponseWriter
    /// Built once per response: each encodes the id/object/created/model prefix once for all its chunks.
    let chatEncoder: ChatStreamEncoder
    let completionEncoder: CompletionStreamEncoder
    var choices: [ChoiceState] = []
    var stream: HTTPBodyStream?
    var isDone = false
    let arrivalTime: Double

    init(context: ServingContext, model: ServingModel, kind: Kind, responseId: String, modelName: String,
         prompts: [Prompt], parameters: GenerationParameters, stream: StreamOptions?, writer: HTTPResponseWriter)
    {
        self.context = context
        self.model = model
        self.kind = kind
        self.responseId = responseId
        self.modelName = modelName
        self.created = Int(Date.now.timeIntervalSince1970)
        self.prompts = prompts
        self.parameters = parameters
        self.streamOptions = stream
        self.writer = writer
        arrivalTime = Engine.now()
        chatEncoder = ChatStreamEncoder(id: responseId, created: created, model: modelName)
        completionEncoder = CompletionStreamEncoder(id: responseId, created: created, model: modelName)
    }

    /// Submits every choice and starts the response. Called once, on the request's thread.
    func start() {
        queue.sync {
            for (promptIndex, prompt) in prompts.enumerated() {
                for sample in 0..<parameters.n {
                    let index = promptIndex * parameters.n + sample
                    choices.append(ChoiceState(index: index, engineRequestId: "\(responseId)-\(index)",
                                               tokenizer: model.tokenizer, promptIds: prompt.tokenIds,
                                               parameters: parameters))
                }
            }
            if streamOptions != nil { openStream() }
        }
        writer.onClose { [weak self] in
            guard let session = self else { return }
            session.queue.async { session.clientGone() }
        }
        context.track(self)
        for (promptIndex, prompt) in prompts.enumerated() {
            for sample in 0..<parameters.n {
                let index = promptIndex * parameters.n + sample
                var sampling = parameters.sampling
                sampling.stopTokenIds = Set(parameters.stopTokenIds)
                sampling.ignoreEos = parameters.ignoreEos
                sampling.minTokens = parameters.minTokens
                if let seed = sampling.seed { sampling.seed = seed &+ UInt64(sample) }  // n choices differ
                var request = GenerationRequest(requestId: choices[index].engineRequestId,
                                                promptTokenIds: prompt.tokenIds, samplingParameters: sampling,
                                                maxTokens: max(1, prompt.maxTokens), arrivalTime: arrivalTime)
                request.eosTokenIds = model.eosTokenIds
                if prompt.maxTokens == 0 {  // echo with max_tokens 0: nothing to generate
                    queue.async { self.handle(index, .finished(.length, stopReason: nil, metrics: nil)) }
                    continue
                }
                model.engine.submit(request) { [self] event in queue.async { self.handle(index, event) } }
            }
        }
    }

    /// Aborts every unfinished choice (drain timeout). Any thread.
    func abort() {
        queue.async { [self] in
            for choice in choices where !choice.isFinished { model.engine.abort(choice.engineRequestId) }
        }
    }

    // MARK: - On the session queue

    private func clientGone() {
        guard !isDone else { return }
        for choice in choices where !choice.isFinished { model.engine.abort(choice.engineRequestId) }
    }

    private func handle(_ index: Int, _ event: GenerationEvent) {
        switch event {
        case .rejected(let error):
            fail(ServingErrors.map(error))
        case .token(let token, _):
            guard !choices[index].isFinished else { return }
            let now = Engine.now()
            if let last = choices[index].lastTokenTime { context.metrics.interTokenLatency(now - last) }
            let (delta, stopped) = choices[index].append(token, tokenizer: model.tokenizer, now: now)
            if stopped {
                model.engine.abort(choices[index].engineRequestId)
                emit(index, delta, final: true)
            } else {
                emit(index, delta, final: false)
            }
        case .finished(let reason, let stopTokenId, let metrics):
            if let metrics { context.metrics.requestFinished(metrics, reason: reason, n: parameters.n) }
            if let delta = choices[index].finish(reason, stopTokenId: stopTokenId, metrics: metrics) {
                emit(index, delta, final: true)
            } else {
                choices[index].record(metrics)
            }
        }
        if !isDone, choices.allSatisfy(\.isFinished) { complete() }
    }

    func fail(_ error: APIError) {
        guard !isDone else { return }
        isDone = true
        for choice in choices where !choice.isFinished { model.engine.abort(choice.engineRequestId) }
        if let stream {
            _ = stream.write(ServerSentEvents.error(error))
            _ = stream.write(ServerSentEvents.done)
            stream.finish()
        } else {
            try? writer.respond(ServingResponses.error(error))
        }
        context.untrack(self)
    }
}
