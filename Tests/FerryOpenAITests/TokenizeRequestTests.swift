// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import FerryTokenizer
import Testing

@Suite struct TokenizeRequestTests {
    private func tokenize(_ json: String, tokenizer: Tokenizer = TestTokenizers.tiny) throws -> ParsedJSON {
        let request = try TokenizeRequest(body: Array(json.utf8))
        return try ParsedJSON(request.tokenize(tokenizer: tokenizer, maxModelLen: 64, servedModelNames: Served.names,
                                               render: testTemplate).encoded())
    }

    @Test func promptFormCountsTokensWithSpecialTokensByDefault() throws {
        #expect(try tokenize(#"{"prompt": "hi"}"#)
            == ParsedJSON(#"{"count": 3, "max_model_len": 64, "tokens": [95, 72, 73]}"#))
        #expect(try tokenize(#"{"model": "tiny", "prompt": "hi", "add_special_tokens": false, "#
            + #""return_token_strs": true}"#)
            == ParsedJSON(#"{"count": 2, "max_model_len": 64, "tokens": [72, 73], "token_strs": ["h", "i"]}"#))
    }

    @Test func messagesFormRendersTheTemplateWithoutSpecialTokensByDefault() throws {
        let parsed = try tokenize(#"{"messages": [{"role": "user", "content": "hi"}], "add_generation_prompt": false}"#)
        #expect(parsed["count"] == .number(10))  // "<|user|>hi"
        #expect(try parsed["tokens"] == ParsedJSON("[28, 92, 85, 83, 69, 82, 92, 30, 72, 73]"))
    }

    @Test func messagesFormKeepsTheChatRules() {
        let both = #"{"messages": [{"role": "user", "content": "x"}], "continue_final_message": true}"#
        #expect(caughtError { _ = try TokenizeRequest(body: Array(both.utf8)) }
            == .continueFinalMessageWithGenerationPrompt)
        #expect(caughtError { _ = try TokenizeRequest(body: Array(#"{"model": "tiny"}"#.utf8)) }
            == .missingField("prompt"))
    }

    @Test func unknownModelIs404() throws {
        let request = try TokenizeRequest(body: Array(#"{"model": "nope", "prompt": "x"}"#.utf8))
        #expect(caughtError {
            _ = try request.tokenize(tokenizer: TestTokenizers.tiny, maxModelLen: 64, servedModelNames: Served.names,
                                     render: testTemplate)
        } == .modelNotFound("nope"))
    }

    @Test(.enabled(if: TestTokenizers.smolLM2 != nil, "needs ../shared (SmolLM2-135M-Instruct tokenizer)"))
    func smolLM2TokenStringsAreVocabularySpellings() throws {
        let tokenizer = try #require(TestTokenizers.smolLM2)
        let parsed = try tokenize(#"{"prompt": "Hello world", "return_token_strs": true}"#, tokenizer: tokenizer)
        let ids = tokenizer.encode("Hello world", addSpecialTokens: true)
        #expect(parsed["tokens"] == .array(ids.map { .number(Double($0)) }))
        #expect(parsed["token_strs"] == .array(ids.map { .string(tokenizer.token(forId: $0) ?? "") }))
        #expect(try parsed["token_strs"] == ParsedJSON(#"["Hello", "Ġworld"]"#))
    }
}
