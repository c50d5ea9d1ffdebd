// SPDX-License-Identifier: Apache-2.0
import Foundation
import FerryOpenAI
import FerryScheduling
import FerryTokenizer
import Testing
import TestSupport

/// A JSON document as Foundation's `JSONSerialization` reads it, made comparable: objects ignore key order,
/// numbers compare as doubles, and booleans stay distinct from numbers.
indirect enum ParsedJSON: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ParsedJSON])
    case object([String: ParsedJSON])

    /// Parses with `JSONSerialization` (an independent parser, not the one under test).
    init(_ bytes: [UInt8]) throws {
        try self.init(foundation: JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
    }

    init(_ text: String) throws {
        try self.init(Array(text.utf8))
    }

    private init(foundation value: Any) throws {
        switch value {
        case is NSNull: self = .null
        case let number as NSNumber:
            // swift-corelibs-foundation reads `true`/`false` as __NSCFBoolean, and `1 is Bool` holds for any
            // NSNumber, so the class name is what tells booleans apart.
            if String(describing: type(of: number)).contains("Boolean") {
                self = .bool(number.boolValue)
            } else {
                self = .number(number.doubleValue)
            }
        case let text as String: self = .string(text)
        case let array as [Any]: self = .array(try array.map { try ParsedJSON(foundation: $0) })
        case let object as [String: Any]: self = .object(try object.mapValues { try ParsedJSON(foundation: $0) })
        default: throw CocoaError(.coderInvalidValue)
        }
    }

    subscript(key: String) -> ParsedJSON? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .number(let number): "\(number)"
        case .string(let text): "\"\(text)\""
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .object(let fields):
            "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}

/// The JSON of an SSE event: the bytes between `data: ` and the blank line, after checking that framing.
func eventJSON(_ event: [UInt8]) throws -> ParsedJSON {
    let text = String(decoding: event, as: UTF8.self)
    #expect(text.hasPrefix("data: ") && text.hasSuffix("\n\n"))
    #expect(!text.dropLast(2).contains("\n"), "one line per event")
    return try ParsedJSON(String(text.dropFirst(6).dropLast(2)))
}

/// Runs `body` and returns the `APIError` it throws, or nil.
func caughtError(_ body: () throws -> Void) -> APIError? {
    do {
        try body()
        return nil
    } catch let error as APIError {
        return error
    } catch {
        Issue.record("expected an APIError, got \(error)")
        return nil
    }
}

/// Decodes a completions body written as JSON text.
func completion(_ json: String) throws(APIError) -> CompletionRequest {
    try CompletionRequest(body: Array(json.utf8))
}

/// Decodes a chat body written as JSON text.
func chat(_ json: String) throws(APIError) -> ChatCompletionRequest {
    try ChatCompletionRequest(body: Array(json.utf8))
}

/// A 400 with the given type, message and param.
func badRequest(_ message: String, param: String?, type: String = APIError.badRequestType) -> APIError {
    APIError(status: 400, type: type, message: message, param: param)
}

/// A schema 400 (`type: "Bad Request"`).
func schemaError(_ message: String, param: String?) -> APIError {
    APIError(status: 400, type: APIError.schemaType, message: message, param: param)
}

/// Tokenizers the validation tests use.
enum TestTokenizers {
    /// A tiny always-available tokenizer: one token per printable ASCII character (id = code − 32, so "a" is 65),
    /// `<s>` = 95 (BOS, added with `addSpecialTokens`), `</s>` = 96; vocabulary size 97.
    static let tiny: Tokenizer = {
        var vocab: [String: Int] = [:]
        for code in 32...126 { vocab[String(UnicodeScalar(UInt8(code)))] = code - 32 }
        func added(_ id: Int, _ content: String) -> [String: Any] {
            ["id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
             "normalized": false, "special": true]
        }
        let json: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocab, "merges": [String]()],
            "added_tokens": [added(95, "<s>"), added(96, "</s>")],
            "post_processor": [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                "pair": [[String: Any]](),
                "special_tokens": ["<s>": ["id": "<s>", "ids": [95], "tokens": ["<s>"]]],
            ],
            "decoder": ["type": "Fuse"],
        ]
        do {
            return try Tokenizer(tokenizerJSON: JSONSerialization.data(withJSONObject: json), tokenizerConfigJSON: nil)
        } catch {
            fatalError("tiny tokenizer: \(error)")
        }
    }()

    /// SmolLM2-135M-Instruct's tokenizer from ../shared, when present.
    static let smolLM2: Tokenizer? = {
        guard let directory = SharedData.path("models/SmolLM2-135M-Instruct-Q4_1-gguf") else { return nil }
        return try? Tokenizer.load(directory: directory)
    }()
}

/// A chat template for tests: `<|role|>content` per message, then `<|assistant|>` with a generation prompt
/// (no newlines: the tiny tokenizer has printable ASCII only).
let testTemplate: ChatTemplateRenderer = { messages, addGenerationPrompt, _, kwargs in
    var text = kwargs["system_prefix"]?.stringValue ?? ""
    for message in messages { text += "<|\(message.role)|>\(message.content ?? "")" }
    if addGenerationPrompt { text += "<|assistant|>" }
    return text
}

/// Validation defaults: vLLM's sampling defaults, a 64-token context, `--max-logprobs 20`.
enum Served {
    static let names = ["tiny", "tiny-alias"]
    static let defaults = SamplingParameters()
    static let maxModelLen = 64
}
