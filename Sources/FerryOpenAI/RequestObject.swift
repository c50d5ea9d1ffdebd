// SPDX-License-Identifier: Apache-2.0

/// Typed reads of a request's top-level fields, each failing with a 400 that names the field.
///
/// Unknown fields are ignored (vLLM's `extra="allow"`). A field that is absent or `null` reads as nil and the
/// caller applies the default. Integers accept `16` and `16.0` (pydantic's lax rule) but not `16.5` or `"16"`;
/// numbers accept any JSON number; booleans accept only `true` and `false`.
struct RequestObject {
    /// Fields by name; a repeated key keeps its last value, as Python's `json` does.
    private let fields: [String: JSONValue]

    /// - Throws: `APIError.bodyNotAnObject` unless `json` is an object.
    init(_ json: JSONValue) throws(APIError) {
        guard let pairs = json.objectPairs else { throw .bodyNotAnObject(got: json) }
        var fields: [String: JSONValue] = [:]
        fields.reserveCapacity(pairs.count)
        for pair in pairs { fields[pair.key] = pair.value }
        self.fields = fields
    }

    /// The value when present and not null.
    subscript(key: String) -> JSONValue? {
        guard let value = fields[key], !value.isNull else { return nil }
        return value
    }

    func int(_ key: String) throws(APIError) -> Int? {
        guard let value = self[key] else { return nil }
        return try Self.int(value, param: key)
    }

    func double(_ key: String) throws(APIError) -> Double? {
        guard let value = self[key] else { return nil }
        guard case .number(let number) = value else {
            throw .wrongType(param: key, expected: "a number", got: value)
        }
        return number.double
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let value = self[key] else { return nil }
        guard case .bool(let flag) = value else { throw .wrongType(param: key, expected: "a boolean", got: value) }
        return flag
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let value = self[key] else { return nil }
        guard case .string(let text) = value else { throw .wrongType(param: key, expected: "a string", got: value) }
        return text
    }

    /// A string or a list of strings (`stop`), as a list.
    func stringOrStringList(_ key: String) throws(APIError) -> [String]? {
        guard let value = self[key] else { return nil }
        let expected = "a string or a list of strings"
        switch value {
        case .string(let text): return [text]
        case .array(let elements):
            var strings: [String] = []
            strings.reserveCapacity(elements.count)
            for element in elements {
                guard case .string(let text) = element else {
                    throw .wrongType(param: key, expected: expected, got: element)
                }
                strings.append(text)
            }
            return strings
        default: throw .wrongType(param: key, expected: expected, got: value)
        }
    }

    /// A list of integers (`stop_token_ids`, `tokens`).
    func intList(_ key: String) throws(APIError) -> [Int]? {
        guard let value = self[key] else { return nil }
        guard case .array(let elements) = value else {
            throw .wrongType(param: key, expected: "a list of integers", got: value)
        }
        var ints: [Int] = []
        ints.reserveCapacity(elements.count)
        for element in elements { ints.append(try Self.int(element, param: key, expected: "a list of integers")) }
        return ints
    }

    /// An object's pairs (`logit_bias`, `chat_template_kwargs`, `stream_options`).
    func object(_ key: String) throws(APIError) -> [(key: String, value: JSONValue)]? {
        guard let value = self[key] else { return nil }
        guard let pairs = value.objectPairs else { throw .wrongType(param: key, expected: "an object", got: value) }
        return pairs
    }

    /// Reads `value` as an integer for field `param`.
    static func int(_ value: JSONValue, param: String, expected: String = "an integer") throws(APIError) -> Int {
        guard case .number(let number) = value else { throw .wrongType(param: param, expected: expected, got: value) }
        if let integer = number.integerValue { return integer }
        if number.double.isFinite, number.double.rounded() == number.double {
            throw .integerOutOfRange(param: param)
        }
        throw .wrongType(param: param, expected: expected, got: value)
    }
}
