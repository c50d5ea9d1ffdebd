// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Testing

@Suite struct CompletionResponseTests {
    @Test func encodesEveryFieldAsOpenAIAndVLLMDo() throws {
        let response = CompletionResponse(
            id: "cmpl-0123456789abcdef0123456789abcdef", created: 1_700_000_000, model: "tiny",
            choices: [
                CompletionChoice(index: 0, text: " Paris.", finishReason: .stop, stopReason: .string("\n")),
                CompletionChoice(index: 1, text: " Lyon", finishReason: .length),
                CompletionChoice(index: 2, text: "", finishReason: .stop, stopReason: .tokenId(7)),
            ],
            usage: Usage(promptTokens: 5, completionTokens: 4))
        #expect(try ParsedJSON(response.encoded()) == ParsedJSON("""
            {"id": "cmpl-0123456789abcdef0123456789abcdef", "object": "text_completion", "created": 1700000000,
             "model": "tiny",
             "choices": [
               {"index": 0, "text": " Paris.", "logprobs": null, "finish_reason": "stop", "stop_reason": "\\n"},
               {"index": 1, "text": " Lyon", "logprobs": null, "finish_reason": "length", "stop_reason": null},
               {"index": 2, "text": "", "logprobs": null, "finish_reason": "stop", "stop_reason": 7}],
             "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
             "system_fingerprint": null}
            """))
    }

    @Test func writesKeysInOpenAIsOrder() {
        let response = CompletionResponse(id: "cmpl-1", created: 1, model: "m",
                                          choices: [CompletionChoice(index: 0, text: "t", finishReason: .length)],
                                          usage: Usage(promptTokens: 1, completionTokens: 1),
                                          systemFingerprint: "fp")
        #expect(String(decoding: response.encoded(), as: UTF8.self) == #"{"id":"cmpl-1","object":"text_completion","#
            + #""created":1,"model":"m","choices":[{"index":0,"text":"t","logprobs":null,"finish_reason":"length","#
            + #""stop_reason":null}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"#
            + #""system_fingerprint":"fp"}"#)
    }

    @Test func logprobsHaveOffsetsTokensAndTopAlternativesWithMinusInfinityClamped() throws {
        let logprobs = CompletionLogprobs(tokens: [
            TokenLogprob(token: "The", logprob: nil, topLogprobs: nil),
            TokenLogprob(token: " é", logprob: -0.25, topLogprobs: [
                TopLogprob(token: " é", logprob: -0.25), TopLogprob(token: " e", logprob: -1.5)]),
            TokenLogprob(token: "!", logprob: -.infinity, topLogprobs: [
                TopLogprob(token: ".", logprob: -0.1), TopLogprob(token: "!", logprob: -.infinity),
                TopLogprob(token: ".", logprob: -0.2)]),
        ], initialTextOffset: 10)
        #expect(logprobs.endTextOffset == 16)
        let response = CompletionResponse(
            id: "cmpl-x", created: 2, model: "m",
            choices: [CompletionChoice(index: 0, text: "The é!", logprobs: logprobs, finishReason: .length,
                                       tokenIds: [1, 2, 3], promptTokenIds: [9])],
            usage: Usage(promptTokens: 1, completionTokens: 3))
        let choice = try ParsedJSON(response.encoded())["choices"]
        #expect(try choice == ParsedJSON("""
            [{"index": 0, "text": "The é!", "finish_reason": "length", "stop_reason": null,
              "prompt_token_ids": [9], "token_ids": [1, 2, 3],
              "logprobs": {"text_offset": [10, 13, 15], "token_logprobs": [null, -0.25, -9999.0],
                           "tokens": ["The", " é", "!"],
                           "top_logprobs": [null, {" é": -0.25, " e": -1.5}, {".": -0.2, "!": -9999.0}]}}]
            """))
        // A repeated token text keeps its first position and its last value, like a Python dict.
        #expect(String(decoding: response.encoded(), as: UTF8.self).contains(#"{".":-0.2,"!":-9999.0}"#))
    }
}
