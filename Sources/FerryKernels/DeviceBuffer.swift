// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An owned, 64-byte-aligned block of memory on the backend's device (host memory for the CPU backend).
///
/// `@unchecked Sendable`: the engine thread is the only writer; a buffer is never shared across threads while a
/// kernel writes it.
public final class DeviceBuffer: @unchecked Sendable {
    /// Size in bytes.
    public let byteCount: Int
    package let pointer: UnsafeMutableRawPointer

    /// Allocates `byteCount` bytes, zeroed unless `zeroed` is false (a KV cache: its pages then stay untouched,
    /// and out of the resident set, until tokens are stored in them).
    /// - Throws: `KernelError.outOfMemory` when the allocation fails.
    public init(byteCount: Int, zeroed: Bool = true) throws(KernelError) {
        let size = max(byteCount, 64)
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, size) == 0, let raw else { throw .outOfMemory(bytes: byteCount) }
        if zeroed { memset(raw, 0, size) }
        self.byteCount = byteCount
        self.pointer = raw
    }

    deinit { free(pointer) }

    package var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }
}
