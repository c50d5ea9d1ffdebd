// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// Expressions.
indirect enum Expr: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case getattr(Expr, String)
    case getitem(Expr, Expr)
    case slice(Expr, Expr?, Expr?, Expr?)
    case call(Expr, Call)
    case filter(Expr, String, Call, line: Int)
    case test(Expr, String, Call, line: Int)
    case not(Expr)
    case negate(Expr)
    case plus(Expr)
    case binary(String, Expr, Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case compare(Expr, [(String, Expr)])
    case concat([Expr])
    case conditional(test: Expr, then: Expr, otherwise: Expr?, line: Int)
}

/// Arguments of a call, filter or test as written.
struct Call: Sendable {
    var positional: [Expr] = []
    var keyword: [(String, Expr)] = []
    var starArgs: Expr? = nil
    var starKwargs: Expr? = nil
}

/// `| name(args)` in a `{% set %}` or `{% filter %}` block header.
struct FilterCall: Sendable {
    let name: String
    let call: Call
    let line: Int
}

/// An assignment target: a name, a tuple of targets, or a namespace attribute (`ns.x`).
indirect enum Target: Sendable {
    case name(String)
    case tuple([Target])
    case namespaceAttribute(String, String)
}

/// A macro (or a `{% call %}` block's body): parameters with defaults, and the body.
final class MacroDefinition: @unchecked Sendable {
    let name: String
    let parameters: [String]
    let defaults: [Expr?]
    let body: [Node]
    /// Whether the body reads `varargs`, `kwargs` or `caller` (Jinja only accepts extra arguments then).
    let usesVarargs: Bool
    let usesKwargs: Bool
    let usesCaller: Bool

    init(name: String, parameters: [String], defaults: [Expr?], body: [Node]) {
        self.name = name
        self.parameters = parameters
        self.defaults = defaults
        self.body = body
        var names = Set<String>()
        for node in body { node.collectNames(into: &names) }
        for d in defaults { d?.collectNames(into: &names) }
        usesVarargs = names.contains("varargs")
        usesKwargs = names.contains("kwargs")
        usesCaller = names.contains("caller")
    }
}

final class ForLoop: @unchecked Sendable {
    let target: Target
    let iterable: Expr
    let filter: Expr?
    let body: [Node]
    let otherwise: [Node]
    let recursive: Bool
    /// Whether the body reads `loop` (the loop object is only built when it does).
    let usesLoop: Bool

    init(target: Target, iterable: Expr, filter: Expr?, body: [Node], otherwise: [Node], recursive: Bool) {
        self.target = target
        self.iterable = iterable
        self.filter = filter
        self.body = body
        self.otherwise = otherwise
        self.recursive = recursive
        var names = Set<String>()
        for node in body { node.collectNames(into: &names) }
        usesLoop = names.contains("loop") || recursive
    }
}

/// Statements.
indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    case ifBlock([(Expr, [Node])], otherwise: [Node])
    case forBlock(ForLoop)
    case set(Target, Expr)
    case setBlock(Target, filters: [FilterCall], body: [Node])
    case macro(MacroDefinition)
    case callBlock(MacroDefinition, call: Expr)
    case filterBlock(filters: [FilterCall], body: [Node])
    case with([(Target, Expr)], body: [Node])
    case breakLoop
    case continueLoop
    /// `{% generation %}` (transformers' extension): the body renders as is.
    case generation([Node])
}

extension Node {
    func collectNames(into names: inout Set<String>) {
        switch self {
        case .text, .breakLoop, .continueLoop: break
        case .output(let e): e.collectNames(into: &names)
        case .ifBlock(let branches, let otherwise):
            for (c, b) in branches {
                c.collectNames(into: &names)
                for n in b { n.collectNames(into: &names) }
            }
            for n in otherwise { n.collectNames(into: &names) }
        case .forBlock(let f):
            f.iterable.collectNames(into: &names)
            f.filter?.collectNames(into: &names)
            for n in f.body { n.collectNames(into: &names) }
            for n in f.otherwise { n.collectNames(into: &names) }
        case .set(_, let e): e.collectNames(into: &names)
        case .setBlock(_, let filters, let body), .filterBlock(let filters, let body):
            for f in filters { f.call.collectNames(into: &names) }
            for n in body { n.collectNames(into: &names) }
        case .macro(let m):
            for n in m.body { n.collectNames(into: &names) }
        case .callBlock(let m, let call):
            call.collectNames(into: &names)
            for n in m.body { n.collectNames(into: &names) }
        case .with(let pairs, let body):
            for (_, e) in pairs { e.collectNames(into: &names) }
            for n in body { n.collectNames(into: &names) }
        case .generation(let body):
            for n in body { n.collectNames(into: &names) }
        }
    }
}

extension Call {
    func collectNames(into names: inout Set<String>) {
        for e in positional { e.collectNames(into: &names) }
        for (_, e) in keyword { e.collectNames(into: &names) }
        starArgs?.collectNames(into: &names)
        starKwargs?.collectNames(into: &names)
    }
}

extension Expr {
    func collectNames(into names: inout Set<String>) {
        switch self {
        case .literal: break
        case .name(let n): names.insert(n)
        case .list(let items), .tuple(let items), .concat(let items):
            for e in items { e.collectNames(into: &names) }
        case .dict(let pairs):
            for (k, v) in pairs {
                k.collectNames(into: &names)
                v.collectNames(into: &names)
            }
        case .getattr(let e, _), .not(let e), .negate(let e), .plus(let e): e.collectNames(into: &names)
        case .getitem(let a, let b), .binary(_, let a, let b), .and(let a, let b), .or(let a, let b):
            a.collectNames(into: &names)
            b.collectNames(into: &names)
        case .slice(let e, let a, let b, let c):
            e.collectNames(into: &names)
            a?.collectNames(into: &names)
            b?.collectNames(into: &names)
            c?.collectNames(into: &names)
        case .call(let e, let c), .filter(let e, _, let c, _), .test(let e, _, let c, _):
            e.collectNames(into: &names)
            c.collectNames(into: &names)
        case .compare(let e, let ops):
            e.collectNames(into: &names)
            for (_, o) in ops { o.collectNames(into: &names) }
        case .conditional(let t, let a, let b, _):
            t.collectNames(into: &names)
            a.collectNames(into: &names)
            b?.collectNames(into: &names)
        }
    }
}

/// Jinja rejects unknown filters and tests when it compiles a template, except inside `if` statements and
/// conditional expressions (of the same frame), where they fail only when evaluated.
enum NameCheck {
    static func check(_ nodes: [Node]) throws(ChatTemplateError) {
        for n in nodes { try check(n, soft: false) }
    }

    static func check(_ node: Node, soft: Bool) throws(ChatTemplateError) {
        switch node {
        case .text, .breakLoop, .continueLoop, .macro: break
        case .output(let e): try check(e, soft: soft)
        case .ifBlock(let branches, let otherwise):
            for (c, body) in branches {
                try check(c, soft: true)
                for n in body { try check(n, soft: true) }
            }
            for n in otherwise { try check(n, soft: true) }
        case .forBlock(let f):
            try check(f.iterable, soft: soft)
            if let filter = f.filter { try check(filter, soft: false) }
            for n in f.body + f.otherwise { try check(n, soft: false) }
        case .set(_, let e): try check(e, soft: soft)
        case .setBlock(_, let filters, let body), .filterBlock(let filters, let body):
            for f in filters {
                if !Renderer.filterNames.contains(f.name) {
                    throw .syntax(line: f.line, message: "No filter named '\(f.name)'.")
                }
                try check(f.call, soft: false)
            }
            for n in body { try check(n, soft: false) }
        case .callBlock(let def, let call):
            try check(call, soft: soft)
            try checkMacro(def)
        case .with(let pairs, let body):
            for (_, e) in pairs { try check(e, soft: soft) }
            for n in body { try check(n, soft: false) }
        case .generation(let body):
            for n in body { try check(n, soft: false) }
        }
        if case .macro(let def) = node { try checkMacro(def) }
    }

    static func checkMacro(_ def: MacroDefinition) throws(ChatTemplateError) {
        for d in def.defaults { if let d { try check(d, soft: false) } }
        for n in def.body { try check(n, soft: false) }
    }

    static func check(_ call: Call, soft: Bool) throws(ChatTemplateError) {
        for e in call.positional { try check(e, soft: soft) }
        for (_, e) in call.keyword { try check(e, soft: soft) }
        if let e = call.starArgs { try check(e, soft: soft) }
        if let e = call.starKwargs { try check(e, soft: soft) }
    }

    static func check(_ expr: Expr, soft: Bool) throws(ChatTemplateError) {
        switch expr {
        case .literal, .name: break
        case .list(let items), .tuple(let items), .concat(let items):
            for e in items { try check(e, soft: soft) }
        case .dict(let pairs):
            for (k, v) in pairs {
                try check(k, soft: soft)
                try check(v, soft: soft)
            }
        case .getattr(let e, _), .not(let e), .negate(let e), .plus(let e): try check(e, soft: soft)
        case .getitem(let a, let b), .binary(_, let a, let b), .and(let a, let b), .or(let a, let b):
            try check(a, soft: soft)
            try check(b, soft: soft)
        case .slice(let e, let a, let b, let c):
            try check(e, soft: soft)
            for x in [a, b, c] { if let x { try check(x, soft: soft) } }
        case .call(let e, let c):
            try check(e, soft: soft)
            try check(c, soft: soft)
        case .filter(let e, let name, let c, let line):
            if !soft && !Renderer.filterNames.contains(name) {
                throw .syntax(line: line, message: "No filter named '\(name)'.")
            }
            try check(e, soft: soft)
            try check(c, soft: soft)
        case .test(let e, let name, let c, let line):
            if !soft && !Renderer.testNames.contains(name) {
                throw .syntax(line: line, message: "No test named '\(name)'.")
            }
            try check(e, soft: soft)
            try check(c, soft: soft)
        case .compare(let e, let ops):
            try check(e, soft: soft)
            for (_, o) in ops { try check(o, soft: soft) }
        case .conditional(let t, let a, let b, _):
            try check(t, soft: true)
            try check(a, soft: true)
            if let b { try check(b, soft: true) }
        }
    }
}

/// Jinja's compile-time constant folding, which templates can observe. Bottom-up, every expression that can be
/// evaluated without variables, calls or context filters (`1 if true else x` can: the branch not taken is not
/// evaluated) is evaluated once with the lenient `as_const` rules (a bad slice gives undefined instead of a
/// `TypeError`) and replaced by its value when that value has a safe `repr` (no undefined inside); a whole
/// `{{ ... }}` that can be evaluated is printed at compile time whatever it gives. Folding fails silently (the
/// expression stays as written) when evaluation raises, so errors still surface at render time.
struct ConstantFolder {
    let renderer: Renderer = {
        let r = Renderer(limits: ChatTemplate.Limits(), now: Date(timeIntervalSince1970: 0),
                         timeZone: .gmt)
        r.foldingConstants = true
        return r
    }()
    let scope = Scope(parent: nil)

    func fold(_ nodes: [Node]) -> [Node] { nodes.map(fold) }

    func fold(_ node: Node) -> Node {
        switch node {
        case .text, .breakLoop, .continueLoop: return node
        case .output(let e):
            let folded = fold(e)
            if case .literal = folded { return .output(folded) }
            if let v = constant(folded) { return .output(.literal(v)) }
            return .output(folded)
        case .ifBlock(let branches, let otherwise):
            return .ifBlock(branches.map { (fold($0.0), fold($0.1)) }, otherwise: fold(otherwise))
        case .forBlock(let f):
            return .forBlock(ForLoop(target: f.target, iterable: fold(f.iterable), filter: f.filter.map(fold),
                                     body: fold(f.body), otherwise: fold(f.otherwise), recursive: f.recursive))
        case .set(let t, let e): return .set(t, fold(e))
        case .setBlock(let t, let filters, let body): return .setBlock(t, filters: filters.map(fold), body: fold(body))
        case .macro(let m): return .macro(fold(m))
        case .callBlock(let m, let call): return .callBlock(fold(m), call: fold(call))
        case .filterBlock(let filters, let body): return .filterBlock(filters: filters.map(fold), body: fold(body))
        case .with(let pairs, let body): return .with(pairs.map { ($0.0, fold($0.1)) }, body: fold(body))
        case .generation(let body): return .generation(fold(body))
        }
    }

    func fold(_ m: MacroDefinition) -> MacroDefinition {
        MacroDefinition(name: m.name, parameters: m.parameters, defaults: m.defaults.map { $0.map(fold) },
                        body: fold(m.body))
    }

    func fold(_ f: FilterCall) -> FilterCall { FilterCall(name: f.name, call: fold(f.call), line: f.line) }

    func fold(_ c: Call) -> Call {
        Call(positional: c.positional.map(fold), keyword: c.keyword.map { ($0.0, fold($0.1)) },
             starArgs: c.starArgs.map(fold), starKwargs: c.starKwargs.map(fold))
    }

    /// The value of a literal-only expression, or nil when Jinja could not fold it.
    func constant(_ e: Expr) -> JinjaValue? {
        if case .literal(let v) = e { return v }
        guard Self.mayBeConstant(e), let v = try? renderer.eval(e, scope) else { return nil }
        return v
    }

    /// A cheap syntactic pre-check (no evaluation): false when evaluation must read a variable or call something.
    /// Branches that short-circuiting may skip are not required to be constant.
    static func mayBeConstant(_ e: Expr) -> Bool {
        switch e {
        case .literal: return true
        case .name, .call: return false
        case .list(let items), .tuple(let items), .concat(let items): return items.allSatisfy(mayBeConstant)
        case .dict(let pairs): return pairs.allSatisfy { mayBeConstant($0.0) && mayBeConstant($0.1) }
        case .getattr(let x, _), .not(let x), .negate(let x), .plus(let x): return mayBeConstant(x)
        case .getitem(let a, let b), .binary(_, let a, let b): return mayBeConstant(a) && mayBeConstant(b)
        case .and(let a, _), .or(let a, _): return mayBeConstant(a)
        case .slice(let x, let a, let b, let c):
            return mayBeConstant(x) && [a, b, c].allSatisfy { $0.map(mayBeConstant) ?? true }
        case .filter(let x, let name, let c, _):
            return !Renderer.contextFilters.contains(name) && mayBeConstant(x) && mayBeConstant(c)
        case .test(let x, _, let c, _): return mayBeConstant(x) && mayBeConstant(c)
        case .compare(let x, let ops): return mayBeConstant(x) && (ops.first.map { mayBeConstant($0.1) } ?? true)
        case .conditional(let t, let a, let b, _):
            return mayBeConstant(t) && (mayBeConstant(a) || (b.map(mayBeConstant) ?? false))
        }
    }

    static func mayBeConstant(_ c: Call) -> Bool {
        c.starArgs == nil && c.starKwargs == nil && c.positional.allSatisfy(mayBeConstant)
            && c.keyword.allSatisfy { mayBeConstant($0.1) }
    }

    static func hasSafeRepr(_ v: JinjaValue) -> Bool {
        switch v {
        case .none, .bool, .int, .double, .string: return true
        case .array(let items), .tuple(let items): return items.allSatisfy(hasSafeRepr)
        case .object(let o): return o.values.allSatisfy(hasSafeRepr)
        case .undefined, .namespace, .callable: return false
        }
    }

    func fold(_ e: Expr) -> Expr {
        let rebuilt: Expr
        switch e {
        case .literal, .name: return e
        case .list(let items): rebuilt = .list(items.map(fold))
        case .tuple(let items): rebuilt = .tuple(items.map(fold))
        case .concat(let items): rebuilt = .concat(items.map(fold))
        case .dict(let pairs): rebuilt = .dict(pairs.map { (fold($0.0), fold($0.1)) })
        case .getattr(let x, let name): rebuilt = .getattr(fold(x), name)
        case .getitem(let a, let b): rebuilt = .getitem(fold(a), fold(b))
        case .slice(let x, let a, let b, let c): rebuilt = .slice(fold(x), a.map(fold), b.map(fold), c.map(fold))
        case .call(let x, let c): return .call(fold(x), fold(c))
        case .filter(let x, let name, let c, let line): rebuilt = .filter(fold(x), name, fold(c), line: line)
        case .test(let x, let name, let c, let line): rebuilt = .test(fold(x), name, fold(c), line: line)
        case .not(let x): rebuilt = .not(fold(x))
        case .negate(let x): rebuilt = .negate(fold(x))
        case .plus(let x): rebuilt = .plus(fold(x))
        case .binary(let op, let a, let b): rebuilt = .binary(op, fold(a), fold(b))
        case .and(let a, let b): rebuilt = .and(fold(a), fold(b))
        case .or(let a, let b): rebuilt = .or(fold(a), fold(b))
        case .compare(let x, let ops): rebuilt = .compare(fold(x), ops.map { ($0.0, fold($0.1)) })
        case .conditional(let t, let a, let b, let line):
            rebuilt = .conditional(test: fold(t), then: fold(a), otherwise: b.map(fold), line: line)
        }
        if let v = constant(rebuilt), Self.hasSafeRepr(v) { return .literal(v) }
        return rebuilt
    }
}
