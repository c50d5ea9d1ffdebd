// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// Text ↔ token ids with Hugging Face `tokenizers` semantics: added tokens, normalizer, pre-tokenizer, BPE model,
/// post-processor and decoder, as read from tokenizer.json (+ tokenizer_config.json) or from GGUF metadata.
///
/// Immutable after loading and safe to share: `encode` and `decode` may run on any number of threads at once
/// (the BPE word cache inside is locked).
public final class Tokenizer: Sendable {
    let model: TokenModel
    let addedVocabulary: AddedVocabulary
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?

    /// Number of id slots: the highest id of the vocabulary or the added tokens, plus one.
    public let vocabularySize: Int
    /// Beginning-of-sequence token (tokenizer_config.json `bos_token`, GGUF `bos_token_id`, else the token a
    /// post-processor template puts first); nil when there is none.
    public let bosTokenId: Int?
    /// End-of-sequence token (tokenizer_config.json `eos_token`, GGUF `eos_token_id`); nil when unknown.
    public let eosTokenId: Int?
    /// The Jinja chat template (tokenizer_config.json `chat_template`, or its `default` entry; GGUF
    /// `tokenizer.chat_template`).
    public let chatTemplate: String?

    init(model: TokenModel, addedTokens: [AddedToken], normalizer: Normalizer?, preTokenizer: PreTokenizer?,
         postProcessor: PostProcessor?, decoder: TokenDecoder?, bosTokenId: Int?, eosTokenId: Int?,
         chatTemplate: String?) {
        self.model = model
        self.addedVocabulary = AddedVocabulary(tokens: addedTokens, normalizer: normalizer)
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.vocabularySize = max(model.vocabulary.count, (addedTokens.map { Int($0.id) }.max() ?? -1) + 1)
        self.bosTokenId = bosTokenId ?? postProcessor?.leadingIds.first.map(Int.init)
        self.eosTokenId = eosTokenId
        self.chatTemplate = chatTemplate
    }

    // MARK: - Encoding

    /// Token ids for `text`.
    ///
    /// Special tokens written in the text (`<|im_start|>`) are matched as those tokens, as `tokenizers` does.
    /// - Parameter addSpecialTokens: run the post-processor (for example, prepend BOS).
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        let scalars = text.unicodeScalars.map(\.value)
        var ids: [Int32] = []
        ids.reserveCapacity(scalars.count / 3 + 4)
        var word = BPEWord()
        for segment in addedVocabulary.segments(of: scalars, normalizer: normalizer) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let buffer, let isAtTextStart):
                var pieces = PreTokenizedText(scalars: buffer, isAtTextStart: isAtTextStart)
                preTokenizer?.apply(to: &pieces)
                for piece in pieces.pieces {
                    model.tokenize(pieces.scalars, piece.range, into: &ids, word: &word)
                }
            }
        }
        if addSpecialTokens, let postProcessor { ids = postProcessor.process(ids) }
        return ids.map(Int.init)
    }

    // MARK: - Decoding

    /// The text of `ids`. Ids outside the vocabulary are skipped.
    /// - Parameter skipSpecialTokens: drop added tokens marked special (BOS, EOS, `<|im_end|>`).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        decode(ids[...], skipSpecialTokens: skipSpecialTokens)
    }

    func decode(_ ids: ArraySlice<Int>, skipSpecialTokens: Bool) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard id >= 0, id < vocabularySize else { continue }
            if let added = addedVocabulary.token(withId: Int32(id)) {
                if skipSpecialTokens && added.isSpecial { continue }
                tokens.append(added.content)
            } else if let token = model.vocabulary.token(for: id) {
                tokens.append(token)
            }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens)
    }

    /// A streaming detokenizer that continues after `promptIds` (whose text it does not emit).
    public func makeDetokenizer(skipSpecialTokens: Bool, promptIds: [Int] = []) -> IncrementalDetokenizer {
        IncrementalDetokenizer(tokenizer: self, skipSpecialTokens: skipSpecialTokens, promptIds: promptIds)
    }

    // MARK: - Vocabulary

    /// The text of the BOS token, if any.
    public var bosToken: String? { bosTokenId.flatMap { token(forId: $0) } }
    /// The text of the EOS token, if any.
    public var eosToken: String? { eosTokenId.flatMap { token(forId: $0) } }

    /// The token's text as the vocabulary spells it (byte-level `Ġhello`, SentencePiece `▁hello`).
    public func token(forId id: Int) -> String? {
        guard id >= 0, id < vocabularySize else { return nil }
        return addedVocabulary.token(withId: Int32(id))?.content ?? model.vocabulary.token(for: id)
    }

    /// The id of a token spelled exactly so (compared by Unicode scalars, not canonical equivalence).
    public func id(forToken token: String) -> Int? {
        if let added = addedVocabulary.tokens.first(where: { $0.content.utf8.elementsEqual(token.utf8) }) {
            return Int(added.id)
        }
        return model.vocabulary.id(for: token).map(Int.init)
    }

    /// True for added tokens marked special.
    public func isSpecial(_ id: Int) -> Bool {
        guard id >= 0, id < Int(Int32.max) else { return false }
        return addedVocabulary.token(withId: Int32(id))?.isSpecial ?? false
    }
}
