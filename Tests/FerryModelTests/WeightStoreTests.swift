// SPDX-License-Identifier: Apache-2.0
import FerryModel
import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: SharedData.isAvailable)) struct WeightStoreTests {
    @Test func mapsGGUFNamesToHuggingFaceNames() {
        let cases = [
            "token_embd.weight": "model.embed_tokens.weight", "output.weight": "lm_head.weight",
            "output_norm.weight": "model.norm.weight", "blk.3.attn_q.weight": "model.layers.3.self_attn.q_proj.weight",
            "blk.0.attn_output.weight": "model.layers.0.self_attn.o_proj.weight",
            "blk.12.attn_norm.weight": "model.layers.12.input_layernorm.weight",
            "blk.1.ffn_norm.weight": "model.layers.1.post_attention_layernorm.weight",
            "blk.1.ffn_down.weight": "model.layers.1.mlp.down_proj.weight",
            "blk.2.attn_k.bias": "model.layers.2.self_attn.k_proj.bias", "rope_freqs.weight": "rope_freqs.weight",
        ]
        for (gguf, hf) in cases { #expect(WeightStore.huggingFaceName(gguf: gguf) == hf) }
    }

    @Test func rowOrderMatchesTheNumpyUnpermutation() throws {
        // One head of dimension 8: HF = w.reshape(1, 4, 2, in).swapaxes(1, 2) takes GGUF rows 0,2,4,6,1,3,5,7.
        func order(_ rows: Int, _ heads: Int) throws -> [Int] {
            try WeightStore.unpermutedRowOrder(rows: rows, heads: heads, file: "f", tensor: "t")
        }
        #expect(try order(8, 1) == [0, 2, 4, 6, 1, 3, 5, 7])
        #expect(try order(8, 2) == [0, 2, 1, 3, 4, 6, 5, 7])
        #expect(throws: ModelError.invalidTensorInfo(file: "f", tensor: "t",
                                                     reason: "6 rows are not 2 heads of an even head dimension")) {
            try order(6, 2)
        }
    }

    /// The bytes of HF row `row` of `tensor`.
    private func rowBytes(_ tensor: WeightTensor, _ row: Int) throws -> [UInt8] {
        let region = try #require(tensor.row(row))
        return try #require(region.bytes(at: 0, count: region.count))
    }

    @Test func permutedGGUFQueryAndKeyRowsEqualTheHuggingFaceRows() throws {
        let gguf = try WeightStore(gguf: GGUFFile(path: shared("models/stories260K-gguf/stories260K.gguf").path))
        let hf = try WeightStore.safetensors(folder: shared("models/stories260K"))
        for layer in 0..<5 {
            for (projection, rows) in [("q_proj", 64), ("k_proj", 32), ("v_proj", 32), ("o_proj", 64)] {
                let name = "model.layers.\(layer).self_attn.\(projection).weight"
                let ours = try gguf.tensor(name), theirs = try hf.tensor(name)
                #expect(ours.type == .f32 && ours.shape == theirs.shape && ours.rows == rows)
                #expect((ours.rowOrder != nil) == (projection == "q_proj" || projection == "k_proj"))
                for row in 0..<rows { #expect(try rowBytes(ours, row) == rowBytes(theirs, row), "\(name) row \(row)") }
            }
            // Without the row order the rows differ: the check above is not vacuous.
            let query = try gguf.tensor("model.layers.\(layer).self_attn.q_proj.weight")
            let stored = try #require(query.storedRow(1)), hfRow = try rowBytes(hf.tensor(query.name), 1)
            #expect(stored.bytes(at: 0, count: stored.count) != hfRow)
        }
        let embed = try gguf.tensor("model.embed_tokens.weight")
        #expect(try rowBytes(embed, 300) == rowBytes(hf.tensor("model.embed_tokens.weight"), 300))
    }

    @Test func rejectsATensorWhoseShapeDisagreesWithTheConfig() throws {
        let scratch = try ScratchFolder()
        try scratch.copyFolder("models/stories260K", excluding: ["config.json"])
        try scratch.writeConfig(from: "models/stories260K", changing: ["intermediate_size": 173])
        let expected = ModelError.wrongShape(file: scratch.path("model.safetensors"),
                                             tensor: "model.layers.0.mlp.gate_proj.weight",
                                             expected: [173, 64], found: [172, 64])
        #expect(throws: expected) { try ModelFiles.load(path: scratch.url.path) }
    }

    @Test func rejectsAMissingTensorNamingTheFileAndTensor() throws {
        let scratch = try ScratchFolder()
        try scratch.copyFolder("models/stories260K", excluding: ["model.safetensors"])
        try scratch.write("model.safetensors", sharedBytes("models/stories260K/model.safetensors")
            .replacingFirst(#""model.norm.weight""#, with: #""model.norX.weight""#))
        let expected = ModelError.missingTensor(file: scratch.path("model.safetensors"), tensor: "model.norm.weight")
        #expect(throws: expected) {
            try ModelFiles.load(path: scratch.url.path)
        }
    }

    @Test func rejectsAnUntiedModelWithoutLmHead() throws {
        let scratch = try ScratchFolder()
        try scratch.copyFolder("models/stories260K", excluding: ["config.json"])
        try scratch.writeConfig(from: "models/stories260K", changing: ["tie_word_embeddings": false])
        #expect(throws: ModelError.missingTensor(file: scratch.path("model.safetensors"), tensor: "lm_head.weight")) {
            try ModelFiles.load(path: scratch.url.path)
        }
    }

    @Test func rejectsAShardListedInTheIndexButAbsent() throws {
        let scratch = try ScratchFolder()
        try scratch.copyFolder("models/stories260K-bf16-sharded", excluding: ["model-00002-of-00002.safetensors"])
        let expected = ModelError.missingShard(file: scratch.path("model.safetensors.index.json"),
                                               shard: "model-00002-of-00002.safetensors")
        #expect(throws: expected) { try ModelFiles.load(path: scratch.url.path) }
    }
}
