// SPDX-License-Identifier: Apache-2.0
import FerryKernels

/// A GGUF file (version 2 or 3, little-endian), mapped read-only, with its metadata and tensor infos parsed and
/// every tensor's bounds checked. Tensor bytes are not read or copied.
///
/// Layout: magic `GGUF`, u32 version, u64 tensor count, u64 metadata count, metadata (string key, u32 type,
/// value), tensor infos (string name, u32 n_dims, u64 dims innermost-first, u32 ggml type, u64 offset), padding to
/// `general.alignment` (default 32), data section. Made by `ModelFiles.load`; `WeightStore(gguf:)` renames its
/// tensors to HF names and `tokenizerFields()` serves the vocabulary.
public struct GGUFFile: Sendable {
    /// Path of the file, as given.
    public let path: String
    /// GGUF format version (2 or 3).
    public let version: UInt32
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensors by GGUF name (`blk.0.attn_q.weight`), shapes reversed to HF order (outermost first).
    public let tensors: [String: WeightTensor]
    /// Tensor names in file order.
    public let tensorNames: [String]
    /// Alignment of the data section and of each tensor's offset, in bytes.
    public let alignment: Int
    /// Position of the data section from the start of the file, in bytes.
    public let dataOffset: Int

    /// Maps and parses `path`.
    /// - Throws: `ModelError.unreadable`, `.badMagic`, `.unsupportedVersion`, `.truncated` (file ends in the header,
    ///   metadata or tensor infos), `.absurdCount`, `.invalidMetadata`, `.unsupportedTensorType`,
    ///   `.invalidTensorInfo`, `.duplicateTensor`, `.tensorDataOutOfBounds` (file ends in the data section).
    public init(path: String) throws(ModelError) {
        self.path = path
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch {
            throw .unreadable(path: path, reason: error.description)
        }
        var reader = GGUFReader(region: file.whole)
        guard let magic = file.whole.bytes(at: 0, count: 4) else { throw .truncated(file: path, section: "the magic") }
        guard magic == Array("GGUF".utf8) else { throw .badMagic(file: path, found: magic) }
        reader.position = 4
        version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(file: path, version: version) }
        let tensorCount = try reader.count(minimumBytes: 24, requireFit: false, "the tensor count")
        let metadataCount = try reader.count(minimumBytes: 13, requireFit: false, "the metadata count")

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        metadata.reserveCapacity(reader.capacity(metadataCount, minimumBytes: 13))
        keys.reserveCapacity(reader.capacity(metadataCount, minimumBytes: 13))
        for index in 0..<metadataCount {
            let key = try reader.string("metadata key #\(index)")
            let rawType = try reader.read(UInt32.self, "the type of metadata '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw .invalidMetadata(file: path, key: key, reason: "unknown value type \(rawType)")
            }
            guard metadata[key] == nil else { throw .invalidMetadata(file: path, key: key, reason: "appears twice") }
            metadata[key] = try reader.value(type, key: key)
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let align = value.intValue, align > 0, align & (align - 1) == 0 else {
                throw .invalidMetadata(file: path, key: "general.alignment", reason: "must be a power of two")
            }
            alignment = align
        }
        self.alignment = alignment

        var infos: [(name: String, dims: [Int], type: UInt32, offset: UInt64)] = []
        infos.reserveCapacity(reader.capacity(tensorCount, minimumBytes: 24))
        for index in 0..<tensorCount {
            let name = try reader.string("tensor info #\(index)")
            let section = "tensor info #\(index) ('\(name)')"
            let dimCount = try reader.read(UInt32.self, section)
            guard dimCount <= 4 else {
                throw .invalidTensorInfo(file: path, tensor: name, reason: "\(dimCount) dimensions (at most 4)")
            }
            var dims: [Int] = []
            for _ in 0..<dimCount {
                let dim = try reader.read(UInt64.self, section)
                guard let value = Int(exactly: dim) else {
                    throw .invalidTensorInfo(file: path, tensor: name, reason: "dimension \(dim) is too large")
                }
                dims.append(value)
            }
            let type = try reader.read(UInt32.self, section)
            let offset = try reader.read(UInt64.self, section)
            infos.append((name, dims, type, offset))
        }

        let (aligned, overflow) = reader.position.addingReportingOverflow(alignment - 1)
        dataOffset = overflow ? Int.max : aligned / alignment * alignment
        var tensors: [String: WeightTensor] = [:]
        tensors.reserveCapacity(infos.count)  // bounded: every info was read from the file
        for info in infos {
            guard tensors[info.name] == nil else { throw .duplicateTensor(file: path, tensor: info.name) }
            tensors[info.name] = try Self.tensor(info.name, dims: info.dims, rawType: info.type, offset: info.offset,
                                                 file: file, dataOffset: dataOffset, alignment: alignment)
        }
        self.tensors = tensors
        tensorNames = infos.map(\.name)
    }

    /// Checks one tensor info against the file and makes its tensor (shape reversed to HF order).
    private static func tensor(_ name: String, dims: [Int], rawType: UInt32, offset: UInt64, file: MappedFile,
                               dataOffset: Int, alignment: Int) throws(ModelError) -> WeightTensor
    {
        guard let type = WeightType(rawValue: rawType) else {
            throw .unsupportedTensorType(file: file.path, tensor: name, type: WeightType.ggmlName(rawType))
        }
        let shape = Array(dims.reversed())
        guard let byteCount = type.byteCount(shape: shape) else {
            throw .invalidTensorInfo(file: file.path, tensor: name, reason: "shape \(shape) of \(type) is not a "
                + "whole number of \(type.blockSize)-element blocks per row, or overflows")
        }
        guard offset % UInt64(alignment) == 0 else {
            throw .invalidTensorInfo(file: file.path, tensor: name, reason: "offset \(offset) is not a multiple of "
                + "the alignment \(alignment)")
        }
        let start = UInt64(dataOffset).addingReportingOverflow(offset)
        let end = start.partialValue.addingReportingOverflow(UInt64(byteCount))
        guard !start.overflow, !end.overflow, end.partialValue <= UInt64(file.count),
              let storage = file.region(offset: Int(start.partialValue), count: byteCount)
        else {
            throw .tensorDataOutOfBounds(file: file.path, tensor: name, start: start.partialValue,
                                         end: end.partialValue, fileSize: file.count)
        }
        return WeightTensor(name: name, type: type, shape: shape, storage: storage)
    }
}
