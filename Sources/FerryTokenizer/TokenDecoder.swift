// SPDX-License-Identifier: Apache-2.0

/// The decoder stage of tokenizer.json: turns token strings back into text (Hugging Face `decode_chain`, then join).
indirect enum TokenDecoder: Sendable {
    case sequence([TokenDecoder])
    /// Replaces every literal `pattern` in each token.
    case replace(pattern: String, content: String)
    /// Runs of `<0xNN>` tokens become their UTF-8 text, or one U+FFFD per byte when the run is not valid UTF-8.
    case byteFallback
    /// Joins all tokens into one.
    case fuse
    /// Removes up to `start` leading and `stop` trailing `content` scalars from each token.
    case strip(content: UInt32, start: Int, stop: Int)
    /// Maps `ByteLevelAlphabet` scalars back to bytes (lossy UTF-8 decoding of the whole run).
    case byteLevel
    /// `replacement` → space; the first token loses its `replacement`s unless `prependScheme` is never.
    case metaspace(replacement: UInt32, prependsSpace: Bool)

    /// Reads a `decoder` object.
    /// - Throws: `TokenizerError.unsupportedDecoder` for types not implemented.
    init(json: JSONValue, path: String = "decoder") throws(TokenizerError) {
        switch json.typeName {
        case "Sequence":
            var stages: [TokenDecoder] = []
            for (index, stage) in try json.requiredArray("decoders", path: path).enumerated() {
                stages.append(try TokenDecoder(json: stage, path: "\(path).decoders[\(index)]"))
            }
            self = .sequence(stages)
        case "Replace":
            guard let pattern = json["pattern"]?["String"]?.stringValue else {
                throw .unsupportedDecoder("Replace with a non-string pattern at \(path)")
            }
            self = .replace(pattern: pattern, content: try json.requiredString("content", path: path))
        case "ByteFallback":
            self = .byteFallback
        case "Fuse":
            self = .fuse
        case "Strip":
            let content = try json.requiredString("content", path: path)
            guard content.unicodeScalars.count == 1, let scalar = content.unicodeScalars.first,
                let start = json["start"]?.intValue, let stop = json["stop"]?.intValue
            else {
                throw .invalidValue(key: path, reason: "Strip needs one-character content, start and stop")
            }
            self = .strip(content: scalar.value, start: start, stop: stop)
        case "ByteLevel":
            self = .byteLevel
        case "Metaspace":
            let replacement = json["replacement"]?.stringValue ?? "\u{2581}"
            guard replacement.unicodeScalars.count == 1, let scalar = replacement.unicodeScalars.first else {
                throw .invalidValue(key: "\(path).replacement", reason: "expected one character")
            }
            let scheme = json["prepend_scheme"]?.stringValue
            let prepends = scheme.map { $0 != "never" } ?? (json["add_prefix_space"]?.boolValue ?? true)
            self = .metaspace(replacement: scalar.value, prependsSpace: prepends)
        case let other:
            throw .unsupportedDecoder(other ?? "decoder without a type at \(path)")
        }
    }

    /// The decoded text of `tokens`.
    func decode(_ tokens: [String]) -> String {
        decodeChain(tokens).joined()
    }

    private func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let stages):
            return stages.reduce(tokens) { $1.decodeChain($0) }
        case .replace(let pattern, let content):
            return tokens.map { $0.replacingAllScalars(of: pattern, with: content) }
        case .byteFallback:
            return Self.fuseByteTokens(tokens)
        case .fuse:
            return [tokens.joined()]
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                let scalars = Array(token.unicodeScalars)
                var lower = 0
                while lower < min(start, scalars.count), scalars[lower].value == content { lower += 1 }
                var upper = scalars.count
                while scalars.count - upper < stop, upper > lower, scalars[upper - 1].value == content { upper -= 1 }
                if lower == 0 && upper == scalars.count { return token }
                return String(String.UnicodeScalarView(scalars[lower..<upper]))
            }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                let start = bytes.count
                var isInAlphabet = true
                for scalar in token.unicodeScalars {
                    guard let byte = ByteLevelAlphabet.byte(for: scalar) else {
                        isInAlphabet = false
                        break
                    }
                    bytes.append(byte)
                }
                if !isInAlphabet {  // a token outside the alphabet (an added token) is taken as its own UTF-8
                    bytes.removeSubrange(start...)
                    bytes.append(contentsOf: token.utf8)
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case .metaspace(let replacement, let prependsSpace):
            return tokens.enumerated().map { index, token in
                var scalars = String.UnicodeScalarView()
                for scalar in token.unicodeScalars {
                    if scalar.value == replacement {
                        if index == 0 && prependsSpace { continue }
                        scalars.append(" ")
                    } else {
                        scalars.append(scalar)
                    }
                }
                return String(scalars)
            }
        }
    }

    /// Hugging Face `ByteFallback::decode_chain`.
    private static func fuseByteTokens(_ tokens: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(tokens.count)
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let text = String(decoding: pending, as: UTF8.self)
            if text.utf8.elementsEqual(pending) {  // valid UTF-8: decoding replaced nothing
                result.append(text)
            } else {
                result.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll(keepingCapacity: true)
        }
        for token in tokens {
            if let byte = byteValue(token) {
                pending.append(byte)
            } else {
                flush()
                result.append(token)
            }
        }
        flush()
        return result
    }

    /// The byte of a `<0xNN>` token, else nil.
    static func byteValue(_ token: String) -> UInt8? {
        let utf8 = token.utf8
        guard utf8.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">") else { return nil }
        let digits = utf8.dropFirst(3).prefix(2)
        return UInt8(String(decoding: digits, as: UTF8.self), radix: 16)
    }
}
