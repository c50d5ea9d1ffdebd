// SPDX-License-Identifier: Apache-2.0

/// Why a model could not be loaded. Every case names the file (and tensor, where one is involved).
///
/// Thrown by `ModelFiles.load`, `ModelConfig.load`, `GenerationConfig.load`, `SafetensorsFile.init`,
/// `GGUFFile.init` and `WeightStore`. Parsers of model files never crash on bad data: they throw one of these.
/// Byte positions and sizes are in bytes from the start of the file.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file exists but could not be opened, mapped or read.
    case unreadable(path: String, reason: String)
    /// A file the model needs (for example `config.json`) is not there.
    case missingFile(path: String)
    /// The folder holds no weights Ferry can load (no `model.safetensors`, index, or single `.gguf`).
    case noWeights(path: String, reason: String)
    /// `config.json` / `generation_config.json` is not valid JSON, misses a required key, or holds impossible values.
    case invalidConfig(file: String, reason: String)
    /// `model_type` (config.json) or `general.architecture` (GGUF) names an architecture Ferry does not run.
    case unsupportedArchitecture(file: String, architecture: String)
    /// `rope_scaling` names a scaling type other than `llama3`, `linear` or `default`.
    case unsupportedRopeScaling(file: String, type: String)

    /// The file ends inside `section` (e.g. "header length", "metadata key #3", "tensor info #7").
    case truncated(file: String, section: String)
    /// A safetensors header length (bytes after the first 8) that reaches past the end of the file.
    case headerOutOfBounds(file: String, headerLength: UInt64, fileSize: Int)
    /// The safetensors JSON header is not a JSON object of tensor entries.
    case invalidHeader(file: String, reason: String)
    /// A tensor's bytes `[start, end)` (absolute file positions) reach past the end of the file.
    case tensorDataOutOfBounds(file: String, tensor: String, start: UInt64, end: UInt64, fileSize: Int)
    /// A tensor's byte count disagrees with its shape and element type.
    case tensorSizeMismatch(file: String, tensor: String, expectedBytes: Int, foundBytes: Int)
    /// A tensor's element type is unknown or not supported (safetensors dtype string, or "ggml type N").
    case unsupportedTensorType(file: String, tensor: String, type: String)
    /// A tensor's shape or offset is impossible (too many dims, overflow, row not a whole number of blocks, ...).
    case invalidTensorInfo(file: String, tensor: String, reason: String)
    /// The same tensor name appears twice.
    case duplicateTensor(file: String, tensor: String)
    /// A tensor the architecture needs is absent. `file` is the weights file (or index) searched.
    case missingTensor(file: String, tensor: String)
    /// A tensor's shape (HF order, outer dimension first) differs from what the config implies.
    case wrongShape(file: String, tensor: String, expected: [Int], found: [Int])
    /// `model.safetensors.index.json` names a shard file that is not in the folder.
    case missingShard(file: String, shard: String)

    /// The first four bytes are not `GGUF`.
    case badMagic(file: String, found: [UInt8])
    /// A GGUF version other than 2 or 3.
    case unsupportedVersion(file: String, version: UInt32)
    /// A count (tensors, metadata keys, array elements) implying more than 1 TiB: no file can hold it. (A count
    /// that merely exceeds the rest of the file is `.truncated`.)
    case absurdCount(file: String, section: String, count: UInt64)
    /// A GGUF metadata key is absent, has the wrong type, or an impossible value.
    case invalidMetadata(file: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .missingFile(let path): "\(path) is missing"
        case .noWeights(let path, let reason): "no model weights in \(path): \(reason)"
        case .invalidConfig(let file, let reason): "\(file): invalid config: \(reason)"
        case .unsupportedArchitecture(let file, let arch):
            "\(file): unsupported architecture '\(arch)' (supported: llama, mistral, qwen2, qwen3)"
        case .unsupportedRopeScaling(let file, let type):
            "\(file): unsupported rope_scaling type '\(type)' (supported: llama3, linear)"
        case .truncated(let file, let section): "\(file): file ends inside \(section)"
        case .headerOutOfBounds(let file, let length, let size):
            "\(file): header length \(length) reaches past the end of the \(size)-byte file"
        case .invalidHeader(let file, let reason): "\(file): invalid safetensors header: \(reason)"
        case .tensorDataOutOfBounds(let file, let tensor, let start, let end, let size):
            "\(file): tensor '\(tensor)' data [\(start), \(end)) reaches past the end of the \(size)-byte file"
        case .tensorSizeMismatch(let file, let tensor, let expected, let found):
            "\(file): tensor '\(tensor)' has \(found) bytes but its shape and type need \(expected)"
        case .unsupportedTensorType(let file, let tensor, let type):
            "\(file): tensor '\(tensor)' has unsupported type \(type) (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)"
        case .invalidTensorInfo(let file, let tensor, let reason): "\(file): tensor '\(tensor)': \(reason)"
        case .duplicateTensor(let file, let tensor): "\(file): tensor '\(tensor)' appears more than once"
        case .missingTensor(let file, let tensor): "\(file): tensor '\(tensor)' is missing"
        case .wrongShape(let file, let tensor, let expected, let found):
            "\(file): tensor '\(tensor)' has shape \(found) but the config implies \(expected)"
        case .missingShard(let file, let shard): "\(file): shard '\(shard)' is missing"
        case .badMagic(let file, let found): "\(file): not a GGUF file (first bytes \(found))"
        case .unsupportedVersion(let file, let version): "\(file): unsupported GGUF version \(version) (need 2 or 3)"
        case .absurdCount(let file, let section, let count):
            "\(file): \(section) count \(count) is absurd (implies more than 1 TiB)"
        case .invalidMetadata(let file, let key, let reason): "\(file): metadata '\(key)': \(reason)"
        }
    }
}
