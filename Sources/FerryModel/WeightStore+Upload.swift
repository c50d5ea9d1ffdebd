// SPDX-License-Identifier: Apache-2.0
import FerryKernels

extension WeightStore {
    /// The tensor `name`, checked to have `shape`, described for `ComputeBackend.upload`: a vector is one row.
    /// - Throws: `ModelError.missingTensor` or `.wrongShape`.
    func weightData(_ name: String, shape: [Int]) throws(ModelError) -> WeightData {
        let tensor = try tensor(name, shape: shape)
        return WeightData(type: tensor.type, rows: tensor.rows, columns: tensor.columns, bytes: tensor.storage,
                          rowOrder: tensor.rowOrder)
    }
}

extension TransformerModel {
    /// Loads the model at `path` (a Hugging Face folder or a `.gguf` file) onto `backend`.
    /// - Throws: `ModelError` for the files, `KernelError` when the backend cannot hold the weights.
    public static func load(path: String, backend: any ComputeBackend) throws -> TransformerModel {
        let files = try ModelFiles.load(path: path)
        return try TransformerModel(config: files.config, store: files.weights, backend: backend)
    }
}
