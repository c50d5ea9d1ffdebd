// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be mapped.
public enum MappedFileError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    case cannotMap(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): "cannot open \(path): \(String(cString: strerror(code)))"
        case .cannotMap(let path, let code): "cannot mmap \(path): \(String(cString: strerror(code)))"
        }
    }
}

/// A whole file mapped read-only into memory. Weights are read straight from the page cache through it.
///
/// Immutable after `init`, hence `@unchecked Sendable`: the mapping is never written and lives until `deinit`.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with, for error messages.
    public let path: String
    /// Size of the file in bytes.
    public let count: Int
    private let base: UnsafeRawPointer?

    /// Maps `path` read-only. An empty file maps to an empty region.
    /// - Throws: `MappedFileError` when the file cannot be opened or mapped.
    public init(path: String) throws(MappedFileError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpen(path: path, errno: errno) }
        count = Int(info.st_size)
        guard count > 0 else {
            base = nil
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else { throw .cannotMap(path: path, errno: errno) }
        base = UnsafeRawPointer(address)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The whole file as a region.
    public var whole: ByteRegion { ByteRegion(file: self, offset: 0, count: count) }

    /// A bounds-checked sub-range, or nil when `[offset, offset + count)` is not inside the file.
    public func region(offset: Int, count: Int) -> ByteRegion? {
        guard offset >= 0, count >= 0, offset <= self.count, count <= self.count - offset else { return nil }
        return ByteRegion(file: self, offset: offset, count: count)
    }

    package func withUnsafeBytes<R>(offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows
        -> R
    {
        precondition(offset >= 0 && count >= 0 && offset + count <= self.count, "region outside the mapping")
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + offset, count: count))
    }
}
