// SPDX-License-Identifier: Apache-2.0

/// Typed metadata accessors. Each returns nil when the key is absent and throws `ModelError.invalidMetadata` when
/// the key holds a value of another type, so a malformed file never reads as "absent".
/// Called by `ModelConfig(gguf:)` and `tokenizerFields()`.
extension GGUFFile {
    /// A string value.
    public func string(_ key: String) throws(ModelError) -> String? {
        guard let value = metadata[key] else { return nil }
        guard case .string(let text) = value else { throw mismatch(key, "a string", value) }
        return text
    }

    /// An integer of any width that fits in `Int`.
    public func int(_ key: String) throws(ModelError) -> Int? {
        guard let value = metadata[key] else { return nil }
        guard let number = value.intValue else { throw mismatch(key, "an integer", value) }
        return number
    }

    /// A float32/float64 value (integers are accepted and converted).
    public func float(_ key: String) throws(ModelError) -> Double? {
        guard let value = metadata[key] else { return nil }
        guard let number = value.doubleValue else { throw mismatch(key, "a number", value) }
        return number
    }

    /// A bool value.
    public func bool(_ key: String) throws(ModelError) -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard case .bool(let flag) = value else { throw mismatch(key, "a bool", value) }
        return flag
    }

    /// An array of strings.
    public func stringArray(_ key: String) throws(ModelError) -> [String]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(.strings(let strings)) = value else { throw mismatch(key, "an array of strings", value) }
        return strings
    }

    /// An array of float32 or float64 values, as `Float`.
    public func floatArray(_ key: String) throws(ModelError) -> [Float]? {
        guard let value = metadata[key] else { return nil }
        switch value {
        case .array(.float32(let floats)): return floats
        case .array(.float64(let doubles)): return doubles.map(Float.init)
        default: throw mismatch(key, "an array of floats", value)
        }
    }

    /// An array of integers of any width, as `Int`.
    public func intArray(_ key: String) throws(ModelError) -> [Int]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(.integers(let integers, _)) = value else {
            throw mismatch(key, "an array of integers", value)
        }
        return integers.map { Int($0) }
    }

    /// `general.architecture`, required in every GGUF model file.
    public var architecture: String? { try? string("general.architecture") }

    private func mismatch(_ key: String, _ expected: String, _ value: GGUFValue) -> ModelError {
        .invalidMetadata(file: path, key: key, reason: "expected \(expected), found \(value.type)")
    }
}
