// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

// Python's semantics for the values templates compute with: str()/repr(), truthiness, ==, ordering,
// arithmetic and `in`, with CPython's error messages. Strings are sequences of Unicode code points (not
// Swift Characters): lengths, indexes, slices and comparisons all work on scalars, as in Python.

enum PyFormat {
    /// Python's `str(value)`; undefined prints as the empty string, as Jinja prints it.
    static func str(_ v: JinjaValue) -> String {
        switch v {
        case .string(let s): return s
        case .undefined: return ""
        default:
            var out = ""
            repr(v, into: &out)
            return out
        }
    }

    /// Python's `repr(value)`.
    static func repr(_ v: JinjaValue) -> String {
        var out = ""
        repr(v, into: &out)
        return out
    }

    static func repr(_ v: JinjaValue, into out: inout String, depth: Int = 0) {
        if depth > 200 { out += "..."; return }
        switch v {
        case .undefined: out += "Undefined"
        case .none: out += "None"
        case .bool(let b): out += b ? "True" : "False"
        case .int(let i): out += String(i)
        case .double(let d): out += floatRepr(d)
        case .string(let s): stringRepr(s, into: &out)
        case .array(let items):
            out += "["
            for (i, x) in items.enumerated() {
                if i > 0 { out += ", " }
                repr(x, into: &out, depth: depth + 1)
            }
            out += "]"
        case .tuple(let items):
            out += "("
            for (i, x) in items.enumerated() {
                if i > 0 { out += ", " }
                repr(x, into: &out, depth: depth + 1)
            }
            out += items.count == 1 ? ",)" : ")"
        case .object(let o):
            objectRepr(o, into: &out, depth: depth)
        case .namespace(let ns):
            out += "<Namespace "
            objectRepr(ns.attributes, into: &out, depth: depth)
            out += ">"
        case .callable(let c):
            if let r = c.reprText { out += r; return }
            switch c.kind {
            case .macro, .caller: out += "<Macro '\(c.name)'>"
            case .builtin: out += "<built-in function \(c.name)>"
            }
        }
    }

    static func objectRepr(_ o: JinjaObject, into out: inout String, depth: Int) {
        out += "{"
        var first = true
        for (k, x) in o.pairs {
            if !first { out += ", " }
            first = false
            stringRepr(k, into: &out)
            out += ": "
            repr(x, into: &out, depth: depth + 1)
        }
        out += "}"
    }

    /// `repr(float)`: the shortest string that round-trips, `1.0` for integral values, exponent outside
    /// 1e-4 ..< 1e16. Swift's `description` follows the same rules.
    static func floatRepr(_ d: Double) -> String { d.description }

    /// `repr(str)`: single quotes unless the text holds `'` and no `"`; non-printable characters escaped.
    static func stringRepr(_ s: String, into out: inout String) {
        var hasSingle = false, hasDouble = false
        for u in s.utf8 {
            if u == 0x27 { hasSingle = true } else if u == 0x22 { hasDouble = true }
        }
        let quote: Unicode.Scalar = hasSingle && !hasDouble ? "\"" : "'"
        out.unicodeScalars.append(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case quote: out += "\\"; out.unicodeScalars.append(c)
            default:
                if c.value >= 0x20 && c.value < 0x7F {
                    out.unicodeScalars.append(c)
                } else if c.value < 0x7F || !isPrintable(c) {
                    let hex = String(c.value, radix: 16)
                    if c.value <= 0xFF {
                        out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                    } else if c.value <= 0xFFFF {
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out += "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out.unicodeScalars.append(quote)
    }

    /// `str.isprintable()` for one character.
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            return false
        default: return true
        }
    }
}

enum PyOps {
    /// Python's type name, as error messages spell it.
    static func typeName(_ v: JinjaValue) -> String {
        switch v {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .tuple: return "tuple"
        case .object: return "dict"
        case .namespace: return "TemplateNamespace"
        case .callable(let c):
            switch c.kind {
            case .macro, .caller: return "Macro"
            case .builtin: return c.reprText != nil ? "builtin_function_or_method" : "function"
            }
        }
    }

    /// Jinja's `object_type_repr`, used in undefined messages: `dict object`, `None`.
    static func objectTypeRepr(_ v: JinjaValue) -> String {
        if case .none = v { return "None" }
        return typeName(v) + " object"
    }

    /// The error that using an undefined value raises.
    static func undefinedError(_ hint: String?) -> ChatTemplateError {
        .runtime(hint ?? "None is undefined")
    }

    static func truthy(_ v: JinjaValue) -> Bool {
        switch v {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a), .tuple(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        case .namespace, .callable: return true
        }
    }

    /// A number as Double, for mixed int/float arithmetic (bools count as 0 and 1).
    static func number(_ v: JinjaValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// An int or bool as Int.
    static func integer(_ v: JinjaValue) -> Int? {
        switch v {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Python's `==`.
    static func equals(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(x), .string(y)): return x.utf8.elementsEqual(y.utf8)
        case let (.int(x), .int(y)): return x == y
        case (.int, _), (.double, _), (.bool, _):
            if let x = integer(a), let y = integer(b) { return x == y }
            guard let x = number(a), let y = number(b) else { return false }
            return x == y
        case let (.array(x), .array(y)), let (.tuple(x), .tuple(y)):
            guard x.count == y.count else { return false }
            for i in x.indices where !equals(x[i], y[i]) { return false }
            return true
        case let (.object(x), .object(y)):
            guard x.count == y.count else { return false }
            for (k, v) in x.pairs {
                guard let w = y[k], equals(v, w) else { return false }
            }
            return true
        case let (.namespace(x), .namespace(y)): return x === y
        case let (.callable(x), .callable(y)): return x === y
        default: return false
        }
    }

    /// Code point order, which for UTF-8 is byte order.
    static func lessThanStrings(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Python's three-way ordering for `<`, `<=`, `>`, `>=` (`op` names the operator for the error).
    static func compare(_ a: JinjaValue, _ b: JinjaValue, _ op: String) throws(ChatTemplateError) -> Int {
        switch (a, b) {
        case let (.undefined(h), _), let (_, .undefined(h)): throw undefinedError(h)
        case let (.string(x), .string(y)):
            if x.utf8.elementsEqual(y.utf8) { return 0 }
            return lessThanStrings(x, y) ? -1 : 1
        case let (.array(x), .array(y)), let (.tuple(x), .tuple(y)):
            for i in 0 ..< min(x.count, y.count) where !equals(x[i], y[i]) {
                return try compare(x[i], y[i], op)
            }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        default:
            if let x = integer(a), let y = integer(b) { return x == y ? 0 : (x < y ? -1 : 1) }
            if let x = number(a), let y = number(b) {
                if x == y { return 0 }
                if x < y { return -1 }
                if x > y { return 1 }
                return 2  // NaN: every comparison is false
            }
            throw .runtime(
                "'\(op)' not supported between instances of '\(typeName(a))' and '\(typeName(b))'")
        }
    }

    static func unsupported(_ op: String, _ a: JinjaValue, _ b: JinjaValue) -> ChatTemplateError {
        .runtime("unsupported operand type(s) for \(op == "**" ? "** or pow()" : op): '\(typeName(a))' and '\(typeName(b))'")
    }

    static func overflow() -> ChatTemplateError {
        .runtime("integer overflow: the result does not fit in 64 bits")
    }

    static func add(_ a: JinjaValue, _ b: JinjaValue, limit: Int) throws(ChatTemplateError) -> JinjaValue {
        switch (a, b) {
        case let (.undefined(h), _), let (_, .undefined(h)): throw undefinedError(h)
        case let (.string(x), .string(y)):
            if x.utf8.count + y.utf8.count > limit { throw sizeError(limit) }
            return .string(x + y)
        case (.string, _): throw .runtime("can only concatenate str (not \"\(typeName(b))\") to str")
        case let (.array(x), .array(y)):
            if x.count + y.count > limit { throw sizeError(limit) }
            return .array(x + y)
        case (.array, _): throw .runtime("can only concatenate list (not \"\(typeName(b))\") to list")
        case let (.tuple(x), .tuple(y)): return .tuple(x + y)
        case (.tuple, _): throw .runtime("can only concatenate tuple (not \"\(typeName(b))\") to tuple")
        default:
            if let x = integer(a), let y = integer(b) {
                let (r, o) = x.addingReportingOverflow(y)
                if o { throw overflow() }
                return .int(r)
            }
            if let x = number(a), let y = number(b) { return .double(x + y) }
            throw unsupported("+", a, b)
        }
    }

    static func sizeError(_ limit: Int) -> ChatTemplateError {
        .runtime("a string or list grew past the output limit of \(limit) bytes")
    }

    static func arithmetic(_ op: String, _ a: JinjaValue, _ b: JinjaValue, limit: Int) throws(ChatTemplateError)
        -> JinjaValue
    {
        if case .undefined(let h) = a { throw undefinedError(h) }
        // `str % Undefined`: Python treats the undefined (it has __getitem__) as a mapping of arguments.
        if op == "%", case .string(let fmt) = a { return .string(try PercentFormat.format(fmt, b)) }
        if case .undefined(let h) = b { throw undefinedError(h) }
        switch op {
        case "+": return try add(a, b, limit: limit)
        case "-":
            if let x = integer(a), let y = integer(b) {
                let (r, o) = x.subtractingReportingOverflow(y)
                if o { throw overflow() }
                return .int(r)
            }
            if let x = number(a), let y = number(b) { return .double(x - y) }
        case "*":
            if let x = integer(a), let y = integer(b) {
                let (r, o) = x.multipliedReportingOverflow(by: y)
                if o { throw overflow() }
                return .int(r)
            }
            if let x = number(a), let y = number(b) { return .double(x * y) }
            return try repeatSequence(a, b, limit: limit)
        case "/":
            if let x = number(a), let y = number(b) {
                if y == 0 {
                    if case .double = a { throw .runtime("float division by zero") }
                    if case .double = b { throw .runtime("float division by zero") }
                    throw .runtime("division by zero")
                }
                return .double(x / y)
            }
        case "//":
            if let x = integer(a), let y = integer(b) {
                if y == 0 { throw .runtime("integer division or modulo by zero") }
                if x == .min && y == -1 { throw overflow() }
                var q = x / y
                if (x % y != 0) && ((x < 0) != (y < 0)) { q -= 1 }
                return .int(q)
            }
            if let x = number(a), let y = number(b) {
                if y == 0 { throw .runtime("float floor division by zero") }
                return .double(floorDiv(x, y))
            }
        case "%":
            if case .string(let fmt) = a { return .string(try PercentFormat.format(fmt, b)) }
            if let x = integer(a), let y = integer(b) {
                if y == 0 { throw .runtime("integer modulo by zero") }
                if y == -1 { return .int(0) }
                var r = x % y
                if r != 0 && ((r < 0) != (y < 0)) { r += y }
                return .int(r)
            }
            if let x = number(a), let y = number(b) {
                if y == 0 { throw .runtime("float modulo") }
                return .double(floatMod(x, y))
            }
        case "**":
            if let x = integer(a), let y = integer(b) {
                if y >= 0 {
                    var result = 1, base = x, e = y
                    while e > 0 {
                        if e & 1 == 1 {
                            let (r, o) = result.multipliedReportingOverflow(by: base)
                            if o { throw overflow() }
                            result = r
                        }
                        e >>= 1
                        if e > 0 {
                            let (bb, o) = base.multipliedReportingOverflow(by: base)
                            if o { throw overflow() }
                            base = bb
                        }
                    }
                    return .int(result)
                }
                if x == 0 { throw .runtime("0.0 cannot be raised to a negative power") }
                return .double(pow(Double(x), Double(y)))
            }
            if let x = number(a), let y = number(b) {
                if x == 0 && y < 0 { throw .runtime("0.0 cannot be raised to a negative power") }
                return .double(pow(x, y))
            }
        default: break
        }
        throw unsupported(op, a, b)
    }

    static func floorDiv(_ x: Double, _ y: Double) -> Double {
        let m = floatMod(x, y)
        return ((x - m) / y).rounded()
    }

    static func floatMod(_ x: Double, _ y: Double) -> Double {
        var m = fmod(x, y)
        if m != 0 {
            if (y < 0) != (m < 0) { m += y }
        } else {
            m = y < 0 ? -0.0 : 0.0
        }
        return m
    }

    static func isSequence(_ v: JinjaValue) -> Bool {
        switch v {
        case .string, .array, .tuple: return true
        default: return false
        }
    }

    static func repeatSequence(_ a: JinjaValue, _ b: JinjaValue, limit: Int) throws(ChatTemplateError) -> JinjaValue {
        var seq = a, count = b
        if integer(a) != nil, isSequence(b) { seq = b; count = a }
        guard let n = integer(count) else {
            if isSequence(a) { throw .runtime("can't multiply sequence by non-int of type '\(typeName(b))'") }
            if isSequence(b) { throw .runtime("can't multiply sequence by non-int of type '\(typeName(a))'") }
            throw unsupported("*", a, b)
        }
        let k = max(n, 0)
        switch seq {
        case .string(let s):
            if s.utf8.count * k > limit { throw sizeError(limit) }
            return .string(String(repeating: s, count: k))
        case .array(let x):
            if x.count * k > limit { throw sizeError(limit) }
            return .array(Array([[JinjaValue]](repeating: x, count: k).joined()))
        case .tuple(let x):
            if x.count * k > limit { throw sizeError(limit) }
            return .tuple(Array([[JinjaValue]](repeating: x, count: k).joined()))
        default: throw unsupported("*", a, b)
        }
    }

    /// Python's `item in container`.
    static func contains(_ container: JinjaValue, _ item: JinjaValue) throws(ChatTemplateError) -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let sub) = item else {
                throw .runtime("'in <string>' requires string as left operand, not \(typeName(item))")
            }
            return PyString.find(s, sub) != nil
        case .array(let a), .tuple(let a):
            return a.contains { equals($0, item) }
        case .object(let o):
            switch item {
            case .string(let k): return o[k] != nil
            case .array, .object: throw .runtime("unhashable type: '\(typeName(item))'")
            default: return false
            }
        case .undefined: return false
        default:
            throw .runtime("argument of type '\(typeName(container))' is not iterable")
        }
    }
}
