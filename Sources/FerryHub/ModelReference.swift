// SPDX-License-Identifier: Apache-2.0
import Foundation

/// A model on the hub, as users write it on the command line.
///
/// - `ORG/NAME`: a safetensors repo (config, tokenizer files, `model.safetensors` or the index and its shards).
/// - `ORG/NAME:QUANT`: vLLM's GGUF form (`unsloth/Qwen3-0.6B-GGUF:Q4_K_M`): the one `.gguf` file of the repo whose
///   name carries the quantization type (case-insensitive, as a whole `-`/`.`/`_`-separated part of the name).
/// - `ORG/NAME/PATH.gguf`: one named GGUF file (the path inside the repo, as in its `resolve/` URL).
///
/// Repo ids follow the hub's rules: an owner and a name of letters, digits, `-`, `_`, `.`, at most 96 characters
/// each, neither starting nor ending with `-` or `.`, no `--` or `..`.
public struct ModelReference: Sendable, Equatable, CustomStringConvertible {
    /// How the weights are chosen within the repo.
    public enum Weights: Sendable, Equatable {
        case safetensors
        case ggufQuant(String)
        case ggufFile(String)
    }

    public let repo: String
    public let weights: Weights

    public init(repo: String, weights: Weights) {
        self.repo = repo
        self.weights = weights
    }

    /// Parses a command-line model argument.
    /// - Throws: `HubError.invalidReference` saying what is wrong.
    public init(parsing text: String) throws(HubError) {
        var rest = Substring(text)
        var weights = Weights.safetensors
        let parts = rest.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { throw .invalidReference(text, reason: "expected ORG/NAME") }
        if parts.count == 3 {
            let file = String(parts[2])
            guard file.lowercased().hasSuffix(".gguf"), !file.split(separator: "/").contains("..") else {
                throw .invalidReference(text, reason: "a file inside a repo must be a .gguf (ORG/NAME/FILE.gguf)")
            }
            weights = .ggufFile(file)
            rest = parts[0] + "/" + parts[1]
        } else if let colon = rest.lastIndex(of: ":") {
            let quant = String(rest[rest.index(after: colon)...])
            guard !quant.isEmpty, quant.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw .invalidReference(text, reason: "expected ORG/NAME:QUANT with a quantization such as Q4_K_M")
            }
            weights = .ggufQuant(quant)
            rest = rest[..<colon]
        }
        let names = rest.split(separator: "/", omittingEmptySubsequences: false)
        for name in names {
            if let problem = Self.problem(with: name) { throw .invalidReference(text, reason: problem) }
        }
        self.repo = String(rest)
        self.weights = weights
    }

    /// Whether a command-line model argument has a repo id's shape (and so is not meant as a local path).
    public static func looksLikeRepoId(_ text: String) -> Bool {
        guard !text.hasPrefix("/"), !text.hasPrefix("."), !text.hasPrefix("~") else { return false }
        return (try? ModelReference(parsing: text)) != nil
    }

    private static func problem(with name: Substring) -> String? {
        guard !name.isEmpty else { return "an empty owner or name" }
        guard name.count <= 96 else { return "names are at most 96 characters" }
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            return "names use letters, digits, '-', '_' and '.' only"
        }
        guard let first = name.first, let last = name.last, !"-.".contains(first), !"-.".contains(last),
              !name.contains("--"), !name.contains("..")
        else { return "a name cannot start or end with '-' or '.', nor hold '--' or '..'" }
        return nil
    }

    /// The cache folder's name, as huggingface_hub writes it: `models--ORG--NAME`.
    public var cacheFolderName: String { "models--" + repo.replacingOccurrences(of: "/", with: "--") }

    public var description: String {
        switch weights {
        case .safetensors: return repo
        case .ggufQuant(let quant): return "\(repo):\(quant)"
        case .ggufFile(let file): return "\(repo)/\(file)"
        }
    }
}
