// SPDX-License-Identifier: Apache-2.0
import FerryEngine
import FerryHTTP
import FerryScheduling

/// The two generation routes: decode and validate the body, then hand the choices to a `GenerationSession`.
/// Called off the event loop (tokenizing a long prompt takes a while).
enum Generation {
    static func completion(_ request: HTTPRequest, _ writer: HTTPResponseWriter, context: ServingContext,
                           model: ServingModel)
    {
        do {
            try JSONContentType.check(request.headers["content-type"])
            let decoded = try CompletionRequest(body: request.body)
            let valid = try decoded.validated(
                tokenizer: model.tokenizer, maxModelLen: model.maxModelLen,
                servedModelNames: context.settings.servedModelNames, generationDefaults: model.generationDefaults,
                maxLogprobs: context.settings.maxLogprobs)
            let id = RequestID.make(.completion, header: request.headers["x-request-id"],
                                    bodyRequestId: decoded.requestId)
            let prompts = valid.prompts.map { GenerationSession.Prompt(tokenIds: $0.tokenIds, maxTokens: $0.maxTokens) }
            let echo = valid.prompts.map { valid.echo ? $0.text ?? model.tokenizer.decode($0.tokenIds) : nil }
            logRequest(context, id: id, prompts: prompts)
            GenerationSession(context: context, model: model, kind: .completion(echoPrefixes: echo), responseId: id,
                              modelName: valid.modelName, prompts: prompts, parameters: valid.parameters,
                              stream: valid.stream, writer: writer).start()
        } catch {
            try? writer.respond(ServingResponses.error(error))
        }
    }

    static func chat(_ request: HTTPRequest, _ writer: HTTPResponseWriter, context: ServingContext,
                     model: ServingModel)
    {
        do {
            try JSONContentType.check(request.headers["content-type"])
            let decoded = try ChatCompletionRequest(body: request.body)
            let valid = try decoded.validated(
                tokenizer: model.tokenizer, maxModelLen: model.maxModelLen,
                servedModelNames: context.settings.servedModelNames, generationDefaults: model.generationDefaults,
                maxLogprobs: context.settings.maxLogprobs, render: model.renderer)
            let id = RequestID.make(.chatCompletion, header: request.headers["x-request-id"],
                                    bodyRequestId: decoded.requestId)
            let prompt = GenerationSession.Prompt(tokenIds: valid.prompt.tokenIds, maxTokens: valid.prompt.maxTokens)
            logRequest(context, id: id, prompts: [prompt])
            GenerationSession(context: context, model: model,
                              kind: .chat(role: valid.responseRole, echoText: valid.echoText), responseId: id,
                              modelName: valid.modelName, prompts: [prompt], parameters: valid.parameters,
                              stream: valid.stream, writer: writer).start()
        } catch {
            try? writer.respond(ServingResponses.error(error))
        }
    }

    private static func logRequest(_ context: ServingContext, id: String, prompts: [GenerationSession.Prompt]) {
        guard context.settings.logRequests else { return }
        context.log("info", "Received request", [
            "request_id": id, "prompt_tokens": prompts.map { "\($0.tokenIds.count)" }.joined(separator: ","),
            "max_tokens": prompts.map { "\($0.maxTokens)" }.joined(separator: ","),
        ])
    }
}
