// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Testing

/// A deterministic generator for reproducible ids.
private struct CountingGenerator: RandomNumberGenerator {
    var state: UInt64 = 0
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return state
    }
}

@Suite struct RequestIDTests {
    @Test func randomIdsArePrefixedThirtyTwoLowercaseHexDigits() {
        var generator = CountingGenerator()
        let completion = RequestID.make(.completion, header: nil, using: &generator)
        let chat = RequestID.make(.chatCompletion, header: nil, using: &generator)
        #expect(completion.hasPrefix("cmpl-") && chat.hasPrefix("chatcmpl-"))
        for hex in [completion.dropFirst(5), chat.dropFirst(9)] {
            #expect(hex.count == 32)
            #expect(hex.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) })
        }
        #expect(completion.dropFirst(5) != chat.dropFirst(9))
    }

    @Test func sameGeneratorStateGivesTheSameId() {
        var first = CountingGenerator()
        var second = CountingGenerator()
        #expect(RequestID.make(.completion, header: nil, using: &first)
            == RequestID.make(.completion, header: nil, using: &second))
    }

    @Test func theXRequestIdHeaderReplacesTheRandomPartThenTheBodysRequestId() {
        var generator = CountingGenerator()
        #expect(RequestID.make(.completion, header: "abc-123", bodyRequestId: "body", using: &generator)
            == "cmpl-abc-123")
        #expect(RequestID.make(.chatCompletion, header: nil, bodyRequestId: "body", using: &generator)
            == "chatcmpl-body")
        #expect(RequestID.make(.chatCompletion, header: "", bodyRequestId: nil, using: &generator).count == 9 + 32)
    }

    @Test func systemRandomIdsDiffer() {
        #expect(RequestID.make(.completion, header: nil) != RequestID.make(.completion, header: nil))
    }
}
