// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import FoundationEssentials
import Logging

/// `ferry serve MODEL`: the OpenAI-compatible server, with vLLM's flags.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the OpenAI API (completions, chat, models, tokenize) for a model.")

    @Argument(help: "A model folder (config.json + safetensors), a .gguf file, or a hub model: ORG/NAME, ORG/NAME:QUANT, ORG/NAME/FILE.gguf.")
    var model: String

    @OptionGroup var options: ServeOptions

    @OptionGroup(title: "Hugging Face hub") var hub: HubOptions

    func run() throws {
        let json = options.logFormat == "json"
        LoggingSystem.bootstrap { LineLogHandler(label: $0, json: json) }
        let logger = Logger(label: "ferry")
        for (flag, given) in [("--trust-remote-code", options.trustRemoteCode),
                              ("--enforce-eager", options.enforceEager)] where given {
            logger.warning("\(flag) has no effect on this server and is ignored")
        }
        let runtime = try ServerRuntime(modelPath: model, options: options, hub: hub, logger: logger)
        try runtime.run()
    }
}
