// SPDX-License-Identifier: Apache-2.0
import FerryEngine
import FerryScheduling
import FerryTokenizer

/// One choice of a response while its tokens arrive: incremental detokenization, stop strings, log-probabilities
/// and the finish. A value owned by its `GenerationSession` (touched on the session's queue only).
struct ChoiceState {
    /// What one token (or the finish) adds to the choice.
    struct Delta {
        var text: String
        var logprobs: [TokenLogprob]
        var tokenIds: [Int]
    }

    let index: Int
    let engineRequestId: FerryScheduling.RequestID
    private var detokenizer: IncrementalDetokenizer
    private var stopMatcher: StopStringMatcher
    private(set) var text = ""
    private(set) var logprobs: [TokenLogprob] = []
    private(set) var tokenIds: [Int] = []
    private(set) var finishReason: FinishReason?
    private(set) var stopReason: StopReason?
    private(set) var metrics: RequestMetrics?
    private(set) var lastTokenTime: Double?
    let wantsLogprobs: Bool

    init(index: Int, engineRequestId: FerryScheduling.RequestID, tokenizer: Tokenizer, promptIds: [Int],
         parameters: GenerationParameters)
    {
        self.index = index
        self.engineRequestId = engineRequestId
        detokenizer = tokenizer.makeDetokenizer(skipSpecialTokens: parameters.skipSpecialTokens, promptIds: promptIds)
        stopMatcher = StopStringMatcher(stops: parameters.stop,
                                        includeStopStringInOutput: parameters.includeStopStrInOutput)
        wantsLogprobs = parameters.sampling.logprobs != nil
    }

    var isFinished: Bool { finishReason != nil }

    /// Adds a sampled token. Returns its delta, and whether a stop string just ended the choice (the caller then
    /// aborts the engine request).
    mutating func append(_ token: SampledToken, tokenizer: Tokenizer, now: Double) -> (Delta, stopped: Bool) {
        lastTokenTime = now
        tokenIds.append(token.id)
        let piece = detokenizer.append(token.id)
        var entries: [TokenLogprob] = []
        if wantsLogprobs {
            let top = token.topLogprobs.map {
                TopLogprob(token: tokenizer.decode([$0.id], skipSpecialTokens: false), logprob: Double($0.logprob))
            }
            entries.append(TokenLogprob(token: piece, logprob: Double(token.logprob), topLogprobs: top))
            logprobs += entries
        }
        let output = stopMatcher.append(piece)
        text += output.text
        if let stop = output.matchedStop {
            finishReason = .stop
            stopReason = .string(stop)
            return (Delta(text: output.text, logprobs: entries, tokenIds: [token.id]), true)
        }
        return (Delta(text: output.text, logprobs: entries, tokenIds: [token.id]), false)
    }

    /// Ends the choice as the engine reported; returns the text held back until now. No-op once finished.
    mutating func finish(_ reason: FerryScheduling.FinishReason, stopTokenId: Int?, metrics: RequestMetrics?)
        -> Delta?
    {
        self.metrics = metrics ?? self.metrics
        guard finishReason == nil else { return nil }
        var rest = stopMatcher.append(detokenizer.finish())
        var tail = rest.text
        if let stop = rest.matchedStop {
            finishReason = .stop
            stopReason = .string(stop)
        } else {
            tail += stopMatcher.finish()
            switch reason {
            case .stop:
                finishReason = .stop
                stopReason = stopTokenId.map { .tokenId($0) }
            case .length: finishReason = .length
            case .abort: finishReason = .abort
            }
        }
        rest.text = tail
        text += tail
        return Delta(text: tail, logprobs: [], tokenIds: [])
    }

    /// Records the engine's metrics after a stop string ended the choice first.
    mutating func record(_ metrics: RequestMetrics?) {
        if let metrics { self.metrics = metrics }
    }
}
