// SPDX-License-Identifier: Apache-2.0
import FerryKernels
import Foundation
import TestSupport
import Testing
@testable import FerryModel

/// One case of `../shared/fixtures/model/*.json`.
struct ModelFixtureCase {
    let promptIds: [Int]
    let greedyIds: [Int]
    let clearPrefixTokens: Int
    let argmaxPerPosition: [Int]
    let lastLogits: [Float]?
    let lastTop20: [(id: Int, logit: Float)]

    static func load(_ fixture: String) throws -> [ModelFixtureCase] {
        let root = try #require(try SharedData.json("fixtures/model/\(fixture).json") as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        return cases.map { item in
            ModelFixtureCase(
                promptIds: item["prompt_ids"] as! [Int],
                greedyIds: item["greedy_ids"] as! [Int],
                clearPrefixTokens: item["clear_prefix_tokens"] as! Int,
                argmaxPerPosition: item["argmax_per_position"] as! [Int],
                lastLogits: (item["last_logits"] as? [Double])?.map { Float($0) },
                lastTop20: (item["last_top20"] as! [[Double]]).map { (Int($0[0]), Float($0[1])) })
        }
    }
}

/// The backend these tests run on: the CPU, or the GPU named by `FERRY_TEST_DEVICE=cuda|hip` (the kernel library
/// from `FERRY_KERNELS_PATH`, e.g. `.build/gpu`), so the same fixtures and tolerances check a GPU backend.
func testBackend(threads: Int) throws -> any ComputeBackend {
    let name = ProcessInfo.processInfo.environment["FERRY_TEST_DEVICE"] ?? "cpu"
    let device = try #require(ComputeDevice(rawValue: name), "FERRY_TEST_DEVICE must be cpu, cuda or hip")
    return try DeviceSelection.open(device, threads: threads).backend
}

/// Runs a model on one sequence over a private paged cache.
struct FixtureRunner {
    let model: TransformerModel
    let blockSize = 16

    init(_ relativePath: String, threads: Int = 2) throws {
        let path = try #require(SharedData.path(relativePath)).path
        model = try TransformerModel.load(path: path, backend: testBackend(threads: threads))
    }

    /// Logits of every prompt position. Shape: [prompt.count, vocab].
    func promptLogits(_ prompt: [Int]) throws -> [[Float]] {
        let blocks = (prompt.count + blockSize) / blockSize
        let cache = try model.makeKVCache(numBlocks: blocks, blockSize: blockSize)
        let batch = ForwardBatch.single(tokens: prompt.map { Int32($0) }, numCachedTokens: 0,
                                        blockIds: (0..<blocks).map { Int32($0) }, blockSize: blockSize,
                                        allLogits: true)
        let flat = try model.forward(batch, cache: cache)
        let vocab = model.config.vocabSize
        return (0..<prompt.count).map { Array(flat[($0 * vocab)..<(($0 + 1) * vocab)]) }
    }

    /// Greedy continuation, one token per forward pass after the prompt's prefill.
    func greedy(_ prompt: [Int], count: Int) throws -> [Int] {
        let blocks = (prompt.count + count + blockSize) / blockSize
        let blockIds = (0..<blocks).map { Int32($0) }
        let cache = try model.makeKVCache(numBlocks: blocks, blockSize: blockSize)
        var tokens = prompt.map { Int32($0) }
        var computed = 0
        var output: [Int] = []
        while output.count < count {
            let batch = ForwardBatch.single(tokens: tokens, numCachedTokens: computed, blockIds: blockIds,
                                            blockSize: blockSize)
            let logits = try model.forward(batch, cache: cache)
            computed = tokens.count
            let next = logits.indices.max { logits[$0] < logits[$1] }!
            output.append(next)
            tokens.append(Int32(next))
        }
        return output
    }
}

func argmax(_ values: [Float]) -> Int { values.indices.max { values[$0] < values[$1] }! }

@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared/models and ../shared/fixtures"))
struct Stories260KFixtureTests {
    static let variants: [(folder: String, fixture: String, tolerance: Float)] = [
        ("models/stories260K", "stories260K", 1e-3),
        ("models/stories260K-bf16-sharded", "stories260K-bf16-sharded", 5e-2),
        ("models/stories260K-as-qwen2", "stories260K-as-qwen2", 1e-3),
        ("models/stories260K-as-mistral", "stories260K-as-mistral", 1e-3),
        ("models/stories260K-gguf/stories260K.gguf", "stories260K", 1e-3),
    ]

    @Test("Last-position logits match transformers and prefill argmax matches at every position",
          arguments: variants)
    func logitsMatchTheReference(variant: (folder: String, fixture: String, tolerance: Float)) throws {
        let runner = try FixtureRunner(variant.folder)
        for fixture in try ModelFixtureCase.load(variant.fixture) {
            let logits = try runner.promptLogits(fixture.promptIds)
            #expect(logits.map(argmax) == fixture.argmaxPerPosition)
            let expected = try #require(fixture.lastLogits)
            let worst = zip(logits.last!, expected).map { abs($0 - $1) }.max()!
            #expect(worst <= variant.tolerance, "max |Δlogit| \(worst) in \(variant.folder)")
        }
    }

    @Test("48 greedy tokens are identical to transformers", arguments: variants)
    func greedyTokensMatchTheReference(variant: (folder: String, fixture: String, tolerance: Float)) throws {
        let runner = try FixtureRunner(variant.folder)
        for fixture in try ModelFixtureCase.load(variant.fixture) {
            #expect(try runner.greedy(fixture.promptIds, count: fixture.greedyIds.count) == fixture.greedyIds)
        }
    }
}

@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared/fixtures/model/SmolLM2-135M-Instruct.json"))
struct SmolLM2FixtureTests {
    @Test func quantizedModelMatchesTheReferenceLogitsAndGreedyPrefix() throws {
        let runner = try FixtureRunner("models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf")
        for fixture in try ModelFixtureCase.load("SmolLM2-135M-Instruct") {
            let logits = try runner.promptLogits(fixture.promptIds).last!
            let worst = fixture.lastTop20.map { abs(logits[$0.id] - $0.logit) }.max()!
            #expect(worst <= 1.0, "max |Δlogit| over the reference top-20: \(worst)")
            let greedy = try runner.greedy(fixture.promptIds, count: fixture.clearPrefixTokens)
            #expect(greedy == Array(fixture.greedyIds.prefix(fixture.clearPrefixTokens)))
        }
    }
}
