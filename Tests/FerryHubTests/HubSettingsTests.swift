// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import FerryHub

/// Model references and the environment huggingface_hub reads.
struct HubSettingsTests {
    @Test func referencesParseTheThreeFormsAndRejectTheRest() throws {
        #expect(try ModelReference(parsing: "Qwen/Qwen3-0.6B") == ModelReference(repo: "Qwen/Qwen3-0.6B",
                                                                                    weights: .safetensors))
        #expect(try ModelReference(parsing: "unsloth/Qwen3-0.6B-GGUF:Q4_K_M")
            == ModelReference(repo: "unsloth/Qwen3-0.6B-GGUF", weights: .ggufQuant("Q4_K_M")))
        #expect(try ModelReference(parsing: "org/repo/sub/model.Q8_0.gguf")
            == ModelReference(repo: "org/repo", weights: .ggufFile("sub/model.Q8_0.gguf")))
        #expect(try ModelReference(parsing: "a/b").cacheFolderName == "models--a--b")
        for bad in ["gpt2", "a/b/c.bin", "a/-b", "a/b..c", "a/b:", "a/b:Q4 K", "a//b", "a/b/../x.gguf", "a b/c"] {
            #expect(throws: HubError.self, "\(bad)") { try ModelReference(parsing: bad) }
        }
        #expect(ModelReference.looksLikeRepoId("Qwen/Qwen3-0.6B"))
        #expect(!ModelReference.looksLikeRepoId("./models/x"))
        #expect(!ModelReference.looksLikeRepoId("/models/stories260K"))
        #expect(!ModelReference.looksLikeRepoId("model.gguf"))
    }

    @Test func pathsFromTheHubOrTheCommandLineStayInsideTheCache() throws {
        #expect(FileSelection.isPlainRelativePath("sub/model.gguf"))
        for bad in ["../x.gguf", "/etc/x.gguf", "a/../../x", "a//b", "./a"] {
            #expect(!FileSelection.isPlainRelativePath(bad), "\(bad)")
        }
        let index = Data(#"{"weight_map": {"a": "../../outside.safetensors"}}"#.utf8)
        #expect(throws: HubError.self) { try FileSelection.shards(inIndex: index, repo: "a/b") }
        let reference = try ModelReference(parsing: "a/b:Q4_0")
        #expect(throws: HubError.self) {
            try FileSelection.ggufFile(for: reference, in: ["../evil-Q4_0.gguf"], revision: "main")
        }
        let settings = HubSettings(cacheDirectory: URL(fileURLWithPath: "/nonexistent"), isOffline: true)
        #expect(throws: HubError.revisionNotFound(repo: "a/b", revision: "../../etc")) {
            try HubResolver(settings: settings).resolve(ModelReference(parsing: "a/b"), revision: "../../etc")
        }
    }

    @Test func quantMatchingTakesWholeNameParts() {
        #expect(FileSelection.matches("Qwen3-0.6B-Q4_K_M.gguf", quant: "q4_k_m"))
        #expect(FileSelection.matches("sub/qwen3-0.6b-q4_k_m.gguf", quant: "Q4_K_M"))
        #expect(FileSelection.matches("Q4_0.gguf", quant: "Q4_0"))
        #expect(!FileSelection.matches("Qwen3-0.6B-Q4_K_M.gguf", quant: "Q4_K"))
        #expect(!FileSelection.matches("Qwen3-0.6B-IQ4_XS.gguf", quant: "Q4_XS"))
        #expect(!FileSelection.matches("Qwen3-Q8_0.gguf", quant: "Q4_0"))
    }

    @Test func theEnvironmentIsReadAsHuggingFaceHubReadsIt() throws {
        let home = ["HOME": "/home/u"]
        #expect(HubSettings(environment: home).cacheDirectory.path == "/home/u/.cache/huggingface/hub")
        #expect(HubSettings(environment: home).endpoint == "https://huggingface.co")
        #expect(!HubSettings(environment: home).isOffline)
        #expect(HubSettings(environment: home.merging(["XDG_CACHE_HOME": "/xdg"]) { $1 }).cacheDirectory.path
            == "/xdg/huggingface/hub")
        #expect(HubSettings(environment: home.merging(["HF_HOME": "/hf"]) { $1 }).cacheDirectory.path == "/hf/hub")
        let both = home.merging(["HF_HOME": "/hf", "HF_HUB_CACHE": "/cache"]) { $1 }
        #expect(HubSettings(environment: both).cacheDirectory.path == "/cache")
        #expect(HubSettings(environment: both, downloadDirectory: "/dl").cacheDirectory.path == "/dl")
        #expect(HubSettings(environment: home.merging(["HF_ENDPOINT": "http://mirror:8080/"]) { $1 }).endpoint
            == "http://mirror:8080")
        for value in ["1", "true", "YES", "on"] {
            #expect(HubSettings(environment: home.merging(["HF_HUB_OFFLINE": value]) { $1 }).isOffline)
        }
        #expect(HubSettings(environment: home.merging(["TRANSFORMERS_OFFLINE": "1"]) { $1 }).isOffline)
        #expect(!HubSettings(environment: home.merging(["HF_HUB_OFFLINE": "0"]) { $1 }).isOffline)
    }

    @Test func theTokenComesFromTheFlagThenHFTokenThenTheOldNameThenTheTokenFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-hf-home-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "hf_from_file\n".write(to: folder.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        var environment = ["HOME": "/home/u", "HF_HOME": folder.path]
        #expect(HubSettings(environment: environment).token == "hf_from_file")
        environment["HUGGING_FACE_HUB_TOKEN"] = "hf_old"
        #expect(HubSettings(environment: environment).token == "hf_old")
        environment["HF_TOKEN"] = "hf_new"
        #expect(HubSettings(environment: environment).token == "hf_new")
        #expect(HubSettings(environment: environment, token: "hf_flag").token == "hf_flag")
        #expect(HubSettings(environment: ["HOME": "/nonexistent"]).token == nil)
    }

    @Test func progressLinesComeAtMostOncePerIntervalPlusTheLast() {
        let lines = LinesBox()
        let progress = DownloadProgress(name: "model.safetensors", total: 2_000_000, startBytes: 500_000,
                                        interval: 3600) { lines.append($0) }
        for step in 1...100 { progress.update(500_000 + Int64(step) * 15_000) }
        progress.finish(2_000_000)
        #expect(lines.lines.count == 2)
        #expect(lines.lines[0] == "resuming model.safetensors at 500.0 kB of 2.0 MB")
        #expect(lines.lines[1].hasPrefix("downloaded model.safetensors: 2.0 MB / 2.0 MB (100%), "))
        #expect(lines.lines[1].hasSuffix("/s"))
    }

    @Test func retriesBackOffExponentiallyUpToTheCap() {
        let settings = HubSettings(cacheDirectory: URL(fileURLWithPath: "/tmp"))
        #expect((1...7).map { settings.delay(beforeAttempt: $0) } == [0, 1, 2, 4, 8, 16, 16])
    }
}
