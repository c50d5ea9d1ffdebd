// SPDX-License-Identifier: Apache-2.0
import FerryEngine
import FerryHTTP
import FerryKernels
import FerryScheduling
import Foundation
import TestSupport
@testable import FerryHub

/// A fake hub serving `../shared/models` folders and an empty cache folder, removed afterwards.
struct HubFixture {
    static let commit = "0123456789abcdef0123456789abcdef01234567"
    let hub = FakeHub()
    let cache: URL

    init() throws {
        cache = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-hub-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
    }

    /// Settings for the fake hub: short retry delays so failure tests run fast.
    func settings(token: String? = nil, offline: Bool = false, attempts: Int = 5) -> HubSettings {
        var settings = HubSettings(endpoint: hub.endpoint + "/", token: token, cacheDirectory: cache,
                                   isOffline: offline)
        settings.retryDelay = 0.05
        settings.maxAttempts = attempts
        settings.progressInterval = 0
        return settings
    }

    /// Runs `body` with the hub started; stops it and removes the cache afterwards.
    func run(_ body: (HubFixture) async throws -> Void) async throws {
        let server = try hub.start()
        defer { try? FileManager.default.removeItem(at: cache) }
        do {
            try await body(self)
        } catch {
            await server.shutdown(drainTimeout: nil)
            throw error
        }
        await server.shutdown(drainTimeout: nil)
    }

    /// A model folder of `../shared/models`.
    static func model(_ name: String) -> URL? { SharedData.path("models/\(name)") }

    func repoFolder(_ repo: String) -> URL {
        cache.appendingPathComponent("models--" + repo.replacingOccurrences(of: "/", with: "--"))
    }

    /// Every `*.incomplete` file in the cache.
    func incompleteFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: cache.path)
        var found: [String] = []
        while let next = enumerator?.nextObject() as? String {
            if next.hasSuffix(".incomplete") { found.append(next) }
        }
        return found
    }

    /// The CDN requests the hub saw.
    var cdnRequests: [FakeHub.Recorded] { hub.requests.filter { $0.path.hasPrefix("/cdn/") } }
}

/// Greedy token ids of a model at `path` for a fixed prompt.
func greedyTokens(path: String, count: Int) throws -> [Int] {
    let loaded = try LoadedModel.load(path: path, backend: CPUBackend(numThreads: 1))
    var parameters = SamplingParameters()
    parameters.temperature = 0
    let prompt = loaded.tokenizer.encode("Once upon a time")
    let sequence = BatchGenerator.Sequence(promptTokenIds: prompt, parameters: parameters, maxTokens: count,
                                           stopTokenIds: [])
    return try BatchGenerator(model: loaded.model).generate([sequence]).outputs[0]
}
