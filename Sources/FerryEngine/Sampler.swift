// SPDX-License-Identifier: Apache-2.0
import FerryScheduling
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A token id with its log-probability under the model.
public struct TokenLogprob: Sendable, Equatable {
    public let id: Int
    public let logprob: Float
}

/// The token chosen for one sequence at one step, with the log-probabilities asked for.
public struct SampledToken: Sendable, Equatable {
    public let id: Int
    /// Log-probability of `id` under the model's raw distribution (before penalties and temperature, as vLLM).
    public let logprob: Float
    /// The `parameters.logprobs` most likely tokens, most likely first; empty when none were asked for.
    public let topLogprobs: [TokenLogprob]
}

/// Chooses the next token from one row of logits, in vLLM's order: logit bias, penalties (repetition, frequency,
/// presence), then greedy argmax, or temperature, min-p, top-k, top-p and a draw from the request's generator.
public enum Sampler {
    /// Below this probability relative to the top token, a token cannot survive top-k/top-p: it is left out of the
    /// sort (its mass is at most vocab × 1e-10).
    static let negligibleLogitGap: Float = 23  // ln(1e10)

    /// Called on the engine thread for each sequence that needs a token this step.
    /// - Parameters:
    ///   - logits: the raw logits of the sequence's last position. Shape: [vocabSize].
    ///   - promptTokenIds / outputTokenIds: what the repetition, frequency and presence penalties look at.
    ///   - generator: the request's own generator, advanced by one draw when sampling (not when greedy).
    public static func sample(logits: ArraySlice<Float>, parameters: SamplingParameters, promptTokenIds: [Int],
                              outputTokenIds: [Int], generator: inout RandomGenerator) -> SampledToken
    {
        if parameters.isGreedy, parameters.logitBias.isEmpty, parameters.repetitionPenalty == 1,
           parameters.frequencyPenalty == 0, parameters.presencePenalty == 0, parameters.logprobs == nil
        {
            // The common greedy case: no copy of the row, one pass.
            return SampledToken(id: argmax(logits), logprob: 0, topLogprobs: [])
        }
        let raw = Array(logits)
        var scores = raw
        applyBiasAndPenalties(&scores, parameters: parameters, promptTokenIds: promptTokenIds,
                              outputTokenIds: outputTokenIds)
        let chosen = parameters.isGreedy
            ? argmax(scores)
            : draw(&scores, parameters: parameters, generator: &generator)
        return logprobs(raw, chosen: chosen, top: parameters.logprobs ?? -1)
    }

    // MARK: - Steps

    static func applyBiasAndPenalties(_ scores: inout [Float], parameters: SamplingParameters,
                                      promptTokenIds: [Int], outputTokenIds: [Int])
    {
        let vocab = scores.count
        for (id, bias) in parameters.logitBias where id >= 0 && id < vocab { scores[id] += bias }
        if parameters.repetitionPenalty != 1 {
            let penalty = parameters.repetitionPenalty
            for id in Set(promptTokenIds).union(outputTokenIds) where id >= 0 && id < vocab {
                scores[id] = scores[id] > 0 ? scores[id] / penalty : scores[id] * penalty
            }
        }
        if parameters.frequencyPenalty != 0 || parameters.presencePenalty != 0 {
            var counts: [Int: Int] = [:]
            for id in outputTokenIds where id >= 0 && id < vocab { counts[id, default: 0] += 1 }
            for (id, count) in counts {
                scores[id] -= parameters.frequencyPenalty * Float(count) + parameters.presencePenalty
            }
        }
    }

    /// Offset of the largest score (the first on ties) from the collection's start.
    static func argmax(_ scores: some RandomAccessCollection<Float>) -> Int {
        var best = scores.startIndex
        for i in scores.indices where scores[i] > scores[best] { best = i }
        return scores.distance(from: scores.startIndex, to: best)
    }

    /// Temperature, then min-p, top-k and top-p over the plausible candidates, then one draw.
    static func draw(_ scores: inout [Float], parameters: SamplingParameters, generator: inout RandomGenerator)
        -> Int
    {
        let top = scores[argmax(scores)]
        let temperature = parameters.temperature
        // Candidates within the negligible gap of the top token, as (id, probability up to a constant).
        var floor = top - negligibleLogitGap * temperature
        if parameters.minP > 0 { floor = max(floor, top + temperature * Float(log(Double(parameters.minP)))) }
        var candidates: [(id: Int, weight: Float)] = []
        for (id, score) in scores.enumerated() where score >= floor {
            candidates.append((id, expf((score - top) / temperature)))
        }
        let needsOrder = (parameters.topK > 0 && parameters.topK < candidates.count) || parameters.topP < 1
        if needsOrder {
            candidates.sort { $0.weight > $1.weight || ($0.weight == $1.weight && $0.id < $1.id) }
            if parameters.topK > 0 && parameters.topK < candidates.count {
                candidates.removeLast(candidates.count - parameters.topK)
            }
            if parameters.topP < 1 {
                let total = candidates.reduce(0) { $0 + $1.weight }
                var cumulative: Float = 0
                var keep = 0
                for candidate in candidates {
                    keep += 1
                    cumulative += candidate.weight
                    if cumulative >= parameters.topP * total { break }
                }
                candidates.removeLast(candidates.count - keep)
            }
        }
        let total = candidates.reduce(0) { $0 + $1.weight }
        var target = generator.nextUnitFloat() * total
        for candidate in candidates {
            target -= candidate.weight
            if target < 0 { return candidate.id }
        }
        return candidates[candidates.count - 1].id
    }

    /// Log-softmax of the raw logits at `chosen`, and the `top` best (none when `top` < 0).
    static func logprobs(_ raw: [Float], chosen: Int, top: Int) -> SampledToken {
        guard top >= 0 else { return SampledToken(id: chosen, logprob: 0, topLogprobs: []) }
        let maximum = raw.max() ?? 0
        var sum: Double = 0
        for value in raw { sum += exp(Double(value - maximum)) }
        let logNormalizer = Float(log(sum)) + maximum
        var best: [TokenLogprob] = []
        if top > 0 {
            for (id, value) in raw.enumerated() where best.count < top || value > best[best.count - 1].logprob {
                let entry = TokenLogprob(id: id, logprob: value)
                let position = best.firstIndex { $0.logprob < value } ?? best.count
                best.insert(entry, at: position)
                if best.count > top { best.removeLast() }
            }
        }
        return SampledToken(
            id: chosen, logprob: raw[chosen] - logNormalizer,
            topLogprobs: best.map { TokenLogprob(id: $0.id, logprob: $0.logprob - logNormalizer) })
    }
}
