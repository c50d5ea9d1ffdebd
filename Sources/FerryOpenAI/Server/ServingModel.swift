// SPDX-License-Identifier: Apache-2.0
import FerryEngine
import FerryScheduling
import FerryTokenizer
import FoundationEssentials

/// The loaded model as the handlers see it: the engine, the tokenizer and chat template, and the limits.
public struct ServingModel: Sendable {
    public let engine: Engine
    public let tokenizer: Tokenizer
    /// Renders a conversation; nil when the model has no chat template and none was given.
    public let chatTemplate: ChatTemplate?
    public let eosTokenIds: Set<Int>
    public let maxModelLen: Int
    /// Sampling defaults from generation_config.json (`--generation-config auto`).
    public let generationDefaults: SamplingParameters
    /// The model path (the `root` of `/v1/models`).
    public let root: String

    public init(engine: Engine, tokenizer: Tokenizer, chatTemplate: ChatTemplate?, eosTokenIds: Set<Int>,
                maxModelLen: Int, generationDefaults: SamplingParameters, root: String)
    {
        self.engine = engine
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.eosTokenIds = eosTokenIds
        self.maxModelLen = maxModelLen
        self.generationDefaults = generationDefaults
        self.root = root
    }

    /// The chat template as the request validators call it.
    var renderer: ChatTemplateRenderer {
        let template = chatTemplate
        let bos = tokenizer.bosToken
        let eos = tokenizer.eosToken
        return { messages, addGenerationPrompt, continueFinalMessage, kwargs in
            guard let template else {
                throw APIError.chatTemplate(
                    "As of transformers v4.44, default chat template is no longer allowed, so you must provide a "
                        + "chat template if the tokenizer does not define one.")
            }
            var extra: [String: JinjaValue] = [:]
            for (key, value) in kwargs { extra[key] = value.jinjaValue }
            let rendered: String
            do {
                rendered = try template.render(
                    messages: messages.map(\.jinjaValue), addGenerationPrompt: addGenerationPrompt, bosToken: bos,
                    eosToken: eos, extra: extra)
            } catch {
                throw APIError.chatTemplate("\(error)")
            }
            guard continueFinalMessage, let last = messages.last?.content, !last.isEmpty else { return rendered }
            // Continue the final message: cut the template's text after the last message's content.
            guard let range = rendered.ranges(of: last).last else { return rendered }
            return String(rendered[..<range.upperBound])
        }
    }
}

extension ChatMessage {
    /// The message as the template sees it: role, content, and the optional fields it may read.
    var jinjaValue: JinjaValue {
        var fields: [(String, JinjaValue)] = [("role", .string(role))]
        fields.append(("content", content.map { .string($0) } ?? .none))
        if let name { fields.append(("name", .string(name))) }
        if let toolCalls { fields.append(("tool_calls", toolCalls.jinjaValue)) }
        if let toolCallId { fields.append(("tool_call_id", .string(toolCallId))) }
        return .object(JinjaObject(fields))
    }
}

extension JSONValue {
    /// The same value for the template engine, keeping object key order.
    var jinjaValue: JinjaValue {
        switch self {
        case .null: .none
        case .bool(let value): .bool(value)
        case .number(let value): value.exactInteger.map { .int($0) } ?? .double(value.double)
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(\.jinjaValue))
        case .object(let pairs): .object(JinjaObject(pairs.map { ($0.key, $0.value.jinjaValue) }))
        }
    }
}
