// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

extension Renderer {
    // MARK: - Expressions

    func eval(_ e: Expr, _ scope: Scope) throws(ChatTemplateError) -> JinjaValue {
        try enterNested()
        defer { nesting -= 1 }
        switch e {
        case .literal(let v): return v
        case .name(let n): return try lookup(n, scope)
        case .list(let items): return .array(try evalAll(items, scope))
        case .tuple(let items): return .tuple(try evalAll(items, scope))
        case .dict(let pairs): return try evalDict(pairs, scope)
        case .getattr(let obj, let name): return try getattr(try eval(obj, scope), name)
        case .getitem(let obj, let key): return try getitem(try eval(obj, scope), try eval(key, scope))
        case .slice(let obj, let a, let b, let c): return try evalSlice(obj, a, b, c, scope)
        case .call(let callee, let call): return try evalCall(callee, call, scope)
        case .filter(let value, let name, let call, _): return try evalFilter(value, name, call, scope)
        case .test(let value, let name, let call, _): return try evalTest(value, name, call, scope)
        case .not(let x): return .bool(!PyOps.truthy(try eval(x, scope)))
        case .negate(let x): return try negate(try eval(x, scope))
        case .plus(let x): return try plus(try eval(x, scope))
        case .binary(let op, let a, let b): return try evalBinary(op, a, b, scope)
        case .and(let a, let b): return try evalAnd(a, b, scope)
        case .or(let a, let b): return try evalOr(a, b, scope)
        case .compare(let first, let ops): return try evalCompare(first, ops, scope)
        case .concat(let parts): return try evalConcat(parts, scope)
        case .conditional(let test, let then, let otherwise, let line):
            return try evalConditional(test, then, otherwise, line, scope)
        }
    }

    private func lookup(_ n: String, _ scope: Scope) throws(ChatTemplateError) -> JinjaValue {
        if foldingConstants { throw .runtime("not constant") }
        if let v = scope.lookup(n) { return v }
        if let g = Builtins.globals[n] { return g }
        return .undefined(hint: "'\(n)' is undefined")
    }

    private func evalAll(_ items: [Expr], _ scope: Scope) throws(ChatTemplateError) -> [JinjaValue] {
        var out: [JinjaValue] = []
        out.reserveCapacity(items.count)
        for i in items { out.append(try eval(i, scope)) }
        return out
    }

    private func evalDict(_ pairs: [(Expr, Expr)], _ scope: Scope) throws(ChatTemplateError) -> JinjaValue {
        var o = JinjaObject()
        for (k, v) in pairs {
            let key = try eval(k, scope)
            guard case .string(let ks) = key else {
                if case .undefined(let h) = key { throw PyOps.undefinedError(h) }
                throw .runtime("dict keys other than strings are not supported (got \(PyOps.typeName(key)))")
            }
            o[ks] = try eval(v, scope)
        }
        return .object(o)
    }

    private func sliceIndex(_ x: Expr?, _ scope: Scope) throws(ChatTemplateError) -> Int? {
        guard let x else { return nil }
        let v = try eval(x, scope)
        if case .none = v { return nil }
        guard let i = PyOps.integer(v) else {
            if case .undefined(let h) = v { throw PyOps.undefinedError(h) }
            throw .runtime("slice indices must be integers or None or have an __index__ method")
        }
        return i
    }

    private func evalSlice(_ obj: Expr, _ a: Expr?, _ b: Expr?, _ c: Expr?, _ scope: Scope)
        throws(ChatTemplateError) -> JinjaValue
    {
        let target = try eval(obj, scope)
        let (i, j, k) = (try sliceIndex(a, scope), try sliceIndex(b, scope), try sliceIndex(c, scope))
        if foldingConstants {
            switch target {
            case .array, .tuple, .string, .undefined: break
            default:
                func text(_ v: Int?) -> String { v.map(String.init) ?? "None" }
                return .undefined(hint: "\(PyOps.objectTypeRepr(target)) has no element slice(\(text(i)), \(text(j)), \(text(k)))")
            }
        }
        return try slice(target, i, j, k)
    }

    private func evalCall(_ callee: Expr, _ call: Call, _ scope: Scope) throws(ChatTemplateError) -> JinjaValue {
        if foldingConstants { throw .runtime("not constant") }
        let args = try arguments(call, scope)
        return try callValue(try eval(callee, scope), args)
    }

    /// Filters that take Jinja's render context, which its optimizer never folds.
    static let contextFilters: Set<String> = ["map", "select", "reject", "selectattr", "rejectattr"]

    private func evalFilter(_ value: Expr, _ name: String, _ call: Call, _ scope: Scope) throws(ChatTemplateError)
        -> JinjaValue
    {
        if foldingConstants && Self.contextFilters.contains(name) { throw .runtime("not constant") }
        let v = try eval(value, scope)
        return try applyFilter(name, v, try arguments(call, scope))
    }

    private func evalTest(_ value: Expr, _ name: String, _ call: Call, _ scope: Scope) throws(ChatTemplateError)
        -> JinjaValue
    {
        let v = try eval(value, scope)
        return .bool(try applyTest(name, v, try arguments(call, scope)))
    }

    private func negate(_ v: JinjaValue) throws(ChatTemplateError) -> JinjaValue {
        switch v {
        case .int(let i):
            if i == .min { throw PyOps.overflow() }
            return .int(-i)
        case .double(let d): return .double(-d)
        case .bool(let b): return .int(b ? -1 : 0)
        case .undefined(let h): throw PyOps.undefinedError(h)
        default: throw .runtime("bad operand type for unary -: '\(PyOps.typeName(v))'")
        }
    }

    private func plus(_ v: JinjaValue) throws(ChatTemplateError) -> JinjaValue {
        switch v {
        case .int, .double: return v
        case .bool(let b): return .int(b ? 1 : 0)
        case .undefined(let h): throw PyOps.undefinedError(h)
        default: throw .runtime("bad operand type for unary +: '\(PyOps.typeName(v))'")
        }
    }

    private func evalBinary(_ op: String, _ a: Expr, _ b: Expr, _ scope: Scope) throws(ChatTemplateError) -> JinjaValue {
        let l = try eval(a, scope)
        let r = try eval(b, scope)
        return try PyOps.arithmetic(op, l, r, limit: limits.maxOutputBytes)
    }

    private func evalAnd(_ a: Expr, _ b: Expr, _ scope: Scope) throws(ChatTemplateError) -> JinjaValue {
        let l = try eval(a, scope)
        return PyOps.truthy(l) ? try eval(b, scope) : l
    }

    private func evalOr(_ a: Expr, _ b: Expr, _ scope: Scope) throws(ChatTemplateError) -> JinjaValue {
        let l = try eval(a, scope)
        return PyOps.truthy(l) ? l : try eval(b, scope)
    }

    private func evalCompare(_ first: Expr, _ ops: [(String, Expr)], _ scope: Scope) throws(ChatTemplateError)
        -> JinjaValue
    {
        var left = try eval(first, scope)
        for (op, rhs) in ops {
            let right = try eval(rhs, scope)
            if !(try compare(op, left, right)) { return .bool(false) }
            left = right
        }
        return .bool(true)
    }

    private func evalConcat(_ parts: [Expr], _ scope: Scope) throws(ChatTemplateError) -> JinjaValue {
        var s = ""
        for p in parts {
            s += PyFormat.str(try eval(p, scope))
            if s.utf8.count > limits.maxOutputBytes { throw PyOps.sizeError(limits.maxOutputBytes) }
        }
        return .string(s)
    }

    private func evalConditional(_ test: Expr, _ then: Expr, _ otherwise: Expr?, _ line: Int, _ scope: Scope)
        throws(ChatTemplateError) -> JinjaValue
    {
        if PyOps.truthy(try eval(test, scope)) { return try eval(then, scope) }
        if let otherwise { return try eval(otherwise, scope) }
        if foldingConstants { throw .runtime("not constant") }
        return .undefined(
            hint: "the inline if-expression on line \(line) evaluated to false and no else section was defined.")
    }

    func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(ChatTemplateError) -> Bool {
        switch op {
        case "==": return PyOps.equals(a, b)
        case "!=": return !PyOps.equals(a, b)
        case "<": return try PyOps.compare(a, b, op) == -1
        case "<=": let c = try PyOps.compare(a, b, op); return c == -1 || c == 0
        case ">": return try PyOps.compare(a, b, op) == 1
        case ">=": let c = try PyOps.compare(a, b, op); return c == 1 || c == 0
        case "in": return try PyOps.contains(b, a)
        case "notin": return !(try PyOps.contains(b, a))
        default: throw .runtime("unknown comparison \(op)")
        }
    }

    func arguments(_ call: Call, _ scope: Scope) throws(ChatTemplateError) -> CallArguments {
        var args = CallArguments()
        if call.positional.isEmpty && call.keyword.isEmpty && call.starArgs == nil && call.starKwargs == nil {
            return args
        }
        args.positional.reserveCapacity(call.positional.count)
        for p in call.positional { args.positional.append(try eval(p, scope)) }
        if let star = call.starArgs { args.positional.append(contentsOf: try iterate(try eval(star, scope))) }
        for (k, v) in call.keyword { args.keyword.append((k, try eval(v, scope))) }
        if let star = call.starKwargs {
            let v = try eval(star, scope)
            switch v {
            case .object(let o): for (k, x) in o.pairs { args.keyword.append((k, x)) }
            case .undefined: break
            default: throw .runtime("argument after ** must be a mapping, not \(PyOps.typeName(v))")
            }
        }
        return args
    }

    // MARK: - Attribute and item access (Jinja's sandboxed getattr/getitem)

    func getattr(_ obj: JinjaValue, _ name: String) throws(ChatTemplateError) -> JinjaValue {
        switch obj {
        case .undefined(let h):
            throw PyOps.undefinedError(h)
        case .object(let o):
            if let m = Methods.method(obj, name) { return m }
            if let v = o[name] { return v }
        case .namespace(let ns):
            if let v = ns.attributes[name] { return v }
            return .undefined(
                hint: "'transformers.utils.chat_template_utils.TemplateNamespace object' has no attribute '\(name)'")
        default:
            if let m = Methods.method(obj, name) { return m }
        }
        return .undefined(hint: "'\(PyOps.objectTypeRepr(obj))' has no attribute '\(name)'")
    }

    func getitem(_ obj: JinjaValue, _ key: JinjaValue) throws(ChatTemplateError) -> JinjaValue {
        if case .undefined(let h) = obj { throw PyOps.undefinedError(h) }
        switch (obj, key) {
        case (.array(let a), _), (.tuple(let a), _):
            if let i = PyOps.integer(key) {
                let j = i < 0 ? i + a.count : i
                if j >= 0 && j < a.count { return a[j] }
            }
        case (.string(let s), _):
            if let i = PyOps.integer(key) {
                let u = s.unicodeScalars
                let n = u.count
                let j = i < 0 ? i + n : i
                if j >= 0 && j < n { return .string(String(u[u.index(u.startIndex, offsetBy: j)])) }
            }
        case (.object(let o), .string(let k)):
            if let v = o[k] { return v }
        default: break
        }
        if case .string(let name) = key {
            if case .namespace(let ns) = obj, let v = ns.attributes[name] { return v }
            if let m = Methods.method(obj, name) { return m }
            if case .namespace = obj {
                return .undefined(
                    hint: "'transformers.utils.chat_template_utils.TemplateNamespace object' has no attribute '\(name)'")
            }
            return .undefined(hint: "'\(PyOps.objectTypeRepr(obj))' has no attribute '\(name)'")
        }
        return .undefined(hint: "\(PyOps.objectTypeRepr(obj)) has no element \(PyFormat.repr(key))")
    }

    func slice(_ obj: JinjaValue, _ a: Int?, _ b: Int?, _ c: Int?) throws(ChatTemplateError) -> JinjaValue {
        switch obj {
        case .undefined(let h): throw PyOps.undefinedError(h)
        case .array(let items):
            return .array(try PyString.sliceIndexes(count: items.count, start: a, stop: b, step: c).map { items[$0] })
        case .tuple(let items):
            return .tuple(try PyString.sliceIndexes(count: items.count, start: a, stop: b, step: c).map { items[$0] })
        case .string(let s):
            let u = Array(s.unicodeScalars)
            if c == nil || c == 1 {
                let n = u.count
                func clamp(_ v: Int?, _ d: Int) -> Int {
                    guard var v else { return d }
                    if v < 0 { v += n }
                    return min(max(v, 0), n)
                }
                let lo = clamp(a, 0), hi = clamp(b, n)
                return .string(lo < hi ? PyString.make(u[lo ..< hi]) : "")
            }
            return .string(PyString.make(try PyString.sliceIndexes(count: u.count, start: a, stop: b, step: c).map { u[$0] }))
        case .object:
            throw .runtime("unhashable type: 'slice'")
        default:
            // Jinja compiles slices to plain Python subscripts (they bypass the sandbox's getitem).
            throw .runtime("'\(PyOps.typeName(obj))' object is not subscriptable")
        }
    }
}
