// SPDX-License-Identifier: Apache-2.0
import FerryKernels

/// A cursor over a GGUF file's header that turns every short read into `ModelError.truncated` naming the section.
/// Used only by `GGUFFile.init`.
struct GGUFReader {
    let region: ByteRegion
    let path: String
    /// Position of the next byte to read, from the start of the file.
    var position = 0

    init(region: ByteRegion) {
        self.region = region
        path = region.file.path
    }

    /// Bytes between the cursor and the end of the file.
    var remaining: Int { region.count - position }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ section: @autoclosure () -> String)
        throws(ModelError) -> T
    {
        guard let value = region.load(T.self, at: position) else { throw .truncated(file: path, section: section()) }
        position += MemoryLayout<T>.size
        return value
    }

    /// Largest total size a count may imply, in bytes (1 TiB, beyond any model file): more is `absurdCount`.
    static let absurdBytes = 1 << 40

    /// Reads a count of elements of at least `minimumBytes` each.
    ///
    /// A count implying more than `absurdBytes` is `.absurdCount`. With `requireFit`, a count that cannot fit in the
    /// rest of the file is `.truncated` (the file provably ends inside `section`); without it the caller reads the
    /// elements one by one and the first short read names the exact element. Either way callers may reserve
    /// `min(count, remaining / minimumBytes)` elements without risking a huge allocation.
    mutating func count(minimumBytes: Int, requireFit: Bool = true, _ section: @autoclosure () -> String)
        throws(ModelError) -> Int
    {
        let raw = try read(UInt64.self, section())
        let size = max(minimumBytes, 1)
        guard raw <= UInt64(Self.absurdBytes / size) else {
            throw .absurdCount(file: path, section: section(), count: raw)
        }
        guard !requireFit || raw <= UInt64(remaining / size) else { throw .truncated(file: path, section: section()) }
        return Int(raw)
    }

    /// Capacity to reserve for `count` elements of at least `minimumBytes` each: no more than the file can hold.
    func capacity(_ count: Int, minimumBytes: Int) -> Int { min(count, remaining / max(minimumBytes, 1)) }

    /// Reads a GGUF string: 8-byte length, then UTF-8 bytes (no terminator).
    mutating func string(_ section: @autoclosure () -> String) throws(ModelError) -> String {
        let length = try read(UInt64.self, section())
        guard length <= UInt64(remaining), let text = region.string(at: position, count: Int(length)) else {
            throw .truncated(file: path, section: section())
        }
        position += Int(length)
        return text
    }

    /// Reads one metadata value of `type`. Arrays may nest at most `depth` more levels.
    mutating func value(_ type: GGUFValueType, key: String, depth: Int = 4) throws(ModelError) -> GGUFValue {
        let section = "the value of metadata '\(key)'"
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, section))
        case .int8: return .int8(try read(Int8.self, section))
        case .uint16: return .uint16(try read(UInt16.self, section))
        case .int16: return .int16(try read(Int16.self, section))
        case .uint32: return .uint32(try read(UInt32.self, section))
        case .int32: return .int32(try read(Int32.self, section))
        case .uint64: return .uint64(try read(UInt64.self, section))
        case .int64: return .int64(try read(Int64.self, section))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, section)))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, section)))
        case .bool: return .bool(try read(UInt8.self, section) != 0)
        case .string: return .string(try string(section))
        case .array: return .array(try array(key: key, depth: depth))
        }
    }

    /// Reads an array: 4-byte element type, 8-byte count, elements.
    mutating func array(key: String, depth: Int) throws(ModelError) -> GGUFArray {
        let section = "the array value of metadata '\(key)'"
        let rawType = try read(UInt32.self, section)
        guard let elementType = GGUFValueType(rawValue: rawType) else {
            throw .invalidMetadata(file: path, key: key, reason: "unknown array element type \(rawType)")
        }
        let count = try self.count(minimumBytes: elementType.minimumBytes, section)
        switch elementType {
        case .string:
            var strings: [String] = []
            strings.reserveCapacity(count)
            for _ in 0..<count { strings.append(try string(section)) }
            return .strings(strings)
        case .float32:
            var floats: [Float] = []
            floats.reserveCapacity(count)
            for _ in 0..<count { floats.append(Float(bitPattern: try read(UInt32.self, section))) }
            return .float32(floats)
        case .float64:
            var doubles: [Double] = []
            doubles.reserveCapacity(count)
            for _ in 0..<count { doubles.append(Double(bitPattern: try read(UInt64.self, section))) }
            return .float64(doubles)
        case .bool:
            var bools: [Bool] = []
            bools.reserveCapacity(count)
            for _ in 0..<count { bools.append(try read(UInt8.self, section) != 0) }
            return .bools(bools)
        case .array:
            guard depth > 0 else {
                throw .invalidMetadata(file: path, key: key, reason: "arrays nested too deeply")
            }
            var arrays: [GGUFArray] = []
            arrays.reserveCapacity(count)
            for _ in 0..<count { arrays.append(try array(key: key, depth: depth - 1)) }
            return .arrays(arrays)
        default:
            var integers: [Int64] = []
            integers.reserveCapacity(count)
            for _ in 0..<count { integers.append(try integer(elementType, section)) }
            return .integers(integers, elementType: elementType)
        }
    }

    /// Reads one integer element of an integer `type`, widened to Int64.
    private mutating func integer(_ type: GGUFValueType, _ section: String) throws(ModelError) -> Int64 {
        switch type {
        case .uint8: Int64(try read(UInt8.self, section))
        case .int8: Int64(try read(Int8.self, section))
        case .uint16: Int64(try read(UInt16.self, section))
        case .int16: Int64(try read(Int16.self, section))
        case .uint32: Int64(try read(UInt32.self, section))
        case .int32: Int64(try read(Int32.self, section))
        case .int64: try read(Int64.self, section)
        default: Int64(bitPattern: try read(UInt64.self, section))
        }
    }
}
