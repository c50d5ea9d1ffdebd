// SPDX-License-Identifier: Apache-2.0
import FerryKernels

/// Activation buffers of one forward pass, sized for `capacity` tokens and reused across steps.
struct Workspace {
    let capacity: Int
    let logitsCapacity: Int
    let residual: Tensor   // [capacity, hidden]
    let normed: Tensor     // [capacity, hidden]
    let query: Tensor      // [capacity, heads · headDim]
    let key: Tensor        // [capacity, kvHeads · headDim]
    let value: Tensor      // [capacity, kvHeads · headDim]
    let attention: Tensor  // [capacity, heads · headDim]
    let projected: Tensor  // [capacity, hidden]
    let gate: Tensor       // [capacity, intermediate]
    let up: Tensor         // [capacity, intermediate]
    let selected: Tensor   // [logitsCapacity, hidden]
    let logits: Tensor     // [logitsCapacity, vocab]

    init(config: ModelConfig, capacity: Int, logitsCapacity: Int, backend: any ComputeBackend) throws {
        self.capacity = capacity
        self.logitsCapacity = logitsCapacity
        let qWidth = config.numAttentionHeads * config.headDim
        let kvWidth = config.numKeyValueHeads * config.headDim
        residual = try backend.allocate([capacity, config.hiddenSize])
        normed = try backend.allocate([capacity, config.hiddenSize])
        query = try backend.allocate([capacity, qWidth])
        key = try backend.allocate([capacity, kvWidth])
        value = try backend.allocate([capacity, kvWidth])
        attention = try backend.allocate([capacity, qWidth])
        projected = try backend.allocate([capacity, config.hiddenSize])
        gate = try backend.allocate([capacity, config.intermediateSize])
        up = try backend.allocate([capacity, config.intermediateSize])
        selected = try backend.allocate([logitsCapacity, config.hiddenSize])
        logits = try backend.allocate([logitsCapacity, config.vocabSize])
    }
}
