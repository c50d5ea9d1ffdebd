// SPDX-License-Identifier: Apache-2.0

/// The post-processor stage: adds BOS/EOS-style special tokens around one encoded sequence when
/// `addSpecialTokens` is true. Only the single-sequence form is implemented (no pairs).
indirect enum PostProcessor: Sendable {
    case sequence([PostProcessor])
    /// `TemplateProcessing` `single`: each element is either the sequence or fixed ids.
    case template([TemplateElement])
    /// `ByteLevel` only trims offsets, which this module does not compute: ids pass through.
    case byteLevel
    /// `RobertaProcessing` / `BertProcessing`: `cls` + sequence + `sep`.
    case wrap(prefix: Int32, suffix: Int32)

    enum TemplateElement: Sendable {
        case sequence
        case tokens([Int32])
    }

    /// Reads a `post_processor` object.
    /// - Throws: `TokenizerError.unsupportedPostProcessor` for unknown types, `.invalidValue` for a malformed template.
    init(json: JSONValue, path: String = "post_processor") throws(TokenizerError) {
        switch json.typeName {
        case "Sequence":
            var stages: [PostProcessor] = []
            for (index, stage) in try json.requiredArray("processors", path: path).enumerated() {
                stages.append(try PostProcessor(json: stage, path: "\(path).processors[\(index)]"))
            }
            self = .sequence(stages)
        case "ByteLevel":
            self = .byteLevel
        case "TemplateProcessing":
            self = .template(try Self.template(json, path: path))
        case "RobertaProcessing", "BertProcessing":
            func id(_ key: String) throws(TokenizerError) -> Int32 {
                guard let pair = json[key]?.arrayValue, pair.count == 2, let value = pair[1].intValue,
                    let id = Int32(exactly: value), id >= 0
                else {
                    throw .invalidValue(key: "\(path).\(key)", reason: "expected [token, id]")
                }
                return id
            }
            self = .wrap(prefix: try id("cls"), suffix: try id("sep"))
        case let other:
            throw .unsupportedPostProcessor(other ?? "post-processor without a type at \(path)")
        }
    }

    private static func template(_ json: JSONValue, path: String) throws(TokenizerError) -> [TemplateElement] {
        var elements: [TemplateElement] = []
        for (index, element) in try json.requiredArray("single", path: path).enumerated() {
            if element["Sequence"] != nil {
                elements.append(.sequence)
            } else if let name = element["SpecialToken"]?["id"]?.stringValue {
                guard let ids = json["special_tokens"]?[name]?["ids"]?.arrayValue else {
                    throw .invalidValue(key: "\(path).special_tokens.\(name)", reason: "template token without ids")
                }
                var tokenIds: [Int32] = []
                for id in ids {
                    guard let value = id.intValue, let tokenId = Int32(exactly: value), tokenId >= 0 else {
                        throw .invalidValue(key: "\(path).special_tokens.\(name).ids", reason: "expected token ids")
                    }
                    tokenIds.append(tokenId)
                }
                elements.append(.tokens(tokenIds))
            } else {
                throw .invalidValue(key: "\(path).single[\(index)]", reason: "expected Sequence or SpecialToken")
            }
        }
        return elements
    }

    /// The ids with this stage's special tokens added.
    func process(_ ids: [Int32]) -> [Int32] {
        switch self {
        case .sequence(let stages):
            return stages.reduce(ids) { $1.process($0) }
        case .byteLevel:
            return ids
        case .template(let elements):
            var result: [Int32] = []
            result.reserveCapacity(ids.count + elements.count)
            for element in elements {
                switch element {
                case .sequence: result.append(contentsOf: ids)
                case .tokens(let tokens): result.append(contentsOf: tokens)
                }
            }
            return result
        case .wrap(let prefix, let suffix):
            return [prefix] + ids + [suffix]
        }
    }

    /// The special ids added before the sequence (for example BOS), as far as a template says.
    var leadingIds: [Int32] {
        switch self {
        case .template(let elements):
            var result: [Int32] = []
            for element in elements {
                guard case .tokens(let tokens) = element else { break }
                result.append(contentsOf: tokens)
            }
            return result
        case .sequence(let stages): return stages.flatMap(\.leadingIds)
        case .wrap(let prefix, _): return [prefix]
        case .byteLevel: return []
        }
    }
}
