// SPDX-License-Identifier: Apache-2.0

/// Python methods of `str`, `dict`, `list`, `tuple` and `float` that templates call (`text.strip()`,
/// `message.get('x')`, `d.items()`). Methods that would mutate a list or dict are "unsafe" in Jinja's
/// immutable sandbox: reading them gives an undefined whose use raises the sandbox's `SecurityError` message.
enum Methods {
    typealias Body = (_ args: CallArguments) throws(ChatTemplateError) -> JinjaValue

    static let unsafeDict: Set<String> = ["clear", "pop", "popitem", "setdefault", "update"]
    static let unsafeList: Set<String> = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"]

    /// The bound method `obj.name`, or nil when the type has no such method.
    static func method(_ obj: JinjaValue, _ name: String) -> JinjaValue? {
        let body: Body?
        switch obj {
        case .string(let s): body = stringMethod(s, name)
        case .object(let o):
            if unsafeDict.contains(name) { return unsafe(name, "dict") }
            body = dictMethod(o, name)
        case .array(let a):
            if unsafeList.contains(name) { return unsafe(name, "list") }
            body = sequenceMethod(a, name, isList: true)
        case .tuple(let a): body = sequenceMethod(a, name, isList: false)
        case .double(let d):
            body = name == "is_integer" ? { (_: CallArguments) throws(ChatTemplateError) in .bool(d.rounded() == d && d.isFinite) } : nil
        default: body = nil
        }
        guard let body else { return nil }
        let repr = "<built-in method \(name) of \(PyOps.typeName(obj)) object>"
        return .callable(JinjaCallable(name: name, repr: repr) { (_, args) throws(ChatTemplateError) in try body(args) })
    }

    static func unsafe(_ name: String, _ type: String) -> JinjaValue {
        .undefined(hint: "access to attribute '\(name)' of '\(type)' object is unsafe.")
    }

    static func string(_ v: JinjaValue, _ what: String) throws(ChatTemplateError) -> String {
        guard case .string(let s) = v else {
            throw .runtime("\(what.isEmpty ? "" : what + " ")must be str, not \(PyOps.typeName(v))")
        }
        return s
    }

    static func optionalString(_ v: JinjaValue, _ what: String) throws(ChatTemplateError) -> String? {
        switch v {
        case .none, .undefined: return nil
        case .string(let s): return s
        default: throw .runtime("\(what) arg must be None or str")
        }
    }

    static func int(_ v: JinjaValue, _ what: String, default d: Int) throws(ChatTemplateError) -> Int {
        switch v {
        case .undefined, .none: return d
        default:
            guard let i = PyOps.integer(v) else {
                throw .runtime("'\(PyOps.typeName(v))' object cannot be interpreted as an integer")
            }
            return i
        }
    }

    /// The `[start:end]` window of a string, in code points, for `find`/`startswith` and friends.
    static func window(_ s: String, _ start: JinjaValue, _ end: JinjaValue) throws(ChatTemplateError)
        -> (scalars: [Unicode.Scalar], offset: Int)
    {
        let u = Array(s.unicodeScalars)
        let n = u.count
        func clamp(_ v: JinjaValue, _ d: Int) throws(ChatTemplateError) -> Int {
            if case .none = v { return d }
            if case .undefined = v { return d }
            var i = try int(v, "slice index", default: d)
            if i < 0 { i += n }
            return min(max(i, 0), n)
        }
        let a = try clamp(start, 0), b = try clamp(end, n)
        return (a < b ? Array(u[a ..< b]) : [], a)
    }

    static func findScalars(_ h: [Unicode.Scalar], _ n: [Unicode.Scalar], reverse: Bool) -> Int? {
        if n.count > h.count { return nil }
        let range = Array(0 ... (h.count - n.count))
        for i in (reverse ? range.reversed() : range) where h[i ..< i + n.count].elementsEqual(n) { return i }
        return nil
    }

    static func stringMethod(_ s: String, _ name: String) -> Body? {
        switch name {
        case "strip", "lstrip", "rstrip":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["chars"], defaults: ["chars": .none])
                let chars = try optionalString(a[0], name)
                return .string(PyString.strip(s, chars, left: name != "rstrip", right: name != "lstrip"))
            }
        case "split", "rsplit":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["sep", "maxsplit"], defaults: ["sep": .none, "maxsplit": .int(-1)])
                let sep = try optionalString(a[0], "sep")
                let maxsplit = try int(a[1], "maxsplit", default: -1)
                let parts = name == "split" ? try PyString.split(s, sep, maxsplit: maxsplit)
                    : try PyString.rsplit(s, sep, maxsplit: maxsplit)
                return .array(parts.map { .string($0) })
            }
        case "splitlines":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["keepends"], defaults: ["keepends": .bool(false)])
                return .array(PyString.splitlines(s, keepends: PyOps.truthy(a[0])).map { .string($0) })
            }
        case "startswith", "endswith":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["prefix", "start", "end"], defaults: ["start": .none, "end": .none])
                let (w, _) = try window(s, a[1], a[2])
                let text = PyString.make(w)
                var candidates: [JinjaValue]
                switch a[0] {
                case .tuple(let items): candidates = items
                case .string: candidates = [a[0]]
                default:
                    throw .runtime("\(name) first arg must be str or a tuple of str, not \(PyOps.typeName(a[0]))")
                }
                for c in candidates {
                    let p = try string(c, "tuple for \(name)")
                    if name == "startswith" ? PyString.startsWith(text, p) : PyString.endsWith(text, p) {
                        return .bool(true)
                    }
                }
                return .bool(false)
            }
        case "upper": return { (_) throws(ChatTemplateError) in .string(PyString.upper(s)) }
        case "lower", "casefold": return { (_) throws(ChatTemplateError) in .string(PyString.lower(s)) }
        case "title": return { (_) throws(ChatTemplateError) in .string(PyString.title(s)) }
        case "capitalize": return { (_) throws(ChatTemplateError) in .string(PyString.capitalize(s)) }
        case "swapcase": return { (_) throws(ChatTemplateError) in .string(PyString.swapcase(s)) }
        case "replace":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["old", "new", "count"], defaults: ["count": .int(-1)])
                let old = try string(a[0], "replace() argument 1")
                let new = try string(a[1], "replace() argument 2")
                return .string(try PyString.replace(s, old, new, count: try int(a[2], "count", default: -1),
                                                    limit: ChatTemplate.Limits.hardStringLimit))
            }
        case "find", "rfind", "index", "rindex":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["sub", "start", "end"], defaults: ["start": .none, "end": .none])
                let sub = Array(try string(a[0], "").unicodeScalars)
                let (w, offset) = try window(s, a[1], a[2])
                if let i = findScalars(w, sub, reverse: name.hasPrefix("r")) { return .int(i + offset) }
                if name.hasSuffix("index") { throw .runtime("substring not found") }
                return .int(-1)
            }
        case "count":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["sub"])
                return .int(PyString.count(s, try string(a[0], "")))
            }
        case "join":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["iterable"])
                let items: [JinjaValue]
                switch a[0] {
                case .array(let x), .tuple(let x): items = x
                case .object(let o): items = o.keys.map { .string($0) }
                case .string(let t): items = t.unicodeScalars.map { .string(String($0)) }
                default: throw .runtime("can only join an iterable")
                }
                var parts: [String] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let p) = item else {
                        throw .runtime("sequence item \(i): expected str instance, \(PyOps.typeName(item)) found")
                    }
                    parts.append(p)
                }
                return .string(parts.joined(separator: s))
            }
        case "format":
            return { (args) throws(ChatTemplateError) in .string(try BraceFormat.format(s, args)) }
        case "center", "ljust", "rjust":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["width", "fillchar"], defaults: ["fillchar": .string(" ")])
                let width = min(try int(a[0], "width", default: 0), ChatTemplate.Limits.hardStringLimit)
                let fill = try string(a[1], "fillchar")
                guard fill.unicodeScalars.count == 1 else {
                    throw .runtime("The fill character must be exactly one character long")
                }
                return .string(pad(s, width: width, fill: fill, mode: name))
            }
        case "zfill":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["width"])
                let width = min(try int(a[0], "width", default: 0), ChatTemplate.Limits.hardStringLimit)
                let n = s.unicodeScalars.count
                if n >= width { return .string(s) }
                let zeros = String(repeating: "0", count: width - n)
                if let f = s.unicodeScalars.first, f == "+" || f == "-" {
                    return .string(String(f) + zeros + String(s.unicodeScalars.dropFirst()))
                }
                return .string(zeros + s)
            }
        case "partition", "rpartition":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["sep"])
                let sep = try string(a[0], "")
                if sep.isEmpty { throw .runtime("empty separator") }
                let h = Array(s.unicodeScalars), n = Array(sep.unicodeScalars)
                guard let i = findScalars(h, n, reverse: name == "rpartition") else {
                    return name == "partition" ? .tuple([.string(s), "", ""]) : .tuple(["", "", .string(s)])
                }
                return .tuple([.string(PyString.make(h[..<i])), .string(sep), .string(PyString.make(h[(i + n.count)...]))])
            }
        case "removeprefix":
            return { (args) throws(ChatTemplateError) in
                let p = try string(try args.bind(name, ["prefix"])[0], "removeprefix() argument")
                return .string(PyString.startsWith(s, p) ? String(decoding: s.utf8.dropFirst(p.utf8.count), as: UTF8.self) : s)
            }
        case "removesuffix":
            return { (args) throws(ChatTemplateError) in
                let p = try string(try args.bind(name, ["suffix"])[0], "removesuffix() argument")
                return .string(!p.isEmpty && PyString.endsWith(s, p)
                               ? String(decoding: s.utf8.dropLast(p.utf8.count), as: UTF8.self) : s)
            }
        case "expandtabs":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind(name, ["tabsize"], defaults: ["tabsize": .int(8)])
                let size = try int(a[0], "tabsize", default: 8)
                var out = "", column = 0
                for c in s.unicodeScalars {
                    if c == "\t" {
                        if size > 0 {
                            let spaces = size - column % size
                            out += String(repeating: " ", count: spaces)
                            column += spaces
                        }
                    } else {
                        out.unicodeScalars.append(c)
                        column = (c == "\n" || c == "\r") ? 0 : column + 1
                    }
                }
                return .string(out)
            }
        case "isalpha", "isdigit", "isalnum", "isspace", "islower", "isupper", "istitle", "isnumeric", "isdecimal",
            "isascii", "isidentifier", "isprintable":
            return { (_) throws(ChatTemplateError) in .bool(predicate(name, s)) }
        default: return nil
        }
    }

    static func pad(_ s: String, width: Int, fill: String, mode: String) -> String {
        let n = s.unicodeScalars.count
        if n >= width { return s }
        let marg = width - n
        switch mode {
        case "ljust": return s + String(repeating: fill, count: marg)
        case "rjust": return String(repeating: fill, count: marg) + s
        default:
            // CPython's centering: the odd space goes left only when both the margin and the width are odd.
            let left = marg / 2 + (marg & width & 1)
            return String(repeating: fill, count: left) + s + String(repeating: fill, count: marg - left)
        }
    }

    static func predicate(_ name: String, _ s: String) -> Bool {
        let u = Array(s.unicodeScalars)
        switch name {
        case "isalpha": return !u.isEmpty && u.allSatisfy { $0.properties.generalCategory.isLetter }
        case "isdigit": return !u.isEmpty && u.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit }
        case "isdecimal": return !u.isEmpty && u.allSatisfy { $0.properties.numericType == .decimal }
        case "isnumeric": return !u.isEmpty && u.allSatisfy { $0.properties.numericType != nil }
        case "isalnum":
            return !u.isEmpty && u.allSatisfy { $0.properties.generalCategory.isLetter || $0.properties.numericType != nil }
        case "isspace": return !u.isEmpty && u.allSatisfy(PyString.isSpace)
        case "isascii": return u.allSatisfy { $0.isASCII }
        case "isprintable": return u.allSatisfy(PyFormat.isPrintable)
        case "isidentifier":
            guard let f = u.first, f == "_" || f.properties.isXIDStart else { return false }
            return u.dropFirst().allSatisfy { $0 == "_" || $0.properties.isXIDContinue }
        case "islower", "isupper":
            var cased = false
            for c in u {
                if c.properties.isUppercase || c.properties.generalCategory == .titlecaseLetter {
                    if name == "islower" { return false }
                    cased = true
                } else if c.properties.isLowercase {
                    if name == "isupper" { return false }
                    cased = true
                }
            }
            return cased
        case "istitle":
            var cased = false, previousCased = false
            for c in u {
                if c.properties.isUppercase || c.properties.generalCategory == .titlecaseLetter {
                    if previousCased { return false }
                    previousCased = true
                    cased = true
                } else if c.properties.isLowercase {
                    if !previousCased { return false }
                    previousCased = true
                    cased = true
                } else {
                    previousCased = false
                }
            }
            return cased
        default: return false
        }
    }

    static func dictMethod(_ o: JinjaObject, _ name: String) -> Body? {
        switch name {
        case "get":
            return { (args) throws(ChatTemplateError) in
                let a = try args.bind("get", ["key", "default"], defaults: ["default": .none])
                if case .string(let k) = a[0], let v = o[k] { return v }
                if case .array = a[0] { throw .runtime("unhashable type: 'list'") }
                if case .object = a[0] { throw .runtime("unhashable type: 'dict'") }
                return a[1]
            }
        case "items":
            return { (args) throws(ChatTemplateError) in
                _ = try args.bind("items", [])
                return .array(o.pairs.map { .tuple([.string($0.key), $0.value]) })
            }
        case "keys":
            return { (args) throws(ChatTemplateError) in
                _ = try args.bind("keys", [])
                return .array(o.keys.map { .string($0) })
            }
        case "values":
            return { (args) throws(ChatTemplateError) in
                _ = try args.bind("values", [])
                return .array(o.values)
            }
        case "copy":
            return { (_) throws(ChatTemplateError) in .object(o) }
        default: return nil
        }
    }

    static func sequenceMethod(_ a: [JinjaValue], _ name: String, isList: Bool) -> Body? {
        switch name {
        case "count":
            return { (args) throws(ChatTemplateError) in
                let x = try args.bind("count", ["value"])[0]
                return .int(a.reduce(0) { $0 + (PyOps.equals($1, x) ? 1 : 0) })
            }
        case "index":
            return { (args) throws(ChatTemplateError) in
                let x = try args.bind("index", ["value"])[0]
                if let i = a.firstIndex(where: { PyOps.equals($0, x) }) { return .int(i) }
                throw .runtime(isList ? "\(PyFormat.repr(x)) is not in list" : "tuple.index(x): x not in tuple")
            }
        case "copy" where isList:
            return { (_) throws(ChatTemplateError) in .array(a) }
        default: return nil
        }
    }
}

extension Unicode.GeneralCategory {
    var isLetter: Bool {
        switch self {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }
}
