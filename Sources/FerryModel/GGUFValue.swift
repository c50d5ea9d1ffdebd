// SPDX-License-Identifier: Apache-2.0

/// GGUF metadata value type codes (`gguf_type` in llama.cpp's gguf.h).
public enum GGUFValueType: UInt32, Sendable, Equatable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7, string = 8
    case array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Size in bytes of one value of a fixed-size type; the minimum encoded size for string (its 8-byte length)
    /// and array (4-byte element type + 8-byte count). Used to reject counts that cannot fit in the file.
    var minimumBytes: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}

/// One GGUF metadata value. Read through `GGUFFile`'s typed accessors (`int`, `string`, `stringArray`, ...).
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    /// The value as an `Int` when it is an integer of any width that fits.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The value as a `Double` when it is a float or an integer.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: intValue.map(Double.init)
        }
    }

    /// The type code this value was stored with.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }
}

/// A GGUF metadata array, stored compactly by element kind (a 49k-token vocabulary is one `[String]`).
public indirect enum GGUFArray: Sendable, Equatable {
    /// Any integer element type; `elementType` says which. `uint64` elements above `Int64.max` keep their bit
    /// pattern (they do not occur in real files).
    case integers([Int64], elementType: GGUFValueType)
    case float32([Float])
    case float64([Double])
    case bools([Bool])
    case strings([String])
    case arrays([GGUFArray])

    /// Number of elements.
    public var count: Int {
        switch self {
        case .integers(let v, _): v.count
        case .float32(let v): v.count
        case .float64(let v): v.count
        case .bools(let v): v.count
        case .strings(let v): v.count
        case .arrays(let v): v.count
        }
    }
}
