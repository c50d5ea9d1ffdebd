// SPDX-License-Identifier: Apache-2.0

/// A parsed JSON document that keeps object keys exactly as written, in order.
///
/// Note: Foundation's `JSONSerialization` returns `[String: Any]`, and Swift `String` keys compare by canonical
/// equivalence, so vocabulary entries such as `ί` (U+03AF) and `ί` (U+1F77) collapse into one and ids get lost
/// (six of them in the Phi-3 vocabulary). Objects here are arrays of pairs, and callers key dictionaries by UTF-8.
indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// Parses a complete JSON document.
    /// - Parameter file: the name used in the error, e.g. `tokenizer.json`.
    /// - Throws: `TokenizerError.invalidJSON` with the byte offset where parsing stopped.
    static func parse(_ bytes: [UInt8], file: String) throws(TokenizerError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        do {
            return try parser.parseDocument()
        } catch {
            throw .invalidJSON(file: file, offset: error.offset, reason: error.reason)
        }
    }

    /// The value under `key` when this is an object (first occurrence), else nil.
    subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        for pair in pairs where pair.key.utf8.elementsEqual(key.utf8) { return pair.value }
        return nil
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number as an `Int` when it is integral.
    var intValue: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }

    var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    var objectValue: [(key: String, value: JSONValue)]? {
        if case .object(let pairs) = self { return pairs }
        return nil
    }

    /// The `type` field of a pipeline-stage object (`{"type": "BPE", ...}`).
    var typeName: String? { self["type"]?.stringValue }
}

/// A string-valued field that must be present; `path` names it in the error.
extension JSONValue {
    func requiredString(_ key: String, path: String) throws(TokenizerError) -> String {
        guard let value = self[key]?.stringValue else {
            throw .invalidValue(key: "\(path).\(key)", reason: "expected a string")
        }
        return value
    }

    func requiredArray(_ key: String, path: String) throws(TokenizerError) -> [JSONValue] {
        guard let value = self[key]?.arrayValue else {
            throw .invalidValue(key: "\(path).\(key)", reason: "expected an array")
        }
        return value
    }

    /// A boolean field, `defaultValue` when absent or null.
    func bool(_ key: String, default defaultValue: Bool, path: String) throws(TokenizerError) -> Bool {
        guard let value = self[key], !value.isNull else { return defaultValue }
        guard let flag = value.boolValue else { throw .invalidValue(key: "\(path).\(key)", reason: "expected a bool") }
        return flag
    }
}
