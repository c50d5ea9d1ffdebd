// SPDX-License-Identifier: Apache-2.0
import CBLAS
import CKernelsCPU

/// Runs the transformer on the host: OpenBLAS `sgemm` for large matrix products, the C kernels for the rest.
///
/// Owned and called by the engine thread alone (see `ComputeBackend`); its worker threads live in a C pool.
/// `@unchecked Sendable`: the pool and scratch are touched only by the calling thread and the pool's tasks.
public final class CPUBackend: ComputeBackend, @unchecked Sendable {
    public let name = "cpu"
    public let numThreads: Int
    package let pool: OpaquePointer?

    /// Token count from which a quantized or half-precision product dequantizes weight tiles and calls `sgemm`
    /// instead of streaming rows through the integer kernel.
    public var sgemmThreshold = 32

    /// The same for block-quantized weights. The integer kernels (8-bit activations, VNNI where the CPU has it)
    /// out-run dequantize + sgemm at every batch size measured, so quantized products stay quantized.
    public var quantizedSgemmThreshold = Int.max

    /// Creates a backend computing with `numThreads` threads (default: the cores available to the process).
    public init(numThreads: Int? = nil) {
        let threads = max(1, numThreads ?? CPUBackend.availableCores())
        self.numThreads = threads
        pool = ferry_cpu_pool_create(Int32(threads))
        // The pool owns the cores: OpenBLAS runs single-threaded inside the pool's tasks, or its own spinning
        // threads would fight the pool's for the same cores.
        openblas_set_num_threads(1)
    }

    deinit { ferry_cpu_pool_destroy(pool) }

    /// Cores this process may run on: its affinity mask capped by a container CPU quota, at least 1.
    public static func availableCores() -> Int { Int(ferry_cpu_available_cores()) }

    // MARK: - Memory

    public func allocate(_ shape: [Int]) throws(KernelError) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(buffer: try DeviceBuffer(byteCount: count * MemoryLayout<Float>.size), shape: shape)
    }

    public func upload(_ weight: WeightData) throws(KernelError) -> WeightMatrix {
        guard let rowBytes = weight.rowBytes, rowBytes * weight.rows == weight.bytes.count else {
            throw .shapeMismatch("\(weight.rows)×\(weight.columns) \(weight.type) needs whole blocks per row "
                + "and \(weight.bytes.count) bytes to match")
        }
        guard let order = weight.rowOrder else {
            return WeightMatrix(type: weight.type, rows: weight.rows, columns: weight.columns, mapped: weight.bytes)
        }
        guard order.count == weight.rows, order.allSatisfy({ $0 >= 0 && $0 < weight.rows }) else {
            throw .invalidArgument("row order does not permute \(weight.rows) rows")
        }
        let buffer = try DeviceBuffer(byteCount: weight.bytes.count)
        weight.bytes.withUnsafeBytes { source in
            for (destination, sourceRow) in order.enumerated() {
                (buffer.pointer + destination * rowBytes).copyMemory(
                    from: source.baseAddress! + sourceRow * rowBytes, byteCount: rowBytes)
            }
        }
        return WeightMatrix(type: weight.type, rows: weight.rows, columns: weight.columns, owned: buffer)
    }

    public func uploadVector(_ weight: WeightData) throws(KernelError) -> Tensor {
        let count = weight.rows * weight.columns
        let tensor = try allocate([count])
        let status = weight.bytes.withUnsafeBytes { source in
            ferry_cpu_dequantize(weight.type.kernelType, source.baseAddress, tensor.pointer, 1, Int64(count))
        }
        try check(status, "dequantize a \(weight.type) vector of \(count)")
        return tensor
    }

    public func makeKVCache(numLayers: Int, numBlocks: Int, blockSize: Int, numKVHeads: Int, headDim: Int,
                            dataType: KVCacheDataType) throws(KernelError) -> KVCache
    {
        try KVCache(numLayers: numLayers, numBlocks: numBlocks, blockSize: blockSize, numKVHeads: numKVHeads,
                    headDim: headDim, dataType: dataType)
    }

    public func download(_ tensor: Tensor) throws(KernelError) -> [Float] {
        Array(UnsafeBufferPointer(start: tensor.pointer, count: tensor.count))
    }

    // MARK: - Element-wise

    public func embed(tokenIds: [Int32], table: WeightMatrix, into out: Tensor) throws(KernelError) {
        let status = table.withRawPointer { matrix in
            ferry_cpu_gather_rows(table.type.kernelType, matrix, Int64(table.rows), Int64(table.columns), tokenIds,
                                  Int64(tokenIds.count), out.pointer)
        }
        try check(status, "embedding lookup of \(tokenIds.count) tokens in \(table.rows) rows")
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        let dim = weight.count
        ferry_cpu_rmsnorm_parallel(pool, x.pointer, weight.pointer, out.pointer, Int64(x.count / dim), Int64(dim),
                                   epsilon)
    }

    public func addBias(_ x: Tensor, _ bias: Tensor) {
        ferry_cpu_add_bias(x.pointer, bias.pointer, Int64(x.count / bias.count), Int64(bias.count))
    }

    public func rotaryTable(positions: [Int32], inverseFrequencies: [Float]) throws(KernelError) -> Tensor {
        let table = try allocate([positions.count, 2 * inverseFrequencies.count])
        ferry_cpu_rope_table(positions, inverseFrequencies, Int64(positions.count), Int64(inverseFrequencies.count),
                             table.pointer)
        return table
    }

    public func rope(_ x: Tensor, table: Tensor, numHeads: Int, headDim: Int) {
        ferry_cpu_rope(x.pointer, table.pointer, Int64(table.rows), Int64(numHeads), Int64(headDim),
                       Int64(table.columns / 2))
    }

    public func siluMul(gate: Tensor, up: Tensor, into out: Tensor) {
        ferry_cpu_silu_mul_parallel(pool, gate.pointer, up.pointer, out.pointer, Int64(gate.count))
    }

    public func add(_ x: Tensor, _ y: Tensor) {
        ferry_cpu_add(x.pointer, y.pointer, Int64(x.count))
    }

    public func gatherRows(_ x: Tensor, rows indices: [Int], into out: Tensor) throws(KernelError) {
        let width = x.columns
        for (destination, source) in indices.enumerated() {
            guard source >= 0, source < x.rows else { throw .invalidArgument("row \(source) of \(x.rows)") }
            (out.pointer + destination * width).update(from: x.pointer + source * width, count: width)
        }
    }
}
