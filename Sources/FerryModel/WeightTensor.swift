// SPDX-License-Identifier: Apache-2.0
import FerryKernels

/// One weight tensor as stored in a model file, without copying: its bytes stay in the mapped file.
///
/// `WeightStore` hands these out by Hugging Face name; the compute layer converts them (dequantize, apply
/// `rowOrder`) into its own buffers. Made by `SafetensorsFile` and `GGUFFile`.
public struct WeightTensor: Sendable {
    /// Hugging Face name for tensors served by `WeightStore` (`model.layers.0.self_attn.q_proj.weight`); the
    /// file's own name for tensors listed by `SafetensorsFile` / `GGUFFile`.
    public let name: String
    /// Element storage type.
    public let type: WeightType
    /// Dimensions in HF order, outermost first: a matrix is `[rows, cols]` with `cols` contiguous in memory.
    public let shape: [Int]
    /// The tensor's bytes: `type.byteCount(shape: shape)` of them, rows one after another.
    public let storage: ByteRegion
    /// Row permutation to apply when converting, or nil for rows in order: destination row `r` (HF order) is
    /// stored row `rowOrder[r]`. Set for GGUF `q_proj`/`k_proj` to undo llama.cpp's RoPE interleaving. On a vector
    /// (a GGUF q/k bias) it permutes elements the same way: element `r` is stored element `rowOrder[r]`.
    public let rowOrder: [Int]?

    public init(name: String, type: WeightType, shape: [Int], storage: ByteRegion, rowOrder: [Int]? = nil) {
        self.name = name
        self.type = type
        self.shape = shape
        self.storage = storage
        self.rowOrder = rowOrder
    }

    /// Path of the file holding the bytes, for error messages.
    public var file: String { storage.file.path }

    /// Number of rows: the outer dimensions multiplied (1 for a vector).
    public var rows: Int { shape.dropLast().reduce(1, *) }

    /// Elements per row: the innermost dimension.
    public var columns: Int { shape.last ?? 1 }

    /// Bytes of one stored row.
    public var rowBytes: Int { columns / type.blockSize * type.blockBytes }

    /// The bytes of stored row `row` (before `rowOrder`), or nil when out of range.
    public func storedRow(_ row: Int) -> ByteRegion? {
        guard row >= 0, row < rows else { return nil }
        return storage.slice(at: row * rowBytes, count: rowBytes)
    }

    /// The bytes of HF row `row`, after `rowOrder`, or nil when out of range.
    public func row(_ row: Int) -> ByteRegion? {
        guard row >= 0, row < rows else { return nil }
        return storedRow(rowOrder?[row] ?? row)
    }

    /// A copy under another name, with a row order (used when GGUF tensors are renamed to HF names).
    func renamed(_ newName: String, rowOrder newOrder: [Int]? = nil) -> WeightTensor {
        WeightTensor(name: newName, type: type, shape: shape, storage: storage, rowOrder: newOrder ?? rowOrder)
    }
}
