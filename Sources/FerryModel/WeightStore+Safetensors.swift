// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

extension WeightStore {
    /// File names Hugging Face uses for the single-file and the sharded layouts.
    public static let safetensorsFileName = "model.safetensors"
    public static let safetensorsIndexName = "model.safetensors.index.json"

    /// True when `folder` holds `model.safetensors.index.json` or `model.safetensors`.
    public static func hasSafetensors(in folder: URL) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: folder.appendingPathComponent(safetensorsIndexName).path)
            || manager.fileExists(atPath: folder.appendingPathComponent(safetensorsFileName).path)
    }

    /// Loads the safetensors weights of an HF folder: the shards listed in `model.safetensors.index.json`
    /// (`weight_map`: tensor name → shard file name), else the single `model.safetensors`.
    /// - Throws: `ModelError.noWeights` (neither file), `.invalidConfig` (unreadable index), `.missingShard`,
    ///   `.missingTensor` (the index names a tensor its shard lacks), `.duplicateTensor` (a tensor in two shards),
    ///   and every `SafetensorsFile.init` error.
    public static func safetensors(folder: URL) throws(ModelError) -> WeightStore {
        let index = folder.appendingPathComponent(safetensorsIndexName)
        guard FileManager.default.fileExists(atPath: index.path) else {
            let single = folder.appendingPathComponent(safetensorsFileName)
            guard FileManager.default.fileExists(atPath: single.path) else {
                throw .noWeights(path: folder.path, reason: "no \(safetensorsIndexName) or \(safetensorsFileName)")
            }
            let file = try SafetensorsFile(path: single.path)
            return WeightStore(format: .safetensors, source: single.path, tensors: file.tensors)
        }
        let weightMap = try readWeightMap(index)
        var shards: [String: SafetensorsFile] = [:]
        var tensors: [String: WeightTensor] = [:]
        for shardName in Set(weightMap.values).sorted() {
            let url = folder.appendingPathComponent(shardName)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw .missingShard(file: index.path, shard: shardName)
            }
            let shard = try SafetensorsFile(path: url.path)
            shards[shardName] = shard
            for (name, tensor) in shard.tensors {
                guard tensors[name] == nil else { throw .duplicateTensor(file: url.path, tensor: name) }
                tensors[name] = tensor
            }
        }
        for (name, shardName) in weightMap.sorted(by: { $0.key < $1.key })
        where shards[shardName]?.tensors[name] == nil {
            throw .missingTensor(file: folder.appendingPathComponent(shardName).path, tensor: name)
        }
        return WeightStore(format: .safetensors, source: index.path, tensors: tensors)
    }

    /// Reads the index's `weight_map`, refusing shard names that leave the folder.
    private static func readWeightMap(_ index: URL) throws(ModelError) -> [String: String] {
        let data = try readSideFile(index)
        guard let decoded = try? JSONDecoder().decode(ShardIndex.self, from: data), let map = decoded.weightMap
        else {
            throw .invalidConfig(file: index.path, reason: "no \"weight_map\" object")
        }
        var result: [String: String] = [:]
        for (name, value) in map {
            guard let shard = value, !shard.isEmpty, !shard.contains("/"), shard != "..", shard != "."
            else {
                throw .invalidConfig(file: index.path, reason: "tensor '\(name)' maps to an invalid shard name")
            }
            result[name] = shard
        }
        return result
    }

    /// `model.safetensors.index.json`: only `weight_map` is read; a non-string shard name decodes as nil.
    private struct ShardIndex: Decodable {
        let weightMap: [String: String?]?

        private enum Key: String, CodingKey { case weightMap = "weight_map" }

        private struct Lenient: Decodable {
            let value: String?
            init(from decoder: any Decoder) { value = try? decoder.singleValueContainer().decode(String.self) }
        }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: Key.self)
            weightMap = (try? fields.decode([String: Lenient].self, forKey: .weightMap))?.mapValues(\.value)
        }
    }
}
