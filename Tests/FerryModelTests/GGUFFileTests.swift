// SPDX-License-Identifier: Apache-2.0
import FerryModel
import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: SharedData.isAvailable)) struct GGUFFileTests {
    private let stories = "models/stories260K-gguf/stories260K.gguf"

    @Test func parsesStories260KMetadataAndTensorInfos() throws {
        let file = try GGUFFile(path: shared(stories).path)
        #expect(file.version == 3 && file.alignment == 32 && file.dataOffset == 14176)
        #expect(file.metadata.count == 19 && file.metadataKeys.first == "tokenizer.ggml.tokens")
        #expect(file.tensors.count == 48 && file.tensorNames.first == "token_embd.weight")
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.int("llama.block_count") == 5)
        #expect(try file.float("llama.attention.layer_norm_rms_epsilon").map { abs($0 - 1e-5) < 1e-9 } == true)
        #expect(try file.stringArray("tokenizer.ggml.tokens")?.prefix(3) == ["<unk>", "<s>", "</s>"])
        #expect(try file.floatArray("tokenizer.ggml.scores")?.count == 512)
        #expect(try file.intArray("tokenizer.ggml.token_type")?.prefix(4) == [2, 3, 3, 6])
        #expect(try file.int("no.such.key") == nil)
        let ffnDown = try #require(file.tensors["blk.0.ffn_down.weight"])
        #expect(ffnDown.type == .f32 && ffnDown.shape == [64, 172], "GGUF dims [172, 64] are innermost-first")
        #expect(ffnDown.storage.offset == 14176 + 355_840)
    }

    @Test func typedAccessorsRejectAValueOfAnotherType() throws {
        let file = try GGUFFile(path: shared(stories).path)
        #expect(throws: ModelError.invalidMetadata(file: file.path, key: "llama.block_count",
                                                   reason: "expected a string, found uint32")) {
            try file.string("llama.block_count")
        }
        #expect(throws: ModelError.self) { try file.intArray("tokenizer.ggml.tokens") }
        #expect(throws: ModelError.self) { try file.bool("general.name") }
    }

    @Test func parsesTheSmolLM2VocabularyQuickly() throws {
        let path = try #require(SharedData.smolLM2GGUF).path
        _ = try GGUFFile(path: path)  // warm the page cache
        let clock = ContinuousClock()
        var file: GGUFFile?
        let elapsed = try clock.measure { file = try GGUFFile(path: path) }
        print("GGUFFile(path:) of SmolLM2-135M Q4_1 (49,152 tokens, 48,900 merges, 272 tensors): \(elapsed)")
        let smol = try #require(file)
        #expect(smol.tensors.count == 272)
        #expect(try smol.stringArray("tokenizer.ggml.merges")?.count == 48900)
        #expect(try smol.bool("tokenizer.ggml.add_bos_token") == false)
        #expect(elapsed < .seconds(1))
    }

    @Test func rejectsABadMagic() throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("magic.gguf", sharedBytes(stories).patched(at: 0, with: Array("GGML".utf8)))
        #expect(throws: ModelError.badMagic(file: path, found: Array("GGML".utf8))) { try GGUFFile(path: path) }
        let empty = try scratch.write("empty.gguf", Data())
        #expect(throws: ModelError.truncated(file: empty, section: "the magic")) { try GGUFFile(path: empty) }
    }

    @Test func rejectsAnUnsupportedVersion() throws {
        let scratch = try ScratchFolder()
        let bytes = try sharedBytes(stories)
        for version: UInt32 in [1, 4, 0x0300_0000] {
            let path = try scratch.write("v\(version).gguf", bytes.patched(at: 4, with: version.littleEndianBytes))
            #expect(throws: ModelError.unsupportedVersion(file: path, version: version)) { try GGUFFile(path: path) }
        }
    }

    @Test func rejectsAFileTruncatedInTheMetadata() throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("meta.gguf", sharedBytes(stories).prefix(bytes: 1000))
        let expected = ModelError.truncated(file: path, section: "the array value of metadata 'tokenizer.ggml.tokens'")
        #expect(throws: expected) { try GGUFFile(path: path) }
        let header = try scratch.write("header.gguf", sharedBytes(stories).prefix(bytes: 12))
        #expect(throws: ModelError.truncated(file: header, section: "the tensor count")) { try GGUFFile(path: header) }
    }

    @Test func rejectsAFileTruncatedInTheTensorInfos() throws {
        let scratch = try ScratchFolder()
        let bytes = try sharedBytes(stories)
        let name = try #require(bytes.offset(of: "token_embd.weight"))
        let path = try scratch.write("infos.gguf", bytes.prefix(bytes: name + 17 + 6))
        #expect(throws: ModelError.truncated(file: path, section: "tensor info #0 ('token_embd.weight')")) {
            try GGUFFile(path: path)
        }
    }

    @Test func rejectsAFileTruncatedInTheTensorData() throws {
        let scratch = try ScratchFolder()
        let bytes = try sharedBytes(stories)
        let path = try scratch.write("data.gguf", bytes.prefix(bytes: bytes.count - 100))
        // The last tensor, blk.4.ffn_norm.weight (64 floats), sits at data offset 1170944.
        let expected = ModelError.tensorDataOutOfBounds(file: path, tensor: "blk.4.ffn_norm.weight",
                                                        start: 14176 + 1_170_944, end: 14176 + 1_170_944 + 256,
                                                        fileSize: bytes.count - 100)
        #expect(throws: expected) { try GGUFFile(path: path) }
    }

    @Test func rejectsCountsThatCannotFitInTheFile() throws {
        let scratch = try ScratchFolder()
        let bytes = try sharedBytes(stories)
        let tensors = try scratch.write("tensors.gguf", bytes.patched(at: 8, with: UInt64(1 << 40).littleEndianBytes))
        #expect(throws: ModelError.absurdCount(file: tensors, section: "the tensor count", count: 1 << 40)) {
            try GGUFFile(path: tensors)
        }
        // The first key is tokenizer.ggml.tokens: 8-byte length + 21 bytes at 24, type at 53, element type at 57,
        // element count at 61.
        let huge = UInt64(Int64.max)
        let array = try scratch.write("array.gguf", bytes.patched(at: 61, with: huge.littleEndianBytes))
        let expected = ModelError.absurdCount(
            file: array, section: "the array value of metadata 'tokenizer.ggml.tokens'", count: huge)
        #expect(throws: expected) { try GGUFFile(path: array) }
        // A count that merely exceeds the rest of the file means the file ends inside the array.
        let long = try scratch.write("long.gguf", bytes.patched(at: 61, with: UInt64(1_000_000).littleEndianBytes))
        let section = "the array value of metadata 'tokenizer.ggml.tokens'"
        #expect(throws: ModelError.truncated(file: long, section: section)) { try GGUFFile(path: long) }
    }

    @Test func rejectsAnUnknownTensorTypeNamingTheTensor() throws {
        let scratch = try ScratchFolder()
        let bytes = try sharedBytes(stories)
        // token_embd.weight: name, then n_dims (4 bytes), 2 dims (16 bytes), then the type.
        let typeOffset = try #require(bytes.offset(of: "token_embd.weight")) + 17 + 4 + 16
        let unknown = try scratch.write("t99.gguf", bytes.patched(at: typeOffset, with: UInt32(99).littleEndianBytes))
        #expect(throws: ModelError.unsupportedTensorType(file: unknown, tensor: "token_embd.weight",
                                                         type: "ggml type 99")) { try GGUFFile(path: unknown) }
        let q4k = try scratch.write("q4k.gguf", bytes.patched(at: typeOffset, with: UInt32(12).littleEndianBytes))
        #expect(throws: ModelError.unsupportedTensorType(file: q4k, tensor: "token_embd.weight",
                                                         type: "Q4_K (ggml type 12)")) { try GGUFFile(path: q4k) }
    }
}
