// SPDX-License-Identifier: Apache-2.0
import FerryKernels

/// One flat batch for a forward pass: every token of every scheduled sequence this step, prefill chunks and decodes
/// together, with where each goes in the paged KV cache.
public struct ForwardBatch: Sendable {
    /// Shape: [numTokens]. Input token ids.
    public var tokenIds: [Int32]
    /// Shape: [numTokens]. Position of each token in its sequence.
    public var positions: [Int32]
    /// Slots, sequence boundaries, context lengths and block tables.
    public var attention: AttentionMetadata
    /// Rows of the batch whose logits are wanted (usually each sequence's last token), in output order.
    public var logitsIndices: [Int]

    public init(tokenIds: [Int32], positions: [Int32], attention: AttentionMetadata, logitsIndices: [Int]) {
        self.tokenIds = tokenIds
        self.positions = positions
        self.attention = attention
        self.logitsIndices = logitsIndices
    }

    /// Tokens in the batch.
    public var numTokens: Int { tokenIds.count }

    /// A batch of one sequence whose first `numCachedTokens` tokens are already in the cache, computing the rest,
    /// with logits for every new token when `allLogits`, else for the last one only.
    ///
    /// Blocks are `blockIds` in order; the sequence's slots follow from them and `blockSize`.
    public static func single(tokens: [Int32], numCachedTokens: Int, blockIds: [Int32], blockSize: Int,
                              allLogits: Bool = false) -> ForwardBatch
    {
        let newTokens = Array(tokens[numCachedTokens...])
        let positions = (numCachedTokens..<tokens.count).map { Int32($0) }
        let slots = positions.map { Int64(blockIds[Int($0) / blockSize]) * Int64(blockSize) + Int64($0) % Int64(blockSize) }
        let metadata = AttentionMetadata(
            slotMapping: slots, queryStartLoc: [0, Int32(newTokens.count)], contextLens: [Int32(tokens.count)],
            blockTables: blockIds, maxBlocksPerSeq: blockIds.count)
        let logits = allLogits ? Array(0..<newTokens.count) : [newTokens.count - 1]
        return ForwardBatch(tokenIds: newTokens, positions: positions, attention: metadata, logitsIndices: logits)
    }
}
