// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An owned block of memory on the backend's device: 64-byte-aligned host memory for the CPU backend, device memory
/// (freed through the GPU library that allocated it) for a GPU backend.
///
/// `@unchecked Sendable`: the engine thread is the only writer; a buffer is never shared across threads while a
/// kernel writes it.
public final class DeviceBuffer: @unchecked Sendable {
    /// Size in bytes.
    public let byteCount: Int
    /// Host memory, or a device address on a GPU backend: only that backend's kernels may dereference it.
    package let pointer: UnsafeMutableRawPointer
    /// Frees device memory; nil for host memory (freed with `free`). A stored optional keeps the CPU path a branch.
    private let release: (@Sendable (UnsafeMutableRawPointer) -> Void)?

    /// Allocates `byteCount` bytes of host memory, zeroed unless `zeroed` is false (a KV cache: its pages then stay
    /// untouched, and out of the resident set, until tokens are stored in them).
    /// - Throws: `KernelError.outOfMemory` when the allocation fails.
    public init(byteCount: Int, zeroed: Bool = true) throws(KernelError) {
        let size = max(byteCount, 64)
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, size) == 0, let raw else { throw .outOfMemory(bytes: byteCount) }
        if zeroed { memset(raw, 0, size) }
        self.byteCount = byteCount
        self.pointer = raw
        self.release = nil
    }

    /// Takes ownership of device memory that `release` frees when the buffer goes away.
    package init(devicePointer: UnsafeMutableRawPointer, byteCount: Int,
                 release: @escaping @Sendable (UnsafeMutableRawPointer) -> Void)
    {
        self.byteCount = byteCount
        self.pointer = devicePointer
        self.release = release
    }

    deinit {
        if let release { release(pointer) } else { free(pointer) }
    }

    /// True when the memory is on a GPU (not readable from the host).
    public var isDeviceMemory: Bool { release != nil }

    package var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }
}
