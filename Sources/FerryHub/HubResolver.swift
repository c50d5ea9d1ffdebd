// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import FoundationEssentials

/// Turns a model on the hub into a local path Ferry's loader reads: the snapshot folder of a safetensors repo, or
/// the snapshot's `.gguf` file.
///
/// A revision already complete in the cache (its weights all linked in its snapshot) is used without any request,
/// so a restart, a second replica on the same volume, or a pod without network starts from the cache. Otherwise
/// the hub is asked which commit the revision is and what the repo holds, and each missing file is downloaded.
/// To pick up a new commit of a branch already cached, pass `--revision` the commit, or remove `refs/<branch>`.
public struct HubResolver: Sendable {
    public let settings: HubSettings
    private let log: @Sendable (String) -> Void

    /// - Parameter log: progress and decisions, one line each (downloads, cache hits).
    public init(settings: HubSettings, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.settings = settings
        self.log = log
    }

    /// The local path of `reference` at `revision` (default `main`), downloading what is missing.
    public func resolve(_ reference: ModelReference, revision: String? = nil) throws(HubError) -> URL {
        let revision = revision ?? "main"
        guard FileSelection.isPlainRelativePath(revision), revision.count <= 256 else {
            throw .revisionNotFound(repo: reference.repo, revision: revision)
        }
        let cache = HubCache(root: settings.cacheDirectory, repo: reference)
        if let commit = cache.cachedCommit(for: revision), let path = try completePath(reference, cache: cache,
                                                                                         commit: commit)
        {
            log("\(reference) at \(revision) (\(commit.prefix(12))) found in the cache \(cache.repoFolder.path)")
            return path
        }
        guard !settings.isOffline else {
            throw .offlineNotCached(repo: reference.repo, revision: revision, cache: settings.cacheDirectory.path)
        }
        let client = HubClient(settings: settings)
        let info = try client.repoInfo(repo: reference.repo, revision: revision)
        log("\(reference): revision \(revision) is commit \(info.commit), \(info.files.count) files in the repo")
        let download = BlobDownload(client: client, cache: cache, log: log)
        func fetch(_ path: String) throws(HubError) {
            guard !cache.hasFile(path, commit: info.commit) else { return }
            let metadata = try client.fileMetadata(repo: reference.repo, revision: info.commit, path: path)
            try download.fetch(path, commit: info.commit, metadata: metadata)
        }
        for file in FileSelection.sideFiles(in: info.files) { try fetch(file) }
        let snapshot = cache.snapshot(info.commit)
        let result: URL
        switch reference.weights {
        case .safetensors:
            if info.files.contains(FileSelection.safetensorsIndex) {
                try fetch(FileSelection.safetensorsIndex)
                let index = snapshot.appendingPathComponent(FileSelection.safetensorsIndex)
                let shards = try FileSelection.shards(inIndex: try read(index), repo: reference.repo)
                for shard in shards {
                    guard info.files.contains(shard) else {
                        throw .fileNotFound(repo: reference.repo, revision: info.commit, path: shard)
                    }
                    try fetch(shard)
                }
            } else if info.files.contains(FileSelection.safetensorsFile) {
                try fetch(FileSelection.safetensorsFile)
            } else {
                throw .noWeights(repo: reference.repo,
                                 reason: FileSelection.missingWeightsReason(info.files, repo: reference.repo))
            }
            result = snapshot
        case .ggufFile, .ggufQuant:
            let file = try FileSelection.ggufFile(for: reference, in: info.files, revision: revision)
            try fetch(file)
            result = snapshot.appendingPathComponent(file)
        }
        try cache.writeRef(revision, commit: info.commit)
        log("\(reference) ready at \(result.path)")
        return result
    }

    /// The model path when `commit`'s snapshot holds everything `reference` needs, else nil.
    ///
    /// Files are fetched side files first and weights last, and only whole files are ever linked, so weights
    /// present means the snapshot is complete.
    func completePath(_ reference: ModelReference, cache: HubCache, commit: String) throws(HubError) -> URL? {
        let snapshot = cache.snapshot(commit)
        let manager = FileManager.default
        switch reference.weights {
        case .safetensors:
            guard manager.fileExists(atPath: snapshot.appendingPathComponent("config.json").path) else { return nil }
            let index = snapshot.appendingPathComponent(FileSelection.safetensorsIndex)
            if manager.fileExists(atPath: index.path) {
                guard let data = try? read(index),
                      let shards = try? FileSelection.shards(inIndex: data, repo: reference.repo),
                      shards.allSatisfy({ cache.hasFile($0, commit: commit) })
                else { return nil }
                return snapshot
            }
            return cache.hasFile(FileSelection.safetensorsFile, commit: commit) ? snapshot : nil
        case .ggufFile, .ggufQuant:
            let files = (try? manager.subpathsOfDirectory(atPath: snapshot.path)) ?? []
            guard let file = try? FileSelection.ggufFile(for: reference, in: files, revision: commit),
                  cache.hasFile(file, commit: commit)
            else { return nil }
            return snapshot.appendingPathComponent(file)
        }
    }

    private func read(_ url: URL) throws(HubError) -> Data {
        do {
            let data = try Data(contentsOf: url)
            guard data.count <= settings.maxMetadataBytes else {
                throw HubError.noWeights(repo: url.lastPathComponent, reason: "larger than \(settings.maxMetadataBytes) bytes")
            }
            return data
        } catch let error as HubError {
            throw error
        } catch {
            throw .fileSystem(path: url.path, reason: error.fileErrorReason)
        }
    }
}
