// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport
@testable import FerryTokenizer

/// Every case of `../shared/fixtures/chat/*.json` (made with `transformers`' `apply_chat_template`) renders
/// byte for byte, or raises the same message.
@Suite("Chat template fixtures")
struct ChatTemplateFixtureTests {
    /// The moment the fixtures were rendered at: `strftime_now` was fixed to 2026-01-15 12:00:00 local time.
    static let fixtureNow: Date = {
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (2026, 1, 15, 12, 0, 0)
        return Calendar(identifier: .gregorian).date(from: c)!
    }()

    static let fixtureNames: [String] = {
        guard let dir = SharedData.path("fixtures/chat"),
            let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path)
        else { return [] }
        return files.filter { $0.hasSuffix(".json") }.sorted()
    }()

    static let standardKeys: Set<String> = [
        "messages", "add_generation_prompt", "bos_token", "eos_token", "rendered", "error",
    ]

    struct Outcome {
        var passed = 0
        var failures: [String] = []
    }

    static func run(_ name: String) throws -> (total: Int, outcome: Outcome) {
        let url = try #require(SharedData.path("fixtures/chat/\(name)"))
        let fixture = try JinjaValue.parseJSON(Data(contentsOf: url))
        guard case .object(let root) = fixture, case .string(let source)? = root["template"],
            case .array(let cases)? = root["cases"]
        else {
            Issue.record("\(name): not a {template, cases} object")
            return (0, Outcome())
        }
        let template = try ChatTemplate(source: source)
        var outcome = Outcome()
        for (index, value) in cases.enumerated() {
            guard case .object(let c) = value, case .array(let messages)? = c["messages"] else {
                outcome.failures.append("case \(index): malformed")
                continue
            }
            var extra: [String: JinjaValue] = [:]
            for (k, v) in c.pairs where !standardKeys.contains(k) { extra[k] = v }
            func token(_ key: String) -> String? {
                if case .string(let s)? = c[key] { return s }
                return nil
            }
            let addGenerationPrompt: Bool = { if case .bool(let b)? = c["add_generation_prompt"] { return b }; return false }()
            let result: Result<String, ChatTemplateError>
            do {
                result = .success(try template.render(
                    messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: token("bos_token"),
                    eosToken: token("eos_token"), extra: extra, now: fixtureNow))
            } catch {
                result = .failure(error)
            }
            switch (result, c["rendered"], c["error"]) {
            case (.success(let got), .string(let want)?, _) where got == want:
                outcome.passed += 1
            case (.failure(let e), _, .string(let want)?) where e.message == want:
                outcome.passed += 1
            default:
                outcome.failures.append("case \(index): got \(result), want \(c["rendered"] ?? c["error"] ?? .none)")
            }
        }
        return (cases.count, outcome)
    }

    @Test("fixture renders exactly", .enabled(if: SharedData.isAvailable, "needs ../shared/fixtures/chat"),
          arguments: fixtureNames)
    func fixture(_ name: String) throws {
        let (total, outcome) = try Self.run(name)
        print("chat template fixture \(name): \(outcome.passed)/\(total) cases pass")
        for f in outcome.failures { Issue.record("\(name) \(f)") }
        #expect(total > 0)
        #expect(outcome.passed == total)
    }

    @Test("all twelve fixture templates are present", .enabled(if: SharedData.isAvailable, "needs ../shared"))
    func allPresent() {
        #expect(Self.fixtureNames.count >= 12)
    }
}
