// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Testing

@Suite struct StopStringMatcherTests {
    /// Feeds `pieces` and returns the text sent, the stop that matched, and what `finish()` flushed.
    private func run(_ stops: [String], _ pieces: [String], include: Bool = false)
        -> (sent: [String], stop: String?, flushed: String)
    {
        var matcher = StopStringMatcher(stops: stops, includeStopStringInOutput: include)
        var sent: [String] = []
        var stop: String?
        for piece in pieces {
            let output = matcher.append(piece)
            sent.append(output.text)
            if let matched = output.matchedStop { stop = matched }
        }
        return (sent, stop, matcher.finish())
    }

    @Test func withoutStopStringsTextPassesStraightThrough() {
        let result = run([], ["Hello", " world"])
        #expect(result.sent == ["Hello", " world"] && result.stop == nil && result.flushed == "")
    }

    @Test func stopInsideOnePieceTruncatesBeforeIt() {
        let result = run(["END"], ["abcENDxyz"])
        #expect(result.sent == ["abc"] && result.stop == "END")
    }

    @Test func stopAcrossPieceBoundariesIsFoundAndItsStartHeldBack() {
        let result = run(["END"], ["abc E", "N", "Dzz", "more"])
        #expect(result.sent == ["abc ", "", "", ""])
        #expect(result.stop == "END" && result.flushed == "")
    }

    @Test func heldBackTextIsReleasedOnceItCannotMatch() {
        let result = run(["END"], ["abE", "Nx", "y"])
        #expect(result.sent == ["ab", "ENx", "y"] && result.stop == nil)
    }

    @Test func finishFlushesTextStillHeldBack() {
        let result = run(["</answer>"], ["42 </ans"])
        #expect(result.sent == ["42 "] && result.stop == nil && result.flushed == "</ans")
    }

    @Test func includeStopStringKeepsItAndDropsOnlyWhatFollows() {
        let result = run(["END"], ["abE", "ND!", "more"], include: true)
        #expect(result.sent == ["abE", "ND", ""] && result.stop == "END")
        #expect(run(["END"], ["xENDy"], include: true).sent == ["xEND"])
    }

    @Test func theStopThatCompletesFirstWinsRegardlessOfListOrder() {
        // "bc" completes at the third character, "abcd" only at the fourth.
        #expect(run(["abcd", "bc"], ["abcd"]).sent == ["a"])
        #expect(run(["abcd", "bc"], ["abcd"]).stop == "bc")
        #expect(run(["bc", "abcd"], ["a", "b", "c", "d"]).stop == "bc")
    }

    @Test func stopsEndingTogetherPreferTheLongerOne() {
        let result = run(["cd", "bcd"], ["ab", "cd"])
        #expect(result.stop == "bcd" && result.sent.joined() == "a")
    }

    @Test func overlappingPartialMatchesAreTrackedLikeKMP() {
        // "aab" inside "aaab": a naive restart after the mismatch would miss it.
        #expect(run(["aab"], ["a", "a", "a", "b", "c"]).sent.joined() == "a")
        let repeated = run(["abab"], ["aba", "bab"])
        #expect(repeated.stop == "abab" && repeated.sent.joined() == "")
        let holding = run(["abac"], ["ab", "ab", "x"])
        #expect(holding.sent == ["", "ab", "abx"] && holding.stop == nil)
    }

    @Test func theResultDoesNotDependOnHowTextIsSplit() {
        let text = "The answer is 42.\nQuestion: next"
        let stops = ["\nQuestion:", "Q", "42."]
        let whole = run(stops, [text])
        let characters = run(stops, text.map(String.init))
        #expect(whole.sent.joined() == "The answer is ")
        #expect(characters.sent.joined() == whole.sent.joined() && characters.stop == whole.stop)
        #expect(whole.stop == "42.")
    }

    @Test func multiByteCharactersAreNeverSplit() {
        let result = run(["é!"], ["caf", "é", "é", "!"])
        #expect(result.sent == ["caf", "", "é", ""] && result.stop == "é!")
        let emoji = run(["😀😀"], ["a😀", "b"])
        #expect(emoji.sent == ["a", "😀b"] && emoji.stop == nil)
    }

    @Test func piecesAfterAMatchAreIgnored() {
        var matcher = StopStringMatcher(stops: ["x"], includeStopStringInOutput: false)
        #expect(matcher.append("axb") == StopStringMatcher.Output(text: "a", matchedStop: "x"))
        #expect(matcher.isStopped)
        #expect(matcher.append("more") == StopStringMatcher.Output(text: ""))
        #expect(matcher.finish() == "")
    }
}
