// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// Where a model's tokenizer comes from. Decided by `ModelFiles.load`; the executable builds the tokenizer from it
/// (FerryModel does not depend on FerryTokenizer).
public enum TokenizerSource: Sendable {
    /// Hugging Face files beside the model: `tokenizer.json`, and `tokenizer_config.json` (special tokens, chat
    /// template) when present.
    case huggingFace(tokenizerJSON: URL, tokenizerConfig: URL?)
    /// The vocabulary inside a GGUF file; read it with `GGUFFile.tokenizerFields()`.
    case gguf(GGUFFile)

    /// `tokenizer_config.json`, when the source is a Hugging Face folder that has one.
    public var tokenizerConfigURL: URL? {
        if case .huggingFace(_, let config) = self { return config }
        return nil
    }
}
