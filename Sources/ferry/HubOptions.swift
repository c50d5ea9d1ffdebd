// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import FerryHub
import Foundation
import Logging

/// vLLM's flags for models from the Hugging Face hub: `--revision`, `--download-dir`, `--hf-token`.
struct HubOptions: ParsableArguments {
    @Option(help: "Branch, tag or commit of a hub model (default: main).")
    var revision: String?

    @Option(help: "Hub cache folder for downloaded models (default: $HF_HUB_CACHE, else $HF_HOME/hub).")
    var downloadDir: String?

    @Option(help: "Hugging Face token (default: $HF_TOKEN, $HUGGING_FACE_HUB_TOKEN, or the file $HF_HOME/token).")
    var hfToken: String?

    /// The local path of the model argument: the argument itself when it exists or is not shaped like a repo id
    /// (`ORG/NAME`, `ORG/NAME:QUANT`, `ORG/NAME/FILE.gguf`), else its snapshot in the hub cache, downloaded as
    /// needed (honouring `HF_HUB_OFFLINE`, `HF_ENDPOINT`, `HF_TOKEN`).
    /// - Throws: `HubError` with a message for the user.
    func localPath(for model: String, logger: Logger) throws -> String {
        guard !FileManager.default.fileExists(atPath: model), ModelReference.looksLikeRepoId(model) else {
            return model
        }
        let reference = try ModelReference(parsing: model)
        let settings = HubSettings(token: hfToken, downloadDirectory: downloadDir)
        let resolver = HubResolver(settings: settings) { line in logger.info("\(line)") }
        do {
            return try resolver.resolve(reference, revision: revision).path
        } catch .repoNotFound(let repo, let hasToken) {
            // Perhaps a mistyped local path: say both.
            throw ValidationErrorMessage("\(model) is neither a local path nor a model on the hub ("
                + HubError.repoNotFound(repo: repo, hasToken: hasToken).description + ")")
        }
    }
}
