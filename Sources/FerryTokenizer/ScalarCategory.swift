// SPDX-License-Identifier: Apache-2.0

/// The character classes the split regexes use, for one Unicode scalar.
///
/// `\p{L}` is general category L*, `\p{N}` is N* (also Rust's `char::is_numeric`, used by `Digits`), and `\s` is the
/// White_Space property (Oniguruma's Unicode `\s`, Rust's `char::is_whitespace`). A table covers the Basic
/// Multilingual Plane; scalars above it ask `Unicode.Scalar.Properties`.
enum ScalarCategory {
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let whitespace: UInt8 = 4
    /// `\w` in Rust's regex: letters, marks, decimal digits, connector punctuation (used by `single_word`).
    static let word: UInt8 = 8

    /// Flags for U+0000...U+FFFF, built once on first use (about 5 ms).
    private static let basicPlane: [UInt8] = (0..<0x10000).map { flags(computedFor: UInt32($0)) }

    @inline(__always)
    static func flags(_ scalar: UInt32) -> UInt8 {
        scalar < 0x10000 ? basicPlane[Int(scalar)] : flags(computedFor: scalar)
    }

    @inline(__always) static func isLetter(_ scalar: UInt32) -> Bool { flags(scalar) & letter != 0 }
    @inline(__always) static func isNumber(_ scalar: UInt32) -> Bool { flags(scalar) & number != 0 }
    @inline(__always) static func isWhitespace(_ scalar: UInt32) -> Bool { flags(scalar) & whitespace != 0 }
    @inline(__always) static func isWordCharacter(_ scalar: UInt32) -> Bool { flags(scalar) & word != 0 }

    /// `[^\s\p{L}\p{N}]`: anything that is not whitespace, a letter or a number.
    @inline(__always)
    static func isOther(_ scalar: UInt32) -> Bool { flags(scalar) & (letter | number | whitespace) == 0 }

    private static func flags(computedFor value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        let properties = scalar.properties
        var result: UInt8 = 0
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result = letter | word
        case .decimalNumber:
            result = number | word
        case .letterNumber, .otherNumber:
            result = number
        case .nonspacingMark, .spacingMark, .enclosingMark, .connectorPunctuation:
            result = word
        default:
            result = 0
        }
        if properties.isAlphabetic { result |= word }
        if properties.isWhitespace { result |= whitespace }
        return result
    }
}
