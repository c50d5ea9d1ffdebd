// SPDX-License-Identifier: Apache-2.0

extension ModelConfig {
    /// Reads the hyper-parameters of a `llama` GGUF file from its metadata (`llama.*` keys).
    ///
    /// Head dimension: `llama.attention.key_length`, else `llama.rope.dimension_count`, else hidden / heads.
    /// Vocabulary: `llama.vocab_size`, else the length of `tokenizer.ggml.tokens`, else the rows of `token_embd`.
    /// Embeddings are tied when the file has no `output.weight`. Called by `ModelFiles.load` when no config.json
    /// sits beside the GGUF.
    /// - Throws: `ModelError.unsupportedArchitecture` (architecture other than `llama`), `.invalidMetadata` (a
    ///   required key absent or mistyped), `.unsupportedRopeScaling`, `.invalidConfig` (impossible numbers).
    public init(gguf: GGUFFile) throws(ModelError) {
        guard let arch = try gguf.string("general.architecture") else {
            throw .invalidMetadata(file: gguf.path, key: "general.architecture", reason: "missing")
        }
        guard arch == "llama" else { throw .unsupportedArchitecture(file: gguf.path, architecture: arch) }
        func required(_ key: String) throws(ModelError) -> Int {
            guard let value = try gguf.int(key) else {
                throw .invalidMetadata(file: gguf.path, key: key, reason: "missing")
            }
            return value
        }
        modelType = .llama
        hiddenSize = try required("llama.embedding_length")
        numHiddenLayers = try required("llama.block_count")
        intermediateSize = try required("llama.feed_forward_length")
        numAttentionHeads = try required("llama.attention.head_count")
        numKeyValueHeads = try gguf.int("llama.attention.head_count_kv") ?? numAttentionHeads
        guard numAttentionHeads > 0 else {
            throw .invalidMetadata(file: gguf.path, key: "llama.attention.head_count", reason: "must be positive")
        }
        let keyLength = try gguf.int("llama.attention.key_length")
        let ropeDimensions = try gguf.int("llama.rope.dimension_count")
        headDim = keyLength ?? ropeDimensions ?? hiddenSize / numAttentionHeads
        guard let eps = try gguf.float("llama.attention.layer_norm_rms_epsilon") else {
            throw .invalidMetadata(file: gguf.path, key: "llama.attention.layer_norm_rms_epsilon", reason: "missing")
        }
        rmsNormEps = eps
        ropeTheta = try gguf.float("llama.rope.freq_base") ?? 10000
        maxPositionEmbeddings = try required("llama.context_length")
        let declaredVocab = try gguf.int("llama.vocab_size")
        let tokenCount = try gguf.stringArray("tokenizer.ggml.tokens")?.count
        vocabSize = declaredVocab ?? tokenCount ?? gguf.tensors["token_embd.weight"]?.shape.first ?? 0
        tieWordEmbeddings = gguf.tensors["output.weight"] == nil
        attentionBias = gguf.tensors["blk.0.attn_q.bias"] != nil
        slidingWindow = nil
        bosTokenId = try gguf.tokenID("tokenizer.ggml.bos_token_id")
        eosTokenIds = try gguf.tokenID("tokenizer.ggml.eos_token_id").map { [$0] } ?? []

        switch try gguf.string("llama.rope.scaling.type") ?? "none" {
        case "none":
            ropeScaling = nil
        case "linear":
            guard let factor = try gguf.float("llama.rope.scaling.factor") else {
                throw .invalidMetadata(file: gguf.path, key: "llama.rope.scaling.factor", reason: "missing")
            }
            ropeScaling = .linear(factor: factor)
        case let other:
            throw .unsupportedRopeScaling(file: gguf.path, type: other)
        }
        if ropeScaling == nil, gguf.tensors["rope_freqs.weight"] != nil {
            // Llama 3.1 GGUFs bake the llama3 scaling into a tensor; its parameters come from config.json.
            throw .unsupportedRopeScaling(file: gguf.path, type: "rope_freqs.weight tensor (put config.json beside)")
        }
        try validate(file: gguf.path)
    }
}

extension GGUFFile {
    /// A token id key, nil when absent or set to "none" (-1 or 0xFFFFFFFF, as llama.cpp writes).
    func tokenID(_ key: String) throws(ModelError) -> Int? {
        guard let id = try int(key), id >= 0, id != Int(UInt32.max) else { return nil }
        return id
    }
}
