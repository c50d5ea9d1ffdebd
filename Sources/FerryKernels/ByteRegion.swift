// SPDX-License-Identifier: Apache-2.0

/// A bounds-checked range of bytes inside a `MappedFile`, readable without unsafe code by its users.
///
/// Every accessor returns nil when the read would leave the region, so parsers of untrusted files (safetensors,
/// GGUF) turn a truncated file into a typed error rather than a crash.
public struct ByteRegion: Sendable {
    public let file: MappedFile
    /// Offset of the region's first byte in the file.
    public let offset: Int
    /// Length of the region in bytes.
    public let count: Int

    /// A sub-range relative to this region, or nil when it does not fit.
    public func slice(at position: Int, count length: Int) -> ByteRegion? {
        guard position >= 0, length >= 0, position <= count, length <= count - position else { return nil }
        return ByteRegion(file: file, offset: offset + position, count: length)
    }

    /// Reads a little-endian integer at `position`, or nil past the end.
    public func load<T: FixedWidthInteger>(_ type: T.Type, at position: Int) -> T? {
        let size = MemoryLayout<T>.size
        guard position >= 0, position <= count - size else { return nil }
        return file.withUnsafeBytes(offset: offset + position, count: size) { raw in
            T(littleEndian: raw.loadUnaligned(as: T.self))
        }
    }

    /// Reads a little-endian IEEE float at `position`.
    public func loadFloat32(at position: Int) -> Float? {
        load(UInt32.self, at: position).map { Float(bitPattern: $0) }
    }

    /// Reads a little-endian IEEE double at `position`.
    public func loadFloat64(at position: Int) -> Double? {
        load(UInt64.self, at: position).map { Double(bitPattern: $0) }
    }

    /// Copies `length` bytes at `position`.
    public func bytes(at position: Int, count length: Int) -> [UInt8]? {
        guard position >= 0, length >= 0, position <= count, length <= count - position else { return nil }
        return file.withUnsafeBytes(offset: offset + position, count: length) { Array($0) }
    }

    /// Decodes `length` bytes at `position` as UTF-8 (invalid sequences become U+FFFD).
    public func string(at position: Int, count length: Int) -> String? {
        guard position >= 0, length >= 0, position <= count, length <= count - position else { return nil }
        return file.withUnsafeBytes(offset: offset + position, count: length) {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// Calls `body` with the region's bytes. Only kernel-layer code may keep pointers, and only inside `body`.
    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try file.withUnsafeBytes(offset: offset, count: count, body)
    }
}
