// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import FerryKernels
import Logging

/// Options shared by the commands that load a model.
struct ModelOptions: ParsableArguments {
    @Argument(help: "A model folder (config.json + safetensors), a .gguf file, or a hub model: ORG/NAME, ORG/NAME:QUANT, ORG/NAME/FILE.gguf.")
    var model: String

    @OptionGroup(title: "Hugging Face hub") var hub: HubOptions

    @Option(help: "Compute threads (default: the cores available to the process).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func makeBackend() -> CPUBackend { CPUBackend(numThreads: threads) }

    /// The model's local path, downloaded from the hub first when `model` is a hub id (progress on stderr).
    func localModelPath() throws -> String {
        try hub.localPath(for: model, logger: Logger(label: "ferry") { StreamLogHandler.standardError(label: $0) })
    }
}
