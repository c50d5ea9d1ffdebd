// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import FerryEngine
import FerryScheduling
import FoundationEssentials

/// `ferry generate MODEL --prompt TEXT`: streams the continuation (only the new text) to stdout.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate a continuation of a prompt and stream it to stdout.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The prompt text (tokenized with the model's tokenizer, BOS added where it asks for one).")
    var prompt: String

    @Option(help: "Most tokens to generate.")
    var maxTokens = 128

    @Option(help: "Sampling temperature; 0 is greedy (default: generation_config.json, else 1).")
    var temperature: Float?

    @Option(help: "Nucleus sampling mass (default: generation_config.json, else 1).")
    var topP: Float?

    @Option(help: "Keep only the K most likely tokens (default: generation_config.json, else off).")
    var topK: Int?

    @Option(help: "Seed of the sampler: the same seed gives the same text.")
    var seed: UInt64?

    @Flag(help: "Keep generating past end-of-sequence tokens.")
    var ignoreEos = false

    func validate() throws {
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if let temperature, temperature < 0 { throw ValidationError("--temperature must be at least 0") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
    }

    func run() throws {
        let loaded = try LoadedModel.load(path: try modelOptions.localModelPath(),
                                          backend: try modelOptions.makeBackend())
        var parameters = loaded.defaultSamplingParameters
        if let temperature { parameters.temperature = temperature }
        if let topP { parameters.topP = topP }
        if let topK { parameters.topK = topK }
        parameters.seed = seed
        let promptIds = loaded.tokenizer.encode(prompt)
        let sequence = BatchGenerator.Sequence(
            promptTokenIds: promptIds, parameters: parameters, maxTokens: maxTokens,
            stopTokenIds: ignoreEos ? [] : loaded.eosTokenIds)
        var detokenizer = loaded.tokenizer.makeDetokenizer(skipSpecialTokens: true, promptIds: promptIds)
        _ = try BatchGenerator(model: loaded.model).generate([sequence]) { _, token in
            let text = detokenizer.append(token.id)
            if !text.isEmpty { StandardStream.output(text) }
        }
        StandardStream.output(detokenizer.finish() + "\n")
    }
}
