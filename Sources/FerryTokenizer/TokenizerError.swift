// SPDX-License-Identifier: Apache-2.0

/// Why a tokenizer could not be built. Every case names the file, key or value at fault, so a server can log it
/// and refuse the model instead of crashing.
public enum TokenizerError: Error, Equatable, Sendable {
    /// A file the tokenizer needs could not be read (`tokenizer.json` is required, `tokenizer_config.json` is not).
    case unreadable(path: String, reason: String)
    /// The bytes are not valid JSON; `offset` is the byte where parsing stopped.
    case invalidJSON(file: String, offset: Int, reason: String)
    /// A required key is absent, or its value has the wrong JSON type. `key` is a dotted path such as `model.vocab`.
    case invalidValue(key: String, reason: String)
    /// `model.type` (or GGUF `tokenizer.ggml.model`) names a model this module does not implement.
    case unsupportedModel(String)
    /// A pre-tokenizer type, split regex or GGUF `tokenizer.ggml.pre` this module does not implement.
    case unsupportedPreTokenizer(String)
    /// A normalizer type this module does not implement.
    case unsupportedNormalizer(String)
    /// A decoder type this module does not implement.
    case unsupportedDecoder(String)
    /// A post-processor type this module does not implement.
    case unsupportedPostProcessor(String)
    /// Merge number `rank` (0-based) is malformed or names a token missing from the vocabulary.
    case badMerge(rank: Int, reason: String)
    /// A token string (special token, `unk_token`, template token) is not in the vocabulary.
    case unknownToken(String)
}
