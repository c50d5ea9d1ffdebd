// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Foundation
import Testing

@Suite struct CompletionStreamEncoderTests {
    let encoder = CompletionStreamEncoder(id: "cmpl-s", created: 42, model: "tiny")

    @Test func chunksAreTextCompletionObjectsWithOneChoice() throws {
        let event = encoder.chunk(CompletionChoice(index: 1, text: "Hel"))
        #expect(String(decoding: event, as: UTF8.self) == "data: " + #"{"id":"cmpl-s","object":"text_completion","#
            + #""created":42,"model":"tiny","choices":[{"index":1,"text":"Hel","logprobs":null,"finish_reason":null,"#
            + #""stop_reason":null}]}"# + "\n\n")
    }

    @Test func terminalChunkCarriesFinishReasonStopReasonAndFingerprint() throws {
        let event = encoder.chunk(CompletionChoice(index: 0, text: "", finishReason: .stop, stopReason: .string("END")),
                                  systemFingerprint: "fp")
        #expect(try eventJSON(event) == ParsedJSON("""
            {"id": "cmpl-s", "object": "text_completion", "created": 42, "model": "tiny", "system_fingerprint": "fp",
             "choices": [{"index": 0, "text": "", "logprobs": null, "finish_reason": "stop", "stop_reason": "END"}]}
            """))
    }

    @Test func continuousUsageRidesOnEachChunkAndTheUsageChunkHasNoChoices() throws {
        let usage = Usage(promptTokens: 3, completionTokens: 1)
        #expect(try eventJSON(encoder.chunk(CompletionChoice(index: 0, text: "a"), usage: usage))["usage"]
            == ParsedJSON(#"{"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}"#))
        #expect(try eventJSON(encoder.usageChunk(Usage(promptTokens: 3, completionTokens: 5))) == ParsedJSON("""
            {"id": "cmpl-s", "object": "text_completion", "created": 42, "model": "tiny", "choices": [],
             "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}}
            """))
    }
}
