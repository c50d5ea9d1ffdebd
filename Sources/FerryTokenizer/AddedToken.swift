// SPDX-License-Identifier: Apache-2.0

/// A token matched in the raw text before the model runs (tokenizer.json `added_tokens`).
struct AddedToken: Sendable {
    var id: Int32
    var content: String
    /// Special tokens (`<s>`, `<|im_end|>`) are dropped by `decode(_:skipSpecialTokens: true)`.
    var isSpecial: Bool
    /// Also swallow whitespace to the left / right of the match.
    var stripsLeft = false
    var stripsRight = false
    /// Match only when not inside a word.
    var isSingleWord = false
    /// Match against normalized text (true) or raw text (false).
    var isNormalized = false

    /// Reads one `added_tokens` entry.
    init(json: JSONValue, index: Int) throws(TokenizerError) {
        let path = "added_tokens[\(index)]"
        guard let id = json["id"]?.intValue, id >= 0, id < Vocabulary.maxId else {
            throw .invalidValue(key: "\(path).id", reason: "expected an id in 0..<\(Vocabulary.maxId)")
        }
        self.id = Int32(id)
        content = try json.requiredString("content", path: path)
        isSpecial = try json.bool("special", default: false, path: path)
        stripsLeft = try json.bool("lstrip", default: false, path: path)
        stripsRight = try json.bool("rstrip", default: false, path: path)
        isSingleWord = try json.bool("single_word", default: false, path: path)
        isNormalized = try json.bool("normalized", default: !isSpecial, path: path)
    }

    init(id: Int32, content: String, isSpecial: Bool) {
        self.id = id
        self.content = content
        self.isSpecial = isSpecial
    }
}
