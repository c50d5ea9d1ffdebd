// SPDX-License-Identifier: Apache-2.0

/// The normalizer stage of tokenizer.json, applied to each text segment between added tokens.
indirect enum Normalizer: Sendable {
    case sequence([Normalizer])
    /// Prepends `prefix` to non-empty text (SentencePiece's `▁`).
    case prepend(String)
    /// Replaces every literal occurrence of `pattern`, scalar for scalar (not by grapheme).
    case replace(pattern: String, content: String)
    case nfc, nfd, nfkc, nfkd
    case lowercase

    /// Reads a `normalizer` object.
    /// - Throws: `TokenizerError.unsupportedNormalizer` for types (or regex `Replace` patterns) not implemented.
    init(json: JSONValue, path: String = "normalizer") throws(TokenizerError) {
        switch json.typeName {
        case "Sequence":
            var stages: [Normalizer] = []
            for (index, stage) in try json.requiredArray("normalizers", path: path).enumerated() {
                stages.append(try Normalizer(json: stage, path: "\(path).normalizers[\(index)]"))
            }
            self = .sequence(stages)
        case "Prepend":
            self = .prepend(try json.requiredString("prepend", path: path))
        case "Replace":
            guard let pattern = json["pattern"]?["String"]?.stringValue else {
                throw .unsupportedNormalizer("Replace with a non-string pattern at \(path)")
            }
            self = .replace(pattern: pattern, content: try json.requiredString("content", path: path))
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case let other:
            throw .unsupportedNormalizer(other ?? "normalizer without a type at \(path)")
        }
    }

    /// The normalized form of `text`.
    func normalize(_ text: String) -> String {
        switch self {
        case .sequence(let stages):
            return stages.reduce(text) { $1.normalize($0) }
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case .replace(let pattern, let content):
            return text.replacingAllScalars(of: pattern, with: content)
        case .nfc: return UnicodeNormalization.normalize(text, .nfc)
        case .nfd: return UnicodeNormalization.normalize(text, .nfd)
        case .nfkc: return UnicodeNormalization.normalize(text, .nfkc)
        case .nfkd: return UnicodeNormalization.normalize(text, .nfkd)
        case .lowercase: return text.lowercased()
        }
    }
}

extension String {
    /// Replaces every non-overlapping literal occurrence of `pattern`, comparing UTF-8 bytes. Unlike
    /// `replacingOccurrences`, this never matches a canonically equivalent spelling or stops at grapheme boundaries.
    func replacingAllScalars(of pattern: String, with content: String) -> String {
        let needle = Array(pattern.utf8)
        guard let first = needle.first else { return self }
        let bytes = Array(utf8)
        guard bytes.count >= needle.count, bytes.contains(first) else { return self }
        let replacement = Array(content.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 4)
        var index = 0
        var replaced = false
        while index < bytes.count {
            if bytes[index] == first, index + needle.count <= bytes.count,
                bytes[index..<index + needle.count].elementsEqual(needle)
            {
                output.append(contentsOf: replacement)
                index += needle.count
                replaced = true
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return replaced ? String(decoding: output, as: UTF8.self) : self
    }
}
