// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import FerryKernels

/// Options shared by the commands that load a model.
struct ModelOptions: ParsableArguments {
    @Argument(help: "A model folder (config.json + safetensors) or a .gguf file.")
    var model: String

    @Option(help: "Compute threads (default: the cores available to the process).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func makeBackend() -> CPUBackend { CPUBackend(numThreads: threads) }
}
