// SPDX-License-Identifier: Apache-2.0

/// The decoder-only transformer families Ferry runs. Raw values are config.json's `model_type`.
///
/// All four are the Llama block (RMSNorm, RoPE, GQA attention, SwiGLU MLP) with small differences:
/// qwen2 has q/k/v biases, qwen3 has per-head RMSNorm on q and k (`q_norm`, `k_norm`), mistral may use a sliding
/// attention window.
public enum ModelArchitecture: String, Sendable, CaseIterable, Equatable {
    case llama
    case mistral
    case qwen2
    case qwen3

    /// True when attention has per-head RMSNorm weights `self_attn.q_norm.weight` / `k_norm.weight` [headDim].
    public var hasQKNorm: Bool { self == .qwen3 }
}
