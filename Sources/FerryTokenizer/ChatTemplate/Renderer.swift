// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

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
    var callDepth = 0
    /// Statements and expressions being evaluated, nested (guards the stack against deep recursion).
    var nesting = 0
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
}
