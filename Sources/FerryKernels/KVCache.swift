// SPDX-License-Identifier: Apache-2.0

/// Element type of the KV cache. Attention computes in float32 whichever is stored.
public enum KVCacheDataType: Int32, Sendable, CustomStringConvertible {
    case float32 = 0
    case float16 = 1

    /// Bytes per element.
    public var size: Int { self == .float32 ? 4 : 2 }

    /// vLLM's `cache_dtype` spelling.
    public var description: String { self == .float32 ? "float32" : "float16" }
}

/// The paged KV cache: for each layer one K and one V allocation of
/// Shape: [numBlocks, blockSize, numKVHeads, headDim] of `dataType`.
/// A token's slot is `blockId * blockSize + offsetInBlock`; block ids are the only currency between the scheduler's
/// bookkeeping and the kernels.
public final class KVCache: @unchecked Sendable {
    public let numLayers: Int
    public let numBlocks: Int
    public let blockSize: Int
    public let numKVHeads: Int
    public let headDim: Int
    public let dataType: KVCacheDataType
    /// `@unchecked Sendable`: written only by the engine thread, during a forward pass.
    package let keys: [DeviceBuffer]
    package let values: [DeviceBuffer]

    public convenience init(numLayers: Int, numBlocks: Int, blockSize: Int, numKVHeads: Int, headDim: Int,
                            dataType: KVCacheDataType = .float32) throws(KernelError)
    {
        try self.init(numLayers: numLayers, numBlocks: numBlocks, blockSize: blockSize, numKVHeads: numKVHeads,
                      headDim: headDim, dataType: dataType) { bytes throws(KernelError) in
            try DeviceBuffer(byteCount: bytes, zeroed: false)
        }
    }

    /// A cache whose K and V buffers come from `allocate` (bytes → buffer): device memory on a GPU backend.
    package init(numLayers: Int, numBlocks: Int, blockSize: Int, numKVHeads: Int, headDim: Int,
                 dataType: KVCacheDataType, allocate: (Int) throws(KernelError) -> DeviceBuffer) throws(KernelError)
    {
        guard numLayers > 0, numBlocks > 0, blockSize > 0, numKVHeads > 0, headDim > 0 else {
            throw .invalidArgument("KV cache dimensions must be positive")
        }
        self.numLayers = numLayers
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.dataType = dataType
        let bytes = Self.bytesPerLayer(numBlocks: numBlocks, blockSize: blockSize, numKVHeads: numKVHeads,
                                       headDim: headDim, dataType: dataType) / 2
        var keys: [DeviceBuffer] = []
        var values: [DeviceBuffer] = []
        for _ in 0..<numLayers {
            keys.append(try allocate(bytes))
            values.append(try allocate(bytes))
        }
        self.keys = keys
        self.values = values
    }

    /// Slots in the cache (`numBlocks × blockSize`).
    public var numSlots: Int { numBlocks * blockSize }

    /// Bytes of K plus V for one layer.
    public static func bytesPerLayer(numBlocks: Int, blockSize: Int, numKVHeads: Int, headDim: Int,
                                     dataType: KVCacheDataType) -> Int
    {
        2 * numBlocks * blockSize * numKVHeads * headDim * dataType.size
    }

    /// Bytes one cached token takes across all layers.
    public static func bytesPerToken(numLayers: Int, numKVHeads: Int, headDim: Int, dataType: KVCacheDataType)
        -> Int
    {
        2 * numLayers * numKVHeads * headDim * dataType.size
    }
}
