// SPDX-License-Identifier: Apache-2.0

/// One lexical token of a template, with its 1-based line.
struct Token {
    enum Kind: Equatable {
        case data(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case eof
    }

    let kind: Kind
    let line: Int
}

/// Jinja2's lexer with the settings `transformers` uses: `trim_blocks` (one newline after a block or comment
/// tag is dropped), `lstrip_blocks` (spaces and tabs before a block or comment tag at the start of a line are
/// dropped), `{%-`/`-%}` whitespace control (all whitespace on that side, newlines included), `{%+`/`+%}` to
/// turn trimming off, `{# #}` comments, `{% raw %}`, and the final newline of the source dropped
/// (`keep_trailing_newline=False`). Newlines (`\r\n`, `\r`) are normalized to `\n` first, as Jinja does.
struct Lexer {
    private let s: [Unicode.Scalar]
    private var pos = 0
    private var line = 1
    private var tokens: [Token] = []
    private var lineStarting = true

    init(source: String) {
        // Normalize newlines and drop one trailing newline.
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(source.unicodeScalars.count)
        var it = source.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = it.next()
        while let c = pending {
            pending = it.next()
            if c == "\r" {
                out.append("\n")
                if pending == "\n" { pending = it.next() }
            } else {
                out.append(c)
            }
        }
        if out.last == "\n" { out.removeLast() }
        s = out
    }

    static func tokenize(_ source: String) throws(ChatTemplateError) -> [Token] {
        var lexer = Lexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private func fail(_ message: String) -> ChatTemplateError { .syntax(line: line, message: message) }

    private func at(_ p: Int, _ text: String) -> Bool {
        var i = p
        for c in text.unicodeScalars {
            guard i < s.count, s[i] == c else { return false }
            i += 1
        }
        return true
    }

    private static func count(_ c: Unicode.Scalar, in text: ArraySlice<Unicode.Scalar>) -> Int {
        text.reduce(0) { $0 + ($1 == c ? 1 : 0) }
    }

    private mutating func emitData(_ text: ArraySlice<Unicode.Scalar>) {
        if !text.isEmpty { tokens.append(Token(kind: .data(PyString.make(text)), line: line)) }
        line += Self.count("\n", in: text)
    }

    private enum TagKind { case comment, block, variable, raw }

    /// Finds the next `{{`, `{%`, `{#` (or `{% raw %}`) at or after `from`.
    private func nextTag(from: Int) -> (start: Int, kind: TagKind, sign: Unicode.Scalar?, end: Int)? {
        var p = from
        while p + 1 < s.count {
            if s[p] == "{" {
                let c = s[p + 1]
                if c == "%" || c == "#" || c == "{" {
                    var end = p + 2
                    var sign: Unicode.Scalar? = nil
                    if end < s.count, s[end] == "-" || s[end] == "+" { sign = s[end]; end += 1 }
                    if c == "%", let rawEnd = rawBegin(at: end) { return (p, .raw, sign, rawEnd) }
                    return (p, c == "%" ? .block : (c == "#" ? .comment : .variable), sign, end)
                }
            }
            p += 1
        }
        return nil
    }

    /// `\s*raw\s*(-%}\s*|%})` after `{%` and its sign: where the raw block's body starts.
    private func rawBegin(at start: Int) -> Int? {
        var p = start
        while p < s.count, PyString.isSpace(s[p]) { p += 1 }
        guard at(p, "raw") else { return nil }
        p += 3
        while p < s.count, PyString.isSpace(s[p]) { p += 1 }
        if at(p, "-%}") {
            p += 3
            while p < s.count, PyString.isSpace(s[p]) { p += 1 }
            return p
        }
        if at(p, "%}") { return p + 2 }
        return nil
    }

    /// Applies `{%-` (rstrip) or lstrip_blocks to the text before a tag.
    private func stripBefore(_ text: ArraySlice<Unicode.Scalar>, sign: Unicode.Scalar?, isVariable: Bool)
        -> (ArraySlice<Unicode.Scalar>, strippedNewlines: Int)
    {
        if sign == "-" {
            var end = text.endIndex
            while end > text.startIndex, PyString.isSpace(text[end - 1]) { end -= 1 }
            return (text[text.startIndex ..< end], Self.count("\n", in: text[end...]))
        }
        if sign != "+" && !isVariable {
            var lineStart = text.endIndex
            while lineStart > text.startIndex, text[lineStart - 1] != "\n" { lineStart -= 1 }
            if lineStart > text.startIndex || lineStarting {
                let tail = text[lineStart...]
                if !tail.isEmpty && tail.allSatisfy({ PyString.isSpace($0) }) {
                    return (text[text.startIndex ..< lineStart], 0)
                }
            }
        }
        return (text, 0)
    }

    private mutating func run() throws(ChatTemplateError) {
        while pos < s.count {
            guard let tag = nextTag(from: pos) else {
                emitData(s[pos...])
                lineStarting = s.last == "\n"
                pos = s.count
                break
            }
            let (text, stripped) = stripBefore(s[pos ..< tag.start], sign: tag.sign, isVariable: tag.kind == .variable)
            emitData(text)
            line += stripped
            // The text and tag opening match as one piece in Jinja, so a line never starts right after it.
            lineStarting = false
            pos = tag.end
            switch tag.kind {
            case .comment: try lexComment()
            case .raw:
                line += Self.count("\n", in: s[tag.start ..< tag.end])
                try lexRaw()
            case .block:
                tokens.append(Token(kind: .blockBegin, line: line))
                try lexTag(variable: false)
            case .variable:
                tokens.append(Token(kind: .variableBegin, line: line))
                try lexTag(variable: true)
            }
        }
        tokens.append(Token(kind: .eof, line: line))
    }

    private mutating func lexComment() throws(ChatTemplateError) {
        var p = pos
        while p < s.count {
            if at(p, "+#}") {
                line += Self.count("\n", in: s[pos ..< p])
                pos = p + 3
                lineStarting = false
                return
            }
            if at(p, "-#}") {
                var end = p + 3
                while end < s.count, PyString.isSpace(s[end]) { end += 1 }
                line += Self.count("\n", in: s[pos ..< end])
                lineStarting = end > p + 3 && s[end - 1] == "\n"
                pos = end
                return
            }
            if at(p, "#}") {
                var end = p + 2
                if end < s.count, s[end] == "\n" { end += 1 }
                line += Self.count("\n", in: s[pos ..< end])
                lineStarting = s[end - 1] == "\n"
                pos = end
                return
            }
            p += 1
        }
        throw fail("Missing end of comment tag")
    }

    private mutating func lexRaw() throws(ChatTemplateError) {
        var p = pos
        while p < s.count {
            if at(p, "{%") {
                var q = p + 2
                var sign: Unicode.Scalar? = nil
                if q < s.count, s[q] == "-" || s[q] == "+" { sign = s[q]; q += 1 }
                while q < s.count, PyString.isSpace(s[q]) { q += 1 }
                if at(q, "endraw") {
                    q += 6
                    while q < s.count, PyString.isSpace(s[q]) { q += 1 }
                    var end: Int? = nil
                    if at(q, "+%}") {
                        end = q + 3
                    } else if at(q, "-%}") {
                        var e = q + 3
                        while e < s.count, PyString.isSpace(s[e]) { e += 1 }
                        end = e
                    } else if at(q, "%}") {
                        var e = q + 2
                        if e < s.count, s[e] == "\n" { e += 1 }
                        end = e
                    }
                    if let end {
                        let (text, stripped) = stripBefore(s[pos ..< p], sign: sign, isVariable: false)
                        emitData(text)
                        line += stripped + Self.count("\n", in: s[p ..< end])
                        lineStarting = s[end - 1] == "\n"
                        pos = end
                        return
                    }
                }
            }
            p += 1
        }
        throw fail("Missing end of raw directive")
    }

    /// Tokens inside `{% %}` or `{{ }}` up to the closing tag (closing tags inside brackets do not count).
    private mutating func lexTag(variable: Bool) throws(ChatTemplateError) {
        var brackets: [Unicode.Scalar] = []
        let startLine = line
        while true {
            guard pos < s.count else {
                line = startLine
                throw fail(variable ? "unexpected end of template, expected 'end of print statement'."
                           : "unexpected end of template, expected 'end of statement block'.")
            }
            if brackets.isEmpty {
                if variable {
                    if at(pos, "-}}") {
                        var end = pos + 3
                        while end < s.count, PyString.isSpace(s[end]) { end += 1 }
                        tokens.append(Token(kind: .variableEnd, line: line))
                        line += Self.count("\n", in: s[pos ..< end])
                        lineStarting = s[end - 1] == "\n"
                        pos = end
                        return
                    }
                    if at(pos, "}}") {
                        tokens.append(Token(kind: .variableEnd, line: line))
                        pos += 2
                        lineStarting = false
                        return
                    }
                } else {
                    if at(pos, "+%}") {
                        tokens.append(Token(kind: .blockEnd, line: line))
                        pos += 3
                        lineStarting = false
                        return
                    }
                    if at(pos, "-%}") {
                        var end = pos + 3
                        while end < s.count, PyString.isSpace(s[end]) { end += 1 }
                        tokens.append(Token(kind: .blockEnd, line: line))
                        line += Self.count("\n", in: s[pos ..< end])
                        lineStarting = s[end - 1] == "\n"
                        pos = end
                        return
                    }
                    if at(pos, "%}") {
                        var end = pos + 2
                        if end < s.count, s[end] == "\n" { end += 1 }
                        tokens.append(Token(kind: .blockEnd, line: line))
                        line += Self.count("\n", in: s[pos ..< end])
                        lineStarting = s[end - 1] == "\n"
                        pos = end
                        return
                    }
                }
            }
            let c = s[pos]
            if PyString.isSpace(c) {
                if c == "\n" { line += 1 }
                pos += 1
                continue
            }
            if let t = lexNumber() { tokens.append(Token(kind: t, line: line)); continue }
            if c == "_" || c.properties.isXIDStart {
                let start = pos
                pos += 1
                while pos < s.count, s[pos] == "_" || s[pos].properties.isXIDContinue { pos += 1 }
                tokens.append(Token(kind: .name(PyString.make(s[start ..< pos])), line: line))
                continue
            }
            if c == "'" || c == "\"" {
                tokens.append(Token(kind: .string(try lexString(quote: c)), line: line))
                continue
            }
            // Operators, longest first.
            var op: String? = nil
            for candidate in ["//", "**", "==", "!=", ">=", "<="] where at(pos, candidate) {
                op = candidate
                break
            }
            if op == nil, "+-/*%~[](){}><=.:|,;".unicodeScalars.contains(c) { op = String(Character(c)) }
            guard let op else { throw fail("unexpected char '\(Character(c))' at \(pos)") }
            switch op {
            case "(": brackets.append(")")
            case "[": brackets.append("]")
            case "{": brackets.append("}")
            case ")", "]", "}":
                guard let expected = brackets.popLast() else { throw fail("unexpected '\(op)'") }
                if String(Character(expected)) != op { throw fail("unexpected '\(op)', expected '\(Character(expected))'") }
            default: break
            }
            tokens.append(Token(kind: .op(op), line: line))
            pos += op.unicodeScalars.count
        }
    }

    private func isDigit(_ p: Int) -> Bool { p < s.count && s[p].isASCII && s[p].properties.numericType != nil }

    /// Digits with single `_` separators (`(\d+_)*\d+`); returns the end, or nil when none.
    private func digitRun(_ p: Int) -> Int? {
        guard isDigit(p) else { return nil }
        var q = p
        while true {
            while isDigit(q) { q += 1 }
            if q < s.count, s[q] == "_", isDigit(q + 1) { q += 1; continue }
            return q
        }
    }

    private mutating func lexNumber() -> Token.Kind? {
        guard isDigit(pos) else { return nil }
        // Float: digits, then a fraction and/or an exponent; not right after a `.` (so `a.0.1` is two lookups).
        if pos == 0 || s[pos - 1] != ".", let intEnd = digitRun(pos) {
            var q = intEnd
            var isFloat = false
            if q < s.count, s[q] == ".", let fracEnd = digitRun(q + 1) { q = fracEnd; isFloat = true }
            if q < s.count, s[q] == "e" || s[q] == "E" {
                var e = q + 1
                if e < s.count, s[e] == "+" || s[e] == "-" { e += 1 }
                if let expEnd = digitRun(e) { q = expEnd; isFloat = true }
            }
            if isFloat {
                let text = PyString.make(s[pos ..< q]).replacing("_", with: "")
                pos = q
                return .float(Double(text) ?? .nan)
            }
        }
        // Integer: 0b / 0o / 0x prefixes, or decimal (a leading 0 only for zero itself).
        if s[pos] == "0", pos + 1 < s.count {
            let radixChar = s[pos + 1]
            let radix: Int? = switch radixChar {
            case "b", "B": 2
            case "o", "O": 8
            case "x", "X": 16
            default: nil
            }
            if let radix {
                var q = pos + 2
                var digits = ""
                while q < s.count {
                    if s[q] == "_", q + 1 < s.count, Int(String(Character(s[q + 1])), radix: radix) != nil {
                        q += 1
                        continue
                    }
                    guard Int(String(Character(s[q])), radix: radix) != nil, s[q].isASCII else { break }
                    digits.unicodeScalars.append(s[q])
                    q += 1
                }
                if !digits.isEmpty {
                    pos = q
                    return Int(digits, radix: radix).map { .integer($0) } ?? .float(.nan)
                }
            }
        }
        if s[pos] == "0" {
            var q = pos + 1
            while q < s.count {
                if s[q] == "0" { q += 1 } else if s[q] == "_", q + 1 < s.count, s[q + 1] == "0" { q += 2 } else { break }
            }
            pos = q
            return .integer(0)
        }
        let end = digitRun(pos)!
        let text = PyString.make(s[pos ..< end]).replacing("_", with: "")
        pos = end
        return Int(text).map { .integer($0) } ?? .float(.nan)
    }

    /// A quoted string, with Python's escapes (`\n`, `\t`, `\xNN`, `\uNNNN`, `\UNNNNNNNN`, octal, ...).
    private mutating func lexString(quote: Unicode.Scalar) throws(ChatTemplateError) -> String {
        let startLine = line
        var out = String.UnicodeScalarView()
        pos += 1
        while true {
            guard pos < s.count else {
                line = startLine
                throw fail("unexpected char '\(Character(quote))' at \(pos)")
            }
            let c = s[pos]
            if c == quote { pos += 1; return String(out) }
            if c == "\n" { line += 1 }
            if c != "\\" { out.append(c); pos += 1; continue }
            pos += 1
            guard pos < s.count else { continue }
            let e = s[pos]
            pos += 1
            switch e {
            case "\n": line += 1
            case "\\", "'", "\"": out.append(e)
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "0" ... "7":
                var v = e.value - 48
                var n = 1
                while n < 3, pos < s.count, ("0" ... "7").contains(s[pos]) {
                    v = v * 8 + (s[pos].value - 48)
                    pos += 1
                    n += 1
                }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            case "x", "u", "U":
                let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                var v: UInt32 = 0
                for _ in 0 ..< width {
                    guard pos < s.count, s[pos].isASCII, let d = UInt32(String(Character(s[pos])), radix: 16) else {
                        throw fail("truncated \\\(Character(e))\(String(repeating: "X", count: width)) escape")
                    }
                    v = v * 16 + d
                    pos += 1
                }
                guard let scalar = Unicode.Scalar(v) else {
                    throw fail(v > 0x10FFFF ? "illegal Unicode character" : "surrogate characters are not supported")
                }
                out.append(scalar)
            case "N": throw fail("\\N{...} escapes are not supported")
            default:
                out.append("\\")
                out.append(e)
            }
        }
    }
}
