// SPDX-License-Identifier: Apache-2.0

/// A float32 activation tensor on a backend: a contiguous row-major view into a `DeviceBuffer`.
///
/// Shapes are documented where tensors are made, e.g. `/// Shape: [numTokens, hiddenSize]`.
public struct Tensor: Sendable {
    public let buffer: DeviceBuffer
    /// Offset of the first element, in floats.
    public let offset: Int
    /// Row-major shape, outermost first.
    public let shape: [Int]

    public init(buffer: DeviceBuffer, offset: Int = 0, shape: [Int]) {
        precondition((offset + shape.reduce(1, *)) * 4 <= buffer.byteCount, "tensor view outside its buffer")
        self.buffer = buffer
        self.offset = offset
        self.shape = shape
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Rows of a 2-D view (the product of all but the last dimension).
    public var rows: Int { shape.count > 1 ? count / shape[shape.count - 1] : 1 }

    /// The last dimension.
    public var columns: Int { shape.last ?? 1 }

    /// The same elements seen with another shape of equal count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape changes the element count")
        return Tensor(buffer: buffer, offset: offset, shape: newShape)
    }

    /// Rows `[start, start + length)` of a 2-D view.
    public func rows(_ start: Int, count length: Int) -> Tensor {
        precondition(start >= 0 && start + length <= rows, "row slice out of range")
        return Tensor(buffer: buffer, offset: offset + start * columns, shape: [length, columns])
    }

    package var pointer: UnsafeMutablePointer<Float> { buffer.floats + offset }
}
