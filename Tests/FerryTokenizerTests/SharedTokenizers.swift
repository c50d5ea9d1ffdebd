// SPDX-License-Identifier: Apache-2.0
import Foundation
import TestSupport
@testable import FerryTokenizer

/// The five test tokenizers of `../shared`, each loaded once per test process.
enum SharedTokenizers {
    /// Fixture name (`fixtures/tokenizer/NAME.jsonl`) → its tokenizer.json folder or file under `../shared`.
    static let sources: [String: String] = [
        "stories260K": "models/stories260K",
        "SmolLM2-135M-Instruct": "models/SmolLM2-135M-Instruct-Q4_1-gguf",
        "gpt-2": "models/gguf-vocab/ggml-vocab-gpt-2.tokenizer.json",
        "qwen2": "models/gguf-vocab/ggml-vocab-qwen2.tokenizer.json",
        "phi-3": "models/gguf-vocab/ggml-vocab-phi-3.tokenizer.json",
    ]

    static let names = ["stories260K", "SmolLM2-135M-Instruct", "gpt-2", "qwen2", "phi-3"]

    /// The tokenizer.json-based tokenizer for a fixture name.
    static func tokenizer(_ name: String) throws -> Tokenizer {
        try cache.value(for: name) {
            guard let relative = sources[name], let url = SharedData.path(relative) else {
                throw SharedDataError.missing(sources[name] ?? name)
            }
            if url.pathExtension == "json" {
                return try Tokenizer(tokenizerJSON: Data(contentsOf: url), tokenizerConfigJSON: nil)
            }
            return try Tokenizer.load(directory: url)
        }
    }

    private static let cache = LoadOnce<Tokenizer>()
}

/// Loads each keyed value once, even when parallel tests ask at the same time.
///
/// `@unchecked Sendable`: `lock` guards `values`.
final class LoadOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Result<Value, any Error>] = [:]

    func value(for key: String, load: () throws -> Value) throws -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let result = values[key] { return try result.get() }
        let result = Result { try load() }
        values[key] = result
        return try result.get()
    }
}

/// Fixture helpers.
enum Fixture {
    /// `[Int]` from a JSONSerialization array of numbers.
    static func ints(_ value: Any?) -> [Int] {
        (value as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue ?? ($0 as? Int) }
    }

    /// A short printable form of a string for failure messages.
    static func show(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { $0.escaped(asASCII: false) }.joined()
        return escaped.count > 80 ? String(escaped.prefix(80)) + "…" : escaped
    }
}
