// SPDX-License-Identifier: Apache-2.0

extension Parser {
    // MARK: - Expressions

    /// `parse_tuple`: an expression, or a tuple when commas separate several.
    mutating func parseTuple(withCondexpr: Bool = true, extraEnd: [String] = [],
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
    mutating func parseFilterChain(startInline: Bool) throws(ChatTemplateError) -> [FilterCall] {
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
