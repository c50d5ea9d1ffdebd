// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Testing

@Suite struct ChatCompletionResponseTests {
    @Test func encodesEveryFieldAsOpenAIAndVLLMDo() throws {
        let response = ChatCompletionResponse(
            id: "chatcmpl-abc", created: 1_700_000_001, model: "tiny",
            choices: [ChatChoice(index: 0, content: "Hello \"you\"", finishReason: .stop)],
            usage: Usage(promptTokens: 12, completionTokens: 3), systemFingerprint: "fp_1")
        #expect(try ParsedJSON(response.encoded()) == ParsedJSON("""
            {"id": "chatcmpl-abc", "object": "chat.completion", "created": 1700000001, "model": "tiny",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello \\"you\\""},
                          "logprobs": null, "finish_reason": "stop", "stop_reason": null}],
             "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
             "system_fingerprint": "fp_1"}
            """))
    }

    @Test func logprobsListTokensWithBytesAndTopAlternatives() throws {
        let logprobs = ChatLogprobs(content: [
            TokenLogprob(token: "Hi", logprob: -0.5, topLogprobs: [
                TopLogprob(token: "Hi", logprob: -0.5), TopLogprob(token: "Hé", logprob: -.infinity)]),
            TokenLogprob(token: "😀", logprob: -1, topLogprobs: []),
        ])
        let response = ChatCompletionResponse(
            id: "chatcmpl-1", created: 0, model: "m",
            choices: [ChatChoice(index: 0, role: "assistant", content: "Hi😀", logprobs: logprobs,
                                 finishReason: .length, tokenIds: [4, 5])],
            usage: Usage(promptTokens: 1, completionTokens: 2), promptTokenIds: [1])
        let parsed = try ParsedJSON(response.encoded())
        #expect(try parsed["choices"] == ParsedJSON("""
            [{"index": 0, "message": {"role": "assistant", "content": "Hi😀"}, "finish_reason": "length",
              "stop_reason": null, "token_ids": [4, 5],
              "logprobs": {"content": [
                {"token": "Hi", "logprob": -0.5, "bytes": [72, 105], "top_logprobs": [
                  {"token": "Hi", "logprob": -0.5, "bytes": [72, 105]},
                  {"token": "Hé", "logprob": -9999.0, "bytes": [72, 195, 169]}]},
                {"token": "😀", "logprob": -1.0, "bytes": [240, 159, 152, 128], "top_logprobs": []}]}}]
            """))
        #expect(try parsed["prompt_token_ids"] == ParsedJSON("[1]"))
    }
}
