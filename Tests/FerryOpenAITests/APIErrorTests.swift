// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Testing

@Suite struct APIErrorTests {
    @Test func bodyIsTheOpenAIErrorShapeWithCodeRepeatingTheStatus() throws {
        let error = APIError.modelNotFound("gpt-4")
        #expect(error.status == 404)
        #expect(String(decoding: error.body, as: UTF8.self) == #"{"error":{"message":"The model `gpt-4` does not "#
            + #"exist.","type":"NotFoundError","param":"model","code":404}}"#)
    }

    @Test func bodyWritesAMissingParamAsNull() throws {
        #expect(try ParsedJSON(APIError.internalError().body) == ParsedJSON(
            #"{"error": {"message": "Internal server error", "type": "InternalServerError", "param": null, "code": 500}}"#))
    }

    @Test func unauthorizedUsesTheOpenAIShape() throws {
        let error = APIError.unauthorized
        #expect(error.status == 401 && error.reasonPhrase == "Unauthorized")
        #expect(try ParsedJSON(error.body) == ParsedJSON(
            #"{"error": {"message": "Unauthorized", "type": "AuthenticationError", "param": null, "code": 401}}"#))
    }

    @Test func unavailableErrorsCarryARetryAfterValue() {
        for error in [APIError.loading(retryAfterSeconds: 5), .draining(retryAfterSeconds: 7),
                      .queueFull(retryAfterSeconds: 1)] {
            #expect(error.status == 503)
            #expect(error.type == "ServiceUnavailableError")
            #expect(error.retryAfterSeconds != nil)
        }
        #expect(APIError.draining(retryAfterSeconds: 7).retryAfterSeconds == 7)
        #expect(APIError.modelNotFound("x").retryAfterSeconds == nil)
    }

    @Test func otherStatusesHaveTheirCodesAndPhrases() {
        let cases: [(APIError, Int, String)] = [
            (.methodNotAllowed(method: "GET", path: "/v1/completions", allowed: ["POST"]), 405, "Method Not Allowed"),
            (.payloadTooLarge(limitBytes: 1024), 413, "Payload Too Large"),
            (.routeNotFound(path: "/nope"), 404, "Not Found"),
            (.notImplemented("no"), 501, "Not Implemented"),
            (.unsupportedContentType("text/plain"), 400, "Bad Request"),
        ]
        for (error, status, phrase) in cases {
            #expect(error.status == status && error.reasonPhrase == phrase, "\(error)")
        }
        #expect(APIError.methodNotAllowed(method: "GET", path: "/v1/completions", allowed: ["POST"]).message
            == "Method GET is not allowed for /v1/completions. Allowed: POST.")
    }

    @Test func promptTooLongUsesVLLMsExactSentence() {
        let error = APIError.contextLengthExceeded(maxModelLen: 2048, requestedOutputTokens: 100, promptTokens: 2000)
        #expect(error == badRequest(
            "This model's maximum context length is 2048 tokens. However, you requested 100 output tokens and your "
                + "prompt contains 2000 input tokens, for a total of 2100 tokens. Please reduce the length of the "
                + "input prompt or the number of requested output tokens.", param: "input_tokens"))
    }

    @Test func logitBiasKeysAreListedAsPythonReprs() {
        #expect(APIError.logitBiasKeys(["abc", "it's"]).message
            == #"logit_bias contains key(s) that cannot be converted to integer token IDs: ['abc', "it's"]"#)
    }

    @Test func contentTypeMustBeApplicationJSON() {
        for accepted in ["application/json", "Application/JSON; charset=utf-8", "application/json;charset=UTF-8"] {
            #expect(caughtError { try JSONContentType.check(accepted) } == nil, "\(accepted)")
        }
        for rejected: String? in [nil, "", "text/plain", "application/jsonx", "multipart/form-data"] {
            #expect(caughtError { try JSONContentType.check(rejected) }
                == schemaError("Unsupported Media Type: Only 'application/json' is allowed", param: nil))
        }
    }
}
