// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

extension Renderer {
    // MARK: - Filter helpers

    func text(_ v: JinjaValue) -> String { PyFormat.str(v) }

    func length(_ v: JinjaValue) throws(ChatTemplateError) -> Int {
        switch v {
        case .string(let s): return s.unicodeScalars.count
        case .array(let a), .tuple(let a): return a.count
        case .object(let o): return o.count
        case .undefined: return 0
        default: throw .runtime("object of type '\(PyOps.typeName(v))' has no len()")
        }
    }

    /// Jinja's `make_attrgetter`: `a.b.0` looks up each part with getitem; `default` replaces an undefined.
    func attributeGetter(_ attribute: JinjaValue, default dflt: JinjaValue? = nil,
                         lowercase: Bool = false) -> (JinjaValue) throws(ChatTemplateError) -> JinjaValue
    {
        let parts: [JinjaValue]
        switch attribute {
        case .string(let s):
            parts = s.split(separator: ".", omittingEmptySubsequences: false).map { p in
                Int(p).map { .int($0) } ?? .string(String(p))
            }
        case .none, .undefined: parts = []
        default: parts = [attribute]
        }
        return { (item) throws(ChatTemplateError) in
            var v = item
            for p in parts {
                v = try self.getitem(v, p)
                if let dflt, case .undefined = v { v = dflt }
            }
            if lowercase, case .string(let s) = v { return .string(PyString.lower(s)) }
            return v
        }
    }

    /// `make_multi_attrgetter`: the key is a list with one value per comma-separated attribute (so that items
    /// whose attributes are all undefined compare equal, as Python compares lists).
    func multiAttributeGetter(_ attribute: JinjaValue, lowercase: Bool) -> (JinjaValue) throws(ChatTemplateError)
        -> JinjaValue
    {
        let getters: [(JinjaValue) throws(ChatTemplateError) -> JinjaValue]
        if case .string(let s) = attribute {
            getters = s.split(separator: ",", omittingEmptySubsequences: false).map {
                attributeGetter(.string(String($0)), lowercase: lowercase)
            }
        } else {
            getters = [attributeGetter(attribute, lowercase: lowercase)]
        }
        return { (item) throws(ChatTemplateError) in
            var out: [JinjaValue] = []
            for g in getters { out.append(try g(item)) }
            return .array(out)
        }
    }

    /// A stable sort with a throwing comparison (Python's `sorted`).
    func stableSort(_ items: [JinjaValue], key: (JinjaValue) throws(ChatTemplateError) -> JinjaValue,
                    reverse: Bool) throws(ChatTemplateError) -> [JinjaValue]
    {
        var keyed: [(JinjaValue, JinjaValue)] = []
        keyed.reserveCapacity(items.count)
        for i in items { keyed.append((try key(i), i)) }
        // Insertion-merge sort: a bottom-up merge sort keeps equal keys in order.
        var a = keyed
        var width = 1
        var buffer = a
        while width < a.count {
            var start = 0
            while start < a.count {
                let mid = min(start + width, a.count), end = min(start + 2 * width, a.count)
                var i = start, j = mid, k = start
                while i < mid && j < end {
                    // Take from the right run only when it is strictly smaller (or larger when reversed).
                    let c = try PyOps.compare(a[j].0, a[i].0, "<")
                    let takeRight = reverse ? c == 1 : c == -1
                    if takeRight { buffer[k] = a[j]; j += 1 } else { buffer[k] = a[i]; i += 1 }
                    k += 1
                }
                while i < mid { buffer[k] = a[i]; i += 1; k += 1 }
                while j < end { buffer[k] = a[j]; j += 1; k += 1 }
                start += 2 * width
            }
            swap(&a, &buffer)
            width *= 2
        }
        return a.map { $0.1 }
    }
}
