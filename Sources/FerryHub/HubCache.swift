// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import FoundationEssentials

/// The hub cache of one repo, laid out exactly as huggingface_hub writes it, so Python tools and Ferry share it:
///
/// ```
/// HF_HUB_CACHE/models--ORG--NAME/
///   blobs/<etag>                 whole files, named by sha256 (LFS) or git blob sha1
///   blobs/<etag>.incomplete      a download in progress (resumed from its size)
///   snapshots/<commit>/<path>    relative symlinks to ../../blobs/<etag>
///   refs/<revision>              the commit sha a branch or tag pointed at when last resolved
/// HF_HUB_CACHE/.locks/models--ORG--NAME/<etag>.lock
/// ```
///
/// A file appears under `blobs/<etag>` only by an atomic rename after its size and digest were checked, and under
/// `snapshots/` only as a link to such a blob: a half file is never seen under a final name.
struct HubCache: Sendable {
    let root: URL
    let repo: ModelReference

    init(root: URL, repo: ModelReference) {
        self.root = root
        self.repo = repo
    }

    var repoFolder: URL { root.appendingPathComponent(repo.cacheFolderName, isDirectory: true) }

    func blob(_ etag: String) -> URL { repoFolder.appendingPathComponent("blobs/\(etag)") }

    func incompleteBlob(_ etag: String) -> URL { repoFolder.appendingPathComponent("blobs/\(etag).incomplete") }

    func lock(_ etag: String) -> URL {
        root.appendingPathComponent(".locks/\(repo.cacheFolderName)/\(etag).lock")
    }

    func snapshot(_ commit: String) -> URL {
        repoFolder.appendingPathComponent("snapshots/\(commit)", isDirectory: true)
    }

    /// Whether `text` is a full commit sha (40 hex digits).
    static func isCommit(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The commit a revision resolves to from the cache alone: the revision itself when it is a commit with a
    /// snapshot folder, else what `refs/<revision>` says; nil when neither is there.
    func cachedCommit(for revision: String) -> String? {
        if Self.isCommit(revision),
           FileManager.default.fileExists(atPath: snapshot(revision).path) { return revision }
        let ref = repoFolder.appendingPathComponent("refs/\(revision)")
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingWhitespace()
        return Self.isCommit(commit) ? commit : nil
    }

    /// Records that `revision` points at `commit` (nothing to record when the revision is the commit).
    func writeRef(_ revision: String, commit: String) throws(HubError) {
        guard revision != commit else { return }
        let ref = repoFolder.appendingPathComponent("refs/\(revision)")
        do {
            try FileManager.default.createDirectory(at: ref.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try commit.write(to: ref, atomically: true, encoding: .utf8)  // huggingface_hub writes no newline
        } catch {
            throw Self.fileError(error, path: ref.path)
        }
    }

    /// Whether `path` of `commit`'s snapshot exists and leads to a whole file.
    func hasFile(_ path: String, commit: String) -> Bool {
        FileManager.default.fileExists(atPath: snapshot(commit).appendingPathComponent(path).path)
    }

    /// Links `snapshots/<commit>/<path>` to `blobs/<etag>` with a relative symlink, replacing an older link
    /// atomically (made under a temporary name, then renamed over), so concurrent resolvers never collide.
    func link(_ path: String, commit: String, etag: String) throws(HubError) {
        let file = snapshot(commit).appendingPathComponent(path)
        let depth = path.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth + 2) + "blobs/\(etag)"
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)) == target { return }
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent)."
            + UUID().uuidString)
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: temporary.path, withDestinationPath: target)
        } catch {
            throw Self.fileError(error, path: file.path)
        }
        try BlobFile.rename(temporary.path, to: file.path)
    }

    /// Creates the cache folders a download writes into.
    func prepare() throws(HubError) {
        do {
            try FileManager.default.createDirectory(at: repoFolder.appendingPathComponent("blobs"),
                                                    withIntermediateDirectories: true)
        } catch {
            throw Self.fileError(error, path: repoFolder.path)
        }
    }

    static func fileError(_ error: any Error, path: String) -> HubError {
        let posix = (error as? CocoaError)?.underlying as? POSIXError ?? error as? POSIXError
        if let code = posix?.code.rawValue, BlobFile.isNoSpace(code) {
            return .diskFull(folder: URL(fileURLWithPath: path).deletingLastPathComponent().path, needed: nil)
        }
        return .fileSystem(path: path, reason: "\(error.fileErrorReason)")
    }
}
