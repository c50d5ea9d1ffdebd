// SPDX-License-Identifier: Apache-2.0

/// Header fields in the order they were received or added. Names keep their spelling; lookups ignore ASCII case.
public struct HTTPHeaders: Sendable, Equatable, ExpressibleByDictionaryLiteral, Sequence {
    /// One field: its name as written and its value with surrounding whitespace trimmed.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Appends a field; an existing field of the same name stays.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field named `name` with one field, or removes them all when `value` is nil.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    public mutating func remove(name: String) {
        fields.removeAll { HTTPHeaders.namesMatch($0.name, name) }
    }

    /// The first value of `name`, any case; nil when absent.
    public subscript(name: String) -> String? {
        fields.first { HTTPHeaders.namesMatch($0.name, name) }?.value
    }

    /// Every value of `name`, any case, in order.
    public func values(for name: String) -> [String] {
        fields.filter { HTTPHeaders.namesMatch($0.name, name) }.map(\.value)
    }

    public func contains(name: String) -> Bool {
        fields.contains { HTTPHeaders.namesMatch($0.name, name) }
    }

    /// True when a comma-separated field such as `Connection` lists `token`, any case (e.g. `close`).
    public func contains(name: String, token: String) -> Bool {
        for field in fields where HTTPHeaders.namesMatch(field.name, name) {
            for item in field.value.utf8.split(separator: UInt8(ascii: ",")) {
                if HTTPHeaders.equalsIgnoringCase(HTTPHeaders.trimmed(item), token.utf8) { return true }
            }
        }
        return false
    }

    // MARK: - ASCII case-insensitive comparison without allocating

    static func namesMatch(_ lhs: String, _ rhs: String) -> Bool {
        equalsIgnoringCase(lhs.utf8, rhs.utf8)
    }

    static func equalsIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ lhs: A, _ rhs: B) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (a, b) in zip(lhs, rhs) where a != b {
            guard lowercased(a) == lowercased(b) else { return false }
        }
        return true
    }

    @inline(__always) static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// `bytes` without leading and trailing spaces and tabs.
    static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var result = bytes
        while let first = result.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            result = result.dropFirst()
        }
        while let last = result.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            result = result.dropLast()
        }
        return result
    }
}
