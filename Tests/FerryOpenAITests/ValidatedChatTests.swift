// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import FerryScheduling
import FerryTokenizer
import Testing
import TestSupport

/// `ChatCompletionRequest.validated(...)`: rendering, tokenization, filling the context, and chat-only rules.
@Suite struct ValidatedChatTests {
    private func validate(_ json: String, tokenizer: Tokenizer = TestTokenizers.tiny,
                          maxModelLen: Int = Served.maxModelLen,
                          render: @escaping ChatTemplateRenderer = testTemplate) throws(APIError) -> ValidatedChat {
        try chat(json).validated(tokenizer: tokenizer, maxModelLen: maxModelLen, servedModelNames: Served.names,
                                 generationDefaults: Served.defaults, maxLogprobs: 20, render: render)
    }

    private let user = #""messages": [{"role": "user", "content": "hi"}]"#

    @Test func rendersWithoutSpecialTokensAndFillsTheContextWithoutMaxTokens() throws {
        let validated = try validate("{\(user)}")
        let text = "<|user|>hi<|assistant|>"
        #expect(validated.prompt.text == text)
        #expect(validated.prompt.tokenIds == TestTokenizers.tiny.encode(text, addSpecialTokens: false))
        #expect(validated.prompt.tokenIds.count == 23)
        #expect(validated.prompt.maxTokens == 64 - 23)
        #expect(validated.responseRole == "assistant" && validated.echoText == nil && validated.stream == nil)
        let withSpecials = try validate(#"{\#(user), "add_special_tokens": true}"#)
        #expect(withSpecials.prompt.tokenIds.first == 95)
    }

    @Test func maxCompletionTokensWinsOverMaxTokens() throws {
        #expect(try validate(#"{\#(user), "max_tokens": 5}"#).prompt.maxTokens == 5)
        #expect(try validate(#"{\#(user), "max_tokens": 5, "max_completion_tokens": 7}"#).prompt.maxTokens == 7)
        #expect(caughtError { _ = try validate(#"{\#(user), "max_completion_tokens": 0}"#) } == badRequest(
            "max_completion_tokens must be at least 1, got 0.", param: "max_completion_tokens"))
        #expect(caughtError { _ = try validate(#"{\#(user), "max_tokens": 100}"#) } == badRequest(
            "max_tokens=100 cannot be greater than max_model_len=64. Please request fewer output tokens.",
            param: "max_tokens"))
    }

    @Test func promptsThatLeaveNoRoomAreRejectedWithVLLMsMessages() {
        let long = #""messages": [{"role": "user", "content": "\#(String(repeating: "x", count: 60))"}]"#
        #expect(caughtError { _ = try validate("{\(long)}") } == badRequest(
            "The decoder prompt (length 81) is longer than the maximum model length of 64. Make sure that "
                + "`max_model_len` is no smaller than the number of text tokens.", param: "input_tokens"))
        #expect(caughtError { _ = try validate("{\(user)}", maxModelLen: 23) } == badRequest(
            "The decoder prompt (length 23) plus the number of requested output tokens (at least 1) is longer than "
                + "the maximum model length of 23. Make sure that `max_model_len` is no smaller than the number of "
                + "text tokens (prompt + requested output tokens).", param: "input_tokens"))
        #expect(caughtError { _ = try validate(#"{\#(user), "max_tokens": 42}"#) } == badRequest(
            "This model's maximum context length is 64 tokens. However, you requested 42 output tokens and your "
                + "prompt contains 23 input tokens, for a total of 65 tokens. Please reduce the length of the input "
                + "prompt or the number of requested output tokens.", param: "input_tokens"))
    }

    @Test func minTokensIsCheckedAgainstTheFilledContext() {
        #expect(caughtError { _ = try validate(#"{\#(user), "min_tokens": 42}"#) } == badRequest(
            "min_tokens must be less than or equal to max_tokens=41, got 42.", param: "min_tokens"))
    }

    @Test func topLogprobsAreTheEnginesLogprobsOnlyWithLogprobs() throws {
        #expect(try validate(#"{\#(user), "logprobs": true, "top_logprobs": 3}"#).parameters.sampling.logprobs == 3)
        #expect(try validate(#"{\#(user), "logprobs": true}"#).parameters.sampling.logprobs == 0)
        #expect(try validate("{\(user)}").parameters.sampling.logprobs == nil)
        #expect(caughtError { _ = try validate(#"{\#(user), "logprobs": true, "top_logprobs": 21}"#) } == badRequest(
            "Requested sample logprobs of 21, which is greater than max allowed: 20", param: "top_logprobs"))
    }

    @Test func kwargsToolsAndDocumentsReachTheTemplate() throws {
        let capture: ChatTemplateRenderer = { messages, addGenerationPrompt, continueFinalMessage, kwargs in
            #expect(messages.count == 1 && !addGenerationPrompt && continueFinalMessage)
            #expect(kwargs["custom"] == .number(JSONNumber(1)))
            #expect(kwargs["tools"]?.arrayValue?.count == 1 && kwargs["documents"] == .array([]))
            return "rendered"
        }
        let validated = try validate(#"{"messages": [{"role": "assistant", "content": "Once"}], "#
            + #""add_generation_prompt": false, "continue_final_message": true, "chat_template_kwargs": {"custom": 1}, "#
            + #""tools": [{"type": "function"}], "documents": []}"#, render: capture)
        #expect(validated.prompt.text == "rendered" && validated.responseRole == "assistant")
    }

    @Test func templateFailuresAre400sNamingMessages() {
        struct TemplateFailure: Error, CustomStringConvertible {
            var description: String { "Conversation roles must alternate user/assistant/user/assistant/..." }
        }
        let failing: ChatTemplateRenderer = { _, _, _, _ in throw TemplateFailure() }
        #expect(caughtError { _ = try validate("{\(user)}", render: failing) } == badRequest(
            "Conversation roles must alternate user/assistant/user/assistant/...", param: "messages"))
        let passthrough: ChatTemplateRenderer = { _, _, _, _ in throw APIError.internalError("boom") }
        #expect(caughtError { _ = try validate("{\(user)}", render: passthrough) } == .internalError("boom"))
        let empty: ChatTemplateRenderer = { _, _, _, _ in "" }
        #expect(caughtError { _ = try validate("{\(user)}", render: empty) }
            == badRequest("The decoder prompt cannot be empty", param: "messages"))
    }

    @Test func echoPrependsTheLastMessageOnlyWhenItHasTheResponseRole() throws {
        let assistantLast = #""messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "A:"}]"#
        let continued = try validate(#"{\#(assistantLast), "echo": true, "add_generation_prompt": false}"#)
        #expect(continued.responseRole == "assistant" && continued.echoText == "A:")
        let fresh = try validate(#"{\#(user), "echo": true}"#)
        #expect(fresh.responseRole == "assistant" && fresh.echoText == nil)
        let userRole = try validate(#"{\#(user), "echo": true, "add_generation_prompt": false}"#)
        #expect(userRole.responseRole == "user" && userRole.echoText == "hi")
    }

    @Test func unknownModelIs404() {
        #expect(caughtError { _ = try validate(#"{\#(user), "model": "other"}"#) } == .modelNotFound("other"))
    }

    @Test(.enabled(if: TestTokenizers.smolLM2 != nil, "needs ../shared (SmolLM2-135M-Instruct tokenizer)"))
    func smolLM2ChatPromptIsTokenizedWithoutAddedSpecialTokens() throws {
        let tokenizer = try #require(TestTokenizers.smolLM2)
        let chatML: ChatTemplateRenderer = { messages, addGenerationPrompt, _, _ in
            messages.map { "<|im_start|>\($0.role)\n\($0.content ?? "")<|im_end|>\n" }.joined()
                + (addGenerationPrompt ? "<|im_start|>assistant\n" : "")
        }
        let validated = try validate("{\(user)}", tokenizer: tokenizer, maxModelLen: 8192, render: chatML)
        let ids = validated.prompt.tokenIds
        #expect(ids == tokenizer.encode("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                                        addSpecialTokens: false))
        #expect(ids.first == tokenizer.id(forToken: "<|im_start|>"))
        #expect(validated.prompt.maxTokens == 8192 - ids.count)
    }
}
