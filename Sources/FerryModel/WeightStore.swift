// SPDX-License-Identifier: Apache-2.0

/// A model's weight tensors by Hugging Face name, whatever file format holds them.
///
/// Made by `WeightStore.safetensors(folder:)` (single file or shards) or `WeightStore(gguf:)` (renamed, Q/K row
/// order exposed as `rowOrder`), both through `ModelFiles.load`, which also calls `validate(against:)`.
/// The compute layer then asks for tensors by name and converts them into its own buffers.
public struct WeightStore: Sendable {
    /// Which kind of file the tensors come from.
    public enum Format: String, Sendable, Equatable {
        case safetensors
        case gguf
    }

    public let format: Format
    /// The file named in errors about absent tensors: the single weights file, the shard index, or the GGUF.
    public let source: String
    /// Tensors by Hugging Face name (GGUF tensors without an HF equivalent keep their GGUF name).
    public let tensors: [String: WeightTensor]

    public init(format: Format, source: String, tensors: [String: WeightTensor]) {
        self.format = format
        self.source = source
        self.tensors = tensors
    }

    /// All tensor names, sorted.
    public var names: [String] { tensors.keys.sorted() }

    /// True when the store has a tensor called `name`.
    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// The tensor called `name`.
    /// - Throws: `ModelError.missingTensor` naming `source`.
    public func tensor(_ name: String) throws(ModelError) -> WeightTensor {
        guard let tensor = tensors[name] else { throw .missingTensor(file: source, tensor: name) }
        return tensor
    }

    /// The tensor called `name`, checked to have `shape` (HF order, outermost first).
    /// - Throws: `ModelError.missingTensor`, `.wrongShape` naming the file that holds the tensor.
    public func tensor(_ name: String, shape: [Int]) throws(ModelError) -> WeightTensor {
        let tensor = try tensor(name)
        guard tensor.shape == shape else {
            throw .wrongShape(file: tensor.file, tensor: name, expected: shape, found: tensor.shape)
        }
        return tensor
    }

    /// Checks that every tensor `config` needs is present with the shape it implies. A tied model's
    /// `lm_head.weight`, when present anyway, must have the embedding's shape.
    /// - Throws: the first `ModelError.missingTensor` or `.wrongShape`, in `expectedWeights()` order.
    public func validate(against config: ModelConfig) throws(ModelError) {
        for spec in config.expectedWeights() {
            _ = try tensor(spec.name, shape: spec.shape)
        }
        if config.tieWordEmbeddings, contains("lm_head.weight") {
            _ = try tensor("lm_head.weight", shape: [config.vocabSize, config.hiddenSize])
        }
    }
}
