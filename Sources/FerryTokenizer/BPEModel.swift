// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
import Synchronization

/// Byte-pair encoding by merge rank (Hugging Face `tokenizers` `BPE`): byte-level vocabularies (GPT-2, Llama 3,
/// Qwen2, SmolLM2) and SentencePiece-converted ones with `byte_fallback` (Llama 2, Phi-3, stories260K).
struct BPEModel: Sendable {
    let vocabulary: Vocabulary
    /// `left << 32 | right` → `rank << 32 | mergedId`.
    let merges: [UInt64: UInt64]
    let unknownId: Int32?
    /// Consecutive unknown characters become one `unk` token.
    let fusesUnknown: Bool
    /// Characters missing from the vocabulary become their `<0xNN>` byte tokens.
    let usesByteFallback: Bool
    /// A piece that is itself a token is emitted whole, without merging (Llama 3).
    let ignoresMerges: Bool
    let cache = BPEWordCache()

    /// Reads the `model` object of a tokenizer.json of type `BPE`.
    /// - Throws: `TokenizerError` naming a malformed vocabulary or merge, or an unsupported option.
    init(json: JSONValue) throws(TokenizerError) {
        guard let vocabPairs = json["vocab"]?.objectValue else {
            throw .invalidValue(key: "model.vocab", reason: "expected an object of token → id")
        }
        var entries: [(text: String, id: Int)] = []
        entries.reserveCapacity(vocabPairs.count)
        for (text, value) in vocabPairs {
            guard let id = value.intValue, id >= 0, id < Vocabulary.maxId else {
                throw .invalidValue(key: "model.vocab.\(text)", reason: "expected an id in 0..<\(Vocabulary.maxId)")
            }
            entries.append((text, id))
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = json[key], !value.isNull, value.stringValue != "" {
                throw .unsupportedModel("BPE with \(key)")
            }
        }
        if let dropout = json["dropout"], !dropout.isNull, case .number(let rate) = dropout, rate > 0 {
            throw .unsupportedModel("BPE with dropout \(rate)")
        }
        let vocabulary = Vocabulary(entries: entries)
        var mergePairs: [(String, String)] = []
        let mergeList = json["merges"]?.arrayValue ?? []
        mergePairs.reserveCapacity(mergeList.count)
        for (rank, merge) in mergeList.enumerated() {
            if let line = merge.stringValue {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw .badMerge(rank: rank, reason: "\"\(line)\" is not \"left right\"") }
                mergePairs.append((String(parts[0]), String(parts[1])))
            } else if let pair = merge.arrayValue, pair.count == 2, let left = pair[0].stringValue,
                let right = pair[1].stringValue
            {
                mergePairs.append((left, right))
            } else {
                throw .badMerge(rank: rank, reason: "expected \"left right\" or [left, right]")
            }
        }
        var unknownId: Int32?
        if let unk = json["unk_token"]?.stringValue {
            guard let id = vocabulary.id(for: unk) else { throw .unknownToken(unk) }
            unknownId = id
        }
        try self.init(vocabulary: vocabulary, merges: mergePairs, unknownId: unknownId,
                      fusesUnknown: try json.bool("fuse_unk", default: false, path: "model"),
                      usesByteFallback: try json.bool("byte_fallback", default: false, path: "model"),
                      ignoresMerges: try json.bool("ignore_merges", default: false, path: "model"))
    }

    /// - Parameter merges: merge pairs, highest priority first.
    /// - Throws: `TokenizerError.badMerge` when a merge names a token that is not in the vocabulary.
    init(vocabulary: Vocabulary, merges mergePairs: [(String, String)], unknownId: Int32?, fusesUnknown: Bool,
         usesByteFallback: Bool, ignoresMerges: Bool) throws(TokenizerError) {
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(mergePairs.count)
        for (rank, (left, right)) in mergePairs.enumerated() {
            guard let leftId = vocabulary.id(for: left), let rightId = vocabulary.id(for: right) else {
                throw .badMerge(rank: rank, reason: "\"\(left) \(right)\": a part is not in the vocabulary")
            }
            guard let mergedId = vocabulary.id(for: left + right) else {
                throw .badMerge(rank: rank, reason: "\"\(left)\(right)\" is not in the vocabulary")
            }
            merges[BPEWord.pairKey(leftId, rightId)] = UInt64(rank) << 32 | UInt64(UInt32(mergedId))
        }
        self.vocabulary = vocabulary
        self.merges = merges
        self.unknownId = unknownId
        self.fusesUnknown = fusesUnknown
        self.usesByteFallback = usesByteFallback
        self.ignoresMerges = ignoresMerges
    }

    /// Appends the ids of one pre-tokenized piece.
    /// - Parameters:
    ///   - scalars: the segment buffer; `range` is the piece.
    ///   - word: scratch reused across pieces.
    func tokenize(_ scalars: [UInt32], _ range: Range<Int>, into ids: inout [Int32], word: inout BPEWord) {
        let piece = scalars[range]
        if let cached = cache.lookup(piece) {
            ids.append(contentsOf: cached)
            return
        }
        let start = ids.count
        if ignoresMerges, let whole = vocabulary.id(forUTF8: ArraySlice(Self.utf8(piece))) {
            ids.append(whole)
        } else {
            seed(piece, into: &word)
            word.mergeAll(merges)
            word.emit(into: &ids)
        }
        if piece.count < BPEWordCache.maxWordLength { cache.store(piece, Array(ids[start...])) }
    }

    /// One symbol per scalar (Hugging Face `BPE::merge_word`): the scalar's token, else its byte tokens, else `unk`.
    private func seed(_ piece: ArraySlice<UInt32>, into word: inout BPEWord) {
        word.reset()
        var pendingUnknown = false
        for value in piece {
            if let id = vocabulary.id(forScalar: value) {
                if pendingUnknown, let unknownId {
                    word.append(unknownId)
                    pendingUnknown = false
                }
                word.append(id)
                continue
            }
            if usesByteFallback, let byteIds = byteTokens(of: value) {
                // Note: like `tokenizers`, a pending `unk` is not flushed before byte tokens.
                for id in byteIds { word.append(id) }
                continue
            }
            guard let unknownId else { continue }
            if pendingUnknown && !fusesUnknown { word.append(unknownId) }
            pendingUnknown = true
        }
        if pendingUnknown, let unknownId { word.append(unknownId) }
    }

    /// The `<0xNN>` ids of the scalar's UTF-8 bytes, or nil if one is missing.
    private func byteTokens(of value: UInt32) -> [Int32]? {
        var result: [Int32] = []
        for byte in Self.utf8(CollectionOfOne(value)) {
            let id = vocabulary.byteIds[Int(byte)]
            guard id >= 0 else { return nil }
            result.append(id)
        }
        return result
    }

    static func utf8(_ scalars: some Sequence<UInt32>) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in scalars {
            guard let scalar = Unicode.Scalar(value) else { continue }
            bytes.append(contentsOf: scalar.utf8)
        }
        return bytes
    }
}

/// Ids of recently tokenized pieces, shared by all callers of one tokenizer (Hugging Face's BPE cache: up to 10,000
/// pieces shorter than 256 scalars; when full, new pieces are no longer stored).
///
/// A `Mutex` guards `entries`; `encode` may run on many threads at once.
final class BPEWordCache: Sendable {
    static let capacity = 10_000
    static let maxWordLength = 256
    private let entries = Mutex<[ArraySlice<UInt32>: [Int32]]>([:])

    func lookup(_ piece: ArraySlice<UInt32>) -> [Int32]? {
        entries.withLock { $0[piece] }
    }

    func store(_ piece: ArraySlice<UInt32>, _ ids: [Int32]) {
        // Copy the key so the cache never keeps a whole input buffer alive.
        let key = ArraySlice(Array(piece))
        entries.withLock { entries in
            if entries.count < Self.capacity { entries[key] = ids }
        }
    }
}
