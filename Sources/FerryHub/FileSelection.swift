// SPDX-License-Identifier: Apache-2.0
import Foundation

/// Which files of a repo Ferry needs, in download order: the small side files first and the weights last, so a
/// snapshot whose weights are all there is a complete one (see `HubCache` and `HubResolver`).
enum FileSelection {
    /// Config, sampling defaults, tokenizer and chat template files, fetched when the repo lists them.
    static let sideFiles = [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
        "special_tokens_map.json", "chat_template.jinja", "chat_template.json",
    ]
    static let safetensorsFile = "model.safetensors"
    static let safetensorsIndex = "model.safetensors.index.json"

    /// The GGUF file `reference` names among `files` (a repo listing or a snapshot's files).
    /// - Throws: `HubError.noWeights` when none or several match, `.fileNotFound` for a named file not listed.
    static func ggufFile(for reference: ModelReference, in files: [String], revision: String)
        throws(HubError) -> String
    {
        switch reference.weights {
        case .safetensors:
            throw .noWeights(repo: reference.repo, reason: "not a GGUF reference")
        case .ggufFile(let file):
            guard files.contains(file) else {
                throw .fileNotFound(repo: reference.repo, revision: revision, path: file)
            }
            return file
        case .ggufQuant(let quant):
            let ggufs = files.filter { $0.lowercased().hasSuffix(".gguf") && isPlainRelativePath($0) }
            let candidates = ggufs.filter { matches($0, quant: quant) }
            guard candidates.count == 1, let only = candidates.first else {
                let listed = ggufs.isEmpty ? "it has no .gguf files" : "its .gguf files: "
                    + ggufs.prefix(20).joined(separator: ", ")
                throw .noWeights(repo: reference.repo, reason: candidates.isEmpty
                    ? "no .gguf file for quantization \(quant) (\(listed))"
                    : "several .gguf files match \(quant) (\(candidates.joined(separator: ", "))): Ferry loads one "
                        + "single-file GGUF; name it as \(reference.repo)/FILE.gguf")
            }
            return only
        }
    }

    /// Whether `path` stays inside the snapshot folder: relative, no `..` or empty parts.
    static func isPlainRelativePath(_ path: String) -> Bool {
        !path.hasPrefix("/") && !path.split(separator: "/", omittingEmptySubsequences: false)
            .contains { $0.isEmpty || $0 == ".." || $0 == "." }
    }

    /// Whether `file`'s name carries `quant` as a whole part: `Qwen3-0.6B-Q4_K_M.gguf` matches `q4_k_m`, not `Q4_K`.
    static func matches(_ file: String, quant: String) -> Bool {
        let name = (file.split(separator: "/").last.map(String.init) ?? file).lowercased()
        let quant = quant.lowercased()
        var searchStart = name.startIndex
        while let range = name.range(of: quant, range: searchStart..<name.endIndex) {
            let before = range.lowerBound == name.startIndex ? nil : name[name.index(before: range.lowerBound)]
            let after = range.upperBound == name.endIndex ? nil : name[range.upperBound]
            let startsPart = before.map { "-._".contains($0) } ?? true
            let endsPart = after.map { "-.".contains($0) } ?? true
            if startsPart && endsPart { return true }
            searchStart = name.index(after: range.lowerBound)
        }
        return false
    }

    /// The side files `files` lists, in `sideFiles` order.
    static func sideFiles(in files: [String]) -> [String] {
        let listed = Set(files)
        return sideFiles.filter { listed.contains($0) }
    }

    /// The shards a safetensors index names (its `weight_map` values), sorted, each a plain relative path.
    /// - Throws: `HubError.noWeights` for an index that is not JSON with a `weight_map`, or names a path outside
    ///   the repo.
    static func shards(inIndex data: Data, repo: String) throws(HubError) -> [String] {
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = json["weight_map"] as? [String: String]
        else { throw .noWeights(repo: repo, reason: "\(safetensorsIndex) has no weight_map") }
        let shards = Set(map.values).sorted()
        for shard in shards where !isPlainRelativePath(shard) {
            throw .noWeights(repo: repo, reason: "\(safetensorsIndex) names a shard outside the repo: \(shard)")
        }
        return shards
    }

    /// Why a repo listing has no weights Ferry loads, for the error message.
    static func missingWeightsReason(_ files: [String], repo: String) -> String {
        let ggufs = files.filter { $0.lowercased().hasSuffix(".gguf") }
        if !ggufs.isEmpty {
            return "the repo holds GGUF files; name one as \(repo):QUANT or \(repo)/FILE.gguf ("
                + ggufs.prefix(10).joined(separator: ", ") + ")"
        }
        if files.contains(where: { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") }) {
            return "the repo has only PyTorch .bin weights; Ferry loads safetensors or GGUF"
        }
        return "no \(safetensorsFile), \(safetensorsIndex) or .gguf file in the repo"
    }
}
