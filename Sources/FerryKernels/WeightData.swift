// SPDX-License-Identifier: Apache-2.0

/// Where a weight's bytes are and how to read them: what a model loader hands to `ComputeBackend.upload`.
public struct WeightData: Sendable {
    /// Storage type of the elements.
    public let type: WeightType
    /// Rows (output features) and columns (input features); a vector has one row.
    public let rows: Int
    public let columns: Int
    /// The stored bytes, `rows × type.rowBytes(columns)` long, usually inside an mmapped file.
    public let bytes: ByteRegion
    /// Destination row → source row, applied while uploading (llama.cpp's Q/K permutation undone); nil keeps order.
    public let rowOrder: [Int]?

    public init(type: WeightType, rows: Int, columns: Int, bytes: ByteRegion, rowOrder: [Int]? = nil) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.bytes = bytes
        self.rowOrder = rowOrder
    }

    /// Bytes one row takes, or nil when the columns are not whole blocks.
    public var rowBytes: Int? { type.rowBytes(columns: columns) }
}

/// A weight matrix resident on a backend, in the backend's layout (quantized types stay quantized).
/// Shape: [rows, columns]; y = x · Wᵀ multiplies it.
public final class WeightMatrix: @unchecked Sendable {
    public let type: WeightType
    public let rows: Int
    public let columns: Int
    /// The bytes: either an owned buffer or a region of a mapped file that this object keeps alive.
    /// `@unchecked Sendable`: never written after upload.
    private let owned: DeviceBuffer?
    private let mapped: ByteRegion?

    package init(type: WeightType, rows: Int, columns: Int, owned: DeviceBuffer) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.owned = owned
        self.mapped = nil
    }

    package init(type: WeightType, rows: Int, columns: Int, mapped: ByteRegion) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.owned = nil
        self.mapped = mapped
    }

    /// Bytes this matrix occupies.
    public var byteCount: Int { owned?.byteCount ?? mapped?.count ?? 0 }

    package func withRawPointer<R>(_ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
        if let owned { return try body(UnsafeRawPointer(owned.pointer)) }
        return try mapped!.withUnsafeBytes { try body($0.baseAddress!) }
    }
}
