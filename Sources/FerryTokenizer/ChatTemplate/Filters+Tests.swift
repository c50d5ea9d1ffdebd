// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

extension Renderer {
    // MARK: - Tests

    static let testNames: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "==", "escaped", "even", "false", "filter",
        "float", "ge", ">=", "gt", "greaterthan", ">", "in", "integer", "iterable", "le", "<=", "lower", "lt",
        "lessthan", "<", "mapping", "ne", "!=", "none", "number", "odd", "sameas", "sequence", "string", "test",
        "true", "undefined", "upper",
    ]

    func applyTest(_ name: String, _ value: JinjaValue, _ args: CallArguments) throws(ChatTemplateError) -> Bool {
        func one() throws(ChatTemplateError) -> JinjaValue {
            try args.bind(name, ["other"])[0]
        }
        switch name {
        case "defined": return !isUndefined(value)
        case "undefined": return isUndefined(value)
        case "none": if case .none = value { return true }; return false
        case "boolean": if case .bool = value { return true }; return false
        case "true": if case .bool(true) = value { return true }; return false
        case "false": if case .bool(false) = value { return true }; return false
        case "integer": if case .int = value { return true }; return false
        case "float": if case .double = value { return true }; return false
        case "number":
            switch value {
            case .int, .double, .bool: return true
            default: return false
            }
        case "string": if case .string = value { return true }; return false
        case "mapping": if case .object = value { return true }; return false
        case "iterable":
            switch value {
            case .string, .array, .tuple, .object, .undefined: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .string, .array, .tuple, .object, .undefined: return true
            default: return false
            }
        case "callable":
            switch value {
            case .callable, .undefined: return true  // Jinja's Undefined has __call__ (which raises)
            default: return false
            }
        case "escaped": return false
        case "even", "odd":
            let r = try PyOps.arithmetic("%", value, .int(2), limit: limits.maxOutputBytes)
            return PyOps.equals(r, .int(name == "even" ? 0 : 1))
        case "divisibleby":
            let r = try PyOps.arithmetic("%", value, try args.bind(name, ["num"])[0], limit: limits.maxOutputBytes)
            return PyOps.equals(r, .int(0))
        case "eq", "equalto", "==": return PyOps.equals(value, try one())
        case "ne", "!=": return !PyOps.equals(value, try one())
        case "lt", "lessthan", "<": return try compare("<", value, try one())
        case "le", "<=": return try compare("<=", value, try one())
        case "gt", "greaterthan", ">": return try compare(">", value, try one())
        case "ge", ">=": return try compare(">=", value, try one())
        case "in": return try PyOps.contains(try args.bind(name, ["seq"])[0], value)
        case "sameas":
            let other = try one()
            switch (value, other) {
            case (.none, .none), (.undefined, .undefined): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.int(a), .int(b)): return a == b && a >= -5 && a <= 256
            case let (.namespace(a), .namespace(b)): return a === b
            case let (.callable(a), .callable(b)): return a === b
            default: return false
            }
        case "lower", "upper":
            return Methods.predicate(name == "lower" ? "islower" : "isupper", text(value))
        case "filter":
            guard case .string(let s) = value else { return false }
            return Self.filterNames.contains(s)
        case "test":
            guard case .string(let s) = value else { return false }
            return Self.testNames.contains(s)
        default:
            throw .runtime("No test named '\(name)' found.")
        }
    }

    func isUndefined(_ v: JinjaValue) -> Bool {
        if case .undefined = v { return true }
        return false
    }
}
