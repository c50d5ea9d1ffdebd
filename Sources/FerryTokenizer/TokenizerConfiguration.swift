// SPDX-License-Identifier: Apache-2.0

/// The parts of tokenizer_config.json (transformers' side file) that change tokenization.
struct TokenizerConfiguration: Sendable {
    var bosToken: String?
    var eosToken: String?
    /// nil when the key is absent; transformers then keeps tokenizer.json's post-processor.
    var addsBosToken: Bool?
    var addsEosToken: Bool?
    var chatTemplate: String?

    init() {}

    /// Reads tokenizer_config.json.
    /// - Throws: `TokenizerError.invalidValue` when a known key has an unexpected JSON type.
    init(json: JSONValue) throws(TokenizerError) {
        guard json.objectValue != nil else {
            throw .invalidValue(key: "tokenizer_config.json", reason: "expected an object")
        }
        bosToken = try Self.tokenText(json["bos_token"], key: "bos_token")
        eosToken = try Self.tokenText(json["eos_token"], key: "eos_token")
        if let value = json["add_bos_token"], !value.isNull {
            guard let flag = value.boolValue else {
                throw .invalidValue(key: "add_bos_token", reason: "expected a bool")
            }
            addsBosToken = flag
        }
        if let value = json["add_eos_token"], !value.isNull {
            guard let flag = value.boolValue else {
                throw .invalidValue(key: "add_eos_token", reason: "expected a bool")
            }
            addsEosToken = flag
        }
        chatTemplate = try Self.chatTemplate(json["chat_template"])
    }

    /// transformers 5 rebuilds the post-processor as `[bos] $A [eos]` when tokenizer_config.json sets
    /// `add_bos_token` or `add_eos_token` (`TokenizersBackend.update_post_processor`).
    var overridesPostProcessor: Bool { addsBosToken != nil || addsEosToken != nil }

    /// A special-token field: a string, or an `AddedToken` object with `content`; null means none.
    private static func tokenText(_ value: JSONValue?, key: String) throws(TokenizerError) -> String? {
        guard let value, !value.isNull else { return nil }
        if let text = value.stringValue { return text }
        if let text = value["content"]?.stringValue { return text }
        throw .invalidValue(key: key, reason: "expected a string or {\"content\": ...}")
    }

    /// `chat_template`: a string, or a list of `{name, template}` of which `default` is used.
    private static func chatTemplate(_ value: JSONValue?) throws(TokenizerError) -> String? {
        guard let value, !value.isNull else { return nil }
        if let template = value.stringValue { return template }
        guard let entries = value.arrayValue else {
            throw .invalidValue(key: "chat_template", reason: "expected a string or a list of {name, template}")
        }
        for entry in entries where entry["name"]?.stringValue == "default" {
            return entry["template"]?.stringValue
        }
        return nil
    }
}
