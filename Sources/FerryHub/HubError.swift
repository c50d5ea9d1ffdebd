// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import FoundationEssentials

/// Why a model could not be had from the Hugging Face hub or its cache. Every case's description is a message for
/// the user: what went wrong, and what to do about it.
public enum HubError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The model argument is not a repo id this module understands.
    case invalidReference(String, reason: String)
    /// The repo is gated and no token was sent (401), or the token's account has not accepted its licence (403).
    case gatedRepo(repo: String, hasToken: Bool)
    /// The token was refused (401 on a repo that is not gated).
    case unauthorized(repo: String)
    /// No such repo, or a private one the token cannot see.
    case repoNotFound(repo: String, hasToken: Bool)
    /// The repo has no such branch, tag or commit.
    case revisionNotFound(repo: String, revision: String)
    /// The repo has no such file at that revision.
    case fileNotFound(repo: String, revision: String, path: String)
    /// The repo holds no weights Ferry loads (or several GGUF files and none was named).
    case noWeights(repo: String, reason: String)
    /// The server answered something the hub never answers (a bad status, malformed JSON, a missing header).
    case badResponse(url: String, reason: String)
    /// The network failed and kept failing after the retries (connect refused, timeout, connection dropped).
    case connection(url: String, reason: String, attempts: Int)
    /// A downloaded file's size or sha256 is not the one the hub announced; the bytes were discarded.
    case corruptDownload(path: String, reason: String)
    /// No space left (ENOSPC, EDQUOT, EFBIG) while writing into the cache; the final file was not created.
    case diskFull(folder: String, needed: Int64?)
    /// Any other file-system failure in the cache folder.
    case fileSystem(path: String, reason: String)
    /// `HF_HUB_OFFLINE=1` (or `TRANSFORMERS_OFFLINE=1`) and the revision is not complete in the cache.
    case offlineNotCached(repo: String, revision: String, cache: String)

    public var description: String {
        switch self {
        case .invalidReference(let reference, let reason):
            return "'\(reference)' is not a Hugging Face model id: \(reason)"
        case .gatedRepo(let repo, let hasToken):
            return hasToken
                ? "\(repo) is a gated model and your token has no access to it: accept its licence at "
                    + "https://huggingface.co/\(repo) with the account the token belongs to"
                : "\(repo) is a gated model: accept its licence at https://huggingface.co/\(repo), then set HF_TOKEN "
                    + "(or pass --hf-token) to a token of that account"
        case .unauthorized(let repo):
            return "the hub refused the token for \(repo) (401): check HF_TOKEN / --hf-token"
        case .repoNotFound(let repo, let hasToken):
            return "no model repo \(repo) on the hub" + (hasToken ? "" : " (if it is private, set HF_TOKEN)")
        case .revisionNotFound(let repo, let revision):
            return "\(repo) has no revision '\(revision)' (a branch, tag or commit sha)"
        case .fileNotFound(let repo, let revision, let path):
            return "\(repo) has no file '\(path)' at revision '\(revision)'"
        case .noWeights(let repo, let reason):
            return "\(repo): \(reason)"
        case .badResponse(let url, let reason):
            return "unexpected answer from \(url): \(reason)"
        case .connection(let url, let reason, let attempts):
            return "cannot download \(url): \(reason) (\(attempts) attempt\(attempts == 1 ? "" : "s"))"
        case .corruptDownload(let path, let reason):
            return "downloaded \(path) is corrupt (\(reason)); it was discarded, start again to download it anew"
        case .diskFull(let folder, let needed):
            return "no space left on the disk of \(folder)"
                + (needed.map { " (\(ByteCount.text($0)) more needed)" } ?? "")
                + ": free space or point --download-dir / HF_HUB_CACHE at a larger volume"
        case .fileSystem(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .offlineNotCached(let repo, let revision, let cache):
            return "HF_HUB_OFFLINE is set and \(repo) at revision '\(revision)' is not complete in the cache \(cache): "
                + "download it once with network access, or unset HF_HUB_OFFLINE"
        }
    }
}

/// Byte counts for people: `1.5 GB`, `512.0 kB` (decimal units, as the hub's web pages show sizes).
enum ByteCount {
    static func text(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : value.fixed(1) + " " + units[unit]
    }
}
