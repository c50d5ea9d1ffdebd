// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import FoundationEssentials

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
    /// Every UTF-8 byte outside RFC 3986's path characters (unreserved, sub-delims, `:` `@`, and `/` when kept) is
    /// written `%XX`, as Foundation's `urlPathAllowed` set did.
    static func escape(_ text: String, keepingSlashes: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8), marks = Array("-._~!$&'()*+,;=:@".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            let isAlphanumeric = (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
            if isAlphanumeric || marks.contains(byte) || (keepingSlashes && byte == 0x2F) {
                output.append(byte)
            } else {
                output += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
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
              let json = try? JSONDecoder().decode(ModelInfo.self, from: Data(response.body)),
              HubCache.isCommit(json.sha)
        else { throw .badResponse(url: url, reason: "expected model info JSON with 'sha' and 'siblings'") }
        let siblings = json.siblings
        guard siblings.count <= settings.maxRepoFiles else {
            throw .badResponse(url: url, reason: "\(siblings.count) files, more than the \(settings.maxRepoFiles) "
                + "a repo may list")
        }
        return RepoInfo(commit: json.sha, files: siblings.compactMap(\.rfilename))
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
        return text.trimming(where: { $0 == "\"" })
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
            pause(seconds: settings.delay(beforeAttempt: attempt))
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

    /// The fields of `/api/models/REPO/revision/REV` that are read; a sibling without a string `rfilename` is
    /// skipped.
    private struct ModelInfo: Decodable {
        let sha: String
        let siblings: [Sibling]

        struct Sibling: Decodable {
            let rfilename: String?

            private enum Key: String, CodingKey { case rfilename }

            init(from decoder: any Decoder) throws {
                rfilename = try? decoder.container(keyedBy: Key.self).decode(String.self, forKey: .rfilename)
            }
        }
    }
}
