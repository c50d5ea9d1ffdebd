// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

/// The `ferry` command line.
struct Ferry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "An OpenAI-compatible LLM inference server: one native binary.",
        version: FerryVersion.current,
        subcommands: [ServeCommand.self, GenerateCommand.self, BenchCommand.self])
}

enum FerryVersion {
    static let current = "0.1.0"
}
