// SPDX-License-Identifier: Apache-2.0
import CKernelsGPU

/// One device's execution context in a GPU library (its stream, BLAS handle and scratch), and the memory calls on it.
/// Device buffers keep their context alive, so it is destroyed only after the last of them is freed.
///
/// `@unchecked Sendable`: used by the engine thread only; buffers free through it from whichever thread drops them
/// last, which the runtime allows (cudaFree / hipFree are thread-safe).
final class GPUContext: @unchecked Sendable {
    let library: GPULibrary
    let device: Int
    let handle: OpaquePointer

    init(library: GPULibrary, device: Int) throws(KernelError) {
        var context: OpaquePointer?
        let status = library.api.pointee.context_create!(Int32(device), &context)
        guard status == FERRY_GPU_OK, let context else {
            throw GPUContext.error(status, library.lastError, platform: library.platform)
        }
        self.library = library
        self.device = device
        self.handle = context
    }

    deinit { _ = library.api.pointee.context_destroy!(handle) }

    var api: ferry_gpu_api { library.api.pointee }

    /// The typed error for a failed status.
    static func error(_ status: ferry_gpu_status, _ message: String, platform: GPUPlatform) -> KernelError {
        switch status {
        case FERRY_GPU_ERR_OUT_OF_MEMORY: .gpuFailure("out of device memory: \(message)")
        case FERRY_GPU_ERR_NO_DEVICE: .gpuNoDevice(platform: platform.rawValue, detail: message)
        case FERRY_GPU_ERR_INVALID_ARGUMENT: .invalidArgument(message)
        default: .gpuFailure(message)
        }
    }

    /// Throws the typed error for a non-OK status.
    @inline(__always)
    func check(_ status: ferry_gpu_status) throws(KernelError) {
        if status != FERRY_GPU_OK { throw GPUContext.error(status, library.lastError, platform: library.platform) }
    }

    /// `byteCount` bytes of device memory, freed when the buffer goes away.
    /// - Throws: `KernelError.outOfMemory` when the device has no room.
    func allocate(byteCount: Int) throws(KernelError) -> DeviceBuffer {
        var pointer: UnsafeMutableRawPointer?
        let status = api.alloc!(handle, UInt64(byteCount), &pointer)
        if status == FERRY_GPU_ERR_OUT_OF_MEMORY {
            let memory = try? library.memoryInfo(device)
            throw .gpuOutOfMemory(device: "\(library.platform.rawValue):\(device)", bytes: byteCount,
                                  free: memory?.free ?? 0, total: memory?.total ?? 0)
        }
        try check(status)
        guard let pointer else { throw .outOfMemory(bytes: byteCount) }
        return DeviceBuffer(devicePointer: pointer, byteCount: byteCount) { [self] address in
            _ = api.free!(handle, address)
        }
    }

    /// Copies host bytes to device memory at `offset` bytes into `buffer`.
    func upload(_ bytes: UnsafeRawBufferPointer, to buffer: DeviceBuffer, offset: Int = 0) throws(KernelError) {
        guard offset >= 0, offset + bytes.count <= buffer.byteCount else {
            throw .shapeMismatch("\(bytes.count) bytes at \(offset) of a \(buffer.byteCount)-byte buffer")
        }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        try check(api.memcpy_h2d!(handle, buffer.pointer + offset, base, UInt64(bytes.count)))
    }

    /// Copies an array's elements to the start of `buffer`.
    func upload<T>(_ values: [T], to buffer: DeviceBuffer) throws(KernelError) {
        let result = values.withUnsafeBytes { bytes in
            Result { () throws(KernelError) in try upload(bytes, to: buffer) }
        }
        try result.get()
    }

    /// Waits for the stream and copies `count` floats at `offset` floats into `buffer` back to the host.
    func downloadFloats(_ buffer: DeviceBuffer, offset: Int, count: Int) throws(KernelError) -> [Float] {
        guard offset >= 0, (offset + count) * 4 <= buffer.byteCount else {
            throw .shapeMismatch("\(count) floats at \(offset) of a \(buffer.byteCount)-byte buffer")
        }
        var result = [Float](repeating: 0, count: count)
        let status = result.withUnsafeMutableBytes { bytes in
            api.memcpy_d2h!(handle, bytes.baseAddress, buffer.pointer + offset * 4, UInt64(bytes.count))
        }
        try check(status)
        return result
    }

    func synchronize() throws(KernelError) { try check(api.synchronize!(handle)) }
}
