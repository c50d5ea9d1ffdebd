// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import FoundationEssentials

/// Problems found while decoding a config that the decoder cannot attach a file name to; `decodeConfig` maps them
/// to `ModelError` with the file.
enum ConfigDecodingFailure: Error {
    case unsupportedArchitecture(String)
    case unsupportedRopeScaling(String)
    case invalid(String)
}

/// A token id field that Hugging Face writes as an int, a list of ints, or null (`eos_token_id`).
struct TokenIDList: Decodable {
    var ids: [Int]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            ids = []
        } else if let single = try? container.decode(Int.self) {
            ids = [single]
        } else {
            ids = try container.decode([Int].self)
        }
    }
}

/// Decodes a JSON config file's bytes, turning every failure into a `ModelError` naming `file`.
/// Called by `ModelConfig.load` and `GenerationConfig.load`.
func decodeConfig<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws(ModelError) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let failure as ConfigDecodingFailure {
        switch failure {
        case .unsupportedArchitecture(let name): throw .unsupportedArchitecture(file: file, architecture: name)
        case .unsupportedRopeScaling(let name): throw .unsupportedRopeScaling(file: file, type: name)
        case .invalid(let reason): throw .invalidConfig(file: file, reason: reason)
        }
    } catch let error as DecodingError {
        throw .invalidConfig(file: file, reason: readable(error))
    } catch {
        throw .invalidConfig(file: file, reason: "\(error)")
    }
}

/// Reads a whole (small) JSON side file.
func readSideFile(_ url: URL) throws(ModelError) -> Data {
    guard FileManager.default.fileExists(atPath: url.path) else { throw .missingFile(path: url.path) }
    do {
        return try Data(contentsOf: url)
    } catch {
        throw .unreadable(path: url.path, reason: error.fileErrorReason)
    }
}

private func readable(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
        let parent = path(context)
        return "missing key '\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)'"
    case .typeMismatch(let type, let context): return "'\(path(context))' is not a \(type)"
    case .valueNotFound(let type, let context): return "'\(path(context))' is null, expected \(type)"
    case .dataCorrupted(let context):
        return context.codingPath.isEmpty ? "not valid JSON" : "'\(path(context))': \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
