// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import FerryScheduling
import Testing

/// Decoding of `/v1/chat/completions` bodies: messages, content parts and the chat-only fields.
@Suite struct ChatCompletionRequestTests {
    @Test func omittedFieldsTakeVLLMsChatDefaults() throws {
        let request = try chat(#"{"messages": [{"role": "user", "content": "hi"}]}"#)
        #expect(request.messages == [ChatMessage(role: "user", content: "hi")])
        #expect(!request.logprobs && request.topLogprobs == 0)
        #expect(request.maxTokens == nil && request.maxCompletionTokens == nil)
        #expect(request.addGenerationPrompt && !request.continueFinalMessage && !request.addSpecialTokens)
        #expect(request.chatTemplateKwargs.isEmpty && request.tools == nil && !request.echo)
    }

    @Test func messagesKeepNameToolCallsAndToolCallId() throws {
        let request = try chat("""
            {"messages": [
              {"role": "system", "content": "be brief", "name": "rules"},
              {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
               "function": {"name": "f", "arguments": "{}"}}]},
              {"role": "tool", "content": "42", "tool_call_id": "c1"},
              {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
            ]}
            """)
        #expect(request.messages[0] == ChatMessage(role: "system", content: "be brief", name: "rules"))
        #expect(request.messages[1].content == nil)
        #expect(request.messages[1].toolCalls?.arrayValue?.first?["id"] == .string("c1"))
        #expect(request.messages[2] == ChatMessage(role: "tool", content: "42", toolCallId: "c1"))
        #expect(request.messages[3].content == "a\nb")
    }

    @Test func chatFieldsDecode() throws {
        let request = try chat("""
            {"messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 5,
             "max_tokens": 7, "max_completion_tokens": 9, "add_generation_prompt": false,
             "continue_final_message": true, "add_special_tokens": true, "echo": true,
             "chat_template_kwargs": {"enable_thinking": false}, "tools": [{"type": "function"}],
             "documents": [{"title": "t"}], "temperature": 0.2}
            """)
        #expect(request.logprobs && request.topLogprobs == 5)
        #expect(request.maxTokens == 7 && request.maxCompletionTokens == 9)
        #expect(!request.addGenerationPrompt && request.continueFinalMessage && request.addSpecialTokens)
        #expect(request.echo && request.chatTemplateKwargs == ["enable_thinking": .bool(false)])
        #expect(request.tools != nil && request.documents != nil && request.sampling.temperature == 0.2)
    }

    @Test func nonTextContentPartsAreNotSupported() {
        let json = #"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}"#
        #expect(caughtError { _ = try chat(json) } == schemaError(
            "Content part type `image_url` in messages[0] is not supported: this server accepts only `text` parts.",
            param: "messages"))
    }

    @Test("Malformed messages name the path", arguments: [
        (#"{}"#, "`messages` is required.", "messages"),
        (#"{"messages": "hi"}"#, "`messages` must be a list of messages, got a string.", "messages"),
        (#"{"messages": [1]}"#, "`messages[0]` must be an object, got an integer.", "messages[0]"),
        (#"{"messages": [{"content": "x"}]}"#, "`messages[0].role` is required.", "messages[0].role"),
        (#"{"messages": [{"role": 1}]}"#, "`messages[0].role` must be a string, got an integer.",
         "messages[0].role"),
        (#"{"messages": [{"role": "user", "content": 5}]}"#,
         "`messages[0].content` must be a string or a list of content parts, got an integer.",
         "messages[0].content"),
        (#"{"messages": [{"role": "user", "content": [{"text": "x"}]}]}"#,
         "`messages[0].content[0].type` must be a string, got null.", "messages[0].content[0].type"),
        (#"{"messages": [{"role": "user", "content": [{"type": "text"}]}]}"#,
         "`messages[0].content[0].text` must be a string, got null.", "messages[0].content[0].text"),
    ])
    func rejectsMalformedMessages(json: String, message: String, param: String) {
        #expect(caughtError { _ = try chat(json) } == schemaError(message, param: param))
    }

    @Test func topLogprobsNeedLogprobs() throws {
        let base = #""messages": [{"role": "user", "content": "x"}]"#
        #expect(caughtError { _ = try chat(#"{\#(base), "top_logprobs": 2}"#) } == schemaError(
            "when using `top_logprobs`, `logprobs` must be set to true.", param: "top_logprobs"))
        #expect(caughtError { _ = try chat(#"{\#(base), "logprobs": true, "top_logprobs": -2}"#) } == schemaError(
            "`top_logprobs` must be a positive value or -1.", param: "top_logprobs"))
        #expect(try chat(#"{\#(base), "logprobs": false, "top_logprobs": 0}"#).topLogprobs == 0)
    }

    @Test func continueFinalMessageExcludesTheGenerationPrompt() throws {
        let base = #""messages": [{"role": "assistant", "content": "Once"}]"#
        let expected = schemaError("Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
                                   param: "continue_final_message")
        #expect(caughtError { _ = try chat(#"{\#(base), "continue_final_message": true}"#) } == expected)
        #expect(caughtError {
            _ = try chat(#"{\#(base), "continue_final_message": true, "add_generation_prompt": true}"#)
        } == expected)
        #expect(try chat(#"{\#(base), "continue_final_message": true, "add_generation_prompt": false}"#)
            .continueFinalMessage)
    }

    @Test func chatTemplateKwargsMustBeAnObject() {
        #expect(caughtError { _ = try chat(#"{"messages": [], "chat_template_kwargs": [1]}"#) }
            == schemaError("`chat_template_kwargs` must be an object, got an array.", param: "chat_template_kwargs"))
    }
}
