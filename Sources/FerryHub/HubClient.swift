// SPDX-License-Identifier: Apache-2.0
import Foundation

/// A repo at one commit, from `GET {endpoint}/api/models/{repo}/revision/{revision}`.
struct RepoInfo: Sendable {
    var commit: String
    /// `siblings[].rfilename`: every file of the repo at that commit.
    var files: [String]
}

/// What the hub says of one file, from `HEAD {endpoint}/{repo}/resolve/{revision}/{path}` (no redirect followed).
struct FileMetadata: Sendable {
    /// `X-Repo-Commit`.
    var commit: String?
    /// `X-Linked-Etag` (an LFS file's sha256), else `ETag` (the git blob sha1), without quotes or `W/`.
    var etag: String
    /// `X-Linked-Size`, else `Content-Length`.
    var size: Int64
    /// Where the bytes are: the CDN `Location` of an LFS file, else the resolve URL itself.
    var downloadURL: String
}

/// The hub's HTTP protocol as huggingface_hub speaks it: URL shapes, headers, error codes, retries.
struct HubClient: Sendable {
    let settings: HubSettings

    /// The `Authorization` header, only ever sent to the endpoint's own host.
    private func headers(for url: String) -> [(name: String, value: String)] {
        guard let token = settings.token, Self.host(of: url) == Self.host(of: settings.endpoint) else { return [] }
        return [("Authorization", "Bearer \(token)")]
    }

    static func host(of url: String) -> String? { URLComponents(string: url)?.host?.lowercased() }

    /// A revision or path segment for a URL: `/` inside a revision (`refs/pr/1`) becomes `%2F`.
    static func escape(_ text: String, keepingSlashes: Bool) -> String {
        var allowed = CharacterSet.urlPathAllowed
        if !keepingSlashes { allowed.remove("/") }
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    func resolveURL(repo: String, revision: String, path: String) -> String {
        "\(settings.endpoint)/\(repo)/resolve/\(Self.escape(revision, keepingSlashes: false))/"
            + Self.escape(path, keepingSlashes: true)
    }

    // MARK: - Requests

    func repoInfo(repo: String, revision: String) throws(HubError) -> RepoInfo {
        let url = "\(settings.endpoint)/api/models/\(repo)/revision/\(Self.escape(revision, keepingSlashes: false))"
        let request = TransferRequest(url: url, headers: headers(for: url), followRedirects: true,
                                      totalTimeout: settings.metadataTimeout)
        let response = try perform(request, memoryLimit: settings.maxMetadataBytes)
        if let error = error(for: response, repo: repo, revision: revision, path: nil) { throw error }
        guard response.status == 200,
              let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let commit = json["sha"] as? String, HubCache.isCommit(commit),
              let siblings = json["siblings"] as? [[String: Any]]
        else { throw .badResponse(url: url, reason: "expected model info JSON with 'sha' and 'siblings'") }
        guard siblings.count <= settings.maxRepoFiles else {
            throw .badResponse(url: url, reason: "\(siblings.count) files, more than the \(settings.maxRepoFiles) "
                + "a repo may list")
        }
        return RepoInfo(commit: commit, files: siblings.compactMap { $0["rfilename"] as? String })
    }

    func fileMetadata(repo: String, revision: String, path: String) throws(HubError) -> FileMetadata {
        var url = resolveURL(repo: repo, revision: revision, path: path)
        for _ in 0...settings.maxRedirects {
            let request = TransferRequest(url: url, isHead: true, headers: headers(for: url),
                                          totalTimeout: settings.metadataTimeout)
            let response = try perform(request, memoryLimit: 1 << 16)
            if let error = error(for: response, repo: repo, revision: revision, path: path) { throw error }
            let fields = response.headers
            let location = fields["location"]
            let linkedEtag = fields["x-linked-etag"]
            if (300..<400).contains(response.status), linkedEtag == nil, let location {
                // A renamed repo: the hub redirects to the new name on its own host; follow it.
                url = location.hasPrefix("/") ? settings.endpoint + location : location
                continue
            }
            guard (200..<400).contains(response.status) else {
                throw .badResponse(url: url, reason: "HTTP \(response.status)")
            }
            guard let etag = (linkedEtag ?? fields["etag"]).map(Self.normalizedEtag), !etag.isEmpty,
                  !etag.contains("/")
            else { throw .badResponse(url: url, reason: "no ETag: this does not look like a Hugging Face hub") }
            guard let size = (fields["x-linked-size"] ?? fields["content-length"]).flatMap({ Int64($0) }) else {
                throw .badResponse(url: url, reason: "no X-Linked-Size or Content-Length")
            }
            let target = location.map { $0.hasPrefix("/") ? settings.endpoint + $0 : $0 } ?? url
            return FileMetadata(commit: fields["x-repo-commit"], etag: etag, size: size, downloadURL: target)
        }
        throw .badResponse(url: url, reason: "more than \(settings.maxRedirects) redirects")
    }

    /// `"abc"`, `W/"abc"` → `abc`.
    static func normalizedEtag(_ value: String) -> String {
        var text = Substring(value)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Streams `url` into `file` from `resumeFrom`, following redirects (to the CDN). One attempt: the caller
    /// retries, resuming from what reached the disk.
    func download(_ url: String, file: BlobFile, resumeFrom: Int64, digest: ContentDigest?,
                  progress: @escaping (Int64) -> Void) throws(TransferFailure) -> TransferResponse
    {
        let request = TransferRequest(url: url, headers: headers(for: url), followRedirects: true,
                                      resumeFrom: resumeFrom)
        return try CurlTransfer.perform(request, settings: settings, file: file.descriptor, digest: digest,
                                        memoryLimit: 1 << 16, progress: progress)
    }

    // MARK: - Errors and retries

    /// Runs a metadata request, retrying network failures, 429 and 5xx answers with backoff.
    private func perform(_ request: TransferRequest, memoryLimit: Int) throws(HubError) -> TransferResponse {
        var reason = ""
        for attempt in 1...max(1, settings.maxAttempts) {
            Thread.sleep(forTimeInterval: settings.delay(beforeAttempt: attempt))
            do {
                let response = try CurlTransfer.perform(request, settings: settings, memoryLimit: memoryLimit)
                guard Self.isRetryable(status: response.status) else { return response }
                reason = "HTTP \(response.status)"
            } catch {
                switch error {
                case .network(let message): reason = message
                case .bodyTooLarge(let limit):
                    throw .badResponse(url: request.url, reason: "body larger than \(limit) bytes")
                case .write, .badRange: throw .badResponse(url: request.url, reason: "\(error)")
                }
            }
        }
        throw .connection(url: request.url, reason: reason, attempts: max(1, settings.maxAttempts))
    }

    static func isRetryable(status: Int) -> Bool { status == 429 || status == 408 || (500..<600).contains(status) }

    /// The hub's error for a 4xx answer, read from `X-Error-Code` as huggingface_hub does; nil for success.
    func error(for response: TransferResponse, repo: String, revision: String, path: String?) -> HubError? {
        let status = response.status
        guard status >= 400 else { return nil }
        let hasToken = settings.token != nil
        switch response.headers["x-error-code"] {
        case "GatedRepo": return .gatedRepo(repo: repo, hasToken: hasToken)
        case "RepoNotFound": return .repoNotFound(repo: repo, hasToken: hasToken)
        case "RevisionNotFound": return .revisionNotFound(repo: repo, revision: revision)
        case "EntryNotFound": return .fileNotFound(repo: repo, revision: revision, path: path ?? "")
        default: break
        }
        switch status {
        case 401: return hasToken ? .unauthorized(repo: repo) : .repoNotFound(repo: repo, hasToken: false)
        case 403: return .gatedRepo(repo: repo, hasToken: hasToken)
        case 404:
            if let path { return .fileNotFound(repo: repo, revision: revision, path: path) }
            return .repoNotFound(repo: repo, hasToken: hasToken)
        default:
            let message = response.headers["x-error-message"] ?? String(decoding: response.body.prefix(300),
                                                                         as: UTF8.self)
            return .badResponse(url: "\(settings.endpoint)/\(repo)", reason: "HTTP \(status) \(message)")
        }
    }
}
