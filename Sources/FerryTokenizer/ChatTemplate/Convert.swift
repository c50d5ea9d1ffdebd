// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Python's `int()`, `float()` and `round()` as the `int`, `float` and `round` filters use them.
enum Convert {
    /// Python's `float(str)`: whitespace around, `_` between digits, `inf`/`nan` spellings.
    static func parseFloat(_ s: String) -> Double? {
        var t = PyString.strip(s, nil, left: true, right: true)
        if t.contains("_") {
            let u = Array(t.unicodeScalars)
            for (i, c) in u.enumerated() where c == "_" {
                guard i > 0, i + 1 < u.count, u[i - 1].properties.numericType != nil,
                    u[i + 1].properties.numericType != nil
                else { return nil }
            }
            t = t.replacing("_", with: "")
        }
        let lower = t.lowercased()
        var body = Substring(lower)
        var negative = false
        if let f = body.first, f == "+" || f == "-" { negative = f == "-"; body = body.dropFirst() }
        if body == "inf" || body == "infinity" { return negative ? -.infinity : .infinity }
        if body == "nan" { return .nan }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "e" || $0 == "+" || $0 == "-") })
        else { return nil }
        guard body.contains(where: { $0.isNumber }) else { return nil }
        return Double(t)
    }

    /// Python's `int(str, base)`.
    static func parseInt(_ s: String, base: Int) -> Int? {
        var t = Substring(PyString.strip(s, nil, left: true, right: true))
        var negative = false
        if let f = t.first, f == "+" || f == "-" { negative = f == "-"; t = t.dropFirst() }
        var b = base
        let lower = t.lowercased()
        if (b == 16 || b == 0) && lower.hasPrefix("0x") { t = t.dropFirst(2); b = 16 } else if (b == 8 || b == 0) && lower.hasPrefix("0o") {
            t = t.dropFirst(2); b = 8
        } else if (b == 2 || b == 0) && lower.hasPrefix("0b") { t = t.dropFirst(2); b = 2 } else if b == 0 { b = 10 }
        if t.hasPrefix("_") { t = t.dropFirst() }
        guard !t.isEmpty, !t.hasSuffix("_"), !t.contains("__") else { return nil }
        let digits = t.replacing("_", with: "")
        guard b >= 2 && b <= 36, let v = Int(digits, radix: b) else { return nil }
        return negative ? -v : v
    }

    static func toInt(_ v: JinjaValue, base: Int) throws(ChatTemplateError) -> JinjaValue? {
        switch v {
        case .int: return v
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d):
            guard d.isFinite, let i = Int(exactly: d.rounded(.towardZero)) else { return nil }
            return .int(i)
        case .string(let s):
            if let i = parseInt(s, base: base) { return .int(i) }
            if let d = parseFloat(s), d.isFinite, let i = Int(exactly: d.rounded(.towardZero)) { return .int(i) }
            return nil
        default: return nil
        }
    }

    static func toFloat(_ v: JinjaValue) -> JinjaValue? {
        switch v {
        case .double: return v
        case .int(let i): return .double(Double(i))
        case .bool(let b): return .double(b ? 1 : 0)
        case .string(let s): return parseFloat(s).map { .double($0) }
        default: return nil
        }
    }

    static func round(_ v: JinjaValue, precision: Int, method: String) throws(ChatTemplateError) -> JinjaValue {
        guard let x = PyOps.number(v) else {
            throw .runtime("type \(PyOps.typeName(v)) doesn't define __round__ method")
        }
        if method == "common" {
            if let i = PyOps.integer(v) {
                if precision >= 0 { return .int(i) }
                let m = Int(pow(10.0, Double(-precision)))
                let q = Double(i) / Double(m)
                return .int(Int(q.rounded(.toNearestOrEven)) * m)
            }
            if !x.isFinite { return .double(x) }
            if precision == 0 { return .double(x.rounded(.toNearestOrEven)) }
            if precision > 0 {
                // printf rounds the exact binary value correctly, as Python's round() does.
                let s = PrintfFormat.double("%.\(min(precision, 340))f", x)
                return .double(Double(s) ?? x)
            }
            let m = pow(10.0, Double(-precision))
            return .double((x / m).rounded(.toNearestOrEven) * m)
        }
        let m = pow(10.0, Double(precision))
        let scaled = x * m
        return .double((method == "ceil" ? scaled.rounded(.up) : scaled.rounded(.down)) / m)
    }
}
