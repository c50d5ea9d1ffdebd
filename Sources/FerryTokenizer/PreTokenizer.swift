// SPDX-License-Identifier: Apache-2.0

/// The pre-tokenizer stage of tokenizer.json: cuts normalized text into the pieces the model sees.
indirect enum PreTokenizer: Sendable {
    case sequence([PreTokenizer])
    case split(SplitRule)
    /// GPT-2 byte level: optional leading space, optional GPT-2 regex split, then bytes → `ByteLevelAlphabet`.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// SentencePiece spaces: ' ' → `replacement`, a prepended `replacement`, optional split before each one.
    case metaspace(replacement: UInt32, prependScheme: PrependScheme, split: Bool)

    enum PrependScheme: String, Sendable {
        case always, first, never
    }

    /// Reads a `pre_tokenizer` object.
    /// - Throws: `TokenizerError.unsupportedPreTokenizer` for types or regexes this module does not implement.
    init(json: JSONValue, path: String = "pre_tokenizer") throws(TokenizerError) {
        switch json.typeName {
        case "Sequence":
            var stages: [PreTokenizer] = []
            for (index, stage) in try json.requiredArray("pretokenizers", path: path).enumerated() {
                stages.append(try PreTokenizer(json: stage, path: "\(path).pretokenizers[\(index)]"))
            }
            self = .sequence(stages)
        case "Split":
            let behaviorName = try json.requiredString("behavior", path: path)
            guard let behavior = SplitRule.Behavior(rawValue: behaviorName) else {
                throw .unsupportedPreTokenizer("Split behavior \(behaviorName)")
            }
            let pattern = try Self.splitPattern(json["pattern"], path: path)
            self = .split(SplitRule(pattern: pattern, behavior: behavior,
                                    invert: try json.bool("invert", default: false, path: path)))
        case "Digits":
            let individual = try json.bool("individual_digits", default: false, path: path)
            self = .split(SplitRule(pattern: .numericScalar, behavior: individual ? .isolated : .contiguous))
        case "ByteLevel":
            self = .byteLevel(addPrefixSpace: try json.bool("add_prefix_space", default: true, path: path),
                              useRegex: try json.bool("use_regex", default: true, path: path))
        case "Metaspace":
            let replacement = json["replacement"]?.stringValue ?? "\u{2581}"
            guard replacement.unicodeScalars.count == 1, let scalar = replacement.unicodeScalars.first else {
                throw .invalidValue(key: "\(path).replacement", reason: "expected one character")
            }
            var scheme = PrependScheme.always
            if let name = json["prepend_scheme"]?.stringValue {
                guard let parsed = PrependScheme(rawValue: name) else {
                    throw .unsupportedPreTokenizer("Metaspace prepend_scheme \(name)")
                }
                scheme = parsed
            } else if json["add_prefix_space"]?.boolValue == false {
                scheme = .never
            }
            self = .metaspace(replacement: scalar.value, prependScheme: scheme,
                              split: try json.bool("split", default: true, path: path))
        case let other:
            throw .unsupportedPreTokenizer(other ?? "pre-tokenizer without a type at \(path)")
        }
    }

    private static func splitPattern(_ json: JSONValue?, path: String) throws(TokenizerError) -> SplitRule.Pattern {
        if let regex = json?["Regex"]?.stringValue {
            if let scanner = SplitScanner(regex: regex) { return .scanner(scanner) }
            return .regex(try RegexBox(pattern: regex))
        }
        if let literal = json?["String"]?.stringValue {
            return .literal(literal.unicodeScalars.map(\.value))
        }
        throw .invalidValue(key: "\(path).pattern", reason: "expected {\"Regex\": ...} or {\"String\": ...}")
    }

    /// Cuts and rewrites `text` in place.
    func apply(to text: inout PreTokenizedText) {
        switch self {
        case .sequence(let stages):
            for stage in stages { stage.apply(to: &text) }
        case .split(let rule):
            text.split { scalars, range, parts in rule.split(scalars, range, into: &parts) }
        case .byteLevel(let addPrefixSpace, let useRegex):
            if addPrefixSpace {
                text.rewrite { scalars, piece, output in
                    if scalars[piece.range.lowerBound] != 0x20 { output.append(0x20) }
                    output.append(contentsOf: scalars[piece.range])
                }
            }
            if useRegex {
                text.split { scalars, range, parts in SplitScanner.gpt2.split(scalars, range, into: &parts) }
            }
            text.rewrite(Self.mapToByteLevelAlphabet)
        case .metaspace(let replacement, let scheme, let split):
            text.rewrite { scalars, piece, output in
                let first = scalars[piece.range.lowerBound] == 0x20 ? replacement : scalars[piece.range.lowerBound]
                let prepend = scheme == .always || (scheme == .first && piece.isAtTextStart)
                if prepend && first != replacement { output.append(replacement) }
                for value in scalars[piece.range] { output.append(value == 0x20 ? replacement : value) }
            }
            if split {
                let rule = SplitRule(pattern: .literal([replacement]), behavior: .mergedWithNext)
                text.split { scalars, range, parts in rule.split(scalars, range, into: &parts) }
            }
        }
    }

    /// Appends the UTF-8 bytes of the piece, each as its `ByteLevelAlphabet` scalar.
    private static func mapToByteLevelAlphabet(_ scalars: [UInt32], _ piece: PreTokenizedText.Piece,
                                               _ output: inout [UInt32]) {
        let table = ByteLevelAlphabet.scalarForByte
        for value in scalars[piece.range] {
            switch value {
            case 0..<0x80:
                output.append(table[Int(value)])
            case 0x80..<0x800:
                output.append(table[Int(0xC0 | (value >> 6))])
                output.append(table[Int(0x80 | (value & 0x3F))])
            case 0x800..<0x10000:
                output.append(table[Int(0xE0 | (value >> 12))])
                output.append(table[Int(0x80 | ((value >> 6) & 0x3F))])
                output.append(table[Int(0x80 | (value & 0x3F))])
            default:
                output.append(table[Int(0xF0 | (value >> 18))])
                output.append(table[Int(0x80 | ((value >> 12) & 0x3F))])
                output.append(table[Int(0x80 | ((value >> 6) & 0x3F))])
                output.append(table[Int(0x80 | (value & 0x3F))])
            }
        }
    }
}
