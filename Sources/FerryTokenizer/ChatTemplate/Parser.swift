// SPDX-License-Identifier: Apache-2.0

/// Jinja2's grammar (its `parser.py`, same precedence and quirks) over the lexer's tokens.
struct Parser {
    private let tokens: [Token]
    private var i = 0
    var depth = 0
    /// Enclosing `for` loops in the current macro (for `break`/`continue` checks).
    var loopDepth = 0
    /// Open blocks, innermost last: their end tags, for error messages.
    var endTokenStack: [[String]] = []
    var tagStack: [String] = []

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

    var current: Token { tokens[i] }
    var line: Int { tokens[i].line }

    func peek(_ n: Int = 1) -> Token { tokens[min(i + n, tokens.count - 1)] }

    mutating func advance() -> Token {
        let t = tokens[i]
        if i < tokens.count - 1 { i += 1 }
        return t
    }

    func fail(_ message: String, line: Int? = nil) -> ChatTemplateError {
        .syntax(line: line ?? self.line, message: message)
    }

    static func describe(_ kind: Token.Kind) -> String {
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

    func isName(_ name: String, _ t: Token? = nil) -> Bool {
        if case .name(let n) = (t ?? current).kind { return n == name }
        return false
    }

    func isOp(_ op: String, _ t: Token? = nil) -> Bool {
        if case .op(let o) = (t ?? current).kind { return o == op }
        return false
    }

    mutating func skipOp(_ op: String) -> Bool {
        if isOp(op) { _ = advance(); return true }
        return false
    }

    mutating func skipName(_ name: String) -> Bool {
        if isName(name) { _ = advance(); return true }
        return false
    }

    mutating func expectOp(_ op: String) throws(ChatTemplateError) {
        guard isOp(op) else { throw fail("expected token '\(op)', got '\(Self.describe(current.kind))'") }
        _ = advance()
    }

    mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let n) = current.kind else {
            throw fail("expected token 'name', got '\(Self.describe(current.kind))'")
        }
        _ = advance()
        return n
    }

    mutating func expectName(_ name: String) throws(ChatTemplateError) {
        guard isName(name) else { throw fail("expected token '\(name)', got '\(Self.describe(current.kind))'") }
        _ = advance()
    }

    mutating func expectBlockEnd() throws(ChatTemplateError) {
        guard case .blockEnd = current.kind else {
            throw fail("expected token 'end of statement block', got '\(Self.describe(current.kind))'")
        }
        _ = advance()
    }

    mutating func enter() throws(ChatTemplateError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("template nests deeper than \(Self.maxDepth) levels") }
    }
}
