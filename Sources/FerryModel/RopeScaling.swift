// SPDX-License-Identifier: Apache-2.0

/// config.json's `rope_scaling`: how RoPE frequencies are stretched for long contexts.
///
/// Decoded by `ModelConfig`; the compute layer turns it into per-dimension inverse frequencies.
public enum RopeScaling: Sendable, Equatable {
    /// Positions divided by `factor` (HF "linear").
    case linear(factor: Double)
    /// Llama 3.1's frequency-dependent scaling (HF "llama3"); `originalMaxPositionEmbeddings` is in tokens.
    case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositionEmbeddings: Int)
}

extension RopeScaling {
    /// Decodes a `rope_scaling` object. Returns nil for `rope_type`/`type` "default" (no scaling).
    /// - Throws: `ConfigDecodingFailure.unsupportedRopeScaling` for other types (yarn, dynamic, longrope, ...),
    ///   `DecodingError` when a needed field is absent.
    static func decode(from container: KeyedDecodingContainer<RopeScalingKeys>) throws -> RopeScaling? {
        let type = try container.decodeIfPresent(String.self, forKey: .ropeType)
            ?? container.decodeIfPresent(String.self, forKey: .type) ?? "default"
        switch type {
        case "default": return nil
        case "linear": return .linear(factor: try container.decode(Double.self, forKey: .factor))
        case "llama3":
            return .llama3(
                factor: try container.decode(Double.self, forKey: .factor),
                lowFreqFactor: try container.decode(Double.self, forKey: .lowFreqFactor),
                highFreqFactor: try container.decode(Double.self, forKey: .highFreqFactor),
                originalMaxPositionEmbeddings: try container.decode(Int.self, forKey: .originalMaxPositionEmbeddings))
        default: throw ConfigDecodingFailure.unsupportedRopeScaling(type)
        }
    }

    enum RopeScalingKeys: String, CodingKey {
        case type
        case ropeType = "rope_type"
        case ropeTheta = "rope_theta"
        case factor
        case lowFreqFactor = "low_freq_factor"
        case highFreqFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }
}
