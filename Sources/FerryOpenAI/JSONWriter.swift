// SPDX-License-Identifier: Apache-2.0

/// Appends JSON to a byte buffer in the order the caller writes it: the deterministic, allocation-light encoder
/// behind every response body and SSE chunk (one chunk per generated token, so this is on the hot path).
///
/// The caller writes structure explicitly (`beginObject`, `key`, values, `endObject`); commas are inserted
/// automatically. Strings are UTF-8 with only `"`, `\` and control characters escaped, as pydantic's
/// `model_dump_json` writes them (non-ASCII and non-BMP text stays raw UTF-8, which is valid JSON). Doubles use
/// Swift's shortest round-trip form, which is what Python's `repr(float)` prints for the same value; a value that
/// JSON cannot represent (NaN, ±infinity) is written as `null`.
public struct JSONWriter: Sendable {
    /// The JSON written so far.
    public private(set) var bytes: [UInt8]
    /// Whether the next value or key at the current level needs a comma before it.
    private var needsComma = false

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Continues after `prefix`, JSON that the caller knows leaves the writer where a first element or value
    /// goes (a cached `data: {"id":…,"choices":[` of an SSE chunk).
    init(continuing prefix: [UInt8], extraCapacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(prefix.count + extraCapacity)
        bytes.append(contentsOf: prefix)
    }

    /// Appends bytes outside the JSON structure (an SSE frame's trailing blank line).
    mutating func appendFraming(_ framing: [UInt8]) {
        bytes.append(contentsOf: framing)
    }

    // MARK: - Structure

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"name":`; the next call writes its value.
    public mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: - Scalars

    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
        needsComma = true
    }

    public mutating func int(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    public mutating func double(_ value: Double) {
        separate()
        if value.isFinite {
            bytes.append(contentsOf: value.description.utf8)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    /// Writes `string(value)` or `null`.
    public mutating func string(orNull value: String?) {
        if let value { string(value) } else { null() }
    }

    /// Writes `int(value)` or `null`.
    public mutating func int(orNull value: Int?) {
        if let value { int(value) } else { null() }
    }

    /// Writes `[1,2,3]`.
    public mutating func intArray(_ values: [Int]) {
        beginArray()
        for value in values { int(value) }
        endArray()
    }

    /// Writes a parsed JSON value back out (object keys in their original order).
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number):
            if let exact = number.exactInteger { int(exact) } else { double(number.double) }
        case .string(let text): string(text)
        case .array(let values):
            beginArray()
            for element in values { self.value(element) }
            endArray()
        case .object(let pairs):
            beginObject()
            for pair in pairs {
                key(pair.key)
                self.value(pair.value)
            }
            endObject()
        }
    }

    /// Appends already-encoded JSON (a cached fragment) as one value.
    public mutating func raw(_ fragment: [UInt8]) {
        separate()
        bytes.append(contentsOf: fragment)
        needsComma = true
    }

    // MARK: - Escaping

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = text.utf8
        var runStart = utf8.startIndex
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else {
                utf8.formIndex(after: &index)
                continue
            }
            bytes.append(contentsOf: utf8[runStart..<index])
            utf8.formIndex(after: &index)
            runStart = index
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x22: bytes.append(0x22)
            case 0x5C: bytes.append(0x5C)
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            default:
                bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30])
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            }
        }
        bytes.append(contentsOf: utf8[runStart..<utf8.endIndex])
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONWriter {
    /// The JSON as a `String` (tests and logs; responses send `bytes`).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
