// SPDX-License-Identifier: Apache-2.0

/// How a weight tensor's elements are stored. Raw values are GGUF's `ggml_type` numbers, the same as the C kernels'
/// `ferry_cpu_type`, so the compute layer passes `rawValue` straight to `ferry_cpu_*` functions.
///
/// Quantized types store blocks of 32 consecutive elements along a row (the inner, last HF dimension).
public enum WeightType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    /// Blocks of 32: f16 scale d, 16 bytes of 4-bit q; w = d * (q - 8). 18 bytes per block.
    case q4_0 = 2
    /// Blocks of 32: f16 scale d, f16 min m, 16 bytes of 4-bit q; w = d * q + m. 20 bytes per block.
    case q4_1 = 3
    /// Blocks of 32: f16 scale d, 32 int8 q; w = d * q. 34 bytes per block.
    case q8_0 = 8
    case bf16 = 30

    /// Elements per block: 1 for the float types, 32 for the quantized ones.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q4_0, .q4_1, .q8_0: 32
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q4_0: 18
        case .q4_1: 20
        case .q8_0: 34
        }
    }

    /// True for the block-quantized types.
    public var isQuantized: Bool { blockSize > 1 }

    /// Bytes of one row of `columns` elements, or nil when `columns` is not a whole number of blocks.
    public func rowBytes(columns: Int) -> Int? {
        guard columns >= 0, columns % blockSize == 0 else { return nil }
        return columns / blockSize * blockBytes
    }

    /// The C kernels' `ferry_cpu_type` value.
    var kernelType: Int32 { Int32(rawValue) }

    /// Bytes of a tensor with `shape` (HF order, last dimension innermost), or nil when the innermost dimension is
    /// not a whole number of blocks or the size overflows `Int`. A scalar (empty shape) holds one element.
    public func byteCount(shape: [Int]) -> Int? {
        let inner = shape.last ?? 1
        guard shape.allSatisfy({ $0 >= 0 }), inner % blockSize == 0 else { return nil }
        var blocks = inner / blockSize
        for dimension in shape.dropLast() {
            let (product, overflow) = blocks.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            blocks = product
        }
        let (bytes, overflow) = blocks.multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    /// The safetensors dtype string for the float types (`F32`, `F16`, `BF16`); nil for quantized types.
    public var safetensorsName: String? {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .q4_0, .q4_1, .q8_0: nil
        }
    }

    /// The type for a safetensors dtype string, or nil when Ferry does not load it (I64, F64, F8_E4M3, ...).
    public init?(safetensorsName name: String) {
        switch name {
        case "F32": self = .f32
        case "F16": self = .f16
        case "BF16": self = .bf16
        default: return nil
        }
    }

    /// GGUF's name of the type (`F32`, `Q4_1`, ...).
    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q8_0: "Q8_0"
        }
    }

    /// A readable name for any ggml type number, for errors about types Ferry does not load.
    public static func ggmlName(_ raw: UInt32) -> String {
        let names: [UInt32: String] = [
            6: "Q5_0", 7: "Q5_1", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K",
            15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
            22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M",
        ]
        if let known = WeightType(rawValue: raw) { return known.description }
        return names[raw].map { "\($0) (ggml type \(raw))" } ?? "ggml type \(raw)"
    }
}
