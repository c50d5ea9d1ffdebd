// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// Python's `printf`-style `str % args` (also the `format` filter).
enum PercentFormat {
    static func format(_ fmt: String, _ args: JinjaValue) throws(ChatTemplateError) -> String {
        var positional: [JinjaValue]
        var mapping: JinjaObject? = nil
        switch args {
        case .tuple(let items): positional = items
        case .object(let o): positional = [args]; mapping = o
        default: positional = [args]
        }
        var next = 0
        func take() throws(ChatTemplateError) -> JinjaValue {
            guard next < positional.count else { throw .runtime("not enough arguments for format string") }
            defer { next += 1 }
            return positional[next]
        }
        let u = Array(fmt.unicodeScalars)
        var out = ""
        var i = 0
        var usedMapping = false
        while i < u.count {
            let c = u[i]
            if c != "%" { out.unicodeScalars.append(c); i += 1; continue }
            i += 1
            guard i < u.count else { throw .runtime("incomplete format") }
            var key: String? = nil
            if u[i] == "(" {
                var depth = 1
                var j = i + 1
                while j < u.count && depth > 0 {
                    if u[j] == "(" { depth += 1 } else if u[j] == ")" { depth -= 1 }
                    j += 1
                }
                guard depth == 0 else { throw .runtime("incomplete format key") }
                key = PyString.make(u[(i + 1) ..< (j - 1)])
                i = j
            }
            var spec = FormatSpec()
            while i < u.count, "-+ #0".unicodeScalars.contains(u[i]) {
                switch u[i] {
                case "-": spec.align = "<"
                case "+": spec.sign = "+"
                case " ": if spec.sign != "+" { spec.sign = " " }
                case "#": spec.alternate = true
                default: spec.zero = true
                }
                i += 1
            }
            if i < u.count, u[i] == "*" {
                guard let w = PyOps.integer(try take()) else { throw .runtime("* wants int") }
                spec.width = abs(w)
                if w < 0 { spec.align = "<" }
                i += 1
            } else {
                var w = 0, any = false
                while i < u.count, let d = u[i].properties.numericType != nil ? Int(String(u[i])) : nil {
                    w = w * 10 + d; any = true; i += 1
                }
                if any { spec.width = w }
            }
            if i < u.count, u[i] == "." {
                i += 1
                if i < u.count, u[i] == "*" {
                    guard let p = PyOps.integer(try take()) else { throw .runtime("* wants int") }
                    spec.precision = max(p, 0)
                    i += 1
                } else {
                    var p = 0
                    while i < u.count, let d = Int(String(u[i])) { p = p * 10 + d; i += 1 }
                    spec.precision = p
                }
            }
            while i < u.count, "hlL".unicodeScalars.contains(u[i]) { i += 1 }
            guard i < u.count else { throw .runtime("incomplete format") }
            let type = u[i]
            i += 1
            if type == "%" { out += "%"; continue }
            let value: JinjaValue
            if let key {
                if case .undefined(let h) = args { throw PyOps.undefinedError(h) }
                guard let mapping else { throw .runtime("format requires a mapping") }
                usedMapping = true
                value = mapping[key] ?? .undefined(hint: nil)
                if mapping[key] == nil { throw .runtime("'\(key)'") }
            } else {
                value = try take()
            }
            if spec.align == nil && spec.zero && "diouxXeEfFgG".unicodeScalars.contains(type) { spec.align = "=" ; spec.fill = "0" }
            spec.type = type == "i" || type == "u" ? "d" : (type == "s" || type == "r" || type == "a" ? nil : type)
            switch type {
            case "s": out += spec.pad(PyFormat.str(value), defaultAlign: ">")
            case "r", "a": out += spec.pad(PyFormat.repr(value), defaultAlign: ">")
            case "c":
                if case .string(let s) = value, s.unicodeScalars.count == 1 { out += spec.pad(s, defaultAlign: ">") }
                else if let n = PyOps.integer(value), let sc = Unicode.Scalar(UInt32(clamping: n)) {
                    out += spec.pad(String(Character(sc)), defaultAlign: ">")
                } else { throw .runtime("%c requires int or char") }
            case "d", "i", "u", "o", "x", "X":
                var v = value
                if case .double(let d) = value {
                    guard d.isFinite else { throw .runtime("cannot convert float \(PyFormat.floatRepr(d)) to integer") }
                    guard let n = Int(exactly: d.rounded(.towardZero)) else { throw PyOps.overflow() }
                    v = .int(n)
                }
                guard PyOps.integer(v) != nil else {
                    throw .runtime("%\(type) format: a real number is required, not \(PyOps.typeName(value))")
                }
                out += try spec.apply(v)
            case "e", "E", "f", "F", "g", "G":
                guard let d = PyOps.number(value) else {
                    throw .runtime("must be real number, not \(PyOps.typeName(value))")
                }
                if spec.precision == nil { spec.precision = 6 }
                out += try spec.apply(.double(d))
            default:
                throw .runtime("unsupported format character '\(type)' (0x\(String(type.value, radix: 16)))")
            }
        }
        // Python skips this check when the argument is a mapping-like object (a dict or a list).
        var mappingLike = false
        if case .array = args { mappingLike = true }
        if case .object = args { mappingLike = true }
        if case .undefined = args { mappingLike = true }
        if !usedMapping && next < positional.count && !mappingLike {
            throw .runtime("not all arguments converted during string formatting")
        }
        return out
    }
}

/// A parsed Python format specification (`[[fill]align][sign][#][0][width][,][.precision][type]`).
struct FormatSpec {
    var fill: Unicode.Scalar = " "
    var align: Unicode.Scalar? = nil
    var sign: Unicode.Scalar = "-"
    var alternate = false
    var zero = false
    var width: Int? = nil
    var grouping: Unicode.Scalar? = nil
    var precision: Int? = nil
    var type: Unicode.Scalar? = nil

    init() {}

    init(parsing spec: String) throws(ChatTemplateError) {
        let u = Array(spec.unicodeScalars)
        var i = 0
        func isAlign(_ c: Unicode.Scalar) -> Bool { "<>=^".unicodeScalars.contains(c) }
        if u.count >= 2, isAlign(u[1]) { fill = u[0]; align = u[1]; i = 2 } else if u.count >= 1, isAlign(u[0]) {
            align = u[0]; i = 1
        }
        if i < u.count, "+- ".unicodeScalars.contains(u[i]) { sign = u[i]; i += 1 }
        if i < u.count, u[i] == "#" { alternate = true; i += 1 }
        if i < u.count, u[i] == "0" {
            zero = true
            if align == nil { fill = "0"; align = "=" }
            i += 1
        }
        var w = 0, any = false
        while i < u.count, let d = Int(String(u[i])), u[i].isASCII { w = w * 10 + d; any = true; i += 1 }
        if any { width = w }
        if i < u.count, u[i] == "," || u[i] == "_" { grouping = u[i]; i += 1 }
        if i < u.count, u[i] == "." {
            i += 1
            var p = 0, anyP = false
            while i < u.count, let d = Int(String(u[i])), u[i].isASCII { p = p * 10 + d; anyP = true; i += 1 }
            guard anyP else { throw .runtime("Format specifier missing precision") }
            precision = p
        }
        if i < u.count { type = u[i]; i += 1 }
        if i != u.count { throw .runtime("Invalid format specifier '\(spec)'") }
        if let w = width, w > 1_000_000 { throw .runtime("format width too large") }
        if let p = precision, p > 1_000 { throw .runtime("format precision too large") }
    }

    func pad(_ s: String, defaultAlign: Unicode.Scalar) -> String {
        guard let width else { return s }
        let n = s.unicodeScalars.count
        if n >= width { return s }
        let padding = width - n
        let fillString = String(Character(fill))
        switch align ?? defaultAlign {
        case "<": return s + String(repeating: fillString, count: padding)
        case "^":
            let left = padding / 2
            return String(repeating: fillString, count: left) + s + String(repeating: fillString, count: padding - left)
        default: return String(repeating: fillString, count: padding) + s
        }
    }

    /// Pads a number whose sign (or base prefix) is kept in front of `=`-aligned fill.
    func padNumber(prefix: String, digits: String) -> String {
        if let width, (align ?? ">") == "=" {
            let n = prefix.unicodeScalars.count + digits.unicodeScalars.count
            if n < width {
                return prefix + String(repeating: String(Character(fill)), count: width - n) + digits
            }
            return prefix + digits
        }
        return pad(prefix + digits, defaultAlign: ">")
    }

    func group(_ digits: String) -> String {
        guard let grouping else { return digits }
        var out: [Character] = []
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(Character(grouping)) }
            out.append(ch)
        }
        return String(out.reversed())
    }

    func signPrefix(negative: Bool) -> String {
        if negative { return "-" }
        switch sign {
        case "+": return "+"
        case " ": return " "
        default: return ""
        }
    }

    /// Formats a value by this spec, as Python's `format(value, spec)`.
    func apply(_ value: JinjaValue) throws(ChatTemplateError) -> String {
        switch value {
        case .string(let s):
            guard type == nil || type == "s" else {
                throw .runtime("Unknown format code '\(String(Character(type!)))' for object of type 'str'")
            }
            var text = s
            if let p = precision, p < s.unicodeScalars.count { text = PyString.make(s.unicodeScalars.prefix(p)) }
            return pad(text, defaultAlign: "<")
        case .int, .bool:
            let n = PyOps.integer(value)!
            if let t = type, "eEfFgG%".unicodeScalars.contains(t) { return try apply(.double(Double(n))) }
            if type == nil, case .bool(let b) = value, width == nil { return b ? "True" : "False" }
            let magnitude = n.magnitude
            var digits: String
            var basePrefix = ""
            switch type {
            case "b": digits = String(magnitude, radix: 2); if alternate { basePrefix = "0b" }
            case "o": digits = String(magnitude, radix: 8); if alternate { basePrefix = "0o" }
            case "x": digits = String(magnitude, radix: 16); if alternate { basePrefix = "0x" }
            case "X": digits = String(magnitude, radix: 16).uppercased(); if alternate { basePrefix = "0X" }
            case "c":
                guard let sc = Unicode.Scalar(UInt32(clamping: n)) else { throw .runtime("%c arg not in range") }
                return pad(String(Character(sc)), defaultAlign: "<")
            case nil, "d", "n": digits = group(String(magnitude))
            default:
                throw .runtime("Unknown format code '\(String(Character(type!)))' for object of type 'int'")
            }
            return padNumber(prefix: signPrefix(negative: n < 0) + basePrefix, digits: digits)
        case .double(let d):
            var t = type
            var p = precision
            var body: String
            if d.isNaN || d.isInfinite {
                body = d.isNaN ? "nan" : "inf"
                if t == "E" || t == "F" || t == "G" { body = body.uppercased() }
                return padNumber(prefix: signPrefix(negative: d.sign == .minus && !d.isNaN), digits: body)
            }
            let mag = abs(d)
            if t == nil && p == nil {
                body = PyFormat.floatRepr(mag)
            } else {
                var percent = false
                if t == "%" { percent = true; t = "f" }
                if t == nil { t = "g"; if p == nil { p = 12 } }
                let prec = p ?? 6
                let value = percent ? mag * 100 : mag
                let cfmt = "%" + (alternate ? "#" : "") + ".\(prec)" + String(Character(t == "n" ? "g" : t!))
                body = PrintfFormat.double(cfmt, value)
                if type == nil, !body.contains("."), !body.contains("e"), !body.contains("n") { body += ".0" }
                if percent { body += "%" }
            }
            if grouping != nil, let dot = body.firstIndex(where: { $0 == "." || $0 == "e" || $0 == "%" }) {
                body = group(String(body[..<dot])) + body[dot...]
            } else if grouping != nil {
                body = group(body)
            }
            return padNumber(prefix: signPrefix(negative: d.sign == .minus), digits: body)
        default:
            if type != nil || precision != nil {
                throw .runtime("unsupported format string passed to \(PyOps.typeName(value)).__format__")
            }
            return pad(PyFormat.str(value), defaultAlign: "<")
        }
    }
}

/// Python's `str.format(*args, **kwargs)` (as Jinja's sandbox allows it).
enum BraceFormat {
    static func format(_ fmt: String, _ args: CallArguments) throws(ChatTemplateError) -> String {
        let u = Array(fmt.unicodeScalars)
        var out = ""
        var i = 0
        var auto = 0
        var manual = false, automatic = false
        while i < u.count {
            let c = u[i]
            if c == "}" {
                guard i + 1 < u.count, u[i + 1] == "}" else { throw .runtime("Single '}' encountered in format string") }
                out += "}"
                i += 2
                continue
            }
            if c != "{" { out.unicodeScalars.append(c); i += 1; continue }
            if i + 1 < u.count, u[i + 1] == "{" { out += "{"; i += 2; continue }
            // Find the matching close brace (nested braces may appear in the spec).
            var depth = 1
            var j = i + 1
            while j < u.count && depth > 0 {
                if u[j] == "{" { depth += 1 } else if u[j] == "}" { depth -= 1 }
                if depth > 0 { j += 1 }
            }
            guard j < u.count else { throw .runtime("expected '}' before end of string") }
            let field = PyString.make(u[(i + 1) ..< j])
            i = j + 1
            var name = field
            var conversion: Unicode.Scalar? = nil
            var spec = ""
            if let colon = field.firstIndex(of: ":") {
                name = String(field[..<colon])
                spec = String(field[field.index(after: colon)...])
            }
            if let bang = name.firstIndex(of: "!") {
                let conv = name[name.index(after: bang)...]
                guard conv.unicodeScalars.count == 1 else {
                    throw .runtime("expected ':' after conversion specifier")
                }
                conversion = conv.unicodeScalars.first
                name = String(name[..<bang])
            }
            // Nested replacement fields in the spec: `{:{width}}`.
            if spec.contains("{") { spec = try format(spec, args) }
            // Split the field name into its first part and the `.attr` / `[key]` accessors after it.
            var head = name
            var accessors = ""
            if let k = name.firstIndex(where: { $0 == "." || $0 == "[" }) {
                head = String(name[..<k])
                accessors = String(name[k...])
            }
            var value: JinjaValue
            if head.isEmpty {
                if manual { throw .runtime("cannot switch from manual field specification to automatic field numbering") }
                automatic = true
                guard auto < args.positional.count else {
                    throw .runtime("Replacement index \(auto) out of range for positional args tuple")
                }
                value = args.positional[auto]
                auto += 1
            } else if let n = Int(head) {
                if automatic { throw .runtime("cannot switch from automatic field numbering to manual field specification") }
                manual = true
                guard n < args.positional.count else {
                    throw .runtime("Replacement index \(n) out of range for positional args tuple")
                }
                value = args.positional[n]
            } else {
                guard let v = args.keyword.last(where: { $0.0 == head })?.1 else { throw .runtime("'\(head)'") }
                value = v
            }
            var a = Array(accessors.unicodeScalars)[...]
            while let first = a.first {
                if first == "." {
                    a = a.dropFirst()
                    let attr = PyString.make(a.prefix { $0 != "." && $0 != "[" })
                    a = a.dropFirst(attr.unicodeScalars.count)
                    guard case .object(let o) = value, let v = o[attr] else {
                        throw .runtime("'\(PyOps.typeName(value))' object has no attribute '\(attr)'")
                    }
                    value = v
                } else {
                    a = a.dropFirst()
                    let key = PyString.make(a.prefix { $0 != "]" })
                    a = a.dropFirst(key.unicodeScalars.count + 1)
                    switch value {
                    case .object(let o):
                        guard let v = o[key] else { throw .runtime("'\(key)'") }
                        value = v
                    case .array(let items), .tuple(let items):
                        guard let idx = Int(key), idx >= 0, idx < items.count else {
                            throw .runtime("list index out of range")
                        }
                        value = items[idx]
                    default: throw .runtime("'\(PyOps.typeName(value))' object is not subscriptable")
                    }
                }
            }
            switch conversion {
            case nil: break
            case "r", "a": value = .string(PyFormat.repr(value))
            case "s": value = .string(PyFormat.str(value))
            default: throw .runtime("Unknown conversion specifier \(String(Character(conversion!)))")
            }
            out += try FormatSpec(parsing: spec).apply(value)
        }
        return out
    }
}
