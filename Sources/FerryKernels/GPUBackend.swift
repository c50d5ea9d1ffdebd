// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU
import CKernelsGPU

/// Runs the transformer on one CUDA or HIP device through a kernel library loaded at run time (`GPULibrary`):
/// `CUDABackend` and `HIPBackend` are this class with the platform's library.
///
/// Weights: F16 and BF16 are uploaded as stored; F32 stays F32 (the reference numerics, float32 GEMM); Q4_0, Q4_1
/// and Q8_0 are dequantized on the host in slabs and converted to BF16 on the device. Activations are float32.
/// Sampling stays on the host: `download` copies the logits back.
///
/// The protocol's element-wise calls (rmsNorm, rope, add, ...) do not throw; a failure there is kept and thrown by
/// the next throwing call of the step (at the latest `download`), so no failure is lost.
///
/// `@unchecked Sendable`: called by the engine thread alone (see `ComputeBackend`).
public final class GPUBackend: ComputeBackend, @unchecked Sendable {
    public let name: String
    public let numThreads = 1
    public let platform: GPUPlatform
    /// The device's name as the runtime reports it.
    public let deviceName: String
    let context: GPUContext
    /// The first failure of a non-throwing call, thrown by the next throwing one.
    var pendingError: KernelError?
    /// Reused device copies of integer metadata (token ids, slots, tables), grown on demand.
    var scratch: [String: DeviceBuffer] = [:]
    /// The attention metadata most recently copied to the device, reused while the step's layers run.
    var uploadedMetadata: UploadedAttentionMetadata?

    /// Opens `device` of `library`.
    /// - Throws: `KernelError.gpuNoDevice` when the library sees no such device.
    public init(library: GPULibrary, device: Int = 0) throws(KernelError) {
        let count = try library.deviceCount()
        guard device >= 0, device < count else {
            throw .gpuNoDevice(platform: library.platform.rawValue, detail: "device \(device) of \(count)")
        }
        platform = library.platform
        deviceName = library.deviceName(device)
        context = try GPUContext(library: library, device: device)
        name = "\(library.platform.rawValue):\(device)"
    }

    public var deviceMemory: (free: Int, total: Int)? { try? context.library.memoryInfo(context.device) }

    /// Throws the kept failure of an earlier non-throwing call, once.
    func throwPending() throws(KernelError) {
        if let error = pendingError {
            pendingError = nil
            throw error
        }
    }

    /// Keeps the first failure of a non-throwing call.
    func keep(_ status: ferry_gpu_status) {
        if status != FERRY_GPU_OK && pendingError == nil {
            pendingError = GPUContext.error(status, context.library.lastError, platform: platform)
        }
    }

    // MARK: - Memory

    public func allocate(_ shape: [Int]) throws(KernelError) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(buffer: try context.allocate(byteCount: count * MemoryLayout<Float>.size), shape: shape)
    }

    public func upload(_ weight: WeightData) throws(KernelError) -> WeightMatrix {
        guard let rowBytes = weight.rowBytes, rowBytes * weight.rows == weight.bytes.count else {
            throw .shapeMismatch("\(weight.rows)×\(weight.columns) \(weight.type) needs whole blocks per row "
                + "and \(weight.bytes.count) bytes to match")
        }
        if let order = weight.rowOrder {
            guard order.count == weight.rows, order.allSatisfy({ $0 >= 0 && $0 < weight.rows }) else {
                throw .invalidArgument("row order does not permute \(weight.rows) rows")
            }
        }
        switch weight.type {
        case .f32, .f16, .bf16:
            let buffer = try context.allocate(byteCount: weight.bytes.count)
            if let order = weight.rowOrder {
                var permuted = [UInt8](repeating: 0, count: weight.bytes.count)
                weight.bytes.withUnsafeBytes { source in
                    permuted.withUnsafeMutableBytes { target in
                        for (destination, sourceRow) in order.enumerated() {
                            (target.baseAddress! + destination * rowBytes).copyMemory(
                                from: source.baseAddress! + sourceRow * rowBytes, byteCount: rowBytes)
                        }
                    }
                }
                try context.upload(permuted, to: buffer)
            } else {
                let result = weight.bytes.withUnsafeBytes { source in
                    Result { () throws(KernelError) in try context.upload(source, to: buffer) }
                }
                try result.get()
            }
            return WeightMatrix(type: weight.type, rows: weight.rows, columns: weight.columns, owned: buffer)
        case .q4_0, .q4_1, .q8_0:
            return try uploadDequantized(weight, rowBytes: rowBytes)
        }
    }

    /// Rows per host dequantization slab: 64 Mi floats at most (256 MiB of staging).
    static let slabElements = 1 << 26

    /// Dequantizes on the host slab by slab, uploads float32 and converts to BF16 on the device.
    private func uploadDequantized(_ weight: WeightData, rowBytes: Int) throws(KernelError) -> WeightMatrix {
        let buffer = try context.allocate(byteCount: weight.rows * weight.columns * 2)
        let slabRows = max(1, min(weight.rows, Self.slabElements / max(weight.columns, 1)))
        let staging = try context.allocate(byteCount: slabRows * weight.columns * 4)
        var host = [Float](repeating: 0, count: slabRows * weight.columns)
        var row = 0
        while row < weight.rows {
            let rows = min(slabRows, weight.rows - row)
            let status = weight.bytes.withUnsafeBytes { source in
                host.withUnsafeMutableBufferPointer { target in
                    var status = FERRY_CPU_OK
                    for r in 0..<rows where status == FERRY_CPU_OK {
                        let sourceRow = weight.rowOrder?[row + r] ?? (row + r)
                        status = ferry_cpu_dequantize(weight.type.kernelType, source.baseAddress! + sourceRow * rowBytes,
                                                      target.baseAddress! + r * weight.columns, 1,
                                                      Int64(weight.columns))
                    }
                    return status
                }
            }
            try check(status, "dequantize \(weight.type) rows for the GPU")
            let uploaded = host.withUnsafeBytes { bytes in
                Result { () throws(KernelError) in
                    try context.upload(UnsafeRawBufferPointer(rebasing: bytes[0..<rows * weight.columns * 4]),
                                       to: staging)
                }
            }
            try uploaded.get()
            try context.check(context.api.convert_f32!(
                context.handle, staging.floats, buffer.pointer + row * weight.columns * 2, FERRY_GPU_BF16,
                Int64(rows * weight.columns)))
            row += rows
        }
        try context.synchronize()  // the staging buffer is freed on return
        return WeightMatrix(type: .bf16, rows: weight.rows, columns: weight.columns, owned: buffer)
    }

    public func uploadVector(_ weight: WeightData) throws(KernelError) -> Tensor {
        let count = weight.rows * weight.columns
        var host = [Float](repeating: 0, count: count)
        let status = weight.bytes.withUnsafeBytes { source in
            ferry_cpu_dequantize(weight.type.kernelType, source.baseAddress, &host, 1, Int64(count))
        }
        try check(status, "dequantize a \(weight.type) vector of \(count)")
        let tensor = try allocate([count])
        try context.upload(host, to: tensor.buffer)
        return tensor
    }

    public func makeKVCache(numLayers: Int, numBlocks: Int, blockSize: Int, numKVHeads: Int, headDim: Int,
                            dataType: KVCacheDataType) throws(KernelError) -> KVCache
    {
        try KVCache(numLayers: numLayers, numBlocks: numBlocks, blockSize: blockSize, numKVHeads: numKVHeads,
                    headDim: headDim, dataType: dataType) { bytes throws(KernelError) in
            try context.allocate(byteCount: bytes)
        }
    }

    public func download(_ tensor: Tensor) throws(KernelError) -> [Float] {
        try throwPending()
        return try context.downloadFloats(tensor.buffer, offset: tensor.offset, count: tensor.count)
    }

    /// A device copy of `values` in the scratch slot `key`, grown (after a synchronize) when too small.
    func scratchCopy<T>(_ values: [T], key: String) throws(KernelError) -> DeviceBuffer {
        let bytes = max(values.count * MemoryLayout<T>.stride, 1)
        var buffer = scratch[key]
        if buffer == nil || buffer!.byteCount < bytes {
            try context.synchronize()  // kernels queued earlier may still read the old buffer
            buffer = try context.allocate(byteCount: max(bytes, 4096) * 2)
            scratch[key] = buffer
        }
        try context.upload(values, to: buffer!)
        return buffer!
    }
}

