// SPDX-License-Identifier: Apache-2.0

/// One message of a chat conversation, as the chat template receives it.
///
/// `content` is the text: a string as sent, or the `text` parts of a list joined with "\n" (vLLM's "string"
/// content format). `tool_calls` and `tool_call_id` are passed through untouched for templates that render tools.
public struct ChatMessage: Sendable, Equatable {
    /// `role`: `system`, `user`, `assistant`, `tool`, or any other name a template knows.
    public var role: String
    /// The message text; nil when sent as null or absent (an assistant message with only tool calls).
    public var content: String?
    /// `name`, when sent.
    public var name: String?
    /// `tool_calls` exactly as sent, when present.
    public var toolCalls: JSONValue?
    /// `tool_call_id`, when sent (tool results).
    public var toolCallId: String?

    public init(role: String, content: String?, name: String? = nil, toolCalls: JSONValue? = nil,
                toolCallId: String? = nil) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCalls = toolCalls
        self.toolCallId = toolCallId
    }

    /// Reads `messages[index]`.
    /// - Throws: `APIError` (400, `param: "messages"` or the exact path) for a missing role, a wrong type, or a
    ///   content part other than text.
    init(json: JSONValue, index: Int) throws(APIError) {
        let path = "messages[\(index)]"
        guard let pairs = json.objectPairs else {
            throw .wrongType(param: path, expected: "an object", got: json)
        }
        let fields = try RequestObject(.object(pairs))
        guard let role = try Self.string(fields, "role", path: path) else { throw .missingField("\(path).role") }
        self.role = role
        name = try Self.string(fields, "name", path: path)
        toolCallId = try Self.string(fields, "tool_call_id", path: path)
        toolCalls = fields["tool_calls"]
        content = try Self.content(fields["content"], path: path, index: index)
    }

    private static func string(_ fields: RequestObject, _ key: String, path: String) throws(APIError) -> String? {
        guard let value = fields[key] else { return nil }
        guard let text = value.stringValue else {
            throw .wrongType(param: "\(path).\(key)", expected: "a string", got: value)
        }
        return text
    }

    private static func content(_ value: JSONValue?, path: String, index: Int) throws(APIError) -> String? {
        guard let value else { return nil }
        switch value {
        case .string(let text):
            return text
        case .array(let parts):
            var texts: [String] = []
            for (partIndex, part) in parts.enumerated() {
                let partPath = "\(path).content[\(partIndex)]"
                guard part.objectPairs != nil else {
                    throw .wrongType(param: partPath, expected: "an object", got: part)
                }
                guard let type = part["type"]?.stringValue else {
                    throw .wrongType(param: "\(partPath).type", expected: "a string", got: part["type"] ?? .null)
                }
                guard type == "text" else { throw .unsupportedContentPart(type: type, messageIndex: index) }
                guard let text = part["text"]?.stringValue else {
                    throw .wrongType(param: "\(partPath).text", expected: "a string", got: part["text"] ?? .null)
                }
                texts.append(text)
            }
            return texts.joined(separator: "\n")
        default:
            throw .wrongType(param: "\(path).content", expected: "a string or a list of content parts", got: value)
        }
    }
}
