// SPDX-License-Identifier: Apache-2.0
import FerryKernels

extension TransformerModel {
    /// Runs one forward pass over a flat batch, storing its K/V in `cache`, and returns the logits of the rows in
    /// `batch.logitsIndices`. Shape of the result: [logitsIndices.count, vocabSize], row-major.
    ///
    /// Called on the engine thread only.
    /// - Throws: `KernelError` when the batch does not fit the cache or its metadata is inconsistent.
    public func forward(_ batch: ForwardBatch, cache: KVCache) throws -> [Float] {
        let n = batch.numTokens
        guard n > 0, batch.positions.count == n, batch.attention.slotMapping.count == n else {
            throw KernelError.shapeMismatch("a batch of \(n) tokens with \(batch.positions.count) positions")
        }
        let space = try workspace(for: n, logits: batch.logitsIndices.count)
        let c = config
        // Views of this step's size. Shapes in comments: [tokens, features].
        let x = space.residual.rows(0, count: n)                    // [n, hidden]
        let h = space.normed.rows(0, count: n)                      // [n, hidden]
        let q = space.query.rows(0, count: n)                       // [n, heads·headDim]
        let k = space.key.rows(0, count: n)                         // [n, kvHeads·headDim]
        let v = space.value.rows(0, count: n)                       // [n, kvHeads·headDim]
        let attended = space.attention.rows(0, count: n)            // [n, heads·headDim]
        let projected = space.projected.rows(0, count: n)           // [n, hidden]
        let gate = space.gate.rows(0, count: n)                     // [n, intermediate]
        let up = space.up.rows(0, count: n)                         // [n, intermediate]
        let scale = 1 / Float(c.headDim).squareRoot()
        let epsilon = Float(c.rmsNormEps)
        let slidingWindow = c.slidingWindow

        try backend.embed(tokenIds: batch.tokenIds, table: weights.embedding, into: x)
        let rotaryTable = try backend.rotaryTable(positions: batch.positions,
                                                  inverseFrequencies: rotary.inverseFrequencies)
        for (index, layer) in weights.layers.enumerated() {
            // MARK: Attention block
            backend.rmsNorm(x, weight: layer.inputNorm, epsilon: epsilon, into: h)
            try backend.matmul(h, layer.qProj, into: q)
            try backend.matmul(h, layer.kProj, into: k)
            try backend.matmul(h, layer.vProj, into: v)
            if let bias = layer.qBias { backend.addBias(q, bias) }
            if let bias = layer.kBias { backend.addBias(k, bias) }
            if let bias = layer.vBias { backend.addBias(v, bias) }
            if let qNorm = layer.qNorm, let kNorm = layer.kNorm {
                backend.rmsNorm(q, weight: qNorm, epsilon: epsilon, into: q)
                backend.rmsNorm(k, weight: kNorm, epsilon: epsilon, into: k)
            }
            backend.rope(q, table: rotaryTable, numHeads: c.numAttentionHeads, headDim: c.headDim)
            backend.rope(k, table: rotaryTable, numHeads: c.numKeyValueHeads, headDim: c.headDim)
            try backend.storeKV(key: k.reshaped([n, c.numKeyValueHeads, c.headDim]),
                                value: v.reshaped([n, c.numKeyValueHeads, c.headDim]), cache: cache, layer: index,
                                metadata: batch.attention)
            try backend.attention(query: q.reshaped([n, c.numAttentionHeads, c.headDim]), cache: cache, layer: index,
                                  metadata: batch.attention, numHeads: c.numAttentionHeads, scale: scale,
                                  slidingWindow: slidingWindow, into: attended)
            try backend.matmul(attended, layer.oProj, into: projected)
            backend.add(x, projected)

            // MARK: MLP block
            backend.rmsNorm(x, weight: layer.postAttentionNorm, epsilon: epsilon, into: h)
            try backend.matmul(h, layer.gateProj, into: gate)
            try backend.matmul(h, layer.upProj, into: up)
            backend.siluMul(gate: gate, up: up, into: gate)
            try backend.matmul(gate, layer.downProj, into: projected)
            backend.add(x, projected)
        }

        // MARK: Logits of the wanted rows only
        let wanted = batch.logitsIndices.count
        guard wanted > 0 else { return [] }
        let selected = space.selected.rows(0, count: wanted)
        let logits = space.logits.rows(0, count: wanted)
        try backend.gatherRows(x, rows: batch.logitsIndices, into: selected)
        backend.rmsNorm(selected, weight: weights.finalNorm, epsilon: epsilon, into: selected)
        try backend.matmul(selected, weights.lmHead, into: logits)
        return try backend.download(logits)
    }

    /// The workspace, grown when a step needs more rows than it has.
    private func workspace(for numTokens: Int, logits: Int) throws -> Workspace {
        if let space = workspace, space.capacity >= numTokens, space.logitsCapacity >= logits { return space }
        let capacity = max(numTokens, workspace?.capacity ?? 0, 16)
        let logitsCapacity = max(logits, workspace?.logitsCapacity ?? 0, 1)
        let space = try Workspace(config: config, capacity: capacity, logitsCapacity: logitsCapacity,
                                  backend: backend)
        workspace = space
        return space
    }
}
