// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU
import CKernelsGPU

extension WeightType {
    /// The GPU library's element type for the float types a GPU weight can have.
    var gpuType: ferry_gpu_dtype? {
        switch self {
        case .f32: FERRY_GPU_F32
        case .f16: FERRY_GPU_F16
        case .bf16: FERRY_GPU_BF16
        case .q4_0, .q4_1, .q8_0: nil
        }
    }
}

extension Tensor {
    /// The tensor's first element on its device (a device address on a GPU backend).
    var devicePointer: UnsafeMutablePointer<Float> { pointer }
}

extension GPUBackend {
    /// out = x · Wᵀ through the library's GEMM (cuBLAS on CUDA), float32 accumulation.
    public func matmul(_ x: Tensor, _ weight: WeightMatrix, into out: Tensor) throws(KernelError) {
        try throwPending()
        let numTokens = x.rows
        guard x.columns == weight.columns, out.count == numTokens * weight.rows else {
            throw .shapeMismatch("x \(x.shape) · W[\(weight.rows), \(weight.columns)]ᵀ into \(out.shape)")
        }
        guard let type = weight.type.gpuType else { throw .unsupportedType(weight.type, operation: "GPU matmul") }
        let status = weight.withRawPointer { w in
            context.api.gemm!(context.handle, type, w, x.devicePointer, out.devicePointer, Int64(numTokens),
                              Int64(weight.rows), Int64(weight.columns))
        }
        try context.check(status)
    }

    /// Mean milliseconds of the library's GEMM (cuBLAS on CUDA) for x [m, k] · W [n, k]ᵀ, for `ferry bench`.
    public func gemmMilliseconds(type: WeightType, m: Int, n: Int, k: Int, iterations: Int = 20)
        throws(KernelError) -> Double
    {
        guard let gpuType = type.gpuType else { throw .unsupportedType(type, operation: "GPU GEMM benchmark") }
        var milliseconds: Float = 0
        try context.check(context.api.gemm_benchmark!(context.handle, gpuType, Int64(m), Int64(n), Int64(k),
                                                     Int32(iterations), &milliseconds))
        return Double(milliseconds)
    }

    public func embed(tokenIds: [Int32], table: WeightMatrix, into out: Tensor) throws(KernelError) {
        try throwPending()
        guard let type = table.type.gpuType else { throw .unsupportedType(table.type, operation: "GPU embedding") }
        guard out.count == tokenIds.count * table.columns else {
            throw .shapeMismatch("\(tokenIds.count) embeddings of \(table.columns) into \(out.shape)")
        }
        if let bad = tokenIds.first(where: { $0 < 0 || Int($0) >= table.rows }) {
            throw .invalidArgument("token id \(bad) outside the \(table.rows)-row embedding table")
        }
        let ids = try scratchCopy(tokenIds, key: "token ids")
        let status = table.withRawPointer { matrix in
            context.api.embedding!(context.handle, type, matrix, Int64(table.rows), Int64(table.columns),
                                   ids.pointer.assumingMemoryBound(to: Int32.self), Int64(tokenIds.count),
                                   out.devicePointer)
        }
        try context.check(status)
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        let dim = weight.count
        keep(context.api.rmsnorm!(context.handle, x.devicePointer, weight.devicePointer, out.devicePointer,
                                 Int64(x.count / dim), Int64(dim), epsilon))
    }

    public func addBias(_ x: Tensor, _ bias: Tensor) {
        keep(context.api.add_bias!(context.handle, x.devicePointer, bias.devicePointer, Int64(x.count / bias.count),
                                  Int64(bias.count)))
    }

    /// Computed on the host in double precision (the CPU backend's own function, so both agree to the bit) and
    /// copied up: [numTokens, 2 · half] floats, a few KB per step, into a reused device buffer (a fresh allocation
    /// per step would free the last one, and cudaFree waits for the device).
    public func rotaryTable(positions: [Int32], inverseFrequencies: [Float]) throws(KernelError) -> Tensor {
        try throwPending()
        var host = [Float](repeating: 0, count: positions.count * 2 * inverseFrequencies.count)
        ferry_cpu_rope_table(positions, inverseFrequencies, Int64(positions.count), Int64(inverseFrequencies.count),
                             &host)
        let buffer = try scratchCopy(host, key: "rotary table")
        return Tensor(buffer: buffer, shape: [positions.count, 2 * inverseFrequencies.count])
    }

    public func rope(_ x: Tensor, table: Tensor, numHeads: Int, headDim: Int) {
        keep(context.api.rope!(context.handle, x.devicePointer, table.devicePointer, Int64(table.rows),
                              Int64(numHeads), Int64(headDim), Int64(table.columns / 2)))
    }

    public func siluMul(gate: Tensor, up: Tensor, into out: Tensor) {
        keep(context.api.silu_mul!(context.handle, gate.devicePointer, up.devicePointer, out.devicePointer,
                                  Int64(gate.count)))
    }

    public func add(_ x: Tensor, _ y: Tensor) {
        keep(context.api.add!(context.handle, x.devicePointer, y.devicePointer, Int64(x.count)))
    }

    public func gatherRows(_ x: Tensor, rows indices: [Int], into out: Tensor) throws(KernelError) {
        try throwPending()
        if let bad = indices.first(where: { $0 < 0 || $0 >= x.rows }) {
            throw .invalidArgument("row \(bad) of \(x.rows)")
        }
        let rows = try scratchCopy(indices.map { Int32($0) }, key: "gather rows")
        try context.check(context.api.gather_rows!(context.handle, x.devicePointer, Int64(x.columns),
                                                  rows.pointer.assumingMemoryBound(to: Int32.self),
                                                  Int64(indices.count), out.devicePointer))
    }
}
