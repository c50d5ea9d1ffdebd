// SPDX-License-Identifier: Apache-2.0
import Foundation

/// Variables of one Jinja frame. Jinja scopes: the template's top level (the context), each `for` iteration,
/// each macro call, and `with`/`filter`/`set`-block/`call` bodies get their own frame; `if` does not.
final class Scope {
    var vars: [String: JinjaValue]
    let parent: Scope?

    init(parent: Scope?, vars: [String: JinjaValue] = [:]) {
        self.parent = parent
        self.vars = vars
    }

    func lookup(_ name: String) -> JinjaValue? {
        var s: Scope? = self
        while let scope = s {
            if let v = scope.vars[name] { return v }
            s = scope.parent
        }
        return nil
    }
}

/// What a statement asks of its enclosing loop.
enum Flow {
    case normal, breakLoop, continueLoop
}

/// One render: output limits, counters, and the evaluation of the AST.
final class Renderer {
    let limits: ChatTemplate.Limits
    let now: Date
    let timeZone: TimeZone
    /// Set while the parser folds constant expressions: Jinja's `as_const` evaluates slices with the sandbox's
    /// lenient getitem (a bad subscript gives undefined), and refuses an `if` expression without `else`.
    var foldingConstants = false
    private(set) var iterations = 0
    private var callDepth = 0
    /// Statements and expressions being evaluated, nested (guards the stack against deep recursion).
    private var nesting = 0
    /// Scopes captured by macros and namespaces created during this render: cleared at the end, which breaks
    /// the reference cycles (scope -> macro -> scope) that would otherwise leak.
    private var capturedScopes: [Scope] = []
    private var namespaces: [JinjaNamespace] = []

    init(limits: ChatTemplate.Limits, now: Date, timeZone: TimeZone) {
        self.limits = limits
        self.now = now
        self.timeZone = timeZone
    }

    func render(_ nodes: [Node], context: [String: JinjaValue]) throws(ChatTemplateError) -> String {
        let root = Scope(parent: nil, vars: context)
        defer { tearDown(root) }
        var out = ""
        _ = try exec(nodes, root, &out)
        return out
    }

    private func tearDown(_ root: Scope) {
        root.vars.removeAll()
        for s in capturedScopes { s.vars.removeAll() }
        for ns in namespaces { ns.attributes = JinjaObject() }
        capturedScopes.removeAll()
        namespaces.removeAll()
    }

    func makeNamespace(_ attributes: JinjaObject) -> JinjaValue {
        let ns = JinjaNamespace(attributes)
        namespaces.append(ns)
        return .namespace(ns)
    }

    // MARK: - Limits

    func append(_ text: String, to out: inout String) throws(ChatTemplateError) {
        out += text
        if out.utf8.count > limits.maxOutputBytes {
            throw .runtime("the rendered text exceeds the limit of \(limits.maxOutputBytes) bytes")
        }
    }

    func countIteration() throws(ChatTemplateError) {
        iterations += 1
        if iterations > limits.maxLoopIterations {
            throw .runtime("the template ran more than \(limits.maxLoopIterations) loop iterations")
        }
    }

    // MARK: - Statements

    func exec(_ nodes: [Node], _ scope: Scope, _ out: inout String) throws(ChatTemplateError) -> Flow {
        for node in nodes {
            let flow = try exec(node, scope, &out)
            if case .normal = flow { continue }
            return flow
        }
        return .normal
    }

    func enterNested() throws(ChatTemplateError) {
        nesting += 1
        if nesting > limits.maxNestingDepth {
            throw .runtime("the template nests statements, expressions and macro calls deeper than \(limits.maxNestingDepth) levels")
        }
    }

    // Each statement and expression kind is evaluated in its own function: one big switch would give
    // `exec`/`eval` (which recurse) a stack frame holding every case's locals, several KB in debug builds.

    func exec(_ node: Node, _ scope: Scope, _ out: inout String) throws(ChatTemplateError) -> Flow {
        try enterNested()
        defer { nesting -= 1 }
        switch node {
        case .text(let t): try append(t, to: &out)
        case .output(let e): try execOutput(e, scope, &out)
        case .ifBlock(let branches, let otherwise): return try execIf(branches, otherwise, scope, &out)
        case .forBlock(let loop): try execFor(loop, scope, &out)
        case .set(let target, let e): try assign(target, try eval(e, scope), scope)
        case .setBlock(let target, let filters, let body): try execSetBlock(target, filters, body, scope)
        case .macro(let def): defineMacro(def, scope)
        case .callBlock(let def, let call): try execCallBlock(def, call, scope, &out)
        case .filterBlock(let filters, let body): try execFilterBlock(filters, body, scope, &out)
        case .with(let pairs, let body): return try execWith(pairs, body, scope, &out)
        case .breakLoop: return .breakLoop
        case .continueLoop: return .continueLoop
        case .generation(let body): _ = try exec(body, Scope(parent: scope), &out)
        }
        return .normal
    }

    private func execOutput(_ e: Expr, _ scope: Scope, _ out: inout String) throws(ChatTemplateError) {
        let v = try eval(e, scope)
        switch v {
        case .string(let s): try append(s, to: &out)
        case .undefined: break
        default: try append(PyFormat.str(v), to: &out)
        }
    }

    private func execIf(_ branches: [(Expr, [Node])], _ otherwise: [Node], _ scope: Scope, _ out: inout String)
        throws(ChatTemplateError) -> Flow
    {
        for (test, body) in branches {
            if PyOps.truthy(try eval(test, scope)) { return try exec(body, scope, &out) }
        }
        return try exec(otherwise, scope, &out)
    }

    private func execSetBlock(_ target: Target, _ filters: [FilterCall], _ body: [Node], _ scope: Scope)
        throws(ChatTemplateError)
    {
        var captured = ""
        _ = try exec(body, Scope(parent: scope), &captured)
        var value = JinjaValue.string(captured)
        for f in filters { value = try applyFilter(f.name, value, try arguments(f.call, scope)) }
        try assign(target, value, scope)
    }

    private func defineMacro(_ def: MacroDefinition, _ scope: Scope) {
        capturedScopes.append(scope)
        scope.vars[def.name] = .callable(JinjaCallable(name: def.name, .macro(def, scope)))
    }

    private func execCallBlock(_ def: MacroDefinition, _ call: Expr, _ scope: Scope, _ out: inout String)
        throws(ChatTemplateError)
    {
        guard case .call(let callee, let callArgs) = call else { return }
        capturedScopes.append(scope)
        let caller = JinjaValue.callable(JinjaCallable(name: "caller", .caller(def, scope)))
        var args = try arguments(callArgs, scope)
        args.keyword.append(("caller", caller))
        let result = try callValue(try eval(callee, scope), args)
        try append(PyFormat.str(result), to: &out)
    }

    private func execFilterBlock(_ filters: [FilterCall], _ body: [Node], _ scope: Scope, _ out: inout String)
        throws(ChatTemplateError)
    {
        var captured = ""
        _ = try exec(body, Scope(parent: scope), &captured)
        var value = JinjaValue.string(captured)
        for f in filters { value = try applyFilter(f.name, value, try arguments(f.call, scope)) }
        try append(PyFormat.str(value), to: &out)
    }

    private func execWith(_ pairs: [(Target, Expr)], _ body: [Node], _ scope: Scope, _ out: inout String)
        throws(ChatTemplateError) -> Flow
    {
        let inner = Scope(parent: scope)
        for (target, e) in pairs { try assign(target, try eval(e, scope), inner) }
        return try exec(body, inner, &out)
    }

    /// Python iteration: strings give code points, dicts their keys, undefined nothing.
    func iterate(_ v: JinjaValue) throws(ChatTemplateError) -> [JinjaValue] {
        switch v {
        case .array(let a), .tuple(let a): return a
        case .object(let o): return o.keys.map { .string($0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw .runtime("'\(PyOps.typeName(v))' object is not iterable")
        }
    }

    private func execFor(_ loop: ForLoop, _ scope: Scope, _ out: inout String) throws(ChatTemplateError) {
        var items = try iterate(try eval(loop.iterable, scope))
        if let filter = loop.filter {
            let probe = Scope(parent: scope)
            var kept: [JinjaValue] = []
            for item in items {
                try countIteration()
                probe.vars.removeAll(keepingCapacity: true)
                try assign(loop.target, item, probe)
                if PyOps.truthy(try eval(filter, probe)) { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try exec(loop.otherwise, Scope(parent: scope), &out)
            return
        }
        if loop.recursive {
            throw .runtime("recursive for loops are not supported")
        }
        let count = items.count
        let changed = ChangedState()
        for (index, item) in items.enumerated() {
            try countIteration()
            let iterationScope = Scope(parent: scope)
            try assign(loop.target, item, iterationScope)
            if loop.usesLoop {
                iterationScope.vars["loop"] = loopObject(index: index, items: items, count: count, changed: changed)
            }
            let flow = try exec(loop.body, iterationScope, &out)
            if case .breakLoop = flow { break }
        }
    }

    final class ChangedState { var last: [JinjaValue]? = nil }

    private func loopObject(index: Int, items: [JinjaValue], count: Int, changed: ChangedState) -> JinjaValue {
        var o = JinjaObject()
        o["index"] = .int(index + 1)
        o["index0"] = .int(index)
        o["revindex"] = .int(count - index)
        o["revindex0"] = .int(count - index - 1)
        o["first"] = .bool(index == 0)
        o["last"] = .bool(index == count - 1)
        o["length"] = .int(count)
        o["depth"] = .int(1)
        o["depth0"] = .int(0)
        o["previtem"] = index > 0 ? items[index - 1] : .undefined(hint: "there is no previous item")
        o["nextitem"] = index + 1 < count ? items[index + 1] : .undefined(hint: "there is no next item")
        o["cycle"] = .callable(JinjaCallable(name: "cycle") { (_, args) throws(ChatTemplateError) in
            guard !args.positional.isEmpty else { throw .runtime("no items for cycling given") }
            return args.positional[index % args.positional.count]
        })
        o["changed"] = .callable(JinjaCallable(name: "changed") { (_, args) throws(ChatTemplateError) in
            if let last = changed.last, last.count == args.positional.count,
                zip(last, args.positional).allSatisfy({ PyOps.equals($0, $1) })
            {
                return .bool(false)
            }
            changed.last = args.positional
            return .bool(true)
        })
        return .object(o)
    }

    func assign(_ target: Target, _ value: JinjaValue, _ scope: Scope) throws(ChatTemplateError) {
        switch target {
        case .name(let n):
            scope.vars[n] = value
        case .tuple(let targets):
            let items = try iterate(value)
            if items.count < targets.count {
                throw .runtime("not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            if items.count > targets.count {
                throw .runtime("too many values to unpack (expected \(targets.count))")
            }
            for (t, v) in zip(targets, items) { try assign(t, v, scope) }
        case .namespaceAttribute(let name, let attr):
            guard case .namespace(let ns) = scope.lookup(name) ?? .undefined(hint: nil) else {
                throw .runtime("cannot assign attribute on non-namespace object")
            }
            try Builtins.checkNamespaceName(attr)
            ns.attributes[attr] = value
        }
    }

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

    // MARK: - Calls

    func callValue(_ callee: JinjaValue, _ args: CallArguments) throws(ChatTemplateError) -> JinjaValue {
        guard case .callable(let c) = callee else {
            if case .undefined(let h) = callee { throw PyOps.undefinedError(h) }
            throw .runtime("'\(PyOps.typeName(callee))' object is not callable")
        }
        switch c.kind {
        case .builtin(let f):
            return try f(self, args)
        case .macro(let def, let scope), .caller(let def, let scope):
            return try callMacro(def, scope, args, isCaller: { if case .caller = c.kind { return true }; return false }())
        }
    }

    private func callMacro(_ def: MacroDefinition, _ definitionScope: Scope, _ args: CallArguments, isCaller: Bool)
        throws(ChatTemplateError) -> JinjaValue
    {
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > limits.maxCallDepth {
            throw .runtime("macro calls nest deeper than \(limits.maxCallDepth) levels")
        }
        let scope = Scope(parent: definitionScope)
        let params = def.parameters
        let label = isCaller ? "macro 'caller'" : "macro '\(def.name)'"
        var keyword = args.keyword
        var provided = Array(repeating: false, count: params.count)
        for (i, v) in args.positional.prefix(params.count).enumerated() {
            scope.vars[params[i]] = v
            provided[i] = true
        }
        var varargs: [JinjaValue] = []
        if args.positional.count > params.count {
            if def.usesVarargs {
                varargs = Array(args.positional[params.count...])
            } else {
                throw .runtime("\(label) takes not more than \(params.count) argument(s)")
            }
        }
        var caller: JinjaValue? = nil
        var extra = JinjaObject()
        for (k, v) in keyword {
            if let i = params.firstIndex(of: k) {
                if provided[i] { throw .runtime("\(label) got multiple values for argument '\(k)'") }
                scope.vars[k] = v
                provided[i] = true
            } else if k == "caller" && def.usesCaller {
                caller = v
            } else {
                extra[k] = v
            }
        }
        keyword.removeAll()
        for (i, name) in params.enumerated() where !provided[i] {
            if let d = def.defaults[i] {
                scope.vars[name] = try eval(d, scope)
            } else {
                scope.vars[name] = .undefined(hint: "parameter '\(name)' was not provided")
            }
        }
        if !extra.isEmpty && !def.usesKwargs {
            throw .runtime("\(label) takes no keyword argument '\(extra.keys[0])'")
        }
        if def.usesVarargs { scope.vars["varargs"] = .tuple(varargs) }
        if def.usesKwargs { scope.vars["kwargs"] = .object(extra) }
        if def.usesCaller && !isCaller {
            scope.vars["caller"] = caller ?? .undefined(hint: "No caller defined")
        }
        var out = ""
        _ = try exec(def.body, scope, &out)
        return .string(out)
    }
}
