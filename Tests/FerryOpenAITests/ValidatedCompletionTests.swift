// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import FerryScheduling
import FerryTokenizer
import Testing
import TestSupport

/// `CompletionRequest.validated(...)`: model names, tokenization, output lengths and the engine's inputs.
@Suite struct ValidatedCompletionTests {
    private func validate(_ json: String, tokenizer: Tokenizer = TestTokenizers.tiny,
                          maxModelLen: Int = Served.maxModelLen, defaults: SamplingParameters = Served.defaults,
                          maxLogprobs: Int = 20) throws(APIError) -> ValidatedCompletion {
        try completion(json).validated(tokenizer: tokenizer, maxModelLen: maxModelLen,
                                       servedModelNames: Served.names, generationDefaults: defaults,
                                       maxLogprobs: maxLogprobs)
    }

    private func error(_ json: String, maxModelLen: Int = Served.maxModelLen) -> APIError? {
        caughtError { _ = try validate(json, maxModelLen: maxModelLen) }
    }

    @Test func textPromptsAreTokenizedWithSpecialTokens() throws {
        let validated = try validate(#"{"prompt": ["hi", "ab"]}"#)
        #expect(validated.prompts == [EnginePrompt(tokenIds: [95, 72, 73], text: "hi", maxTokens: 16),
                                      EnginePrompt(tokenIds: [95, 65, 66], text: "ab", maxTokens: 16)])
        #expect(validated.modelName == "tiny" && !validated.echo && validated.stream == nil)
        let plain = try validate(#"{"prompt": "hi", "add_special_tokens": false}"#)
        #expect(plain.prompts[0].tokenIds == [72, 73])
    }

    @Test func tokenPromptsPassThroughAndAreDecodedOnlyForEcho() throws {
        #expect(try validate(#"{"prompt": [[72, 73], [65]]}"#).prompts.map(\.tokenIds) == [[72, 73], [65]])
        #expect(try validate(#"{"prompt": [72, 73]}"#).prompts[0].text == nil)
        #expect(try validate(#"{"prompt": [95, 72, 73], "echo": true}"#).prompts[0].text == "<s>hi")
    }

    @Test func tokenIdsOutsideTheVocabularyAre400s() {
        #expect(error(#"{"prompt": [72, 97]}"#) == badRequest("Token id 97 is out of vocabulary", param: "prompt"))
        #expect(error(#"{"prompt": [[1], [100000]]}"#)
            == badRequest("Token id 100000 is out of vocabulary", param: "prompt"))
    }

    @Test func unknownModelIs404AndAnyServedNameAnswersAsTheFirst() throws {
        #expect(error(#"{"model": "gpt-4", "prompt": "p"}"#) == APIError(
            status: 404, type: "NotFoundError", message: "The model `gpt-4` does not exist.", param: "model"))
        #expect(try validate(#"{"model": "tiny-alias", "prompt": "p"}"#).modelName == "tiny")
        #expect(try validate(#"{"prompt": "p"}"#).modelName == "tiny")
    }

    @Test func maxTokensMustBePositiveUnlessEchoingOnly() throws {
        #expect(error(#"{"prompt": "p", "max_tokens": 0}"#)
            == badRequest("max_tokens must be at least 1, got 0.", param: "max_tokens"))
        #expect(error(#"{"prompt": "p", "max_tokens": -3, "echo": true}"#)
            == badRequest("max_tokens must be at least 1, got -3.", param: "max_tokens"))
        let echoOnly = try validate(#"{"prompt": "hi", "max_tokens": 0, "echo": true}"#)
        #expect(echoOnly.prompts == [EnginePrompt(tokenIds: [95, 72, 73], text: "hi", maxTokens: 0)])
        #expect(echoOnly.echo)
    }

    @Test func maxTokensAboveTheContextIsRejected() {
        #expect(error(#"{"prompt": "p", "max_tokens": 65}"#) == badRequest(
            "max_tokens=65 cannot be greater than max_model_len=64. Please request fewer output tokens.",
            param: "max_tokens"))
    }

    @Test func promptPlusMaxTokensBeyondTheContextUsesVLLMsMessage() throws {
        let prompt = String(repeating: "a", count: 48)  // 49 tokens with BOS
        #expect(error(#"{"prompt": "\#(prompt)"}"#) == badRequest(
            "This model's maximum context length is 64 tokens. However, you requested 16 output tokens and your "
                + "prompt contains 49 input tokens, for a total of 65 tokens. Please reduce the length of the input "
                + "prompt or the number of requested output tokens.", param: "input_tokens"))
        #expect(try validate(#"{"prompt": "\#(prompt)", "max_tokens": 15}"#).prompts[0].maxTokens == 15)
    }

    @Test func aPromptThatTokenizesToNothingIsRejected() {
        #expect(error(#"{"prompt": [""], "add_special_tokens": false}"#)
            == badRequest("The decoder prompt cannot be empty", param: "prompt"))
    }

    @Test func suffixBeamSearchAndStructuredOutputAreRefused() {
        #expect(error(#"{"prompt": "p", "suffix": "s"}"#)
            == badRequest("suffix is not currently supported", param: "suffix"))
        #expect(error(#"{"prompt": "p", "use_beam_search": true}"#)?.param == "use_beam_search")
        #expect(error(#"{"prompt": "p", "response_format": {"type": "json_object"}}"#)?.param == "response_format")
        #expect(error(#"{"prompt": "p", "response_format": {"type": "text"}}"#) == nil)
    }

    @Test func minTokensMayNotExceedMaxTokens() {
        #expect(error(#"{"prompt": "p", "min_tokens": 17}"#) == badRequest(
            "min_tokens must be less than or equal to max_tokens=16, got 17.", param: "min_tokens"))
        #expect(error(#"{"prompt": "p", "min_tokens": 16}"#) == nil)
    }

    @Test func streamingCarriesItsOptions() throws {
        #expect(try validate(#"{"prompt": "p", "stream": true}"#).stream == StreamOptions())
        let usage = try validate(#"{"prompt": "p", "stream": true, "stream_options": {"include_usage": true}}"#)
        #expect(usage.stream == StreamOptions(includeUsage: true, continuousUsageStats: false))
    }

    @Test func logprobsAreCappedByMaxLogprobs() throws {
        #expect(error(#"{"prompt": "p", "logprobs": 21}"#) == badRequest(
            "Requested sample logprobs of 21, which is greater than max allowed: 20", param: "logprobs"))
        #expect(try validate(#"{"prompt": "p", "logprobs": 20}"#).parameters.sampling.logprobs == 20)
        #expect(try validate(#"{"prompt": "p", "logprobs": 0}"#).parameters.sampling.logprobs == 0)
        #expect(try validate(#"{"prompt": "p"}"#).parameters.sampling.logprobs == nil)
        #expect(try validate(#"{"prompt": "p", "logprobs": -1}"#, maxLogprobs: -1).parameters.sampling.logprobs
            == 97)
    }

    @Test(.enabled(if: TestTokenizers.smolLM2 != nil, "needs ../shared (SmolLM2-135M-Instruct tokenizer)"))
    func smolLM2PromptsMatchTheTokenizerAndItsVocabularyBoundsIds() throws {
        let tokenizer = try #require(TestTokenizers.smolLM2)
        let text = "The capital of France is"
        let validated = try validate(#"{"prompt": "\#(text)", "max_tokens": 5, "logit_bias": {"49151": 1}}"#,
                                     tokenizer: tokenizer, maxModelLen: 2048)
        #expect(validated.prompts[0].tokenIds == tokenizer.encode(text, addSpecialTokens: true))
        #expect(validated.prompts[0].tokenIds.count == 5)
        #expect(validated.prompts[0].maxTokens == 5)
        #expect(validated.parameters.sampling.logitBias == [49151: 1])
        #expect(tokenizer.vocabularySize == 49152)
        let outOfVocabulary = caughtError {
            _ = try validate(#"{"prompt": [1, 49152]}"#, tokenizer: tokenizer, maxModelLen: 2048)
        }
        #expect(outOfVocabulary == badRequest("Token id 49152 is out of vocabulary", param: "prompt"))
        let bias = caughtError {
            _ = try validate(#"{"prompt": "x", "logit_bias": {"49152": 1}}"#, tokenizer: tokenizer,
                             maxModelLen: 2048)
        }
        #expect(bias == badRequest("token_id(s) [49152] in logit_bias contain out-of-vocab token ids. "
            + "Vocabulary size: 49152", param: "logit_bias"))
    }
}
