// SPDX-License-Identifier: Apache-2.0

extension Tokenizer {
    /// Builds the tokenizer a GGUF file describes, matching llama.cpp's tokenization of the same vocabulary.
    ///
    /// `llama`: SentencePiece BPE by scores (or by merges when the file has them) with byte fallback, `▁` for
    /// spaces and a leading `▁` when `addSpacePrefix`. `gpt2`: byte-level BPE by merges, split by the regex `pre`
    /// names. Control and unknown-type tokens become special added tokens, user-defined ones plain added tokens;
    /// all are matched in the text.
    /// - Throws: `TokenizerError.unsupportedModel` / `.unsupportedPreTokenizer` for a `model` or `pre` this module
    ///   does not know, `.invalidValue` when scores or merges are missing, `.badMerge` for a malformed merge.
    public convenience init(gguf: GGUFVocabulary) throws(TokenizerError) {
        guard gguf.tokens.count < Vocabulary.maxId else {
            throw .invalidValue(key: "tokenizer.ggml.tokens", reason: "\(gguf.tokens.count) tokens is too many")
        }
        let vocabulary = Vocabulary(entries: gguf.tokens.enumerated().map { ($1, $0) })
        let types = gguf.tokenTypes ?? []
        var addedTokens: [AddedToken] = []
        for (index, type) in types.enumerated() where index < gguf.tokens.count {
            switch type {
            case GGUFVocabulary.TokenType.control, GGUFVocabulary.TokenType.unknown:
                addedTokens.append(AddedToken(id: Int32(index), content: gguf.tokens[index], isSpecial: true))
            case GGUFVocabulary.TokenType.userDefined:
                addedTokens.append(AddedToken(id: Int32(index), content: gguf.tokens[index], isSpecial: false))
            default:
                continue
            }
        }
        let bosId = gguf.validId(gguf.bosTokenId)
        let eosId = gguf.validId(gguf.eosTokenId)

        let model: TokenModel
        let normalizer: Normalizer?
        let preTokenizer: PreTokenizer?
        let decoder: TokenDecoder
        var addsBos = gguf.addBosToken
        switch gguf.model {
        case "llama":
            let unknownId = gguf.validId(gguf.unknownTokenId)
            if let merges = gguf.merges {
                model = .bpe(try BPEModel(vocabulary: vocabulary, merges: try Self.mergePairs(merges),
                                          unknownId: unknownId, fusesUnknown: true, usesByteFallback: true,
                                          ignoresMerges: false))
            } else {
                guard let scores = gguf.scores, scores.count == gguf.tokens.count else {
                    throw .invalidValue(key: "tokenizer.ggml.scores", reason: "a llama vocabulary needs one per token")
                }
                model = .sentencePiece(SentencePieceModel(vocabulary: vocabulary, scores: scores, unknownId: unknownId))
            }
            let addsSpacePrefix = gguf.addSpacePrefix ?? true
            let spaces = Normalizer.replace(pattern: " ", content: "\u{2581}")
            normalizer = addsSpacePrefix ? .sequence([.prepend("\u{2581}"), spaces]) : spaces
            preTokenizer = nil
            var stages: [TokenDecoder] = [.replace(pattern: "\u{2581}", content: " "), .byteFallback, .fuse]
            if addsSpacePrefix { stages.append(.strip(content: 0x20, start: 1, stop: 0)) }
            decoder = .sequence(stages)
            addsBos = addsBos ?? true
        case "gpt2":
            guard let merges = gguf.merges else {
                throw .invalidValue(key: "tokenizer.ggml.merges", reason: "a gpt2 vocabulary needs merges")
            }
            let split = try Self.byteLevelSplit(pre: gguf.pre)
            model = .bpe(try BPEModel(vocabulary: vocabulary, merges: try Self.mergePairs(merges), unknownId: nil,
                                      fusesUnknown: false, usesByteFallback: false, ignoresMerges: split.ignoresMerges))
            normalizer = split.normalizer
            preTokenizer = split.preTokenizer
            decoder = .byteLevel
            addsBos = addsBos ?? split.addsBos
        case let other:
            throw .unsupportedModel("GGUF tokenizer.ggml.model \(other)")
        }

        var template: [PostProcessor.TemplateElement] = []
        if addsBos == true, let bosId { template.append(.tokens([bosId])) }
        template.append(.sequence)
        if gguf.addEosToken == true, let eosId { template.append(.tokens([eosId])) }
        self.init(model: model, addedTokens: addedTokens, normalizer: normalizer, preTokenizer: preTokenizer,
                  postProcessor: .template(template), decoder: decoder, bosTokenId: bosId.map(Int.init),
                  eosTokenId: eosId.map(Int.init), chatTemplate: gguf.chatTemplate)
    }

    private static func mergePairs(_ merges: [String]) throws(TokenizerError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(merges.count)
        for (rank, line) in merges.enumerated() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw .badMerge(rank: rank, reason: "\"\(line)\" is not \"left right\"") }
            pairs.append((String(parts[0]), String(parts[1])))
        }
        return pairs
    }

    /// The byte-level pre-tokenizer llama.cpp uses for a `tokenizer.ggml.pre` name, and the normalizer Hugging Face
    /// adds for it.
    ///
    /// Note: Qwen2's tokenizer.json normalizes to NFC and llama.cpp does not; we follow Hugging Face (and so vLLM),
    /// so decomposed input like `cafe\u{301}` encodes as `café` would.
    private static func byteLevelSplit(pre: String?) throws(TokenizerError)
        -> (preTokenizer: PreTokenizer, normalizer: Normalizer?, ignoresMerges: Bool, addsBos: Bool)
    {
        let byteLevelOnly = PreTokenizer.byteLevel(addPrefixSpace: false, useRegex: false)
        func regexSplit(_ scanner: SplitScanner) -> PreTokenizer {
            .sequence([.split(SplitRule(pattern: .scanner(scanner), behavior: .isolated)), byteLevelOnly])
        }
        switch pre ?? "default" {
        case "default", "gpt-2", "gpt2", "phi-2", "jina-v2-es", "jina-v2-de":
            return (.byteLevel(addPrefixSpace: false, useRegex: true), nil, false, false)
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            let digits = PreTokenizer.split(SplitRule(pattern: .numericScalar, behavior: .isolated))
            return (.sequence([digits, .byteLevel(addPrefixSpace: false, useRegex: true)]), nil, false, false)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "dbrx", "smaug-bpe":
            return (regexSplit(.llama3(maxDigits: 3, unicodeCaseFolding: false)), nil, true, true)
        case "qwen2", "deepseek-r1-qwen", "megrez":
            return (regexSplit(.llama3(maxDigits: 1, unicodeCaseFolding: false)), .nfc, false, false)
        case let other:
            throw .unsupportedPreTokenizer("GGUF tokenizer.ggml.pre \(other)")
        }
    }
}
