// SPDX-License-Identifier: Apache-2.0

/// A parsed JSON document: what request bodies decode into before their fields are read.
///
/// Objects keep their keys in order as pairs; when a key repeats, lookups see the last value, as Python's `json`
/// (and so vLLM) does. Numbers keep whether they were written as integers, so `max_tokens: 16` and
/// `temperature: 0.7` can each be read strictly. Values that are passed through untouched (`tool_calls`,
/// `chat_template_kwargs`) stay as `JSONValue` for the chat-template engine.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// The value under `key` when this is an object (the last occurrence), else nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        for pair in pairs.reversed() where pair.key == key { return pair.value }
        return nil
    }

    /// True for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The pairs in document order, when this is an object.
    public var objectPairs: [(key: String, value: JSONValue)]? {
        if case .object(let pairs) = self { return pairs }
        return nil
    }

    /// The JSON type's name as error messages spell it ("a string", "an object").
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let number): number.exactInteger != nil ? "an integer" : "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }
}

/// A JSON number: its value as a `Double`, and as an `Int` when it was written as an integer that fits in 64 bits.
public struct JSONNumber: Sendable, Equatable {
    /// The value (±infinity when the literal overflows a `Double`, as Python's `float()` does).
    public let double: Double
    /// The exact value when the literal has no fraction or exponent and fits in `Int`.
    public let exactInteger: Int?

    public init(double: Double, exactInteger: Int?) {
        self.double = double
        self.exactInteger = exactInteger
    }

    public init(_ value: Int) {
        self.init(double: Double(value), exactInteger: value)
    }

    public init(_ value: Double) {
        self.init(double: value, exactInteger: nil)
    }

    /// The value as an `Int` when it is integral and in range: `16` and `16.0` both give 16 (pydantic's lax
    /// integer rule), `16.5` and `1e300` give nil.
    public var integerValue: Int? {
        if let exactInteger { return exactInteger }
        guard double.isFinite, double.rounded() == double, abs(double) < 9.2e18 else { return nil }
        return Int(double)
    }
}
