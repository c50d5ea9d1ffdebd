// SPDX-License-Identifier: Apache-2.0
import FerryKernels
import FerryModel
import FerryScheduling

/// Generates continuations of a fixed set of prompts together: prefill in chunks, then every unfinished sequence
/// decodes in one flat batch per step over the paged KV cache.
///
/// The simple generator behind `ferry generate` and `ferry bench`; the server's engine schedules the same forward
/// pass continuously. Each sequence owns a fixed run of blocks. Called from one thread.
public final class BatchGenerator {
    public let model: TransformerModel
    public let blockSize: Int
    /// Most tokens one prefill forward pass takes.
    public var prefillChunkSize = 512

    public init(model: TransformerModel, blockSize: Int = 16) {
        self.model = model
        self.blockSize = blockSize
    }

    /// What one sequence asks for.
    public struct Sequence: Sendable {
        public var promptTokenIds: [Int]
        public var parameters: SamplingParameters
        public var maxTokens: Int
        /// Tokens that end the sequence (not included in the output).
        public var stopTokenIds: Set<Int>

        public init(promptTokenIds: [Int], parameters: SamplingParameters, maxTokens: Int, stopTokenIds: Set<Int>) {
            self.promptTokenIds = promptTokenIds
            self.parameters = parameters
            self.maxTokens = maxTokens
            self.stopTokenIds = stopTokenIds
        }
    }

    /// Timings of one `generate` call, in seconds.
    public struct Timings: Sendable {
        public var prefillSeconds: Double = 0
        public var decodeSeconds: Double = 0
        public var prefillTokens = 0
        public var decodeSteps = 0
        public var decodedTokens = 0
    }

    /// Runs every sequence to `maxTokens` or a stop token and calls `onToken(sequenceIndex, token)` as tokens come.
    /// Returns each sequence's output ids and the timings.
    /// - Throws: `KernelError` from the forward pass, `BatchGeneratorError` for an empty or too long prompt.
    public func generate(_ sequences: [Sequence], onToken: (Int, SampledToken) -> Void = { _, _ in }) throws
        -> (outputs: [[Int]], timings: Timings)
    {
        let maxContext = model.config.maxPositionEmbeddings
        for sequence in sequences {
            guard !sequence.promptTokenIds.isEmpty else { throw BatchGeneratorError.emptyPrompt }
            guard sequence.promptTokenIds.count + sequence.maxTokens <= maxContext else {
                throw BatchGeneratorError.tooLong(tokens: sequence.promptTokenIds.count + sequence.maxTokens,
                                                  maxModelLen: maxContext)
            }
        }
        let blocksPerSequence = sequences.map { ($0.promptTokenIds.count + $0.maxTokens + blockSize) / blockSize }
        let cache = try model.makeKVCache(numBlocks: max(1, blocksPerSequence.reduce(0, +)), blockSize: blockSize)
        var firstBlock = 0
        let blockTables: [[Int32]] = blocksPerSequence.map { count in
            defer { firstBlock += count }
            return (firstBlock..<(firstBlock + count)).map { Int32($0) }
        }
        var generators = sequences.enumerated().map { index, sequence in
            RandomGenerator(seed: sequence.parameters.seed ?? UInt64.random(in: 0...UInt64.max))
        }
        var outputs = Array(repeating: [Int](), count: sequences.count)
        var tokens = sequences.map { $0.promptTokenIds }
        var timings = Timings()
        var active: [Int] = []

        // MARK: Prefill, one sequence at a time in chunks; the last chunk's logits give the first token.
        let clock = ContinuousClock()
        for (index, sequence) in sequences.enumerated() {
            let prompt = sequence.promptTokenIds.map { Int32($0) }
            var computed = 0
            var logits: [Float] = []
            let start = clock.now
            while computed < prompt.count {
                let end = min(prompt.count, computed + prefillChunkSize)
                let batch = ForwardBatch.single(tokens: Array(prompt[..<end]), numCachedTokens: computed,
                                                blockIds: blockTables[index], blockSize: blockSize)
                logits = try model.forward(batch, cache: cache)
                computed = end
            }
            timings.prefillSeconds += (clock.now - start).inSeconds
            timings.prefillTokens += prompt.count
            if accept(index, logits[...], sequences, &generators, &outputs, &tokens, onToken) { active.append(index) }
        }

        // MARK: Decode all active sequences together.
        let vocab = model.config.vocabSize
        while !active.isEmpty {
            let start = clock.now
            var ids: [Int32] = [], positions: [Int32] = [], slots: [Int64] = [], starts: [Int32] = [0]
            var lengths: [Int32] = [], tables: [Int32] = []
            let width = active.map { blockTables[$0].count }.max()!
            for index in active {
                let position = tokens[index].count - 1
                ids.append(Int32(tokens[index][position]))
                positions.append(Int32(position))
                slots.append(Int64(blockTables[index][position / blockSize]) * Int64(blockSize)
                             + Int64(position % blockSize))
                starts.append(starts.last! + 1)
                lengths.append(Int32(position + 1))
                tables += blockTables[index] + Array(repeating: 0, count: width - blockTables[index].count)
            }
            let metadata = AttentionMetadata(slotMapping: slots, queryStartLoc: starts, contextLens: lengths,
                                             blockTables: tables, maxBlocksPerSeq: width)
            let batch = ForwardBatch(tokenIds: ids, positions: positions, attention: metadata,
                                     logitsIndices: Array(0..<active.count))
            let logits = try model.forward(batch, cache: cache)
            timings.decodeSeconds += (clock.now - start).inSeconds
            timings.decodeSteps += 1
            timings.decodedTokens += active.count
            active = active.enumerated().filter { row, index in
                accept(index, logits[(row * vocab)..<((row + 1) * vocab)], sequences, &generators, &outputs, &tokens,
                       onToken)
            }.map(\.element)
        }
        return (outputs, timings)
    }

    /// Samples a token for sequence `index`; returns true while the sequence goes on.
    private func accept(_ index: Int, _ logits: ArraySlice<Float>, _ sequences: [Sequence],
                        _ generators: inout [RandomGenerator], _ outputs: inout [[Int]], _ tokens: inout [[Int]],
                        _ onToken: (Int, SampledToken) -> Void) -> Bool
    {
        let sequence = sequences[index]
        let token = Sampler.sample(logits: logits, parameters: sequence.parameters,
                                   promptTokenIds: sequence.promptTokenIds, outputTokenIds: outputs[index],
                                   generator: &generators[index])
        if sequence.stopTokenIds.contains(token.id) { return false }
        outputs[index].append(token.id)
        tokens[index].append(token.id)
        onToken(index, token)
        return outputs[index].count < sequence.maxTokens
    }
}

/// Why `BatchGenerator` refused a sequence.
public enum BatchGeneratorError: Error, Equatable, CustomStringConvertible {
    case emptyPrompt
    case tooLong(tokens: Int, maxModelLen: Int)

    public var description: String {
        switch self {
        case .emptyPrompt: "the prompt is empty"
        case .tooLong(let tokens, let limit):
            "prompt plus max tokens is \(tokens) tokens, more than the model's maximum context of \(limit)"
        }
    }
}
