// SPDX-License-Identifier: Apache-2.0

/// Python `str` operations over Unicode code points. Searches run on UTF-8 bytes, which for valid UTF-8 give
/// the same matches as searching code points (and unlike Swift's `String` methods, never treat canonically
/// equivalent text as equal).
enum PyString {
    /// Python's `str.isspace()` for one character (what `strip()` and `split()` remove by default).
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09 ... 0x0D, 0x1C ... 0x20, 0x85, 0xA0, 0x1680, 0x2000 ... 0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
            0x3000:
            return true
        default: return false
        }
    }

    static func isLineBreak(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x0A ... 0x0D, 0x1C ... 0x1E, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    static func length(_ s: String) -> Int { s.unicodeScalars.count }

    static func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }

    static func make<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    /// `strip`/`lstrip`/`rstrip`: whitespace when `chars` is nil, else any of `chars`.
    static func strip(_ s: String, _ chars: String?, left: Bool, right: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        func strippable(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isSpace(c) }
        let u = s.unicodeScalars
        var start = u.startIndex, end = u.endIndex
        if left { while start < end, strippable(u[start]) { start = u.index(after: start) } }
        if right {
            while end > start {
                let p = u.index(before: end)
                if !strippable(u[p]) { break }
                end = p
            }
        }
        if start == u.startIndex && end == u.endIndex { return s }
        return String(u[start ..< end])
    }

    /// Byte offset of the first occurrence of `needle` at or after byte `from`.
    static func find(_ hay: String, _ needle: String, from: Int = 0) -> Int? {
        let h = Array(hay.utf8), n = Array(needle.utf8)
        return find(h, n, from: from)
    }

    static func find(_ h: [UInt8], _ n: [UInt8], from: Int = 0) -> Int? {
        if n.isEmpty { return from <= h.count ? from : nil }
        if n.count > h.count { return nil }
        let first = n[0]
        var i = from
        let last = h.count - n.count
        while i <= last {
            if h[i] == first {
                var j = 1
                while j < n.count && h[i + j] == n[j] { j += 1 }
                if j == n.count { return i }
            }
            i += 1
        }
        return nil
    }

    static func rfind(_ h: [UInt8], _ n: [UInt8]) -> Int? {
        if n.count > h.count { return nil }
        var i = h.count - n.count
        while i >= 0 {
            if h[i ..< i + n.count].elementsEqual(n) { return i }
            i -= 1
        }
        return nil
    }

    /// `str.replace(old, new, count)`; an empty `old` inserts `new` between code points, as Python does.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1, limit: Int) throws(ChatTemplateError) -> String {
        var remaining = count < 0 ? Int.max : count
        if old.isEmpty {
            var out = String.UnicodeScalarView()
            let newScalars = new.unicodeScalars
            if remaining > 0 { out.append(contentsOf: newScalars); remaining -= 1 }
            for c in s.unicodeScalars {
                out.append(c)
                if remaining > 0 { out.append(contentsOf: newScalars); remaining -= 1 }
                if out.count > limit { throw PyOps.sizeError(limit) }
            }
            return String(out)
        }
        let h = Array(s.utf8), o = Array(old.utf8), n = Array(new.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(h.count)
        var pos = 0
        while remaining > 0, let i = find(h, o, from: pos) {
            out.append(contentsOf: h[pos ..< i])
            out.append(contentsOf: n)
            if out.count > limit { throw PyOps.sizeError(limit) }
            pos = i + o.count
            remaining -= 1
        }
        if pos == 0 { return s }
        out.append(contentsOf: h[pos...])
        return String(decoding: out, as: UTF8.self)
    }

    static func count(_ s: String, _ sub: String) -> Int {
        if sub.isEmpty { return length(s) + 1 }
        let h = Array(s.utf8), n = Array(sub.utf8)
        var c = 0, pos = 0
        while let i = find(h, n, from: pos) { c += 1; pos = i + n.count }
        return c
    }

    /// `str.split(sep, maxsplit)`; `sep == nil` splits on whitespace runs and drops empty parts.
    static func split(_ s: String, _ sep: String?, maxsplit: Int = -1) throws(ChatTemplateError) -> [String] {
        var remaining = maxsplit < 0 ? Int.max : maxsplit
        guard let sep else {
            var parts: [String] = []
            let u = Array(s.unicodeScalars)
            var i = 0
            while i < u.count {
                while i < u.count, isSpace(u[i]) { i += 1 }
                if i == u.count { break }
                if remaining == 0 {
                    var end = u.count
                    while end > i, isSpace(u[end - 1]) { end -= 1 }
                    parts.append(make(u[i ..< end]))
                    break
                }
                let start = i
                while i < u.count, !isSpace(u[i]) { i += 1 }
                parts.append(make(u[start ..< i]))
                remaining -= 1
            }
            return parts
        }
        if sep.isEmpty { throw .runtime("empty separator") }
        let h = Array(s.utf8), n = Array(sep.utf8)
        var parts: [String] = []
        var pos = 0
        while remaining > 0, let i = find(h, n, from: pos) {
            parts.append(String(decoding: h[pos ..< i], as: UTF8.self))
            pos = i + n.count
            remaining -= 1
        }
        parts.append(String(decoding: h[pos...], as: UTF8.self))
        return parts
    }

    /// `str.rsplit(sep, maxsplit)`.
    static func rsplit(_ s: String, _ sep: String?, maxsplit: Int = -1) throws(ChatTemplateError) -> [String] {
        if maxsplit < 0 { return try split(s, sep) }
        var remaining = maxsplit
        guard let sep else {
            var parts: [String] = []
            let u = Array(s.unicodeScalars)
            var i = u.count
            while i > 0 {
                while i > 0, isSpace(u[i - 1]) { i -= 1 }
                if i == 0 { break }
                if remaining == 0 {
                    var start = 0
                    while start < i, isSpace(u[start]) { start += 1 }
                    parts.append(make(u[start ..< i]))
                    break
                }
                let end = i
                while i > 0, !isSpace(u[i - 1]) { i -= 1 }
                parts.append(make(u[i ..< end]))
                remaining -= 1
            }
            return parts.reversed()
        }
        if sep.isEmpty { throw .runtime("empty separator") }
        let n = Array(sep.utf8)
        var h = Array(s.utf8)
        var parts: [String] = []
        while remaining > 0, let i = rfind(h, n) {
            parts.append(String(decoding: h[(i + n.count)...], as: UTF8.self))
            h.removeSubrange(i...)
            remaining -= 1
        }
        parts.append(String(decoding: h, as: UTF8.self))
        return parts.reversed()
    }

    /// `str.splitlines(keepends)`.
    static func splitlines(_ s: String, keepends: Bool = false) -> [String] {
        let u = Array(s.unicodeScalars)
        var parts: [String] = []
        var start = 0, i = 0
        while i < u.count {
            if isLineBreak(u[i]) {
                var end = i + 1
                if u[i] == "\r", end < u.count, u[end] == "\n" { end += 1 }
                parts.append(make(u[start ..< (keepends ? end : i)]))
                start = end
                i = end
            } else {
                i += 1
            }
        }
        if start < u.count { parts.append(make(u[start...])) }
        return parts
    }

    static func startsWith(_ s: String, _ prefix: String) -> Bool { s.utf8.starts(with: prefix.utf8) }

    static func endsWith(_ s: String, _ suffix: String) -> Bool {
        let a = s.utf8, b = suffix.utf8
        return a.count >= b.count && a.suffix(b.count).elementsEqual(b)
    }

    static func upper(_ s: String) -> String { s.uppercased() }
    static func lower(_ s: String) -> String { s.lowercased() }

    static func isCased(_ c: Unicode.Scalar) -> Bool { c.properties.isCased }

    /// `str.title()`: a cased character after an uncased one is title-cased, the others lower-cased.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s.unicodeScalars {
            if previousCased { out += c.properties.lowercaseMapping } else { out += c.properties.titlecaseMapping }
            previousCased = isCased(c)
        }
        return out
    }

    /// `str.capitalize()`: the first character title-cased, the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        var out = ""
        for (i, c) in s.unicodeScalars.enumerated() {
            out += i == 0 ? c.properties.titlecaseMapping : c.properties.lowercaseMapping
        }
        return out
    }

    static func swapcase(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if c.properties.isUppercase { out += c.properties.lowercaseMapping } else if c.properties.isLowercase {
                out += c.properties.uppercaseMapping
            } else { out.unicodeScalars.append(c) }
        }
        return out
    }

    /// Jinja's `title` filter: words begin after `-`, whitespace, or one of `({[<`; first letter upper-cased,
    /// the rest lower-cased.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for c in s.unicodeScalars {
            let separator = isSpace(c) || c == "-" || c == "(" || c == "{" || c == "[" || c == "<"
            if separator {
                out.unicodeScalars.append(c)
                atWordStart = true
            } else if atWordStart {
                out += c.properties.uppercaseMapping
                atWordStart = false
            } else {
                out += c.properties.lowercaseMapping
            }
        }
        return out
    }

    /// A Python slice `[start:stop:step]` over `count` items: the selected indexes.
    static func sliceIndexes(count: Int, start: Int?, stop: Int?, step: Int?) throws(ChatTemplateError) -> [Int] {
        let step = step ?? 1
        if step == 0 { throw .runtime("slice step cannot be zero") }
        func clamp(_ v: Int?, _ dflt: Int, lower: Int, upper: Int) -> Int {
            guard var v else { return dflt }
            if v < 0 { v += count }
            return Swift.min(Swift.max(v, lower), upper)
        }
        var out: [Int] = []
        if step > 0 {
            let a = clamp(start, 0, lower: 0, upper: count)
            let b = clamp(stop, count, lower: 0, upper: count)
            var i = a
            while i < b { out.append(i); i += step }
        } else {
            let a = clamp(start, count - 1, lower: -1, upper: count - 1)
            let b = clamp(stop, -1, lower: -1, upper: count - 1)
            var i = a
            // An explicit negative stop below -count means "through the first item".
            let stopIndex = stop == nil ? -1 : b
            while i > stopIndex { out.append(i); i += step }
        }
        return out
    }

    /// HTML escaping as `markupsafe.escape` does it.
    static func htmlEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
