// SPDX-License-Identifier: Apache-2.0
import Foundation
import TestSupport
import Testing
@testable import FerryHub

/// The hub's refusals (gated, missing repo, revision, file) and offline mode, each a clear `HubError`.
@Suite(.enabled(if: SharedData.isAvailable, "needs ../shared/models"))
struct HubErrorTests {
    static let repo = "meta-llama/stories260K"

    @Test func aGatedRepoWithoutATokenSaysToSetHFTokenAndWorksWithOne() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit, gated: true)
            let reference = try ModelReference(parsing: Self.repo)
            #expect(throws: HubError.gatedRepo(repo: Self.repo, hasToken: false)) {
                try HubResolver(settings: fixture.settings()).resolve(reference)
            }
            let message = HubError.gatedRepo(repo: Self.repo, hasToken: false).description
            #expect(message.contains("HF_TOKEN") && message.contains("accept its licence"))
            #expect(throws: HubError.gatedRepo(repo: Self.repo, hasToken: true)) {
                try HubResolver(settings: fixture.settings(token: "hf_someone_else")).resolve(reference)
            }
            #expect(fixture.incompleteFiles().isEmpty)
            let path = try HubResolver(settings: fixture.settings(token: fixture.hub.token)).resolve(reference)
            #expect(FileManager.default.fileExists(atPath: path.appendingPathComponent("model.safetensors").path))
            #expect(fixture.cdnRequests.allSatisfy { $0.authorization == nil })
        }
    }

    @Test func aMissingRepoRevisionOrFileIsNamedInTheError() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit)
            #expect(throws: HubError.repoNotFound(repo: "nobody/nothing", hasToken: false)) {
                try HubResolver(settings: fixture.settings()).resolve(ModelReference(parsing: "nobody/nothing"))
            }
            #expect(throws: HubError.repoNotFound(repo: "nobody/nothing", hasToken: true)) {
                try HubResolver(settings: fixture.settings(token: "t")).resolve(ModelReference(parsing: "nobody/nothing"))
            }
            #expect(throws: HubError.revisionNotFound(repo: Self.repo, revision: "v9")) {
                try HubResolver(settings: fixture.settings()).resolve(ModelReference(parsing: Self.repo), revision: "v9")
            }
            #expect(throws: HubError.fileNotFound(repo: Self.repo, revision: "main", path: "absent.gguf")) {
                try HubResolver(settings: fixture.settings())
                    .resolve(ModelReference(parsing: "\(Self.repo)/absent.gguf"))
            }
            // The hub's own 404 EntryNotFound for a file it does not have.
            #expect(throws: HubError.fileNotFound(repo: Self.repo, revision: "main", path: "nothing.json")) {
                try HubClient(settings: fixture.settings())
                    .fileMetadata(repo: Self.repo, revision: "main", path: "nothing.json")
            }
            #expect(fixture.incompleteFiles().isEmpty)
        }
    }

    @Test func aRepoWithoutLoadableWeightsSaysWhatItHas() async throws {
        let local = try #require(HubFixture.model("SmolLM2-135M-Instruct-Q4_1-gguf"))
        try await HubFixture().run { fixture in
            try fixture.hub.add("org/gguf-only", folder: local, commit: HubFixture.commit)
            #expect {
                try HubResolver(settings: fixture.settings()).resolve(ModelReference(parsing: "org/gguf-only"))
            } throws: { error in
                "\(error)".contains("org/gguf-only:QUANT") && "\(error)".contains("SmolLM2-135M-Instruct.Q4_1.gguf")
            }
        }
    }

    @Test func offlineModeResolvesFromTheCacheAloneAndSaysWhenItIsNotThere() async throws {
        let local = try #require(HubFixture.model("stories260K"))
        try await HubFixture().run { fixture in
            try fixture.hub.add(Self.repo, folder: local, commit: HubFixture.commit)
            let reference = try ModelReference(parsing: Self.repo)
            let expected = HubError.offlineNotCached(repo: Self.repo, revision: "main", cache: fixture.cache.path)
            #expect(throws: expected) {
                try HubResolver(settings: fixture.settings(offline: true)).resolve(reference)
            }
            #expect(expected.description.contains("HF_HUB_OFFLINE"))
            #expect(fixture.hub.requests.isEmpty)
            let online = try HubResolver(settings: fixture.settings()).resolve(reference)
            fixture.hub.clearRequests()
            let environment = ["HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": fixture.cache.path, "HOME": "/nonexistent",
                               "HF_ENDPOINT": fixture.hub.endpoint]
            let settings = HubSettings(environment: environment)
            #expect(settings.isOffline)
            #expect(try HubResolver(settings: settings).resolve(reference) == online)
            #expect(throws: HubError.self) {
                try HubResolver(settings: settings).resolve(reference, revision: "v2")
            }
            #expect(fixture.hub.requests.isEmpty)
        }
    }

    @Test func aRefusedConnectionIsRetriedThenReported() throws {
        var settings = HubSettings(endpoint: "http://127.0.0.1:9", cacheDirectory: URL(fileURLWithPath: "/tmp/x"))
        settings.retryDelay = 0.01
        settings.maxAttempts = 3
        #expect {
            try HubResolver(settings: settings).resolve(ModelReference(parsing: "a/b"))
        } throws: { error in
            guard case .connection(let url, _, let attempts) = error as? HubError else { return false }
            return attempts == 3 && url.hasPrefix("http://127.0.0.1:9/api/models/a/b/revision/main")
        }
    }
}
