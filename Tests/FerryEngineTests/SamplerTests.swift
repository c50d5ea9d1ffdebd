// SPDX-License-Identifier: Apache-2.0
import FerryScheduling
import Foundation
import Testing
@testable import FerryEngine

@Suite struct SamplerTests {
    let logits: [Float] = [0.5, 2.0, 1.9, -1.0, 0.0, 1.0, 3.0, -2.0]

    func sample(_ parameters: SamplingParameters, logits: [Float]? = nil, prompt: [Int] = [], output: [Int] = [],
                seed: UInt64 = 7) -> SampledToken
    {
        var generator = RandomGenerator(seed: seed)
        return Sampler.sample(logits: (logits ?? self.logits)[...], parameters: parameters, promptTokenIds: prompt,
                              outputTokenIds: output, generator: &generator)
    }

    @Test func greedyPicksTheArgmax() {
        var parameters = SamplingParameters()
        parameters.temperature = 0
        #expect(sample(parameters).id == 6)
    }

    @Test func theSameSeedGivesTheSameTokens() {
        var parameters = SamplingParameters()
        parameters.temperature = 1.5
        let draws = { (seed: UInt64) -> [Int] in
            var generator = RandomGenerator(seed: seed)
            return (0..<50).map { _ in
                Sampler.sample(logits: self.logits[...], parameters: parameters, promptTokenIds: [],
                               outputTokenIds: [], generator: &generator).id
            }
        }
        #expect(draws(42) == draws(42))
        #expect(draws(42) != draws(43))
        #expect(Set(draws(42)).count > 2)
    }

    @Test func topKOfOneIsGreedy() {
        var parameters = SamplingParameters()
        parameters.topK = 1
        for seed in 0..<20 { #expect(sample(parameters, seed: UInt64(seed)).id == 6) }
    }

    @Test func topPKeepsOnlyTheNucleus() {
        var parameters = SamplingParameters()
        parameters.topP = 0.5  // token 6 alone holds about half the mass; token 1 completes it
        let seen = Set((0..<200).map { sample(parameters, seed: UInt64($0)).id })
        #expect(seen.isSubset(of: [6, 1]))
    }

    @Test func minPDropsTokensFarBelowTheTop() {
        var parameters = SamplingParameters()
        parameters.minP = 0.3  // keeps tokens with p ≥ 0.3·p(6): ids 6, 1, 2
        let seen = Set((0..<300).map { sample(parameters, seed: UInt64($0)).id })
        #expect(seen.isSubset(of: [6, 1, 2]))
        #expect(seen.count == 3)
    }

    @Test func logitBiasCanForceAToken() {
        var parameters = SamplingParameters()
        parameters.temperature = 0
        parameters.logitBias = [3: 100]
        #expect(sample(parameters).id == 3)
    }

    @Test func penaltiesLowerTokensAlreadySeen() {
        var parameters = SamplingParameters()
        parameters.temperature = 0
        parameters.repetitionPenalty = 2  // 3.0 → 1.5, below 2.0
        #expect(sample(parameters, prompt: [6]).id == 1)
        parameters.repetitionPenalty = 1
        parameters.frequencyPenalty = 0.6  // two occurrences: 3.0 → 1.8
        #expect(sample(parameters, output: [6, 6]).id == 1)
        parameters.frequencyPenalty = 0
        parameters.presencePenalty = 1.5
        #expect(sample(parameters, output: [6, 6, 1]).id == 2)
    }

    @Test func logprobsAreTheRawLogSoftmaxAndTopTokensAreOrdered() {
        var parameters = SamplingParameters()
        parameters.temperature = 0
        parameters.logprobs = 3
        parameters.logitBias = [0: 50]
        let token = sample(parameters)
        let normalizer = log(logits.map { exp(Double($0)) }.reduce(0, +))
        #expect(token.id == 0)
        #expect(abs(Double(token.logprob) - (0.5 - normalizer)) < 1e-5)
        #expect(token.topLogprobs.map(\.id) == [6, 1, 2])
        #expect(abs(Double(token.topLogprobs[0].logprob) - (3.0 - normalizer)) < 1e-5)
    }
}
