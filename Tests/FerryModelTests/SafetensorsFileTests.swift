// SPDX-License-Identifier: Apache-2.0
import FerryModel
import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: SharedData.isAvailable)) struct SafetensorsFileTests {
    private let single = "models/stories260K/model.safetensors"
    /// stories260K's header is 4856 bytes, so its data section starts at byte 8 + 4856.
    private let dataStart = 4864

    @Test func parsesEveryTensorOfTheF32File() throws {
        let file = try SafetensorsFile(path: shared(single).path)
        #expect(file.tensors.count == 47)
        let embed = try #require(file.tensors["model.embed_tokens.weight"])
        #expect(embed.type == .f32 && embed.shape == [512, 64] && embed.storage.count == 131_072)
        #expect(embed.storage.offset == dataStart && embed.rowOrder == nil)
        let down = try #require(file.tensors["model.layers.0.mlp.down_proj.weight"])
        #expect(down.shape == [64, 172] && down.rows == 64 && down.columns == 172 && down.rowBytes == 688)
    }

    @Test func parsesBF16Shards() throws {
        let shard = "models/stories260K-bf16-sharded/model-00002-of-00002.safetensors"
        let file = try SafetensorsFile(path: shared(shard).path)
        let head = try #require(file.tensors["lm_head.weight"])
        #expect(head.type == .bf16 && head.shape == [512, 64] && head.storage.count == 65536)
    }

    @Test func rejectsAFileTooShortForTheHeaderLength() throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("short.safetensors", sharedBytes(single).prefix(bytes: 5))
        #expect(throws: ModelError.truncated(file: path, section: "the 8-byte header length")) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func rejectsAHeaderLengthPastTheEndOfTheFile() throws {
        let scratch = try ScratchFolder()
        let bytes = try sharedBytes(single)
        let huge = UInt64(1 << 40).littleEndianBytes
        let path = try scratch.write("long-header.safetensors", bytes.patched(at: 0, with: huge))
        #expect(throws: ModelError.headerOutOfBounds(file: path, headerLength: 1 << 40, fileSize: bytes.count)) {
            try SafetensorsFile(path: path)
        }
        let cut = try scratch.write("cut-header.safetensors", bytes.prefix(bytes: 1000))
        #expect(throws: ModelError.headerOutOfBounds(file: cut, headerLength: 4856, fileSize: 1000)) {
            try SafetensorsFile(path: cut)
        }
    }

    @Test func rejectsDataOffsetsPastTheEndOfATruncatedFile() throws {
        let scratch = try ScratchFolder()
        let bytes = try sharedBytes(single)
        let path = try scratch.write("truncated.safetensors", bytes.prefix(bytes: bytes.count - 100))
        // model.norm.weight is the last tensor: data_offsets [1039872, 1040128].
        let expected = ModelError.tensorDataOutOfBounds(
            file: path, tensor: "model.norm.weight", start: UInt64(dataStart + 1_039_872),
            end: UInt64(dataStart + 1_040_128), fileSize: bytes.count - 100)
        #expect(throws: expected) { try SafetensorsFile(path: path) }
    }

    @Test func rejectsAnUnknownDTypeNamingTheTensor() throws {
        let scratch = try ScratchFolder()
        let patched = try sharedBytes(single).replacingFirst(#""dtype":"F32""#, with: #""dtype":"I32""#)
        let path = try scratch.write("i32.safetensors", patched)
        let expected = ModelError.unsupportedTensorType(file: path, tensor: "model.embed_tokens.weight", type: "I32")
        #expect(throws: expected) { try SafetensorsFile(path: path) }
    }

    @Test func rejectsOffsetsThatDisagreeWithShapeTimesDTypeSize() throws {
        let scratch = try ScratchFolder()
        let patched = try sharedBytes(single).replacingFirst(#""shape":[512,64]"#, with: #""shape":[512,32]"#)
        let path = try scratch.write("shape.safetensors", patched)
        let expected = ModelError.tensorSizeMismatch(file: path, tensor: "model.embed_tokens.weight",
                                                     expectedBytes: 65536, foundBytes: 131_072)
        #expect(throws: expected) { try SafetensorsFile(path: path) }
    }

    @Test func rejectsAHeaderThatIsNotJSON() throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("garbage.safetensors", Data(UInt64(4).littleEndianBytes + Array("{{{{".utf8)))
        #expect(throws: ModelError.invalidHeader(file: path, reason: "not valid JSON")) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func rejectsAnUnreadablePathNamingIt() {
        let error = #expect(throws: ModelError.self) { try SafetensorsFile(path: "/nonexistent/x.safetensors") }
        guard case .unreadable(let path, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(path == "/nonexistent/x.safetensors")
    }
}
