// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import FerryKernels
import FoundationEssentials
import Logging

/// Options shared by the commands that load a model.
struct ModelOptions: ParsableArguments {
    @Argument(help: "A model folder (config.json + safetensors), a .gguf file, or a hub model: ORG/NAME, ORG/NAME:QUANT, ORG/NAME/FILE.gguf.")
    var model: String

    @OptionGroup(title: "Hugging Face hub") var hub: HubOptions

    @Option(help: "Compute threads (default: the cores available to the process).")
    var threads: Int?

    @Option(help: "Where the model runs: auto (a GPU when its kernel library and a device are present, else the CPU), cpu, cuda or hip.")
    var device: ComputeDevice = .auto

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The backend `--device` asks for; prints which one and why to standard error.
    /// - Throws: `KernelError` when a GPU was asked for and cannot be used (the message names the fix).
    func makeBackend() throws -> any ComputeBackend {
        let selection = try DeviceSelection.open(device, threads: threads)
        StandardStream.error("device: \(selection.reason)\n")
        return selection.backend
    }

    /// The model's local path, downloaded from the hub first when `model` is a hub id (progress on stderr).
    func localModelPath() throws -> String {
        try hub.localPath(for: model, logger: Logger(label: "ferry") { StreamLogHandler.standardError(label: $0) })
    }
}

extension ComputeDevice: ExpressibleByArgument {}
