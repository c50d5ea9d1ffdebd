// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

@main
struct Ferry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "An OpenAI-compatible LLM inference server.",
        version: "0.1.0")
}
