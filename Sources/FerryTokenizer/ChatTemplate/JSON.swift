// SPDX-License-Identifier: Apache-2.0

/// A JSON parser that keeps object keys in document order, as Python's `json.loads` does.
/// Accepts what Python accepts by default, `NaN` and `Infinity` included; nesting is capped at 512 levels.
struct OrderedJSONParser {
    let bytes: [UInt8]
    var pos = 0
    var depth = 0
    static let maxDepth = 512

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws(ChatTemplateError) -> JinjaValue {
        // A UTF-8 byte order mark is skipped, as Foundation does.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
        skipWhitespace()
        let v = try parseValue()
        skipWhitespace()
        if pos != bytes.count { throw fail("extra data") }
        return v
    }

    func fail(_ message: String) -> ChatTemplateError {
        .runtime("invalid JSON at byte \(pos): \(message)")
    }

    mutating func skipWhitespace() {
        while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x0A || bytes[pos] == 0x0D || bytes[pos] == 0x09 {
            pos += 1
        }
    }

    mutating func literal(_ word: String, _ value: JinjaValue) throws(ChatTemplateError) -> JinjaValue {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos ..< pos + w.count]) == w else {
            throw fail("unexpected character")
        }
        pos += w.count
        return value
    }

    mutating func parseValue() throws(ChatTemplateError) -> JinjaValue {
        guard pos < bytes.count else { throw fail("unexpected end of data") }
        switch bytes[pos] {
        case UInt8(ascii: "{"):
            depth += 1
            if depth > Self.maxDepth { throw fail("nesting too deep") }
            defer { depth -= 1 }
            pos += 1
            var obj = JinjaObject()
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(obj) }
            while true {
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try parseString()
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                pos += 1
                skipWhitespace()
                obj[key] = try parseValue()
                skipWhitespace()
                guard pos < bytes.count else { throw fail("unexpected end of data") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(obj) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            depth += 1
            if depth > Self.maxDepth { throw fail("nesting too deep") }
            defer { depth -= 1 }
            pos += 1
            var arr: [JinjaValue] = []
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(arr) }
            while true {
                skipWhitespace()
                arr.append(try parseValue())
                skipWhitespace()
                guard pos < bytes.count else { throw fail("unexpected end of data") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(arr) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .none)
        case UInt8(ascii: "N"): return try literal("NaN", .double(.nan))
        case UInt8(ascii: "I"): return try literal("Infinity", .double(.infinity))
        default: return try parseNumber()
        }
    }

    mutating func parseNumber() throws(ChatTemplateError) -> JinjaValue {
        let start = pos
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "I") { return try literal("Infinity", .double(-.infinity)) }
        }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("unexpected character") }
        if bytes[pos] == 0x30 { pos += 1 } else { while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 } }
        var isInteger = true
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            guard pos + 1 < bytes.count, isDigit(bytes[pos + 1]) else { throw fail("bad number") }
            isInteger = false
            pos += 1
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            var p = pos + 1
            if p < bytes.count, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p += 1 }
            if p < bytes.count, isDigit(bytes[p]) {
                isInteger = false
                pos = p
                while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            }
        }
        let text = String(decoding: bytes[start ..< pos], as: UTF8.self)
        if isInteger, let i = Int(text) { return .int(i) }
        guard let d = Double(text) else { throw fail("bad number") }
        return .double(d)
    }

    mutating func parseString() throws(ChatTemplateError) -> String {
        pos += 1  // opening quote
        var out: [UInt8] = []
        var runStart = pos
        while true {
            guard pos < bytes.count else { throw fail("unterminated string") }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                out.append(contentsOf: bytes[runStart ..< pos])
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw fail("control character in string") }
            if b != UInt8(ascii: "\\") { pos += 1; continue }
            out.append(contentsOf: bytes[runStart ..< pos])
            pos += 1
            guard pos < bytes.count else { throw fail("unterminated string") }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800 ..< 0xDC00).contains(code), pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"),
                    bytes[pos + 1] == UInt8(ascii: "u")
                {
                    let save = pos
                    pos += 2
                    let low = try hex4()
                    if (0xDC00 ..< 0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        pos = save
                    }
                }
                // A lone surrogate cannot live in a Swift string: it becomes U+FFFD.
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw fail("bad escape")
            }
            runStart = pos
        }
    }

    mutating func hex4() throws(ChatTemplateError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("bad \\u escape") }
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            let b = bytes[pos]
            let d: UInt32
            switch b {
            case 0x30 ... 0x39: d = UInt32(b - 0x30)
            case 0x41 ... 0x46: d = UInt32(b - 0x41 + 10)
            case 0x61 ... 0x66: d = UInt32(b - 0x61 + 10)
            default: throw fail("bad \\u escape")
            }
            v = v * 16 + d
            pos += 1
        }
        return v
    }
}

/// `json.dumps` as `transformers`' `tojson` filter calls it: `ensure_ascii`, `indent`, `separators`,
/// `sort_keys`; floats as Python's `repr`, `NaN`/`Infinity` allowed.
struct JSONWriter {
    struct Options {
        var ensureASCII = false
        var indent: String? = nil
        var itemSeparator = ", "
        var keySeparator = ": "
        var sortKeys = false
    }

    let options: Options
    var out = ""
    var depth = 0

    init(options: Options) { self.options = options }

    mutating func write(_ value: JinjaValue, level: Int) throws(ChatTemplateError) {
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else {
                out += PyFormat.floatRepr(d)
            }
        case .string(let s): writeString(s)
        case .array(let items), .tuple(let items):
            try writeSequence(items.count, level: level, open: "[", close: "]") { (w, i, l) throws(ChatTemplateError) in
                try w.write(items[i], level: l)
            }
        case .object(let obj):
            var keys = obj.keys
            if options.sortKeys { keys.sort { PyOps.lessThanStrings($0, $1) } }
            try writeSequence(keys.count, level: level, open: "{", close: "}") { (w, i, l) throws(ChatTemplateError) in
                w.writeString(keys[i])
                w.out += w.options.keySeparator
                try w.write(obj[keys[i]]!, level: l)
            }
        case .undefined: throw .runtime("Object of type Undefined is not JSON serializable")
        case .namespace: throw .runtime("Object of type TemplateNamespace is not JSON serializable")
        case .callable(let c):
            if case .macro = c.kind { throw .runtime("Object of type Macro is not JSON serializable") }
            throw .runtime("Object of type builtin_function_or_method is not JSON serializable")
        }
    }

    mutating func writeSequence(
        _ count: Int, level: Int, open: String, close: String,
        _ item: (inout JSONWriter, Int, Int) throws(ChatTemplateError) -> Void
    ) throws(ChatTemplateError) {
        if count == 0 { out += open + close; return }
        depth += 1
        if depth > OrderedJSONParser.maxDepth { throw .runtime("tojson: nesting too deep") }
        defer { depth -= 1 }
        out += open
        if let indent = options.indent {
            let inner = "\n" + String(repeating: indent, count: level + 1)
            for i in 0 ..< count {
                out += i == 0 ? inner : options.itemSeparator + inner
                try item(&self, i, level + 1)
            }
            out += "\n" + String(repeating: indent, count: level)
        } else {
            for i in 0 ..< count {
                if i > 0 { out += options.itemSeparator }
                try item(&self, i, level)
            }
        }
        out += close
    }

    mutating func writeString(_ s: String) {
        out += "\""
        let hex: [Character] = Array("0123456789abcdef")
        func u4(_ v: UInt32) -> String {
            var r = "\\u"
            for shift in stride(from: 12, through: 0, by: -4) { r.append(hex[Int((v >> UInt32(shift)) & 0xF)]) }
            return r
        }
        var run = ""
        for scalar in s.unicodeScalars {
            let v = scalar.value
            let escape: String?
            switch v {
            case 0x22: escape = "\\\""
            case 0x5C: escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case 0 ..< 0x20: escape = u4(v)
            case 0x7F...:
                if !options.ensureASCII {
                    escape = nil
                } else if v >= 0x10000 {
                    let x = v - 0x10000
                    escape = u4(0xD800 + (x >> 10)) + u4(0xDC00 + (x & 0x3FF))
                } else {
                    escape = u4(v)
                }
            default: escape = nil
            }
            if let escape { out += run; run = ""; out += escape } else { run.unicodeScalars.append(scalar) }
        }
        out += run
        out += "\""
    }
}
