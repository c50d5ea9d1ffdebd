// SPDX-License-Identifier: Apache-2.0

/// The operations a decoder-only transformer needs, over tensors resident on one device.
///
/// A model is written once against this protocol; the CPU backend runs it with OpenBLAS and the C kernels, and a GPU
/// backend with its own library. Every method is called from the engine thread only, one at a time; the backend may
/// run a call's work on its own threads but returns when the result is ready (or, on a GPU, ordered in its stream).
public protocol ComputeBackend: AnyObject, Sendable {
    /// A short name for logs: "cpu", "cuda:0".
    var name: String { get }

    /// Threads the backend computes with.
    var numThreads: Int { get }

    /// An uninitialized float32 tensor of `shape`.
    func allocate(_ shape: [Int]) throws(KernelError) -> Tensor

    /// Moves a weight matrix to the device in the backend's layout, applying `rowOrder`.
    func upload(_ weight: WeightData) throws(KernelError) -> WeightMatrix

    /// Moves a vector (norm weight, bias) to the device as float32. Shape: [count].
    func uploadVector(_ weight: WeightData) throws(KernelError) -> Tensor

    /// A KV cache of `numBlocks` blocks per layer.
    func makeKVCache(numLayers: Int, numBlocks: Int, blockSize: Int, numKVHeads: Int, headDim: Int,
                     dataType: KVCacheDataType) throws(KernelError) -> KVCache

    /// out[t] = table[tokenIds[t]] as float32. out: [numTokens, table.columns].
    func embed(tokenIds: [Int32], table: WeightMatrix, into out: Tensor) throws(KernelError)

    /// out = rmsnorm(x) · weight over the last dimension (`weight.count` wide); out may be x.
    func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float, into out: Tensor)

    /// out = x · Wᵀ. x: [numTokens, W.columns]; out: [numTokens, W.rows].
    func matmul(_ x: Tensor, _ weight: WeightMatrix, into out: Tensor) throws(KernelError)

    /// x[t] += bias for every row t.
    func addBias(_ x: Tensor, _ bias: Tensor)

    /// The cosines and sines of one step's positions, computed once and used by every layer.
    /// Shape: [numTokens, 2 · inverseFrequencies.count].
    func rotaryTable(positions: [Int32], inverseFrequencies: [Float]) throws(KernelError) -> Tensor

    /// Rotary embedding in place from `rotaryTable`. x: [numTokens, numHeads, headDim].
    func rope(_ x: Tensor, table: Tensor, numHeads: Int, headDim: Int)

    /// out = silu(gate) ⊙ up, all [numTokens, intermediateSize]; out may be gate.
    func siluMul(gate: Tensor, up: Tensor, into out: Tensor)

    /// x += y, same shape.
    func add(_ x: Tensor, _ y: Tensor)

    /// Copies rows `indices` of a 2-D x into out: [indices.count, x.columns].
    func gatherRows(_ x: Tensor, rows indices: [Int], into out: Tensor) throws(KernelError)

    /// Stores this step's K and V ([numTokens, numKVHeads, headDim]) into `layer` of the cache by slot.
    func storeKV(key: Tensor, value: Tensor, cache: KVCache, layer: Int, metadata: AttentionMetadata)
        throws(KernelError)

    /// Causal paged attention of q ([numTokens, numHeads, headDim]) over the cache; out has q's shape.
    func attention(query: Tensor, cache: KVCache, layer: Int, metadata: AttentionMetadata, numHeads: Int,
                   scale: Float, slidingWindow: Int?, into out: Tensor) throws(KernelError)

    /// Copies a tensor back to host memory (waits for the device). On a GPU this also reports a failure of an
    /// earlier non-throwing call (rmsNorm, rope, add, ...) of the step.
    func download(_ tensor: Tensor) throws(KernelError) -> [Float]

    /// Free and total bytes of the device's memory; nil for host memory (the CPU backend).
    var deviceMemory: (free: Int, total: Int)? { get }
}

extension ComputeBackend {
    public var deviceMemory: (free: Int, total: Int)? { nil }
}
