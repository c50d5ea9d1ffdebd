// SPDX-License-Identifier: Apache-2.0

/// The `tokenizer.ggml.*` metadata of a GGUF file, as plain values.
///
/// FerryModel does not depend on FerryTokenizer: the executable converts this into the tokenizer module's own
/// type. Made by `GGUFFile.tokenizerFields()`, reached through `ModelFiles.tokenizer` (`.gguf`).
public struct GGUFTokenizerFields: Sendable, Equatable {
    /// `tokenizer.ggml.model`: "llama" (SentencePiece), "gpt2" (byte-level BPE), ...
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer name ("smollm", "qwen2", "llama-bpe", ...), nil when absent.
    public var pre: String?
    /// `tokenizer.ggml.tokens`: token strings by id.
    public var tokens: [String]
    /// `tokenizer.ggml.scores`: SentencePiece scores by id, nil when absent (BPE vocabularies).
    public var scores: [Float]?
    /// `tokenizer.ggml.token_type`: llama.cpp token types by id (1 normal, 2 unknown, 3 control, 4 user-defined,
    /// 5 unused, 6 byte), nil when absent.
    public var tokenTypes: [Int]?
    /// `tokenizer.ggml.merges`: BPE merges as "left right", nil when absent.
    public var merges: [String]?
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var unknownTokenId: Int?
    public var paddingTokenId: Int?
    /// `tokenizer.ggml.add_bos_token`, nil when the file does not say (llama.cpp then decides by model type).
    public var addBosToken: Bool?
    public var addEosToken: Bool?
    public var addSpacePrefix: Bool?
    /// `tokenizer.chat_template` (Jinja), nil when absent.
    public var chatTemplate: String?

    public init(model: String, pre: String? = nil, tokens: [String], scores: [Float]? = nil,
                tokenTypes: [Int]? = nil, merges: [String]? = nil, bosTokenId: Int? = nil, eosTokenId: Int? = nil,
                unknownTokenId: Int? = nil, paddingTokenId: Int? = nil, addBosToken: Bool? = nil,
                addEosToken: Bool? = nil, addSpacePrefix: Bool? = nil, chatTemplate: String? = nil)
    {
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
}

extension GGUFFile {
    /// True when the file carries a vocabulary (`tokenizer.ggml.tokens`).
    public var hasTokenizer: Bool { metadata["tokenizer.ggml.tokens"] != nil }

    /// The vocabulary and tokenizer settings stored in the file.
    /// - Throws: `ModelError.invalidMetadata` when `tokenizer.ggml.model` or `.tokens` is absent, a key has the wrong
    ///   type, or a per-token array's length differs from the token count.
    public func tokenizerFields() throws(ModelError) -> GGUFTokenizerFields {
        guard let model = try string("tokenizer.ggml.model") else {
            throw .invalidMetadata(file: path, key: "tokenizer.ggml.model", reason: "missing")
        }
        guard let tokens = try stringArray("tokenizer.ggml.tokens") else {
            throw .invalidMetadata(file: path, key: "tokenizer.ggml.tokens", reason: "missing")
        }
        let scores = try floatArray("tokenizer.ggml.scores")
        let types = try intArray("tokenizer.ggml.token_type")
        for (key, count) in [("tokenizer.ggml.scores", scores?.count), ("tokenizer.ggml.token_type", types?.count)]
        where count != nil && count != tokens.count {
            throw .invalidMetadata(file: path, key: key, reason: "\(count ?? 0) entries for \(tokens.count) tokens")
        }
        return GGUFTokenizerFields(
            model: model, pre: try string("tokenizer.ggml.pre"), tokens: tokens, scores: scores, tokenTypes: types,
            merges: try stringArray("tokenizer.ggml.merges"),
            bosTokenId: try tokenID("tokenizer.ggml.bos_token_id"),
            eosTokenId: try tokenID("tokenizer.ggml.eos_token_id"),
            unknownTokenId: try tokenID("tokenizer.ggml.unknown_token_id"),
            paddingTokenId: try tokenID("tokenizer.ggml.padding_token_id"),
            addBosToken: try bool("tokenizer.ggml.add_bos_token"),
            addEosToken: try bool("tokenizer.ggml.add_eos_token"),
            addSpacePrefix: try bool("tokenizer.ggml.add_space_prefix"),
            chatTemplate: try string("tokenizer.chat_template"))
    }
}
