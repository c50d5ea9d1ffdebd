// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import FoundationEssentials

extension Tokenizer {
    /// Loads `tokenizer.json` and, when present, `tokenizer_config.json` from a Hugging Face model folder.
    ///
    /// Called once at model load, on the loading thread; takes about a second for a 150k-token vocabulary.
    /// - Throws: `TokenizerError.unreadable` when tokenizer.json is missing, or any error of
    ///   `init(tokenizerJSON:tokenizerConfigJSON:)`.
    public static func load(directory: URL) throws(TokenizerError) -> Tokenizer {
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let tokenizerJSON: Data
        do {
            tokenizerJSON = try Data(contentsOf: tokenizerURL)
        } catch {
            throw .unreadable(path: tokenizerURL.path, reason: error.fileErrorReason)
        }
        var configJSON: Data?
        if FileManager.default.fileExists(atPath: configURL.path) {
            do {
                configJSON = try Data(contentsOf: configURL)
            } catch {
                throw .unreadable(path: configURL.path, reason: error.fileErrorReason)
            }
        }
        return try Tokenizer(tokenizerJSON: tokenizerJSON, tokenizerConfigJSON: configJSON)
    }

    /// Builds a tokenizer from the contents of tokenizer.json and (optionally) tokenizer_config.json.
    /// - Throws: `TokenizerError` naming invalid JSON, a missing or mistyped key, or an unsupported stage type.
    public convenience init(tokenizerJSON: Data, tokenizerConfigJSON: Data?) throws(TokenizerError) {
        let json = try JSONValue.parse(Array(tokenizerJSON), file: "tokenizer.json")
        var configuration = TokenizerConfiguration()
        if let tokenizerConfigJSON {
            configuration = try TokenizerConfiguration(
                json: try JSONValue.parse(Array(tokenizerConfigJSON), file: "tokenizer_config.json"))
        }
        guard let modelJSON = json["model"] else { throw .invalidValue(key: "model", reason: "missing") }
        // Older files omit `type` for BPE.
        let modelType = modelJSON.typeName ?? (modelJSON["merges"] != nil ? "BPE" : nil)
        guard modelType == "BPE" else { throw .unsupportedModel(modelType ?? "model without a type") }
        let model = try BPEModel(json: modelJSON)

        var addedTokens: [AddedToken] = []
        for (index, entry) in (json["added_tokens"]?.arrayValue ?? []).enumerated() {
            addedTokens.append(try AddedToken(json: entry, index: index))
        }
        func stage<Stage>(_ key: String, _ build: (JSONValue) throws(TokenizerError) -> Stage)
            throws(TokenizerError) -> Stage?
        {
            guard let value = json[key], !value.isNull else { return nil }
            return try build(value)
        }
        let normalizer = try stage("normalizer") { json throws(TokenizerError) in try Normalizer(json: json) }
        let preTokenizer = try stage("pre_tokenizer") { json throws(TokenizerError) in try PreTokenizer(json: json) }
        var postProcessor = try stage("post_processor") { json throws(TokenizerError) in
            try PostProcessor(json: json)
        }
        let decoder = try stage("decoder") { json throws(TokenizerError) in try TokenDecoder(json: json) }

        func tokenId(_ text: String?) -> Int32? {
            guard let text else { return nil }
            return addedTokens.first { $0.content.utf8.elementsEqual(text.utf8) }?.id ?? model.vocabulary.id(for: text)
        }
        let bosId = tokenId(configuration.bosToken)
        let eosId = tokenId(configuration.eosToken)
        if configuration.overridesPostProcessor {
            var template: [PostProcessor.TemplateElement] = []
            if configuration.addsBosToken == true, let bosId { template.append(.tokens([bosId])) }
            template.append(.sequence)
            if configuration.addsEosToken == true, let eosId { template.append(.tokens([eosId])) }
            postProcessor = .template(template)
        }
        self.init(model: .bpe(model), addedTokens: addedTokens, normalizer: normalizer, preTokenizer: preTokenizer,
                  postProcessor: postProcessor, decoder: decoder, bosTokenId: bosId.map(Int.init),
                  eosTokenId: eosId.map(Int.init), chatTemplate: configuration.chatTemplate)
    }
}
