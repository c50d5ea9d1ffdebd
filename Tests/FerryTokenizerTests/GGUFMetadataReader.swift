// SPDX-License-Identifier: Apache-2.0
import Foundation
import FerryTokenizer

/// A minimal GGUF metadata reader for tests: enough to fill a `GGUFVocabulary` from a real file, so the GGUF
/// initializer is checked against the same vectors as tokenizer.json. (The model loader has its own reader.)
struct GGUFMetadataReader {
    enum Value {
        case integer(Int64)
        case float(Double)
        case bool(Bool)
        case string(String)
        case array([Value])

        var int: Int? { if case .integer(let value) = self { return Int(value) } else { return nil } }
        var bool: Bool? { if case .bool(let value) = self { return value } else { return nil } }
        var string: String? { if case .string(let value) = self { return value } else { return nil } }
        var array: [Value]? { if case .array(let value) = self { return value } else { return nil } }
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    private let bytes: Data
    private var offset: Int

    /// Reads all key/value pairs of a GGUF file's header.
    static func metadata(of url: URL) throws -> [String: Value] {
        var reader = GGUFMetadataReader(bytes: try Data(contentsOf: url, options: .alwaysMapped), offset: 0)
        guard reader.bytes.prefix(4).elementsEqual(Array("GGUF".utf8)) else { throw Malformed(description: "magic") }
        reader.offset = 4
        let version = try reader.unsigned(4)
        guard version >= 2 else { throw Malformed(description: "GGUF version \(version)") }
        _ = try reader.unsigned(8)  // tensor count
        let count = try reader.unsigned(8)
        var result: [String: Value] = [:]
        for _ in 0..<count {
            let key = try reader.string()
            result[key] = try reader.value(type: try reader.unsigned(4))
        }
        return result
    }

    /// The `tokenizer.*` metadata of a GGUF file as a `GGUFVocabulary`.
    static func vocabulary(of url: URL) throws -> GGUFVocabulary {
        let metadata = try metadata(of: url)
        func value(_ key: String) -> Value? { metadata["tokenizer.ggml.\(key)"] }
        guard let model = value("model")?.string, let tokens = value("tokens")?.array?.compactMap(\.string) else {
            throw Malformed(description: "no tokenizer.ggml.model / tokens")
        }
        return GGUFVocabulary(
            model: model, pre: value("pre")?.string, tokens: tokens,
            scores: value("scores")?.array?.compactMap { if case .float(let f) = $0 { Float(f) } else { nil } },
            tokenTypes: value("token_type")?.array?.compactMap { $0.int.map(Int32.init) },
            merges: value("merges")?.array?.compactMap(\.string),
            bosTokenId: value("bos_token_id")?.int, eosTokenId: value("eos_token_id")?.int,
            unknownTokenId: value("unknown_token_id")?.int, paddingTokenId: value("padding_token_id")?.int,
            addBosToken: value("add_bos_token")?.bool, addEosToken: value("add_eos_token")?.bool,
            addSpacePrefix: value("add_space_prefix")?.bool,
            chatTemplate: metadata["tokenizer.chat_template"]?.string)
    }

    private mutating func value(type: UInt64) throws -> Value {
        switch type {
        case 0, 2, 4, 10: return .integer(Int64(bitPattern: try unsigned([0: 1, 2: 2, 4: 4, 10: 8][type]!)))
        case 1: return .integer(Int64(Int8(truncatingIfNeeded: try unsigned(1))))
        case 3: return .integer(Int64(Int16(truncatingIfNeeded: try unsigned(2))))
        case 5: return .integer(Int64(Int32(truncatingIfNeeded: try unsigned(4))))
        case 11: return .integer(Int64(bitPattern: try unsigned(8)))
        case 6: return .float(Double(Float(bitPattern: UInt32(try unsigned(4)))))
        case 12: return .float(Double(bitPattern: try unsigned(8)))
        case 7: return .bool(try unsigned(1) != 0)
        case 8: return .string(try string())
        case 9:
            let elementType = try unsigned(4)
            let count = try unsigned(8)
            guard count < 10_000_000 else { throw Malformed(description: "array of \(count)") }
            var values: [Value] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<count { values.append(try value(type: elementType)) }
            return .array(values)
        default: throw Malformed(description: "value type \(type)")
        }
    }

    private mutating func unsigned(_ size: Int) throws -> UInt64 {
        guard offset + size <= bytes.count else { throw Malformed(description: "truncated at \(offset)") }
        var result: UInt64 = 0
        for index in 0..<size { result |= UInt64(bytes[bytes.startIndex + offset + index]) << (8 * index) }
        offset += size
        return result
    }

    private mutating func string() throws -> String {
        let length = Int(try unsigned(8))
        guard offset + length <= bytes.count else { throw Malformed(description: "string past the end") }
        let start = bytes.startIndex + offset
        offset += length
        return String(decoding: bytes[start..<start + length], as: UTF8.self)
    }
}
