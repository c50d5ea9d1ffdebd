// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport
@testable import FerryTokenizer

/// Templates come from model repositories: malformed or hostile ones must fail with an error, never crash,
/// hang or exhaust memory. Mutations of the real templates (deleted, duplicated and inserted fragments) are
/// parsed and rendered under small limits.
@Suite("Chat template robustness")
struct ChatTemplateRobustnessTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let fragments = [
        "{%", "%}", "{{", "}}", "{#", "#}", "-", "+", "(", ")", "[", "]", "{", "}", "'", "\"", "|", ".", ",", ":",
        " for x in messages ", " endfor ", " if ", " endif ", " else ", " set ns.a = ", " macro m(a) ", " endmacro ",
        " raw ", " endraw ", "loop.index", "m(m(1))", "* 99999", "range(100000)", "|tojson", " is defined", "\\", "\n",
        "{% for i in range(99999) %}{% for j in range(99999) %}", "{{ 'x' * 999999 }}",
    ]

    static func mutate(_ source: String, _ rng: inout SplitMix) -> String {
        var s = Array(source.unicodeScalars)
        for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) {
            guard !s.isEmpty else { break }
            let i = Int.random(in: 0 ..< s.count, using: &rng)
            switch Int.random(in: 0 ..< 3, using: &rng) {
            case 0:
                let n = min(Int.random(in: 1 ... 40, using: &rng), s.count - i)
                s.removeSubrange(i ..< i + n)
            case 1:
                let n = min(Int.random(in: 1 ... 200, using: &rng), s.count - i)
                let j = Int.random(in: 0 ... s.count, using: &rng)
                s.insert(contentsOf: Array(s[i ..< i + n]), at: j)
            default:
                s.insert(contentsOf: Array(fragments.randomElement(using: &rng)!.unicodeScalars), at: i)
            }
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s)
        return String(out)
    }

    @Test("mutated real templates fail cleanly", .enabled(if: SharedData.isAvailable, "needs ../shared/models/chat-templates"))
    func mutations() throws {
        let dir = try #require(SharedData.path("models/chat-templates"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".jinja") }.sorted()
        let messages: [JinjaValue] = [
            ["role": "system", "content": "sys"], ["role": "user", "content": "hi"],
            ["role": "assistant", "content": "yo", "tool_calls": [["type": "function", "id": "abcdefghi",
                "function": ["name": "f", "arguments": ["a": 1]]]]],
            ["role": "tool", "content": "ok", "tool_call_id": "abcdefghi"], ["role": "user", "content": "more"],
        ]
        let tools: JinjaValue = [["type": "function", "function": ["name": "f", "description": "d",
            "parameters": ["type": "object", "properties": ["a": ["type": "integer", "description": "x"]]]]]]
        let limits = ChatTemplate.Limits(maxOutputBytes: 1 << 20, maxLoopIterations: 200_000, maxCallDepth: 32)
        var rng = SplitMix(state: 42)
        var parsed = 0, rendered = 0, total = 0
        let start = Date()
        for file in files {
            let source = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            for _ in 0 ..< 100 {
                total += 1
                let mutated = Self.mutate(source, &rng)
                guard let template = try? ChatTemplate(source: mutated, limits: limits) else { continue }
                parsed += 1
                if (try? template.render(messages: messages, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>",
                                         extra: ["tools": tools])) != nil
                {
                    rendered += 1
                }
            }
        }
        print("chat template mutations: \(total) tried, \(parsed) parsed, \(rendered) rendered, "
              + "\(Int(Date().timeIntervalSince(start) * 1000)) ms")
        #expect(total == files.count * 100)
    }

    @Test func hostileTemplatesHitLimits() {
        let limits = ChatTemplate.Limits(maxOutputBytes: 1 << 16, maxLoopIterations: 10_000, maxCallDepth: 16)
        let hostile = [
            "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
            "{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}",
            "{% set ns = namespace(s='x') %}{% for i in range(50) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "{{ 'x' * 100000000 }}", "{{ [1] * 100000000 }}", "{{ 'ab'|replace('', 'x' * 60000) }}",
            "{{ ('x' * 60000)|indent(60000) }}", "{{ ' '|center(999999999) }}", "{{ '{:>999999999}'.format(1) }}",
            "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}",
            String(repeating: "{{ ", count: 200), String(repeating: "(", count: 300),
        ]
        for source in hostile {
            do {
                let out = try ChatTemplate(source: source, limits: limits).render([:])
                #expect(out.utf8.count <= 1 << 16, "\(source)")
            } catch {
                // Any typed error is fine; the point is that it returns.
            }
        }
    }
}
