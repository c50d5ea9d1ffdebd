// SPDX-License-Identifier: Apache-2.0

extension WeightStore {
    /// Serves a GGUF file's tensors under Hugging Face names.
    ///
    /// `token_embd`→`model.embed_tokens`, `blk.N.attn_q/k/v/output`→`model.layers.N.self_attn.q/k/v/o_proj`,
    /// `attn_norm`→`input_layernorm`, `ffn_norm`→`post_attention_layernorm`, `ffn_gate/up/down`→`mlp.*_proj`,
    /// `attn_q_norm/attn_k_norm`→`self_attn.q_norm/k_norm`, `output_norm`→`model.norm`, `output`→`lm_head`;
    /// other tensors keep their GGUF names. Shapes are already in HF order (`GGUFFile` reverses them).
    /// q and k (weights and biases) get a `rowOrder` undoing llama.cpp's RoPE permutation, per head with
    /// `llama.attention.head_count` / `head_count_kv`.
    /// - Throws: `ModelError.unsupportedArchitecture` (`general.architecture` other than `llama`: other converters
    ///   do not permute, so the mapping would be wrong), `.invalidMetadata` (architecture or head counts absent),
    ///   `.invalidTensorInfo` (q/k rows not a whole number of heads with an even head dimension).
    public init(gguf: GGUFFile) throws(ModelError) {
        guard let arch = try gguf.string("general.architecture") else {
            throw .invalidMetadata(file: gguf.path, key: "general.architecture", reason: "missing")
        }
        guard arch == "llama" else { throw .unsupportedArchitecture(file: gguf.path, architecture: arch) }
        var tensors: [String: WeightTensor] = [:]
        tensors.reserveCapacity(gguf.tensors.count)
        for (name, tensor) in gguf.tensors {
            let hfName = Self.huggingFaceName(gguf: name)
            var order: [Int]?
            if hfName.hasSuffix("self_attn.q_proj.weight") || hfName.hasSuffix("self_attn.q_proj.bias")
                || hfName.hasSuffix("self_attn.k_proj.weight") || hfName.hasSuffix("self_attn.k_proj.bias")
            {
                let isQuery = hfName.contains("q_proj")
                let headsKey = "\(arch).attention.head_count"
                guard let heads = try gguf.int(headsKey) else {
                    throw .invalidMetadata(file: gguf.path, key: headsKey, reason: "missing")
                }
                let kvHeads = try gguf.int(headsKey + "_kv") ?? heads
                let rows = tensor.shape.first ?? 0
                order = try Self.unpermutedRowOrder(rows: rows, heads: isQuery ? heads : kvHeads, file: gguf.path,
                                                    tensor: name)
            }
            tensors[hfName] = tensor.renamed(hfName, rowOrder: order)
        }
        self.init(format: .gguf, source: gguf.path, tensors: tensors)
    }

    /// The Hugging Face name of a GGUF tensor, or the GGUF name itself when there is no mapping.
    public static func huggingFaceName(gguf name: String) -> String {
        let global = ["token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"]
        let perLayer = [
            "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
            "attn_output": "self_attn.o_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
            "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
            "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
        ]
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let suffix = parts.last, suffix == "weight" || suffix == "bias" else { return name }
        if parts.count == 2, let mapped = global[parts[0]] { return "\(mapped).\(suffix)" }
        if parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0, let mapped = perLayer[parts[2]] {
            return "model.layers.\(layer).\(mapped).\(suffix)"
        }
        return name
    }

    /// The HF row order of a q/k projection stored by llama.cpp: `rowOrder[hfRow] = ggufRow`.
    ///
    /// llama.cpp stores each head's rows interleaved (pairs (i, i + d/2) adjacent); HF keeps the two halves apart.
    /// In numpy terms, HF = `w.reshape(heads, d/2, 2, in).swapaxes(1, 2).reshape(out, in)`, so HF row
    /// `h·d + j·d/2 + i` is GGUF row `h·d + 2i + j`.
    /// - Throws: `ModelError.invalidTensorInfo` when `rows` is not `heads` × an even head dimension.
    public static func unpermutedRowOrder(rows: Int, heads: Int, file: String, tensor: String)
        throws(ModelError) -> [Int]
    {
        guard heads > 0, rows > 0, rows % heads == 0, (rows / heads) % 2 == 0 else {
            throw .invalidTensorInfo(file: file, tensor: tensor, reason: "\(rows) rows are not \(heads) heads of an "
                + "even head dimension")
        }
        let headDim = rows / heads, half = headDim / 2
        var order = [Int](repeating: 0, count: rows)
        for head in 0..<heads {
            for j in 0..<2 {
                for i in 0..<half { order[head * headDim + j * half + i] = head * headDim + 2 * i + j }
            }
        }
        return order
    }
}
