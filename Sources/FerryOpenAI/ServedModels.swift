// SPDX-License-Identifier: Apache-2.0

/// The model-name check every OpenAI route does before anything else.
enum ServedModels {
    /// The name a response carries for a request naming `model`.
    ///
    /// A request may omit `model`; a name that is not served is a 404. Responses carry the first served name
    /// whichever alias was asked for, as vLLM's `OpenAIServingModels.model_name()` does.
    /// - Throws: `APIError.modelNotFound` (404, `param: "model"`).
    static func resolve(_ model: String?, servedModelNames: [String]) throws(APIError) -> String {
        if let model, !servedModelNames.contains(model) { throw .modelNotFound(model) }
        return servedModelNames.first ?? model ?? ""
    }
}
