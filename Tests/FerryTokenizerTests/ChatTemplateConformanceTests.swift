// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport
@testable import FerryTokenizer

/// Golden cases computed with jinja2 + transformers by `scripts/chat-template-cases.py`: small templates that
/// exercise one feature each, and the real templates of `../shared/models/chat-templates` on conversations with
/// tools, tool calls, reasoning and template kwargs.
@Suite("Chat template conformance with jinja2")
struct ChatTemplateConformanceTests {
    static let cases: JinjaObject = {
        guard case .object(let o) = try! JinjaValue.parseJSON(ChatTemplateConformanceCases.json) else {
            fatalError("conformance cases are not a JSON object")
        }
        return o
    }()

    static func list(_ key: String) -> [JinjaObject] {
        guard case .array(let items)? = cases[key] else { return [] }
        return items.compactMap { if case .object(let o) = $0 { return o } else { return nil } }
    }

    static func string(_ o: JinjaObject, _ key: String) -> String? {
        if case .string(let s)? = o[key] { return s }
        return nil
    }

    static let fixedNow = ChatTemplateFixtureTests.fixtureNow

    /// Compares one outcome with the golden `rendered` / `error`; returns a failure description or nil.
    static func check(_ result: Result<String, ChatTemplateError>, _ golden: JinjaObject) -> String? {
        switch result {
        case .success(let got):
            if let want = string(golden, "rendered") {
                return got == want ? nil : "rendered \(PyFormat.repr(.string(got)))\n   want \(PyFormat.repr(.string(want)))"
            }
            return "rendered \(PyFormat.repr(.string(got))), want error \(string(golden, "error") ?? "?")"
        case .failure(let error):
            guard let want = string(golden, "error") else {
                return "error \(error), want \(PyFormat.repr(golden["rendered"] ?? .none))"
            }
            if case .syntax(let line, _) = error, case .int(let wantLine)? = golden["syntax_error_line"] {
                // Python's own SyntaxError (e.g. `break` outside a loop) reports a line of generated code.
                let type = string(golden, "error_type")
                if type != "TemplateSyntaxError" && type != "TemplateAssertionError" { return nil }
                return line == wantLine ? nil : "syntax error on line \(line), want line \(wantLine): \(want)"
            }
            if golden["syntax_error_line"] != nil { return "error \(error), want a syntax error: \(want)" }
            return error.message == want ? nil : "error \(PyFormat.repr(.string(error.message)))\n   want \(PyFormat.repr(.string(want)))"
        }
    }

    @Test("snippets render as jinja2 renders them")
    func snippets() {
        guard case .object(let context)? = Self.cases["context"] else {
            Issue.record("no context")
            return
        }
        var vars: [String: JinjaValue] = [:]
        for (k, v) in context.pairs { vars[k] = v }
        let snippets = Self.list("snippets")
        var passed = 0
        for golden in snippets {
            let source = Self.string(golden, "template") ?? ""
            let result: Result<String, ChatTemplateError> = Result { () throws(ChatTemplateError) in
                try ChatTemplate(source: source).render(vars, now: Self.fixedNow)
            }
            if let failure = Self.check(result, golden) {
                Issue.record("\(PyFormat.repr(.string(source))):\n   \(failure)")
            } else {
                passed += 1
            }
        }
        print("chat template snippets: \(passed)/\(snippets.count) match jinja2")
        #expect(snippets.count > 100)
    }

    @Test("real templates render conversations with tools as transformers does",
          .enabled(if: SharedData.isAvailable, "needs ../shared/models/chat-templates"))
    func conversations() throws {
        guard case .object(let conversations)? = Self.cases["conversations"] else {
            Issue.record("no conversations")
            return
        }
        var templates: [String: ChatTemplate] = [:]
        var perFile: [String: (Int, Int)] = [:]
        for golden in Self.list("chat") {
            let file = Self.string(golden, "file") ?? ""
            let label = Self.string(golden, "label") ?? ""
            if templates[file] == nil {
                let url = try #require(SharedData.path("models/chat-templates/\(file)"))
                templates[file] = try ChatTemplate(source: String(contentsOf: url, encoding: .utf8))
            }
            guard case .object(let conversation)? = conversations[label],
                case .array(let messages)? = conversation["messages"],
                case .object(let extraObject)? = conversation["extra"]
            else {
                Issue.record("conversation \(label) missing")
                continue
            }
            var extra: [String: JinjaValue] = [:]
            for (k, v) in extraObject.pairs { extra[k] = v }
            let agp: Bool = { if case .bool(let b)? = golden["add_generation_prompt"] { return b }; return false }()
            let template = templates[file]!
            let result: Result<String, ChatTemplateError> = Result { () throws(ChatTemplateError) in
                try template.render(messages: messages, addGenerationPrompt: agp, bosToken: "<s>", eosToken: "</s>",
                                    extra: extra, now: Self.fixedNow)
            }
            var counts = perFile[file] ?? (0, 0)
            counts.1 += 1
            if let failure = Self.check(result, golden) {
                Issue.record("\(file) [\(label), add_generation_prompt=\(agp)]:\n   \(failure)")
            } else {
                counts.0 += 1
            }
            perFile[file] = counts
        }
        for (file, (passed, total)) in perFile.sorted(by: { $0.key < $1.key }) {
            print("chat template conversations \(file): \(passed)/\(total) match transformers")
        }
        #expect(perFile.count >= 11)
    }
}
