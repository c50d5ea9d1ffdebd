// SPDX-License-Identifier: Apache-2.0

/// A tensor an architecture needs, by Hugging Face name, with the shape the config implies (outermost first).
public struct WeightSpec: Sendable, Equatable {
    public var name: String
    public var shape: [Int]

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }
}

extension ModelConfig {
    /// Every tensor the model needs, in Hugging Face names and shapes: embeddings, per layer the attention
    /// (q/k/v/o, q/k/v biases when `attentionBias`, q/k norms for qwen3), the norms and the SwiGLU MLP, the final
    /// norm, and `lm_head.weight` unless embeddings are tied. Used by `WeightStore.validate(against:)`.
    public func expectedWeights() -> [WeightSpec] {
        let h = hiddenSize, q = numAttentionHeads * headDim, kv = numKeyValueHeads * headDim, m = intermediateSize
        var specs = [WeightSpec(name: "model.embed_tokens.weight", shape: [vocabSize, h])]
        for layer in 0..<numHiddenLayers {
            let p = "model.layers.\(layer)."
            specs += [
                WeightSpec(name: p + "input_layernorm.weight", shape: [h]),
                WeightSpec(name: p + "self_attn.q_proj.weight", shape: [q, h]),
                WeightSpec(name: p + "self_attn.k_proj.weight", shape: [kv, h]),
                WeightSpec(name: p + "self_attn.v_proj.weight", shape: [kv, h]),
                WeightSpec(name: p + "self_attn.o_proj.weight", shape: [h, q]),
            ]
            if attentionBias {
                specs += [
                    WeightSpec(name: p + "self_attn.q_proj.bias", shape: [q]),
                    WeightSpec(name: p + "self_attn.k_proj.bias", shape: [kv]),
                    WeightSpec(name: p + "self_attn.v_proj.bias", shape: [kv]),
                ]
            }
            if modelType.hasQKNorm {
                specs += [
                    WeightSpec(name: p + "self_attn.q_norm.weight", shape: [headDim]),
                    WeightSpec(name: p + "self_attn.k_norm.weight", shape: [headDim]),
                ]
            }
            specs += [
                WeightSpec(name: p + "post_attention_layernorm.weight", shape: [h]),
                WeightSpec(name: p + "mlp.gate_proj.weight", shape: [m, h]),
                WeightSpec(name: p + "mlp.up_proj.weight", shape: [m, h]),
                WeightSpec(name: p + "mlp.down_proj.weight", shape: [h, m]),
            ]
        }
        specs.append(WeightSpec(name: "model.norm.weight", shape: [h]))
        if !tieWordEmbeddings { specs.append(WeightSpec(name: "lm_head.weight", shape: [vocabSize, h])) }
        return specs
    }
}
