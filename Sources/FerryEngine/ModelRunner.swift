// SPDX-License-Identifier: Apache-2.0
import FerryKernels
import FerryModel
import FerryScheduling

/// Runs one scheduler step on the model: builds one flat batch (token ids, positions, slot mapping, block tables,
/// query start offsets, context lengths) over prefill chunks and decodes together, runs the forward pass, and
/// samples a token for every request whose scheduled tokens reach its end.
///
/// Confined to the engine thread. Keeps each request's random generator until the request finishes.
final class ModelRunner {
    let model: TransformerModel
    let cache: KVCache
    private var generators: [RequestID: RandomGenerator] = [:]

    init(model: TransformerModel, cache: KVCache) {
        self.model = model
        self.cache = cache
    }

    /// The flat batch of a scheduler step. Sampling rows are each sampling request's last scheduled token.
    static func makeBatch(_ output: SchedulerOutput, blockSize: Int) -> (ForwardBatch, sampling: [ScheduledRequest]) {
        var ids: [Int32] = [], positions: [Int32] = [], slots: [Int64] = []
        var starts: [Int32] = [0], lengths: [Int32] = [], logitsIndices: [Int] = []
        var sampling: [ScheduledRequest] = []
        let width = output.scheduledRequests.map(\.blockIds.count).max() ?? 0
        var tables: [Int32] = []
        tables.reserveCapacity(width * output.scheduledRequests.count)
        for scheduled in output.scheduledRequests {
            for (offset, token) in scheduled.tokenIds.enumerated() {
                let position = scheduled.numComputedTokens + offset
                ids.append(Int32(token))
                positions.append(Int32(position))
                slots.append(Int64(scheduled.blockIds[position / blockSize] * blockSize + position % blockSize))
            }
            starts.append(Int32(ids.count))
            lengths.append(Int32(scheduled.contextLength))
            tables += scheduled.blockIds.map { Int32($0) }
            tables += repeatElement(0, count: width - scheduled.blockIds.count)
            if scheduled.samplesToken {
                logitsIndices.append(ids.count - 1)
                sampling.append(scheduled)
            }
        }
        let metadata = AttentionMetadata(slotMapping: slots, queryStartLoc: starts, contextLens: lengths,
                                         blockTables: tables, maxBlocksPerSeq: max(width, 1))
        return (ForwardBatch(tokenIds: ids, positions: positions, attention: metadata, logitsIndices: logitsIndices),
                sampling)
    }

    /// Runs the step and returns the sampled token of each sampling request.
    /// - Parameter requests: looks up a request's parameters and tokens so far.
    func execute(_ output: SchedulerOutput, requests: (RequestID) -> Request?) throws
        -> [RequestID: SampledToken]
    {
        let (batch, sampling) = Self.makeBatch(output, blockSize: cache.blockSize)
        guard batch.numTokens > 0 else { return [:] }
        let logits = try model.forward(batch, cache: cache)
        let vocab = model.config.vocabSize
        var sampled: [RequestID: SampledToken] = [:]
        for (row, scheduled) in sampling.enumerated() {
            guard let request = requests(scheduled.requestId) else { continue }
            let parameters = request.samplingParameters
            var generator = generators[scheduled.requestId]
                ?? RandomGenerator(seed: parameters.seed ?? UInt64.random(in: 0...UInt64.max))
            sampled[scheduled.requestId] = Sampler.sample(
                logits: logits[(row * vocab)..<((row + 1) * vocab)], parameters: parameters,
                promptTokenIds: request.promptTokenIds, outputTokenIds: request.outputTokenIds,
                generator: &generator)
            generators[scheduled.requestId] = generator
        }
        return sampled
    }

    /// Forgets a finished request's generator.
    func release(_ requestId: RequestID) {
        generators[requestId] = nil
    }
}
