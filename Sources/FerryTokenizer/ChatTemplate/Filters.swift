// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// Jinja's builtin filters (and `transformers`' `tojson`), with Jinja's argument names and defaults.
extension Renderer {
    static let filterNames: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first",
        "float", "forceescape", "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map",
        "max", "min", "pprint", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr",
        "slice", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "wordcount",
    ]

    func applyFilter(_ name: String, _ value: JinjaValue, _ args: CallArguments) throws(ChatTemplateError)
        -> JinjaValue
    {
        switch name {
        case "abs":
            _ = try args.bind(name, [])
            switch value {
            case .int(let i):
                if i == .min { throw PyOps.overflow() }
                return .int(abs(i))
            case .double(let d): return .double(abs(d))
            case .bool(let b): return .int(b ? 1 : 0)
            default: throw .runtime("bad operand type for abs(): '\(PyOps.typeName(value))'")
            }
        case "attr":
            let a = try args.bind(name, ["name"])
            let attr = text(a[0])
            if case .namespace(let ns) = value, let v = ns.attributes[attr] { return v }
            if let m = Methods.method(value, attr) { return m }
            return .undefined(hint: "'\(PyOps.objectTypeRepr(value))' has no attribute '\(attr)'")
        case "batch":
            let a = try args.bind(name, ["linecount", "fill_with"], defaults: ["fill_with": .none])
            guard let n = PyOps.integer(a[0]), n > 0 else { throw .runtime("batch size must be a positive integer") }
            var out: [JinjaValue] = []
            var tmp: [JinjaValue] = []
            for item in try iterate(value) {
                if tmp.count == n { out.append(.array(tmp)); tmp = [] }
                tmp.append(item)
            }
            if !tmp.isEmpty {
                if case .none = a[1] {} else { while tmp.count < n { tmp.append(a[1]) } }
                out.append(.array(tmp))
            }
            return .array(out)
        case "capitalize":
            _ = try args.bind(name, [])
            return .string(PyString.capitalize(text(value)))
        case "center":
            let a = try args.bind(name, ["width"], defaults: ["width": .int(80)])
            let width = min(try Methods.int(a[0], "width", default: 80), ChatTemplate.Limits.hardStringLimit)
            return .string(Methods.pad(text(value), width: width, fill: " ", mode: "center"))
        case "count", "length":
            _ = try args.bind(name, [])
            return .int(try length(value))
        case "d", "default":
            let a = try args.bind(name, ["default_value", "boolean"],
                                  defaults: ["default_value": .string(""), "boolean": .bool(false)])
            if case .undefined = value { return a[0] }
            if PyOps.truthy(a[1]) && !PyOps.truthy(value) { return a[0] }
            return value
        case "dictsort":
            let a = try args.bind(name, ["case_sensitive", "by", "reverse"],
                                  defaults: ["case_sensitive": .bool(false), "by": .string("key"), "reverse": .bool(false)])
            guard case .object(let o) = value else {
                if case .undefined(let h) = value { throw PyOps.undefinedError(h) }
                throw .runtime("'\(PyOps.typeName(value))' object has no attribute 'items'")
            }
            let position: Int
            switch text(a[1]) {
            case "key": position = 0
            case "value": position = 1
            default: throw .runtime("You can only sort by either \"key\" or \"value\"")
            }
            let caseSensitive = PyOps.truthy(a[0])
            let pairs: [JinjaValue] = o.pairs.map { .tuple([.string($0.key), $0.value]) }
            return .array(try stableSort(pairs, key: { (item) throws(ChatTemplateError) in
                guard case .tuple(let kv) = item else { return item }
                let v = kv[position]
                if !caseSensitive, case .string(let s) = v { return .string(PyString.lower(s)) }
                return v
            }, reverse: PyOps.truthy(a[2])))
        case "e", "escape", "forceescape":
            _ = try args.bind(name, [])
            return .string(PyString.htmlEscape(text(value)))
        case "first":
            _ = try args.bind(name, [])
            return try iterate(value).first ?? .undefined(hint: "No first item, sequence was empty.")
        case "last":
            _ = try args.bind(name, [])
            switch value {
            case .array, .tuple, .object, .string, .undefined: break
            default: throw .runtime("'\(PyOps.typeName(value))' object is not reversible")
            }
            return try iterate(value).last ?? .undefined(hint: "No last item, sequence was empty.")
        case "float":
            let a = try args.bind(name, ["default"], defaults: ["default": .double(0)])
            if case .undefined(let h) = value { throw PyOps.undefinedError(h) }
            return Convert.toFloat(value) ?? a[0]
        case "format":
            if !args.positional.isEmpty && !args.keyword.isEmpty {
                throw .runtime("can't handle positional and keyword arguments at the same time")
            }
            if !args.keyword.isEmpty { return .string(try PercentFormat.format(text(value), .object(JinjaObject(args.keyword)))) }
            return .string(try PercentFormat.format(text(value), .tuple(args.positional)))
        case "indent":
            let a = try args.bind(name, ["width", "first", "blank"],
                                  defaults: ["width": .int(4), "first": .bool(false), "blank": .bool(false)])
            let indentation: String
            if case .string(let w) = a[0] { indentation = w } else {
                indentation = String(repeating: " ", count: max(0, min(try Methods.int(a[0], "width", default: 4), 10_000)))
            }
            // `s += "\n"` then `s.splitlines()` in Jinja: only strings (and undefined, which raises) get through.
            switch value {
            case .string: break
            case .undefined(let h): throw PyOps.undefinedError(h)
            case .array: throw .runtime("'list' object has no attribute 'splitlines'")
            case .tuple: throw .runtime("can only concatenate tuple (not \"str\") to tuple")
            default: throw .runtime("unsupported operand type(s) for +=: '\(PyOps.typeName(value))' and 'str'")
            }
            let s = text(value) + "\n"
            let lines = PyString.splitlines(s)
            var rv: String
            if PyOps.truthy(a[2]) {
                rv = lines.joined(separator: "\n" + indentation)
            } else {
                rv = lines.first ?? ""
                if lines.count > 1 {
                    rv += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
                }
            }
            if PyOps.truthy(a[1]) { rv = indentation + rv }
            if rv.utf8.count > limits.maxOutputBytes { throw PyOps.sizeError(limits.maxOutputBytes) }
            return .string(rv)
        case "int":
            let a = try args.bind(name, ["default", "base"], defaults: ["default": .int(0), "base": .int(10)])
            if case .undefined(let h) = value { throw PyOps.undefinedError(h) }
            return try Convert.toInt(value, base: try Methods.int(a[1], "base", default: 10)) ?? a[0]
        case "items":
            _ = try args.bind(name, [])
            switch value {
            case .undefined: return .array([])
            case .object(let o): return .array(o.pairs.map { .tuple([.string($0.key), $0.value]) })
            default: throw .runtime("Can only get item pairs from a mapping.")
            }
        case "join":
            let a = try args.bind(name, ["d", "attribute"], defaults: ["d": .string(""), "attribute": .none])
            var items = try iterate(value)
            if case .none = a[1] {} else {
                let get = attributeGetter(a[1])
                var mapped: [JinjaValue] = []
                for i in items { mapped.append(try get(i)) }
                items = mapped
            }
            let joined = items.map { text($0) }.joined(separator: text(a[0]))
            if joined.utf8.count > limits.maxOutputBytes { throw PyOps.sizeError(limits.maxOutputBytes) }
            return .string(joined)
        case "list":
            _ = try args.bind(name, [])
            return .array(try iterate(value))
        case "lower":
            _ = try args.bind(name, [])
            return .string(PyString.lower(text(value)))
        case "upper":
            _ = try args.bind(name, [])
            return .string(PyString.upper(text(value)))
        case "title":
            _ = try args.bind(name, [])
            return .string(PyString.jinjaTitle(text(value)))
        case "map":
            // Jinja's map/select/reject yield nothing for a falsy value (None, 0, '', []).
            if !PyOps.truthy(value) { return .array([]) }
            let items = try iterate(value)
            var out: [JinjaValue] = []
            out.reserveCapacity(items.count)
            if args.positional.isEmpty, let attribute = args.keyword.first(where: { $0.0 == "attribute" })?.1 {
                var dflt: JinjaValue? = nil
                for (k, v) in args.keyword where k != "attribute" {
                    guard k == "default" else { throw .runtime("Unexpected keyword argument '\(k)'") }
                    dflt = v
                }
                if let d = dflt, case JinjaValue.none = d { dflt = nil }
                let get = attributeGetter(attribute, default: dflt)
                for i in items { out.append(try get(i)) }
            } else {
                guard let first = args.positional.first else { throw .runtime("map requires a filter argument") }
                let rest = CallArguments(Array(args.positional.dropFirst()), args.keyword)
                for i in items { out.append(try applyFilter(text(first), i, rest)) }
            }
            return .array(out)
        case "max", "min":
            let a = try args.bind(name, ["case_sensitive", "attribute"],
                                  defaults: ["case_sensitive": .bool(false), "attribute": .none])
            let items = try iterate(value)
            guard !items.isEmpty else { return .undefined(hint: "No aggregated item, sequence was empty.") }
            let key = attributeGetter(a[1], lowercase: !PyOps.truthy(a[0]))
            var best = items[0], bestKey = try key(items[0])
            for item in items.dropFirst() {
                let k = try key(item)
                let c = try PyOps.compare(k, bestKey, name == "max" ? ">" : "<")
                if (name == "max" && c == 1) || (name == "min" && c == -1) { best = item; bestKey = k }
            }
            return best
        case "pprint":
            _ = try args.bind(name, [])
            return .string(PyFormat.repr(value))
        case "select", "reject", "selectattr", "rejectattr":
            return .array(try selectOrReject(name, value, args))
        case "replace":
            let a = try args.bind(name, ["old", "new", "count"], defaults: ["count": .none])
            let count: Int
            if case .none = a[2] { count = -1 } else { count = try Methods.int(a[2], "count", default: -1) }
            return .string(try PyString.replace(text(value), text(a[0]), text(a[1]), count: count,
                                                limit: limits.maxOutputBytes))
        case "reverse":
            _ = try args.bind(name, [])
            if case .string(let s) = value { return .string(PyString.make(s.unicodeScalars.reversed())) }
            do {
                return .array(try iterate(value).reversed())
            } catch {
                throw .runtime("argument must be iterable")
            }
        case "round":
            let a = try args.bind(name, ["precision", "method"], defaults: ["precision": .int(0), "method": .string("common")])
            let precision = try Methods.int(a[0], "precision", default: 0)
            let method = text(a[1])
            guard ["common", "ceil", "floor"].contains(method) else {
                throw .runtime("method must be common, ceil or floor")
            }
            return try Convert.round(value, precision: precision, method: method)
        case "safe":
            _ = try args.bind(name, [])
            return .string(text(value))
        case "slice":
            let a = try args.bind(name, ["slices", "fill_with"], defaults: ["fill_with": .none])
            guard let slices = PyOps.integer(a[0]), slices > 0 else { throw .runtime("slices must be a positive integer") }
            let seq = try iterate(value)
            let per = seq.count / slices, extra = seq.count % slices
            var offset = 0
            var out: [JinjaValue] = []
            for n in 0 ..< slices {
                let start = offset + n * per
                if n < extra { offset += 1 }
                let end = offset + (n + 1) * per
                var tmp = Array(seq[start ..< end])
                if case .none = a[1] {} else if n >= extra { tmp.append(a[1]) }
                out.append(.array(tmp))
            }
            return .array(out)
        case "sort":
            let a = try args.bind(name, ["reverse", "case_sensitive", "attribute"],
                                  defaults: ["reverse": .bool(false), "case_sensitive": .bool(false), "attribute": .none])
            let key = multiAttributeGetter(a[2], lowercase: !PyOps.truthy(a[1]))
            return .array(try stableSort(try iterate(value), key: key, reverse: PyOps.truthy(a[0])))
        case "string":
            _ = try args.bind(name, [])
            return .string(text(value))
        case "sum":
            let a = try args.bind(name, ["attribute", "start"], defaults: ["attribute": .none, "start": .int(0)])
            var total = a[1]
            let get = attributeGetter(a[0])
            for item in try iterate(value) {
                total = try PyOps.add(total, try get(item), limit: limits.maxOutputBytes)
            }
            return total
        case "tojson":
            let a = try args.bind(name, ["ensure_ascii", "indent", "separators", "sort_keys"],
                                  defaults: ["ensure_ascii": .bool(false), "indent": .none, "separators": .none,
                                             "sort_keys": .bool(false)])
            var options = JSONWriter.Options()
            options.ensureASCII = PyOps.truthy(a[0])
            switch a[1] {
            case .none, .undefined: break
            case .string(let s): options.indent = s
            default:
                guard let n = PyOps.integer(a[1]) else {
                    throw .runtime("can't multiply sequence by non-int of type '\(PyOps.typeName(a[1]))'")
                }
                options.indent = String(repeating: " ", count: max(0, min(n, 1_000)))
            }
            if options.indent != nil { options.itemSeparator = "," }
            switch a[2] {
            case .none, .undefined: break
            case .array(let p), .tuple(let p):
                guard p.count == 2 else { throw .runtime("separators must be a pair of strings") }
                options.itemSeparator = text(p[0])
                options.keySeparator = text(p[1])
            default: throw .runtime("separators must be a pair of strings")
            }
            options.sortKeys = PyOps.truthy(a[3])
            var w = JSONWriter(options: options)
            try w.write(value, level: 0)
            if w.out.utf8.count > limits.maxOutputBytes { throw PyOps.sizeError(limits.maxOutputBytes) }
            return .string(w.out)
        case "trim":
            let a = try args.bind(name, ["chars"], defaults: ["chars": .none])
            return .string(PyString.strip(text(value), try Methods.optionalString(a[0], "strip"), left: true, right: true))
        case "truncate":
            let a = try args.bind(name, ["length", "killwords", "end", "leeway"],
                                  defaults: ["length": .int(255), "killwords": .bool(false), "end": .string("..."),
                                             "leeway": .int(5)])
            let length = try Methods.int(a[0], "length", default: 255)
            let end = text(a[2])
            let leeway = try Methods.int(a[3], "leeway", default: 5)
            let endCount = end.unicodeScalars.count
            guard length >= endCount else { throw .runtime("expected length >= \(endCount), got \(length)") }
            guard leeway >= 0 else { throw .runtime("expected leeway >= 0, got \(leeway)") }
            // Jinja measures and returns the value itself when it is short enough (lists included).
            if try self.length(value) <= length + leeway { return value }
            guard case .string(let str) = value else {
                throw .runtime("can only concatenate \(PyOps.typeName(value)) (not \"str\") to \(PyOps.typeName(value))")
            }
            let head = PyString.make(str.unicodeScalars.prefix(length - endCount))
            if PyOps.truthy(a[1]) { return .string(head + end) }
            let cut = try PyString.rsplit(head, " ", maxsplit: 1)
            return .string(cut[0] + end)
        case "unique":
            let a = try args.bind(name, ["case_sensitive", "attribute"],
                                  defaults: ["case_sensitive": .bool(false), "attribute": .none])
            let key = attributeGetter(a[1], lowercase: !PyOps.truthy(a[0]))
            var seen: [JinjaValue] = []
            var out: [JinjaValue] = []
            for item in try iterate(value) {
                let k = try key(item)
                if case .array = k { throw .runtime("unhashable type: 'list'") }
                if case .object = k { throw .runtime("unhashable type: 'dict'") }
                if !seen.contains(where: { PyOps.equals($0, k) }) {
                    seen.append(k)
                    out.append(item)
                }
            }
            return .array(out)
        case "wordcount":
            _ = try args.bind(name, [])
            var count = 0, inWord = false
            for c in text(value).unicodeScalars {
                let word = c == "_" || c.properties.generalCategory.isLetter || c.properties.numericType != nil
                if word && !inWord { count += 1 }
                inWord = word
            }
            return .int(count)
        default:
            throw .runtime("No filter named '\(name)' found.")
        }
    }

    private func selectOrReject(_ name: String, _ value: JinjaValue, _ args: CallArguments) throws(ChatTemplateError)
        -> [JinjaValue]
    {
        if !PyOps.truthy(value) { return [] }
        let byAttribute = name.hasSuffix("attr")
        let keep = name.hasPrefix("select")
        var positional = args.positional
        var transform: ((JinjaValue) throws(ChatTemplateError) -> JinjaValue)? = nil
        if byAttribute {
            guard !positional.isEmpty else { throw .runtime("Missing parameter for attribute name") }
            transform = attributeGetter(positional.removeFirst())
        }
        var testName: String? = nil
        if !positional.isEmpty { testName = text(positional.removeFirst()) }
        let testArgs = CallArguments(positional, args.keyword)
        var out: [JinjaValue] = []
        for item in try iterate(value) {
            let subject = try transform?(item) ?? item
            let passed: Bool
            if let testName { passed = try applyTest(testName, subject, testArgs) } else { passed = PyOps.truthy(subject) }
            if passed == keep { out.append(item) }
        }
        return out
    }
}
