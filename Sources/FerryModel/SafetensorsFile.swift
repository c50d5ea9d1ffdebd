// SPDX-License-Identifier: Apache-2.0
import FerryKernels
import FoundationEssentials

/// One `.safetensors` file, mapped read-only, with its header parsed and every tensor's bounds checked.
///
/// Layout: 8-byte little-endian header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]},
/// "__metadata__": {...}}`, then the data section; offsets are relative to the data section (byte 8 + N).
/// Made by `WeightStore.safetensors(folder:)` for each shard; tensors keep the file's own (HF) names.
public struct SafetensorsFile: Sendable {
    /// Path of the file, as given.
    public let path: String
    /// The tensors by name. Their `storage` regions point into the mapping.
    public let tensors: [String: WeightTensor]

    /// Maps and parses `path`.
    /// - Throws: `ModelError.unreadable` (cannot open/map), `.truncated` (shorter than 8 bytes),
    ///   `.headerOutOfBounds`, `.invalidHeader` (not a JSON object of entries), `.unsupportedTensorType` (dtype
    ///   other than F32/F16/BF16), `.invalidTensorInfo` (bad shape or offsets), `.tensorDataOutOfBounds`,
    ///   `.tensorSizeMismatch` (offsets disagree with shape × dtype size).
    public init(path: String) throws(ModelError) {
        self.path = path
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch {
            throw .unreadable(path: path, reason: error.description)
        }
        guard let headerLength = file.whole.load(UInt64.self, at: 0) else {
            throw .truncated(file: path, section: "the 8-byte header length")
        }
        guard headerLength <= UInt64(file.count - 8),
              let header = file.whole.bytes(at: 8, count: Int(headerLength))
        else {
            throw .headerOutOfBounds(file: path, headerLength: headerLength, fileSize: file.count)
        }
        let dataStart = 8 + Int(headerLength)
        let entries: [String: HeaderEntry]
        do {
            entries = try JSONDecoder().decode([String: HeaderEntry].self, from: Data(header))
        } catch DecodingError.typeMismatch {
            throw .invalidHeader(file: path, reason: "the header is not a JSON object")
        } catch {
            throw .invalidHeader(file: path, reason: "not valid JSON")
        }
        var tensors: [String: WeightTensor] = [:]
        for (name, entry) in entries where name != "__metadata__" {
            tensors[name] = try Self.tensor(name: name, entry: entry, file: file, dataStart: dataStart)
        }
        self.tensors = tensors
    }

    /// Tensor names in sorted order.
    public var names: [String] { tensors.keys.sorted() }

    /// Checks one header entry and makes its tensor.
    private static func tensor(name: String, entry: HeaderEntry, file: MappedFile, dataStart: Int)
        throws(ModelError) -> WeightTensor
    {
        let path = file.path
        guard let dtype = entry.dtype else {
            throw .invalidHeader(file: path, reason: "tensor '\(name)' has no dtype string")
        }
        guard let type = WeightType(safetensorsName: dtype) else {
            throw .unsupportedTensorType(file: path, tensor: name, type: dtype)
        }
        guard let shape = entry.shape, shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidTensorInfo(file: path, tensor: name, reason: "shape is not a list of non-negative ints")
        }
        guard let offsets = entry.dataOffsets, offsets.count == 2,
              offsets[0] >= 0, offsets[0] <= offsets[1]
        else {
            throw .invalidTensorInfo(file: path, tensor: name, reason: "data_offsets is not [begin, end] with "
                + "0 <= begin <= end")
        }
        let start = offsets[0].addingReportingOverflow(dataStart)
        let end = offsets[1].addingReportingOverflow(dataStart)
        guard !start.overflow, !end.overflow, end.partialValue <= file.count,
              let storage = file.region(offset: start.partialValue, count: offsets[1] - offsets[0])
        else {
            throw .tensorDataOutOfBounds(file: path, tensor: name, start: UInt64(clamping: start.partialValue),
                                         end: UInt64(clamping: end.partialValue), fileSize: file.count)
        }
        guard let expected = type.byteCount(shape: shape) else {
            throw .invalidTensorInfo(file: path, tensor: name, reason: "shape \(shape) overflows")
        }
        guard expected == storage.count else {
            throw .tensorSizeMismatch(file: path, tensor: name, expectedBytes: expected, foundBytes: storage.count)
        }
        return WeightTensor(name: name, type: type, shape: shape, storage: storage)
    }

    /// One value of the header object, read leniently: a field that is missing or of the wrong type is nil (so
    /// `__metadata__`, or a malformed entry, decodes, and `tensor` names what is wrong with it).
    struct HeaderEntry: Decodable {
        let dtype: String?
        /// Integers only: `1.5` or `-1e300` make the list nil.
        let shape: [Int]?
        let dataOffsets: [Int]?

        private enum Key: String, CodingKey { case dtype, shape, dataOffsets = "data_offsets" }

        init(from decoder: any Decoder) {
            let fields = try? decoder.container(keyedBy: Key.self)
            dtype = try? fields?.decode(String.self, forKey: .dtype)
            shape = try? fields?.decode([Int].self, forKey: .shape)
            dataOffsets = try? fields?.decode([Int].self, forKey: .dataOffsets)
        }
    }
}
