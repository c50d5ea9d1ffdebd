// SPDX-License-Identifier: Apache-2.0

/// The flat description of one step's sequences that attention needs: prefill chunks and decodes together.
public struct AttentionMetadata: Sendable {
    /// Shape: [numTokens]. Cache slot of each token of the step (negative: not stored).
    public var slotMapping: [Int64]
    /// Shape: [numSeqs + 1]. Sequence s owns query rows `[queryStartLoc[s], queryStartLoc[s+1])`.
    public var queryStartLoc: [Int32]
    /// Shape: [numSeqs]. Tokens in the cache for each sequence once this step's tokens are stored.
    public var contextLens: [Int32]
    /// Shape: [numSeqs, maxBlocksPerSeq], padded with 0. Block ids of each sequence in order.
    public var blockTables: [Int32]
    public var maxBlocksPerSeq: Int

    public init(slotMapping: [Int64], queryStartLoc: [Int32], contextLens: [Int32], blockTables: [Int32],
                maxBlocksPerSeq: Int) {
        self.slotMapping = slotMapping
        self.queryStartLoc = queryStartLoc
        self.contextLens = contextLens
        self.blockTables = blockTables
        self.maxBlocksPerSeq = maxBlocksPerSeq
    }

    /// Number of sequences in the step.
    public var numSeqs: Int { contextLens.count }
}
