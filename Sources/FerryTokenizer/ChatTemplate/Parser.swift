// SPDX-License-Identifier: Apache-2.0

/// Jinja2's grammar (its `parser.py`, same precedence and quirks) over the lexer's tokens.
struct Parser {
    private let tokens: [Token]
    private var i = 0
    private var depth = 0
    /// Enclosing `for` loops in the current macro (for `break`/`continue` checks).
    private var loopDepth = 0
    /// Open blocks, innermost last: their end tags, for error messages.
    private var endTokenStack: [[String]] = []
    private var tagStack: [String] = []

    /// How deeply expressions and blocks may nest: deeper templates are rejected rather than risk the stack.
    static let maxDepth = 128

    init(tokens: [Token]) { self.tokens = tokens }

    static func parse(_ source: String) throws(ChatTemplateError) -> [Node] {
        var p = Parser(tokens: try Lexer.tokenize(source))
        let nodes = try p.parseTemplate()
        try NameCheck.check(nodes)
        return ConstantFolder().fold(nodes)
    }

    // MARK: - Token helpers

    private var current: Token { tokens[i] }
    private var line: Int { tokens[i].line }

    private func peek(_ n: Int = 1) -> Token { tokens[min(i + n, tokens.count - 1)] }

    private mutating func advance() -> Token {
        let t = tokens[i]
        if i < tokens.count - 1 { i += 1 }
        return t
    }

    private func fail(_ message: String, line: Int? = nil) -> ChatTemplateError {
        .syntax(line: line ?? self.line, message: message)
    }

    private static func describe(_ kind: Token.Kind) -> String {
        switch kind {
        case .data: return "template data / text"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name(let n): return n
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .op(let o): return o
        case .eof: return "end of template"
        }
    }

    private func isName(_ name: String, _ t: Token? = nil) -> Bool {
        if case .name(let n) = (t ?? current).kind { return n == name }
        return false
    }

    private func isOp(_ op: String, _ t: Token? = nil) -> Bool {
        if case .op(let o) = (t ?? current).kind { return o == op }
        return false
    }

    private mutating func skipOp(_ op: String) -> Bool {
        if isOp(op) { _ = advance(); return true }
        return false
    }

    private mutating func skipName(_ name: String) -> Bool {
        if isName(name) { _ = advance(); return true }
        return false
    }

    private mutating func expectOp(_ op: String) throws(ChatTemplateError) {
        guard isOp(op) else { throw fail("expected token '\(op)', got '\(Self.describe(current.kind))'") }
        _ = advance()
    }

    private mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let n) = current.kind else {
            throw fail("expected token 'name', got '\(Self.describe(current.kind))'")
        }
        _ = advance()
        return n
    }

    private mutating func expectName(_ name: String) throws(ChatTemplateError) {
        guard isName(name) else { throw fail("expected token '\(name)', got '\(Self.describe(current.kind))'") }
        _ = advance()
    }

    private mutating func expectBlockEnd() throws(ChatTemplateError) {
        guard case .blockEnd = current.kind else {
            throw fail("expected token 'end of statement block', got '\(Self.describe(current.kind))'")
        }
        _ = advance()
    }

    private mutating func enter() throws(ChatTemplateError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("template nests deeper than \(Self.maxDepth) levels") }
    }

    // MARK: - Statements

    mutating func parseTemplate() throws(ChatTemplateError) -> [Node] {
        let body = try subparse(endTokens: nil)
        if case .eof = current.kind { return body }
        throw fail("unexpected '\(Self.describe(current.kind))'")
    }

    /// Parses nodes until a block tag whose name is in `endTokens` (left as the current token) or the end.
    private mutating func subparse(endTokens: [String]?) throws(ChatTemplateError) -> [Node] {
        var body: [Node] = []
        if let endTokens { endTokenStack.append(endTokens) }
        defer { if endTokens != nil { endTokenStack.removeLast() } }
        while true {
            switch current.kind {
            case .eof:
                return body
            case .data(let text):
                _ = advance()
                body.append(.text(text))
            case .variableBegin:
                _ = advance()
                body.append(.output(try parseTuple(withCondexpr: true)))
                guard case .variableEnd = current.kind else {
                    throw fail("expected token 'end of print statement', got '\(Self.describe(current.kind))'")
                }
                _ = advance()
            case .blockBegin:
                _ = advance()
                if let endTokens, case .name(let n) = current.kind, endTokens.contains(n) { return body }
                body.append(contentsOf: try parseStatement())
                try expectBlockEnd()
            default:
                throw fail("unexpected '\(Self.describe(current.kind))'")
            }
        }
    }

    /// `parse_statements`: the body of a block up to one of `endTokens`.
    private mutating func parseStatements(_ endTokens: [String], dropNeedle: Bool = false) throws(ChatTemplateError)
        -> [Node]
    {
        _ = skipOp(":")
        try expectBlockEnd()
        try enter()
        defer { depth -= 1 }
        let body = try subparse(endTokens: endTokens)
        if case .eof = current.kind { throw failEOF(endTokens) }
        if dropNeedle { _ = advance() }
        return body
    }

    private func failEOF(_ endTokens: [String]) -> ChatTemplateError {
        failUnknownTag(nil, stack: endTokenStack + [endTokens], innermost: tagStack.last)
    }

    /// Jinja's `_fail_ut_eof`: what it was looking for (innermost block first) and which block is open.
    private func failUnknownTag(_ name: String?, stack: [[String]], innermost: String?) -> ChatTemplateError {
        var message = [name.map { "Encountered unknown tag '\($0)'." } ?? "Unexpected end of template."]
        if let looking = stack.last {
            let currently = looking.map { "'\($0)'" }.joined(separator: " or ")
            if let name, stack.contains(where: { $0.contains(name) }) {
                message.append(
                    "You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for \(currently).")
            } else {
                message.append("Jinja was looking for the following tags: \(currently).")
            }
        }
        if let innermost { message.append("The innermost block that needs to be closed is '\(innermost)'.") }
        return fail(message.joined(separator: " "))
    }

    private mutating func parseStatement() throws(ChatTemplateError) -> [Node] {
        guard case .name(let tag) = current.kind else { throw fail("tag name expected") }
        tagStack.append(tag)
        defer { tagStack.removeLast() }
        switch tag {
        case "for": return [try parseFor()]
        case "if": return [try parseIf()]
        case "set": return [try parseSet()]
        case "macro": return [try parseMacro()]
        case "call": return [try parseCallBlock()]
        case "filter": return [try parseFilterBlock()]
        case "with": return [try parseWith()]
        case "print":
            _ = advance()
            var nodes: [Node] = []
            while true {
                if case .blockEnd = current.kind { break }
                if !nodes.isEmpty { try expectOp(",") }
                nodes.append(.output(try parseExpression()))
            }
            return nodes
        case "break", "continue":
            if loopDepth == 0 { throw fail("'\(tag)' outside loop") }
            _ = advance()
            return [tag == "break" ? .breakLoop : .continueLoop]
        case "generation":
            _ = advance()
            return [.generation(try parseStatements(["endgeneration"], dropNeedle: true))]
        case "autoescape":
            _ = advance()
            _ = try parseExpression()
            return try parseStatements(["endautoescape"], dropNeedle: true)
        case "block", "extends", "include", "import", "from":
            throw fail("the '\(tag)' tag is not supported in chat templates (there are no other templates to load)")
        default:
            throw failUnknownTag(tag, stack: endTokenStack, innermost: tagStack.dropLast().last)
        }
    }

    private mutating func parseFor() throws(ChatTemplateError) -> Node {
        try expectName("for")
        let target = try parseAssignTarget(extraEnd: ["in"])
        try expectName("in")
        let iterable = try parseTuple(withCondexpr: false, extraEnd: ["recursive"])
        var filter: Expr? = nil
        if skipName("if") { filter = try parseExpression() }
        let recursive = skipName("recursive")
        loopDepth += 1
        let body = try parseStatements(["endfor", "else"])
        loopDepth -= 1
        var otherwise: [Node] = []
        if isName("else") {
            _ = advance()
            otherwise = try parseStatements(["endfor"], dropNeedle: true)
        } else {
            _ = advance()
        }
        return .forBlock(ForLoop(target: target, iterable: iterable, filter: filter, body: body,
                                 otherwise: otherwise, recursive: recursive))
    }

    private mutating func parseIf() throws(ChatTemplateError) -> Node {
        try expectName("if")
        var branches: [(Expr, [Node])] = []
        var otherwise: [Node] = []
        while true {
            let test = try parseTuple(withCondexpr: false)
            let body = try parseStatements(["elif", "else", "endif"])
            branches.append((test, body))
            let t = advance()
            if isName("elif", t) { continue }
            if isName("else", t) { otherwise = try parseStatements(["endif"], dropNeedle: true) }
            break
        }
        return .ifBlock(branches, otherwise: otherwise)
    }

    private mutating func parseSet() throws(ChatTemplateError) -> Node {
        try expectName("set")
        let target = try parseAssignTarget(withNamespace: true)
        if skipOp("=") { return .set(target, try parseTuple()) }
        let filters = try parseFilterChain(startInline: false)
        let body = try parseStatements(["endset"], dropNeedle: true)
        return .setBlock(target, filters: filters, body: body)
    }

    private mutating func parseSignature() throws(ChatTemplateError) -> ([String], [Expr?]) {
        var names: [String] = []
        var defaults: [Expr?] = []
        try expectOp("(")
        while !isOp(")") {
            if !names.isEmpty { try expectOp(",") }
            let name = try expectName()
            if skipOp("=") {
                defaults.append(try parseExpression())
            } else {
                if defaults.contains(where: { $0 != nil }) { throw fail("non-default argument follows default argument") }
                defaults.append(nil)
            }
            names.append(name)
        }
        try expectOp(")")
        return (names, defaults)
    }

    private mutating func parseMacro() throws(ChatTemplateError) -> Node {
        try expectName("macro")
        let name = try expectName()
        let (params, defaults) = try parseSignature()
        let savedLoops = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoops }
        let body = try parseStatements(["endmacro"], dropNeedle: true)
        return .macro(MacroDefinition(name: name, parameters: params, defaults: defaults, body: body))
    }

    private mutating func parseCallBlock() throws(ChatTemplateError) -> Node {
        let lineNo = line
        try expectName("call")
        var params: [String] = [], defaults: [Expr?] = []
        if isOp("(") { (params, defaults) = try parseSignature() }
        let call = try parseExpression()
        guard case .call = call else { throw fail("expected call", line: lineNo) }
        let savedLoops = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoops }
        let body = try parseStatements(["endcall"], dropNeedle: true)
        return .callBlock(MacroDefinition(name: "caller", parameters: params, defaults: defaults, body: body), call: call)
    }

    private mutating func parseFilterBlock() throws(ChatTemplateError) -> Node {
        try expectName("filter")
        let filters = try parseFilterChain(startInline: true)
        let body = try parseStatements(["endfilter"], dropNeedle: true)
        return .filterBlock(filters: filters, body: body)
    }

    private mutating func parseWith() throws(ChatTemplateError) -> Node {
        try expectName("with")
        var pairs: [(Target, Expr)] = []
        while true {
            if case .blockEnd = current.kind { break }
            if !pairs.isEmpty { try expectOp(",") }
            let target = try parseAssignTarget()
            try expectOp("=")
            pairs.append((target, try parseExpression()))
        }
        let body = try parseStatements(["endwith"], dropNeedle: true)
        return .with(pairs, body: body)
    }

    /// `parse_assign_target`: names, tuples of names (`k, v`), or `ns.attr` where allowed.
    private mutating func parseAssignTarget(extraEnd: [String] = [], withNamespace: Bool = false)
        throws(ChatTemplateError) -> Target
    {
        var targets: [Target] = []
        var isTuple = false
        while true {
            if !targets.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEnd) { break }
            targets.append(try parseTargetPrimary(withNamespace: withNamespace))
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            guard let t = targets.first else { throw fail("can't assign to 'tuple'") }
            return t
        }
        return .tuple(targets)
    }

    private mutating func parseTargetPrimary(withNamespace: Bool) throws(ChatTemplateError) -> Target {
        let lineNo = line
        if skipOp("(") {
            let t = try parseAssignTarget(withNamespace: withNamespace)
            try expectOp(")")
            return t
        }
        guard case .name(let name) = current.kind else {
            throw fail("can't assign to '\(Self.describe(current.kind))'", line: lineNo)
        }
        if ["true", "false", "True", "False", "none", "None"].contains(name) {
            throw fail("can't assign to 'const'", line: lineNo)
        }
        _ = advance()
        if withNamespace && isOp(".") {
            _ = advance()
            return .namespaceAttribute(name, try expectName())
        }
        return .name(name)
    }

    private func isTupleEnd(_ extraEnd: [String] = []) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd: return true
        case .op(")"): return true
        case .name(let n): return extraEnd.contains(n)
        default: return false
        }
    }

    // MARK: - Expressions

    /// `parse_tuple`: an expression, or a tuple when commas separate several.
    private mutating func parseTuple(withCondexpr: Bool = true, extraEnd: [String] = [],
                                     explicitParentheses: Bool = false) throws(ChatTemplateError) -> Expr
    {
        var items: [Expr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEnd) { break }
            items.append(withCondexpr ? try parseExpression() : try parseOr())
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let first = items.first { return first }
            if !explicitParentheses { throw fail("Expected an expression, got '\(Self.describe(current.kind))'") }
        }
        return .tuple(items)
    }

    mutating func parseExpression() throws(ChatTemplateError) -> Expr {
        try enter()
        defer { depth -= 1 }
        var lineNo = line
        var expr = try parseOr()
        while skipName("if") {
            let test = try parseOr()
            var otherwise: Expr? = nil
            if skipName("else") { otherwise = try parseExpression() }
            expr = .conditional(test: test, then: expr, otherwise: otherwise, line: lineNo)
            lineNo = line
        }
        return expr
    }

    private mutating func parseOr() throws(ChatTemplateError) -> Expr {
        var left = try parseAnd()
        while skipName("or") { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> Expr {
        var left = try parseNot()
        while skipName("and") { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> Expr {
        if isName("not") {
            _ = advance()
            try enter()
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(ChatTemplateError) -> Expr {
        let expr = try parseMath1()
        var ops: [(String, Expr)] = []
        while true {
            if case .op(let o) = current.kind, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                _ = advance()
                ops.append((o, try parseMath1()))
            } else if skipName("in") {
                ops.append(("in", try parseMath1()))
            } else if isName("not"), isName("in", peek()) {
                _ = advance(); _ = advance()
                ops.append(("notin", try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? expr : .compare(expr, ops)
    }

    private mutating func parseMath1() throws(ChatTemplateError) -> Expr {
        var left = try parseConcat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            _ = advance()
            left = .binary(o, left, try parseConcat())
        }
        return left
    }

    private mutating func parseConcat() throws(ChatTemplateError) -> Expr {
        var args = [try parseMath2()]
        while skipOp("~") { args.append(try parseMath2()) }
        return args.count == 1 ? args[0] : .concat(args)
    }

    private mutating func parseMath2() throws(ChatTemplateError) -> Expr {
        var left = try parsePow()
        while case .op(let o) = current.kind, ["*", "/", "//", "%"].contains(o) {
            _ = advance()
            left = .binary(o, left, try parsePow())
        }
        return left
    }

    private mutating func parsePow() throws(ChatTemplateError) -> Expr {
        var left = try parseUnary()
        while skipOp("**") { left = .binary("**", left, try parseUnary()) }
        return left
    }

    private mutating func parseUnary(withFilter: Bool = true) throws(ChatTemplateError) -> Expr {
        try enter()
        defer { depth -= 1 }
        var node: Expr
        if skipOp("-") {
            node = .negate(try parseUnary(withFilter: false))
        } else if skipOp("+") {
            node = .plus(try parseUnary(withFilter: false))
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpr(node) }
        return node
    }

    private mutating func parsePrimary() throws(ChatTemplateError) -> Expr {
        let t = current
        switch t.kind {
        case .name(let n):
            _ = advance()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .string(let s):
            _ = advance()
            var text = s
            while case .string(let more) = current.kind {
                text += more
                _ = advance()
            }
            return .literal(.string(text))
        case .integer(let v):
            _ = advance()
            return .literal(.int(v))
        case .float(let v):
            _ = advance()
            return .literal(.double(v))
        case .op("("):
            _ = advance()
            let e = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return e
        case .op("["):
            _ = advance()
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            _ = advance()
            var pairs: [(Expr, Expr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            try expectOp("}")
            return .dict(pairs)
        default:
            throw fail("unexpected '\(Self.describe(t.kind))'")
        }
    }

    private mutating func parsePostfix(_ start: Expr) throws(ChatTemplateError) -> Expr {
        var node = start
        while true {
            if isOp(".") || isOp("[") {
                node = try parseSubscript(node)
            } else if isOp("(") {
                node = .call(node, try parseCallArgs())
            } else {
                return node
            }
        }
    }

    private mutating func parseFilterExpr(_ start: Expr) throws(ChatTemplateError) -> Expr {
        var node = start
        while true {
            if isOp("|") {
                for f in try parseFilterChain(startInline: false) { node = .filter(node, f.name, f.call, line: f.line) }
            } else if isName("is") {
                node = try parseTest(node)
            } else if isOp("(") {
                node = .call(node, try parseCallArgs())
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ node: Expr) throws(ChatTemplateError) -> Expr {
        let t = advance()
        if isOp(".", t) {
            let attr = advance()
            switch attr.kind {
            case .name(let n): return .getattr(node, n)
            case .integer(let v): return .getitem(node, .literal(.int(v)))
            default: throw fail("expected name or number", line: attr.line)
            }
        }
        // `[` ... `]`
        var args: [Expr] = []
        var sliceParts: (Expr?, Expr?, Expr?)? = nil
        while !isOp("]") {
            if !args.isEmpty || sliceParts != nil { try expectOp(",") }
            let (e, s) = try parseSubscribed()
            if let s, args.isEmpty, sliceParts == nil, isOp("]") { sliceParts = s; break }
            if s != nil { throw fail("tuples of slices are not supported") }
            args.append(e!)
        }
        try expectOp("]")
        if let (a, b, c) = sliceParts { return .slice(node, a, b, c) }
        if args.count == 1 { return .getitem(node, args[0]) }
        return .getitem(node, .tuple(args))
    }

    /// An index expression or a slice `a:b:c` (each part optional).
    private mutating func parseSubscribed() throws(ChatTemplateError) -> (Expr?, (Expr?, Expr?, Expr?)?) {
        var start: Expr? = nil
        if isOp(":") {
            _ = advance()
        } else {
            let e = try parseExpression()
            if !isOp(":") { return (e, nil) }
            _ = advance()
            start = e
        }
        var stop: Expr? = nil
        if !isOp(":") && !isOp("]") && !isOp(",") { stop = try parseExpression() }
        var step: Expr? = nil
        if skipOp(":") {
            if !isOp("]") && !isOp(",") { step = try parseExpression() }
        }
        return (nil, (start, stop, step))
    }

    private mutating func parseCallArgs() throws(ChatTemplateError) -> Call {
        let lineNo = line
        try expectOp("(")
        var call = Call()
        var requireComma = false
        func ensure(_ ok: Bool) throws(ChatTemplateError) {
            if !ok { throw ChatTemplateError.syntax(line: lineNo, message: "invalid syntax for function call expression") }
        }
        while !isOp(")") {
            if requireComma {
                try expectOp(",")
                if isOp(")") { break }
            }
            if skipOp("*") {
                try ensure(call.starArgs == nil && call.starKwargs == nil)
                call.starArgs = try parseExpression()
            } else if skipOp("**") {
                try ensure(call.starKwargs == nil)
                call.starKwargs = try parseExpression()
            } else if case .name(let key) = current.kind, isOp("=", peek()) {
                try ensure(call.starKwargs == nil)
                _ = advance(); _ = advance()
                call.keyword.append((key, try parseExpression()))
            } else {
                try ensure(call.starArgs == nil && call.starKwargs == nil && call.keyword.isEmpty)
                call.positional.append(try parseExpression())
            }
            requireComma = true
        }
        try expectOp(")")
        return call
    }

    /// `| name(args) | name ...`; with `startInline` the first `|` is absent (`{% filter upper %}`).
    private mutating func parseFilterChain(startInline: Bool) throws(ChatTemplateError) -> [FilterCall] {
        var filters: [FilterCall] = []
        var inline = startInline
        while isOp("|") || inline {
            if !inline { _ = advance() }
            inline = false
            let lineNo = line
            var name = try expectName()
            while skipOp(".") { name += "." + (try expectName()) }
            let call = isOp("(") ? try parseCallArgs() : Call()
            filters.append(FilterCall(name: name, call: call, line: lineNo))
        }
        return filters
    }

    private mutating func parseTest(_ node: Expr) throws(ChatTemplateError) -> Expr {
        let lineNo = line
        _ = advance()  // is
        let negated = skipName("not")
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        var call = Call()
        if isOp("(") {
            call = try parseCallArgs()
        } else {
            var takesArgument = false
            switch current.kind {
            case .name(let n): takesArgument = !["else", "or", "and"].contains(n)
            case .string, .integer, .float, .op("("), .op("["), .op("{"): takesArgument = true
            default: break
            }
            if takesArgument {
                if isName("is") { throw fail("You cannot chain multiple tests with is") }
                var arg = try parsePrimary()
                arg = try parsePostfix(arg)
                call.positional = [arg]
            }
        }
        let test = Expr.test(node, name, call, line: lineNo)
        return negated ? .not(test) : test
    }
}
