// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import FoundationEssentials

/// Brings one file of a snapshot into the cache: the blob (downloaded, resumed, verified, renamed), then the link.
struct BlobDownload {
    let client: HubClient
    let cache: HubCache
    let log: @Sendable (String) -> Void

    /// Makes `snapshots/<commit>/<path>` point at a whole, verified blob.
    func fetch(_ path: String, commit: String, metadata: FileMetadata) throws(HubError) {
        let blob = cache.blob(metadata.etag)
        if !isWhole(blob, size: metadata.size) {
            try cache.prepare()
            try download(path, metadata: metadata)
        }
        try cache.link(path, commit: commit, etag: metadata.etag)
    }

    private func isWhole(_ blob: URL, size: Int64) -> Bool {
        let attributes = try? FileManager.default.attributesOfItem(atPath: blob.path)
        return (attributes?[.size] as? any BinaryInteger).map { Int64($0) } == size
    }

    /// The digest that checks a blob named `etag`: sha256 for LFS names, git's blob sha1 for the others.
    private func digest(for metadata: FileMetadata) -> ContentDigest? {
        let isHex = metadata.etag.allSatisfy(\.isHexDigit)
        if metadata.etag.count == 64 && isHex { return ContentDigest(.sha256) }
        if metadata.etag.count == 40 && isHex { return ContentDigest(.gitBlobSHA1(size: metadata.size)) }
        return nil  // another hub's opaque etag: the size is the only check
    }

    private func download(_ path: String, metadata: FileMetadata) throws(HubError) {
        let blob = cache.blob(metadata.etag)
        let partial = cache.incompleteBlob(metadata.etag)
        let lock = try BlobLock(path: cache.lock(metadata.etag).path)
        defer { withExtendedLifetime(lock) {} }
        // Another process may have finished it while we waited for the lock.
        if isWhole(blob, size: metadata.size) { return }
        let file = try BlobFile(path: partial.path)
        var have = try file.size()
        if have > metadata.size {
            have = 0  // not a prefix of this file: start over
        }
        try file.truncate(to: have)
        if let available = BlobFile.availableBytes(in: blob.deletingLastPathComponent().path),
           available < metadata.size - have
        {
            throw .diskFull(folder: cache.root.path, needed: metadata.size - have - available)
        }
        let digest = digest(for: metadata)
        if let digest, have > 0 { try file.digestPrefix(have, into: digest) }
        let progress = DownloadProgress(name: path, total: metadata.size, startBytes: have,
                                        interval: client.settings.progressInterval, log: log)
        var reason = ""
        var attempt = 0
        let attempts = max(1, client.settings.maxAttempts)
        while have < metadata.size {
            attempt += 1
            guard attempt <= attempts else {
                throw .connection(url: metadata.downloadURL, reason: reason + "; the partial file is kept and the "
                    + "next start resumes it", attempts: attempts)
            }
            pause(seconds: client.settings.delay(beforeAttempt: attempt))
            do {
                let response = try client.download(metadata.downloadURL, file: file, resumeFrom: have,
                                                   digest: digest, progress: progress.update)
                if let error = client.error(for: response, repo: cache.repo.repo, revision: "", path: path),
                   !HubClient.isRetryable(status: response.status)
                {
                    throw error
                }
                if HubClient.isRetryable(status: response.status) { reason = "HTTP \(response.status)" }
                have = try file.size()
                if response.status == 200 || response.status == 206, have < metadata.size {
                    reason = "the connection closed at \(ByteCount.text(have)) of \(ByteCount.text(metadata.size))"
                }
            } catch let failure as TransferFailure {
                switch failure {
                case .network(let message):
                    reason = message
                    have = try file.size()
                case .write(let code):
                    if BlobFile.isNoSpace(code) {
                        throw .diskFull(folder: cache.root.path, needed: metadata.size - (try file.size()))
                    }
                    throw BlobFile.error(code, path: partial.path)
                case .badRange(let message):
                    // Start over from byte 0 on the next attempt.
                    reason = message
                    have = 0
                    try file.truncate(to: 0)
                    digest?.reset()
                case .bodyTooLarge:
                    throw .badResponse(url: metadata.downloadURL, reason: "\(failure)")
                }
            } catch let error as HubError {
                throw error
            } catch {
                throw .badResponse(url: metadata.downloadURL, reason: "\(error)")
            }
        }
        try verify(file, partial: partial, metadata: metadata, digest: digest, path: path)
        try file.sync()
        try BlobFile.rename(partial.path, to: blob.path)
        progress.finish(metadata.size)
    }

    /// Checks the size and digest; a file that fails is deleted (a resume could never repair it).
    private func verify(_ file: BlobFile, partial: URL, metadata: FileMetadata, digest: ContentDigest?,
                        path: String) throws(HubError)
    {
        let size = try file.size()
        var problem: String?
        if size != metadata.size {
            problem = "\(size) bytes, the hub announced \(metadata.size)"
        } else if let digest {
            let actual = digest.hexDigest()
            if actual != metadata.etag { problem = "content hash \(actual), expected \(metadata.etag)" }
        }
        guard let problem else { return }
        try? FileManager.default.removeItem(at: partial)
        throw .corruptDownload(path: path, reason: problem)
    }
}
