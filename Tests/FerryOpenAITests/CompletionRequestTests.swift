// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import FerryScheduling
import Testing
import TestSupport

/// Decoding of `/v1/completions` bodies: field types, defaults, prompt forms and schema rules.
@Suite struct CompletionRequestTests {
    @Test func omittedFieldsTakeVLLMsDefaults() throws {
        let request = try completion(#"{"prompt": "hi"}"#)
        #expect(request.model == nil)
        #expect(request.prompt == .texts(["hi"]))
        #expect(request.maxTokens == 16 && !request.echo && request.logprobs == nil && request.suffix == nil)
        #expect(request.addSpecialTokens)
        let sampling = request.sampling
        #expect(sampling.temperature == nil && sampling.topP == nil && sampling.topK == nil && sampling.minP == nil)
        #expect(sampling.n == 1 && sampling.stop.isEmpty && sampling.stopTokenIds.isEmpty && sampling.seed == nil)
        #expect(!sampling.stream && sampling.streamOptions == nil && !sampling.ignoreEos && sampling.minTokens == 0)
        #expect(sampling.skipSpecialTokens && sampling.spacesBetweenSpecialTokens && !sampling.includeStopStrInOutput)
    }

    @Test func everyFieldDecodes() throws {
        let request = try completion("""
            {"model": "tiny", "prompt": ["a", "b"], "echo": true, "frequency_penalty": 0.5, "presence_penalty": -1,
             "logit_bias": {"65": 2.5, "7": -1}, "logprobs": 3, "max_tokens": 8, "n": 2, "seed": -7,
             "stop": ["x", "yz"], "stream": true, "stream_options": {"include_usage": true,
             "continuous_usage_stats": true}, "temperature": 0.7, "top_p": 0.9, "user": "u", "top_k": 40,
             "min_p": 0.05, "repetition_penalty": 1.1, "stop_token_ids": [5, 6, 5],
             "include_stop_str_in_output": true, "ignore_eos": true, "min_tokens": 2, "skip_special_tokens": false,
             "spaces_between_special_tokens": false, "add_special_tokens": false, "return_token_ids": true,
             "request_id": "abc"}
            """)
        #expect(request.model == "tiny" && request.prompt == .texts(["a", "b"]) && request.echo)
        #expect(request.logprobs == 3 && request.maxTokens == 8 && !request.addSpecialTokens)
        #expect(request.requestId == "abc")
        let s = request.sampling
        #expect(s.frequencyPenalty == 0.5 && s.presencePenalty == -1 && s.temperature == 0.7 && s.topP == 0.9)
        #expect(s.topK == 40 && s.minP == 0.05 && s.repetitionPenalty == 1.1 && s.seed == -7 && s.n == 2)
        #expect(s.logitBias == [LogitBiasEntry(key: "65", bias: 2.5), LogitBiasEntry(key: "7", bias: -1)])
        #expect(s.stop == ["x", "yz"] && s.stopTokenIds == [5, 6, 5] && s.includeStopStrInOutput && s.ignoreEos)
        #expect(s.minTokens == 2 && !s.skipSpecialTokens && !s.spacesBetweenSpecialTokens && s.returnTokenIds)
        #expect(s.stream && s.streamOptions == StreamOptions(includeUsage: true, continuousUsageStats: true))
    }

    @Test("Prompt forms", arguments: [
        (#""one""#, CompletionPrompt.texts(["one"])),
        (#"["one", "two"]"#, .texts(["one", "two"])),
        ("[1, 2, 3]", .tokenIds([[1, 2, 3]])),
        ("[[1, 2], [3]]", .tokenIds([[1, 2], [3]])),
        ("[1.0, 2]", .tokenIds([[1, 2]])),
    ])
    func acceptsEveryPromptForm(json: String, expected: CompletionPrompt) throws {
        #expect(try completion(#"{"prompt": \#(json)}"#).prompt == expected)
    }

    @Test("Missing or empty prompts", arguments: [#"{}"#, #"{"prompt": null}"#, #"{"prompt": ""}"#,
                                                  #"{"prompt": []}"#])
    func rejectsMissingOrEmptyPrompt(json: String) {
        #expect(caughtError { _ = try completion(json) }
            == schemaError("Either prompt or prompt_embeds must be provided and non-empty.", param: "prompt"))
    }

    @Test("Malformed prompts", arguments: [
        (#"5"#, "an integer"), (#"{"a": 1}"#, "an object"), (#"[1, "a"]"#, "a string"),
        (#"[[1], "a"]"#, "a string"), (#"[true]"#, "a boolean"), (#"["a", 1]"#, "an integer"),
    ])
    func rejectsMalformedPromptNamingIt(json: String, got: String) {
        let error = caughtError { _ = try completion(#"{"prompt": \#(json)}"#) }
        #expect(error?.param == "prompt" && error?.status == 400)
        #expect(error?.message.hasSuffix("got \(got).") == true, "\(String(describing: error))")
    }

    @Test func rejectsNegativeTokenIds() {
        #expect(caughtError { _ = try completion(#"{"prompt": [3, -1]}"#) }
            == schemaError("`prompt` token ids must be non-negative, got -1.", param: "prompt"))
    }

    @Test("Wrong JSON types name the field", arguments: [
        ("max_tokens", #""16""#, "an integer", "a string"),
        ("max_tokens", "16.5", "an integer", "a number"),
        ("n", "true", "an integer", "a boolean"),
        ("temperature", #""hot""#, "a number", "a string"),
        ("echo", "1", "a boolean", "an integer"),
        ("stream", #""yes""#, "a boolean", "a string"),
        ("stop", "5", "a string or a list of strings", "an integer"),
        ("stop", "[1]", "a string or a list of strings", "an integer"),
        ("logit_bias", "[]", "an object", "an array"),
        ("logit_bias", #"{"1": "x"}"#, "an object of numbers", "a string"),
        ("stop_token_ids", #"["a"]"#, "a list of integers", "a string"),
        ("model", "1", "a string", "an integer"),
        ("suffix", "[]", "a string", "an array"),
        ("stream_options", "1", "an object", "an integer"),
    ])
    func rejectsWrongTypes(field: String, json: String, expected: String, got: String) {
        #expect(caughtError { _ = try completion(#"{"prompt": "p", "\#(field)": \#(json)}"#) }
            == schemaError("`\(field)` must be \(expected), got \(got).", param: field))
    }

    @Test func rejectsIntegersBeyondSixtyFourBits() {
        #expect(caughtError { _ = try completion(#"{"prompt": "p", "seed": 18446744073709551616}"#) }
            == schemaError("`seed` must be an integer between \(Int.min) and \(Int.max).", param: "seed"))
    }

    @Test func ignoresUnknownFields() throws {
        let request = try completion(#"{"prompt": "p", "best_of": 3, "foo": {"bar": [1, {"x": null}]}}"#)
        #expect(request.prompt == .texts(["p"]))
    }

    @Test func nullMaxTokensMeansSixteen() throws {
        #expect(try completion(#"{"prompt": "p", "max_tokens": null}"#).maxTokens == 16)
    }

    @Test func streamOptionsNeedStream() throws {
        let expected = schemaError("Stream options can only be defined when `stream=True`.", param: "stream_options")
        #expect(caughtError { _ = try completion(#"{"prompt": "p", "stream_options": {"include_usage": true}}"#) }
            == expected)
        #expect(caughtError {
            _ = try completion(#"{"prompt": "p", "stream": false, "stream_options": {"include_usage": true}}"#)
        } == expected)
        // vLLM tests the dict's truthiness, so an empty object is allowed.
        #expect(try completion(#"{"prompt": "p", "stream_options": {}}"#).sampling.streamOptions == nil)
        #expect(caughtError {
            _ = try completion(#"{"prompt": "p", "stream": true, "stream_options": {"include_usage": 1}}"#)
        } == schemaError("`stream_options.include_usage` must be a boolean, got an integer.",
                         param: "stream_options.include_usage"))
    }

    @Test func logprobsMayBeMinusOneButNotLower() throws {
        #expect(try completion(#"{"prompt": "p", "logprobs": -1}"#).logprobs == -1)
        #expect(caughtError { _ = try completion(#"{"prompt": "p", "logprobs": -2}"#) }
            == schemaError("`logprobs` must be a positive value or -1.", param: "logprobs"))
    }

    @Test func bodyMustBeAnObject() {
        #expect(caughtError { _ = try completion("[1]") }
            == schemaError("The request body must be a JSON object, got an array.", param: nil))
    }

    @Test func invalidJSONIsA400() {
        #expect(caughtError { _ = try completion(#"{"prompt": "p",}"#) }?.message
            == "Invalid JSON in the request body at byte 15: expecting a string key.")
    }
}
