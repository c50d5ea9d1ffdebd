// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

extension Renderer {
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
