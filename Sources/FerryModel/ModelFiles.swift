// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// Everything loaded from a model path: config, generation config, weights, and where the tokenizer lives.
///
/// `ModelFiles.load(path:)` accepts a Hugging Face folder (`config.json` + `model.safetensors` or
/// `model.safetensors.index.json` + shards), a `.gguf` file, or a folder holding one `.gguf` and no safetensors.
/// HF side files (`config.json`, `generation_config.json`, `tokenizer.json`, `tokenizer_config.json`) beside a
/// GGUF are used when present. Called by the executable at startup; the compute layer reads `config` and `weights`.
public struct ModelFiles: Sendable {
    /// The folder holding the model files (the GGUF's folder when a `.gguf` path was given).
    public let folder: URL
    public let config: ModelConfig
    /// `generation_config.json`, nil when the folder has none.
    public let generationConfig: GenerationConfig?
    /// The weights, by Hugging Face name, already validated against `config`.
    public let weights: WeightStore
    /// The parsed GGUF file when the weights come from one.
    public let gguf: GGUFFile?
    /// The tokenizer's source: `tokenizer.json` beside the model when present, else the GGUF vocabulary;
    /// nil when there is neither.
    public let tokenizer: TokenizerSource?

    /// Loads the model at `path` (a folder or a `.gguf` file) and validates the weights against the config.
    ///
    /// For a GGUF, `config.json` beside it is the config when present (its head counts must match the GGUF's),
    /// else the GGUF metadata is (`ModelConfig(gguf:)`).
    /// - Throws: `ModelError.missingFile` (path or config.json absent), `.noWeights`, and every error of the
    ///   config, safetensors, GGUF and weight-store loaders.
    public static func load(path: String) throws(ModelError) -> ModelFiles {
        let url = URL(fileURLWithPath: path)
        var isFolder = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw .missingFile(path: url.path)
        }
        if !isFolder {
            guard url.pathExtension.lowercased() == "gguf" else {
                throw .noWeights(path: url.path, reason: "a model file must be a .gguf (or give the HF folder)")
            }
            return try loadGGUF(url, folder: url.deletingLastPathComponent())
        }
        if WeightStore.hasSafetensors(in: url) {
            let config = try ModelConfig.load(contentsOf: url.appendingPathComponent("config.json"))
            let weights = try WeightStore.safetensors(folder: url)
            try weights.validate(against: config)
            return ModelFiles(folder: url, config: config, generationConfig: try generationConfig(in: url),
                              weights: weights, gguf: nil, tokenizer: huggingFaceTokenizer(in: url))
        }
        let ggufs = (try? FileManager.default.contentsOfDirectory(atPath: url.path))?
            .filter { $0.lowercased().hasSuffix(".gguf") }.sorted() ?? []
        guard ggufs.count == 1, let only = ggufs.first else {
            throw .noWeights(path: url.path, reason: ggufs.isEmpty
                ? "no model.safetensors, model.safetensors.index.json or .gguf file"
                : "several .gguf files (\(ggufs.joined(separator: ", "))): give the path of one")
        }
        return try loadGGUF(url.appendingPathComponent(only), folder: url)
    }

    /// Loads a GGUF model with optional HF side files from `folder`.
    private static func loadGGUF(_ file: URL, folder: URL) throws(ModelError) -> ModelFiles {
        let gguf = try GGUFFile(path: file.path)
        let weights = try WeightStore(gguf: gguf)
        let configURL = folder.appendingPathComponent("config.json")
        let config: ModelConfig
        if FileManager.default.fileExists(atPath: configURL.path) {
            config = try ModelConfig.load(contentsOf: configURL)
            let heads = try gguf.int("llama.attention.head_count")
            let kvHeads = try gguf.int("llama.attention.head_count_kv") ?? heads
            guard heads == config.numAttentionHeads, kvHeads == config.numKeyValueHeads else {
                throw .invalidConfig(file: configURL.path, reason: "heads \(config.numAttentionHeads)/"
                    + "\(config.numKeyValueHeads) differ from the GGUF's \(heads ?? 0)/\(kvHeads ?? 0)")
            }
        } else {
            config = try ModelConfig(gguf: gguf)
        }
        try weights.validate(against: config)
        let tokenizer = huggingFaceTokenizer(in: folder) ?? (gguf.hasTokenizer ? .gguf(gguf) : nil)
        return ModelFiles(folder: folder, config: config, generationConfig: try generationConfig(in: folder),
                          weights: weights, gguf: gguf, tokenizer: tokenizer)
    }

    private static func generationConfig(in folder: URL) throws(ModelError) -> GenerationConfig? {
        let url = folder.appendingPathComponent("generation_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try GenerationConfig.load(contentsOf: url)
    }

    private static func huggingFaceTokenizer(in folder: URL) -> TokenizerSource? {
        let json = folder.appendingPathComponent("tokenizer.json")
        let config = folder.appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: json.path) else { return nil }
        return .huggingFace(tokenizerJSON: json,
                            tokenizerConfig: FileManager.default.fileExists(atPath: config.path) ? config : nil)
    }

    /// Token ids that end generation: generation_config.json's `eos_token_id` when present, else config's.
    public var eosTokenIds: [Int] {
        if let ids = generationConfig?.eosTokenIds, !ids.isEmpty { return ids }
        return config.eosTokenIds
    }
}
