// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import FerryScheduling
import Testing

/// Sampling ranges and defaults, checked through completions validation (chat shares the same code).
@Suite struct SamplingOptionsTests {
    private func parameters(_ fields: String, defaults: SamplingParameters = Served.defaults)
        throws(APIError) -> GenerationParameters
    {
        try completion(#"{"prompt": "p"\#(fields.isEmpty ? "" : ", " + fields)}"#)
            .validated(tokenizer: TestTokenizers.tiny, maxModelLen: Served.maxModelLen,
                       servedModelNames: Served.names, generationDefaults: defaults, maxLogprobs: 20).parameters
    }

    @Test("Out-of-range values are 400 BadRequestErrors naming the parameter", arguments: [
        (#""temperature": -0.5"#, "temperature must be non-negative, got -0.5.", "temperature"),
        (#""temperature": 1e999"#, "temperature must be a finite number, got inf.", "temperature"),
        (#""top_p": 0"#, "top_p must be in (0, 1], got 0.0.", "top_p"),
        (#""top_p": 1.5"#, "top_p must be in (0, 1], got 1.5.", "top_p"),
        (#""top_k": -2"#, "top_k must be 0 (disable), or at least 1, got -2.", "top_k"),
        (#""min_p": 1.5"#, "min_p must be in [0, 1], got 1.5.", "min_p"),
        (#""min_p": -0.1"#, "min_p must be in [0, 1], got -0.1.", "min_p"),
        (#""presence_penalty": 2.5"#, "presence_penalty must be in [-2, 2], got 2.5.", "presence_penalty"),
        (#""frequency_penalty": -3"#, "frequency_penalty must be in [-2, 2], got -3.0.", "frequency_penalty"),
        (#""repetition_penalty": 0"#, "repetition_penalty must be greater than zero, got 0.0.",
         "repetition_penalty"),
        (#""n": 0"#, "n must be at least 1, got 0.", "n"),
        (#""n": 16385"#, "n must be at most 16384, got 16385. To increase this limit, set the VLLM_MAX_N_SEQUENCES "
            + "environment variable.", "n"),
        (#""n": 2, "temperature": 0"#, "n must be 1 when using greedy sampling, got 2.", "n"),
        (#""stop": ["ok", ""]"#, "stop cannot contain an empty string.", "stop"),
        (#""stop": """#, "stop cannot contain an empty string.", "stop"),
        (#""min_tokens": -1"#, "min_tokens must be greater than or equal to 0, got -1.", "min_tokens"),
        (#""logit_bias": {"abc": 1, "5": 1, "x1": 2}"#,
         "logit_bias contains key(s) that cannot be converted to integer token IDs: ['abc', 'x1']", "logit_bias"),
        (#""logit_bias": {"+_5": 1, "1__0": 1, "_1": 1, "1_": 1, "": 1, "0x1": 1, "-0": 1}"#,
         "logit_bias contains key(s) that cannot be converted to integer token IDs: "
            + "['+_5', '1__0', '_1', '1_', '', '0x1']", "logit_bias"),
        (#""logit_bias": {"96": 1, "97": 1, "-1": 1}"#,
         "token_id(s) [97, -1] in logit_bias contain out-of-vocab token ids. Vocabulary size: 97", "logit_bias"),
    ])
    func rejectsOutOfRangeValues(fields: String, message: String, param: String) {
        #expect(caughtError { _ = try parameters(fields) } == badRequest(message, param: param))
    }

    @Test func boundaryValuesAreAccepted() throws {
        let edges = try parameters(#""temperature": 0, "top_p": 1, "top_k": -1, "min_p": 1, "presence_penalty": -2, "#
            + #""frequency_penalty": 2, "repetition_penalty": 0.01, "n": 1"#)
        #expect(edges.sampling.topK == 0 && edges.sampling.presencePenalty == -2)
        #expect(edges.sampling.isGreedy)
    }

    @Test func unsetFieldsComeFromGenerationDefaultsAndSetFieldsWin() throws {
        var defaults = SamplingParameters()
        defaults.temperature = 0.6
        defaults.topP = 0.95
        defaults.topK = 20
        defaults.repetitionPenalty = 1.05
        let inherited = try parameters("", defaults: defaults).sampling
        #expect(inherited.temperature == 0.6 && inherited.topP == 0.95 && inherited.topK == 20)
        #expect(inherited.repetitionPenalty == 1.05 && inherited.minP == 0)
        let explicit = try parameters(#""temperature": 1.0, "top_p": 0.5, "top_k": 0"#, defaults: defaults).sampling
        #expect(explicit.temperature == 1 && explicit.topP == 0.5 && explicit.topK == 0)
        let vllm = try parameters("").sampling
        #expect(vllm == SamplingParameters())
    }

    @Test func greedyRequestsDropTheCutOffsAsVLLMDoes() throws {
        let greedy = try parameters(#""temperature": 0, "top_p": 0.5, "top_k": 5, "min_p": 0.2"#).sampling
        #expect(greedy.topP == 1 && greedy.topK == 0 && greedy.minP == 0)
    }

    @Test func logitBiasKeysBecomeIdsWithBiasesClamped() throws {
        let bias = try parameters(#""logit_bias": {"65": 5, " 66 ": -200, "+1_0": 300}"#).sampling.logitBias
        #expect(bias == [65: 5, 66: -100, 10: 100])
    }

    @Test func seedMinusOneMeansRandomAndNegativeSeedsKeepTheirBits() throws {
        #expect(try parameters(#""seed": -1"#).sampling.seed == nil)
        #expect(try parameters(#""seed": 42"#).sampling.seed == 42)
        #expect(try parameters(#""seed": -2"#).sampling.seed == UInt64.max - 1)
    }

    @Test func stoppingOptionsPassThroughWithStopTokenIdsDeduplicated() throws {
        let result = try parameters(#""stop": "END", "stop_token_ids": [7, 3, 7], "ignore_eos": true, "#
            + #""min_tokens": 2, "include_stop_str_in_output": true, "skip_special_tokens": false, "n": 3"#)
        #expect(result == GenerationParameters(
            sampling: result.sampling, n: 3, stop: ["END"], stopTokenIds: [7, 3], ignoreEos: true, minTokens: 2,
            includeStopStrInOutput: true, skipSpecialTokens: false))
    }
}
