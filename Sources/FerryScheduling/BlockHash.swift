// SPDX-License-Identifier: Apache-2.0

/// The exact identity of a full KV block's contents, the key of the prefix cache (vLLM `BlockHash` /
/// `BlockHashWithGroupId`; Ferry has one KV-cache group, so there is no group id).
///
/// vLLM chains digests, `hash(parentHash, tokenIds)`, and accepts a (tiny) chance that two prefixes collide. Ferry
/// keys on the block's token ids themselves plus the parent's *content id*: a number `BlockPool` hands out once per
/// distinct cached key and never reuses. Two keys are equal only when their token ids are equal and their parents
/// are the same cached content, so by induction two blocks share a key only when their whole prefixes are equal:
/// two different prompts never share a block, whatever `hashValue` does. `hashValue` (Swift's seeded SipHash) only
/// picks the dictionary bucket; the dictionary then compares the tokens.
///
/// A child keyed on a parent whose content was evicted can never be found again (its parent's content id is dead);
/// such a block is merely wasted until LRU reuses it. Freeing a request's blocks tail-first makes that rare.
public struct BlockHash: Hashable, Sendable, CustomStringConvertible {
    /// Content id of the previous block of the sequence; `BlockHash.noParent` for a sequence's first block.
    public let parentContentId: UInt64
    /// The block's `blockSize` token ids, in order.
    public let tokenIds: [Int]

    /// The parent content id of a sequence's first block.
    public static let noParent: UInt64 = 0

    public init(parentContentId: UInt64, tokenIds: [Int]) {
        self.parentContentId = parentContentId
        self.tokenIds = tokenIds
    }

    public var description: String { "BlockHash(parent: \(parentContentId), tokens: \(tokenIds))" }
}
