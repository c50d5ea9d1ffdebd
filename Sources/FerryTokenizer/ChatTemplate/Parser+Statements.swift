// SPDX-License-Identifier: Apache-2.0

extension Parser {
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

    func isTupleEnd(_ extraEnd: [String] = []) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd: return true
        case .op(")"): return true
        case .name(let n): return extraEnd.contains(n)
        default: return false
        }
    }
}
