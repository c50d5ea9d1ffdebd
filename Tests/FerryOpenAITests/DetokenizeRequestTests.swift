// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Testing

@Suite struct DetokenizeRequestTests {
    @Test func decodesIdsKeepingSpecialTokens() throws {
        let request = try DetokenizeRequest(body: Array(#"{"tokens": [95, 72, 73]}"#.utf8))
        let response = try request.detokenize(tokenizer: TestTokenizers.tiny, servedModelNames: Served.names)
        #expect(response == DetokenizeResponse(prompt: "<s>hi"))
        #expect(response.encoded() == Array(#"{"prompt":"<s>hi"}"#.utf8))
    }

    @Test func rejectsIdsOutsideTheVocabularyAndMissingTokens() throws {
        let request = try DetokenizeRequest(body: Array(#"{"tokens": [1, 97]}"#.utf8))
        #expect(caughtError { _ = try request.detokenize(tokenizer: TestTokenizers.tiny, servedModelNames: Served.names) }
            == badRequest("Token id 97 is out of vocabulary", param: "tokens"))
        #expect(caughtError { _ = try DetokenizeRequest(body: Array("{}".utf8)) } == .missingField("tokens"))
        #expect(caughtError { _ = try DetokenizeRequest(body: Array(#"{"tokens": "1"}"#.utf8)) }
            == schemaError("`tokens` must be a list of integers, got a string.", param: "tokens"))
    }
}
