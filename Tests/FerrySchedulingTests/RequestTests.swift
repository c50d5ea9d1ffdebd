// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryScheduling

@Suite struct RequestTests {
    /// The status after appending `outputs` one by one, stopping at the first stop condition.
    func finish(_ request: Request, outputs: [Int], maxNumTokens: Int = 1000) -> (RequestStatus, Int?)? {
        var request = request
        for token in outputs {
            request.appendOutputTokenIds([token])
            if let stop = request.stopCondition(maxNumTokens: maxNumTokens) { return stop }
        }
        return nil
    }

    @Test func statusesAreOrderedSoThatFinishedIsARange() {
        #expect(RequestStatus.waiting < .running && RequestStatus.running < .preempted)
        #expect([RequestStatus.waiting, .running, .preempted].allSatisfy { !$0.isFinished && $0.finishReason == nil })
        #expect(RequestStatus.finishedStopped.finishReason?.rawValue == "stop")
        #expect(RequestStatus.finishedLengthCapped.finishReason?.rawValue == "length")
        #expect(RequestStatus.finishedAborted.finishReason?.rawValue == "abort")
    }

    @Test func outputTokensGrowTheTokenCountAfterThePrompt() {
        var request = makeRequest("a", prompt: [1, 2, 3])
        request.appendOutputTokenIds([4, 5])
        #expect(request.numPromptTokens == 3)
        #expect(request.numTokens == 5)
        #expect(request.allTokenIds == [1, 2, 3, 4, 5])
        #expect(request.outputTokenIds == [4, 5])
    }

    @Test func maxTokensFinishesWithLength() {
        let result = finish(makeRequest("a", prompt: [1], maxTokens: 3), outputs: [5, 5, 5, 5])
        #expect(result?.0 == .finishedLengthCapped)
    }

    @Test func theLengthCapOfModelOrCacheFinishesWithLength() {
        let result = finish(makeRequest("a", prompt: [1, 1], maxTokens: 100), outputs: [5, 5, 5], maxNumTokens: 4)
        #expect(result?.0 == .finishedLengthCapped)
    }

    @Test func eosFinishesWithStopAndNoStopReason() {
        let request = makeRequest("a", prompt: [1], eosTokenIds: [2, 9])
        #expect(finish(request, outputs: [5, 9]).map { $0.0 } == .finishedStopped)
        #expect(finish(request, outputs: [5, 9])?.1 == nil)
    }

    @Test func ignoreEosKeepsGoingPastEos() {
        let request = makeRequest("a", prompt: [1], maxTokens: 4, eosTokenIds: [9]) { $0.ignoreEos = true }
        #expect(finish(request, outputs: [9, 9, 9, 9])?.0 == .finishedLengthCapped)
    }

    @Test func aStopTokenIdFinishesWithStopAndBecomesTheStopReason() {
        let request = makeRequest("a", prompt: [1]) { $0.stopTokenIds = [42] }
        let result = finish(request, outputs: [5, 42, 6])
        #expect(result?.0 == .finishedStopped)
        #expect(result?.1 == 42)
    }

    @Test func minTokensHoldsBackEosAndStopTokens() {
        let request = makeRequest("a", prompt: [1], eosTokenIds: [9]) {
            $0.minTokens = 3
            $0.stopTokenIds = [42]
        }
        #expect(finish(request, outputs: [9, 42]) == nil)
        #expect(finish(request, outputs: [9, 42, 9])?.0 == .finishedStopped)
    }
}
