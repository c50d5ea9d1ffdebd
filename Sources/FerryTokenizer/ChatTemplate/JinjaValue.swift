// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// A value seen by a chat template: the Python objects `transformers` hands to Jinja (JSON data, plus the few
/// runtime-only kinds a template can create: tuples, namespaces, macros and bound methods).
///
/// `Equatable` is structural (`.int(1) != .double(1.0)`, object key order ignored, callables and namespaces by
/// identity). Python's own `==` (where `1 == 1.0 == True`) is what templates see; that lives in the interpreter.
public enum JinjaValue: Sendable, Equatable {
    /// Jinja's `Undefined`: a missing variable, attribute or item. `hint` is the message an error raised from
    /// using it carries (`'foo' is undefined`); every undefined equals every other.
    case undefined(hint: String? = nil)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    /// A Python tuple: prints as `(1, 2)`, serializes to JSON as an array.
    case tuple([JinjaValue])
    /// A dict with insertion-ordered string keys.
    case object(JinjaObject)
    /// `namespace(...)`: the one mutable kind, shared by reference.
    case namespace(JinjaNamespace)
    /// A macro, a builtin function or a bound method (`message.get`).
    case callable(JinjaCallable)

    public static func == (lhs: JinjaValue, rhs: JinjaValue) -> Bool {
        switch (lhs, rhs) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.string(a), .string(b)): return a.utf8.elementsEqual(b.utf8)
        case let (.array(a), .array(b)), let (.tuple(a), .tuple(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        case let (.namespace(a), .namespace(b)): return a === b
        case let (.callable(a), .callable(b)): return a === b
        default: return false
        }
    }

    /// The Python value for plain Swift values (`Bool`, `Int`, `Double`, `String`, `[Any]`, `[String: Any]`, `nil`);
    /// anything else becomes its description. Dictionary keys come out sorted: a dictionary has no order, so use
    /// ``parseJSON(_:)`` for JSON documents (order matters: templates iterate dicts, `tojson` prints them). Foundation
    /// objects (`NSNumber`, `NSNull`) are not recognised: the module builds on FoundationEssentials only.
    public init(json: Any?) {
        guard let json = json.flatMap(Self.unwrapOptionals) else { self = .none; return }
        switch json {
        case let v as JinjaValue: self = v
        case let s as String: self = .string(s)
        case let v as Bool where type(of: json) == Bool.self: self = .bool(v)
        case let v as Int where type(of: json) == Int.self: self = .int(v)
        case let v as Double where type(of: json) == Double.self: self = .double(v)
        case let a as [Any]: self = .array(a.map { JinjaValue(json: $0) })
        case let a as [Any?]: self = .array(a.map { JinjaValue(json: $0) })
        case let d as [String: Any]:
            var o = JinjaObject()
            for k in d.keys.sorted() { o[k] = JinjaValue(json: d[k]) }
            self = .object(o)
        default: self = .string(String(describing: json))
        }
    }

    /// The value inside any number of `Optional` layers (an `[Any?]` element seen as `Any`), or nil for `.none`.
    private static func unwrapOptionals(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.flatMap { unwrapOptionals($0.value) }
    }

    /// Parses JSON keeping object keys in document order (as Python's `json.loads` does). Integers without a
    /// fraction or exponent that fit in `Int` become `.int`, other numbers `.double`.
    public static func parseJSON(_ data: Data) throws(ChatTemplateError) -> JinjaValue {
        var parser = OrderedJSONParser(bytes: [UInt8](data))
        return try parser.parseDocument()
    }

    /// ``parseJSON(_:)`` for a string.
    public static func parseJSON(_ text: String) throws(ChatTemplateError) -> JinjaValue {
        var parser = OrderedJSONParser(bytes: Array(text.utf8))
        return try parser.parseDocument()
    }

    /// The value as `json.dumps(value, ensure_ascii=False)` writes it (what the `tojson` filter prints).
    public func jsonString(indent: String? = nil) throws(ChatTemplateError) -> String {
        var options = JSONWriter.Options()
        options.indent = indent
        if indent != nil { options.itemSeparator = "," }
        var w = JSONWriter(options: options)
        try w.write(self, level: 0)
        return w.out
    }

    /// Python's `str()` of the value, as `{{ value }}` prints it (undefined prints nothing).
    public var pythonString: String { PyFormat.str(self) }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JinjaValue)...) {
        var o = JinjaObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
    public init(nilLiteral: ()) { self = .none }
}

/// A dict with string keys that remembers insertion order, like Python's `dict`.
public struct JinjaObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init() {}

    public init(_ pairs: [(String, JinjaValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// Reading gives nil for a missing key; writing a new key appends it, writing an existing one keeps its
    /// position, writing nil removes it.
    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Key-value pairs in insertion order.
    public var pairs: [(key: String, value: JinjaValue)] { keys.map { ($0, storage[$0]!) } }
    public var values: [JinjaValue] { keys.map { storage[$0]! } }

    public static func == (lhs: JinjaObject, rhs: JinjaObject) -> Bool { lhs.storage == rhs.storage }
}

/// The object `namespace(...)` makes: attributes a template can set from inside loops (`{% set ns.x = 1 %}`).
/// Only a render creates and mutates these, on one thread, hence `@unchecked Sendable`.
public final class JinjaNamespace: @unchecked Sendable {
    var attributes: JinjaObject
    init(_ attributes: JinjaObject) { self.attributes = attributes }
}

/// A callable value: a macro, a builtin (`range`, `raise_exception`) or a bound method (`text.split`).
/// Immutable after creation.
public final class JinjaCallable: @unchecked Sendable {
    typealias Builtin = (_ renderer: Renderer, _ args: CallArguments) throws(ChatTemplateError) -> JinjaValue

    enum Kind {
        case builtin(Builtin)
        case macro(MacroDefinition, Scope)
        /// The `caller()` of a `{% call %}` block: its body, in the scope of the block.
        case caller(MacroDefinition, Scope)
    }

    let name: String
    let kind: Kind
    /// For bound methods: Python's repr of the method, e.g. `<built-in method items of dict object>`.
    let reprText: String?

    init(name: String, repr: String? = nil, _ kind: Kind) {
        self.name = name
        self.kind = kind
        self.reprText = repr
    }

    convenience init(name: String, repr: String? = nil, builtin: @escaping Builtin) {
        self.init(name: name, repr: repr, .builtin(builtin))
    }
}

/// Positional and keyword arguments of a call.
struct CallArguments {
    var positional: [JinjaValue]
    var keyword: [(String, JinjaValue)]

    init(_ positional: [JinjaValue] = [], _ keyword: [(String, JinjaValue)] = []) {
        self.positional = positional
        self.keyword = keyword
    }

    /// Binds the arguments to a Python signature: `names` in order, `defaults` for the optional tail.
    /// Throws Python's `TypeError` messages for too many, unknown or duplicate arguments.
    func bind(_ function: String, _ names: [String], defaults: [String: JinjaValue] = [:],
              required: Int? = nil) throws(ChatTemplateError) -> [JinjaValue]
    {
        if positional.count > names.count {
            throw .runtime(
                "\(function)() takes at most \(names.count) argument\(names.count == 1 ? "" : "s") (\(positional.count) given)")
        }
        var out: [JinjaValue?] = Array(repeating: nil, count: names.count)
        for (i, v) in positional.enumerated() { out[i] = v }
        for (k, v) in keyword {
            guard let i = names.firstIndex(of: k) else {
                throw .runtime("\(function)() got an unexpected keyword argument '\(k)'")
            }
            if out[i] != nil { throw .runtime("\(function)() got multiple values for argument '\(k)'") }
            out[i] = v
        }
        let needed = required ?? names.filter { defaults[$0] == nil }.count
        var result: [JinjaValue] = []
        result.reserveCapacity(names.count)
        for (i, name) in names.enumerated() {
            if let v = out[i] {
                result.append(v)
            } else if let d = defaults[name] {
                result.append(d)
            } else if i < needed {
                throw .runtime("\(function)() missing required argument: '\(name)'")
            } else {
                result.append(.undefined(hint: nil))
            }
        }
        return result
    }
}
