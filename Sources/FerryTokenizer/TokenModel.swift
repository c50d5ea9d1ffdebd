// SPDX-License-Identifier: Apache-2.0

/// The model stage: turns one pre-tokenized piece into ids.
enum TokenModel: Sendable {
    /// Merge-rank BPE (tokenizer.json `BPE`, GGUF `gpt2`).
    case bpe(BPEModel)
    /// Score-driven SentencePiece BPE (GGUF `llama` without merges).
    case sentencePiece(SentencePieceModel)

    var vocabulary: Vocabulary {
        switch self {
        case .bpe(let model): model.vocabulary
        case .sentencePiece(let model): model.vocabulary
        }
    }

    /// Appends the ids of `scalars[range]`; `word` is scratch reused across pieces.
    @inline(__always)
    func tokenize(_ scalars: [UInt32], _ range: Range<Int>, into ids: inout [Int32], word: inout BPEWord) {
        switch self {
        case .bpe(let model): model.tokenize(scalars, range, into: &ids, word: &word)
        case .sentencePiece(let model): model.tokenize(scalars, range, into: &ids)
        }
    }
}
