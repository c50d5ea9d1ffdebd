// SPDX-License-Identifier: Apache-2.0
import Dispatch
import FerryEngine
import FerryHTTP
import FoundationEssentials

/// The routes of the OpenAI-compatible server (VLLM-COMPAT §1.2 and DESIGN §3), behind the API middleware.
public enum APIRoutes {
    /// The responder to hand to `HTTPServer`.
    public static func responder(context: ServingContext, version: String) -> any HTTPResponder {
        var router = HTTPRouter()
        router.add(.get, "/live") { _, writer in
            try? writer.respond(.json(Array(#"{"status":"ok"}"#.utf8)))
        }
        router.add(.get, "/health") { _, writer in
            let phase = context.phase
            if phase == .ready {
                try? writer.respond(HTTPResponse(status: .ok))
            } else {
                var headers = HTTPHeaders()
                headers.add(name: "Retry-After", value: "\(context.settings.retryAfterSeconds)")
                try? writer.respond(.json(Array("{\"status\":\"\(phase.rawValue)\"}".utf8),
                                          status: HTTPStatus(code: 503), headers: headers))
            }
        }
        router.add(.get, "/metrics") { _, writer in
            let stats = context.model?.engine.stats ?? EngineStats()
            try? writer.respond(HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                             body: context.metrics.render(stats: stats)))
        }
        router.add(.get, "/version") { _, writer in
            try? writer.respond(.json(VersionResponse(version: version).encoded()))
        }
        router.add(.get, "/v1/models") { _, writer in
            guard let model = ready(context, writer) else { return }
            let list = ModelList(servedModelNames: context.settings.servedModelNames, root: model.root,
                                 created: Int(Date.now.timeIntervalSince1970), maxModelLen: model.maxModelLen)
            try? writer.respond(.json(list.encoded()))
        }
        router.add(.post, "/tokenize") { request, writer in
            guard let model = ready(context, writer) else { return }
            respond(writer) { () throws(APIError) in
                try JSONContentType.check(request.headers["content-type"])
                return try TokenizeRequest(body: request.body).tokenize(
                    tokenizer: model.tokenizer, maxModelLen: model.maxModelLen,
                    servedModelNames: context.settings.servedModelNames, render: model.renderer).encoded()
            }
        }
        router.add(.post, "/detokenize") { request, writer in
            guard let model = ready(context, writer) else { return }
            respond(writer) { () throws(APIError) in
                try JSONContentType.check(request.headers["content-type"])
                return try DetokenizeRequest(body: request.body).detokenize(
                    tokenizer: model.tokenizer, servedModelNames: context.settings.servedModelNames).encoded()
            }
        }
        router.add(.post, "/v1/completions") { request, writer in
            guard let model = ready(context, writer) else { return }
            DispatchQueue.global().async { Generation.completion(request, writer, context: context, model: model) }
        }
        router.add(.post, "/v1/chat/completions") { request, writer in
            guard let model = ready(context, writer) else { return }
            DispatchQueue.global().async { Generation.chat(request, writer, context: context, model: model) }
        }
        return router.wrapped(in: APIMiddleware(context: context))
    }

    /// The model when the server takes new work; otherwise answers 503 and returns nil.
    static func ready(_ context: ServingContext, _ writer: HTTPResponseWriter) -> ServingModel? {
        let retry = context.settings.retryAfterSeconds
        switch context.phase {
        case .ready:
            if let model = context.model { return model }
            try? writer.respond(ServingResponses.error(.loading(retryAfterSeconds: retry)))
        case .loading: try? writer.respond(ServingResponses.error(.loading(retryAfterSeconds: retry)))
        case .draining: try? writer.respond(ServingResponses.error(.draining(retryAfterSeconds: retry)))
        case .failed: try? writer.respond(ServingResponses.error(.internalError("The engine is not running.")))
        }
        return nil
    }

    /// Runs `body` and answers with its JSON or its error.
    static func respond(_ writer: HTTPResponseWriter, _ body: () throws(APIError) -> [UInt8]) {
        do {
            try writer.respond(.json(try body()))
        } catch let error as APIError {
            try? writer.respond(ServingResponses.error(error))
        } catch {
            return  // the head was already written
        }
    }
}
