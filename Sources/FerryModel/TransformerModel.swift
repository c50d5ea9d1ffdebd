// SPDX-License-Identifier: Apache-2.0
import FerryKernels

/// A decoder-only transformer of the Llama family (Llama, Mistral, Qwen2, Qwen3) resident on one backend.
///
/// Confined to the engine thread: `forward` reuses one workspace of activations between calls.
/// `@unchecked Sendable` so it can be handed to that thread once; it is never used from two threads.
public final class TransformerModel: @unchecked Sendable {
    public let config: ModelConfig
    public let backend: any ComputeBackend
    let weights: TransformerWeights
    let rotary: RotaryEmbedding
    var workspace: Workspace?

    /// Uploads the weights of `store` to `backend`.
    /// - Throws: `ModelError` for a missing tensor or a wrong shape, naming file and tensor.
    public init(config: ModelConfig, store: WeightStore, backend: any ComputeBackend) throws {
        self.config = config
        self.backend = backend
        weights = try TransformerWeights(config: config, store: store, backend: backend)
        rotary = RotaryEmbedding(rotaryDim: config.headDim, theta: config.ropeTheta, scaling: config.ropeScaling)
    }

    /// The KV cache's element type: float32 for float32 models (the reference numerics), float16 otherwise
    /// (half the memory and attention bandwidth; the model's own precision is no better), as vLLM's `auto`.
    public var kvCacheDataType: KVCacheDataType {
        weights.layers.first?.qProj.type == .f32 ? .float32 : .float16
    }

    /// A KV cache for this model with `numBlocks` blocks of `blockSize` tokens.
    public func makeKVCache(numBlocks: Int, blockSize: Int, dataType: KVCacheDataType? = nil) throws -> KVCache {
        try backend.makeKVCache(numLayers: config.numHiddenLayers, numBlocks: numBlocks, blockSize: blockSize,
                                numKVHeads: config.numKeyValueHeads, headDim: config.headDim,
                                dataType: dataType ?? kvCacheDataType)
    }

    /// Bytes of KV cache one token takes.
    public var kvBytesPerToken: Int {
        KVCache.bytesPerToken(numLayers: config.numHiddenLayers, numKVHeads: config.numKeyValueHeads,
                              headDim: config.headDim, dataType: kvCacheDataType)
    }

    /// The storage type of the layers' matrices on the backend (BF16 for quantized files on a GPU).
    public var matrixWeightType: WeightType { weights.layers.first?.qProj.type ?? .f32 }

    /// Bytes of weights read for one decoded token (every matrix once).
    public var weightBytes: Int { weights.byteCount }
}
