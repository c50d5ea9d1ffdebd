// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU

/// How a weight tensor's elements are stored. Raw values are GGUF's `ggml_type` numbers, so a GGUF tensor's type
/// converts directly; safetensors dtypes map to the plain float cases.
public enum WeightType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8
    case bf16 = 30

    /// Elements per block: 32 for the quantized types, 1 for plain floats.
    public var blockSize: Int { Int(ferry_cpu_type_block_size(rawValue)) }

    /// Bytes of one block.
    public var blockBytes: Int { Int(ferry_cpu_type_block_bytes(rawValue)) }

    /// True for the block-quantized types.
    public var isQuantized: Bool { blockSize > 1 }

    /// Bytes of one row of `columns` elements, or nil when `columns` is not a whole number of blocks.
    public func rowBytes(columns: Int) -> Int? {
        guard columns >= 0, columns % blockSize == 0 else { return nil }
        return columns / blockSize * blockBytes
    }

    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q8_0: "Q8_0"
        case .bf16: "BF16"
        }
    }
}
