// SPDX-License-Identifier: Apache-2.0
import FerryHTTP
import Foundation
import Synchronization
@testable import FerryHub

/// A Hugging Face hub on 127.0.0.1 answering the hub's URL shapes with real files, built on FerryHTTP.
///
/// - `GET /api/models/{repo}/revision/{rev}`: `{"id", "sha", "gated", "siblings": [{"rfilename"}]}`.
/// - `HEAD|GET /{repo}/resolve/{rev}/{path}`: a regular file answers 200 with `ETag` (its git blob sha1) and
///   `X-Repo-Commit`; an LFS file (`.safetensors`, `.gguf`) answers 302 to the CDN with `X-Linked-Etag` (sha256),
///   `X-Linked-Size`, `X-Repo-Commit`, as the real hub does.
/// - `GET /cdn/{sha256}` on host `localhost` (another host name than the hub's, so no Authorization may reach it):
///   the bytes, honouring `Range: bytes=N-` with 206.
/// - Errors as the hub sends them: `X-Error-Code` `RepoNotFound` (401 anonymous, 404 with a token), `GatedRepo`
///   (401 anonymous, 403 with a token that has no access), `RevisionNotFound` and `EntryNotFound` (404).
final class FakeHub: HTTPResponder, Sendable {
    struct Repo: Sendable {
        var commit: String
        var branches: [String: String] = [:]
        var files: [String: [UInt8]]
        var isGated = false
    }

    struct Recorded: Sendable {
        var method: String
        var path: String
        var range: String?
        var authorization: String?
    }

    /// Faults for the next CDN answers, by sha256: close the connection after N bytes (once), or flip a byte.
    struct Faults: Sendable {
        var dropAfter: [String: Int] = [:]
        var corrupt: Set<String> = []
        /// Answer Range requests with the whole file (200), as a server without range support does.
        var ignoreRange = false
    }

    let token = "hf_fake_token_for_tests"
    private let repos = Mutex<[String: Repo]>([:])
    private let blobs = Mutex<[String: [UInt8]]>([:])
    private let log = Mutex<[Recorded]>([])
    let faults = Mutex(Faults())
    private let portValue = Mutex(0)

    var port: Int { portValue.withLock { $0 } }
    var endpoint: String { "http://127.0.0.1:\(port)" }
    var requests: [Recorded] { log.withLock { $0 } }
    func clearRequests() { log.withLock { $0 = [] } }

    /// Adds a repo with the files of `folder` (every regular file, by name).
    func add(_ repo: String, folder: URL, commit: String, gated: Bool = false, only: Set<String>? = nil) throws {
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where only?.contains(name) ?? true {
            files[name] = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        add(repo, Repo(commit: commit, branches: ["main": commit], files: files, isGated: gated))
    }

    func add(_ name: String, _ repo: Repo) {
        repos.withLock { $0[name] = repo }
        for (path, bytes) in repo.files where Self.isLFS(path) {
            blobs.withLock { $0[Self.sha256(bytes)] = bytes }
        }
    }

    static func isLFS(_ path: String) -> Bool { path.hasSuffix(".safetensors") || path.hasSuffix(".gguf") }

    static func sha256(_ bytes: [UInt8]) -> String {
        let digest = ContentDigest(.sha256)
        digest.update(bytes)
        return digest.hexDigest()
    }

    static func gitBlobID(_ bytes: [UInt8]) -> String {
        let digest = ContentDigest(.gitBlobSHA1(size: Int64(bytes.count)))
        digest.update(bytes)
        return digest.hexDigest()
    }

    /// Starts the hub; stop it with the returned server's `shutdown`.
    func start() throws -> HTTPServer {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.numberOfEventLoops = 2
        let server = HTTPServer(configuration: configuration, responder: self)
        try server.start()
        portValue.withLock { $0 = server.localAddress!.port }
        return server
    }

    // MARK: - Answers

    func respond(to request: HTTPRequest, writer: HTTPResponseWriter) {
        log.withLock {
            $0.append(Recorded(method: request.method.rawValue, path: request.path, range: request.headers["range"],
                               authorization: request.headers["authorization"]))
        }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.removingPercentEncoding ?? String($0)
        }
        if parts.count == 6, parts[0] == "api", parts[1] == "models", parts[4] == "revision" {
            modelInfo(repo: parts[2] + "/" + parts[3], revision: parts[5], request: request, writer: writer)
        } else if parts.count >= 5, parts[2] == "resolve" {
            resolve(repo: parts[0] + "/" + parts[1], revision: parts[3], path: parts[4...].joined(separator: "/"),
                    request: request, writer: writer)
        } else if parts.count == 2, parts[0] == "cdn" {
            cdn(sha: parts[1], request: request, writer: writer)
        } else {
            try? writer.respond(HTTPResponse(status: .notFound, body: Array("Not Found".utf8)))
        }
    }

    private func hubError(_ status: Int, code: String, message: String, writer: HTTPResponseWriter) {
        let body = Array("{\"error\":\"\(message)\"}".utf8)
        try? writer.respond(HTTPResponse(status: HTTPStatus(code: status),
                                         headers: ["Content-Type": "application/json", "X-Error-Code": code,
                                                   "X-Error-Message": message],
                                         body: body))
    }

    /// The repo and commit, or nil after answering the hub's error.
    private func lookUp(_ name: String, revision: String, request: HTTPRequest, checkGate: Bool,
                        writer: HTTPResponseWriter) -> (Repo, String)?
    {
        let authorization = request.headers["authorization"]
        guard let repo = repos.withLock({ $0[name] }) else {
            hubError(authorization == nil ? 401 : 404, code: "RepoNotFound", message: "Repository not found",
                     writer: writer)
            return nil
        }
        if checkGate && repo.isGated && authorization != "Bearer \(token)" {
            hubError(authorization == nil ? 401 : 403, code: "GatedRepo",
                     message: "Access to model \(name) is restricted. You must have access to it and be "
                        + "authenticated to access it. Please log in.", writer: writer)
            return nil
        }
        let commit = revision == repo.commit ? repo.commit : repo.branches[revision]
        guard let commit, commit == repo.commit else {
            hubError(404, code: "RevisionNotFound", message: "Invalid rev id: \(revision)", writer: writer)
            return nil
        }
        return (repo, commit)
    }

    private func modelInfo(repo name: String, revision: String, request: HTTPRequest, writer: HTTPResponseWriter) {
        guard let (repo, commit) = lookUp(name, revision: revision, request: request, checkGate: false,
                                          writer: writer) else { return }
        let siblings = repo.files.keys.sorted().map { "{\"rfilename\":\"\($0)\"}" }.joined(separator: ",")
        let gated = repo.isGated ? "\"auto\"" : "false"
        let body = "{\"id\":\"\(name)\",\"modelId\":\"\(name)\",\"sha\":\"\(commit)\",\"gated\":\(gated),"
            + "\"private\":false,\"siblings\":[\(siblings)]}"
        try? writer.respond(.json(Array(body.utf8)))
    }

    private func resolve(repo name: String, revision: String, path: String, request: HTTPRequest,
                         writer: HTTPResponseWriter)
    {
        guard let (repo, commit) = lookUp(name, revision: revision, request: request, checkGate: true,
                                          writer: writer) else { return }
        guard let bytes = repo.files[path] else {
            hubError(404, code: "EntryNotFound", message: "Entry not found", writer: writer)
            return
        }
        if Self.isLFS(path) {
            let sha = Self.sha256(bytes)
            try? writer.respond(HTTPResponse(status: HTTPStatus(code: 302), headers: [
                "Location": "http://localhost:\(port)/cdn/\(sha)", "X-Repo-Commit": commit,
                "X-Linked-Etag": "\"\(sha)\"", "X-Linked-Size": "\(bytes.count)",
                "ETag": "\"\(Self.gitBlobID(Array("version https://git-lfs.github.com/spec/v1\n".utf8)))\"",
            ]))
            return
        }
        try? writer.respond(HTTPResponse(status: .ok, headers: [
            "ETag": "\"\(Self.gitBlobID(bytes))\"", "X-Repo-Commit": commit, "Accept-Ranges": "bytes",
        ], body: bytes))
    }

    private func cdn(sha: String, request: HTTPRequest, writer: HTTPResponseWriter) {
        guard var bytes = blobs.withLock({ $0[sha] }) else {
            try? writer.respond(HTTPResponse(status: .notFound))
            return
        }
        let (drop, corrupt, ignoreRange) = faults.withLock { faults in
            (faults.dropAfter.removeValue(forKey: sha), faults.corrupt.contains(sha), faults.ignoreRange)
        }
        if corrupt { bytes[bytes.count / 2] ^= 0xFF }
        var start = 0
        if !ignoreRange, let range = request.headers["range"], range.hasPrefix("bytes="), range.hasSuffix("-"),
           let from = Int(range.dropFirst(6).dropLast())
        {
            start = from
        }
        let headers: HTTPHeaders = start > 0
            ? ["Content-Range": "bytes \(start)-\(bytes.count - 1)/\(bytes.count)", "Accept-Ranges": "bytes"]
            : ["Accept-Ranges": "bytes", "ETag": "\"\(sha)\""]
        let status = HTTPStatus(code: start > 0 ? 206 : 200)
        if let drop {
            // Sends the first `drop` bytes of a chunked body, then abandons the writer: the connection closes.
            guard let stream = try? writer.startStream(status: status, headers: headers) else { return }
            _ = stream.write(Array(bytes[start..<min(bytes.count, start + drop)]))
            return
        }
        try? writer.respond(HTTPResponse(status: status, headers: headers, body: Array(bytes[start...])))
    }
}
