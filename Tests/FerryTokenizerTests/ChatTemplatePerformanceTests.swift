// SPDX-License-Identifier: Apache-2.0
import Foundation
import FerryTokenizer
import Testing
import TestSupport

/// Rendering a parsed template must be cheap next to a forward pass: a 10-message chat renders in well under a
/// millisecond in release builds. The bound asserted here is loose enough for debug builds on a shared machine;
/// the timings are printed (`swift test -c release --filter ChatTemplatePerformance` for release numbers).
@Suite("Chat template performance")
struct ChatTemplatePerformanceTests {
    static let chat: [JinjaValue] = (0 ..< 10).map { i -> JinjaValue in
        if i == 0 { return ["role": "system", "content": "You are a helpful assistant. Answer briefly."] }
        let role: JinjaValue = i % 2 == 1 ? "user" : "assistant"
        let content = JinjaValue.string("Message \(i): " + String(repeating: "lorem ipsum dolor sit amet ", count: 8))
        return ["role": role, "content": content]
    }

    static func medianMicroseconds(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0 ..< runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
        }
        times.sort()
        return times[times.count / 2]
    }

    @Test("a 10-message chat renders fast", .enabled(if: SharedData.isAvailable, "needs ../shared/models/chat-templates"),
          arguments: ["openai-gpt-oss-120b.jinja", "Qwen-Qwen3-0.6B.jinja", "meta-llama-Llama-3.1-8B-Instruct.jinja",
                      "HuggingFaceTB-SmolLM3-3B.jinja"])
    func tenMessages(_ file: String) throws {
        let url = try #require(SharedData.path("models/chat-templates/\(file)"))
        let source = try String(contentsOf: url, encoding: .utf8)
        let parse = try Self.medianMicroseconds(20) { _ = try ChatTemplate(source: source) }
        let template = try ChatTemplate(source: source)
        let now = Date()
        let render = try Self.medianMicroseconds(200) {
            _ = try template.render(messages: Self.chat, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>",
                                    now: now)
        }
        print("chat template \(file): parse \(Int(parse)) µs, render 10 messages \(Int(render)) µs (median)")
        #expect(render < 20_000)
    }
}
