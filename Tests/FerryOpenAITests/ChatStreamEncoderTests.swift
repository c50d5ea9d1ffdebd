// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Foundation
import Testing

@Suite struct ChatStreamEncoderTests {
    let encoder = ChatStreamEncoder(id: "chatcmpl-s", created: 7, model: "tiny")

    @Test func firstChunkCarriesTheRoleAndAnEmptyContent() {
        #expect(String(decoding: encoder.roleChunk(index: 0), as: UTF8.self) == "data: "
            + #"{"id":"chatcmpl-s","object":"chat.completion.chunk","created":7,"model":"tiny","choices":[{"index":0,"#
            + #""delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"# + "\n\n")
    }

    @Test func contentChunksCarryTheDeltaOnly() throws {
        #expect(try eventJSON(encoder.contentChunk(index: 0, content: "Hi")) == ParsedJSON("""
            {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 7, "model": "tiny",
             "choices": [{"index": 0, "delta": {"content": "Hi"}, "logprobs": null, "finish_reason": null}]}
            """))
    }

    @Test func terminalChunkAddsFinishAndStopReasons() throws {
        let logprobs = ChatLogprobs(content: [TokenLogprob(token: "!", logprob: -0.5, topLogprobs: [])])
        let event = encoder.contentChunk(index: 2, content: "!", logprobs: logprobs, finishReason: .stop,
                                         stopReason: .tokenId(2), tokenIds: [0], systemFingerprint: "fp")
        #expect(try eventJSON(event) == ParsedJSON("""
            {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 7, "model": "tiny",
             "system_fingerprint": "fp",
             "choices": [{"index": 2, "delta": {"content": "!"}, "finish_reason": "stop", "stop_reason": 2,
                          "token_ids": [0],
                          "logprobs": {"content": [{"token": "!", "logprob": -0.5, "bytes": [33],
                                                    "top_logprobs": []}]}}]}
            """))
        #expect(try eventJSON(encoder.contentChunk(index: 0, content: nil, finishReason: .length))["choices"]
            == ParsedJSON(#"[{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "length", "stop_reason": null}]"#))
    }

    @Test func usageChunkHasNoChoices() throws {
        #expect(try eventJSON(encoder.usageChunk(Usage(promptTokens: 2, completionTokens: 2), systemFingerprint: "f"))
            == ParsedJSON("""
            {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 7, "model": "tiny", "choices": [],
             "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}, "system_fingerprint": "f"}
            """))
    }

    @Test func aWholeStreamIsTheConcatenationOfItsEvents() {
        var stream: [UInt8] = []
        stream += encoder.roleChunk(index: 0)
        stream += encoder.contentChunk(index: 0, content: "a\nb")
        stream += encoder.contentChunk(index: 0, content: "", finishReason: .stop)
        stream += ServerSentEvents.done
        let events = String(decoding: stream, as: UTF8.self).components(separatedBy: "\n\n")
        #expect(events.count == 5 && events.last == "")
        #expect(events.dropLast().allSatisfy { $0.hasPrefix("data: ") && !$0.contains("\n") })
        #expect(events[3] == "data: [DONE]")
        #expect(events[1].contains(#""content":"a\nb""#))
    }
}
