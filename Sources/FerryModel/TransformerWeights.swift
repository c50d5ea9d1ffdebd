// SPDX-License-Identifier: Apache-2.0
import FerryKernels

/// One decoder layer's weights on the backend.
struct LayerWeights {
    let inputNorm: Tensor          // [hidden]
    let postAttentionNorm: Tensor  // [hidden]
    let qProj, kProj, vProj, oProj: WeightMatrix
    let qBias, kBias, vBias: Tensor?
    /// Qwen3's per-head RMS norms of q and k. Shape: [headDim].
    let qNorm, kNorm: Tensor?
    let gateProj, upProj, downProj: WeightMatrix
}

/// Every weight of a Llama-family model, uploaded to a backend under Hugging Face names.
struct TransformerWeights {
    let embedding: WeightMatrix   // [vocab, hidden]
    let layers: [LayerWeights]
    let finalNorm: Tensor         // [hidden]
    let lmHead: WeightMatrix      // [vocab, hidden]; the embedding itself when tied

    init(config: ModelConfig, store: WeightStore, backend: any ComputeBackend) throws {
        let hidden = config.hiddenSize
        let qRows = config.numAttentionHeads * config.headDim
        let kvRows = config.numKeyValueHeads * config.headDim
        func matrix(_ name: String, _ rows: Int, _ columns: Int) throws -> WeightMatrix {
            try backend.upload(store.weightData(name, shape: [rows, columns]))
        }
        func vector(_ name: String, _ count: Int) throws -> Tensor {
            try backend.uploadVector(store.weightData(name, shape: [count]))
        }
        embedding = try matrix("model.embed_tokens.weight", config.vocabSize, hidden)
        var layers: [LayerWeights] = []
        for index in 0..<config.numHiddenLayers {
            let prefix = "model.layers.\(index)."
            let attention = prefix + "self_attn."
            let hasBias = config.attentionBias
            let hasQKNorm = config.modelType.hasQKNorm
            layers.append(LayerWeights(
                inputNorm: try vector(prefix + "input_layernorm.weight", hidden),
                postAttentionNorm: try vector(prefix + "post_attention_layernorm.weight", hidden),
                qProj: try matrix(attention + "q_proj.weight", qRows, hidden),
                kProj: try matrix(attention + "k_proj.weight", kvRows, hidden),
                vProj: try matrix(attention + "v_proj.weight", kvRows, hidden),
                oProj: try matrix(attention + "o_proj.weight", hidden, qRows),
                qBias: hasBias ? try vector(attention + "q_proj.bias", qRows) : nil,
                kBias: hasBias ? try vector(attention + "k_proj.bias", kvRows) : nil,
                vBias: hasBias ? try vector(attention + "v_proj.bias", kvRows) : nil,
                qNorm: hasQKNorm ? try vector(attention + "q_norm.weight", config.headDim) : nil,
                kNorm: hasQKNorm ? try vector(attention + "k_norm.weight", config.headDim) : nil,
                gateProj: try matrix(prefix + "mlp.gate_proj.weight", config.intermediateSize, hidden),
                upProj: try matrix(prefix + "mlp.up_proj.weight", config.intermediateSize, hidden),
                downProj: try matrix(prefix + "mlp.down_proj.weight", hidden, config.intermediateSize)))
        }
        self.layers = layers
        finalNorm = try vector("model.norm.weight", hidden)
        if store.contains("lm_head.weight") {
            lmHead = try matrix("lm_head.weight", config.vocabSize, hidden)
        } else if config.tieWordEmbeddings {
            lmHead = embedding
        } else {
            _ = try store.weightData("lm_head.weight", shape: [config.vocabSize, hidden])  // throws missingTensor
            lmHead = embedding
        }
    }

    /// Bytes of all matrices read for one token (the embedding row excluded, the LM head included once).
    var byteCount: Int {
        let perLayer = layers.first.map { layer in
            [layer.qProj, layer.kProj, layer.vProj, layer.oProj, layer.gateProj, layer.upProj, layer.downProj]
                .reduce(0) { $0 + $1.byteCount }
        } ?? 0
        return perLayer * layers.count + lmHead.byteCount
    }
}
