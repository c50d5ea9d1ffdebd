// SPDX-License-Identifier: Apache-2.0

/// A tokenizer as GGUF metadata describes it; the model loader fills one from the `tokenizer.*` keys.
///
/// Field names follow the GGUF keys (`tokenizer.ggml.<name>`). Ids outside `tokens` (GGUF writes 0xFFFFFFFF for
/// "none") are treated as absent.
public struct GGUFVocabulary: Sendable {
    /// `tokenizer.ggml.model`: `llama` (SentencePiece BPE with scores) or `gpt2` (byte-level BPE with merges).
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer name (`default`, `gpt-2`, `smollm`, `qwen2`, `llama-bpe`, ...).
    public var pre: String?
    /// `tokenizer.ggml.tokens`: token text by id.
    public var tokens: [String]
    /// `tokenizer.ggml.scores`: SentencePiece scores by id (higher merges first).
    public var scores: [Float]?
    /// `tokenizer.ggml.token_type` by id: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int32]?
    /// `tokenizer.ggml.merges`: `"left right"`, highest priority first.
    public var merges: [String]?
    /// `tokenizer.ggml.bos_token_id`.
    public var bosTokenId: Int?
    /// `tokenizer.ggml.eos_token_id`.
    public var eosTokenId: Int?
    /// `tokenizer.ggml.unknown_token_id`: what a character with no token and no byte token becomes.
    public var unknownTokenId: Int?
    /// `tokenizer.ggml.padding_token_id` (kept for the loader; tokenization does not use it).
    public var paddingTokenId: Int?
    /// `tokenizer.ggml.add_bos_token`; when absent, true for `llama` and for Llama-3-style `gpt2` vocabularies.
    public var addBosToken: Bool?
    /// `tokenizer.ggml.add_eos_token`; false when absent.
    public var addEosToken: Bool?
    /// `tokenizer.ggml.add_space_prefix`: SentencePiece prepends `▁` to the text; true when absent.
    public var addSpacePrefix: Bool?
    /// `tokenizer.chat_template`.
    public var chatTemplate: String?

    public init(model: String, pre: String? = nil, tokens: [String], scores: [Float]? = nil,
                tokenTypes: [Int32]? = nil, merges: [String]? = nil, bosTokenId: Int? = nil, eosTokenId: Int? = nil,
                unknownTokenId: Int? = nil, paddingTokenId: Int? = nil, addBosToken: Bool? = nil,
                addEosToken: Bool? = nil, addSpacePrefix: Bool? = nil, chatTemplate: String? = nil) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.unknownTokenId = unknownTokenId
        self.paddingTokenId = paddingTokenId
        self.addBosToken = addBosToken
        self.addEosToken = addEosToken
        self.addSpacePrefix = addSpacePrefix
        self.chatTemplate = chatTemplate
    }

    /// GGUF token types (`tokenizer.ggml.token_type`).
    enum TokenType {
        static let normal: Int32 = 1
        static let unknown: Int32 = 2
        static let control: Int32 = 3
        static let userDefined: Int32 = 4
        static let unused: Int32 = 5
        static let byte: Int32 = 6
    }

    /// The id if it names a token, else nil.
    func validId(_ id: Int?) -> Int32? {
        guard let id, id >= 0, id < tokens.count else { return nil }
        return Int32(id)
    }
}
